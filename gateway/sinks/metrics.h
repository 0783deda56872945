/* The gateway's self-metrics: polls, timeouts, CRC errors and poll latency (from the
 * poller), journal depth and per-sink sent/failed/dropped/lag (from the sinks' stats),
 * the upload budget, memory. Formatted for MQTT (one JSON object) and InfluxDB (lines of
 * measurements "gateway", "sink", "sensor" and "bus") and Prometheus (served by metrics_http.c);
 * the sinks send them at gateway.metrics_interval_s. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "config.h"
#include "poller.h"
#include "sink.h"

#define GW_METRICS_SINKS GW_SINKS_MAX /* sinks.c checks its table against it */

struct gw_records;

struct gw_metrics {
	const struct gw_config *cfg;
	struct gw_poller *poller;      /* may be NULL */
	const struct gw_records *recs; /* village and township of each sensor; may be NULL */
	struct gw_budget *budget;      /* may be NULL */
	struct gw_sink_stats *sinks[GW_METRICS_SINKS];
	size_t nsinks;
	atomic_uint_fast64_t retention_dropped; /* undelivered readings retention removed */
	atomic_uint_fast64_t journal_lost;      /* times the journal file was found deleted,
	                                         * replaced or unwritable (journal.h) */
	atomic_uint_fast64_t journal_reopened;  /* fresh journals started after such a loss */
	/* The evidence chain, as the journal writer last looked (every minute): */
	atomic_int_fast64_t chain_head_day;    /* the newest sealed day, YYYYMMDD; 0: none */
	atomic_int_fast64_t chain_sealed_ms;   /* when it was sealed (wall ms); 0: none */
	atomic_int_fast64_t chain_unsealed_ms; /* poll time of the oldest reading no seal covers
	                                          yet; 0: every reading is sealed */
};

/* The metrics as one JSON object (no newline) at wall time now_ms. Returns the length or
 * -ENOSPC. */
int gw_metrics_json(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len);
/* A sensor is stale when it has had no fully good read for 3 of its intervals (or, never
 * good, 3 reads failed): the "stale" field of its InfluxDB line. */
#define GW_METRICS_STALE_INTERVALS 3

/* The metrics as InfluxDB lines appended at buf[*pos] (each ending in a newline), with
 * timestamp now_ms. Returns 0 or -ENOSPC (*pos unchanged). */
int gw_metrics_lines(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len,
                     size_t *pos);

/* The metrics in the Prometheus text exposition format (version 0.0.4): gateway
 * counters, per-sink and per-sensor series. Returns the length or -ENOSPC. */
int gw_metrics_prom(const struct gw_metrics *m, char *buf, size_t len);
/* One line for systemd's STATUS=: sensors (good, stale, backing off), each sink up or down
 * with its waiting readings and lag, and the evidence chain's last sealed day, at wall time
 * now_ms: "polling 14 sensors, 1 stale, 0 backing off; mqtt up, 0 waiting, lag 0s; influxdb
 * down, 120 waiting, lag 95s; sealed through 2023-06-20". Returns the length or -ENOSPC. */
int gw_metrics_status(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len);
/* Bytes that always hold gw_metrics_prom and gw_metrics_lines for cfg. */
size_t gw_metrics_size(const struct gw_config *cfg);

#endif
