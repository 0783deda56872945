/* The InfluxDB sink loop; see influx_out.h. One batch at a time: rows after the cursor are
 * decoded CHUNK at a time and formatted straight into the batch buffer; the batch goes when
 * it is full, when flush_ms have passed since its first row was read, or at once while
 * stopping. Allocates at start only. State changes (down, up again, deferred, resumed) are
 * logged once each, never per retry. */
#include "influx_out.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "clock.h"
#include "influx_http.h"
#include "lineproto.h"
#include "log.h"
#include "metrics.h"

#define SINK_NAME        "influxdb"
#define CHUNK            256 /* rows decoded per journal read */
#define BYTES_PER_POINT  512 /* batch buffer per configured point */
#define MIN_BUF          (64 * 1024)
#define IDLE_MS          1000 /* longest bell wait: the journal is read again after it */
#define DEFER_POLL_MS    2000 /* how often a held-back sink asks the budget again */
#define JOURNAL_RETRY_MS 1000

enum link_state { LINK_UNKNOWN, LINK_UP, LINK_DOWN };

/* The batch being filled; everything in it has seq <= last and > the cursor. */
struct batch {
	size_t n;          /* readings read (formatted or refused) */
	size_t points;     /* lines in the buffer */
	size_t refused;    /* readings line protocol cannot carry: dropped */
	size_t pos;        /* bytes in the buffer */
	int64_t last;      /* last seq looked at, skipped rows included: the ack point */
	int64_t first_ms;  /* monotonic time its first row was read; 0: empty */
	int64_t oldest_ts; /* poll time of its first reading */
	bool full;         /* the buffer has no room for the next reading */
};

struct gw_influx_out {
	const struct gw_sink_env *env;
	struct gw_sink_stats *stats;
	struct gw_feed *feed;
	struct gw_influx *w;
	pthread_t thread;
	struct gw_feed_item *items; /* CHUNK of them */
	char *buf;                  /* the batch's line protocol */
	size_t cap;
	size_t max; /* readings a batch */
	char *mbuf; /* the self-metrics' lines */
	size_t mbuf_len;
	struct batch b;
	int64_t cursor;
	struct gw_influx_stats st; /* the writer's counters for batches */
	uint64_t charged;          /* st.sent_bytes already added to the budget */
	enum link_state link;
	unsigned attempt;     /* failed sends in a row */
	int64_t retry_at;     /* monotonic; in the past: no back-off */
	int64_t down_since;   /* monotonic */
	bool deferred;        /* the budget holds sending back */
	int64_t saved;        /* the cursor as last written to the journal */
	int64_t saved_at;     /* monotonic */
	int64_t next_metrics; /* monotonic; 0: never */
	bool closing;
	bool done;
	int64_t drain_end; /* monotonic, once closing */
	struct gw_limiter jlim;
	uint64_t metrics_failed;
};

static void batch_reset(struct gw_influx_out *o)
{
	memset(&o->b, 0, sizeof(o->b));
	o->b.last = o->cursor;
}

/* Formats it into the batch; a reading that does not fit marks the batch full instead. */
static void batch_add(struct gw_influx_out *o, const struct gw_feed_item *it)
{
	struct batch *b = &o->b;
	size_t pos = b->pos;
	int rc = gw_lp_reading(o->buf, o->cap, &pos, &it->r, &it->tags);

	if (rc == -ENOSPC && b->n > 0) {
		b->full = true;
		return;
	}
	if (rc == 0) {
		b->pos = pos;
		b->points++;
	} else if (b->refused++ == 0) {
		gw_log(GW_WARN, "influx", "seq=%lld sensor=%s dropped: no line protocol for it: %s",
		       (long long)it->seq, it->r.sensor_id, strerror(-rc));
	}
	if (b->n++ == 0)
		b->oldest_ts = it->r.ts_ms;
	b->last = it->seq;
}

/* Reads rows after the batch's last until it is full or the journal has no more. Returns 0
 * or -errno. */
static int batch_fill(struct gw_influx_out *o, int64_t now)
{
	struct batch *b = &o->b;

	while (!b->full && b->n < o->max) {
		size_t want = o->max - b->n < CHUNK ? o->max - b->n : CHUNK;
		int64_t before = b->last, last = b->last;
		int got = gw_feed_read(o->feed, b->last, o->items, want, &last);

		if (got < 0)
			return got;
		for (int i = 0; i < got && !b->full; i++)
			batch_add(o, &o->items[i]);
		if (!b->full)
			b->last = last; /* rows skipped as undecodable after the last item */
		if (b->last == before)
			break;
		if (!b->first_ms)
			b->first_ms = now;
	}
	return 0;
}

/* Depth and lag for the self-metrics. */
static void update_gauges(struct gw_influx_out *o)
{
	struct gw_sink_stats *s = o->stats;
	int64_t last = 0, lag = 0;

	if (gw_feed_last_seq(o->feed, &last) == 0)
		atomic_store(&s->depth, last > o->cursor ? last - o->cursor : 0);
	if (o->b.n)
		lag = gw_clock_wall_ms() - o->b.oldest_ts;
	if (o->b.n || o->b.last == o->cursor)
		atomic_store(&s->lag_ms, lag > 0 ? lag : 0);
}

/* Writes the cursor to the journal when GW_SINK_SAVE_MS have passed since the last save,
 * or when forced (stopping). Returns 0 or -errno. */
static int cursor_save(struct gw_influx_out *o, int64_t seq, bool force)
{
	int64_t now = gw_clock_mono_ms();
	int rc;

	if (seq <= o->saved || (!force && now - o->saved_at < GW_SINK_SAVE_MS))
		return 0;
	rc = gw_feed_ack(o->feed, seq);
	if (rc == 0) {
		o->saved = seq;
		o->saved_at = now;
	}
	return rc;
}

/* Moves the cursor past the batch (in memory even when the journal refuses: the next ack
 * moves it further, and at worst a restart sends the batch again) and empties the batch. */
static void batch_ack(struct gw_influx_out *o)
{
	int rc = cursor_save(o, o->b.last, o->closing);

	if (rc && gw_limiter_fail(&o->jlim))
		gw_log(GW_ERR, "influx", "seq=%lld cursor not saved: %s (a restart sends it again)",
		       (long long)o->b.last, strerror(-rc));
	else if (!rc && gw_limiter_ok(&o->jlim))
		gw_log(GW_NOTICE, "influx", "journal works again");
	o->cursor = o->b.last;
	atomic_store(&o->stats->cursor, o->cursor);
	batch_reset(o);
	update_gauges(o);
}

static void charge_budget(struct gw_influx_out *o, uint64_t bytes)
{
	if (o->env->budget && bytes)
		gw_budget_add(o->env->budget, bytes, gw_clock_wall_ms());
}

static void link_failed(struct gw_influx_out *o, int64_t now)
{
	const struct gw_influx_result *res = gw_influx_last_failure(o->w);

	atomic_fetch_add(&o->stats->failed, 1);
	atomic_store(&o->stats->connected, 0);
	if (o->link != LINK_DOWN) {
		gw_log(GW_WARN, "influx", "url=%s down: %s (status=%ld); retrying, rows kept",
		       gw_influx_url(o->w), res->message, res->status);
		o->link = LINK_DOWN;
		o->down_since = now;
	}
	o->retry_at = now + gw_influx_backoff_ms(o->attempt, res->retry_after_ms);
	if (o->attempt < 30)
		o->attempt++;
}

static void link_works(struct gw_influx_out *o, int64_t now)
{
	if (o->link == LINK_DOWN)
		gw_log(GW_NOTICE, "influx", "url=%s up again after %lld s, %lld readings waiting",
		       gw_influx_url(o->w), (long long)((now - o->down_since) / 1000),
		       (long long)atomic_load(&o->stats->depth));
	else if (o->link == LINK_UNKNOWN)
		gw_log(GW_INFO, "influx", "url=%s writing", gw_influx_url(o->w));
	o->link = LINK_UP;
	o->attempt = 0;
	o->retry_at = 0;
	atomic_store(&o->stats->connected, 1);
}

/* POSTs the batch; on success (every point written or refused for good) acknowledges it,
 * otherwise schedules the retry of the same rows. */
static void batch_send(struct gw_influx_out *o)
{
	uint64_t dropped_before = o->st.dropped_points, dropped;
	bool posted = o->b.pos > 0;
	int rc = gw_influx_write_all(o->w, o->buf, o->b.pos, &o->st);

	charge_budget(o, o->st.sent_bytes - o->charged);
	o->charged = o->st.sent_bytes;
	if (rc) {
		link_failed(o, gw_clock_mono_ms());
		return;
	}
	dropped = o->st.dropped_points - dropped_before;
	atomic_fetch_add(&o->stats->sent, o->b.points - dropped);
	atomic_fetch_add(&o->stats->dropped, dropped + o->b.refused);
	batch_ack(o);
	if (posted) /* it answered, even if only to refuse points */
		link_works(o, gw_clock_mono_ms());
}

/* True (and the deferral noted once) while the daily budget holds sending back. */
static bool budget_holds(struct gw_influx_out *o)
{
	bool hold = o->env->budget && !gw_budget_allow(o->env->budget, gw_clock_wall_ms());

	if (hold && !o->deferred)
		gw_log(GW_WARN, "influx",
		       "daily upload budget used up: sending deferred, rows kept");
	else if (!hold && o->deferred)
		gw_log(GW_NOTICE, "influx", "upload budget allows sending again");
	o->deferred = hold;
	atomic_store(&o->stats->deferred, hold ? 1 : 0);
	return hold;
}

/* The self-metrics in their own POST, at the configured interval; not journaled, so a
 * failure only counts. Skipped while the server is known to be down. */
static void metrics_send(struct gw_influx_out *o, int64_t now)
{
	struct gw_influx_stats ms = {0};
	size_t pos = 0;
	int rc;

	if (!o->next_metrics || now < o->next_metrics)
		return;
	o->next_metrics = now + (int64_t)o->env->cfg->metrics_interval_s * 1000;
	rc = o->link == LINK_DOWN ? -EAGAIN : 0;
	if (!rc)
		rc = gw_metrics_lines(o->env->metrics, gw_clock_wall_ms(), o->mbuf, o->mbuf_len,
		                      &pos);
	if (!rc)
		rc = gw_influx_write_all(o->w, o->mbuf, pos, &ms);
	charge_budget(o, ms.sent_bytes);
	if (rc || ms.dropped_points) {
		o->metrics_failed++;
		gw_log(GW_DEBUG, "influx", "self-metrics not sent: %s (%llu times so far)",
		       rc ? strerror(-rc) : "refused", (unsigned long long)o->metrics_failed);
	}
}

static void note_closing(struct gw_influx_out *o, int64_t now)
{
	if (!o->closing && gw_bell_closing(o->env->bell)) {
		o->closing = true;
		o->drain_end = now + (o->env->drain_ms > 0 ? o->env->drain_ms : 0);
	}
}

/* Waits ms, or less once the bell has closed and the drain time is over. */
static void pause_ms(struct gw_influx_out *o, int64_t ms)
{
	int64_t end = gw_clock_mono_ms() + ms;

	for (int turns = 0; turns < 1000; turns++) {
		int64_t now = gw_clock_mono_ms(), until = end;

		note_closing(o, now);
		if (o->closing && o->drain_end < until)
			until = o->drain_end;
		if (now >= until)
			return;
		if (o->closing)
			gw_clock_sleep_ms(until - now);
		else /* wakes only when the bell closes: no seq is above INT64_MAX */
			gw_bell_wait(o->env->bell, INT64_MAX,
			             (int)(until - now < IDLE_MS ? until - now : IDLE_MS));
	}
}

/* ms, but no later than the next self-metrics. */
static int wait_cap(const struct gw_influx_out *o, int64_t now, int64_t ms)
{
	if (o->next_metrics && o->next_metrics - now < ms)
		ms = o->next_metrics - now;
	return ms < 1 ? 1 : (int)ms;
}

/* One turn: fill the batch, then wait for more rows, wait out the budget, or send. Waits
 * for the bell above what it had announced before the read (all of that was read), so a
 * bell ahead of the journal cannot make the loop spin. */
static void step(struct gw_influx_out *o, int64_t now)
{
	struct batch *b = &o->b;
	int64_t flush_at, rung = gw_bell_last(o->env->bell);
	int rc = batch_fill(o, now);

	if (rc) {
		if (gw_limiter_fail(&o->jlim))
			gw_log(GW_ERR, "influx", "seq=%lld journal read failed: %s (retrying)",
			       (long long)b->last, strerror(-rc));
		pause_ms(o, JOURNAL_RETRY_MS);
		return;
	}
	update_gauges(o);
	if (b->last ==
	    o->cursor) { /* nothing waiting: the cursor is saved within GW_SINK_SAVE_MS */
		if (cursor_save(o, o->cursor, false) && gw_limiter_fail(&o->jlim))
			gw_log(GW_ERR, "influx", "seq=%lld cursor not saved (retrying)",
			       (long long)o->cursor);
		o->done = o->closing;
		if (!o->done)
			gw_bell_wait(o->env->bell, o->cursor > rung ? o->cursor : rung,
			             wait_cap(o, now, IDLE_MS));
		return;
	}
	flush_at = b->first_ms + (int64_t)o->env->cfg->influx.flush_ms;
	if (!b->full && b->n < o->max && !o->closing && now < flush_at) {
		gw_bell_wait(o->env->bell, b->last > rung ? b->last : rung,
		             wait_cap(o, now, flush_at - now));
		return;
	}
	if (b->pos && budget_holds(o)) {
		pause_ms(o, DEFER_POLL_MS);
		return;
	}
	batch_send(o);
}

static void *run(void *arg)
{
	struct gw_influx_out *o = arg;
	int64_t now;

	while (!o->done) {
		now = gw_clock_mono_ms();
		note_closing(o, now);
		if (o->closing && now >= o->drain_end)
			break;
		metrics_send(o, now);
		if (o->retry_at > now)
			pause_ms(o, o->retry_at - now);
		else
			step(o, now);
	}
	if (cursor_save(o, o->cursor, true))
		gw_log(GW_ERR, "influx",
		       "seq=%lld cursor not saved at stop (a restart sends again)",
		       (long long)o->cursor);
	update_gauges(o);
	if (atomic_load(&o->stats->depth) > 0)
		gw_log(GW_NOTICE, "influx", "stopping: %lld readings not delivered, kept",
		       (long long)atomic_load(&o->stats->depth));
	return NULL;
}

static void out_destroy(struct gw_influx_out *o)
{
	gw_feed_close(o->feed);
	gw_influx_free(o->w);
	free(o->items);
	free(o->buf);
	free(o->mbuf);
	free(o);
}

/* Buffers, the writer, the feed and the cursor: everything the thread needs. */
static int out_open(struct gw_influx_out *o)
{
	const struct gw_config *cfg = o->env->cfg;
	int rc = 0;

	o->max = cfg->influx.batch_size ? cfg->influx.batch_size : 5000;
	o->cap = o->max * BYTES_PER_POINT < MIN_BUF ? MIN_BUF : o->max * BYTES_PER_POINT;
	o->items = calloc(CHUNK, sizeof(*o->items));
	o->buf = malloc(o->cap);
	o->mbuf_len = gw_metrics_size(cfg);
	o->mbuf = malloc(o->mbuf_len);
	if (!o->items || !o->buf || !o->mbuf)
		return -ENOMEM;
	o->w = gw_influx_new(&cfg->influx, &rc);
	if (!o->w)
		return rc;
	o->feed = gw_feed_open(cfg->data_dir, SINK_NAME, &rc);
	if (!o->feed)
		return rc;
	return gw_feed_cursor(o->feed, &o->cursor);
}

int gw_influx_out_start(const struct gw_sink_env *env, struct gw_influx_out **out)
{
	struct gw_influx_out *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	o->env = env;
	o->stats = env->stats;
	rc = out_open(o);
	if (rc)
		goto out_free;
	o->saved = o->cursor;
	batch_reset(o);
	atomic_store(&o->stats->cursor, o->cursor);
	update_gauges(o);
	if (env->metrics && env->cfg->metrics_interval_s)
		o->next_metrics = gw_clock_mono_ms() + (int64_t)env->cfg->metrics_interval_s * 1000;
	rc = -pthread_create(&o->thread, NULL, run, o);
	if (rc)
		goto out_free;
	*out = o;
	return 0;
out_free:
	gw_log(GW_ERR, "influx", "data_dir=%s sink not started: %s", env->cfg->data_dir,
	       strerror(-rc));
	out_destroy(o);
	return rc;
}

void gw_influx_out_join(struct gw_influx_out *o)
{
	if (!o)
		return;
	pthread_join(o->thread, NULL);
	out_destroy(o);
}
