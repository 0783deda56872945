/* A plot's verdict and its one-line reason from its counts over the window (DESIGN.md
 * "Film-cover evidence and acceptance"). Leaf code: shares are compared in fixed point
 * (parts per 10000) so that a count exactly at a threshold falls where DESIGN says. */
#ifndef GW_VERDICT_H
#define GW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "acceptance.h"

/* Fills r->availability, r->verdict, r->reason, r->late and r->laying_unknown from r's
 * received, expected, window day counts, first_covered and first_evidence; has_rule false:
 * no_sensor. Window days = covered + not_covered + indeterminate + no_data; classified days
 * = covered + not_covered. Rules in order: no_sensor; insufficient_data (received/expected
 * < min_availability, or nothing expected); pass (covered >= pass_min_covered_share of the
 * window days and >= min_covered_days, not_covered <= pass_max_not_covered of the classified
 * days, and at least one classified day); fail (not_covered > fail_min_not_covered of the
 * classified days); else indeterminate. late: first_covered after the laying deadline and
 * first_evidence on or before it; laying_unknown: first_covered after the deadline and the
 * evidence only from after it. Borrows ac. */
void gw_verdict_decide(const struct gw_accept_cfg *ac, bool has_rule, struct gw_plot_result *r);

/* num/den in tenths of a percent, truncated (never rounded up across a threshold: 0.7997
 * is 799); 0 when den <= 0. */
int64_t gw_verdict_permille(int64_t num, int64_t den);

/* "79.9" for 799 into buf. Returns buf. */
const char *gw_verdict_pct(int64_t permille, char *buf, size_t len);

/* The late column's text: "late", "on_time", "laying date unknown (evidence from MM-DD)",
 * or NULL when nothing was covered. Static or in buf. */
const char *gw_verdict_laying(const struct gw_plot_result *r, char *buf, size_t len);

#endif
