/* `fieldgate key --public -c gateway.yaml`: the gateway's Ed25519 public key, as the line of
 * the county's gateway registry (gateway id, public key in hex). The key pair is made at
 * first run in data_dir (gateway.key, 0600); this command makes it too when missing. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "crypto.h"
#include "diag.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: fieldgate key --public -c gateway.yaml\n\n"
	             "Prints this gateway's line of the county's gateway registry (a CSV: gateway\n"
	             "id, Ed25519 public key in hex), from data_dir/" GW_GATEWAY_KEY
	             " (made when missing,\n"
	             "mode 0600, as `run` makes it). The registry lets `verify --registry` check\n"
	             "every seal's signature.\n"
	             "exit: 0 printed, 1 the key cannot be read or made, 2 bad usage or config\n");
}

int gw_cli_key(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"public", no_argument, NULL, 'p'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	uint8_t sk[GW_SECKEY_LEN], pk[GW_PUBKEY_LEN];
	char hex[2 * GW_PUBKEY_LEN + 1];
	const char *path = NULL;
	struct gw_config *cfg = NULL;
	bool pub = false;
	struct gw_diag d;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'c')
			path = optarg;
		else if (c == 'p')
			pub = true;
		else
			break;
	}
	if (c != -1 || !path || !pub || optind != argc) {
		usage(stderr);
		return 2;
	}
	gw_diag_init(&d, stderr);
	if (gw_config_load(path, &d, &cfg)) {
		fprintf(stderr, "%s: %d error(s)\n", path, d.nerrors);
		return 2;
	}
	rc = gw_crypto_gateway_key(cfg->data_dir, sk, pk);
	gw_crypto_wipe(sk, sizeof(sk));
	if (rc)
		fprintf(stderr, "key: cannot read or make %s/" GW_GATEWAY_KEY ": %s\n",
		        cfg->data_dir, strerror(-rc));
	else
		printf("%s,%s\n", cfg->gateway_id, (gw_hex(pk, sizeof(pk), hex), hex));
	gw_config_free(cfg);
	return rc ? 1 : 0;
}
