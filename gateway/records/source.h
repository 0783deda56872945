/* Source tagging: the struct gw_source (store/jcodec.h) of a configured sensor, with its
 * plot's household reference, village, township and film type from the records. */
#ifndef GW_SOURCE_H
#define GW_SOURCE_H
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "jcodec.h"

struct gw_records;
/* The source of configured sensor i. With records (may be NULL) and the gateway's household
 * key, a sensor on a known plot also gets its household's opaque reference, village and
 * township (else the gateway's) and the plot's film type. Borrows all; fills s. */
void gw_source_from_config(const struct gw_config *cfg, const struct gw_records *recs,
                           const uint8_t *hh_key, size_t i, struct gw_source *s);
#endif
