/* A book of sheets as an xlsx workbook (libxlsxwriter; the only includer of xlsxwriter.h):
 * a worksheet per sheet with the gazette's title, place and units, merged headings, the
 * rows (numbers as numbers, totals as values, never formulas; ID numbers and phones as
 * text), the note and the signature lines; printed on A4 landscape, fit to the page's
 * width, the heading rows repeated on every page. The library (and the libcrypto it brings) is
 * loaded at the first workbook, so no other command maps it. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <xlsxwriter.h>

#include "array.h"
#include "dynlib.h"
#include "log.h"
#include "sheets.h"

/* libxlsxwriter, loaded at the first workbook (dynlib.h): the functions this file calls. */
static struct {
	__typeof__(format_set_align) *format_set_align;
	__typeof__(format_set_bg_color) *format_set_bg_color;
	__typeof__(format_set_bold) *format_set_bold;
	__typeof__(format_set_border) *format_set_border;
	__typeof__(format_set_font_name) *format_set_font_name;
	__typeof__(format_set_font_size) *format_set_font_size;
	__typeof__(format_set_num_format) *format_set_num_format;
	__typeof__(format_set_text_wrap) *format_set_text_wrap;
	__typeof__(workbook_add_format) *workbook_add_format;
	__typeof__(workbook_add_worksheet) *workbook_add_worksheet;
	__typeof__(workbook_close) *workbook_close;
	__typeof__(workbook_new) *workbook_new;
	__typeof__(workbook_set_properties) *workbook_set_properties;
	__typeof__(worksheet_center_horizontally) *worksheet_center_horizontally;
	__typeof__(worksheet_fit_to_pages) *worksheet_fit_to_pages;
	__typeof__(worksheet_merge_range) *worksheet_merge_range;
	__typeof__(worksheet_repeat_rows) *worksheet_repeat_rows;
	__typeof__(worksheet_set_column) *worksheet_set_column;
	__typeof__(worksheet_set_footer) *worksheet_set_footer;
	__typeof__(worksheet_set_landscape) *worksheet_set_landscape;
	__typeof__(worksheet_set_margins) *worksheet_set_margins;
	__typeof__(worksheet_set_paper) *worksheet_set_paper;
	__typeof__(worksheet_set_row) *worksheet_set_row;
	__typeof__(worksheet_write_blank) *worksheet_write_blank;
	__typeof__(worksheet_write_number) *worksheet_write_number;
	__typeof__(worksheet_write_string) *worksheet_write_string;
} xl;

static char xl_err[256];
static int xl_rc;

static void xl_load(void)
{
	const struct gw_dl_sym syms[] = {
	        GW_DL_SYM("format_set_align", xl.format_set_align),
	        GW_DL_SYM("format_set_bg_color", xl.format_set_bg_color),
	        GW_DL_SYM("format_set_bold", xl.format_set_bold),
	        GW_DL_SYM("format_set_border", xl.format_set_border),
	        GW_DL_SYM("format_set_font_name", xl.format_set_font_name),
	        GW_DL_SYM("format_set_font_size", xl.format_set_font_size),
	        GW_DL_SYM("format_set_num_format", xl.format_set_num_format),
	        GW_DL_SYM("format_set_text_wrap", xl.format_set_text_wrap),
	        GW_DL_SYM("workbook_add_format", xl.workbook_add_format),
	        GW_DL_SYM("workbook_add_worksheet", xl.workbook_add_worksheet),
	        GW_DL_SYM("workbook_close", xl.workbook_close),
	        GW_DL_SYM("workbook_new", xl.workbook_new),
	        GW_DL_SYM("workbook_set_properties", xl.workbook_set_properties),
	        GW_DL_SYM("worksheet_center_horizontally", xl.worksheet_center_horizontally),
	        GW_DL_SYM("worksheet_fit_to_pages", xl.worksheet_fit_to_pages),
	        GW_DL_SYM("worksheet_merge_range", xl.worksheet_merge_range),
	        GW_DL_SYM("worksheet_repeat_rows", xl.worksheet_repeat_rows),
	        GW_DL_SYM("worksheet_set_column", xl.worksheet_set_column),
	        GW_DL_SYM("worksheet_set_footer", xl.worksheet_set_footer),
	        GW_DL_SYM("worksheet_set_landscape", xl.worksheet_set_landscape),
	        GW_DL_SYM("worksheet_set_margins", xl.worksheet_set_margins),
	        GW_DL_SYM("worksheet_set_paper", xl.worksheet_set_paper),
	        GW_DL_SYM("worksheet_set_row", xl.worksheet_set_row),
	        GW_DL_SYM("worksheet_write_blank", xl.worksheet_write_blank),
	        GW_DL_SYM("worksheet_write_number", xl.worksheet_write_number),
	        GW_DL_SYM("worksheet_write_string", xl.worksheet_write_string),
	};

	xl_rc = gw_dl_load("libxlsxwriter.so.4", "libxlsxwriter4", syms, GW_ARRAY_LEN(syms), xl_err,
	                   sizeof(xl_err));
}

struct fmts {
	lxw_format *title, *place, *units, *head, *text, *id, *num, *ttext, *tnum, *note, *sign;
};

static lxw_format *fmt(lxw_workbook *wb, const char *font, bool border, bool bold)
{
	lxw_format *f = xl.workbook_add_format(wb);

	xl.format_set_font_name(f, font);
	xl.format_set_font_size(f, 10);
	xl.format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
	if (border)
		xl.format_set_border(f, LXW_BORDER_THIN);
	if (bold)
		xl.format_set_bold(f);
	return f;
}

static void make_fmts(lxw_workbook *wb, enum gw_lang lang, struct fmts *f)
{
	const char *font = lang == GW_LANG_EN ? "Calibri" : "宋体";

	f->title = fmt(wb, font, false, true);
	xl.format_set_font_size(f->title, 16);
	xl.format_set_align(f->title, LXW_ALIGN_CENTER);
	f->place = fmt(wb, font, false, false);
	f->units = fmt(wb, font, false, false);
	xl.format_set_align(f->units, LXW_ALIGN_RIGHT);
	f->head = fmt(wb, font, true, false);
	xl.format_set_align(f->head, LXW_ALIGN_CENTER);
	xl.format_set_text_wrap(f->head);
	xl.format_set_bg_color(f->head, 0xEEEEEE);
	f->text = fmt(wb, font, true, false);
	f->id = fmt(wb, font, true, false);
	xl.format_set_num_format(f->id, "@");
	f->num = fmt(wb, font, true, false);
	f->ttext = fmt(wb, font, true, true);
	f->tnum = fmt(wb, font, true, true);
	f->note = fmt(wb, font, false, false);
	xl.format_set_text_wrap(f->note);
	f->sign = fmt(wb, font, false, false);
}

/* Text across columns [c0, c1] of row r (one cell when c0 == c1). */
static lxw_error span(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c0, lxw_col_t c1, const char *s,
                      lxw_format *f)
{
	if (c1 > c0)
		return xl.worksheet_merge_range(ws, r, c0, r, c1, s, f);
	return xl.worksheet_write_string(ws, r, c0, s, f);
}

static lxw_error headings(lxw_worksheet *ws, const struct gw_sheet *s, lxw_row_t top,
                          enum gw_lang lang, const struct fmts *f)
{
	size_t depth = gw_sheet_depth(s), rows, cols;
	lxw_error e = LXW_NO_ERROR;

	for (size_t r = 0; r < depth && !e; r++) {
		for (size_t c = 0; c < s->ncols && !e; c++) {
			const char *h = gw_sheet_heading(s, r, c, lang, &rows, &cols);
			lxw_row_t r0 = (lxw_row_t)(top + r);

			if (!h)
				continue;
			if (rows > 1 || cols > 1)
				e = xl.worksheet_merge_range(ws, r0, (lxw_col_t)c,
				                             (lxw_row_t)(r0 + rows - 1),
				                             (lxw_col_t)(c + cols - 1), h, f->head);
			else
				e = xl.worksheet_write_string(ws, r0, (lxw_col_t)c, h, f->head);
		}
	}
	return e;
}

static lxw_error body(lxw_worksheet *ws, const struct gw_sheet *s, lxw_row_t top,
                      const struct fmts *f)
{
	lxw_error e = LXW_NO_ERROR;

	for (size_t r = 0; r < s->nrows && !e; r++) {
		lxw_row_t row = (lxw_row_t)(top + r);
		bool t = s->total[r];

		for (size_t c = 0; c < s->ncols && !e; c++) {
			const struct gw_sheet_cell *cl = gw_sheet_at(s, r, c);
			lxw_col_t col = (lxw_col_t)c;

			if (cl->kind == GW_SC_NUM)
				e = xl.worksheet_write_number(ws, row, col, cl->num,
				                              t ? f->tnum : f->num);
			else if (cl->kind == GW_SC_TEXT)
				/* a string cell: never a formula, whatever it starts with */
				e = xl.worksheet_write_string(ws, row, col, gw_sheet_str(s, r, c),
				                              t ? f->ttext
				                              : s->cols[c].type == GW_COL_ID
				                                      ? f->id
				                                      : f->text);
			else
				e = xl.worksheet_write_blank(
				        ws, row, col,
				        s->cols[c].type == GW_COL_ID ? f->id : f->text);
		}
	}
	return e;
}

static void page_setup(lxw_worksheet *ws, const struct gw_sheet *s, lxw_row_t head_top,
                       size_t depth, enum gw_lang lang)
{
	xl.worksheet_set_landscape(ws);
	xl.worksheet_set_paper(ws, 9); /* A4 */
	xl.worksheet_set_margins(ws, 0.4, 0.4, 0.5, 0.6);
	xl.worksheet_center_horizontally(ws);
	xl.worksheet_fit_to_pages(ws, 1, 0); /* the page's width, as many pages down as needed */
	xl.worksheet_repeat_rows(ws, head_top, (lxw_row_t)(head_top + depth - 1));
	xl.worksheet_set_footer(ws,
	                        lang == GW_LANG_EN ? "&Cpage &P of &N" : "&C第 &P 页，共 &N 页");
	for (size_t c = 0; c < s->ncols; c++)
		xl.worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
		                        (double)s->cols[c].width * 1.15 + 1.0, NULL);
}

/* Title, place and units above the headings; note and signature lines below the rows. */
static lxw_error frame(lxw_worksheet *ws, const struct gw_sheet *s, lxw_row_t end,
                       const struct fmts *f)
{
	lxw_col_t last = (lxw_col_t)(s->ncols - 1);
	lxw_col_t split = s->ncols > 5 ? (lxw_col_t)(s->ncols - 4) : last;
	lxw_error e = span(ws, 0, 0, last, s->title, f->title);

	xl.worksheet_set_row(ws, 0, 24, NULL);
	if (!e)
		e = span(ws, 1, 0, split > 0 ? (lxw_col_t)(split - 1) : 0, s->place, f->place);
	if (!e && split > 0)
		e = span(ws, 1, split, last, s->units, f->units);
	if (!e && s->note[0]) {
		e = span(ws, end, 0, last, s->note, f->note);
		xl.worksheet_set_row(ws, end, 28, NULL);
	}
	for (size_t i = 0; i < s->nsigns && !e; i++) {
		lxw_col_t c0 = (lxw_col_t)(i * s->ncols / s->nsigns);
		lxw_col_t c1 = (lxw_col_t)((i + 1) * s->ncols / s->nsigns - 1);

		e = span(ws, (lxw_row_t)(end + 2), c0, c1 < c0 ? c0 : c1, s->signs[i], f->sign);
	}
	return e;
}

int gw_book_xlsx(const char *path, const struct gw_book *b, const struct gw_report_meta *m)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	lxw_workbook *wb;
	/* created stays 0 (libxlsxwriter's "now"): the struct's one time_t. On armhf this build's
	 * time_t is 64-bit and Debian 12's libxlsxwriter's 32-bit; the library reads the low half
	 * of the zeroed field, which is 0 as well (README "32-bit ARM"). */
	lxw_doc_properties props = {0};
	struct fmts f;
	lxw_error e = LXW_NO_ERROR;
	char title[192];

	pthread_once(&once, xl_load);
	if (xl_rc) {
		gw_log(GW_ERR, "report", "cannot load the xlsx library: %s", xl_err);
		return -ELIBACC;
	}
	wb = xl.workbook_new(path);
	if (!wb)
		return -EIO;
	make_fmts(wb, b->lang, &f);
	snprintf(title, sizeof(title), "%s", b->n ? b->sheets[0]->title : b->form);
	props.title = title;
	props.author = (char *)(uintptr_t)m->gateway; /* libxlsxwriter copies it */
	xl.workbook_set_properties(wb, &props);
	for (size_t i = 0; i < b->n && !e; i++) {
		const struct gw_sheet *s = b->sheets[i];
		lxw_worksheet *ws = xl.workbook_add_worksheet(wb, s->name);
		size_t depth = gw_sheet_depth(s);

		if (!ws || !s->ncols) {
			e = LXW_ERROR_MEMORY_MALLOC_FAILED;
			break;
		}
		page_setup(ws, s, 2, depth, b->lang);
		e = headings(ws, s, 2, b->lang, &f);
		if (!e)
			e = body(ws, s, (lxw_row_t)(2 + depth), &f);
		if (!e)
			e = frame(ws, s, (lxw_row_t)(2 + depth + s->nrows), &f);
	}
	/* close even after an error: it frees the workbook (and writes what there is) */
	if (xl.workbook_close(wb) != LXW_NO_ERROR || e)
		return e == LXW_ERROR_MEMORY_MALLOC_FAILED ? -ENOMEM : -EIO;
	return 0;
}
