/* The MQTT sink (a struct gw_sink_ops run by sink.c's loop): publishes each journal row after its
 * cursor as the reading's JSON on {prefix}/{gateway}/plot/{plot}/{sensor}, keeps a window of
 * messages in flight, and moves the cursor as the broker acknowledges them in order. Rows replayed
 * after an outage carry "historical": true. A sensor's deadband holds back readings whose
 * values moved less than it (the journal and InfluxDB keep every one), with a heartbeat of
 * at least one message every mqtt.heartbeat_min. Self-metrics go to {prefix}/{gateway}/
 * metrics (QoS 0); the retained {prefix}/{gateway}/status is online/offline; the retained
 * {prefix}/{gateway}/chain is the evidence chain's head (chain.h), sent when a day is sealed
 * and on every connect. */
#ifndef GW_MQTT_OUT_H
#define GW_MQTT_OUT_H

#include "sink.h"

/* The row of sinks.c's table. */
extern const struct gw_sink_ops gw_mqtt_sink;

/* Writes the topic of a reading: {prefix}/{gateway}/plot/{plot}/{sensor}, with "unbound"
 * for a sensor without a plot and '/', '+', '#' in names replaced by '_'. Returns 0 or
 * -ENOSPC. Pure; exposed for tests. */
int gw_mqtt_topic(const char *prefix, const char *gateway, const char *plot, const char *sensor,
                  char *buf, size_t len);

#endif
