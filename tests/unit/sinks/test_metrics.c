/* Self-metrics and the upload budget: the JSON and line forms carry the sinks' counters,
 * a too-small buffer is refused cleanly, and the budget holds back at its cap and rolls
 * over at local midnight. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget.h"
#include "metrics.h"

#define T0 1687312800000LL /* 2023-06-21 10:00 +08:00 */

static void test_budget_cap_and_rollover(void **state)
{
	struct gw_budget b;
	uint64_t used;
	bool ex;

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	gw_budget_init(&b, 1000);
	assert_true(gw_budget_allow(&b, T0));
	gw_budget_add(&b, 999, T0);
	assert_true(gw_budget_allow(&b, T0));
	gw_budget_add(&b, 500, T0); /* one batch may overshoot */
	assert_false(gw_budget_allow(&b, T0 + 1000));
	gw_budget_get(&b, &used, &ex);
	assert_int_equal(used, 1499);
	assert_true(ex);
	/* 14 hours later it is the next local day: a fresh budget */
	assert_true(gw_budget_allow(&b, T0 + 14 * 3600 * 1000LL));
	gw_budget_get(&b, &used, &ex);
	assert_int_equal(used, 0);
	assert_false(ex);
	gw_budget_destroy(&b);

	gw_budget_init(&b, 0); /* unlimited */
	gw_budget_add(&b, UINT32_MAX, T0);
	assert_true(gw_budget_allow(&b, T0));
	gw_budget_destroy(&b);
}

static void test_metrics_forms(void **state)
{
	struct gw_config cfg = {.gateway_id = "gw 1", .nsensors = 0};
	struct gw_sink_stats mq = {.name = "mqtt"}, inf = {.name = "influxdb"};
	struct gw_budget b;
	struct gw_metrics m = {.cfg = &cfg, .budget = &b, .sinks = {&mq, &inf}, .nsinks = 2};
	char buf[8192];
	size_t pos = 0;
	int n;

	(void)state;
	gw_budget_init(&b, 10);
	gw_budget_add(&b, 7, T0);
	atomic_store(&mq.sent, 41);
	atomic_store(&mq.upload_bytes, 5000);
	atomic_store(&mq.depth, 5);
	atomic_store(&mq.connected, 1);
	atomic_store(&inf.dropped, 3);
	atomic_store(&inf.deferred, 1);
	atomic_store(&m.retention_dropped, 9);
	n = gw_metrics_json(&m, T0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"mqtt\":{\"sent\":41,"));
	assert_non_null(strstr(buf, "\"depth\":5,"));
	assert_non_null(strstr(buf, "\"dropped\":3,"));
	assert_non_null(strstr(buf, "\"retention_dropped\":9"));
	assert_non_null(strstr(buf, "\"upload_bytes_today\":7"));
	assert_int_equal(buf[n - 1], '}');

	assert_int_equal(gw_metrics_lines(&m, T0, buf, sizeof(buf), &pos), 0);
	assert_int_equal(pos, strlen(buf));
	assert_memory_equal(buf, "gateway,gateway=gw\\ 1 polls=0i,", 31);
	assert_non_null(strstr(buf, "\nsink,gateway=gw\\ 1,sink=mqtt sent=41i,"));
	assert_non_null(strstr(buf, "sink=influxdb sent=0i,failed=0i,dropped=3i,"));
	assert_non_null(strstr(buf, "deferred=true 1687312800000\n"));

	strcpy(buf, "keep");
	pos = 4;
	assert_int_equal(gw_metrics_lines(&m, T0, buf, 100, &pos), -ENOSPC);
	assert_int_equal(pos, 4);
	assert_string_equal(buf, "keep");
	assert_int_equal(gw_metrics_json(&m, T0, buf, 50), -ENOSPC);

	n = gw_metrics_prom(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	assert_non_null(
	        strstr(buf, "# TYPE fieldgate_polls_total counter\nfieldgate_polls_total 0\n"));
	assert_non_null(strstr(buf, "\nfieldgate_sink_sent_total{sink=\"mqtt\"} 41\n"));
	assert_non_null(strstr(buf, "\nfieldgate_sink_dropped_total{sink=\"influxdb\"} 3\n"));
	assert_non_null(strstr(buf, "\nfieldgate_sink_connected{sink=\"mqtt\"} 1\n"));
	assert_non_null(strstr(buf, "\nfieldgate_retention_dropped_total 9\n"));
	assert_non_null(strstr(buf, "\nfieldgate_upload_bytes_today 7\n"));
	assert_non_null(strstr(buf, "\nfieldgate_upload_bytes_total{sink=\"mqtt\"} 5000\n"));
	assert_non_null(strstr(buf, "# TYPE process_cpu_seconds_total counter\n"));
	assert_non_null(strstr(buf, "\nprocess_resident_memory_bytes "));
	assert_non_null(strstr(buf, "\nprocess_open_fds "));
	assert_non_null(strstr(buf, "\nprocess_start_time_seconds "));
	assert_non_null(strstr(buf, "\nfieldgate_build_info{version=\""));
	assert_null(strstr(buf, "fieldgate_cpu_seconds_total")); /* the standard names only */
	assert_null(strstr(buf, "fieldgate_sensor_"));           /* no poller: no sensor series */
	assert_int_equal(gw_metrics_prom(&m, buf, 200), -ENOSPC);
	assert_true(gw_metrics_size(&cfg) >= 2048);
	gw_budget_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_budget_cap_and_rollover),
	        cmocka_unit_test(test_metrics_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
