/* The acceptance accumulator: film rules are declared (who plays which role, each
 * sensor's interval), then readings are added one at a time (from the journal or from
 * InfluxDB, in any order), then finish turns the per-channel, per-day sums into a
 * gw_plot_result per plot. Memory grows with sensors x days, not with readings.
 * Internal to the acceptance module. */
#ifndef GW_ACCEPT_ACC_H
#define GW_ACCEPT_ACC_H

#include <stddef.h>
#include <stdint.h>

#include "acceptance.h"

struct gw_acc;
struct gw_tz;

/* One film rule as the accumulator sees it (all strings borrowed for the call). */
struct gw_acc_rule {
	const char *gateway; /* sensor ids are unique per gateway */
	const char *plot;
	enum gw_rule_kind kind;
	const char *sensor[2]; /* under/bare, under/reference, switch/NULL */
	unsigned interval_s[2];
	const char *point;
	int covered_value; /* switch */
};

/* Returns an owned accumulator with ac's thresholds (copied), or NULL. */
struct gw_acc *gw_acc_new(const struct gw_accept_cfg *ac);
void gw_acc_free(struct gw_acc *a);

/* Starts a set of rules in force from local day `from` (days since 1970-01-01) on, with
 * thresholds ac (copied; they also become the season's: the last set's window and shares
 * judge the verdict); the rules declared next belong to it. Sets come in from order, before
 * any reading. Without any set, every rule holds every day. Returns 0, -EINVAL or -ENOMEM. */
int gw_acc_begin_set(struct gw_acc *a, int32_t from, const struct gw_accept_cfg *ac);
/* The zone of the local days (borrowed; default gw_tz_local()), before any reading. */
void gw_acc_set_zone(struct gw_acc *a, const struct gw_tz *tz);

/* Declares a rule (before any reading is added). Returns 0, -EINVAL (bad rule, or a
 * reading was already added) or -ENOMEM. */
int gw_acc_add_rule(struct gw_acc *a, const struct gw_acc_rule *r);

/* The index of (gateway, sensor) among the sensors of the rules, or -1 when it plays no
 * role (its readings are not evidence). */
long gw_acc_sensor(struct gw_acc *a, const char *gateway, const char *sensor);
/* The points a reading of sensor s must give to gw_acc_add, in order: its channels'
 * points, then moisture_pct. Borrows a. Returns their number. */
size_t gw_acc_points(struct gw_acc *a, long s, const char *const **names);

/* One reading of sensor s at ts_ms (wall clock): vals[i] is the value of point i of
 * gw_acc_points, NAN when not good. Returns 0 or -ENOMEM. */
int gw_acc_add(struct gw_acc *a, long s, int64_t ts_ms, const double *vals);

/* The results (see gw_acceptance_from_journal for which plots, in which order). now_ms:
 * days after max(now, the newest reading) are not expected yet. Borrows recs and o (both
 * may be NULL). Returns 0 with *out owned, or -ENOMEM. */
int gw_acc_finish(struct gw_acc *a, const struct gw_records *recs, const struct gw_accept_opts *o,
                  int64_t now_ms, struct gw_plot_result **out, size_t *n);

/* Declares cfg's film rules (acceptance.c). Returns 0 or -errno. */
int gw_acceptance_rules_from_config(const struct gw_config *cfg, struct gw_acc *a);

/* Local calendar helpers in the gateway's zone (gw_tz_local(), never the process TZ): the
 * local day number (days since 1970-01-01) of ts_ms, and yyyymmdd <-> day numbers. */
int32_t gw_acc_local_day(int64_t ts_ms, int32_t *sec_of_day);
int gw_acc_yyyymmdd(int32_t day);
int32_t gw_acc_day_of(int y, int m, int d);

#endif
