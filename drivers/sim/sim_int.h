/* Internals shared by the simulator's own files (sim.c, sim_net.c, sim_pty.c):
 * the bus, connection and delayed-reply records. Not for other modules. */
#ifndef GW_SIM_INT_H
#define GW_SIM_INT_H

#include <poll.h>

#include "sim.h"

#define GW_SIM_MAX_PENDING 64
#define GW_SIM_RX_CAP      (2 * GW_SIM_MAX_ADU)
#define GW_SIM_SILENCE_MS  50 /* an RTU frame of unknown length ends after this */

struct gw_sim_conn {
	int fd;       /* -1: free slot */
	unsigned gen; /* bumped on close, so a late reply finds no stale client */
	size_t rxlen;
	uint8_t rx[GW_SIM_RX_CAP];
};

struct gw_sim_bus {
	struct gw_sim_bus_cfg cfg; /* cfg.units is not kept */
	struct gw_sim_slave *slaves;
	size_t nslaves;
	int fd;       /* tcp: listening socket; rtu: pty master */
	int slave_fd; /* rtu: our own fd on the slave side, kept open */
	char pts[64]; /* rtu: the slave's device name */
	bool linked;  /* rtu: cfg.link is our symlink */
	uint16_t port;
	struct gw_sim_conn conns[GW_SIM_MAX_CONNS];
	size_t rxlen; /* rtu receive buffer */
	uint8_t rx[GW_SIM_RX_CAP];
	int64_t rx_mono; /* when the last byte arrived */
	/* dtu: the dialled connection is conns[0] */
	int64_t dial_at; /* next dial (when not connected) */
	int64_t hb_at;   /* next heartbeat */
	int64_t drop_at; /* flaky: when to drop the connection (0: never) */
	unsigned dials;
	int abandoned_fd; /* flaky: the last connection, left open but unserved (a dead NAT path) */
};

struct gw_sim_pending {
	bool used;
	int64_t due_mono;
	size_t bus;
	int conn; /* tcp connection slot, -1 for rtu */
	unsigned gen;
	size_t len;
	uint8_t data[GW_SIM_MAX_ADU];
};

struct gw_sim {
	struct gw_sim_opts opts;
	struct gw_simclock clock; /* sim time: opts.start_ms at the monotonic start */
	struct gw_sim_bus *buses;
	size_t nbuses;
	struct gw_sim_pending pending[GW_SIM_MAX_PENDING];
	struct pollfd *pfds; /* sized at gw_sim_add_bus: nothing allocated in the loop */
	size_t *pfd_bus;
	int *pfd_conn; /* -1: the bus's own fd */
	size_t npfd_cap;
};

/* What a request got: the response PDU (len 0: nothing) and the faults of the
 * slave that took it. */
struct gw_sim_reply {
	size_t len;
	uint8_t pdu[GW_SIM_MAX_PDU];
	struct gw_sim_faultset fault;
};

/* sim.c: answers one request to unit on bus b (unit 0: broadcast, no reply). */
void gw_sim_answer(struct gw_sim *sim, struct gw_sim_bus *b, uint8_t unit, const uint8_t *pdu,
                   size_t len, struct gw_sim_reply *out);
/* sim.c: sends adu after delay_ms (to conn/gen for tcp, conn -1 for rtu). */
void gw_sim_defer(struct gw_sim *sim, size_t bus, int conn, unsigned gen, const uint8_t *adu,
                  size_t len, unsigned delay_ms);

/* sim_net.c */
int gw_sim_tcp_open(struct gw_sim_bus *b);
void gw_sim_tcp_close(struct gw_sim_bus *b);
void gw_sim_tcp_accept(struct gw_sim_bus *b);
int gw_sim_tcp_add_conn(struct gw_sim_bus *b, int fd);
void gw_sim_tcp_read(struct gw_sim *sim, size_t bus, int conn);
void gw_sim_tcp_send(struct gw_sim_bus *b, int conn, unsigned gen, const uint8_t *adu, size_t len);

void gw_sim_tcp_conn_close(struct gw_sim_conn *c);

/* sim_dtu.c: RTU frames over a TCP connection, and the dialling DTU */
int gw_sim_dtu_open(struct gw_sim_bus *b);
void gw_sim_dtu_close(struct gw_sim_bus *b);
void gw_sim_dtu_read(struct gw_sim *sim, size_t bus, int conn);
/* Dials, sends heartbeats and drops a flaky link when due. */
void gw_sim_dtu_tick(struct gw_sim *sim, size_t bus, int64_t now_mono);
/* The next time gw_sim_dtu_tick has something to do. */
int64_t gw_sim_dtu_due(const struct gw_sim_bus *b);

/* sim_pty.c */
int gw_sim_pty_open(struct gw_sim_bus *b);
void gw_sim_pty_close(struct gw_sim_bus *b);
void gw_sim_pty_read(struct gw_sim *sim, size_t bus);
/* Serves or drops what is left in the receive buffer after a silence. */
void gw_sim_pty_silence(struct gw_sim *sim, size_t bus, int64_t now_mono);
void gw_sim_pty_send(struct gw_sim_bus *b, const uint8_t *adu, size_t len, bool flush_stale);

#endif
