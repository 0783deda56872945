/* The columns of each report level and the value of each cell: the county's roster
 * (花名册) and summary (汇总表) columns, the township plan and funding tables, and the
 * acceptance columns. ID numbers and phones are masked here unless the report is unmasked. */
#include "array.h"
#include "report.h"
#include "verdict.h"

#include <stdio.h>
#include <string.h>

const char gw_report_note[] =
        "Verdicts are point evidence for the plot: they say what the plot's own sensors "
        "recorded, not what the rest of a household's or village's area did.";
const char gw_report_note_zh[] = "验收结论是地块的点证据：只说明该地块自身传感器的记录，"
                                 "不代表该户或该村其余面积的情况。";

/* Columns every level shares after its own: the forms' amounts, then acceptance. */
#define AMOUNTS                                                                                    \
	{"area_mu", "发放面积(亩)", false}, {"full_film_mu", "全膜面积(亩)", false},               \
	        {"half_film_mu", "半膜面积(亩)", false}, {"full_film_rolls", "全膜(卷)", false},   \
	        {"full_film_kg", "全膜(公斤)", false}, {"half_film_rolls", "半膜(卷)", false},     \
	        {"half_film_kg", "半膜(公斤)", false},                                             \
	        {"full_film_yuan", "全膜地膜资金(元)", false},                                     \
	        {"half_film_yuan", "半膜地膜资金(元)", false},                                     \
	        {"seed_kg", "种子数量(公斤)", false}, {"seed_yuan", "种子资金(元)", false},        \
	        {"intercrop_mu", "玉豆套种面积(亩)", false},                                       \
	        {"intercrop_yuan", "玉豆套种资金(元)", false},                                     \
	        {"funds_total_yuan", "合计资金(元)", false},                                       \
	        {"government_yuan", "政府补贴(元)", false},                                        \
	{                                                                                          \
		"household_yuan", "农户自筹(元)", false                                            \
	}
#define VERIFIED                                                                                   \
	{"verified_area_mu", "验收合格面积(亩)", false}, {"plots_pass", "合格地块", false},        \
	        {"plots_fail", "不合格地块", false}, {"plots_indeterminate", "待定地块", false},   \
	        {"plots_insufficient_data", "数据不足地块", false},                                \
	{                                                                                          \
		"plots_no_sensor", "无传感器地块", false                                           \
	}

static const struct gw_rcol plot_cols[] = {
        {"township", "乡(镇)", true},
        {"village", "行政村", true},
        {"plot_id", "地块编号", true},
        {"household_id", "户号", false},
        {"name", "姓名", false},
        {"group", "组", false},
        {"id_number", "身份证号", false},
        {"category", "类别", false},
        {"beneficiaries", "受益人口", false},
        {"phone", "电话", false},
        {"film", "地膜", false},
        {"planting", "种植方式", false},
        {"seed_variety", "品种", false},
        AMOUNTS,
        {"verdict", "验收结论", false},
        {"reason", "原因", false},
        {"availability", "数据完整率", false},
        {"received", "收到读数", false},
        {"expected", "应有读数", false},
        {"covered_days", "覆膜天数", false},
        {"not_covered_days", "未覆膜天数", false},
        {"indeterminate_days", "待定天数", false},
        {"no_data_days", "无数据天数", false},
        {"first_covered", "首次覆膜日期", false},
        {"late", "晚于覆膜期限", false},
        {"verified_area_mu", "验收合格面积(亩)", false},
};

static const struct gw_rcol household_cols[] = {
        {"township", "乡(镇)", true},
        {"village", "行政村", true},
        {"household_id", "户号", true},
        {"name", "姓名", false},
        {"group", "组", false},
        {"id_number", "身份证号", false},
        {"category", "类别", false},
        {"beneficiaries", "受益人口", false},
        {"phone", "电话", false},
        {"plots", "地块数", false},
        {"seed_variety", "种子品种", false},
        AMOUNTS,
        VERIFIED,
};

static const struct gw_rcol village_cols[] = {
        {"township", "乡(镇)", true},
        {"village", "行政村", true},
        {"category", "类别", true},
        {"households", "总户数", false},
        {"beneficiaries", "受益人口", false},
        {"plots", "地块数", false},
        {"seed_variety", "种子品种", false},
        AMOUNTS,
        VERIFIED,
};

static const struct gw_rcol township_cols[] = {
        {"township", "乡(镇)", true},
        {"households", "总户数", false},
        {"beneficiaries", "受益人口", false},
        {"plots", "地块数", false},
        {"area_poverty_alleviated_mu", "脱贫户面积(亩)", false},
        {"area_general_mu", "一般户面积(亩)", false},
        {"area_total_mu", "合计面积(亩)", false},
        {"single_crop_mu", "单种(亩)", false},
        {"corn_soy_intercrop_mu", "玉豆套种(亩)", false},
        {"grain_corn_mu", "籽粒玉米(亩)", false},
        {"full_film_mu", "全膜(亩)", false},
        {"half_film_mu", "半膜(亩)", false},
        {"pa_area_mu", "脱贫户面积(亩)", false},
        {"pa_film_kg", "脱贫户地膜(公斤)", false},
        {"pa_seed_kg", "脱贫户种子(公斤)", false},
        {"gen_area_mu", "一般户面积(亩)", false},
        {"gen_film_kg", "一般户地膜(公斤)", false},
        {"gen_seed_kg", "一般户种子(公斤)", false},
        {"full_film_rolls", "全膜(卷)", false},
        {"full_film_kg", "全膜(公斤)", false},
        {"half_film_rolls", "半膜(卷)", false},
        {"half_film_kg", "半膜(公斤)", false},
        {"film_t", "地膜(吨)", false},
        {"seed_t", "玉米种子(吨)", false},
        {"soybean_t", "大豆种子(吨)", false},
        {"seed_total_t", "种子合计(吨)", false},
        {"film_yuan", "地膜资金(元)", false},
        {"seed_yuan", "种子资金(元)", false},
        {"intercrop_yuan", "玉豆套种资金(元)", false},
        {"funds_total_yuan", "资金合计(元)", false},
        {"funds_total_10k_yuan", "资金合计(万元)", false},
        {"government_10k_yuan", "政府补贴(万元)", false},
        {"household_10k_yuan", "农户自筹(万元)", false},
        VERIFIED,
};

const struct gw_rcol *gw_report_columns(enum gw_form_level level, size_t *n)
{
	switch (level) {
	case GW_LEVEL_PLOT:
		*n = GW_ARRAY_LEN(plot_cols);
		return plot_cols;
	case GW_LEVEL_HOUSEHOLD:
		*n = GW_ARRAY_LEN(household_cols);
		return household_cols;
	case GW_LEVEL_VILLAGE:
		*n = GW_ARRAY_LEN(village_cols);
		return village_cols;
	default:
		*n = GW_ARRAY_LEN(township_cols);
		return township_cols;
	}
}

static void set_text(struct gw_cell *c, const char *s)
{
	c->kind = GW_CELL_TEXT;
	c->text = s;
}

static void set_num(struct gw_cell *c, double v, int decimals)
{
	c->kind = GW_CELL_NUM;
	c->num = v;
	c->decimals = decimals;
}

/* Amounts of a sums block; true when key was one of them. */
static bool amount_cell(const struct gw_form_sums *s, const char *key, struct gw_cell *c)
{
	static const struct {
		const char *key;
		size_t offset;
		int decimals;
	} amounts[] = {
#define A(k, f, d) {k, offsetof(struct gw_form_sums, f), d}
	        A("area_mu", area_mu, 2),
	        A("area_total_mu", area_mu, 2),
	        A("full_film_mu", full_mu, 2),
	        A("half_film_mu", half_mu, 2),
	        A("single_crop_mu", single_mu, 2),
	        A("corn_soy_intercrop_mu", intercrop_mu, 2),
	        A("intercrop_mu", intercrop_mu, 2),
	        A("grain_corn_mu", grain_mu, 2),
	        A("full_film_rolls", full_rolls, 2),
	        A("full_film_kg", full_kg, 2),
	        A("half_film_rolls", half_rolls, 2),
	        A("half_film_kg", half_kg, 2),
	        A("seed_kg", seed_kg, 2),
	        A("full_film_yuan", full_yuan, 2),
	        A("half_film_yuan", half_yuan, 2),
	        A("seed_yuan", seed_yuan, 2),
	        A("intercrop_yuan", intercrop_yuan, 2),
	        A("funds_total_yuan", total_yuan, 2),
	        A("government_yuan", government_yuan, 2),
	        A("household_yuan", household_yuan, 2),
	        A("verified_area_mu", verified_mu, 2),
#undef A
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(amounts); i++) {
		if (strcmp(key, amounts[i].key) == 0) {
			set_num(c,
			        *(const double *)(const void *)((const char *)s +
			                                        amounts[i].offset),
			        amounts[i].decimals);
			return true;
		}
	}
	return false;
}

/* Sums in other units, counts and the township table's per-category columns. */
static bool derived_cell(const struct gw_form_row *w, const char *key, struct gw_cell *c)
{
	const struct gw_form_sums *s = &w->all;
	const struct gw_form_sums *pa = &w->cat[GW_CAT_POVERTY_ALLEVIATED];
	const struct gw_form_sums *gen = &w->cat[GW_CAT_GENERAL];
	static const char *const verdict_keys[GW_NVERDICTS] = {
	        [GW_VERDICT_NO_SENSOR] = "plots_no_sensor",
	        [GW_VERDICT_INSUFFICIENT_DATA] = "plots_insufficient_data",
	        [GW_VERDICT_PASS] = "plots_pass",
	        [GW_VERDICT_FAIL] = "plots_fail",
	        [GW_VERDICT_INDETERMINATE] = "plots_indeterminate",
	        [GW_VERDICT_UNVERIFIED] = "plots_unverified",
	};
	const struct {
		const char *key;
		double v;
		int decimals;
	} cells[] = {
	        {"households", s->households, 0},
	        {"beneficiaries", s->beneficiaries, 0},
	        {"plots", s->plots, 0},
	        {"area_poverty_alleviated_mu", pa->area_mu, 2},
	        {"area_general_mu", gen->area_mu, 2},
	        {"pa_area_mu", pa->area_mu, 2},
	        {"pa_film_kg", pa->full_kg + pa->half_kg, 2},
	        {"pa_seed_kg", pa->seed_kg, 2},
	        {"gen_area_mu", gen->area_mu, 2},
	        {"gen_film_kg", gen->full_kg + gen->half_kg, 2},
	        {"gen_seed_kg", gen->seed_kg, 2},
	        {"film_t", (s->full_kg + s->half_kg) / 1000.0, 3},
	        {"seed_t", s->seed_kg / 1000.0, 3},
	        {"soybean_t", s->soybean_kg / 1000.0, 3},
	        {"seed_total_t", (s->seed_kg + s->soybean_kg) / 1000.0, 3},
	        {"film_yuan", s->full_yuan + s->half_yuan, 2},
	        {"funds_total_10k_yuan", s->total_yuan / 10000.0, 2},
	        {"government_10k_yuan", s->government_yuan / 10000.0, 2},
	        {"household_10k_yuan", s->household_yuan / 10000.0, 2},
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(cells); i++) {
		if (strcmp(key, cells[i].key) == 0) {
			set_num(c, cells[i].v, cells[i].decimals);
			return true;
		}
	}
	for (size_t v = 0; v < GW_NVERDICTS; v++) {
		if (strcmp(key, verdict_keys[v]) == 0) {
			set_num(c, s->verdicts[v], 0);
			return true;
		}
	}
	return false;
}

/* The household's roster columns (ID number and phone masked unless m->unmasked). */
static bool household_cell(const struct gw_household *h, const char *key,
                           const struct gw_report_meta *m, struct gw_cell *c)
{
	if (strcmp(key, "household_id") == 0)
		set_text(c, h->id);
	else if (strcmp(key, "name") == 0)
		set_text(c, h->name);
	else if (strcmp(key, "group") == 0)
		set_text(c, h->group);
	else if (strcmp(key, "id_number") == 0)
		set_text(c, m->unmasked || gw_mask_id(h->id_number, c->buf, sizeof(c->buf))
		                    ? (m->unmasked ? h->id_number : "******")
		                    : c->buf);
	else if (strcmp(key, "phone") == 0 && !h->phone[0])
		c->kind = GW_CELL_NULL;
	else if (strcmp(key, "phone") == 0)
		set_text(c, m->unmasked || gw_mask_phone(h->phone, c->buf, sizeof(c->buf))
		                    ? (m->unmasked ? h->phone : "******")
		                    : c->buf);
	else
		return false;
	return true;
}

/* The plot's own columns and its acceptance result. */
static bool plot_cell(const struct gw_form_row *w, const char *key, struct gw_cell *c)
{
	const struct gw_plot_result *r = w->result;

	if (strcmp(key, "plot_id") == 0)
		set_text(c, w->plot->id);
	else if (strcmp(key, "film") == 0)
		set_text(c, gw_film_name(w->plot->film));
	else if (strcmp(key, "planting") == 0)
		set_text(c, gw_planting_name(w->plot->planting));
	else if (strcmp(key, "seed_variety") == 0)
		set_text(c, w->plot->seed_variety);
	else if (!r && (strcmp(key, "verdict") == 0 || strcmp(key, "availability") == 0 ||
	                strcmp(key, "reason") == 0 || strstr(key, "_days") ||
	                strcmp(key, "received") == 0 || strcmp(key, "expected") == 0 ||
	                strcmp(key, "first_covered") == 0 || strcmp(key, "late") == 0))
		c->kind = GW_CELL_NULL;
	else if (strcmp(key, "verdict") == 0)
		set_text(c, gw_verdict_name(r->verdict));
	else if (strcmp(key, "reason") == 0)
		set_text(c, r->reason);
	else if (strcmp(key, "availability") == 0) /* truncated: never rounds up to a threshold */
		set_num(c, (double)gw_verdict_permille(r->received, r->expected) / 1000, 3);
	else if (strcmp(key, "received") == 0)
		set_num(c, (double)r->received, 0);
	else if (strcmp(key, "expected") == 0)
		set_num(c, (double)r->expected, 0);
	else if (strcmp(key, "covered_days") == 0)
		set_num(c, r->covered, 0);
	else if (strcmp(key, "not_covered_days") == 0)
		set_num(c, r->not_covered, 0);
	else if (strcmp(key, "indeterminate_days") == 0)
		set_num(c, r->indeterminate, 0);
	else if (strcmp(key, "no_data_days") == 0)
		set_num(c, r->no_data, 0);
	else if ((strcmp(key, "first_covered") == 0 || strcmp(key, "late") == 0) &&
	         !r->first_covered)
		c->kind = GW_CELL_NULL;
	else if (strcmp(key, "first_covered") == 0)
		set_text(c, gw_report_date(r->first_covered, c->buf, sizeof(c->buf)));
	else if (strcmp(key, "late") == 0)
		set_text(c, gw_verdict_laying(r, c->buf, sizeof(c->buf)));
	else
		return false;
	return true;
}

void gw_report_cell(const struct gw_form *f, const struct gw_form_row *w, bool total,
                    const struct gw_rcol *col, const struct gw_report_meta *m, struct gw_cell *out)
{
	const char *key = col->key;

	memset(out, 0, sizeof(*out));
	if (strcmp(key, "township") == 0) {
		set_text(out, total ? "total" : w->township);
		return;
	}
	if (total && !amount_cell(&w->all, key, out) && !derived_cell(w, key, out))
		return; /* the total row leaves the other columns empty */
	if (total)
		return;
	if (strcmp(key, "village") == 0)
		set_text(out, w->village);
	else if (strcmp(key, "category") == 0)
		set_text(out,
		         w->category < 0 ? "all" : gw_category_name((enum gw_category)w->category));
	else if (w->household && household_cell(w->household, key, m, out))
		return;
	else if (w->plot && plot_cell(w, key, out))
		return;
	else if (!w->plot && strcmp(key, "seed_variety") == 0)
		set_text(out, w->varieties);
	else if (w->household && strcmp(key, "beneficiaries") == 0)
		set_num(out, w->household->beneficiaries, 0);
	else if (!amount_cell(&w->all, key, out))
		derived_cell(w, key, out);
	(void)f;
}

const char *gw_cell_text(struct gw_cell *c)
{
	if (c->kind == GW_CELL_TEXT)
		return c->text ? c->text : "";
	if (c->kind == GW_CELL_NULL)
		return "";
	return gw_form_num(c->num, c->decimals, c->buf, sizeof(c->buf));
}

const char *gw_report_date(int d, char *buf, size_t len)
{
	if (!d)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
	return buf;
}
