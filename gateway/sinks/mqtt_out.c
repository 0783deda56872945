/* The MQTT sink thread; see mqtt_out.h. Rows read from the journal wait in a ring in
 * seq order, each pending, sent or done (acknowledged, or held back by the deadband);
 * the cursor follows the done prefix and is saved at most every GW_SINK_SAVE_MS. After a lost
 * connection every sent-but-unacknowledged row is sent again, so a message may repeat
 * but none is lost. */
#include "mqtt_out.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "chain.h"
#include "clock.h"
#include "deadband.h"
#include "log.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "strbuf.h"

#define RING     1024 /* rows held between the journal and the broker */
#define READ_MAX 256  /* rows read from the journal at once */
#define WAIT_MS  50   /* longest wait for broker events while messages are out */
#define IDLE_MS  200  /* longest wait for new rows when everything is acknowledged */
#define CHAIN_MS 1000 /* how often the evidence chain's head is looked at */
#define MOD      "mqtt"

enum ent_state { E_PENDING, E_SENT, E_DONE };

struct ent {
	struct gw_feed_item it;
	uint8_t state;
};

/* Deadband state of one source. */
struct band {
	const struct gw_source *src;
	double deadband;
	struct gw_deadband last;
};

struct gw_mqtt_out {
	const struct gw_sink_env *env;
	pthread_t th;
	struct gw_feed *feed;
	struct gw_mqtt *cli;
	struct ent *ring;
	size_t head, n;
	struct gw_feed_item *tmp; /* READ_MAX items */
	struct band *bands;
	size_t nbands, capb;
	int64_t read_pos, avail, cursor, saved;
	int64_t backlog_end; /* the last seq in the journal when the sink started */
	int64_t next_save_ms, next_metrics_ms, down_since_ms;
	int64_t next_chain_ms, chain_day; /* the head published on this connection */
	bool up, chain_sent;
	char status_topic[256], metrics_topic[256], chain_topic[256], topic[512], json[4096];
	uint64_t tags[64];
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
	size_t pos = 0;
	int rc = gw_str_append(buf, len, &pos, prefix);

	if (rc == 0)
		rc = gw_str_append(buf, len, &pos, "/");
	if (rc == 0)
		rc = put_name(buf, len, &pos, gateway);
	if (rc == 0)
		rc = gw_str_append(buf, len, &pos, "/plot/");
	if (rc == 0)
		rc = put_name(buf, len, &pos, plot && *plot ? plot : "unbound");
	if (rc == 0)
		rc = gw_str_append(buf, len, &pos, "/");
	if (rc == 0)
		rc = put_name(buf, len, &pos, sensor);
	return rc;
}

/* Borrows: the deadband state of src, created on first use. NULL when out of memory. */
static struct band *band_of(struct gw_mqtt_out *o, const struct gw_source *src)
{
	const struct gw_config *cfg = o->env->cfg;
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

/* Whether a reading goes out (the sensor's deadband, see deadband.h). */
static bool worth_sending(struct gw_mqtt_out *o, const struct gw_feed_item *it)
{
	struct band *b = band_of(o, it->src);

	return !b || gw_deadband_pass(&b->last, &it->r, b->deadband,
	                              (int64_t)o->env->cfg->mqtt.heartbeat_min * 60000);
}

/* Reads new rows into the ring. A row is historical when it was already waiting when the
 * sink started (a replay from before a restart) or is read while the broker is known to be
 * away (a failed connect or a lost connection); not while the first connect is under way. */
static void fill(struct gw_mqtt_out *o)
{
	int64_t last, rung = gw_bell_last(o->env->bell);
	size_t max;
	int k;

	if (rung > o->avail)
		o->avail = rung;
	while (o->n < RING && o->read_pos < o->avail) {
		max = RING - o->n < READ_MAX ? RING - o->n : READ_MAX;
		k = gw_feed_read(o->feed, o->read_pos, o->tmp, max, &last);
		if (k < 0) {
			gw_log(GW_ERR, MOD, "journal read failed: %s", strerror(-k));
			return;
		}
		for (int i = 0; i < k; i++) {
			struct ent *e = ent_at(o, o->n++);

			e->it = o->tmp[i];
			e->it.r.historical = e->it.seq <= o->backlog_end || o->down_since_ms != 0;
			e->state = worth_sending(o, &e->it) ? E_PENDING : E_DONE;
			if (e->state == E_DONE)
				atomic_fetch_add(&o->env->stats->skipped, 1);
		}
		if (last == o->read_pos)
			break;
		o->read_pos = last;
	}
}

static bool budget_allows(struct gw_mqtt_out *o)
{
	bool ok = !o->env->budget || gw_budget_allow(o->env->budget, gw_clock_wall_ms());

	atomic_store(&o->env->stats->deferred, !ok);
	return ok;
}

/* Publishes one entry. Returns 0, or -EAGAIN/-ENOTCONN to stop sending for now. */
static int publish(struct gw_mqtt_out *o, struct ent *e)
{
	const struct gw_config *cfg = o->env->cfg;
	int len, rc;

	rc = gw_mqtt_topic(cfg->mqtt.topic_prefix, e->it.src->gateway, e->it.src->plot,
	                   e->it.src->sensor, o->topic, sizeof(o->topic));
	len = rc ? rc : gw_reading_json(&e->it.r, &e->it.tags, o->json, sizeof(o->json));
	if (len > 0)
		rc = gw_mqtt_publish(o->cli, o->topic, o->json, (size_t)len, cfg->mqtt.qos, false,
		                     (uint64_t)e->it.seq);
	if (len < 0 || rc == -EINVAL) {
		gw_log(GW_ERR, MOD, "seq=%lld sensor=%s cannot be published: %s (dropped)",
		       (long long)e->it.seq, e->it.src->sensor, strerror(len < 0 ? -len : -rc));
		atomic_fetch_add(&o->env->stats->dropped, 1);
		e->state = E_DONE;
		return 0;
	}
	if (rc)
		return rc;
	e->state = E_SENT;
	if (o->env->budget)
		gw_budget_add(o->env->budget, (uint64_t)len + strlen(o->topic) + 8,
		              gw_clock_wall_ms());
	return 0;
}

static void send_pending(struct gw_mqtt_out *o)
{
	for (size_t i = 0; o->up && i < o->n; i++) {
		struct ent *e = ent_at(o, i);

		if (e->state != E_PENDING)
			continue;
		if (!budget_allows(o) || publish(o, e))
			return;
	}
}

static void send_metrics(struct gw_mqtt_out *o)
{
	unsigned every = o->env->cfg->metrics_interval_s;
	int64_t now = gw_clock_mono_ms();
	int len;

	if (!o->up || !every || !o->env->metrics || now < o->next_metrics_ms)
		return;
	o->next_metrics_ms = now + (int64_t)every * 1000;
	len = gw_metrics_json(o->env->metrics, gw_clock_wall_ms(), o->json, sizeof(o->json));
	if (len > 0)
		gw_mqtt_publish(o->cli, o->metrics_topic, o->json, (size_t)len, 0, false, 0);
}

/* Publishes the evidence chain's head, retained, when a later day is sealed and again on
 * every (re)connect, so an outage at midnight only delays it. */
static void send_chain(struct gw_mqtt_out *o, bool connected)
{
	const struct gw_config *cfg = o->env->cfg;
	struct gw_journal_link head;
	int64_t now = gw_clock_mono_ms();
	int len, rc;

	if (connected)
		o->chain_sent = false;
	if (!o->up || (now < o->next_chain_ms && !connected))
		return;
	o->next_chain_ms = now + CHAIN_MS;
	rc = gw_chain_head(gw_feed_journal(o->feed), &head);
	if (rc && rc != -ENOENT)
		gw_log(GW_ERR, MOD, "chain head read failed: %s", strerror(-rc));
	if (rc || (o->chain_sent && head.day == o->chain_day))
		return;
	len = gw_chain_head_json(&head, cfg->gateway_id, o->json, sizeof(o->json));
	if (len > 0 && gw_mqtt_publish(o->cli, o->chain_topic, o->json, (size_t)len, cfg->mqtt.qos,
	                               true, 0) == 0) {
		o->chain_sent = true;
		o->chain_day = head.day;
	}
}

/* Marks acknowledged rows done; they usually come in order, at the front. */
static void take_acks(struct gw_mqtt_out *o, int n)
{
	for (int t = 0; t < n; t++) {
		if (o->tags[t] == 0)
			continue; /* a metrics message */
		for (size_t i = 0; i < o->n; i++) {
			struct ent *e = ent_at(o, i);

			if ((uint64_t)e->it.seq == o->tags[t] && e->state == E_SENT) {
				e->state = E_DONE;
				atomic_fetch_add(&o->env->stats->sent, 1);
				break;
			}
		}
	}
}

static void on_events(struct gw_mqtt_out *o, const struct gw_mqtt_events *ev)
{
	size_t resend = 0;

	if (ev->lost) {
		for (size_t i = 0; i < o->n; i++) {
			struct ent *e = ent_at(o, i);

			if (e->state == E_SENT) {
				e->state = E_PENDING;
				e->it.r.historical = true;
				resend++;
			}
		}
		atomic_fetch_add(&o->env->stats->failed, resend);
	}
	if (o->up && ev->state != GW_MQTT_UP) {
		o->up = false;
		o->down_since_ms = gw_clock_mono_ms();
		gw_log(GW_WARN, MOD, "broker lost: %s (%zu messages to send again)",
		       ev->error[0] ? ev->error : "connection closed", resend);
	} else if (!o->up && ev->failed && o->down_since_ms == 0) {
		o->down_since_ms = gw_clock_mono_ms();
		gw_log(GW_WARN, MOD, "broker unreachable: %s (retrying with back-off)", ev->error);
	}
	if (!o->up && ev->state == GW_MQTT_UP) {
		o->up = true;
		if (o->down_since_ms)
			gw_log(GW_NOTICE, MOD, "broker back after %lld s; %lld readings waiting",
			       (long long)(gw_clock_mono_ms() - o->down_since_ms) / 1000,
			       (long long)(o->avail - o->cursor));
		o->down_since_ms = 0;
	}
	atomic_store(&o->env->stats->connected, o->up);
}

/* Moves the cursor over the done prefix and saves it now and then (or when forced). */
static void advance(struct gw_mqtt_out *o, bool force)
{
	int64_t now = gw_clock_mono_ms();
	int rc;

	while (o->n && ent_at(o, 0)->state == E_DONE) {
		o->cursor = ent_at(o, 0)->it.seq;
		o->head = (o->head + 1) % RING;
		o->n--;
	}
	if (!o->n)
		o->cursor = o->read_pos; /* also past rows the feed skipped */
	if (o->cursor != o->saved && (force || now >= o->next_save_ms)) {
		rc = gw_feed_ack(o->feed, o->cursor);
		if (rc == 0)
			o->saved = o->cursor;
		else
			gw_log(GW_ERR, MOD, "cursor save failed: %s", strerror(-rc));
		o->next_save_ms = now + GW_SINK_SAVE_MS;
	}
	atomic_store(&o->env->stats->cursor, o->cursor);
	atomic_store(&o->env->stats->depth, o->avail - o->cursor);
	atomic_store(&o->env->stats->lag_ms,
	             o->n ? gw_clock_wall_ms() - ent_at(o, 0)->it.r.ts_ms : 0);
}

static bool finished(struct gw_mqtt_out *o, int64_t *drain_end)
{
	if (!gw_bell_closing(o->env->bell))
		return false;
	if (*drain_end == 0)
		*drain_end = gw_clock_mono_ms() + o->env->drain_ms;
	fill(o);
	if (o->n == 0 && o->read_pos >= o->avail)
		return true;
	if (gw_clock_mono_ms() < *drain_end)
		return false;
	gw_log(GW_WARN, MOD,
	       "stopping with %lld readings not yet acknowledged (kept in the journal)",
	       (long long)(o->avail - o->cursor));
	return true;
}

static void *run(void *arg)
{
	struct gw_mqtt_out *o = arg;
	struct gw_mqtt_events ev;
	int64_t drain_end = 0;
	int n;

	while (!finished(o, &drain_end)) {
		fill(o);
		send_pending(o);
		send_metrics(o);
		if (o->n == 0 && o->up)
			gw_bell_wait(o->env->bell, o->read_pos, IDLE_MS);
		n = gw_mqtt_wait(o->cli, o->n ? WAIT_MS : 0, o->tags,
		                 sizeof(o->tags) / sizeof(o->tags[0]), &ev);
		if (n > 0)
			take_acks(o, n);
		on_events(o, &ev);
		send_chain(o, ev.connected);
		advance(o, false);
	}
	advance(o, true);
	return NULL;
}

static void out_free(struct gw_mqtt_out *o)
{
	gw_mqtt_free(o->cli);
	gw_feed_close(o->feed);
	free(o->ring);
	free(o->tmp);
	free(o->bands);
	free(o);
}

static int out_init(struct gw_mqtt_out *o)
{
	const struct gw_config *cfg = o->env->cfg;
	char client_id[GW_ID_LEN + 16];
	int rc;

	snprintf(client_id, sizeof(client_id), "%s",
	         cfg->mqtt.client_id[0] ? cfg->mqtt.client_id : "");
	if (!client_id[0])
		snprintf(client_id, sizeof(client_id), "fieldgate-%s", cfg->gateway_id);
	snprintf(o->status_topic, sizeof(o->status_topic), "%s/%s/status", cfg->mqtt.topic_prefix,
	         cfg->gateway_id);
	snprintf(o->metrics_topic, sizeof(o->metrics_topic), "%s/%s/metrics",
	         cfg->mqtt.topic_prefix, cfg->gateway_id);
	snprintf(o->chain_topic, sizeof(o->chain_topic), "%s/%s/chain", cfg->mqtt.topic_prefix,
	         cfg->gateway_id);
	o->ring = calloc(RING, sizeof(*o->ring));
	o->tmp = calloc(READ_MAX, sizeof(*o->tmp));
	if (!o->ring || !o->tmp)
		return -ENOMEM;
	o->feed = gw_feed_open(cfg->data_dir, "mqtt", &rc);
	if (!o->feed)
		return rc;
	rc = gw_feed_cursor(o->feed, &o->cursor);
	if (rc == 0)
		rc = gw_feed_last_seq(o->feed, &o->avail);
	o->backlog_end = o->avail;
	o->read_pos = o->saved = o->cursor;
	if (rc == 0)
		o->cli = gw_mqtt_new(&cfg->mqtt, client_id, o->status_topic, &rc);
	return rc;
}

int gw_mqtt_out_start(const struct gw_sink_env *env, struct gw_mqtt_out **out)
{
	struct gw_mqtt_out *o = calloc(1, sizeof(*o));
	int rc = o ? 0 : -ENOMEM;

	if (o) {
		o->env = env;
		rc = out_init(o);
	}
	if (rc == 0)
		rc = -pthread_create(&o->th, NULL, run, o);
	if (rc) {
		gw_log(GW_ERR, MOD, "cannot start the MQTT sink: %s", strerror(-rc));
		if (o)
			out_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void gw_mqtt_out_join(struct gw_mqtt_out *o)
{
	if (!o)
		return;
	pthread_join(o->th, NULL);
	out_free(o);
}
