/* `fieldgate run`: the daemon. Opens the journal, starts the sinks (MQTT, InfluxDB)
 * and the poller on the config, and hands the readings to delivery (journal first, then
 * --output printing and the sinks). Stops on SIGINT/SIGTERM after the readings already
 * taken are committed and the sinks had a few seconds to send them; SIGHUP reloads
 * (service.h). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "acceptance.h"
#include "chain.h"
#include "cli.h"
#include "cli_common.h"
#include "clock.h"
#include "crypto.h"
#include "config.h"
#include "console.h"
#include "journal_writer.h"
#include "hhref.h"
#include "journal.h"
#include "log.h"
#include "num.h"
#include "poller.h"
#include "preflight.h"
#include "records.h"
#include "service.h"
#include "simclock.h"
#include "sinks.h"
#include "tz.h"

/* How long the sinks keep sending what is committed once polling has ended. */
#define ONCE_DRAIN_MS 15000
#define STOP_DRAIN_MS 5000

struct run_opts {
	const char *path;
	const char *level;
	const char *sim_clock; /* demo and tests only */
	enum gw_output out;
	bool once;
	bool flat_out;
	bool stats;
	long duration_s;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate run [-c gateway.yaml] [--once] [--output stdout|text]\n\n"
	        "Polls every configured sensor on its schedule until SIGINT or SIGTERM;\n"
	        "SIGHUP reloads FILE (a bad one is logged and the running config stays).\n\n"
	        "  -c, --config FILE     gateway.yaml (default: $FIELDGATE_CONFIG, else "
	        "/etc/fieldgate/gateway.yaml)\n"
	        "      --once            poll every sensor once, deliver (sinks get up to 15 s), "
	        "exit\n"
	        "  -o, --output stdout   also print each reading as one JSON line (DESIGN.md)\n"
	        "  -o, --output text     also print each reading as one human-readable line\n"
	        "      --log-level L     err|warn|notice|info|debug (default: the config's)\n"
	        "      --duration S      stop by itself after S seconds\n"
	        "      --flat-out        ignore intervals, poll as fast as the plan allows "
	        "(benchmarks)\n"
	        "      --stats           print readings, CPU time and peak RSS on exit (stderr)\n"
	        "      --sim-clock FILE  DEMO AND TESTS ONLY: run on the simulated clock that\n"
	        "                        `fieldgate sim --clock FILE` wrote: readings carry\n"
	        "                        simulated time and interval_s counts simulated seconds\n"
	        "exit: 0 done, 1 runtime failure, 2 bad usage or config\n");
}

static int parse_output(const char *s, enum gw_output *out)
{
	if (strcmp(s, "stdout") == 0 || strcmp(s, "json") == 0)
		*out = GW_OUT_JSON;
	else if (strcmp(s, "text") == 0)
		*out = GW_OUT_TEXT;
	else if (strcmp(s, "none") == 0)
		*out = GW_OUT_NONE;
	else
		return -EINVAL;
	return 0;
}

/* For benchmarks: what this process used, in a form scripts can parse. */
static void print_stats(uint64_t count)
{
	struct rusage ru;
	double cpu;

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	fprintf(stderr, "stats: readings=%llu cpu_s=%.3f cpu_us_per_reading=%.2f max_rss_kb=%ld\n",
	        (unsigned long long)count, cpu, count ? cpu * 1e6 / (double)count : 0.0,
	        ru.ru_maxrss);
}

/* The gateway's Ed25519 key (data_dir/gateway.key, made at first run) that signs each seal. */
static int signer_load(const struct gw_config *cfg, struct gw_chain_signer *s)
{
	uint8_t pk[GW_PUBKEY_LEN];
	int rc = gw_crypto_gateway_key(cfg->data_dir, s->sk, pk);

	if (rc)
		gw_log(GW_ERR, "run", "cannot read or make %s/" GW_GATEWAY_KEY ": %s",
		       cfg->data_dir, strerror(-rc));
	snprintf(s->gateway, sizeof(s->gateway), "%s", cfg->gateway_id);
	return rc;
}

/* The technician's page, when the config has a console section. */
static void start_console(const struct gw_config *cfg, struct gw_poller *p, struct gw_sinks *sinks,
                          const struct gw_records *recs, struct gw_console **out)
{
	struct gw_console_env env = {.cfg = cfg,
	                             .poller = p,
	                             .metrics = &sinks->metrics,
	                             .recs = recs,
	                             .validate = gw_service_validate_text,
	                             .reload = gw_service_request_reload};

	if (gw_console_start(&env, out))
		gw_log(GW_ERR, "run", "the console did not start (see above); polling goes on");
}

static int serve(const struct gw_config *cfg, const struct gw_records *recs, const uint8_t *hh_key,
                 const struct gw_chain_signer *signer, struct gw_journal *j,
                 const struct run_opts *o, struct gw_service *svc)
{
	struct gw_poll_opts po = {.once = o->once, .flat_out = o->flat_out};
	struct gw_journal_writer_opts dopts = {.out = o->out, .stop = gw_service_stop_flag()};
	struct gw_poller *p = gw_poller_new(cfg, &po);
	struct gw_sinks sinks;
	struct gw_console *console = NULL;
	char status[128];
	uint64_t count = 0;
	int rc;

	if (!p) { /* not the config: gw_preflight_check passed it */
		gw_log(GW_ERR, "run", "cannot set up the poller: out of memory");
		return 1;
	}
	rc = gw_sinks_start(&sinks, cfg, p, recs, hh_key, o->once ? ONCE_DRAIN_MS : STOP_DRAIN_MS);
	if (rc) {
		gw_poller_free(p);
		return 1;
	}
	dopts.bell = &sinks.bell;
	dopts.metrics = &sinks.metrics;
	svc->metrics = &sinks.metrics; /* STATUS= health line; tick stops with the writer */
	dopts.records = recs;
	dopts.hh_key = hh_key;
	dopts.signer = signer;
	if (o->duration_s)
		dopts.end_mono_ms = gw_clock_mono_ms() + o->duration_s * 1000;
	dopts.tick = gw_service_tick;
	dopts.tick_arg = svc;
	gw_log(GW_NOTICE, "run", "gateway=%s buses=%zu sensors=%zu journal=%s/journal.db%s",
	       cfg->gateway_id, cfg->nbuses, cfg->nsensors, cfg->data_dir, o->once ? " once" : "");
	rc = gw_poller_start(p);
	if (rc == 0 && !o->once) /* secondary, as /metrics: polling goes on without it */
		start_console(cfg, p, &sinks, recs, &console);
	snprintf(status, sizeof(status), "polling %zu sensors on %zu buses", cfg->nsensors,
	         cfg->nbuses);
	if (rc == 0)
		gw_service_ready(svc, status);
	if (rc == 0)
		rc = gw_journal_writer_run(cfg, p, j, &dopts, &count);
	gw_service_stopping(svc);
	gw_console_stop(console); /* before the poller: it hands actions to the bus threads */
	gw_poller_stop(p);
	gw_sinks_stop(&sinks);
	gw_poller_free(p);
	if (o->stats)
		print_stats(count);
	return rc ? 1 : 0;
}

/* The journal's directory is data_dir; its parent must exist (as for a StateDirectory). */
static struct gw_journal *open_journal(const struct gw_config *cfg)
{
	struct gw_journal *j;
	int err = 0;

	j = gw_journal_open(cfg->data_dir, NULL, &err);
	if (!j)
		gw_log(GW_ERR, "run", "cannot open the journal in %s: %s", cfg->data_dir,
		       strerror(-err));
	else /* a change of the rules in force is evidence too; a failure is logged */
		gw_acceptance_record_rules(cfg, j, gw_clock_wall_ms());
	return j;
}

/* Returns 0, 1 for --help, or -EINVAL for bad usage. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"once", no_argument, NULL, '1'},
	        {"output", required_argument, NULL, 'o'},
	        {"log-level", required_argument, NULL, 'l'},
	        {"duration", required_argument, NULL, 'd'},
	        {"flat-out", no_argument, NULL, 'f'},
	        {"stats", no_argument, NULL, 's'},
	        {"sim-clock", required_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	enum gw_level lv;
	int c;

	while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		if (c == 'c')
			o->path = optarg;
		else if (c == '1')
			o->once = true;
		else if (c == 'f')
			o->flat_out = true;
		else if (c == 's')
			o->stats = true;
		else if (c == 'k')
			o->sim_clock = optarg;
		else if (c == 'l' && gw_log_parse_level(optarg, &lv) == 0)
			o->level = optarg;
		else if (c == 'd' && gw_num_long(optarg, 1, 86400 * 365, &o->duration_s) == 0)
			continue;
		else if (c == 'o' && parse_output(optarg, &o->out) == 0)
			continue;
		else if (c == 'h')
			return 1;
		else
			return -EINVAL;
	}
	if (!o->path)
		o->path = gw_cli_config_default();
	return optind == argc ? 0 : -EINVAL;
}

/* --sim-clock: the simulator's clock replaces the wall clock (before any thread starts). */
static int use_sim_clock(const char *path)
{
	struct gw_simclock c;
	struct gw_diag d;
	char now[40];
	int rc;

	gw_diag_init(&d, stderr);
	rc = gw_simclock_load(path, &c, &d);
	if (rc == -EINVAL)
		return rc;
	if (rc) {
		fprintf(stderr, "%s: error: cannot read the sim clock: %s\n", path, strerror(-rc));
		return rc;
	}
	gw_clock_use_sim(&c);
	if (gw_clock_rfc3339(gw_clock_wall_ms(), now, sizeof(now)))
		now[0] = '\0';
	gw_log(GW_NOTICE, "run",
	       "SIMULATED CLOCK from %s (demo/test only): now %s, %g x real time; readings carry "
	       "simulated time",
	       path, now, c.speed);
	return 0;
}

/* Loads what `run` needs and refuses a config before anything starts: every check here is
 * also `check`'s and the reload validation's (gw_service_validate). Returns 0, or the exit
 * code (2 for the config or records, 1 for no memory). */
static int load(struct gw_service *svc, const struct run_opts *o, struct gw_config **cfg,
                struct gw_records **recs)
{
	const char *where = "";
	struct gw_diag d;
	enum gw_level lv;
	int rc;

	gw_diag_init(&d, stderr);
	rc = gw_service_load_config(svc, &d, cfg);
	if (rc == 0) {
		rc = gw_records_load(*cfg, &d, recs);
		where = rc ? " in the records" : "";
		if (rc == 0 && gw_preflight_check(*cfg, &d))
			rc = -EINVAL;
	}
	if (rc) {
		fprintf(stderr, "%s: %d error(s)%s; nothing started\n", o->path, d.nerrors, where);
		gw_records_free(*recs);
		gw_config_free(*cfg);
		*recs = NULL;
		*cfg = NULL;
		return rc == -ENOMEM ? 1 : 2;
	}
	gw_tz_use((*cfg)->timezone); /* every local day is the zone's, before any thread starts */
	if (gw_log_parse_level(o->level ? o->level : (*cfg)->log_level, &lv) == 0)
		gw_log_set_level(lv);
	if (svc->fell_back)
		gw_log(GW_WARN, "run", "running on the config %s had before the failed reload",
		       o->path);
	return o->sim_clock && use_sim_clock(o->sim_clock) ? 2 : 0;
}

int gw_cli_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	uint8_t hh_key[GW_HHREF_KEY_LEN];
	struct gw_chain_signer signer = {0};
	struct gw_journal *j = NULL;
	struct gw_service svc;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	/* One malloc arena for every thread: the daemon's threads allocate little and seldom,
	 * and each arena of its own kept ~100-300 KB resident (glibc; a no-op elsewhere). Blocks
	 * of 64 KB and more (the reading queue's ring, the sinks' batch buffers) are mapped on
	 * their own: only the pages used become resident, and calloc need not clear them (glibc
	 * otherwise raises this threshold as such blocks are freed and puts later ones on the
	 * heap, where calloc touches every page). */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	gw_service_init(&svc, o.path, o.once);
	rc = load(&svc, &o, &cfg, &recs);
	if (rc == 0) {
		j = open_journal(cfg);
		rc = j ? gw_hhref_key(cfg->data_dir, hh_key) : -EIO;
		if (j && rc)
			gw_log(GW_ERR, "run", "cannot read or make %s/household.key: %s",
			       cfg->data_dir, strerror(-rc));
		rc = rc ? rc : signer_load(cfg, &signer);
		rc = rc ? 1 : serve(cfg, recs, hh_key, &signer, j, &o, &svc);
		explicit_bzero(hh_key, sizeof(hh_key));
		gw_crypto_wipe(&signer, sizeof(signer));
	}
	gw_journal_close(j);
	gw_records_free(recs);
	gw_config_free(cfg);
	if (svc.reexec)
		rc = gw_service_reexec(&svc, argc, argv) ? 1 : rc;
	else if (rc && !svc.ready && svc.fallback_text)
		gw_service_fallback(&svc, argc, argv); /* returns only when it cannot go back */
	gw_service_free(&svc);
	return rc;
}
