/* Diagnostics for config, profile and records files: every error is one line
 * `FILE:LINE[:COL]: error: what (got X, want Y)`, all of them are reported. */
#ifndef GW_DIAG_H
#define GW_DIAG_H

#include <stdio.h>

/* Called with each diagnostic as it is emitted (severity "error" or "warning", line and col
 * 0 when absent, the message without its position), e.g. to collect them as JSON. */
typedef void (*gw_diag_hook_fn)(void *user, const char *severity, const char *file, int line,
                                int col, const char *message);

struct gw_diag {
	FILE *out; /* borrows; where lines go (stderr by default) */
	int nerrors;
	int nwarnings;
	gw_diag_hook_fn hook; /* NULL after gw_diag_init */
	void *hook_user;      /* borrows */
};

/* A source position kept by every config item, so later cross-checks cite it.
 * file borrows a string that lives as long as the config. */
struct gw_src {
	const char *file;
	int line;
	int col;
};

void gw_diag_init(struct gw_diag *d, FILE *out);

/* line 0: no line; col 0: no column. */
void gw_diag_error(struct gw_diag *d, const char *file, int line, int col, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
void gw_diag_warn(struct gw_diag *d, const char *file, int line, int col, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Same, at a kept source position. */
void gw_diag_error_at(struct gw_diag *d, const struct gw_src *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void gw_diag_warn_at(struct gw_diag *d, const struct gw_src *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
