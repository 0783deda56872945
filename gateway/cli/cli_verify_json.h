/* `verify --json`: the same findings as one JSON object on stdout (README "Evidence chain"):
 * {"journal", "days": [{"day","readings","first_seq","last_seq","digest","status"}],
 *  "head": {"day","digest","readings"} | null, "open_readings", "restarted",
 *  "signatures_checked", "intact", "failing_days", "first_failing": {"day","status","why"} |
 *  null[, "against": {"source","same","differs","missing_at_center","missing_here",
 *  "not_received_yet","lost","days": [{"day","status","here","received"}],
 *  "first": {"day","status"} | null}]} */
#ifndef GW_CLI_VERIFY_JSON_H
#define GW_CLI_VERIFY_JSON_H

#include <stdbool.h>

#include "chain.h"
#include "seals.h"

struct gw_verify_json {
	bool first; /* no element printed yet in the current array */
};

/* "a reading was changed or readings were reordered" ... (cli_verify.c) */
const char *gw_cli_verify_why(enum gw_chain_status st);

void gw_verify_json_begin(struct gw_verify_json *v, const char *journal_dir);
/* A gw_chain_day_fn (user: the struct gw_verify_json). */
void gw_verify_json_day(void *user, const struct gw_chain_day *d);
void gw_verify_json_summary(struct gw_verify_json *v, const struct gw_chain_result *r,
                            bool signatures);
void gw_verify_json_against_begin(struct gw_verify_json *v, const char *source);
/* A gw_seal_diff_fn (user: the struct gw_verify_json). */
void gw_verify_json_cmp(void *user, int64_t day, enum gw_seal_cmp c,
                        const struct gw_journal_link *here, const struct gw_seal *got);
void gw_verify_json_against_end(const struct gw_seal_diff *diff);
void gw_verify_json_end(void);

#endif
