/* One device read: every block of a plan over a link, decoded into values and
 * qualities. Shared by the poller and the technician's `read`. No logging. */
#ifndef GW_DEVICE_H
#define GW_DEVICE_H

#include "driver.h"
#include "modbus_link.h"
#include "plan.h"

struct gw_device_result {
	double values[GW_MAX_POINTS];
	uint8_t quality[GW_MAX_POINTS]; /* enum gw_quality */
	int rc;                         /* worst link return code of the read (0 if all fine) */
	int exception;                  /* last Modbus exception code seen, 0 if none */
	unsigned requests;              /* requests sent, retries included */
	unsigned failed_blocks;
};

/* Reads every block of plan from unit, retrying a failed block up to retries
 * times (not after an exception or a lost link) and keeping pause_ms quiet
 * time after each request. Fills res; returns 0 when every block was read,
 * else the worst return code (also in res->rc). Borrows everything. */
int gw_device_read(struct gw_link *link, int unit, const struct gw_profile *prof,
                   const struct gw_plan *plan, unsigned retries, unsigned pause_ms,
                   struct gw_device_result *res);

#endif
