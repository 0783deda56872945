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

#endif
