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

/* v as a message may echo it, in buf[len]: cut to fit (at a character boundary), and masked
 * (gw_mask_id or gw_mask_phone) when it holds a run of 7 or more digits, so an ID number or
 * phone in the wrong column does not reach a log. Returns buf. */
const char *gw_records_show(const char *v, char *buf, size_t len);

#endif
