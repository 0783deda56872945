/* Thin wrappers over clock_gettime and adjtimex, and the optional simulated clock
 * (set once at start-up, read-only after). No allocation. */
#include "clock.h"
#include "tz.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

static bool sim_on;
static struct gw_simclock sim;

static int64_t ms_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gw_clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t gw_simclock_at(const struct gw_simclock *c, int64_t mono_us)
{
	return c->start_ms + (int64_t)floor((double)(mono_us - c->mono_us) * c->speed / 1000.0);
}

void gw_clock_use_sim(const struct gw_simclock *c)
{
	sim = *c;
	sim_on = true;
}

bool gw_clock_is_sim(void)
{
	return sim_on;
}

int64_t gw_clock_wall_ms(void)
{
	return sim_on ? gw_simclock_at(&sim, gw_clock_mono_us()) : ms_of(CLOCK_REALTIME);
}

int64_t gw_clock_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

int64_t gw_clock_sched_ms(void)
{
	return sim_on ? gw_simclock_at(&sim, gw_clock_mono_us()) : gw_clock_mono_ms();
}

void gw_clock_sched_sleep(int64_t t_ms, int64_t max_ms)
{
	int64_t now = gw_clock_mono_us(), until;
	struct timespec ts;

	if (sim_on)
		until = sim.mono_us +
		        (int64_t)ceil((double)(t_ms - sim.start_ms) * 1000.0 / sim.speed);
	else
		until = t_ms * 1000;
	if (until > now + max_ms * 1000)
		until = now + max_ms * 1000;
	if (until <= now)
		return;
	ts.tv_sec = (time_t)(until / 1000000);
	ts.tv_nsec = (long)(until % 1000000) * 1000L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void gw_clock_sleep_until(int64_t t_ms)
{
	struct timespec ts = {.tv_sec = t_ms / 1000, .tv_nsec = (long)(t_ms % 1000) * 1000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void gw_clock_sleep_ms(int64_t ms)
{
	if (ms > 0)
		gw_clock_sleep_until(gw_clock_mono_ms() + ms);
}

bool gw_clock_is_synced(void)
{
	struct timex tx;
	const char *env = getenv("FIELDGATE_ASSUME_SYNCED");
	int state;

	if (sim_on || (env && strcmp(env, "1") == 0))
		return true;
	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

int gw_clock_rfc3339(int64_t wall_ms, char *buf, size_t len)
{
	const struct gw_tz *tz = gw_tz_local();
	int64_t t = wall_ms / 1000 - (wall_ms % 1000 < 0);
	long off = gw_tz_offset(tz, wall_ms) / 60;
	int64_t local = t + off * 60;
	int32_t day = (int32_t)(local / 86400 - (local % 86400 < 0));
	int32_t sec = (int32_t)(local - (int64_t)day * 86400);
	int ymd = gw_tz_civil_yyyymmdd(day);
	int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", ymd / 10000,
	                 ymd / 100 % 100, ymd % 100, sec / 3600, sec / 60 % 60, sec % 60,
	                 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

struct timespec gw_clock_mono_after(int64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}
