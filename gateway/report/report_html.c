/* The report as one self-contained html page printable on A4: what it covers, the note on
 * point evidence and the chain head, then at plot level a card per plot with its chart,
 * at the other levels the form split into parts narrow enough for the page (the key
 * columns repeated in each). No script, no external resource. */
#include <errno.h>
#include <string.h>

#include "report.h"
#include "sheets.h"

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

static const char *level_title(enum gw_form_level l, bool en)
{
	static const char *const zh[] = {"地块", "农户（花名册）", "行政村（汇总表）",
	                                 "乡（镇）（计划分配表、资金计划表）"};

	return en ? gw_form_level_name(l) : (unsigned)l < 4 ? zh[l] : "?";
}

static const char *category_text(const struct gw_report_meta *m)
{
	enum gw_category c;

	if (gw_category_parse(m->category, &c) == 0)
		return gw_term_category(c, m->lang);
	return m->lang == GW_LANG_EN ? m->category : "全部";
}

static void head(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	const struct gw_rates_cfg *r = m->rates;
	bool en = m->lang == GW_LANG_EN;
	char year[16];

	snprintf(year, sizeof(year), "%d", m->year);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
	      "<title>fieldgate acceptance report</title>\n",
	      out);
	fprintf(out, style, f->level == GW_LEVEL_PLOT ? "portrait" : "landscape");
	fprintf(out, "</head><body>\n<h1>%s: %s</h1>\n",
	        en ? "acceptance report" : "覆膜种植验收报告", level_title(f->level, en));
	meta_line(out, en ? "gateway" : "网关", m->gateway);
	meta_line(out, en ? "generated" : "生成时间", m->generated);
	meta_line(out, en ? "season" : "年度",
	          m->year ? year
	          : en    ? "unknown (no readings)"
	                  : "未知（无读数）");
	meta_line(out, en ? "acceptance window" : "验收期", m->window);
	meta_line(out, en ? "laying deadline" : "覆膜期限", m->deadline);
	meta_line(out, en ? "household category" : "农户类别", category_text(m));
	meta_line(out, en ? "ID numbers and phones" : "身份证号和电话",
	          m->unmasked ? (en ? "UNMASKED" : "未遮蔽（不得外传）")
	                      : (en ? "masked" : "已遮蔽"));
	meta_line(out, en ? "evidence chain head" : "证据链头",
	          m->chain_head ? m->chain_head
	          : en          ? "none"
	                        : "无");
	meta_line(out, en ? "evidence" : "证据核验",
	          m->evidence ? m->evidence
	          : en        ? "not verified"
	                      : "未核验");
	meta_line(out, en ? "time zone" : "时区", m->timezone ? m->timezone : "");
	meta_line(out, en ? "rules" : "判定规则", m->rules ? m->rules : "");
	fprintf(out,
	        "<p class=\"meta\">rates: full film %g kg/mu, half film %g kg/mu, %g roll/mu, "
	        "film %g yuan/kg, seed %g kg/mu at %g yuan/kg, intercrop %g yuan/mu, government "
	        "%g %%</p>\n",
	        r->full_film_kg_per_mu, r->half_film_kg_per_mu, r->rolls_per_mu,
	        r->film_yuan_per_kg, r->seed_kg_per_mu, r->seed_yuan_per_kg,
	        r->intercrop_yuan_per_mu, r->government_pct);
	if (!en)
		fprintf(out, "<p class=\"note\">%s</p>\n", gw_report_note_zh);
	fputs("<p class=\"note\">", out);
	gw_report_html_text(out, gw_report_note);
	fputs("</p>\n", out);
	if (!m->verdicts)
		fputs(en ? "<p class=\"note\">No verdicts in this report: the acceptance columns "
		           "are empty.</p>\n"
		         : "<p class=\"note\">本报告无验收结论（无读数）：验收各列为空。</p>\n",
		      out);
}

static void cell(FILE *out, const struct gw_form *f, const struct gw_form_row *w, bool total,
                 const struct gw_rcol *col, const struct gw_report_meta *m)
{
	struct gw_cell c;

	gw_report_cell(f, w, total, col, m, &c);
	gw_report_cell_localise(&c, col->key, total ? NULL : w, m->lang);
	fputs(c.kind == GW_CELL_NUM ? "<td class=\"n\">" : "<td>", out);
	gw_report_html_text(out, total && strcmp(col->key, "township") == 0
	                                 ? (m->lang == GW_LANG_EN ? "total" : "合计")
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

static void verdict_class(FILE *out, const struct gw_plot_result *r, enum gw_lang lang)
{
	const char *cls = !r                              ? "other"
	                  : r->verdict == GW_VERDICT_PASS ? "pass"
	                  : r->verdict == GW_VERDICT_FAIL ? "fail"
	                                                  : "other";

	fprintf(out, "<span class=\"%s\">%s</span>", cls, gw_term_verdict(r, lang));
}

/* Where the plot is (a geo: link a phone's map app opens), its sensors and the days of
 * the readings its verdict used. */
static void plot_where(FILE *out, const struct gw_form_row *w, const struct gw_report_meta *m)
{
	bool en = m->lang == GW_LANG_EN;
	const struct gw_plot_result *r = w->result;
	char sensors[256], a[32], b[32];
	int first = 0, last = 0;

	fprintf(out, "<p class=\"where\">%s", en ? "position: " : "位置：");
	if (w->plot->has_pos)
		fprintf(out, "<a href=\"geo:%.6f,%.6f\">%.6f, %.6f</a>", w->plot->lat, w->plot->lon,
		        w->plot->lat, w->plot->lon);
	else
		fputs(en ? "not recorded" : "未登记", out);
	fprintf(out, " &#183; %s", en ? "sensors: " : "传感器：");
	gw_sheets_sensors(m, w->plot->id, sensors, sizeof(sensors));
	gw_report_html_text(out, sensors[0] ? sensors : en ? "none" : "无");
	for (size_t i = 0; r && i < r->ndays; i++) {
		if (r->days[i].received <= 0)
			continue;
		first = first ? first : r->days[i].day;
		last = r->days[i].day;
	}
	fprintf(out, " &#183; %s", en ? "readings used: " : "所用数据日期：");
	if (first)
		fprintf(out, en ? "%s to %s" : "%s 至 %s",
		        gw_term_date(first, m->lang, a, sizeof(a)),
		        gw_term_date(last, m->lang, b, sizeof(b)));
	else
		fputs(en ? "none" : "无", out);
	fputs("</p>\n", out);
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
	verdict_class(out, w->result, m->lang);
	fputs("</h2>\n<table class=\"kv\"><tr>", out);
	for (size_t i = 0; i < ncols; i++) {
		gw_report_cell(f, w, false, &cols[i], m, &c);
		gw_report_cell_localise(&c, cols[i].key, w, m->lang);
		if (c.kind == GW_CELL_NULL)
			continue;
		fprintf(out, "<td>%s <b>", cols[i].label);
		gw_report_html_text(out, gw_cell_text(&c));
		fputs(++shown % 6 == 0 ? "</b></td></tr><tr>" : "</b></td>", out);
	}
	fputs("</tr></table>\n", out);
	plot_where(out, w, m);
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
		fputs(m->lang == GW_LANG_EN ? "<h2>total</h2>\n" : "<h2>合计</h2>\n", out);
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
