/* util/yaml.c (tree, positions, rejected constructs, syntax errors) and
 * util/num.c (strict numbers and ranges). Several cases pin fixes: decimal
 * "010", blanks around numbers, 1-based syntax error positions, the position
 * of an empty value, and no leak on rejected documents (under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "num.h"
#include "yaml.h"

struct long_case {
	const char *s;
	long min, max;
	int rc;
	long want;
};

static const struct long_case long_cases[] = {
        {"10", 0, 100, 0, 10},        {"010", 0, 100, 0, 10}, /* decimal, not octal */
        {"08", 0, 100, 0, 8},         {"0x1F", 0, 100, 0, 31},
        {"0X1f", 0, 100, 0, 31},      {"-5", -10, 10, 0, -5},
        {"+7", 0, 10, 0, 7},          {"-0x10", -100, 100, 0, -16},
        {"", 0, 10, -EINVAL, 0},      {" 5", 0, 10, -EINVAL, 0},
        {"5 ", 0, 10, -EINVAL, 0},    {"- 5", -10, 10, -EINVAL, 0},
        {"--5", -10, 10, -EINVAL, 0}, {"+-5", -10, 10, -EINVAL, 0},
        {"0x", 0, 10, -EINVAL, 0},    {"0x-1", -10, 10, -EINVAL, 0},
        {"1.5", 0, 10, -EINVAL, 0},   {"5ms", 0, 10, -EINVAL, 0},
        {"fast", 0, 10, -EINVAL, 0},  {"11", 0, 10, -ERANGE, 0},
        {"-1", 0, 10, -ERANGE, 0},    {"99999999999999999999", 0, 10, -ERANGE, 0},
};

static void test_num_long_cases_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(long_cases); i++) {
		const struct long_case *c = &long_cases[i];
		long v = -12345;
		int rc = gw_num_long(c->s, c->min, c->max, &v);

		if (rc != c->rc || (rc == 0 && v != c->want) || (rc != 0 && v != -12345))
			fail_msg("gw_num_long(\"%s\"): rc %d value %ld, want rc %d value %ld", c->s,
			         rc, v, c->rc, c->want);
	}
}

struct double_case {
	const char *s;
	int rc;
	double want;
};

static const struct double_case double_cases[] = {
        {"1.5", 0, 1.5},      {"-0.25", 0, -0.25},   {"1e3", 0, 1000.0},   {"7", 0, 7.0},
        {"1e-400", 0, 0.0},   {"", -EINVAL, 0},      {" 1", -EINVAL, 0},   {"1 ", -EINVAL, 0},
        {"0x10", -EINVAL, 0}, {"1,5", -EINVAL, 0},   {"nan", -ERANGE, 0},  {"inf", -ERANGE, 0},
        {"-inf", -ERANGE, 0}, {"1e999", -ERANGE, 0}, {"1001", -ERANGE, 0},
};

static void test_num_double_cases_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(double_cases); i++) {
		const struct double_case *c = &double_cases[i];
		double v = -12345;
		int rc = gw_num_double(c->s, -1000, 1000, &v);

		if (rc != c->rc || (rc == 0 && v != c->want))
			fail_msg("gw_num_double(\"%s\"): rc %d value %g, want rc %d value %g", c->s,
			         rc, v, c->rc, c->want);
	}
}

struct ranges_case {
	const char *s;
	int rc;
	const char *want; /* set members as 0/1 for 0..9 */
};

static const struct ranges_case ranges_cases[] = {
        {"3", 0, "0001000000"},   {"1-3,5", 0, "0111010000"}, {"0x2-4", 0, "0011100000"},
        {"9,0", 0, "1000000001"}, {"", -EINVAL, NULL},        {"1,,2", -EINVAL, NULL},
        {",1", -EINVAL, NULL},    {"1,", -EINVAL, NULL},      {"3-1", -EINVAL, NULL},
        {"1-", -EINVAL, NULL},    {"-1", -EINVAL, NULL},      {"1-10", -EINVAL, NULL},
        {"1-2-3", -EINVAL, NULL}, {"a", -EINVAL, NULL},
};

static void test_num_ranges_cases_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(ranges_cases); i++) {
		const struct ranges_case *c = &ranges_cases[i];
		uint8_t set[10];
		char got[11] = "";
		int rc = gw_num_ranges(c->s, 0, 9, set);

		for (int k = 0; rc == 0 && k < 10; k++)
			got[k] = set[k] ? '1' : '0';
		if (rc != c->rc || (rc == 0 && strcmp(got, c->want) != 0))
			fail_msg("gw_num_ranges(\"%s\"): rc %d set %s, want rc %d set %s", c->s, rc,
			         got, c->rc, c->want ? c->want : "-");
	}
}

/* Parses text named "t.yaml"; *diag receives the diagnostics (owned). */
static struct gw_ydoc *parse(const char *text, char **diag)
{
	struct gw_diag d;
	size_t len = 0;
	FILE *f = open_memstream(diag, &len);
	struct gw_ydoc *doc;

	assert_non_null(f);
	gw_diag_init(&d, f);
	doc = gw_yaml_load_string("t.yaml", text, &d);
	fclose(f);
	return doc;
}

static void test_yaml_tree_positions_ok(void **state)
{
	char *diag = NULL;
	struct gw_ydoc *doc = parse("a: 1\nb:\n  - x\n  - {c: 'q', d: }\ne:\n", &diag);
	const struct gw_ynode *b, *m;

	(void)state;
	assert_string_equal(diag, "");
	assert_non_null(doc);
	assert_int_equal(doc->root->type, GW_Y_MAP);
	assert_int_equal(doc->root->n, 3);
	assert_string_equal(gw_yaml_get(doc->root, "a")->str, "1");
	assert_int_equal(gw_yaml_get(doc->root, "a")->src.line, 1);
	assert_int_equal(gw_yaml_get(doc->root, "a")->src.col, 4);
	b = gw_yaml_get(doc->root, "b");
	assert_int_equal(b->type, GW_Y_SEQ);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->items[0]->str, "x");
	assert_int_equal(b->items[0]->src.line, 3);
	assert_int_equal(b->items[0]->src.col, 5);
	m = b->items[1];
	assert_int_equal(m->type, GW_Y_MAP);
	assert_false(gw_yaml_get(m, "c")->plain);
	assert_int_equal(gw_yaml_get(m, "c")->src.col, 9); /* at the quote */
	assert_false(gw_yaml_is_null(gw_yaml_get(m, "c")));
	/* an empty value has no token: it is placed at its key, not at 0:0 */
	assert_true(gw_yaml_is_null(gw_yaml_get(m, "d")));
	assert_int_equal(gw_yaml_get(m, "d")->src.line, 4);
	assert_int_equal(gw_yaml_get(m, "d")->src.col, 14);
	assert_int_equal(gw_yaml_get(doc->root, "e")->src.line, 5);
	assert_int_equal(gw_yaml_get(doc->root, "e")->src.col, 1);
	assert_null(gw_yaml_get(doc->root, "z"));
	assert_null(gw_yaml_get(b, "a"));
	assert_string_equal(doc->root->pairs[0].key->src.file, "t.yaml");
	gw_yaml_free(doc);
	free(diag);
}

static void test_yaml_null_and_type_names_ok(void **state)
{
	char *diag = NULL;
	struct gw_ydoc *doc = parse("a: ~\nb: null\nc: ''\nd: NULL\ne: nil\nf: [1]\n", &diag);

	(void)state;
	assert_non_null(doc);
	assert_true(gw_yaml_is_null(gw_yaml_get(doc->root, "a")));
	assert_true(gw_yaml_is_null(gw_yaml_get(doc->root, "b")));
	assert_false(gw_yaml_is_null(gw_yaml_get(doc->root, "c"))); /* quoted */
	assert_true(gw_yaml_is_null(gw_yaml_get(doc->root, "d")));
	assert_false(gw_yaml_is_null(gw_yaml_get(doc->root, "e")));
	assert_false(gw_yaml_is_null(gw_yaml_get(doc->root, "f")));
	assert_true(gw_yaml_is_null(NULL));
	assert_string_equal(gw_yaml_type_name(doc->root), "mapping");
	assert_string_equal(gw_yaml_type_name(gw_yaml_get(doc->root, "f")), "sequence");
	assert_string_equal(gw_yaml_type_name(gw_yaml_get(doc->root, "a")), "scalar");
	assert_string_equal(gw_yaml_type_name(NULL), "nothing");
	gw_yaml_free(doc);
	gw_yaml_free(NULL);
	free(diag);
}

struct reject_case {
	const char *text;
	const char *diag;
};

/* Each is rejected with exactly this text; under ASan, without a leak. */
static const struct reject_case reject_cases[] = {
        {"a: 1\nb: @x\n", "t.yaml:2:4: error: YAML syntax: plain scalar cannot start with '@'\n"},
        {"a: 1\nb: [1, 2\n",
         "t.yaml:3:1: error: YAML syntax: flow sequence without a closing bracket\n"},
        {"a: 1\na: 2\n", "t.yaml:2:1: error: duplicate key \"a\" (first at line 1)\n"},
        {"a: &x 1\nb: *x\nc: 3\n", "t.yaml:2:4: error: aliases are not supported\n"},
        {"? [a]\n: 1\nb: 2\n", "t.yaml:1:3: error: complex mapping keys are not supported\n"},
        {"? {a: 1}\n: 1\n", "t.yaml:1:3: error: complex mapping keys are not supported\n"},
        {"a: 1\n---\nb: [2]\n", "t.yaml:2: error: more than one YAML document in the file\n"},
        /* directives are refused before libfyaml 0.7.12 can spin on a bad one */
        {"%\"\xa6", "t.yaml:1:1: error: YAML directives (%...) are not supported\n"},
        {"# c\n%YAML 1.2\n---\na: 1\n",
         "t.yaml:2:1: error: YAML directives (%...) are not supported\n"},
        /* invalid UTF-8 (here GB18030 bytes) is refused before libfyaml leaks on it */
        {"a: 1\nt: '\xd0\xc2\xc3\xf1'\n",
         "t.yaml:2:5: error: not valid UTF-8 (save the file as UTF-8)\n"},
        {"a: \xe6\x96\xb0\xed\xa0\x80\n",
         "t.yaml:1:5: error: not valid UTF-8 (save the file as UTF-8)\n"},
        {"a: \xc0\xaf\n", "t.yaml:1:4: error: not valid UTF-8 (save the file as UTF-8)\n"},
        {"a: \xe6\x96\n", "t.yaml:1:4: error: not valid UTF-8 (save the file as UTF-8)\n"},
        /* libfyaml's echo of the source line is not read back as a second error (it
         * was, before errors were collected: "t.yaml: error: YAML syntax: %s") */
        {"a: 1\nb: \"x: error: %s\n",
         "t.yaml:2:5: error: YAML syntax: double-quoted scalar without closing quote\n"},
        /* libfyaml 0.7.12 mis-reads '' '' in a row: this read as "x'''" before the
         * check, and twelve quotes (found by fuzz_profile) as "" with a leak */
        {"a: 'x''''y'\n",
         "t.yaml:1:4: error: two '' escapes in a row are not supported (use double quotes)\n"},
        {"''''''''''''",
         "t.yaml:1:1: error: two '' escapes in a row are not supported (use double quotes)\n"},
};

static void test_yaml_rejects_cases_reported(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(reject_cases); i++) {
		char *diag = NULL;
		struct gw_ydoc *doc = parse(reject_cases[i].text, &diag);

		if (doc || strcmp(diag, reject_cases[i].diag) != 0)
			fail_msg("case %zu: doc %s, diagnostics:\n%swant:\n%s", i,
			         doc ? "returned" : "NULL", diag, reject_cases[i].diag);
		free(diag);
	}
}

/* One '' escape, or one at each end, still reads right. */
static void test_yaml_single_quote_escapes_ok(void **state)
{
	char *diag = NULL;
	struct gw_ydoc *doc = parse("a: 'it''s'\nb: 'x'''\nc: '''x'\nd: ''''\n", &diag);

	(void)state;
	assert_string_equal(diag, "");
	assert_non_null(doc);
	assert_string_equal(gw_yaml_get(doc->root, "a")->str, "it's");
	assert_string_equal(gw_yaml_get(doc->root, "b")->str, "x'");
	assert_string_equal(gw_yaml_get(doc->root, "c")->str, "'x");
	assert_string_equal(gw_yaml_get(doc->root, "d")->str, "'");
	gw_yaml_free(doc);
	free(diag);
}

struct wide_case {
	int width;  /* blanks before the quote */
	char quote; /* '"' or '\'' */
	const char *what;
};

/* An unclosed quoted scalar whose error token spans lines wider than 80 columns.
 * libfyaml 0.7.12's own error printer overran a stack buffer on it: before the
 * fix this test binary died with SIGSEGV (from width 400 on x86_64). */
static void test_yaml_wide_error_token_reported(void **state)
{
	static const struct wide_case cases[] = {
	        {100, '"', "double-quoted"},
	        {400, '"', "double-quoted"},
	        {1000, '"', "double-quoted"},
	        {4000, '\'', "single-quoted"},
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		int w = cases[i].width;
		char *text = malloc((size_t)w * 4 + 64);
		char want[128];
		char *diag = NULL;
		struct gw_ydoc *doc;
		int n;

		assert_non_null(text);
		n = sprintf(text, "gateway:\n  id:%*s%cabc%%s%%n%%x\n   ", w, "", cases[i].quote);
		memset(text + n, 'y', (size_t)w * 3);
		strcpy(text + n + w * 3, "\n");
		snprintf(want, sizeof(want),
		         "t.yaml:2:%d: error: YAML syntax: %s scalar without closing quote\n",
		         5 + w + 2, cases[i].what);
		doc = parse(text, &diag);
		if (doc || strcmp(diag, want) != 0)
			fail_msg("width %d: doc %s, diagnostics:\n%swant:\n%s", w,
			         doc ? "returned" : "NULL", diag, want);
		free(diag);
		free(text);
	}
}

static void test_yaml_deep_nesting_reported(void **state)
{
	char text[200] = "a: ";
	char *diag = NULL;
	struct gw_ydoc *doc;

	(void)state;
	memset(text + 3, '[', 70);
	memset(text + 73, ']', 70);
	doc = parse(text, &diag);
	assert_null(doc);
	/* the mapping is level 1, so the 64th '[' (column 67) is one too many */
	assert_string_equal(diag, "t.yaml:1:67: error: nesting deeper than 64 levels\n");
	free(diag);
}

static void test_yaml_empty_document_null_root_ok(void **state)
{
	char *diag = NULL;
	struct gw_ydoc *doc = parse("# nothing\n", &diag);

	(void)state;
	assert_non_null(doc);
	assert_null(doc->root);
	assert_string_equal(diag, "");
	gw_yaml_free(doc);
	free(diag);
}

/* Loads path; returns the diagnostics (owned) and whether a document came back. */
static char *load_file(const char *path, bool *loaded)
{
	struct gw_diag d;
	char *diag = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&diag, &len);
	struct gw_ydoc *doc;

	assert_non_null(f);
	gw_diag_init(&d, f);
	doc = gw_yaml_load(path, &d);
	fclose(f);
	*loaded = doc != NULL;
	gw_yaml_free(doc);
	return diag;
}

static void test_yaml_file_cases_ok(void **state)
{
	char dir[] = "/tmp/test_yaml_XXXXXX";
	char path[64];
	bool loaded;
	char *diag;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a: 1\nb: [x, y]\n", f);
	fclose(f);
	diag = load_file(path, &loaded);
	assert_true(loaded);
	assert_string_equal(diag, "");
	free(diag);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("a: 1\n\0b: 2\n", 1, 12, f);
	fclose(f);
	diag = load_file(path, &loaded);
	assert_false(loaded);
	assert_non_null(strstr(diag, "t.yaml: error: not a text file (contains a NUL byte)\n"));
	free(diag);
	diag = load_file(dir, &loaded);
	assert_false(loaded);
	assert_non_null(strstr(diag, ": error: cannot read: Is a directory\n"));
	free(diag);
	unlink(path);
	rmdir(dir);
}

static void test_yaml_missing_file_reported(void **state)
{
	struct gw_diag d;
	char *diag = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&diag, &len);

	(void)state;
	gw_diag_init(&d, f);
	assert_null(gw_yaml_load("/nonexistent/t.yaml", &d));
	fclose(f);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(diag,
	                    "/nonexistent/t.yaml: error: cannot open: No such file or directory\n");
	free(diag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_num_long_cases_ok),
	        cmocka_unit_test(test_num_double_cases_ok),
	        cmocka_unit_test(test_num_ranges_cases_ok),
	        cmocka_unit_test(test_yaml_tree_positions_ok),
	        cmocka_unit_test(test_yaml_null_and_type_names_ok),
	        cmocka_unit_test(test_yaml_rejects_cases_reported),
	        cmocka_unit_test(test_yaml_single_quote_escapes_ok),
	        cmocka_unit_test(test_yaml_wide_error_token_reported),
	        cmocka_unit_test(test_yaml_deep_nesting_reported),
	        cmocka_unit_test(test_yaml_empty_document_null_root_ok),
	        cmocka_unit_test(test_yaml_file_cases_ok),
	        cmocka_unit_test(test_yaml_missing_file_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
