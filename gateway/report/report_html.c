/* The report as one self-contained html page printable on A4: what it covers, the note on
 * point evidence and the chain head, then at plot level a card per plot with its chart,
 * at the other levels the form split into parts narrow enough for the page (the key
 * columns repeated in each). No script, no external resource. */
#include <errno.h>
#include <string.h>

#include "report.h"

/* Non-key columns per part of a wide table: what fits across A4 landscape at 7 pt. */
#define PART_COLS 10

static const char style[] =
        "<style>\n"
        "@page { size: A4 %s; margin: 12mm; }\n"
        "body { font-family: 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif; "
        "font-size: 8pt; color: #111; margin: 0; }\n"
        "h1 { font-size: 13pt; margin: 0 0 4pt 0; } h2 { font-size: 10pt; margin: 10pt 0 4pt 0; }\n"
        "p.meta, p.note { margin: 2pt 0; } p.note { font-weight: bold; }\n"
        "code { font-size: 7pt; word-break: break-all; }\n"
        "table { border-collapse: collapse; width: 100%%; table-layout: fixed; margin: 0 0 8pt 0; "
        "}\n"
        "th, td { border: 0.5pt solid #999; padding: 1pt 2pt; font-size: 7pt; "
        "overflow-wrap: anywhere; vertical-align: top; }\n"
        "th { background: #eee; font-weight: normal; } th small { color: #555; }\n"
        "td.n { text-align: right; } tr { break-inside: avoid; }\n"
        "thead { display: table-header-group; } tr.total td { font-weight: bold; }\n"
        "section.plot { break-inside: avoid; border-top: 0.8pt solid #444; padding: 4pt 0; }\n"
        "section.plot h2 { margin: 0 0 3pt 0; }\n"
        "table.kv td { border: none; padding: 0 4pt 0 0; } table.kv { width: auto; }\n"
        "svg.chart { width: 100%%; max-width: 170mm; height: auto; display: block; }\n"
        "p.sign { margin-top: 14pt; break-inside: avoid; } p.sign span { display: inline-block; "
        "width: 40mm; border-bottom: 0.5pt solid #000; margin-right: 8mm; }\n"
        ".pass { color: #2e8b57; } .fail { color: #c0392b; } .other { color: #a07000; }\n"
        "</style>\n";

void gw_report_html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static void meta_line(FILE *out, const char *label, const char *value)
{
	fprintf(out, "<p class=\"meta\">%s: ", label);
	gw_report_html_text(out, value);
	fputs("</p>\n", out);
}

static void head(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	const struct gw_rates_cfg *r = m->rates;
	char year[16];

	snprintf(year, sizeof(year), "%d", m->year);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
	      "<title>fieldgate acceptance report</title>\n",
	      out);
	fprintf(out, style, f->level == GW_LEVEL_PLOT ? "portrait" : "landscape");
	fprintf(out, "</head><body>\n<h1>覆膜种植验收报告 / acceptance report: %s level</h1>\n",
	        gw_form_level_name(f->level));
	meta_line(out, "gateway", m->gateway);
	meta_line(out, "generated", m->generated);
	meta_line(out, "season", m->year ? year : "unknown (no readings)");
	meta_line(out, "acceptance window", m->window);
	meta_line(out, "laying deadline", m->deadline);
	meta_line(out, "household category", m->category);
	meta_line(out, "ID numbers and phones", m->unmasked ? "UNMASKED" : "masked");
	meta_line(out, "evidence chain head", m->chain_head ? m->chain_head : "none");
	meta_line(out, "time zone", m->timezone ? m->timezone : "");
	meta_line(out, "rules", m->rules ? m->rules : "");
	fprintf(out,
	        "<p class=\"meta\">rates: full film %g kg/mu, half film %g kg/mu, %g roll/mu, "
	        "film %g yuan/kg, seed %g kg/mu at %g yuan/kg, intercrop %g yuan/mu, government "
	        "%g %%</p>\n",
	        r->full_film_kg_per_mu, r->half_film_kg_per_mu, r->rolls_per_mu,
	        r->film_yuan_per_kg, r->seed_kg_per_mu, r->seed_yuan_per_kg,
	        r->intercrop_yuan_per_mu, r->government_pct);
	fputs("<p class=\"note\">", out);
	gw_report_html_text(out, gw_report_note);
	fputs("</p>\n", out);
	if (!m->verdicts)
		fputs("<p class=\"note\">No verdicts in this report: the acceptance columns are "
		      "empty.</p>\n",
		      out);
}

static void cell(FILE *out, const struct gw_form *f, const struct gw_form_row *w, bool total,
                 const struct gw_rcol *col, const struct gw_report_meta *m)
{
	struct gw_cell c;

	gw_report_cell(f, w, total, col, m, &c);
	if (c.kind == GW_CELL_TEXT && strcmp(col->key, "category") == 0)
		c.text = strcmp(c.text, "general") == 0              ? "一般户"
		         : strcmp(c.text, "poverty_alleviated") == 0 ? "脱贫户"
		                                                     : c.text;
	fputs(c.kind == GW_CELL_NUM ? "<td class=\"n\">" : "<td>", out);
	gw_report_html_text(out, total && strcmp(col->key, "township") == 0 ? "合计 total"
	                                                                    : gw_cell_text(&c));
	fputs("</td>", out);
}

/* Whether column i (k non-key columns before it) is in the part [from, to), key columns
 * in pass 0 and the part's own in pass 1. */
static bool in_part(const struct gw_rcol *col, size_t k, size_t pass, size_t from, size_t to)
{
	return pass == 0 ? col->key_col : !col->key_col && k >= from && k < to;
}

/* One part of a wide table: the key columns, then columns [from, to) of the non-key ones;
 * rows from first (f->nrows: the total row only). */
static void part(FILE *out, const struct gw_form *f, const struct gw_report_meta *m, size_t from,
                 size_t to, size_t first)
{
	size_t ncols, k;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);

	fputs("<table><thead><tr>", out);
	for (size_t pass = 0; pass < 2; pass++) {
		k = 0;
		for (size_t i = 0; i < ncols; k += !cols[i].key_col, i++)
			if (in_part(&cols[i], k, pass, from, to))
				fprintf(out, "<th>%s<br><small>%s</small></th>", cols[i].label,
				        cols[i].key);
	}
	fputs("</tr></thead><tbody>\n", out);
	for (size_t r = first; r <= f->nrows; r++) {
		const struct gw_form_row *w = r < f->nrows ? &f->rows[r] : &f->total;

		fputs(r < f->nrows ? "<tr>" : "<tr class=\"total\">", out);
		for (size_t pass = 0; pass < 2; pass++) {
			k = 0;
			for (size_t i = 0; i < ncols; k += !cols[i].key_col, i++)
				if (in_part(&cols[i], k, pass, from, to))
					cell(out, f, w, r == f->nrows, &cols[i], m);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void tables(FILE *out, const struct gw_form *f, const struct gw_report_meta *m, size_t first)
{
	size_t ncols, nplain = 0;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);

	for (size_t i = 0; i < ncols; i++)
		nplain += !cols[i].key_col;
	for (size_t from = 0; from < nplain; from += PART_COLS) {
		fprintf(out, "<h2>part %zu of %zu</h2>\n", from / PART_COLS + 1,
		        (nplain + PART_COLS - 1) / PART_COLS);
		part(out, f, m, from, from + PART_COLS, first);
	}
}

static void verdict_class(FILE *out, const struct gw_plot_result *r)
{
	const char *cls = !r                              ? "other"
	                  : r->verdict == GW_VERDICT_PASS ? "pass"
	                  : r->verdict == GW_VERDICT_FAIL ? "fail"
	                                                  : "other";

	fprintf(out, "<span class=\"%s\">%s</span>", cls, r ? gw_verdict_name(r->verdict) : "-");
}

static void plot_card(FILE *out, const struct gw_form *f, const struct gw_form_row *w,
                      const struct gw_report_meta *m)
{
	size_t ncols;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);
	struct gw_cell c;
	unsigned shown = 0;

	fputs("<section class=\"plot\"><h2>", out);
	gw_report_html_text(out, w->plot->id);
	fputs(" &#8212; ", out);
	verdict_class(out, w->result);
	fputs("</h2>\n<table class=\"kv\"><tr>", out);
	for (size_t i = 0; i < ncols; i++) {
		gw_report_cell(f, w, false, &cols[i], m, &c);
		if (c.kind == GW_CELL_NULL)
			continue;
		fprintf(out, "<td>%s <b>", cols[i].label);
		gw_report_html_text(out, gw_cell_text(&c));
		fputs(++shown % 6 == 0 ? "</b></td></tr><tr>" : "</b></td>", out);
	}
	fputs("</tr></table>\n", out);
	if (w->result)
		gw_report_svg(out, w->result, m);
	fputs("</section>\n", out);
}

int gw_report_html(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	head(out, f, m);
	if (f->level == GW_LEVEL_PLOT) {
		for (size_t i = 0; i < f->nrows; i++)
			plot_card(out, f, &f->rows[i], m);
		fputs("<h2>合计 total</h2>\n", out);
	}
	tables(out, f, m, f->level == GW_LEVEL_PLOT ? f->nrows : 0);
	if (f->level == GW_LEVEL_HOUSEHOLD || f->level == GW_LEVEL_VILLAGE)
		fputs("<p class=\"sign\">村级负责人签字：<span></span> "
		      "村监委会主任签字：<span></span> "
		      "乡（镇）农业发展服务中心负责人签字：<span></span></p>\n",
		      out);
	fputs("</body></html>\n", out);
	return ferror(out) ? -EIO : 0;
}
