/* Inside the records module: a CSV file as decoded rows of UTF-8 fields (records_csv.c,
 * the owner of csv.h and iconv.h) and the column tables (records.c). Not for other
 * modules: they use records.h. */
#ifndef GW_RECORDS_INT_H
#define GW_RECORDS_INT_H

#include <stddef.h>

#include "diag.h"

struct gw_csv_row {
	int line; /* the CSV line the row's first field ends on */
	size_t nfields;
	char **fields; /* owned, NUL-terminated UTF-8 */
};

struct gw_csv {
	struct gw_csv_row *rows; /* rows[0] is the header */
	size_t nrows;
	size_t cap;
};

/* Reads path (UTF-8 with an optional BOM, else GB18030), decodes it to UTF-8 and splits
 * it into rows. Borrows path and d. Reports what is wrong to d as path[:LINE]: error.
 * Returns 0 with *out filled (free with gw_csv_free), -EINVAL (reported: empty file,
 * bad encoding, malformed CSV), -ENOMEM, or -errno of an unreadable file (reported). */
int gw_csv_read(const char *path, struct gw_diag *d, struct gw_csv *out);
/* Frees what t owns and zeroes it; a zeroed t is a no-op. */
void gw_csv_free(struct gw_csv *t);

#endif
