/* The technician's operations on a link (commission.h): probe, the unit register, a change
 * of address and its check. No printing: the CLI and the console say it their own way. */
#include "commission.h"

#include <errno.h>

int gw_comm_probe(struct gw_link *l, int unit, int *exception)
{
	uint16_t w;
	int rc = gw_link_read(l, unit, GW_REG_HOLDING, 0, 1, &w, exception);

	if (gw_link_rc_is_lost(rc)) {
		gw_link_close(l);
		if (gw_link_connect(l) == 0)
			rc = gw_link_read(l, unit, GW_REG_HOLDING, 0, 1, &w, exception);
	}
	return rc;
}

int gw_comm_read_unit_reg(struct gw_link *l, const struct gw_addressing *a, int unit, uint16_t *v)
{
	int exc;

	return gw_link_read(l, unit, GW_REG_HOLDING, a->unit_reg, 1, v, &exc);
}

enum gw_setaddr_outcome gw_comm_verify_unit(struct gw_link *l, const struct gw_addressing *a,
                                            int old, int new_unit)
{
	uint16_t v = 0;

	if (gw_comm_read_unit_reg(l, a, new_unit, &v) == 0 && v == new_unit)
		return GW_SETADDR_CHANGED;
	if (gw_comm_read_unit_reg(l, a, old, &v) == 0 && v == new_unit)
		return a->needs_power_cycle ? GW_SETADDR_PENDING : GW_SETADDR_STILL_OLD;
	return GW_SETADDR_UNCONFIRMED;
}

int gw_comm_set_unit(struct gw_link *l, const struct gw_addressing *a, int unit, int new_unit,
                     enum gw_setaddr_outcome *out, int *link_rc, int *exception)
{
	uint16_t v;
	int rc;

	*link_rc = 0;
	*exception = 0;
	if (!a->known)
		return -ENOTSUP;
	if (!gw_link_is_open(l) && (rc = gw_link_connect(l)) != 0) {
		*link_rc = rc;
		return -ENODEV;
	}
	rc = gw_comm_read_unit_reg(l, a, unit, &v);
	if (rc && rc != -EREMOTEIO) {
		*link_rc = rc;
		return -ENODEV;
	}
	rc = gw_link_write_register(l, unit, a->unit_reg, (uint16_t)new_unit, exception);
	if (rc == -EREMOTEIO)
		return rc;
	*link_rc = rc; /* the read-back decides */
	*out = gw_comm_verify_unit(l, a, unit, new_unit);
	return 0;
}
