/* What a report shows, independent of its format: the columns of each level (the county's
 * roster and summary columns plus the acceptance columns) and each cell's value, masked
 * where privacy asks. The csv, json and html writers (report_*.c) all read it from here. */
#ifndef GW_REPORT_H
#define GW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "forms.h"

/* The language of what a county user reads: Chinese (the default) or English. */
enum gw_lang { GW_LANG_ZH, GW_LANG_EN };

/* What the report says about itself (every string borrowed, may be "" but not NULL, except
 * chain_head: NULL when there is none to print). */
struct gw_report_meta {
	const char *gateway;                         /* gateway id */
	const char *generated;                       /* RFC 3339 local time of the run */
	const char *window;                          /* "06-20..07-15" */
	const char *deadline;                        /* laying deadline "05-10" */
	int year;                                    /* the season's year; 0: unknown */
	int window_start, window_end, deadline_mmdd; /* MMDD, for the charts */
	double covered_delta_c, not_covered_delta_c; /* temperature_pair thresholds (charts) */
	const char *category;                        /* "poverty_alleviated", "general" or "all" */
	const char *source;                          /* "journal" ... */
	const char *chain_head;                      /* the evidence chain's head, or NULL */
	const char *evidence; /* what verifying the chain found ("verified: ...", "evidence chain
	                         broken at 2023-06-20: edited ..."), or NULL: not verified */
	const char *timezone; /* the zone of every local day */
	const char *rules;    /* which rules judged the days ("recorded: ..." or "current: ...") */
	bool unmasked;        /* ID numbers and phones in clear */
	bool verdicts;        /* verdicts were computed (else every plot is unjudged) */
	const struct gw_rates_cfg *rates;
	const struct gw_config *cfg; /* the sensors of each plot; NULL: none known */
	enum gw_lang lang;           /* headings and values the html and the sheets show */
};

/* The statement every report carries, and its Chinese (shown first in a Chinese report). */
extern const char gw_report_note[];
extern const char gw_report_note_zh[];

enum gw_cell_kind { GW_CELL_NULL, GW_CELL_TEXT, GW_CELL_NUM };

struct gw_cell {
	enum gw_cell_kind kind;
	const char *text; /* GW_CELL_TEXT: borrows the form, or buf */
	double num;       /* GW_CELL_NUM */
	int decimals;     /* GW_CELL_NUM: how it is rounded and printed */
	char buf[64];     /* a date, a number, the laying text */
};

struct gw_rcol {
	const char *key;   /* csv header and json name */
	const char *label; /* the county's Chinese heading (html) */
	bool key_col;      /* identifies the row (html repeats it in every part of a wide table) */
};

/* The columns of level, in order; *n receives their count. Static. */
const struct gw_rcol *gw_report_columns(enum gw_form_level level, size_t *n);

/* Row w's value in column col (an entry of gw_report_columns(level)). total: w is the
 * form's total row. Borrows everything; out may point into w or its records. */
void gw_report_cell(const struct gw_form *f, const struct gw_form_row *w, bool total,
                    const struct gw_rcol *col, const struct gw_report_meta *m, struct gw_cell *out);

/* The cell as text: numbers rounded and without trailing zeros, NULL as "". Returns a
 * string borrowed from c. */
const char *gw_cell_text(struct gw_cell *c);

/* "2023-06-20" from yyyymmdd 20230620 into buf (>= 11 bytes); "" for 0. Returns buf. */
const char *gw_report_date(int yyyymmdd, char *buf, size_t len);

/* "zh" (also "zh-CN", "中文") or "en"; -EINVAL otherwise. */
int gw_lang_parse(const char *s, enum gw_lang *out);
/* The county's terms (脱贫户/一般户, 全膜/半膜/无膜, 单种/玉豆套种/籽粒玉米, 合格/不合格/无法判定/
 * 数据不足/无传感器 and 未核验 for a plot without a result, 按期/晚于覆膜期限) or the English
 * names. Static strings. */
const char *gw_term_category(enum gw_category c, enum gw_lang lang);
const char *gw_term_film(enum gw_film f, enum gw_lang lang);
const char *gw_term_planting(enum gw_planting p, enum gw_lang lang);
const char *gw_term_verdict(const struct gw_plot_result *r, enum gw_lang lang);
const char *gw_term_late(bool late, enum gw_lang lang);
/* yyyymmdd as "2023年6月20日" (zh) or "2023-06-20" (en) into buf (>= 24 bytes); "" for 0.
 * Returns buf. */
const char *gw_term_date(int yyyymmdd, enum gw_lang lang, char *buf, size_t len);
/* Turns the English value gw_report_cell gave for column key into lang's term (category,
 * film, planting, verdict, late, first_covered); other cells are left alone. w: the row
 * (verdict needs its plot). */
void gw_report_cell_localise(struct gw_cell *c, const char *key, const struct gw_form_row *w,
                             enum gw_lang lang);

/* A small inline SVG chart of r's days: daily mean moisture and the under-film minus bare
 * temperature delta across the season, the window shaded, the deadline and the delta
 * thresholds marked, each day's film state as a strip. No script, no external resource. */
void gw_report_svg(FILE *out, const struct gw_plot_result *r, const struct gw_report_meta *m);

/* Writes s with &, <, >, " and ' escaped for html text and attributes. */
void gw_report_html_text(FILE *out, const char *s);

/* How a CSV reaches its reader: UTF-8 with a BOM (the default: a Chinese-locale Excel then
 * reads UTF-8), UTF-8 without one, or GB18030. */
enum gw_encoding { GW_ENC_UTF8_BOM, GW_ENC_UTF8, GW_ENC_GB18030 };
/* "utf-8-bom" (or "utf-8-sig"), "utf-8" (or "utf8"), "gb18030"; -EINVAL otherwise. */
int gw_encoding_parse(const char *s, enum gw_encoding *out);
/* Writes utf8 (len bytes, as a csv writer produced it) to out in enc. Returns 0, -EIO,
 * -EILSEQ or -ENOMEM. */
int gw_report_csv_put(FILE *out, const char *utf8, size_t len, enum gw_encoding enc);
/* A text cell as a CSV field: RFC 4180 quoting; text a spreadsheet would take for a
 * formula (starting with =, +, -, @, tab or CR) gets a leading '; id: an ID number or
 * phone that a spreadsheet would turn into a number gets a leading tab (it stays text). */
void gw_report_csv_field(FILE *out, const char *s, bool text, bool id);

/* The writers. Each writes the whole report to out and returns 0, or -EIO when a write
 * failed. Borrows everything. */
int gw_report_csv(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);
int gw_report_json(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);
int gw_report_html(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);

#endif
