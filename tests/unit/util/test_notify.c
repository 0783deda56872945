/* The service manager's notification protocol: a datagram to $NOTIFY_SOCKET (a path or an
 * abstract "@name"), nothing without it, bad names refused; the watchdog interval from
 * $WATCHDOG_USEC, only for the process $WATCHDOG_PID names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "notify.h"

/* A datagram socket bound at name (a path, or "@x" abstract). Returns the fd. */
static int listener(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
	                 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_notify_path_sends(void **state)
{
	char dir[] = "/tmp/gw_notify_XXXXXX", path[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(gw_notify("READY=1\nSTATUS=polling"), 0);
	expect_datagram(fd, "READY=1\nSTATUS=polling");
	assert_int_equal(gw_notify("WATCHDOG=1"), 0);
	expect_datagram(fd, "WATCHDOG=1");
	close(fd);
	unlink(path);
	/* the socket is gone: an error, not a crash */
	assert_int_equal(gw_notify("WATCHDOG=1"), -ENOENT);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

static void test_notify_abstract_sends(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@gw-notify-test-%ld", (long)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(gw_notify("STOPPING=1"), 0);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_notify_without_socket_noop(void **state)
{
	static const char *const bad[] = {"relative/path", "@", "/", ""};

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(gw_notify("READY=1"), 1);
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		assert_int_equal(gw_notify("READY=1"), bad[i][0] ? -EINVAL : 1);
	}
	unsetenv("NOTIFY_SOCKET");
}

static void test_notify_watchdog_interval(void **state)
{
	static const struct {
		const char *usec, *pid;
		int64_t want_ms;
	} cases[] = {
	        {NULL, NULL, 0},        {"30000000", NULL, 30000}, {"30000000", "self", 30000},
	        {"30000000", "1", 0},   {"abc", NULL, 0},          {"-5", NULL, 0},
	        {"500", NULL, 1},       {"2000000", "", 2000},     {"0", NULL, 0},
	        {"30000000x", NULL, 0},
	};
	char self[32];

	(void)state;
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		if (cases[i].usec)
			setenv("WATCHDOG_USEC", cases[i].usec, 1);
		else
			unsetenv("WATCHDOG_USEC");
		if (cases[i].pid)
			setenv("WATCHDOG_PID", strcmp(cases[i].pid, "self") ? cases[i].pid : self,
			       1);
		else
			unsetenv("WATCHDOG_PID");
		assert_int_equal(gw_notify_watchdog_ms(), cases[i].want_ms);
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_notify_path_sends),
	        cmocka_unit_test(test_notify_abstract_sends),
	        cmocka_unit_test(test_notify_without_socket_noop),
	        cmocka_unit_test(test_notify_watchdog_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
