/* The one sink interface: a sink is a struct gw_sink_ops (its own sending: MQTT, InfluxDB,
 * the film-day writer) run by one shared loop (sink.c) that owns what every sink shares: the
 * thread, the journal feed and cursor (saved at most every GW_SINK_SAVE_MS and at stop), the
 * drain on stop, the daily upload budget, link up/down logging and the self-metrics cadence.
 * A sink moves its cursor only on acknowledgement; the loop never sends anything itself. */
#ifndef GW_SINK_H
#define GW_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bell.h"
#include "config.h"
#include "feed.h"
#include "log.h"

/* How often a sink writes its cursor to the journal (and when it stops). Each save is a
 * journal transaction, i.e. SD-card writes; a crash repeats at most this much, which both
 * servers absorb (MQTT at-least-once, InfluxDB overwrites the same point). */
#define GW_SINK_SAVE_MS 5000
/* The most sinks sinks.c's table may name (sizes the self-metrics' array). */
#define GW_SINKS_MAX 8
/* A turn's wait that only closing ends (a back-off or a budget pause, not new rows). */
#define GW_SINK_PAUSE INT64_MAX

struct gw_metrics;
struct gw_budget;
struct gw_records;
struct gw_sink;

/* Written by the sink thread, read by anyone. */
struct gw_sink_stats {
	const char *name;             /* "mqtt", "influxdb" */
	atomic_uint_fast64_t sent;    /* readings acknowledged by the server */
	atomic_uint_fast64_t failed;  /* send attempts that failed and will be retried */
	atomic_uint_fast64_t dropped; /* readings the server refused for good (counted, logged) */
	atomic_uint_fast64_t skipped; /* readings not sent by design (MQTT deadband) */
	atomic_uint_fast64_t upload_bytes; /* bytes sent, budget or not (gw_sink_charge) */
	atomic_int_fast64_t cursor;        /* last acknowledged seq */
	atomic_int_fast64_t depth;         /* readings waiting (last committed seq - cursor) */
	atomic_int_fast64_t lag_ms;        /* age of the oldest waiting reading; 0 when caught up */
	atomic_int connected;              /* 1 when the server answers */
	atomic_int deferred;               /* 1 while the daily upload budget holds sending back */
};

/* What a sink runs in; copied by gw_sink_start, the pointers borrowed. */
struct gw_sink_env {
	const struct gw_config *cfg;
	struct gw_bell *bell;          /* new rows, and closing */
	struct gw_metrics *metrics;    /* the self-metrics to send at cfg's interval; may be NULL */
	struct gw_budget *budget;      /* the daily upload budget; may be NULL (unlimited) */
	struct gw_sink_stats *stats;   /* may be NULL: the sink keeps its own */
	int drain_ms;                  /* once the bell closes: keep sending this long, then stop */
	const struct gw_records *recs; /* tags of the daily film states; may be NULL */
	const uint8_t *hh_key;         /* GW_HHREF_KEY_LEN bytes; the film-day writer's */
	int64_t (*clock_ms)(void);     /* the loop's monotonic clock; NULL: gw_clock_mono_ms
	                                  (unit tests pass a fake one) */
};

/* What a turn asks the loop to wait for before the next turn. */
struct gw_sink_wait {
	int64_t ms;        /* at most this long; 0: turn again at once */
	int64_t after_seq; /* new rows above it end the wait early; GW_SINK_PAUSE: only closing */
};

/* One sink. Every function runs on the sink's thread, except open and close (the starting
 * and the joining thread). impl is what open returned. */
struct gw_sink_ops {
	const char *name;       /* the cursor's name in the journal and in the self-metrics */
	const char *log_module; /* gw_log's module */
	bool (*wanted)(const struct gw_config *cfg); /* does cfg enable it */
	bool reads_rows;  /* the loop opens a feed for the cursor `name` before open */
	bool self_metric; /* its stats appear in the self-metrics */
	/* Allocates what the sink needs (sk->feed and sk->cursor are set when reads_rows).
	 * Returns 0 with *impl (owned, ended by close) or -errno. */
	int (*open)(struct gw_sink *sk, void **impl);
	void (*close)(void *impl); /* NULL is a no-op */
	/* Reads, sends, takes acknowledgements (gw_sink_advance) and sets *w. */
	void (*turn)(void *impl, struct gw_sink *sk, int64_t now_ms, struct gw_sink_wait *w);
	/* Once closing: true when nothing committed is left to deliver (the drain may end). */
	bool (*idle)(void *impl, struct gw_sink *sk);
	/* Optional: sends the self-metrics. Returns 0 (sent or skipped: next at the interval)
	 * or -EAGAIN (not now: asked again next turn). */
	int (*send_metrics)(void *impl, struct gw_sink *sk);
};

enum gw_sink_link { GW_LINK_UNKNOWN, GW_LINK_UP, GW_LINK_DOWN };

/* The loop's state, shared with the sink's functions (they read it; they change it only
 * through the gw_sink_* calls below). */
struct gw_sink {
	const struct gw_sink_ops *ops;
	struct gw_sink_env env;
	struct gw_sink_stats own_stats; /* env.stats when none was given */
	void *impl;
	pthread_t thread;
	struct gw_feed *feed; /* reads_rows: the journal after the cursor; else NULL */
	int64_t cursor;       /* last acknowledged seq (in memory) */
	int64_t saved;        /* the cursor as last written to the journal */
	int64_t next_save_ms;
	struct gw_limiter save_lim;
	const char *peer; /* "url=..." for the link messages, set by open; may be NULL */
	enum gw_sink_link link;
	int64_t down_since_ms;
	bool deferred;        /* the budget held the last send back */
	bool closing;         /* the bell has closed: draining */
	int64_t drain_end_ms; /* once closing */
	int64_t next_metrics_ms;
};

/* Opens env->cfg->data_dir's feed (when ops->reads_rows) and the sink, then starts its
 * thread. Copies env (its pointers borrowed: they must outlive the sink). env->stats->cursor
 * is set on return. Returns 0 with *out (owned: end it with gw_sink_join) or -errno (logged;
 * nothing left running). */
int gw_sink_start(const struct gw_sink_ops *ops, const struct gw_sink_env *env,
                  struct gw_sink **out);
/* Waits for the thread, which ends only after gw_bell_close: once ops->idle or drain_ms
 * have passed, the cursor saved; then closes the sink and frees sk. NULL is a no-op. */
void gw_sink_join(struct gw_sink *sk);
/* The sink's own state (what open returned). */
void *gw_sink_impl(struct gw_sink *sk);

/* The loop's clock (env.clock_ms or the monotonic clock), ms. */
int64_t gw_sink_now(const struct gw_sink *sk);
/* Moves the cursor to seq (never back) once the server acknowledged everything up to it.
 * The loop writes it to the journal at most every GW_SINK_SAVE_MS and when stopping. */
void gw_sink_advance(struct gw_sink *sk, int64_t seq);
/* Sets the depth (last_seq - cursor) and the lag (since the poll time oldest_ts_ms of the
 * oldest waiting reading; 0: none waits) in the stats. */
void gw_sink_backlog(struct gw_sink *sk, int64_t last_seq, int64_t oldest_ts_ms);
/* May bytes go out now (the daily upload budget)? Sets the deferred stat and logs the
 * change once each way. */
bool gw_sink_budget_allows(struct gw_sink *sk);
/* Counts bytes that went out: in the sink's upload_bytes, and against the budget if any. */
void gw_sink_charge(struct gw_sink *sk, uint64_t bytes);
/* The server answered: connected stat, and a log line on the change ("up again after N s, M
 * readings waiting"). */
void gw_sink_link_up(struct gw_sink *sk);
/* The server is away (why: the reason, borrowed): connected stat, one log line on the
 * change, not per retry. */
void gw_sink_link_down(struct gw_sink *sk, const char *why);

#endif
