/* Helpers for the MQTT integration tests (C, cmocka): a mosquitto started on a free loopback
 * port in a temp dir and stopped by PID, child processes, mqtt_collect, retained reads with
 * mosquitto_sub, certificates made with openssl, and driving a gw_mqtt. Every wait is bounded. */
#ifndef GW_MQTT_ITEST_H
#define GW_MQTT_ITEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest_util.h"
#include "mqtt_client.h"

#define MOSQUITTO "/usr/sbin/mosquitto"

struct broker {
	char conf[256];
	int port;
	pid_t pid;
};

static struct {
	char dir[64];
	char collect[PATH_MAX];
	struct broker plain;
} fx = {.plain.pid = -1};

static inline bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static inline void path_in(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", fx.dir, name);
}

__attribute__((format(printf, 2, 3))) static inline void write_file(const char *path,
                                                                    const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

/* Starts argv[0] with stdout to out_fd (or the log), stderr to the log. Returns its pid. */
static inline pid_t spawn(char *const argv[], int out_fd, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(out_fd >= 0 ? out_fd : fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Runs argv to completion; its output goes to dir/tools.log. Returns the exit status. */
static inline int run(char *const argv[])
{
	char log[PATH_MAX];
	int st = -1;
	pid_t pid;

	path_in(log, "tools.log");
	pid = spawn(argv, -1, log);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs argv and copies its stdout into buf (trailing newline cut). Returns the exit status. */
static inline int capture(char *const argv[], char *buf, size_t len)
{
	int p[2], st = -1;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = spawn(argv, p[1], NULL);
	close(p[1]);
	while (got < (ssize_t)len - 1 && (n = read(p[0], buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	buf[got] = '\0';
	if (got > 0 && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void stop_pid(pid_t *pid, int sig)
{
	if (*pid > 0) {
		kill(*pid, sig);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

/* Writes a mosquitto config for a broker named name (extra: listener options and more). */
static inline void broker_config(struct broker *b, const char *name, const char *extra)
{
	char pdir[PATH_MAX];
	struct passwd *pw = getpwuid(geteuid());

	snprintf(pdir, sizeof(pdir), "%s/%s", fx.dir, name);
	assert_int_equal(mkdir(pdir, 0700), 0);
	b->port = free_port();
	assert_true(b->port > 0);
	snprintf(b->conf, sizeof(b->conf), "%s/%s.conf", fx.dir, name);
	write_file(b->conf,
	           "user %s\npersistence true\npersistence_location %s/\nmax_queued_messages 0\n"
	           "log_dest stderr\nlistener %d 127.0.0.1\n%s\n",
	           pw ? pw->pw_name : "root", pdir, b->port,
	           extra ? extra : "allow_anonymous true");
}

static inline int broker_start(struct broker *b)
{
	char log[PATH_MAX];
	char *argv[] = {MOSQUITTO, "-c", b->conf, NULL};
	int64_t deadline = now_ms() + 10000;

	snprintf(log, sizeof(log), "%s.log", b->conf);
	b->pid = spawn(argv, -1, log);
	while (b->pid > 0 && now_ms() < deadline) {
		if (port_open(b->port))
			return 0;
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid)
			break;
		pause_ms(20); /* readiness poll, bounded by the deadline */
	}
	fprintf(stderr, "mosquitto did not start; see %s\n", log);
	b->pid = -1;
	return -1;
}

/* Starts mqtt_collect on filter into out and waits for its "ready". Returns its pid. */
static inline pid_t collect_start(int port, const char *filter, const char *id, const char *out)
{
	char port_s[16], *argv[] = {fx.collect, "-p",       port_s, "-t",        (char *)filter,
	                            "-i",       (char *)id, "-o",   (char *)out, NULL};
	char line[16] = "";
	struct pollfd pfd;
	int p[2];
	pid_t pid;

	snprintf(port_s, sizeof(port_s), "%d", port);
	assert_int_equal(pipe(p), 0);
	pid = spawn(argv, p[1], NULL);
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, 10000) == 1 && read(p[0], line, sizeof(line) - 1) > 0)
		line[strcspn(line, "\n")] = '\0';
	close(p[0]);
	assert_string_equal(line, "ready");
	return pid;
}

/* The retained message on topic, read with mosquitto_sub ("" if none within 3 s). */
static inline void retained(int port, const char *topic, char *buf, size_t len)
{
	char port_s[16], *argv[] = {"/usr/bin/mosquitto_sub",
	                            "-h",
	                            "127.0.0.1",
	                            "-p",
	                            port_s,
	                            "-t",
	                            (char *)topic,
	                            "-C",
	                            "1",
	                            "-W",
	                            "3",
	                            NULL};

	snprintf(port_s, sizeof(port_s), "%d", port);
	capture(argv, buf, len);
}

static inline struct gw_mqtt_cfg plain_cfg(int port)
{
	struct gw_mqtt_cfg c = {.enabled = true, .qos = 1, .keepalive_s = 5, .max_inflight = 20};

	snprintf(c.url, sizeof(c.url), "mqtt://127.0.0.1:%d", port);
	return c;
}

static inline struct gw_mqtt *open_client(const struct gw_mqtt_cfg *c, const char *id,
                                          const char *status)
{
	int err = 1;
	struct gw_mqtt *m = gw_mqtt_new(c, id, status, &err);

	assert_non_null(m);
	assert_int_equal(err, 0);
	return m;
}

/* Drives m until it is up (true) or a connect attempt failed / 10 s passed (false). */
static inline bool drive_until_up(struct gw_mqtt *m, struct gw_mqtt_events *ev)
{
	int64_t deadline = now_ms() + 10000;
	uint64_t tags[8];

	while (now_ms() < deadline) {
		gw_mqtt_wait(m, 200, tags, 8, ev);
		if (ev->connected) {
			assert_int_equal(ev->state, GW_MQTT_UP);
			return true;
		}
		if (ev->failed)
			return false;
	}
	return false;
}

/* Publishes tags first..first+count-1 (payload = tag, topic) at qos, honouring -EAGAIN, until
 * each came back exactly once. Fails on a loss. */
static inline void pump(struct gw_mqtt *m, const char *topic, uint64_t first, unsigned count,
                        int qos, unsigned *eagain)
{
	unsigned char *seen = calloc(count, 1);
	unsigned next = 0, acked = 0;
	int64_t deadline = now_ms() + 30000;
	struct gw_mqtt_events ev;
	uint64_t tags[64];

	assert_non_null(seen);
	while (acked < count && now_ms() < deadline) {
		for (int rc = 0; next < count && rc == 0; next += rc == 0) {
			char payload[32];
			int q = qos >= 0 ? qos : (int)(next % 3);

			snprintf(payload, sizeof(payload), "%llu",
			         (unsigned long long)(first + next));
			rc = gw_mqtt_publish(m, topic, payload, strlen(payload), q, false,
			                     first + next);
			if (rc == -EAGAIN)
				(*eagain)++;
			else
				assert_int_equal(rc, 0);
		}
		int n = gw_mqtt_wait(m, 1000, tags, 64, &ev);
		assert_false(ev.lost);
		assert_true(ev.inflight <= 20);
		for (int i = 0; i < n; i++) {
			assert_true(tags[i] >= first && tags[i] < first + next);
			assert_int_equal(seen[tags[i] - first], 0);
			seen[tags[i] - first] = 1;
			acked++;
		}
	}
	free(seen);
	assert_int_equal(acked, count);
}

/* Waits until path holds want lines (10 s at most); returns the contents (owned). */
static inline char *wait_lines(const char *path, unsigned want)
{
	int64_t deadline = now_ms() + 10000;
	char *buf = NULL;

	for (;;) {
		FILE *f = fopen(path, "r");
		size_t cap = 0, len = 0, got;
		unsigned lines = 0;

		free(buf);
		buf = NULL;
		if (f) {
			char chunk[4096];

			while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
				if (len + got + 1 > cap) {
					cap = (len + got + 1) * 2;
					buf = realloc(buf, cap);
					assert_non_null(buf);
				}
				memcpy(buf + len, chunk, got);
				len += got;
			}
			fclose(f);
		}
		for (size_t i = 0; i < len; i++)
			lines += buf[i] == '\n';
		if (buf)
			buf[len] = '\0';
		if (lines >= want || now_ms() >= deadline)
			return buf ? buf : strdup("");
		pause_ms(50); /* the collector flushes per line; poll until the deadline */
	}
}

static inline void make_cert(const char *name, const char *cn, const char *ca)
{
	char key[PATH_MAX], crt[PATH_MAX], csr[PATH_MAX], ca_crt[PATH_MAX], ca_key[PATH_MAX];
	char subj[128], ext[PATH_MAX];
	char *req[] = {"/usr/bin/openssl",
	               "req",
	               "-newkey",
	               "ec",
	               "-pkeyopt",
	               "ec_paramgen_curve:prime256v1",
	               "-nodes",
	               "-keyout",
	               key,
	               "-subj",
	               subj,
	               ca ? "-out" : "-x509",
	               ca ? csr : "-out",
	               ca ? NULL : crt,
	               NULL};
	char *sign[] = {"/usr/bin/openssl",
	                "x509",
	                "-req",
	                "-in",
	                csr,
	                "-CA",
	                ca_crt,
	                "-CAkey",
	                ca_key,
	                "-CAcreateserial",
	                "-days",
	                "2",
	                "-extfile",
	                ext,
	                "-out",
	                crt,
	                NULL};

	snprintf(key, sizeof(key), "%s/%s.key", fx.dir, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", fx.dir, name);
	snprintf(csr, sizeof(csr), "%s/%s.csr", fx.dir, name);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	assert_int_equal(run(req), 0);
	if (!ca)
		return;
	snprintf(ca_crt, sizeof(ca_crt), "%s/%s.crt", fx.dir, ca);
	snprintf(ca_key, sizeof(ca_key), "%s/%s.key", fx.dir, ca);
	path_in(ext, "san.cnf");
	write_file(ext, "subjectAltName=IP:127.0.0.1\n");
	assert_int_equal(run(sign), 0);
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

#endif
