/* The MQTT deadband with heartbeat; see deadband.h. */
#include "deadband.h"

#include <math.h>
#include <string.h>

bool gw_deadband_pass(struct gw_deadband *d, const struct gw_reading *r, double band,
                      int64_t beat_ms)
{
	size_t n = r->profile->npoints;
	bool send;

	if (band <= 0)
		return true;
	send = !d->has || r->ts_ms - d->pub_ms >= beat_ms;
	for (size_t k = 0; k < n && !send; k++) {
		send = d->q[k] != r->quality[k];
		if (!send && r->quality[k] == GW_Q_GOOD)
			send = fabs(r->values[k] - d->v[k]) > band;
	}
	if (!send)
		return false;
	d->has = true;
	d->pub_ms = r->ts_ms;
	memcpy(d->v, r->values, n * sizeof(d->v[0]));
	memcpy(d->q, r->quality, n);
	return true;
}
