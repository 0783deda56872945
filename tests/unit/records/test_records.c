/* households.csv and plots.csv: the demo's records, the roster's Chinese headers in a
 * GB18030 file, each tests/fixtures/records/bad_NAME/ against the exact text of
 * bad_NAME.expected, and the value helpers (GB 11643, phone, masks, labels). Runs from
 * the source dir so fixture paths in messages are relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "records.h"
#include "fixture.h"

#define FIXTURES "tests/fixtures/records/"

/* A config with only the records paths set: what gw_records_load reads of it. */
static void records_cfg(struct gw_config *cfg, const char *dir)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->households_path, sizeof(cfg->households_path), "%shouseholds.csv", dir);
	snprintf(cfg->plots_path, sizeof(cfg->plots_path), "%splots.csv", dir);
}

/* Loads cfg's records with diagnostics into *text (owned). Returns gw_records_load's rc. */
static int load(const struct gw_config *cfg, struct gw_records **r, char **text)
{
	struct gw_diag d;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int rc;

	assert_non_null(f);
	gw_diag_init(&d, f);
	*r = (struct gw_records *)text; /* must be overwritten */
	rc = gw_records_load(cfg, &d, r);
	fclose(f);
	return rc;
}

static void test_records_demo_loads_clean_ok(void **state)
{
	struct gw_config *cfg = NULL;
	struct gw_records *r;
	struct gw_diag d;
	char *text = NULL;

	(void)state;
	gw_diag_init(&d, stderr);
	assert_int_equal(gw_config_load("config/demo/gateway.yaml", &d, &cfg), 0);
	if (load(cfg, &r, &text) != 0 || text[0])
		fail_msg("demo records: %s", text);
	assert_int_equal(r->nhouseholds, 6);
	assert_int_equal(r->nplots, 6);
	for (size_t i = 0; i < cfg->nsensors; i++)
		if (cfg->sensors[i].plot[0])
			assert_non_null(gw_records_plot(r, cfg->sensors[i].plot));
	assert_string_equal(r->households[0].id_number, "64042419680312121X");
	assert_string_equal(gw_records_household_of(r, gw_records_plot(r, "JH-0002"))->id, "H006");
	assert_true(gw_records_area_mu(r, GW_FILM_HALF) > 29.99);
	assert_true(gw_records_area_mu(r, GW_FILM_HALF) < 30.01);
	free(text);
	gw_records_free(r);
	gw_config_free(cfg);
}

static void check_gb18030_households(const struct gw_records *r)
{
	const struct gw_household *h = &r->households[0];

	assert_int_equal(r->nhouseholds, 3);
	assert_string_equal(h->id, "H001");
	assert_string_equal(h->name, "马建国");
	assert_string_equal(h->township, "新民乡");
	assert_string_equal(h->village, "新民村");
	assert_string_equal(h->group, "1");
	assert_string_equal(h->id_number, "64042419680312121X"); /* x upper-cased */
	assert_int_equal(h->beneficiaries, 4);
	assert_int_equal(h->category, GW_CAT_POVERTY_ALLEVIATED);
	assert_string_equal(h->phone, "13909541201");
	assert_int_equal(h->line, 2);
	h = &r->households[1];
	assert_string_equal(h->township, "泾河源镇");
	assert_int_equal(h->category, GW_CAT_GENERAL);
	assert_string_equal(h->phone, "");
	assert_string_equal(r->households[2].name, "禹志强");
	assert_string_equal(r->households[2].phone, "0954-5012345");
}

static void test_records_gb18030_chinese_headers_ok(void **state)
{
	struct gw_config cfg;
	struct gw_records *r;
	const struct gw_plot *p;
	char *text = NULL;

	(void)state;
	records_cfg(&cfg, FIXTURES "good_gb18030/");
	if (load(&cfg, &r, &text) != 0 || text[0])
		fail_msg("good_gb18030: %s", text);
	check_gb18030_households(r);
	assert_int_equal(r->nplots, 3);
	p = gw_records_plot(r, "XM-0002");
	assert_non_null(p);
	assert_int_equal(p->household, 1);
	assert_true(p->area_mu == 8.0);
	assert_int_equal(p->film, GW_FILM_FULL);
	assert_int_equal(p->planting, GW_PLANT_INTERCROP);
	assert_string_equal(p->seed_variety, "先玉335, 改良");
	assert_false(p->has_pos);
	p = gw_records_plot(r, "XM-0001");
	assert_string_equal(p->id, "XM-0001"); /* the BOM is not part of the first header */
	assert_true(p->has_pos && p->lat == 35.49 && p->lon == 106.33);
	assert_int_equal(p->film, GW_FILM_HALF);
	assert_int_equal(p->planting, GW_PLANT_SINGLE);
	p = gw_records_plot(r, "XM-0003");
	assert_int_equal(p->film, GW_FILM_NONE);
	assert_int_equal(p->planting, GW_PLANT_GRAIN);
	assert_true(p->lat == -35.5 && p->lon == -106.25);
	assert_null(gw_records_plot(r, "XM-0004"));
	assert_null(gw_records_plot(r, ""));
	free(text);
	gw_records_free(r);
}

static void test_records_no_section_empty_ok(void **state)
{
	struct gw_config cfg;
	struct gw_records *r;
	char *text = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load(&cfg, &r, &text), 0);
	assert_string_equal(text, "");
	assert_non_null(r);
	assert_int_equal(r->nhouseholds + r->nplots, 0);
	assert_null(gw_records_plot(r, "XM-0001"));
	free(text);
	gw_records_free(r);
	gw_records_free(NULL);
}

static void test_records_unreadable_errno(void **state)
{
	struct gw_config cfg;
	struct gw_records *r;
	char *text = NULL;

	(void)state;
	records_cfg(&cfg, FIXTURES "no_such_dir/");
	assert_int_equal(load(&cfg, &r, &text), -ENOENT);
	assert_null(r);
	assert_string_equal(text,
	                    FIXTURES "no_such_dir/households.csv: error: cannot read: No "
	                             "such file or directory\n" FIXTURES
	                             "no_such_dir/plots.csv: error: cannot read: No such file or "
	                             "directory\n");
	free(text);
}

/* One bad case: a dir with households.csv and plots.csv (and a gateway.yaml when the
 * config's sensors are part of the case), against its .expected. */
static bool bad_fixture_matches(const char *dir)
{
	struct gw_config mem, *cfg = &mem;
	struct gw_records *r;
	struct gw_diag d;
	char path[512], *text = NULL;
	bool ok;
	int rc;

	snprintf(path, sizeof(path), "%sgateway.yaml", dir);
	if (access(path, F_OK) == 0) {
		gw_diag_init(&d, stderr);
		if (gw_config_load(path, &d, &cfg))
			fail_msg("%s does not load", path);
	} else {
		records_cfg(&mem, dir);
	}
	rc = load(cfg, &r, &text);
	snprintf(path, sizeof(path), "%.*s.expected", (int)strlen(dir) - 1, dir);
	ok = gw_test_bad_fixture_ok(dir, path, rc, r != NULL, text);
	if (cfg != &mem)
		gw_config_free(cfg);
	free(text);
	return ok;
}

static void test_records_bad_fixtures_match_expected(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(gw_test_each_path(FIXTURES "bad_*/", GLOB_MARK | GLOB_ONLYDIR,
	                                   bad_fixture_matches, &n),
	                 0);
	assert_true(n >= 19);
}

static void test_records_every_expected_has_fixture_ok(void **state)
{
	glob_t g;
	struct stat st;
	char dir[512];

	(void)state;
	assert_int_equal(glob(FIXTURES "bad_*.expected", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		snprintf(dir, sizeof(dir), "%.*s",
		         (int)(strlen(g.gl_pathv[i]) - strlen(".expected")), g.gl_pathv[i]);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			fail_msg("%s has no fixture dir", g.gl_pathv[i]);
	}
	globfree(&g);
}

static void test_records_gb11643_cases_ok(void **state)
{
	static const struct {
		const char *id;
		bool valid;
	} cases[] = {
	        {"64042419680312121X", true},
	        {"64042419680312121x", true},
	        {"640424197509212422", true},
	        {"11010519491231002X", true},
	        {"440524188001010014", true},
	        {"640424197509212423", false},
	        {"64042419680312121", false},
	        {"6404241968031212100", false},
	        {"6404241968031212AX", false},
	        {"64042419680312121Y", false},
	        {"", false},
	        {"6.40424E+17", false},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		if (gw_gb11643_valid(cases[i].id) != cases[i].valid)
			fail_msg("%s: want %s", cases[i].id, cases[i].valid ? "valid" : "invalid");
}

static void test_records_mask_id_cases_ok(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"64042419680312121X", "640424********121X"},
	        {"640424197509212422", "640424********2422"},
	        {"64042419680312121", "640424********2121"}, /* malformed still masked */
	        {"6.40424E+17", "******"},                   /* too short to show any */
	        {"", "******"},
	        {"马建国马建国马建国", "******"},
	};
	char out[GW_MASK_LEN];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		assert_int_equal(gw_mask_id(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(gw_mask_id("64042419680312121X", out, 18), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(gw_mask_id("64042419680312121X", out, 19), 0);
}

static void test_records_mask_phone_cases_ok(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"13909541201", "139****1201"},
	        {"0954-5012345", "095****2345"},
	        {"1390954120", "******"},
	        {"12345", "******"},
	};
	char out[GW_MASK_LEN];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		assert_int_equal(gw_mask_phone(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(gw_mask_phone("13909541201", out, 11), -ENOSPC);
}

static void test_records_phone_cases_ok(void **state)
{
	static const struct {
		const char *p;
		bool valid;
	} cases[] = {
	        {"13909541201", true},     {"19912345678", true},
	        {"0954-5012345", true},    {"09545012345", true},
	        {"010-12345678", true},    {"01012345678", true},
	        {"1390954120", false},     {"139095412011", false},
	        {"12909541201", false},    {"23909541201", false},
	        {"0954-501234", false},    {"0954-", false},
	        {"095-45-01234", false},   {"", false},
	        {"+8613909541201", false},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++)
		if (gw_phone_valid(cases[i].p) != cases[i].valid)
			fail_msg("%s: want %s", cases[i].p, cases[i].valid ? "valid" : "invalid");
}

static void test_records_labels_round_trip_ok(void **state)
{
	enum gw_film f;
	enum gw_category c;
	enum gw_planting p;

	(void)state;
	assert_int_equal(gw_film_parse("全膜", &f), 0);
	assert_int_equal(f, GW_FILM_FULL);
	assert_int_equal(gw_film_parse("半膜", &f), 0);
	assert_string_equal(gw_film_name(f), "half");
	assert_int_equal(gw_film_parse("无", &f), 0);
	assert_string_equal(gw_film_name(f), "none");
	assert_int_equal(gw_film_parse("Full", &f), -EINVAL);
	assert_int_equal(gw_category_parse("脱贫户", &c), 0);
	assert_string_equal(gw_category_name(c), "poverty_alleviated");
	assert_int_equal(gw_category_parse("一般户", &c), 0);
	assert_string_equal(gw_category_name(c), "general");
	assert_int_equal(gw_category_parse("贫困户", &c), -EINVAL);
	assert_int_equal(gw_planting_parse("间作", &p), 0);
	assert_string_equal(gw_planting_name(p), "intercrop");
	assert_int_equal(gw_planting_parse("套种", &p), 0);
	assert_int_equal(p, GW_PLANT_INTERCROP);
	assert_int_equal(gw_planting_parse("籽粒", &p), 0);
	assert_string_equal(gw_planting_name(p), "grain");
	/* the gazette's own term (appendix table 1); rejected before issue 14 */
	p = GW_PLANT_SINGLE;
	assert_int_equal(gw_planting_parse("玉豆套种", &p), 0);
	assert_int_equal(p, GW_PLANT_INTERCROP);
	assert_int_equal(gw_planting_parse("单种", &p), 0);
	assert_string_equal(gw_planting_name(p), "single");
}

/* The report's --encoding gb18030 goes through here: fails if the direction is swapped or
 * the bytes are cut short. */
static void test_records_to_gb18030_bytes_ok(void **state)
{
	static const char want[] = "\xd3\xf1\xb6\xb9\xcc\xd7\xd6\xd6,ab";
	char *out = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(gw_records_to_gb18030("玉豆套种,ab", strlen("玉豆套种,ab"), &out, &n), 0);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	assert_int_equal(out[n], '\0');
	free(out);
	assert_int_equal(gw_records_to_gb18030("\xff\xfe", 2, &out, &n), -EILSEQ);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_records_demo_loads_clean_ok),
	        cmocka_unit_test(test_records_gb18030_chinese_headers_ok),
	        cmocka_unit_test(test_records_no_section_empty_ok),
	        cmocka_unit_test(test_records_unreadable_errno),
	        cmocka_unit_test(test_records_bad_fixtures_match_expected),
	        cmocka_unit_test(test_records_every_expected_has_fixture_ok),
	        cmocka_unit_test(test_records_gb11643_cases_ok),
	        cmocka_unit_test(test_records_mask_id_cases_ok),
	        cmocka_unit_test(test_records_mask_phone_cases_ok),
	        cmocka_unit_test(test_records_phone_cases_ok),
	        cmocka_unit_test(test_records_labels_round_trip_ok),
	        cmocka_unit_test(test_records_to_gb18030_bytes_ok),
	};

	/* relative paths, so messages (and .expected files) name fixtures relatively */
	if (chdir(GW_SOURCE_DIR) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
