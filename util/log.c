/* Logging to stderr with a level prefix the systemd journal understands.
 * Must not allocate: called from the poll loop. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum gw_level g_level = GW_INFO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
        [GW_ERR] = "err",   [GW_WARN] = "warn",   [GW_NOTICE] = "notice",
        [GW_INFO] = "info", [GW_DEBUG] = "debug",
};

void gw_log_set_level(enum gw_level level)
{
	g_level = level;
}

int gw_log_parse_level(const char *s, enum gw_level *out)
{
	for (int l = GW_ERR; l <= GW_DEBUG; l++) {
		if (strcmp(s, level_names[l]) == 0) {
			*out = (enum gw_level)l;
			return 0;
		}
	}
	return -EINVAL;
}

bool gw_log_enabled(enum gw_level level)
{
	return level <= g_level;
}

void gw_log(enum gw_level level, const char *module, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (!gw_log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "<%d>%s: %s: ", (int)level, level_names[level], module);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&g_lock);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	pthread_mutex_unlock(&g_lock);
}

bool gw_limiter_fail(struct gw_limiter *lim)
{
	return lim->failures++ == 0;
}

unsigned gw_limiter_ok(struct gw_limiter *lim)
{
	unsigned n = lim->failures;

	lim->failures = 0;
	return n;
}
