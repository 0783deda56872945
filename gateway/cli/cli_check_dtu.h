/* What `check` says of cellular buses (rtu_tcp, dtu_server): where they dial or
 * listen, how DTUs register, and warnings for a wildcard listener or a load
 * over 70 % of the DTU's line with its round trips. */
#ifndef GW_CLI_CHECK_DTU_H
#define GW_CLI_CHECK_DTU_H

#include "busload.h"
#include "config.h"
#include "diag.h"

/* Prints the bus's heading line (stdout). */
void gw_cli_check_print_dtu(const struct gw_bus_cfg *bus, unsigned sensors);
/* Warns (to d) about a cellular bus bi. */
void gw_cli_check_warn_dtu(struct gw_diag *d, size_t bi, const struct gw_bus_cfg *bus,
                           const struct gw_busload *bl);

#endif
