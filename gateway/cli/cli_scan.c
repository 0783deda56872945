/* `fieldgate scan`: probes unit ids on one line or TCP endpoint (one holding
 * register at 0; any reply, an exception included, means a unit is there), and
 * with --sweep tries every baud rate and parity on a serial line. Read only:
 * it never writes to a device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "cli.h"
#include "cli_common.h"
#include "cli_json.h"
#include "commission.h"
#include "num.h"

#define SCAN_TIMEOUT_MS 200

static const uint32_t sweep_bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
static const char sweep_parities[] = {'N', 'E', 'O'};

struct scan_opts {
	struct gw_cli_opts line;
	const char *ids;
	bool sweep;
	bool json;
};

struct scan_result {
	unsigned probed, answered, garbled;
	uint8_t found[256];
	uint8_t exception[256]; /* the exception code an id answered with, 0: a normal reply */
	uint8_t bad[256];       /* ids that sent a garbled reply */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate scan --port DEV|--tcp HOST:PORT [--ids LIST] [--sweep] "
	        "[options]\n\n"
	        "Lists the Modbus unit ids that answer on a serial line or a TCP endpoint. Each "
	        "id\n"
	        "is asked for one holding register at address 0; any reply, an exception response\n"
	        "included, means a unit is there. Nothing is written to any device.\n\n"
	        "  --ids LIST          ids to probe, e.g. 1-247 or 1,5,10-20 (default 1-247;\n"
	        "                      with --sweep 1-10, the usual factory ids)\n"
	        "  --sweep             serial only: try every baud rate 1200..115200 with parity\n"
	        "                      N, E and O, and report which settings get answers (a wrong\n"
	        "                      baud rate is the usual reason a new sensor stays silent)\n"
	        "  --timeout-ms MS     wait per probe (default %d; the sweep adds the frame "
	        "time)\n"
	        "  --json              print the result as one JSON object on stdout (keys in\n"
	        "                      the README)\n\n"
	        "%s\n"
	        "exit status: 0 some unit answered, 1 none answered or the line could not be\n"
	        "opened, 2 bad usage.\n",
	        SCAN_TIMEOUT_MS, gw_cli_link_help);
}

static int take_own(void *user, int opt, const char *arg)
{
	struct scan_opts *o = user;

	if (opt == GW_OPT_OWN)
		o->ids = arg;
	else if (opt == GW_OPT_OWN + 1)
		o->sweep = true;
	else if (opt == GW_OPT_OWN + 2)
		o->json = true;
	else
		return -EINVAL;
	return 0;
}

static int parse(int argc, char **argv, struct scan_opts *o)
{
	static const struct option own[] = {
	        {"ids", required_argument, NULL, GW_OPT_OWN},
	        {"sweep", no_argument, NULL, GW_OPT_OWN + 1},
	        {"json", no_argument, NULL, GW_OPT_OWN + 2},
	        {NULL, 0, NULL, 0},
	};
	int rc;

	memset(o, 0, sizeof(*o));
	rc = gw_cli_getopt(argc, argv, own, take_own, o, &o->line);
	if (rc == 1)
		usage(stdout);
	if (rc)
		return rc == 1 ? -1 : rc;
	if (o->sweep && o->line.is_tcp) {
		fprintf(stderr, "fieldgate scan: --sweep is for serial lines (--port) only\n");
		return 2;
	}
	return gw_cli_opts_finish(&o->line, false, false);
}

static int parse_ids(const struct scan_opts *o, uint8_t *set)
{
	const char *ids = o->ids ? o->ids : (o->sweep ? "1-10" : "1-247");
	long max = o->line.is_tcp ? 255 : 247;

	memset(set, 0, 256);
	if (gw_num_ranges(ids, o->line.is_tcp ? 0 : 1, max, set) == 0)
		return 0;
	fprintf(stderr,
	        "fieldgate scan: --ids: bad list \"%s\" (want e.g. 1-247 or 1,5,10-20 within "
	        "%d..%ld)\n",
	        ids, o->line.is_tcp ? 0 : 1, max);
	return 2;
}

static void progress(unsigned done, unsigned total, const struct scan_result *res)
{
	bool tty = isatty(STDERR_FILENO);

	if (total < 20 || (done % 25 != 0 && done != total))
		return;
	fprintf(stderr, "%sscan: %u/%u ids probed, %u answering%s", tty ? "\r" : "", done, total,
	        res->answered, tty && done != total ? "" : "\n");
}

/* Probes every id of set. verbose prints each answer on stdout. Returns 0, or
 * -EIO when the link was lost and could not be reopened. */
static int scan_ids(struct gw_link *l, const uint8_t *set, bool verbose, struct scan_result *res)
{
	unsigned total = 0;

	memset(res, 0, sizeof(*res));
	for (int id = 0; id < 256; id++)
		total += set[id];
	for (int id = 0; id < 256; id++) {
		int exc = 0, rc;

		if (!set[id])
			continue;
		rc = gw_comm_probe(l, id, &exc);
		res->probed++;
		if (rc == 0 || rc == -EREMOTEIO) {
			res->found[id] = 1;
			res->exception[id] = rc ? (uint8_t)exc : 0;
			res->answered++;
		}
		if (rc == -EBADMSG) {
			res->bad[id] = 1;
			res->garbled++;
		}
		if (verbose && rc == 0)
			printf("unit %d: answers\n", id);
		else if (verbose && rc == -EREMOTEIO)
			printf("unit %d: answers (exception %d)\n", id, exc);
		else if (verbose && rc == -EBADMSG)
			printf("unit %d: garbled reply\n", id);
		fflush(stdout);
		if (gw_link_rc_is_lost(rc))
			return -EIO;
		if (verbose)
			progress(res->probed, total, res);
	}
	return 0;
}

static void print_found(FILE *out, const struct scan_result *res)
{
	const char *sep = "";

	for (int id = 0; id < 256; id++) {
		if (res->found[id]) {
			fprintf(out, "%s%d", sep, id);
			sep = ", ";
		}
	}
}

/* "units":[{"unit":N,"exception":null|code},...],"garbled":[ids] */
static void json_units(FILE *out, const struct scan_result *res)
{
	unsigned n = 0;

	fputs("\"units\":[", out);
	for (int id = 0; id < 256; id++) {
		if (!res->found[id])
			continue;
		fprintf(out, "%s{\"unit\":%d,\"exception\":", n++ ? "," : "", id);
		if (res->exception[id])
			fprintf(out, "%u}", res->exception[id]);
		else
			fputs("null}", out);
	}
	fputs("],\"garbled\":[", out);
	n = 0;
	for (int id = 0; id < 256; id++)
		if (res->bad[id])
			fprintf(out, "%s%d", n++ ? "," : "", id);
	fputc(']', out);
}

static void json_scan(const char *what, const struct scan_result *res, const char *error)
{
	printf("{\"mode\":\"scan\",\"link\":");
	gw_cli_json_str(stdout, what);
	printf(",\"error\":");
	gw_cli_json_str(stdout, error);
	printf(",\"probed\":%u,\"answered\":%u,", res->probed, res->answered);
	json_units(stdout, res);
	printf("}\n");
	fflush(stdout);
}

static int scan_once(const struct scan_opts *o, const uint8_t *set)
{
	struct gw_link_cfg cfg;
	struct scan_result res;
	char what[300];
	struct gw_link *l;
	int rc;

	gw_cli_link_cfg(&o->line, SCAN_TIMEOUT_MS, &cfg);
	gw_cli_link_describe(&cfg, what, sizeof(what));
	memset(&res, 0, sizeof(res));
	l = gw_cli_link_open("scan", &cfg);
	if (!l) {
		if (o->json)
			json_scan(what, &res, "cannot open the line");
		return 1;
	}
	rc = scan_ids(l, set, !o->json, &res);
	gw_link_free(l);
	if (rc) {
		fprintf(stderr, "fieldgate scan: lost %s and could not reopen it\n", what);
		if (o->json)
			json_scan(what, &res, "lost the line");
		return 1;
	}
	if (o->json) {
		json_scan(what, &res, NULL);
		return res.answered ? 0 : 1;
	}
	printf("summary: %u of %u ids answered on %s", res.answered, res.probed, what);
	if (res.answered) {
		printf(": ");
		print_found(stdout, &res);
	}
	printf("\n");
	if (res.answered == 0)
		fprintf(stderr,
		        "hint: nothing answered. Check the baud rate and parity (try --sweep), "
		        "A/B wiring, sensor power and the id range.%s\n",
		        res.garbled ? " Garbled replies suggest a wrong baud rate or parity." : "");
	return res.answered ? 0 : 1;
}

/* One sweep step: scans set at baud/parity. Returns answers, or -1 (cannot open). */
static int sweep_one(const struct scan_opts *o, const uint8_t *set, uint32_t baud, char parity,
                     struct scan_result *res)
{
	struct gw_cli_opts line = o->line;
	struct gw_link_cfg cfg;
	struct gw_link *l;
	unsigned base;

	line.baud = baud;
	line.parity = parity;
	gw_cli_link_cfg(&line, SCAN_TIMEOUT_MS, &cfg);
	cfg.stop_bits = 1;
	/* request and reply on the wire at this rate (8 + 7 bytes of 11 bits) */
	base = cfg.response_timeout_ms;
	cfg.response_timeout_ms = base + (unsigned)(15u * 11u * 1000u / baud);
	l = gw_cli_link_open("scan", &cfg);
	if (!l)
		return -1;
	if (scan_ids(l, set, false, res))
		memset(res, 0, sizeof(*res)); /* the line was lost: no answer counts */
	gw_link_free(l);
	return (int)res->answered;
}

/* One sweep setting's result: a text line when it got answers, or a JSON element. */
static void sweep_print(const struct scan_opts *o, uint32_t baud, char parity,
                        const struct scan_result *res, unsigned nth)
{
	if (o->json) {
		printf("%s{\"baud\":%u,\"parity\":\"%c\",\"answered\":%u,", nth ? "," : "",
		       (unsigned)baud, parity, res->answered);
		json_units(stdout, res);
		printf("}");
	} else if (res->answered) {
		printf("%u 8%c1: answers from unit ", (unsigned)baud, parity);
		print_found(stdout, res);
		printf("\n");
	}
	fflush(stdout);
}

static int sweep(const struct scan_opts *o, const uint8_t *set)
{
	unsigned hits = 0, tried = 0;

	if (o->json) {
		printf("{\"mode\":\"sweep\",\"link\":");
		gw_cli_json_str(stdout, o->line.port);
		printf(",\"settings\":[");
	}
	for (size_t b = 0; b < GW_ARRAY_LEN(sweep_bauds); b++) {
		for (size_t p = 0; p < sizeof(sweep_parities); p++) {
			struct scan_result res;
			int n = sweep_one(o, set, sweep_bauds[b], sweep_parities[p], &res);

			if (n < 0) {
				if (o->json)
					printf("],\"answering\":%u,\"error\":\"cannot open the "
					       "line\"}\n",
					       hits);
				return 1;
			}
			fprintf(stderr, "sweep: %u 8%c1: %s\n", (unsigned)sweep_bauds[b],
			        sweep_parities[p],
			        n ? "answers" : (res.garbled ? "garbled" : "silent"));
			hits += n > 0;
			sweep_print(o, sweep_bauds[b], sweep_parities[p], &res, tried++);
		}
	}
	if (o->json)
		printf("],\"answering\":%u,\"error\":null}\n", hits);
	else
		printf("summary: %u setting%s got answers\n", hits, hits == 1 ? "" : "s");
	if (!hits)
		fprintf(stderr, "hint: no setting got an answer. Check A/B wiring (try swapping), "
		                "sensor power, and the id range (--ids).\n");
	return hits ? 0 : 1;
}

int gw_cli_scan(int argc, char **argv)
{
	struct scan_opts o;
	uint8_t set[256];
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = parse_ids(&o, set);
	if (rc)
		return rc;
	return o.sweep ? sweep(&o, set) : scan_once(&o, set);
}
