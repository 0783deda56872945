/* Acceptance over a season's journal: SENSORS sensors (pairs of an under-film and a bare
 * probe, one pair a plot) read every INTERVAL s for DAYS days are written to a fresh journal
 * in a temp dir, then gw_acceptance_from_journal is timed RUNS times (rows read and decoded
 * in batches, film states, verdicts). Prints rows, seconds (median), rows/s and peak RSS.
 * usage: accept_bench [SENSORS [DAYS [INTERVAL_S [RUNS]]]]   (defaults 60 120 300 3) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "acceptance.h"
#include "clock.h"
#include "jcodec.h"
#include "journal.h"

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

static int fill(const struct gw_config *cfg, long days, long interval, int64_t *rows)
{
	struct gw_journal *j = gw_journal_open(cfg->data_dir, NULL, NULL);
	int64_t *src = calloc(cfg->nsensors, sizeof(*src));
	int64_t start = (int64_t)1682870400 * 1000; /* 2023-05-01 00:00 +08:00 */
	int rc = j && src ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < cfg->nsensors; i++) {
		struct gw_source s;
		char text[GW_JSRC_MAX];

		gw_source_from_config(cfg, NULL, NULL, i, &s);
		gw_source_format(&s, text, sizeof(text));
		rc = gw_journal_source(j, text, &src[i]);
	}
	for (int64_t t = 0; rc == 0 && t < days * 86400; t += interval) {
		for (size_t i = 0; rc == 0 && i < cfg->nsensors; i++) {
			struct gw_reading r = {.ts_ms = start + t * 1000,
			                       .profile = cfg->sensors[i].profile};
			uint8_t buf[GW_JDATA_MAX];
			int n;

			for (size_t k = 0; k < r.profile->npoints; k++)
				r.values[k] = 20.0 + (double)(i % 2 ? 0 : 2) + (double)k;
			n = gw_jdata_pack(&r, buf, sizeof(buf));
			rc = n > 0 ? gw_journal_append(j, r.ts_ms, src[i], buf, (size_t)n)
			           : -EINVAL;
			(*rows)++;
		}
		if (rc == 0 && t % 86400 == 0)
			rc = gw_journal_commit(j);
	}
	if (rc == 0)
		rc = gw_journal_commit(j);
	gw_journal_close(j);
	free(src);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long sensors = argc > 1 ? atol(argv[1]) : 60, days = argc > 2 ? atol(argv[2]) : 120;
	long interval = argc > 3 ? atol(argv[3]) : 300, runs = argc > 4 ? atol(argv[4]) : 3;
	char dir[] = "/tmp/accept_bench_XXXXXX", path[256], cmd[300];
	struct gw_config *cfg = NULL;
	double secs[16];
	struct rusage ru;
	int64_t rows = 0;

	setenv("TZ", "Asia/Shanghai", 1);
	if (runs < 1 || runs > 16 || sensors < 2 || sensors > 247 || !mkdtemp(dir) ||
	    write_config(dir, sensors, interval))
		return 2;
	snprintf(path, sizeof(path), "%s/gateway.yaml", dir);
	if (gw_config_load(path, NULL, &cfg) || fill(cfg, days, interval, &rows))
		return 1;
	for (long r = 0; r < runs; r++) {
		struct gw_plot_result *res;
		size_t n;
		int64_t t0 = gw_clock_mono_ms();

		if (gw_acceptance_from_journal(cfg, NULL, NULL, &res, &n))
			return 1;
		secs[r] = (double)(gw_clock_mono_ms() - t0) / 1000.0;
		gw_plot_results_free(res, n);
	}
	qsort(secs, (size_t)runs, sizeof(secs[0]), cmp_d);
	getrusage(RUSAGE_SELF, &ru);
	printf("| %ld sensors x %ld s x %ld days | %lld rows | %.2f s | %.0f rows/s | %.1f MB |\n",
	       sensors, interval, days, (long long)rows, secs[runs / 2],
	       (double)rows / secs[runs / 2], (double)ru.ru_maxrss / 1024.0);
	gw_config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
