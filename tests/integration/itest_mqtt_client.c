/* The MQTT client against a real mosquitto on 127.0.0.1 (started here in a temp dir on a free
 * port, stopped by PID): 2000 QoS 1 messages through the window arrive in order and each tag
 * comes back once; birth, clean "offline" and the last will after kill -9; a broker restart
 * mid-stream (loss reported, no stale acks, reconnect by itself); QoS 0 and 2 acks; TLS with
 * client certificates made here with openssl; user name + password file. Fails (not skips)
 * when mosquitto is missing. mqtt_collect reads back what the broker delivered. The pure parts
 * (URI, in-flight window with stale acks of a lost connection, TLS reasons) come first.
 * Acks come back batched (issue 15): 100 messages out with a window of 200, one wait returns
 * at least a quarter of the window at once. How it fails: waking the waiter on every PUBACK
 * (on_pub_ok broadcasting for each, has_pending true at the first ack) makes the first wait
 * return after the first ack or few ("acks_batched: first wait returned 1"). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "mqtt_client.h"
#include "mqtt_client_int.h"
#include "mqtt_itest.h"

#define NMSG 2000

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
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		int rc = gw_mqtt_server_uri(cases[i].url, uri, sizeof(uri), &tls);

		assert_int_equal(rc, cases[i].rc);
		if (!rc)
			assert_string_equal(uri, cases[i].uri);
	}
}

static void test_mqtt_client_window_order_and_full(void **state)
{
	struct gw_mqtt_window w;
	struct gw_mqtt_ticket *t[3];
	uint64_t tags[4];

	(void)state;
	assert_int_equal(gw_mqtt_window_init(&w, 3, &w), 0);
	for (unsigned i = 0; i < 3; i++)
		t[i] = gw_mqtt_window_take(&w, GW_TK_DATA, 10 + i);
	assert_true(gw_mqtt_window_full(&w));
	assert_true(gw_mqtt_window_done(&w, t[2], true));
	assert_true(gw_mqtt_window_done(&w, t[0], true));
	assert_int_equal(w.inflight, 1);
	assert_true(gw_mqtt_window_full(&w)); /* acked but not yet collected */
	assert_int_equal(gw_mqtt_window_collect(&w, tags, 1), 1);
	assert_int_equal(tags[0], 12);
	assert_false(gw_mqtt_window_full(&w));
	assert_int_equal(gw_mqtt_window_collect(&w, tags, 4), 1);
	assert_int_equal(tags[0], 10);
	assert_true(gw_mqtt_window_done(&w, t[1], false)); /* a failed send: no tag */
	assert_int_equal(gw_mqtt_window_collect(&w, tags, 4), 0);
	assert_int_equal(w.inflight, 0);
	gw_mqtt_window_release(&w);
}

static void test_mqtt_client_window_stale_ack_dropped(void **state)
{
	struct gw_mqtt_window w;
	struct gw_mqtt_ticket *old[12], *t;
	uint64_t tags[4];

	(void)state;
	assert_int_equal(gw_mqtt_window_init(&w, 1, &w), 0);
	/* Paho keeps the tickets of lost connections for a while: the window still lends. */
	for (unsigned i = 0; i < 12; i++) {
		old[i] = gw_mqtt_window_take(&w, GW_TK_DATA, i);
		assert_non_null(old[i]);
		assert_ptr_equal(old[i]->owner, &w);
		gw_mqtt_window_abandon(&w);
	}
	t = gw_mqtt_window_take(&w, GW_TK_DATA, 99);
	for (unsigned i = 0; i < 12; i++)
		assert_false(gw_mqtt_window_done(&w, old[i], true));
	assert_int_equal(gw_mqtt_window_collect(&w, tags, 4), 0);
	assert_int_equal(w.inflight, 1);
	assert_true(gw_mqtt_window_done(&w, t, true));
	assert_int_equal(gw_mqtt_window_collect(&w, tags, 4), 1);
	assert_int_equal(tags[0], 99);
	gw_mqtt_window_release(&w);
}

static void test_mqtt_client_tls_reason_ok(void **state)
{
	static const char line[] = "C0E6DF104B7F0000:error:0A000086:SSL routines:"
	                           "tls_post_process_server_certificate:certificate verify failed:"
	                           "../ssl/statem/statem_clnt.c:1889:";
	char buf[64];

	(void)state;
	gw_mqtt_tls_reason(line, strlen(line), buf, sizeof(buf));
	assert_string_equal(buf, "certificate verify failed");
	gw_mqtt_tls_reason("no colons", 9, buf, sizeof(buf));
	assert_string_equal(buf, "no colons");
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

static void test_mqtt_client_acks_batched(void **state)
{
	struct gw_mqtt_cfg c = plain_cfg(fx.plain.port);
	struct gw_mqtt_events ev;
	uint64_t tags[128];
	int64_t deadline;
	struct gw_mqtt *m;
	int n, total;

	(void)state;
	c.max_inflight = 200;
	m = open_client(&c, "fg-batch", "itest/batch-status");
	assert_true(drive_until_up(m, &ev));
	for (uint64_t t = 1; t <= 100; t++)
		assert_int_equal(gw_mqtt_publish(m, "itest/batch/x", "b", 1, 1, false, t), 0);
	n = gw_mqtt_wait(m, 5000, tags, 128, &ev);
	if (n < 50)
		fail_msg("acks_batched: first wait returned %d", n);
	deadline = now_ms() + 5000;
	for (total = n; total < 100 && now_ms() < deadline; total += n)
		n = gw_mqtt_wait(m, 500, tags, 128, &ev);
	assert_int_equal(total, 100);
	gw_mqtt_free(m);
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
	char creds[PATH_MAX], cred[PATH_MAX + 32], cred_err[160];
	struct broker b = {.pid = -1};
	struct gw_mqtt_cfg c;
	int saved, fd, rc = 0;

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
	/* The same password as the systemd credential LoadCredential= puts in the service's
	 * $CREDENTIALS_DIRECTORY; without that directory the client is refused, and says why. */
	c.password_file[0] = '\0';
	snprintf(c.password_credential, sizeof(c.password_credential), "fieldgate.mqtt-password");
	path_in(creds, "creds");
	assert_true(mkdir(creds, 0700) == 0 || errno == EEXIST);
	snprintf(cred, sizeof(cred), "%s/fieldgate.mqtt-password", creds);
	write_file(cred, "%s\n", right);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	expect_connect(&c, "fg-pw-cred", true, cred_err, sizeof(cred_err));
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_null(gw_mqtt_new(&c, "fg-pw-nocred", "itest/auth/status", &rc));
	assert_int_equal(rc, -ENOENT);
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
	assert_non_null(strstr(logged, "mqtt.password_credential fieldgate.mqtt-password: "
	                               "$CREDENTIALS_DIRECTORY is not set"));
}

/* ---- fixture ---- */

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
	        cmocka_unit_test(test_mqtt_client_window_order_and_full),
	        cmocka_unit_test(test_mqtt_client_window_stale_ack_dropped),
	        cmocka_unit_test(test_mqtt_client_tls_reason_ok),
	        cmocka_unit_test(test_mqtt_client_new_errors),
	        cmocka_unit_test(test_mqtt_client_2000_qos1_in_order),
	        cmocka_unit_test(test_mqtt_client_acks_batched),
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
