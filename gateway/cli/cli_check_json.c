/* `check --json`: config, records, film rules and each bus's plan and load as one object.
 * Numbers are plain JSON numbers; a key that does not apply is null, never left out. */
#include "cli_check_json.h"

#include <string.h>

#include "plan.h"

static const char *bus_type_name(enum gw_bus_type t)
{
	switch (t) {
	case GW_BUS_RTU:
		return "rtu";
	case GW_BUS_TCP:
		return "tcp";
	case GW_BUS_RTU_TCP:
		return "rtu_tcp";
	case GW_BUS_DTU_SERVER:
		return "dtu_server";
	}
	return "unknown";
}

static void json_records(FILE *out, const struct gw_config *cfg, const struct gw_records *r)
{
	if (!cfg->households_path[0]) {
		fputs("null", out);
		return;
	}
	fprintf(out,
	        "{\"households\":%zu,\"plots\":%zu,\"area_mu\":{\"full\":%.2f,\"half\":%.2f,"
	        "\"none\":%.2f}}",
	        r->nhouseholds, r->nplots, gw_records_area_mu(r, GW_FILM_FULL),
	        gw_records_area_mu(r, GW_FILM_HALF), gw_records_area_mu(r, GW_FILM_NONE));
}

static void json_rule(FILE *out, const struct gw_config *cfg, const struct gw_film_rule *fr)
{
	fputs("{\"kind\":", out);
	gw_cli_json_str(out, gw_rule_kind_name(fr->kind));
	fputs(",\"sensors\":[", out);
	gw_cli_json_str(out, cfg->sensors[fr->sensor[0]].id);
	if (fr->kind != GW_RULE_SWITCH) {
		fputc(',', out);
		gw_cli_json_str(out, cfg->sensors[fr->sensor[1]].id);
	}
	fputs("],\"point\":", out);
	gw_cli_json_str(out, fr->point);
	if (fr->kind == GW_RULE_SWITCH)
		fprintf(out, ",\"covered_value\":%d", fr->covered_value);
	else
		fputs(",\"covered_value\":null", out);
	fprintf(out, ",\"implicit\":%s}", fr->implicit ? "true" : "false");
}

/* [{"plot":..,"rules":[...]}] for every plot with a sensor; no rule: "rules":[]. */
static void json_film(FILE *out, const struct gw_config *cfg)
{
	unsigned n = 0;

	fputc('[', out);
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const char *plot = cfg->sensors[i].plot;
		size_t j = 0, nrules = 0;

		while (j < i && strcmp(cfg->sensors[j].plot, plot) != 0)
			j++;
		if (!plot[0] || j < i)
			continue;
		fputs(n++ ? ",{\"plot\":" : "{\"plot\":", out);
		gw_cli_json_str(out, plot);
		fputs(",\"rules\":[", out);
		for (size_t r = 0; r < cfg->nfilm_rules; r++) {
			if (strcmp(cfg->film_rules[r].plot, plot) != 0)
				continue;
			if (nrules++)
				fputc(',', out);
			json_rule(out, cfg, &cfg->film_rules[r]);
		}
		fputs("]}", out);
	}
	fputc(']', out);
}

static void json_sensor(FILE *out, const struct gw_sensor_cfg *s)
{
	struct gw_plan plan;
	bool planned = gw_plan_build(s->profile, s->max_registers, s->max_gap, &plan) == 0;

	fputs("{\"id\":", out);
	gw_cli_json_str(out, s->id);
	fprintf(out, ",\"unit\":%d,\"profile\":", s->unit);
	gw_cli_json_str(out, s->profile->name);
	fputs(",\"plot\":", out);
	gw_cli_json_str(out, s->plot[0] ? s->plot : NULL);
	fprintf(out, ",\"interval_s\":%u,\"blocks\":[", s->interval_s);
	for (size_t k = 0; planned && k < plan.nblocks; k++)
		fprintf(out, "%s{\"kind\":\"%s\",\"addr\":%u,\"count\":%u}", k ? "," : "",
		        gw_regkind_name(plan.blocks[k].kind), plan.blocks[k].addr,
		        plan.blocks[k].count);
	fputs("]}", out);
}

static void json_bus(FILE *out, const struct gw_config *cfg, size_t bi, const struct gw_busload *bl)
{
	const struct gw_bus_cfg *bus = &cfg->buses[bi];
	bool line = bus->type != GW_BUS_TCP;

	fputs("{\"name\":", out);
	gw_cli_json_str(out, bus->name);
	fprintf(out,
	        ",\"type\":\"%s\",\"sensors\":%u,\"requests_per_cycle\":%u,"
	        "\"bytes_per_cycle\":%u,\"requests_per_s\":%.3f,\"bytes_per_s\":%.1f",
	        bus_type_name(bus->type), bl->sensors, bl->requests_per_cycle, bl->bytes_per_cycle,
	        bl->requests_per_s, bl->bytes_per_s);
	if (line)
		fprintf(out, ",\"baud\":%u,\"cycle_ms\":%.1f,\"load\":%.4f", bus->baud,
		        bl->cycle_ms, bl->load);
	else
		fputs(",\"baud\":null,\"cycle_ms\":null,\"load\":null", out);
	fputs(",\"plan\":[", out);
	for (size_t i = 0, n = 0; i < cfg->nsensors; i++)
		if (cfg->sensors[i].bus == bi) {
			if (n++)
				fputc(',', out);
			json_sensor(out, &cfg->sensors[i]);
		}
	fputs("]}", out);
}

void gw_cli_check_json(const char *path, const struct gw_config *cfg, const struct gw_records *recs,
                       const struct gw_busload *loads, const bool *load_ok, const struct gw_diag *d,
                       struct gw_cli_json_diags *diags)
{
	FILE *out = stdout;

	fputs("{\"config\":", out);
	gw_cli_json_str(out, path);
	fprintf(out, ",\"ok\":%s,\"errors\":%d,\"warnings\":%d,\"diagnostics\":",
	        cfg && d->nerrors == 0 ? "true" : "false", d->nerrors, d->nwarnings);
	gw_cli_json_diags_flush(diags, out);
	if (!cfg) {
		fputs(",\"counts\":null,\"records\":null,\"film\":null,\"buses\":null}\n", out);
		fflush(out);
		return;
	}
	fprintf(out, ",\"counts\":{\"buses\":%zu,\"sensors\":%zu,\"profiles\":%zu}", cfg->nbuses,
	        cfg->nsensors, cfg->nprofiles);
	fputs(",\"records\":", out);
	json_records(out, cfg, recs);
	fputs(",\"film\":", out);
	json_film(out, cfg);
	fputs(",\"buses\":[", out);
	for (size_t bi = 0, n = 0; bi < cfg->nbuses; bi++) {
		if (!load_ok[bi])
			continue;
		if (n++)
			fputc(',', out);
		json_bus(out, cfg, bi, &loads[bi]);
	}
	fputs("]}\n", out);
	fflush(out);
}
