/* InfluxDB writer helpers without a network: write URLs for v1/v2 with escaping, status
 * classification, Retry-After parsing, the back-off table, and splitting at line
 * boundaries. Also gw_influx_new's errors on a bad config or a missing secret file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "influx_http.h"

static void test_influx_http_url_table_ok(void **state)
{
	static const struct {
		int api;
		const char *url, *db, *org, *bucket, *want;
	} cases[] = {
	        {1, "http://127.0.0.1:8086", "fg", "", "",
	         "http://127.0.0.1:8086/write?db=fg&precision=ms"},
	        {1, "http://h:8086/", "my db&x=1", "", "",
	         "http://h:8086/write?db=my%20db%26x%3D1&precision=ms"},
	        {1, "https://h/influx//", "新民", "", "",
	         "https://h/influx/write?db=%E6%96%B0%E6%B0%91&precision=ms"},
	        {2, "http://h:8086", "", "my org", "b/1",
	         "http://h:8086/api/v2/write?org=my%20org&bucket=b%2F1&precision=ms"},
	        {2, "http://h", "ignored", "o", "a-b.c_d~e",
	         "http://h/api/v2/write?org=o&bucket=a-b.c_d~e&precision=ms"},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct gw_influx_cfg cfg = {.api = cases[i].api};
		char buf[256];

		snprintf(cfg.url, sizeof(cfg.url), "%s", cases[i].url);
		snprintf(cfg.database, sizeof(cfg.database), "%s", cases[i].db);
		snprintf(cfg.org, sizeof(cfg.org), "%s", cases[i].org);
		snprintf(cfg.bucket, sizeof(cfg.bucket), "%s", cases[i].bucket);
		assert_int_equal(gw_influx_build_url(&cfg, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_influx_http_url_bad_cfg_einval(void **state)
{
	static const struct gw_influx_cfg cases[] = {
	        {.api = 1, .url = "http://h", .database = ""},
	        {.api = 2, .url = "http://h", .org = "o", .bucket = ""},
	        {.api = 2, .url = "http://h", .org = "", .bucket = "b"},
	        {.api = 3, .url = "http://h", .database = "d", .org = "o", .bucket = "b"},
	        {.api = 1, .url = "", .database = "d"},
	        {.api = 1, .url = "///", .database = "d"},
	        {.api = 1, .url = "http://user:pw@h", .database = "d"},
	        {.api = 1, .url = "ftp://h", .database = "d"},
	        {.api = 1, .url = "http://h:99999", .database = "d"},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		char buf[256];
		int err = 0;

		assert_int_equal(gw_influx_build_url(&cases[i], buf, sizeof(buf)), -EINVAL);
		assert_null(gw_influx_new(&cases[i], &err));
		assert_int_equal(err, -EINVAL);
	}
}

static void test_influx_http_url_small_buffer_enospc(void **state)
{
	struct gw_influx_cfg cfg = {.api = 1, .url = "http://h", .database = "fg"};
	const char *want = "http://h/write?db=fg&precision=ms";
	char buf[64];
	size_t pos = 2;

	(void)state;
	assert_int_equal(gw_influx_build_url(&cfg, buf, strlen(want)), -ENOSPC);
	assert_int_equal(gw_influx_build_url(&cfg, buf, strlen(want) + 1), 0);
	assert_string_equal(buf, want);
	assert_int_equal(gw_influx_escape(buf, 6, &pos, "a b"), -ENOSPC);
	assert_int_equal(pos, 2);
	assert_int_equal(gw_influx_escape(buf, 8, &pos, "a b"), 0);
	assert_int_equal(pos, 7);
	assert_string_equal(buf + 2, "a%20b");
}

static void test_influx_http_missing_secret_enoent(void **state)
{
	struct gw_influx_cfg cfg = {.api = 2,
	                            .url = "http://127.0.0.1:9",
	                            .org = "o",
	                            .bucket = "b",
	                            .token_file = "/nonexistent/influx.token"};
	int err = 0;

	(void)state;
	assert_null(gw_influx_new(&cfg, &err));
	assert_int_equal(err, -ENOENT);
}

static void test_influx_http_classify_table_ok(void **state)
{
	static const struct {
		long status;
		int want;
	} cases[] = {
	        {200, 0},       {204, 0},       {0, -EAGAIN},   {500, -EAGAIN},
	        {503, -EAGAIN}, {429, -EAGAIN}, {413, -E2BIG},  {400, -EINVAL},
	        {401, -EINVAL}, {404, -EINVAL}, {301, -EINVAL}, {422, -EINVAL},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_int_equal(gw_influx_classify(cases[i].status), cases[i].want);
}

static void test_influx_http_retry_after_table_ok(void **state)
{
	static const struct {
		const char *line;
		int64_t want;
	} cases[] = {
	        {"Retry-After: 5\r\n", 5000},
	        {"retry-after:12\r\n", 12000},
	        {"RETRY-AFTER: \t0\r\n", 0},
	        {"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", -1},
	        {"Retry-After:\r\n", -1},
	        {"Content-Length: 5\r\n", -1},
	        {"Retry-Aft", -1},
	        {"Retry-After: 99999999999999999999\r\n", 86400000},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_int_equal(gw_influx_retry_after(cases[i].line, strlen(cases[i].line)),
		                 cases[i].want);
}

static void test_influx_http_backoff_table_ok(void **state)
{
	static const struct {
		unsigned attempt;
		int64_t retry_after, want;
	} cases[] = {
	        {0, 0, 1000},        {1, 0, 2000},     {2, 0, 4000},    {3, 0, 8000},
	        {4, 0, 16000},       {5, 0, 32000},    {6, 0, 60000},   {7, 0, 60000},
	        {40, 0, 60000},      {1000, 0, 60000}, {0, 5000, 5000}, {3, 5000, 8000},
	        {6, 120000, 120000}, {2, -1, 4000},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_int_equal(gw_influx_backoff_ms(cases[i].attempt, cases[i].retry_after),
		                 cases[i].want);
}

static void test_influx_http_split_table_ok(void **state)
{
	static const struct {
		const char *body;
		size_t want;
	} cases[] = {
	        {"", 0},
	        {"a 1", 0},
	        {"a 1\n", 0},
	        {"a\nb\n", 2},
	        {"a\nb", 2},
	        {"aaaa\nbb\ncc\ndd\n", 5}, /* mid 7: last boundary before it */
	        {"aaaaaaaaaa\nb\n", 11},   /* none before the middle: first after it */
	        {"a\nb\nc\nd\n", 4},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		const char *b = cases[i].body;
		size_t len = strlen(b);
		size_t at = gw_influx_split_at(b, len);

		assert_int_equal(at, cases[i].want);
		if (at == 0)
			continue;
		assert_true(at < len);
		assert_int_equal(b[at - 1], '\n');
		assert_int_equal(gw_influx_count_lines(b, at) +
		                         gw_influx_count_lines(b + at, len - at),
		                 gw_influx_count_lines(b, len));
	}
}

static void test_influx_http_count_lines_table_ok(void **state)
{
	static const struct {
		const char *body;
		size_t want;
	} cases[] = {
	        {"", 0}, {"\n", 0}, {"a", 1}, {"a\n", 1}, {"a\n\nb", 2}, {"a\nb\nc\n", 3},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_int_equal(gw_influx_count_lines(cases[i].body, strlen(cases[i].body)),
		                 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_influx_http_url_table_ok),
	        cmocka_unit_test(test_influx_http_url_bad_cfg_einval),
	        cmocka_unit_test(test_influx_http_url_small_buffer_enospc),
	        cmocka_unit_test(test_influx_http_missing_secret_enoent),
	        cmocka_unit_test(test_influx_http_classify_table_ok),
	        cmocka_unit_test(test_influx_http_retry_after_table_ok),
	        cmocka_unit_test(test_influx_http_backoff_table_ok),
	        cmocka_unit_test(test_influx_http_split_table_ok),
	        cmocka_unit_test(test_influx_http_count_lines_table_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
