/* The MQTT deadband with heartbeat; see deadband.h. */
#include "deadband.h"

#include <math.h>
#include <string.h>

/* Whether a moved more than band from b, at the point's resolution (decimals): values are
 * raw * scale in binary, so 0.3 -> 0.6 is 0.30000000000000004 apart, which must not count
 * as more than a band of 0.3. */
static bool moved(double a, double b, double band, int decimals)
{
	double step = pow(10, decimals);

	return round(fabs(a - b) * step) / step > band;
}

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
			send = moved(r->values[k], d->v[k], band, r->profile->points[k].decimals);
	}
	if (!send)
		return false;
	d->has = true;
	d->pub_ms = r->ts_ms;
	memcpy(d->v, r->values, n * sizeof(d->v[0]));
	memcpy(d->q, r->quality, n);
	return true;
}
