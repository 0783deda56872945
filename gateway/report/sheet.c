/* The sheet model's bookkeeping: rows of cells, their strings, the heading grid with its
 * merged cells and the worksheet names. No I/O, no format. */
#include "sheet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw_sheet *gw_book_add(struct gw_book *b, const struct gw_sheet_col *cols, size_t ncols)
{
	struct gw_sheet *s;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		struct gw_sheet **v = realloc(b->sheets, ncap * sizeof(*v));

		if (!v)
			return NULL;
		b->sheets = v;
		b->cap = ncap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cols = cols;
	s->ncols = ncols;
	s->category = -1;
	b->sheets[b->n++] = s;
	return s;
}

void gw_book_free(struct gw_book *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->sheets[i]->cells);
		free(b->sheets[i]->total);
		free(b->sheets[i]->strs);
		free(b->sheets[i]);
	}
	free(b->sheets);
	b->sheets = NULL;
	b->n = b->cap = 0;
}

long gw_sheet_row(struct gw_sheet *s, bool total)
{
	if (s->nrows == s->caprows) {
		size_t ncap = s->caprows ? s->caprows * 2 : 32;
		struct gw_sheet_cell *c = realloc(s->cells, ncap * s->ncols * sizeof(*c));
		uint8_t *t;

		if (!c)
			return -ENOMEM;
		s->cells = c;
		t = realloc(s->total, ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		s->total = t;
		s->caprows = ncap;
	}
	memset(&s->cells[s->nrows * s->ncols], 0, s->ncols * sizeof(*s->cells));
	s->total[s->nrows] = total;
	return (long)s->nrows++;
}

int gw_sheet_text(struct gw_sheet *s, size_t row, size_t col, const char *text)
{
	struct gw_sheet_cell *c = &s->cells[row * s->ncols + col];
	size_t n = text ? strlen(text) : 0;

	if (!n)
		return 0;
	if (s->slen + n + 1 > s->scap) {
		size_t ncap = s->scap ? s->scap : 4096;
		char *v;

		while (ncap < s->slen + n + 1)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return -ENOMEM;
		v = realloc(s->strs, ncap);
		if (!v)
			return -ENOMEM;
		s->strs = v;
		s->scap = ncap;
	}
	memcpy(s->strs + s->slen, text, n + 1);
	c->kind = GW_SC_TEXT;
	c->off = (uint32_t)s->slen;
	s->slen += n + 1;
	return 0;
}

void gw_sheet_num(struct gw_sheet *s, size_t row, size_t col, double v, int decimals)
{
	struct gw_sheet_cell *c = &s->cells[row * s->ncols + col];

	c->kind = GW_SC_NUM;
	c->num = gw_form_round(v, decimals);
	if (c->num == 0)
		c->num = 0; /* no -0 */
	c->decimals = (uint8_t)decimals;
}

static long col_of(const struct gw_sheet *s, const char *key)
{
	for (size_t c = 0; c < s->ncols; c++)
		if (strcmp(s->cols[c].key, key) == 0)
			return (long)c;
	return -1;
}

int gw_sheet_set(struct gw_sheet *s, size_t row, const char *key, const char *text)
{
	long c = col_of(s, key);

	return c < 0 ? 0 : gw_sheet_text(s, row, (size_t)c, text);
}

void gw_sheet_set_num(struct gw_sheet *s, size_t row, const char *key, double v, int decimals)
{
	long c = col_of(s, key);

	if (c >= 0)
		gw_sheet_num(s, row, (size_t)c, v, decimals);
}

const struct gw_sheet_cell *gw_sheet_at(const struct gw_sheet *s, size_t row, size_t col)
{
	return &s->cells[row * s->ncols + col];
}

const char *gw_sheet_str(const struct gw_sheet *s, size_t row, size_t col)
{
	const struct gw_sheet_cell *c = gw_sheet_at(s, row, col);

	return c->kind == GW_SC_TEXT ? s->strs + c->off : "";
}

const char *gw_sheet_cell_text(const struct gw_sheet *s, size_t row, size_t col, char *buf,
                               size_t len)
{
	const struct gw_sheet_cell *c = gw_sheet_at(s, row, col);

	if (c->kind == GW_SC_NUM)
		return gw_form_num(c->num, c->decimals, buf, len);
	return gw_sheet_str(s, row, col);
}

static const char *const *heads(const struct gw_sheet_col *c, enum gw_lang lang)
{
	return lang == GW_LANG_EN ? c->en : c->zh;
}

static size_t levels(const struct gw_sheet_col *c)
{
	size_t n = 0;

	while (n < GW_SHEET_LEVELS && c->zh[n])
		n++;
	return n ? n : 1;
}

size_t gw_sheet_depth(const struct gw_sheet *s)
{
	size_t d = 1;

	for (size_t c = 0; c < s->ncols; c++)
		d = levels(&s->cols[c]) > d ? levels(&s->cols[c]) : d;
	return d;
}

/* Whether columns a and b share their headings down to row r (both have a group there). */
static bool same_group(const struct gw_sheet_col *a, const struct gw_sheet_col *b, size_t r)
{
	if (levels(a) <= r + 1 || levels(b) <= r + 1)
		return false;
	for (size_t i = 0; i <= r; i++)
		if (strcmp(a->zh[i], b->zh[i]) != 0)
			return false;
	return true;
}

const char *gw_sheet_heading(const struct gw_sheet *s, size_t r, size_t c, enum gw_lang lang,
                             size_t *rows, size_t *cols)
{
	const struct gw_sheet_col *col = &s->cols[c];
	size_t n = levels(col);
	const char *text;

	*rows = *cols = 1;
	if (r >= n || (c > 0 && same_group(&s->cols[c - 1], col, r)))
		return NULL;
	if (r == n - 1)
		*rows = gw_sheet_depth(s) - r;
	while (c + *cols < s->ncols && same_group(col, &s->cols[c + *cols], r))
		(*cols)++;
	text = heads(col, lang)[r];
	return text ? text : col->zh[r] ? col->zh[r] : "";
}

const char *gw_sheet_flat_heading(const struct gw_sheet_col *c, enum gw_lang lang, char *buf,
                                  size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < levels(c) && used < len; i++) {
		const char *h = heads(c, lang)[i] ? heads(c, lang)[i] : c->zh[i] ? c->zh[i] : "";
		int k = snprintf(buf + used, len - used, "%s%s", i ? "/" : "", h);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	return buf;
}

/* Copies at most max characters of src (UTF-8) to dst, dropping []:*?/\ and '. */
static void clean_name(char *dst, size_t len, const char *src, size_t max)
{
	size_t n = 0, chars = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p && chars < max;) {
		size_t k = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;

		if (n + k + 1 > len)
			break;
		if (k == 1 && strchr("[]:*?/\\'", *p)) {
			p++;
			continue;
		}
		for (size_t i = 0; i < k && p[i]; i++)
			dst[n++] = (char)p[i];
		p += k;
		chars++;
	}
	dst[n] = '\0';
}

static bool name_taken(const struct gw_book *b, const struct gw_sheet *s, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->sheets[i] != s && strcmp(b->sheets[i]->name, name) == 0)
			return true;
	return false;
}

void gw_sheet_set_name(struct gw_book *b, struct gw_sheet *s, const char *name)
{
	char base[sizeof(s->name)], suffix[16];
	size_t room;
	int n;

	clean_name(s->name, sizeof(s->name), name, 31);
	for (unsigned i = 2; i < 10000 && name_taken(b, s, s->name); i++) {
		snprintf(suffix, sizeof(suffix), " (%u)", i);
		room = strlen(suffix);
		/* the base is cut at a character, leaving room for the suffix in bytes and chars */
		clean_name(base, sizeof(base) - room, name, 31 - room);
		n = snprintf(s->name, sizeof(s->name), "%s%s", base, suffix);
		if (n < 0 || (size_t)n >= sizeof(s->name))
			s->name[0] = '\0'; /* cannot happen: base left the room */
	}
}
