/* `fieldgate set-address`: changes a sensor's unit id (and optionally its baud
 * rate) through the registers its profile names, then checks the result by
 * reading the unit register back. Refuses models whose addressing is unknown. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "commission.h"

#define SETADDR_TIMEOUT_MS 1000

struct setaddr_opts {
	struct gw_cli_opts line;
	long new_unit;
	uint32_t new_baud;
	uint16_t baud_code;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate set-address --port DEV|--tcp HOST:PORT --unit N --new-unit M\n"
	        "                             --profile NAME [--new-baud B] [options]\n\n"
	        "Changes a sensor's unit id through the registers its profile names, then reads\n"
	        "the unit register back at the new id to check. Models that apply the change only\n"
	        "after a power cycle are told so; the register is still checked. Connect one\n"
	        "sensor at a time: every sensor at unit N would take the new id.\n\n"
	        "  --unit N            the sensor's current unit id\n"
	        "  --new-unit M        the id to give it (1..247)\n"
	        "  --new-baud B        also change its baud rate (when the profile knows how)\n"
	        "  --timeout-ms MS     (default %d)\n\n"
	        "%s\n"
	        "exit status: 0 changed (or written, pending a power cycle), 1 the sensor did not\n"
	        "answer or the change did not stick, 2 bad usage or a profile that cannot change\n"
	        "addresses.\n",
	        SETADDR_TIMEOUT_MS, gw_cli_link_help);
}

static int take_own(void *user, int opt, const char *arg)
{
	struct setaddr_opts *o = user;

	if (opt == GW_OPT_OWN)
		return gw_cli_parse_long("set-address", "--new-unit", arg, 1, 247, &o->new_unit);
	if (opt != GW_OPT_OWN + 1)
		return -EINVAL;
	if (gw_cli_parse_baud(arg, &o->new_baud)) {
		fprintf(stderr, "fieldgate set-address: --new-baud: unsupported rate \"%s\"\n",
		        arg);
		return -EINVAL;
	}
	return 0;
}

static int parse(int argc, char **argv, struct setaddr_opts *o)
{
	static const struct option own[] = {
	        {"new-unit", required_argument, NULL, GW_OPT_OWN},
	        {"new-baud", required_argument, NULL, GW_OPT_OWN + 1},
	        {NULL, 0, NULL, 0},
	};
	int rc;

	memset(o, 0, sizeof(*o));
	o->new_unit = -1;
	rc = gw_cli_getopt(argc, argv, own, take_own, o, &o->line);
	if (rc == 1)
		usage(stdout);
	if (rc)
		return rc == 1 ? -1 : rc;
	if (o->new_unit < 0) {
		fprintf(stderr, "fieldgate set-address: --new-unit M is required\n");
		return 2;
	}
	return gw_cli_opts_finish(&o->line, true, true);
}

/* Checks the profile can do what was asked. Returns 0 or exit code 2. */
static int check_profile(struct setaddr_opts *o)
{
	const struct gw_profile *p = &o->line.profile;
	const struct gw_addressing *a = &p->addressing;

	if (!a->known) {
		fprintf(stderr, "fieldgate set-address: profile %s cannot change the address: %s\n",
		        p->name, a->note[0] ? a->note : "its address registers are unknown");
		return 2;
	}
	if (!o->new_baud)
		return 0;
	for (int i = 0; a->has_baud && i < a->nbaud; i++) {
		if (a->baud_rate[i] == o->new_baud) {
			o->baud_code = a->baud_code[i];
			return 0;
		}
	}
	fprintf(stderr, "fieldgate set-address: profile %s cannot set %u baud%s\n", p->name,
	        (unsigned)o->new_baud, a->has_baud ? " (not one of its rates)" : "");
	return 2;
}

static int write_reg(struct gw_link *l, int unit, uint16_t reg, uint16_t value, const char *what)
{
	int exc = 0;
	int rc = gw_link_write_register(l, unit, reg, value, &exc);

	if (rc == -EREMOTEIO) {
		fprintf(stderr, "fieldgate set-address: writing %s: exception %d (%s)\n", what, exc,
		        gw_cli_exception_name(exc));
		return rc;
	}
	/* Some sensors answer from the new id, or not at all: the read-back decides. */
	if (rc)
		fprintf(stderr,
		        "fieldgate set-address: writing %s: no clean reply (%s); checking\n", what,
		        rc == -EBADMSG ? "garbled" : strerror(-rc));
	return 0;
}

/* Writes the new id (and baud). Returns 0, or exit code 1 after reporting. */
static int write_changes(const struct setaddr_opts *o, struct gw_link *l)
{
	const struct gw_addressing *a = &o->line.profile.addressing;
	int unit = (int)o->line.unit;
	uint16_t v;
	int rc = gw_comm_read_unit_reg(l, a, unit, &v);

	if (rc && rc != -EREMOTEIO) {
		fprintf(stderr,
		        "fieldgate set-address: unit %d did not answer (%s); nothing written\n",
		        unit, rc == -EBADMSG ? "garbled reply" : strerror(-rc));
		return 1;
	}
	if (write_reg(l, unit, a->unit_reg, (uint16_t)o->new_unit, "the unit id"))
		return 1;
	printf("unit %d: wrote %ld to the unit register 0x%04X\n", unit, o->new_unit,
	       (unsigned)a->unit_reg);
	if (!o->new_baud)
		return 0;
	/* a sensor that applies the id at once already listens at the new one */
	unit = a->needs_power_cycle ? unit : (int)o->new_unit;
	if (write_reg(l, unit, a->baud_reg, o->baud_code, "the baud rate"))
		return 1;
	printf("unit %d: wrote %u (%u baud) to the baud register 0x%04X\n", unit,
	       (unsigned)o->baud_code, (unsigned)o->new_baud, (unsigned)a->baud_reg);
	return 0;
}

/* Reads the unit register back. Returns the exit code. */
static int verify(const struct setaddr_opts *o, struct gw_link *l)
{
	const struct gw_addressing *a = &o->line.profile.addressing;
	int old = (int)o->line.unit, m = (int)o->new_unit;

	switch (gw_comm_verify_unit(l, a, old, m)) {
	case GW_SETADDR_CHANGED:
		printf("unit %d answers: address changed\n", m);
		return 0;
	case GW_SETADDR_PENDING:
		printf("unit %d now holds %d in its unit register; power the sensor off "
		       "and "
		       "on to apply it, then check with: fieldgate read --unit %d ...\n",
		       old, m, m);
		return 0;
	case GW_SETADDR_STILL_OLD:
		fprintf(stderr,
		        "fieldgate set-address: unit %d still answers at %d (register holds "
		        "%d): it may need a power cycle\n",
		        m, old, m);
		return 1;
	case GW_SETADDR_UNCONFIRMED:
		break;
	}
	fprintf(stderr, "fieldgate set-address: could not confirm unit %d%s\n", m,
	        a->needs_power_cycle ? " (power-cycle the sensor and try: fieldgate read)" : "");
	return 1;
}

int gw_cli_set_address(int argc, char **argv)
{
	struct setaddr_opts o;
	struct gw_link_cfg cfg;
	struct gw_link *l;
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = check_profile(&o);
	if (rc)
		return rc;
	if (o.line.profile.addressing.needs_power_cycle)
		printf("note: %s applies a new address after a power cycle\n", o.line.profile.name);
	if (o.line.profile.addressing.note[0])
		printf("note: %s\n", o.line.profile.addressing.note);
	gw_cli_link_cfg(&o.line, SETADDR_TIMEOUT_MS, &cfg);
	l = gw_cli_link_open("set-address", &cfg);
	if (!l)
		return 1;
	rc = write_changes(&o, l);
	if (rc == 0 && o.new_baud && !o.line.profile.addressing.needs_power_cycle) {
		/* the sensor now talks at the new rate: follow it */
		gw_link_free(l);
		cfg.baud = o.new_baud;
		l = gw_cli_link_open("set-address", &cfg);
		if (!l)
			return 1;
	}
	if (rc == 0)
		rc = verify(&o, l);
	gw_link_free(l);
	return rc;
}
