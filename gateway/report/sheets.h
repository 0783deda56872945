/* The county's sheets, built from the forms: 附表 3/5 汇总表 (a sheet per township and
 * household category, a row per village), 附表 4/6 花名册 (a sheet per village and category,
 * a row per household), the 验收表 (a sheet per village, a row per plot) and the field visit
 * list (a sheet per township, a row per plot to visit). Columns, titles, notes and
 * signature lines as the gazette prints them. No I/O. */
#ifndef GW_SHEETS_H
#define GW_SHEETS_H

#include "sheet.h"

/* Which sheets: NULL selects every township or village. */
struct gw_sheet_sel {
	const char *township;
	const char *village;
};

/* f: a village-level form (summary) or household-level form (roster) built with the
 * category wanted. Appends the selected sheets to b (b->lang, b->unmasked say how).
 * Borrows f, sel, m. Returns 0 or -ENOMEM. */
int gw_sheets_summary(const struct gw_form *f, const struct gw_sheet_sel *sel,
                      const struct gw_report_meta *m, struct gw_book *b);
int gw_sheets_roster(const struct gw_form *f, const struct gw_sheet_sel *sel,
                     const struct gw_report_meta *m, struct gw_book *b);

/* f: a plot-level form. The acceptance sheets and the visit list (plots whose verdict is
 * not pass, or without one, or first covered after the laying deadline). Borrows all.
 * Returns 0 or -ENOMEM. */
int gw_sheets_acceptance(const struct gw_form *f, const struct gw_sheet_sel *sel,
                         const struct gw_report_meta *m, struct gw_book *b);
int gw_sheets_visits(const struct gw_form *f, const struct gw_sheet_sel *sel,
                     const struct gw_report_meta *m, struct gw_book *b);

/* The year the sheets are for: the season's, else the year the report was made. */
int gw_sheets_year(const struct gw_report_meta *m);
/* The rates note of the gazette ("注：全膜 9 公斤/亩（1 卷），14 元/公斤，...") in lang. */
void gw_sheets_rates_note(const struct gw_rates_cfg *r, enum gw_lang lang, char *buf, size_t len);
/* The plot's sensors from m->cfg ("s1, s2"; "" when none) into buf. Returns buf. */
const char *gw_sheets_sensors(const struct gw_report_meta *m, const char *plot, char *buf,
                              size_t len);

/* The writers of a book. csv: one table, the sheet's place (township, and village or
 * category when its columns lack them) before its own columns, UTF-8 without a BOM (see
 * gw_report_csv_put); html: a section per sheet, printable on A4 landscape, each row a card
 * on a phone's screen; xlsx: a worksheet per sheet written to path (a new or empty file).
 * Borrow b. Return 0, or -EIO / -ENOMEM; xlsx also -ELIBACC (libxlsxwriter.so.4, loaded at
 * the first workbook, cannot be loaded: logged with the package to install). */
int gw_book_csv(FILE *out, const struct gw_book *b);
int gw_book_html(FILE *out, const struct gw_book *b, const struct gw_report_meta *m);
int gw_book_xlsx(const char *path, const struct gw_book *b, const struct gw_report_meta *m);

#endif
