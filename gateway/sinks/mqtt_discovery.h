/* What the MQTT sink publishes retained about its sensors on every connect: a metadata message
 * per sensor ({prefix}/{gateway}/sensor/{sensor}/meta: plot, township, village, bus, profile,
 * interval, placement, each value's unit and decimals) and, with mqtt.homeassistant, Home
 * Assistant's MQTT discovery config per value ({discovery_prefix}/sensor/{node}/{object}/config:
 * state topic and value template, unit, device_class, state_class, the gateway's status topic
 * as availability). No household, name, ID number or phone is in any of them. */
#ifndef GW_MQTT_DISCOVERY_H
#define GW_MQTT_DISCOVERY_H

#include <stddef.h>

#include "config.h"
#include "mqtt_client.h"
#include "records.h"

struct gw_mqtt_discovery;

/* Builds every message for cfg's sensors (recs, may be NULL, gives township and village).
 * Borrows both for the call only. Returns owned, or NULL (out of memory). */
struct gw_mqtt_discovery *gw_mqtt_discovery_new(const struct gw_config *cfg,
                                                const struct gw_records *recs);
void gw_mqtt_discovery_free(struct gw_mqtt_discovery *d);

/* A (re)connect: every message goes again. NULL is a no-op. */
void gw_mqtt_discovery_restart(struct gw_mqtt_discovery *d);

/* Publishes the messages not yet sent on this connection (retained, QoS qos, tag 0) until the
 * client's in-flight window is full. Returns how many are left (0: all sent). NULL: 0. */
size_t gw_mqtt_discovery_step(struct gw_mqtt_discovery *d, struct gw_mqtt *cli, int qos);

/* Number of messages, and message i's topic and payload (borrowed), for tests. */
size_t gw_mqtt_discovery_count(const struct gw_mqtt_discovery *d);
const char *gw_mqtt_discovery_topic(const struct gw_mqtt_discovery *d, size_t i);
const char *gw_mqtt_discovery_payload(const struct gw_mqtt_discovery *d, size_t i);

/* Home Assistant's unit and device class for a profile's unit and point name: "degC" is
 * "°C"/temperature, "%" of a moisture point moisture, "lx" illuminance, "pH" ph (no unit),
 * "uS/cm" "µS/cm" (no class); other units as they are, without a class. unit NULL: none. */
void gw_mqtt_discovery_ha_unit(const char *unit, const char *point, const char **ha_unit,
                               const char **device_class);

#endif
