/* The film state of one rule on one day, from what its channels saw that day, and the
 * state of a plot from the states of its rules. Leaf code: no I/O, no allocation. */
#ifndef GW_FILM_H
#define GW_FILM_H

#include <stdint.h>

#include "acceptance.h"

/* What one channel (a sensor's point in a role) saw on one local day. */
struct gw_chan_day {
	int64_t n;         /* good values all day */
	int64_t n_hours;   /* good values within the hours of the daily means */
	double sum_hours;  /* their sum */
	int64_t n_covered; /* switch: good values equal to the rule's covered value */
	int64_t slots;     /* the day's expected slots (interval_s each, from local midnight)
	                      holding a good value: one per slot, however many arrived */
	int32_t last_slot; /* slot + 1 of the last value counted (0: none); readings of a
	                      sensor arrive in time order, so a repeat of a slot is seen here */
};

/* The day's state of rule kind k: c0 is the under (or switch) channel, c1 the bare (or
 * reference) one (unused for switch); expected_all / expected_hours are what the channels'
 * intervals call for all day / within the hours, [0] for c0 and [1] for c1. A channel
 * below ac->min_day_fraction of its expected readings gives no_data. *value (may be NULL)
 * receives the day's delta (temperature_pair, degC), ratio (light_ratio) or covered
 * share (switch); NAN when no_data. */
enum gw_film_state gw_film_rule_day(const struct gw_accept_cfg *ac, enum gw_rule_kind k,
                                    const struct gw_chan_day *c0, const struct gw_chan_day *c1,
                                    const int64_t expected_all[2], const int64_t expected_hours[2],
                                    double *value);

/* A plot's state from two rule states: no_data is no evidence; covered against
 * not_covered is indeterminate; indeterminate with a clear state gives the clear one. */
enum gw_film_state gw_film_combine(enum gw_film_state a, enum gw_film_state b);

#endif
