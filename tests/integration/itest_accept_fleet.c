/* The fleet source against a real influxd: two gateways (their own configs and plots, the
 * same sensor ids) keep a season in their journals and write the same readings to one
 * InfluxDB through the sink's line protocol; the per-plot results read back from InfluxDB
 * (rules rebuilt from the role and interval_s tags) equal each gateway's own results. */
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

#include "accept_acc.h"
#include "acceptance.h"
#include "influxd_util.h"
#include "jcodec.h"
#include "source.h"
#include "journal.h"
#include "lineproto.h"

static struct influxd fx;

static const char *const yaml[2] = {
        "gateway: {id: gw-a, township: T, data_dir: data-a}\n"
        "buses: [{name: tcp1, type: tcp, host: 127.0.0.1}]\n"
        "sensors:\n"
        "  - {id: u1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: A1, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b1, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: A1, placement: bare, "
        "interval_s: 3600}\n"
        "  - {id: io1, bus: tcp1, unit: 3, profile: waveshare-modbus-rtu-io-8ch, plot: A2, "
        "interval_s: 1800}\n"
        "film_rules: [{plot: A2, rule: switch, sensor: io1}]\n",
        "gateway: {id: gw-b, township: T, data_dir: data-b}\n"
        "buses: [{name: tcp1, type: tcp, host: 127.0.0.1}]\n"
        "sensors:\n"
        "  - {id: u1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: B1, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b1, bus: tcp1, unit: 2, profile: renke-rs-ecth-n01, plot: B1, placement: bare, "
        "interval_s: 3600}\n"
        "  - {id: u2, bus: tcp1, unit: 3, profile: seeed-s-soil-mtec-02, plot: B2, placement: "
        "under_film, interval_s: 3600}\n"
        "  - {id: b2, bus: tcp1, unit: 4, profile: dfrobot-sen0601, plot: B2, placement: bare, "
        "interval_s: 3600}\n",
};

struct gw {
	char dir[64];
	struct gw_config *cfg;
	struct gw_journal *j;
	int64_t src[4];
	struct gw_source s[4];
	char *body;
	size_t pos, cap;
};

static int64_t local_ms(int y, int mo, int d, int h)
{
	struct tm tm = {
	        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_isdst = -1};

	return (int64_t)mktime(&tm) * 1000;
}

/* The value of sensor i of gateway g at day, hour: each plot its own story. */
static double value(int g, size_t i, const char *point, int32_t day, int h)
{
	int md = gw_acc_yyyymmdd(day) % 10000;

	if (!strcmp(point, "input1"))
		return md >= 512 && (day + h) % 13 ? 1 : 0; /* A2: laid late, a flicker */
	if (strcmp(point, "temperature_c"))
		return 10 + (double)i;
	if (g == 0)
		return i == 0 ? 22.0 : 20.0; /* A1: covered */
	if (i < 2)
		return i == 0 ? (md < 625 ? 22.0 : 20.3) : 20.0; /* B1: torn off 06-25 */
	return i == 2 ? 20.0 + (double)(day % 3) : 20.0;         /* B2: unclear */
}

static void put(struct gw *w, int g, size_t i, int32_t day, int h, int64_t ts)
{
	const struct gw_profile *p = w->cfg->sensors[i].profile;
	struct gw_reading r = {.ts_ms = ts, .profile = p, .sensor_id = w->cfg->sensors[i].id};
	struct gw_reading_tags tags;
	uint8_t buf[GW_JDATA_MAX];
	int n;

	for (size_t k = 0; k < p->npoints; k++) {
		r.values[k] = value(g, i, p->points[k].name, day, h);
		r.quality[k] = (uint8_t)((day + h + (int)i) % 13 ? GW_Q_GOOD : GW_Q_TIMEOUT);
	}
	n = gw_jdata_pack(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(gw_journal_append(w->j, ts, w->src[i], buf, (size_t)n), 0);
	if (w->cap - w->pos < 4096) {
		w->cap = w->cap * 2 + 65536;
		w->body = realloc(w->body, w->cap);
	}
	gw_source_tags(&w->s[i], &tags);
	assert_int_equal(gw_lp_reading(w->body, w->cap, &w->pos, &r, &tags), 0);
}

static void write_influx(struct gw *w)
{
	struct gw_influx_cfg c = {.api = 1, .database = "fg", .batch_size = 5000};
	struct gw_influx_stats st = {0};
	struct gw_influx *x;
	int err;

	snprintf(c.url, sizeof(c.url), "%s", fx.base);
	x = gw_influx_new(&c, &err);
	assert_non_null(x);
	assert_int_equal(gw_influx_write_all(x, w->body, w->pos, &st), 0);
	assert_int_equal(st.dropped_points, 0);
	gw_influx_free(x);
	w->pos = 0;
}

static void season(struct gw *w, int g)
{
	for (int32_t day = gw_acc_day_of(2023, 5, 1); day <= gw_acc_day_of(2023, 7, 15); day++) {
		int ymd = gw_acc_yyyymmdd(day);

		for (int h = 0; h < 24; h++)
			for (size_t i = 0; i < w->cfg->nsensors; i++)
				for (int half = 0;
				     half < (w->cfg->sensors[i].interval_s == 1800 ? 2 : 1); half++)
					put(w, g, i, day, h,
					    local_ms(2023, ymd / 100 % 100, ymd % 100, h) +
					            half * 1800000);
		assert_int_equal(gw_journal_commit(w->j), 0);
		if (day % 10 == 0)
			write_influx(w);
	}
	write_influx(w);
}

static void gateway_setup(struct gw *w, int g)
{
	char path[128];
	FILE *fp;

	snprintf(w->dir, sizeof(w->dir), "%s", fx.dir);
	snprintf(path, sizeof(path), "%s/gateway-%d.yaml", w->dir, g);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(yaml[g], fp);
	fclose(fp);
	assert_int_equal(gw_config_load(path, NULL, &w->cfg), 0);
	w->j = gw_journal_open(w->cfg->data_dir, NULL, NULL);
	assert_non_null(w->j);
	for (size_t i = 0; i < w->cfg->nsensors; i++) {
		char text[GW_JSRC_MAX];

		gw_source_from_config(w->cfg, NULL, NULL, i, &w->s[i]);
		assert_true(gw_source_format(&w->s[i], text, sizeof(text)) > 0);
		assert_int_equal(gw_journal_source(w->j, text, &w->src[i]), 0);
	}
	season(w, g);
	gw_journal_close(w->j);
}

static void same(const struct gw_plot_result *l, const struct gw_plot_result *f)
{
	assert_string_equal(l->plot, f->plot);
	if (l->verdict != f->verdict)
		fail_msg("%s: local %s, fleet %s", l->plot, gw_verdict_name(l->verdict),
		         gw_verdict_name(f->verdict));
	assert_int_equal(l->received, f->received);
	assert_int_equal(l->expected, f->expected);
	assert_int_equal(l->covered, f->covered);
	assert_int_equal(l->not_covered, f->not_covered);
	assert_int_equal(l->indeterminate, f->indeterminate);
	assert_int_equal(l->season_covered, f->season_covered);
	assert_int_equal(l->first_covered, f->first_covered);
	assert_int_equal(l->ndays, f->ndays);
	for (size_t d = 0; d < l->ndays; d++) {
		assert_int_equal(l->days[d].state, f->days[d].state);
		assert_true(isnan(l->days[d].moisture_pct) == isnan(f->days[d].moisture_pct));
		if (!isnan(l->days[d].delta_c))
			assert_true(fabs(l->days[d].delta_c - f->days[d].delta_c) < 1e-6);
	}
}

static void test_fleet_equals_local(void **state)
{
	struct gw w[2] = {0};
	struct gw_plot_result *loc, *fl;
	struct gw_fleet_src src = {.database = "fg"};
	size_t nl, nf, matched = 0;

	(void)state;
	gateway_setup(&w[0], 0);
	gateway_setup(&w[1], 1);
	snprintf(src.url, sizeof(src.url), "%s", fx.base);
	assert_int_equal(gw_acceptance_from_influx(w[0].cfg, NULL, &src, NULL, &fl, &nf), 0);
	assert_int_equal(nf, 4);
	for (int g = 0; g < 2; g++) {
		assert_int_equal(gw_acceptance_from_journal(w[g].cfg, NULL, NULL, &loc, &nl), 0);
		for (size_t i = 0; i < nl; i++)
			for (size_t k = 0; k < nf; k++)
				if (!strcmp(loc[i].plot, fl[k].plot)) {
					same(&loc[i], &fl[k]);
					matched++;
				}
		gw_plot_results_free(loc, nl);
	}
	assert_int_equal(matched, 4);
	/* the stories came out as written */
	assert_int_equal(fl[0].verdict, GW_VERDICT_PASS); /* A1 */
	assert_int_equal(fl[1].verdict, GW_VERDICT_PASS); /* A2 */
	assert_true(fl[1].late);
	assert_int_equal(fl[2].verdict, GW_VERDICT_FAIL); /* B1 */
	gw_plot_results_free(fl, nf);
	for (int g = 0; g < 2; g++) {
		gw_config_free(w[g].cfg);
		free(w[g].body);
	}
}

static void test_fleet_no_server_no_database(void **state)
{
	struct gw_fleet_src src = {.url = "http://127.0.0.1:1", .database = "fg"};
	struct gw_config cfg = {0};
	struct gw_plot_result *r;
	size_t n;

	(void)state;
	assert_int_equal(gw_acceptance_from_influx(&cfg, NULL, &src, NULL, &r, &n), -EAGAIN);
	assert_null(r);
	/* a database that is not there answers every query with nothing: an error, not a season */
	snprintf(src.url, sizeof(src.url), "%s", fx.base);
	snprintf(src.database, sizeof(src.database), "nope");
	assert_int_equal(gw_acceptance_from_influx(&cfg, NULL, &src, NULL, &r, &n), -ENOENT);
	assert_null(r);
}

static int setup(void **state)
{
	char resp[512];

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	setenv("FIELDGATE_PROFILES", GW_SOURCE_DIR "/drivers/profiles", 0);
	tzset();
	if (influxd_setup(&fx, "itest_accept")) /* starts it too */
		return -1;
	if (influxd_query(&fx, NULL, "CREATE DATABASE fg", resp, sizeof(resp)) != 200)
		return -1;
	return 0;
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
	        cmocka_unit_test(test_fleet_equals_local),
	        cmocka_unit_test(test_fleet_no_server_no_database),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
