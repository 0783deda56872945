/* A bounded multi-producer, single-consumer queue of readings between the bus
 * threads and the delivery side. Producers wait when it is full (back-pressure,
 * never loss). Allocates once, at creation. */
#ifndef GW_RQUEUE_H
#define GW_RQUEUE_H

#include <stdbool.h>

#include "reading.h"

struct gw_rqueue;

/* Returns owned queue of cap readings, or NULL. */
struct gw_rqueue *gw_rqueue_new(unsigned cap);
void gw_rqueue_free(struct gw_rqueue *q);

/* Copies r in, waiting while full. Returns 0, or -ECANCELED once closed. */
int gw_rqueue_push(struct gw_rqueue *q, const struct gw_reading *r);
/* Copies the oldest reading out, waiting up to timeout_ms. Returns 0, -EAGAIN
 * on timeout, or -ENODATA when closed and empty. After an -EAGAIN the consumer counts as
 * idle: the next push wakes it at once; otherwise pushes wake it only once a batch
 * (cap / 8) is queued, and it looks by itself every 50 ms. */
int gw_rqueue_pop(struct gw_rqueue *q, struct gw_reading *out, int timeout_ms);
/* No more pushes: wakes everyone. Readings already queued can still be popped. */
void gw_rqueue_close(struct gw_rqueue *q);

#endif
