/* The InfluxDB writer against a real influxd (1.x) on 127.0.0.1, started here in a temp
 * dir with a small max-body-size so large batches get 413 and are split: 1000 points
 * arrive exactly once, escaped tags round-trip, a malformed line is dropped and counted,
 * and a stopped server gives -EAGAIN. Fails (not skips) when influxd is missing. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "influx_sink.h"
#include "lineproto.h"

#define INFLUXD  "/usr/bin/influxd"
#define NPOINTS  1000
#define MAX_BODY 16384 /* influxd answers 413 above this */

struct fixture {
	char dir[64];
	char base[64]; /* http://127.0.0.1:<port> */
	pid_t pid;
};

static struct fixture fx = {.pid = -1};

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

static int write_config(const char *path, int http_port, int rpc_port)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f,
	        "reporting-disabled = true\n"
	        "bind-address = \"127.0.0.1:%d\"\n"
	        "[meta]\n  dir = \"%s/meta\"\n"
	        "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n"
	        "  query-log-enabled = false\n"
	        "[monitor]\n  store-enabled = false\n"
	        "[http]\n  bind-address = \"127.0.0.1:%d\"\n  log-enabled = false\n"
	        "  max-body-size = %d\n",
	        rpc_port, fx.dir, fx.dir, fx.dir, http_port, MAX_BODY);
	return fclose(f) == 0 ? 0 : -1;
}

static pid_t spawn_influxd(const char *conf, const char *logpath)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(INFLUXD, INFLUXD, "-config", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls /ping until 204, the process exits, or 30 s pass. */
static int wait_ready(void)
{
	char url[128], resp[256];
	int64_t deadline = now_ms() + 30000;

	snprintf(url, sizeof(url), "%s/ping", fx.base);
	while (now_ms() < deadline) {
		struct timespec pause = {0, 50 * 1000000L};
		long status = 0;
		int wst;

		if (gw_influx_http(url, NULL, 0, &status, resp, sizeof(resp)) == 0 && status == 204)
			return 0;
		if (waitpid(fx.pid, &wst, WNOHANG) == fx.pid) {
			fx.pid = -1;
			return -1;
		}
		nanosleep(&pause, NULL); /* readiness poll interval, bounded by the deadline */
	}
	return -1;
}

/* POSTs q to /query; the answer lands in resp. Returns the HTTP status or -1. */
static long query(const char *q, char *resp, size_t resp_len)
{
	char url[128], form[512] = "q=";
	size_t pos = 2;
	long status = 0;

	snprintf(url, sizeof(url), "%s/query?db=fg", fx.base);
	if (gw_influx_escape(form, sizeof(form), &pos, q))
		return -1;
	if (gw_influx_http(url, form, pos, &status, resp, resp_len))
		return -1;
	return status;
}

static void stop_influxd(void)
{
	if (fx.pid > 0) {
		kill(fx.pid, SIGTERM);
		waitpid(fx.pid, NULL, 0);
		fx.pid = -1;
	}
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
	char conf[128], logpath[128], resp[512];
	int http_port = free_port(), rpc_port = free_port();

	(void)state;
	if (access(INFLUXD, X_OK) != 0) {
		fprintf(stderr, "influxd not installed at %s (scripts/setup.sh installs it)\n",
		        INFLUXD);
		return -1;
	}
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/itest_influx.XXXXXX");
	if (!mkdtemp(fx.dir) || http_port < 0 || rpc_port < 0 || http_port == rpc_port)
		return -1;
	snprintf(conf, sizeof(conf), "%s/influxdb.conf", fx.dir);
	snprintf(logpath, sizeof(logpath), "%s/influxd.log", fx.dir);
	snprintf(fx.base, sizeof(fx.base), "http://127.0.0.1:%d", http_port);
	if (write_config(conf, http_port, rpc_port))
		return -1;
	fx.pid = spawn_influxd(conf, logpath);
	if (fx.pid < 0 || wait_ready()) {
		fprintf(stderr, "influxd did not become ready; log in %s\n", logpath);
		stop_influxd();
		return -1;
	}
	if (query("CREATE DATABASE fg", resp, sizeof(resp)) != 200) {
		fprintf(stderr, "CREATE DATABASE failed: %s\n", resp);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_influxd();
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct gw_influx *open_writer(void)
{
	struct gw_influx_cfg cfg = {.api = 1, .database = "fg", .batch_size = 5000};
	struct gw_influx *w;
	int err = -1;

	snprintf(cfg.url, sizeof(cfg.url), "%s", fx.base);
	w = gw_influx_new(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(w);
	return w;
}

static struct gw_profile prof;

/* Builds NPOINTS points, distinct timestamps, tags with spaces, commas and Chinese. */
static size_t make_batch(char *buf, size_t len)
{
	struct gw_reading_tags tags = {.gateway = "xinmin 01",
	                               .plot = "XM 0012,东",
	                               .household = "hh=3f",
	                               .township = "新民乡"};
	size_t pos = 0;

	memset(&prof, 0, sizeof(prof));
	prof.npoints = 1;
	strcpy(prof.points[0].name, "temperature_c");
	prof.points[0].decimals = 2;
	for (int i = 0; i < NPOINTS; i++) {
		struct gw_reading r = {.ts_ms = 1700000000000LL + i * 1000LL,
		                       .sensor_id = i % 2 ? "soil 07" : "soil,08",
		                       .profile = &prof,
		                       .values = {20.0 + i * 0.01},
		                       .quality = {GW_Q_GOOD}};

		assert_int_equal(gw_lp_reading(buf, len, &pos, &r, &tags), 0);
	}
	return pos;
}

/* The first count in a /query answer, or -1. */
static long first_count(const char *resp)
{
	const char *p = strstr(resp, "\"values\":[[");

	p = p ? strchr(p, ',') : NULL;
	return p ? strtol(p + 1, NULL, 10) : -1;
}

static void test_influx_sink_1000_points_split_and_counted_ok(void **state)
{
	static char body[NPOINTS * 256];
	static char resp[8192];
	struct gw_influx_stats st = {0};
	struct gw_influx *w = open_writer();
	size_t len = make_batch(body, sizeof(body));

	(void)state;
	assert_true(len > MAX_BODY * 4); /* so the server must refuse it whole */
	assert_int_equal(gw_influx_write_all(w, body, len, &st), 0);
	assert_int_equal(st.written_points, NPOINTS);
	assert_true(st.written_batches > 4);
	assert_int_equal(st.dropped_points, 0);
	assert_int_equal(query("SELECT count(temperature_c) FROM reading", resp, sizeof(resp)),
	                 200);
	assert_int_equal(first_count(resp), NPOINTS);
	assert_int_equal(
	        query("SHOW TAG VALUES FROM reading WITH KEY = \"plot\"", resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "[\"plot\",\"XM 0012,东\"]"));
	assert_int_equal(query("SELECT count(temperature_c) FROM reading WHERE township = '新民乡' "
	                       "AND sensor = 'soil,08'",
	                       resp, sizeof(resp)),
	                 200);
	assert_int_equal(first_count(resp), NPOINTS / 2);
	gw_influx_free(w);
}

static void test_influx_sink_malformed_line_dropped_einval(void **state)
{
	static const char bad[] = "bad_line_no_fields\n";
	static const char mixed[] = "other,k=v f=1i 1700000000000\nbroken line =\n";
	struct gw_influx_stats st = {0};
	struct gw_influx_result res;
	struct gw_influx *w = open_writer();

	(void)state;
	assert_int_equal(gw_influx_write(w, bad, strlen(bad), &res), -EINVAL);
	assert_int_equal(res.status, 400);
	assert_true(strlen(res.message) > 0);
	assert_int_equal(gw_influx_write_all(w, mixed, strlen(mixed), &st), 0);
	assert_int_equal(st.dropped_batches, 1);
	assert_int_equal(st.dropped_points, 2);
	assert_int_equal(st.written_points, 0);
	gw_influx_free(w);
}

static void test_influx_sink_server_stopped_eagain(void **state)
{
	static const char line[] = "other,k=v f=2i 1700000001000\n";
	struct gw_influx_stats st = {0};
	struct gw_influx_result res;
	struct gw_influx *w = open_writer();

	(void)state;
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), 0); /* connection kept */
	stop_influxd();
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), -EAGAIN);
	assert_int_equal(res.status, 0);
	assert_int_equal(gw_influx_write_all(w, line, strlen(line), &st), -EAGAIN);
	assert_int_equal(st.written_points + st.dropped_points, 0);
	gw_influx_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_influx_sink_1000_points_split_and_counted_ok),
	        cmocka_unit_test(test_influx_sink_malformed_line_dropped_einval),
	        cmocka_unit_test(test_influx_sink_server_stopped_eagain),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
