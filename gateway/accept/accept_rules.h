/* The rules in force as one canonical text: what the journal records at each change
 * (gateway.timezone, the acceptance section, each sensor's interval, placement, plot and
 * profile, the film rules), and back from that text to the accumulator's sets of rules.
 * The text is line based, one item per line, numbers printed exactly (%.17g):
 *   fieldgate-rules 1
 *   timezone Asia/Shanghai
 *   acceptance window_start=620 window_end=715 ... (every threshold, key=value)
 *   sensor ID interval_s=N plot=P placement=under_film|bare|none profile=NAME
 *   rule PLOT KIND SENSOR0 SENSOR1|- POINT COVERED_VALUE */
#ifndef GW_ACCEPT_RULES_H
#define GW_ACCEPT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gw_acc;

/* The canonical text of cfg's rules. Returns it owned (free), or NULL (-ENOMEM). */
char *gw_accept_rules_text(const struct gw_config *cfg);

/* Declares the set of rules in text (len bytes, borrowed) on a, in force from local day
 * `from` (days since 1970-01-01), for gateway (the sensors' gateway id); a threshold the
 * text does not name (recorded by an older build) is base's. zone (may be NULL) receives
 * the set's timezone ("" when it names none). Returns 0, -EINVAL (not such a text:
 * nothing declared) or -ENOMEM. */
int gw_accept_rules_declare(struct gw_acc *a, const char *gateway, const struct gw_accept_cfg *base,
                            const char *text, size_t len, int32_t from, char *zone,
                            size_t zone_len);

#endif
