/* Time: wall clock (for readings), monotonic clock (for schedules), whether the
 * system clock is synchronised, and RFC 3339 formatting with the local offset. */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t gw_clock_wall_ms(void);
int64_t gw_clock_mono_ms(void);
/* Sleeps until the monotonic time t_ms (returns at once if past). */
void gw_clock_sleep_until(int64_t t_ms);
void gw_clock_sleep_ms(int64_t ms);
/* CLOCK_MONOTONIC now + ms, as a deadline for pthread_cond_timedwait on a condition
 * variable whose clock attribute is CLOCK_MONOTONIC. */
struct timespec gw_clock_mono_after(int64_t ms);

/* True when the kernel says the clock is synchronised (adjtimex) or
 * FIELDGATE_ASSUME_SYNCED=1 is set. */
bool gw_clock_is_synced(void);

/* "2023-06-21T10:00:00+08:00" in local time (TZ). Returns 0 or -ENOSPC. */
int gw_clock_rfc3339(int64_t wall_ms, char *buf, size_t len);

#endif
