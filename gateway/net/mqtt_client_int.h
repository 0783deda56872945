/* Inside the MQTT client (not for other modules): the in-flight window and the pure helpers
 * that mqtt_client*.c share. No Paho types here: only mqtt_client.c includes MQTTAsync.h. */
#ifndef GW_MQTT_CLIENT_INT_H
#define GW_MQTT_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_mqtt_cfg;

enum gw_mqtt_kind { GW_TK_DATA, GW_TK_BIRTH, GW_TK_OFFLINE };

/* The context of one Paho publish: owned by the window, lent to Paho until its callback. */
struct gw_mqtt_ticket {
	void *owner;                 /* the struct gw_mqtt */
	struct gw_mqtt_ticket *next; /* free list */
	struct gw_mqtt_ticket *more; /* allocated beyond the pool */
	uint64_t tag;
	uint64_t epoch;
	enum gw_mqtt_kind kind;
};

/* Messages in flight and acked tags not yet handed over. The caller serialises all calls. A
 * ticket is reused only once Paho gave it back, so a late callback never finds another
 * message's ticket; tickets of an older epoch (a lost connection) are recycled silently. */
struct gw_mqtt_window {
	void *owner;
	unsigned cap;      /* the window: inflight + acked-not-collected stays <= cap */
	unsigned inflight; /* DATA tickets of the current epoch not yet acked */
	uint64_t epoch;
	uint64_t *ring; /* cap entries */
	size_t head, count;
	struct gw_mqtt_ticket *pool, *free_list, *extra;
};

/* Allocates the ring and cap + 4 tickets (data, birth, "offline", spare). Returns 0 or
 * -ENOMEM; gw_mqtt_window_release undoes either. */
int gw_mqtt_window_init(struct gw_mqtt_window *w, unsigned cap, void *owner);
void gw_mqtt_window_release(struct gw_mqtt_window *w);
/* True when no DATA message may be published before gw_mqtt_window_collect. */
bool gw_mqtt_window_full(const struct gw_mqtt_window *w);
/* Lends a ticket of the current epoch (DATA ones count as in flight). Returns it, or NULL
 * when out of memory (more tickets are allocated only while Paho still holds old ones). */
struct gw_mqtt_ticket *gw_mqtt_window_take(struct gw_mqtt_window *w, enum gw_mqtt_kind kind,
                                           uint64_t tag);
/* Takes t back from Paho (its callback) or from a send that failed (ok false, acked false).
 * An acked DATA ticket of the current epoch puts its tag in the ring. Returns whether t
 * belonged to the current epoch. */
bool gw_mqtt_window_done(struct gw_mqtt_window *w, struct gw_mqtt_ticket *t, bool acked);
/* Starts a new epoch: what is in flight and acked-not-collected is forgotten. */
void gw_mqtt_window_abandon(struct gw_mqtt_window *w);
/* Moves up to max acked tags, oldest first, into tags; returns their number. */
size_t gw_mqtt_window_collect(struct gw_mqtt_window *w, uint64_t *tags, size_t max);

/* Reads the password of cfg (password_file, or the password_credential in
 * $CREDENTIALS_DIRECTORY) into buf, trailing CR/LF trimmed; none: buf "". Returns 0 or -errno. */
int gw_mqtt_read_secret(const struct gw_mqtt_cfg *cfg, char *buf, size_t len);
/* Copies the reason of an OpenSSL error line ("...:function:reason:file:line:") to buf. */
void gw_mqtt_tls_reason(const char *line, size_t len, char *buf, size_t buf_len);
/* The reason a CONNACK return code (1..5) gives, or NULL for any other code. */
const char *gw_mqtt_connack_reason(int code);

#endif
