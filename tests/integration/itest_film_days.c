/* Daily film states to a real influxd: a journal holds three days of a covered plot and a
 * bare one (and a plot of the records without sensors); the film_days thread writes one
 * film_day point per plot and finished day, tagged with the household reference, village
 * and township (never an ID number), with the state and its 0/1 fields, and remembers the
 * last day written; today (unfinished) is not written. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "film_days.h"
#include "influxd_util.h"
#include "jcodec.h"
#include "source.h"
#include "journal.h"

static struct influxd fx;

#define DAYS 3

static const char households[] =
        "household_id,name,township,village,group,id_number,beneficiaries,category,phone\n"
        "H1,Ma,新民乡,新民村,1,11010519491231002X,4,general,13912341201\n"
        "H2,Li,新民乡,红旗村,2,110105194912310038,3,general,\n";
static const char plots[] = "plot_id,household_id,area_mu,film,planting,seed_variety\n"
                            "P1,H1,2.5,full,single,先玉335\n"
                            "P2,H2,1.0,half,single,先玉335\n"
                            "P3,H2,1.0,full,single,先玉335\n";

static void put(struct gw_journal *j, const struct gw_config *cfg, int64_t src, size_t s,
                int64_t ts, double temp)
{
	const struct gw_profile *p = cfg->sensors[s].profile;
	struct gw_reading r = {.ts_ms = ts, .profile = p};
	uint8_t buf[GW_JDATA_MAX];
	int n;

	for (size_t k = 0; k < p->npoints; k++) {
		r.values[k] = !strcmp(p->points[k].name, "temperature_c") ? temp : 30.0;
		r.quality[k] = GW_Q_GOOD;
	}
	n = gw_jdata_pack(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(gw_journal_append(j, ts, src, buf, (size_t)n), 0);
}

/* Hourly readings for the DAYS days before today and a few hours of today. */
static void fill(const struct gw_config *cfg, const struct gw_records *recs)
{
	struct gw_journal *j = gw_journal_open(cfg->data_dir, NULL, NULL);
	time_t now = time(NULL);
	struct tm tm;
	int64_t src[4], t0;

	assert_non_null(j);
	for (size_t i = 0; i < cfg->nsensors; i++) {
		struct gw_source s;
		char text[GW_JSRC_MAX];

		gw_source_from_config(cfg, recs, NULL, i, &s);
		assert_true(gw_source_format(&s, text, sizeof(text)) > 0);
		assert_int_equal(gw_journal_source(j, text, &src[i]), 0);
	}
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= DAYS;
	tm.tm_isdst = -1;
	t0 = (int64_t)mktime(&tm) * 1000;
	for (int64_t ts = t0; ts < (int64_t)now * 1000; ts += 3600 * 1000) {
		put(j, cfg, src[0], 0, ts, 24.0); /* P1 under: +3 covered */
		put(j, cfg, src[1], 1, ts, 21.0);
		put(j, cfg, src[2], 2, ts, 21.1); /* P2 under: +0.1 not covered */
		put(j, cfg, src[3], 3, ts, 21.0);
	}
	assert_int_equal(gw_journal_commit(j), 0);
	gw_journal_close(j);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_film_days(void **state)
{
	char yaml[2048], path[160], resp[65536];
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	uint8_t key[GW_HHREF_KEY_LEN];
	struct gw_bell bell;
	struct gw_film_days *f;
	struct gw_journal *j;
	struct gw_diag d;
	int64_t done = 0;
	long st;

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "gateway: {id: fd-gw, township: 新民乡, data_dir: data}\n"
	         "records: {households: households.csv, plots: plots.csv}\n"
	         "buses: [{name: tcp1, type: tcp, host: 127.0.0.1}]\n"
	         "sensors:\n"
	         "  - {id: u1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: P1, "
	         "placement: under_film, interval_s: 3600}\n"
	         "  - {id: b1, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: P1, placement: "
	         "bare, interval_s: 3600}\n"
	         "  - {id: u2, bus: tcp1, unit: 3, profile: seeed-s-soil-mtec-02, plot: P2, "
	         "placement: under_film, interval_s: 3600}\n"
	         "  - {id: b2, bus: tcp1, unit: 4, profile: dfrobot-sen0601, plot: P2, placement: "
	         "bare, interval_s: 3600}\n"
	         "influxdb: {url: \"%s\", database: fg, flush_ms: 100}\n",
	         fx.base);
	write_file(fx.dir, "gateway.yaml", yaml);
	write_file(fx.dir, "households.csv", households);
	write_file(fx.dir, "plots.csv", plots);
	snprintf(path, sizeof(path), "%s/gateway.yaml", fx.dir);
	assert_int_equal(gw_config_load(path, NULL, &cfg), 0);
	gw_diag_init(&d, stderr);
	assert_int_equal(gw_records_load(cfg, &d, &recs), 0);
	fill(cfg, recs);
	assert_int_equal(gw_hhref_key(cfg->data_dir, key), 0);
	assert_int_equal(influxd_query(&fx, NULL, "CREATE DATABASE fg", resp, sizeof(resp)), 200);

	gw_bell_init(&bell);
	f = gw_film_days_start(
	        &(struct gw_film_days_env){.cfg = cfg, .recs = recs, .hh_key = key, .bell = &bell});
	assert_non_null(f);
	WAIT_UNTIL((st = influxd_query(&fx, "fg", "SELECT count(covered) FROM film_day", resp,
	                               sizeof(resp))) == 200 &&
	                   strstr(resp, "\"values\""),
	           30000);
	gw_bell_close(&bell);
	gw_film_days_join(f);
	gw_bell_destroy(&bell);

	/* P1 and P2 each DAYS days, not today; P3 (no sensor) no days */
	st = influxd_query(&fx, "fg",
	                   "SELECT sum(covered), sum(not_covered), count(state) FROM film_day "
	                   "GROUP BY plot",
	                   resp, sizeof(resp));
	assert_int_equal(st, 200);
	assert_non_null(
	        strstr(resp, "\"tags\":{\"plot\":\"P1\"},\"columns\":[\"time\",\"sum\","
	                     "\"sum_1\",\"count\"],\"values\":[[\"1970-01-01T00:00:00Z\",3,0,3]]"));
	assert_non_null(
	        strstr(resp, "\"tags\":{\"plot\":\"P2\"},\"columns\":[\"time\",\"sum\","
	                     "\"sum_1\",\"count\"],\"values\":[[\"1970-01-01T00:00:00Z\",0,3,3]]"));
	assert_null(strstr(resp, "P3"));
	st = influxd_query(&fx, "fg",
	                   "SHOW TAG VALUES FROM film_day WITH KEY IN (village, household)", resp,
	                   sizeof(resp));
	assert_int_equal(st, 200);
	assert_non_null(strstr(resp, "新民村"));
	assert_non_null(strstr(resp, "\"hh-"));
	st = influxd_query(&fx, "fg", "SELECT * FROM film_day", resp, sizeof(resp));
	assert_int_equal(st, 200);
	assert_null(strstr(resp, "11010519491231002X"));
	assert_null(strstr(resp, "13912341201"));
	assert_null(strstr(resp, "\"H1\""));

	j = gw_journal_open(cfg->data_dir, &(struct gw_journal_opts){.no_check = true}, NULL);
	assert_non_null(j);
	assert_int_equal(gw_journal_meta_get(j, "film_day_done", &done), 0);
	gw_journal_close(j);
	{
		time_t y = time(NULL) - 86400;
		struct tm tm;

		localtime_r(&y, &tm);
		assert_int_equal(done,
		                 (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	}
	gw_records_free(recs);
	gw_config_free(cfg);
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	setenv("FIELDGATE_PROFILES", GW_SOURCE_DIR "/drivers/profiles", 1);
	return influxd_setup(&fx, "fg-film-days");
}

static int teardown(void **state)
{
	(void)state;
	influxd_teardown(&fx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_film_days),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
