/* The county's forms (forms.c) and the report's cells (report_cols.c): one plot's amounts
 * under the default and changed rates, rounding half away from zero and the printed form
 * of numbers, categories kept apart at every level, households without plots, empty
 * levels, verified area from pass verdicts only, masking of ID numbers and phones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "forms.h"
#include "report.h"

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static const struct gw_rates_cfg rates = {
        .full_film_kg_per_mu = 9,
        .half_film_kg_per_mu = 7,
        .rolls_per_mu = 1,
        .seed_kg_per_mu = 2,
        .film_yuan_per_kg = 14,
        .seed_yuan_per_kg = 25,
        .intercrop_yuan_per_mu = 54,
        .soybean_kg_per_mu = 3,
        .government_pct = 70,
};

/* Two townships, three villages; H1..H4 with plots, H5 without any. */
static struct gw_household households[] = {
        {.id = "H1",
         .township = "T1",
         .village = "V1",
         .id_number = "64042419680312121X",
         .beneficiaries = 4,
         .category = GW_CAT_POVERTY_ALLEVIATED,
         .phone = "13909541201"},
        {.id = "H2",
         .township = "T1",
         .village = "V1",
         .id_number = "640424197509212422",
         .beneficiaries = 5,
         .category = GW_CAT_GENERAL},
        {.id = "H3",
         .township = "T1",
         .village = "V2",
         .id_number = "640424198201053183",
         .beneficiaries = 3,
         .category = GW_CAT_POVERTY_ALLEVIATED},
        {.id = "H4",
         .township = "T2",
         .village = "V3",
         .id_number = "640424195911304270",
         .beneficiaries = 2,
         .category = GW_CAT_GENERAL},
        {.id = "H5",
         .township = "T2",
         .village = "V3",
         .id_number = "640424198806155154",
         .beneficiaries = 6,
         .category = GW_CAT_GENERAL},
};

static struct gw_plot plots[] = {
        {.id = "P1",
         .seed_variety = "XY",
         .household = 0,
         .area_mu = 6.5,
         .film = GW_FILM_HALF,
         .planting = GW_PLANT_SINGLE},
        {.id = "P2",
         .household = 1,
         .area_mu = 8.0,
         .film = GW_FILM_HALF,
         .planting = GW_PLANT_INTERCROP},
        {.id = "P3",
         .household = 2,
         .area_mu = 4.2,
         .film = GW_FILM_FULL,
         .planting = GW_PLANT_GRAIN},
        {.id = "P4",
         .household = 3,
         .area_mu = 5.0,
         .film = GW_FILM_NONE,
         .planting = GW_PLANT_SINGLE},
        {.id = "P5",
         .seed_variety = "X",
         .household = 0,
         .area_mu = 1.5,
         .film = GW_FILM_FULL,
         .planting = GW_PLANT_SINGLE},
};

static size_t order[] = {0, 1, 2, 3, 4};

static struct gw_records recs = {
        .households = households,
        .nhouseholds = 5,
        .plots = plots,
        .nplots = 5,
        .plot_order = order,
};

static struct gw_form *build(enum gw_form_level level, int category,
                             const struct gw_plot_result *res, size_t n)
{
	struct gw_form_opts o = {.level = level, .category = category, .rates = &rates};
	struct gw_form *f = NULL;

	assert_int_equal(gw_form_build(&recs, res, n, &o, &f), 0);
	assert_non_null(f);
	return f;
}

static void test_forms_plot_sums_rates_ok(void **state)
{
	struct gw_form_sums s;
	struct gw_rates_cfg r = rates;

	(void)state;
	gw_form_plot_sums(&plots[1], NULL, &rates, &s); /* 8 mu half film, intercrop */
	assert_near(s.half_kg, 56, 1e-9);
	assert_near(s.half_rolls, 8, 1e-9);
	assert_near(s.half_yuan, 784, 1e-9);
	assert_near(s.seed_kg, 16, 1e-9);
	assert_near(s.seed_yuan, 400, 1e-9);
	assert_near(s.intercrop_yuan, 432, 1e-9);
	assert_near(s.soybean_kg, 24, 1e-9);
	assert_near(s.total_yuan, 784 + 400 + 432, 1e-9);
	assert_near(s.government_yuan, 1616 * 0.7, 1e-9);
	assert_near(s.household_yuan, 1616 * 0.3, 1e-9);
	assert_int_equal(s.unjudged, 1);
	gw_form_plot_sums(&plots[3], NULL, &rates, &s); /* no film: seed only */
	assert_near(s.full_kg + s.half_kg, 0, 0);
	assert_near(s.none_mu, 5, 0);
	assert_near(s.total_yuan, 250, 1e-9);
	r.full_film_kg_per_mu = 10;
	r.government_pct = 100;
	gw_form_plot_sums(&plots[2], NULL, &r, &s); /* 4.2 mu full */
	assert_near(s.full_kg, 42, 1e-9);
	assert_near(s.household_yuan, 0, 1e-9);
}

static void test_forms_round_half_away_ok(void **state)
{
	static const struct {
		double x;
		int decimals;
		const char *want;
	} cases[] = {
	        {1.005, 2, "1.01"},    {2.675, 2, "2.68"},    {-1.005, 2, "-1.01"},
	        {-0.001, 2, "0"},      {1594.2, 2, "1594.2"}, {280.82, 2, "280.82"},
	        {18500, 2, "18500"},   {0.0005, 3, "0.001"},  {760.5, 3, "760.5"},
	        {0.1 + 0.2, 2, "0.3"}, {2.5, 0, "3"},         {1e9 / 3, 2, "333333333.33"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		assert_string_equal(gw_form_num(cases[i].x, cases[i].decimals, buf, sizeof(buf)),
		                    cases[i].want);
	assert_near(gw_form_round(0.125, 2), 0.13, 1e-12);
}

static void test_forms_township_categories_apart_ok(void **state)
{
	struct gw_form *f = build(GW_LEVEL_TOWNSHIP, -1, NULL, 0);

	(void)state;
	assert_int_equal(f->nrows, 2);
	assert_string_equal(f->rows[0].township, "T1");
	assert_int_equal(f->rows[0].all.households, 3);
	assert_near(f->rows[0].cat[GW_CAT_POVERTY_ALLEVIATED].area_mu, 6.5 + 4.2 + 1.5, 1e-9);
	assert_near(f->rows[0].cat[GW_CAT_GENERAL].area_mu, 8.0, 1e-9);
	assert_near(f->rows[0].cat[GW_CAT_POVERTY_ALLEVIATED].full_kg, (4.2 + 1.5) * 9, 1e-9);
	/* a household without plots still counts, with its beneficiaries */
	assert_int_equal(f->rows[1].all.households, 2);
	assert_int_equal(f->rows[1].all.beneficiaries, 8);
	assert_int_equal(f->rows[1].all.plots, 1);
	assert_int_equal(f->total.all.households, 5);
	assert_near(f->total.all.area_mu, 25.2, 1e-9);
	gw_form_free(f);
}

static void test_forms_village_rows_per_category_ok(void **state)
{
	struct gw_form *f = build(GW_LEVEL_VILLAGE, -1, NULL, 0);

	(void)state;
	/* by township, then poverty-alleviated before general: V1 pa, V2 pa, V1 general, V3 */
	assert_int_equal(f->nrows, 4);
	assert_string_equal(f->rows[0].village, "V1");
	assert_int_equal(f->rows[0].category, GW_CAT_POVERTY_ALLEVIATED);
	assert_string_equal(f->rows[1].village, "V2");
	assert_int_equal(f->rows[1].category, GW_CAT_POVERTY_ALLEVIATED);
	assert_string_equal(f->rows[2].village, "V1");
	assert_int_equal(f->rows[2].category, GW_CAT_GENERAL);
	assert_near(f->rows[0].all.area_mu, 8.0, 1e-9);
	assert_string_equal(f->rows[0].varieties, "XY;X"); /* P1 and P5, each once */
	assert_string_equal(f->rows[1].varieties, "");
	assert_int_equal(f->rows[3].all.households, 2);
	gw_form_free(f);
}

static void test_forms_household_rows_by_village_then_category_ok(void **state)
{
	/* records order H4 (T2), H3 (T1 V2), H2 (T1 V1 general), H5 (T2), H1 (T1 V1 pa) */
	struct gw_household hh[5] = {households[3], households[2], households[1], households[4],
	                             households[0]};
	struct gw_records r = {.households = hh, .nhouseholds = 5};
	struct gw_form_opts o = {.level = GW_LEVEL_HOUSEHOLD, .category = -1, .rates = &rates};
	static const char *const want[] = {"H4", "H5", "H3", "H1", "H2"};
	struct gw_form *f = NULL;

	(void)state;
	assert_int_equal(gw_form_build(&r, NULL, 0, &o, &f), 0);
	assert_int_equal(f->nrows, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(f->rows[i].household->id, want[i]);
	gw_form_free(f);
}

static void test_forms_category_filter_and_empty_ok(void **state)
{
	struct gw_records none = {0};
	struct gw_form_opts o = {.level = GW_LEVEL_TOWNSHIP, .category = -1, .rates = &rates};
	struct gw_form *f = build(GW_LEVEL_PLOT, GW_CAT_GENERAL, NULL, 0);

	(void)state;
	assert_int_equal(f->nrows, 2); /* P2, P4 */
	assert_string_equal(f->rows[0].plot->id, "P2");
	assert_int_equal(f->total.all.households, 3);
	assert_near(f->total.cat[GW_CAT_POVERTY_ALLEVIATED].area_mu, 0, 0);
	gw_form_free(f);
	for (int level = GW_LEVEL_PLOT; level <= GW_LEVEL_TOWNSHIP; level++) {
		o.level = (enum gw_form_level)level;
		assert_int_equal(gw_form_build(&none, NULL, 0, &o, &f), 0);
		assert_int_equal(f->nrows, 0);
		assert_near(f->total.all.area_mu, 0, 0);
		gw_form_free(f);
	}
}

static void test_forms_verified_area_pass_only_ok(void **state)
{
	struct gw_plot_result res[4] = {
	        {.plot = "P1", .verdict = GW_VERDICT_PASS},
	        {.plot = "P2", .verdict = GW_VERDICT_FAIL},
	        {.plot = "P3", .verdict = GW_VERDICT_INDETERMINATE},
	        {.plot = "nowhere", .verdict = GW_VERDICT_PASS},
	};
	struct gw_form *f = build(GW_LEVEL_HOUSEHOLD, -1, res, 4);

	(void)state;
	assert_int_equal(f->nrows, 5);
	assert_near(f->rows[0].all.verified_mu, 6.5, 1e-9); /* P1 pass, P5 unjudged */
	assert_int_equal(f->rows[0].all.unjudged, 1);
	assert_near(f->rows[1].all.verified_mu, 0, 0);
	assert_int_equal(f->rows[1].all.verdicts[GW_VERDICT_FAIL], 1);
	assert_near(f->total.all.verified_mu, 6.5, 1e-9);
	assert_int_equal(f->total.all.verdicts[GW_VERDICT_PASS], 1);
	assert_int_equal(f->total.all.unjudged, 2);
	gw_form_free(f);
}

static const char *cell(const struct gw_form *f, size_t row, const char *key, bool unmasked,
                        struct gw_cell *c)
{
	struct gw_report_meta m = {.rates = &rates, .unmasked = unmasked};
	size_t n;
	const struct gw_rcol *cols = gw_report_columns(f->level, &n);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(cols[i].key, key) == 0) {
			gw_report_cell(f, row < f->nrows ? &f->rows[row] : &f->total,
			               row >= f->nrows, &cols[i], &m, c);
			return gw_cell_text(c);
		}
	}
	fail_msg("no column %s", key);
	return NULL;
}

static void test_report_cells_masked_ok(void **state)
{
	struct gw_plot_result res = {.plot = "P1",
	                             .verdict = GW_VERDICT_PASS,
	                             .received = 7997,
	                             .expected = 10000,
	                             .availability = 0.7997,
	                             .first_covered = 20230512,
	                             .late = true,
	                             .reason = "why"};
	struct gw_form *f = build(GW_LEVEL_PLOT, -1, &res, 1);
	struct gw_cell c;

	(void)state;
	assert_string_equal(cell(f, 0, "id_number", false, &c), "640424********121X");
	assert_string_equal(cell(f, 0, "phone", false, &c), "139****1201");
	assert_string_equal(cell(f, 0, "id_number", true, &c), "64042419680312121X");
	assert_string_equal(cell(f, 1, "phone", false, &c), "");
	assert_string_equal(cell(f, 0, "verdict", false, &c), "pass");
	/* 79.97 % is truncated, never shown as 0.800 next to insufficient_data */
	assert_string_equal(cell(f, 0, "availability", false, &c), "0.799");
	assert_string_equal(cell(f, 0, "reason", false, &c), "why");
	assert_string_equal(cell(f, 0, "first_covered", false, &c), "2023-05-12");
	assert_string_equal(cell(f, 0, "late", false, &c), "late");
	res.late = false;
	res.laying_unknown = true;
	res.first_evidence = 20230601;
	assert_string_equal(cell(f, 0, "late", false, &c),
	                    "laying date unknown (evidence from 06-01)");
	assert_string_equal(cell(f, 1, "verdict", false, &c), "");
	assert_string_equal(cell(f, 0, "verified_area_mu", false, &c), "6.5");
	assert_string_equal(cell(f, 5, "township", false, &c), "total");
	assert_string_equal(cell(f, 5, "funds_total_yuan", false, &c), "3831.2");
	assert_string_equal(cell(f, 5, "id_number", false, &c), "");
	gw_form_free(f);
}

static void test_report_township_columns_ok(void **state)
{
	struct gw_form *f = build(GW_LEVEL_TOWNSHIP, -1, NULL, 0);
	struct gw_cell c;

	(void)state;
	assert_string_equal(cell(f, 0, "area_poverty_alleviated_mu", false, &c), "12.2");
	assert_string_equal(cell(f, 0, "pa_film_kg", false, &c), "96.8"); /* 6.5*7 + 5.7*9 */
	assert_string_equal(cell(f, 0, "gen_seed_kg", false, &c), "16");
	assert_string_equal(cell(f, 0, "corn_soy_intercrop_mu", false, &c), "8");
	assert_string_equal(cell(f, 2, "funds_total_10k_yuan", false, &c), "0.38");
	assert_string_equal(cell(f, 2, "soybean_t", false, &c), "0.024");
	gw_form_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_forms_plot_sums_rates_ok),
	        cmocka_unit_test(test_forms_round_half_away_ok),
	        cmocka_unit_test(test_forms_township_categories_apart_ok),
	        cmocka_unit_test(test_forms_village_rows_per_category_ok),
	        cmocka_unit_test(test_forms_household_rows_by_village_then_category_ok),
	        cmocka_unit_test(test_forms_category_filter_and_empty_ok),
	        cmocka_unit_test(test_forms_verified_area_pass_only_ok),
	        cmocka_unit_test(test_report_cells_masked_ok),
	        cmocka_unit_test(test_report_township_columns_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
