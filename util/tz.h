/* Local civil time in a named IANA zone (gateway.timezone), without the process TZ: the
 * zone's TZif file (TZDIR, default /usr/share/zoneinfo) is read once, its transitions and
 * its footer rule (POSIX TZ string, for times after the last transition) answer every
 * question. Plus proleptic Gregorian day arithmetic. No locale, no tzset(). */
#ifndef GW_TZ_H
#define GW_TZ_H

#include <stdint.h>

#define GW_TZ_NAME_LEN 64
#define GW_TZ_DEFAULT  "Asia/Shanghai"

struct gw_tz;

/* Loads zone name ("Asia/Shanghai", "UTC"). Returns an owned zone (gw_tz_free), or NULL
 * with *err -ENOENT (no such zone, or a name that is not a zone name), -EINVAL (not a
 * TZif file), -ENOMEM. "Asia/Shanghai" and "UTC" load even without tzdata installed. */
struct gw_tz *gw_tz_load(const char *name, int *err);
void gw_tz_free(struct gw_tz *tz);
/* Borrows: the name it was loaded by. */
const char *gw_tz_name(const struct gw_tz *tz);

/* Offset of local time from UTC at the instant ts_ms, seconds (+28800 in Shanghai). */
int32_t gw_tz_offset(const struct gw_tz *tz, int64_t ts_ms);
/* The local day of ts_ms as days since 1970-01-01, and (sec may be NULL) the second of
 * that local day. */
int32_t gw_tz_day(const struct gw_tz *tz, int64_t ts_ms, int32_t *sec);
/* The local day of ts_ms as yyyymmdd. */
int gw_tz_yyyymmdd(const struct gw_tz *tz, int64_t ts_ms);
/* The instant (ms) of second sec of local day `day` (days since 1970-01-01); a local time
 * in a gap of the clocks (spring forward) takes the offset in force before the gap. */
int64_t gw_tz_to_ms(const struct gw_tz *tz, int32_t day, int32_t sec);

/* The gateway's zone for the whole process: set once at start-up, before any thread reads
 * it (gw_tz_use loads name; returns 0 or gw_tz_load's error and keeps the zone before).
 * gw_tz_local() is that zone, or GW_TZ_DEFAULT when none was set; never NULL. */
int gw_tz_use(const char *name);
const struct gw_tz *gw_tz_local(void);

/* Proleptic Gregorian calendar: days since 1970-01-01 <-> y, m, d / yyyymmdd. */
int32_t gw_tz_civil_day(int y, int m, int d);
int gw_tz_civil_yyyymmdd(int32_t day);

#endif
