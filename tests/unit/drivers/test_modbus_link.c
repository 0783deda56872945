/* The Modbus link: return-code tables, then real exchanges with small fakes
 * written here (a TCP peer on 127.0.0.1 and an RTU sensor on a pty whose
 * adapter echoes), including a peer restart and an unplugged serial device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "array.h"
#include "modbus_link.h"

#define WAIT_MS 3000

static const uint16_t regs[] = {0x0890, 0x0E93, 0x024E};

/* ---- return codes ---- */

static void test_modbus_link_quality_table_ok(void **state)
{
	static const struct {
		int rc;
		enum gw_quality q;
		bool lost;
	} cases[] = {
	        {0, GW_Q_GOOD, false},
	        {-ETIMEDOUT, GW_Q_TIMEOUT, false},
	        {-EREMOTEIO, GW_Q_EXCEPTION, false},
	        {-EBADMSG, GW_Q_CRC_ERROR, false},
	        {-ECONNRESET, GW_Q_TIMEOUT, true},
	        {-EPIPE, GW_Q_TIMEOUT, true},
	        {-EBADF, GW_Q_TIMEOUT, true},
	        {-ENOTCONN, GW_Q_TIMEOUT, true},
	        {-EIO, GW_Q_TIMEOUT, true},
	        {-ENXIO, GW_Q_TIMEOUT, true},
	        {-ENODEV, GW_Q_TIMEOUT, true},
	        {-EINVAL, GW_Q_TIMEOUT, false},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		print_message("rc=%d\n", cases[i].rc);
		assert_int_equal(gw_link_quality(cases[i].rc), cases[i].q);
		assert_int_equal(gw_link_rc_is_lost(cases[i].rc), cases[i].lost);
	}
}

static void test_modbus_link_unopened_notconn(void **state)
{
	struct gw_link_cfg cfg = {.type = GW_LINK_TCP, .host = "127.0.0.1", .port = 1};
	struct gw_link *l = gw_link_new(&cfg);
	uint16_t w;
	int exc = -1;

	(void)state;
	assert_non_null(l);
	assert_false(gw_link_is_open(l));
	assert_int_equal(gw_link_read(l, 1, GW_REG_HOLDING, 0, 1, &w, &exc), -ENOTCONN);
	assert_int_equal(exc, 0);
	assert_int_equal(gw_link_read(l, 1, GW_REG_HOLDING, 0, 0, &w, &exc), -EINVAL);
	gw_link_free(l);
	gw_link_free(NULL);
}

/* ---- a TCP peer: the register address picks the behaviour ---- */

enum {
	ADDR_OK = 0,
	ADDR_EXC = 0x100,
	ADDR_SILENT = 0x200,
	ADDR_WRONG_FN = 0x300,
	ADDR_HANGUP = 0x400
};

struct tcp_peer {
	int lfd;
	uint16_t port;
	int stop[2];
	pthread_t thread;
	uint16_t written[2]; /* last write: addr, value */
};

static bool read_n(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, WAIT_MS) <= 0)
			return false;
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static size_t pdu_reply(struct tcp_peer *pp, const uint8_t *pdu, uint8_t *out)
{
	uint8_t fn = pdu[0];
	uint16_t addr = (uint16_t)(pdu[1] << 8 | pdu[2]);
	uint16_t count = (uint16_t)(pdu[3] << 8 | pdu[4]);
	size_t len = 0;

	if (fn == 0x06) {
		pp->written[0] = addr;
		pp->written[1] = count;
		memcpy(out, pdu, 5);
		return 5;
	}
	if (addr == ADDR_EXC) {
		out[0] = (uint8_t)(fn | 0x80);
		out[1] = 2;
		return 2;
	}
	out[len++] = addr == ADDR_WRONG_FN ? (uint8_t)(fn ^ 0x07) : fn;
	if (fn == 0x01 || fn == 0x02) {
		out[len++] = 1;
		out[len++] = 0x05; /* bits 1, 0, 1 */
		return len;
	}
	out[len++] = (uint8_t)(2 * count);
	for (uint16_t i = 0; i < count; i++) {
		out[len++] = (uint8_t)(regs[i % 3] >> 8);
		out[len++] = (uint8_t)regs[i % 3];
	}
	return len;
}

/* Serves one connection; returns false when the peer should drop it. */
static bool serve_one(struct tcp_peer *pp, int fd)
{
	uint8_t hdr[7], pdu[260], out[270];
	size_t n;

	if (!read_n(fd, hdr, 7))
		return false;
	if (!read_n(fd, pdu, (size_t)(hdr[4] << 8 | hdr[5]) - 1))
		return false;
	uint16_t addr = (uint16_t)(pdu[1] << 8 | pdu[2]);
	if (addr == ADDR_HANGUP)
		return false;
	if (addr == ADDR_SILENT)
		return true;
	n = pdu_reply(pp, pdu, out + 7);
	memcpy(out, hdr, 7);
	out[4] = (uint8_t)((n + 1) >> 8);
	out[5] = (uint8_t)(n + 1);
	return write(fd, out, n + 7) == (ssize_t)(n + 7);
}

static void *tcp_peer_main(void *arg)
{
	struct tcp_peer *pp = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = pp->lfd, .events = POLLIN},
		                      {.fd = pp->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return NULL;
		int fd = accept(pp->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		for (;;) {
			struct pollfd q[2] = {{.fd = fd, .events = POLLIN},
			                      {.fd = pp->stop[0], .events = POLLIN}};
			if (poll(q, 2, -1) < 0 || q[1].revents) {
				close(fd);
				return NULL;
			}
			if (!serve_one(pp, fd))
				break;
		}
		close(fd);
	}
}

static void tcp_peer_start(struct tcp_peer *pp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(pp, 0, sizeof(*pp));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pp->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(pp->lfd >= 0);
	assert_int_equal(bind(pp->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(pp->lfd, 4), 0);
	assert_int_equal(getsockname(pp->lfd, (struct sockaddr *)&sa, &sl), 0);
	pp->port = ntohs(sa.sin_port);
	assert_int_equal(pipe(pp->stop), 0);
	assert_int_equal(pthread_create(&pp->thread, NULL, tcp_peer_main, pp), 0);
}

static void tcp_peer_stop(struct tcp_peer *pp)
{
	assert_int_equal(write(pp->stop[1], "x", 1), 1);
	pthread_join(pp->thread, NULL);
	close(pp->lfd);
	close(pp->stop[0]);
	close(pp->stop[1]);
}

static void test_modbus_link_tcp_cases_ok(void **state)
{
	static const struct {
		const char *name;
		enum gw_regkind kind;
		uint16_t addr, count;
		int rc, exception;
		uint16_t words[3];
	} cases[] = {
	        {"holding", GW_REG_HOLDING, ADDR_OK, 3, 0, 0, {0x0890, 0x0E93, 0x024E}},
	        {"input", GW_REG_INPUT, ADDR_OK, 2, 0, 0, {0x0890, 0x0E93}},
	        {"coils widened", GW_REG_COIL, ADDR_OK, 3, 0, 0, {1, 0, 1}},
	        {"discrete widened", GW_REG_DISCRETE, ADDR_OK, 3, 0, 0, {1, 0, 1}},
	        {"exception", GW_REG_HOLDING, ADDR_EXC, 1, -EREMOTEIO, 2, {0}},
	        {"silent", GW_REG_HOLDING, ADDR_SILENT, 1, -ETIMEDOUT, 0, {0}},
	        {"wrong function", GW_REG_HOLDING, ADDR_WRONG_FN, 1, -EBADMSG, 0, {0}},
	        {"fine after errors", GW_REG_HOLDING, ADDR_OK, 1, 0, 0, {0x0890}},
	};
	struct tcp_peer pp;

	(void)state;
	tcp_peer_start(&pp);
	struct gw_link_cfg cfg = {.type = GW_LINK_TCP,
	                          .host = "127.0.0.1",
	                          .port = pp.port,
	                          .response_timeout_ms = 150};
	struct gw_link *l = gw_link_new(&cfg);
	assert_non_null(l);
	assert_int_equal(gw_link_connect(l), 0);
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		uint16_t w[3] = {0xFFFF, 0xFFFF, 0xFFFF};
		int exc = -1;

		print_message("case: %s\n", cases[i].name);
		assert_int_equal(
		        gw_link_read(l, 3, cases[i].kind, cases[i].addr, cases[i].count, w, &exc),
		        cases[i].rc);
		assert_int_equal(exc, cases[i].exception);
		if (cases[i].rc == 0)
			assert_memory_equal(w, cases[i].words, cases[i].count * sizeof(w[0]));
	}
	assert_int_equal(gw_link_write_register(l, 3, 0x0010, 7, NULL), 0);
	assert_int_equal(pp.written[0], 0x0010);
	assert_int_equal(pp.written[1], 7);
	gw_link_free(l);
	tcp_peer_stop(&pp);
}

static void test_modbus_link_tcp_peer_restart_reconnects(void **state)
{
	struct tcp_peer pp;
	uint16_t w[3];

	(void)state;
	tcp_peer_start(&pp);
	struct gw_link_cfg cfg = {.type = GW_LINK_TCP,
	                          .host = "127.0.0.1",
	                          .port = pp.port,
	                          .response_timeout_ms = 500};
	struct gw_link *l = gw_link_new(&cfg);
	assert_int_equal(gw_link_connect(l), 0);
	int rc = gw_link_read(l, 3, GW_REG_HOLDING, ADDR_HANGUP, 1, w, NULL);
	assert_true(gw_link_rc_is_lost(rc));
	gw_link_close(l);
	assert_false(gw_link_is_open(l));
	assert_int_equal(gw_link_connect(l), 0);
	assert_int_equal(gw_link_read(l, 3, GW_REG_HOLDING, ADDR_OK, 3, w, NULL), 0);
	assert_int_equal(w[2], 0x024E);
	gw_link_free(l);
	tcp_peer_stop(&pp);
}

static void test_modbus_link_tcp_refused_fails(void **state)
{
	struct tcp_peer pp;

	(void)state;
	tcp_peer_start(&pp);
	uint16_t port = pp.port;
	tcp_peer_stop(&pp); /* the port is free again: nothing listens */
	struct gw_link_cfg cfg = {.type = GW_LINK_TCP, .host = "127.0.0.1", .port = port};
	struct gw_link *l = gw_link_new(&cfg);
	assert_int_equal(gw_link_connect(l), -ECONNREFUSED);
	assert_false(gw_link_is_open(l));
	gw_link_free(l);
}

/* ---- an RTU sensor on a pty, behind an adapter that may echo ---- */

struct rtu_sensor {
	int master;
	char path[64];
	bool echo;
	pthread_t thread;
};

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* Answers one read request (any unit) with regs, after echoing it if asked. */
static void *rtu_sensor_main(void *arg)
{
	struct rtu_sensor *s = arg;
	uint8_t req[8], rsp[16];
	size_t n = 0;

	if (!read_n(s->master, req, sizeof(req)))
		return NULL;
	if (s->echo && write(s->master, req, sizeof(req)) != (ssize_t)sizeof(req))
		return NULL;
	rsp[n++] = req[0];
	rsp[n++] = req[1];
	rsp[n++] = 6;
	for (int i = 0; i < 3; i++) {
		rsp[n++] = (uint8_t)(regs[i] >> 8);
		rsp[n++] = (uint8_t)regs[i];
	}
	uint16_t crc = crc16(rsp, n);
	rsp[n++] = (uint8_t)crc;
	rsp[n++] = (uint8_t)(crc >> 8);
	if (write(s->master, rsp, n) != (ssize_t)n)
		return NULL;
	return NULL;
}

static void rtu_sensor_plug(struct rtu_sensor *s, const char *link_path)
{
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(s->master >= 0);
	assert_int_equal(grantpt(s->master), 0);
	assert_int_equal(unlockpt(s->master), 0);
	assert_int_equal(ptsname_r(s->master, s->path, sizeof(s->path)), 0);
	unlink(link_path);
	assert_int_equal(symlink(s->path, link_path), 0);
}

static void rtu_sensor_answer(struct rtu_sensor *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, rtu_sensor_main, s), 0);
}

static int rtu_read(struct gw_link *l, struct rtu_sensor *s, uint16_t *w)
{
	int rc;

	rtu_sensor_answer(s);
	rc = gw_link_read(l, 1, GW_REG_HOLDING, 0, 3, w, NULL);
	pthread_join(s->thread, NULL);
	return rc;
}

static void test_modbus_link_rtu_echo_cases_ok(void **state)
{
	static const struct {
		const char *name;
		bool adapter_echoes, link_echo;
		bool want_ok;
	} cases[] = {
	        {"echo handled", true, true, true},
	        {"echo handling, adapter without echo", false, true, true},
	        {"plain line", false, false, true},
	        {"echo not handled breaks the reply", true, false, false},
	};
	char dir[] = "/tmp/gw-link-XXXXXX", dev[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dev, sizeof(dev), "%s/ttyUSB0", dir);
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct rtu_sensor s = {.echo = cases[i].adapter_echoes};
		struct gw_link_cfg cfg = {.type = GW_LINK_RTU,
		                          .device = dev,
		                          .baud = 9600,
		                          .parity = 'N',
		                          .data_bits = 8,
		                          .stop_bits = 1,
		                          .echo = cases[i].link_echo,
		                          .response_timeout_ms = 300};
		uint16_t w[3] = {0};

		print_message("case: %s\n", cases[i].name);
		rtu_sensor_plug(&s, dev);
		struct gw_link *l = gw_link_new(&cfg);
		assert_int_equal(gw_link_connect(l), 0);
		int rc = rtu_read(l, &s, w);
		if (cases[i].want_ok) {
			assert_int_equal(rc, 0);
			assert_memory_equal(w, regs, sizeof(regs));
		} else {
			assert_int_not_equal(rc, 0);
		}
		gw_link_free(l);
		close(s.master);
	}
	unlink(dev);
	rmdir(dir);
}

static void test_modbus_link_rtu_unplug_replug_ok(void **state)
{
	char dir[] = "/tmp/gw-link-XXXXXX", dev[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dev, sizeof(dev), "%s/ttyUSB0", dir);
	for (int echo = 0; echo < 2; echo++) {
		struct rtu_sensor s = {.echo = echo};
		struct gw_link_cfg cfg = {.type = GW_LINK_RTU,
		                          .device = dev,
		                          .baud = 9600,
		                          .parity = 'N',
		                          .echo = echo,
		                          .response_timeout_ms = 300};
		uint16_t w[3];

		print_message("echo=%d\n", echo);
		rtu_sensor_plug(&s, dev);
		struct gw_link *l = gw_link_new(&cfg);
		assert_int_equal(gw_link_connect(l), 0);
		assert_int_equal(rtu_read(l, &s, w), 0);
		close(s.master); /* unplugged */
		int rc = gw_link_read(l, 1, GW_REG_HOLDING, 0, 3, w, NULL);
		print_message("after unplug rc=%d\n", rc);
		assert_true(gw_link_rc_is_lost(rc));
		gw_link_close(l);
		assert_int_not_equal(gw_link_connect(l), 0);
		rtu_sensor_plug(&s, dev); /* back, under the same name */
		assert_int_equal(gw_link_connect(l), 0);
		assert_int_equal(rtu_read(l, &s, w), 0);
		assert_int_equal(w[1], 0x0E93);
		gw_link_free(l);
		close(s.master);
	}
	unlink(dev);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_modbus_link_quality_table_ok),
	        cmocka_unit_test(test_modbus_link_unopened_notconn),
	        cmocka_unit_test(test_modbus_link_tcp_cases_ok),
	        cmocka_unit_test(test_modbus_link_tcp_peer_restart_reconnects),
	        cmocka_unit_test(test_modbus_link_tcp_refused_fails),
	        cmocka_unit_test(test_modbus_link_rtu_echo_cases_ok),
	        cmocka_unit_test(test_modbus_link_rtu_unplug_replug_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
