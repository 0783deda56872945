/* The county's forms: plots, their households and verdicts -> rows at plot, household,
 * village or township level that add up area, film rolls and kg, seed, funds, the
 * government/household split and verified area, kept apart for each household category
 * (DESIGN.md "Film-cover evidence and acceptance"). Aggregation only: no I/O, no format. */
#ifndef GW_FORMS_H
#define GW_FORMS_H

#include <stdbool.h>
#include <stddef.h>

#include "acceptance.h"
#include "config.h"
#include "records.h"

#define GW_NCATEGORIES 2
#define GW_NVERDICTS   6

enum gw_form_level { GW_LEVEL_PLOT, GW_LEVEL_HOUSEHOLD, GW_LEVEL_VILLAGE, GW_LEVEL_TOWNSHIP };

/* What one plot, or a set of them, adds up to. Amounts are exact (no rounding here). */
struct gw_form_sums {
	unsigned households, beneficiaries, plots;
	double area_mu;                           /* area handed out (every film type) */
	double full_mu, half_mu, none_mu;         /* by film */
	double single_mu, intercrop_mu, grain_mu; /* by planting */
	double full_rolls, full_kg, half_rolls, half_kg;
	double seed_kg;    /* corn */
	double soybean_kg; /* the intercrop's soybean (funds: intercrop_yuan) */
	double full_yuan, half_yuan, seed_yuan, intercrop_yuan;
	double total_yuan, government_yuan, household_yuan;
	double verified_mu;              /* area of plots whose verdict is pass */
	unsigned verdicts[GW_NVERDICTS]; /* plots by verdict (enum gw_verdict) */
	unsigned unjudged;               /* plots without a verdict given */
};

/* One row of a form. Pointers borrow the records and the results given to gw_form_build. */
struct gw_form_row {
	const char *township;
	const char *village;                  /* village, household and plot levels */
	const struct gw_household *household; /* household and plot levels */
	const struct gw_plot *plot;           /* plot level */
	const struct gw_plot_result *result;  /* plot level; NULL when no verdict was given */
	int category;                         /* enum gw_category; -1 at township level (both) */
	struct gw_form_sums cat[GW_NCATEGORIES];
	struct gw_form_sums all; /* cat[0] + cat[1] */
	char varieties[128];     /* household and village: the plots' seed varieties, "a;b" */
	size_t seq, rank, vrank; /* ordering (internal) */
};

struct gw_form {
	enum gw_form_level level;
	int category; /* -1: both; else only households of this category were counted */
	/* in the order their first household appears in the records; village rows grouped by
	 * township, then category (poverty_alleviated first); household rows by township and
	 * village, then category */
	struct gw_form_row *rows;
	size_t nrows;
	struct gw_form_row total; /* every row added up (township "" ) */
};

struct gw_form_opts {
	enum gw_form_level level;
	int category;                     /* -1: both */
	const struct gw_rates_cfg *rates; /* borrows */
};

/* Adds up r's households and plots into rows at o->level. results (n of them, may be NULL)
 * are matched to plots by id; a plot without one counts as unjudged. Borrows r, results and
 * o (the form keeps pointers into r and results: free it first). Returns 0 with *out owned
 * (gw_form_free), or -ENOMEM. */
int gw_form_build(const struct gw_records *r, const struct gw_plot_result *results, size_t n,
                  const struct gw_form_opts *o, struct gw_form **out);
/* Frees f; NULL is a no-op. */
void gw_form_free(struct gw_form *f);

/* What one plot of household category adds up to under rates (verdict: result, or NULL). */
void gw_form_plot_sums(const struct gw_plot *p, const struct gw_plot_result *result,
                       const struct gw_rates_cfg *rates, struct gw_form_sums *out);
/* a += b. */
void gw_form_sums_add(struct gw_form_sums *a, const struct gw_form_sums *b);

/* x rounded half away from zero to decimals places and printed without trailing zeros
 * ("18500", "280.82", "180.3", "0"), into buf (>= 32 bytes). Returns buf. */
const char *gw_form_num(double x, int decimals, char *buf, size_t len);
/* x rounded half away from zero to decimals places. */
double gw_form_round(double x, int decimals);

/* "plot", "household", "village", "township"; and back (-EINVAL when unknown). */
const char *gw_form_level_name(enum gw_form_level l);
int gw_form_level_parse(const char *s, enum gw_form_level *out);

#endif
