/* Bounded appends into a caller's buffer, for code that builds text without
 * allocating. Leaf code. */
#ifndef GW_STRBUF_H
#define GW_STRBUF_H

#include <stddef.h>

/* Appends s at buf[*pos] and advances *pos, keeping buf NUL-terminated.
 * Returns 0, or -ENOSPC (nothing written, *pos unchanged). */
int gw_str_append(char *buf, size_t len, size_t *pos, const char *s);

#endif
