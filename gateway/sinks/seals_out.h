/* Each sealed day of the evidence chain to InfluxDB, measurement `chain` (tags day, gateway;
 * fields version, zone, digest, readings, prev, rows, content, content_readings, rules,
 * signature, first_seq, last_seq, sealed_ms, as chain.h's JSON; time: when it was sealed;
 * a series per day, so a day sealed again (a rewritten journal) is a second point beside the
 * first, not an overwrite), so the center keeps what the gateway sealed at the time (`verify
 * --against influx`, the fleet report's evidence check). A sink of sink.c's loop (not reading
 * rows): the last day written is kept in the journal's metadata (chain_influx_day), so days sealed
 * while InfluxDB was away are written when it is back. */
#ifndef GW_SEALS_OUT_H
#define GW_SEALS_OUT_H

#include <stddef.h>

#include "journal.h"
#include "sink.h"

/* The row of sinks.c's table. */
extern const struct gw_sink_ops gw_seals_sink;

/* Appends l as one `chain` line (with newline) for gateway at buf[*pos]. Returns 0, -ENOSPC or
 * -EINVAL. */
int gw_seals_line(const struct gw_journal_link *l, const char *gateway, char *buf, size_t len,
                  size_t *pos);

#endif
