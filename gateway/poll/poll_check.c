/* The config checks of the poller's set-up (see poll_check.h): a sensor's request plan and
 * a bus's link. The poller builds with the same functions, so what passes here cannot be
 * refused there. Reports; never logs. */
#include "poll_check.h"

#include <errno.h>
#include <string.h>

#include "dtu_listen.h"
#include "log.h"

/* Why gw_plan_build refused: the first point wider than the limit (NULL: none). */
static const struct gw_point *too_wide(const struct gw_profile *prof, unsigned limit)
{
	for (size_t i = 0; i < prof->npoints && i < GW_MAX_POINTS; i++)
		if (gw_point_width(&prof->points[i]) > limit)
			return &prof->points[i];
	return NULL;
}

int gw_poll_check_sensor(const struct gw_config *cfg, size_t si, struct gw_plan *plan,
                         struct gw_diag *d)
{
	const struct gw_sensor_cfg *s = &cfg->sensors[si];
	const struct gw_profile *prof = s->profile;
	unsigned limit = gw_plan_limit(prof, s->max_registers);
	const struct gw_point *p;

	if (gw_plan_build(prof, s->max_registers, s->max_gap, plan) == 0)
		return 0;
	if (!d)
		return -EINVAL;
	p = too_wide(prof, limit);
	if (p)
		gw_diag_error_at(d, &s->src,
		                 "sensors[%zu] (%s): max_registers %u%s cannot read point \"%s\" "
		                 "(%u registers; want max_registers >= %u)",
		                 si, s->id, limit, s->max_registers ? "" : " (the profile's)",
		                 p->name, gw_point_width(p), gw_point_width(p));
	else
		gw_diag_error_at(d, &s->src,
		                 "sensors[%zu] (%s): no request plan for profile %s (%zu points, "
		                 "want at most %d)",
		                 si, s->id, prof->name, prof->npoints, GW_MAX_POINTS);
	return -EINVAL;
}

static void link_cfg_of(const struct gw_bus_cfg *bus, struct gw_link_cfg *lc)
{
	static const enum gw_link_type types[] = {
	        [GW_BUS_RTU] = GW_LINK_RTU,
	        [GW_BUS_TCP] = GW_LINK_TCP,
	        [GW_BUS_RTU_TCP] = GW_LINK_RTU_TCP,
	        [GW_BUS_DTU_SERVER] = GW_LINK_DTU,
	};

	memset(lc, 0, sizeof(*lc));
	lc->type = types[bus->type];
	lc->device = bus->device;
	lc->baud = bus->baud;
	lc->parity = bus->parity;
	lc->data_bits = bus->data_bits;
	lc->stop_bits = bus->stop_bits;
	lc->rs485 = bus->rs485;
	lc->rts = bus->rts;
	lc->echo = bus->echo;
	lc->host = bus->host;
	lc->port = bus->port;
	lc->name = bus->name;
	lc->listen = bus->listen;
	lc->reg = bus->reg;
	lc->reglen = bus->reglen;
	lc->reg_prefix = bus->reg_prefix;
	lc->heartbeat = bus->heartbeat;
	lc->hblen = bus->hblen;
	lc->heartbeat_s = bus->heartbeat_s;
	lc->max_connections = bus->max_connections;
	lc->max_bytes_per_s = bus->max_bytes_per_s;
	lc->response_timeout_ms = bus->response_timeout_ms;
	lc->byte_timeout_ms = bus->byte_timeout_ms;
	lc->debug = gw_log_enabled(GW_DEBUG);
}

/* dtu_server buses up to bi (included) on the listener of bus bi. */
static size_t listener_rank(const struct gw_config *cfg, size_t bi)
{
	const struct gw_bus_cfg *b = &cfg->buses[bi];
	size_t n = 0;

	for (size_t i = 0; i <= bi; i++) {
		const struct gw_bus_cfg *o = &cfg->buses[i];

		n += o->type == GW_BUS_DTU_SERVER && o->port == b->port &&
		     strcmp(o->listen, b->listen) == 0;
	}
	return n;
}

int gw_poll_check_bus(const struct gw_config *cfg, size_t bi, struct gw_link_cfg *lc,
                      struct gw_diag *d)
{
	const struct gw_bus_cfg *b = &cfg->buses[bi];

	link_cfg_of(b, lc);
	if (!gw_link_cfg_is_ok(lc)) {
		if (d)
			gw_diag_error_at(
			        d, &b->src,
			        "buses[%zu] (%s): the link cannot be set up "
			        "(want a device, a host, or a listen address and registration)",
			        bi, b->name);
		return -EINVAL;
	}
	if (b->type == GW_BUS_DTU_SERVER && listener_rank(cfg, bi) > GW_DTU_MAX_SLOTS) {
		if (d)
			gw_diag_error_at(d, &b->src,
			                 "buses[%zu] (%s): too many dtu_server buses on listener "
			                 "%s:%u (want at most %d)",
			                 bi, b->name, b->listen, b->port, GW_DTU_MAX_SLOTS);
		return -EINVAL;
	}
	return 0;
}

int gw_poll_check(const struct gw_config *cfg, struct gw_diag *d)
{
	struct gw_link_cfg lc;
	struct gw_plan plan;
	int errors = 0;

	for (size_t bi = 0; bi < cfg->nbuses; bi++)
		errors += gw_poll_check_bus(cfg, bi, &lc, d) != 0;
	for (size_t si = 0; si < cfg->nsensors; si++)
		errors += gw_poll_check_sensor(cfg, si, &plan, d) != 0;
	return errors;
}
