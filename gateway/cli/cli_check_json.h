/* `check --json`: the same findings as the text output as one JSON object on stdout (keys
 * documented in the README, "check --json"). */
#ifndef GW_CLI_CHECK_JSON_H
#define GW_CLI_CHECK_JSON_H

#include <stdbool.h>

#include "busload.h"
#include "cli_json.h"
#include "config.h"
#include "records.h"

/* Writes the object to stdout and frees what diags holds. cfg, recs and loads are NULL when
 * the config did not load (ok false); loads[i] with ok[i] false when bus i has no plan. */
void gw_cli_check_json(const char *path, const struct gw_config *cfg, const struct gw_records *recs,
                       const struct gw_busload *loads, const bool *load_ok, const struct gw_diag *d,
                       struct gw_cli_json_diags *diags);

#endif
