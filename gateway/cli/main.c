/* fieldgate: argv dispatch to the commands. The only exit() of the program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"run", gw_cli_run, "poll every sensor on schedule, journal and deliver readings"},
        {"check", gw_cli_check, "validate config, profiles and records; print each bus's plan"},
        {"sim", gw_cli_sim, "serve the configured field as simulated Modbus slaves"},
        {"scan", gw_cli_scan, "list the unit ids that answer on a line or endpoint"},
        {"read", gw_cli_read, "read one sensor once and print its decoded values"},
        {"set-address", gw_cli_set_address, "change a sensor's unit id through its profile"},
        {"report", gw_cli_report, "acceptance verdicts and the county's forms (csv, json, html)"},
        {"verify", gw_cli_verify, "recompute the evidence chain; name the first day changed"},
        {"key", gw_cli_key, "print this gateway's public key for the county's registry"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fieldgate COMMAND [OPTIONS]   (fieldgate COMMAND --help for more)\n\n"
	             "A Modbus sensor gateway for the corn film-mulching program.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		exit(2);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		exit(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("fieldgate %s\n", GW_VERSION);
		exit(0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			exit(commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "fieldgate: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	exit(2);
}
