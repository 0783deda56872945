/* Reads a records CSV file into rows of UTF-8 fields: the encoding is detected (valid
 * UTF-8, with or without a BOM, is taken as is; anything else is converted from GB18030)
 * and the rows are split by libcsv. The only includer of csv.h and iconv.h. Knows
 * nothing of households or plots. */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records_int.h"

/* A county's roster is a few thousand lines; this only bounds what a wrong path costs. */
#define CSV_MAX_BYTES  (64L * 1024 * 1024)
#define CSV_MAX_FIELDS 1024

/* Reads all of path into *buf (owned). Returns 0 or -errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CSV_MAX_BYTES) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
		goto out_close;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			free(b);
			goto out_close;
		}
		got += (size_t)n;
	}
	*buf = b;
	*len = got;
out_close:
	close(fd);
	return rc;
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 if it is not valid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

static bool utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(s + i, len - i);

		if (!k)
			return false;
		i += k;
	}
	return true;
}

static int line_of(const char *buf, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* in (charset from) -> *out (owned, charset to, NUL-terminated). Returns 0, -EILSEQ with
 * *bad_off set, or -ENOMEM. */
static int convert(const char *to, const char *from, const char *in, size_t len, char **out,
                   size_t *out_len, size_t *bad_off)
{
	iconv_t cd = iconv_open(to, from);
	/* either way a character at most doubles: GB18030 1-4 bytes, UTF-8 1-4, and a 1-byte
	 * one is ASCII in both */
	size_t cap = len * 2 + 4;
	char *src = (char *)in, *dst, *res;
	size_t left = len, room = cap;
	int rc = 0;

	if (cd == (iconv_t)-1)
		return -ENOMEM;
	res = malloc(cap + 1);
	if (!res) {
		iconv_close(cd);
		return -ENOMEM;
	}
	dst = res;
	if (iconv(cd, &src, &left, &dst, &room) == (size_t)-1) {
		rc = errno == E2BIG ? -ENOMEM : -EILSEQ;
		*bad_off = (size_t)(src - in);
		free(res);
	} else {
		*dst = '\0';
		*out = res;
		*out_len = (size_t)(dst - res);
	}
	iconv_close(cd);
	return rc;
}

static int from_gb18030(const char *in, size_t len, char **out, size_t *out_len, size_t *bad_off)
{
	return convert("UTF-8", "GB18030", in, len, out, out_len, bad_off);
}

int gw_records_to_gb18030(const char *utf8, size_t len, char **out, size_t *out_len)
{
	size_t bad = 0;

	*out = NULL;
	*out_len = 0;
	return convert("GB18030", "UTF-8", utf8, len, out, out_len, &bad);
}

/* Makes *buf UTF-8 without a BOM, converting it from GB18030 when it is not UTF-8.
 * Returns 0, -EINVAL (reported) or -ENOMEM. */
static int decode(const char *path, struct gw_diag *d, char **buf, size_t *len)
{
	static const char bom[] = "\xEF\xBB\xBF";
	char *u = NULL;
	size_t ulen = 0, bad = 0;
	void *nul = memchr(*buf, '\0', *len);
	int rc;

	if (nul) {
		gw_diag_error(d, path, line_of(*buf, (size_t)((char *)nul - *buf)), 0,
		              "NUL byte in the file (want UTF-8 or GB18030 text; UTF-16 is not "
		              "read: save the sheet as CSV UTF-8)");
		return -EINVAL;
	}
	if (!utf8_valid(*buf, *len)) {
		rc = from_gb18030(*buf, *len, &u, &ulen, &bad);
		if (rc == -EILSEQ) {
			gw_diag_error(d, path, line_of(*buf, bad), 0,
			              "not UTF-8 and not GB18030 text (got byte 0x%02X; want a "
			              "UTF-8 or GB18030 file)",
			              (unsigned char)(*buf)[bad]);
			return -EINVAL;
		}
		if (rc)
			return rc;
		free(*buf);
		*buf = u;
		*len = ulen;
	}
	if (*len >= 3 && memcmp(*buf, bom, 3) == 0) {
		memmove(*buf, *buf + 3, *len - 3);
		*len -= 3;
	}
	(*buf)[*len] = '\0';
	return 0;
}

struct split {
	struct gw_csv *t;
	struct gw_csv_row row; /* the row being built */
	int line;
	int rc;
};

static void on_field(void *s, size_t len, void *data)
{
	struct split *sp = data;
	char **f;
	char *v;

	if (sp->rc)
		return;
	if (sp->row.nfields >= CSV_MAX_FIELDS) {
		sp->rc = -E2BIG;
		return;
	}
	f = realloc(sp->row.fields, (sp->row.nfields + 1) * sizeof(*f));
	if (!f) {
		sp->rc = -ENOMEM;
		return;
	}
	sp->row.fields = f;
	v = malloc(len + 1);
	if (!v) {
		sp->rc = -ENOMEM;
		return;
	}
	if (len)
		memcpy(v, s, len);
	v[len] = '\0';
	if (!sp->row.nfields)
		sp->row.line = sp->line;
	f[sp->row.nfields++] = v;
}

static void free_row(struct gw_csv_row *r)
{
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r->fields);
	memset(r, 0, sizeof(*r));
}

static void on_row(int c, void *data)
{
	struct split *sp = data;
	struct gw_csv *t = sp->t;

	(void)c;
	if (sp->rc || !sp->row.nfields) {
		free_row(&sp->row);
		return;
	}
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct gw_csv_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows) {
			sp->rc = -ENOMEM;
			free_row(&sp->row);
			return;
		}
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->nrows++] = sp->row;
	memset(&sp->row, 0, sizeof(sp->row));
}

/* Reports a libcsv failure at the line it happened on. Returns the rc to give back. */
static int split_error(const char *path, struct gw_diag *d, struct split *sp, int err)
{
	if (sp->rc == -ENOMEM || err == CSV_ENOMEM)
		return -ENOMEM;
	if (sp->rc == -E2BIG)
		gw_diag_error(d, path, sp->line, 0, "too many fields (want at most %d)",
		              CSV_MAX_FIELDS);
	else if (err == CSV_EPARSE)
		gw_diag_error(d, path, sp->line, 0,
		              "malformed CSV: a stray quote or an unterminated quoted field "
		              "(want fields quoted as \"...\" with \"\" inside)");
	else
		gw_diag_error(d, path, sp->line, 0, "malformed CSV: %s", csv_strerror(err));
	return -EINVAL;
}

/* Feeds buf to libcsv a line at a time, so each row knows its line. */
static int split(const char *path, struct gw_diag *d, const char *buf, size_t len, struct gw_csv *t)
{
	struct csv_parser p;
	struct split sp = {.t = t};
	int rc = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -ENOMEM;
	for (size_t off = 0; off < len && !rc;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

		sp.line++;
		if (csv_parse(&p, buf + off, n, on_field, on_row, &sp) != n || sp.rc)
			rc = split_error(path, d, &sp, csv_error(&p));
		off += n;
	}
	if (!rc && (csv_fini(&p, on_field, on_row, &sp) != 0 || sp.rc))
		rc = split_error(path, d, &sp, csv_error(&p));
	free_row(&sp.row);
	csv_free(&p);
	return rc;
}

int gw_csv_read(const char *path, struct gw_diag *d, struct gw_csv *out)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = slurp(path, &buf, &len);
	if (rc) {
		gw_diag_error(d, path, 0, 0, "cannot read: %s", strerror(-rc));
		return rc;
	}
	rc = decode(path, d, &buf, &len);
	if (!rc)
		rc = split(path, d, buf, len, out);
	free(buf);
	if (!rc && !out->nrows) {
		gw_diag_error(d, path, 0, 0,
		              "empty file (want a header row, then one row a record)");
		rc = -EINVAL;
	}
	if (rc)
		gw_csv_free(out);
	return rc;
}

void gw_csv_free(struct gw_csv *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		free_row(&t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
