/* The retained sensor messages: Home Assistant's unit and device class for each profile unit,
 * a metadata message per sensor and, with mqtt.homeassistant, a discovery config per value
 * (topics reduced to discovery's id characters, ph without a unit, the value read by
 * ['values'][name]); without the flag the metadata only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt_discovery.h"

static void test_mqtt_discovery_ha_units_ok(void **state)
{
	static const struct {
		const char *unit, *point, *ha_unit, *dclass;
	} cases[] = {
	        {"degC", "temperature_c", "°C", "temperature"},
	        {"%", "moisture_pct", "%", "moisture"},
	        {"%", "battery_pct", "%", NULL},
	        {"lx", "lux", "lx", "illuminance"},
	        {"pH", "ph", NULL, "ph"},
	        {"uS/cm", "ec_us_cm", "µS/cm", NULL},
	        {"mg/kg", "nitrogen_mg_kg", "mg/kg", NULL},
	        {"", "dielectric", NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *u, *c;

		gw_mqtt_discovery_ha_unit(cases[i].unit, cases[i].point, &u, &c);
		if (cases[i].ha_unit)
			assert_string_equal(u, cases[i].ha_unit);
		else
			assert_null(u);
		if (cases[i].dclass)
			assert_string_equal(c, cases[i].dclass);
		else
			assert_null(c);
	}
}

static struct gw_profile prof = {
        .name = "test-probe",
        .description = "a test probe",
        .npoints = 3,
        .points = {{.name = "temperature_c", .unit = "degC", .decimals = 2},
                   {.name = "ph", .unit = "pH", .decimals = 2},
                   {.name = "ec_us_cm", .unit = "uS/cm", .decimals = 0}},
};

static void setup_cfg(struct gw_config *cfg, struct gw_bus_cfg *bus, struct gw_sensor_cfg *s,
                      bool ha)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(bus, 0, sizeof(*bus));
	memset(s, 0, sizeof(*s));
	strcpy(cfg->gateway_id, "gw.1");
	strcpy(cfg->township, "新民乡");
	strcpy(bus->name, "line1");
	strcpy(s->id, "soil/7+");
	strcpy(s->plot, "XM-0012");
	s->profile = &prof;
	s->unit = 7;
	s->interval_s = 300;
	s->placement = GW_PLACE_UNDER_FILM;
	cfg->buses = bus;
	cfg->nbuses = 1;
	cfg->sensors = s;
	cfg->nsensors = 1;
	cfg->mqtt.enabled = true;
	strcpy(cfg->mqtt.topic_prefix, "fieldgate/v1");
	strcpy(cfg->mqtt.discovery_prefix, "homeassistant");
	cfg->mqtt.homeassistant = ha;
}

static void test_mqtt_discovery_messages_ok(void **state)
{
	struct gw_config cfg;
	struct gw_bus_cfg bus;
	struct gw_sensor_cfg s;
	struct gw_mqtt_discovery *d;
	const char *p;

	(void)state;
	setup_cfg(&cfg, &bus, &s, true);
	d = gw_mqtt_discovery_new(&cfg, NULL);
	assert_non_null(d);
	assert_int_equal(gw_mqtt_discovery_count(d), 1 + 3);
	assert_string_equal(gw_mqtt_discovery_topic(d, 0), "fieldgate/v1/gw.1/sensor/soil_7_/meta");
	p = gw_mqtt_discovery_payload(d, 0);
	assert_non_null(strstr(p, "\"plot\":\"XM-0012\",\"township\":\"新民乡\",\"village\":null"));
	assert_non_null(strstr(p, "\"interval_s\":300,\"placement\":\"under_film\""));
	assert_non_null(strstr(p, "\"ph\":{\"unit\":\"pH\",\"decimals\":2}"));
	assert_non_null(strstr(p, "\"state_topic\":\"fieldgate/v1/gw.1/plot/XM-0012/soil_7_\""));
	assert_string_equal(gw_mqtt_discovery_topic(d, 1),
	                    "homeassistant/sensor/fieldgate_gw_1/soil_7__temperature_c/config");
	p = gw_mqtt_discovery_payload(d, 1);
	assert_non_null(strstr(p, "\"unique_id\":\"fieldgate_gw_1_soil_7__temperature_c\""));
	assert_non_null(
	        strstr(p, "\"value_template\":\"{{ value_json['values']['temperature_c'] }}\""));
	assert_non_null(strstr(p, "\"availability_topic\":\"fieldgate/v1/gw.1/status\""));
	assert_non_null(
	        strstr(p, "\"unit_of_measurement\":\"°C\",\"device_class\":\"temperature\""));
	assert_non_null(strstr(p, "\"expire_after\":900"));
	p = gw_mqtt_discovery_payload(d, 2); /* ph: a class, no unit */
	assert_null(strstr(p, "unit_of_measurement"));
	assert_non_null(strstr(p, "\"device_class\":\"ph\""));
	p = gw_mqtt_discovery_payload(d, 3); /* EC: a unit, no class */
	assert_null(strstr(p, "device_class"));
	assert_null(gw_mqtt_discovery_topic(d, 4));
	gw_mqtt_discovery_restart(d);
	gw_mqtt_discovery_free(d);

	setup_cfg(&cfg, &bus, &s, false); /* without discovery: the metadata only */
	d = gw_mqtt_discovery_new(&cfg, NULL);
	assert_non_null(d);
	assert_int_equal(gw_mqtt_discovery_count(d), 1);
	gw_mqtt_discovery_free(d);
	gw_mqtt_discovery_free(NULL);
	assert_int_equal(gw_mqtt_discovery_step(NULL, NULL, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mqtt_discovery_ha_units_ok),
	        cmocka_unit_test(test_mqtt_discovery_messages_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
