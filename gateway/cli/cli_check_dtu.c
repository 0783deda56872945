/* `check` for cellular buses: the heading line of an rtu_tcp or dtu_server bus
 * and its warnings. The registration is shown by its format and length only. */
#include "cli_check_dtu.h"

#include <stdio.h>
#include <string.h>

void gw_cli_check_print_dtu(const struct gw_bus_cfg *bus, unsigned sensors)
{
	if (bus->type == GW_BUS_RTU_TCP) {
		printf("bus %s: rtu_tcp %s:%u, serial side %u %u%c%u + %u ms round trip, %u "
		       "sensors\n",
		       bus->name, bus->host, bus->port, bus->baud, bus->data_bits, bus->parity,
		       bus->stop_bits, bus->rtt_ms, sensors);
		return;
	}
	printf("bus %s: dtu_server listen %s:%u, registration %zu bytes %s (%s)", bus->name,
	       bus->listen, bus->port, bus->reglen, bus->reg_hex ? "hex" : "ascii",
	       bus->reg_prefix ? "in front of every packet" : "once on connect");
	if (bus->hblen)
		printf(", heartbeat %zu bytes every %u s", bus->hblen, bus->heartbeat_s);
	printf(", serial side %u %u%c%u + %u ms round trip, %u sensors\n", bus->baud,
	       bus->data_bits, bus->parity, bus->stop_bits, bus->rtt_ms, sensors);
}

void gw_cli_check_warn_dtu(struct gw_diag *d, size_t bi, const struct gw_bus_cfg *bus,
                           const struct gw_busload *bl)
{
	if (bus->type == GW_BUS_DTU_SERVER &&
	    (strcmp(bus->listen, "0.0.0.0") == 0 || strcmp(bus->listen, "::") == 0))
		gw_diag_warn_at(d, &bus->src,
		                "buses[%zu].listen: %s listens on every interface (want the "
		                "address the DTUs reach, e.g. the VPN or public one)",
		                bi, bus->listen);
	if (bus->type != GW_BUS_TCP && bl->load > GW_BUSLOAD_WARN)
		gw_diag_warn_at(d, &bus->src,
		                "buses[%zu]: schedule needs %.0f %% of the DTU's line at %u baud "
		                "with %u ms round trips (want <= %.0f %%: lengthen intervals or "
		                "split the plot's sensors)",
		                bi, bl->load * 100, bus->baud, bus->rtt_ms, GW_BUSLOAD_WARN * 100);
}
