/* The echo bridge, with a socketpair as the far end (the "adapter"): the echo
 * of each request is dropped, replies pass unchanged, a missing echo loses
 * nothing, and a vanished far end hangs up the pty. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "serial_bridge.h"

#define WAIT_MS 3000

/* Reads up to want bytes from fd, waiting at most ms for each; returns the count. */
static size_t read_upto(int fd, uint8_t *buf, size_t want, int ms)
{
	size_t got = 0;

	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			break;
		n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void write_full(int fd, const uint8_t *buf, size_t n)
{
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

static const uint8_t req[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x03, 0xB0, 0x0B};
static const uint8_t rsp[] = {0x01, 0x04, 0x06, 0x08, 0x90, 0x0E, 0x93, 0x02, 0x4E, 0xD2, 0x57};

struct echo_case {
	const char *name;
	bool drop_echo;
	size_t echo_split; /* far end sends the echo in two writes, split here (0: one) */
	bool echo;         /* the far end echoes the request */
	size_t want_dropped;
	bool want_echo_out; /* the echo reaches the pty (bridge not dropping) */
};

static const struct echo_case cases[] = {
        {"echo in one write", true, 0, true, sizeof(req), false},
        {"echo split across writes", true, 3, true, sizeof(req), false},
        {"adapter without echo", true, 0, false, 0, false},
        {"echo kept when not dropping", false, 0, true, 0, true},
};

static void run_case(const struct echo_case *c)
{
	int sp[2];
	uint8_t buf[64], want[64];
	size_t nwant = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	struct gw_serial_bridge *b = gw_serial_bridge_new(&sp[0], c->drop_echo, 200);
	assert_non_null(b);
	assert_int_equal(sp[0], -1);
	int tty = open(gw_serial_bridge_path(b), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(tty >= 0);

	write_full(tty, req, sizeof(req));
	assert_int_equal(read_upto(sp[1], buf, sizeof(req), WAIT_MS), sizeof(req));
	assert_memory_equal(buf, req, sizeof(req));
	if (c->echo && c->echo_split) {
		write_full(sp[1], req, c->echo_split);
		write_full(sp[1], req + c->echo_split, sizeof(req) - c->echo_split);
	} else if (c->echo) {
		write_full(sp[1], req, sizeof(req));
	}
	write_full(sp[1], rsp, sizeof(rsp));

	if (c->want_echo_out) {
		memcpy(want, req, sizeof(req));
		nwant = sizeof(req);
	}
	memcpy(want + nwant, rsp, sizeof(rsp));
	nwant += sizeof(rsp);
	assert_int_equal(read_upto(tty, buf, nwant, WAIT_MS), nwant);
	assert_memory_equal(buf, want, nwant);
	/* nothing more may follow (bounded wait, not a sleep) */
	assert_int_equal(read_upto(tty, buf, 1, 100), 0);
	assert_int_equal(gw_serial_bridge_echo_dropped(b), c->want_dropped);
	assert_false(gw_serial_bridge_is_lost(b));

	close(tty);
	close(sp[1]);
	gw_serial_bridge_free(b);
}

static void test_serial_bridge_cases_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		print_message("case: %s\n", cases[i].name);
		run_case(&cases[i]);
	}
}

static void test_serial_bridge_two_requests_ok(void **state)
{
	int sp[2];
	uint8_t buf[64];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	struct gw_serial_bridge *b = gw_serial_bridge_new(&sp[0], true, 200);
	assert_non_null(b);
	int tty = open(gw_serial_bridge_path(b), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(tty >= 0);
	for (int round = 0; round < 2; round++) {
		write_full(tty, req, sizeof(req));
		assert_int_equal(read_upto(sp[1], buf, sizeof(req), WAIT_MS), sizeof(req));
		write_full(sp[1], req, sizeof(req));
		write_full(sp[1], rsp, sizeof(rsp));
		assert_int_equal(read_upto(tty, buf, sizeof(rsp), WAIT_MS), sizeof(rsp));
		assert_memory_equal(buf, rsp, sizeof(rsp));
	}
	assert_int_equal(gw_serial_bridge_echo_dropped(b), 2 * sizeof(req));
	close(tty);
	close(sp[1]);
	gw_serial_bridge_free(b);
}

static void test_serial_bridge_far_gone_lost(void **state)
{
	int sp[2];
	uint8_t buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	struct gw_serial_bridge *b = gw_serial_bridge_new(&sp[0], true, 200);
	assert_non_null(b);
	int tty = open(gw_serial_bridge_path(b), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(tty >= 0);
	close(sp[1]);

	/* The pty hangs up: the reader sees an error or end of file, not silence. */
	struct pollfd p = {.fd = tty, .events = POLLIN};
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_true(read(tty, buf, sizeof(buf)) <= 0);
	assert_true(gw_serial_bridge_is_lost(b));
	close(tty);
	gw_serial_bridge_free(b);
}

static void test_serial_bridge_free_null_ok(void **state)
{
	(void)state;
	gw_serial_bridge_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_serial_bridge_cases_ok),
	        cmocka_unit_test(test_serial_bridge_two_requests_ok),
	        cmocka_unit_test(test_serial_bridge_far_gone_lost),
	        cmocka_unit_test(test_serial_bridge_free_null_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
