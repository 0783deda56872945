/* Cellular far ends: a dialled TCP connection (rtu_tcp) or a registered DTU's
 * socket (dtu_server) handed to a pty bridge. For a DTU the bridge's stream
 * filter drops heartbeats and registration prefixes (dtu_filter.c), notes when
 * the DTU last sent anything, and gives up a connection that sends more than
 * its byte cap. */
#include "dtu_far.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "dtu_filter.h"
#include "dtu_listen.h"
#include "log.h"

#define CONNECT_MS 5000

struct gw_far {
	struct gw_link_cfg cfg; /* strings borrowed */
	struct gw_dtu_slot *slot;
	bool open;
	char peer[GW_DTU_PEER_LEN];
	/* shuttle thread while open */
	struct gw_dtu_filter filt;
	int64_t win_start;
	size_t win_bytes;
	atomic_llong last_rx;           /* monotonic ms */
	atomic_uint_fast64_t discarded; /* bytes the filter dropped as unasked for */
};

struct gw_far *gw_far_new(const struct gw_link_cfg *cfg)
{
	struct gw_far *f = calloc(1, sizeof(*f));
	struct gw_dtu_slot_cfg sc;

	if (!f)
		return NULL;
	f->cfg = *cfg;
	atomic_init(&f->last_rx, 0);
	atomic_init(&f->discarded, 0);
	if (cfg->type != GW_LINK_DTU)
		return f;
	sc = (struct gw_dtu_slot_cfg){.name = cfg->name,
	                              .listen = cfg->listen,
	                              .port = cfg->port,
	                              .reg = cfg->reg,
	                              .reglen = cfg->reglen,
	                              .max_connections = cfg->max_connections};
	f->slot = gw_dtu_attach(&sc);
	if (!f->slot) {
		free(f);
		return NULL;
	}
	return f;
}

void gw_far_free(struct gw_far *f)
{
	if (!f)
		return;
	gw_dtu_detach(f->slot);
	free(f);
}

/* Connects to host:port within CONNECT_MS. Returns the fd or -errno. */
static int dial_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p;
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		err = errno;
		goto out_close;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, CONNECT_MS) <= 0) {
		err = ETIMEDOUT;
		goto out_close;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto out_close;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
out_close:
	close(fd);
	return -(err ? err : EIO);
}

static int dial(const struct gw_link_cfg *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	char port[8];
	int fd = -EHOSTUNREACH;

	snprintf(port, sizeof(port), "%u", (unsigned)c->port);
	if (getaddrinfo(c->host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = dial_one(ai);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

static void far_sent(void *ctx, const uint8_t *buf, size_t n)
{
	struct gw_far *f = ctx;

	gw_dtu_filter_sent(&f->filt, buf, n);
}

/* Over the cap in this second: the connection is given up (the DTU may dial again). */
static bool over_cap(struct gw_far *f, size_t n, int64_t now)
{
	if (!f->cfg.max_bytes_per_s)
		return false;
	if (now - f->win_start >= 1000) {
		f->win_start = now;
		f->win_bytes = 0;
	}
	f->win_bytes += n;
	return f->win_bytes > f->cfg.max_bytes_per_s;
}

static long far_recv(void *ctx, const uint8_t *in, size_t n, uint8_t *out)
{
	struct gw_far *f = ctx;
	int64_t now = gw_clock_mono_ms();
	uint64_t before = f->filt.unsolicited;
	size_t len;

	atomic_store(&f->last_rx, now);
	if (over_cap(f, n, now)) {
		gw_log(GW_WARN, "dtu", "bus=%s peer=%s sent over %u bytes/s: connection dropped",
		       f->cfg.name, f->peer, f->cfg.max_bytes_per_s);
		return -EMSGSIZE;
	}
	len = gw_dtu_filter_recv(&f->filt, in, n, out);
	atomic_fetch_add(&f->discarded, f->filt.unsolicited - before);
	return (long)len;
}

static int open_dtu(struct gw_far *f, struct gw_serial_bridge **out)
{
	struct gw_bridge_filter bf = {.ctx = f, .sent = far_sent, .recv = far_recv};
	int fd = gw_dtu_take(f->slot, f->peer);

	if (fd < 0)
		return fd;
	gw_dtu_filter_init(&f->filt, f->cfg.heartbeat, f->cfg.hblen, f->cfg.reg,
	                   f->cfg.reg_prefix ? f->cfg.reglen : 0);
	f->win_start = gw_clock_mono_ms();
	f->win_bytes = 0;
	atomic_store(&f->last_rx, f->win_start);
	*out = gw_serial_bridge_new_filtered(&fd, &bf);
	if (!*out) {
		gw_dtu_release(f->slot);
		return errno ? -errno : -ENOMEM;
	}
	gw_log(GW_INFO, "dtu", "bus=%s polling the DTU at %s", f->cfg.name, f->peer);
	return 0;
}

int gw_far_open(struct gw_far *f, struct gw_serial_bridge **out)
{
	int fd, rc;

	*out = NULL;
	if (f->cfg.type == GW_LINK_DTU)
		rc = open_dtu(f, out);
	else {
		fd = dial(&f->cfg);
		if (fd < 0)
			return fd;
		*out = gw_serial_bridge_new(&fd, false, 0);
		rc = *out ? 0 : (errno ? -errno : -ENOMEM);
	}
	f->open = rc == 0;
	return rc;
}

void gw_far_closed(struct gw_far *f)
{
	if (f->open && f->slot)
		gw_dtu_release(f->slot);
	f->open = false;
}

bool gw_far_is_stale(struct gw_far *f)
{
	int64_t silent;

	if (!f->slot || !f->open)
		return false;
	if (gw_dtu_has_newer(f->slot))
		return true;
	silent = gw_clock_mono_ms() - atomic_load(&f->last_rx);
	if (!f->cfg.heartbeat_s || silent <= 3000LL * f->cfg.heartbeat_s)
		return false;
	gw_log(GW_WARN, "dtu",
	       "bus=%s peer=%s silent for %lld s (3 heartbeats missed): connection dropped",
	       f->cfg.name, f->peer, (long long)(silent / 1000));
	return true;
}

uint64_t gw_far_discarded(const struct gw_far *f)
{
	return atomic_load(&f->discarded);
}
