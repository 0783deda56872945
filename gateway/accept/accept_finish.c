/* The accumulator's sums -> one gw_plot_result per plot: for each day of the season's year
 * with data, and each day of the window up to today, the state of every rule of the plot
 * (combined), the plot's received and expected readings, moisture and temperature delta;
 * then the window's counts and the verdict. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept_acc_int.h"
#include "records.h"
#include "verdict.h"

#define MAX_PLOT_CH 32 /* distinct (sensor, channel) pairs of one plot */

/* A plot being finished: its rules and its distinct channels. */
struct plot_ctx {
	const struct gw_acc *a;
	const char *plot;
	size_t rules[MAX_PLOT_CH];
	size_t nrules;
	long sens[MAX_PLOT_CH]; /* distinct channels as (sensor, channel) */
	size_t ch[MAX_PLOT_CH];
	size_t nch;
	int32_t year_first, year_last; /* the season: its year */
	int32_t win_first, win_last;   /* the window, up to today */
};

static void add_chan(struct plot_ctx *p, long s, size_t c)
{
	for (size_t i = 0; i < p->nch; i++)
		if (p->sens[i] == s && p->ch[i] == c)
			return;
	if (p->nch < MAX_PLOT_CH) {
		p->sens[p->nch] = s;
		p->ch[p->nch++] = c;
	}
}

static void plot_rules(struct plot_ctx *p)
{
	p->nrules = 0;
	p->nch = 0;
	for (size_t r = 0; r < p->a->nrules && p->nrules < MAX_PLOT_CH; r++) {
		const struct acc_rule *ru = &p->a->rules[r];

		if (strcmp(ru->plot, p->plot) != 0)
			continue;
		p->rules[p->nrules++] = r;
		for (size_t k = 0; k < 2; k++)
			if (ru->sensor[k] >= 0)
				add_chan(p, ru->sensor[k], ru->ch[k]);
	}
}

static const struct gw_chan_day none;

static const struct gw_chan_day *chan_day(const struct gw_acc *a, long s, size_t c, int32_t day)
{
	const struct acc_day *d = s >= 0 ? gw_acc_day_find(&a->sensors[s], day) : NULL;

	return d ? &d->ch[c] : &none;
}

static bool has_data(const struct plot_ctx *p, int32_t day)
{
	for (size_t i = 0; i < p->nch; i++)
		if (chan_day(p->a, p->sens[i], p->ch[i], day)->n > 0)
			return true;
	return false;
}

static int64_t per_day(const struct gw_acc *a, long s, int32_t day, int64_t seconds)
{
	return s >= 0 ? seconds / gw_acc_interval(a, s, day) : 0;
}

static enum gw_film_state rule_state(const struct plot_ctx *p, const struct acc_rule *ru,
                                     int32_t day, double *value)
{
	const struct gw_accept_cfg *ac = gw_acc_day_cfg(p->a, day);
	int64_t hours = (int64_t)(ac->hour_end - ac->hour_start) * 3600;
	int64_t all[2], in_hours[2];

	for (size_t k = 0; k < 2; k++) {
		all[k] = per_day(p->a, ru->sensor[k], day, 86400);
		in_hours[k] = per_day(p->a, ru->sensor[k], day, hours);
	}
	return gw_film_rule_day(ac, ru->kind, chan_day(p->a, ru->sensor[0], ru->ch[0], day),
	                        chan_day(p->a, ru->sensor[1], ru->ch[1], day), all, in_hours,
	                        value);
}

static void moisture(const struct plot_ctx *p, int32_t day, struct gw_plot_day *out)
{
	double sum = 0;
	int64_t n = 0;

	for (size_t i = 0; i < p->nch; i++) {
		const struct acc_day *d;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || p->sens[j] == p->sens[i];
		d = seen ? NULL : gw_acc_day_find(&p->a->sensors[p->sens[i]], day);
		if (d) {
			sum += d->moist_sum;
			n += d->moist_n;
		}
	}
	out->moisture_pct = n ? sum / (double)n : NAN;
}

/* Whether rule r of the plot is in force on day. */
static bool in_force(const struct plot_ctx *p, size_t r, int32_t day)
{
	long e = gw_acc_epoch_of(p->a, day);

	return e < 0 || p->a->rules[p->rules[r]].epoch == (size_t)e;
}

/* The day's received and expected slots over the channels of the rules in force. */
static void slots(const struct plot_ctx *p, int32_t day, struct gw_plot_day *out)
{
	struct plot_ctx f = *p;

	f.nch = 0;
	for (size_t r = 0; r < p->nrules; r++)
		for (size_t k = 0; k < 2 && in_force(p, r, day); k++)
			if (p->a->rules[p->rules[r]].sensor[k] >= 0)
				add_chan(&f, p->a->rules[p->rules[r]].sensor[k],
				         p->a->rules[p->rules[r]].ch[k]);
	out->received = out->expected = 0;
	for (size_t i = 0; i < f.nch; i++) {
		int64_t n = chan_day(p->a, f.sens[i], f.ch[i], day)->slots;
		int64_t expected = per_day(p->a, f.sens[i], day, 86400);

		/* one reading per expected slot: a repeat never makes up for a gap */
		out->received += n < expected ? n : expected;
		out->expected += expected;
	}
}

static void fill_day(const struct plot_ctx *p, int32_t day, struct gw_plot_day *out)
{
	bool has_delta = false;

	out->day = gw_acc_yyyymmdd(day);
	out->state = GW_FS_NO_DATA;
	out->delta_c = NAN;
	for (size_t r = 0; r < p->nrules; r++) {
		const struct acc_rule *ru = &p->a->rules[p->rules[r]];
		double v;

		if (!in_force(p, r, day))
			continue;
		out->state = gw_film_combine(out->state, rule_state(p, ru, day, &v));
		if (ru->kind == GW_RULE_TEMPERATURE_PAIR && !has_delta && !isnan(v)) {
			out->delta_c = v;
			has_delta = true;
		}
	}
	slots(p, day, out);
	moisture(p, day, out);
}

static void count_day(struct gw_plot_result *r, const struct gw_plot_day *d, bool in_window)
{
	if (d->state != GW_FS_NO_DATA && !r->first_evidence)
		r->first_evidence = d->day;
	if (d->state == GW_FS_COVERED) {
		r->season_covered++;
		if (!r->first_covered)
			r->first_covered = d->day;
	}
	if (!in_window)
		return;
	r->received += d->received;
	r->expected += d->expected;
	r->covered += d->state == GW_FS_COVERED;
	r->not_covered += d->state == GW_FS_NOT_COVERED;
	r->indeterminate += d->state == GW_FS_INDETERMINATE;
	r->no_data += d->state == GW_FS_NO_DATA;
}

static int plot_result(struct plot_ctx *p, struct gw_plot_result *r)
{
	size_t cap = (size_t)(p->year_last - p->year_first + 1);

	memset(r, 0, sizeof(*r));
	snprintf(r->plot, sizeof(r->plot), "%s", p->plot);
	plot_rules(p);
	r->days = calloc(cap, sizeof(*r->days));
	if (!r->days)
		return -ENOMEM;
	for (int32_t day = p->year_first; p->nrules && day <= p->year_last; day++) {
		bool in_window = day >= p->win_first && day <= p->win_last;

		if (!in_window && !has_data(p, day))
			continue;
		fill_day(p, day, &r->days[r->ndays]);
		count_day(r, &r->days[r->ndays], in_window);
		r->ndays++;
	}
	gw_verdict_decide(&p->a->ac, p->nrules > 0, r);
	return 0;
}

/* The season's year and the window's days (clipped at today or the newest reading). */
static void season(const struct gw_acc *a, const struct gw_accept_opts *o, int64_t now_ms,
                   struct plot_ctx *p)
{
	int32_t sec, today = gw_tz_day(a->tz, a->max_ts > now_ms ? a->max_ts : now_ms, &sec);
	int ws = o && o->window_start ? o->window_start : a->ac.window_start;
	int we = o && o->window_end ? o->window_end : a->ac.window_end;
	int year = o && o->year ? o->year : a->ac.year;

	if (!year)
		year = (a->max_ts != INT64_MIN ? gw_acc_yyyymmdd(gw_tz_day(a->tz, a->max_ts, &sec))
		                               : gw_acc_yyyymmdd(today)) /
		       10000;
	p->year_first = gw_acc_day_of(year, 1, 1);
	p->year_last = gw_acc_day_of(year, 12, 31);
	p->win_first = gw_acc_day_of(year, ws / 100, ws % 100);
	p->win_last = gw_acc_day_of(year, we / 100, we % 100);
	if (p->win_last > today)
		p->win_last = today;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The plots to report: recs' in order, then the rules' plots not in recs, sorted. Returns
 * an owned array of borrowed names in *names, or -ENOMEM. */
static int plot_list(const struct gw_acc *a, const struct gw_records *recs, const char ***names,
                     size_t *n)
{
	size_t nrec = recs ? recs->nplots : 0, k = 0, extra;
	const char **v = calloc(nrec + a->nrules + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nrec; i++)
		v[k++] = recs->plots[i].id;
	extra = k;
	for (size_t r = 0; r < a->nrules; r++) {
		const char *plot = a->rules[r].plot;
		bool dup = recs && gw_records_plot(recs, plot);

		for (size_t j = extra; j < k && !dup; j++)
			dup = strcmp(v[j], plot) == 0;
		if (!dup)
			v[k++] = plot;
	}
	qsort(v + extra, k - extra, sizeof(*v), cmp_str);
	*names = v;
	*n = k;
	return 0;
}

int gw_acc_finish(struct gw_acc *a, const struct gw_records *recs, const struct gw_accept_opts *o,
                  int64_t now_ms, struct gw_plot_result **out, size_t *n)
{
	struct plot_ctx p = {.a = a};
	struct gw_plot_result *res;
	const char **names;
	size_t nplots;
	int rc = plot_list(a, recs, &names, &nplots);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	season(a, o, now_ms, &p);
	res = calloc(nplots + 1, sizeof(*res));
	rc = res ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < nplots; i++) {
		p.plot = names[i];
		rc = plot_result(&p, &res[i]);
	}
	free(names);
	if (rc) {
		gw_plot_results_free(res, nplots);
		return rc;
	}
	*out = res;
	*n = nplots;
	return 0;
}
