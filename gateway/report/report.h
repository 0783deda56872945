/* What a report shows, independent of its format: the columns of each level (the county's
 * roster and summary columns plus the acceptance columns) and each cell's value, masked
 * where privacy asks. The csv, json and html writers (report_*.c) all read it from here. */
#ifndef GW_REPORT_H
#define GW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "forms.h"

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
	const char *timezone;                        /* the zone of every local day */
	const char *rules; /* which rules judged the days ("recorded: ..." or "current: ...") */
	bool unmasked;     /* ID numbers and phones in clear */
	bool verdicts;     /* verdicts were computed (else every plot is unjudged) */
	const struct gw_rates_cfg *rates;
};

/* The statement every report carries. */
extern const char gw_report_note[];

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

/* A small inline SVG chart of r's days: daily mean moisture and the under-film minus bare
 * temperature delta across the season, the window shaded, the deadline and the delta
 * thresholds marked, each day's film state as a strip. No script, no external resource. */
void gw_report_svg(FILE *out, const struct gw_plot_result *r, const struct gw_report_meta *m);

/* Writes s with &, <, >, " and ' escaped for html text and attributes. */
void gw_report_html_text(FILE *out, const char *s);

/* The writers. Each writes the whole report to out and returns 0, or -EIO when a write
 * failed. Borrows everything. */
int gw_report_csv(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);
int gw_report_json(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);
int gw_report_html(FILE *out, const struct gw_form *f, const struct gw_report_meta *m);

#endif
