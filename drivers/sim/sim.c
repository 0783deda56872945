/* The simulator's core: buses of slaves, the poll() loop, delayed replies and
 * the faults in force. Transports live in sim_net.c (TCP) and sim_pty.c (RTU);
 * PDUs in sim_pdu.c. Single-threaded; nothing is allocated inside the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "sim_int.h"

/* A 32-bit build with 64-bit time_t (armhf): glibc 2.36's _FORTIFY_SOURCE wrapper of ppoll
 * (bits/poll2.h) calls the 32-bit ppoll even then, which reads the low half of this struct
 * timespec's 64-bit tv_sec as the seconds and its high half as the nanoseconds (a 0.5 s wait
 * would be none). The 64-bit entry point (glibc >= 2.34), which ppoll names without
 * fortification, is called directly. */
#if defined(__USE_TIME_BITS64) && __USE_TIME_BITS64 && __TIMESIZE == 32
extern int __ppoll64(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                     const sigset_t *sigmask);
#define sim_ppoll __ppoll64
#else
#define sim_ppoll ppoll
#endif

struct gw_sim *gw_sim_new(const struct gw_sim_opts *opts)
{
	struct gw_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->opts = *opts;
	if (!(sim->opts.speed > 0))
		sim->opts.speed = 1.0;
	if (!sim->opts.start_ms)
		sim->opts.start_ms = gw_clock_wall_ms();
	sim->clock = (struct gw_simclock){.start_ms = sim->opts.start_ms,
	                                  .speed = sim->opts.speed,
	                                  .mono_us = gw_clock_mono_us()};
	return sim;
}

static void bus_close(struct gw_sim_bus *b)
{
	if (b->cfg.transport == GW_SIM_RTU)
		gw_sim_pty_close(b);
	else if (b->cfg.transport == GW_SIM_DTU)
		gw_sim_dtu_close(b);
	else
		gw_sim_tcp_close(b);
	free(b->slaves);
	b->slaves = NULL;
}

void gw_sim_free(struct gw_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; i < sim->nbuses; i++)
		bus_close(&sim->buses[i]);
	free(sim->buses);
	free(sim->pfds);
	free(sim->pfd_bus);
	free(sim->pfd_conn);
	free(sim);
}

int64_t gw_sim_now(const struct gw_sim *sim)
{
	return gw_simclock_at(&sim->clock, gw_clock_mono_us());
}

void gw_sim_clock(const struct gw_sim *sim, struct gw_simclock *out)
{
	*out = sim->clock;
}

static int bus_slaves(struct gw_sim *sim, struct gw_sim_bus *b, const struct gw_sim_bus_cfg *cfg)
{
	b->slaves = calloc(cfg->nunits ? cfg->nunits : 1, sizeof(*b->slaves));
	if (!b->slaves)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nunits; i++) {
		if (gw_sim_slave_init(&b->slaves[i], &cfg->units[i], sim->opts.seed, cfg->baud)) {
			gw_log(GW_ERR, "sim", "bus=%s sensor=%s: profile has too many registers",
			       cfg->name, cfg->units[i].sensor);
			return -E2BIG;
		}
	}
	b->nslaves = cfg->nunits;
	return 0;
}

/* Grows the poll arrays to fit every fd of every bus (done before the loop). */
static int pfds_grow(struct gw_sim *sim)
{
	size_t cap = sim->nbuses * (1 + GW_SIM_MAX_CONNS);
	struct pollfd *p = realloc(sim->pfds, cap * sizeof(*p));
	size_t *pb;
	int *pc;

	if (!p)
		return -ENOMEM;
	sim->pfds = p;
	pb = realloc(sim->pfd_bus, cap * sizeof(*pb));
	if (!pb)
		return -ENOMEM;
	sim->pfd_bus = pb;
	pc = realloc(sim->pfd_conn, cap * sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	sim->pfd_conn = pc;
	sim->npfd_cap = cap;
	return 0;
}

int gw_sim_add_bus(struct gw_sim *sim, const struct gw_sim_bus_cfg *cfg)
{
	struct gw_sim_bus *buses = realloc(sim->buses, (sim->nbuses + 1) * sizeof(*buses));
	struct gw_sim_bus *b;
	int rc;

	if (!buses)
		return -ENOMEM;
	sim->buses = buses;
	b = &buses[sim->nbuses];
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	b->cfg.units = NULL;
	b->fd = b->slave_fd = -1;
	for (size_t i = 0; i < GW_SIM_MAX_CONNS; i++)
		b->conns[i].fd = -1;
	rc = bus_slaves(sim, b, cfg);
	if (rc)
		goto out_slaves;
	rc = cfg->transport == GW_SIM_RTU   ? gw_sim_pty_open(b)
	     : cfg->transport == GW_SIM_DTU ? gw_sim_dtu_open(b)
	                                    : gw_sim_tcp_open(b);
	if (rc)
		goto out_slaves;
	sim->nbuses++;
	rc = pfds_grow(sim);
	if (rc) {
		sim->nbuses--;
		goto out_close;
	}
	return 0;
out_close:
	bus_close(b);
	return rc;
out_slaves:
	free(b->slaves);
	return rc;
}

size_t gw_sim_nbuses(const struct gw_sim *sim)
{
	return sim->nbuses;
}

uint16_t gw_sim_port(const struct gw_sim *sim, size_t bus)
{
	return bus < sim->nbuses ? sim->buses[bus].port : 0;
}

int gw_sim_describe(const struct gw_sim *sim, size_t bus, char *buf, size_t len)
{
	const struct gw_sim_bus *b = &sim->buses[bus];
	int n;

	if (b->cfg.transport == GW_SIM_TCP || b->cfg.transport == GW_SIM_RTU_TCP)
		n = snprintf(buf, len, "bus %s %s at %s:%u (%zu units)", b->cfg.name,
		             b->cfg.transport == GW_SIM_TCP ? "tcp" : "rtu_tcp", b->cfg.host,
		             b->port, b->nslaves);
	else if (b->cfg.transport == GW_SIM_DTU)
		n = snprintf(buf, len, "bus %s dtu dialling %s:%u (%zu units)", b->cfg.name,
		             b->cfg.host, b->cfg.port, b->nslaves);
	else
		n = snprintf(buf, len, "bus %s rtu at %s (%zu units)", b->cfg.name, b->cfg.link,
		             b->nslaves);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int gw_sim_adopt(struct gw_sim *sim, size_t bus, int fd)
{
	if (bus >= sim->nbuses || (sim->buses[bus].cfg.transport != GW_SIM_TCP &&
	                           sim->buses[bus].cfg.transport != GW_SIM_RTU_TCP)) {
		close(fd);
		return -EINVAL;
	}
	return gw_sim_tcp_add_conn(&sim->buses[bus], fd);
}

void gw_sim_answer(struct gw_sim *sim, struct gw_sim_bus *b, uint8_t unit, const uint8_t *pdu,
                   size_t len, struct gw_sim_reply *out)
{
	uint8_t scratch[GW_SIM_MAX_PDU];
	int64_t now = gw_sim_now(sim);

	memset(&out->fault, 0, sizeof(out->fault));
	out->len = 0;
	if (unit == 0) {
		/* broadcast: every slave acts, none answers */
		for (size_t i = 0; i < b->nslaves; i++)
			if (!b->slaves[i].fault.silent)
				gw_sim_pdu_answer(&b->slaves[i], now, pdu, len, scratch);
		return;
	}
	for (size_t i = 0; i < b->nslaves; i++) {
		struct gw_sim_slave *s = &b->slaves[i];

		if (s->unit != unit)
			continue;
		out->fault = s->fault;
		if (!s->fault.silent)
			out->len = gw_sim_pdu_answer(s, now, pdu, len, out->pdu);
		if (gw_log_enabled(GW_DEBUG))
			gw_log(GW_DEBUG, "sim", "bus=%s unit=%u fc=%u answered=%zu", b->cfg.name,
			       unit, len ? pdu[0] : 0, out->len);
		return;
	}
}

void gw_sim_defer(struct gw_sim *sim, size_t bus, int conn, unsigned gen, const uint8_t *adu,
                  size_t len, unsigned delay_ms)
{
	for (size_t i = 0; i < GW_SIM_MAX_PENDING; i++) {
		struct gw_sim_pending *p = &sim->pending[i];

		if (p->used)
			continue;
		*p = (struct gw_sim_pending){.used = true,
		                             .due_mono = gw_clock_mono_ms() + delay_ms,
		                             .bus = bus,
		                             .conn = conn,
		                             .gen = gen,
		                             .len = len};
		memcpy(p->data, adu, len);
		return;
	}
	gw_log(GW_WARN, "sim", "bus=%s too many delayed replies: one dropped",
	       sim->buses[bus].cfg.name);
}

static void fire_due(struct gw_sim *sim, int64_t now)
{
	for (size_t i = 0; i < GW_SIM_MAX_PENDING; i++) {
		struct gw_sim_pending *p = &sim->pending[i];
		struct gw_sim_bus *b;

		if (!p->used || p->due_mono > now)
			continue;
		p->used = false;
		b = &sim->buses[p->bus];
		if (p->conn >= 0)
			gw_sim_tcp_send(b, p->conn, p->gen, p->data, p->len);
		else
			gw_sim_pty_send(b, p->data, p->len, false);
	}
}

/* How long poll may wait: until the next delayed reply or RTU silence. */
static int wait_ms(const struct gw_sim *sim, int max_wait_ms, int64_t now)
{
	int64_t until = now + (max_wait_ms < 0 ? 3600000 : max_wait_ms);

	for (size_t i = 0; i < GW_SIM_MAX_PENDING; i++)
		if (sim->pending[i].used && sim->pending[i].due_mono < until)
			until = sim->pending[i].due_mono;
	for (size_t i = 0; i < sim->nbuses; i++) {
		const struct gw_sim_bus *b = &sim->buses[i];

		if (b->cfg.transport == GW_SIM_RTU && b->rxlen &&
		    b->rx_mono + GW_SIM_SILENCE_MS < until)
			until = b->rx_mono + GW_SIM_SILENCE_MS;
		if (b->cfg.transport == GW_SIM_DTU && gw_sim_dtu_due(b) < until)
			until = gw_sim_dtu_due(b);
	}
	return until <= now ? 0 : (int)(until - now);
}

static nfds_t pfds_fill(struct gw_sim *sim)
{
	nfds_t n = 0;

	for (size_t i = 0; i < sim->nbuses; i++) {
		struct gw_sim_bus *b = &sim->buses[i];

		sim->pfds[n] = (struct pollfd){.fd = b->fd, .events = POLLIN};
		sim->pfd_bus[n] = i;
		sim->pfd_conn[n++] = -1;
		for (int c = 0; c < GW_SIM_MAX_CONNS; c++) {
			if (b->conns[c].fd < 0)
				continue;
			sim->pfds[n] = (struct pollfd){.fd = b->conns[c].fd, .events = POLLIN};
			sim->pfd_bus[n] = i;
			sim->pfd_conn[n++] = c;
		}
	}
	return n;
}

int gw_sim_step(struct gw_sim *sim, int max_wait_ms, const sigset_t *sigmask)
{
	int64_t now = gw_clock_mono_ms();
	int ms = wait_ms(sim, max_wait_ms, now);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nfds_t n = pfds_fill(sim);
	int rc = sim_ppoll(sim->pfds, n, &ts, sigmask);

	if (rc < 0 && errno != EINTR)
		return -errno;
	for (nfds_t i = 0; rc > 0 && i < n; i++) {
		struct gw_sim_bus *b = &sim->buses[sim->pfd_bus[i]];

		if (!sim->pfds[i].revents)
			continue;
		if (sim->pfd_conn[i] >= 0 && b->cfg.transport == GW_SIM_TCP)
			gw_sim_tcp_read(sim, sim->pfd_bus[i], sim->pfd_conn[i]);
		else if (sim->pfd_conn[i] >= 0)
			gw_sim_dtu_read(sim, sim->pfd_bus[i], sim->pfd_conn[i]);
		else if (b->cfg.transport != GW_SIM_RTU)
			gw_sim_tcp_accept(b);
		else
			gw_sim_pty_read(sim, sim->pfd_bus[i]);
	}
	now = gw_clock_mono_ms();
	for (size_t i = 0; i < sim->nbuses; i++) {
		if (sim->buses[i].cfg.transport == GW_SIM_RTU)
			gw_sim_pty_silence(sim, i, now);
		if (sim->buses[i].cfg.transport == GW_SIM_DTU)
			gw_sim_dtu_tick(sim, i, now);
	}
	fire_due(sim, now);
	return rc < 0 ? -EINTR : 0;
}
