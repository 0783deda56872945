/* `fieldgate report`: the season's acceptance verdicts and the county's forms at plot,
 * household, village or township level, as csv, json or html. Loads config and records,
 * asks the acceptance engine for each plot's result, adds them up (forms.c) and hands
 * the form to a writer (report_*.c). A file is written whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acceptance.h"
#include "chain.h"
#include "cli.h"
#include "cli_common.h"
#include "cli_report_book.h"
#include "clock.h"
#include "config.h"
#include "evidence.h"
#include "forms.h"
#include "records.h"
#include "report.h"
#include "tz.h"

struct report_opts {
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
	enum gw_lang lang;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate report [-c gateway.yaml] [--level "
	        "plot|household|village|township]\n"
	        "         [--format csv|json|html] [--window MM-DD..MM-DD] [--year YYYY]\n"
	        "         [--category poverty_alleviated|general] [--out FILE [--unmasked]]\n"
	        "         [--source journal|influx [--influx-url URL] [--influx-db NAME]]\n"
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
	        "plot)\n"
	        "  -w, --window W       acceptance window MM-DD..MM-DD (default: the config's,\n"
	        "                       06-20..07-15)\n"
	        "      --year YYYY      the season's year (default: the config's, else the year "
	        "of\n"
	        "                       the newest reading)\n"
	        "      --category C     only households of category C\n"
	        "      --rules R        recorded (default: each day by the rules the journal\n"
	        "                       recorded in force that day) or current (gateway.yaml's)\n"
	        "      --source S       journal (default: this gateway's) or influx (every "
	        "gateway\n"
	        "                       that wrote to the InfluxDB 1.x below: the fleet)\n"
	        "      --influx-url URL, --influx-db NAME  (default: the config's influxdb url\n"
	        "                       and database; its username and password_file are used)\n"
	        "  -o, --out FILE       write FILE (whole or not at all) instead of stdout\n"
	        "      --unmasked       ID numbers and phones in clear; only with --out (the file\n"
	        "                       is created mode 0600)\n"
	        "ID numbers are shown as 6+8*+4 and phones as 3+4*+4 unless --unmasked.\n"
	        "exit: 0 written, 1 runtime failure (journal, output), 2 bad usage, config or "
	        "records\n");
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

static int parse_window(const char *s, struct report_opts *o)
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

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
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
static int take_sheet_opt(struct report_opts *o, int c, const char *arg)
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

static int parse_rules(const char *arg, struct report_opts *o)
{
	if (strcmp(arg, "recorded") == 0 || strcmp(arg, "current") == 0) {
		o->rules_current = arg[0] == 'c';
		return 0;
	}
	fprintf(stderr, "fieldgate report: --rules: unknown \"%s\" (want recorded or current)\n",
	        arg);
	return -EINVAL;
}

static int take_opt(struct report_opts *o, int c, const char *arg)
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
	case 'U':
		o->influx_url = arg;
		return 0;
	case 'D':
		o->influx_db = arg;
		return 0;
	default:
		return take_sheet_opt(o, c, arg);
	}
}

static int check_combination(const struct report_opts *o);

/* Returns 0, 1 for --help (printed), or 2 after reporting bad usage. */
static int parse_args(int argc, char **argv, struct report_opts *o)
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

static int check_combination(const struct report_opts *o)
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
	if (o->output.unmasked && !o->output.path) {
		fprintf(stderr,
		        "fieldgate report: --unmasked writes ID numbers and phones in clear: "
		        "only to a file (--out FILE), never to stdout\n");
		return 2;
	}
	return 0;
}

/* Each plot's result from the InfluxDB the options or the config name (the fleet). */
static int fleet_results(const struct gw_config *cfg, const struct gw_records *recs,
                         const struct report_opts *o, const struct gw_accept_opts *ao,
                         struct gw_plot_result **res, size_t *n)
{
	const char *url = o->influx_url ? o->influx_url : cfg->influx.url;
	const char *db = o->influx_db ? o->influx_db : cfg->influx.database;
	struct gw_fleet_src src;

	memset(&src, 0, sizeof(src));
	if (!url[0] || !db[0] || strlen(url) >= sizeof(src.url) ||
	    strlen(db) >= sizeof(src.database)) {
		fprintf(stderr, "fieldgate report: --source influx needs --influx-url and "
		                "--influx-db (or an influxdb section with url and database)\n");
		return -EINVAL;
	}
	snprintf(src.url, sizeof(src.url), "%s", url);
	snprintf(src.database, sizeof(src.database), "%s", db);
	snprintf(src.username, sizeof(src.username), "%s", cfg->influx.username);
	snprintf(src.password_file, sizeof(src.password_file), "%s", cfg->influx.password_file);
	fprintf(stderr, "report: reading the fleet's readings from %s ...\n", src.url);
	return gw_acceptance_from_influx(cfg, recs, &src, ao, res, n);
}

/* Each plot's acceptance result over the season from the journal in data_dir. A gateway
 * without a journal yet (or a county office with only the records) gets no verdicts
 * (*res NULL) rather than a new empty journal. */
static int plot_results(const struct gw_config *cfg, const struct gw_records *recs,
                        const struct report_opts *o, struct gw_accept_used *used,
                        struct gw_plot_result **res, size_t *n)
{
	struct gw_accept_opts ao = {.window_start = o->window_start,
	                            .window_end = o->window_end,
	                            .year = o->year,
	                            .rules_current = o->rules_current,
	                            .used = used};
	char path[GW_PATH_LEN + 16];
	struct stat st;
	int len = snprintf(path, sizeof(path), "%s/journal.db", cfg->data_dir);

	*res = NULL;
	*n = 0;
	if (o->influx)
		return fleet_results(cfg, recs, o, &ao, res, n);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		fprintf(stderr, "report: no journal in %s: no verdicts, the forms only\n",
		        cfg->data_dir);
		return 0;
	}
	fprintf(stderr, "report: reading the journal in %s ...\n", cfg->data_dir);
	return gw_acceptance_from_journal(cfg, recs, &ao, res, n);
}

static void mmdd_text(int mmdd, char *buf, size_t len)
{
	snprintf(buf, len, "%02d-%02d", (mmdd / 100) % 100, mmdd % 100);
}

/* The season's year: the days the engine returned, else what was asked for. */
static int season_year(const struct gw_config *cfg, const struct report_opts *o,
                       const struct gw_plot_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].ndays)
			return res[i].days[0].day / 10000;
	return o->year ? o->year : cfg->accept.year;
}

struct meta_text {
	char generated[40], window[40], deadline[16];
	char rules[96];
};

/* Which zone and rules judged the days, for the report's header. */
static void rules_meta(const struct gw_config *cfg, const struct gw_accept_used *used,
                       struct meta_text *t, struct gw_report_meta *m)
{
	m->timezone = used->zone[0] ? used->zone : cfg->timezone;
	if (used->sets)
		snprintf(t->rules, sizeof(t->rules),
		         "recorded: %u set(s) in the journal, the first from %04d-%02d-%02d",
		         used->sets, used->first_set / 10000, used->first_set / 100 % 100,
		         used->first_set % 100);
	else
		snprintf(t->rules, sizeof(t->rules), "current: gateway.yaml");
	m->rules = t->rules;
}

static void fill_meta(const struct gw_config *cfg, const struct report_opts *o,
                      const struct gw_plot_result *res, size_t n, bool verdicts,
                      struct meta_text *t, struct gw_report_meta *m)
{
	const struct gw_accept_cfg acc = cfg->accept;
	int ws, we;
	char a[16], b[16];

	ws = o->window_start ? o->window_start : acc.window_start;
	we = o->window_end ? o->window_end : acc.window_end;
	if (gw_clock_rfc3339(gw_clock_wall_ms(), t->generated, sizeof(t->generated)))
		t->generated[0] = '\0';
	mmdd_text(ws, a, sizeof(a));
	mmdd_text(we, b, sizeof(b));
	snprintf(t->window, sizeof(t->window), "%s..%s", a, b);
	mmdd_text(acc.laying_deadline, t->deadline, sizeof(t->deadline));
	memset(m, 0, sizeof(*m));
	m->gateway = cfg->gateway_id;
	m->generated = t->generated;
	m->window = t->window;
	m->deadline = t->deadline;
	m->year = season_year(cfg, o, res, n);
	m->window_start = ws;
	m->window_end = we;
	m->deadline_mmdd = acc.laying_deadline;
	m->covered_delta_c = acc.covered_delta_c;
	m->not_covered_delta_c = acc.not_covered_delta_c;
	m->category = o->category < 0 ? "all" : gw_category_name((enum gw_category)o->category);
	m->source = o->influx ? "influx" : "journal";
	m->unmasked = o->output.unmasked;
	m->verdicts = verdicts;
	m->rates = &cfg->rates;
	m->cfg = cfg;
	m->lang = o->lang;
}

struct level_ctx {
	const struct gw_form *f;
	const struct gw_report_meta *m;
	enum gw_report_fmt format;
};

static int write_level(FILE *out, const char *path, const void *arg)
{
	const struct level_ctx *c = arg;

	(void)path;
	if (c->format == GW_FMT_JSON)
		return gw_report_json(out, c->f, c->m);
	if (c->format == GW_FMT_HTML)
		return gw_report_html(out, c->f, c->m);
	return gw_report_csv(out, c->f, c->m);
}

/* The journal's chain, verified before the report prints (DESIGN.md "Evidence chain"):
 * plots touched by a failing day become unverified and the header names the day. Returns 1
 * when a day fails, 0 otherwise (also without a journal, or for the fleet: nothing to verify
 * here), or -errno when the journal cannot be read. */
static int check_evidence(const struct gw_config *cfg, const struct report_opts *o,
                          struct gw_evidence *ev, struct gw_plot_result *res, size_t n)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (o->influx)
		return 0; /* the fleet's readings are not this gateway's journal */
	rc = gw_evidence_check(cfg->data_dir, ev);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	fprintf(stderr, "report: evidence: %s\n", ev->header);
	if (!ev->res.bad)
		return 0;
	fprintf(stderr, "report: %zu plot(s) unverified: they have readings on a failing day\n",
	        gw_evidence_mark(ev, res, n));
	return 1;
}

/* Writes the --level report. Returns an exit code. */
static int emit(const struct report_opts *o, const struct gw_form *f,
                const struct gw_report_meta *m)
{
	struct level_ctx c = {.f = f, .m = m, .format = o->output.format};
	char what[48];

	snprintf(what, sizeof(what), "%zu rows and a total", f->nrows);
	return gw_cli_report_emit(&o->output, write_level, &c, what);
}

static int load(const struct report_opts *o, struct gw_config **cfg, struct gw_records **recs)
{
	struct gw_diag d;

	gw_diag_init(&d, stderr);
	if (gw_config_load(o->config, &d, cfg))
		return 2;
	gw_tz_use((*cfg)->timezone); /* every local day is the zone's, never the process TZ's */
	if (gw_records_load(*cfg, &d, recs))
		return 2;
	if (!(*cfg)->households_path[0]) {
		fprintf(stderr,
		        "%s: error: records: required by report (want households and "
		        "plots)\n",
		        o->config);
		return 2;
	}
	fprintf(stderr, "report: %zu households, %zu plots\n", (*recs)->nhouseholds,
	        (*recs)->nplots);
	return 0;
}

int gw_cli_report(int argc, char **argv)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	struct gw_plot_result *res = NULL;
	struct gw_form *form = NULL;
	struct report_opts o;
	struct gw_report_meta m;
	struct meta_text t;
	struct gw_form_opts fo;
	struct gw_accept_used used = {.zone = ""};
	struct gw_evidence ev = {0};
	size_t n = 0;
	int broken = 0, rc = parse_args(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : rc;
	rc = load(&o, &cfg, &recs);
	if (rc)
		goto out_free;
	rc = plot_results(cfg, recs, &o, &used, &res, &n);
	if (rc) {
		fprintf(stderr, "fieldgate report: reading the %s failed: %s\n",
		        o.influx ? "fleet's readings from InfluxDB" : "journal", strerror(-rc));
		rc = rc == -EINVAL && o.influx ? 2 : 1;
		goto out_free;
	}
	broken = check_evidence(cfg, &o, &ev, res, n);
	if (broken < 0) {
		fprintf(stderr, "fieldgate report: verifying the evidence chain failed: %s\n",
		        strerror(-broken));
		rc = 1;
		goto out_free;
	}
	if (o.sheets.form && (gw_cli_report_form_level(o.sheets.form, &o.level) ||
	                      gw_cli_report_check_sel(&o.sheets, recs))) {
		rc = 2;
		goto out_free;
	}
	fo = (struct gw_form_opts){.level = o.level, .category = o.category, .rates = &cfg->rates};
	if (gw_form_build(recs, res, n, &fo, &form)) {
		fprintf(stderr, "fieldgate report: out of memory\n");
		rc = 1;
		goto out_free;
	}
	fill_meta(cfg, &o, res, n, res != NULL, &t, &m);
	rules_meta(cfg, &used, &t, &m);
	m.evidence = ev.header[0] ? ev.header : NULL;
	m.chain_head = ev.head[0] ? ev.head : NULL;
	if (o.output.format == GW_FMT_CSV)
		fprintf(stderr, "report: %s\nreport: time zone %s; rules %s\n", gw_report_note,
		        m.timezone, m.rules);
	rc = o.sheets.form ? gw_cli_report_book(&o.sheets, &o.output, form, &m)
	                   : emit(&o, form, &m);
	if (rc == 0 && broken)
		rc = 1; /* written, but its evidence fails */
out_free:
	gw_evidence_free(&ev);
	gw_form_free(form);
	gw_plot_results_free(res, n);
	gw_records_free(recs);
	gw_config_free(cfg);
	return rc;
}
