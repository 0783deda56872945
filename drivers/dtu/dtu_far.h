/* The far end of a cellular link, under the pty bridge that keeps libmodbus on
 * its RTU path: for rtu_tcp a TCP connection the gateway dials; for dtu_server
 * the socket a registered DTU made, its heartbeats and registration prefixes
 * filtered out and its bytes per second capped. Does not speak Modbus. */
#ifndef GW_DTU_FAR_H
#define GW_DTU_FAR_H

#include <stdbool.h>

#include "modbus_link.h"
#include "serial_bridge.h"

struct gw_far; /* opaque */

/* Returns owned far end for cfg (GW_LINK_RTU_TCP or GW_LINK_DTU; a DTU's
 * listener is attached now), or NULL (errno set). Borrows cfg's strings. */
struct gw_far *gw_far_new(const struct gw_link_cfg *cfg);
void gw_far_free(struct gw_far *f);

/* Dials (rtu_tcp) or takes the DTU's registered socket (dtu) and starts a
 * bridge on it into *out. Returns 0, -ENOTCONN (no DTU registered yet) or
 * another -errno. */
int gw_far_open(struct gw_far *f, struct gw_serial_bridge **out);
/* The bridge opened by gw_far_open was freed. */
void gw_far_closed(struct gw_far *f);
/* True when the far end should be dropped and opened again: the DTU dialled
 * anew, or was silent past 3 heartbeat intervals. */
bool gw_far_is_stale(struct gw_far *f);
/* Bytes the DTU sent that no request was waiting for (dropped before they
 * reached the Modbus master), since gw_far_new. */
uint64_t gw_far_discarded(const struct gw_far *f);

#endif
