/* The report as one JSON object: what it covers (level, category, window, rates, chain
 * head, the note on point evidence), its rows with the same keys as the csv columns, the
 * total, and at plot level each plot's days (film state, mean moisture, temperature delta). */
#include <errno.h>
#include <math.h>

#include "report.h"

static void str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void num_or_null(FILE *out, double v, int decimals)
{
	char buf[40];

	if (isnan(v) || isinf(v))
		fputs("null", out);
	else
		fputs(gw_form_num(v, decimals, buf, sizeof(buf)), out);
}

static void days(FILE *out, const struct gw_plot_result *r)
{
	char d[16];

	fputs(",\"days\":[", out);
	for (size_t i = 0; i < r->ndays; i++) {
		const struct gw_plot_day *day = &r->days[i];

		fprintf(out,
		        "%s{\"day\":\"%s\",\"state\":\"%s\",\"received\":%lld,\"expected\":%lld,"
		        "\"moisture_pct\":",
		        i ? "," : "", gw_report_date(day->day, d, sizeof(d)),
		        gw_film_state_name(day->state), (long long)day->received,
		        (long long)day->expected);
		num_or_null(out, day->moisture_pct, 2);
		fputs(",\"delta_c\":", out);
		num_or_null(out, day->delta_c, 2);
		fputc('}', out);
	}
	fputc(']', out);
}

static void row(FILE *out, const struct gw_form *f, const struct gw_form_row *w, bool total,
                const struct gw_report_meta *m)
{
	size_t ncols;
	const struct gw_rcol *cols = gw_report_columns(f->level, &ncols);
	struct gw_cell c;

	fputc('{', out);
	for (size_t i = 0; i < ncols; i++) {
		gw_report_cell(f, w, total, &cols[i], m, &c);
		if (i)
			fputc(',', out);
		str(out, cols[i].key);
		fputc(':', out);
		if (c.kind == GW_CELL_NULL)
			fputs("null", out);
		else if (c.kind == GW_CELL_NUM)
			fputs(gw_cell_text(&c), out);
		else
			str(out, gw_cell_text(&c));
	}
	if (!total && w->result)
		days(out, w->result);
	fputc('}', out);
}

static void rates(FILE *out, const struct gw_rates_cfg *r)
{
	fprintf(out,
	        "{\"full_film_kg_per_mu\":%g,\"half_film_kg_per_mu\":%g,\"rolls_per_mu\":%g,"
	        "\"seed_kg_per_mu\":%g,\"film_yuan_per_kg\":%g,\"seed_yuan_per_kg\":%g,"
	        "\"intercrop_yuan_per_mu\":%g,\"soybean_kg_per_mu\":%g,\"government_pct\":%g}",
	        r->full_film_kg_per_mu, r->half_film_kg_per_mu, r->rolls_per_mu, r->seed_kg_per_mu,
	        r->film_yuan_per_kg, r->seed_yuan_per_kg, r->intercrop_yuan_per_mu,
	        r->soybean_kg_per_mu, r->government_pct);
}

static void head(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	fputs("{\"report\":\"fieldgate acceptance report\",\"level\":", out);
	str(out, gw_form_level_name(f->level));
	fputs(",\"category\":", out);
	str(out, m->category);
	fputs(",\"gateway\":", out);
	str(out, m->gateway);
	fputs(",\"generated\":", out);
	str(out, m->generated);
	fputs(",\"source\":", out);
	str(out, m->source);
	fputs(",\"window\":", out);
	str(out, m->window);
	fputs(",\"laying_deadline\":", out);
	str(out, m->deadline);
	if (m->year)
		fprintf(out, ",\"year\":%d", m->year);
	else
		fputs(",\"year\":null", out);
	fprintf(out,
	        ",\"verdicts\":%s,\"masked\":%s,\"chain_head\":", m->verdicts ? "true" : "false",
	        m->unmasked ? "false" : "true");
	if (m->chain_head)
		str(out, m->chain_head);
	else
		fputs("null", out);
	fputs(",\"evidence\":", out);
	if (m->evidence)
		str(out, m->evidence);
	else
		fputs("null", out);
	fputs(",\"timezone\":", out);
	str(out, m->timezone ? m->timezone : "");
	fputs(",\"rules\":", out);
	str(out, m->rules ? m->rules : "");
	fputs(",\"note\":", out);
	str(out, gw_report_note);
	fputs(",\"rates\":", out);
	rates(out, m->rates);
}

int gw_report_json(FILE *out, const struct gw_form *f, const struct gw_report_meta *m)
{
	head(out, f, m);
	fputs(",\n\"rows\":[", out);
	for (size_t i = 0; i < f->nrows; i++) {
		fputs(i ? ",\n" : "\n", out);
		row(out, f, &f->rows[i], false, m);
	}
	fputs("],\n\"total\":", out);
	row(out, f, &f->total, true, m);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
