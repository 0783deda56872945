/* A day's content digest: what InfluxDB also holds of each reading, so the same digest is
 * computed from the journal on the gateway and from InfluxDB at the center.
 *   leaf    = SHA-256(be64(ts_ms) || str(sensor) || be32(n) || value...)   values by name
 *   value   = str(name) || str(quality) || [be64(IEEE bits of the value), good ones only]
 *   str(s)  = be32(length) || bytes
 *   content = SHA-256("fieldgate-content-1" || be64(count) || leaf...)  leaves sorted
 * A good value enters as the number InfluxDB holds: the decimal the gateway writes (the
 * point's decimals, lineproto.c) read back as a double, -0 as 0. A good value that is not
 * finite is written as decode_error and enters so. Sorting the leaves makes the digest
 * independent of the order the center reads the points in. */
#ifndef GW_CHAIN_CONTENT_H
#define GW_CHAIN_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "journal.h"

struct gw_content {
	uint8_t (*leaf)[GW_SHA256_LEN];
	size_t n, cap;
	int64_t last_src; /* the source text parsed last (rows) */
	void *src;        /* struct gw_source, parsed once per source id */
};

/* One value of a reading as the center sees it. */
struct gw_content_value {
	const char *name;
	const char *quality; /* "good", or the quality written as <name>_q */
	double value;        /* good ones only */
};

void gw_content_init(struct gw_content *c);
void gw_content_free(struct gw_content *c);
/* Adds one reading (v reordered by name). Returns 0, -EINVAL (a name or quality missing)
 * or -ENOMEM. */
int gw_content_add(struct gw_content *c, int64_t ts_ms, const char *sensor,
                   struct gw_content_value *v, size_t n);
/* Adds a journal row's reading. Returns 0, -EINVAL (a row that does not decode) or
 * -ENOMEM. */
int gw_content_add_row(struct gw_content *c, const struct gw_journal_row *r);
/* The digest of what was added (sorts the leaves); c stays usable for more. */
void gw_content_digest(struct gw_content *c, uint8_t out[GW_SHA256_LEN]);
/* The value as InfluxDB holds it when written with decimals digits. */
double gw_content_at_resolution(double v, int decimals);

#endif
