/* `fieldgate report`'s options: reading them, their checks and the usage text. */
#include "cli_report_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cli_common.h"
#include "http_parse.h"

/* The options of where the readings come from, and the output's. */
static void usage_sources(FILE *out)
{
	fprintf(out,
	        "      --source S       journal (default: this gateway's) or influx (every "
	        "gateway\n"
	        "                       that wrote to the InfluxDB 1.x below: the fleet)\n"
	        "      --influx-url URL, --influx-db NAME (or --database NAME)  (default: the "
	        "config's influxdb url\n"
	        "                       and database; its username and password_file are used)\n"
	        "      --registry FILE  with --source influx: the county's gateway registry (CSV:\n"
	        "                       gateway id, public key); every sealed day InfluxDB holds\n"
	        "                       is checked against the readings it holds and its\n"
	        "                       signature; plots on a differing or missing day are\n"
	        "                       unverified (exit 1)\n"
	        "  -o, --out FILE       write FILE (whole or not at all) instead of stdout\n"
	        "      --unmasked       ID numbers and phones in clear; only with --out (the file\n"
	        "                       is created mode 0600)\n"
	        "ID numbers are shown as 6+8*+4 and phones as 3+4*+4 unless --unmasked.\n"
	        "exit: 0 written, 1 runtime failure (journal, output), 2 bad usage, config or "
	        "records\n");
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate report [-c gateway.yaml] [--level "
	        "plot|household|village|township]\n"
	        "         [--form summary|roster|acceptance|visits [--township NAME] [--village "
	        "NAME]]\n"
	        "         [--format csv|json|html|xlsx] [--encoding utf-8-bom|utf-8|gb18030] "
	        "[--lang zh|en]\n"
	        "         [--window MM-DD..MM-DD] [--year YYYY]\n"
	        "         [--category poverty_alleviated|general] [--out FILE [--unmasked]]\n"
	        "         [--source journal|influx [--influx-url URL] [--influx-db NAME]\n"
	        "          [--registry FILE]]\n"
	        "         [--rules recorded|current]\n\n"
	        "The season's acceptance verdicts (from this gateway's journal) and the county's\n"
	        "forms: area handed out, film rolls and kg, seed, funds and the government /\n"
	        "household split, verified area (area of plots that pass), kept apart by "
	        "household\n"
	        "category. Verdicts are point evidence for the plot.\n\n"
	        "  -c, --config FILE    gateway.yaml (records, acceptance thresholds, rates)\n"
	        "                       (default: $FIELDGATE_CONFIG, else "
	        "/etc/fieldgate/gateway.yaml)\n"
	        "  -l, --level L        plot (default): a row per plot with its verdict, days and\n"
	        "                       roster columns; household: the roster (花名册); village: "
	        "the\n"
	        "                       summary (汇总表), a row per village and category; "
	        "township:\n"
	        "                       the plan and funding tables\n"
	        "  -f, --format F       csv (default; a header line, then rows, then a total "
	        "row),\n"
	        "                       json (one object), html (printable on A4, a chart per "
	        "plot),\n"
	        "                       xlsx (the sheets of --form, written with --out)\n"
	        "      --form F         the county's sheets instead of --level: summary, roster,\n"
	        "                       acceptance or visits\n"
	        "      --township NAME, --village NAME  only these sheets of --form\n"
	        "      --encoding E     csv: utf-8-bom (default), utf-8 or gb18030\n"
	        "      --lang L         zh (default) or en: headers, labels and values\n"
	        "  -w, --window W       acceptance window MM-DD..MM-DD (default: the config's,\n"
	        "                       06-20..07-15)\n"
	        "      --year YYYY      the season's year (default: the config's, else the year "
	        "of\n"
	        "                       the newest reading)\n"
	        "      --category C     only households of category C\n"
	        "      --rules R        recorded (default: each day by the rules the journal\n"
	        "                       recorded in force that day) or current (gateway.yaml's)\n");
	usage_sources(out);
}

/* "MM-DD" -> MMDD; -EINVAL unless a real month and day. */
static int parse_mmdd(const char *s, size_t len, int *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int m, d;

	if (len != 5 || s[2] != '-' || !strchr("01", s[0]))
		return -EINVAL;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -EINVAL;
	*out = m * 100 + d;
	return 0;
}

static int parse_window(const char *s, struct gw_report_opts *o)
{
	const char *dots = strstr(s, "..");

	if (!dots || parse_mmdd(s, (size_t)(dots - s), &o->window_start) ||
	    parse_mmdd(dots + 2, strlen(dots + 2), &o->window_end) ||
	    o->window_end < o->window_start) {
		fprintf(stderr,
		        "fieldgate report: --window: bad window \"%s\" (want MM-DD..MM-DD, start "
		        "not after end)\n",
		        s);
		return -EINVAL;
	}
	return 0;
}

static int parse_format(const char *arg, enum gw_report_fmt *out)
{
	static const char *const names[] = {"csv", "json", "html", "xlsx"};

	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++) {
		if (strcmp(arg, names[i]) == 0) {
			*out = (enum gw_report_fmt)i;
			return 0;
		}
	}
	fprintf(stderr,
	        "fieldgate report: --format: unknown \"%s\" (want csv, json, html or xlsx)\n", arg);
	return -EINVAL;
}

/* The options of the sheets and of what every report is written in. */
static int take_sheet_opt(struct gw_report_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'o':
		o->output.path = arg;
		return 0;
	case 'u':
		o->output.unmasked = true;
		return 0;
	case 'F':
		o->sheets.form = arg;
		return 0;
	case 'T':
		o->sheets.township = arg;
		return 0;
	case 'V':
		o->sheets.village = arg;
		return 0;
	case 'E':
		if (gw_encoding_parse(arg, &o->output.encoding) == 0)
			return 0;
		fprintf(stderr,
		        "fieldgate report: --encoding: unknown \"%s\" (want utf-8-bom, utf-8 or "
		        "gb18030)\n",
		        arg);
		return -EINVAL;
	case 'L':
		if (gw_lang_parse(arg, &o->lang) == 0)
			return 0;
		fprintf(stderr, "fieldgate report: --lang: unknown \"%s\" (want zh or en)\n", arg);
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

static int parse_rules(const char *arg, struct gw_report_opts *o)
{
	if (strcmp(arg, "recorded") == 0 || strcmp(arg, "current") == 0) {
		o->rules_current = arg[0] == 'c';
		return 0;
	}
	fprintf(stderr, "fieldgate report: --rules: unknown \"%s\" (want recorded or current)\n",
	        arg);
	return -EINVAL;
}

/* Where the readings come from and which rules judge them. */
static int take_source_opt(struct gw_report_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'S':
		if (strcmp(arg, "journal") == 0 || strcmp(arg, "influx") == 0) {
			o->influx = arg[0] == 'i';
			return 0;
		}
		fprintf(stderr,
		        "fieldgate report: --source: unknown \"%s\" (want journal or influx)\n",
		        arg);
		return -EINVAL;
	case 'R':
		return parse_rules(arg, o);
	case 'U': {
		struct gw_http_url u;

		o->influx_url = arg;
		if (gw_http_url_parse(arg, &u) == 0)
			return 0;
		fprintf(stderr,
		        "fieldgate report: --influx-url: not an InfluxDB URL (got \"%.80s\", want "
		        "http(s)://host[:port], no user info)\n",
		        arg);
		return -EINVAL;
	}
	case 'D':
		o->influx_db = arg;
		return 0;
	case 'G':
		o->registry = arg;
		return 0;
	default:
		return take_sheet_opt(o, c, arg);
	}
}

static int take_opt(struct gw_report_opts *o, int c, const char *arg)
{
	enum gw_category cat;
	char *end;
	long y;

	switch (c) {
	case 'c':
		o->config = arg;
		return 0;
	case 'l':
		o->level_given = true;
		if (gw_form_level_parse(arg, &o->level) == 0)
			return 0;
		fprintf(stderr,
		        "fieldgate report: --level: unknown \"%s\" (want plot, household, "
		        "village or township)\n",
		        arg);
		return -EINVAL;
	case 'f':
		return parse_format(arg, &o->output.format);
	case 'w':
		return parse_window(arg, o);
	case 'y':
		y = strtol(arg, &end, 10);
		if (*arg && !*end && y >= 2000 && y <= 2100) {
			o->year = (int)y;
			return 0;
		}
		fprintf(stderr, "fieldgate report: --year: bad year \"%s\" (want 2000..2100)\n",
		        arg);
		return -EINVAL;
	case 'k':
		if (gw_category_parse(arg, &cat) == 0) {
			o->category = (int)cat;
			return 0;
		}
		fprintf(stderr,
		        "fieldgate report: --category: unknown \"%s\" (want "
		        "poverty_alleviated or general)\n",
		        arg);
		return -EINVAL;
	default:
		return take_source_opt(o, c, arg);
	}
}

static int check_combination(const struct gw_report_opts *o);

int gw_cli_report_args(int argc, char **argv, struct gw_report_opts *o)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
	                                         {"level", required_argument, NULL, 'l'},
	                                         {"format", required_argument, NULL, 'f'},
	                                         {"window", required_argument, NULL, 'w'},
	                                         {"year", required_argument, NULL, 'y'},
	                                         {"category", required_argument, NULL, 'k'},
	                                         {"out", required_argument, NULL, 'o'},
	                                         {"unmasked", no_argument, NULL, 'u'},
	                                         {"source", required_argument, NULL, 'S'},
	                                         {"influx-url", required_argument, NULL, 'U'},
	                                         {"rules", required_argument, NULL, 'R'},
	                                         {"influx-db", required_argument, NULL, 'D'},
	                                         {"registry", required_argument, NULL, 'G'},
	                                         {"database", required_argument, NULL, 'D'},
	                                         {"lang", required_argument, NULL, 'L'},
	                                         {"form", required_argument, NULL, 'F'},
	                                         {"township", required_argument, NULL, 'T'},
	                                         {"village", required_argument, NULL, 'V'},
	                                         {"encoding", required_argument, NULL, 'E'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->category = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:l:f:w:o:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || take_opt(o, c, optarg)) {
			fprintf(stderr, "(fieldgate report --help for usage)\n");
			return 2;
		}
	}
	if (!o->config)
		o->config = gw_cli_config_default();
	if (optind < argc) {
		fprintf(stderr,
		        optind < argc ? "fieldgate report: unexpected argument \"%s\"\n"
		                      : "fieldgate report: -c gateway.yaml is required%s\n",
		        optind < argc ? argv[optind] : "");
		return 2;
	}
	return check_combination(o);
}

static int check_combination(const struct gw_report_opts *o)
{
	enum gw_form_level l;
	const char *bad = NULL;

	if (o->sheets.form && gw_cli_report_form_level(o->sheets.form, &l))
		return 2;
	if (o->sheets.form && o->level_given)
		bad = "--form and --level: one or the other (--form: the county's sheets)";
	else if (o->sheets.form && o->output.format == GW_FMT_JSON)
		bad = "--format json is for --level reports (the sheets: csv, html or xlsx)";
	else if (!o->sheets.form && o->output.format == GW_FMT_XLSX)
		bad = "--format xlsx is for the county's sheets (--form summary|roster|acceptance|"
		      "visits)";
	else if (!o->sheets.form && (o->sheets.township || o->sheets.village))
		bad = "--township and --village select sheets of --form";
	else if (o->output.format == GW_FMT_XLSX && !o->output.path)
		bad = "--format xlsx writes a file: give --out FILE";
	if (bad) {
		fprintf(stderr, "fieldgate report: %s\n", bad);
		return 2;
	}
	if (o->registry && !o->influx) {
		fprintf(stderr,
		        "fieldgate report: --registry checks the fleet's evidence: only with "
		        "--source influx (a journal's chain is always verified)\n");
		return 2;
	}
	if (o->output.unmasked && !o->output.path) {
		fprintf(stderr,
		        "fieldgate report: --unmasked writes ID numbers and phones in clear: "
		        "only to a file (--out FILE), never to stdout\n");
		return 2;
	}
	return 0;
}
