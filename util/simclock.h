/* The clock-anchor file a simulator writes and a daemon reads so that both run on
 * one simulated clock (`fieldgate sim --clock FILE`, `fieldgate run --sim-clock FILE`;
 * demo and test only). Text, one key=value a line:
 *   start_ms=1680278400000  speed=86400  mono_us=123456789012 */
#ifndef GW_SIMCLOCK_H
#define GW_SIMCLOCK_H

#include "clock.h"
#include "diag.h"

/* Writes c to path through path.tmp and a rename, so a reader never sees half a
 * file. Returns 0 or -errno. */
int gw_simclock_save(const char *path, const struct gw_simclock *c);

/* Reads path into *c. Returns 0; -errno when it cannot be opened or read (not
 * reported); -EINVAL after reporting each problem to d as FILE:LINE: error: ... */
int gw_simclock_load(const char *path, struct gw_simclock *c, struct gw_diag *d);

#endif
