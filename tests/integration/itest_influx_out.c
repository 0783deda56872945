/* The InfluxDB sink thread against a real influxd (1.x) on 127.0.0.1, started here in a temp
 * dir: readings written to a journal (as the delivery thread writes them) arrive exactly
 * once, through a server outage too; a point the server refuses is dropped and counted
 * without blocking what follows; the daily budget defers without dropping; the self-metrics
 * arrive; stopping drains, and gives up after drain_ms when the server is gone. Fails (not
 * skips) when influxd is missing. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "budget.h"
#include "influx_out.h"
#include "influx_http.h"
#include "influxd_util.h"
#include "jcodec.h"
#include "journal.h"
#include "metrics.h"

#define NSENSORS 4
#define BASE_TS  1700000000000LL
#define ODD      NSENSORS /* the source whose only point is conflict_x */

static struct influxd fx = {.pid = -1};

static long query(const char *db, const char *q, char *resp, size_t resp_len)
{
	return influxd_query(&fx, db, q, resp, resp_len);
}

/* The numbers of each series' first row of a /query answer ("values":[[time,a,b...]]),
 * series after series, into v (up to max). Returns how many. */
static size_t values(const char *resp, double *v, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(resp, "\"values\":[["); p && n < max;
	     p = strstr(p, "\"values\":[[")) {
		const char *end = strchr(p, ']');

		p = strchr(p, ',');
		while (p && p < end && n < max) {
			v[n++] = strtod(p + 1, NULL);
			p = strchr(p + 1, ',');
		}
		p = end;
	}
	return n;
}

/* One number of a query: the first value of its first series, or -1. */
static double number(const char *db, const char *q)
{
	static char resp[16384];
	double v = -1;

	if (query(db, q, resp, sizeof(resp)) != 200 || values(resp, &v, 1) != 1)
		return -1;
	return v;
}

static int group_setup(void **state)
{
	(void)state;
	return influxd_setup(&fx, "itest_influx_out");
}

static int group_teardown(void **state)
{
	(void)state;
	influxd_teardown(&fx);
	return 0;
}

/* ---- one sink under test, its journal and the delivery side's part ---- */

struct rig {
	char db[16];
	struct gw_config cfg;
	struct gw_bell bell;
	struct gw_sink_stats stats;
	struct gw_sink_env env;
	struct gw_journal *j;
	struct gw_source src[NSENSORS + 1];
	int64_t src_id[NSENSORS + 1];
	int64_t rows;   /* normal readings appended; row k has value k, ts BASE_TS + k */
	int64_t last;   /* the journal's last seq */
	atomic_bool go; /* the appending thread of the outage test runs */
	int append_rc;  /* what it ran into; read after the join */
	struct gw_influx_out *out;
};

static void make_source(struct gw_source *s, int i)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->gateway, "gw-t");
	snprintf(s->sensor, sizeof(s->sensor), i == ODD ? "odd" : "soil-%d", i);
	strcpy(s->plot, "XM-0012");
	strcpy(s->township, "新民乡");
	strcpy(s->prof.name, "test-model");
	s->prof.npoints = i == ODD ? 1 : 2;
	strcpy(s->prof.points[0].name, i == ODD ? "conflict_x" : "moisture_pct");
	strcpy(s->prof.points[1].name, "temperature_c");
	s->prof.points[0].decimals = 1;
	s->prof.points[1].decimals = 2;
}

static void rig_init(struct rig *g, const char *db, unsigned batch, bool gzip)
{
	char text[GW_JSRC_MAX], resp[512], q[64];
	int err = -1;

	memset(g, 0, sizeof(*g));
	snprintf(g->db, sizeof(g->db), "%s", db);
	snprintf(g->cfg.data_dir, sizeof(g->cfg.data_dir), "%s/%s", fx.dir, db);
	strcpy(g->cfg.gateway_id, "gw-t");
	g->cfg.influx = (struct gw_influx_cfg){
	        .enabled = true, .api = 1, .batch_size = batch, .flush_ms = 200, .gzip = gzip};
	snprintf(g->cfg.influx.url, sizeof(g->cfg.influx.url), "%s", fx.base);
	snprintf(g->cfg.influx.database, sizeof(g->cfg.influx.database), "%s", db);
	gw_bell_init(&g->bell);
	g->stats.name = "influxdb";
	g->env = (struct gw_sink_env){
	        .cfg = &g->cfg, .bell = &g->bell, .stats = &g->stats, .drain_ms = 10000};
	snprintf(q, sizeof(q), "CREATE DATABASE %s", db);
	assert_int_equal(query(NULL, q, resp, sizeof(resp)), 200);
	g->j = gw_journal_open(g->cfg.data_dir, NULL, &err);
	assert_non_null(g->j);
	for (int i = 0; i <= NSENSORS; i++) {
		make_source(&g->src[i], i);
		assert_true(gw_source_format(&g->src[i], text, sizeof(text)) > 0);
		assert_int_equal(gw_journal_source(g->j, text, &g->src_id[i]), 0);
	}
}

/* Journals one reading of source s. Returns 0 or -errno (no cmocka assert: the outage
 * test calls it from a second thread). */
static int rig_put(struct rig *g, int s, int64_t ts, double v)
{
	struct gw_reading r = {.ts_ms = ts,
	                       .profile = &g->src[s].prof,
	                       .values = {v, v / 2},
	                       .quality = {GW_Q_GOOD, GW_Q_GOOD}};
	uint8_t data[GW_JDATA_MAX];
	int n = gw_jdata_pack(&r, data, sizeof(data));

	return n > 0 ? gw_journal_append(g->j, ts, g->src_id[s], data, (size_t)n) : -ENOSPC;
}

/* Appends n normal readings (sensor k % NSENSORS), committing every 500, ringing the bell.
 * Returns 0 or -errno. */
static int rig_append_rc(struct rig *g, int64_t n)
{
	int rc = 0;

	for (int64_t i = 0; i < n && !rc; i++) {
		int64_t k = g->rows++;

		rc = rig_put(g, (int)(k % NSENSORS), BASE_TS + k, (double)k);
		if (!rc && ((i + 1) % 500 == 0 || i + 1 == n)) {
			rc = gw_journal_commit(g->j);
			rc = rc ? rc : gw_journal_last_seq(g->j, &g->last);
			gw_bell_ring(&g->bell, g->last);
		}
	}
	return rc;
}

static void rig_append(struct rig *g, int64_t n)
{
	assert_int_equal(rig_append_rc(g, n), 0);
}

static void rig_start(struct rig *g)
{
	assert_int_equal(gw_influx_out_start(&g->env, &g->out), 0);
}

/* Waits up to timeout_ms for the sink's cursor to reach seq. */
static bool rig_reaches(struct rig *g, int64_t seq, int timeout_ms)
{
	WAIT_UNTIL(atomic_load(&g->stats.cursor) >= seq, timeout_ms);
	return atomic_load(&g->stats.cursor) >= seq;
}

/* Closes the bell and joins; returns how long the join took (ms). Safe to call again. */
static int64_t rig_stop(struct rig *g)
{
	int64_t t0 = now_ms();

	if (!g->j)
		return 0;
	gw_bell_close(&g->bell);
	gw_influx_out_join(g->out);
	g->out = NULL;
	t0 = now_ms() - t0;
	gw_journal_close(g->j);
	g->j = NULL;
	gw_bell_destroy(&g->bell);
	return t0;
}

/* count and sum of moisture_pct must be those of rows 0..rows-1, each exactly once. */
static void assert_exactly_once(struct rig *g)
{
	static char resp[16384];
	double v[2] = {-1, -1};
	double per[NSENSORS];
	double want_sum = (double)g->rows * (double)(g->rows - 1) / 2;

	assert_int_equal(query(g->db, "SELECT count(moisture_pct), sum(moisture_pct) FROM reading",
	                       resp, sizeof(resp)),
	                 200);
	assert_int_equal(values(resp, v, 2), 2);
	assert_int_equal((int64_t)v[0], g->rows);
	assert_true(fabs(v[1] - want_sum) < 0.5);
	/* distinct timestamps per sensor: a reading sent twice at another time would show */
	assert_int_equal(query(g->db, "SELECT count(moisture_pct) FROM reading GROUP BY sensor",
	                       resp, sizeof(resp)),
	                 200);
	assert_int_equal(values(resp, per, NSENSORS), NSENSORS);
	for (int i = 0; i < NSENSORS; i++)
		assert_int_equal((int64_t)per[i], g->rows / NSENSORS + (i < g->rows % NSENSORS));
}

static struct rig rig;

/* A failed test leaves its sink running: stop it before the next one reuses rig. */
static int rig_teardown(void **state)
{
	(void)state;
	atomic_store(&rig.go, false);
	rig_stop(&rig);
	return 0;
}

static void test_influx_out_20000_readings_once_ok(void **state)
{
	struct gw_journal *j;
	int64_t took, cur = -1;
	int err = -1;

	(void)state;
	rig_init(&rig, "fg_a", 5000, true);
	rig.cfg.influx.flush_ms = 5000; /* the closing turn below must not wait for it */
	rig_append(&rig, 20000);
	rig_start(&rig);
	assert_true(rig_reaches(&rig, rig.last, 60000));
	assert_int_equal(atomic_load(&rig.stats.sent), 20000);
	assert_int_equal(atomic_load(&rig.stats.dropped), 0);
	assert_int_equal(atomic_load(&rig.stats.connected), 1);
	assert_exactly_once(&rig);
	/* rows committed just before stopping are still sent, without waiting for flush_ms */
	rig_append(&rig, 300);
	took = rig_stop(&rig);
	assert_true(took < 4000);
	assert_int_equal(atomic_load(&rig.stats.cursor), rig.last);
	assert_int_equal(atomic_load(&rig.stats.sent), 20300);
	assert_int_equal(atomic_load(&rig.stats.depth), 0);
	assert_exactly_once(&rig);
	/* the cursor is kept in the journal: a sink started again sends nothing again */
	j = gw_journal_open(rig.cfg.data_dir, NULL, &err);
	assert_non_null(j);
	assert_int_equal(gw_journal_cursor_get(j, "influxdb", &cur), 0);
	assert_int_equal(cur, rig.last);
	gw_journal_close(j);
}

static void test_influx_out_refused_point_dropped_rest_delivered_ok(void **state)
{
	char url[160], resp[512];
	static const char conflict[] = "reading,sensor=other conflict_x=\"text\" 1700000000500\n";
	long status = 0;

	(void)state;
	rig_init(&rig, "fg_c", 300, false);
	snprintf(url, sizeof(url), "%s/write?db=fg_c&precision=ms", fx.base);
	assert_int_equal(
	        gw_influx_http(url, conflict, strlen(conflict), &status, resp, sizeof(resp)), 0);
	assert_int_equal(status, 204);
	rig_append(&rig, 1000);
	assert_int_equal(rig_put(&rig, ODD, BASE_TS + 1000000, 1.5), 0); /* a float: refused */
	rig_append(&rig, 1000);
	rig_start(&rig);
	assert_true(rig_reaches(&rig, rig.last, 30000));
	assert_int_equal(atomic_load(&rig.stats.dropped), 1);
	assert_int_equal(atomic_load(&rig.stats.sent), 2000);
	assert_exactly_once(&rig);
	assert_true(number("fg_c", "SELECT count(conflict_x) FROM reading") == 1);
	rig_stop(&rig);
}

static void test_influx_out_budget_defers_never_drops_ok(void **state)
{
	struct gw_budget budget;
	uint64_t used = 0;
	bool exhausted = false;
	int64_t held;

	(void)state;
	rig_init(&rig, "fg_d", 100, false);
	gw_budget_init(&budget, 2000); /* the first batch overshoots it, then nothing goes */
	rig.env.budget = &budget;
	rig_append(&rig, 1000);
	rig_start(&rig);
	WAIT_UNTIL(atomic_load(&rig.stats.deferred), 10000);
	assert_int_equal(atomic_load(&rig.stats.deferred), 1);
	held = atomic_load(&rig.stats.cursor);
	assert_true(held > 0 && held < rig.last);
	pause_ms(3000); /* longer than the sink's budget poll */
	assert_int_equal(atomic_load(&rig.stats.cursor), held);
	assert_int_equal(atomic_load(&rig.stats.dropped), 0);
	assert_int_equal(atomic_load(&rig.stats.sent), held);
	assert_true(number("fg_d", "SELECT count(moisture_pct) FROM reading") == (double)held);
	gw_budget_get(&budget, &used, &exhausted);
	assert_true(exhausted);
	assert_true(used >= 2000 && used < 100 * 200);
	pthread_mutex_lock(&budget.mu); /* a new day, as far as the sink can tell */
	budget.cap = 0;
	pthread_mutex_unlock(&budget.mu);
	assert_true(rig_reaches(&rig, rig.last, 15000));
	assert_int_equal(atomic_load(&rig.stats.deferred), 0);
	assert_int_equal(atomic_load(&rig.stats.sent), 1000);
	assert_exactly_once(&rig);
	gw_budget_get(&budget, &used, &exhausted);
	assert_true(used > 1000 * 60); /* every body was counted */
	rig_stop(&rig);
	gw_budget_destroy(&budget);
}

static void test_influx_out_self_metrics_arrive_ok(void **state)
{
	struct gw_metrics m;
	char line[4096];
	size_t pos = 0;
	int64_t deadline;
	double sent = -1;

	(void)state;
	rig_init(&rig, "fg_e", 5000, true);
	rig.cfg.metrics_interval_s = 1;
	memset(&m, 0, sizeof(m));
	m.cfg = &rig.cfg;
	m.sinks[0] = &rig.stats;
	m.nsinks = 1;
	rig.env.metrics = &m;
	/* what the sink will send (this also links metrics.o before gw_influx asks for it) */
	assert_int_equal(gw_metrics_lines(&m, BASE_TS, line, sizeof(line), &pos), 0);
	assert_non_null(strstr(line, "sink,gateway=gw-t,sink=influxdb "));
	rig_append(&rig, 40);
	rig_start(&rig);
	assert_true(rig_reaches(&rig, rig.last, 10000));
	deadline = now_ms() + 8000;
	while (sent != 40 && now_ms() < deadline) {
		pause_ms(200);
		sent = number("fg_e", "SELECT last(sent) FROM sink WHERE sink = 'influxdb'");
	}
	assert_true(sent == 40);
	assert_true(number("fg_e", "SELECT count(moisture_pct) FROM reading") == 40);
	rig_stop(&rig);
}

/* Rows keep coming while influxd is stopped for ~5 s and restarted on the same port. */
static void *appender(void *arg)
{
	struct rig *g = arg;

	for (int i = 0; i < 2000 && atomic_load(&g->go) && !g->append_rc; i++) {
		g->append_rc = rig_append_rc(g, 25);
		pause_ms(20);
	}
	return NULL;
}

static void test_influx_out_outage_nothing_lost_ok(void **state)
{
	pthread_t t;

	(void)state;
	rig_init(&rig, "fg_b", 1000, true);
	rig_append(&rig, 1000);
	rig_start(&rig);
	atomic_store(&rig.go, true);
	assert_int_equal(pthread_create(&t, NULL, appender, &rig), 0);
	pause_ms(1000);
	influxd_stop(&fx);
	WAIT_UNTIL(!atomic_load(&rig.stats.connected), 10000);
	assert_int_equal(atomic_load(&rig.stats.connected), 0);
	pause_ms(5000); /* the outage */
	assert_true(atomic_load(&rig.stats.failed) >= 2);
	assert_true(atomic_load(&rig.stats.depth) > 0);
	assert_int_equal(influxd_start(&fx), 0);
	pause_ms(1000);
	atomic_store(&rig.go, false);
	pthread_join(t, NULL);
	assert_int_equal(rig.append_rc, 0);
	assert_true(rig_reaches(&rig, rig.last, 30000));
	assert_int_equal(atomic_load(&rig.stats.connected), 1);
	assert_int_equal((int64_t)atomic_load(&rig.stats.sent), rig.rows);
	assert_int_equal(atomic_load(&rig.stats.dropped), 0);
	assert_exactly_once(&rig);
	rig_stop(&rig);
}

/* With the server gone, stopping gives up after drain_ms and keeps the rows. */
static void test_influx_out_drain_gives_up_when_server_gone_ok(void **state)
{
	int64_t took;

	(void)state;
	rig_init(&rig, "fg_f", 5000, true);
	rig.env.drain_ms = 1500;
	influxd_stop(&fx);
	rig_append(&rig, 100);
	rig_start(&rig);
	WAIT_UNTIL(atomic_load(&rig.stats.failed), 10000);
	assert_true(atomic_load(&rig.stats.failed) >= 1);
	took = rig_stop(&rig);
	assert_true(took >= 1000 && took < 4000);
	assert_int_equal(atomic_load(&rig.stats.cursor), 0);
	assert_int_equal(atomic_load(&rig.stats.depth), 100);
	assert_int_equal(atomic_load(&rig.stats.sent), 0);
}

static void test_influx_out_partial_write_count_table_ok(void **state)
{
	static const struct {
		const char *msg;
		size_t lines, want;
	} cases[] = {
	        {"{\"error\":\"partial write: field type conflict: input field \\\"x\\\" on "
	         "measurement \\\"m\\\" is type float, already exists as type string dropped=1\"}",
	         10, 1},
	        {"{\"error\":\"partial write: points beyond retention policy dropped=3\"}", 5, 3},
	        {"{\"error\":\"partial write: dropped=9\"}", 5, 5},
	        {"{\"error\":\"unable to parse 'x': missing fields\"}", 4, 4},
	        {"{\"error\":\"partial write: unable to parse 'b =': invalid field format "
	         "dropped=0\"}",
	         2, 2},
	        {"dropped=1", 4, 4},
	        {"", 2, 2},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_int_equal(gw_influx_partial_dropped(cases[i].msg, cases[i].lines),
		                 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_influx_out_partial_write_count_table_ok),
	        cmocka_unit_test_teardown(test_influx_out_20000_readings_once_ok, rig_teardown),
	        cmocka_unit_test_teardown(test_influx_out_refused_point_dropped_rest_delivered_ok,
	                                  rig_teardown),
	        cmocka_unit_test_teardown(test_influx_out_budget_defers_never_drops_ok,
	                                  rig_teardown),
	        cmocka_unit_test_teardown(test_influx_out_self_metrics_arrive_ok, rig_teardown),
	        cmocka_unit_test_teardown(test_influx_out_outage_nothing_lost_ok, rig_teardown),
	        cmocka_unit_test_teardown(test_influx_out_drain_gives_up_when_server_gone_ok,
	                                  rig_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
