/* What metrics.c and metrics_prom.c share: one snapshot of the gateway's totals. */
#ifndef GW_METRICS_INT_H
#define GW_METRICS_INT_H

#include "metrics.h"

#define U(x) ((unsigned long long)(x))

struct gw_metrics_snap {
	struct gw_poll_stats poll; /* summed over sensors */
	uint64_t backing_off;      /* sensors in back-off */
	uint64_t discarded;        /* bytes the buses discarded, summed */
	uint64_t rss_kb, cpu_ms, budget_used;
	bool budget_exhausted;
};

/* Fills s from m (borrowed). */
void gw_metrics_take(const struct gw_metrics *m, struct gw_metrics_snap *s);

#endif
