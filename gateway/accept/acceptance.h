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

struct gw_records;

enum gw_film_state { GW_FS_NO_DATA, GW_FS_COVERED, GW_FS_NOT_COVERED, GW_FS_INDETERMINATE };

enum gw_verdict {
	GW_VERDICT_NO_SENSOR,
	GW_VERDICT_INSUFFICIENT_DATA,
	GW_VERDICT_PASS,
	GW_VERDICT_FAIL,
	GW_VERDICT_INDETERMINATE,
	GW_VERDICT_UNVERIFIED, /* readings on a day whose evidence fails verification (evidence.h)
	                        */
};

#define GW_REASON_LEN 192

/* One plot on one local day (yyyymmdd). */
struct gw_plot_day {
	int day;
	enum gw_film_state state;
	int64_t received;    /* expected slots of the plot's sensors that hold a reading that day */
	int64_t expected;    /* slots their intervals (in force that day) call for */
	double moisture_pct; /* day's mean of good moisture values; NAN when none */
	double delta_c;      /* temperature_pair: 10:00-16:00 mean under film minus bare, rounded
	                        to hundredths of a degree (what the thresholds saw); NAN */
};

/* One plot over the season. */
struct gw_plot_result {
	char plot[GW_ID_LEN];
	enum gw_verdict verdict;
	int64_t received, expected; /* slots in the window (received <= expected) */
	double availability;        /* received / expected; 0 when nothing was expected */
	unsigned covered, not_covered, indeterminate, no_data; /* days in the window */
	unsigned season_covered;    /* covered days in the whole season (the year) */
	int first_covered;          /* yyyymmdd of the first covered day seen at all; 0: none */
	int first_evidence;         /* yyyymmdd of the first day the film evidence told a state
	                               (not no_data); 0: none */
	bool late;                  /* first_covered after the laying deadline, the evidence having
	                               reported on or before it */
	bool laying_unknown;        /* first_covered after the deadline, but the evidence only
	                               reported from first_evidence, after the deadline */
	char reason[GW_REASON_LEN]; /* one line: why this verdict */
	struct gw_plot_day *days;   /* owned: every day with data or in the window, in order */
	size_t ndays;
};

/* Which rules and zone judged the days (filled by gw_acceptance_from_journal). */
struct gw_accept_used {
	char zone[64]; /* the zone of every local day */
	unsigned sets; /* sets of rules recorded in the journal that were used; 0: the config's */
	int first_set; /* yyyymmdd from which the first recorded set holds; 0: none */
};

/* What the caller may override; zero fields take the config's acceptance section. */
struct gw_accept_opts {
	int window_start, window_end; /* MMDD (620: 06-20), e.g. from report --window */
	int year; /* the season's year; 0: config's acceptance.year, else the year of the newest
	             reading (in local time) */
	bool rules_current;          /* judge every day by cfg (report --rules current), not by
	                                the rules the journal recorded in force that day */
	struct gw_accept_used *used; /* may be NULL: receives which rules and zone were used */
};

/* The season of this gateway from its journal (cfg->data_dir, opened read-side with a
 * handle of its own; the daemon may be running). Each day is judged by the rules the
 * journal recorded in force that day (film rules, intervals, thresholds; the window and the
 * verdict's shares of the newest set, the zone of the newest set), or by cfg's when the
 * journal recorded none or o->rules_current is set. One result per plot: recs' plots in recs order
 * (a plot without any film rule is no_sensor), then plots of film rules not in recs (sorted by id);
 * without records (recs NULL) the plots of the film rules. Readings are streamed (batches of rows),
 * not loaded whole. Borrows cfg, recs, o (o may be NULL). Returns 0 with *out (owned,
 * free with gw_plot_results_free) and *n, or -errno (*out NULL, *n 0). */
int gw_acceptance_from_journal(const struct gw_config *cfg, const struct gw_records *recs,
                               const struct gw_accept_opts *o, struct gw_plot_result **out,
                               size_t *n);

/* Where the fleet report reads: an InfluxDB 1.x /query endpoint (v2 through its v1
 * compatibility API). password_file / token_file as in the influxdb section. */
struct gw_fleet_src {
	char url[512];     /* http(s)://host:port */
	char database[64]; /* v1 database (v2: the bucket mapped to it) */
	char username[64]; /* optional */
	char password_file[512];
};

/* The same results for every plot any gateway wrote to src, from the role and interval_s
 * tags each reading carries (README "InfluxDB"): thresholds and dates from cfg's
 * acceptance section (the county's), plots as gw_acceptance_from_journal with recs the
 * county's records. Streams the rows (chunked queries per month). Borrows all. Returns 0
 * with *out (owned) and *n, or -errno (-ECONNREFUSED, -EIO ...; logged). */
int gw_acceptance_from_influx(const struct gw_config *cfg, const struct gw_records *recs,
                              const struct gw_fleet_src *src, const struct gw_accept_opts *o,
                              struct gw_plot_result **out, size_t *n);

struct gw_journal;
/* Records cfg's rules (accept_rules.h: zone, thresholds, intervals, placements, plots, film
 * rules) in j as in force from the local day of now_ms, when they differ from the last set
 * recorded (`run` at start-up). Borrows all. Returns 0 or -errno (logged). */
int gw_acceptance_record_rules(const struct gw_config *cfg, struct gw_journal *j, int64_t now_ms);

/* Frees r[0..n) and their days; NULL is a no-op. */
void gw_plot_results_free(struct gw_plot_result *r, size_t n);

/* Static English names ("covered", "pass", "insufficient_data", ...). */
const char *gw_film_state_name(enum gw_film_state s);
const char *gw_verdict_name(enum gw_verdict v);

#endif
