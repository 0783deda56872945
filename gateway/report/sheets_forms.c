/* 附表 3-6 of the county's first notice of 2023: the 汇总表 (a row per village of a township)
 * and the 花名册 (a row per household of a village), one set per household category, with
 * the gazette's column order, headings, note and signature lines. 合计资金 is 地膜资金 +
 * 种子资金, as on the form: the intercrop's soybean stays in the township tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sheets.h"

/* The film, film funds and seed columns, in the order each form has them. */
#define FILM                                                                                       \
	{"full_film_rolls", {"地膜", "全膜", "卷"}, {"film", "full", "rolls"}, GW_COL_NUM, 7},     \
	        {"full_film_kg", {"地膜", "全膜", "公斤"}, {"film", "full", "kg"}, GW_COL_NUM, 8}, \
	        {"half_film_rolls",                                                                \
	         {"地膜", "半膜", "卷"},                                                           \
	         {"film", "half", "rolls"},                                                        \
	         GW_COL_NUM,                                                                       \
	         7},                                                                               \
	{                                                                                          \
		"half_film_kg", {"地膜", "半膜", "公斤"}, {"film", "half", "kg"}, GW_COL_NUM, 8    \
	}
#define FILM_FUNDS                                                                                 \
	{"full_film_yuan", {"地膜资金", "全膜"}, {"film funds", "full"}, GW_COL_NUM, 9},           \
	{                                                                                          \
		"half_film_yuan", {"地膜资金", "半膜"}, {"film funds", "half"}, GW_COL_NUM, 9      \
	}
#define SEED                                                                                       \
	{"seed_variety", {"种子", "品种"}, {"seed", "variety"}, GW_COL_TEXT, 10},                  \
	{                                                                                          \
		"seed_kg", {"种子", "数量"}, {"seed", "kg"}, GW_COL_NUM, 7                         \
	}

static const struct gw_sheet_col summary_cols[] = {
        {"no", {"序号"}, {"No."}, GW_COL_NUM, 4},
        {"village", {"行政村"}, {"village"}, GW_COL_TEXT, 10},
        {"households", {"总户数"}, {"households"}, GW_COL_NUM, 6},
        {"beneficiaries", {"受益人口"}, {"beneficiaries"}, GW_COL_NUM, 6},
        {"area_mu", {"发放面积"}, {"area"}, GW_COL_NUM, 8},
        FILM,
        FILM_FUNDS,
        SEED,
        {"seed_yuan", {"种子资金"}, {"seed funds"}, GW_COL_NUM, 9},
        {"funds_yuan", {"合计资金"}, {"total funds"}, GW_COL_NUM, 10},
        {"remarks", {"备注"}, {"remarks"}, GW_COL_INK, 10},
};

static const struct gw_sheet_col roster_cols[] = {
        {"no", {"序号"}, {"No."}, GW_COL_NUM, 4},
        {"name", {"姓名"}, {"name"}, GW_COL_TEXT, 7},
        {"group", {"组"}, {"group"}, GW_COL_TEXT, 3},
        {"id_number", {"身份证号"}, {"ID number"}, GW_COL_ID, 19},
        {"beneficiaries", {"受益人口"}, {"beneficiaries"}, GW_COL_NUM, 5},
        {"area_mu", {"发放面积"}, {"area"}, GW_COL_NUM, 6},
        FILM,
        SEED,
        FILM_FUNDS,
        {"seed_yuan", {"种子资金"}, {"seed funds"}, GW_COL_NUM, 8},
        {"funds_yuan", {"合计资金"}, {"total funds"}, GW_COL_NUM, 9},
        {"phone", {"电话"}, {"phone"}, GW_COL_ID, 12},
        {"signature", {"签名"}, {"signature"}, GW_COL_INK, 8},
};

static const char *const signs_zh[] = {"村级负责人签字：", "村监委会主任签字：",
                                       "乡（镇）农业发展服务中心负责人签字："};
static const char *const signs_en[] = {"Village head:", "Village supervisory committee head:",
                                       "Township agricultural service centre head:"};

int gw_sheets_year(const struct gw_report_meta *m)
{
	if (m->year)
		return m->year;
	return m->generated && m->generated[0] ? atoi(m->generated) : 0;
}

void gw_sheets_rates_note(const struct gw_rates_cfg *r, enum gw_lang lang, char *buf, size_t len)
{
	char fk[32], hk[32], rl[32], fy[32], sk[32], sy[32];

	gw_form_num(r->full_film_kg_per_mu, 3, fk, sizeof(fk));
	gw_form_num(r->half_film_kg_per_mu, 3, hk, sizeof(hk));
	gw_form_num(r->rolls_per_mu, 3, rl, sizeof(rl));
	gw_form_num(r->film_yuan_per_kg, 2, fy, sizeof(fy));
	gw_form_num(r->seed_kg_per_mu, 3, sk, sizeof(sk));
	gw_form_num(r->seed_yuan_per_kg, 2, sy, sizeof(sy));
	if (lang == GW_LANG_EN)
		snprintf(buf, len,
		         "Note: full film %s kg/mu (%s roll), %s yuan/kg; half film %s kg/mu (%s "
		         "roll), %s yuan/kg. Corn seed: %s kg/mu, %s yuan/kg.",
		         fk, rl, fy, hk, rl, fy, sk, sy);
	else
		snprintf(buf, len,
		         "注：全膜 %s 公斤/亩（%s 卷），%s 元/公斤，半膜 %s 公斤/亩（%s 卷），%s "
		         "元/公斤。玉米种子：%s 公斤/亩，%s 元/公斤。",
		         fk, rl, fy, hk, rl, fy, sk, sy);
}

/* Title, place, units, note and signatures of a sheet of the gazette's form. */
static void gazette_head(struct gw_book *b, struct gw_sheet *s, const struct gw_form_row *w,
                         bool roster, const struct gw_report_meta *m)
{
	bool en = b->lang == GW_LANG_EN;
	int cat = w->category < 0 ? 0 : w->category;
	char name[160];

	snprintf(s->township, sizeof(s->township), "%s", w->township);
	snprintf(s->village, sizeof(s->village), "%s", roster ? w->village : "");
	s->category = w->category;
	if (en)
		snprintf(s->title, sizeof(s->title),
		         "%d high-yield corn: film and seed handed out, %s (%s households)",
		         gw_sheets_year(m), roster ? "roster" : "summary",
		         gw_term_category((enum gw_category)cat, b->lang));
	else
		snprintf(s->title, sizeof(s->title), "%d 年优质高产高效玉米地膜、种子发放%s（%s）",
		         gw_sheets_year(m), roster ? "花名册" : "汇总表",
		         gw_term_category((enum gw_category)cat, b->lang));
	if (roster)
		snprintf(s->place, sizeof(s->place),
		         en ? "township: %s   village: %s" : "乡（镇）：%s　　村：%s", w->township,
		         w->village);
	else
		snprintf(s->place, sizeof(s->place), en ? "township: %s" : "乡（镇）：%s",
		         w->township);
	snprintf(s->units, sizeof(s->units), "%s",
	         en ? "units: mu, roll, kg, yuan" : "单位：亩、卷、公斤、元");
	gw_sheets_rates_note(m->rates, b->lang, s->note, sizeof(s->note));
	s->signs = en ? signs_en : signs_zh;
	s->nsigns = GW_ARRAY_LEN(signs_zh);
	/* 附表 3/4 are the poverty-alleviated households', 5/6 the general households' */
	snprintf(name, sizeof(name), "%s%d %s%s%s", en ? "T" : "附表",
	         (cat ? 5 : 3) + (roster ? 1 : 0), w->township, roster ? " " : "",
	         roster ? w->village : "");
	gw_sheet_set_name(b, s, name);
}

/* The amounts both forms share, into the columns named like them. */
static void amounts(struct gw_sheet *s, size_t row, const struct gw_form_sums *a)
{
	const struct {
		const char *key;
		double v;
		int decimals;
	} v[] = {
	        {"area_mu", a->area_mu, 2},
	        {"full_film_rolls", a->full_rolls, 2},
	        {"full_film_kg", a->full_kg, 2},
	        {"half_film_rolls", a->half_rolls, 2},
	        {"half_film_kg", a->half_kg, 2},
	        {"full_film_yuan", a->full_yuan, 2},
	        {"half_film_yuan", a->half_yuan, 2},
	        {"seed_kg", a->seed_kg, 2},
	        {"seed_yuan", a->seed_yuan, 2},
	        /* the form's 合计资金: film and seed, not the intercrop's soybean */
	        {"funds_yuan", a->full_yuan + a->half_yuan + a->seed_yuan, 2},
	        {"beneficiaries", a->beneficiaries, 0},
	        {"households", a->households, 0},
	};

	for (size_t c = 0; c < s->ncols; c++)
		for (size_t i = 0; i < GW_ARRAY_LEN(v); i++)
			if (strcmp(s->cols[c].key, v[i].key) == 0)
				gw_sheet_num(s, row, c, v[i].v, v[i].decimals);
}

static bool same_sheet(const struct gw_form_row *a, const struct gw_form_row *b, bool roster)
{
	return a->category == b->category && strcmp(a->township, b->township) == 0 &&
	       (!roster || strcmp(a->village, b->village) == 0);
}

static bool selected(const struct gw_form_row *w, const struct gw_sheet_sel *sel)
{
	return (!sel->township || strcmp(sel->township, w->township) == 0) &&
	       (!sel->village || strcmp(sel->village, w->village) == 0);
}

/* A household's roster cells (ID number and phone masked unless the book is unmasked). */
static int roster_row(struct gw_sheet *s, size_t row, const struct gw_form_row *w, bool unmasked)
{
	const struct gw_household *h = w->household;
	char id[GW_MASK_LEN], phone[GW_MASK_LEN];
	int rc;

	if (gw_mask_id(h->id_number, id, sizeof(id)))
		snprintf(id, sizeof(id), "%s", "******");
	if (gw_mask_phone(h->phone, phone, sizeof(phone)))
		snprintf(phone, sizeof(phone), "%s", "******");
	rc = gw_sheet_set(s, row, "name", h->name);
	rc = rc ? rc : gw_sheet_set(s, row, "group", h->group);
	rc = rc ? rc : gw_sheet_set(s, row, "id_number", unmasked ? h->id_number : id);
	rc = rc ? rc : gw_sheet_set(s, row, "seed_variety", w->varieties);
	if (h->phone[0])
		rc = rc ? rc : gw_sheet_set(s, row, "phone", unmasked ? h->phone : phone);
	return rc;
}

/* The sheets of f's rows, one per run of rows of the same place and category. */
static int build(const struct gw_form *f, const struct gw_sheet_sel *sel,
                 const struct gw_report_meta *m, struct gw_book *b, bool roster)
{
	struct gw_form_sums sum;
	size_t i = 0, j, no;
	long row;
	int rc = 0;

	while (i < f->nrows && !rc) {
		const struct gw_form_row *first = &f->rows[i];
		struct gw_sheet *s;

		for (j = i; j < f->nrows && same_sheet(first, &f->rows[j], roster); j++)
			;
		if (!selected(first, sel)) {
			i = j;
			continue;
		}
		s = roster ? gw_book_add(b, roster_cols, GW_ARRAY_LEN(roster_cols))
		           : gw_book_add(b, summary_cols, GW_ARRAY_LEN(summary_cols));
		if (!s)
			return -ENOMEM;
		gazette_head(b, s, first, roster, m);
		memset(&sum, 0, sizeof(sum));
		for (no = 1; i < j && !rc; i++, no++) {
			const struct gw_form_row *w = &f->rows[i];

			row = gw_sheet_row(s, false);
			if (row < 0)
				return -ENOMEM;
			gw_sheet_num(s, (size_t)row, 0, (double)no, 0);
			amounts(s, (size_t)row, &w->all);
			gw_form_sums_add(&sum, &w->all);
			if (roster)
				rc = roster_row(s, (size_t)row, w, b->unmasked);
			else if (gw_sheet_set(s, (size_t)row, "village", w->village) ||
			         gw_sheet_set(s, (size_t)row, "seed_variety", w->varieties))
				rc = -ENOMEM;
		}
		row = rc ? -ENOMEM : gw_sheet_row(s, true);
		if (row < 0)
			return -ENOMEM;
		amounts(s, (size_t)row, &sum);
		rc = gw_sheet_set(s, (size_t)row, roster ? "name" : "village",
		                  b->lang == GW_LANG_EN ? "total" : "合计");
	}
	return rc;
}

int gw_sheets_summary(const struct gw_form *f, const struct gw_sheet_sel *sel,
                      const struct gw_report_meta *m, struct gw_book *b)
{
	return build(f, sel, m, b, false);
}

int gw_sheets_roster(const struct gw_form *f, const struct gw_sheet_sel *sel,
                     const struct gw_report_meta *m, struct gw_book *b)
{
	return build(f, sel, m, b, true);
}
