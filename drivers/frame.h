/* Modbus requests and replies as bytes, for the link's own checks: the request
 * a read or a write sends, the length an RTU frame's header implies, and
 * whether a reply answers its request. Leaf code: no I/O, no clock, no logging.
 * It does not receive: libmodbus frames the bytes, this judges them. */
#ifndef GW_FRAME_H
#define GW_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_FRAME_MAX  260 /* largest ADU: RTU 256, TCP 260 */
#define GW_FRAME_MBAP 7   /* Modbus TCP header: tid, protocol id, length, unit */

struct gw_frame_req {
	uint8_t unit;
	uint8_t function; /* 0x01..0x04 (reads) or 0x06 (write one register) */
	uint16_t addr;
	uint16_t count; /* registers or bits read; for 0x06 the value written */
	uint16_t tid;   /* Modbus TCP transaction id */
};

enum gw_frame_verdict {
	GW_FRAME_OK,        /* the answer to this request */
	GW_FRAME_EXCEPTION, /* this request's exception response */
	GW_FRAME_FOREIGN,   /* a whole frame for another unit or transaction: skip it */
	GW_FRAME_BAD,       /* not this request's answer: function, byte count, echo, CRC,
	                     * protocol id or MBAP length wrong */
};

/* The request as libmodbus's raw form (unit, function, address, count or
 * value: 6 bytes) into out. Returns 6. */
size_t gw_frame_request(const struct gw_frame_req *r, uint8_t *out);
/* The Modbus TCP request (MBAP with r->tid, then the PDU: 12 bytes). Returns 12. */
size_t gw_frame_request_tcp(const struct gw_frame_req *r, uint8_t *out);

/* Bytes of the RTU frame starting at buf, as its function code and byte count
 * say (the way libmodbus frames a reply); 0 when n bytes cannot tell. */
size_t gw_frame_rtu_len(const uint8_t *buf, size_t n);

/* Judges the reply adu (n bytes: an RTU frame with its CRC, or with tcp a
 * Modbus TCP ADU with its MBAP) against r. An exception response sets
 * *exception (may be NULL) to its code. Borrows everything. */
enum gw_frame_verdict gw_frame_check(const struct gw_frame_req *r, bool tcp, const uint8_t *adu,
                                     size_t n, int *exception);

/* True when the n bytes that followed RTU reply rsp (len bytes) without a
 * pause cannot be this request's real answer: they are whole frames, each a
 * copy of rsp or a frame with a valid CRC for another unit. Anything else
 * means a stale frame may have been taken for the reply, the answer behind it. */
bool gw_frame_tail_is_harmless(const struct gw_frame_req *r, const uint8_t *rsp, size_t len,
                               const uint8_t *tail, size_t n);

/* The values of a reply gw_frame_check found OK into out: registers as words,
 * bits one per word (0 or 1), a write's echoed value. Returns how many. */
size_t gw_frame_values(const struct gw_frame_req *r, bool tcp, const uint8_t *adu, uint16_t *out);

/* Modbus CRC-16 of buf, as sent (low byte first when read as little-endian). */
uint16_t gw_frame_crc(const uint8_t *buf, size_t n);

#endif
