/* A book of sheets as one self-contained html page: a section per sheet, as the gazette
 * prints it (title, place and units, the two- and three-level headings, rows, total, note,
 * signature lines), each sheet on new A4 landscape pages with its headings repeated on
 * every page. On a screen narrower than a page (a phone) each row becomes a card of
 * "heading: value" lines. No script, no external resource. */
#include <errno.h>
#include <string.h>

#include "sheets.h"

static const char style[] =
        "<style>\n"
        "@page { size: A4 landscape; margin: 10mm; }\n"
        "body { font-family: 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei', "
        "sans-serif; font-size: 9pt; color: #000; margin: 0; }\n"
        "section.sheet { break-after: page; } section.sheet:last-of-type { break-after: auto; }\n"
        "h1 { font-size: 14pt; text-align: center; margin: 0 0 4pt 0; }\n"
        "div.place { display: flex; justify-content: space-between; margin: 0 0 3pt 0; }\n"
        "table { border-collapse: collapse; width: 100%; }\n"
        "th, td { border: 0.6pt solid #000; padding: 1pt 2pt; font-size: 8pt; "
        "overflow-wrap: anywhere; }\n"
        "th { font-weight: normal; background: #eee; text-align: center; }\n"
        "td.n { text-align: right; white-space: nowrap; } td.id { white-space: nowrap; }\n"
        "td.ink { min-width: 12mm; } tr { break-inside: avoid; }\n"
        "thead { display: table-header-group; } tr.total td { font-weight: bold; }\n"
        "p.note { margin: 3pt 0; }\n"
        "p.sign { margin-top: 12pt; display: flex; justify-content: space-between; "
        "break-inside: avoid; } p.sign span { flex: 1; }\n"
        "p.meta { font-size: 7pt; color: #444; margin: 2pt 0; }\n"
        "@media screen and (max-width: 640px) {\n"
        "  body { font-size: 15px; margin: 8px; } h1 { font-size: 18px; }\n"
        "  div.place, p.sign { display: block; } div.place span { display: block; }\n"
        "  p.sign span { display: block; margin: 8px 0; }\n"
        "  table, thead, tbody, tr, td { display: block; width: auto; } thead { display: none; }\n"
        "  tr { border: 1px solid #888; margin: 0 0 10px 0; padding: 4px; }\n"
        "  td { border: none; font-size: 15px; padding: 2px 0; text-align: left; "
        "white-space: normal; }\n"
        "  td.n { text-align: left; } td.empty { display: none; }\n"
        "  td::before { content: attr(data-label) \": \"; color: #555; }\n"
        "}\n"
        "</style>\n";

static void text(FILE *out, const char *s)
{
	gw_report_html_text(out, s);
}

static void headings(FILE *out, const struct gw_sheet *s, enum gw_lang lang)
{
	size_t depth = gw_sheet_depth(s), rows, cols;

	fputs("<thead>", out);
	for (size_t r = 0; r < depth; r++) {
		fputs("<tr>", out);
		for (size_t c = 0; c < s->ncols; c++) {
			const char *h = gw_sheet_heading(s, r, c, lang, &rows, &cols);

			if (!h)
				continue;
			fputs("<th", out);
			if (rows > 1)
				fprintf(out, " rowspan=\"%zu\"", rows);
			if (cols > 1)
				fprintf(out, " colspan=\"%zu\"", cols);
			fputc('>', out);
			text(out, h);
			fputs("</th>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</thead>\n", out);
}

static void cell(FILE *out, const struct gw_sheet *s, size_t r, size_t c, enum gw_lang lang)
{
	const struct gw_sheet_col *col = &s->cols[c];
	const struct gw_sheet_cell *cl = gw_sheet_at(s, r, c);
	char buf[40], label[128];
	const char *v = gw_sheet_cell_text(s, r, c, buf, sizeof(buf));
	const char *cls = cl->kind == GW_SC_NUM     ? "n"
	                  : col->type == GW_COL_INK ? "ink"
	                  : col->type == GW_COL_ID  ? "id"
	                  : !v[0]                   ? "empty"
	                                            : NULL;

	fputs("<td", out);
	if (cls)
		fprintf(out, " class=\"%s\"", cls);
	fputs(" data-label=\"", out);
	text(out, gw_sheet_flat_heading(col, lang, label, sizeof(label)));
	fputs("\">", out);
	if ((strcmp(col->key, "lat") == 0 || strcmp(col->key, "lon") == 0) && v[0]) {
		size_t lat = strcmp(col->key, "lat") == 0 ? c : c - 1;
		char a[40], o[40];

		/* a link a phone's map app opens (RFC 5870: geo:lat,lon) */
		fprintf(out, "<a href=\"geo:%s,%s\">", gw_sheet_cell_text(s, r, lat, a, sizeof(a)),
		        gw_sheet_cell_text(s, r, lat + 1, o, sizeof(o)));
		text(out, v);
		fputs("</a>", out);
	} else {
		text(out, v);
	}
	fputs("</td>", out);
}

static void sheet(FILE *out, const struct gw_sheet *s, enum gw_lang lang)
{
	fputs("<section class=\"sheet\">\n<h1>", out);
	text(out, s->title);
	fputs("</h1>\n<div class=\"place\"><span>", out);
	text(out, s->place);
	fputs("</span><span>", out);
	text(out, s->units);
	fputs("</span></div>\n<table>", out);
	headings(out, s, lang);
	fputs("<tbody>\n", out);
	for (size_t r = 0; r < s->nrows; r++) {
		fputs(s->total[r] ? "<tr class=\"total\">" : "<tr>", out);
		for (size_t c = 0; c < s->ncols; c++)
			cell(out, s, r, c, lang);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (s->note[0]) {
		fputs("<p class=\"note\">", out);
		text(out, s->note);
		fputs("</p>\n", out);
	}
	if (s->nsigns) {
		fputs("<p class=\"sign\">", out);
		for (size_t i = 0; i < s->nsigns; i++) {
			fputs("<span>", out);
			text(out, s->signs[i]);
			fputs("</span>", out);
		}
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

int gw_book_html(FILE *out, const struct gw_book *b, const struct gw_report_meta *m)
{
	bool en = b->lang == GW_LANG_EN;

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n",
	        en ? "en" : "zh-CN");
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      out);
	text(out, b->n ? b->sheets[0]->title : b->form);
	fputs("</title>\n", out);
	fputs(style, out);
	fputs("</head><body>\n", out);
	for (size_t i = 0; i < b->n; i++)
		sheet(out, b->sheets[i], b->lang);
	fprintf(out, "<p class=\"meta\">%s %s · %s %s · %s</p>\n", en ? "gateway" : "网关",
	        m->gateway, en ? "generated" : "生成时间", m->generated,
	        b->unmasked
	                ? (en ? "ID numbers and phones UNMASKED" : "身份证号和电话未遮蔽，不得外传")
	                : (en ? "ID numbers and phones masked" : "身份证号和电话已遮蔽"));
	fputs("</body></html>\n", out);
	return ferror(out) ? -EIO : 0;
}
