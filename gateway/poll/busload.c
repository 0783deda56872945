/* Modbus-over-serial-line arithmetic for `check`. */
#include "busload.h"

#include <errno.h>
#include <string.h>

double gw_busload_char_ms(uint32_t baud, char parity, unsigned data_bits, unsigned stop_bits)
{
	unsigned bits = 1 + data_bits + (parity == 'N' ? 0 : 1) + stop_bits;

	return 1000.0 * bits / baud;
}

double gw_busload_t35_ms(uint32_t baud, double char_ms)
{
	return baud > 19200 ? 1.75 : 3.5 * char_ms;
}

double gw_busload_txn_ms(const struct gw_bus_cfg *bus, const struct gw_block *b)
{
	double c = gw_busload_char_ms(bus->baud, bus->parity, bus->data_bits, bus->stop_bits);
	unsigned bytes = gw_plan_rtu_request_bytes(b) + gw_plan_rtu_response_bytes(b);

	return bytes * c + 2 * gw_busload_t35_ms(bus->baud, c) + bus->turnaround_ms;
}

int gw_busload_compute(const struct gw_config *cfg, size_t bi, struct gw_busload *out)
{
	const struct gw_bus_cfg *bus = &cfg->buses[bi];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];
		struct gw_plan plan;
		double per_s = 1.0 / s->interval_s;

		if (s->bus != bi)
			continue;
		if (gw_plan_build(s->profile, s->max_registers, s->max_gap, &plan))
			return -EINVAL;
		out->sensors++;
		for (size_t k = 0; k < plan.nblocks; k++) {
			const struct gw_block *b = &plan.blocks[k];
			unsigned bytes =
			        gw_plan_rtu_request_bytes(b) + gw_plan_rtu_response_bytes(b);
			double ms;

			/* MBAP: a 7-byte header instead of the unit byte and the 2-byte CRC. */
			if (bus->type == GW_BUS_TCP)
				bytes += 2 * 4;
			ms = bus->type == GW_BUS_TCP ? 0 : gw_busload_txn_ms(bus, b);
			/* cellular: the request waits for the network round trip too */
			if (bus->type == GW_BUS_RTU_TCP || bus->type == GW_BUS_DTU_SERVER)
				ms += bus->rtt_ms;

			ms += s->pause_ms;
			out->requests_per_cycle++;
			out->bytes_per_cycle += bytes;
			out->requests_per_s += per_s;
			out->bytes_per_s += bytes * per_s;
			out->cycle_ms += ms;
			if (bus->type != GW_BUS_TCP)
				out->load += ms / 1000.0 * per_s;
		}
	}
	return 0;
}
