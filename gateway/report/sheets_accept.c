/* The inspectors' sheets, from a plot-level form: the 验收表 (a sheet per village, a row per
 * plot with its household, film, sensors, position, first covered day, verdict and why,
 * verified area; totals per category) and the field visit list (a sheet per township, the
 * plots to visit grouped by village and put in walking order). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sheets.h"

#define LATLON                                                                                     \
	{"lat", {"纬度"}, {"latitude"}, GW_COL_NUM, 9},                                            \
	{                                                                                          \
		"lon", {"经度"}, {"longitude"}, GW_COL_NUM, 10                                     \
	}

static const struct gw_sheet_col accept_cols[] = {
        {"no", {"序号"}, {"No."}, GW_COL_NUM, 4},
        {"name", {"姓名"}, {"name"}, GW_COL_TEXT, 7},
        {"group", {"组"}, {"group"}, GW_COL_TEXT, 3},
        {"id_number", {"身份证号"}, {"ID number"}, GW_COL_ID, 19},
        {"category", {"类别"}, {"category"}, GW_COL_TEXT, 6},
        {"plot_id", {"地块编号"}, {"plot"}, GW_COL_TEXT, 9},
        {"area_mu", {"面积"}, {"area"}, GW_COL_NUM, 6},
        {"film", {"地膜"}, {"film"}, GW_COL_TEXT, 5},
        {"sensors", {"传感器"}, {"sensors"}, GW_COL_TEXT, 10},
        LATLON,
        {"first_covered", {"首次覆膜日期"}, {"first covered"}, GW_COL_TEXT, 11},
        {"verdict", {"验收结论"}, {"verdict"}, GW_COL_TEXT, 8},
        {"reason", {"依据"}, {"reason"}, GW_COL_TEXT, 26},
        {"verified_mu", {"验收合格面积"}, {"verified area"}, GW_COL_NUM, 7},
};

static const struct gw_sheet_col visit_cols[] = {
        {"no", {"序号"}, {"No."}, GW_COL_NUM, 4},
        {"village", {"行政村"}, {"village"}, GW_COL_TEXT, 8},
        {"group", {"组"}, {"group"}, GW_COL_TEXT, 3},
        {"name", {"姓名"}, {"name"}, GW_COL_TEXT, 7},
        {"phone", {"电话"}, {"phone"}, GW_COL_ID, 12},
        {"plot_id", {"地块编号"}, {"plot"}, GW_COL_TEXT, 9},
        {"area_mu", {"面积"}, {"area"}, GW_COL_NUM, 6},
        LATLON,
        {"sensors", {"传感器"}, {"sensors"}, GW_COL_TEXT, 10},
        {"verdict", {"验收结论"}, {"verdict"}, GW_COL_TEXT, 8},
        {"reason", {"核查原因"}, {"why visit"}, GW_COL_TEXT, 26},
        {"finding", {"核查记录"}, {"finding"}, GW_COL_INK, 16},
};

static const char *const accept_signs_zh[] = {"验收人员签字：", "验收人员签字：", "验收人员签字：",
                                              "日期：　　年　　月　　日"};
static const char *const accept_signs_en[] = {"Inspector:", "Inspector:", "Inspector:", "Date:"};
static const char *const visit_signs_zh[] = {"核查人员签字：", "核查人员签字：",
                                             "日期：　　年　　月　　日"};
static const char *const visit_signs_en[] = {"Inspector:", "Inspector:", "Date:"};

const char *gw_sheets_sensors(const struct gw_report_meta *m, const char *plot, char *buf,
                              size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; m->cfg && i < m->cfg->nsensors; i++) {
		const char *id = m->cfg->sensors[i].id;

		if (strcmp(m->cfg->sensors[i].plot, plot) != 0)
			continue;
		if (used + strlen(id) + 3 > len) {
			snprintf(buf + used, len - used, "%s", used + 4 < len ? " ..." : "");
			break;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", id);
	}
	return buf;
}

/* Why the verdict is what it is, in the sheet's language. */
static void reason(const struct gw_form_row *w, const struct gw_report_meta *m, char *buf,
                   size_t len)
{
	const struct gw_plot_result *r = w->result;
	bool en = m->lang == GW_LANG_EN;
	double min_av = m->cfg ? m->cfg->accept.min_availability : 0.8;
	size_t used;
	char d[32];

	if (!r)
		snprintf(buf, len, "%s", en ? "no readings: not verified" : "无读数记录，未核验");
	else if (r->verdict == GW_VERDICT_NO_SENSOR)
		snprintf(buf, len, "%s", en ? "no sensor on the plot" : "地块未配置传感器");
	else if (r->verdict == GW_VERDICT_UNVERIFIED)
		snprintf(buf, len, "%s", r->reason); /* "evidence chain broken on 06-20 (edited)" */
	else if (r->verdict == GW_VERDICT_INSUFFICIENT_DATA)
		snprintf(buf, len,
		         en ? "data %.0f%% of expected (needs %.0f%%)"
		            : "数据完整率 %.0f%%（要求不低于 %.0f%%）",
		         r->availability * 100.0, min_av * 100.0);
	else if (en)
		snprintf(buf, len, "window %s: covered %u days, not covered %u, undecided %u",
		         m->window, r->covered, r->not_covered, r->indeterminate);
	else
		snprintf(buf, len, "验收期（%s）覆膜 %u 天，未覆膜 %u 天，无法判定 %u 天",
		         m->window, r->covered, r->not_covered, r->indeterminate);
	used = strlen(buf);
	if (r && r->late && used < len)
		snprintf(buf + used, len - used,
		         en ? "; first covered %s, after the %s deadline"
		            : "；首次覆膜 %s，晚于覆膜期限 %s",
		         gw_term_date(r->first_covered, m->lang, d, sizeof(d)), m->deadline);
}

/* Where a row's place first appears: rows of one township, then of one village, stay
 * together in the order the records first name them. */
struct order {
	const struct gw_form_row *w;
	size_t trank, vrank, seq;
};

/* The first row index of w's place (its township, or its village) among places[0..*n),
 * added when new. Returns it, or (size_t)-1 when out of memory. */
struct place {
	const char *township, *village;
	size_t first;
};

static size_t first_of(struct place **places, size_t *n, size_t *cap, const struct gw_form_row *w,
                       size_t i, bool village)
{
	for (size_t j = 0; j < *n; j++)
		if (strcmp((*places)[j].township, w->township) == 0 &&
		    (village ? (*places)[j].village && strcmp((*places)[j].village, w->village) == 0
		             : !(*places)[j].village))
			return (*places)[j].first;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct place *p = realloc(*places, ncap * sizeof(*p));

		if (!p)
			return (size_t)-1;
		*places = p;
		*cap = ncap;
	}
	(*places)[(*n)++] = (struct place){w->township, village ? w->village : NULL, i};
	return i;
}

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->trank != y->trank)
		return x->trank < y->trank ? -1 : 1;
	if (x->vrank != y->vrank)
		return x->vrank < y->vrank ? -1 : 1;
	if (x->w->category != y->w->category)
		return x->w->category < y->w->category ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The selected rows of f, by township, village, category, then the plots' order.
 * Returns owned (*n of them) or NULL. */
static struct order *ordered(const struct gw_form *f, const struct gw_sheet_sel *sel, size_t *n)
{
	struct order *o = malloc((f->nrows ? f->nrows : 1) * sizeof(*o));
	struct place *places = NULL;
	size_t k = 0, np = 0, cap = 0;

	for (size_t i = 0; o && i < f->nrows; i++) {
		const struct gw_form_row *w = &f->rows[i];

		if ((sel->township && strcmp(sel->township, w->township) != 0) ||
		    (sel->village && strcmp(sel->village, w->village) != 0))
			continue;
		o[k] = (struct order){.w = w, .seq = i};
		o[k].trank = first_of(&places, &np, &cap, w, i, false);
		o[k].vrank = first_of(&places, &np, &cap, w, i, true);
		if (o[k].trank == (size_t)-1 || o[k].vrank == (size_t)-1) {
			free(o);
			o = NULL;
			break;
		}
		k++;
	}
	free(places);
	if (o)
		qsort(o, k, sizeof(*o), cmp_order);
	*n = k;
	return o;
}

static bool same_place(const struct gw_form_row *a, const struct gw_form_row *b, bool village)
{
	return strcmp(a->township, b->township) == 0 &&
	       (!village || strcmp(a->village, b->village) == 0);
}

/* The cells a plot's row shares on both sheets. */
static int plot_cells(struct gw_sheet *s, size_t row, size_t no, const struct gw_form_row *w,
                      const struct gw_report_meta *m)
{
	const struct gw_household *h = w->household;
	const struct gw_plot *p = w->plot;
	char id[GW_MASK_LEN], phone[GW_MASK_LEN], sensors[160], why[320];
	int rc;

	if (gw_mask_id(h->id_number, id, sizeof(id)))
		snprintf(id, sizeof(id), "%s", "******");
	if (gw_mask_phone(h->phone, phone, sizeof(phone)))
		snprintf(phone, sizeof(phone), "%s", "******");
	reason(w, m, why, sizeof(why));
	gw_sheet_set_num(s, row, "no", (double)no, 0);
	gw_sheet_set_num(s, row, "area_mu", p->area_mu, 2);
	if (p->has_pos) {
		gw_sheet_set_num(s, row, "lat", p->lat, 6);
		gw_sheet_set_num(s, row, "lon", p->lon, 6);
	}
	rc = gw_sheet_set(s, row, "name", h->name);
	rc = rc ? rc : gw_sheet_set(s, row, "group", h->group);
	rc = rc ? rc : gw_sheet_set(s, row, "id_number", m->unmasked ? h->id_number : id);
	if (h->phone[0])
		rc = rc ? rc : gw_sheet_set(s, row, "phone", m->unmasked ? h->phone : phone);
	rc = rc ? rc : gw_sheet_set(s, row, "village", w->village);
	rc = rc ? rc : gw_sheet_set(s, row, "plot_id", p->id);
	rc = rc ? rc : gw_sheet_set(s, row, "film", gw_term_film(p->film, m->lang));
	rc = rc ? rc
	        : gw_sheet_set(s, row, "sensors",
	                       gw_sheets_sensors(m, p->id, sensors, sizeof(sensors)));
	rc = rc ? rc : gw_sheet_set(s, row, "verdict", gw_term_verdict(w->result, m->lang));
	rc = rc ? rc : gw_sheet_set(s, row, "reason", why);
	return rc;
}

/* A total row labelled label: area and verified area of the rows of category cat (-1: all). */
static int total_row(struct gw_sheet *s, const struct order *o, size_t n, int cat,
                     const char *label)
{
	double area = 0, verified = 0;
	size_t count = 0;
	long row;

	for (size_t i = 0; i < n; i++) {
		if (cat >= 0 && o[i].w->category != cat)
			continue;
		count++;
		area += o[i].w->plot->area_mu;
		verified += o[i].w->all.verified_mu;
	}
	if (cat >= 0 && !count)
		return 0;
	row = gw_sheet_row(s, true);
	if (row < 0)
		return -ENOMEM;
	gw_sheet_set_num(s, (size_t)row, "area_mu", area, 2);
	gw_sheet_set_num(s, (size_t)row, "verified_mu", verified, 2);
	return gw_sheet_set(s, (size_t)row, s->cols[1].key, label);
}

static void accept_head(struct gw_book *b, struct gw_sheet *s, const struct gw_form_row *w,
                        const struct gw_report_meta *m)
{
	bool en = b->lang == GW_LANG_EN;
	char name[160];

	snprintf(s->township, sizeof(s->township), "%s", w->township);
	snprintf(s->village, sizeof(s->village), "%s", w->village);
	snprintf(s->title, sizeof(s->title),
	         en ? "%d film-covered corn: acceptance sheet"
	            : "%d 年优质高产高效玉米覆膜种植验收表",
	         gw_sheets_year(m));
	snprintf(s->place, sizeof(s->place),
	         en ? "township: %s   village: %s" : "乡（镇）：%s　　村：%s", w->township,
	         w->village);
	snprintf(s->units, sizeof(s->units), "%s", en ? "units: mu" : "单位：亩");
	snprintf(s->note, sizeof(s->note),
	         en ? "Note: a verdict is point evidence, from the plot's own sensors (window %s, "
	              "laying deadline %s); a plot that passes counts in the verified area."
	            : "注：验收结论是地块自身传感器的点证据（验收期 %s，覆膜期限 %s）；"
	              "合格地块的面积计入验收合格面积。",
	         m->window, m->deadline);
	s->signs = en ? accept_signs_en : accept_signs_zh;
	s->nsigns = GW_ARRAY_LEN(accept_signs_zh);
	snprintf(name, sizeof(name), "%s %s %s", en ? "acceptance" : "验收表", w->township,
	         w->village);
	gw_sheet_set_name(b, s, name);
}

static int accept_sheet(struct gw_book *b, const struct order *o, size_t n,
                        const struct gw_report_meta *m)
{
	struct gw_sheet *s = gw_book_add(b, accept_cols, GW_ARRAY_LEN(accept_cols));
	bool en = b->lang == GW_LANG_EN;
	char d[32];
	int rc = 0;

	if (!s)
		return -ENOMEM;
	accept_head(b, s, o[0].w, m);
	for (size_t i = 0; i < n && !rc; i++) {
		const struct gw_form_row *w = o[i].w;
		long row = gw_sheet_row(s, false);

		if (row < 0)
			return -ENOMEM;
		rc = plot_cells(s, (size_t)row, i + 1, w, m);
		gw_sheet_set_num(s, (size_t)row, "verified_mu", w->all.verified_mu, 2);
		if (!rc)
			rc = gw_sheet_set(s, (size_t)row, "category",
			                  gw_term_category((enum gw_category)w->category, b->lang));
		if (!rc && w->result && w->result->first_covered)
			rc = gw_sheet_set(
			        s, (size_t)row, "first_covered",
			        gw_term_date(w->result->first_covered, b->lang, d, sizeof(d)));
	}
	for (int c = 0; c < GW_NCATEGORIES && !rc; c++) {
		char label[64];

		snprintf(label, sizeof(label), en ? "%s total" : "%s合计",
		         gw_term_category((enum gw_category)c, b->lang));
		rc = total_row(s, o, n, c, label);
	}
	return rc ? rc : total_row(s, o, n, -1, en ? "total" : "合计");
}

int gw_sheets_acceptance(const struct gw_form *f, const struct gw_sheet_sel *sel,
                         const struct gw_report_meta *m, struct gw_book *b)
{
	size_t n, i = 0, j;
	struct order *o = ordered(f, sel, &n);
	int rc = o ? 0 : -ENOMEM;

	while (!rc && i < n) {
		for (j = i; j < n && same_place(o[i].w, o[j].w, true); j++)
			;
		rc = accept_sheet(b, o + i, j - i, m);
		i = j;
	}
	free(o);
	return rc;
}

/* A plot an inspector should see: no verdict, any verdict but pass, or laid late. */
static bool needs_visit(const struct gw_form_row *w)
{
	return !w->result || w->result->verdict != GW_VERDICT_PASS || w->result->late;
}

static double dist2(const struct gw_plot *a, const struct gw_plot *b)
{
	double dx = (a->lon - b->lon) * cos(a->lat * M_PI / 180.0), dy = a->lat - b->lat;

	return dx * dx + dy * dy;
}

/* Puts one village's plots in walking order: from the westernmost plot, each time to the
 * nearest one not yet visited; plots without a position last, by group, as they were. */
static void route(struct order *o, size_t n)
{
	size_t placed = 0;

	for (size_t i = 0; i < n; i++) { /* positioned plots first, the order otherwise kept */
		if (o[i].w->plot->has_pos) {
			struct order t = o[i];

			memmove(&o[placed + 1], &o[placed], (i - placed) * sizeof(*o));
			o[placed++] = t;
		}
	}
	for (size_t i = 0; i < placed; i++) {
		size_t best = i;

		for (size_t j = i + 1; j < placed; j++) {
			const struct gw_plot *c = o[j].w->plot, *b = o[best].w->plot;

			if (i == 0 ? c->lon < b->lon
			           : dist2(o[i - 1].w->plot, c) < dist2(o[i - 1].w->plot, b))
				best = j;
		}
		if (best != i) {
			struct order t = o[i];

			o[i] = o[best];
			o[best] = t;
		}
	}
	for (size_t i = placed + 1; i < n; i++) /* insertion sort by group: stable */
		for (size_t j = i; j > placed && strcmp(o[j - 1].w->household->group,
		                                        o[j].w->household->group) > 0;
		     j--) {
			struct order t = o[j];

			o[j] = o[j - 1];
			o[j - 1] = t;
		}
}

static void visit_head(struct gw_book *b, struct gw_sheet *s, const char *township,
                       const struct gw_sheet_sel *sel, const struct gw_report_meta *m)
{
	bool en = b->lang == GW_LANG_EN;
	char name[160];

	snprintf(s->township, sizeof(s->township), "%s", township);
	snprintf(s->title, sizeof(s->title),
	         en ? "%d film-cover field visit list" : "%d 年覆膜种植实地核查清单",
	         gw_sheets_year(m));
	snprintf(s->place, sizeof(s->place), en ? "township: %s%s%s" : "乡（镇）：%s%s%s", township,
	         sel->village ? (en ? "   village: " : "　　村：") : "",
	         sel->village ? sel->village : "");
	snprintf(s->units, sizeof(s->units), "%s", en ? "units: mu" : "单位：亩");
	snprintf(s->note, sizeof(s->note), "%s",
	         en ? "Plots to visit: fail, indeterminate, insufficient data, no sensor, not "
	              "verified, or laid after the deadline. In each village in walking order: "
	              "from the westernmost plot to the nearest next one; plots without a "
	              "position last."
	            : "需实地核查的地块：不合格、无法判定、数据不足、无传感器、未核验或晚于覆膜期限"
	              "。"
	              "各村内按路线排列：从最西边的地块起，每次到最近的下一块；无坐标的地块列在最后"
	              "。");
	s->signs = en ? visit_signs_en : visit_signs_zh;
	s->nsigns = GW_ARRAY_LEN(visit_signs_zh);
	snprintf(name, sizeof(name), "%s %s", en ? "visits" : "核查清单", township);
	gw_sheet_set_name(b, s, name);
}

/* The visit sheet of one township's rows o[0..n) (every plot; those to visit are listed). */
static int visit_sheet(struct gw_book *b, struct order *o, size_t n, const struct gw_sheet_sel *sel,
                       const struct gw_report_meta *m)
{
	struct gw_sheet *s = gw_book_add(b, visit_cols, GW_ARRAY_LEN(visit_cols));
	size_t k = 0, no = 0;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	visit_head(b, s, o[0].w->township, sel, m);
	for (size_t i = 0; i < n; i++) /* keep the plots to visit, in place */
		if (needs_visit(o[i].w))
			o[k++] = o[i];
	for (size_t i = 0, j; i < k && !rc; i = j) {
		for (j = i; j < k && same_place(o[i].w, o[j].w, true); j++)
			;
		route(o + i, j - i);
		for (size_t r = i; r < j && !rc; r++) {
			long row = gw_sheet_row(s, false);

			rc = row < 0 ? -ENOMEM : plot_cells(s, (size_t)row, ++no, o[r].w, m);
		}
	}
	return rc ? rc : total_row(s, o, k, -1, b->lang == GW_LANG_EN ? "total" : "合计");
}

int gw_sheets_visits(const struct gw_form *f, const struct gw_sheet_sel *sel,
                     const struct gw_report_meta *m, struct gw_book *b)
{
	size_t n, i = 0, j;
	struct order *o = ordered(f, sel, &n);
	int rc = o ? 0 : -ENOMEM;

	while (!rc && i < n) {
		for (j = i; j < n && same_place(o[i].w, o[j].w, false); j++)
			;
		rc = visit_sheet(b, o + i, j - i, sel, m);
		i = j;
	}
	free(o);
	return rc;
}
