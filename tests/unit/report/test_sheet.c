/* The sheet model (sheet.c) and the report's csv field rule (report_csv.c): the heading
 * grid's merged cells for the gazette's three-level headings, worksheet names kept unique,
 * at most 31 characters and free of the characters a spreadsheet refuses, cells and total
 * rows, the flat heading of a csv, formula-like text neutralised and ID numbers kept text.
 * Fails if a group heading stops spanning its columns, a leaf stops spanning down, a long
 * or repeated name reaches a spreadsheet as is, or "=..." leaves the csv writer live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sheet.h"

static const struct gw_sheet_col cols[] = {
        {"no", {"序号"}, {"No."}, GW_COL_NUM, 4},
        {"full_rolls", {"地膜", "全膜", "卷"}, {"film", "full", "rolls"}, GW_COL_NUM, 6},
        {"full_kg", {"地膜", "全膜", "公斤"}, {"film", "full", "kg"}, GW_COL_NUM, 6},
        {"half_rolls", {"地膜", "半膜", "卷"}, {"film", "half", "rolls"}, GW_COL_NUM, 6},
        {"fund_full", {"地膜资金", "全膜"}, {"film funds", "full"}, GW_COL_NUM, 6},
        {"fund_half", {"地膜资金", "半膜"}, {"film funds", "half"}, GW_COL_NUM, 6},
        {"remarks", {"备注"}, {"remarks"}, GW_COL_INK, 6},
};

static void test_sheet_headings_spans_ok(void **state)
{
	struct gw_book b = {.form = "t"};
	struct gw_sheet *s = gw_book_add(&b, cols, GW_ARRAY_LEN(cols));
	size_t rows, ncols;
	char buf[64];

	(void)state;
	assert_non_null(s);
	assert_int_equal(gw_sheet_depth(s), 3);
	assert_string_equal(gw_sheet_heading(s, 0, 0, GW_LANG_ZH, &rows, &ncols), "序号");
	assert_int_equal(rows, 3);
	assert_string_equal(gw_sheet_heading(s, 0, 1, GW_LANG_ZH, &rows, &ncols), "地膜");
	assert_int_equal(ncols, 3);
	assert_int_equal(rows, 1);
	assert_null(gw_sheet_heading(s, 0, 2, GW_LANG_ZH, &rows, &ncols));
	assert_string_equal(gw_sheet_heading(s, 1, 1, GW_LANG_ZH, &rows, &ncols), "全膜");
	assert_int_equal(ncols, 2);
	assert_string_equal(gw_sheet_heading(s, 1, 3, GW_LANG_EN, &rows, &ncols), "half");
	assert_int_equal(ncols, 1);
	assert_string_equal(gw_sheet_heading(s, 2, 2, GW_LANG_ZH, &rows, &ncols), "公斤");
	/* a two-level column's leaf spans the last two rows */
	assert_string_equal(gw_sheet_heading(s, 0, 4, GW_LANG_ZH, &rows, &ncols), "地膜资金");
	assert_int_equal(ncols, 2);
	assert_string_equal(gw_sheet_heading(s, 1, 5, GW_LANG_ZH, &rows, &ncols), "半膜");
	assert_int_equal(rows, 2);
	assert_null(gw_sheet_heading(s, 2, 5, GW_LANG_ZH, &rows, &ncols));
	assert_null(gw_sheet_heading(s, 1, 0, GW_LANG_ZH, &rows, &ncols));
	assert_string_equal(gw_sheet_flat_heading(&cols[2], GW_LANG_ZH, buf, sizeof(buf)),
	                    "地膜/全膜/公斤");
	assert_string_equal(gw_sheet_flat_heading(&cols[0], GW_LANG_EN, buf, sizeof(buf)), "No.");
	gw_book_free(&b);
}

static void test_sheet_cells_rows_ok(void **state)
{
	struct gw_book b = {.form = "t"};
	struct gw_sheet *s = gw_book_add(&b, cols, 2);
	char buf[40];

	(void)state;
	for (int i = 0; i < 100; i++) { /* past the first allocation of rows and strings */
		long r = gw_sheet_row(s, i == 99);

		assert_int_equal(r, i);
		gw_sheet_num(s, (size_t)r, 0, i + 0.005, 2);
		assert_int_equal(
		        gw_sheet_text(s, (size_t)r, 1, "一二三四五六七八九十一二三四五六七八九十"),
		        0);
	}
	assert_string_equal(gw_sheet_cell_text(s, 7, 0, buf, sizeof(buf)), "7.01");
	assert_string_equal(gw_sheet_str(s, 98, 1), "一二三四五六七八九十一二三四五六七八九十");
	assert_int_equal(gw_sheet_text(s, 3, 1, ""), 0); /* empty text leaves the cell as it was */
	assert_true(s->total[99] && !s->total[98]);
	gw_sheet_set_num(s, 5, "no_such_column", 1, 0); /* ignored */
	assert_int_equal(gw_sheet_set(s, 5, "full_rolls", "x"), 0);
	assert_string_equal(gw_sheet_str(s, 5, 1), "x");
	gw_book_free(&b);
	gw_book_free(NULL);
}

static void test_sheet_names_unique_short_ok(void **state)
{
	struct gw_book b = {.form = "t"};
	struct gw_sheet *s1 = gw_book_add(&b, cols, 1), *s2 = gw_book_add(&b, cols, 1);
	struct gw_sheet *s3 = gw_book_add(&b, cols, 1);
	const char *longname =
	        "附表4 泾河源镇 一个名字非常非常非常非常非常非常长的行政村委员会所在的村子";

	(void)state;
	gw_sheet_set_name(&b, s1, "a/b[c]:d*e?f\\g'h");
	assert_string_equal(s1->name, "abcdefgh");
	gw_sheet_set_name(&b, s2, longname);
	gw_sheet_set_name(&b, s3, longname);
	assert_string_not_equal(s2->name, s3->name);
	assert_true(strstr(s3->name, " (2)") != NULL);
	for (struct gw_sheet *s = s2; s; s = s == s2 ? s3 : NULL) {
		size_t chars = 0;

		for (const unsigned char *p = (const unsigned char *)s->name; *p; p++)
			chars += (*p & 0xC0) != 0x80;
		assert_true(chars <= 31);
	}
	gw_book_free(&b);
}

static void test_sheet_csv_field_defused_ok(void **state)
{
	static const struct {
		const char *in;
		bool text, id;
		const char *want;
	} cases[] = {
	        {"=HYPERLINK(1)", true, false, "\"'=HYPERLINK(1)\""},
	        {"+1", true, false, "\"'+1\""},
	        {"-1", true, false, "\"'-1\""},
	        {"@A1", true, false, "\"'@A1\""},
	        {"\tx", true, false, "\"'\tx\""},
	        {"\rx", true, false, "\"'\rx\""},
	        {"-1.5", false, false, "-1.5"}, /* a number cell is a number */
	        {"马建国", true, false, "马建国"},
	        {"a,\"b\"", true, false, "\"a,\"\"b\"\"\""},
	        {"64042419680312121X", true, true, "\"\t64042419680312121X\""},
	        {"640424********121X", true, true, "640424********121X"},
	        {"13909541201", true, true, "\"\t13909541201\""},
	};
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		gw_report_csv_field(f, cases[i].in, cases[i].text, cases[i].id);
		fclose(f);
		assert_string_equal(buf, cases[i].want);
		free(buf);
		buf = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sheet_headings_spans_ok),
	        cmocka_unit_test(test_sheet_cells_rows_ok),
	        cmocka_unit_test(test_sheet_names_unique_short_ok),
	        cmocka_unit_test(test_sheet_csv_field_defused_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
