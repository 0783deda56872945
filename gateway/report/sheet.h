/* A printable sheet, whatever the format it is written in: a title, the place and unit
 * lines, columns with up to three levels of headings (the gazette's 地膜 > 全膜 > 卷), rows of
 * cells (text, or a number with its decimals), total rows, the note and the signature
 * lines. A book is the sheets of one run. Built by sheets_*.c, written by the csv, html and
 * xlsx writers. Data and its bookkeeping only: no I/O. */
#ifndef GW_SHEET_H
#define GW_SHEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define GW_SHEET_LEVELS 3

/* What a column holds. ID: text that a spreadsheet must not read as a number (ID numbers,
 * phones); INK: left empty for a signature or a remark written by hand. */
enum gw_sheet_type { GW_COL_TEXT, GW_COL_NUM, GW_COL_ID, GW_COL_INK };

struct gw_sheet_col {
	const char *key;                 /* machine name: the English csv header */
	const char *zh[GW_SHEET_LEVELS]; /* headings from the top; the last one given spans down */
	const char *en[GW_SHEET_LEVELS]; /* the same in English */
	enum gw_sheet_type type;
	unsigned width; /* in characters (xlsx column width, html share) */
};

enum gw_cell_k { GW_SC_EMPTY, GW_SC_TEXT, GW_SC_NUM };

struct gw_sheet_cell {
	double num;   /* GW_SC_NUM, already rounded to decimals */
	uint32_t off; /* GW_SC_TEXT: offset into the sheet's strings */
	uint8_t kind; /* enum gw_cell_k */
	uint8_t decimals;
};

struct gw_sheet {
	char name[96];     /* the worksheet's name (unique in the book, <= 31 characters) */
	char title[192];   /* the gazette's title */
	char place[256];   /* "乡（镇）：新民乡　村：新民村" */
	char units[96];    /* "单位：亩、卷、公斤、元"; "" for none */
	char note[320];    /* the rates note; "" for none */
	char township[64]; /* what the sheet covers ("" : every township) */
	char village[64];
	int category;                    /* enum gw_category; -1: both */
	const struct gw_sheet_col *cols; /* static */
	size_t ncols;
	const char *const *signs; /* static: the signature lines (nsigns) */
	size_t nsigns;
	struct gw_sheet_cell *cells; /* nrows * ncols, owned */
	uint8_t *total;              /* per row: true for a total row, owned */
	size_t nrows, caprows;
	char *strs; /* owned: every text cell, NUL-terminated */
	size_t slen, scap;
};

struct gw_book {
	const char *form; /* "summary", "roster", "acceptance", "visits" */
	enum gw_lang lang;
	bool unmasked;            /* ID numbers and phones in clear */
	struct gw_sheet **sheets; /* owned */
	size_t n, cap;
};

/* A new empty sheet with cols (static) appended to b. Returns it (owned by b) or NULL. */
struct gw_sheet *gw_book_add(struct gw_book *b, const struct gw_sheet_col *cols, size_t ncols);
/* Frees b's sheets (b itself is the caller's); NULL is a no-op. */
void gw_book_free(struct gw_book *b);

/* Appends a row of empty cells. Returns its index, or -ENOMEM. */
long gw_sheet_row(struct gw_sheet *s, bool total);
/* Sets cell (row, col): a copy of text (NULL or "" leaves it empty) or v rounded to decimals.
 * gw_sheet_text returns 0 or -ENOMEM. */
int gw_sheet_text(struct gw_sheet *s, size_t row, size_t col, const char *text);
void gw_sheet_num(struct gw_sheet *s, size_t row, size_t col, double v, int decimals);
/* The same by column key (a key s has no column for is ignored: returns 0). */
int gw_sheet_set(struct gw_sheet *s, size_t row, const char *key, const char *text);
void gw_sheet_set_num(struct gw_sheet *s, size_t row, const char *key, double v, int decimals);
/* Borrows s: the cell, and a text cell's text ("" for any other). */
const struct gw_sheet_cell *gw_sheet_at(const struct gw_sheet *s, size_t row, size_t col);
const char *gw_sheet_str(const struct gw_sheet *s, size_t row, size_t col);
/* The cell as text (numbers without trailing zeros) into buf (>= 32 bytes) or borrowed
 * from s. */
const char *gw_sheet_cell_text(const struct gw_sheet *s, size_t row, size_t col, char *buf,
                               size_t len);

/* How many heading rows the sheet's columns take (1..GW_SHEET_LEVELS). */
size_t gw_sheet_depth(const struct gw_sheet *s);
/* Heading row r of column c in lang; NULL where c has no heading of its own there (a
 * heading above spans down, or a group heading to its left spans across). *rows and *cols
 * receive the span. */
const char *gw_sheet_heading(const struct gw_sheet *s, size_t r, size_t c, enum gw_lang lang,
                             size_t *rows, size_t *cols);
/* Column c's headings joined by "/" ("地膜/全膜/卷") into buf. Returns buf. */
const char *gw_sheet_flat_heading(const struct gw_sheet_col *c, enum gw_lang lang, char *buf,
                                  size_t len);

/* Makes name unique in b and at most 31 characters (a spreadsheet's limit), without the
 * characters a worksheet name may not hold, and copies it to s->name. */
void gw_sheet_set_name(struct gw_book *b, struct gw_sheet *s, const char *name);

#endif
