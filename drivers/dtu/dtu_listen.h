/* The dial-in DTU listener: binds one configured address and port, accepts up
 * to a cap of connections, reads each one's registration packet and hands the
 * socket to the DTU (slot) it names. Unknown or late registrations, port scans
 * and garbage are logged (rate-limited) and closed. A DTU that dials again
 * takes its slot over: the older socket is shut down. One thread per listener;
 * slots on the same address and port share it. Does not speak Modbus. */
#ifndef GW_DTU_LISTEN_H
#define GW_DTU_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_DTU_REG_MAX   64
#define GW_DTU_REG_MS    10000 /* a connection must register within this */
#define GW_DTU_PEER_LEN  64
#define GW_DTU_MAX_SLOTS 256 /* DTUs (buses) one listener serves */

struct gw_dtu_slot_cfg {
	const char *name;   /* the bus, for logs */
	const char *listen; /* numeric address */
	uint16_t port;
	const uint8_t *reg; /* registration packet, 1..GW_DTU_REG_MAX bytes */
	size_t reglen;
	unsigned max_connections; /* of the listener, registered or not */
};

struct gw_dtu_slot; /* opaque */

/* Attaches a DTU to the listener at listen:port, starting that listener's
 * thread on first use (it binds, and keeps retrying a failed bind). Returns
 * owned slot, or NULL (errno set). Borrows nothing after it returns. */
struct gw_dtu_slot *gw_dtu_attach(const struct gw_dtu_slot_cfg *cfg);
/* Detaches; the last slot of a listener stops and closes it. NULL is a no-op. */
void gw_dtu_detach(struct gw_dtu_slot *s);

/* Takes the socket of the DTU's latest registration (owned by the caller, the
 * registration already read from it) and its peer address into peer
 * (GW_DTU_PEER_LEN). Returns the fd, -ENOTCONN (none waiting) or the
 * listener's bind error. */
int gw_dtu_take(struct gw_dtu_slot *s, char *peer);
/* The caller closed the socket it took (it no longer counts as a connection). */
void gw_dtu_release(struct gw_dtu_slot *s);
/* True when a newer registration waits than the socket taken. */
bool gw_dtu_has_newer(struct gw_dtu_slot *s);

#endif
