/* Bus threads: each owns one link and the sensors on it, polls the sensor that
 * is due next (an RTU line is strictly one request at a time), backs off
 * sensors that stop answering so they cost the line at most one timeout per
 * attempt, and reconnects a lost link. Allocates nothing after gw_poller_new, which refuses
 * a config only as gw_poll_check does (poll_check.c). */
#include "poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "device.h"
#include "log.h"
#include "modbus_link.h"
#include "plan.h"
#include "poll_check.h"
#include "rqueue.h"

#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 30000
#define RECONNECT_DTU_MS 1000 /* a dial-in DTU's link is a local look for its registration */
#define SYNC_CHECK_MS    10000
#define CATCH_UP_MS      86400000 /* sim clock only */

struct dev_state {
	const struct gw_sensor_cfg *s;
	uint32_t index;
	struct gw_plan plan;
	int64_t due_ms;  /* schedule clock (gw_clock_sched_ms) */
	unsigned fails;  /* consecutive failed polls */
	atomic_int unit; /* the config's, until a set-address changes it */
	struct gw_limiter lim;
	struct gw_poll_stats st; /* written by the bus thread, read under the poller's lock */
};

struct bus_state {
	struct gw_poller *p;
	const struct gw_bus_cfg *bus;
	struct gw_link *link;
	struct dev_state *devs;
	size_t ndevs;
	pthread_t thread;
	bool started;
	int64_t reconnect_at;
	int64_t reconnect_wait;
	struct gw_limiter link_lim;
	bool synced;
	int64_t sync_checked;
	struct gw_action_slot action; /* the console's commissioning actions */
	atomic_bool up;               /* the link is open */
};

struct gw_poller {
	const struct gw_config *cfg;
	struct gw_poll_opts opts;
	struct gw_rqueue *q;
	struct bus_state *buses;
	size_t nbuses;
	struct dev_state *devs; /* all sensors, in config order */
	atomic_bool stop;
	atomic_int running;
	pthread_mutex_t stats_lock;
};

/* Sleeps until the schedule time t (gw_clock_sched_ms), waking early when asked to stop;
 * runs a posted action meanwhile (the bus is idle: no request of the poller is under way). */
static void nap_until(struct bus_state *b, int64_t t)
{
	while (!atomic_load(&b->p->stop)) {
		if (gw_action_run_pending(&b->action, b->link))
			atomic_store(&b->up, gw_link_is_open(b->link));
		if (gw_clock_sched_ms() >= t)
			return;
		gw_clock_sched_sleep(t, 100);
	}
}

static int link_up(struct bus_state *b)
{
	int64_t now = gw_clock_mono_ms();
	int64_t max;
	int rc;

	if (gw_link_is_open(b->link))
		return 0;
	if (now < b->reconnect_at)
		return -EAGAIN;
	rc = gw_link_connect(b->link);
	if (rc == 0) {
		unsigned n = gw_limiter_ok(&b->link_lim);

		if (n)
			gw_log(GW_NOTICE, "poll", "bus=%s link restored after %u failed attempts",
			       b->bus->name, n);
		b->reconnect_wait = RECONNECT_MIN_MS;
		return 0;
	}
	if (gw_limiter_fail(&b->link_lim))
		gw_log(GW_WARN, "poll", "bus=%s cannot open link: %s (retrying with back-off)",
		       b->bus->name, strerror(-rc));
	b->reconnect_at = now + b->reconnect_wait;
	max = b->bus->type == GW_BUS_DTU_SERVER ? RECONNECT_DTU_MS : RECONNECT_MAX_MS;
	b->reconnect_wait = b->reconnect_wait * 2 > max ? max : b->reconnect_wait * 2;
	return rc;
}

static void count_result(struct gw_poller *p, struct dev_state *d,
                         const struct gw_device_result *res, int64_t ts)
{
	bool all_good = true;

	pthread_mutex_lock(&p->stats_lock);
	d->st.polls++;
	d->st.requests += res->requests;
	for (size_t i = 0; i < d->s->profile->npoints; i++) {
		if (res->quality[i] != GW_Q_GOOD)
			all_good = false;
		if (res->quality[i] == GW_Q_OUT_OF_RANGE)
			d->st.out_of_range++;
	}
	if (res->rc == -ETIMEDOUT || gw_link_rc_is_lost(res->rc))
		d->st.timeouts++;
	else if (res->rc == -EBADMSG)
		d->st.crc_errors++;
	else if (res->rc == -EREMOTEIO)
		d->st.exceptions++;
	if (all_good) {
		d->st.good++;
		d->st.last_good_ms = ts;
	}
	d->st.backing_off = d->fails > 0;
	d->st.fails = d->fails;
	d->st.unit = atomic_load(&d->unit);
	d->st.last_ms = ts;
	d->st.last_rc = res->rc;
	d->st.next_ms = ts + (d->due_ms - gw_clock_sched_ms());
	memcpy(d->st.values, res->values, sizeof(d->st.values));
	memcpy(d->st.quality, res->quality, sizeof(d->st.quality));
	pthread_mutex_unlock(&p->stats_lock);
}

/* A failure that costs the line a timeout backs the sensor off; an exception does not. */
static bool is_costly(int rc)
{
	return rc == -ETIMEDOUT || rc == -EBADMSG || gw_link_rc_is_lost(rc);
}

static void schedule(struct bus_state *b, struct dev_state *d, int rc, int64_t now)
{
	int64_t interval = (int64_t)d->s->interval_s * 1000;
	int64_t max = (int64_t)b->p->cfg->backoff_max_s * 1000;

	if (!is_costly(rc)) {
		unsigned n = gw_limiter_ok(&d->lim);

		if (n)
			gw_log(GW_NOTICE, "poll",
			       "sensor=%s bus=%s unit=%d recovered after %u failures", d->s->id,
			       b->bus->name, d->s->unit, n);
		d->fails = 0;
		if (b->p->opts.flat_out) {
			d->due_ms = now;
			return;
		}
		/* A slot missed is skipped; but under a sim clock a host stall of a few ms is
		 * hours of simulated time, not the field's: catch up (up to a simulated day) so
		 * that availability measures the sensors, not the host. */
		do
			d->due_ms += interval;
		while (d->due_ms <= now && !(gw_clock_is_sim() && now - d->due_ms < CATCH_UP_MS));
		return;
	}
	if (gw_limiter_fail(&d->lim))
		gw_log(GW_WARN, "poll", "sensor=%s bus=%s unit=%d read failed: %s (backing off)",
		       d->s->id, b->bus->name, d->s->unit, strerror(-rc));
	d->fails++;
	{
		unsigned shift = d->fails - 1 < 8 ? d->fails - 1 : 8;
		int64_t wait = interval << shift;

		d->due_ms = now + (wait < max ? wait : (max > interval ? max : interval));
	}
}

static void poll_one(struct bus_state *b, struct dev_state *d)
{
	const struct gw_sensor_cfg *s = d->s;
	const struct gw_bus_cfg *bus = b->bus;
	struct gw_device_result res;
	struct gw_reading r = {.ts_ms = gw_clock_wall_ms()};
	int64_t now;
	int rc;

	rc = link_up(b);
	if (rc == 0) {
		/* A backed-off sensor gets one try: it must not hold the line for long. */
		rc = gw_device_read(b->link, atomic_load(&d->unit), s->profile, &d->plan,
		                    d->fails ? 0 : bus->retries, s->pause_ms, &res);
		if (gw_link_rc_is_lost(rc)) {
			gw_link_close(b->link);
			b->reconnect_at = 0;
			pthread_mutex_lock(&b->p->stats_lock);
			d->st.reconnects++;
			pthread_mutex_unlock(&b->p->stats_lock);
		}
	} else {
		memset(&res, 0, sizeof(res));
		for (size_t i = 0; i < s->profile->npoints; i++)
			res.quality[i] = GW_Q_TIMEOUT;
		res.rc = rc = -ETIMEDOUT;
	}
	now = gw_clock_sched_ms();
	schedule(b, d, rc, now);
	count_result(b->p, d, &res, r.ts_ms);
	atomic_store(&b->up, gw_link_is_open(b->link));

	if (now - b->sync_checked >= SYNC_CHECK_MS || b->sync_checked == 0) {
		b->synced = gw_clock_is_synced();
		b->sync_checked = now;
	}
	r.sensor_id = s->id;
	r.profile = s->profile;
	r.unsynced = !b->synced;
	r.index = d->index;
	memcpy(r.values, res.values, sizeof(r.values));
	memcpy(r.quality, res.quality, sizeof(r.quality));
	gw_rqueue_push(b->p->q, &r);
}

static struct dev_state *next_due(struct bus_state *b)
{
	struct dev_state *best = NULL;

	for (size_t i = 0; i < b->ndevs; i++) {
		struct dev_state *d = &b->devs[i];

		if (b->p->opts.once && d->st.polls > 0)
			continue;
		if (!best || d->due_ms < best->due_ms)
			best = d;
	}
	return best;
}

static void *bus_main(void *arg)
{
	struct bus_state *b = arg;
	struct gw_poller *p = b->p;

	while (!atomic_load(&p->stop)) {
		struct dev_state *d = next_due(b);

		if (!d)
			break;
		nap_until(b, d->due_ms);
		if (atomic_load(&p->stop))
			break;
		poll_one(b, d);
	}
	gw_link_close(b->link);
	if (atomic_fetch_sub(&p->running, 1) == 1)
		gw_rqueue_close(p->q);
	return NULL;
}

/* Sensors of each bus are laid out contiguously in p->devs, bus by bus. */
static int setup_buses(struct gw_poller *p)
{
	const struct gw_config *cfg = p->cfg;
	size_t k = 0;

	for (size_t bi = 0; bi < cfg->nbuses; bi++) {
		struct bus_state *b = &p->buses[bi];
		struct gw_link_cfg lc;

		b->p = p;
		b->bus = &cfg->buses[bi];
		b->reconnect_wait = RECONNECT_MIN_MS;
		gw_action_slot_init(&b->action);
		if (gw_poll_check_bus(cfg, bi, &lc, NULL))
			return -EINVAL;
		b->link = gw_link_new(&lc);
		if (!b->link)
			return -ENOMEM;
		b->devs = &p->devs[k];
		for (size_t si = 0; si < cfg->nsensors; si++) {
			const struct gw_sensor_cfg *s = &cfg->sensors[si];
			struct dev_state *d = &p->devs[k];

			if (s->bus != bi)
				continue;
			d->s = s;
			d->index = (uint32_t)si;
			atomic_init(&d->unit, s->unit);
			d->st.unit = s->unit;
			if (gw_poll_check_sensor(cfg, si, &d->plan, NULL))
				return -EINVAL;
			k++;
			b->ndevs++;
		}
	}
	return 0;
}

struct gw_poller *gw_poller_new(const struct gw_config *cfg, const struct gw_poll_opts *opts)
{
	struct gw_poller *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = cfg;
	if (opts)
		p->opts = *opts;
	if (!p->opts.queue_len)
		p->opts.queue_len = 4096;
	pthread_mutex_init(&p->stats_lock, NULL);
	p->q = gw_rqueue_new(p->opts.queue_len);
	p->buses = calloc(cfg->nbuses ? cfg->nbuses : 1, sizeof(*p->buses));
	p->devs = calloc(cfg->nsensors ? cfg->nsensors : 1, sizeof(*p->devs));
	p->nbuses = cfg->nbuses;
	if (!p->q || !p->buses || !p->devs || setup_buses(p)) {
		gw_poller_free(p);
		return NULL;
	}
	return p;
}

int gw_poller_start(struct gw_poller *p)
{
	int64_t now = gw_clock_sched_ms();

	for (size_t i = 0; i < p->cfg->nsensors; i++)
		p->devs[i].due_ms = now;
	atomic_store(&p->running, (int)p->nbuses);
	if (p->nbuses == 0)
		gw_rqueue_close(p->q);
	for (size_t i = 0; i < p->nbuses; i++) {
		int rc = pthread_create(&p->buses[i].thread, NULL, bus_main, &p->buses[i]);

		if (rc) {
			gw_poller_stop(p);
			return -rc;
		}
		p->buses[i].started = true;
	}
	return 0;
}

int gw_poller_next(struct gw_poller *p, struct gw_reading *out, int timeout_ms)
{
	return gw_rqueue_pop(p->q, out, timeout_ms);
}

void gw_poller_stop(struct gw_poller *p)
{
	atomic_store(&p->stop, true);
	/* Closing first frees a thread waiting on a full queue; what is queued stays poppable. */
	gw_rqueue_close(p->q);
	for (size_t i = 0; i < p->nbuses; i++) {
		if (!p->buses[i].started)
			continue;
		pthread_join(p->buses[i].thread, NULL);
		p->buses[i].started = false;
	}
}

void gw_poller_free(struct gw_poller *p)
{
	if (!p)
		return;
	if (p->buses) {
		gw_poller_stop(p);
		for (size_t i = 0; i < p->nbuses; i++) {
			gw_link_free(p->buses[i].link);
			if (p->buses[i].p)
				gw_action_slot_destroy(&p->buses[i].action);
		}
	}
	gw_rqueue_free(p->q);
	free(p->buses);
	free(p->devs);
	pthread_mutex_destroy(&p->stats_lock);
	free(p);
}

void gw_poller_sensor_stats(const struct gw_poller *p, size_t i, struct gw_poll_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&p->stats_lock);
	for (size_t k = 0; k < p->cfg->nsensors; k++)
		if (p->devs[k].index == i)
			*out = p->devs[k].st;
	pthread_mutex_unlock((pthread_mutex_t *)&p->stats_lock);
}

uint64_t gw_poller_bus_discarded(const struct gw_poller *p, size_t i)
{
	return i < p->nbuses && p->buses[i].link ? gw_link_discarded(p->buses[i].link) : 0;
}

bool gw_poller_bus_up(const struct gw_poller *p, size_t i)
{
	return i < p->nbuses && atomic_load(&p->buses[i].up);
}

int gw_poller_action_post(struct gw_poller *p, size_t i, gw_action_fn fn, void *arg)
{
	if (i >= p->nbuses)
		return -EINVAL;
	return gw_action_post(&p->buses[i].action, fn, arg);
}

bool gw_poller_action_retract(struct gw_poller *p, size_t i)
{
	return i < p->nbuses && gw_action_retract(&p->buses[i].action);
}

bool gw_poller_action_busy(struct gw_poller *p, size_t i)
{
	return i < p->nbuses && gw_action_busy(&p->buses[i].action);
}

void gw_poller_set_unit(struct gw_poller *p, size_t i, int unit)
{
	for (size_t k = 0; k < p->cfg->nsensors; k++)
		if (p->devs[k].index == i)
			atomic_store(&p->devs[k].unit, unit);
}
