/* A report file written whole or not at all: a temporary file beside the target, renamed
 * over it once everything is written and synced. Private files (unmasked reports) are
 * mode 0600 from their creation; others get 0666 less the umask when committed. */
#ifndef GW_REPORT_FILE_H
#define GW_REPORT_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct gw_report_file {
	FILE *f; /* write the report here */
	char path[GW_PATH_LEN];
	char tmp[GW_PATH_LEN + 16];
	bool private_mode;
};

/* Creates the temporary file for path. Returns 0 or -errno (nothing left behind). */
int gw_report_file_open(struct gw_report_file *rf, const char *path, bool private_mode);
/* Flushes, syncs, sets the mode and renames over path. Returns 0 or -errno (the temporary
 * file is removed; path is untouched). */
int gw_report_file_commit(struct gw_report_file *rf);
/* Closes and removes the temporary file. */
void gw_report_file_abort(struct gw_report_file *rf);

#endif
