/* `run` as a service: signals, reload by re-exec after validation, and the notifications to
 * the service manager. Re-exec rather than an in-process restart: the reloaded daemon is a plain
 * start on the new config (the path every test runs), nothing of the old one lingers, and the
 * PID, stdout and stderr stay the same for systemd. Must not stop the daemon on a bad config. */
#include "service.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "records.h"

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_hup;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	g_hup = 1;
}

/* The signals the daemon handles: blocked across the re-exec, so one that comes before the
 * new image has its handlers waits for them instead of killing it. */
static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

void gw_service_init(struct gw_service *s, const char *config_path, bool once)
{
	struct sigaction stop = {.sa_handler = on_stop};
	struct sigaction hup = {.sa_handler = on_hup};
	sigset_t set;

	memset(s, 0, sizeof(*s));
	s->config_path = config_path;
	s->once = once;
	s->watchdog_ms = gw_notify_watchdog_ms();
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	handled_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

const volatile sig_atomic_t *gw_service_stop_flag(void)
{
	return &g_stop;
}

static void notify(const char *state)
{
	int rc = gw_notify(state);

	if (rc < 0)
		gw_log(GW_WARN, "service", "cannot notify the service manager (%.20s...): %s",
		       state, strerror(-rc));
}

void gw_service_ready(struct gw_service *s, const char *status)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
	if (s->watchdog_ms) {
		notify("WATCHDOG=1");
		s->next_ping_ms = gw_clock_mono_ms() + s->watchdog_ms / 2;
	}
}

/* Logs what a diagnostic stream held, one log line per diagnostic line. */
static void log_lines(char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		gw_log(strstr(line, ": warning: ") ? GW_WARN : GW_ERR, "reload", "%s", line);
}

/* Loads the config and records at path as a start would, and frees them again.
 * Returns true when they are good; every problem is logged. */
static bool validate(const char *path)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	struct gw_diag d;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem) {
		gw_log(GW_ERR, "reload", "%s: cannot validate: %s", path, strerror(errno));
		return false;
	}
	gw_diag_init(&d, mem);
	rc = gw_config_load(path, &d, &cfg);
	if (rc == 0)
		rc = gw_records_load(cfg, &d, &recs);
	fclose(mem);
	if (text)
		log_lines(text);
	free(text);
	gw_records_free(recs);
	gw_config_free(cfg);
	if (rc)
		gw_log(GW_ERR, "reload", "%s: %d error(s); the running config stays", path,
		       d.nerrors ? d.nerrors : 1);
	return rc == 0;
}

static void reload(struct gw_service *s)
{
	g_hup = 0;
	if (s->once || s->stopping) {
		gw_log(GW_NOTICE, "reload", "SIGHUP ignored (%s)", s->once ? "--once" : "stopping");
		return;
	}
	gw_log(GW_NOTICE, "reload", "SIGHUP: validating %s", s->config_path);
	if (!validate(s->config_path))
		return;
	gw_log(GW_NOTICE, "reload", "%s is good: stopping, then restarting on it", s->config_path);
	notify("RELOADING=1\nSTATUS=reloading");
	s->reexec = true;
	s->stopping = true;
	g_stop = 1;
}

void gw_service_stopping(struct gw_service *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	notify("STOPPING=1\nSTATUS=stopping");
}

void gw_service_tick(void *arg)
{
	struct gw_service *s = arg;
	int64_t now;

	if (g_hup)
		reload(s);
	if (g_stop)
		gw_service_stopping(s);
	if (!s->watchdog_ms)
		return;
	now = gw_clock_mono_ms();
	if (now < s->next_ping_ms)
		return;
	notify("WATCHDOG=1");
	s->next_ping_ms = now + s->watchdog_ms / 2;
}

int gw_service_reexec(struct gw_service *s, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	sigset_t set, old;
	int err;

	(void)s;
	if (!args)
		return -ENOMEM;
	args[0] = program_invocation_name;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	fflush(stdout);
	fflush(stderr);
	/* nothing but stdin, stdout and stderr goes to the new image, whoever opened it; a
	 * kernel without close_range only risks a leaked descriptor */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	handled_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	execv("/proc/self/exe", args);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(args);
	gw_log(GW_ERR, "reload", "cannot re-execute /proc/self/exe: %s", strerror(err));
	return -err;
}
