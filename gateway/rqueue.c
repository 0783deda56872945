/* Ring buffer with one mutex and two condition variables on the monotonic clock. */
#include "rqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct gw_rqueue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	unsigned cap, head, count;
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
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int gw_rqueue_pop(struct gw_rqueue *q, struct gw_reading *out, int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&q->not_empty, &q->lock, &until);
	if (q->count == 0) {
		pthread_mutex_unlock(&q->lock);
		return q->closed ? -ENODATA : -EAGAIN;
	}
	*out = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
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
