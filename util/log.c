/* Logging to stderr: "level: module: message", and when stderr is the systemd journal
 * ($JOURNAL_STREAM names it) with the "<N>" prefix that gives journald the priority.
 * Must not allocate: called from the poll loop. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static enum gw_level g_level = GW_INFO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_journal;

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

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; it is inherited, so
 * it counts only while stderr is still that stream (not redirected by a child's caller). */
static void detect_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!env || !*env)
		return;
	dev = strtoull(env, &end, 10);
	if (*end != ':' || end == env)
		return;
	ino = strtoull(end + 1, &end, 10);
	if (*end || fstat(2, &st))
		return;
	g_journal = (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool gw_log_to_journal(void)
{
	pthread_once(&g_once, detect_journal);
	return g_journal;
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
	if (gw_log_to_journal())
		n = snprintf(line, sizeof(line), "<%d>%s: %s: ", (int)level, level_names[level],
		             module);
	else
		n = snprintf(line, sizeof(line), "%s: %s: ", level_names[level], module);
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
