/* `fieldgate check`: validates the config (and the profiles it names) with every check
 * `run` makes before it starts (preflight.h), prints
 * each bus's request plan and load, and warns about what will hurt in the field:
 * a line loaded over 70 %, a serial path that is not stable across reboots. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busload.h"
#include "cli.h"
#include "cli_common.h"
#include "cli_check_dtu.h"
#include "cli_check_json.h"
#include "config.h"
#include "diag.h"
#include "http_server.h"
#include "mqtt_client.h"
#include "plan.h"
#include "preflight.h"
#include "records.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate check [-c gateway.yaml] [-q] [--json]\n\n"
	        "Validates the config, the sensor profiles it names and the records, then prints\n"
	        "each bus's request plan: requests per cycle, bytes on the wire and, for RS-485\n"
	        "lines, the share of the line's capacity the schedule uses (warning above 70 "
	        "%%).\n\n"
	        "  -c, --config FILE   gateway.yaml to check\n"
	        "                      (default: $FIELDGATE_CONFIG, else "
	        "/etc/fieldgate/gateway.yaml)\n"
	        "  -q, --quiet         print only errors and warnings\n"
	        "      --json          print the findings as one JSON object on stdout (errors\n"
	        "                      and warnings also in it; the README lists the keys)\n"
	        "exit: 0 valid (warnings allowed), 2 errors\n");
}

static void print_sensor_plan(const struct gw_sensor_cfg *s)
{
	struct gw_plan plan;

	if (gw_plan_build(s->profile, s->max_registers, s->max_gap, &plan))
		return;
	printf("    %-14s unit %-3d %-28s every %us:", s->id, s->unit, s->profile->name,
	       s->interval_s);
	for (size_t k = 0; k < plan.nblocks; k++)
		printf("%s %s 0x%04X+%u", k ? "," : "", gw_regkind_name(plan.blocks[k].kind),
		       plan.blocks[k].addr, plan.blocks[k].count);
	printf("\n");
}

static void print_bus(const struct gw_config *cfg, size_t bi, const struct gw_busload *bl,
                      bool quiet)
{
	const struct gw_bus_cfg *bus = &cfg->buses[bi];

	if (quiet)
		return;
	if (bus->type == GW_BUS_RTU)
		printf("bus %s: rtu %s %u %u%c%u, %u sensors\n", bus->name, bus->device, bus->baud,
		       bus->data_bits, bus->parity, bus->stop_bits, bl->sensors);
	else if (bus->type == GW_BUS_TCP)
		printf("bus %s: tcp %s:%u, %u sensors\n", bus->name, bus->host, bus->port,
		       bl->sensors);
	else
		gw_cli_check_print_dtu(bus, bl->sensors);
	printf("  per cycle: %u requests, %u bytes on the wire", bl->requests_per_cycle,
	       bl->bytes_per_cycle);
	if (bus->type != GW_BUS_TCP)
		printf(", %.1f ms of line time", bl->cycle_ms);
	printf("\n  schedule: %.2f requests/s, %.0f bytes/s", bl->requests_per_s, bl->bytes_per_s);
	if (bus->type != GW_BUS_TCP)
		printf(", load %.1f %% of the line at %u baud", bl->load * 100, bus->baud);
	printf("\n");
	for (size_t i = 0; i < cfg->nsensors; i++)
		if (cfg->sensors[i].bus == bi)
			print_sensor_plan(&cfg->sensors[i]);
}

static void warn_bus(struct gw_diag *d, size_t bi, const struct gw_bus_cfg *bus,
                     const struct gw_busload *bl)
{
	if (bus->type != GW_BUS_RTU) {
		gw_cli_check_warn_dtu(d, bi, bus, bl);
		return;
	}
	if (strncmp(bus->device, "/dev/serial/by-id/", 18) != 0)
		gw_diag_warn_at(d, &bus->src,
		                "buses[%zu].device: \"%s\" is not a stable /dev/serial/by-id/ path "
		                "(USB serial adapters are renamed after a reboot)",
		                bi, bus->device);
	if (bl->load > GW_BUSLOAD_WARN)
		gw_diag_warn_at(d, &bus->src,
		                "buses[%zu]: schedule needs %.0f %% of the line at %u baud (want "
		                "<= %.0f %%: "
		                "lengthen intervals, raise the baud rate or split the line)",
		                bi, bl->load * 100, bus->baud, GW_BUSLOAD_WARN * 100);
}

/* One line: how many households and plots, and the area under each film type. */
static void print_records(const struct gw_config *cfg, const struct gw_records *r)
{
	if (!cfg->households_path[0])
		return;
	printf("records: %zu households, %zu plots; mu: %s %.1f, %s %.1f, %s %.1f\n",
	       r->nhouseholds, r->nplots, gw_film_name(GW_FILM_FULL),
	       gw_records_area_mu(r, GW_FILM_FULL), gw_film_name(GW_FILM_HALF),
	       gw_records_area_mu(r, GW_FILM_HALF), gw_film_name(GW_FILM_NONE),
	       gw_records_area_mu(r, GW_FILM_NONE));
}

/* A line per plot with sensors: its film rules, or that it has none (no_sensor). */
static void print_film(const struct gw_config *cfg)
{
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const char *plot = cfg->sensors[i].plot;
		size_t j = 0, nrules = 0;

		while (j < i && strcmp(cfg->sensors[j].plot, plot) != 0)
			j++;
		if (!plot[0] || j < i)
			continue; /* unbound, or the plot was printed already */
		for (size_t r = 0; r < cfg->nfilm_rules; r++) {
			const struct gw_film_rule *fr = &cfg->film_rules[r];

			if (strcmp(fr->plot, plot) != 0)
				continue;
			nrules++;
			printf("film: %s %s %s", plot, gw_rule_kind_name(fr->kind),
			       cfg->sensors[fr->sensor[0]].id);
			if (fr->kind == GW_RULE_SWITCH)
				printf(" %s=%d\n", fr->point, fr->covered_value);
			else
				printf(" - %s %s%s\n", cfg->sensors[fr->sensor[1]].id, fr->point,
				       fr->implicit ? " (implicit)" : "");
		}
		if (!nrules)
			printf("film: %s no rule (its verdict will be no_sensor)\n", plot);
	}
}

/* Reads the options. Returns 0, 1 when --help was printed, or 2 (usage printed). */
static int parse_args(int argc, char **argv, const char **path, bool *quiet, bool *json)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		if (c == 'c') {
			*path = optarg;
		} else if (c == 'q') {
			*quiet = true;
		} else if (c == 'j') {
			*json = true;
		} else if (c == 'h') {
			usage(stdout);
			return 1;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!*path)
		*path = gw_cli_config_default();
	return 0;
}

/* The libraries `run` would load for cfg (Paho for mqtt, libmicrohttpd for the console or
 * /metrics), loaded here so that a missing one is an error now. Returns the number of errors. */
static int check_libs(const struct gw_config *cfg, struct gw_diag *d)
{
	char err[320];
	int errors = 0;

	if (cfg->mqtt.enabled && gw_mqtt_load(cfg->mqtt.url, err, sizeof(err)) == -ELIBACC) {
		gw_diag_error_at(d, &cfg->mqtt.src, "mqtt: cannot load the MQTT library: %s", err);
		errors++;
	}
	if (!(cfg->console.enabled || cfg->metrics_http.enabled) ||
	    !gw_http_server_load(err, sizeof(err)))
		return errors;
	if (cfg->console.enabled)
		gw_diag_error_at(d, &cfg->console.src,
		                 "console: cannot load the HTTP server library: %s", err);
	else
		gw_diag_error(d, cfg->path, 0, 0,
		              "metrics_http: cannot load the HTTP server library: %s", err);
	errors++;
	return errors;
}

/* Config, records and what `run` would refuse at start-up (from the same function). Returns
 * 0 with both loaded, or 2 with every error printed and nothing loaded. */
static int load_checked(const char *path, struct gw_diag *d, struct gw_config **cfg,
                        struct gw_records **recs)
{
	const char *where = "";

	if (gw_config_load(path, d, cfg))
		goto out_errors;
	if (gw_records_load(*cfg, d, recs)) {
		where = " in the records";
		goto out_config;
	}
	if (gw_preflight_check(*cfg, d) + check_libs(*cfg, d))
		goto out_records;
	return 0;
out_records:
	gw_records_free(*recs);
	*recs = NULL;
out_config:
	gw_config_free(*cfg);
	*cfg = NULL;
out_errors:
	fprintf(stderr, "%s: %d error(s)%s; nothing started\n", path, d->nerrors, where);
	return 2;
}

/* --json: the same checks, the findings as one object on stdout. */
static int check_json(const char *path)
{
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	struct gw_cli_json_diags diags;
	struct gw_busload *loads = NULL;
	bool *ok = NULL;
	struct gw_diag d;
	int rc = 2;

	gw_diag_init(&d, stderr);
	if (gw_cli_json_diags_attach(&diags, &d))
		return 1;
	if (load_checked(path, &d, &cfg, &recs)) {
		gw_cli_check_json(path, NULL, NULL, NULL, NULL, &d, &diags);
		return 2;
	}
	loads = calloc(cfg->nbuses + 1, sizeof(*loads));
	ok = calloc(cfg->nbuses + 1, sizeof(*ok));
	if (!loads || !ok) {
		rc = 1;
		gw_cli_json_diags_flush(&diags, stderr);
		goto out_free;
	}
	for (size_t bi = 0; bi < cfg->nbuses; bi++) {
		ok[bi] = gw_busload_compute(cfg, bi, &loads[bi]) == 0;
		if (ok[bi])
			warn_bus(&d, bi, &cfg->buses[bi], &loads[bi]);
	}
	gw_cli_check_json(path, cfg, recs, loads, ok, &d, &diags);
	rc = 0;
out_free:
	free(ok);
	free(loads);
	gw_records_free(recs);
	gw_config_free(cfg);
	return rc;
}

int gw_cli_check(int argc, char **argv)
{
	const char *path = NULL;
	struct gw_config *cfg = NULL;
	struct gw_records *recs = NULL;
	struct gw_diag d;
	bool quiet = false, json = false;
	int rc = parse_args(argc, argv, &path, &quiet, &json);

	if (rc)
		return rc == 1 ? 0 : 2;
	if (json)
		return check_json(path);
	gw_diag_init(&d, stderr);
	if (load_checked(path, &d, &cfg, &recs))
		return 2;
	if (!quiet) {
		print_records(cfg, recs);
		print_film(cfg);
	}
	for (size_t bi = 0; bi < cfg->nbuses; bi++) {
		struct gw_busload bl;

		if (gw_busload_compute(cfg, bi, &bl))
			continue;
		print_bus(cfg, bi, &bl, quiet);
		warn_bus(&d, bi, &cfg->buses[bi], &bl);
	}
	if (!quiet)
		printf("%s: ok: %zu buses, %zu sensors, %zu profiles, %d warning(s)\n", path,
		       cfg->nbuses, cfg->nsensors, cfg->nprofiles, d.nwarnings);
	gw_records_free(recs);
	gw_config_free(cfg);
	return 0;
}
