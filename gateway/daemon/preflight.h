/* What `run` would refuse at start-up from the config alone, checked before anything starts:
 * `run` itself, `check` and the reload validation call gw_preflight_check, so a config
 * `check` passes is one `run` sets up (the poller through poll_check.h, the sinks' URLs and
 * topic as their clients take them). Files, devices and ports are not looked at. */
#ifndef GW_PREFLIGHT_H
#define GW_PREFLIGHT_H

#include "config.h"

/* Reports every refusal to d (borrowed) as FILE:LINE:COL: error: naming the bus, sensor or
 * section. Borrows cfg. Returns the number of errors reported (0: `run` takes cfg). */
int gw_preflight_check(const struct gw_config *cfg, struct gw_diag *d);

#endif
