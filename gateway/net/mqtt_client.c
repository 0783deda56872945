/* The MQTT client: the only includer of MQTTAsync.h. Loads Paho at the first client (dlopen),
 * connects, reconnects with back-off, sends the birth, publishes and turns Paho's callbacks into
 * events and acked tags. Paho calls back on its own threads, often holding its own lock, so this
 * file never calls Paho while holding m->lock. No persistence here, and no automatic reconnect
 * inside Paho. The state without Paho calls is in mqtt_client_state.c. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

#include "array.h"
#include "clock.h"
#include "dynlib.h"
#include "log.h"
#include "mqtt_client.h"
#include "mqtt_client_int.h"

#define GW_MQTT_CONNECT_S   10    /* TCP + TLS + CONNACK */
#define GW_MQTT_ATTEMPT_MS  30000 /* the whole attempt, birth acknowledged included */
#define GW_MQTT_OFFLINE_MS  1000  /* of the ~2 s gw_mqtt_free may take */
#define GW_MQTT_CLOSE_MS    2000
#define GW_MQTT_MAX_PAYLOAD (256 * 1024 * 1024 - 1024)

/* Paho, loaded at the first client (dynlib.h): the functions this file calls. */
struct paho {
	__typeof__(MQTTAsync_global_init) *global_init;
	__typeof__(MQTTAsync_createWithOptions) *create;
	__typeof__(MQTTAsync_setConnectionLostCallback) *set_lost;
	__typeof__(MQTTAsync_connect) *connect;
	__typeof__(MQTTAsync_send) *send;
	__typeof__(MQTTAsync_disconnect) *disconnect;
	__typeof__(MQTTAsync_destroy) *destroy;
	__typeof__(MQTTAsync_strerror) *strerror;
};

/* ---- Paho callbacks (Paho's threads) ---- */

static void describe(const struct paho *p, char *buf, size_t len, const char *what,
                     const MQTTAsync_failureData *d, const char *tls_error)
{
	const char *why = d ? gw_mqtt_connack_reason(d->code) : NULL;

	if (!why && d)
		why = d->message ? d->message : p->strerror(d->code);
	snprintf(buf, len, "%s: %s%s%s%s", what, why ? why : "unknown error",
	         tls_error[0] ? " (tls: " : "", tls_error, tls_error[0] ? ")" : "");
}

static int on_tls_error(const char *str, size_t len, void *ctx)
{
	struct gw_mqtt *m = ctx;

	pthread_mutex_lock(&m->lock);
	if (!m->tls_error[0])
		gw_mqtt_tls_reason(str, len, m->tls_error, sizeof(m->tls_error));
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void on_lost(void *ctx, char *cause)
{
	struct gw_mqtt *m = ctx;

	pthread_mutex_lock(&m->lock);
	if (m->closing) {
		/* gw_mqtt_free is tearing down: nobody waits for events */
	} else if (m->state == GW_MQTT_UP) {
		gw_mqtt_window_abandon(&m->win);
		m->ev_lost = true;
		m->state = GW_MQTT_DOWN;
		gw_mqtt_set_error(m, "connection lost: %s", cause ? cause : "socket closed");
		gw_log(GW_WARN, "mqtt", "url=%s %s", m->cfg.url, m->error);
		m->next_attempt_ms = gw_clock_mono_ms() + m->backoff_ms;
	} else if (m->state == GW_MQTT_CONNECTING) {
		gw_mqtt_connect_failed(m, "connection lost before the birth was acknowledged");
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* Acks worth waking the waiter for: all in flight, or a batch of want. m->lock held. */
static bool acks_due(const struct gw_mqtt *m, size_t want)
{
	return m->win.count && want && (m->win.inflight == 0 || m->win.count >= want);
}

/* A data ack wakes gw_mqtt_wait only once a batch is due, not once per PUBACK. */
static void on_pub_ok(void *ctx, MQTTAsync_successData *d)
{
	struct gw_mqtt_ticket *t = ctx;
	struct gw_mqtt *m = t->owner;
	enum gw_mqtt_kind kind = t->kind;
	bool current;

	(void)d;
	pthread_mutex_lock(&m->lock);
	current = gw_mqtt_window_done(&m->win, t, true);
	if (kind == GW_TK_BIRTH && current && m->state == GW_MQTT_CONNECTING)
		gw_mqtt_went_up(m);
	if (kind == GW_TK_OFFLINE)
		m->offline_done = true;
	if (kind != GW_TK_DATA || acks_due(m, m->want))
		pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void on_pub_fail(void *ctx, MQTTAsync_failureData *d)
{
	struct gw_mqtt_ticket *t = ctx;
	struct gw_mqtt *m = t->owner;
	enum gw_mqtt_kind kind = t->kind;
	char why[160];

	describe(m->p, why, sizeof(why), "publish failed", d, "");
	pthread_mutex_lock(&m->lock);
	if (gw_mqtt_window_done(&m->win, t, false) && !m->closing) {
		if (kind == GW_TK_DATA) {
			/* Only happens as the connection goes: resend everything. */
			gw_mqtt_window_abandon(&m->win);
			m->ev_lost = true;
			gw_mqtt_set_error(m, "%s", why);
		} else if (kind == GW_TK_BIRTH && m->state == GW_MQTT_CONNECTING) {
			gw_mqtt_connect_failed(m, why);
		}
	}
	if (kind == GW_TK_OFFLINE)
		m->offline_done = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* Queues one publish with a ticket; m->lock NOT held. Returns a MQTTASYNC_* code. */
static int send_ticket(struct gw_mqtt *m, struct gw_mqtt_ticket *t, const char *topic,
                       const void *payload, size_t len, int qos, bool retained)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	ro.onSuccess = on_pub_ok;
	ro.onFailure = on_pub_fail;
	ro.context = t;
	return m->p->send(m->h, topic, (int)len, payload, qos, retained, &ro);
}

static void on_connect_ok(void *ctx, MQTTAsync_successData *d)
{
	struct gw_mqtt *m = ctx;
	struct gw_mqtt_ticket *t = NULL;
	char why[160];
	int rc;

	(void)d;
	pthread_mutex_lock(&m->lock);
	if (m->state == GW_MQTT_CONNECTING && !m->closing)
		t = gw_mqtt_window_take(&m->win, GW_TK_BIRTH, 0);
	pthread_mutex_unlock(&m->lock);
	if (!t)
		return;
	rc = send_ticket(m, t, m->status_topic, "online", 6, 1, true);
	if (rc == MQTTASYNC_SUCCESS)
		return;
	snprintf(why, sizeof(why), "birth not queued: %s", m->p->strerror(rc));
	pthread_mutex_lock(&m->lock);
	if (gw_mqtt_window_done(&m->win, t, false) && m->state == GW_MQTT_CONNECTING)
		gw_mqtt_connect_failed(m, why);
	pthread_mutex_unlock(&m->lock);
	m->p->disconnect(m->h, NULL);
}

static void on_connect_fail(void *ctx, MQTTAsync_failureData *d)
{
	struct gw_mqtt *m = ctx;
	char why[160];

	pthread_mutex_lock(&m->lock);
	if (m->state == GW_MQTT_CONNECTING && !m->closing) {
		describe(m->p, why, sizeof(why), "connect failed", d, m->tls_error);
		gw_mqtt_connect_failed(m, why);
	}
	pthread_mutex_unlock(&m->lock);
}

static void on_disconnected(void *ctx, MQTTAsync_successData *d)
{
	struct gw_mqtt *m = ctx;

	(void)d;
	pthread_mutex_lock(&m->lock);
	m->disc_done = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void on_disconnect_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)d;
	on_disconnected(ctx, NULL);
}

/* ---- connecting ---- */

/* Starts one connect attempt. Called and returns with m->lock held; drops it meanwhile. */
static void start_connect(struct gw_mqtt *m)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	const struct gw_mqtt_cfg *c = &m->cfg;
	int rc;

	m->state = GW_MQTT_CONNECTING;
	m->attempt_deadline_ms = gw_clock_mono_ms() + GW_MQTT_ATTEMPT_MS;
	gw_mqtt_window_abandon(&m->win);
	m->tls_error[0] = '\0';
	pthread_mutex_unlock(&m->lock);

	will.topicName = m->status_topic;
	will.message = "offline";
	will.retained = 1;
	will.qos = 1;
	co.will = &will;
	co.keepAliveInterval = (int)c->keepalive_s;
	co.cleansession = 1;
	co.maxInflight = (int)m->cap + 2;
	co.connectTimeout = GW_MQTT_CONNECT_S;
	co.MQTTVersion = MQTTVERSION_3_1_1;
	co.automaticReconnect = 0;
	co.username = c->username[0] ? c->username : NULL;
	co.password = c->password_file[0] || c->password_credential[0] ? m->password : NULL;
	co.onSuccess = on_connect_ok;
	co.onFailure = on_connect_fail;
	co.context = m;
	if (m->tls) {
		ssl.trustStore = c->ca_file[0] ? c->ca_file : NULL;
		ssl.keyStore = c->cert_file[0] ? c->cert_file : NULL;
		ssl.privateKey = c->key_file[0] ? c->key_file : NULL;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;
		ssl.ssl_error_cb = on_tls_error;
		ssl.ssl_error_context = m;
		co.ssl = &ssl;
	}
	rc = m->p->connect(m->h, &co);

	pthread_mutex_lock(&m->lock);
	if (rc != MQTTASYNC_SUCCESS && m->state == GW_MQTT_CONNECTING) {
		char why[160];

		snprintf(why, sizeof(why), "connect not started: %s", m->p->strerror(rc));
		gw_mqtt_connect_failed(m, why);
	}
}

/* Ends an attempt that Paho's connect timeout does not cover (a broker that accepted the
 * session but never acknowledges the birth). Called and returns with m->lock held. */
static void give_up(struct gw_mqtt *m)
{
	gw_mqtt_connect_failed(m, "connect failed: no answer within 30 s");
	pthread_mutex_unlock(&m->lock);
	m->p->disconnect(m->h, NULL);
	pthread_mutex_lock(&m->lock);
}

/* ---- public ---- */

/* The Paho a client needs, loaded on first use: libpaho-mqtt3as (TLS: libssl, libcrypto) for
 * mqtts://, libpaho-mqtt3a (~1.7 MB less) for mqtt://. Once the TLS variant is loaded it serves
 * plain clients too; a TLS client after plain ones loads it beside the plain one (each client
 * keeps the variant it was created with). OpenSSL is set up by Paho only for the TLS variant.
 * Returns the functions, or NULL with err saying what is missing (the process goes on). */
static const struct paho *paho_get(bool tls, char *err, size_t errlen)
{
	static const char *const soname[] = {"libpaho-mqtt3a.so.1", "libpaho-mqtt3as.so.1"};
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct paho lib[2];
	static bool loaded[2];
	const struct paho *p = NULL;
	int v;

	pthread_mutex_lock(&lock);
	v = tls || loaded[1];
	if (!loaded[v]) {
		struct paho *q = &lib[v];
		const struct gw_dl_sym syms[] = {
		        GW_DL_SYM("MQTTAsync_global_init", q->global_init),
		        GW_DL_SYM("MQTTAsync_createWithOptions", q->create),
		        GW_DL_SYM("MQTTAsync_setConnectionLostCallback", q->set_lost),
		        GW_DL_SYM("MQTTAsync_connect", q->connect),
		        GW_DL_SYM("MQTTAsync_send", q->send),
		        GW_DL_SYM("MQTTAsync_disconnect", q->disconnect),
		        GW_DL_SYM("MQTTAsync_destroy", q->destroy),
		        GW_DL_SYM("MQTTAsync_strerror", q->strerror)};
		MQTTAsync_init_options io = MQTTAsync_init_options_initializer;

		if (gw_dl_load(soname[v], "libpaho-mqtt1.3", syms, GW_ARRAY_LEN(syms), err,
		               errlen) == 0) {
			io.do_openssl_init = v;
			q->global_init(&io);
			loaded[v] = true;
		}
	}
	if (loaded[v])
		p = &lib[v];
	pthread_mutex_unlock(&lock);
	return p;
}

int gw_mqtt_load(const char *url, char *err, size_t errlen)
{
	char uri[GW_MQTT_URI_LEN];
	bool tls;

	if (gw_mqtt_server_uri(url, uri, sizeof(uri), &tls)) {
		if (err && errlen)
			snprintf(err, errlen, "not an MQTT server URL");
		return -EINVAL;
	}
	return paho_get(tls, err, errlen) ? 0 : -ELIBACC;
}

static int create_client(struct gw_mqtt *m)
{
	MQTTAsync_createOptions o = MQTTAsync_createOptions_initializer;
	char why[256];
	int rc;

	m->p = paho_get(m->tls, why, sizeof(why));
	if (!m->p) {
		gw_log(GW_ERR, "mqtt", "url=%s cannot load the MQTT library: %s", m->cfg.url, why);
		return -ELIBACC;
	}
	o.MQTTVersion = MQTTVERSION_3_1_1;
	o.sendWhileDisconnected = 0;
	o.maxBufferedMessages = (int)m->cap + 8; /* ours, the birth and the "offline" */
	rc = m->p->create(&m->h, m->uri, m->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &o);
	if (rc != MQTTASYNC_SUCCESS)
		return rc == MQTTASYNC_BAD_PROTOCOL ? -EINVAL : -EIO;
	rc = m->p->set_lost(m->h, m, on_lost);
	if (rc != MQTTASYNC_SUCCESS) {
		m->p->destroy(&m->h);
		return -EIO;
	}
	return 0;
}

struct gw_mqtt *gw_mqtt_new(const struct gw_mqtt_cfg *cfg, const char *client_id,
                            const char *status_topic, int *err)
{
	struct gw_mqtt *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	rc = gw_mqtt_copy_args(m, cfg, client_id, status_topic);
	if (rc)
		goto out_free;
	rc = gw_mqtt_init_state(m);
	if (rc)
		goto out_free;
	rc = create_client(m);
	if (rc)
		goto out_sync;
	*err = 0;
	return m;
out_sync:
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
out_free:
	gw_mqtt_release(m);
	*err = rc;
	return NULL;
}

/* Publishes "offline" and disconnects; bounded by deadline. m->lock NOT held. */
static void close_client(struct gw_mqtt *m, int64_t deadline)
{
	MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
	struct gw_mqtt_ticket *t;
	int64_t offline_by = gw_clock_mono_ms() + GW_MQTT_OFFLINE_MS;

	pthread_mutex_lock(&m->lock);
	t = gw_mqtt_window_take(&m->win, GW_TK_OFFLINE, 0);
	pthread_mutex_unlock(&m->lock);
	if (t && send_ticket(m, t, m->status_topic, "offline", 7, 1, true) != MQTTASYNC_SUCCESS) {
		pthread_mutex_lock(&m->lock);
		gw_mqtt_window_done(&m->win, t, false);
		m->offline_done = true;
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	while (t && !m->offline_done && gw_clock_mono_ms() < offline_by)
		gw_mqtt_wait_until(m, offline_by);
	pthread_mutex_unlock(&m->lock);

	dopt.timeout = 200;
	dopt.onSuccess = on_disconnected;
	dopt.onFailure = on_disconnect_fail;
	dopt.context = m;
	if (m->p->disconnect(m->h, &dopt) != MQTTASYNC_SUCCESS)
		return;
	pthread_mutex_lock(&m->lock);
	while (!m->disc_done && gw_clock_mono_ms() < deadline)
		gw_mqtt_wait_until(m, deadline);
	pthread_mutex_unlock(&m->lock);
}

void gw_mqtt_free(struct gw_mqtt *m)
{
	bool up;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->closing = true;
	up = m->state == GW_MQTT_UP;
	pthread_mutex_unlock(&m->lock);
	if (up)
		close_client(m, gw_clock_mono_ms() + GW_MQTT_CLOSE_MS);
	/* Calls back (onFailure) for whatever is still queued, then no more. */
	m->p->destroy(&m->h);
	if (up)
		gw_log(GW_INFO, "mqtt", "url=%s disconnected", m->cfg.url);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	gw_mqtt_release(m);
}

static int paho_errno(int rc)
{
	switch (rc) {
	case MQTTASYNC_DISCONNECTED:
		return -ENOTCONN;
	case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
	case MQTTASYNC_MAX_BUFFERED_MESSAGES:
	case MQTTASYNC_NO_MORE_MSGIDS:
		return -EAGAIN;
	case MQTTASYNC_BAD_UTF8_STRING:
	case MQTTASYNC_BAD_QOS:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int gw_mqtt_publish(struct gw_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retained, uint64_t tag)
{
	struct gw_mqtt_ticket *t = NULL;
	int rc;

	if (!gw_mqtt_topic_ok(topic) || qos < 0 || qos > 2 || len > GW_MQTT_MAX_PAYLOAD ||
	    (!payload && len))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->state != GW_MQTT_UP)
		rc = -ENOTCONN;
	else if (gw_mqtt_window_full(&m->win))
		rc = -EAGAIN;
	else
		rc = (t = gw_mqtt_window_take(&m->win, GW_TK_DATA, tag)) ? 0 : -ENOMEM;
	pthread_mutex_unlock(&m->lock);
	if (rc)
		return rc;
	rc = send_ticket(m, t, topic, payload ? payload : "", len, qos, retained);
	if (rc == MQTTASYNC_SUCCESS)
		return 0;
	pthread_mutex_lock(&m->lock);
	gw_mqtt_window_done(&m->win, t, false);
	pthread_mutex_unlock(&m->lock);
	return paho_errno(rc);
}

static bool has_pending(const struct gw_mqtt *m, size_t want)
{
	return acks_due(m, want) || m->ev_connected || m->ev_lost || m->ev_failed;
}

int gw_mqtt_wait(struct gw_mqtt *m, int timeout_ms, uint64_t *tags, size_t max,
                 struct gw_mqtt_events *ev)
{
	int64_t end = gw_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t want = m->cap / 4 > max ? max : (m->cap / 4 ? m->cap / 4 : 1), n;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		int64_t now = gw_clock_mono_ms();
		int64_t until = end;

		if (m->state == GW_MQTT_DOWN && now >= m->next_attempt_ms) {
			start_connect(m);
			continue;
		}
		if (m->state == GW_MQTT_CONNECTING && now >= m->attempt_deadline_ms) {
			give_up(m);
			continue;
		}
		if (has_pending(m, want) || now >= end)
			break;
		if (m->state == GW_MQTT_DOWN && m->next_attempt_ms < until)
			until = m->next_attempt_ms;
		if (m->state == GW_MQTT_CONNECTING && m->attempt_deadline_ms < until)
			until = m->attempt_deadline_ms;
		m->want = want;
		gw_mqtt_wait_until(m, until);
		m->want = 0;
	}
	n = gw_mqtt_window_collect(&m->win, tags, max);
	if (ev) {
		ev->state = m->state;
		ev->connected = m->ev_connected;
		ev->lost = m->ev_lost;
		ev->failed = m->ev_failed;
		ev->inflight = m->win.inflight;
		snprintf(ev->error, sizeof(ev->error), "%s", m->error);
	}
	m->ev_connected = m->ev_lost = m->ev_failed = false;
	pthread_mutex_unlock(&m->lock);
	return (int)n;
}
