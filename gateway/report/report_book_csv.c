/* A book of sheets as one CSV table for machines: a header line (the county's headings,
 * "地膜/全膜/卷", or the English keys with --lang en), then every sheet's rows, each led by
 * the sheet's place. Text a spreadsheet would run as a formula is neutralised (report_csv.c). */
#include <errno.h>
#include <string.h>

#include "sheets.h"

static bool has_col(const struct gw_sheet *s, const char *key)
{
	for (size_t c = 0; c < s->ncols; c++)
		if (strcmp(s->cols[c].key, key) == 0)
			return true;
	return false;
}

/* The place columns before the sheet's own: township always, village and category when
 * the sheets' columns lack them. */
struct lead {
	bool village, category;
};

static void header(FILE *out, const struct gw_sheet *s, const struct lead *l, enum gw_lang lang)
{
	bool en = lang == GW_LANG_EN;
	char buf[128];

	gw_report_csv_field(out, en ? "township" : "乡（镇）", false, false);
	if (l->village)
		fprintf(out, ",%s", en ? "village" : "行政村");
	if (l->category)
		fprintf(out, ",%s", en ? "category" : "类别");
	for (size_t c = 0; c < s->ncols; c++) {
		fputc(',', out);
		gw_report_csv_field(out,
		                    en ? s->cols[c].key
		                       : gw_sheet_flat_heading(&s->cols[c], lang, buf, sizeof(buf)),
		                    false, false);
	}
	fputs("\r\n", out);
}

static void rows(FILE *out, const struct gw_sheet *s, const struct lead *l, enum gw_lang lang)
{
	char buf[40];

	for (size_t r = 0; r < s->nrows; r++) {
		gw_report_csv_field(out, s->township, true, false);
		if (l->village) {
			fputc(',', out);
			gw_report_csv_field(out, s->village, true, false);
		}
		if (l->category) {
			fputc(',', out);
			if (s->category >= 0)
				fputs(gw_term_category((enum gw_category)s->category, lang), out);
		}
		for (size_t c = 0; c < s->ncols; c++) {
			const struct gw_sheet_cell *cell = gw_sheet_at(s, r, c);

			fputc(',', out);
			gw_report_csv_field(out, gw_sheet_cell_text(s, r, c, buf, sizeof(buf)),
			                    cell->kind == GW_SC_TEXT, s->cols[c].type == GW_COL_ID);
		}
		fputs("\r\n", out);
	}
}

int gw_book_csv(FILE *out, const struct gw_book *b)
{
	struct lead l = {0};

	if (!b->n)
		return ferror(out) ? -EIO : 0;
	l.village = !has_col(b->sheets[0], "village");
	l.category = !has_col(b->sheets[0], "category");
	header(out, b->sheets[0], &l, b->lang);
	for (size_t i = 0; i < b->n; i++)
		rows(out, b->sheets[i], &l, b->lang);
	return ferror(out) ? -EIO : 0;
}
