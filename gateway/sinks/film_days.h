/* Each finished day's film state per plot, written to InfluxDB as measurement film_day for
 * the dashboards (tags gateway, plot, household (opaque), township, village, film_type;
 * fields state, covered/not_covered/indeterminate/no_data as 0/1, received, expected,
 * delta_c, moisture_pct; time: the local midnight starting the day). A sink of sink.c's loop
 * (not reading rows) computes the states from the journal with the acceptance engine once a
 * local day is over, charges their bytes to the upload budget, and remembers the last day written
 * in the journal's metadata (film_day_done), so days missed while InfluxDB or the gateway was down
 * are written later. Derived data: it can always be computed again from the journal, so it is not
 * journaled itself. */
#ifndef GW_FILM_DAYS_H
#define GW_FILM_DAYS_H

#include <stdint.h>

#include "acceptance.h"
#include "config.h"
#include "bell.h"
#include "feed.h"
#include "hhref.h"
#include "records.h"
#include "sink.h"

struct gw_film_days; /* opaque */

/* The row of sinks.c's table. */
extern const struct gw_sink_ops gw_film_day_sink;

struct gw_film_days_env {
	const struct gw_config *cfg;   /* influxdb must be enabled */
	const struct gw_records *recs; /* may be NULL */
	const uint8_t *hh_key;         /* GW_HHREF_KEY_LEN bytes */
	struct gw_bell *bell;          /* closing: the thread ends */
};

/* gw_sink_start(&gw_film_day_sink, ...) for code that holds the writer as such: starts the
 * thread. Borrows what env points to. Returns owned or NULL (errno). */
struct gw_film_days *gw_film_days_start(const struct gw_film_days_env *env);
/* Waits for the thread (after the bell closed) and frees. NULL is a no-op. */
void gw_film_days_join(struct gw_film_days *f);

/* Appends the film_day lines of r's days d with after < d < before (yyyymmdd) at
 * buf[*pos]. tags: gateway, household, township, village, film_type of r's plot (any may
 * be NULL). Returns the number of lines, or -ENOSPC (*pos unchanged). Exposed for tests. */
int gw_film_days_lines(const struct gw_plot_result *r, const struct gw_reading_tags *tags,
                       int after, int before, char *buf, size_t len, size_t *pos);

#endif
