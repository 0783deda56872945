/* InfluxDB line protocol: escaping of each element as the spec wants it, and a
 * reading as one point. Leaf code: no I/O, no allocation, no logging.
 *   measurement: escape "," and " "
 *   tag keys, tag values, field keys: escape ",", "=" and " "
 *   string field values: in double quotes, escape "\"" and "\\"
 * Newlines cannot be carried at all, and a tag or key ending in a backslash
 * would escape the separator after it: both are refused (-EINVAL). */
#ifndef GW_LINEPROTO_H
#define GW_LINEPROTO_H

#include <stddef.h>

#include "reading.h"

enum gw_lp_kind { GW_LP_MEASUREMENT, GW_LP_KEY, GW_LP_TAG_VALUE, GW_LP_STRING };

/* Appends s, escaped for kind, at buf[*pos]; advances *pos. Returns 0,
 * -ENOSPC (buf too small; *pos unchanged) or -EINVAL (unrepresentable). */
int gw_lp_append(char *buf, size_t len, size_t *pos, enum gw_lp_kind kind, const char *s);

/* Appends one point for r (measurement "reading", tags from tags, skipping NULL
 * and empty ones; a field per good value, and a "<name>_q" string field only for a
 * value that is not good (no "<name>_q" means good); timestamp in ms) and a newline.
 * Returns 0, -ENOSPC or -EINVAL. */
int gw_lp_reading(char *buf, size_t len, size_t *pos, const struct gw_reading *r,
                  const struct gw_reading_tags *tags);

#endif
