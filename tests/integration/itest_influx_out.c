/* The InfluxDB sink thread against a real influxd (1.x) on 127.0.0.1, started here in a temp
 * dir: readings written to a journal (as the delivery thread writes them) arrive exactly
 * once, through a server outage too; a point the server refuses is dropped and counted
 * without blocking what follows; the daily budget defers without dropping; the self-metrics
 * arrive; stopping drains, and gives up after drain_ms when the server is gone. Fails (not
 * skips) when influxd is missing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "budget.h"
#include "influx_out.h"
#include "influx_sink.h"
#include "jcodec.h"
#include "journal.h"
#include "metrics.h"

#define INFLUXD  "/usr/bin/influxd"
#define NSENSORS 4
#define BASE_TS  1700000000000LL
#define ODD      NSENSORS /* the source whose only point is conflict_x */

struct fixture {
	char dir[64];
	char base[64]; /* http://127.0.0.1:<port> */
	char conf[128], log[128];
	pid_t pid;
};

static struct fixture fx = {.pid = -1};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int write_config(int http_port, int rpc_port)
{
	FILE *f = fopen(fx.conf, "w");

	if (!f)
		return -1;
	fprintf(f,
	        "reporting-disabled = true\n"
	        "bind-address = \"127.0.0.1:%d\"\n"
	        "[meta]\n  dir = \"%s/meta\"\n"
	        "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n"
	        "  query-log-enabled = false\n"
	        "[monitor]\n  store-enabled = false\n"
	        "[http]\n  bind-address = \"127.0.0.1:%d\"\n  log-enabled = false\n",
	        rpc_port, fx.dir, fx.dir, fx.dir, http_port);
	return fclose(f) == 0 ? 0 : -1;
}

/* Polls /ping until 204, the process exits, or 30 s pass. */
static int wait_ready(void)
{
	char url[128], resp[256];
	int64_t deadline = mono_ms() + 30000;

	snprintf(url, sizeof(url), "%s/ping", fx.base);
	while (mono_ms() < deadline) {
		long status = 0;
		int wst;

		if (gw_influx_http(url, NULL, 0, &status, resp, sizeof(resp)) == 0 && status == 204)
			return 0;
		if (waitpid(fx.pid, &wst, WNOHANG) == fx.pid) {
			fx.pid = -1;
			return -1;
		}
		nap_ms(50);
	}
	return -1;
}

static int start_influxd(void)
{
	fx.pid = fork();
	if (fx.pid == 0) {
		int fd = open(fx.log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(INFLUXD, INFLUXD, "-config", fx.conf, (char *)NULL);
		_exit(127);
	}
	if (fx.pid < 0 || wait_ready()) {
		fprintf(stderr, "influxd did not become ready; log in %s\n", fx.log);
		return -1;
	}
	return 0;
}

static void stop_influxd(void)
{
	if (fx.pid > 0) {
		kill(fx.pid, SIGTERM);
		waitpid(fx.pid, NULL, 0);
		fx.pid = -1;
	}
}

/* POSTs q to /query (db may be NULL); the answer lands in resp. Returns the status or -1. */
static long query(const char *db, const char *q, char *resp, size_t resp_len)
{
	char url[160], form[512] = "q=";
	size_t pos = 2;
	long status = 0;

	snprintf(url, sizeof(url), "%s/query?db=%s", fx.base, db ? db : "");
	if (gw_influx_escape(form, sizeof(form), &pos, q))
		return -1;
	if (gw_influx_http(url, form, pos, &status, resp, resp_len))
		return -1;
	return status;
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

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	int http_port = free_port(), rpc_port = free_port();

	(void)state;
	if (access(INFLUXD, X_OK) != 0) {
		fprintf(stderr, "influxd not installed at %s (scripts/setup.sh installs it)\n",
		        INFLUXD);
		return -1;
	}
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/itest_influx_out.XXXXXX");
	if (!mkdtemp(fx.dir) || http_port < 0 || rpc_port < 0 || http_port == rpc_port)
		return -1;
	snprintf(fx.conf, sizeof(fx.conf), "%s/influxdb.conf", fx.dir);
	snprintf(fx.log, sizeof(fx.log), "%s/influxd.log", fx.dir);
	snprintf(fx.base, sizeof(fx.base), "http://127.0.0.1:%d", http_port);
	if (write_config(http_port, rpc_port))
		return -1;
	return start_influxd();
}

static int group_teardown(void **state)
{
	(void)state;
	stop_influxd();
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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

static void rig_put(struct rig *g, int s, int64_t ts, double v)
{
	struct gw_reading r = {.ts_ms = ts,
	                       .profile = &g->src[s].prof,
	                       .values = {v, v / 2},
	                       .quality = {GW_Q_GOOD, GW_Q_GOOD}};
	uint8_t data[GW_JDATA_MAX];
	int n = gw_jdata_pack(&r, data, sizeof(data));

	assert_true(n > 0);
	assert_int_equal(gw_journal_append(g->j, ts, g->src_id[s], data, (size_t)n), 0);
}

/* Appends n normal readings (sensor k % NSENSORS), committing every 500, ringing the bell. */
static void rig_append(struct rig *g, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		int64_t k = g->rows++;

		rig_put(g, (int)(k % NSENSORS), BASE_TS + k, (double)k);
		if ((i + 1) % 500 == 0 || i + 1 == n) {
			assert_int_equal(gw_journal_commit(g->j), 0);
			assert_int_equal(gw_journal_last_seq(g->j, &g->last), 0);
			gw_bell_ring(&g->bell, g->last);
		}
	}
}

static void rig_start(struct rig *g)
{
	assert_int_equal(gw_influx_out_start(&g->env, &g->out), 0);
}

/* Waits up to timeout_ms for the sink's cursor to reach seq. */
static bool rig_reaches(struct rig *g, int64_t seq, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (atomic_load(&g->stats.cursor) < seq && mono_ms() < deadline)
		nap_ms(20);
	return atomic_load(&g->stats.cursor) >= seq;
}

/* Closes the bell and joins; returns how long the join took (ms). Safe to call again. */
static int64_t rig_stop(struct rig *g)
{
	int64_t t0 = mono_ms();

	if (!g->j)
		return 0;
	gw_bell_close(&g->bell);
	gw_influx_out_join(g->out);
	g->out = NULL;
	t0 = mono_ms() - t0;
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
	int64_t took;

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
}

/* The cursor is kept in the journal: a new sink on the same journal sends nothing again. */
static void test_influx_out_cursor_persists_ok(void **state)
{
	int64_t cur = -1;
	int err = -1;
	struct gw_journal *j;

	(void)state;
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
	rig_put(&rig, ODD, BASE_TS + 1000000, 1.5); /* conflict_x as a float: refused */
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
	int64_t held, deadline;

	(void)state;
	rig_init(&rig, "fg_d", 100, false);
	gw_budget_init(&budget, 2000); /* the first batch overshoots it, then nothing goes */
	rig.env.budget = &budget;
	rig_append(&rig, 1000);
	rig_start(&rig);
	deadline = mono_ms() + 10000;
	while (!atomic_load(&rig.stats.deferred) && mono_ms() < deadline)
		nap_ms(20);
	assert_int_equal(atomic_load(&rig.stats.deferred), 1);
	held = atomic_load(&rig.stats.cursor);
	assert_true(held > 0 && held < rig.last);
	nap_ms(3000); /* longer than the sink's budget poll */
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
	deadline = mono_ms() + 8000;
	while (sent != 40 && mono_ms() < deadline) {
		nap_ms(200);
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

	for (int i = 0; i < 2000 && atomic_load(&g->go); i++) {
		rig_append(g, 25);
		nap_ms(20);
	}
	return NULL;
}

static void test_influx_out_outage_nothing_lost_ok(void **state)
{
	pthread_t t;
	int64_t deadline;

	(void)state;
	rig_init(&rig, "fg_b", 1000, true);
	rig_append(&rig, 1000);
	rig_start(&rig);
	atomic_store(&rig.go, true);
	assert_int_equal(pthread_create(&t, NULL, appender, &rig), 0);
	nap_ms(1000);
	stop_influxd();
	deadline = mono_ms() + 10000;
	while (atomic_load(&rig.stats.connected) && mono_ms() < deadline)
		nap_ms(20);
	assert_int_equal(atomic_load(&rig.stats.connected), 0);
	nap_ms(5000); /* the outage */
	assert_true(atomic_load(&rig.stats.failed) >= 2);
	assert_true(atomic_load(&rig.stats.depth) > 0);
	assert_int_equal(start_influxd(), 0);
	nap_ms(1000);
	atomic_store(&rig.go, false);
	pthread_join(t, NULL);
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
	int64_t took, deadline;

	(void)state;
	rig_init(&rig, "fg_f", 5000, true);
	rig.env.drain_ms = 1500;
	stop_influxd();
	rig_append(&rig, 100);
	rig_start(&rig);
	deadline = mono_ms() + 10000;
	while (!atomic_load(&rig.stats.failed) && mono_ms() < deadline)
		nap_ms(20);
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
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(gw_influx_partial_dropped(cases[i].msg, cases[i].lines),
		                 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_influx_out_partial_write_count_table_ok),
	        cmocka_unit_test_teardown(test_influx_out_20000_readings_once_ok, rig_teardown),
	        cmocka_unit_test(test_influx_out_cursor_persists_ok),
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
