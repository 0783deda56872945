/* The accumulator: rules declared, then readings added into per-sensor, per-day sums.
 * Readings of one sensor arrive mostly in time order, so the day last touched is tried
 * first; any order works. Calendar arithmetic (civil days) is here too. */
#include "accept_acc_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

struct gw_acc *gw_acc_new(const struct gw_accept_cfg *ac)
{
	struct gw_acc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->ac = *ac;
	a->tz = gw_tz_local();
	a->max_ts = INT64_MIN;
	return a;
}

void gw_acc_free(struct gw_acc *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsensors; i++)
		free(a->sensors[i].days);
	free(a->sensors);
	free(a->order);
	free(a->rules);
	free(a->epochs);
	free(a);
}

static int key_cmp(const struct acc_sensor *s, const char *gateway, const char *id)
{
	int c = strcmp(s->gateway, gateway);

	return c ? c : strcmp(s->id, id);
}

/* The first position in a->order whose sensor is not below (gateway, sensor). */
static size_t lower_bound(const struct gw_acc *a, const char *gateway, const char *sensor)
{
	size_t lo = 0, hi = a->nsensors;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (key_cmp(&a->sensors[a->order[mid]], gateway, sensor) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long gw_acc_sensor(struct gw_acc *a, const char *gateway, const char *sensor)
{
	size_t i = lower_bound(a, gateway, sensor);

	return i < a->nsensors && key_cmp(&a->sensors[a->order[i]], gateway, sensor) == 0
	               ? (long)a->order[i]
	               : -1;
}

/* The index of sensor (gateway, id), added when new; -ENOMEM. */
static long sensor_add(struct gw_acc *a, const char *gateway, const char *id, unsigned interval)
{
	long s = gw_acc_sensor(a, gateway, id);
	size_t at = lower_bound(a, gateway, id);
	struct acc_sensor *n;

	if (s >= 0)
		return s;
	if (a->nsensors == a->cap_sensors) {
		size_t cap = a->cap_sensors ? a->cap_sensors * 2 : 16;
		size_t *o = realloc(a->order, cap * sizeof(*o));

		if (o)
			a->order = o;
		n = o ? realloc(a->sensors, cap * sizeof(*n)) : NULL;
		if (!n)
			return -ENOMEM;
		a->sensors = n;
		a->cap_sensors = cap;
	}
	n = &a->sensors[a->nsensors];
	memset(n, 0, sizeof(*n));
	snprintf(n->gateway, sizeof(n->gateway), "%s", gateway);
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->interval_s = interval ? interval : 60;
	/* keep order sorted: the new sensor's index goes in at its place */
	memmove(&a->order[at + 1], &a->order[at], (a->nsensors - at) * sizeof(*a->order));
	a->order[at] = a->nsensors;
	return (long)a->nsensors++;
}

/* The channel of point (and covered value) on sensor s, added when new; -ENOSPC. */
static long chan_add(struct acc_sensor *s, const char *point, int covered_value)
{
	size_t c;

	for (c = 0; c < s->nch; c++)
		if (strcmp(s->ch[c].point, point) == 0 && s->ch[c].covered_value == covered_value)
			return (long)c;
	if (s->nch == GW_ACC_MAX_CH)
		return -ENOSPC;
	snprintf(s->ch[c].point, sizeof(s->ch[c].point), "%s", point);
	s->ch[c].covered_value = covered_value;
	s->nch++;
	return (long)c;
}

static int rule_slot(struct gw_acc *a, struct acc_rule **out)
{
	if (a->nrules == a->cap_rules) {
		size_t cap = a->cap_rules ? a->cap_rules * 2 : 16;
		struct acc_rule *r = realloc(a->rules, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		a->rules = r;
		a->cap_rules = cap;
	}
	*out = &a->rules[a->nrules];
	memset(*out, 0, sizeof(**out));
	return 0;
}

int gw_acc_begin_set(struct gw_acc *a, int32_t from, const struct gw_accept_cfg *ac)
{
	struct acc_epoch *e;

	if (a->fed || (a->nepochs && a->epochs[a->nepochs - 1].from >= from))
		return -EINVAL;
	e = realloc(a->epochs, (a->nepochs + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	a->epochs = e;
	e[a->nepochs++] = (struct acc_epoch){.from = from, .ac = *ac};
	a->ac = *ac;
	return 0;
}

void gw_acc_set_zone(struct gw_acc *a, const struct gw_tz *tz)
{
	a->tz = tz;
}

long gw_acc_epoch_of(const struct gw_acc *a, int32_t day)
{
	long e = 0;

	if (!a->nepochs)
		return -1;
	while ((size_t)e + 1 < a->nepochs && a->epochs[e + 1].from <= day)
		e++;
	return e;
}

const struct gw_accept_cfg *gw_acc_day_cfg(const struct gw_acc *a, int32_t day)
{
	long e = gw_acc_epoch_of(a, day);

	return e < 0 ? &a->ac : &a->epochs[e].ac;
}

unsigned gw_acc_interval(const struct gw_acc *a, long s, int32_t day)
{
	long e = gw_acc_epoch_of(a, day);

	for (size_t r = 0; e >= 0 && r < a->nrules; r++)
		for (size_t k = 0; k < 2 && a->rules[r].epoch == (size_t)e; k++)
			if (a->rules[r].sensor[k] == s)
				return a->rules[r].interval_s[k];
	return a->sensors[s].interval_s;
}

int gw_acc_add_rule(struct gw_acc *a, const struct gw_acc_rule *in)
{
	size_t nsens = in->kind == GW_RULE_SWITCH ? 1 : 2;
	struct acc_rule *r;
	int rc;

	if (a->fed || !in->plot || !in->plot[0] || !in->point || !in->sensor[0] ||
	    (nsens == 2 && !in->sensor[1]))
		return -EINVAL;
	rc = rule_slot(a, &r);
	if (rc)
		return rc;
	snprintf(r->plot, sizeof(r->plot), "%s", in->plot);
	r->kind = in->kind;
	r->sensor[1] = -1;
	r->epoch = a->nepochs ? a->nepochs - 1 : 0;
	for (size_t k = 0; k < nsens; k++) {
		long s = sensor_add(a, in->gateway ? in->gateway : "", in->sensor[k],
		                    in->interval_s[k]);
		long c = s < 0 ? s
		               : chan_add(&a->sensors[s], in->point,
		                          in->kind == GW_RULE_SWITCH ? in->covered_value : 0);

		if (c < 0)
			return (int)c;
		r->sensor[k] = s;
		r->ch[k] = (size_t)c;
		r->interval_s[k] = in->interval_s[k] ? in->interval_s[k] : 60;
	}
	a->nrules++;
	return 0;
}

size_t gw_acc_points(struct gw_acc *a, long s, const char *const **names)
{
	struct acc_sensor *n = &a->sensors[s];

	/* set here: the sensors array moves while rules are added */
	for (size_t i = 0; i < n->nch; i++)
		n->names[i] = n->ch[i].point;
	n->names[n->nch] = "moisture_pct";
	*names = n->names;
	return n->nch + 1;
}

static struct acc_day *day_at(const struct acc_sensor *s, size_t i)
{
	return (struct acc_day *)(void *)(s->days + i * s->stride);
}

/* The index of day in s->days, or where it would go. */
static size_t day_pos(const struct acc_sensor *s, int32_t day)
{
	size_t lo = 0, hi = s->ndays;

	if (s->ndays && s->last < s->ndays && day_at(s, s->last)->day == day)
		return s->last;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (day_at(s, mid)->day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct acc_day *gw_acc_day_find(const struct acc_sensor *s, int32_t day)
{
	size_t i = day_pos(s, day);

	return i < s->ndays && day_at(s, i)->day == day ? day_at(s, i) : NULL;
}

static struct acc_day *day_get(struct acc_sensor *s, int32_t day)
{
	size_t i = day_pos(s, day);

	if (i < s->ndays && day_at(s, i)->day == day)
		goto found;
	if (!s->stride) /* a multiple of the header's alignment, as the array needs */
		s->stride = sizeof(struct acc_day) + s->nch * sizeof(struct gw_chan_day);
	if (s->ndays == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		unsigned char *d = realloc(s->days, cap * s->stride);

		if (!d)
			return NULL;
		s->days = d;
		s->cap = cap;
	}
	memmove(s->days + (i + 1) * s->stride, s->days + i * s->stride, (s->ndays - i) * s->stride);
	memset(s->days + i * s->stride, 0, s->stride);
	day_at(s, i)->day = day;
	s->ndays++;
found:
	s->last = i;
	return day_at(s, i);
}

int gw_acc_add(struct gw_acc *a, long si, int64_t ts_ms, const double *vals)
{
	struct acc_sensor *s = &a->sensors[si];
	int32_t sec;
	int32_t day = gw_tz_day(s->tz ? s->tz : a->tz, ts_ms, &sec);
	const struct gw_accept_cfg *ac = gw_acc_day_cfg(a, day);
	bool in_hours = sec >= (int32_t)ac->hour_start * 3600 && sec < (int32_t)ac->hour_end * 3600;
	struct acc_day *d = day_get(s, day);
	int32_t slot;

	if (!s->iv || s->iv_day != day) { /* the interval in force that day */
		s->iv = gw_acc_interval(a, si, day);
		s->iv_day = day;
	}
	slot = sec / (int32_t)s->iv;
	if (!d)
		return -ENOMEM;
	a->fed = true;
	if (ts_ms > a->max_ts)
		a->max_ts = ts_ms;
	for (size_t c = 0; c < s->nch; c++) {
		struct gw_chan_day *ch = &d->ch[c];

		if (isnan(vals[c]))
			continue;
		ch->n++;
		ch->n_covered += vals[c] == (double)s->ch[c].covered_value;
		if (ch->last_slot != slot + 1) {
			ch->slots++;
			ch->last_slot = slot + 1;
		}
		if (in_hours) {
			ch->n_hours++;
			ch->sum_hours += vals[c];
		}
	}
	if (!isnan(vals[s->nch])) {
		d->moist_n++;
		d->moist_sum += vals[s->nch];
	}
	return 0;
}

int32_t gw_acc_day_of(int y, int m, int d)
{
	return gw_tz_civil_day(y, m, d);
}

int gw_acc_yyyymmdd(int32_t day)
{
	return gw_tz_civil_yyyymmdd(day);
}

int32_t gw_acc_local_day(int64_t ts_ms, int32_t *sec_of_day)
{
	return gw_tz_day(gw_tz_local(), ts_ms, sec_of_day);
}
