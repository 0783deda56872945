/* Logging: one line per event, syslog levels, key=value context.
 * Writes to stderr; thread-safe. Leaf code (decode, plan) never logs. */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdbool.h>

enum gw_level { GW_ERR = 3, GW_WARN = 4, GW_NOTICE = 5, GW_INFO = 6, GW_DEBUG = 7 };

/* Messages above this level are dropped (default GW_INFO). */
void gw_log_set_level(enum gw_level level);
/* Parses "err|warn|notice|info|debug"; returns 0 or -EINVAL. */
int gw_log_parse_level(const char *s, enum gw_level *out);
bool gw_log_enabled(enum gw_level level);
/* True when stderr is the systemd journal's stream (lines then start with "<N>"). */
bool gw_log_to_journal(void);

void gw_log(enum gw_level level, const char *module, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A per-device limiter: the first failure is logged, repeats are counted, and
 * the recovery is logged once with the count. */
struct gw_limiter {
	unsigned failures;
};

/* Returns true when this failure should be logged (the first of a run). */
bool gw_limiter_fail(struct gw_limiter *lim);
/* Returns the number of failures of the run that just ended (0 if none). */
unsigned gw_limiter_ok(struct gw_limiter *lim);

#endif
