/* The one loop every sink runs in; see sink.h. It owns the thread, the cursor's saving,
 * the drain on stop, the budget's bookkeeping, the link's log lines and the self-metrics'
 * cadence. It never reads rows or sends anything itself: the sink's turn does. */
#include "sink.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "clock.h"

int64_t gw_sink_now(const struct gw_sink *sk)
{
	return sk->env.clock_ms ? sk->env.clock_ms() : gw_clock_mono_ms();
}

void *gw_sink_impl(struct gw_sink *sk)
{
	return sk->impl;
}

/* Writes the cursor when GW_SINK_SAVE_MS have passed since the last save, or when forced
 * (stopping). A failure is logged once a run and tried again at the next save time. */
static void save_cursor(struct gw_sink *sk, bool force)
{
	int64_t now = gw_sink_now(sk);
	unsigned failures;
	int rc;

	if (!sk->feed || sk->cursor <= sk->saved || (!force && now < sk->next_save_ms))
		return;
	rc = gw_feed_ack(sk->feed, sk->cursor);
	sk->next_save_ms = now + GW_SINK_SAVE_MS;
	if (rc && gw_limiter_fail(&sk->save_lim))
		gw_log(GW_ERR, sk->ops->log_module,
		       "seq=%lld cursor not saved: %s (a restart sends it again)",
		       (long long)sk->cursor, strerror(-rc));
	if (rc)
		return;
	sk->saved = sk->cursor;
	failures = gw_limiter_ok(&sk->save_lim);
	if (failures)
		gw_log(GW_NOTICE, sk->ops->log_module, "cursor saved again after %u failures",
		       failures);
}

void gw_sink_advance(struct gw_sink *sk, int64_t seq)
{
	if (seq > sk->cursor)
		sk->cursor = seq;
	atomic_store(&sk->env.stats->cursor, sk->cursor);
}

void gw_sink_backlog(struct gw_sink *sk, int64_t last_seq, int64_t oldest_ts_ms)
{
	int64_t lag = oldest_ts_ms ? gw_clock_wall_ms() - oldest_ts_ms : 0;

	atomic_store(&sk->env.stats->depth, last_seq > sk->cursor ? last_seq - sk->cursor : 0);
	atomic_store(&sk->env.stats->lag_ms, lag > 0 ? lag : 0);
}

bool gw_sink_budget_allows(struct gw_sink *sk)
{
	bool ok = !sk->env.budget || gw_budget_allow(sk->env.budget, gw_clock_wall_ms());

	if (!ok && !sk->deferred)
		gw_log(GW_WARN, sk->ops->log_module,
		       "daily upload budget used up: sending deferred, rows kept");
	else if (ok && sk->deferred)
		gw_log(GW_NOTICE, sk->ops->log_module, "upload budget allows sending again");
	sk->deferred = !ok;
	atomic_store(&sk->env.stats->deferred, !ok);
	return ok;
}

void gw_sink_charge(struct gw_sink *sk, uint64_t bytes)
{
	if (sk->env.stats)
		atomic_fetch_add(&sk->env.stats->upload_bytes, bytes);
	if (sk->env.budget && bytes)
		gw_budget_add(sk->env.budget, bytes, gw_clock_wall_ms());
}

static const char *peer_of(const struct gw_sink *sk)
{
	return sk->peer ? sk->peer : sk->ops->name;
}

void gw_sink_link_up(struct gw_sink *sk)
{
	if (sk->link == GW_LINK_DOWN)
		gw_log(GW_NOTICE, sk->ops->log_module,
		       "%s up again after %lld s, %lld readings waiting", peer_of(sk),
		       (long long)((gw_sink_now(sk) - sk->down_since_ms) / 1000),
		       (long long)atomic_load(&sk->env.stats->depth));
	else if (sk->link == GW_LINK_UNKNOWN)
		gw_log(GW_INFO, sk->ops->log_module, "%s connected", peer_of(sk));
	sk->link = GW_LINK_UP;
	atomic_store(&sk->env.stats->connected, 1);
}

void gw_sink_link_down(struct gw_sink *sk, const char *why)
{
	if (sk->link != GW_LINK_DOWN) {
		gw_log(GW_WARN, sk->ops->log_module, "%s down: %s; retrying, rows kept",
		       peer_of(sk), why);
		sk->link = GW_LINK_DOWN;
		sk->down_since_ms = gw_sink_now(sk);
	}
	atomic_store(&sk->env.stats->connected, 0);
}

static bool metrics_wanted(const struct gw_sink *sk)
{
	return sk->ops->send_metrics && sk->env.metrics && sk->env.cfg->metrics_interval_s;
}

/* The self-metrics when due: at the first turn, then every metrics_interval_s; a sink that
 * cannot send now (-EAGAIN) is asked again at the next turn. */
static void metrics_turn(struct gw_sink *sk, int64_t now)
{
	if (!metrics_wanted(sk) || now < sk->next_metrics_ms)
		return;
	if (sk->ops->send_metrics(sk->impl, sk) == -EAGAIN)
		return;
	sk->next_metrics_ms = now + (int64_t)sk->env.cfg->metrics_interval_s * 1000;
}

/* Waits as the turn asked: for rows above w->after_seq (or only for closing), no longer
 * than w->ms nor past the next self-metrics. Once closing no rows can come: a wait for rows
 * ends at once, a pause (a back-off) still holds, but not past the drain's end. */
static void rest(struct gw_sink *sk, const struct gw_sink_wait *w)
{
	int64_t now = gw_sink_now(sk), ms = w->ms;

	if (ms <= 0)
		return;
	if (sk->closing) {
		if (sk->drain_end_ms - now < ms)
			ms = sk->drain_end_ms - now;
		if (w->after_seq == GW_SINK_PAUSE && ms > 0)
			gw_clock_sleep_ms(ms);
		return;
	}
	if (metrics_wanted(sk) && sk->next_metrics_ms > now && sk->next_metrics_ms - now < ms)
		ms = sk->next_metrics_ms - now;
	gw_bell_wait(sk->env.bell, w->after_seq, ms > INT_MAX ? INT_MAX : (int)ms);
}

/* True once the bell has closed and the sink is idle or drain_ms have passed. */
static bool drained(struct gw_sink *sk, int64_t now)
{
	if (!sk->closing) {
		if (!gw_bell_closing(sk->env.bell))
			return false;
		sk->closing = true;
		sk->drain_end_ms = now + (sk->env.drain_ms > 0 ? sk->env.drain_ms : 0);
	}
	return now >= sk->drain_end_ms || sk->ops->idle(sk->impl, sk);
}

/* The cursor saved at stop, and what stays in the journal said once. */
static void finish(struct gw_sink *sk)
{
	int64_t last = 0;

	save_cursor(sk, true);
	if (!sk->feed || gw_feed_last_seq(sk->feed, &last) || last <= sk->cursor)
		return;
	atomic_store(&sk->env.stats->depth, last - sk->cursor);
	gw_log(GW_NOTICE, sk->ops->log_module,
	       "stopping: %lld readings not delivered, kept in the journal",
	       (long long)(last - sk->cursor));
}

static void *run(void *arg)
{
	struct gw_sink *sk = arg;

	for (;;) {
		int64_t now = gw_sink_now(sk);
		struct gw_sink_wait w = {0, 0};

		if (drained(sk, now))
			break;
		metrics_turn(sk, now);
		sk->ops->turn(sk->impl, sk, now, &w);
		save_cursor(sk, false);
		rest(sk, &w);
	}
	finish(sk);
	return NULL;
}

/* The feed and the cursor of a sink that reads rows. */
static int open_feed(struct gw_sink *sk)
{
	int rc = 0;

	if (!sk->ops->reads_rows)
		return 0;
	sk->feed = gw_feed_open(sk->env.cfg->data_dir, sk->ops->name, &rc);
	if (!sk->feed)
		return rc;
	rc = gw_feed_cursor(sk->feed, &sk->cursor);
	sk->saved = sk->cursor;
	atomic_store(&sk->env.stats->cursor, sk->cursor);
	return rc;
}

int gw_sink_start(const struct gw_sink_ops *ops, const struct gw_sink_env *env,
                  struct gw_sink **out)
{
	struct gw_sink *sk = calloc(1, sizeof(*sk));
	int rc = -ENOMEM;

	if (!sk)
		goto out_log;
	sk->ops = ops;
	sk->env = *env;
	if (!sk->env.stats) {
		sk->own_stats.name = ops->name;
		sk->env.stats = &sk->own_stats;
	}
	rc = open_feed(sk);
	if (rc)
		goto out_feed;
	rc = ops->open(sk, &sk->impl);
	if (rc)
		goto out_feed;
	rc = -pthread_create(&sk->thread, NULL, run, sk);
	if (rc)
		goto out_close;
	*out = sk;
	return 0;
out_close:
	ops->close(sk->impl);
out_feed:
	gw_feed_close(sk->feed);
	free(sk);
out_log:
	gw_log(GW_ERR, ops->log_module, "data_dir=%s sink not started: %s", env->cfg->data_dir,
	       strerror(-rc));
	return rc;
}

void gw_sink_join(struct gw_sink *sk)
{
	if (!sk)
		return;
	pthread_join(sk->thread, NULL);
	sk->ops->close(sk->impl);
	gw_feed_close(sk->feed);
	free(sk);
}
