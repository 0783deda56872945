/* What a dial-in DTU sends that is not Modbus: heartbeat packets and, in
 * prefix mode, the registration in front of every packet. Removed from the
 * stream at packet boundaries -- between a request and its reply, or after a
 * reply of the length the request implies -- so a reply that happens to hold
 * the same bytes is left alone. Leaf code: no I/O, no clock, no logging. */
#ifndef GW_DTU_FILTER_H
#define GW_DTU_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_DTU_FILTER_MAX 64 /* longest heartbeat or registration */

struct gw_dtu_filter {
	uint8_t hb[GW_DTU_FILTER_MAX];
	size_t hblen; /* 0: no heartbeat configured */
	uint8_t reg[GW_DTU_FILTER_MAX];
	size_t reglen; /* 0: the registration is not repeated (once mode) */
	/* state */
	int state;                       /* idle, waiting for a reply, inside one */
	size_t left;                     /* reply bytes still to come (SIZE_MAX: unknown) */
	size_t nhead;                    /* bytes of the reply seen, up to its function code */
	size_t want;                     /* the reply's length implied by the request */
	uint8_t hold[GW_DTU_FILTER_MAX]; /* the start of a heartbeat or prefix, cut short */
	size_t nhold;
	/* counters (for logs and tests) */
	uint64_t heartbeats;
	uint64_t prefixes;
	uint64_t unsolicited; /* bytes dropped: no request was waiting for them */
};

/* Sets f up. hb/reg borrowed and copied (lengths up to GW_DTU_FILTER_MAX;
 * reglen 0 when the registration is sent once, on connect only). */
void gw_dtu_filter_init(struct gw_dtu_filter *f, const uint8_t *hb, size_t hblen,
                        const uint8_t *reg, size_t reglen);

/* A request (RTU frame: unit, function, ..., CRC) went to the DTU. */
void gw_dtu_filter_sent(struct gw_dtu_filter *f, const uint8_t *req, size_t n);

/* Filters n bytes from the DTU into out (room for n + GW_DTU_FILTER_MAX).
 * Returns the number of bytes for the Modbus master. */
size_t gw_dtu_filter_recv(struct gw_dtu_filter *f, const uint8_t *in, size_t n, uint8_t *out);

#endif
