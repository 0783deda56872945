/* `run` as a service: signals, reload by re-exec after validation, and the notifications to
 * the service manager. Re-exec rather than an in-process restart: the reloaded daemon is a plain
 * start on the new config (the path every test runs), nothing of the old one lingers, and the
 * PID, stdout and stderr stay the same for systemd. Must not stop the daemon on a bad config:
 * the validation runs every check of `run`'s start-up, and what only the new image can find
 * (a file changed since, a data_dir it cannot open) sends it back to the previous config,
 * whose text crosses the re-exec in a memfd named by an environment variable. The image is
 * the binary now at the running one's path: after a package upgrade replaced it, a reload
 * runs the new binary, as a restart would (not the deleted image /proc/self/exe still names). */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "num.h"
#include "preflight.h"
#include "records.h"

#define STATUS_MS 2000 /* how often the health summary is looked at (sent when it changed) */

/* Across a re-exec, a memfd holding a config's text: */
#define RELOAD_FD_ENV "FIELDGATE_RELOAD_FD" /* started by a reload: the previous config */
#define CONFIG_FD_ENV "FIELDGATE_CONFIG_FD" /* the reload failed: run on this config */
#define TEXT_MAX      (16 << 20)

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

/* The whole of fd from its start, NUL-terminated. Returns owned, or NULL. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf || lseek(fd, 0, SEEK_SET) < 0)
		goto out_free;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *more = cap < TEXT_MAX ? realloc(buf, cap * 2) : NULL;

			if (!more)
				goto out_free;
			buf = more;
			cap *= 2;
		}
	}
	if (n < 0 || memchr(buf, '\0', len))
		goto out_free;
	buf[len] = '\0';
	return buf;
out_free:
	free(buf);
	return NULL;
}

/* The text in the memfd the environment variable name gives, if any; takes the variable out
 * and closes the fd, so nothing of it reaches a later image. */
static char *take_handed_over(const char *name)
{
	const char *v = getenv(name);
	long fd;
	char *text;

	if (!v)
		return NULL;
	if (gw_num_long(v, 3, INT_MAX, &fd)) {
		unsetenv(name);
		return NULL;
	}
	text = read_all((int)fd);
	close((int)fd);
	unsetenv(name);
	if (!text)
		gw_log(GW_ERR, "service", "cannot read the config handed over in %s", name);
	return text;
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
	s->fallback_text = take_handed_over(RELOAD_FD_ENV);
	s->running_text = take_handed_over(CONFIG_FD_ENV);
	s->fell_back = s->running_text != NULL;
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	handled_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void gw_service_free(struct gw_service *s)
{
	free(s->running_text);
	free(s->fallback_text);
	s->running_text = s->fallback_text = NULL;
}

int gw_service_load_config(struct gw_service *s, struct gw_diag *d, struct gw_config **out)
{
	if (!s->running_text) {
		int fd = open(s->config_path, O_RDONLY | O_CLOEXEC);

		s->running_text = fd < 0 ? NULL : read_all(fd);
		if (fd >= 0)
			close(fd);
	}
	/* unreadable: the loader reads it again and says why */
	if (!s->running_text)
		return gw_config_load(s->config_path, d, out);
	return gw_config_load_text(s->config_path, s->running_text, d, out);
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
	snprintf(s->last_status, sizeof(s->last_status), "STATUS=%s", status);
	s->ready = true;
	s->next_status_ms = gw_clock_mono_ms() + STATUS_MS;
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

int gw_service_validate(const char *path, struct gw_diag *d)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	int rc = gw_config_load(path, d, &cfg);

	if (rc == 0)
		rc = gw_records_load(cfg, d, &recs);
	if (rc == 0 && gw_preflight_check(cfg, d))
		rc = -EINVAL;
	gw_records_free(recs);
	gw_config_free(cfg);
	return rc;
}

int gw_service_validate_text(const char *path, const char *text, struct gw_diag *d)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	int rc = gw_config_load_text(path, text, d, &cfg);

	if (rc == 0)
		rc = gw_records_load(cfg, d, &recs);
	if (rc == 0 && gw_preflight_check(cfg, d))
		rc = -EINVAL;
	gw_records_free(recs);
	gw_config_free(cfg);
	return rc;
}

void gw_service_request_reload(void)
{
	g_hup = 1;
}

/* gw_service_validate, logging every problem. Returns true when path is good. */
static bool validate(const char *path)
{
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
	rc = gw_service_validate(path, &d);
	fclose(mem);
	if (text)
		log_lines(text);
	free(text);
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

/* STATUS= with the metrics' one-line health summary (sensors, stale, backing off, each sink
 * up or down with its backlog and lag, the chain's last sealed day), looked at every
 * STATUS_MS and sent when it changed. */
static void send_status(struct gw_service *s, int64_t now)
{
	char msg[sizeof(s->last_status)] = "STATUS=";

	s->next_status_ms = now + STATUS_MS;
	if (gw_metrics_status(s->metrics, gw_clock_wall_ms(), msg + 7, sizeof(msg) - 7) <= 0)
		return;
	if (strcmp(msg, s->last_status) == 0)
		return;
	memcpy(s->last_status, msg, sizeof(msg));
	notify(msg);
}

void gw_service_tick(void *arg)
{
	struct gw_service *s = arg;
	int64_t now;

	if (g_hup)
		reload(s);
	if (g_stop)
		gw_service_stopping(s);
	now = gw_clock_mono_ms();
	if (s->ready && !s->stopping && s->metrics && now >= s->next_status_ms)
		send_status(s, now);
	if (!s->watchdog_ms || now < s->next_ping_ms)
		return;
	notify("WATCHDOG=1");
	s->next_ping_ms = now + s->watchdog_ms / 2;
}

/* A memfd holding text for the next image, named in the environment variable name. */
static int hand_over(const char *name, const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd = memfd_create("fieldgate-config", 0); /* no CLOEXEC: it crosses the exec */
	char num[16];

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			close(fd);
			return -err;
		}
		off += (size_t)n;
	}
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv(name, num, 1)) {
		close(fd);
		return -errno;
	}
	return 0;
}

/* What to execute: /proc/self/exe, unless the file it was started from was replaced since (a
 * package upgrade renames the new binary over it, and the kernel then names the old image
 * "PATH (deleted)"): then the executable now at PATH. path_buf holds it. */
static const char *image_path(char *path_buf, size_t len)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	ssize_t n = readlink("/proc/self/exe", path_buf, len - 1);

	if (n <= (ssize_t)dlen || path_buf[0] != '/')
		return "/proc/self/exe";
	path_buf[n] = '\0';
	if (strcmp(path_buf + n - dlen, deleted) != 0)
		return "/proc/self/exe";
	path_buf[n - (ssize_t)dlen] = '\0';
	if (access(path_buf, X_OK) != 0) {
		gw_log(GW_WARN, "reload",
		       "the binary %s was removed: re-executing the running image", path_buf);
		return "/proc/self/exe";
	}
	gw_log(GW_NOTICE, "reload", "the binary was replaced since the start: executing the new %s",
	       path_buf);
	return path_buf;
}

/* Execs this binary as `fieldgate run` with argv, handing text over in env (text NULL:
 * nothing). Returns only on failure: -errno. */
static int exec_self(int argc, char **argv, const char *env, const char *text)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	char path_buf[PATH_MAX];
	const char *image = NULL;
	sigset_t set, old;
	int err;

	if (!args)
		return -ENOMEM;
	args[0] = program_invocation_name;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	fflush(stdout);
	fflush(stderr);
	/* nothing but stdin, stdout and stderr goes to the new image, whoever opened it; a
	 * kernel without close_range only risks a leaked descriptor */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	err = text ? -hand_over(env, text) : 0;
	if (err && strcmp(env, CONFIG_FD_ENV) == 0)
		goto out_free; /* going back needs the text */
	if (err)
		gw_log(GW_WARN, "reload",
		       "cannot keep the previous config for the new image (%s): should its start "
		       "fail, the daemon exits",
		       strerror(err));
	image = image_path(path_buf, sizeof(path_buf));
	handled_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	execv(image, args);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out_free:
	free(args);
	gw_log(GW_ERR, "reload", "cannot re-execute %s: %s", image ? image : "/proc/self/exe",
	       strerror(err));
	return -err;
}

int gw_service_reexec(struct gw_service *s, int argc, char **argv)
{
	unsetenv(CONFIG_FD_ENV);
	return exec_self(argc, argv, RELOAD_FD_ENV, s->running_text);
}

int gw_service_fallback(struct gw_service *s, int argc, char **argv)
{
	if (!s->fallback_text)
		return -ENOENT;
	gw_log(GW_ERR, "reload",
	       "%s: the reloaded config failed at start-up (see above); restarting on the "
	       "previous one",
	       s->config_path);
	unsetenv(RELOAD_FD_ENV);
	return exec_self(argc, argv, CONFIG_FD_ENV, s->fallback_text);
}
