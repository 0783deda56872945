/* The master side of Modbus, over RTU or TCP: the only includer of modbus.h on
 * the master side, and the test seam for faults a real peer cannot produce.
 * libmodbus error codes are translated here and go no further. One link is
 * used by one thread at a time. */
#ifndef GW_MODBUS_LINK_H
#define GW_MODBUS_LINK_H

#include "driver.h"

/* RTU_TCP: RTU frames over a TCP connection the gateway dials; DTU: RTU frames
 * over the connection a dial-in DTU made to the gateway's listener. */
enum gw_link_type { GW_LINK_RTU, GW_LINK_TCP, GW_LINK_RTU_TCP, GW_LINK_DTU };

struct gw_link_cfg {
	enum gw_link_type type;
	/* rtu */
	const char *device;
	uint32_t baud;
	char parity; /* 'N', 'E', 'O' */
	uint8_t data_bits;
	uint8_t stop_bits;
	bool rs485; /* kernel RS-485 mode (TIOCSRS485), where supported */
	int rts;    /* 0 none, 1 RTS high while sending, -1 RTS low */
	bool echo;  /* the adapter echoes each request: discard it */
	/* tcp, rtu_tcp (host: where to dial), dtu (port: where to listen) */
	const char *host;
	uint16_t port;
	/* dtu */
	const char *name;   /* the bus, for logs */
	const char *listen; /* numeric address to bind */
	const uint8_t *reg; /* registration packet */
	size_t reglen;
	bool reg_prefix; /* the registration comes in front of every packet too */
	const uint8_t *heartbeat;
	size_t hblen;
	unsigned heartbeat_s;     /* silent for 3x this: the connection is given up (0: never) */
	unsigned max_connections; /* of the listener */
	unsigned max_bytes_per_s; /* per connection; more and it is dropped (0: no cap) */
	/* both */
	unsigned response_timeout_ms;
	unsigned byte_timeout_ms;
	bool debug; /* hex dump frames (debug level) */
};

struct gw_link; /* opaque */

/* True when gw_link_new takes cfg: an rtu link names its device, a dtu link its listen
 * address and registration, the others their host. No I/O. */
bool gw_link_cfg_is_ok(const struct gw_link_cfg *cfg);
/* Returns owned link (not yet connected), or NULL (cfg not ok, or no memory; a dtu
 * link also when its listener has GW_DTU_MAX_SLOTS links). Borrows cfg's strings. */
struct gw_link *gw_link_new(const struct gw_link_cfg *cfg);
void gw_link_free(struct gw_link *l);

/* Opens the serial device or connects the socket. Returns 0 or -errno. */
int gw_link_connect(struct gw_link *l);
void gw_link_close(struct gw_link *l);
bool gw_link_is_open(const struct gw_link *l);

/* Reads count registers (or bits, one per word as 0/1) of kind at addr from
 * unit. Input pending before the request is discarded; the reply must match
 * the request (unit, function, byte count, CRC; over TCP also transaction id,
 * protocol id, MBAP length) and, on RTU lines, be followed by silence; after a
 * timeout a late reply is waited out and discarded. Returns 0; -ETIMEDOUT (no answer); -EBADMSG
 * (bad CRC or garbled frame); -EREMOTEIO with *exception set (Modbus exception response);
 * -ENOTCONN/-ECONNRESET/-EIO (link lost: close and reconnect). */
int gw_link_read(struct gw_link *l, int unit, enum gw_regkind kind, uint16_t addr, uint16_t count,
                 uint16_t *out, int *exception);

/* Writes one holding register (function 06). Same returns as gw_link_read. */
int gw_link_write_register(struct gw_link *l, int unit, uint16_t addr, uint16_t value,
                           int *exception);

/* Bytes thrown away so far, never taken as a reply: whatever was pending
 * before a request, bytes behind a reply or after a timeout, frames for
 * another unit or transaction, and what a DTU sent unasked. Safe to call from
 * any thread. */
uint64_t gw_link_discarded(const struct gw_link *l);

/* Changes the timeouts of an open link (scan uses short ones). */
void gw_link_set_timeouts(struct gw_link *l, unsigned response_ms, unsigned byte_ms);

/* The quality a failed read's return code maps to. */
enum gw_quality gw_link_quality(int rc);
/* True when rc means the link itself is gone (reconnect). */
bool gw_link_rc_is_lost(int rc);

#endif
