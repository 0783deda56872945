/* `fieldgate verify`: recomputes the evidence chain from the journal's rows and names the
 * first sealed day whose readings were edited, deleted, reordered or inserted. Prints each
 * day's digest and the head; changes nothing in the readings or the chain. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "cli.h"
#include "cli_verify_json.h"
#include "clock.h"
#include "config.h"
#include "diag.h"
#include "journal.h"
#include "seals.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate verify -c gateway.yaml [-q] [--registry FILE] [--against "
	        "influx|FILE]\n"
	        "       fieldgate verify --data-dir DIR [-q] [--registry FILE --gateway ID]\n"
	        "                        [--against FILE]\n"
	        "       (--data-dir: a copy of a gateway's data_dir)\n\n"
	        "Recomputes the evidence chain of data_dir/journal.db: every sealed day's SHA-256\n"
	        "over its readings and the previous day's digest. Prints each day (digest, "
	        "status)\n"
	        "and the head, to compare with the head the gateway published over MQTT.\n"
	        "Status: ok, pruned (retention removed its readings; the digest stands),\n"
	        "partly-pruned, restarted (its readings were in a journal lost while the gateway\n"
	        "ran; a fresh one goes on from its digest), edited (a reading changed or the "
	        "order\n"
	        "did), deleted, inserted, relinked (the chain table itself was changed).\n\n"
	        "  -c, --config FILE   gateway.yaml (its gateway.data_dir holds the journal)\n"
	        "  -d, --data-dir DIR  the directory holding journal.db, instead of -c\n"
	        "  -q, --quiet         print only the verdict and the head\n"
	        "      --json          the same as one JSON object (keys in README)\n"
	        "  -r, --registry FILE the county's gateway registry (CSV: gateway id, public "
	        "key):\n"
	        "                      every seal's Ed25519 signature is checked too (unsigned,\n"
	        "                      bad-signature fail like an edited day)\n"
	        "  -g, --gateway ID    the gateway whose key signs (default: the config's id;\n"
	        "                      required with --data-dir and --registry)\n"
	        "  -a, --against SRC   also compares every sealed day with the seal the center\n"
	        "                      received: `influx` (the config's influxdb, measurement\n"
	        "                      chain) or FILE (the seals as JSON, one per line, as a\n"
	        "                      subscriber to {prefix}/{gateway}/chain saved them). A day\n"
	        "                      that differs or is missing fails: this catches a journal\n"
	        "                      rewritten with its chain recomputed and re-signed\n"
	        "exit: 0 intact, 1 not intact (or the journal cannot be read), 2 bad usage or "
	        "config\n");
}

static void print_day(void *user, const struct gw_chain_day *d)
{
	const bool *quiet = user;
	char day[16], hex[2 * GW_SHA256_LEN + 1], seqs[48];

	if (*quiet && !gw_chain_status_bad(d->status))
		return;
	gw_hex(d->link->digest, GW_SHA256_LEN, hex);
	snprintf(seqs, sizeof(seqs), "%lld..%lld", (long long)d->link->first_seq,
	         (long long)d->link->last_seq);
	printf("%-10s  %8lld  %-21s  %s  %s", gw_chain_day_text(d->link->day, day, sizeof(day)),
	       (long long)d->link->readings, seqs, hex, gw_chain_status_name(d->status));
	if (d->status == GW_CHAIN_DELETED || d->status == GW_CHAIN_INSERTED ||
	    d->status == GW_CHAIN_PARTLY_PRUNED)
		printf(" (%lld readings now, %lld dated earlier, %lld late when sealed)",
		       (long long)d->found, (long long)d->early, (long long)d->link->late);
	printf("\n");
}

const char *gw_cli_verify_why(enum gw_chain_status st)
{
	switch (st) {
	case GW_CHAIN_EDITED:
		return "a reading was changed or readings were reordered";
	case GW_CHAIN_DELETED:
		return "readings were deleted";
	case GW_CHAIN_INSERTED:
		return "readings were inserted";
	case GW_CHAIN_RELINKED:
		return "the chain itself was changed (its previous digest does not match)";
	case GW_CHAIN_UNSIGNED:
		return "the seal carries no signature";
	case GW_CHAIN_BAD_SIGNATURE:
		return "the seal's signature does not verify with the registered key";
	default:
		return "?";
	}
}

/* The journal was lost while the gateway ran and started afresh: not tampering, but the
 * readings before it are gone from this gateway (the seals the center got still stand). */
static void print_restart(const struct gw_chain_result *r)
{
	char ts[40], day[16];
	int64_t d = 0;

	gw_clock_rfc3339(r->restarted_ms, ts, sizeof(ts));
	gw_journal_day_of(r->restarted_ms, &d);
	printf("restarted: the journal was lost and started afresh on %s (%s); readings up to "
	       "seq %lld were in the lost file, the chain goes on from the last day it sealed\n",
	       gw_chain_day_text(d, day, sizeof(day)), ts, (long long)r->lost_seq);
}

static void print_summary(const struct gw_chain_result *r)
{
	char day[16], hex[2 * GW_SHA256_LEN + 1];

	if (r->has_head) {
		gw_hex(r->head.digest, GW_SHA256_LEN, hex);
		printf("head %s %s (%lld readings)\n",
		       gw_chain_day_text(r->head.day, day, sizeof(day)), hex,
		       (long long)r->head.readings);
	} else {
		printf("head none (no day sealed yet)\n");
	}
	printf("open: %lld readings after the head, not sealed yet\n", (long long)r->open_readings);
	if (r->restarted_ms)
		print_restart(r);
	if (r->open_inserted)
		printf("open: %lld of them dated a sealed day were not committed by the gateway\n",
		       (long long)r->open_inserted);
	if (r->bad == 0) {
		printf("intact: %lld days (%lld ok, %lld pruned)\n", (long long)r->days,
		       (long long)r->ok, (long long)r->pruned);
		return;
	}
	printf("NOT intact: %lld of %lld days fail; first: %s %s: %s\n", (long long)r->bad,
	       (long long)r->days, gw_chain_day_text(r->first_bad_day, day, sizeof(day)),
	       gw_chain_status_name(r->first_bad), gw_cli_verify_why(r->first_bad));
}

struct verify_opts {
	const char *path;     /* gateway.yaml */
	const char *data_dir; /* or the journal's directory */
	const char *registry; /* the county's gateway registry, or NULL */
	const char *gateway;  /* whose key; NULL: the config's id */
	const char *against;  /* "influx" or a file of received seals, or NULL */
	bool quiet, json;
};

static int parse_args(int argc, char **argv, struct verify_opts *o)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"data-dir", required_argument, NULL, 'd'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"registry", required_argument, NULL, 'r'},
	        {"gateway", required_argument, NULL, 'g'},
	        {"against", required_argument, NULL, 'a'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:d:qr:g:a:h", opts, NULL)) != -1) {
		if (c == 'a')
			o->against = optarg;
		else if (c == 'j')
			o->json = true;
		else if (c == 'r')
			o->registry = optarg;
		else if (c == 'g')
			o->gateway = optarg;
		else if (c == 'c')
			o->path = optarg;
		else if (c == 'd')
			o->data_dir = optarg;
		else if (c == 'q')
			o->quiet = true;
		else if (c == 'h')
			return 1;
		else
			return -EINVAL;
	}
	if ((o->registry || o->against) && !o->gateway && !o->path)
		return -EINVAL; /* whose key, whose seals? */
	if (o->against && !strcmp(o->against, "influx") && !o->path)
		return -EINVAL; /* where is InfluxDB? */
	return !o->path != !o->data_dir && optind == argc ? 0 : -EINVAL;
}

/* Opens the existing journal in dir without the start-up integrity check (a running daemon
 * owns that); never creates one. */
static struct gw_journal *open_journal(const char *dir)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct gw_journal *j;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/journal.db", dir);
	int err;

	if (n < 0 || (size_t)n >= sizeof(path) || access(path, R_OK) != 0) {
		fprintf(stderr, "verify: no journal at %s/journal.db: %s\n", dir,
		        strerror(n < 0 || (size_t)n >= sizeof(path) ? ENAMETOOLONG : errno));
		return NULL;
	}
	j = gw_journal_open(dir, &jo, &err);
	if (!j)
		fprintf(stderr, "verify: cannot open %s: %s\n", path, strerror(-err));
	return j;
}

static void print_cmp(void *user, int64_t day, enum gw_seal_cmp c,
                      const struct gw_journal_link *here, const struct gw_seal *got)
{
	const bool *quiet = user;
	char d[16], mine[2 * GW_SHA256_LEN + 1] = "-", theirs[2 * GW_SHA256_LEN + 1] = "-";

	if (*quiet && !gw_seal_cmp_bad(c))
		return;
	if (here)
		gw_hex(here->digest, GW_SHA256_LEN, mine);
	if (got)
		gw_hex(got->l.digest, GW_SHA256_LEN, theirs);
	printf("center %-10s  here %.16s  received %.16s  %s\n",
	       gw_chain_day_text(day, d, sizeof(d)), mine, theirs, gw_seal_cmp_name(c));
}

/* The seals the center received (exit 2 on a malformed file, before anything else). */
static int load_seals(const struct verify_opts *o, const struct gw_config *cfg, const char *gateway,
                      struct gw_seals *got)
{
	struct gw_fleet_src src;

	if (strcmp(o->against, "influx") != 0)
		return gw_seals_read_file(o->against, gateway, got, stderr) ? 2 : 0;
	memset(&src, 0, sizeof(src));
	if (!cfg->influx.url[0] || !cfg->influx.database[0]) {
		fprintf(stderr,
		        "%s: error: --against influx needs an influxdb section with url and "
		        "database\n",
		        o->path);
		return 2;
	}
	snprintf(src.url, sizeof(src.url), "%s", cfg->influx.url);
	snprintf(src.database, sizeof(src.database), "%s", cfg->influx.database);
	snprintf(src.username, sizeof(src.username), "%s", cfg->influx.username);
	snprintf(src.password_file, sizeof(src.password_file), "%s", cfg->influx.password_file);
	if (gw_seals_read_influx(&src, gateway, got)) {
		fprintf(stderr, "verify: cannot read the seals from %s\n", src.url);
		return 1;
	}
	return 0;
}

static int against(struct gw_journal *j, const struct verify_opts *o, const char *gateway,
                   const struct gw_seals *got, const struct gw_chain_result *res)
{
	struct gw_seal_diff diff;
	struct gw_verify_json v;
	char day[16];
	bool quiet = o->quiet;
	int rc;

	if (o->json)
		gw_verify_json_against_begin(&v, o->against);
	rc = gw_seals_compare(j, got, gateway, res->restarted_ms != 0,
	                      o->json ? gw_verify_json_cmp : print_cmp,
	                      o->json ? (void *)&v : (void *)&quiet, &diff);
	if (rc) {
		fprintf(stderr, "verify: reading the chain failed: %s\n", strerror(-rc));
		return 1;
	}
	if (o->json) {
		gw_verify_json_against_end(&diff);
		return diff.first_day ? 1 : 0;
	}
	printf("against %s: %lld days the same, %lld differ, %lld missing at the center, "
	       "%lld missing here, %lld not received yet",
	       strcmp(o->against, "influx") ? o->against : "influx", (long long)diff.same,
	       (long long)diff.differs, (long long)diff.missing_center,
	       (long long)diff.missing_here, (long long)diff.not_received);
	if (diff.lost)
		printf(", %lld lost with a restarted journal", (long long)diff.lost);
	printf("\n");
	if (!diff.first_day)
		return 0;
	printf("NOT as the center received it; first: %s %s\n",
	       gw_chain_day_text(diff.first_day, day, sizeof(day)), gw_seal_cmp_name(diff.first));
	return 1;
}

/* The chain recomputed, printed as text or JSON. Returns 0 or -errno (said). */
static int run_verify(struct gw_journal *j, const struct verify_opts *o, const char *gateway,
                      const uint8_t *pk, struct gw_chain_result *res)
{
	struct gw_verify_json v;
	gw_chain_day_fn fn = o->json ? gw_verify_json_day : print_day;
	void *user = o->json ? (void *)&v : (void *)&o->quiet;
	int rc;

	if (o->json)
		gw_verify_json_begin(&v, o->path ? o->path : o->data_dir);
	else if (!o->quiet)
		printf("%-10s  %8s  %-21s  %-64s  %s\n", "day", "readings", "seqs", "digest",
		       "status");
	rc = pk ? gw_chain_verify_signed(j, gateway, pk, fn, user, res)
	        : gw_chain_verify(j, fn, user, res);
	if (rc) {
		fprintf(stderr, "verify: reading the journal failed: %s\n", strerror(-rc));
		return rc;
	}
	if (o->json) {
		gw_verify_json_summary(&v, res, pk != NULL);
		return 0;
	}
	if (pk && !o->quiet)
		printf("signatures checked against %s's key in %s\n", gateway, o->registry);
	print_summary(res);
	return 0;
}

int gw_cli_verify(int argc, char **argv)
{
	struct gw_chain_result res;
	struct verify_opts o = {0};
	struct gw_config *cfg = NULL;
	struct gw_seals got = {0};
	struct gw_journal *j;
	struct gw_diag d;
	uint8_t pk[GW_PUBKEY_LEN];
	const char *gateway;
	int rc = parse_args(argc, argv, &o), bad = 0;

	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	gw_diag_init(&d, stderr);
	if (o.path && gw_config_load_flags(o.path, GW_CONFIG_OFFICE, &d, &cfg)) {
		fprintf(stderr, "%s: %d error(s)\n", o.path, d.nerrors);
		return 2;
	}
	gateway = o.gateway ? o.gateway : cfg ? cfg->gateway_id : "";
	if (o.registry && gw_chain_registry_find(o.registry, gateway, pk, stderr))
		bad = 2;
	if (!bad && o.against)
		bad = load_seals(&o, cfg, gateway, &got);
	gw_seals_sort(&got);
	j = bad ? NULL : open_journal(cfg ? cfg->data_dir : o.data_dir);
	rc = bad || !j ? -EIO : run_verify(j, &o, gateway, o.registry ? pk : NULL, &res);
	if (rc == 0 && o.against)
		bad = against(j, &o, gateway, &got, &res);
	if (rc == 0 && o.json)
		gw_verify_json_end();
	gw_seals_free(&got);
	gw_journal_close(j);
	gw_config_free(cfg);
	return bad ? bad : rc ? 1 : res.bad ? 1 : 0;
}
