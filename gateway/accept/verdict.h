/* A plot's verdict from its counts over the season (DESIGN.md "Film-cover evidence and
 * acceptance"). Leaf code. */
#ifndef GW_VERDICT_H
#define GW_VERDICT_H

#include <stdbool.h>

#include "acceptance.h"

/* Fills r->availability and r->verdict from r's received, expected, day counts and
 * season_covered; has_rule false: no_sensor. Rules in order: no_sensor; insufficient_data
 * (availability < min_availability); pass (season_covered >= min_covered_days and
 * not_covered <= pass_max_not_covered of the classified days: covered, not_covered and
 * indeterminate); fail (not_covered > fail_min_not_covered of them); else indeterminate.
 * Also sets r->late: first_covered (yyyymmdd) after the laying deadline of its year. */
void gw_verdict_decide(const struct gw_accept_cfg *ac, bool has_rule, struct gw_plot_result *r);

#endif
