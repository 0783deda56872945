/* A pty that stands in for a serial line, so libmodbus can talk through
 * adapters it cannot handle itself: a shuttle thread moves bytes between the
 * pty master and a "far end" fd (a tty, later a socket for RTU over TCP) and
 * drops from the far end's stream the echo of what was just written to it.
 * Does not speak Modbus and does not log frames. */
#ifndef GW_SERIAL_BRIDGE_H
#define GW_SERIAL_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modbus_link.h"

struct gw_serial_bridge; /* opaque */

/* Opens cfg->device as a raw tty with cfg's baud, parity, data and stop bits
 * (and kernel RS-485 mode when cfg->rs485; a driver without it is logged and
 * ignored). Returns the fd (owned by the caller) or -errno. */
int gw_serial_bridge_open_tty(const struct gw_link_cfg *cfg);

/* Starts a bridge. Takes *far_fd (sets it to -1; closed by _free, also on
 * failure). drop_echo: discard the echo of each write; echo_timeout_ms: how
 * long a partial echo is held before it is passed on as data. Returns owned
 * bridge or NULL (errno set). */
struct gw_serial_bridge *gw_serial_bridge_new(int *far_fd, bool drop_echo,
                                              unsigned echo_timeout_ms);
/* A transformer of the far end's stream (a DTU's heartbeats removed): sent
 * sees each chunk written to the far end; recv turns n bytes read from it into
 * out (room for n + GW_BRIDGE_SLACK) and returns their length, or -errno to
 * give the far end up (it is then lost). Called on the shuttle thread. */
#define GW_BRIDGE_SLACK 64
struct gw_bridge_filter {
	void *ctx;
	void (*sent)(void *ctx, const uint8_t *buf, size_t n);
	long (*recv)(void *ctx, const uint8_t *in, size_t n, uint8_t *out);
};

/* Same as gw_serial_bridge_new without echo, the far end's stream through f
 * (copied; f->ctx borrowed, must outlive the bridge). */
struct gw_serial_bridge *gw_serial_bridge_new_filtered(int *far_fd,
                                                       const struct gw_bridge_filter *f);

/* Stops the thread and closes both ends. NULL is a no-op. */
void gw_serial_bridge_free(struct gw_serial_bridge *b);

/* Borrows: the pty slave path to hand to libmodbus. */
const char *gw_serial_bridge_path(const struct gw_serial_bridge *b);

/* True once the far end is gone (hangup, read error, EOF). The pty is then
 * hung up too, so a reader of the slave sees an error instead of silence. */
bool gw_serial_bridge_is_lost(const struct gw_serial_bridge *b);

/* Bytes of echo dropped so far (for tests and debug). */
size_t gw_serial_bridge_echo_dropped(const struct gw_serial_bridge *b);

#endif
