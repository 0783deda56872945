/* The report as CSV (RFC 4180, one header line of the column keys): a row per plot,
 * household, village and category, or township, then a "total" row; and what every CSV of
 * fieldgate shares: the field rule (formula-like text neutralised, ID numbers kept text)
 * and the encodings (UTF-8 with a BOM by default, GB18030 through the records' iconv). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "report.h"

int gw_encoding_parse(const char *s, enum gw_encoding *out)
{
	if (strcmp(s, "utf-8-bom") == 0 || strcmp(s, "utf-8-sig") == 0)
		*out = GW_ENC_UTF8_BOM;
	else if (strcmp(s, "utf-8") == 0 || strcmp(s, "utf8") == 0)
		*out = GW_ENC_UTF8;
	else if (strcmp(s, "gb18030") == 0 || strcmp(s, "GB18030") == 0)
		*out = GW_ENC_GB18030;
	else
		return -EINVAL;
	return 0;
}

int gw_report_csv_put(FILE *out, const char *utf8, size_t len, enum gw_encoding enc)
{
	char *gb = NULL;
	size_t gblen = 0;
	int rc = 0;

	if (enc == GW_ENC_GB18030) {
		rc = gw_records_to_gb18030(utf8, len, &gb, &gblen);
		if (rc)
			return rc;
		utf8 = gb;
		len = gblen;
	} else if (enc == GW_ENC_UTF8_BOM && fwrite("\xEF\xBB\xBF", 1, 3, out) != 3) {
		return -EIO;
	}
	if (len && fwrite(utf8, 1, len, out) != len)
		rc = -EIO;
	free(gb);
	return rc;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((*s < '0' || *s > '9') && *s != 'X' && *s != 'x' && *s != '-')
			return false;
	return true;
}

void gw_report_csv_field(FILE *out, const char *s, bool text, bool id)
{
	/* a spreadsheet evaluates a cell starting with these as a formula */
	bool defuse = text && s[0] && strchr("=+-@\t\r", s[0]);
	bool keep_text = id && !defuse && all_digits(s);

	if (!defuse && !keep_text && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (defuse)
		fputc('\'', out);
	else if (keep_text)
		fputc('\t', out); /* Excel keeps "\t640424..." as text, not 6.40424E+17 */
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static bool is_id_key(const char *key)
{
	return strcmp(key, "id_number") == 0 || strcmp(key, "phone") == 0;
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
		gw_report_csv_field(out, gw_cell_text(&c), c.kind == GW_CELL_TEXT,
		                    is_id_key(cols[i].key));
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
		gw_report_csv_field(out, cols[i].key, false, false);
	}
	fputs("\r\n", out);
	for (size_t i = 0; i < f->nrows; i++)
		row(out, f, &f->rows[i], false, m);
	row(out, f, &f->total, true, m);
	return ferror(out) ? -EIO : 0;
}
