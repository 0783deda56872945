/* What `fieldgate report` shares between its two halves (cli_report.c: options, records,
 * verdicts, the --level reports; cli_report_book.c: the county's sheets and every write):
 * where the output goes and which sheets are wanted. */
#ifndef GW_CLI_REPORT_BOOK_H
#define GW_CLI_REPORT_BOOK_H

#include <stdbool.h>
#include <stdio.h>

#include "records.h"
#include "report.h"

enum gw_report_fmt { GW_FMT_CSV, GW_FMT_JSON, GW_FMT_HTML, GW_FMT_XLSX };

/* Where and how the output is written. */
struct gw_report_out {
	const char *path; /* NULL: stdout */
	enum gw_report_fmt format;
	enum gw_encoding encoding; /* csv */
	bool unmasked;
};

/* Writes to out (text formats) or to path (xlsx: a file of its own). Borrows ctx. */
typedef int (*gw_report_write_fn)(FILE *out, const char *path, const void *ctx);

/* Runs fn to stdout, or to o->path whole or not at all (mode 0600 when unmasked), csv
 * through o->encoding. Returns an exit code (0, or 1 after reporting the failure). */
int gw_cli_report_emit(const struct gw_report_out *o, gw_report_write_fn fn, const void *ctx,
                       const char *what);

/* The sheets wanted: form "summary", "roster", "acceptance" or "visits". */
struct gw_report_sheets {
	const char *form;
	const char *township, *village; /* NULL: all */
};

/* The form level a sheet form needs; -EINVAL (reported, with what exists) when unknown. */
int gw_cli_report_form_level(const char *form, enum gw_form_level *out);
/* Checks --township and --village against recs (reports an unknown name with the names
 * that exist). Returns 0 or 2. */
int gw_cli_report_check_sel(const struct gw_report_sheets *s, const struct gw_records *recs);
/* Builds the sheets of f (a form of gw_cli_report_form_level's level) and writes them.
 * Returns an exit code. */
int gw_cli_report_book(const struct gw_report_sheets *s, const struct gw_report_out *o,
                       const struct gw_form *f, const struct gw_report_meta *m);

#endif
