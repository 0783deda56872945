/* The per-plot chart of the html report: an inline SVG (no script, no external resource)
 * with the season's daily mean moisture (left axis) and under-film minus bare temperature
 * delta (right axis), the acceptance window shaded, the laying deadline and the delta
 * thresholds marked, and a strip of each day's film state. */
#include <math.h>

#include "report.h"

#define W     600.0
#define H     180.0
#define X0    44.0
#define X1    556.0
#define Y0    12.0
#define Y1    132.0
#define STRIP 140.0
#define M_MAX 60.0 /* moisture axis 0..60 % */
#define D_MIN (-4.0)
#define D_MAX 10.0 /* delta axis -4..+10 degC */

/* Days since 1970-01-01 of yyyymmdd (proleptic Gregorian). */
static long day_number(int yyyymmdd)
{
	long y = yyyymmdd / 10000, mo = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
	long era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct axis {
	long first, last; /* day numbers at X0 and X1 */
};

static double x_of(const struct axis *a, long day)
{
	double span = a->last > a->first ? (double)(a->last - a->first) : 1.0;

	return X0 + (X1 - X0) * (double)(day - a->first) / span;
}

static double y_of(double v, double lo, double hi)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return Y1 - (Y1 - Y0) * (v - lo) / (hi - lo);
}

/* A path through the days' values (moisture when delta is false), broken at gaps. */
static void line(FILE *out, const struct gw_plot_result *r, const struct axis *a, bool delta,
                 const char *colour)
{
	bool pen = false;
	long prev = 0;

	fprintf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\" d=\"", colour);
	for (size_t i = 0; i < r->ndays; i++) {
		double v = delta ? r->days[i].delta_c : r->days[i].moisture_pct;
		long dn = day_number(r->days[i].day);

		if (isnan(v)) {
			pen = false;
			continue;
		}
		fprintf(out, "%c%.1f %.1f ", pen && dn == prev + 1 ? 'L' : 'M', x_of(a, dn),
		        delta ? y_of(v, D_MIN, D_MAX) : y_of(v, 0, M_MAX));
		pen = true;
		prev = dn;
	}
	fputs("\"/>\n", out);
}

static void strip(FILE *out, const struct gw_plot_result *r, const struct axis *a)
{
	static const char *const colours[] = {
	        [GW_FS_NO_DATA] = "#cccccc",
	        [GW_FS_COVERED] = "#2e8b57",
	        [GW_FS_NOT_COVERED] = "#c0392b",
	        [GW_FS_INDETERMINATE] = "#e0a800",
	};
	double w = x_of(a, a->first + 1) - x_of(a, a->first);

	for (size_t i = 0; i < r->ndays; i++) {
		enum gw_film_state s = r->days[i].state;

		fprintf(out,
		        "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.2f\" height=\"8\" fill=\"%s\"/>\n",
		        x_of(a, day_number(r->days[i].day)), STRIP, w > 0.5 ? w : 0.5,
		        (unsigned)s < 4 ? colours[s] : "#cccccc");
	}
}

static void frame(FILE *out, const struct axis *a, const struct gw_report_meta *m, int year)
{
	double ws = x_of(a, day_number(year * 10000 + m->window_start));
	double we = x_of(a, day_number(year * 10000 + m->window_end) + 1);
	double dl = x_of(a, day_number(year * 10000 + m->deadline_mmdd));

	fprintf(out,
	        "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"#eef3fb\"/>\n",
	        ws, Y0, we - ws, Y1 - Y0);
	fprintf(out,
	        "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
	        "stroke=\"#888\" stroke-width=\"0.6\"/>\n",
	        X0, Y0, X1 - X0, Y1 - Y0);
	if (dl >= X0 && dl <= X1)
		fprintf(out,
		        "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#555\" "
		        "stroke-dasharray=\"2 2\"/><text x=\"%.1f\" y=\"%.0f\" "
		        "font-size=\"8\">deadline</text>\n",
		        dl, Y0, dl, Y1, dl + 2, Y0 + 8);
	for (int k = 0; k < 2; k++) {
		double t = k ? m->not_covered_delta_c : m->covered_delta_c;

		fprintf(out,
		        "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#c0392b\" "
		        "stroke-width=\"0.5\" stroke-dasharray=\"4 3\"/>\n",
		        X0, y_of(t, D_MIN, D_MAX), X1, y_of(t, D_MIN, D_MAX));
	}
	for (int v = 0; v <= 60; v += 20)
		fprintf(out,
		        "<text x=\"%.0f\" y=\"%.1f\" font-size=\"8\" text-anchor=\"end\" "
		        "fill=\"#1f5fa8\">%d%%</text>\n",
		        X0 - 3, y_of(v, 0, M_MAX) + 3, v);
	for (int v = -4; v <= 10; v += 2)
		fprintf(out,
		        "<text x=\"%.0f\" y=\"%.1f\" font-size=\"8\" fill=\"#c0392b\">%+d</text>\n",
		        X1 + 3, y_of(v, D_MIN, D_MAX) + 3, v);
}

static void labels(FILE *out, const struct gw_plot_result *r)
{
	char first[16], last[16];

	fprintf(out,
	        "<text x=\"%.0f\" y=\"%.0f\" font-size=\"8\">%s</text><text x=\"%.0f\" y=\"%.0f\" "
	        "font-size=\"8\" text-anchor=\"end\">%s</text>\n",
	        X0, STRIP + 18, gw_report_date(r->days[0].day, first, sizeof(first)), X1,
	        STRIP + 18, gw_report_date(r->days[r->ndays - 1].day, last, sizeof(last)));
	fprintf(out,
	        "<text x=\"%.0f\" y=\"%.0f\" font-size=\"8\" text-anchor=\"middle\">"
	        "<tspan fill=\"#1f5fa8\">moisture %% (left)</tspan>  "
	        "<tspan fill=\"#c0392b\">under film &#8722; bare &#176;C (right)</tspan>  strip: "
	        "<tspan fill=\"#2e8b57\">&#9632; covered</tspan> <tspan fill=\"#c0392b\">&#9632; "
	        "not covered</tspan> <tspan fill=\"#e0a800\">&#9632; indeterminate</tspan> "
	        "<tspan fill=\"#999999\">&#9632; no data</tspan></text>\n",
	        (X0 + X1) / 2, STRIP + 30);
}

void gw_report_svg(FILE *out, const struct gw_plot_result *r, const struct gw_report_meta *m)
{
	struct axis a;

	fprintf(out,
	        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
	        "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n",
	        W, H, W, H);
	if (!r->ndays) {
		fprintf(out,
		        "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\">no readings</text></svg>\n",
		        X0, Y0 + 20);
		return;
	}
	a.first = day_number(r->days[0].day);
	a.last = day_number(r->days[r->ndays - 1].day);
	fputs("<title>", out);
	gw_report_html_text(out, r->plot);
	fputs("</title>\n", out);
	frame(out, &a, m, r->days[0].day / 10000);
	strip(out, r, &a);
	line(out, r, &a, false, "#1f5fa8");
	line(out, r, &a, true, "#c0392b");
	labels(out, r);
	fputs("</svg>\n", out);
}
