/* influxdb.gzip's default: off for a loopback URL (localhost, 127.0.0.0/8, [::1]), where
 * compressing costs more CPU than the bytes it saves, on for any other host; an explicit
 * gzip key wins either way. Also gw_config_url_is_loopback on its own.
 * How it fails: with the old default (always true) the loopback cases fail
 * ("gzip for http://127.0.0.1:8086"); without the `seen` check in load_influx an explicit
 * `gzip: true` on loopback is overridden and fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "array.h"
#include "config.h"

/* gzip as loaded for the minimal config with influxdb {url: url, <extra>}. */
static bool gzip_for(const char *url, const char *extra)
{
	struct gw_config *cfg = NULL;
	struct gw_diag d;
	char text[1024], *diag = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&diag, &len);
	bool gzip;

	assert_non_null(f);
	snprintf(text, sizeof(text),
	         "gateway: {id: g1, township: t}\n"
	         "buses: [{name: line1, type: rtu, device: /dev/ttyUSB0}]\n"
	         "sensors: [{id: s1, bus: line1, unit: 1, profile: seeed-s-soil-mtec-02}]\n"
	         "influxdb: {url: \"%s\", database: fieldgate%s}\n",
	         url, extra);
	gw_diag_init(&d, f);
	if (gw_config_load_text("tests/fixtures/config/gzip.yaml", text, &d, &cfg) != 0) {
		fclose(f);
		fail_msg("%s: %s", url, diag);
	}
	fclose(f);
	free(diag);
	gzip = cfg->influx.gzip;
	gw_config_free(cfg);
	return gzip;
}

static void test_config_gzip_default_by_url_ok(void **state)
{
	static const struct {
		const char *url;
		bool gzip;
	} cases[] = {
	        {"http://127.0.0.1:8086", false},
	        {"http://127.9.8.7:8086", false},
	        {"http://localhost:8086", false},
	        {"https://LOCALHOST/", false},
	        {"http://[::1]:8086", false},
	        {"http://user:pw@127.0.0.1:8086", false},
	        {"https://influx.example.org:8086", true},
	        {"http://10.0.0.5:8086", true},
	        {"http://127.example.org:8086", true},
	        {"http://localhost.example.org:8086", true},
	        {"http://[::2]:8086", true},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		bool got = gzip_for(cases[i].url, "");

		if (got != cases[i].gzip)
			fail_msg("gzip %d for %s, want %d", got, cases[i].url, cases[i].gzip);
		assert_int_equal(gw_config_url_is_loopback(cases[i].url), !cases[i].gzip);
	}
}

static void test_config_gzip_explicit_wins_ok(void **state)
{
	(void)state;
	assert_true(gzip_for("http://127.0.0.1:8086", ", gzip: true"));
	assert_false(gzip_for("https://influx.example.org", ", gzip: false"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_config_gzip_default_by_url_ok),
	        cmocka_unit_test(test_config_gzip_explicit_wins_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
