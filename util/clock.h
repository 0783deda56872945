/* Time: wall clock (for readings), monotonic clock (for schedules), whether the
 * system clock is synchronised, and RFC 3339 formatting with the local offset.
 * For demos and tests only, a simulated clock can stand in for the wall clock and
 * the schedules (gw_clock_use_sim); it is never on by default. */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall time, ms since the epoch (the simulated time when a sim clock is in force). */
int64_t gw_clock_wall_ms(void);
int64_t gw_clock_mono_ms(void);
int64_t gw_clock_mono_us(void);
/* Sleeps until the monotonic time t_ms (returns at once if past). */
void gw_clock_sleep_until(int64_t t_ms);
void gw_clock_sleep_ms(int64_t ms);
/* CLOCK_MONOTONIC now + ms, as a deadline for pthread_cond_timedwait on a condition
 * variable whose clock attribute is CLOCK_MONOTONIC. */
struct timespec gw_clock_mono_after(int64_t ms);

/* A simulated clock: wall time start_ms at the monotonic instant mono_us
 * (CLOCK_MONOTONIC, shared by the processes of one machine), running speed times as
 * fast as real time. */
struct gw_simclock {
	int64_t start_ms;
	double speed; /* > 0 */
	int64_t mono_us;
};

/* The simulated wall time of c at the monotonic instant mono_us, ms. */
int64_t gw_simclock_at(const struct gw_simclock *c, int64_t mono_us);

/* Demo and test only (`fieldgate run --sim-clock`): from this call on,
 * gw_clock_wall_ms() is c's time, schedules run on it (gw_clock_sched_ms) and the
 * clock counts as synchronised. Call before any thread reads the clock. Borrows c
 * (copied). */
void gw_clock_use_sim(const struct gw_simclock *c);
bool gw_clock_is_sim(void);

/* The time schedules run on, ms: the monotonic clock, or with a sim clock in force
 * the simulated wall time (so an interval in seconds is in simulated seconds). */
int64_t gw_clock_sched_ms(void);
/* Sleeps until the schedule time t_ms, but for at most max_ms of real time. */
void gw_clock_sched_sleep(int64_t t_ms, int64_t max_ms);

/* True when the kernel says the clock is synchronised (adjtimex) or
 * FIELDGATE_ASSUME_SYNCED=1 is set, or a sim clock is in force. */
bool gw_clock_is_synced(void);

/* "2023-06-21T10:00:00+08:00" in the gateway's zone (gw_tz_local(), gateway.timezone; never
 * the process TZ). Returns 0 or -ENOSPC. */
int gw_clock_rfc3339(int64_t wall_ms, char *buf, size_t len);

#endif
