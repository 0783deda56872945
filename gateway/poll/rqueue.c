/* Ring buffer with one mutex and two condition variables on the monotonic clock.
 * The consumer is woken in batches, not per reading: waking a thread on another
 * core costs more than the reading itself, and delivery can wait LINGER_MS. An idle
 * consumer (its last pop found nothing) sleeps until the first push or its timeout,
 * rather than looking every LINGER_MS. */
#include "rqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

#define LINGER_MS 50

struct gw_rqueue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	unsigned cap, head, count;
	unsigned wake_at; /* queue length that wakes the consumer before its linger ends */
	bool idle;        /* the consumer's last pop timed out: it holds nothing back */
	bool asleep;      /* an idle consumer waits: the next push wakes it */
	bool closed;
	struct gw_reading *ring;
};

struct gw_rqueue *gw_rqueue_new(unsigned cap)
{
	struct gw_rqueue *q = calloc(1, sizeof(*q));
	pthread_condattr_t attr;

	if (!q)
		return NULL;
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return NULL;
	}
	q->cap = cap;
	q->wake_at = cap / 8 ? cap / 8 : 1;
	q->idle = true;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &attr);
	pthread_cond_init(&q->not_full, &attr);
	pthread_condattr_destroy(&attr);
	return q;
}

void gw_rqueue_free(struct gw_rqueue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
}

int gw_rqueue_push(struct gw_rqueue *q, const struct gw_reading *r)
{
	pthread_mutex_lock(&q->lock);
	while (q->count == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -ECANCELED;
	}
	q->ring[(q->head + q->count) % q->cap] = *r;
	q->count++;
	if (q->count >= q->wake_at || q->asleep)
		pthread_cond_signal(&q->not_empty);
	q->asleep = false;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int gw_rqueue_pop(struct gw_rqueue *q, struct gw_reading *out, int timeout_ms)
{
	struct timespec deadline = gw_clock_mono_after(timeout_ms);

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed) {
		struct timespec now = gw_clock_mono_after(0), step = gw_clock_mono_after(LINGER_MS);

		if (!before(&now, &deadline))
			break;
		/* Producers only signal a full batch, or the first reading to an idle
		 * consumer: look again every LINGER_MS while gathering. */
		q->asleep = q->idle;
		pthread_cond_timedwait(&q->not_empty, &q->lock,
		                       q->idle || !before(&step, &deadline) ? &deadline : &step);
		q->asleep = false;
	}
	if (q->count == 0) {
		q->idle = true;
		pthread_mutex_unlock(&q->lock);
		return q->closed ? -ENODATA : -EAGAIN;
	}
	q->idle = false;
	*out = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	if (q->count == 0)
		q->head = 0; /* bursts reuse the ring's first slots: memory touched stays small */
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void gw_rqueue_close(struct gw_rqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
