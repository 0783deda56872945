/* Benchmark helper (not part of the gateway): how fast the InfluxDB sink drains a journal
 * backlog. Writes N readings of 100 sensors (3 points, the demo's tags) to DATA_DIR's
 * journal, creates DB on the influxd at URL, starts the sink with the default batch
 * settings and times it from start to cursor == last seq. Prints one line:
 *   readings=N seconds=S readings_per_s=R bytes=B bytes_per_s=X
 * where B is the line protocol the sink formats for those rows (before any gzip), written to
 * LINES_FILE when given (bench/raw_post posts the same lines with plain libcurl).
 * gzip: 0, 1 or auto (the config's default for URL).
 * usage: drain_influx URL DB DATA_DIR N [gzip 0|1|auto [LINES_FILE]]
 * (bench/drain_influx.sh and bench/cost_bench.sh run it) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "feed.h"
#include "influx_out.h"
#include "influx_http.h"
#include "jcodec.h"
#include "journal.h"
#include "lineproto.h"

#define NSENSORS 100
#define COMMIT   5000

static void make_source(struct gw_source *s, int i)
{
	static const char *const names[] = {"moisture_pct", "temperature_c", "ec_us_cm"};

	memset(s, 0, sizeof(*s));
	strcpy(s->gateway, "xinmin-01");
	snprintf(s->sensor, sizeof(s->sensor), "soil-%03d", i);
	snprintf(s->plot, sizeof(s->plot), "XM-%04d", i / 4);
	snprintf(s->household, sizeof(s->household), "hh-%04x", i * 7919 % 65536);
	strcpy(s->township, "新民乡");
	strcpy(s->village, "东村");
	strcpy(s->prof.name, "seeed-s-soil-mtec-02");
	s->prof.npoints = 3;
	for (size_t p = 0; p < 3; p++) {
		strcpy(s->prof.points[p].name, names[p]);
		s->prof.points[p].decimals = (int)(2 - p);
	}
}

/* Appends n readings; returns the last seq, or -errno. */
static int64_t fill_journal(const char *dir, long n)
{
	static struct gw_source src[NSENSORS];
	int64_t ids[NSENSORS], last = 0, t0 = gw_clock_wall_ms() - n * 1000LL / NSENSORS;
	char text[GW_JSRC_MAX];
	uint8_t data[GW_JDATA_MAX];
	int rc = 0;
	struct gw_journal *j = gw_journal_open(dir, NULL, &rc);

	for (int i = 0; j && !rc && i < NSENSORS; i++) {
		make_source(&src[i], i);
		rc = gw_source_format(&src[i], text, sizeof(text));
		rc = rc > 0 ? gw_journal_source(j, text, &ids[i]) : -ENOSPC;
	}
	for (long k = 0; j && !rc && k < n; k++) {
		struct gw_reading r = {.ts_ms = t0 + k / NSENSORS * 1000 + k % NSENSORS,
		                       .profile = &src[k % NSENSORS].prof,
		                       .values = {30 + (double)(k % 400) * 0.1,
		                                  12.5 + (double)(k % 97) * 0.01,
		                                  (double)(400 + k % 300)}};
		int len = gw_jdata_pack(&r, data, sizeof(data));

		rc = len > 0 ? gw_journal_append(j, r.ts_ms, ids[k % NSENSORS], data, (size_t)len)
		             : -ENOSPC;
		if (!rc && ((k + 1) % COMMIT == 0 || k + 1 == n))
			rc = gw_journal_commit(j);
	}
	if (j && !rc)
		rc = gw_journal_last_seq(j, &last);
	gw_journal_close(j);
	return rc ? rc : last;
}

static int create_db(const char *url, const char *db)
{
	char u[1024], form[256], resp[512];
	size_t pos;
	long status = 0;

	snprintf(u, sizeof(u), "%s/query", url);
	snprintf(form, sizeof(form), "q=");
	pos = strlen(form);
	snprintf(form + pos, sizeof(form) - pos, "CREATE%%20DATABASE%%20%s", db);
	if (gw_influx_http(u, form, strlen(form), &status, resp, sizeof(resp)) || status != 200) {
		fprintf(stderr, "CREATE DATABASE %s failed: status=%ld %s\n", db, status, resp);
		return -EIO;
	}
	return 0;
}

/* The line protocol the sink formats for every row of dir's journal: written to path (may
 * be NULL); returns its size in bytes, or -errno. */
static long long dump_lines(const char *dir, const char *path)
{
	static struct gw_feed_item items[256];
	static char buf[256 * 1024];
	long long total = 0;
	int64_t after = 0, last = 0;
	int rc = 0, got;
	struct gw_feed *f = gw_feed_open(dir, "dump", &rc);
	FILE *out = path ? fopen(path, "w") : NULL;

	if (!f || (path && !out))
		rc = rc ? rc : -errno;
	while (!rc && (got = gw_feed_read(f, after, items, 256, &last)) > 0) {
		size_t pos = 0;

		for (int i = 0; !rc && i < got; i++)
			rc = gw_lp_reading(buf, sizeof(buf), &pos, &items[i].r, &items[i].tags);
		total += (long long)pos;
		if (out && fwrite(buf, 1, pos, out) != pos)
			rc = -EIO;
		after = last;
	}
	if (out && fclose(out) && !rc)
		rc = -EIO;
	gw_feed_close(f);
	return rc ? rc : total;
}

/* Starts the sink on cfg and waits (up to 20 min) for its cursor to reach last. */
static int drain(const struct gw_config *cfg, int64_t last, double *secs)
{
	struct gw_bell bell;
	struct gw_sink_stats stats = {.name = "influxdb"};
	struct gw_sink_env env = {.cfg = cfg, .bell = &bell, .stats = &stats, .drain_ms = 0};
	struct gw_influx_out *o = NULL;
	int64_t t0 = gw_clock_mono_ms(), deadline = t0 + 20 * 60 * 1000;
	int rc;

	gw_bell_init(&bell);
	rc = gw_influx_out_start(&env, &o);
	while (!rc && atomic_load(&stats.cursor) < last && gw_clock_mono_ms() < deadline)
		gw_clock_sleep_ms(5);
	*secs = (double)(gw_clock_mono_ms() - t0) / 1000.0;
	gw_bell_close(&bell);
	gw_influx_out_join(o);
	gw_bell_destroy(&bell);
	if (!rc && (atomic_load(&stats.cursor) < last || atomic_load(&stats.dropped)))
		rc = -EIO;
	return rc;
}

int main(int argc, char **argv)
{
	static struct gw_config cfg;
	long n = argc >= 5 ? strtol(argv[4], NULL, 10) : 0;
	int64_t last;
	double secs = 0;
	long long bytes = 0;
	int rc;

	if (argc < 5 || n <= 0) {
		fprintf(stderr,
		        "usage: drain_influx URL DB DATA_DIR N [gzip 0|1|auto [LINES_FILE]]\n");
		return 2;
	}
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", argv[3]);
	cfg.influx = (struct gw_influx_cfg){
	        .enabled = true, .api = 1, .batch_size = 5000, .flush_ms = 1000, .gzip = true};
	snprintf(cfg.influx.url, sizeof(cfg.influx.url), "%s", argv[1]);
	cfg.influx.gzip = argc < 6 || strcmp(argv[5], "0") != 0;
	if (argc >= 6 && strcmp(argv[5], "auto") == 0)
		cfg.influx.gzip = !gw_config_url_is_loopback(argv[1]);
	snprintf(cfg.influx.database, sizeof(cfg.influx.database), "%s", argv[2]);
	last = fill_journal(cfg.data_dir, n);
	bytes = last < 0 ? last : dump_lines(cfg.data_dir, argc >= 7 ? argv[6] : NULL);
	rc = bytes < 0 ? (int)bytes : create_db(argv[1], argv[2]);
	if (!rc)
		rc = drain(&cfg, last, &secs);
	if (rc) {
		fprintf(stderr, "drain_influx: %s\n", strerror(-rc));
		return 1;
	}
	printf("readings=%ld seconds=%.2f readings_per_s=%.0f bytes=%lld bytes_per_s=%.0f "
	       "gzip=%d\n",
	       n, secs, (double)n / secs, bytes, (double)bytes / secs, cfg.influx.gzip);
	return 0;
}
