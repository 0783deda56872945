/* sd_notify without libsystemd: a datagram to $NOTIFY_SOCKET (a path, or "@name" in the
 * abstract namespace). Keeps no state and never logs: callers decide what a failure means. */
#include "notify.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "num.h"

static int notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	if (n < 2 || (name[0] != '/' && name[0] != '@') || n >= sizeof(sa->sun_path))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	return 0;
}

int gw_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, rc;

	if (!name || !*name)
		return 1;
	rc = notify_addr(name, &sa, &len);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	rc = sent < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int64_t gw_notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	long us, p;

	if (!usec || gw_num_long(usec, 1, LONG_MAX, &us))
		return 0;
	if (pid && *pid && (gw_num_long(pid, 1, INT32_MAX, &p) || p != (long)getpid()))
		return 0;
	return us < 1000 ? 1 : (int64_t)(us / 1000);
}
