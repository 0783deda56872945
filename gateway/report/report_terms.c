/* The words a county user reads in a report, in Chinese (the default: the gazette's own
 * terms) or English: household category, film, planting, verdict, the laying deadline and
 * dates. Leaf code: static strings and snprintf, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

int gw_lang_parse(const char *s, enum gw_lang *out)
{
	if (strcmp(s, "zh") == 0 || strcmp(s, "zh-CN") == 0 || strcmp(s, "中文") == 0)
		*out = GW_LANG_ZH;
	else if (strcmp(s, "en") == 0)
		*out = GW_LANG_EN;
	else
		return -EINVAL;
	return 0;
}

const char *gw_term_category(enum gw_category c, enum gw_lang lang)
{
	if (lang == GW_LANG_EN)
		return gw_category_name(c);
	return c == GW_CAT_GENERAL ? "一般户" : "脱贫户";
}

const char *gw_term_film(enum gw_film f, enum gw_lang lang)
{
	if (lang == GW_LANG_EN)
		return gw_film_name(f);
	return f == GW_FILM_FULL ? "全膜" : f == GW_FILM_HALF ? "半膜" : "无膜";
}

const char *gw_term_planting(enum gw_planting p, enum gw_lang lang)
{
	if (lang == GW_LANG_EN)
		return gw_planting_name(p);
	return p == GW_PLANT_INTERCROP ? "玉豆套种" : p == GW_PLANT_GRAIN ? "籽粒玉米" : "单种";
}

const char *gw_term_verdict(const struct gw_plot_result *r, enum gw_lang lang)
{
	static const char *const zh[] = {
	        [GW_VERDICT_NO_SENSOR] = "无传感器",
	        [GW_VERDICT_INSUFFICIENT_DATA] = "数据不足",
	        [GW_VERDICT_PASS] = "合格",
	        [GW_VERDICT_FAIL] = "不合格",
	        [GW_VERDICT_INDETERMINATE] = "无法判定",
	        [GW_VERDICT_UNVERIFIED] = "未核验",
	};

	if (!r)
		return lang == GW_LANG_EN ? "unverified" : "未核验";
	if (lang == GW_LANG_EN || (unsigned)r->verdict >= GW_NVERDICTS)
		return gw_verdict_name(r->verdict);
	return zh[r->verdict];
}

const char *gw_term_late(bool late, enum gw_lang lang)
{
	if (lang == GW_LANG_EN)
		return late ? "late" : "on_time";
	return late ? "晚于覆膜期限" : "按期";
}

const char *gw_term_date(int d, enum gw_lang lang, char *buf, size_t len)
{
	if (!d || lang == GW_LANG_EN)
		return gw_report_date(d, buf, len);
	snprintf(buf, len, "%d年%d月%d日", d / 10000, d / 100 % 100, d % 100);
	return buf;
}

/* English value -> its term, for a cell of the plot and roster columns. */
static const char *localise(const char *key, const char *v, enum gw_lang lang, char *buf,
                            size_t len)
{
	enum gw_category c;
	enum gw_film f;
	enum gw_planting p;
	int y, mo, d;

	if (strcmp(key, "category") == 0 && gw_category_parse(v, &c) == 0)
		return gw_term_category(c, lang);
	if (strcmp(key, "film") == 0 && gw_film_parse(v, &f) == 0)
		return gw_term_film(f, lang);
	if (strcmp(key, "planting") == 0 && gw_planting_parse(v, &p) == 0)
		return gw_term_planting(p, lang);
	if (strcmp(key, "late") == 0)
		return gw_term_late(strcmp(v, "late") == 0, lang);
	if (strcmp(key, "first_covered") == 0 && sscanf(v, "%d-%d-%d", &y, &mo, &d) == 3)
		return gw_term_date(y * 10000 + mo * 100 + d, lang, buf, len);
	return v;
}

void gw_report_cell_localise(struct gw_cell *c, const char *key, const struct gw_form_row *w,
                             enum gw_lang lang)
{
	if (lang == GW_LANG_EN || c->kind != GW_CELL_TEXT || !c->text)
		return;
	if (strcmp(key, "verdict") == 0 && w && w->plot) {
		c->text = gw_term_verdict(w->result, lang);
		return;
	}
	if (strcmp(key, "category") == 0 && strcmp(c->text, "all") == 0) {
		c->text = "全部";
		return;
	}
	if (c->text == c->buf) {
		char tmp[sizeof(c->buf)];

		snprintf(tmp, sizeof(tmp), "%s", c->buf);
		c->text = localise(key, tmp, lang, c->buf, sizeof(c->buf));
		if (c->text == tmp)
			c->text = c->buf;
		return;
	}
	c->text = localise(key, c->text, lang, c->buf, sizeof(c->buf));
}
