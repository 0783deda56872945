/* MQTT thrift on a cellular link: whether a reading is worth publishing given the last
 * one published for the same sensor. Always with no deadband; with one, when a quality
 * changed, a good value moved more than the deadband, or the heartbeat is due (measured
 * in poll time). Leaf code: no I/O. */
#ifndef GW_DEADBAND_H
#define GW_DEADBAND_H

#include <stdbool.h>
#include <stdint.h>

#include "reading.h"

/* What was last published for one sensor; zero-initialise. */
struct gw_deadband {
	bool has;
	int64_t pub_ms; /* poll time of the last reading published */
	double v[GW_MAX_POINTS];
	uint8_t q[GW_MAX_POINTS];
};

/* Decides for r (its profile gives the number of points) and, when it passes, records it
 * as the last published. band <= 0: always true. beat_ms: the heartbeat. */
bool gw_deadband_pass(struct gw_deadband *d, const struct gw_reading *r, double band,
                      int64_t beat_ms);

#endif
