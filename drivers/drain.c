/* Line draining for the Modbus link: poll and read until the line is quiet.
 * Reads through EOF and errors by stopping: the link notices a lost line on
 * its next exchange, not here. */
#include "drain.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define CHUNK     256
#define DRAIN_MAX 65536 /* a line that never stops talking is left to the next exchange */

/* Reads what poll says is there. Returns bytes read, 0 at EOF or on error. */
static size_t read_some(int fd, uint8_t *keep, size_t cap, size_t have)
{
	uint8_t buf[CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return 0;
	if (have < cap) {
		size_t k = cap - have < (size_t)n ? cap - have : (size_t)n;

		memcpy(keep + have, buf, k);
	}
	return (size_t)n;
}

size_t gw_drain_now(int fd)
{
	return gw_drain_wait(fd, 0, 0, 0, NULL, 0);
}

size_t gw_drain_wait(int fd, unsigned min_ms, unsigned quiet_ms, unsigned max_ms, uint8_t *keep,
                     size_t cap)
{
	int64_t start = gw_clock_mono_ms();
	int64_t quiet_from = start;
	size_t total = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		int64_t now = gw_clock_mono_ms();
		int64_t until = quiet_from + quiet_ms;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		size_t n;
		int rc;

		if (until < start + min_ms)
			until = start + min_ms;
		if (until > start + max_ms)
			until = start + max_ms;
		rc = poll(&p, 1, until > now ? (int)(until - now) : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0 || !(p.revents & POLLIN))
			return total;
		n = read_some(fd, keep, cap, total);
		if (n == 0)
			return total;
		total += n;
		quiet_from = gw_clock_mono_ms();
		if (total >= DRAIN_MAX || (max_ms && quiet_from - start >= (int64_t)max_ms))
			return total;
	}
}
