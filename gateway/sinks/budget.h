/* The daily upload budget on a metered cellular link, shared by the sinks: bytes sent
 * today (local day) against a cap. When the cap is reached, sinks defer (never drop) what
 * they have not sent until the next day; the journal keeps it meanwhile. Thread-safe. */
#ifndef GW_BUDGET_H
#define GW_BUDGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct gw_budget {
	pthread_mutex_t mu;
	uint64_t cap;   /* bytes a day; 0: unlimited */
	uint64_t used;  /* bytes counted today */
	int64_t day;    /* YYYYMMDD of "today" */
	bool exhausted; /* a sink was held back today */
};

void gw_budget_init(struct gw_budget *b, uint64_t cap_bytes);
void gw_budget_destroy(struct gw_budget *b);
/* May bytes go out now (at wall time now_ms)? Yes while today's total is under the cap
 * (so one batch may overshoot it by its own size). Rolls over at local midnight. */
bool gw_budget_allow(struct gw_budget *b, int64_t now_ms);
/* Counts bytes that went out. */
void gw_budget_add(struct gw_budget *b, uint64_t bytes, int64_t now_ms);
/* Today's bytes and whether sending was held back today. */
void gw_budget_get(struct gw_budget *b, uint64_t *used, bool *exhausted);

#endif
