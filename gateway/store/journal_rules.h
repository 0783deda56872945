/* The rules in force, as the journal records them: one row per local day from which a set
 * of rules (a canonical text made by the acceptance module: zone, acceptance thresholds,
 * sensors' intervals, placements and plots, film rules) holds, written by `run` at start-up
 * when it differs from the last one. The journal stores the text; it does not read it. */
#ifndef GW_JOURNAL_RULES_H
#define GW_JOURNAL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

/* Records text (borrowed) as the rules in force from day (yyyymmdd) on, set at since_ms,
 * unless the newest recorded set is the same text (*changed false, nothing written). A
 * second set on the same day replaces that day's. Returns 0 or -errno. */
int gw_journal_rules_put(struct gw_journal *j, int64_t day, int64_t since_ms, const char *text,
                         bool *changed);

typedef int (*gw_journal_rules_fn)(void *user, int64_t day, const char *text, size_t len);
/* Calls fn for each recorded set in day order (text borrowed for the call, not
 * NUL-terminated). Returns the number of sets, fn's non-zero return, or -errno. */
int gw_journal_rules_each(struct gw_journal *j, gw_journal_rules_fn fn, void *user);

#endif
