/* How a reading is kept in the journal, in two parts:
 *  - a source: who and where (gateway, sensor, plot, household reference, township,
 *    village) and the sensor's points (names, units, decimals) as one small text, stored
 *    once per distinct value and referred to by id;
 *  - the data of one poll: flags, and per point its quality and, when good, its value as
 *    an IEEE double (exactly as polled), about 30 bytes for three points.
 * Sinks turn (source, data) back into a struct gw_reading and its tags, so MQTT JSON and
 * InfluxDB lines are both formatted from the same thing. Leaf code: no I/O. */
#ifndef GW_JCODEC_H
#define GW_JCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "reading.h"

#define GW_JSRC_MAX  2048                    /* longest source text */
#define GW_JDATA_MAX (2 + GW_MAX_POINTS * 9) /* longest data */

struct gw_source {
	char gateway[GW_ID_LEN];
	char sensor[GW_ID_LEN];
	char plot[GW_ID_LEN];
	char household[GW_ID_LEN]; /* opaque reference, never an ID number */
	char township[GW_ID_LEN];
	char village[GW_ID_LEN];
	char film[16];          /* the plot's film type, "" when unknown */
	char role[GW_ROLE_LEN]; /* the sensor's film-evidence roles (README), "" for none */
	char interval[12];      /* its interval_s, with a role only */
	struct gw_profile prof; /* name, npoints and each point's name, unit, decimals */
};

/* A reading's tags, borrowing s (empty strings become NULL). */
void gw_source_tags(const struct gw_source *s, struct gw_reading_tags *tags);
/* Writes s as text ("key<TAB>value" lines, tabs, newlines and backslashes escaped).
 * Returns the length or -ENOSPC. */
int gw_source_format(const struct gw_source *s, char *buf, size_t len);
/* Parses a text from gw_source_format. Returns 0 or -EINVAL (s is then zeroed). */
int gw_source_parse(const char *text, struct gw_source *s);

/* Packs r's flags, qualities and values (r->profile->npoints of them). Returns the length
 * or -ENOSPC. */
int gw_jdata_pack(const struct gw_reading *r, uint8_t *buf, size_t len);
/* Unpacks data into r's unsynced, quality[] and values[] (a value that is not good is NaN).
 * npoints: the source's. Returns 0, or -EINVAL for data that is not npoints long or that
 * pack would not write (an unknown quality, a good value that is not finite). */
int gw_jdata_unpack(const uint8_t *data, size_t len, size_t npoints, struct gw_reading *r);

#endif
