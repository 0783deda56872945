/* The bell between the journal writer and the sinks; see bell.h. Waits use the monotonic
 * clock, so a wall-clock step never stalls or hurries a sink. */
#include "bell.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "clock.h"

void gw_bell_init(struct gw_bell *b)
{
	pthread_condattr_t a;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &a);
	pthread_condattr_destroy(&a);
}

void gw_bell_destroy(struct gw_bell *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

void gw_bell_ring(struct gw_bell *b, int64_t last_seq)
{
	pthread_mutex_lock(&b->mu);
	if (last_seq > b->last_seq)
		b->last_seq = last_seq;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void gw_bell_close(struct gw_bell *b)
{
	pthread_mutex_lock(&b->mu);
	b->closing = true;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

bool gw_bell_closing(struct gw_bell *b)
{
	bool c;

	pthread_mutex_lock(&b->mu);
	c = b->closing;
	pthread_mutex_unlock(&b->mu);
	return c;
}

int64_t gw_bell_last(struct gw_bell *b)
{
	int64_t seq;

	pthread_mutex_lock(&b->mu);
	seq = b->last_seq;
	pthread_mutex_unlock(&b->mu);
	return seq;
}

bool gw_bell_wait(struct gw_bell *b, int64_t after_seq, int timeout_ms)
{
	struct timespec until = gw_clock_mono_after(timeout_ms);
	bool more;

	pthread_mutex_lock(&b->mu);
	while (b->last_seq <= after_seq && !b->closing)
		if (pthread_cond_timedwait(&b->cv, &b->mu, &until) == ETIMEDOUT)
			break;
	more = b->last_seq > after_seq;
	pthread_mutex_unlock(&b->mu);
	return more;
}
