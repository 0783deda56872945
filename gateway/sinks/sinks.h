/* The daemon's outbound side: the bell the delivery rings, the sinks cfg enables (sinks.c
 * names them in one table; each runs in sink.c's loop on a thread of its own), their counters, the
 * self-metrics (and their Prometheus endpoint) and the daily upload budget. Started after the
 * journal is open and before polling; stopped after the last commit. */
#ifndef GW_SINKS_H
#define GW_SINKS_H

#include "budget.h"
#include "config.h"
#include "bell.h"
#include "feed.h"
#include "metrics.h"
#include "poller.h"
#include "records.h"
#include "sink.h"

struct gw_sinks {
	struct gw_bell bell;
	struct gw_budget budget;
	struct gw_metrics metrics;
	struct gw_sink_stats stats[GW_SINKS_MAX]; /* one per row of the table */
	struct gw_sink *run[GW_SINKS_MAX];        /* the started ones; NULL: not enabled */
	struct gw_metrics_http *http;             /* the Prometheus endpoint, when configured */
};

/* Starts the sinks cfg enables (none: only the bell and metrics are set up). recs (may be
 * NULL) and hh_key (GW_HHREF_KEY_LEN bytes) tag the daily film states. drain_ms: how long
 * the sinks keep sending after gw_sinks_stop. Borrows all. Returns 0 or -errno (nothing
 * left running). */
int gw_sinks_start(struct gw_sinks *s, const struct gw_config *cfg, struct gw_poller *p,
                   const struct gw_records *recs, const uint8_t *hh_key, int drain_ms);
/* Closes the bell and waits for the sinks to finish (at most about drain_ms). */
void gw_sinks_stop(struct gw_sinks *s);

#endif
