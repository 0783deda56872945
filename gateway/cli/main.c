/* fieldgate: argv dispatch to the commands. The only exit() of the program. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
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
        {"console", gw_cli_console, "console passwd: set the technician's page's password"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fieldgate COMMAND [OPTIONS]   (fieldgate COMMAND --help for more)\n\n"
	             "A Modbus sensor gateway for the corn film-mulching program.\n\ncommands:\n");
	for (size_t i = 0; i < GW_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

/* A binary run from its build tree (/proc/self/exe under GW_BUILD_DIR) finds the source
 * tree's profiles: FIELDGATE_PROFILES is set to GW_SOURCE_PROFILES unless already set. The
 * precedence stays gateway.profiles_dir, $FIELDGATE_PROFILES, this, /usr/share/fieldgate/profiles.
 * An installed binary (or a copy elsewhere) is not under the build tree and is unaffected. */
static void build_tree_profiles(void)
{
#if defined(GW_BUILD_DIR) && defined(GW_SOURCE_PROFILES)
	char exe[PATH_MAX];
	size_t n = strlen(GW_BUILD_DIR);
	ssize_t len;

	if (getenv("FIELDGATE_PROFILES"))
		return;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || (size_t)len <= n)
		return;
	exe[len] = '\0';
	if (strncmp(exe, GW_BUILD_DIR, n) == 0 && exe[n] == '/' &&
	    access(GW_SOURCE_PROFILES, R_OK) == 0)
		setenv("FIELDGATE_PROFILES", GW_SOURCE_PROFILES, 0);
#endif
}

int main(int argc, char **argv)
{
	build_tree_profiles();
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
	for (size_t i = 0; i < GW_ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			exit(commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "fieldgate: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	exit(2);
}
