/* The report as CSV (RFC 4180, UTF-8, one header line of the column keys): a row per
 * plot, household, village and category, or township, then a "total" row. Data only:
 * the note and the chain head are in the json and html reports. */
#include <errno.h>
#include <string.h>

#include "report.h"

static void field(FILE *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void row(FILE *out, const struct gw_form *f, const struct gw_form_row *w, bool total,
                const struct gw_report_meta *m)
{
	size_t ncols;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);
	struct gw_cell c;

	for (size_t i = 0; i < ncols; i++) {
		gw_report_cell(f, w, total, &cols[i], m, &c);
		if (i)
			fputc(',', out);
		field(out, gw_cell_text(&c));
	}
	fputs("\r\n", out);
}

int gw_report_csv(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	size_t ncols;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);

	for (size_t i = 0; i < ncols; i++) {
		if (i)
			fputc(',', out);
		field(out, cols[i].key);
	}
	fputs("\r\n", out);
	for (size_t i = 0; i < f->nrows; i++)
		row(out, f, &f->rows[i], false, m);
	row(out, f, &f->total, true, m);
	return ferror(out) ? -EIO : 0;
}
