/* `fieldgate report`: the season's acceptance verdicts and the county's forms at plot,
 * household, village or township level, as csv, json or html. Loads config and records,
 * asks the acceptance engine for each plot's result, adds them up (forms.c) and hands
 * the form to a writer (report_*.c). A file is written whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acceptance.h"
#include "chain.h"
#include "cli.h"
#include "cli_common.h"
#include "cli_report_args.h"
#include "cli_report_book.h"
#include "clock.h"
#include "config.h"
#include "evidence.h"
#include "fleet_evidence.h"
#include "forms.h"
#include "records.h"
#include "report.h"
#include "tz.h"

/* Each plot's result from the InfluxDB the options or the config name (the fleet). */
static int fleet_results(const struct gw_config *cfg, const struct gw_records *recs,
                         const struct gw_report_opts *o, const struct gw_accept_opts *ao,
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
	if (gw_config_secret_path(cfg->influx.password_file, cfg->influx.password_credential,
	                          "influxdb.password_credential", src.password_file,
	                          sizeof(src.password_file)))
		return -EINVAL;
	fprintf(stderr, "report: reading the fleet's readings from %s ...\n", src.url);
	return gw_acceptance_from_influx(cfg, recs, &src, ao, res, n);
}

/* Each plot's acceptance result over the season from the journal in data_dir. A gateway
 * without a journal yet (or a county office with only the records) gets no verdicts
 * (*res NULL) rather than a new empty journal. */
static int plot_results(const struct gw_config *cfg, const struct gw_records *recs,
                        const struct gw_report_opts *o, struct gw_accept_used *used,
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
static int season_year(const struct gw_config *cfg, const struct gw_report_opts *o,
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

static void fill_meta(const struct gw_config *cfg, const struct gw_report_opts *o,
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

/* The fleet's evidence with --registry: every sealed day InfluxDB holds against the readings
 * it holds. Returns 1 when a day fails, 0, 2 (a bad registry) or -errno. */
static int check_fleet(const struct gw_config *cfg, const struct gw_report_opts *o,
                       struct gw_fleet_evidence *fev, struct gw_plot_result *res, size_t n)
{
	struct gw_fleet_src src;
	int rc;

	memset(&src, 0, sizeof(src));
	snprintf(src.url, sizeof(src.url), "%s", o->influx_url ? o->influx_url : cfg->influx.url);
	snprintf(src.database, sizeof(src.database), "%s",
	         o->influx_db ? o->influx_db : cfg->influx.database);
	snprintf(src.username, sizeof(src.username), "%s", cfg->influx.username);
	snprintf(src.password_file, sizeof(src.password_file), "%s", cfg->influx.password_file);
	rc = gw_fleet_evidence_check(&src, o->registry, fev, stderr);
	if (rc == -EINVAL)
		return 2;
	if (rc)
		return rc;
	fprintf(stderr, "report: evidence: %s\n", fev->header);
	rc = (int)gw_fleet_evidence_mark(fev, res, n);
	if (rc)
		fprintf(stderr,
		        "report: %d plot(s) unverified: they have readings on a failing day\n", rc);
	for (size_t i = 0; i < fev->ngateways; i++)
		if (fev->gateways[i].differing || fev->gateways[i].missing)
			return 1;
	return 0;
}

/* A journal without a verdict yet (a live demo holds minutes, a gateway early in the season
 * days before the window): says so on stderr, and where a whole season can be seen. */
static void hint_no_season(const struct gw_report_opts *o, const struct gw_plot_result *res,
                           size_t n)
{
	size_t judged = 0;

	for (size_t i = 0; i < n; i++)
		if (res[i].verdict != GW_VERDICT_INSUFFICIENT_DATA &&
		    res[i].verdict != GW_VERDICT_NO_SENSOR)
			judged++;
	if (o->influx || n == 0 || judged)
		return;
	fprintf(stderr,
	        "report: hint: no plot has the readings of its acceptance window for a "
	        "verdict yet (every plot insufficient_data or no_sensor); a verdict needs "
	        "the window's days. To see verdicts on a whole simulated season, run the "
	        "season demo: scripts/demo.sh --season (its field: config/demo/season.yaml; "
	        "README, \"Simulated seasons\")\n");
}

/* The journal's chain, verified before the report prints (DESIGN.md "Evidence chain"):
 * plots touched by a failing day become unverified and the header names the day. Returns 1
 * when a day fails, 0 otherwise (also without a journal), 2 for a bad registry, or -errno
 * when the journal or InfluxDB cannot be read (said). The fleet's evidence is checked with
 * --registry only. */
static int check_evidence(const struct gw_config *cfg, const struct gw_report_opts *o,
                          struct gw_evidence *ev, struct gw_fleet_evidence *fev,
                          struct gw_plot_result *res, size_t n)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	rc = !o->influx    ? gw_evidence_check(cfg->data_dir, ev)
	     : o->registry ? check_fleet(cfg, o, fev, res, n)
	                   : 0;
	if (rc < 0 && rc != -ENOENT)
		fprintf(stderr, "fieldgate report: verifying the evidence chain failed: %s\n",
		        strerror(-rc));
	if (o->influx || rc)
		return rc == -ENOENT ? 0 : rc;
	fprintf(stderr, "report: evidence: %s\n", ev->header);
	if (!ev->res.bad)
		return 0;
	fprintf(stderr, "report: %zu plot(s) unverified: they have readings on a failing day\n",
	        gw_evidence_mark(ev, res, n));
	return 1;
}

/* Writes the --level report. Returns an exit code. */
static int emit(const struct gw_report_opts *o, const struct gw_form *f,
                const struct gw_report_meta *m)
{
	struct level_ctx c = {.f = f, .m = m, .format = o->output.format};
	char what[48];

	snprintf(what, sizeof(what), "%zu rows and a total", f->nrows);
	return gw_cli_report_emit(&o->output, write_level, &c, what);
}

static int load(const struct gw_report_opts *o, struct gw_config **cfg, struct gw_records **recs)
{
	struct gw_diag d;

	gw_diag_init(&d, stderr);
	if (gw_config_load_flags(o->config, GW_CONFIG_OFFICE, &d, cfg))
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

/* The form the report prints: the sheets' level when sheets were asked for (their selection
 * checked against the records). Returns 0 with *form owned, or an exit code. */
static int build_form(const struct gw_config *cfg, const struct gw_records *recs,
                      struct gw_report_opts *o, const struct gw_plot_result *res, size_t n,
                      struct gw_form **form)
{
	struct gw_form_opts fo;

	if (o->sheets.form && (gw_cli_report_form_level(o->sheets.form, &o->level) ||
	                       gw_cli_report_check_sel(&o->sheets, recs)))
		return 2;
	fo = (struct gw_form_opts){
	        .level = o->level, .category = o->category, .rates = &cfg->rates};
	if (gw_form_build(recs, res, n, &fo, form)) {
		fprintf(stderr, "fieldgate report: out of memory\n");
		return 1;
	}
	return 0;
}

int gw_cli_report(int argc, char **argv)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	struct gw_plot_result *res = NULL;
	struct gw_form *form = NULL;
	struct gw_report_opts o;
	struct gw_report_meta m;
	struct meta_text t;
	struct gw_accept_used used = {.zone = ""};
	struct gw_evidence ev = {0};
	struct gw_fleet_evidence fev = {0};
	size_t n = 0;
	int broken = 0, rc = gw_cli_report_args(argc, argv, &o);

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
	hint_no_season(&o, res, n);
	broken = check_evidence(cfg, &o, &ev, &fev, res, n);
	if (broken < 0 || broken == 2) {
		rc = broken == 2 ? 2 : 1; /* said */
		goto out_free;
	}
	rc = build_form(cfg, recs, &o, res, n, &form);
	if (rc)
		goto out_free;
	fill_meta(cfg, &o, res, n, res != NULL, &t, &m);
	rules_meta(cfg, &used, &t, &m);
	m.evidence = ev.header[0] ? ev.header : fev.header[0] ? fev.header : NULL;
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
	gw_fleet_evidence_free(&fev);
	gw_form_free(form);
	gw_plot_results_free(res, n);
	gw_records_free(recs);
	gw_config_free(cfg);
	return rc;
}
