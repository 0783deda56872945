/* Bounded appends into a caller's buffer, for code that builds text without
 * allocating. Leaf code. */
#ifndef GW_STRBUF_H
#define GW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Appends s at buf[*pos] and advances *pos, keeping buf NUL-terminated.
 * Returns 0, or -ENOSPC (nothing written, *pos unchanged). */
int gw_str_append(char *buf, size_t len, size_t *pos, const char *s);

/* A text being built into a caller's buffer with printf-style pieces. Once a piece does
 * not fit, full is set and later pieces are ignored: check full once at the end. */
struct gw_strbuf {
	char *buf;
	size_t len, pos;
	bool full;
};

/* Appends a formatted piece to o (see struct gw_strbuf). */
void gw_sb_printf(struct gw_strbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the n bytes at s to o (see struct gw_strbuf). */
void gw_sb_put(struct gw_strbuf *o, const char *s, size_t n);
/* Appends v with decimals digits after the point, as gw_fmt_fixed() writes it. */
void gw_sb_fixed(struct gw_strbuf *o, double v, int decimals);

/* Writes v with decimals digits after the point into buf, the same text as snprintf's
 * "%.*f" (which it uses only for what is not a plain value: NaN, huge, a tie or a negative
 * zero), several times faster. Returns the length, or -ENOSPC (buf then undefined). */
int gw_fmt_fixed(char *buf, size_t len, double v, int decimals);

#endif
