/* Modbus RTU transport of the simulator: a pty pair whose slave end is
 * symlinked where the config points. Frames are cut by function-code length
 * (or at a silence), checked by CRC, and answered only when the line settings
 * the master put on the tty match the bus (as on a real line). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "log.h"
#include "sim_int.h"

static const struct {
	uint32_t baud;
	speed_t speed;
} speeds[] = {
        {1200, B1200},   {2400, B2400},   {4800, B4800},   {9600, B9600},
        {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200},
};

static speed_t speed_of(uint32_t baud)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(speeds); i++)
		if (speeds[i].baud == baud)
			return speeds[i].speed;
	return B9600;
}

static void line_settings(const struct gw_sim_bus_cfg *cfg, struct termios *t)
{
	cfmakeraw(t);
	cfsetispeed(t, speed_of(cfg->baud ? cfg->baud : 9600));
	cfsetospeed(t, speed_of(cfg->baud ? cfg->baud : 9600));
	t->c_cflag &= ~(tcflag_t)(PARENB | PARODD | CSIZE | CSTOPB);
	t->c_cflag |= CLOCAL | CREAD | (cfg->data_bits == 7 ? CS7 : CS8);
	if (cfg->parity == 'E' || cfg->parity == 'O')
		t->c_cflag |= PARENB | (cfg->parity == 'O' ? PARODD : 0);
}

/* mkdir -p of path's directory. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int make_link(struct gw_sim_bus *b)
{
	struct stat st;
	int rc = make_parent(b->cfg.link);

	if (rc)
		return rc;
	if (lstat(b->cfg.link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			gw_log(GW_ERR, "sim", "bus=%s %s exists and is not a symlink: not replaced",
			       b->cfg.name, b->cfg.link);
			return -EEXIST;
		}
		if (unlink(b->cfg.link) < 0)
			return -errno;
	}
	if (symlink(b->pts, b->cfg.link) < 0)
		return -errno;
	b->linked = true;
	return 0;
}

static int open_pair(struct gw_sim_bus *b)
{
	struct termios t;
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	b->fd = fd;
	if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, b->pts, sizeof(b->pts)))
		return -errno;
	b->slave_fd = open(b->pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (b->slave_fd < 0)
		return -errno;
	if (tcgetattr(b->slave_fd, &t) < 0)
		return -errno;
	line_settings(&b->cfg, &t);
	if (tcsetattr(b->slave_fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

int gw_sim_pty_open(struct gw_sim_bus *b)
{
	int rc = open_pair(b);

	if (!rc)
		rc = make_link(b);
	if (rc) {
		gw_log(GW_ERR, "sim", "bus=%s rtu at %s: %s", b->cfg.name, b->cfg.link,
		       strerror(-rc));
		gw_sim_pty_close(b);
	}
	return rc;
}

void gw_sim_pty_close(struct gw_sim_bus *b)
{
	char target[sizeof(b->pts)];
	ssize_t n;

	if (b->linked) {
		/* only our own link: someone may have replaced it meanwhile */
		n = readlink(b->cfg.link, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strcmp(target, b->pts) == 0))
			unlink(b->cfg.link);
		b->linked = false;
	}
	if (b->slave_fd >= 0)
		close(b->slave_fd);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = b->slave_fd = -1;
}

/* True when whoever opened the line set it up as the bus expects. */
static bool line_matches(const struct gw_sim_bus *b)
{
	struct termios want, got;

	if (!b->cfg.baud || tcgetattr(b->slave_fd, &got) < 0)
		return true;
	memset(&want, 0, sizeof(want));
	line_settings(&b->cfg, &want);
	return cfgetispeed(&got) == cfgetispeed(&want) &&
	       (got.c_cflag & (PARENB | PARODD | CSIZE)) ==
	               (want.c_cflag & (PARENB | PARODD | CSIZE));
}

void gw_sim_pty_send(struct gw_sim_bus *b, const uint8_t *adu, size_t len, bool flush_stale)
{
	/* a reply nobody read (the master gave up) must not greet the next one */
	if (flush_stale)
		tcflush(b->slave_fd, TCIFLUSH);
	if (write(b->fd, adu, len) != (ssize_t)len)
		gw_log(GW_DEBUG, "sim", "bus=%s reply not written: %s", b->cfg.name,
		       strerror(errno));
}

static void serve(struct gw_sim *sim, size_t bus, const uint8_t *frame, size_t len)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	struct gw_sim_reply r;
	uint8_t out[GW_SIM_MAX_ADU];
	size_t n;

	if (b->cfg.echo)
		gw_sim_pty_send(b, frame, len, true);
	if (len < 4 ||
	    gw_sim_crc16(frame, len - 2) != (uint16_t)(frame[len - 2] | frame[len - 1] << 8)) {
		b->rxlen = 0; /* noise: wait for the line to settle */
		return;
	}
	if (!line_matches(b))
		return;
	gw_sim_answer(sim, b, frame[0], frame + 1, len - 3, &r);
	if (!r.len)
		return;
	n = gw_sim_rtu_build(frame[0], r.pdu, r.len, out);
	if (r.fault.crc) {
		out[n - 2] ^= 0xFF;
		out[n - 1] ^= 0xFF;
	}
	if (r.fault.drop)
		n /= 2; /* the line drops mid-frame */
	if (r.fault.delay_ms)
		gw_sim_defer(sim, bus, -1, 0, out, n, r.fault.delay_ms);
	else
		gw_sim_pty_send(b, out, n, !b->cfg.echo);
}

void gw_sim_pty_read(struct gw_sim *sim, size_t bus)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	ssize_t got = read(b->fd, b->rx + b->rxlen, sizeof(b->rx) - b->rxlen);
	int n;

	if (got <= 0)
		return;
	b->rxlen += (size_t)got;
	b->rx_mono = gw_clock_mono_ms();
	while ((n = gw_sim_rtu_request_len(b->rx, b->rxlen)) > 0 && b->rxlen >= (size_t)n) {
		if (n > GW_SIM_MAX_ADU) {
			b->rxlen = 0;
			return;
		}
		serve(sim, bus, b->rx, (size_t)n);
		if (b->rxlen < (size_t)n)
			return; /* serve() dropped the buffer */
		b->rxlen -= (size_t)n;
		memmove(b->rx, b->rx + n, b->rxlen);
	}
	if (b->rxlen == sizeof(b->rx))
		b->rxlen = 0;
}

void gw_sim_pty_silence(struct gw_sim *sim, size_t bus, int64_t now_mono)
{
	struct gw_sim_bus *b = &sim->buses[bus];

	if (!b->rxlen || now_mono < b->rx_mono + GW_SIM_SILENCE_MS)
		return;
	/* a frame of a function we cannot size ends here; anything else is noise */
	if (gw_sim_rtu_request_len(b->rx, b->rxlen) < 0)
		serve(sim, bus, b->rx, b->rxlen);
	b->rxlen = 0;
}
