/* The echo-dropping pty bridge: libmodbus opens the pty slave; a shuttle
 * thread copies requests from the pty master to the far end and replies back,
 * removing from the far end's stream exactly the bytes just written to it.
 * It does not parse Modbus frames: a missing or mangled echo is passed on. */
#include "serial_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/poll.h>
#include <termios.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "log.h"

#define ECHO_MAX 512 /* more than one RTU frame (256) */
#define CHUNK    512
#define WRITE_MS 2000 /* longest a stuck writer may block the shuttle */

struct gw_serial_bridge {
	int master;
	int slave; /* held open so the master never sees a hangup between opens */
	int far;
	int wake[2];
	bool drop_echo;
	unsigned echo_timeout_ms;
	struct gw_bridge_filter filter; /* all NULL: none */
	char path[64];
	pthread_t thread;
	atomic_bool lost;
	atomic_size_t dropped;
	/* shuttle thread only */
	uint8_t pending[ECHO_MAX]; /* written to the far end, echo not yet seen */
	size_t npending;
	size_t matched; /* leading bytes of pending already seen as echo */
	int64_t echo_deadline;
};

static speed_t baud_speed(uint32_t baud)
{
	static const struct {
		uint32_t baud;
		speed_t speed;
	} rates[] = {{1200, B1200},   {2400, B2400},     {4800, B4800},
	             {9600, B9600},   {19200, B19200},   {38400, B38400},
	             {57600, B57600}, {115200, B115200}, {230400, B230400}};

	for (size_t i = 0; i < GW_ARRAY_LEN(rates); i++)
		if (rates[i].baud == baud)
			return rates[i].speed;
	return 0;
}

static int tty_configure(int fd, const struct gw_link_cfg *cfg)
{
	struct termios tio;
	speed_t speed = baud_speed(cfg->baud ? cfg->baud : 9600);

	if (!speed)
		return -EINVAL;
	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= CLOCAL | CREAD;
	switch (cfg->data_bits) {
	case 7:
		tio.c_cflag |= CS7;
		break;
	default:
		tio.c_cflag |= CS8;
		break;
	}
	if (cfg->stop_bits == 2)
		tio.c_cflag |= CSTOPB;
	if (cfg->parity == 'E' || cfg->parity == 'O')
		tio.c_cflag |= PARENB;
	if (cfg->parity == 'O')
		tio.c_cflag |= PARODD;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	tcflush(fd, TCIOFLUSH);
	return 0;
}

int gw_serial_bridge_open_tty(const struct gw_link_cfg *cfg)
{
	int fd, rc;

	if (!cfg->device)
		return -EINVAL;
	fd = open(cfg->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = tty_configure(fd, cfg);
	if (rc)
		goto out_close;
	if (cfg->rs485) {
		struct serial_rs485 rs = {.flags = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND};

		if (ioctl(fd, TIOCSRS485, &rs) < 0)
			gw_log(GW_WARN, "link", "dev=%s kernel RS-485 mode not supported: %s",
			       cfg->device, strerror(errno));
	}
	return fd;
out_close:
	close(fd);
	return rc;
}

/* Writes all of buf to a non-blocking fd, waiting at most WRITE_MS in all. */
static int write_all(int fd, const uint8_t *buf, size_t n)
{
	int64_t deadline = gw_clock_mono_ms() + WRITE_MS;

	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		int64_t left = deadline - gw_clock_mono_ms();
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

static void echo_remember(struct gw_serial_bridge *b, const uint8_t *buf, size_t n)
{
	if (b->npending + n > ECHO_MAX) {
		/* Longer than any frame: something else is going on, stop guessing. */
		b->npending = 0;
		b->matched = 0;
		return;
	}
	memcpy(b->pending + b->npending, buf, n);
	b->npending += n;
	b->echo_deadline = gw_clock_mono_ms() + b->echo_timeout_ms;
}

/* Filters far-end bytes into out (room for 2 * n + ECHO_MAX); returns its length. */
static size_t echo_filter(struct gw_serial_bridge *b, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (b->npending == 0) {
			out[len++] = in[i];
			continue;
		}
		if (in[i] == b->pending[b->matched]) {
			if (++b->matched == b->npending) {
				atomic_fetch_add(&b->dropped, b->npending);
				b->npending = 0;
				b->matched = 0;
			}
			continue;
		}
		/* Not the echo after all: what looked like it is data. */
		memcpy(out + len, b->pending, b->matched);
		len += b->matched;
		out[len++] = in[i];
		b->npending = 0;
		b->matched = 0;
	}
	return len;
}

/* Called when a partial echo waited too long: hand the matched bytes on. */
static int echo_expire(struct gw_serial_bridge *b)
{
	int rc = 0;

	if (b->matched)
		rc = write_all(b->master, b->pending, b->matched);
	b->npending = 0;
	b->matched = 0;
	return rc;
}

static int shuttle_to_far(struct gw_serial_bridge *b)
{
	uint8_t buf[CHUNK];
	ssize_t n = read(b->master, buf, sizeof(buf));

	if (n <= 0)
		return (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) ? -errno : 0;
	if (b->drop_echo)
		echo_remember(b, buf, (size_t)n);
	if (b->filter.sent)
		b->filter.sent(b->filter.ctx, buf, (size_t)n);
	return write_all(b->far, buf, (size_t)n);
}

static int shuttle_from_far(struct gw_serial_bridge *b)
{
	uint8_t buf[CHUNK + GW_BRIDGE_SLACK];
	uint8_t out[2 * (CHUNK + GW_BRIDGE_SLACK) + ECHO_MAX];
	ssize_t n = read(b->far, buf, CHUNK);
	size_t len;

	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	if (b->filter.recv) {
		uint8_t raw[CHUNK];
		long k;

		memcpy(raw, buf, (size_t)n);
		k = b->filter.recv(b->filter.ctx, raw, (size_t)n, buf);
		if (k < 0)
			return (int)k;
		n = (ssize_t)k;
	}
	len = echo_filter(b, buf, (size_t)n, out);
	return len ? write_all(b->master, out, len) : 0;
}

static int poll_timeout(const struct gw_serial_bridge *b)
{
	int64_t left;

	if (b->npending == 0)
		return -1;
	left = b->echo_deadline - gw_clock_mono_ms();
	return left > 0 ? (int)left : 0;
}

static void *shuttle(void *arg)
{
	struct gw_serial_bridge *b = arg;
	int rc = 0;

	while (rc == 0) {
		struct pollfd p[3] = {{.fd = b->master, .events = POLLIN},
		                      {.fd = b->far, .events = POLLIN},
		                      {.fd = b->wake[0], .events = POLLIN}};
		int n = poll(p, 3, poll_timeout(b));

		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n <= 0)
			rc = (n == 0) ? echo_expire(b) : 0;
		else if (p[2].revents)
			return NULL;
		else if (p[1].revents & POLLIN)
			rc = shuttle_from_far(b);
		else if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			rc = -ECONNRESET;
		if (rc == 0 && n > 0 && (p[0].revents & POLLIN))
			rc = shuttle_to_far(b);
	}
	/* The far end is gone: hang up the pty so its reader gets an error, not silence. */
	atomic_store(&b->lost, true);
	close(b->master);
	b->master = -1;
	return NULL;
}

static int pty_open(struct gw_serial_bridge *b)
{
	struct termios tio;

	b->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (b->master < 0)
		return -errno;
	if (grantpt(b->master) < 0 || unlockpt(b->master) < 0 ||
	    ptsname_r(b->master, b->path, sizeof(b->path)) != 0)
		return -errno;
	b->slave = open(b->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (b->slave < 0)
		return -errno;
	if (tcgetattr(b->slave, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	if (tcsetattr(b->slave, TCSANOW, &tio) < 0)
		return -errno;
	if (fcntl(b->master, F_SETFL, O_NONBLOCK) < 0 || fcntl(b->far, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void bridge_close_fds(struct gw_serial_bridge *b)
{
	int *fds[] = {&b->master, &b->slave, &b->far, &b->wake[0], &b->wake[1]};

	for (size_t i = 0; i < GW_ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static struct gw_serial_bridge *bridge_start(int *far_fd, bool drop_echo, unsigned echo_timeout_ms,
                                             const struct gw_bridge_filter *f)
{
	struct gw_serial_bridge *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		close(*far_fd);
		*far_fd = -1;
		return NULL;
	}
	b->master = b->slave = b->wake[0] = b->wake[1] = -1;
	b->far = *far_fd;
	*far_fd = -1;
	b->drop_echo = drop_echo;
	b->echo_timeout_ms = echo_timeout_ms ? echo_timeout_ms : 100;
	if (f)
		b->filter = *f;
	atomic_init(&b->lost, false);
	atomic_init(&b->dropped, 0);
	rc = pty_open(b);
	if (rc)
		goto out_free;
	if (pipe2(b->wake, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = -pthread_create(&b->thread, NULL, shuttle, b);
	if (rc)
		goto out_free;
	return b;
out_free:
	bridge_close_fds(b);
	free(b);
	errno = -rc;
	return NULL;
}

struct gw_serial_bridge *gw_serial_bridge_new(int *far_fd, bool drop_echo, unsigned echo_timeout_ms)
{
	return bridge_start(far_fd, drop_echo, echo_timeout_ms, NULL);
}

struct gw_serial_bridge *gw_serial_bridge_new_filtered(int *far_fd,
                                                       const struct gw_bridge_filter *f)
{
	return bridge_start(far_fd, false, 0, f);
}

void gw_serial_bridge_free(struct gw_serial_bridge *b)
{
	if (!b)
		return;
	if (write(b->wake[1], "x", 1) < 0)
		gw_log(GW_ERR, "link", "bridge wake failed: %s", strerror(errno));
	pthread_join(b->thread, NULL);
	bridge_close_fds(b);
	free(b);
}

const char *gw_serial_bridge_path(const struct gw_serial_bridge *b)
{
	return b->path;
}

bool gw_serial_bridge_is_lost(const struct gw_serial_bridge *b)
{
	return atomic_load(&b->lost);
}

size_t gw_serial_bridge_echo_dropped(const struct gw_serial_bridge *b)
{
	return atomic_load(&b->dropped);
}
