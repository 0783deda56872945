/* The daily upload budget; see budget.h. */
#include "budget.h"

#include <string.h>

#include "tz.h"

/* The day in the gateway's zone (gateway.timezone), not the process's TZ. */
static int64_t local_day(int64_t now_ms)
{
	return gw_tz_yyyymmdd(gw_tz_local(), now_ms);
}

/* Starts a new day's count when the day has changed. Holds b->mu. */
static void roll(struct gw_budget *b, int64_t now_ms)
{
	int64_t day = local_day(now_ms);

	if (day != b->day) {
		b->day = day;
		b->used = 0;
		b->exhausted = false;
	}
}

void gw_budget_init(struct gw_budget *b, uint64_t cap_bytes)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	b->cap = cap_bytes;
}

void gw_budget_destroy(struct gw_budget *b)
{
	pthread_mutex_destroy(&b->mu);
}

bool gw_budget_allow(struct gw_budget *b, int64_t now_ms)
{
	bool ok;

	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	ok = b->cap == 0 || b->used < b->cap;
	if (!ok)
		b->exhausted = true;
	pthread_mutex_unlock(&b->mu);
	return ok;
}

void gw_budget_add(struct gw_budget *b, uint64_t bytes, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	b->used += bytes;
	pthread_mutex_unlock(&b->mu);
}

void gw_budget_get(struct gw_budget *b, uint64_t *used, bool *exhausted)
{
	pthread_mutex_lock(&b->mu);
	*used = b->used;
	*exhausted = b->exhausted;
	pthread_mutex_unlock(&b->mu);
}
