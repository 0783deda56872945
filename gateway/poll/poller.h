/* The poller: one thread per bus, each polling its sensors on their own
 * intervals through a coalesced request plan, backing off failing sensors and
 * reconnecting lost links. Readings go into a bounded queue the caller drains.
 * Allocates at start only. */
#ifndef GW_POLLER_H
#define GW_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "poll_action.h"
#include "reading.h"

struct gw_poller; /* opaque */

/* Health counters of one sensor (or, summed, of the gateway). */
struct gw_poll_stats {
	uint64_t polls;    /* device reads attempted */
	uint64_t requests; /* Modbus requests sent, retries included */
	uint64_t good;     /* polls with every value good */
	uint64_t timeouts;
	uint64_t crc_errors;
	uint64_t exceptions;
	uint64_t out_of_range;
	uint64_t reconnects;  /* link re-opened after a loss */
	int64_t last_good_ms; /* wall clock of the last fully good poll, 0 if never */
	bool backing_off;
	/* the last poll, for the console: */
	unsigned fails;  /* consecutive failed polls */
	int unit;        /* the unit id polled (the config's, or a console set-address's) */
	int64_t last_ms; /* wall clock of the last poll, 0 if none yet */
	int64_t next_ms; /* wall clock of the next poll, 0 if none yet */
	int last_rc;     /* the last poll's link code (0 fine) */
	double values[GW_MAX_POINTS];
	uint8_t quality[GW_MAX_POINTS];
};

struct gw_poll_opts {
	bool once;          /* poll every sensor once, then the threads end */
	bool flat_out;      /* ignore intervals: poll as fast as the plan allows (benchmarks) */
	unsigned queue_len; /* readings the queue holds (default 4096) */
};

/* Returns owned poller for cfg (borrowed; must outlive it), or NULL. */
struct gw_poller *gw_poller_new(const struct gw_config *cfg, const struct gw_poll_opts *opts);
/* Starts the bus threads. Returns 0 or -errno. */
int gw_poller_start(struct gw_poller *p);
/* Takes the next reading into *out, waiting up to timeout_ms. Returns 0,
 * -EAGAIN on timeout, or -ENODATA when every thread has ended and the queue is empty. */
int gw_poller_next(struct gw_poller *p, struct gw_reading *out, int timeout_ms);
/* Asks the threads to stop and joins them. Safe to call twice. */
void gw_poller_stop(struct gw_poller *p);
void gw_poller_free(struct gw_poller *p);

/* Copies the counters of sensor i (index into cfg->sensors). */
void gw_poller_sensor_stats(const struct gw_poller *p, size_t i, struct gw_poll_stats *out);
/* Bytes bus i (index into cfg->buses) discarded instead of taking them for a
 * reply: stale, doubled, trailing or foreign (gw_link_discarded). */
uint64_t gw_poller_bus_discarded(const struct gw_poller *p, size_t i);

/* Whether bus i's link is open (as of its thread's last look). */
bool gw_poller_bus_up(const struct gw_poller *p, size_t i);
/* Hands fn(arg) to bus i's thread, to run between polls (poll_action.h). Returns 0, -EBUSY
 * (an action is waiting or running on that bus) or -EINVAL (no such bus). */
int gw_poller_action_post(struct gw_poller *p, size_t i, gw_action_fn fn, void *arg);
/* Takes back bus i's posted action, or waits for the running one (gw_action_retract). */
bool gw_poller_action_retract(struct gw_poller *p, size_t i);
/* Whether bus i has an action waiting or running. */
bool gw_poller_action_busy(struct gw_poller *p, size_t i);
/* From the next poll on, sensor i (index into cfg->sensors) is polled at unit (after a
 * set-address; the config keeps its own until it is edited). */
void gw_poller_set_unit(struct gw_poller *p, size_t i, int unit);

#endif
