/* The evidence chain over a season's journal: SENSORS sensors read every INTERVAL s for DAYS
 * days are written to a fresh journal in a temp dir (one transaction per poll cycle's worth
 * of an hour), then every day is sealed (gw_chain_seal) and the chain verified
 * (gw_chain_verify), each timed. Prints rows, seconds and rows/s.
 * usage: chain_bench [SENSORS [DAYS [INTERVAL_S]]]   (defaults 60 120 300) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "clock.h"
#include "journal.h"

static int fill(struct gw_journal *j, long sensors, long days, long interval, int64_t *rows)
{
	int64_t *src = calloc((size_t)sensors, sizeof(*src));
	int64_t start = (int64_t)1682870400 * 1000; /* 2023-05-01 00:00 +08:00 */
	uint8_t data[30];
	char text[128];
	int rc = src ? 0 : -ENOMEM;

	for (long i = 0; rc == 0 && i < sensors; i++) {
		snprintf(text, sizeof(text), "gateway\tbench\nsensor\ts%ld\nplot\tP%ld\n", i,
		         i / 2);
		rc = gw_journal_source(j, text, &src[i]);
	}
	for (int64_t t = 0; rc == 0 && t < days * 86400; t += interval) {
		for (long i = 0; rc == 0 && i < sensors; i++) {
			memset(data, (int)((t / interval + i) & 0xff), sizeof(data));
			rc = gw_journal_append(j, start + t * 1000, src[i], data, sizeof(data));
			++*rows;
		}
		if (rc == 0 && (t / interval) % 12 == 11)
			rc = gw_journal_commit(j);
	}
	if (rc == 0)
		rc = gw_journal_commit(j);
	free(src);
	return rc;
}

int main(int argc, char **argv)
{
	long sensors = argc > 1 ? atol(argv[1]) : 60, days = argc > 2 ? atol(argv[2]) : 120;
	long interval = argc > 3 ? atol(argv[3]) : 300;
	char dir[] = "/tmp/chain_bench_XXXXXX", cmd[64];
	struct gw_chain_result res;
	struct gw_journal *j;
	int64_t rows = 0, t0, t1, t2;
	int n = 0, rc;

	setenv("TZ", "CST-8", 1);
	tzset();
	if (sensors < 1 || days < 1 || interval < 1 || !mkdtemp(dir))
		return 2;
	j = gw_journal_open(dir, NULL, &rc);
	rc = j ? fill(j, sensors, days, interval, &rows) : rc;
	t0 = gw_clock_mono_ms();
	if (rc == 0)
		rc = gw_chain_seal(j, 30000101, gw_clock_wall_ms(), &n);
	t1 = gw_clock_mono_ms();
	if (rc == 0)
		rc = gw_chain_verify(j, NULL, NULL, &res);
	t2 = gw_clock_mono_ms();
	if (rc == 0)
		printf("rows=%lld days=%d seal_s=%.2f (%.0f rows/s) verify_s=%.2f (%.0f rows/s) "
		       "bad=%lld\n",
		       (long long)rows, n, (double)(t1 - t0) / 1000,
		       (double)rows * 1000 / (double)(t1 - t0 + 1), (double)(t2 - t1) / 1000,
		       (double)rows * 1000 / (double)(t2 - t1 + 1), (long long)res.bad);
	else
		fprintf(stderr, "chain_bench: %s\n", strerror(-rc));
	gw_journal_close(j);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "chain_bench: could not remove %s\n", dir);
	return rc ? 1 : 0;
}
