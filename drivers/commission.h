/* The technician's operations on a link, shared by the CLI (`scan`, `set-address`) and the
 * console's actions on a bus thread: probing a unit id, reading and writing the unit register
 * a profile names, and checking a change of address. Leaf code: returns codes, prints and
 * logs nothing. */
#ifndef GW_COMMISSION_H
#define GW_COMMISSION_H

#include "driver.h"
#include "modbus_link.h"

/* One probe of unit: one holding register at address 0 (any reply, an exception included,
 * means a unit is there); a lost link (a TCP gateway may drop it after a silent unit) is
 * reopened once. Returns 0, -EREMOTEIO (answered with an exception, code in *exception) or
 * the link's failure code. */
int gw_comm_probe(struct gw_link *l, int unit, int *exception);

/* The unit register a's profile names, read at unit. Returns the link's code, value in *v. */
int gw_comm_read_unit_reg(struct gw_link *l, const struct gw_addressing *a, int unit, uint16_t *v);

/* How a change of unit id ended (gw_comm_verify_unit). */
enum gw_setaddr_outcome {
	GW_SETADDR_CHANGED,    /* the new id answers with itself in the register */
	GW_SETADDR_PENDING,    /* the old id holds the new one: applied after a power cycle */
	GW_SETADDR_STILL_OLD,  /* the old id holds the new one, yet the model applies at once */
	GW_SETADDR_UNCONFIRMED /* neither id confirms the change */
};

/* Reads the unit register back at new_unit, then at old: what the change came to. */
enum gw_setaddr_outcome gw_comm_verify_unit(struct gw_link *l, const struct gw_addressing *a,
                                            int old, int new_unit);

/* The whole change of a unit id without a baud rate (the console's set-address): checks
 * the sensor answers at unit, writes new_unit to the unit register (a garbled or missing
 * reply to the write is not yet a failure: some models answer from the new id, or not at
 * all), then verifies. Returns 0 with *out, -ENODEV (unit did not answer: nothing written;
 * its code in *link_rc), -EREMOTEIO (the write was refused with exception *exception) or
 * -ENOTSUP (the profile's addressing is unknown). */
int gw_comm_set_unit(struct gw_link *l, const struct gw_addressing *a, int unit, int new_unit,
                     enum gw_setaddr_outcome *out, int *link_rc, int *exception);

#endif
