/* Daily film state of a rule, and of a plot from its rules (DESIGN.md, sensors.md
 * "Film-cover evidence"). */
#include "film.h"

#include <math.h>

/* True when a channel saw at least min_day_fraction of what it should have. */
static bool enough(const struct gw_accept_cfg *ac, int64_t n, int64_t expected)
{
	return n > 0 && (double)n >= ac->min_day_fraction * (double)expected;
}

/* v against the thresholds in fixed point: units per 1 of the value (100: hundredths of a
 * degree, the probes' resolution), so that 16.06 - 14.56 is exactly 1.50. */
static enum gw_film_state by_thresholds(double v, double covered, double not_covered, bool up,
                                        double units)
{
	long long x = llround(v * units), c = llround(covered * units);
	long long nc = llround(not_covered * units);

	if (up)
		return x >= c ? GW_FS_COVERED : x <= nc ? GW_FS_NOT_COVERED : GW_FS_INDETERMINATE;
	return x <= c ? GW_FS_COVERED : x >= nc ? GW_FS_NOT_COVERED : GW_FS_INDETERMINATE;
}

enum gw_film_state gw_film_rule_day(const struct gw_accept_cfg *ac, enum gw_rule_kind k,
                                    const struct gw_chan_day *c0, const struct gw_chan_day *c1,
                                    const int64_t expected_all[2], const int64_t expected_hours[2],
                                    double *value)
{
	double v = NAN, ref;
	enum gw_film_state st = GW_FS_NO_DATA;

	if (k == GW_RULE_SWITCH) {
		if (enough(ac, c0->n, expected_all[0])) {
			v = (double)c0->n_covered / (double)c0->n;
			st = by_thresholds(v, ac->switch_covered_fraction,
			                   ac->switch_not_covered_fraction, true, 10000);
		}
	} else if (enough(ac, c0->n_hours, expected_hours[0]) &&
	           enough(ac, c1->n_hours, expected_hours[1])) {
		v = c0->sum_hours / (double)c0->n_hours;
		ref = c1->sum_hours / (double)c1->n_hours;
		if (k == GW_RULE_TEMPERATURE_PAIR) {
			/* the delta at the probes' resolution: what the thresholds see */
			v = (double)llround((v - ref) * 100) / 100;
			st = by_thresholds(v, ac->covered_delta_c, ac->not_covered_delta_c, true,
			                   100);
		} else if (ref < ac->min_reference_lux) {
			v = NAN; /* too dark to tell film from shade */
			st = GW_FS_INDETERMINATE;
		} else {
			v /= ref;
			st = by_thresholds(v, ac->light_covered_max, ac->light_not_covered_min,
			                   false, 10000);
		}
	}
	if (value)
		*value = v;
	return st;
}

enum gw_film_state gw_film_combine(enum gw_film_state a, enum gw_film_state b)
{
	if (a == GW_FS_NO_DATA || a == b)
		return b;
	if (b == GW_FS_NO_DATA)
		return a;
	if (a == GW_FS_INDETERMINATE)
		return b;
	if (b == GW_FS_INDETERMINATE)
		return a;
	return GW_FS_INDETERMINATE; /* covered against not covered */
}
