/* Modbus TCP transport of the simulator: a listening socket per bus, up to
 * GW_SIM_MAX_CONNS clients, MBAP requests cut from each client's stream and
 * answered (or faulted: dropped connection, garbled reply, delay). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sim_int.h"

static int listen_on(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int gw_sim_tcp_open(struct gw_sim_bus *b)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	char port[8];
	int rc = -EADDRNOTAVAIL;
	int gai;

	snprintf(port, sizeof(port), "%u", b->cfg.port);
	gai = getaddrinfo(b->cfg.host[0] ? b->cfg.host : NULL, port, &hints, &res);
	if (gai) {
		gw_log(GW_ERR, "sim", "bus=%s host=%s: %s", b->cfg.name, b->cfg.host,
		       gai_strerror(gai));
		return -EADDRNOTAVAIL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		rc = listen_on(ai);
		if (rc >= 0)
			break;
	}
	freeaddrinfo(res);
	if (rc < 0) {
		/* the usual cause: a second simulator (or demo) on the same config */
		gw_log(GW_ERR, "sim", "bus=%s listen %s:%u: %s%s", b->cfg.name, b->cfg.host,
		       b->cfg.port, strerror(-rc),
		       rc == -EADDRINUSE
		               ? " (another process serves this port, perhaps another "
		                 "`fieldgate sim` on the same config: stop it, or give the "
		                 "bus another port; scripts/demo.sh picks free ones)"
		               : "");
		return rc;
	}
	b->fd = rc;
	b->port = bound_port(rc);
	return 0;
}

static void conn_close(struct gw_sim_conn *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	c->rxlen = 0;
	c->gen++;
}

void gw_sim_tcp_conn_close(struct gw_sim_conn *c)
{
	conn_close(c);
}

void gw_sim_tcp_close(struct gw_sim_bus *b)
{
	for (size_t i = 0; i < GW_SIM_MAX_CONNS; i++)
		conn_close(&b->conns[i]);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

int gw_sim_tcp_add_conn(struct gw_sim_bus *b, int fd)
{
	for (size_t i = 0; i < GW_SIM_MAX_CONNS; i++) {
		if (b->conns[i].fd >= 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		b->conns[i].fd = fd;
		b->conns[i].rxlen = 0;
		return 0;
	}
	gw_log(GW_WARN, "sim", "bus=%s too many clients (max %d): one refused", b->cfg.name,
	       GW_SIM_MAX_CONNS);
	close(fd);
	return -EMFILE;
}

void gw_sim_tcp_accept(struct gw_sim_bus *b)
{
	int fd = accept4(b->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0)
		gw_sim_tcp_add_conn(b, fd);
}

void gw_sim_tcp_send(struct gw_sim_bus *b, int conn, unsigned gen, const uint8_t *adu, size_t len)
{
	struct gw_sim_conn *c = &b->conns[conn];

	if (c->fd < 0 || c->gen != gen)
		return; /* the client left before a delayed reply was due */
	if (send(c->fd, adu, len, MSG_NOSIGNAL) != (ssize_t)len)
		conn_close(c);
}

/* The crc fault over TCP: a well-formed frame answering the wrong function. */
static void garble(uint8_t *pdu)
{
	uint8_t ex = pdu[0] & 0x80, fc = pdu[0] & 0x7F;

	if (fc == 0x0F || fc == 0x10)
		fc = fc == 0x0F ? 0x10 : 0x0F;
	else if (fc >= 1 && fc <= 6)
		fc = (fc & 1) ? (uint8_t)(fc + 1) : (uint8_t)(fc - 1);
	else
		fc ^= 0x40;
	pdu[0] = (uint8_t)(ex | fc);
}

/* Serves one MBAP request; returns false when the connection was closed. */
static bool serve(struct gw_sim *sim, size_t bus, int conn, const uint8_t *adu, size_t len,
                  const struct gw_sim_mbap *hdr)
{
	struct gw_sim_bus *b = &sim->buses[bus];
	struct gw_sim_conn *c = &b->conns[conn];
	struct gw_sim_reply r;
	uint8_t out[GW_SIM_MAX_ADU];
	size_t n;

	gw_sim_answer(sim, b, hdr->unit, adu + 7, len - 7, &r);
	if (r.fault.drop && !r.fault.silent) {
		conn_close(c);
		return false;
	}
	if (!r.len)
		return true;
	if (r.fault.crc)
		garble(r.pdu);
	n = gw_sim_mbap_build(hdr->tid, hdr->unit, r.pdu, r.len, out);
	if (r.fault.delay_ms)
		gw_sim_defer(sim, bus, conn, c->gen, out, n, r.fault.delay_ms);
	else
		gw_sim_tcp_send(b, conn, c->gen, out, n);
	return c->fd >= 0;
}

void gw_sim_tcp_read(struct gw_sim *sim, size_t bus, int conn)
{
	struct gw_sim_conn *c = &sim->buses[bus].conns[conn];
	struct gw_sim_mbap hdr;
	ssize_t got = read(c->fd, c->rx + c->rxlen, sizeof(c->rx) - c->rxlen);
	int n;

	if (got <= 0) {
		if (got == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	c->rxlen += (size_t)got;
	while ((n = gw_sim_mbap_parse(c->rx, c->rxlen, &hdr)) > 0 && c->rxlen >= (size_t)n) {
		if (!serve(sim, bus, conn, c->rx, (size_t)n, &hdr))
			return;
		c->rxlen -= (size_t)n;
		memmove(c->rx, c->rx + n, c->rxlen);
	}
	if (n < 0) {
		gw_log(GW_INFO, "sim", "bus=%s client sent a non-Modbus frame: closed",
		       sim->buses[bus].cfg.name);
		conn_close(c);
	}
}
