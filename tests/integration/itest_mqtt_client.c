/* The MQTT client against a real mosquitto on 127.0.0.1 (started here in a temp dir on a free
 * port, stopped by PID): 2000 QoS 1 messages through the window arrive in order and each tag
 * comes back once; birth, clean "offline" and the last will after kill -9; a broker restart
 * mid-stream (loss reported, no stale acks, reconnect by itself); QoS 0 and 2 acks; TLS with
 * client certificates made here with openssl; user name + password file. Fails (not skips)
 * when mosquitto is missing. mqtt_collect reads back what the broker delivered. */
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

#include "mqtt_client.h"

#define MOSQUITTO "/usr/sbin/mosquitto"
#define NMSG      2000

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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
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

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void path_in(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", fx.dir, name);
}

__attribute__((format(printf, 2, 3))) static void write_file(const char *path, const char *fmt, ...)
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
static pid_t spawn(char *const argv[], int out_fd, const char *log)
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
static int run(char *const argv[])
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
static int capture(char *const argv[], char *buf, size_t len)
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

static void stop_pid(pid_t *pid, int sig)
{
	if (*pid > 0) {
		kill(*pid, sig);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

/* Writes a mosquitto config for a broker named name (extra: listener options and more). */
static void broker_config(struct broker *b, const char *name, const char *extra)
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

static int broker_start(struct broker *b)
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
static pid_t collect_start(int port, const char *filter, const char *id, const char *out)
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
static void retained(int port, const char *topic, char *buf, size_t len)
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

static struct gw_mqtt_cfg plain_cfg(int port)
{
	struct gw_mqtt_cfg c = {.enabled = true, .qos = 1, .keepalive_s = 5, .max_inflight = 20};

	snprintf(c.url, sizeof(c.url), "mqtt://127.0.0.1:%d", port);
	return c;
}

static struct gw_mqtt *open_client(const struct gw_mqtt_cfg *c, const char *id, const char *status)
{
	int err = 1;
	struct gw_mqtt *m = gw_mqtt_new(c, id, status, &err);

	assert_non_null(m);
	assert_int_equal(err, 0);
	return m;
}

/* Drives m until it is up (true) or a connect attempt failed / 10 s passed (false). */
static bool drive_until_up(struct gw_mqtt *m, struct gw_mqtt_events *ev)
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
static void pump(struct gw_mqtt *m, const char *topic, uint64_t first, unsigned count, int qos,
                 unsigned *eagain)
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
static char *wait_lines(const char *path, unsigned want)
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

/* ---- cases ---- */

static void test_mqtt_client_server_uri_ok(void **state)
{
	static const struct {
		const char *url, *uri;
		int rc;
	} cases[] = {
	        {"mqtt://127.0.0.1:1883", "tcp://127.0.0.1:1883", 0},
	        {"mqtts://broker.example:8884", "ssl://broker.example:8884", 0},
	        {"tcp://h", "tcp://h:1883", 0},
	        {"ssl://h", "ssl://h:8883", 0},
	        {"mqtt://[::1]:1884", "tcp://[::1]:1884", 0},
	        {"http://h:80", NULL, -EINVAL},
	        {"mqtt://", NULL, -EINVAL},
	        {"mqtt://h:0", NULL, -EINVAL},
	        {"mqtt://h:65536", NULL, -EINVAL},
	        {"mqtt://h:1883/x", NULL, -EINVAL},
	        {"mqtt://user:pw@h:1883", NULL, -EINVAL},
	        {"mqtt://h:", NULL, -EINVAL},
	};
	char uri[128];
	bool tls;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = gw_mqtt_server_uri(cases[i].url, uri, sizeof(uri), &tls);

		assert_int_equal(rc, cases[i].rc);
		if (!rc)
			assert_string_equal(uri, cases[i].uri);
	}
}

static void test_mqtt_client_new_errors(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(1883);
	int err = 0;

	(void)state;
	snprintf(c.url, sizeof(c.url), "ws://127.0.0.1:1883");
	assert_null(gw_mqtt_new(&c, "id", "s/t", &err));
	assert_int_equal(err, -EINVAL);
	c = plain_cfg(1883);
	assert_null(gw_mqtt_new(&c, "id", "s/+", &err));
	assert_int_equal(err, -EINVAL);
	snprintf(c.password_file, sizeof(c.password_file), "%s/no-such-file", fx.dir);
	assert_null(gw_mqtt_new(&c, "id", "s/t", &err));
	assert_int_equal(err, -ENOENT);
	gw_mqtt_free(NULL);
}

static void test_mqtt_client_2000_qos1_in_order(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(fx.plain.port);
	struct gw_mqtt_events ev;
	char out[PATH_MAX], want[64], *lines, *line, *save = NULL;
	unsigned eagain = 0, i = 0;
	struct gw_mqtt *m;
	pid_t col;

	(void)state;
	path_in(out, "a.txt");
	col = collect_start(fx.plain.port, "itest/a/#", "collect-a", out);
	m = open_client(&c, "fg-a", "itest/a-status");
	assert_true(drive_until_up(m, &ev));
	assert_int_equal(gw_mqtt_publish(m, "itest/a/+", "x", 1, 1, false, 1), -EINVAL);
	pump(m, "itest/a/x", 0, NMSG, 1, &eagain);
	assert_true(eagain > 0); /* the window was full at times */
	gw_mqtt_free(m);
	lines = wait_lines(out, NMSG);
	stop_pid(&col, SIGTERM);
	for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		snprintf(want, sizeof(want), "itest/a/x\t%u\t0", i++);
		assert_string_equal(line, want);
	}
	free(lines);
	assert_int_equal(i, NMSG);
}

static pid_t lwt_child(int port, const char *topic, int *out_fd)
{
	char exe[PATH_MAX], port_s[16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *argv[] = {exe, "--lwt-child", port_s, (char *)topic, NULL};
	int p[2];
	pid_t pid;

	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(port_s, sizeof(port_s), "%d", port);
	assert_int_equal(pipe(p), 0);
	pid = spawn(argv, p[1], NULL);
	close(p[1]);
	*out_fd = p[0];
	return pid;
}

static void test_mqtt_client_birth_offline_will(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(fx.plain.port);
	struct gw_mqtt_events ev;
	char got[64] = "";
	struct pollfd pfd;
	struct gw_mqtt *m;
	int64_t deadline;
	pid_t child;
	int fd;

	(void)state;
	m = open_client(&c, "fg-b", "itest/b/status");
	assert_true(drive_until_up(m, &ev));
	retained(fx.plain.port, "itest/b/status", got, sizeof(got));
	assert_string_equal(got, "online");
	gw_mqtt_free(m);
	retained(fx.plain.port, "itest/b/status", got, sizeof(got));
	assert_string_equal(got, "offline");

	child = lwt_child(fx.plain.port, "itest/b/status", &fd);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	got[0] = '\0';
	if (poll(&pfd, 1, 10000) == 1 && read(fd, got, sizeof(got) - 1) > 0)
		got[strcspn(got, "\n")] = '\0';
	close(fd);
	assert_string_equal(got, "up");
	retained(fx.plain.port, "itest/b/status", got, sizeof(got));
	assert_string_equal(got, "online");
	stop_pid(&child, SIGKILL);
	deadline = now_ms() + 5000; /* the broker sees the socket close at once */
	do
		retained(fx.plain.port, "itest/b/status", got, sizeof(got));
	while (strcmp(got, "offline") != 0 && now_ms() < deadline);
	assert_string_equal(got, "offline");
}

/* Publishes until the broker is stopped after 200 acks; returns the next unused tag. */
static uint64_t stream_until_lost(struct gw_mqtt *m)
{
	int64_t deadline = now_ms() + 15000;
	struct gw_mqtt_events ev = {0};
	uint64_t tag = 0, tags[64];
	unsigned acked = 0;

	while (now_ms() < deadline) {
		int rc = 0, n;

		while (rc == 0 && fx.plain.pid > 0) {
			rc = gw_mqtt_publish(m, "itest/c/x", "c", 1, 1, false, tag);
			tag += rc == 0;
		}
		n = gw_mqtt_wait(m, 500, tags, 64, &ev);
		acked += (unsigned)n;
		if (ev.lost) {
			assert_int_equal(n, 0);
			assert_int_equal(ev.inflight, 0);
			assert_int_not_equal(ev.state, GW_MQTT_UP);
			assert_true(ev.error[0] != '\0');
			return tag;
		}
		if (acked >= 200 && fx.plain.pid > 0)
			stop_pid(&fx.plain.pid, SIGTERM);
	}
	fail_msg("no loss reported after the broker stopped");
	return 0;
}

static void test_mqtt_client_broker_restart(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(fx.plain.port);
	struct gw_mqtt_events ev = {0};
	uint64_t base, tags[64];
	unsigned eagain = 0;
	struct gw_mqtt *m;
	int64_t deadline;

	(void)state;
	m = open_client(&c, "fg-c", "itest/c/status");
	assert_true(drive_until_up(m, &ev));
	base = stream_until_lost(m) + 1000;
	assert_int_equal(gw_mqtt_publish(m, "itest/c/x", "c", 1, 1, false, base), -ENOTCONN);
	assert_int_equal(broker_start(&fx.plain), 0);
	deadline = now_ms() + 15000; /* back-off 1 s, then 2 s, 4 s ... */
	ev.connected = false;
	while (!ev.connected && now_ms() < deadline) {
		int n = gw_mqtt_wait(m, 500, tags, 64, &ev);

		assert_int_equal(n, 0); /* nothing of the lost connection */
	}
	assert_true(ev.connected);
	pump(m, "itest/c/x", base, 100, 1, &eagain);
	gw_mqtt_free(m);
}

static void test_mqtt_client_qos0_qos2_ack(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(fx.plain.port);
	struct gw_mqtt_events ev;
	unsigned eagain = 0;
	struct gw_mqtt *m;

	(void)state;
	m = open_client(&c, "fg-d", "itest/d/status");
	assert_true(drive_until_up(m, &ev));
	pump(m, "itest/d/q0", 0, 200, 0, &eagain);
	pump(m, "itest/d/q2", 1000, 200, 2, &eagain);
	pump(m, "itest/d/mixed", 2000, 300, -1, &eagain);
	gw_mqtt_free(m);
}

static void make_cert(const char *name, const char *cn, const char *ca)
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

static void tls_files(struct gw_mqtt_cfg *c, const char *ca, const char *cert)
{
	snprintf(c->ca_file, sizeof(c->ca_file), "%s/%s.crt", fx.dir, ca);
	if (cert) {
		snprintf(c->cert_file, sizeof(c->cert_file), "%s/%s.crt", fx.dir, cert);
		snprintf(c->key_file, sizeof(c->key_file), "%s/%s.key", fx.dir, cert);
	}
}

/* Connects with c; expects up (then one QoS 1 round trip) or a failed attempt. */
static void expect_connect(const struct gw_mqtt_cfg *c, const char *id, bool up, char *error,
                           size_t error_len)
{
	struct gw_mqtt *m = open_client(c, id, "itest/auth/status");
	struct gw_mqtt_events ev;
	unsigned eagain = 0;

	assert_int_equal(drive_until_up(m, &ev), up);
	snprintf(error, error_len, "%s", ev.error);
	if (up) {
		pump(m, "itest/auth/x", 0, 5, 1, &eagain);
	} else {
		assert_true(ev.failed);
		assert_int_not_equal(ev.state, GW_MQTT_UP);
		assert_true(ev.error[0] != '\0');
	}
	gw_mqtt_free(m);
}

static void test_mqtt_client_tls(void **state)
{
	struct broker b = {.pid = -1};
	struct gw_mqtt_cfg c;
	char extra[4 * PATH_MAX], err[160];

	(void)state;
	make_cert("ca", "itest-ca", NULL);
	make_cert("other-ca", "itest-other-ca", NULL);
	make_cert("server", "127.0.0.1", "ca");
	make_cert("client", "fg-tls", "ca");
	snprintf(extra, sizeof(extra),
	         "allow_anonymous true\ncafile %s/ca.crt\ncertfile %s/server.crt\n"
	         "keyfile %s/server.key\nrequire_certificate true\n",
	         fx.dir, fx.dir, fx.dir);
	broker_config(&b, "tls", extra);
	assert_int_equal(broker_start(&b), 0);
	c = plain_cfg(b.port);
	snprintf(c.url, sizeof(c.url), "mqtts://127.0.0.1:%d", b.port);
	tls_files(&c, "ca", "client");
	expect_connect(&c, "fg-tls-ok", true, err, sizeof(err));
	c.cert_file[0] = c.key_file[0] = '\0';
	expect_connect(&c, "fg-tls-nocert", false, err, sizeof(err));
	tls_files(&c, "other-ca", "client");
	expect_connect(&c, "fg-tls-wrongca", false, err, sizeof(err));
	stop_pid(&b.pid, SIGTERM);
}

/* Reads what was written to stderr since offset into buf. */
static void read_log(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

static void test_mqtt_client_password(void **state)
{
	static const char right[] = "Right-Pw-7c1", wrong[] = "Wrong-Pw-93d";
	char pwdb[PATH_MAX], extra[PATH_MAX + 64], err[160], log[PATH_MAX], logged[8192];
	char *passwd[] = {"/usr/bin/mosquitto_passwd", "-b", "-c", pwdb, "fg", (char *)right, NULL};
	struct broker b = {.pid = -1};
	struct gw_mqtt_cfg c;
	int saved, fd;

	(void)state;
	path_in(pwdb, "mosquitto.passwd");
	assert_int_equal(run(passwd), 0);
	snprintf(extra, sizeof(extra), "allow_anonymous false\npassword_file %s\n", pwdb);
	broker_config(&b, "auth", extra);
	assert_int_equal(broker_start(&b), 0);
	c = plain_cfg(b.port);
	snprintf(c.username, sizeof(c.username), "fg");
	path_in(c.password_file, "client.pw");
	path_in(log, "auth-stderr.log");

	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	write_file(c.password_file, "%s\n", right);
	expect_connect(&c, "fg-pw-right", true, err, sizeof(err));
	write_file(c.password_file, "%s\n", wrong);
	expect_connect(&c, "fg-pw-wrong", false, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	stop_pid(&b.pid, SIGTERM);

	assert_non_null(strstr(err, "not authorized") ? err : strstr(err, "bad user name"));
	assert_null(strstr(err, wrong));
	read_log(log, logged, sizeof(logged));
	assert_non_null(strstr(logged, "connect failed"));
	assert_null(strstr(logged, wrong));
	assert_null(strstr(logged, right));
}

/* ---- fixture ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	const char *env = getenv("MQTT_COLLECT");
	ssize_t n;

	(void)state;
	if (access(MOSQUITTO, X_OK) != 0) {
		fprintf(stderr, "mosquitto not installed at %s (scripts/setup.sh installs it)\n",
		        MOSQUITTO);
		return -1;
	}
	if (env) {
		snprintf(fx.collect, sizeof(fx.collect), "%s", env);
	} else {
		n = readlink("/proc/self/exe", fx.collect, sizeof(fx.collect) - 16);
		if (n <= 0)
			return -1;
		fx.collect[n] = '\0';
		strcpy(strrchr(fx.collect, '/') + 1, "mqtt_collect");
	}
	if (access(fx.collect, X_OK) != 0) {
		fprintf(stderr, "mqtt_collect not found at %s\n", fx.collect);
		return -1;
	}
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/itest_mqtt.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	broker_config(&fx.plain, "plain", NULL);
	return broker_start(&fx.plain);
}

static int group_teardown(void **state)
{
	(void)state;
	stop_pid(&fx.plain.pid, SIGTERM);
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* The child of the last-will case: connects, says "up", then idles until killed (60 s). */
static int lwt_child_main(const char *port, const char *topic)
{
	struct gw_mqtt_cfg c = plain_cfg((int)strtol(port, NULL, 10));
	struct gw_mqtt_events ev = {0};
	int64_t deadline = now_ms() + 60000;
	uint64_t tags[4];
	int err;
	struct gw_mqtt *m = gw_mqtt_new(&c, "fg-lwt", topic, &err);

	if (!m)
		return 1;
	while (!ev.connected && now_ms() < deadline)
		gw_mqtt_wait(m, 200, tags, 4, &ev);
	printf("%s\n", ev.connected ? "up" : "down");
	fflush(stdout);
	while (now_ms() < deadline)
		gw_mqtt_wait(m, 1000, tags, 4, &ev);
	gw_mqtt_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mqtt_client_server_uri_ok),
	        cmocka_unit_test(test_mqtt_client_new_errors),
	        cmocka_unit_test(test_mqtt_client_2000_qos1_in_order),
	        cmocka_unit_test(test_mqtt_client_birth_offline_will),
	        cmocka_unit_test(test_mqtt_client_broker_restart),
	        cmocka_unit_test(test_mqtt_client_qos0_qos2_ack),
	        cmocka_unit_test(test_mqtt_client_tls),
	        cmocka_unit_test(test_mqtt_client_password),
	};

	if (argc == 4 && strcmp(argv[1], "--lwt-child") == 0)
		return lwt_child_main(argv[2], argv[3]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
