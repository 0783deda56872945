/* Inside the MQTT client (not for other modules): the in-flight window and the pure helpers
 * that mqtt_client*.c share. No Paho types here: only mqtt_client.c includes MQTTAsync.h. */
#ifndef GW_MQTT_CLIENT_INT_H
#define GW_MQTT_CLIENT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "mqtt_client.h"

#define GW_MQTT_BACKOFF_MIN_MS 1000
#define GW_MQTT_BACKOFF_MAX_MS 60000
#define GW_MQTT_SECRET_LEN     256

struct paho; /* the Paho functions (mqtt_client.c) */

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

/* One client. Paho calls back on its own threads, often holding its own lock, so no Paho
 * function is called while m->lock is held. */
struct gw_mqtt {
	const struct paho *p; /* the Paho variant this client was created with */
	void *h;              /* its MQTTAsync handle */
	struct gw_mqtt_cfg cfg;
	char uri[GW_MQTT_URI_LEN];
	bool tls;
	char client_id[256];
	char status_topic[256];
	char password[GW_MQTT_SECRET_LEN];
	unsigned cap; /* in-flight window */

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	enum gw_mqtt_state state;
	struct gw_mqtt_window win; /* its epoch moves on at each connect attempt and loss */
	bool ev_connected, ev_lost, ev_failed;
	char error[160];
	char tls_error[96];
	int64_t next_attempt_ms, backoff_ms;
	int64_t attempt_deadline_ms; /* while connecting */
	struct gw_limiter lim;
	bool closing, offline_done, disc_done;
	size_t want; /* gw_mqtt_wait is waiting for this many acks (0: not waiting for acks) */
};

/* mqtt_client_state.c. Fills m's arguments from cfg (copied), client_id and status_topic;
 * reads the secret. Returns 0, -EINVAL or the secret's -errno. */
int gw_mqtt_copy_args(struct gw_mqtt *m, const struct gw_mqtt_cfg *cfg, const char *client_id,
                      const char *status_topic);
/* The window, lock and condition (monotonic clock). Returns 0 or -errno. */
int gw_mqtt_init_state(struct gw_mqtt *m);
/* Frees the window and m; wipes the password. */
void gw_mqtt_release(struct gw_mqtt *m);
/* m->lock held: waits on m->cond until the monotonic time until_ms at the latest. */
void gw_mqtt_wait_until(struct gw_mqtt *m, int64_t until_ms);
/* m->lock held: sets m->error; the password, should a server or library echo it, blanked. */
__attribute__((format(printf, 2, 3))) void gw_mqtt_set_error(struct gw_mqtt *m, const char *fmt,
                                                             ...);
/* m->lock held: the attempt failed (why); down, back-off doubled, waiters woken. */
void gw_mqtt_connect_failed(struct gw_mqtt *m, const char *why);
/* m->lock held: the birth was acknowledged; up, back-off reset, waiters woken. */
void gw_mqtt_went_up(struct gw_mqtt *m);

#endif
