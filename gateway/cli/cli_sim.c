/* `fieldgate sim`: serves the configured field as simulated Modbus slaves
 * (drivers/sim/sim.h) until SIGINT/SIGTERM, re-reading the fault file on SIGHUP.
 * Maps config buses and sensors onto the simulator; knows no Modbus itself. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_common.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "num.h"
#include "sim.h"
#include "simclock.h"
#include "tz.h"

struct sim_args {
	const char *config;
	const char *bus;
	const char *tcp;
	const char *rtu;
	const char *faults;
	unsigned flaky_s;  /* dtu buses: drop the link this long after each dial */
	const char *clock; /* --clock FILE: where the sim clock's anchor is written */
	struct gw_sim_opts opts;
	bool have_speed, have_seed, have_start; /* given on the command line */
};

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t hup_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_flag = 1;
	else
		stop_flag = 1;
}

static const char usage_text[] =
        "usage: fieldgate sim [-c gateway.yaml] [--bus NAME] [--tcp HOST:PORT] [--rtu "
        "LINK]\n"
        "                     [--faults FILE] [--speed X] [--seed N] [--start TIME]\n"
        "                     [--clock FILE]\n\n"
        "Serves the configured field as Modbus slaves: every sensor of a bus answers at "
        "its\n"
        "unit id with its profile's registers, filled with plausible values (soil "
        "moisture\n"
        "drying between rain events, diurnal soil temperature, probes under film warmer "
        "in\n"
        "daytime, light, nutrients, film-cover inputs).\n"
        "A tcp bus listens on its host:port (port 0: any free port). An rtu bus gets a "
        "pty\n"
        "pair whose slave end is symlinked at the bus's device path; it answers only when\n"
        "the master opened the line with the bus's baud rate and parity, and echoes each\n"
        "request first when the bus has echo: true.\n"
        "An rtu_tcp bus is served on its host:port as RTU frames over TCP. A "
        "dtu_server bus\n"
        "is a DTU that dials the bus's listen:port, sends its registration and "
        "heartbeats\n"
        "and answers RTU frames (--flaky: its link goes quiet and it dials again).\n"
        "Prints one line per bus served, then \"sim: ready\". Runs until SIGINT or "
        "SIGTERM,\n"
        "then removes its symlinks. SIGHUP re-reads the fault file.\n\n"
        "options:\n"
        "  -c, --config FILE    gateway.yaml (default: $FIELDGATE_CONFIG, else "
        "/etc/fieldgate/gateway.yaml)\n"
        "  -b, --bus NAME       serve only this bus\n"
        "  -t, --tcp HOST:PORT  serve the bus over Modbus TCP here instead\n"
        "  -r, --rtu LINK       serve the bus over RTU, pty slave linked at LINK, instead\n"
        "                       (--tcp/--rtu need --bus, or a config with one bus)\n"
        "  -f, --faults FILE    faults to inject, e.g.\n"
        "                         faults:\n"
        "                           - {sensor: soil-03, kind: silent}\n"
        "                           - {bus: tcp1, unit: 4, kind: exception, code: 4}\n"
        "                           - {sensor: soil-05, kind: slow, delay_ms: 1500}\n"
        "                           - {sensor: soil-06, kind: crc}  # tcp: garbled reply\n"
        "                           - {sensor: soil-07, kind: out_of_range}\n"
        "                           - {sensor: soil-08, kind: drop} # tcp: close; rtu: cut "
        "reply\n"
        "  -F, --flaky S        dtu_server buses: drop the link S s after each dial, "
        "dial again\n"
        "  -s, --speed X        simulated seconds per real second (default: sim.speed, "
        "else 1)\n"
        "  -S, --seed N         seed of the simulated weather and sensors (default: "
        "sim.seed,\n"
        "                       else 1)\n"
        "  -T, --start TIME     simulated local start time, YYYY-MM-DDTHH:MM[:SS] "
        "(default:\n"
        "                       sim.start, else now)\n"
        "  -C, --clock FILE     write the simulated clock's anchor to FILE, for `fieldgate "
        "run\n"
        "                       --sim-clock FILE` (demo and tests only: the daemon then "
        "stamps\n"
        "                       readings with simulated time and scales its intervals)\n"
        "  -h, --help           this text\n\n"
        "The config's sim section sets a season (demo and tests): start, speed, seed and\n"
        "each plot's film, e.g. sim: {start: 2023-04-01, speed: 86400, film: {XM-0002: "
        "never,\n"
        "XM-0003: {laid: 05-28}, JH-0002: {laid: 04-26, removed: 06-12}}}. A plot not "
        "listed\n"
        "has its film on all season if it has a probe under film.\n\n"
        "exit: 0 stopped by a signal, 1 a bus could not be served, 2 bad usage, config or "
        "faults\n";

static void usage(FILE *out)
{
	fputs(usage_text, out);
}

static int parse_start(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (!end || *end)
		return -EINVAL;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)t * 1000;
	return 0;
}

static int parse_opt(int c, const char *arg, struct sim_args *a)
{
	long seed;

	switch (c) {
	case 'c':
		a->config = arg;
		return 0;
	case 'b':
		a->bus = arg;
		return 0;
	case 't':
		a->tcp = arg;
		return 0;
	case 'r':
		a->rtu = arg;
		return 0;
	case 'f':
		a->faults = arg;
		return 0;
	case 'F':
		if (gw_num_long(arg, 1, 86400, &seed) == 0) {
			a->flaky_s = (unsigned)seed;
			return 0;
		}
		fprintf(stderr, "fieldgate sim: --flaky: want 1..86400 (got \"%s\")\n", arg);
		return -EINVAL;
	case 'C':
		a->clock = arg;
		return 0;
	case 's':
		a->have_speed = true;
		if (gw_num_double(arg, 0.001, 1e6, &a->opts.speed) == 0)
			return 0;
		fprintf(stderr, "fieldgate sim: --speed: want 0.001..1e6 (got \"%s\")\n", arg);
		return -EINVAL;
	case 'S':
		a->have_seed = true;
		if (gw_num_long(arg, 0, 0x7FFFFFFFL, &seed) == 0) {
			a->opts.seed = (uint64_t)seed;
			return 0;
		}
		fprintf(stderr, "fieldgate sim: --seed: want 0..2147483647 (got \"%s\")\n", arg);
		return -EINVAL;
	case 'T':
		a->have_start = true;
		if (parse_start(arg, &a->opts.start_ms) == 0)
			return 0;
		fprintf(stderr, "fieldgate sim: --start: want YYYY-MM-DDTHH:MM[:SS] (got \"%s\")\n",
		        arg);
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

/* Returns 0 to go on, 1 after --help, -EINVAL on bad usage (reported). */
static int parse_args(int argc, char **argv, struct sim_args *a)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'}, {"bus", required_argument, NULL, 'b'},
	        {"tcp", required_argument, NULL, 't'},    {"rtu", required_argument, NULL, 'r'},
	        {"faults", required_argument, NULL, 'f'}, {"speed", required_argument, NULL, 's'},
	        {"seed", required_argument, NULL, 'S'},   {"start", required_argument, NULL, 'T'},
	        {"flaky", required_argument, NULL, 'F'},  {"clock", required_argument, NULL, 'C'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	int c;

	memset(a, 0, sizeof(*a));
	a->opts.speed = 1.0;
	a->opts.seed = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:b:t:r:f:F:s:S:T:C:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (parse_opt(c, optarg, a))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "fieldgate sim: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->config)
		a->config = gw_cli_config_default();
	if (a->tcp && a->rtu) {
		fprintf(stderr, "fieldgate sim: give --tcp or --rtu, not both\n");
		return -EINVAL;
	}
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one. */
static int parse_hostport(const char *s, struct gw_sim_bus_cfg *b)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t hlen;
	long port;

	if (!colon || gw_num_long(colon + 1, 0, 65535, &port))
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(b->host))
		return -EINVAL;
	memcpy(b->host, host, hlen);
	b->host[hlen] = '\0';
	b->port = (uint16_t)port;
	return 0;
}

static bool plot_covered(const struct gw_config *cfg, const char *plot)
{
	if (!plot[0])
		return false;
	for (size_t i = 0; i < cfg->nsensors; i++)
		if (cfg->sensors[i].placement == GW_PLACE_UNDER_FILM &&
		    strcmp(cfg->sensors[i].plot, plot) == 0)
			return true;
	return false;
}

/* The plot's film as sim.film says, else on all season when it has a probe under film. */
static struct gw_sim_film film_of(const struct gw_config *cfg, const char *plot)
{
	const struct gw_film_plan *f = plot[0] ? gw_config_film(cfg, plot) : NULL;

	if (!f)
		return (struct gw_sim_film){.laid = plot_covered(cfg, plot)};
	return (struct gw_sim_film){.laid = f->laid, .on_md = f->laid_md, .off_md = f->removed_md};
}

static enum gw_sim_place place_of(enum gw_placement p)
{
	return p == GW_PLACE_UNDER_FILM ? GW_SIM_PLACE_UNDER_FILM
	       : p == GW_PLACE_BARE     ? GW_SIM_PLACE_BARE
	                                : GW_SIM_PLACE_NONE;
}

/* The units of bus bi, into units (room for cfg->nsensors). Returns how many. */
static size_t bus_units(const struct gw_config *cfg, size_t bi, struct gw_sim_unit_cfg *units)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];
		struct gw_sim_unit_cfg *u = &units[n];

		if (s->bus != bi)
			continue;
		memset(u, 0, sizeof(*u));
		snprintf(u->sensor, sizeof(u->sensor), "%s", s->id);
		snprintf(u->plot, sizeof(u->plot), "%s", s->plot);
		u->unit = s->unit;
		u->profile = s->profile;
		u->place = place_of(s->placement);
		u->film = film_of(cfg, s->plot);
		n++;
	}
	return n;
}

/* Where bus bi is served: as configured, or as --tcp/--rtu say. */
static int bus_where(const struct gw_config *cfg, size_t bi, const struct sim_args *a,
                     struct gw_sim_bus_cfg *out)
{
	const struct gw_bus_cfg *bus = &cfg->buses[bi];

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", bus->name);
	out->transport = bus->type == GW_BUS_TCP          ? GW_SIM_TCP
	                 : bus->type == GW_BUS_RTU_TCP    ? GW_SIM_RTU_TCP
	                 : bus->type == GW_BUS_DTU_SERVER ? GW_SIM_DTU
	                                                  : GW_SIM_RTU;
	out->baud = bus->baud;
	out->parity = bus->parity ? bus->parity : 'N';
	out->data_bits = bus->data_bits ? bus->data_bits : 8;
	out->echo = bus->echo;
	snprintf(out->link, sizeof(out->link), "%s", bus->device);
	snprintf(out->host, sizeof(out->host), "%s", bus->host[0] ? bus->host : "127.0.0.1");
	out->port = bus->port;
	if (bus->type == GW_BUS_DTU_SERVER) {
		/* the DTU dials the gateway's listener, as configured */
		snprintf(out->host, sizeof(out->host), "%s", bus->listen);
		memcpy(out->reg, bus->reg, bus->reglen);
		out->reglen = bus->reglen;
		out->reg_prefix = bus->reg_prefix;
		memcpy(out->heartbeat, bus->heartbeat, bus->hblen);
		out->hblen = bus->hblen;
		out->heartbeat_ms = (bus->heartbeat_s ? bus->heartbeat_s : 30) * 1000;
		out->flaky_ms = a->flaky_s * 1000;
	}
	if (a->tcp) {
		if (out->transport == GW_SIM_RTU)
			out->transport = GW_SIM_TCP;
		if (parse_hostport(a->tcp, out)) {
			fprintf(stderr, "fieldgate sim: --tcp: want HOST:PORT (got \"%s\")\n",
			        a->tcp);
			return -EINVAL;
		}
	} else if (a->rtu) {
		out->transport = GW_SIM_RTU;
		snprintf(out->link, sizeof(out->link), "%s", a->rtu);
	}
	if (out->transport == GW_SIM_RTU && !out->link[0]) {
		fprintf(stderr, "fieldgate sim: bus %s: no device path to link (use --rtu)\n",
		        bus->name);
		return -EINVAL;
	}
	return 0;
}

/* Picks the buses to serve into sel[]; returns how many, or -EINVAL. */
static int select_buses(const struct gw_config *cfg, const struct sim_args *a, size_t *sel)
{
	const struct gw_bus_cfg *b;

	if (a->bus) {
		b = gw_config_bus(cfg, a->bus);
		if (!b) {
			fprintf(stderr, "fieldgate sim: --bus: no bus \"%s\" in %s\n", a->bus,
			        cfg->path);
			return -EINVAL;
		}
		sel[0] = (size_t)(b - cfg->buses);
		return 1;
	}
	if ((a->tcp || a->rtu) && cfg->nbuses != 1) {
		fprintf(stderr, "fieldgate sim: --tcp/--rtu need --bus NAME (%s has %zu buses)\n",
		        cfg->path, cfg->nbuses);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->nbuses; i++)
		sel[i] = i;
	return (int)cfg->nbuses;
}

/* Opens every selected bus and prints where. Returns 0, -EINVAL (usage) or
 * another -errno (a bus could not be served). */
static int serve_buses(struct gw_sim *sim, const struct gw_config *cfg, const struct sim_args *a)
{
	size_t *sel = calloc(cfg->nbuses ? cfg->nbuses : 1, sizeof(*sel));
	struct gw_sim_unit_cfg *units = calloc(cfg->nsensors ? cfg->nsensors : 1, sizeof(*units));
	struct gw_sim_bus_cfg bc;
	char line[600];
	int n, rc = -ENOMEM;

	if (!sel || !units)
		goto out_free;
	rc = n = select_buses(cfg, a, sel);
	for (int i = 0; i < n; i++) {
		rc = bus_where(cfg, sel[i], a, &bc);
		if (rc)
			break;
		bc.units = units;
		bc.nunits = bus_units(cfg, sel[i], units);
		rc = gw_sim_add_bus(sim, &bc);
		if (rc) {
			fprintf(stderr, "fieldgate sim: bus %s: cannot serve: %s\n", bc.name,
			        strerror(-rc));
			break;
		}
		if (gw_sim_describe(sim, gw_sim_nbuses(sim) - 1, line, sizeof(line)) == 0)
			printf("sim: %s\n", line);
	}
	fflush(stdout);
out_free:
	free(units);
	free(sel);
	return rc < 0 ? rc : 0;
}

static int load_faults(struct gw_sim *sim, const char *path, bool reload)
{
	struct gw_diag d;
	int n;

	gw_diag_init(&d, stderr);
	n = gw_sim_load_faults(sim, path, &d);
	if (n < 0) {
		fprintf(stderr, "fieldgate sim: %s: faults not loaded%s\n", path,
		        reload ? " (the faults in force stay)" : "");
		return n;
	}
	printf("sim: faults loaded (%d)\n", n);
	fflush(stdout);
	return 0;
}

/* Blocks the stop/reload signals outside ppoll; *wait_mask unblocks them there. */
static void signals_setup(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGHUP);
}

static int run_loop(struct gw_sim *sim, const struct sim_args *a)
{
	sigset_t wait_mask;
	int rc = 0;

	stop_flag = hup_flag = 0;
	signals_setup(&wait_mask);
	printf("sim: ready\n");
	fflush(stdout);
	while (!stop_flag) {
		if (hup_flag) {
			hup_flag = 0;
			if (a->faults)
				load_faults(sim, a->faults, true);
		}
		rc = gw_sim_step(sim, -1, &wait_mask);
		if (rc && rc != -EINTR) {
			gw_log(GW_ERR, "sim", "poll failed: %s", strerror(-rc));
			return 1;
		}
	}
	return 0;
}

/* The sim section's season, where the command line did not say otherwise. */
static void season_opts(const struct gw_config *cfg, struct sim_args *a)
{
	if (!a->have_speed && cfg->sim.speed > 0)
		a->opts.speed = cfg->sim.speed;
	if (!a->have_seed && cfg->sim.seed >= 0)
		a->opts.seed = (uint64_t)cfg->sim.seed;
	if (!a->have_start && cfg->sim.start_ms)
		a->opts.start_ms = cfg->sim.start_ms;
}

static int write_clock(const struct gw_sim *sim, const char *path)
{
	struct gw_simclock c;
	char at[40];
	int rc;

	gw_sim_clock(sim, &c);
	rc = gw_simclock_save(path, &c);
	if (rc) {
		fprintf(stderr, "fieldgate sim: --clock %s: cannot write: %s\n", path,
		        strerror(-rc));
		return rc;
	}
	if (gw_clock_rfc3339(c.start_ms, at, sizeof(at)))
		at[0] = '\0';
	printf("sim: clock %s from %s at %g x real time\n", path, at, c.speed);
	fflush(stdout);
	return 0;
}

int gw_cli_sim(int argc, char **argv)
{
	struct sim_args a;
	struct gw_config *cfg = NULL;
	struct gw_sim *sim;
	struct gw_diag d;
	int rc = parse_args(argc, argv, &a);

	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	gw_diag_init(&d, stderr);
	if (gw_config_load(a.config, &d, &cfg))
		return 2;
	gw_tz_use(cfg->timezone); /* the field's days and noons are the gateway's zone's */
	season_opts(cfg, &a);
	sim = gw_sim_new(&a.opts);
	if (!sim) {
		rc = 1;
		goto out_config;
	}
	rc = serve_buses(sim, cfg, &a);
	if (rc) {
		rc = rc == -EINVAL ? 2 : 1;
		goto out_sim;
	}
	if (a.faults && load_faults(sim, a.faults, false)) {
		rc = 2;
		goto out_sim;
	}
	if (a.clock && write_clock(sim, a.clock)) {
		rc = 1;
		goto out_sim;
	}
	rc = run_loop(sim, &a);
out_sim:
	gw_sim_free(sim);
out_config:
	gw_config_free(cfg);
	return rc;
}
