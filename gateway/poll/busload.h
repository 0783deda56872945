/* What a bus's schedule costs: requests and bytes per cycle and per second, and
 * for an RTU line the share of its capacity at its baud rate (Modbus serial
 * timing: 1 start bit, data bits, parity, stop bits; t3.5 gaps; turnaround).
 * A cellular bus (rtu_tcp, dtu_server) is its DTU's serial line plus the
 * configured network round trip per request, one request at a time.
 * Leaf code: no I/O, no logging. */
#ifndef GW_BUSLOAD_H
#define GW_BUSLOAD_H

#include <stddef.h>

#include "config.h"
#include "plan.h"

#define GW_BUSLOAD_WARN 0.70 /* warn above this share of a line */

struct gw_busload {
	unsigned sensors;
	unsigned requests_per_cycle; /* one poll of every sensor */
	unsigned bytes_per_cycle;    /* request + response bytes on the wire */
	double requests_per_s;       /* at the configured intervals */
	double bytes_per_s;
	double cycle_ms; /* RTU: line time of one cycle, gaps and turnaround included (cellular:
	                    and the round trips) */
	double load;     /* RTU, cellular: share of the line's time in use (0..); TCP: 0 */
};

/* Milliseconds one character takes on the line. */
double gw_busload_char_ms(uint32_t baud, char parity, unsigned data_bits, unsigned stop_bits);
/* The t3.5 inter-frame gap (fixed 1.75 ms above 19200 baud). */
double gw_busload_t35_ms(uint32_t baud, double char_ms);
/* Line time of one block read: request + response + two t3.5 gaps + turnaround. */
double gw_busload_txn_ms(const struct gw_bus_cfg *bus, const struct gw_block *b);

/* Computes the load of bus bi of cfg. Returns 0 or -EINVAL (a plan failed). */
int gw_busload_compute(const struct gw_config *cfg, size_t bi, struct gw_busload *out);

#endif
