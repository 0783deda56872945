/* The plain HTTP client's pure pieces: URLs (IPv4, [IPv6], names, ports), base64 for basic
 * auth, and the response parser over a table of answers (lengths, chunked, until close,
 * 100 Continue, garbage), each fed whole, byte by byte and in 7-byte pieces: the same status,
 * headers and body, or the same error, however the socket splits them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "http_parse.h"

static void test_http_url_table_ok(void **state)
{
	static const struct {
		const char *url;
		int rc;
		int tls;
		const char *host, *port, *target;
	} cases[] = {
	        {"http://127.0.0.1:8086/write?db=x", 0, 0, "127.0.0.1", "8086", "/write?db=x"},
	        {"http://[::1]:8086", 0, 0, "::1", "8086", ""},
	        {"HTTP://influx.local/", 0, 0, "influx.local", "80", "/"},
	        {"https://db.example:8443/query?q=1", 0, 1, "db.example", "8443", "/query?q=1"},
	        {"https://db.example?x", 0, 1, "db.example", "443", "?x"},
	        {"ftp://h/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://h:0/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://h:65536/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://h:80x/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://u:p@h/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://[::1/", -EINVAL, 0, NULL, NULL, NULL},
	        {"http://a b/", -EINVAL, 0, NULL, NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct gw_http_url u;

		assert_int_equal(gw_http_url_parse(cases[i].url, &u), cases[i].rc);
		if (cases[i].rc)
			continue;
		assert_int_equal(u.tls, cases[i].tls);
		assert_string_equal(u.host, cases[i].host);
		assert_string_equal(u.port, cases[i].port);
		assert_string_equal(u.target, cases[i].target);
	}
}

static void test_http_base64_vectors_ok(void **state)
{
	static const char *const cases[][2] = {
	        {"", ""},
	        {"f", "Zg=="},
	        {"fo", "Zm8="},
	        {"foo", "Zm9v"},
	        {"foob", "Zm9vYg=="},
	        {"writer:pa:ss", "d3JpdGVyOnBhOnNz"},
	        {"\xff\xfe", "//4="},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		assert_int_equal(gw_http_base64(cases[i][0], strlen(cases[i][0]), out, sizeof(out)),
		                 0);
		assert_string_equal(out, cases[i][1]);
	}
	assert_int_equal(gw_http_base64("foob", 4, out, 8), -ENOSPC);
}

struct got {
	char body[512];
	size_t len;
	size_t stop_after; /* 0: never stop */
};

static int collect(void *user, const char *data, size_t n)
{
	struct got *g = user;

	assert_true(g->len + n < sizeof(g->body));
	memcpy(g->body + g->len, data, n);
	g->len += n;
	g->body[g->len] = '\0';
	return g->stop_after && g->len >= g->stop_after ? 42 : 0;
}

/* Feeds answer in pieces of step bytes (0: whole); then EOF when eof. Returns the first
 * error, or 0 once the parser is done. */
static int run(struct gw_http_parser *p, struct got *g, const char *answer, size_t step, bool eof)
{
	size_t len = strlen(answer);
	size_t pos = 0;

	memset(g, 0, sizeof(*g));
	gw_http_parser_init(p, collect, g);
	while (pos < len && !gw_http_parser_done(p)) {
		size_t n = step && len - pos > step ? step : len - pos;
		ssize_t fed = gw_http_parser_feed(p, answer + pos, n);

		if (fed < 0)
			return (int)fed;
		pos += (size_t)fed;
		if ((size_t)fed < n)
			break;
	}
	if (eof && !gw_http_parser_done(p))
		return gw_http_parser_eof(p);
	return gw_http_parser_done(p) ? 0 : -EINPROGRESS;
}

static const struct {
	const char *answer;
	bool eof; /* the server closes after it */
	int rc;
	long status;
	bool keep_alive;
	int64_t retry_ms;
	const char *body;
	const char *error;
} answers[] = {
        {"HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 1.8\r\n\r\n", false, 0, 204, true, 0, "",
         ""},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 0, 200, true, 0, "hello", ""},
        {"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\nX-Influxdb-Error: bad line\r\n"
         "Connection: close\r\n\r\n{\"error\":1}\n",
         false, 0, 400, false, 0, "{\"error\":1}\n", "bad line"},
        {"HTTP/1.1 429 Too Many\r\nRetry-After:  7 \r\nContent-Length: 0\r\n\r\n", false, 0, 429,
         true, 7000, "", ""},
        {"HTTP/1.1 503 Busy\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n", false, 0, 503,
         true, 86400000, "", ""},
        {"HTTP/1.1 413 Too Large\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
         "Content-Length: 0\r\n\r\n",
         false, 0, 413, true, 0, "", ""},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
         "1;ext=1\r\n,\r\nB\r\n 0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
         false, 0, 200, true, 0, "hello, 0123456789", ""},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, 0, 200, true, 0,
         "", ""},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false, 0, 204, true, 0, "",
         ""},
        {"HTTP/1.0 200 OK\r\n\r\nuntil close", true, 0, 200, false, 0, "until close", ""},
        {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 0, 200, false, 0, "ok", ""},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, 0, 200,
         true, 0, "ok", ""},
        {"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, 0, 200, true, 0, "ok", ""},
        /* cut short, garbage, bad framing */
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, -EPROTO, 0, false, 0, NULL,
         NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5", true, -EPROTO, 0, false, 0, NULL, NULL},
        {"garbage that is not HTTP\r\n\r\n", false, -EPROTO, 0, false, 0, NULL, NULL},
        {"<html> and no newline ever", false, -EPROTO, 0, false, 0, NULL, NULL},
        {"HTTP/1.1 2x0 OK\r\n\r\n", false, -EPROTO, 0, false, 0, NULL, NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, -EPROTO, 0, false, 0, NULL, NULL},
        {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false, -EPROTO, 0, false, 0, NULL, NULL},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, -EPROTO, 0, false, 0,
         NULL, NULL},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n", false,
         -EPROTO, 0, false, 0, NULL, NULL},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n", false, -EPROTO, 0,
         false, 0, NULL, NULL},
};

static void check_answers(size_t step)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(answers); i++) {
		struct gw_http_parser p;
		struct got g;
		int rc = run(&p, &g, answers[i].answer, step, answers[i].eof);

		if (rc != answers[i].rc)
			fail_msg("case %zu step %zu: rc %d, want %d", i, step, rc, answers[i].rc);
		if (answers[i].rc)
			continue;
		assert_int_equal(p.status, answers[i].status);
		assert_int_equal(p.keep_alive, answers[i].keep_alive);
		assert_int_equal(p.retry_after_ms, answers[i].retry_ms);
		assert_string_equal(g.body, answers[i].body);
		assert_string_equal(p.error, answers[i].error);
	}
}

static void test_http_parse_answers_whole_ok(void **state)
{
	(void)state;
	check_answers(0);
}

static void test_http_parse_answers_byte_by_byte_ok(void **state)
{
	(void)state;
	check_answers(1);
}

static void test_http_parse_answers_split_7_ok(void **state)
{
	(void)state;
	check_answers(7);
}

/* Bytes after a complete answer are not consumed (the client then drops the connection). */
static void test_http_parse_stops_after_answer_ok(void **state)
{
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200";
	struct gw_http_parser p;
	struct got g = {0};

	(void)state;
	gw_http_parser_init(&p, collect, &g);
	assert_int_equal(gw_http_parser_feed(&p, two, strlen(two)), strlen(two) - 12);
	assert_true(gw_http_parser_done(&p));
	assert_string_equal(g.body, "ok");
}

/* The body callback's non-zero return stops the parse and comes back as it is. */
static void test_http_parse_callback_stops_ok(void **state)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
	struct gw_http_parser p;
	struct got g = {.stop_after = 1};

	(void)state;
	gw_http_parser_init(&p, collect, &g);
	assert_int_equal(gw_http_parser_feed(&p, a, strlen(a)), 42);
	assert_int_equal(p.body_rc, 42);
}

/* An endless header or header block is refused, not buffered without bound. */
static void test_http_parse_oversized_head_eproto(void **state)
{
	static char big[80000];
	struct gw_http_parser p;
	struct got g;

	(void)state;
	strcpy(big, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(big + strlen(big), 'a', 9000);
	assert_int_equal(run(&p, &g, big, 0, false), -EPROTO);
	strcpy(big, "HTTP/1.1 200 OK\r\n");
	for (size_t pos = strlen(big); pos + 20 < sizeof(big) - 1; pos += 20)
		memcpy(big + pos, "X-Many: 0123456789\r\n", 20);
	assert_int_equal(run(&p, &g, big, 4096, false), -EPROTO);
}

static void test_http_header_is_ok(void **state)
{
	char v[8];

	(void)state;
	assert_true(gw_http_header_is("retry-after: 5\r\n", 16, "Retry-After", v, sizeof(v)));
	assert_string_equal(v, "5");
	assert_false(gw_http_header_is("Retry-Afterx: 5", 15, "Retry-After", v, sizeof(v)));
	assert_true(gw_http_header_is("X-A: 0123456789", 15, "X-A", v, sizeof(v)));
	assert_string_equal(v, "0123456"); /* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_http_url_table_ok),
	        cmocka_unit_test(test_http_base64_vectors_ok),
	        cmocka_unit_test(test_http_parse_answers_whole_ok),
	        cmocka_unit_test(test_http_parse_answers_byte_by_byte_ok),
	        cmocka_unit_test(test_http_parse_answers_split_7_ok),
	        cmocka_unit_test(test_http_parse_stops_after_answer_ok),
	        cmocka_unit_test(test_http_parse_callback_stops_ok),
	        cmocka_unit_test(test_http_parse_oversized_head_eproto),
	        cmocka_unit_test(test_http_header_is_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
