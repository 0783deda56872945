/* The MQTT sink's turn; see mqtt_out.h (the loop around it is sink.c). Rows read from the
 * journal wait in a ring in seq order, each pending, sent or done (acknowledged, or held back
 * by the deadband); the cursor follows the done prefix. After a lost connection every
 * sent-but-unacknowledged row is sent again, so a message may repeat but none is lost. */
#include "mqtt_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "chain.h"
#include "clock.h"
#include "deadband.h"
#include "log.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "mqtt_discovery.h"
#include "strbuf.h"

#define RING            1024 /* rows held between the journal and the broker */
#define READ_MAX        256  /* rows read from the journal at once */
#define WAIT_MS         50   /* longest wait for broker events while messages are out */
#define IDLE_MS         1000 /* longest wait for new rows when all is acknowledged (the bell wakes it) */
#define CHAIN_MS        1000 /* how often the evidence chain is looked at */
#define CHAIN_PER_TURN  16   /* sealed days published at most per look */
#define META_CHAIN_SENT "chain_mqtt_day"
#define MOD             "mqtt"

enum ent_state { E_PENDING, E_SENT, E_DONE };

struct ent {
	struct gw_feed_item it;
	uint8_t state;
	int32_t band; /* index in bands of its source, -1: none (out of memory) */
};

/* Deadband state and topic of one source. */
struct band {
	const struct gw_source *src;
	double deadband;
	struct gw_deadband last;
	char *topic; /* owned; built on first use, NULL until then or when it cannot be */
};

struct gw_mqtt_out {
	struct gw_sink *sk; /* the loop running it */
	struct gw_mqtt *cli;
	struct ent *ring;
	size_t head, n;
	struct gw_feed_item *tmp; /* READ_MAX items */
	struct band *bands;
	size_t nbands, capb;
	int64_t read_pos, avail;
	int64_t backlog_end;              /* the last seq in the journal when the sink started */
	int64_t next_chain_ms, chain_day; /* the head published on this connection */
	bool chain_sent;
	char status_topic[256], metrics_topic[256], chain_topic[256], topic[512], json[4096];
	char peer[GW_PATH_LEN + 8]; /* "url=..." for the log */
	uint64_t tags[64];
	size_t ack_hint;  /* where the last ack was found: the next one is usually just after */
	size_t send_from; /* no entry before it is pending */
	struct gw_mqtt_discovery *disc; /* retained sensor metadata and discovery configs */
};

static struct ent *ent_at(struct gw_mqtt_out *o, size_t i)
{
	return &o->ring[(o->head + i) % RING];
}

/* Appends name at buf[*pos] with the characters that would change the topic's levels
 * ('/', '+', '#') replaced by '_'. Returns 0 or -ENOSPC. */
static int put_name(char *buf, size_t len, size_t *pos, const char *name)
{
	for (; *name; name++) {
		if (*pos + 1 >= len)
			return -ENOSPC;
		buf[(*pos)++] = strchr("/+#", *name) ? '_' : *name;
	}
	buf[*pos] = '\0';
	return 0;
}

int gw_mqtt_topic(const char *prefix, const char *gateway, const char *plot, const char *sensor,
                  char *buf, size_t len)
{
	const char *const names[] = {gateway, plot && *plot ? plot : "unbound", sensor};
	const char *const seps[] = {"/", "/plot/", "/"};
	size_t pos = 0;
	int rc = gw_str_append(buf, len, &pos, prefix);

	for (size_t i = 0; !rc && i < GW_ARRAY_LEN(names); i++) {
		rc = gw_str_append(buf, len, &pos, seps[i]);
		if (!rc)
			rc = put_name(buf, len, &pos, names[i]);
	}
	return rc;
}

/* Borrows: the deadband state of src, created on first use. NULL when out of memory. */
static struct band *band_of(struct gw_mqtt_out *o, const struct gw_source *src)
{
	const struct gw_config *cfg = o->sk->env.cfg;
	struct band *b;

	for (size_t i = 0; i < o->nbands; i++)
		if (o->bands[i].src == src)
			return &o->bands[i];
	if (o->nbands == o->capb) {
		size_t cap = o->capb ? o->capb * 2 : 16;
		struct band *n = realloc(o->bands, cap * sizeof(*n));

		if (!n)
			return NULL;
		o->bands = n;
		o->capb = cap;
	}
	b = &o->bands[o->nbands++];
	memset(b, 0, sizeof(*b));
	b->src = src;
	for (size_t i = 0; i < cfg->nsensors; i++)
		if (strcmp(cfg->sensors[i].id, src->sensor) == 0)
			b->deadband = cfg->sensors[i].deadband;
	return b;
}

/* Whether a reading goes out (the sensor's deadband, see deadband.h); notes e's band. */
static bool worth_sending(struct gw_mqtt_out *o, struct ent *e)
{
	struct band *b = band_of(o, e->it.src);

	e->band = b ? (int32_t)(b - o->bands) : -1;
	return !b || gw_deadband_pass(&b->last, &e->it.r, b->deadband,
	                              (int64_t)o->sk->env.cfg->mqtt.heartbeat_min * 60000);
}

/* Reads new rows into the ring. A row is historical when it was already waiting when the
 * sink started (a replay from before a restart) or is read while the broker is known to be
 * away (a failed connect or a lost connection); not while the first connect is under way. */
static void fill(struct gw_mqtt_out *o)
{
	struct gw_sink *sk = o->sk;
	int64_t last, rung = gw_bell_last(sk->env.bell);
	size_t max;
	int k;

	if (rung > o->avail)
		o->avail = rung;
	while (o->n < RING && o->read_pos < o->avail) {
		max = RING - o->n < READ_MAX ? RING - o->n : READ_MAX;
		k = gw_feed_read(sk->feed, o->read_pos, o->tmp, max, &last);
		if (k < 0) {
			gw_log(GW_ERR, MOD, "journal read failed: %s", strerror(-k));
			return;
		}
		for (int i = 0; i < k; i++) {
			struct ent *e = ent_at(o, o->n++);

			e->it = o->tmp[i];
			e->it.r.historical =
			        e->it.seq <= o->backlog_end || sk->link == GW_LINK_DOWN;
			e->state = worth_sending(o, e) ? E_PENDING : E_DONE;
			if (e->state == E_DONE)
				atomic_fetch_add(&sk->env.stats->skipped, 1);
		}
		if (last == o->read_pos)
			break;
		o->read_pos = last;
	}
}

/* Borrows: it's topic, built once per source and kept with its deadband state (sources
 * live as long as the feed). NULL with *rc (-ENOSPC) when it cannot be built. */
static const char *topic_of(struct gw_mqtt_out *o, const struct ent *e, int *rc)
{
	const struct gw_config *cfg = o->sk->env.cfg;
	const struct gw_feed_item *it = &e->it;
	struct band *b = e->band >= 0 ? &o->bands[e->band] : NULL;

	*rc = 0;
	if (b && b->topic)
		return b->topic;
	*rc = gw_mqtt_topic(cfg->mqtt.topic_prefix, it->src->gateway, it->src->plot,
	                    it->src->sensor, o->topic, sizeof(o->topic));
	if (*rc)
		return NULL;
	if (b)
		b->topic = strdup(o->topic); /* out of memory: built again next time */
	return o->topic;
}

/* Publishes one entry. Returns 0, or -EAGAIN/-ENOTCONN to stop sending for now. */
static int publish(struct gw_mqtt_out *o, struct ent *e)
{
	const struct gw_config *cfg = o->sk->env.cfg;
	int len, rc;
	const char *topic = topic_of(o, e, &rc);

	len = topic ? gw_reading_json(&e->it.r, &e->it.tags, o->json, sizeof(o->json)) : rc;
	if (len > 0)
		rc = gw_mqtt_publish(o->cli, topic, o->json, (size_t)len, cfg->mqtt.qos, false,
		                     (uint64_t)e->it.seq);
	if (len < 0 || rc == -EINVAL) {
		gw_log(GW_ERR, MOD, "seq=%lld sensor=%s cannot be published: %s (dropped)",
		       (long long)e->it.seq, e->it.src->sensor, strerror(len < 0 ? -len : -rc));
		atomic_fetch_add(&o->sk->env.stats->dropped, 1);
		e->state = E_DONE;
		return 0;
	}
	if (rc)
		return rc;
	e->state = E_SENT;
	gw_sink_charge(o->sk, (uint64_t)len + strlen(topic) + 8);
	return 0;
}

static void send_pending(struct gw_mqtt_out *o)
{
	size_t i;

	for (i = o->send_from; o->sk->link == GW_LINK_UP && i < o->n; i++) {
		struct ent *e = ent_at(o, i);

		if (e->state != E_PENDING)
			continue;
		if (!gw_sink_budget_allows(o->sk) || publish(o, e))
			break;
	}
	o->send_from = i;
}

/* The self-metrics (QoS 0, not charged to the budget); once connected. */
static int send_metrics(void *impl, struct gw_sink *sk)
{
	struct gw_mqtt_out *o = impl;
	int len;

	if (sk->link != GW_LINK_UP)
		return -EAGAIN;
	len = gw_metrics_json(sk->env.metrics, gw_clock_wall_ms(), o->json, sizeof(o->json));
	if (len > 0)
		gw_mqtt_publish(o->cli, o->metrics_topic, o->json, (size_t)len, 0, false, 0);
	return 0;
}

/* Publishes every sealed day, retained, in day order as it is sealed (at most a few a
 * second), the head again on every (re)connect; the last day published is kept in the
 * journal (META_CHAIN_SENT), so days sealed while the broker was away follow when it is back,
 * across restarts too. */
static void send_chain(struct gw_mqtt_out *o, bool connected)
{
	const struct gw_config *cfg = o->sk->env.cfg;
	struct gw_journal *j = gw_feed_journal(o->sk->feed);
	struct gw_journal_link l;
	int64_t now = gw_clock_mono_ms();
	int len, rc = 0;

	if (connected)
		o->chain_sent = false;
	if (o->sk->link != GW_LINK_UP || (now < o->next_chain_ms && !connected))
		return;
	o->next_chain_ms = now + CHAIN_MS;
	if (!o->chain_sent && gw_journal_meta_get(j, META_CHAIN_SENT, &o->chain_day) < 0)
		o->chain_day = 0;
	for (int k = 0; k < CHAIN_PER_TURN && rc == 0; k++) {
		rc = gw_journal_link_next(j, o->chain_day, &l);
		if (rc == -ENOENT && !o->chain_sent)
			rc = gw_chain_head(j, &l); /* nothing new: the head again */
		if (rc)
			break;
		len = gw_chain_head_json(&l, cfg->gateway_id, o->json, sizeof(o->json));
		rc = len > 0 ? gw_mqtt_publish(o->cli, o->chain_topic, o->json, (size_t)len,
		                               cfg->mqtt.qos, true, 0)
		             : -ENOSPC;
		if (rc == 0) {
			o->chain_sent = true;
			o->chain_day = l.day;
			rc = gw_journal_meta_set(j, META_CHAIN_SENT, l.day);
		}
	}
	if (rc && rc != -ENOENT)
		gw_log(GW_ERR, MOD, "sealed day not published: %s (again in %d ms)", strerror(-rc),
		       CHAIN_MS);
}

/* Index in the ring of the entry of seq, or o->n. The ring is in seq order and acks come
 * mostly in order: the entry after the previous ack is tried first, then a binary search. */
static size_t find_seq(struct gw_mqtt_out *o, int64_t seq)
{
	size_t lo = 0, hi = o->n;

	if (o->ack_hint < o->n && ent_at(o, o->ack_hint)->it.seq == seq)
		return o->ack_hint;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ent_at(o, mid)->it.seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && ent_at(o, lo)->it.seq == seq ? lo : o->n;
}

/* Marks acknowledged rows done. */
static void take_acks(struct gw_mqtt_out *o, int n)
{
	for (int t = 0; t < n; t++) {
		size_t i;

		if (o->tags[t] == 0)
			continue; /* a metrics message */
		i = find_seq(o, (int64_t)o->tags[t]);
		if (i < o->n && ent_at(o, i)->state == E_SENT) {
			ent_at(o, i)->state = E_DONE;
			atomic_fetch_add(&o->sk->env.stats->sent, 1);
		}
		o->ack_hint = i + 1;
	}
}

/* After a lost connection: every sent row goes again, marked historical. Returns how many. */
static size_t resend_all(struct gw_mqtt_out *o)
{
	size_t resend = 0;

	for (size_t i = 0; i < o->n; i++) {
		struct ent *e = ent_at(o, i);

		if (e->state == E_SENT) {
			e->state = E_PENDING;
			e->it.r.historical = true;
			resend++;
		}
	}
	o->send_from = 0;
	atomic_fetch_add(&o->sk->env.stats->failed, resend);
	return resend;
}

static void on_events(struct gw_mqtt_out *o, const struct gw_mqtt_events *ev)
{
	struct gw_sink *sk = o->sk;
	bool up = sk->link == GW_LINK_UP;
	size_t resend = ev->lost ? resend_all(o) : 0;
	char why[sizeof(ev->error) + 64];

	if (up && ev->state != GW_MQTT_UP) {
		snprintf(why, sizeof(why), "broker lost: %s (%zu messages to send again)",
		         ev->error[0] ? ev->error : "connection closed", resend);
		gw_sink_link_down(sk, why);
	} else if (!up && ev->failed) {
		snprintf(why, sizeof(why), "broker unreachable: %s", ev->error);
		gw_sink_link_down(sk, why);
	}
	if (!up && ev->state == GW_MQTT_UP)
		gw_sink_link_up(sk);
}

/* Moves the cursor over the done prefix (the loop saves it); depth and lag. */
static void advance(struct gw_mqtt_out *o)
{
	int64_t cursor = o->sk->cursor;

	while (o->n && ent_at(o, 0)->state == E_DONE) {
		cursor = ent_at(o, 0)->it.seq;
		o->head = (o->head + 1) % RING;
		o->n--;
		o->ack_hint = o->ack_hint ? o->ack_hint - 1 : 0;
		o->send_from = o->send_from ? o->send_from - 1 : 0;
	}
	if (!o->n) {
		cursor = o->read_pos;                     /* also past rows the feed skipped */
		o->head = o->ack_hint = o->send_from = 0; /* the ring's first slots again */
	}
	gw_sink_advance(o->sk, cursor);
	gw_sink_backlog(o->sk, o->avail, o->n ? ent_at(o, 0)->it.r.ts_ms : 0);
}

/* One turn: read, publish, wait briefly for the broker's acks and events. While connected
 * with nothing in flight, the loop then waits for new rows. */
static void turn(void *impl, struct gw_sink *sk, int64_t now, struct gw_sink_wait *w)
{
	struct gw_mqtt_out *o = impl;
	struct gw_mqtt_events ev;
	int n;

	(void)now;
	fill(o);
	send_pending(o);
	/* not connected: waiting for the connect's outcome rather than spinning */
	n = gw_mqtt_wait(o->cli, o->n || sk->link != GW_LINK_UP ? WAIT_MS : 0, o->tags,
	                 GW_ARRAY_LEN(o->tags), &ev);
	if (n > 0)
		take_acks(o, n);
	on_events(o, &ev);
	if (ev.connected)
		gw_mqtt_discovery_restart(o->disc);
	if (sk->link == GW_LINK_UP)
		gw_mqtt_discovery_step(o->disc, o->cli, sk->env.cfg->mqtt.qos);
	send_chain(o, ev.connected);
	advance(o);
	if (o->n == 0 && sk->link == GW_LINK_UP)
		*w = (struct gw_sink_wait){IDLE_MS, o->read_pos};
}

/* Everything committed is acknowledged (or held back by the deadband). */
static bool idle(void *impl, struct gw_sink *sk)
{
	struct gw_mqtt_out *o = impl;

	(void)sk;
	fill(o);
	return o->n == 0 && o->read_pos >= o->avail;
}

static void out_close(void *impl)
{
	struct gw_mqtt_out *o = impl;

	if (!o)
		return;
	gw_mqtt_free(o->cli);
	gw_mqtt_discovery_free(o->disc);
	for (size_t i = 0; i < o->nbands; i++)
		free(o->bands[i].topic);
	free(o->ring);
	free(o->tmp);
	free(o->bands);
	free(o);
}

static void set_topics(struct gw_mqtt_out *o, const struct gw_config *cfg)
{
	snprintf(o->status_topic, sizeof(o->status_topic), "%s/%s/status", cfg->mqtt.topic_prefix,
	         cfg->gateway_id);
	snprintf(o->metrics_topic, sizeof(o->metrics_topic), "%s/%s/metrics",
	         cfg->mqtt.topic_prefix, cfg->gateway_id);
	snprintf(o->chain_topic, sizeof(o->chain_topic), "%s/%s/chain", cfg->mqtt.topic_prefix,
	         cfg->gateway_id);
	snprintf(o->peer, sizeof(o->peer), "url=%s", cfg->mqtt.url);
}

static int out_open(struct gw_sink *sk, void **impl)
{
	const struct gw_config *cfg = sk->env.cfg;
	struct gw_mqtt_out *o = calloc(1, sizeof(*o));
	char client_id[GW_ID_LEN + 16];
	int rc = -ENOMEM;

	if (!o)
		return rc;
	o->sk = sk;
	snprintf(client_id, sizeof(client_id), "%s",
	         cfg->mqtt.client_id[0] ? cfg->mqtt.client_id : "");
	if (!client_id[0])
		snprintf(client_id, sizeof(client_id), "fieldgate-%s", cfg->gateway_id);
	set_topics(o, cfg);
	o->ring = calloc(RING, sizeof(*o->ring));
	o->tmp = calloc(READ_MAX, sizeof(*o->tmp));
	if (!o->ring || !o->tmp)
		goto out_free;
	rc = gw_feed_last_seq(sk->feed, &o->avail);
	if (rc)
		goto out_free;
	o->backlog_end = o->avail;
	o->read_pos = sk->cursor;
	o->cli = gw_mqtt_new(&cfg->mqtt, client_id, o->status_topic, &rc);
	if (!o->cli)
		goto out_free;
	o->disc = gw_mqtt_discovery_new(cfg, sk->env.recs);
	if (!o->disc) {
		rc = -ENOMEM;
		goto out_free;
	}
	sk->peer = o->peer;
	*impl = o;
	return 0;
out_free:
	out_close(o);
	return rc;
}

static bool wanted(const struct gw_config *cfg)
{
	return cfg->mqtt.enabled;
}

const struct gw_sink_ops gw_mqtt_sink = {
        .name = "mqtt",
        .log_module = MOD,
        .wanted = wanted,
        .reads_rows = true,
        .self_metric = true,
        .open = out_open,
        .close = out_close,
        .turn = turn,
        .idle = idle,
        .send_metrics = send_metrics,
};
