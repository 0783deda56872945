/* The line options of the technician commands and the link they describe.
 * Serial settings not given fall back to the profile's, then to 9600 8N1.
 * Usage errors are printed as "fieldgate CMD: ..." and returned as exit code 2. */
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "num.h"
#include "profile.h"

const char gw_cli_link_help[] =
        "line:\n"
        "  --port DEV          serial device of the RS-485 adapter (prefer /dev/serial/by-id/...)\n"
        "  --tcp HOST:PORT     Modbus TCP endpoint instead (a DTU or a TCP sensor)\n"
        "  --baud B            1200 2400 4800 9600 19200 38400 57600 115200 230400\n"
        "                      (default: the profile's, else 9600)\n"
        "  --parity N|E|O      (default: the profile's, else N; 8 data bits)\n"
        "  --timeout-ms MS     how long to wait for an answer\n"
        "  --echo              the adapter echoes every request back: drop the echo\n"
        "  --rs485             switch the serial port to kernel RS-485 mode (where supported)\n"
        "  --profile NAME      sensor profile (drivers/profiles/NAME.yaml, or a path)\n"
        "  --debug             hex dump every frame\n";

static const struct option shared_opts[] = {
        {"port", required_argument, NULL, GW_OPT_PORT},
        {"tcp", required_argument, NULL, GW_OPT_TCP},
        {"baud", required_argument, NULL, GW_OPT_BAUD},
        {"parity", required_argument, NULL, GW_OPT_PARITY},
        {"timeout-ms", required_argument, NULL, GW_OPT_TIMEOUT},
        {"echo", no_argument, NULL, GW_OPT_ECHO},
        {"rs485", no_argument, NULL, GW_OPT_RS485},
        {"unit", required_argument, NULL, GW_OPT_UNIT},
        {"profile", required_argument, NULL, GW_OPT_PROFILE},
        {"debug", no_argument, NULL, GW_OPT_DEBUG},
        {"help", no_argument, NULL, GW_OPT_HELP},
};

void gw_cli_longopts(const struct option *own, struct option *out)
{
	size_t n = GW_ARRAY_LEN(shared_opts);

	memcpy(out, shared_opts, sizeof(shared_opts));
	for (; own->name && n < GW_CLI_MAX_OPTS - 1; own++)
		out[n++] = *own;
	memset(&out[n], 0, sizeof(out[n]));
}

void gw_cli_opts_init(struct gw_cli_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->unit = -1;
}

int gw_cli_parse_long(const char *cmd, const char *opt, const char *arg, long min, long max,
                      long *out)
{
	if (gw_num_long(arg, min, max, out) == 0)
		return 0;
	fprintf(stderr, "fieldgate %s: %s: bad value \"%s\" (want %ld..%ld)\n", cmd, opt, arg, min,
	        max);
	return -EINVAL;
}

int gw_cli_parse_baud(const char *arg, uint32_t *out)
{
	static const uint32_t rates[] = {1200,  2400,  4800,   9600,  19200,
	                                 38400, 57600, 115200, 230400};
	long v;

	if (gw_num_long(arg, 1, 4000000, &v))
		return -EINVAL;
	for (size_t i = 0; i < GW_ARRAY_LEN(rates); i++) {
		if (rates[i] == (uint32_t)v) {
			*out = rates[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* HOST:PORT or [V6ADDR]:PORT */
static int parse_tcp(struct gw_cli_opts *o, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	const char *host = arg;
	size_t hlen;
	long port;

	if (!colon || colon == arg || gw_num_long(colon + 1, 1, 65535, &port))
		return -EINVAL;
	hlen = (size_t)(colon - arg);
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(o->host))
		return -EINVAL;
	memcpy(o->host, host, hlen);
	o->host[hlen] = '\0';
	o->tcp_port = (uint16_t)port;
	o->is_tcp = true;
	return 0;
}

static int take_value(struct gw_cli_opts *o, int opt, const char *arg)
{
	long v;

	switch (opt) {
	case GW_OPT_TCP:
		if (parse_tcp(o, arg) == 0)
			return 1;
		fprintf(stderr, "fieldgate %s: --tcp: bad endpoint \"%s\" (want HOST:PORT)\n",
		        o->cmd, arg);
		return -EINVAL;
	case GW_OPT_BAUD:
		if (gw_cli_parse_baud(arg, &o->baud) == 0)
			return 1;
		fprintf(stderr,
		        "fieldgate %s: --baud: unsupported rate \"%s\" (want 1200..230400)\n",
		        o->cmd, arg);
		return -EINVAL;
	case GW_OPT_PARITY:
		if (strlen(arg) == 1 && strchr("NEOneo", arg[0])) {
			o->parity = (char)(arg[0] & ~0x20);
			return 1;
		}
		fprintf(stderr, "fieldgate %s: --parity: bad value \"%s\" (want N, E or O)\n",
		        o->cmd, arg);
		return -EINVAL;
	case GW_OPT_TIMEOUT:
		if (gw_cli_parse_long(o->cmd, "--timeout-ms", arg, 1, 60000, &v))
			return -EINVAL;
		o->timeout_ms = (unsigned)v;
		return 1;
	case GW_OPT_UNIT:
		if (gw_cli_parse_long(o->cmd, "--unit", arg, 0, 255, &o->unit))
			return -EINVAL;
		return 1;
	default:
		return 0;
	}
}

int gw_cli_opts_take(struct gw_cli_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case GW_OPT_PORT:
		o->port = arg;
		return 1;
	case GW_OPT_ECHO:
		o->echo = true;
		return 1;
	case GW_OPT_RS485:
		o->rs485 = true;
		return 1;
	case GW_OPT_DEBUG:
		o->debug = true;
		return 1;
	case GW_OPT_HELP:
		o->help = true;
		return 1;
	case GW_OPT_PROFILE:
		o->profile_name = arg;
		return 1;
	default:
		return take_value(o, opt, arg);
	}
}

static int usage_error(const struct gw_cli_opts *o, const char *what)
{
	fprintf(stderr, "fieldgate %s: %s (see fieldgate %s --help)\n", o->cmd, what, o->cmd);
	return 2;
}

int gw_cli_opts_finish(struct gw_cli_opts *o, bool need_unit, bool need_profile)
{
	struct gw_diag d;

	if (!o->port == !o->is_tcp)
		return usage_error(o, "give exactly one of --port DEV or --tcp HOST:PORT");
	if (need_unit && o->unit < 0)
		return usage_error(o, "--unit N is required");
	if (o->unit > 247 && !o->is_tcp)
		return usage_error(o, "--unit: serial unit ids are 1..247");
	if (need_profile && !o->profile_name)
		return usage_error(o, "--profile NAME is required");
	if (!o->profile_name)
		return 0;
	gw_diag_init(&d, stderr);
	if (gw_profile_find(gw_profile_default_dir(), o->profile_name, &d, &o->profile))
		return 2;
	o->has_profile = true;
	return 0;
}

void gw_cli_link_cfg(const struct gw_cli_opts *o, unsigned default_timeout_ms,
                     struct gw_link_cfg *cfg)
{
	const struct gw_serial_defaults *s = o->has_profile ? &o->profile.serial : NULL;
	unsigned t = o->timeout_ms ? o->timeout_ms : default_timeout_ms;

	memset(cfg, 0, sizeof(*cfg));
	cfg->type = o->is_tcp ? GW_LINK_TCP : GW_LINK_RTU;
	cfg->device = o->port;
	cfg->host = o->host;
	cfg->port = o->tcp_port;
	cfg->baud = o->baud ? o->baud : (s && s->baud ? s->baud : 9600);
	cfg->parity = o->parity ? o->parity : (s && s->parity ? s->parity : 'N');
	cfg->data_bits = s && s->data_bits ? s->data_bits : 8;
	cfg->stop_bits = s && s->stop_bits ? s->stop_bits : 1;
	cfg->rs485 = o->rs485;
	cfg->echo = o->echo;
	cfg->response_timeout_ms = t;
	/* a gap inside a frame is a few character times; 100 ms covers 1200 baud */
	cfg->byte_timeout_ms = t < 100 ? t : 100;
	cfg->debug = o->debug;
}

const char *gw_cli_link_describe(const struct gw_link_cfg *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->type == GW_LINK_TCP)
		n = snprintf(buf, len, "tcp %s:%u", cfg->host, (unsigned)cfg->port);
	else
		n = snprintf(buf, len, "%s %u %u%c%u%s", cfg->device, (unsigned)cfg->baud,
		             (unsigned)cfg->data_bits, cfg->parity, (unsigned)cfg->stop_bits,
		             cfg->echo ? " (echo dropped)" : "");
	if (n < 0 || (size_t)n >= len)
		snprintf(buf, len, "%s", cfg->type == GW_LINK_TCP ? "tcp" : "serial line");
	return buf;
}

struct gw_link *gw_cli_link_open(const char *cmd, const struct gw_link_cfg *cfg)
{
	struct gw_link *l = gw_link_new(cfg);
	char what[300];
	int rc;

	if (!l) {
		fprintf(stderr, "fieldgate %s: out of memory\n", cmd);
		return NULL;
	}
	rc = gw_link_connect(l);
	if (rc == 0)
		return l;
	fprintf(stderr, "fieldgate %s: cannot open %s: %s\n", cmd,
	        gw_cli_link_describe(cfg, what, sizeof(what)), strerror(-rc));
	if (cfg->type == GW_LINK_RTU && (rc == -ENOENT || rc == -ENODEV))
		fprintf(stderr, "hint: is the adapter plugged in? USB serial adapters get renamed "
		                "after a reboot; /dev/serial/by-id/ names do not.\n");
	gw_link_free(l);
	return NULL;
}

const char *gw_cli_exception_name(int code)
{
	static const char *const names[] = {"",
	                                    "illegal function",
	                                    "illegal data address",
	                                    "illegal data value",
	                                    "slave device failure",
	                                    "acknowledge",
	                                    "slave device busy",
	                                    "negative acknowledge",
	                                    "memory parity error",
	                                    "",
	                                    "gateway path unavailable",
	                                    "gateway target failed to respond"};

	if (code > 0 && (size_t)code < GW_ARRAY_LEN(names) && names[code][0])
		return names[code];
	return "unknown exception";
}

int gw_cli_getopt(int argc, char **argv, const struct option *own, gw_cli_own_fn take_own,
                  void *user, struct gw_cli_opts *line)
{
	struct option longopts[GW_CLI_MAX_OPTS];
	int opt;

	gw_cli_longopts(own, longopts);
	gw_cli_opts_init(line, argv[0]);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = gw_cli_opts_take(line, opt, optarg);

		if (rc < 0 || (rc == 0 && (opt < GW_OPT_OWN || take_own(user, opt, optarg))))
			return 2;
	}
	if (line->help)
		return 1;
	if (optind < argc) {
		fprintf(stderr, "fieldgate %s: unexpected argument \"%s\"\n", argv[0],
		        argv[optind]);
		return 2;
	}
	return 0;
}

const char *gw_cli_config_default(void)
{
	const char *env = getenv("FIELDGATE_CONFIG");

	return env && *env ? env : GW_CLI_CONFIG_DEFAULT;
}
