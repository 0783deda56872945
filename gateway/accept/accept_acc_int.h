/* The accumulator's insides, shared by accept_acc.c (declaring and adding) and
 * accept_finish.c (turning the sums into results). Internal. */
#ifndef GW_ACCEPT_ACC_INT_H
#define GW_ACCEPT_ACC_INT_H

#include "accept_acc.h"
#include "film.h"
#include "tz.h"

#define GW_ACC_MAX_CH 8 /* channels (distinct points) of one sensor */

/* One sensor's sums on one local day: its moisture, then one entry per channel (the
 * sensor's nch of them: days are stored with a stride of their own size). */
struct acc_day {
	int32_t day;
	int64_t moist_n;
	double moist_sum;
	struct gw_chan_day ch[];
};

struct acc_chan {
	char point[GW_NAME_LEN];
	int covered_value;
};

struct acc_sensor {
	char gateway[GW_ID_LEN];
	char id[GW_ID_LEN];
	unsigned interval_s;
	size_t nch;
	struct acc_chan ch[GW_ACC_MAX_CH];
	const char *names[GW_ACC_MAX_CH + 1]; /* points to ch[].point, then "moisture_pct" */
	unsigned char *days; /* struct acc_day of stride bytes each, sorted by day */
	size_t stride;       /* set at the first day, when the channels are known */
	size_t ndays, cap;
	size_t last;            /* index of the last day touched */
	int32_t iv_day;         /* the day of iv, a cache for gw_acc_add */
	unsigned iv;            /* 0: none cached */
	const struct gw_tz *tz; /* its gateway's zone (the fleet: from its seals); NULL: a->tz */
};

struct acc_rule {
	char plot[GW_ID_LEN];
	enum gw_rule_kind kind;
	long sensor[2]; /* -1 for none */
	size_t ch[2];
	unsigned interval_s[2]; /* the sensors' intervals in the rule's set */
	size_t epoch;           /* the set of rules it belongs to */
};

/* A set of rules in force from local day `from` (days since 1970-01-01) on. */
struct acc_epoch {
	int32_t from;
	struct gw_accept_cfg ac;
};

struct gw_acc {
	struct gw_accept_cfg ac;
	const struct gw_tz *tz; /* borrowed: the zone of every local day (gw_tz_local()) */
	struct acc_sensor *sensors;
	size_t nsensors, cap_sensors;
	size_t *order; /* sensor indices sorted by (gateway, id), for lookups */
	struct acc_rule *rules;
	size_t nrules, cap_rules;
	struct acc_epoch *epochs; /* in from order; none: one set, a->ac, every rule */
	size_t nepochs;
	bool fed;       /* a reading was added: no more rules */
	int64_t max_ts; /* newest reading (INT64_MIN: none) */
};

/* The set in force on local day `day`: the last one starting on or before it (the first
 * for days before any), or -1 when no set was declared (all rules hold every day). */
long gw_acc_epoch_of(const struct gw_acc *a, int32_t day);
/* The thresholds of day: its set's, or a->ac. */
const struct gw_accept_cfg *gw_acc_day_cfg(const struct gw_acc *a, int32_t day);
/* Sensor s's interval on local day `day` (days since 1970-01-01), seconds, > 0. */
unsigned gw_acc_interval(const struct gw_acc *a, long s, int32_t day);

/* Borrows: sensor s's sums of day, or NULL. */
const struct acc_day *gw_acc_day_find(const struct acc_sensor *s, int32_t day);

#endif
