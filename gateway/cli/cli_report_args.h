/* `fieldgate report`'s options (cli_report_args.c): what the command was asked for. */
#ifndef GW_CLI_REPORT_ARGS_H
#define GW_CLI_REPORT_ARGS_H

#include <stdbool.h>

#include "cli_report_book.h"
#include "forms.h"

struct gw_report_opts {
	const char *config;
	enum gw_form_level level;
	bool level_given;
	struct gw_report_sheets sheets; /* sheets.form NULL: the --level report */
	struct gw_report_out output;
	int category;                       /* -1: both */
	int window_start, window_end;       /* MMDD; 0: the config's */
	int year;                           /* 0: the engine's rule */
	bool influx;                        /* --source influx: the fleet's readings */
	bool rules_current;                 /* --rules current: the config's, every day */
	const char *influx_url, *influx_db; /* NULL: the config's influxdb section */
	const char *registry;               /* --registry: the fleet's evidence checked */
	enum gw_lang lang;
};

/* Reads argv into o (its strings borrow argv). Returns 0, 1 for --help (printed), or 2 after
 * reporting bad usage. */
int gw_cli_report_args(int argc, char **argv, struct gw_report_opts *o);

#endif
