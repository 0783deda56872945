/* The acceptance section and the film_rules sequence of gateway.yaml: thresholds and
 * dates (with DESIGN.md's defaults), each rule checked against the sensors it names (on
 * its plot, of the right kind: the profile has the point, the point is a temperature,
 * an illuminance or a digital input, the placement fits), and the implicit
 * temperature_pair of a plot that has an under-film and a bare probe but no rule. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "config_load.h"

#define REQ GW_CK_REQUIRED

_Static_assert(sizeof(((struct gw_film_rule *)0)->plot) == GW_ID_LEN, "plot id length");

static const struct gw_accept_cfg accept_defaults = {
        .window_start = 620,
        .window_end = 715,
        .laying_deadline = 510,
        .min_availability = 0.8,
        .min_covered_days = 1,
        .pass_min_covered_share = 0.5,
        .pass_max_not_covered = 0.2,
        .fail_min_not_covered = 0.5,
        .hour_start = 10,
        .hour_end = 16,
        .min_day_fraction = 0.5,
        .covered_delta_c = 1.5,
        .not_covered_delta_c = 0.5,
        .light_covered_max = 0.3,
        .light_not_covered_min = 0.7,
        .min_reference_lux = 1000,
        .switch_covered_fraction = 0.9,
        .switch_not_covered_fraction = 0.1,
};

/* The section as read: the dates stay text until parsed here. */
struct accept_tmp {
	struct gw_accept_cfg a;
	char window[32];
	char deadline[16];
};

#define A_INT(...)  GW_KEY_INT(struct accept_tmp, __VA_ARGS__)
#define A_NUM(...)  GW_KEY_NUM(struct accept_tmp, __VA_ARGS__)
#define A_STR(k, f) GW_KEY_STR(struct accept_tmp, k, f, GW_CK_STR, 0, NULL, NULL)

static const struct gw_ckey accept_keys[] = {
        A_STR("window", window),
        A_STR("laying_deadline", deadline),
        A_INT("year", a.year, 0, 2000, 2100, 0),
        A_NUM("min_availability", a.min_availability, 0, 0, 1, 0),
        A_INT("min_covered_days", a.min_covered_days, 0, 0, 366, 1),
        A_NUM("pass_min_covered_share", a.pass_min_covered_share, 0, 0, 1, 0),
        A_NUM("pass_max_not_covered", a.pass_max_not_covered, 0, 0, 1, 0),
        A_NUM("fail_min_not_covered", a.fail_min_not_covered, 0, 0, 1, 0),
        A_INT("hour_start", a.hour_start, 0, 0, 23, 10),
        A_INT("hour_end", a.hour_end, 0, 1, 24, 16),
        A_NUM("min_day_fraction", a.min_day_fraction, 0, 0, 1, 0),
        A_NUM("delta_covered_c", a.covered_delta_c, 0, -20, 20, 0),
        A_NUM("delta_not_covered_c", a.not_covered_delta_c, 0, -20, 20, 0),
        A_NUM("light_covered_max", a.light_covered_max, 0, 0, 10, 0),
        A_NUM("light_not_covered_min", a.light_not_covered_min, 0, 0, 10, 0),
        A_NUM("light_min_reference_lux", a.min_reference_lux, 0, 0, 200000, 0),
        A_NUM("switch_covered_min", a.switch_covered_fraction, 0, 0, 1, 0),
        A_NUM("switch_not_covered_max", a.switch_not_covered_fraction, 0, 0, 1, 0),
};

static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* "MM-DD" -> MMDD, or -1. */
static int parse_mmdd(const char *s, size_t len)
{
	int m, d;

	if (len != 5 || s[2] != '-')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1])
		return -1;
	return m * 100 + d;
}

int gw_accept_parse_window(const char *s, int *start, int *end)
{
	const char *dots = strstr(s, "..");

	if (!dots)
		return -EINVAL;
	*start = parse_mmdd(s, (size_t)(dots - s));
	*end = parse_mmdd(dots + 2, strlen(dots + 2));
	return *start < 0 || *end < 0 || *start > *end ? -EINVAL : 0;
}

static const struct gw_ynode *seen_val(const struct gw_ypair **seen, const char *key)
{
	const struct gw_ypair *p =
	        seen[gw_ctable_index(accept_keys, GW_ARRAY_LEN(accept_keys), key)];

	return p ? p->val : NULL;
}

static int accept_dates(struct gw_cload *l, struct accept_tmp *t, const struct gw_ypair **seen)
{
	const struct gw_ynode *w = seen_val(seen, "window");
	const struct gw_ynode *d = seen_val(seen, "laying_deadline");
	int deadline = d ? parse_mmdd(t->deadline, strlen(t->deadline)) : 0;
	int errors = 0, ws, we;

	if (w && gw_accept_parse_window(t->window, &ws, &we) == 0) {
		t->a.window_start = ws;
		t->a.window_end = we;
	} else if (w) {
		gw_diag_error_at(l->c.d, &w->src,
		                 "acceptance.window: not a window (got \"%s\", want MM-DD..MM-DD, "
		                 "start not after end)",
		                 t->window);
		errors++;
	}
	if (deadline > 0)
		t->a.laying_deadline = deadline;
	if (deadline < 0) {
		gw_diag_error_at(l->c.d, &d->src,
		                 "acceptance.laying_deadline: not a date (got \"%s\", want MM-DD)",
		                 t->deadline);
		errors++;
	}
	return errors;
}

/* Reports lo >= hi (or lo > hi when equal is allowed) at the key hi_key. */
static int order(struct gw_cload *l, const struct gw_ynode *sec, const struct gw_ypair **seen,
                 const char *lo_key, double lo, const char *hi_key, double hi, bool eq_ok)
{
	const struct gw_ynode *at = seen_val(seen, hi_key);

	/* a value that could not be read is reported already */
	if ((gw_yaml_get(sec, lo_key) && !seen_val(seen, lo_key)) ||
	    (gw_yaml_get(sec, hi_key) && !at))
		return 0;
	if (lo < hi || (eq_ok && lo == hi))
		return 0;
	if (!at)
		at = seen_val(seen, lo_key);
	gw_diag_error_at(l->c.d, at ? &at->src : &sec->src,
	                 "acceptance.%s: must be %s acceptance.%s (got %g and %g)", hi_key,
	                 eq_ok ? "at least" : "above", lo_key, hi, lo);
	return 1;
}

static int accept_orders(struct gw_cload *l, const struct gw_ynode *n, const struct gw_ypair **seen)
{
	const struct gw_accept_cfg *a = &l->cfg->accept;
	int e = 0;

	e += order(l, n, seen, "hour_start", a->hour_start, "hour_end", a->hour_end, false);
	e += order(l, n, seen, "pass_max_not_covered", a->pass_max_not_covered,
	           "fail_min_not_covered", a->fail_min_not_covered, true);
	e += order(l, n, seen, "delta_not_covered_c", a->not_covered_delta_c, "delta_covered_c",
	           a->covered_delta_c, false);
	e += order(l, n, seen, "light_covered_max", a->light_covered_max, "light_not_covered_min",
	           a->light_not_covered_min, false);
	e += order(l, n, seen, "switch_not_covered_max", a->switch_not_covered_fraction,
	           "switch_covered_min", a->switch_covered_fraction, false);
	return e;
}

int gw_config_load_accept(struct gw_cload *l, const struct gw_ynode *n)
{
	const struct gw_ypair *seen[GW_ARRAY_LEN(accept_keys)];
	struct accept_tmp t;
	int errors;

	memset(&t, 0, sizeof(t));
	errors = gw_ctable_fill(&l->c, "acceptance", n, accept_keys, GW_ARRAY_LEN(accept_keys), &t,
	                        seen);
	/* the table's defaults are whole numbers: take DESIGN's for every key not given */
	for (size_t i = 0; i < GW_ARRAY_LEN(accept_keys); i++) {
		size_t off = accept_keys[i].offset; /* t.a is the first member */

		if (!seen[i] && off < sizeof(t.a))
			memcpy((char *)&t.a + off, (const char *)&accept_defaults + off,
			       accept_keys[i].size);
	}
	t.a.window_start = accept_defaults.window_start;
	t.a.window_end = accept_defaults.window_end;
	t.a.laying_deadline = accept_defaults.laying_deadline;
	errors += accept_dates(l, &t, seen);
	l->cfg->accept = t.a;
	if (n->type == GW_Y_MAP)
		errors += accept_orders(l, n, seen);
	return errors;
}

void gw_config_accept_defaults(struct gw_config *cfg)
{
	cfg->accept = accept_defaults;
}
