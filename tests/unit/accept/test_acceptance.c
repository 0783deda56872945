/* Acceptance end to end over a synthetic journal (rows written with gw_journal_append and
 * the row codec, as the daemon writes them): a covered plot passes, a switch plot laid
 * after the deadline passes late, a plot with half its window missing has insufficient
 * data, a bare plot fails, a plot without a rule is no_sensor; the window override and the
 * season's year; the process TZ changing nothing; each day judged by the rules the journal
 * recorded in force that day (or --rules current); and the acceptance and film_rules
 * config (defaults, implicit rule). */
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
#include <unistd.h>

#include <cmocka.h>

#include "accept_acc.h"
#include "accept_influx.h"
#include "accept_rules.h"
#include "acceptance.h"
#include "jcodec.h"
#include "source.h"
#include "journal.h"
#include "journal_rules.h"

static const char yaml[] =
        "gateway: {id: g1, township: T, data_dir: data}\n"
        "buses: [{name: tcp1, type: tcp, host: 127.0.0.1}]\n"
        "sensors:\n"
        "  - {id: u1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: P1, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b1, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: P1, placement: bare, "
        "interval_s: 3600}\n"
        "  - {id: io2, bus: tcp1, unit: 3, profile: waveshare-modbus-rtu-io-8ch, plot: P2, "
        "interval_s: 3600}\n"
        "  - {id: u3, bus: tcp1, unit: 4, profile: seeed-s-soil-mtec-02, plot: P3, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b3, bus: tcp1, unit: 5, profile: dfrobot-sen0601, plot: P3, placement: bare, "
        "interval_s: 3600}\n"
        "  - {id: u4, bus: tcp1, unit: 6, profile: seeed-s-soil-mtec-02, plot: P4, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b4, bus: tcp1, unit: 7, profile: dfrobot-sen0601, plot: P4, placement: bare, "
        "interval_s: 3600}\n"
        "  - {id: b5, bus: tcp1, unit: 8, profile: dfrobot-sen0601, plot: P5, placement: bare, "
        "interval_s: 3600}\n"
        "film_rules:\n"
        "  - {plot: P2, rule: switch, sensor: io2, point: input1}\n"
        "  - {plot: P4, rule: temperature_pair, under: u4, bare: b4}\n";

struct fx {
	char dir[64];
	struct gw_config *cfg;
	struct gw_journal *j;
	int64_t src[8];
};

static int64_t local_ms(int y, int mo, int d, int h)
{
	struct tm tm = {
	        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_isdst = -1};

	return (int64_t)mktime(&tm) * 1000;
}

static void put(struct fx *f, size_t s, int64_t ts, double temp, double moist, double input)
{
	const struct gw_profile *p = f->cfg->sensors[s].profile;
	struct gw_reading r = {.ts_ms = ts, .profile = p};
	uint8_t buf[GW_JDATA_MAX];
	int n;

	for (size_t k = 0; k < p->npoints; k++) {
		const char *name = p->points[k].name;

		r.values[k] = !strcmp(name, "temperature_c")  ? temp
		              : !strcmp(name, "moisture_pct") ? moist
		              : !strcmp(name, "input1")       ? input
		                                              : 1;
		r.quality[k] = (uint8_t)(isnan(r.values[k]) ? GW_Q_TIMEOUT : GW_Q_GOOD);
	}
	n = gw_jdata_pack(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(gw_journal_append(f->j, ts, f->src[s], buf, (size_t)n), 0);
}

/* Hourly readings of every sensor from day (m0, d0) through (m1, d1) of 2023. */
static void season(struct fx *f)
{
	int32_t first = gw_acc_day_of(2023, 5, 1), last = gw_acc_day_of(2023, 7, 15);

	for (int32_t day = first; day <= last; day++) {
		int ymd = gw_acc_yyyymmdd(day), m = ymd / 100 % 100, d = ymd % 100;
		bool p3_gap = day >= gw_acc_day_of(2023, 6, 20) && (day % 2);

		for (int h = 0; h < 24; h++) {
			int64_t ts = local_ms(2023, m, d, h);

			put(f, 0, ts, 22.0, 30.0, NAN);              /* u1: +2 on P1 */
			put(f, 1, ts, 20.0, 20.0, NAN);              /* b1 */
			put(f, 2, ts, NAN, NAN, ymd % 10000 >= 515); /* io2: laid 05-15 */
			if (!p3_gap) {
				put(f, 3, ts, 22.0, 30.0, NAN);
				put(f, 4, ts, 20.0, 20.0, NAN);
			}
			put(f, 5, ts, 20.2, 25.0, NAN); /* u4: +0.2 */
			put(f, 6, ts, 20.0, 25.0, NAN);
			put(f, 7, ts, 20.0, 25.0, NAN);
		}
		assert_int_equal(gw_journal_commit(f->j), 0);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[128];
	FILE *fp;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	snprintf(f->dir, sizeof(f->dir), "/tmp/gw_accept_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/gateway.yaml", f->dir);
	fp = fopen(path, "w");
	fputs(yaml, fp);
	fclose(fp);
	assert_int_equal(gw_config_load(path, NULL, &f->cfg), 0);
	f->j = gw_journal_open(f->cfg->data_dir, NULL, NULL);
	assert_non_null(f->j);
	for (size_t i = 0; i < f->cfg->nsensors; i++) {
		struct gw_source s;
		char text[GW_JSRC_MAX];

		gw_source_from_config(f->cfg, NULL, NULL, i, &s);
		assert_true(gw_source_format(&s, text, sizeof(text)) > 0);
		assert_int_equal(gw_journal_source(f->j, text, &f->src[i]), 0);
	}
	season(f);
	gw_journal_close(f->j);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (!f)
		return 0; /* setup failed before it was made */
	gw_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const struct gw_plot_result *find(const struct gw_plot_result *r, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].plot, p))
			return &r[i];
	fail_msg("no result for %s", p);
	return NULL;
}

static void test_acceptance_journal_season(void **state)
{
	struct fx *f = *state;
	struct gw_plot_result *r;
	const struct gw_plot_result *p;
	size_t n;

	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, NULL, &r, &n), 0);
	assert_int_equal(n, 4); /* P5 has no rule and there are no records to name it */
	p = find(r, n, "P1");
	assert_int_equal(p->verdict, GW_VERDICT_PASS);
	assert_int_equal(p->covered, 26);
	assert_int_equal(p->expected, 26 * 48);
	assert_int_equal(p->received, 26 * 48);
	assert_int_equal(p->season_covered, 76);
	assert_int_equal(p->first_covered, 20230501);
	assert_false(p->late);
	assert_int_equal(p->ndays, 76);
	assert_int_equal(p->days[0].day, 20230501);
	assert_true(fabs(p->days[0].delta_c - 2.0) < 1e-9);
	assert_true(fabs(p->days[0].moisture_pct - 25.0) < 1e-9);
	p = find(r, n, "P2");
	assert_int_equal(p->verdict, GW_VERDICT_PASS);
	assert_int_equal(p->first_covered, 20230515);
	assert_true(p->late);
	assert_true(isnan(p->days[0].delta_c));
	p = find(r, n, "P3");
	assert_int_equal(p->verdict, GW_VERDICT_INSUFFICIENT_DATA);
	assert_true(p->availability > 0.4 && p->availability < 0.6);
	p = find(r, n, "P4");
	assert_int_equal(p->verdict, GW_VERDICT_FAIL);
	assert_int_equal(p->not_covered, 26);
	assert_int_equal(p->first_covered, 0);
	gw_plot_results_free(r, n);
}

static void test_acceptance_window_and_year(void **state)
{
	struct fx *f = *state;
	struct gw_accept_opts o = {.window_start = 501, .window_end = 514};
	struct gw_plot_result *r;
	const struct gw_plot_result *p;
	size_t n;

	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, &o, &r, &n), 0);
	p = find(r, n, "P2"); /* not laid before 05-15: a fail in this window */
	assert_int_equal(p->not_covered, 14);
	assert_int_equal(p->verdict, GW_VERDICT_FAIL);
	gw_plot_results_free(r, n);
	o = (struct gw_accept_opts){.year = 2022};
	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, &o, &r, &n), 0);
	p = find(r, n, "P1"); /* nothing in 2022 */
	assert_int_equal(p->verdict, GW_VERDICT_INSUFFICIENT_DATA);
	assert_int_equal(p->no_data, 26);
	assert_int_equal(p->received, 0);
	gw_plot_results_free(r, n);
}

static void test_acceptance_config_rules(void **state)
{
	struct fx *f = *state;
	const struct gw_config *c = f->cfg;

	(void)state;
	assert_int_equal(c->accept.window_start, 620);
	assert_int_equal(c->accept.window_end, 715);
	assert_int_equal(c->accept.laying_deadline, 510);
	assert_true(c->accept.covered_delta_c == 1.5);
	assert_true(c->accept.min_availability == 0.8);
	/* two explicit, then the implicit pairs of P1 and P3 (P5 has no under probe) */
	assert_int_equal(c->nfilm_rules, 4);
	assert_string_equal(c->film_rules[0].plot, "P2");
	assert_string_equal(c->film_rules[0].point, "input1");
	assert_int_equal(c->film_rules[0].covered_value, 1);
	assert_string_equal(c->film_rules[2].plot, "P1");
	assert_true(c->film_rules[2].implicit);
	assert_int_equal(c->film_rules[2].sensor[0], 0);
	assert_int_equal(c->film_rules[2].sensor[1], 1);
	assert_string_equal(c->film_rules[3].plot, "P3");
}

/* Every acceptance key read, one rule of each kind, and P2's implicit pair. */
static void test_acceptance_config_full(void **state)
{
	struct gw_config *c = NULL;
	const struct gw_accept_cfg *a;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/fixtures/config/good_film.yaml", GW_SOURCE_DIR);
	assert_int_equal(gw_config_load(path, NULL, &c), 0);
	a = &c->accept;
	assert_int_equal(a->window_start, 625);
	assert_int_equal(a->window_end, 720);
	assert_int_equal(a->laying_deadline, 515);
	assert_int_equal(a->year, 2023);
	assert_true(a->min_availability == 0.75 && a->min_covered_days == 5);
	assert_true(a->pass_max_not_covered == 0.25 && a->fail_min_not_covered == 0.6);
	assert_true(a->hour_start == 11 && a->hour_end == 15 && a->min_day_fraction == 0.4);
	assert_true(a->covered_delta_c == 2 && a->not_covered_delta_c == 0.8);
	assert_true(a->light_covered_max == 0.2 && a->light_not_covered_min == 0.6);
	assert_true(a->min_reference_lux == 2000);
	assert_true(a->switch_covered_fraction == 0.95 && a->switch_not_covered_fraction == 0.05);
	assert_int_equal(c->nfilm_rules, 4);
	assert_int_equal(c->film_rules[1].kind, GW_RULE_LIGHT_RATIO);
	assert_string_equal(c->film_rules[1].point, "lux");
	assert_int_equal(c->film_rules[1].sensor[1], 3);
	assert_int_equal(c->film_rules[2].kind, GW_RULE_SWITCH);
	assert_string_equal(c->film_rules[2].point, "input2");
	assert_int_equal(c->film_rules[2].covered_value, 0);
	assert_false(c->film_rules[2].implicit);
	assert_string_equal(c->film_rules[3].plot, "P2");
	assert_true(c->film_rules[3].implicit);
	assert_int_equal(c->film_rules[3].src.line, 11);
	gw_config_free(c);
}

/* The roles a sensor plays travel with its readings (source text, InfluxDB tags). */
static void test_acceptance_role_tags(void **state)
{
	struct fx *f = *state;
	struct gw_source s, back;
	struct gw_reading_tags tags;
	char buf[GW_ROLE_LEN], text[GW_JSRC_MAX];

	assert_int_equal(gw_film_role_tag(f->cfg, 2, buf, sizeof(buf)), 24);
	assert_string_equal(buf, "0:switch:switch:input1:1");
	assert_true(gw_film_role_tag(f->cfg, 1, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0:temperature_pair:bare:temperature_c");
	assert_int_equal(gw_film_role_tag(f->cfg, 7, buf, sizeof(buf)), 0); /* b5: no rule */
	assert_int_equal(gw_film_role_tag(f->cfg, 1, buf, 10), -ENOSPC);
	assert_string_equal(buf, "");
	gw_source_from_config(f->cfg, NULL, NULL, 5, &s);
	assert_string_equal(s.role, "0:temperature_pair:under:temperature_c");
	assert_string_equal(s.interval, "3600");
	assert_true(gw_source_format(&s, text, sizeof(text)) > 0);
	assert_int_equal(gw_source_parse(text, &back), 0);
	assert_string_equal(back.role, s.role);
	assert_string_equal(back.interval, "3600");
	gw_source_tags(&back, &tags);
	assert_string_equal(tags.role, s.role);
	gw_source_from_config(f->cfg, NULL, NULL, 7, &s);
	assert_string_equal(s.role, "");
	assert_string_equal(s.interval, "");
	gw_source_tags(&s, &tags);
	assert_null(tags.role);
	assert_null(tags.interval_s);
}

static void test_acceptance_calendar(void **state)
{
	int32_t sec;

	(void)state;
	assert_int_equal(gw_acc_day_of(1970, 1, 1), 0);
	assert_int_equal(gw_acc_yyyymmdd(gw_acc_day_of(2024, 2, 29)), 20240229);
	assert_int_equal(gw_acc_yyyymmdd(gw_acc_day_of(2023, 12, 31) + 1), 20240101);
	/* 2023-06-20 00:30 in China is 06-19 16:30 UTC */
	assert_int_equal(
	        gw_acc_yyyymmdd(gw_acc_local_day(local_ms(2023, 6, 20, 0) + 1800000, &sec)),
	        20230620);
	assert_int_equal(sec, 1800);
}

/* Sensors are found by (gateway, id) however they were declared: many, in any order. */
static void test_acceptance_sensor_lookup(void **state)
{
	struct gw_acc *a = gw_acc_new(&((struct fx *)*state)->cfg->accept);
	char gw[16], u[16], b[16];
	bool seen[1000] = {false};

	for (int i = 0; i < 500; i++) {
		int k = (i * 7919) % 500; /* a permutation of 0..499 */
		struct gw_acc_rule r = {.gateway = gw,
		                        .plot = "P",
		                        .kind = GW_RULE_TEMPERATURE_PAIR,
		                        .sensor = {u, b},
		                        .interval_s = {60, 60},
		                        .point = "temperature_c"};

		snprintf(gw, sizeof(gw), "g%d", k % 7);
		snprintf(u, sizeof(u), "u%d", k);
		snprintf(b, sizeof(b), "b%d", k);
		assert_int_equal(gw_acc_add_rule(a, &r), 0);
	}
	for (int k = 0; k < 500; k++) {
		long s;

		snprintf(gw, sizeof(gw), "g%d", k % 7);
		snprintf(u, sizeof(u), "u%d", k);
		s = gw_acc_sensor(a, gw, u);
		assert_true(s >= 0 && s < 1000 && !seen[s]); /* each its own */
		seen[s] = true;
		snprintf(gw, sizeof(gw), "g%d", (k + 1) % 7);
		assert_int_equal(gw_acc_sensor(a, gw, u), -1); /* another gateway's sensor */
	}
	assert_int_equal(gw_acc_sensor(a, "g0", "nobody"), -1);
	gw_acc_free(a);
}

/* The process TZ changes nothing: the same journal judged under another TZ gives the same
 * days and verdicts (the zone is gateway.timezone's). Fails with localtime_r in the
 * accumulator: P1's days shift by 13 hours. */
static void test_acceptance_process_tz_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct gw_plot_result *a, *b;
	size_t na, nb;

	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, NULL, &a, &na), 0);
	setenv("TZ", "America/New_York", 1);
	tzset();
	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, NULL, &b, &nb), 0);
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].verdict, b[i].verdict);
		assert_string_equal(a[i].reason, b[i].reason);
		assert_int_equal(a[i].ndays, b[i].ndays);
		for (size_t d = 0; d < a[i].ndays; d++) {
			assert_int_equal(a[i].days[d].day, b[i].days[d].day);
			assert_int_equal(a[i].days[d].state, b[i].days[d].state);
			assert_int_equal(a[i].days[d].received, b[i].days[d].received);
		}
	}
	gw_plot_results_free(a, na);
	gw_plot_results_free(b, nb);
}

static void set_intervals(struct gw_config *cfg, unsigned s)
{
	for (size_t i = 0; i < cfg->nsensors; i++)
		cfg->sensors[i].interval_s = s;
}

/* A season polled hourly, then gateway.yaml changed to 1800 s after the window: judged by
 * the rules in force each day, availability stays 100 % and P1 passes; --rules current
 * judges the whole season by 1800 s (50 %: insufficient_data). The same set twice is
 * recorded once. Fails when the report uses only the current config. */
static void test_acceptance_rules_in_force(void **state)
{
	struct fx *f = *state;
	struct gw_accept_used used;
	struct gw_accept_opts o = {.used = &used};
	struct gw_journal *j = gw_journal_open(f->cfg->data_dir, NULL, NULL);
	char *hourly = gw_accept_rules_text(f->cfg), *half;
	struct gw_plot_result *r;
	size_t n;
	bool changed;

	assert_non_null(j);
	assert_non_null(hourly);
	assert_non_null(strstr(hourly, "\nsensor u1 interval_s=3600 plot=P1 placement=under_film"));
	assert_non_null(strstr(hourly, "\ntimezone Asia/Shanghai\n"));
	set_intervals(f->cfg, 1800);
	half = gw_accept_rules_text(f->cfg);
	assert_int_equal(gw_journal_rules_put(j, 20230501, 0, hourly, &changed), 0);
	assert_true(changed);
	assert_int_equal(gw_journal_rules_put(j, 20230502, 0, hourly, &changed), 0);
	assert_false(changed);
	assert_int_equal(gw_journal_rules_put(j, 20230716, 0, half, &changed), 0);
	assert_true(changed);
	gw_journal_close(j);

	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, &o, &r, &n), 0);
	assert_int_equal(find(r, n, "P1")->verdict, GW_VERDICT_PASS);
	assert_int_equal(find(r, n, "P1")->expected, 26 * 48);
	assert_int_equal(find(r, n, "P1")->received, 26 * 48);
	assert_int_equal(used.sets, 2);
	assert_int_equal(used.first_set, 20230501);
	assert_string_equal(used.zone, "Asia/Shanghai");
	gw_plot_results_free(r, n);

	o.rules_current = true;
	assert_int_equal(gw_acceptance_from_journal(f->cfg, NULL, &o, &r, &n), 0);
	assert_int_equal(find(r, n, "P1")->verdict, GW_VERDICT_INSUFFICIENT_DATA);
	assert_int_equal(find(r, n, "P1")->expected, 26 * 96);
	assert_int_equal(used.sets, 0);
	gw_plot_results_free(r, n);
	set_intervals(f->cfg, 3600);
	free(hourly);
	free(half);
}

/* InfluxDB's CSV and series keys, as the fleet source reads them. */
static void test_acceptance_influx_parsing(void **state)
{
	char line[] = "reading,,1687312800000,21.5,\"a,\"\"b\"\"\",,u1";
	char key[] = "reading,gateway=gw-a,interval_s=300,plot=XM\\ 1\\,2,role=0:switch:switch:"
	             "input1:1,sensor=u1";
	char *f[8], out[64];
	size_t n;

	(void)state;
	n = gw_accept_csv_split(line, f, 8);
	assert_int_equal(n, 7);
	assert_string_equal(f[0], "reading");
	assert_string_equal(f[1], "");
	assert_string_equal(f[3], "21.5");
	assert_string_equal(f[4], "a,\"b\"");
	assert_string_equal(f[5], "");
	assert_string_equal(f[6], "u1");
	strcpy(line, "a,b,c");
	assert_int_equal(gw_accept_csv_split(line, f, 2), 2); /* no more fields than asked */
	assert_string_equal(f[1], "b");
	gw_accept_series_tag(key, "plot", out, sizeof(out));
	assert_string_equal(out, "XM 1,2");
	gw_accept_series_tag(key, "role", out, sizeof(out));
	assert_string_equal(out, "0:switch:switch:input1:1");
	gw_accept_series_tag(key, "sensor", out, sizeof(out));
	assert_string_equal(out, "u1");
	gw_accept_series_tag(key, "interval", out, sizeof(out));
	assert_string_equal(out, ""); /* only whole keys */
	gw_accept_series_tag(key, "village", out, sizeof(out));
	assert_string_equal(out, "");
	gw_accept_series_tag(key, "gateway", out, 3);
	assert_string_equal(out, "gw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_acceptance_journal_season),
	        cmocka_unit_test(test_acceptance_window_and_year),
	        cmocka_unit_test(test_acceptance_config_rules),
	        cmocka_unit_test(test_acceptance_config_full),
	        cmocka_unit_test(test_acceptance_role_tags),
	        cmocka_unit_test(test_acceptance_calendar),
	        cmocka_unit_test(test_acceptance_influx_parsing),
	        cmocka_unit_test(test_acceptance_sensor_lookup),
	        cmocka_unit_test(test_acceptance_process_tz_changes_nothing),
	        cmocka_unit_test(test_acceptance_rules_in_force),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
