/* gateway.yaml loader: a config with every key set and one with only the
 * required keys (every default), each bad_*.yaml fixture against the exact
 * text of its .expected file, and the failure contract (*out NULL). Runs from
 * the source dir so fixture paths in messages are relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"

#define FIXTURES "tests/fixtures/config/"

/* Loads path with diagnostics into *text (owned). Returns gw_config_load's result. */
static int load(const char *path, struct gw_config **cfg, char **text)
{
	struct gw_diag d;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int rc;

	assert_non_null(f);
	gw_diag_init(&d, f);
	rc = gw_config_load(path, &d, cfg);
	fclose(f);
	return rc;
}

static struct gw_config *load_ok(const char *path)
{
	struct gw_config *cfg = NULL;
	char *text = NULL;
	int rc = load(path, &cfg, &text);

	if (rc != 0 || text[0])
		fail_msg("%s: rc %d, diagnostics:\n%s", path, rc, text);
	free(text);
	assert_non_null(cfg);
	return cfg;
}

static void test_config_full_every_key_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_full.yaml");
	const struct gw_bus_cfg *b = &cfg->buses[0];

	(void)state;
	assert_string_equal(cfg->path, FIXTURES "good_full.yaml");
	assert_string_equal(cfg->dir, "tests/fixtures/config");
	assert_string_equal(cfg->gateway_id, "xinmin-01");
	assert_string_equal(cfg->township, "新民乡");
	assert_string_equal(cfg->data_dir, FIXTURES "data");
	assert_string_equal(cfg->log_level, "debug");
	assert_string_equal(cfg->profiles_dir, FIXTURES "profiles");
	assert_string_equal(cfg->households_path, FIXTURES "households.csv");
	assert_string_equal(cfg->plots_path, "/srv/fieldgate/plots.csv");
	assert_int_equal(cfg->backoff_max_s, 600);
	assert_int_equal(cfg->nbuses, 3);
	assert_string_equal(b->name, "line1");
	assert_int_equal(b->src.line, 11);
	assert_ptr_equal(b->src.file, cfg->path);
	assert_int_equal(b->type, GW_BUS_RTU);
	assert_string_equal(b->device, "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0");
	assert_int_equal(b->baud, 19200);
	assert_int_equal(b->parity, 'E');
	assert_int_equal(b->data_bits, 7);
	assert_int_equal(b->stop_bits, 2);
	assert_true(b->rs485);
	assert_int_equal(b->rts, -1);
	assert_true(b->echo);
	assert_int_equal(b->response_timeout_ms, 1000); /* its own */
	assert_int_equal(b->byte_timeout_ms, 50);       /* the timeouts section's */
	assert_int_equal(b->retries, 2);
	assert_int_equal(b->turnaround_ms, 40);
	b = &cfg->buses[1];
	assert_int_equal(b->type, GW_BUS_TCP);
	assert_string_equal(b->host, "10.0.0.5");
	assert_int_equal(b->port, 1502);
	assert_int_equal(b->response_timeout_ms, 800);
	assert_int_equal(b->byte_timeout_ms, 20);
	assert_int_equal(b->retries, 0);
	b = &cfg->buses[2];
	assert_string_equal(b->device, FIXTURES "ttyS1");
	assert_int_equal(b->parity, 'O');
	assert_int_equal(b->rts, 1);
	gw_config_free(cfg);
}

static void test_config_dtu_buses_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_dtu.yaml");
	const struct gw_bus_cfg *b = &cfg->buses[0];
	static const uint8_t reg_b[] = {0x89, 0x86, 0x0A, 0xFF};

	(void)state;
	assert_int_equal(cfg->nbuses, 4);
	assert_int_equal(b->type, GW_BUS_RTU_TCP);
	assert_string_equal(b->host, "192.0.2.20");
	assert_int_equal(b->port, 8899);
	assert_int_equal(b->baud, 4800);
	assert_int_equal(b->parity, 'E');
	assert_int_equal(b->rtt_ms, 300);
	/* cellular defaults, not the timeouts section's */
	assert_int_equal(b->response_timeout_ms, 2000);
	assert_int_equal(b->byte_timeout_ms, 500);
	b = &cfg->buses[1];
	assert_int_equal(b->type, GW_BUS_DTU_SERVER);
	assert_string_equal(b->listen, "127.0.0.1");
	assert_int_equal(b->port, 20108);
	assert_int_equal(b->reglen, 15);
	assert_memory_equal(b->reg, "868000000000001", 15);
	assert_false(b->reg_prefix);
	assert_int_equal(b->hblen, 10);
	assert_memory_equal(b->heartbeat, "www.usr.cn", 10);
	assert_int_equal(b->heartbeat_s, 60);
	assert_int_equal(b->max_connections, 16);
	assert_int_equal(b->max_bytes_per_s, 4096);
	b = &cfg->buses[2];
	assert_int_equal(b->reglen, sizeof(reg_b));
	assert_memory_equal(b->reg, reg_b, sizeof(reg_b));
	assert_true(b->reg_prefix);
	assert_int_equal(b->hblen, 1);
	assert_int_equal(b->heartbeat[0], 0xFE);
	assert_int_equal(b->max_bytes_per_s, 512);
	assert_int_equal(b->rtt_ms, 900);
	assert_int_equal(b->response_timeout_ms, 5000);
	/* the same registration on another listener is no clash */
	assert_string_equal(cfg->buses[3].listen, "::1");
	gw_config_free(cfg);
}

static void test_config_full_sensors_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_full.yaml");
	const struct gw_sensor_cfg *s = &cfg->sensors[0];

	(void)state;
	assert_int_equal(cfg->nsensors, 3);
	assert_string_equal(s->id, "soil-07");
	assert_int_equal(s->src.line, 26);
	assert_ptr_equal(s->src.file, cfg->path);
	assert_int_equal(s->bus, 0);
	assert_int_equal(s->unit, 7);
	assert_string_equal(s->plot, "XM-0012");
	assert_int_equal(s->interval_s, 300);
	assert_int_equal(s->placement, GW_PLACE_UNDER_FILM);
	assert_int_equal(s->max_registers, 4);
	assert_int_equal(s->max_gap, 2);
	assert_int_equal(s->pause_ms, 50);
	assert_non_null(s->profile);
	assert_string_equal(s->profile->name, "tiny-probe");
	/* a name in profiles_dir and a path to the same file share one profile */
	assert_ptr_equal(cfg->sensors[1].profile, s->profile);
	assert_int_equal(cfg->sensors[1].bus, 1);
	assert_int_equal(cfg->sensors[1].placement, GW_PLACE_BARE);
	assert_string_equal(cfg->sensors[2].profile->name, "jxct-jxbs-3001");
	assert_int_equal(cfg->sensors[2].unit, 247);
	assert_int_equal(cfg->nprofiles, 2);
	assert_ptr_equal(cfg->sensors[2].profile, &cfg->profiles[1]);
	gw_config_free(cfg);
}

static void test_config_full_sinks_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_full.yaml");
	const struct gw_mqtt_cfg *m = &cfg->mqtt;
	const struct gw_influx_cfg *f = &cfg->influx;

	(void)state;
	assert_true(m->enabled);
	assert_string_equal(m->url, "mqtts://broker.example.org:8883");
	assert_int_equal(m->qos, 2);
	assert_string_equal(m->topic_prefix, "county/fg");
	assert_string_equal(m->client_id, "gw-xinmin-01");
	assert_string_equal(m->username, "xinmin");
	assert_string_equal(m->password_file, FIXTURES "secrets/mqtt.pw");
	assert_string_equal(m->ca_file, "/etc/ssl/certs/ca.pem");
	assert_string_equal(m->cert_file, FIXTURES "tls/client.crt");
	assert_string_equal(m->key_file, FIXTURES "tls/client.key");
	assert_int_equal(m->keepalive_s, 60);
	assert_int_equal(m->max_inflight, 5);
	assert_true(f->enabled);
	assert_string_equal(f->url, "https://influx.example.org:8086");
	assert_int_equal(f->api, 2);
	assert_string_equal(f->database, "unused");
	assert_string_equal(f->username, "writer");
	assert_string_equal(f->password_file, FIXTURES "secrets/influx.pw");
	assert_string_equal(f->org, "county");
	assert_string_equal(f->bucket, "fieldgate");
	assert_string_equal(f->token_file, FIXTURES "secrets/influx.token");
	assert_int_equal(f->batch_size, 100);
	assert_int_equal(f->flush_ms, 250);
	assert_false(f->gzip);
	gw_config_free(cfg);
}

static void test_config_minimal_defaults_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_minimal.yaml");
	const struct gw_bus_cfg *b = &cfg->buses[0];
	const struct gw_sensor_cfg *s = &cfg->sensors[0];

	(void)state;
	assert_string_equal(cfg->data_dir, "/var/lib/fieldgate");
	assert_string_equal(cfg->log_level, "info");
	assert_string_equal(cfg->profiles_dir, "drivers/profiles");
	assert_string_equal(cfg->households_path, "");
	assert_string_equal(cfg->plots_path, "");
	assert_int_equal(cfg->backoff_max_s, 300);
	assert_int_equal(cfg->journal.max_age_days, 400);
	assert_int_equal(cfg->journal.max_mb, 1024);
	assert_int_equal(cfg->journal.prune_interval_s, 3600);
	assert_int_equal(b->baud, 9600);
	assert_int_equal(b->parity, 'N');
	assert_int_equal(b->data_bits, 8);
	assert_int_equal(b->stop_bits, 1);
	assert_false(b->rs485);
	assert_int_equal(b->rts, 0);
	assert_false(b->echo);
	assert_int_equal(b->response_timeout_ms, 500);
	assert_int_equal(b->byte_timeout_ms, 100);
	assert_int_equal(b->retries, 1);
	assert_int_equal(b->turnaround_ms, 20);
	assert_int_equal(cfg->buses[1].port, 502);
	assert_string_equal(s->plot, "");
	assert_int_equal(s->interval_s, 60);
	assert_int_equal(s->placement, GW_PLACE_NONE);
	assert_int_equal(s->max_registers, 0);
	assert_int_equal(s->max_gap, -1);
	assert_int_equal(s->pause_ms, 0);
	assert_string_equal(s->profile->name, "seeed-s-soil-mtec-02");
	assert_int_equal(cfg->nprofiles, 1);
	assert_true(cfg->mqtt.enabled);
	assert_int_equal(cfg->mqtt.qos, 1);
	assert_string_equal(cfg->mqtt.topic_prefix, "fieldgate/v1");
	assert_string_equal(cfg->mqtt.client_id, "fieldgate-g1");
	assert_int_equal(cfg->mqtt.keepalive_s, 30);
	assert_int_equal(cfg->mqtt.max_inflight, 20);
	assert_true(cfg->influx.enabled);
	assert_int_equal(cfg->influx.api, 1);
	assert_int_equal(cfg->influx.batch_size, 5000);
	assert_int_equal(cfg->influx.flush_ms, 1000);
	assert_false(cfg->influx.gzip); /* a loopback URL: see test_config_gzip.c */
	gw_config_free(cfg);
}

static void test_config_sim_season_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_sim.yaml");
	const struct gw_film_plan *f;

	(void)state;
	assert_true(cfg->sim.start_ms == 1680301800000LL); /* 2023-04-01T06:30+08:00 */
	assert_true(cfg->sim.speed == 8640.0);
	assert_int_equal(cfg->sim.seed, 42);
	assert_int_equal(cfg->sim.nfilm, 4);
	f = gw_config_film(cfg, "XM-0001");
	assert_non_null(f);
	assert_false(f->laid);
	assert_int_equal(f->src.line, 15);
	assert_ptr_equal(f->src.file, cfg->path);
	f = gw_config_film(cfg, "XM-0002");
	assert_true(f->laid);
	assert_int_equal(f->laid_md, 528);
	assert_int_equal(f->removed_md, 0);
	f = gw_config_film(cfg, "XM-0003");
	assert_int_equal(f->laid_md, 426);
	assert_int_equal(f->removed_md, 612);
	f = gw_config_film(cfg, "XM-0004");
	assert_true(f->laid);
	assert_int_equal(f->laid_md, 0);
	assert_int_equal(f->removed_md, 701);
	assert_null(gw_config_film(cfg, "XM-0005"));
	gw_config_free(cfg);
	/* no sim section: nothing set */
	cfg = load_ok(FIXTURES "good_minimal.yaml");
	assert_true(cfg->sim.start_ms == 0);
	assert_true(cfg->sim.speed == 0.0);
	assert_int_equal(cfg->sim.seed, -1);
	assert_int_equal(cfg->sim.nfilm, 0);
	assert_null(gw_config_film(cfg, "XM-0001"));
	gw_config_free(cfg);
}

/* The rates of the county's forms: the 2023 program's by default, each one settable. */
static void test_config_rates_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_minimal.yaml");
	const struct gw_rates_cfg *r = &cfg->rates;

	(void)state;
	assert_true(r->full_film_kg_per_mu == 9 && r->half_film_kg_per_mu == 7);
	assert_true(r->rolls_per_mu == 1 && r->seed_kg_per_mu == 2 && r->soybean_kg_per_mu == 3);
	assert_true(r->film_yuan_per_kg == 14 && r->seed_yuan_per_kg == 25);
	assert_true(r->intercrop_yuan_per_mu == 54 && r->government_pct == 70);
	gw_config_free(cfg);
	cfg = load_ok(FIXTURES "good_rates.yaml");
	r = &cfg->rates;
	assert_true(r->full_film_kg_per_mu == 9.5 && r->half_film_kg_per_mu == 6.5);
	assert_true(r->rolls_per_mu == 1.2 && r->seed_kg_per_mu == 2.25 &&
	            r->soybean_kg_per_mu == 3.5);
	assert_true(r->film_yuan_per_kg == 13.8 && r->seed_yuan_per_kg == 26);
	assert_true(r->intercrop_yuan_per_mu == 60 && r->government_pct == 75);
	gw_config_free(cfg);
}

static void test_config_bus_lookup_ok(void **state)
{
	struct gw_config *cfg = load_ok(FIXTURES "good_minimal.yaml");

	(void)state;
	assert_ptr_equal(gw_config_bus(cfg, "dtu1"), &cfg->buses[1]);
	assert_ptr_equal(gw_config_bus(cfg, "line1"), &cfg->buses[0]);
	assert_null(gw_config_bus(cfg, "line9"));
	gw_config_free(cfg);
	gw_config_free(NULL);
}

static void test_config_missing_file_einval(void **state)
{
	struct gw_config *cfg = (struct gw_config *)&cfg; /* must be overwritten */
	char *text = NULL;

	(void)state;
	assert_int_equal(load(FIXTURES "no_such.yaml", &cfg, &text), -EINVAL);
	assert_null(cfg);
	assert_string_equal(text, FIXTURES "no_such.yaml: error: cannot open: No such file or "
	                                   "directory\n");
	free(text);
}

/* One bad fixture: rejected, *out NULL, diagnostics exactly its .expected. */
static bool bad_fixture_matches(const char *yaml)
{
	struct gw_config *cfg = (struct gw_config *)&cfg;
	char expected_path[512];
	char *text = NULL;
	bool ok;
	int rc;

	snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
	         (int)(strlen(yaml) - strlen(".yaml")), yaml);
	rc = load(yaml, &cfg, &text);
	ok = gw_test_bad_fixture_ok(yaml, expected_path, rc, cfg != NULL, text);
	free(text);
	return ok;
}

static void test_config_bad_fixtures_match_expected(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(gw_test_each_path(FIXTURES "bad_*.yaml", 0, bad_fixture_matches, &n), 0);
	assert_true(n >= 20);
}

static void test_config_every_expected_has_fixture_ok(void **state)
{
	glob_t g;

	(void)state;
	assert_int_equal(glob(FIXTURES "bad_*.expected", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char yaml[512];

		snprintf(yaml, sizeof(yaml), "%.*s.yaml",
		         (int)(strlen(g.gl_pathv[i]) - strlen(".expected")), g.gl_pathv[i]);
		if (access(yaml, R_OK) != 0)
			fail_msg("%s has no fixture", g.gl_pathv[i]);
	}
	globfree(&g);
}

static int group_setup(void **state)
{
	(void)state;
	/* relative paths, so messages (and .expected files) name fixtures relatively */
	if (chdir(GW_SOURCE_DIR) != 0)
		return -1;
	/* sim.start is local time */
	setenv("TZ", "CST-8", 1);
	tzset();
	return setenv("FIELDGATE_PROFILES", "drivers/profiles", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_config_full_every_key_ok),
	        cmocka_unit_test(test_config_full_sensors_ok),
	        cmocka_unit_test(test_config_dtu_buses_ok),
	        cmocka_unit_test(test_config_full_sinks_ok),
	        cmocka_unit_test(test_config_minimal_defaults_ok),
	        cmocka_unit_test(test_config_sim_season_ok),
	        cmocka_unit_test(test_config_rates_ok),
	        cmocka_unit_test(test_config_bus_lookup_ok),
	        cmocka_unit_test(test_config_missing_file_einval),
	        cmocka_unit_test(test_config_bad_fixtures_match_expected),
	        cmocka_unit_test(test_config_every_expected_has_fixture_ok),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
