/* Film-cover evidence and acceptance (DESIGN.md "Film-cover evidence and acceptance"):
 * readings -> one film state per plot and day -> a verdict per plot over the window.
 * The readings come from the journal (a gateway's own report) or from InfluxDB (the
 * fleet report); both feed the same accumulator, so both give the same verdicts. */
#ifndef GW_ACCEPTANCE_H
#define GW_ACCEPTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum gw_film_state { GW_FS_NO_DATA, GW_FS_COVERED, GW_FS_NOT_COVERED, GW_FS_INDETERMINATE };

enum gw_verdict {
	GW_VERDICT_NO_SENSOR,
	GW_VERDICT_INSUFFICIENT_DATA,
	GW_VERDICT_PASS,
	GW_VERDICT_FAIL,
	GW_VERDICT_INDETERMINATE,
};

/* One plot on one local day (yyyymmdd). */
struct gw_plot_day {
	int day;
	enum gw_film_state state;
	int64_t received;    /* readings of the plot's sensors that day */
	int64_t expected;    /* what their intervals call for */
	double moisture_pct; /* day's mean of good moisture values; NAN when none */
	double delta_c;      /* temperature_pair: 10:00-16:00 mean under film minus bare; NAN */
};

/* One plot over the season. */
struct gw_plot_result {
	char plot[GW_ID_LEN];
	enum gw_verdict verdict;
	int64_t received, expected; /* in the window */
	double availability;        /* received / expected; 0 when nothing was expected */
	unsigned covered, not_covered, indeterminate, no_data; /* days in the window */
	int first_covered;        /* yyyymmdd of the first covered day seen at all; 0: none */
	bool late;                /* first_covered after the laying deadline */
	struct gw_plot_day *days; /* owned: every day with data or in the window, in order */
	size_t ndays;
};

/* Static English names ("covered", "pass", "insufficient_data", ...). */
const char *gw_film_state_name(enum gw_film_state s);
const char *gw_verdict_name(enum gw_verdict v);

#endif
