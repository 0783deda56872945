/* Request bytes and reply checks for the Modbus link. A reply is this
 * request's answer only when every field that can match does: unit, function,
 * byte count (or a write's echo), CRC; over TCP also transaction id, protocol
 * id and an MBAP length equal to what follows it. */
#include "frame.h"

#include <string.h>

static bool is_bit_read(uint8_t fn)
{
	return fn == 0x01 || fn == 0x02;
}

static bool is_reg_read(uint8_t fn)
{
	return fn == 0x03 || fn == 0x04;
}

size_t gw_frame_request(const struct gw_frame_req *r, uint8_t *out)
{
	out[0] = r->unit;
	out[1] = r->function;
	out[2] = (uint8_t)(r->addr >> 8);
	out[3] = (uint8_t)r->addr;
	out[4] = (uint8_t)(r->count >> 8);
	out[5] = (uint8_t)r->count;
	return 6;
}

size_t gw_frame_request_tcp(const struct gw_frame_req *r, uint8_t *out)
{
	out[0] = (uint8_t)(r->tid >> 8);
	out[1] = (uint8_t)r->tid;
	out[2] = 0;
	out[3] = 0;
	out[4] = 0;
	out[5] = 6; /* unit and the 5 PDU bytes */
	return 6 + gw_frame_request(r, out + 6);
}

size_t gw_frame_rtu_len(const uint8_t *buf, size_t n)
{
	if (n < 2)
		return 0;
	switch (buf[1]) {
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x04:
	case 0x11:
	case 0x17:
		return n < 3 ? 0 : 5 + (size_t)buf[2];
	case 0x05:
	case 0x06:
	case 0x0F:
	case 0x10:
		return 8;
	case 0x16:
		return 10;
	default:
		/* exception responses, and what libmodbus frames like one */
		return 5;
	}
}

uint16_t gw_frame_crc(const uint8_t *buf, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* The data bytes a read of r returns. */
static size_t read_bytes(const struct gw_frame_req *r)
{
	return is_bit_read(r->function) ? ((size_t)r->count + 7) / 8 : 2 * (size_t)r->count;
}

/* The PDU (function onward, len bytes) against the request. */
static enum gw_frame_verdict check_pdu(const struct gw_frame_req *r, const uint8_t *pdu, size_t len,
                                       int *exception)
{
	if (len == 2 && pdu[0] == (r->function | 0x80)) {
		if (exception)
			*exception = pdu[1];
		return GW_FRAME_EXCEPTION;
	}
	if (pdu[0] != r->function)
		return GW_FRAME_BAD;
	if (is_bit_read(r->function) || is_reg_read(r->function))
		return len >= 2 && pdu[1] == read_bytes(r) && len == 2 + read_bytes(r)
		               ? GW_FRAME_OK
		               : GW_FRAME_BAD;
	if (r->function == 0x06) {
		uint8_t echo[6];

		gw_frame_request(r, echo);
		return len == 5 && memcmp(pdu + 1, echo + 2, 4) == 0 ? GW_FRAME_OK : GW_FRAME_BAD;
	}
	return GW_FRAME_BAD;
}

static enum gw_frame_verdict check_rtu(const struct gw_frame_req *r, const uint8_t *adu, size_t n,
                                       int *exception)
{
	uint16_t crc;

	if (n < 5)
		return GW_FRAME_BAD;
	crc = gw_frame_crc(adu, n - 2);
	if (adu[n - 2] != (uint8_t)crc || adu[n - 1] != (uint8_t)(crc >> 8))
		return GW_FRAME_BAD;
	if (adu[0] != r->unit)
		return GW_FRAME_FOREIGN;
	return check_pdu(r, adu + 1, n - 3, exception);
}

static enum gw_frame_verdict check_tcp(const struct gw_frame_req *r, const uint8_t *adu, size_t n,
                                       int *exception)
{
	unsigned tid, proto, len;

	if (n < GW_FRAME_MBAP + 2)
		return GW_FRAME_BAD;
	tid = (unsigned)(adu[0] << 8 | adu[1]);
	proto = (unsigned)(adu[2] << 8 | adu[3]);
	len = (unsigned)(adu[4] << 8 | adu[5]);
	if (proto != 0 || len != n - 6)
		return GW_FRAME_BAD;
	if (tid != r->tid || adu[6] != r->unit)
		return GW_FRAME_FOREIGN;
	return check_pdu(r, adu + GW_FRAME_MBAP, n - GW_FRAME_MBAP, exception);
}

enum gw_frame_verdict gw_frame_check(const struct gw_frame_req *r, bool tcp, const uint8_t *adu,
                                     size_t n, int *exception)
{
	if (n > GW_FRAME_MAX)
		return GW_FRAME_BAD;
	return tcp ? check_tcp(r, adu, n, exception) : check_rtu(r, adu, n, exception);
}

bool gw_frame_tail_is_harmless(const struct gw_frame_req *r, const uint8_t *rsp, size_t len,
                               const uint8_t *tail, size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t k = gw_frame_rtu_len(tail + off, n - off);
		bool copy;

		if (k == 0 || k > n - off)
			return false;
		copy = k == len && memcmp(tail + off, rsp, len) == 0;
		if (!copy && check_rtu(r, tail + off, k, NULL) != GW_FRAME_FOREIGN)
			return false;
		off += k;
	}
	return true;
}

size_t gw_frame_values(const struct gw_frame_req *r, bool tcp, const uint8_t *adu, uint16_t *out)
{
	const uint8_t *pdu = adu + (tcp ? GW_FRAME_MBAP : 1);

	if (r->function == 0x06) {
		out[0] = (uint16_t)(pdu[3] << 8 | pdu[4]);
		return 1;
	}
	for (size_t i = 0; i < r->count; i++) {
		if (is_bit_read(r->function))
			out[i] = (uint16_t)((pdu[2 + i / 8] >> (i % 8)) & 1);
		else
			out[i] = (uint16_t)(pdu[2 + 2 * i] << 8 | pdu[3 + 2 * i]);
	}
	return r->count;
}
