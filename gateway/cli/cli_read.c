/* `fieldgate read`: one decoded reading of one sensor through its profile (a
 * table, or the reading's JSON), or with --raw any registers shown in every
 * type and byte order, to work out an undocumented map. Never writes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "clock.h"
#include "decode.h"
#include "device.h"
#include "plan.h"
#include "reading.h"

#define READ_TIMEOUT_MS 1000

struct read_opts {
	struct gw_cli_opts line;
	bool json, raw;
	long addr, count;
	enum gw_regkind kind;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate read --port DEV|--tcp HOST:PORT --unit N --profile NAME "
	        "[--json]\n"
	        "       fieldgate read --port DEV|--tcp HOST:PORT --unit N --raw --addr A [--count "
	        "N]\n"
	        "                      [--function holding|input|coil|discrete]\n\n"
	        "Reads one sensor once. With a profile, prints each value with its unit and\n"
	        "quality (or, with --json, the reading as the gateway publishes it). With --raw,\n"
	        "prints the registers as hex, uint16 and int16, and each pair as int32, uint32 "
	        "and\n"
	        "float32 in all four byte orders.\n\n"
	        "  --unit N            the sensor's unit id (1..247 on a serial line)\n"
	        "  --json              print the reading as JSON\n"
	        "  --raw               read registers without a profile\n"
	        "  --addr A            first register (decimal or 0x hex)\n"
	        "  --count N           registers to read (default 1; up to 125, or 2000 bits)\n"
	        "  --function F        holding (default), input, coil or discrete\n"
	        "  --timeout-ms MS     (default %d)\n\n"
	        "%s\n"
	        "exit status: 0 read, 1 the sensor did not answer (or a block failed), 2 bad "
	        "usage.\n",
	        READ_TIMEOUT_MS, gw_cli_link_help);
}

static int parse_kind(const char *s, enum gw_regkind *out)
{
	for (int k = 0; k < GW_REG_COUNT; k++) {
		if (strcmp(s, gw_regkind_name((enum gw_regkind)k)) == 0) {
			*out = (enum gw_regkind)k;
			return 0;
		}
	}
	fprintf(stderr,
	        "fieldgate read: --function: bad value \"%s\" "
	        "(want holding, input, coil or discrete)\n",
	        s);
	return -EINVAL;
}

static int take_own(void *user, int opt, const char *arg)
{
	struct read_opts *o = user;

	switch (opt) {
	case GW_OPT_OWN:
		o->json = true;
		return 0;
	case GW_OPT_OWN + 1:
		o->raw = true;
		return 0;
	case GW_OPT_OWN + 2:
		return gw_cli_parse_long("read", "--addr", arg, 0, 65535, &o->addr);
	case GW_OPT_OWN + 3:
		return gw_cli_parse_long("read", "--count", arg, 1, GW_MAX_BITS, &o->count);
	case GW_OPT_OWN + 4:
		return parse_kind(arg, &o->kind);
	default:
		return -EINVAL;
	}
}

static int check_raw(const struct read_opts *o)
{
	bool bits = o->kind == GW_REG_COIL || o->kind == GW_REG_DISCRETE;

	if (o->addr < 0) {
		fprintf(stderr, "fieldgate read: --raw needs --addr A\n");
		return 2;
	}
	if (!bits && o->count > GW_MAX_REGS) {
		fprintf(stderr, "fieldgate read: --count: at most %d registers\n", GW_MAX_REGS);
		return 2;
	}
	if (o->addr + o->count > 65536) {
		fprintf(stderr, "fieldgate read: --addr + --count go past register 65535\n");
		return 2;
	}
	return 0;
}

static int parse(int argc, char **argv, struct read_opts *o)
{
	static const struct option own[] = {
	        {"json", no_argument, NULL, GW_OPT_OWN},
	        {"raw", no_argument, NULL, GW_OPT_OWN + 1},
	        {"addr", required_argument, NULL, GW_OPT_OWN + 2},
	        {"count", required_argument, NULL, GW_OPT_OWN + 3},
	        {"function", required_argument, NULL, GW_OPT_OWN + 4},
	        {NULL, 0, NULL, 0},
	};
	int rc;

	memset(o, 0, sizeof(*o));
	o->addr = -1;
	o->count = 1;
	o->kind = GW_REG_HOLDING;
	rc = gw_cli_getopt(argc, argv, own, take_own, o, &o->line);
	if (rc == 1)
		usage(stdout);
	if (rc)
		return rc == 1 ? -1 : rc;
	if (o->raw && check_raw(o))
		return 2;
	return gw_cli_opts_finish(&o->line, true, !o->raw);
}

static void print_failure(const char *what, int unit, int rc, int exc)
{
	if (rc == -EREMOTEIO)
		fprintf(stderr, "fieldgate read: unit %d on %s: exception %d (%s)\n", unit, what,
		        exc, gw_cli_exception_name(exc));
	else
		fprintf(stderr, "fieldgate read: unit %d on %s did not answer: %s\n", unit, what,
		        rc == -EBADMSG ? "garbled reply (CRC or framing)" : strerror(-rc));
}

static int read_raw(const struct read_opts *o, struct gw_link *l, const char *what)
{
	uint16_t words[GW_MAX_BITS];
	int exc = 0;
	int rc = gw_link_read(l, (int)o->line.unit, o->kind, (uint16_t)o->addr, (uint16_t)o->count,
	                      words, &exc);

	if (rc) {
		print_failure(what, (int)o->line.unit, rc, exc);
		return 1;
	}
	gw_decode_print_raw(stdout, (uint16_t)o->addr, words, (size_t)o->count);
	return 0;
}

static void print_table(const struct gw_profile *p, const struct gw_device_result *res, int unit,
                        const char *what)
{
	printf("unit %d on %s, profile %s\n", unit, what, p->name);
	printf("%-20s %14s  %-8s %s\n", "name", "value", "unit", "quality");
	for (size_t i = 0; i < p->npoints; i++) {
		const struct gw_point *pt = &p->points[i];
		enum gw_quality q = (enum gw_quality)res->quality[i];
		char val[32];

		if (q == GW_Q_GOOD || q == GW_Q_OUT_OF_RANGE)
			snprintf(val, sizeof(val), "%.*f", pt->decimals, res->values[i]);
		else
			snprintf(val, sizeof(val), "-");
		printf("%-20s %14s  %-8s %s\n", pt->name, val, pt->unit, gw_quality_name(q));
	}
}

static int print_json(const struct gw_profile *p, const struct gw_device_result *res, int unit)
{
	struct gw_reading r;
	char sensor[32], buf[8192];
	int n;

	memset(&r, 0, sizeof(r));
	snprintf(sensor, sizeof(sensor), "unit-%d", unit);
	r.ts_ms = gw_clock_wall_ms();
	r.sensor_id = sensor;
	r.profile = p;
	r.unsynced = !gw_clock_is_synced();
	memcpy(r.values, res->values, sizeof(r.values));
	memcpy(r.quality, res->quality, sizeof(r.quality));
	n = gw_reading_json(&r, NULL, buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "fieldgate read: cannot format the reading: %s\n", strerror(-n));
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int read_decoded(const struct read_opts *o, struct gw_link *l, const char *what)
{
	const struct gw_profile *p = &o->line.profile;
	struct gw_device_result res;
	struct gw_plan plan;
	int rc;

	if (gw_plan_build(p, 0, -1, &plan)) {
		fprintf(stderr, "fieldgate read: profile %s: cannot plan its reads\n", p->name);
		return 2;
	}
	memset(&res, 0, sizeof(res));
	rc = gw_device_read(l, (int)o->line.unit, p, &plan, 1, 0, &res);
	if (rc && res.failed_blocks >= plan.nblocks) {
		print_failure(what, (int)o->line.unit, rc, res.exception);
		return 1;
	}
	if (rc)
		fprintf(stderr, "fieldgate read: %u of %zu blocks failed\n", res.failed_blocks,
		        plan.nblocks);
	if (o->json)
		return (print_json(p, &res, (int)o->line.unit) || rc) ? 1 : 0;
	print_table(p, &res, (int)o->line.unit, what);
	return rc ? 1 : 0;
}

int gw_cli_read(int argc, char **argv)
{
	struct read_opts o;
	struct gw_link_cfg cfg;
	struct gw_link *l;
	char what[300];
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	gw_cli_link_cfg(&o.line, READ_TIMEOUT_MS, &cfg);
	gw_cli_link_describe(&cfg, what, sizeof(what));
	l = gw_cli_link_open("read", &cfg);
	if (!l)
		return 1;
	rc = o.raw ? read_raw(&o, l, what) : read_decoded(&o, l, what);
	gw_link_free(l);
	return rc;
}
