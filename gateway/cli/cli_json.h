/* JSON output of the commands that take --json (check, scan): strings escaped, and the
 * diagnostics of a gw_diag collected as an array of objects. Writes only to the FILE given. */
#ifndef GW_CLI_JSON_H
#define GW_CLI_JSON_H

#include <stdio.h>

#include "diag.h"

/* Writes s as a JSON string (UTF-8 passes through), or null for NULL. */
void gw_cli_json_str(FILE *out, const char *s);

/* Diagnostics gathered while a gw_diag reports them. */
struct gw_cli_json_diags {
	FILE *mem; /* owned: open_memstream over buf */
	char *buf; /* owned */
	size_t len;
	unsigned n;
};

/* Hooks d so that every diagnostic is also kept in j (d still prints its lines). Returns 0,
 * or -ENOMEM. */
int gw_cli_json_diags_attach(struct gw_cli_json_diags *j, struct gw_diag *d);

/* Writes "[{"severity":..,"file":..,"line":..,"col":..,"message":..},...]" (line and col
 * null when absent) and frees what j holds. */
void gw_cli_json_diags_flush(struct gw_cli_json_diags *j, FILE *out);

#endif
