/* The county's forms: each plot's area, film, seed and funds under the configured rates,
 * added up by household, village or township and kept apart by household category.
 * Aggregation only: no I/O, no formatting beyond the one number printer the writers share. */
#include "forms.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gw_form_sums_add(struct gw_form_sums *a, const struct gw_form_sums *b)
{
	a->households += b->households;
	a->beneficiaries += b->beneficiaries;
	a->plots += b->plots;
	a->area_mu += b->area_mu;
	a->full_mu += b->full_mu;
	a->half_mu += b->half_mu;
	a->none_mu += b->none_mu;
	a->single_mu += b->single_mu;
	a->intercrop_mu += b->intercrop_mu;
	a->grain_mu += b->grain_mu;
	a->full_rolls += b->full_rolls;
	a->full_kg += b->full_kg;
	a->half_rolls += b->half_rolls;
	a->half_kg += b->half_kg;
	a->seed_kg += b->seed_kg;
	a->soybean_kg += b->soybean_kg;
	a->full_yuan += b->full_yuan;
	a->half_yuan += b->half_yuan;
	a->seed_yuan += b->seed_yuan;
	a->intercrop_yuan += b->intercrop_yuan;
	a->total_yuan += b->total_yuan;
	a->government_yuan += b->government_yuan;
	a->household_yuan += b->household_yuan;
	a->verified_mu += b->verified_mu;
	for (size_t v = 0; v < GW_NVERDICTS; v++)
		a->verdicts[v] += b->verdicts[v];
	a->unjudged += b->unjudged;
}

static void plot_film(const struct gw_plot *p, const struct gw_rates_cfg *rt,
                      struct gw_form_sums *s)
{
	switch (p->film) {
	case GW_FILM_FULL:
		s->full_mu = p->area_mu;
		s->full_rolls = p->area_mu * rt->rolls_per_mu;
		s->full_kg = p->area_mu * rt->full_film_kg_per_mu;
		s->full_yuan = s->full_kg * rt->film_yuan_per_kg;
		break;
	case GW_FILM_HALF:
		s->half_mu = p->area_mu;
		s->half_rolls = p->area_mu * rt->rolls_per_mu;
		s->half_kg = p->area_mu * rt->half_film_kg_per_mu;
		s->half_yuan = s->half_kg * rt->film_yuan_per_kg;
		break;
	default:
		s->none_mu = p->area_mu;
		break;
	}
}

static void plot_planting(const struct gw_plot *p, const struct gw_rates_cfg *rt,
                          struct gw_form_sums *s)
{
	switch (p->planting) {
	case GW_PLANT_INTERCROP:
		s->intercrop_mu = p->area_mu;
		s->intercrop_yuan = p->area_mu * rt->intercrop_yuan_per_mu;
		s->soybean_kg = p->area_mu * rt->soybean_kg_per_mu;
		break;
	case GW_PLANT_GRAIN:
		s->grain_mu = p->area_mu;
		break;
	default:
		s->single_mu = p->area_mu;
		break;
	}
}

void gw_form_plot_sums(const struct gw_plot *p, const struct gw_plot_result *result,
                       const struct gw_rates_cfg *rt, struct gw_form_sums *s)
{
	memset(s, 0, sizeof(*s));
	s->plots = 1;
	s->area_mu = p->area_mu;
	plot_film(p, rt, s);
	plot_planting(p, rt, s);
	/* corn seed goes to every plot, the intercrop's included (the plan's 201 t) */
	s->seed_kg = p->area_mu * rt->seed_kg_per_mu;
	s->seed_yuan = s->seed_kg * rt->seed_yuan_per_kg;
	s->total_yuan = s->full_yuan + s->half_yuan + s->seed_yuan + s->intercrop_yuan;
	s->government_yuan = s->total_yuan * rt->government_pct / 100.0;
	s->household_yuan = s->total_yuan - s->government_yuan;
	if (!result) {
		s->unjudged = 1;
		return;
	}
	if ((unsigned)result->verdict < GW_NVERDICTS)
		s->verdicts[result->verdict] = 1;
	if (result->verdict == GW_VERDICT_PASS)
		s->verified_mu = p->area_mu;
}

/* The row for household h at level, appended when new. Returns its index or -ENOMEM. */
static long row_of(struct gw_form *f, const struct gw_household *h, size_t *cap)
{
	for (size_t i = 0; f->level == GW_LEVEL_VILLAGE && i < f->nrows; i++) {
		const struct gw_form_row *w = &f->rows[i];

		if ((int)h->category == w->category && strcmp(w->township, h->township) == 0 &&
		    strcmp(w->village, h->village) == 0)
			return (long)i;
	}
	for (size_t i = 0; f->level == GW_LEVEL_TOWNSHIP && i < f->nrows; i++)
		if (strcmp(f->rows[i].township, h->township) == 0)
			return (long)i;
	if (f->nrows == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct gw_form_row *rows = realloc(f->rows, ncap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		f->rows = rows;
		*cap = ncap;
	}
	memset(&f->rows[f->nrows], 0, sizeof(f->rows[0]));
	f->rows[f->nrows].township = h->township;
	f->rows[f->nrows].village = f->level == GW_LEVEL_TOWNSHIP ? "" : h->village;
	f->rows[f->nrows].household = f->level <= GW_LEVEL_HOUSEHOLD ? h : NULL;
	f->rows[f->nrows].category = f->level == GW_LEVEL_TOWNSHIP ? -1 : (int)h->category;
	return (long)f->nrows++;
}

static void row_add(struct gw_form *f, struct gw_form_row *w, enum gw_category c,
                    const struct gw_form_sums *s)
{
	gw_form_sums_add(&w->cat[c], s);
	gw_form_sums_add(&w->all, s);
	gw_form_sums_add(&f->total.cat[c], s);
	gw_form_sums_add(&f->total.all, s);
}

/* Adds variety to w's list ("a;b") unless it is there; a list that no longer fits ends
 * in "...". */
static void add_variety(struct gw_form_row *w, const char *variety)
{
	size_t len = strlen(w->varieties), vlen = strlen(variety);
	const char *at = w->varieties;

	if (!vlen)
		return;
	while ((at = strstr(at, variety)) != NULL) {
		if ((at == w->varieties || at[-1] == ';') && (at[vlen] == ';' || !at[vlen]))
			return;
		at += vlen;
	}
	if (len >= 3 && strcmp(w->varieties + len - 3, "...") == 0)
		return;
	if (len + 1 + vlen + 4 > sizeof(w->varieties)) {
		snprintf(w->varieties + len, sizeof(w->varieties) - len, "%s",
		         len ? ";..." : "...");
		return;
	}
	snprintf(w->varieties + len, sizeof(w->varieties) - len, "%s%s", len ? ";" : "", variety);
}

/* The result of each plot (by plot index), NULL where none was given. Returns owned. */
static const struct gw_plot_result **match_results(const struct gw_records *r,
                                                   const struct gw_plot_result *results, size_t n)
{
	const struct gw_plot_result **by_plot = calloc(r->nplots ? r->nplots : 1, sizeof(*by_plot));

	for (size_t i = 0; by_plot && results && i < n; i++) {
		const struct gw_plot *p = gw_records_plot(r, results[i].plot);

		if (p)
			by_plot[p - r->plots] = &results[i];
	}
	return by_plot;
}

static bool counted(const struct gw_form_opts *o, const struct gw_household *h)
{
	return o->category < 0 || (int)h->category == o->category;
}

/* Rows of one township together, and at household level of one village together, each
 * group where its first row was; then poverty-alleviated before general (the county keeps
 * a summary table and a roster per category); then the records' order. */
static int cmp_rows(const void *a, const void *b)
{
	const struct gw_form_row *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->vrank != y->vrank)
		return x->vrank < y->vrank ? -1 : 1;
	if (x->category != y->category)
		return x->category < y->category ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_place(const struct gw_form_row *x, const struct gw_form_row *y, bool village)
{
	int c = strcmp(x->township, y->township);

	if (c || !village)
		return c;
	return strcmp(x->village, y->village);
}

static int cmp_by_township(const void *a, const void *b)
{
	const struct gw_form_row *const *x = a, *const *y = b;
	int c = cmp_place(*x, *y, false);

	return c ? c : (*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq;
}

static int cmp_by_village(const void *a, const void *b)
{
	const struct gw_form_row *const *x = a, *const *y = b;
	int c = cmp_place(*x, *y, true);

	return c ? c : (*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq;
}

/* Sets rank (village: vrank) of every row to the seq of the first row of its place. */
static void rank_places(struct gw_form_row **by, size_t n, bool village)
{
	qsort(by, n, sizeof(*by), village ? cmp_by_village : cmp_by_township);
	for (size_t i = 0, first = 0; i < n; i++) {
		if (i && cmp_place(by[i - 1], by[i], village))
			first = i;
		if (village)
			by[i]->vrank = by[first]->seq;
		else
			by[i]->rank = by[first]->seq;
	}
}

static int order_rows(struct gw_form *f)
{
	struct gw_form_row **by = malloc((f->nrows ? f->nrows : 1) * sizeof(*by));

	if (!by)
		return -ENOMEM;
	for (size_t i = 0; i < f->nrows; i++) {
		f->rows[i].seq = i;
		f->rows[i].vrank = 0;
		by[i] = &f->rows[i];
	}
	rank_places(by, f->nrows, false);
	if (f->level == GW_LEVEL_HOUSEHOLD)
		rank_places(by, f->nrows, true);
	free(by);
	if (f->nrows)
		qsort(f->rows, f->nrows, sizeof(*f->rows), cmp_rows);
	return 0;
}

/* Household and higher levels: a row per household, village (and category) or township. */
static int build_grouped(struct gw_form *f, const struct gw_records *r,
                         const struct gw_plot_result **by_plot, const struct gw_form_opts *o)
{
	long *hrow = malloc((r->nhouseholds ? r->nhouseholds : 1) * sizeof(*hrow));
	struct gw_form_sums s;
	size_t cap = 0;

	if (!hrow)
		return -ENOMEM;
	for (size_t i = 0; i < r->nhouseholds; i++) {
		const struct gw_household *h = &r->households[i];

		hrow[i] = -1;
		if (!counted(o, h))
			continue;
		hrow[i] = row_of(f, h, &cap);
		if (hrow[i] < 0) {
			free(hrow);
			return -ENOMEM;
		}
		memset(&s, 0, sizeof(s));
		s.households = 1;
		s.beneficiaries = h->beneficiaries;
		row_add(f, &f->rows[hrow[i]], h->category, &s);
	}
	for (size_t i = 0; i < r->nplots; i++) {
		const struct gw_plot *p = &r->plots[i];

		if (hrow[p->household] < 0)
			continue;
		gw_form_plot_sums(p, by_plot[i], o->rates, &s);
		row_add(f, &f->rows[hrow[p->household]], r->households[p->household].category, &s);
		add_variety(&f->rows[hrow[p->household]], p->seed_variety);
	}
	free(hrow);
	return f->level == GW_LEVEL_TOWNSHIP ? 0 : order_rows(f);
}

/* Plot level: a row per plot, in the plots' order, carrying its household's counts. */
static int build_plots(struct gw_form *f, const struct gw_records *r,
                       const struct gw_plot_result **by_plot, const struct gw_form_opts *o)
{
	struct gw_form_sums s;

	f->rows = calloc(r->nplots ? r->nplots : 1, sizeof(*f->rows));
	if (!f->rows)
		return -ENOMEM;
	for (size_t i = 0; i < r->nplots; i++) {
		const struct gw_plot *p = &r->plots[i];
		const struct gw_household *h = &r->households[p->household];
		struct gw_form_row *w = &f->rows[f->nrows];

		if (!counted(o, h))
			continue;
		f->nrows++;
		w->township = h->township;
		w->village = h->village;
		w->household = h;
		w->plot = p;
		w->result = by_plot[i];
		w->category = (int)h->category;
		gw_form_plot_sums(p, by_plot[i], o->rates, &s);
		row_add(f, w, h->category, &s);
	}
	/* households in the total: each counted once, plots or not */
	for (size_t i = 0; i < r->nhouseholds; i++) {
		const struct gw_household *h = &r->households[i];

		if (!counted(o, h))
			continue;
		f->total.cat[h->category].households++;
		f->total.cat[h->category].beneficiaries += h->beneficiaries;
		f->total.all.households++;
		f->total.all.beneficiaries += h->beneficiaries;
	}
	return 0;
}

int gw_form_build(const struct gw_records *r, const struct gw_plot_result *results, size_t n,
                  const struct gw_form_opts *o, struct gw_form **out)
{
	const struct gw_plot_result **by_plot;
	struct gw_form *f;
	int rc;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	by_plot = match_results(r, results, n);
	if (!f || !by_plot) {
		rc = -ENOMEM;
		goto out_free;
	}
	f->level = o->level;
	f->category = o->category;
	f->total.township = "";
	f->total.village = "";
	f->total.category = o->category;
	if (o->level == GW_LEVEL_PLOT)
		rc = build_plots(f, r, by_plot, o);
	else
		rc = build_grouped(f, r, by_plot, o);
	if (rc)
		goto out_free;
	free(by_plot);
	*out = f;
	return 0;
out_free:
	free(by_plot);
	gw_form_free(f);
	return rc;
}

void gw_form_free(struct gw_form *f)
{
	if (!f)
		return;
	free(f->rows);
	free(f);
}

double gw_form_round(double x, int decimals)
{
	double p = pow(10.0, decimals);
	double v = x * p;

	/* 1.005 is 1.00499999... in binary: a nudge far below the last place rounds it up */
	v += copysign(fmax(1.0, fabs(v)) * 1e-12, v);
	return round(v) / p;
}

const char *gw_form_num(double x, int decimals, char *buf, size_t len)
{
	double v = gw_form_round(x, decimals);
	char *dot, *end;
	int n;

	if (v == 0)
		v = 0; /* no "-0" */
	n = snprintf(buf, len, "%.*f", decimals, v);
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	dot = strchr(buf, '.');
	if (!dot)
		return buf;
	end = buf + strlen(buf) - 1;
	while (end > dot && *end == '0')
		*end-- = '\0';
	if (end == dot)
		*end = '\0';
	return buf;
}

static const char *const level_names[] = {"plot", "household", "village", "township"};

const char *gw_form_level_name(enum gw_form_level l)
{
	return (unsigned)l < 4 ? level_names[l] : "?";
}

int gw_form_level_parse(const char *s, enum gw_form_level *out)
{
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum gw_form_level)i;
			return 0;
		}
	}
	return -EINVAL;
}
