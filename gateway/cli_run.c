/* `fieldgate run`: the daemon. Starts the poller on the config and drains its
 * readings; with --output, prints each one (JSON lines or a human line).
 * Stops on SIGINT/SIGTERM after the readings already taken are handled. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "num.h"
#include "poller.h"
#include "reading.h"

enum output { OUT_NONE, OUT_JSON, OUT_TEXT };

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate run -c gateway.yaml [--once] [--output stdout|text]\n\n"
	        "Polls every configured sensor on its schedule until SIGINT or SIGTERM.\n\n"
	        "  -c, --config FILE     gateway.yaml\n"
	        "      --once            poll every sensor once, deliver, exit\n"
	        "  -o, --output stdout   also print each reading as one JSON line (DESIGN.md)\n"
	        "  -o, --output text     also print each reading as one human-readable line\n"
	        "      --log-level L     err|warn|notice|info|debug (default: the config's)\n"
	        "      --duration S      stop by itself after S seconds\n"
	        "      --flat-out        ignore intervals, poll as fast as the plan allows "
	        "(benchmarks)\n"
	        "      --stats           print readings, CPU time and peak RSS on exit (stderr)\n"
	        "exit: 0 done, 1 runtime failure, 2 bad usage or config\n");
}

static void print_text(const struct gw_reading *r, const struct gw_sensor_cfg *s)
{
	char ts[40];

	gw_clock_rfc3339(r->ts_ms, ts, sizeof(ts));
	printf("%s %-14s %-10s", ts + 11, r->sensor_id, s->plot[0] ? s->plot : "-");
	for (size_t i = 0; i < r->profile->npoints; i++) {
		const struct gw_point *pt = &r->profile->points[i];

		if (r->quality[i] == GW_Q_GOOD)
			printf(" %s=%.*f%s", pt->name, pt->decimals, r->values[i], pt->unit);
		else
			printf(" %s=%s", pt->name, gw_quality_name((enum gw_quality)r->quality[i]));
	}
	printf("%s\n", r->unsynced ? " (clock unsynced)" : "");
}

static void emit(const struct gw_config *cfg, const struct gw_reading *r, enum output out)
{
	const struct gw_sensor_cfg *s = &cfg->sensors[r->index];
	struct gw_reading_tags tags = {
	        .gateway = cfg->gateway_id,
	        .plot = s->plot[0] ? s->plot : NULL,
	        .township = cfg->township,
	};
	char buf[4096];

	if (out == OUT_TEXT) {
		print_text(r, s);
	} else if (out == OUT_JSON) {
		if (gw_reading_json(r, &tags, buf, sizeof(buf)) > 0)
			printf("%s\n", buf);
	}
	fflush(stdout);
}

struct run_opts {
	const char *path;
	const char *level;
	enum output out;
	bool once;
	bool flat_out;
	bool stats;
	long duration_s;
};

static int drain(const struct gw_config *cfg, struct gw_poller *p, const struct run_opts *o,
                 uint64_t *count)
{
	int64_t end = o->duration_s ? gw_clock_mono_ms() + o->duration_s * 1000 : 0;
	struct gw_reading r;
	bool stopping = false;
	int rc;

	for (;;) {
		if ((g_stop || (end && gw_clock_mono_ms() >= end)) && !stopping) {
			gw_log(GW_NOTICE, "run", "stopping: finishing the readings already taken");
			gw_poller_stop(p);
			stopping = true;
		}
		rc = gw_poller_next(p, &r, 200);
		if (rc == -EAGAIN)
			continue;
		if (rc == -ENODATA)
			return 0;
		(*count)++;
		emit(cfg, &r, o->out);
	}
}

static int parse_output(const char *s, enum output *out)
{
	if (strcmp(s, "stdout") == 0 || strcmp(s, "json") == 0)
		*out = OUT_JSON;
	else if (strcmp(s, "text") == 0)
		*out = OUT_TEXT;
	else if (strcmp(s, "none") == 0)
		*out = OUT_NONE;
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

static int serve(const struct gw_config *cfg, const struct run_opts *o)
{
	struct gw_poll_opts po = {.once = o->once, .flat_out = o->flat_out};
	struct gw_poller *p = gw_poller_new(cfg, &po);
	struct sigaction sa = {.sa_handler = on_signal};
	uint64_t count = 0;
	int rc;

	if (!p) {
		gw_log(GW_ERR, "run", "cannot set up the poller");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	gw_log(GW_NOTICE, "run", "gateway=%s buses=%zu sensors=%zu%s", cfg->gateway_id, cfg->nbuses,
	       cfg->nsensors, o->once ? " once" : "");
	rc = gw_poller_start(p);
	if (rc == 0)
		rc = drain(cfg, p, o, &count);
	gw_poller_free(p);
	if (o->stats)
		print_stats(count);
	return rc ? 1 : 0;
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
	return o->path && optind == argc ? 0 : -EINVAL;
}

int gw_cli_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct gw_config *cfg = NULL;
	struct gw_diag d;
	enum gw_level lv;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	gw_diag_init(&d, stderr);
	if (gw_config_load(o.path, &d, &cfg)) {
		fprintf(stderr, "%s: %d error(s); nothing started\n", o.path, d.nerrors);
		return 2;
	}
	if (gw_log_parse_level(o.level ? o.level : cfg->log_level, &lv) == 0)
		gw_log_set_level(lv);
	rc = serve(cfg, &o);
	gw_config_free(cfg);
	return rc;
}
