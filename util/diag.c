/* Formats diagnostics as FILE:LINE:COL: severity: message (on stderr that is the systemd
 * journal, with the priority prefix log.c uses). Never exits. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void gw_diag_init(struct gw_diag *d, FILE *out)
{
	d->out = out ? out : stderr;
	d->nerrors = 0;
	d->nwarnings = 0;
	d->hook = NULL;
	d->hook_user = NULL;
}

__attribute__((format(printf, 6, 0))) static void emit(struct gw_diag *d, const char *sev,
                                                       const char *file, int line, int col,
                                                       const char *fmt, va_list ap)
{
	if (d->out == stderr && gw_log_to_journal())
		fputs(sev[0] == 'e' ? "<3>" : "<4>", d->out);
	if (line > 0 && col > 0)
		fprintf(d->out, "%s:%d:%d: %s: ", file, line, col, sev);
	else if (line > 0)
		fprintf(d->out, "%s:%d: %s: ", file, line, sev);
	else
		fprintf(d->out, "%s: %s: ", file, sev);
	if (d->hook) {
		char msg[1024];
		va_list aq;

		va_copy(aq, ap);
		/* a longer message is cut in the hook's copy only */
		(void)vsnprintf(msg, sizeof(msg), fmt, aq);
		va_end(aq);
		d->hook(d->hook_user, sev, file, line, col, msg);
	}
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	fflush(d->out);
}

void gw_diag_error(struct gw_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(d, "error", file, line, col, fmt, ap);
	va_end(ap);
	d->nerrors++;
}

void gw_diag_warn(struct gw_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(d, "warning", file, line, col, fmt, ap);
	va_end(ap);
	d->nwarnings++;
}

void gw_diag_error_at(struct gw_diag *d, const struct gw_src *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(d, "error", src->file, src->line, src->col, fmt, ap);
	va_end(ap);
	d->nerrors++;
}

void gw_diag_warn_at(struct gw_diag *d, const struct gw_src *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(d, "warning", src->file, src->line, src->col, fmt, ap);
	va_end(ap);
	d->nwarnings++;
}
