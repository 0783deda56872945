/* The MQTT client: the one owner of Paho (MQTTAsync). Connects with back-off, sends a retained
 * "online" birth on every connect and leaves "offline" as the last will, publishes with a bounded
 * in-flight window and hands back the caller's tags as the broker acknowledges them. It keeps
 * nothing on disk (the journal is the persistence) and never logs or reports the password. */
#ifndef GW_MQTT_CLIENT_H
#define GW_MQTT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gw_mqtt;

enum gw_mqtt_state { GW_MQTT_DOWN, GW_MQTT_CONNECTING, GW_MQTT_UP };

/* What happened since the previous gw_mqtt_wait. */
struct gw_mqtt_events {
	enum gw_mqtt_state state;
	bool connected;    /* a (re)connect completed (the broker acknowledged the birth) */
	bool lost;         /* the connection was lost, or a publish of it failed: every tag
	                      published and not yet returned is abandoned; the caller resends */
	bool failed;       /* a connect attempt failed (error says why) */
	unsigned inflight; /* published, not yet acknowledged */
	char error[160];   /* last connect/loss reason, "" if none (never contains the password) */
};

/* Borrows cfg (copied), client_id and status_topic (copied). client_id is used as is.
 * status_topic (e.g. "fieldgate/v1/gw1/status") gets the last will "offline" (retained, QoS 1),
 * and "online" (retained, QoS 1) is published by the client on every successful connect.
 * URL schemes: mqtt:// and tcp:// (plain), mqtts:// and ssl:// (TLS with cfg's ca/cert/key,
 * server certificate and host name verified); the port defaults to 1883 / 8883. Reads
 * password_file (trailing newline trimmed). max_inflight 0 means 20. Does not connect yet.
 * Loads Paho on first use: libpaho-mqtt3a.so.1 for plain URLs, libpaho-mqtt3as.so.1 (TLS) for
 * mqtts:// (a loaded TLS variant serves plain clients too).
 * Returns owned, or NULL with *err: -EINVAL (bad URL, client id or topic), -ENOENT/-EACCES
 * (secret file), -ENOMEM, -EIO (Paho refused the options), -ELIBACC (Paho cannot be loaded:
 * logged with the library, the reason and the package to install). */
struct gw_mqtt *gw_mqtt_new(const struct gw_mqtt_cfg *cfg, const char *client_id,
                            const char *status_topic, int *err);

/* Loads the Paho variant url needs, as gw_mqtt_new would (for `check`). Returns 0, -EINVAL (not
 * an MQTT URL) or -ELIBACC with err (may be NULL) naming the library and package. */
int gw_mqtt_load(const char *url, char *err, size_t errlen);

/* If up: publishes "offline" retained and disconnects, waiting about 2 s at most. Frees m and
 * wipes the password. NULL is a no-op. */
void gw_mqtt_free(struct gw_mqtt *m);

/* Queues one message; borrows topic and payload (Paho copies them). tag is the caller's id
 * (e.g. the journal seq), handed back by gw_mqtt_wait once the broker acknowledged the message
 * (PUBACK for QoS 1, PUBCOMP for QoS 2, written to the socket for QoS 0).
 * Returns 0, -EAGAIN (max_inflight messages are published and not yet returned by
 * gw_mqtt_wait: call it), -ENOTCONN (not up), -EINVAL (empty topic, wildcard in topic, bad
 * qos, payload too long), -ENOMEM or -EIO. Call publish and wait from one thread. */
int gw_mqtt_publish(struct gw_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retained, uint64_t tag);

/* Drives the client. When down and the back-off delay has passed it starts a connect attempt
 * (non-blocking; back-off 1 s doubling to 60 s after failures and losses, reset when up).
 * Waits up to timeout_ms for acks, a connect, a failure or a loss; returns at once if one is
 * pending. Acks are batched: it returns for them once every message in flight is acknowledged
 * or a batch is (a quarter of max_inflight, at most max), else at timeout_ms with what came;
 * Paho's threads wake it only then, not once per PUBACK. Copies up to max acknowledged tags,
 * in the order the acks arrived, into tags and returns their number (>= 0; the rest stay for
 * the next call). Fills *ev (may be NULL).
 * Acks of a connection that was since lost are never returned. */
int gw_mqtt_wait(struct gw_mqtt *m, int timeout_ms, uint64_t *tags, size_t max,
                 struct gw_mqtt_events *ev);

/* Writes the Paho server URI for url ("tcp://host:port" or "ssl://host:port") to buf and sets
 * *tls. Pure; exposed for tests. Returns 0, -EINVAL (unknown scheme, empty host, bad port,
 * a path) or -ENOSPC. */
int gw_mqtt_server_uri(const char *url, char *buf, size_t len, bool *tls);
#define GW_MQTT_URI_LEN (GW_PATH_LEN + 16) /* the buffer gw_mqtt_new passes it */
/* True for a topic one may publish to: 1..65535 bytes, no '+' or '#'. */
bool gw_mqtt_topic_ok(const char *topic);

#endif
