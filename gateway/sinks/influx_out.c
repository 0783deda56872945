/* The InfluxDB sink's turn; see influx_out.h (the loop around it is sink.c). One batch at a
 * time: rows after the cursor are decoded CHUNK at a time and formatted straight into the
 * batch buffer; the batch goes when it is full, when flush_ms have passed since its first row
 * was read, or at once while stopping. Allocates at open only. */
#include "influx_out.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "influx_http.h"
#include "lineproto.h"
#include "log.h"
#include "metrics.h"

#define MOD              "influx"
#define CHUNK            256 /* rows decoded per journal read */
#define BYTES_PER_POINT  512 /* batch buffer per configured point */
#define MIN_BUF          (64 * 1024)
#define IDLE_MS          1000 /* longest bell wait: the journal is read again after it */
#define DEFER_POLL_MS    2000 /* how often a held-back sink asks the budget again */
#define JOURNAL_RETRY_MS 1000

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
	struct gw_sink *sk; /* the loop running it */
	struct gw_influx *w;
	struct gw_feed_item *items; /* CHUNK of them */
	char *buf;                  /* the batch's line protocol */
	size_t cap;
	size_t max; /* readings a batch */
	char *mbuf; /* the self-metrics' lines */
	size_t mbuf_len;
	struct batch b;
	struct gw_influx_stats st; /* the writer's counters for batches */
	uint64_t charged;          /* st.sent_bytes already added to the budget */
	unsigned attempt;          /* failed sends in a row */
	int64_t retry_at;          /* monotonic; in the past: no back-off */
	struct gw_limiter jlim;
	uint64_t metrics_failed;
	char peer[GW_PATH_LEN + 8]; /* "url=..." for the log */
};

static void batch_reset(struct gw_influx_out *o)
{
	memset(&o->b, 0, sizeof(o->b));
	o->b.last = o->sk->cursor;
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
		gw_log(GW_WARN, MOD, "seq=%lld sensor=%s dropped: no line protocol for it: %s",
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
		int got = gw_feed_read(o->sk->feed, b->last, o->items, want, &last);

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
	int64_t last = 0;

	if (gw_feed_last_seq(o->sk->feed, &last) == 0)
		gw_sink_backlog(o->sk, last, o->b.n ? o->b.oldest_ts : 0);
}

/* Moves the cursor past the batch (the loop saves it) and empties the batch. */
static void batch_ack(struct gw_influx_out *o)
{
	gw_sink_advance(o->sk, o->b.last);
	batch_reset(o);
	update_gauges(o);
}

static void link_failed(struct gw_influx_out *o)
{
	const struct gw_influx_result *res = gw_influx_last_failure(o->w);
	char why[sizeof(res->message) + 32];

	atomic_fetch_add(&o->sk->env.stats->failed, 1);
	snprintf(why, sizeof(why), "%s (status=%ld)", res->message, res->status);
	gw_sink_link_down(o->sk, why);
	o->retry_at = gw_sink_now(o->sk) + gw_influx_backoff_ms(o->attempt, res->retry_after_ms);
	if (o->attempt < 30)
		o->attempt++;
}

/* POSTs the batch; on success (every point written or refused for good) acknowledges it,
 * otherwise schedules the retry of the same rows. */
static void batch_send(struct gw_influx_out *o)
{
	struct gw_sink_stats *stats = o->sk->env.stats;
	uint64_t dropped_before = o->st.dropped_points, dropped;
	bool posted = o->b.pos > 0;
	int rc = gw_influx_write_all(o->w, o->buf, o->b.pos, &o->st);

	gw_sink_charge(o->sk, o->st.sent_bytes - o->charged);
	o->charged = o->st.sent_bytes;
	if (rc) {
		link_failed(o);
		return;
	}
	dropped = o->st.dropped_points - dropped_before;
	atomic_fetch_add(&stats->sent, o->b.points - dropped);
	atomic_fetch_add(&stats->dropped, dropped + o->b.refused);
	batch_ack(o);
	if (!posted) /* nothing went out: the server has not answered */
		return;
	gw_sink_link_up(o->sk); /* it answered, even if only to refuse points */
	o->attempt = 0;
	o->retry_at = 0;
}

/* The self-metrics in their own POST; not journaled, so a failure only counts. Not while
 * the server is known to be down: asked again once it is back. */
static int send_metrics(void *impl, struct gw_sink *sk)
{
	struct gw_influx_out *o = impl;
	struct gw_influx_stats ms = {0};
	size_t pos = 0;
	int rc;

	if (sk->link == GW_LINK_DOWN)
		return -EAGAIN;
	rc = gw_metrics_lines(sk->env.metrics, gw_clock_wall_ms(), o->mbuf, o->mbuf_len, &pos);
	if (!rc)
		rc = gw_influx_write_all(o->w, o->mbuf, pos, &ms);
	gw_sink_charge(sk, ms.sent_bytes);
	if (rc || ms.dropped_points) {
		o->metrics_failed++;
		gw_log(GW_DEBUG, MOD, "self-metrics not sent: %s (%llu times so far)",
		       rc ? strerror(-rc) : "refused", (unsigned long long)o->metrics_failed);
	}
	return 0;
}

/* One turn: wait out a back-off, fill the batch, then wait for more rows, wait out the
 * budget, or send. Waits for the bell above what it had announced before the read (all of
 * that was read), so a bell ahead of the journal cannot make the loop spin. */
static void turn(void *impl, struct gw_sink *sk, int64_t now, struct gw_sink_wait *w)
{
	struct gw_influx_out *o = impl;
	struct batch *b = &o->b;
	int64_t flush_at, rung = gw_bell_last(sk->env.bell);
	int rc;

	if (o->retry_at > now) {
		*w = (struct gw_sink_wait){o->retry_at - now, GW_SINK_PAUSE};
		return;
	}
	rc = batch_fill(o, now);
	if (rc) {
		if (gw_limiter_fail(&o->jlim))
			gw_log(GW_ERR, MOD, "seq=%lld journal read failed: %s (retrying)",
			       (long long)b->last, strerror(-rc));
		*w = (struct gw_sink_wait){JOURNAL_RETRY_MS, GW_SINK_PAUSE};
		return;
	}
	if (gw_limiter_ok(&o->jlim))
		gw_log(GW_NOTICE, MOD, "journal works again");
	update_gauges(o);
	if (b->last == sk->cursor) { /* nothing waiting */
		*w = (struct gw_sink_wait){IDLE_MS, sk->cursor > rung ? sk->cursor : rung};
		return;
	}
	flush_at = b->first_ms + (int64_t)sk->env.cfg->influx.flush_ms;
	if (!b->full && b->n < o->max && !sk->closing && now < flush_at) {
		*w = (struct gw_sink_wait){flush_at - now, b->last > rung ? b->last : rung};
		return;
	}
	if (b->pos && !gw_sink_budget_allows(sk)) {
		*w = (struct gw_sink_wait){DEFER_POLL_MS, GW_SINK_PAUSE};
		return;
	}
	batch_send(o);
}

/* Everything committed is delivered: the batch is empty and the journal has no more. */
static bool idle(void *impl, struct gw_sink *sk)
{
	struct gw_influx_out *o = impl;

	return batch_fill(o, gw_sink_now(sk)) == 0 && o->b.last == sk->cursor;
}

static void out_close(void *impl)
{
	struct gw_influx_out *o = impl;

	if (!o)
		return;
	gw_influx_free(o->w);
	free(o->items);
	free(o->buf);
	free(o->mbuf);
	free(o);
}

/* Buffers and the writer: everything the turn needs besides the feed. */
static int out_open(struct gw_sink *sk, void **impl)
{
	const struct gw_config *cfg = sk->env.cfg;
	struct gw_influx_out *o = calloc(1, sizeof(*o));
	int rc = -ENOMEM;

	if (!o)
		return rc;
	o->sk = sk;
	o->max = cfg->influx.batch_size ? cfg->influx.batch_size : 5000;
	o->cap = o->max * BYTES_PER_POINT < MIN_BUF ? MIN_BUF : o->max * BYTES_PER_POINT;
	o->items = calloc(CHUNK, sizeof(*o->items));
	o->buf = malloc(o->cap);
	o->mbuf_len = gw_metrics_size(cfg);
	o->mbuf = malloc(o->mbuf_len);
	if (!o->items || !o->buf || !o->mbuf)
		goto out_free;
	o->w = gw_influx_new(&cfg->influx, &rc);
	if (!o->w)
		goto out_free;
	snprintf(o->peer, sizeof(o->peer), "url=%s", gw_influx_url(o->w));
	sk->peer = o->peer;
	batch_reset(o);
	update_gauges(o);
	*impl = o;
	return 0;
out_free:
	out_close(o);
	return rc;
}

static bool wanted(const struct gw_config *cfg)
{
	return cfg->influx.enabled;
}

const struct gw_sink_ops gw_influx_sink = {
        .name = "influxdb",
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

int gw_influx_out_start(const struct gw_sink_env *env, struct gw_influx_out **out)
{
	struct gw_sink *sk = NULL;
	int rc = gw_sink_start(&gw_influx_sink, env, &sk);

	if (rc == 0)
		*out = gw_sink_impl(sk);
	return rc;
}

void gw_influx_out_join(struct gw_influx_out *o)
{
	if (o)
		gw_sink_join(o->sk);
}
