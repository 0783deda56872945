/* The InfluxDB writer against a real influxd (1.x) on 127.0.0.1, started here in a temp
 * dir with a small max-body-size so large batches get 413 and are split: 1000 points
 * arrive exactly once, escaped tags round-trip, a malformed line is dropped and counted,
 * and a stopped server gives -EAGAIN. Fails (not skips) when influxd is missing. A one-shot
 * loopback HTTP server plays the answers influxd 1.x will not give (429 with Retry-After,
 * 503, 413) and shows what the writer sends (v2 token, v1 basic auth). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
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

#include "array.h"
#include "influx_http.h"
#include "influxd_util.h"
#include "lineproto.h"

#define NPOINTS  1000
#define MAX_BODY 16384 /* influxd answers 413 above this */

static struct influxd fx = {.pid = -1};

static long query(const char *q, char *resp, size_t resp_len)
{
	return influxd_query(&fx, "fg", q, resp, resp_len);
}

static int group_setup(void **state)
{
	char resp[512];

	(void)state;
	if (influxd_setup_body(&fx, "itest_influx", MAX_BODY))
		return -1;
	if (query("CREATE DATABASE fg", resp, sizeof(resp)) != 200) {
		fprintf(stderr, "CREATE DATABASE failed: %s\n", resp);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	influxd_teardown(&fx);
	return 0;
}

static struct gw_influx *open_writer_gz(bool gzip)
{
	struct gw_influx_cfg cfg = {.api = 1, .database = "fg", .batch_size = 5000, .gzip = gzip};
	struct gw_influx *w;
	int err = -1;

	snprintf(cfg.url, sizeof(cfg.url), "%s", fx.base);
	w = gw_influx_new(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(w);
	return w;
}

static struct gw_influx *open_writer(void)
{
	return open_writer_gz(false);
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

static void test_influx_http_1000_points_split_and_counted_ok(void **state)
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

/* The same points gzip-compressed: influxd must decode them (a wrong encoding is a 400). */
static void test_influx_http_gzip_points_arrive_ok(void **state)
{
	static char body[NPOINTS * 256];
	static char resp[8192];
	struct gw_influx_stats st = {0};
	struct gw_influx *w = open_writer_gz(true);
	size_t len = make_batch(body, sizeof(body));

	(void)state;
	assert_int_equal(query("DROP MEASUREMENT reading", resp, sizeof(resp)), 200);
	assert_int_equal(gw_influx_write_all(w, body, len, &st), 0);
	assert_int_equal(st.dropped_points, 0);
	assert_int_equal(st.written_points, NPOINTS);
	assert_int_equal(query("SELECT count(temperature_c) FROM reading", resp, sizeof(resp)),
	                 200);
	assert_int_equal(first_count(resp), NPOINTS);
	gw_influx_free(w);
}

static void test_influx_http_malformed_line_dropped_einval(void **state)
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

/* One-shot HTTP server: accepts one connection, keeps the request, sends answer. */
struct fake {
	int lfd;
	int port;
	const char *answer;
	char request[4096];
	pthread_t thread;
};

static void fake_read_request(int fd, char *buf, size_t len)
{
	size_t pos = 0;
	char *end = NULL;
	long body = 0;

	while (pos + 1 < len) {
		ssize_t n = read(fd, buf + pos, len - 1 - pos);
		const char *cl;

		if (n <= 0)
			break;
		pos += (size_t)n;
		buf[pos] = '\0';
		end = end ? end : strstr(buf, "\r\n\r\n");
		cl = end ? strcasestr(buf, "Content-Length:") : NULL;
		body = cl ? strtol(cl + 15, NULL, 10) : 0;
		if (end && (size_t)(end + 4 - buf) + (size_t)body <= pos)
			break;
	}
	buf[pos] = '\0';
}

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd >= 0) {
		fake_read_request(fd, f->request, sizeof(f->request));
		if (write(fd, f->answer, strlen(f->answer)) < 0)
			f->request[0] = '\0';
		close(fd);
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *answer)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->answer = answer;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

static void test_influx_http_answers_table_ok(void **state)
{
	static const struct {
		const char *answer;
		int want;
		long status;
		int64_t retry_ms;
	} cases[] = {
	        {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, 204, 0},
	        {"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n"
	         "Connection: close\r\n\r\n",
	         -EAGAIN, 429, 7000},
	        {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: "
	         "close\r\n\r\n",
	         -EAGAIN, 503, 0},
	        {"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n"
	         "Connection: close\r\n\r\n",
	         -E2BIG, 413, 0},
	        {"HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
	         "bad token\n   ",
	         -EINVAL, 401, 0},
	};
	static const char line[] = "m,k=v f=1i 1700000000000\n";
	char tokpath[128];
	FILE *tf;

	(void)state;
	snprintf(tokpath, sizeof(tokpath), "%s/token", fx.dir);
	tf = fopen(tokpath, "w");
	assert_non_null(tf);
	fputs("s3cret-token\n", tf);
	assert_int_equal(fclose(tf), 0);
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct gw_influx_cfg cfg = {.api = 2, .org = "my org", .bucket = "b"};
		struct gw_influx_result res;
		struct gw_influx *w;
		struct fake f;
		int err = -1;

		fake_start(&f, cases[i].answer);
		snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%d", f.port);
		snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", tokpath);
		w = gw_influx_new(&cfg, &err);
		assert_non_null(w);
		assert_null(strstr(gw_influx_url(w), "s3cret"));
		assert_int_equal(gw_influx_write(w, line, strlen(line), &res), cases[i].want);
		fake_stop(&f);
		assert_int_equal(res.status, cases[i].status);
		assert_int_equal(res.retry_after_ms, cases[i].retry_ms);
		assert_non_null(strstr(f.request,
		                       "POST /api/v2/write?org=my%20org&bucket=b&precision=ms "));
		assert_non_null(strstr(f.request, "\r\nAuthorization: Token s3cret-token\r\n"));
		assert_non_null(strstr(f.request, "\r\n\r\nm,k=v f=1i 1700000000000\n"));
		if (cases[i].want == -EINVAL)
			assert_string_equal(res.message, "bad token");
		gw_influx_free(w);
	}
}

static void test_influx_http_v1_basic_auth_ok(void **state)
{
	struct gw_influx_cfg cfg = {.api = 1, .database = "fg", .username = "writer"};
	static const char line[] = "m f=1i 1\n";
	struct gw_influx_result res;
	struct gw_influx *w;
	struct fake f;
	char pwpath[128];
	FILE *pf;
	int err = -1;

	(void)state;
	snprintf(pwpath, sizeof(pwpath), "%s/password", fx.dir);
	pf = fopen(pwpath, "w");
	assert_non_null(pf);
	fputs("pa:ss\r\n", pf);
	assert_int_equal(fclose(pf), 0);
	fake_start(&f, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%d/", f.port);
	snprintf(cfg.password_file, sizeof(cfg.password_file), "%s", pwpath);
	w = gw_influx_new(&cfg, &err);
	assert_non_null(w);
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), 0);
	fake_stop(&f);
	assert_non_null(strstr(f.request, "POST /write?db=fg&precision=ms "));
	/* base64("writer:pa:ss") */
	assert_non_null(strstr(f.request, "\r\nAuthorization: Basic d3JpdGVyOnBhOnNz\r\n"));
	gw_influx_free(w);
}

/* The v2 token as a systemd credential: $CREDENTIALS_DIRECTORY/NAME, sent as the token. */
static void test_influx_http_v2_token_credential(void **state)
{
	struct gw_influx_cfg cfg = {.api = 2, .org = "o", .bucket = "b"};
	static const char line[] = "m f=1i 1\n";
	struct gw_influx_result res;
	struct gw_influx *w;
	struct fake f;
	char path[160];
	FILE *tf;
	int err = -1;

	(void)state;
	snprintf(path, sizeof(path), "%s/fieldgate.influxdb-token", fx.dir);
	tf = fopen(path, "w");
	assert_non_null(tf);
	fputs("cred-token-5e1\n", tf);
	assert_int_equal(fclose(tf), 0);
	snprintf(cfg.token_credential, sizeof(cfg.token_credential), "fieldgate.influxdb-token");
	unsetenv("CREDENTIALS_DIRECTORY");
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:1/");
	assert_null(gw_influx_new(&cfg, &err));
	assert_int_equal(err, -ENOENT);
	setenv("CREDENTIALS_DIRECTORY", fx.dir, 1);
	fake_start(&f, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%d/", f.port);
	w = gw_influx_new(&cfg, &err);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_non_null(w);
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), 0);
	fake_stop(&f);
	assert_non_null(strstr(f.request, "\r\nAuthorization: Token cred-token-5e1\r\n"));
	gw_influx_free(w);
}

static void test_influx_http_server_stopped_eagain(void **state)
{
	static const char line[] = "other,k=v f=2i 1700000001000\n";
	struct gw_influx_stats st = {0};
	struct gw_influx_result res;
	struct gw_influx *w = open_writer();

	(void)state;
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), 0); /* connection kept */
	influxd_stop(&fx);
	assert_int_equal(gw_influx_write(w, line, strlen(line), &res), -EAGAIN);
	assert_int_equal(res.status, 0);
	assert_int_equal(gw_influx_write_all(w, line, strlen(line), &st), -EAGAIN);
	assert_int_equal(st.written_points + st.dropped_points, 0);
	gw_influx_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_influx_http_1000_points_split_and_counted_ok),
	        cmocka_unit_test(test_influx_http_gzip_points_arrive_ok),
	        cmocka_unit_test(test_influx_http_malformed_line_dropped_einval),
	        cmocka_unit_test(test_influx_http_answers_table_ok),
	        cmocka_unit_test(test_influx_http_v1_basic_auth_ok),
	        cmocka_unit_test(test_influx_http_v2_token_credential),
	        cmocka_unit_test(test_influx_http_server_stopped_eagain),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
