/* What every sink thread (MQTT, InfluxDB) shares: its counters, read by the self-metrics,
 * and the environment it runs in. A sink reads the journal through its own feed, sends,
 * and moves its cursor only on acknowledgement. */
#ifndef GW_SINK_H
#define GW_SINK_H

#include <stdatomic.h>
#include <stdint.h>

#include "bell.h"
#include "config.h"
#include "feed.h"

/* How often a sink writes its cursor to the journal (and when it stops). Each save is a
 * journal transaction, i.e. SD-card writes; a crash repeats at most this much, which both
 * servers absorb (MQTT at-least-once, InfluxDB overwrites the same point). */
#define GW_SINK_SAVE_MS 5000

struct gw_metrics;
struct gw_budget;

/* Written by the sink thread, read by anyone. */
struct gw_sink_stats {
	const char *name;             /* "mqtt", "influxdb" */
	atomic_uint_fast64_t sent;    /* readings acknowledged by the server */
	atomic_uint_fast64_t failed;  /* send attempts that failed and will be retried */
	atomic_uint_fast64_t dropped; /* readings the server refused for good (counted, logged) */
	atomic_uint_fast64_t skipped; /* readings not sent by design (MQTT deadband) */
	atomic_int_fast64_t cursor;   /* last acknowledged seq */
	atomic_int_fast64_t depth;    /* readings waiting (last committed seq - cursor) */
	atomic_int_fast64_t lag_ms;   /* age of the oldest waiting reading; 0 when caught up */
	atomic_int connected;         /* 1 when the server answers */
	atomic_int deferred;          /* 1 while the daily upload budget holds sending back */
};

struct gw_sink_env {
	const struct gw_config *cfg;
	struct gw_bell *bell;       /* new rows, and closing */
	struct gw_metrics *metrics; /* the self-metrics to send at cfg's interval; may be NULL */
	struct gw_budget *budget;   /* the daily upload budget; may be NULL (unlimited) */
	struct gw_sink_stats *stats;
	int drain_ms; /* once the bell closes: keep sending this long, then stop */
};

#endif
