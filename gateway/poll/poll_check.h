/* What the poller refuses in a config, in one place: gw_poller_new sets up through these
 * functions, and `check`, `run` and the reload validation call gw_poll_check before
 * anything starts, so a config they pass the poller takes. No I/O besides the diagnostics. */
#ifndef GW_POLL_CHECK_H
#define GW_POLL_CHECK_H

#include "config.h"
#include "modbus_link.h"
#include "plan.h"

/* Builds the request plan of cfg->sensors[si] into *plan. On refusal (a point wider than
 * the sensor's max_registers) reports FILE:LINE:COL at the sensor to d (borrowed; NULL:
 * silent) and returns -EINVAL. */
int gw_poll_check_sensor(const struct gw_config *cfg, size_t si, struct gw_plan *plan,
                         struct gw_diag *d);

/* Fills *lc, borrowing cfg's strings, for the link of cfg->buses[bi]. On refusal (a link
 * gw_link_new would not take; more dtu_server buses on one listener than it serves)
 * reports at the bus to d (NULL: silent) and returns -EINVAL. */
int gw_poll_check_bus(const struct gw_config *cfg, size_t bi, struct gw_link_cfg *lc,
                      struct gw_diag *d);

/* Every bus and sensor as gw_poller_new will set them up. Returns the errors reported. */
int gw_poll_check(const struct gw_config *cfg, struct gw_diag *d);

#endif
