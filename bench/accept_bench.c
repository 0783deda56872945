/* Acceptance over a season's journal: SENSORS sensors (pairs of an under-film and a bare
 * probe, one pair a plot) read every INTERVAL s for DAYS days are written to a fresh journal
 * in a temp dir, then gw_acceptance_from_journal is timed RUNS times (rows read and decoded
 * in batches, film states, verdicts). Prints rows, seconds (median), rows/s and the peak RSS while
 * reading (Linux VmHWM, reset after the writing). With INFLUX_URL (an InfluxDB 1.x with an empty
 * database "bench"), the same rows are also written there through the sink's line protocol and
 * gw_acceptance_from_influx is timed (bench/accept_influx.sh starts the server); with EVIDENCE=1
 * also the fleet report's evidence check (check_evidence below). usage:
 * accept_bench [SENSORS [DAYS [INTERVAL_S [RUNS [INFLUX_URL]]]]]  (60 120 300 3) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "acceptance.h"
#include "chain.h"
#include "clock.h"
#include "crypto.h"
#include "fleet_evidence.h"
#include "seals_out.h"
#include "tz.h"
#include "jcodec.h"
#include "source.h"
#include "influx_http.h"
#include "journal.h"
#include "lineproto.h"

static int write_config(const char *dir, long sensors, long interval)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/gateway.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "gateway: {id: bench, township: T, data_dir: data, log_level: warn}\n"
	           "buses: [{name: tcp1, type: tcp, host: 127.0.0.1}]\nsensors:\n");
	for (long i = 0; i < sensors; i++)
		fprintf(f,
		        "  - {id: s%ld, bus: tcp1, unit: %ld, profile: seeed-s-soil-mtec-02, plot: "
		        "P%ld, "
		        "placement: %s, interval_s: %ld}\n",
		        i, i + 1, i / 2, i % 2 ? "bare" : "under_film", interval);
	fclose(f);
	return 0;
}

/* Lines of line protocol waiting for InfluxDB (NULL writer: none). */
struct lp {
	struct gw_influx *w;
	char *buf;
	size_t pos, len;
};

static int lp_flush(struct lp *lp)
{
	struct gw_influx_stats st = {0};
	int rc = lp->w && lp->pos ? gw_influx_write_all(lp->w, lp->buf, lp->pos, &st) : 0;

	lp->pos = 0;
	return rc ? rc : st.dropped_points ? -EIO : 0;
}

/* The reading as gateways gateways would write it (GATEWAYS env, default 1): gateway
 * "bench" (then "bench-1", ...), each with plots of its own ("1-P0", ...). */
static int lp_add(struct lp *lp, const struct gw_reading *r, const struct gw_source *s,
                  long gateways)
{
	struct gw_reading_tags tags;
	char gw[GW_ID_LEN + 24], plot[GW_ID_LEN + 24];
	int rc = 0;

	if (!lp->w)
		return 0;
	for (long g = 0; rc == 0 && g < gateways; g++) {
		gw_source_tags(s, &tags);
		if (g) {
			snprintf(gw, sizeof(gw), "%s-%ld", s->gateway, g);
			snprintf(plot, sizeof(plot), "%ld-%s", g, s->plot);
			tags.gateway = gw;
			tags.plot = plot;
		}
		if (lp->len - lp->pos < 2048 && lp_flush(lp))
			return -EIO;
		rc = gw_lp_reading(lp->buf, lp->len, &lp->pos, r, &tags);
	}
	return rc;
}

static long gateways(void)
{
	const char *e = getenv("GATEWAYS");
	long g = e ? atol(e) : 1;

	return g >= 1 && g <= 10000 ? g : 1;
}

static int fill(const struct gw_config *cfg, long days, long interval, int64_t *rows, struct lp *lp)
{
	struct gw_journal *j = gw_journal_open(cfg->data_dir, NULL, NULL);
	int64_t *src = calloc(cfg->nsensors, sizeof(*src));
	struct gw_source *srcs = calloc(cfg->nsensors, sizeof(*srcs));
	int64_t start = (int64_t)1682870400 * 1000; /* 2023-05-01 00:00 +08:00 */
	int rc = j && src && srcs ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < cfg->nsensors; i++) {
		char text[GW_JSRC_MAX];

		gw_source_from_config(cfg, NULL, NULL, i, &srcs[i]);
		gw_source_format(&srcs[i], text, sizeof(text));
		rc = gw_journal_source(j, text, &src[i]);
	}
	for (int64_t t = 0; rc == 0 && t < days * 86400; t += interval) {
		for (size_t i = 0; rc == 0 && i < cfg->nsensors; i++) {
			struct gw_reading r = {.ts_ms = start + t * 1000,
			                       .profile = cfg->sensors[i].profile,
			                       .sensor_id = cfg->sensors[i].id};
			uint8_t buf[GW_JDATA_MAX];
			int n;

			for (size_t k = 0; k < r.profile->npoints; k++)
				r.values[k] = 20.0 + (double)(i % 2 ? 0 : 2) + (double)k;
			n = gw_jdata_pack(&r, buf, sizeof(buf));
			rc = n > 0 ? gw_journal_append(j, r.ts_ms, src[i], buf, (size_t)n)
			           : -EINVAL;
			if (rc == 0)
				rc = lp_add(lp, &r, &srcs[i], gateways());
			(*rows)++;
		}
		if (rc == 0 && t % 86400 == 0)
			rc = gw_journal_commit(j);
	}
	if (rc == 0)
		rc = gw_journal_commit(j);
	if (rc == 0)
		rc = lp_flush(lp);
	gw_journal_close(j);
	free(src);
	free(srcs);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Resets the peak RSS (Linux: clear_refs 5), so what is measured after is the reading's. */
static void reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* A line of /proc/PID/status ("VmHWM", "VmRSS") in MB; pid "self" for this process. */
static double status_mb(const char *pid, const char *key)
{
	char line[128], path[64];
	size_t kl = strlen(key);
	double kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			kb = strtod(line + kl + 1, NULL);
			break;
		}
	if (f)
		fclose(f);
	return kb / 1024.0;
}

/* The peak RSS since the last reset, in MB (VmHWM). */
static double peak_mb(void)
{
	return status_mb("self", "VmHWM");
}

/* INFLUXD_PID's peak RSS reset (clear_refs 5); its RSS now in MB (0 without the pid). */
static double influxd_reset(void)
{
	const char *pid = getenv("INFLUXD_PID");
	char path[64];
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/clear_refs", pid);
	if ((f = fopen(path, "w"))) {
		fputs("5", f);
		fclose(f);
	}
	return status_mb(pid, "VmRSS");
}

typedef int (*source_fn)(const struct gw_config *cfg, const char *url, struct gw_plot_result **res,
                         size_t *n);

static int from_journal(const struct gw_config *cfg, const char *url, struct gw_plot_result **res,
                        size_t *n)
{
	(void)url;
	return gw_acceptance_from_journal(cfg, NULL, NULL, res, n);
}

static int from_influx(const struct gw_config *cfg, const char *url, struct gw_plot_result **res,
                       size_t *n)
{
	struct gw_fleet_src src = {.database = "bench"};

	snprintf(src.url, sizeof(src.url), "%s", url);
	return gw_acceptance_from_influx(cfg, NULL, &src, NULL, res, n);
}

/* The median of runs timings of fn, in seconds; negative on failure. */
static double timed(source_fn fn, const struct gw_config *cfg, const char *url, long runs)
{
	double secs[16];

	for (long r = 0; r < runs; r++) {
		struct gw_plot_result *res;
		size_t n;
		int64_t t0 = gw_clock_mono_ms();

		if (fn(cfg, url, &res, &n))
			return -1;
		secs[r] = (double)(gw_clock_mono_ms() - t0) / 1000.0;
		gw_plot_results_free(res, n);
	}
	qsort(secs, (size_t)runs, sizeof(secs[0]), cmp_d);
	return secs[runs / 2];
}

/* The evidence check at scale (EVIDENCE=1): the journal's days sealed and signed, each day's
 * seal written to InfluxDB (measurement chain) as every one of the GATEWAYS gateways would
 * (their readings are the same, so the content digests are; each seal signed for its own
 * gateway id), a registry of their keys, then gw_fleet_evidence_check timed. Every day of every
 * gateway must come out verified, or the bench fails. */
struct seal_out {
	struct lp *lp;
	const uint8_t *sk;
	long gateways;
	int64_t days;
};

static int put_seal(void *user, const struct gw_journal_link *l)
{
	struct seal_out *o = user;
	int rc = 0;

	for (long g = 0; rc == 0 && g < o->gateways; g++) {
		struct gw_journal_link s = *l;
		char gw[64], text[GW_CHAIN_SEAL_TEXT_MAX];
		int n;

		snprintf(gw, sizeof(gw), g ? "bench-%ld" : "bench", g);
		n = gw_chain_seal_text(&s, gw, text, sizeof(text));
		if (n < 0)
			return n;
		gw_crypto_sign(o->sk, text, (size_t)n, s.signature);
		s.signed_ = true;
		if (o->lp->len - o->lp->pos < 4096 && lp_flush(o->lp))
			return -EIO;
		rc = gw_seals_line(&s, gw, o->lp->buf, o->lp->len, &o->lp->pos);
	}
	o->days++;
	return rc;
}

static int seal_all(const struct gw_config *cfg, const char *dir, struct lp *lp, char *registry,
                    size_t rlen, int64_t *days)
{
	struct gw_journal *j = gw_journal_open(cfg->data_dir, NULL, NULL);
	uint8_t sk[GW_SECKEY_LEN], pk[GW_PUBKEY_LEN];
	struct gw_chain_signer signer = {.gateway = "bench"};
	struct seal_out o = {.lp = lp, .sk = sk, .gateways = gateways()};
	char hex[2 * GW_PUBKEY_LEN + 1];
	FILE *f;
	int rc = j ? gw_crypto_gateway_key(dir, sk, pk) : -EIO;

	memcpy(signer.sk, sk, sizeof(sk));
	if (rc == 0)
		rc = gw_chain_seal_signed(j, 20991231, gw_clock_wall_ms(), &signer, NULL);
	rc = rc ? rc : gw_journal_links(j, put_seal, &o);
	rc = rc < 0 ? rc : lp_flush(lp);
	gw_journal_close(j);
	snprintf(registry, rlen, "%s/registry.csv", dir);
	f = rc ? NULL : fopen(registry, "w");
	if (!f)
		return rc ? rc : -errno;
	gw_hex(pk, sizeof(pk), hex);
	fprintf(f, "gateway,public_key\n");
	for (long g = 0; g < o.gateways; g++)
		if (g)
			fprintf(f, "bench-%ld,%s\n", g, hex);
		else
			fprintf(f, "bench,%s\n", hex);
	*days = o.days * o.gateways;
	return fclose(f) ? -errno : 0;
}

/* CPU seconds (user + system) this process has used. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Times the check once; prints its row. Returns 0, or -EIO when a day is not verified. */
static int check_evidence(const char *url, const char *registry, int64_t days, int64_t rows)
{
	struct gw_fleet_src src = {.database = "bench"};
	struct gw_fleet_evidence ev = {0};
	int64_t t0, verified = 0, bad = 0;
	double before = influxd_reset(), secs, cpu = cpu_s();
	int rc;

	snprintf(src.url, sizeof(src.url), "%s", url);
	reset_peak();
	t0 = gw_clock_mono_ms();
	rc = gw_fleet_evidence_check(&src, registry, &ev, stderr);
	secs = (double)(gw_clock_mono_ms() - t0) / 1000.0;
	cpu = cpu_s() - cpu;
	for (size_t i = 0; rc == 0 && i < ev.ngateways; i++) {
		verified += ev.gateways[i].verified;
		bad += ev.gateways[i].differing + ev.gateways[i].missing;
	}
	if (rc == 0)
		printf("| evidence check | %zu gateways, %lld gateway-days (%lld verified) | %lld "
		       "rows "
		       "| %.2f s (%.2f CPU s here) | %.0f rows/s | %.1f MB | %.0f MB |\n",
		       ev.ngateways, (long long)days, (long long)verified, (long long)rows, secs,
		       cpu, (double)rows / secs, peak_mb(),
		       getenv("INFLUXD_PID") ? status_mb(getenv("INFLUXD_PID"), "VmHWM") - before
		                             : 0.0);
	if (rc == 0 && (verified != days || bad))
		fprintf(stderr,
		        "accept_bench: evidence: %lld of %lld days verified, %lld bad: %s\n",
		        (long long)verified, (long long)days, (long long)bad, ev.header);
	gw_fleet_evidence_free(&ev);
	return rc ? rc : verified == days && !bad ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	long sensors = argc > 1 ? atol(argv[1]) : 60, days = argc > 2 ? atol(argv[2]) : 120;
	long interval = argc > 3 ? atol(argv[3]) : 300, runs = argc > 4 ? atol(argv[4]) : 3;
	const char *url = argc > 5 ? argv[5] : NULL;
	char dir[] = "/tmp/accept_bench_XXXXXX", path[256], cmd[300];
	struct gw_config *cfg = NULL;
	struct lp lp = {0};
	char registry[300];
	int64_t rows = 0, sealed = 0;
	double secs;

	setenv("TZ", "Asia/Shanghai", 1);
	if (runs < 1 || runs > 16 || sensors < 2 || sensors > 247 || !mkdtemp(dir) ||
	    write_config(dir, sensors, interval))
		return 2;
	snprintf(path, sizeof(path), "%s/gateway.yaml", dir);
	if (gw_config_load(path, NULL, &cfg))
		return 1;
	gw_tz_use(cfg->timezone);
	if (url) {
		struct gw_influx_cfg ic = {.api = 1, .database = "bench", .batch_size = 5000};
		int err;

		snprintf(ic.url, sizeof(ic.url), "%s", url);
		lp.w = gw_influx_new(&ic, &err);
		lp.len = 1 << 20;
		lp.buf = malloc(lp.len);
		if (!lp.w || !lp.buf)
			return 1;
	}
	if (fill(cfg, days, interval, &rows, &lp))
		return 1;
	if (url && getenv("EVIDENCE") &&
	    seal_all(cfg, dir, &lp, registry, sizeof(registry), &sealed))
		return 1;
	reset_peak();
	secs = timed(from_journal, cfg, NULL, runs);
	printf("| journal | %ld sensors x %ld s x %ld days | %lld rows | %.2f s | %.0f rows/s | "
	       "%.1f MB | |\n",
	       sensors, interval, days, (long long)rows, secs, (double)rows / secs, peak_mb());
	if (url) {
		double before = influxd_reset();

		reset_peak();
		secs = timed(from_influx, cfg, url, runs);
		rows *= gateways();
		printf("| influx | %ld gateways x %ld sensors x %ld s x %ld days | %lld rows | "
		       "%.2f s | "
		       "%.0f rows/s | %.1f MB | %.0f MB |\n",
		       gateways(), sensors, interval, days, (long long)rows, secs,
		       (double)rows / secs, peak_mb(),
		       getenv("INFLUXD_PID") ? status_mb(getenv("INFLUXD_PID"), "VmHWM") - before
		                             : 0.0);
		if (sealed && check_evidence(url, registry, sealed, rows))
			return 1;
		gw_influx_free(lp.w);
		free(lp.buf);
	}
	gw_config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
