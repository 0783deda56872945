/* The cellular-bus part of the config loader (config_dtu.c), called by
 * config_items.c. Internal to the config module. */
#ifndef GW_CONFIG_DTU_H
#define GW_CONFIG_DTU_H

#include "config_load.h"

/* The dtu_server keys of bus b at path (map: its mapping): registration and
 * heartbeat decoded, listen address checked. Returns the number of errors. */
int gw_config_dtu_bus(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                      struct gw_bus_cfg *b);
/* Checks across the dtu_server buses sharing a listener (same listen and
 * port): registrations distinct and not prefixes of each other, listener-wide
 * keys equal. Returns the number of errors. */
int gw_config_dtu_listeners(struct gw_cload *l);
/* The timeouts of bus b when it does not give them: cellular buses (rtu_tcp,
 * dtu_server) wait 2000 ms for a reply and 500 ms between bytes. */
unsigned gw_config_dtu_response_ms(const struct gw_bus_cfg *b, unsigned dflt);
unsigned gw_config_dtu_byte_ms(const struct gw_bus_cfg *b, unsigned dflt);

#endif
