/* The simulator as a cellular DTU: RTU frames (with CRC, no MBAP) over TCP
 * connections, either accepted on its own port (rtu_tcp) or on the one
 * connection it dials to the gateway's listener (dtu), which opens with the
 * registration packet, carries heartbeats, in prefix mode puts the
 * registration in front of every packet, and, when flaky, is dropped and
 * dialled again from a new port. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "sim_int.h"

#define REDIAL_MS       1000
#define FLAKY_REDIAL_MS 200

int gw_sim_dtu_open(struct gw_sim_bus *b)
{
	b->fd = -1;
	b->abandoned_fd = -1;
	b->dial_at = gw_clock_mono_ms();
	b->hb_at = b->drop_at = 0;
	return 0;
}

void gw_sim_dtu_close(struct gw_sim_bus *b)
{
	if (b->abandoned_fd >= 0)
		close(b->abandoned_fd);
	b->abandoned_fd = -1;
	gw_sim_tcp_close(b);
}

int64_t gw_sim_dtu_due(const struct gw_sim_bus *b)
{
	int64_t due = INT64_MAX;

	if (b->conns[0].fd < 0)
		return b->dial_at;
	if (b->cfg.heartbeat_ms && b->cfg.hblen)
		due = b->hb_at;
	if (b->drop_at && b->drop_at < due)
		due = b->drop_at;
	return due;
}

/* Sends one packet: the registration first in prefix mode. */
static void send_packet(struct gw_sim_bus *b, int conn, unsigned gen, const uint8_t *data,
                        size_t len)
{
	uint8_t out[2 * GW_SIM_MAX_ADU];
	size_t n = 0;

	if (b->cfg.transport == GW_SIM_DTU && b->cfg.reg_prefix) {
		memcpy(out, b->cfg.reg, b->cfg.reglen);
		n = b->cfg.reglen;
	}
	memcpy(out + n, data, len);
	gw_sim_tcp_send(b, conn, gen, out, n + len);
}

static int dial(const struct gw_sim_bus *b)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	char port[8];
	int fd = -1;

	snprintf(port, sizeof(port), "%u", b->cfg.port);
	if (getaddrinfo(b->cfg.host, port, &hints, &res))
		return -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static void dial_now(struct gw_sim_bus *b, int64_t now)
{
	struct gw_sim_conn *c = &b->conns[0];
	int fd = dial(b);

	if (fd < 0) {
		b->dial_at = now + REDIAL_MS;
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->rxlen = 0;
	b->dials++;
	gw_log(GW_INFO, "sim", "bus=%s dtu dialled %s:%u (dial %u)", b->cfg.name, b->cfg.host,
	       b->cfg.port, b->dials);
	/* registration on connect; in prefix mode the first heartbeat carries it */
	if (!b->cfg.reg_prefix || !b->cfg.hblen)
		gw_sim_tcp_send(b, 0, c->gen, b->cfg.reg, b->cfg.reglen);
	b->hb_at = b->cfg.reg_prefix ? now : now + b->cfg.heartbeat_ms;
	b->drop_at = b->cfg.flaky_ms ? now + b->cfg.flaky_ms : 0;
}

void gw_sim_dtu_tick(struct gw_sim *sim, size_t bus, int64_t now)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	struct gw_sim_conn *c = &b->conns[0];

	if (c->fd < 0) {
		if (now >= b->dial_at)
			dial_now(b, now);
		return;
	}
	if (b->drop_at && now >= b->drop_at) {
		gw_log(GW_INFO, "sim", "bus=%s dtu link lost (flaky): dialling again", b->cfg.name);
		/* as when a carrier's NAT forgets the path: no FIN, the old socket just goes quiet
		 */
		if (b->abandoned_fd >= 0)
			close(b->abandoned_fd);
		b->abandoned_fd = c->fd;
		c->fd = -1;
		c->rxlen = 0;
		c->gen++;
		b->dial_at = now + FLAKY_REDIAL_MS;
		return;
	}
	if (b->cfg.hblen && b->cfg.heartbeat_ms && now >= b->hb_at) {
		send_packet(b, 0, c->gen, b->cfg.heartbeat, b->cfg.hblen);
		b->hb_at = now + b->cfg.heartbeat_ms;
	}
}

/* Answers one RTU frame from connection conn; false when it was closed. */
static bool serve(struct gw_sim *sim, size_t bus, int conn, const uint8_t *frame, size_t len)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	struct gw_sim_conn *c = &b->conns[conn];
	struct gw_sim_reply r;
	uint8_t out[2 * GW_SIM_MAX_ADU];
	size_t n = 0, k;

	if (len < 4 ||
	    gw_sim_crc16(frame, len - 2) != (uint16_t)(frame[len - 2] | frame[len - 1] << 8))
		return true; /* noise on the line: nothing answers */
	gw_sim_answer(sim, b, frame[0], frame + 1, len - 3, &r);
	if (r.fault.drop && !r.fault.silent) {
		gw_sim_tcp_conn_close(c);
		return false;
	}
	if (!r.len)
		return true;
	if (b->cfg.transport == GW_SIM_DTU && b->cfg.reg_prefix) {
		memcpy(out, b->cfg.reg, b->cfg.reglen);
		n = b->cfg.reglen;
	}
	k = gw_sim_rtu_build(frame[0], r.pdu, r.len, out + n);
	if (r.fault.crc) {
		out[n + k - 2] ^= 0xFF;
		out[n + k - 1] ^= 0xFF;
	}
	if (r.fault.delay_ms)
		gw_sim_defer(sim, bus, conn, c->gen, out, n + k, r.fault.delay_ms);
	else
		gw_sim_tcp_send(b, conn, c->gen, out, n + k);
	return c->fd >= 0;
}

void gw_sim_dtu_read(struct gw_sim *sim, size_t bus, int conn)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	struct gw_sim_conn *c = &b->conns[conn];
	ssize_t got = read(c->fd, c->rx + c->rxlen, sizeof(c->rx) - c->rxlen);
	int n;

	if (got <= 0) {
		if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
			gw_sim_tcp_conn_close(c);
			b->dial_at = gw_clock_mono_ms() + REDIAL_MS;
		}
		return;
	}
	c->rxlen += (size_t)got;
	while ((n = gw_sim_rtu_request_len(c->rx, c->rxlen)) > 0 && c->rxlen >= (size_t)n) {
		if (n > GW_SIM_MAX_ADU || !serve(sim, bus, conn, c->rx, (size_t)n)) {
			c->rxlen = 0;
			return;
		}
		c->rxlen -= (size_t)n;
		memmove(c->rx, c->rx + n, c->rxlen);
	}
	if (n < 0 || c->rxlen == sizeof(c->rx))
		c->rxlen = 0; /* not a request we can size: wait for the next one */
}
