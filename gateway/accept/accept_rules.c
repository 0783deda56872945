/* The rules in force as a canonical text (accept_rules.h) and back: one table of the
 * acceptance thresholds serves both directions, so a threshold added to the config and
 * the table is recorded and read back alike. */
#include "accept_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept_acc.h"
#include "array.h"

#define HEADER    "fieldgate-rules 1"
#define MAX_SENS  512
#define MAX_RULES 512

enum ftype { F_INT, F_UINT, F_DBL };

static const struct field {
	const char *name;
	enum ftype type;
	size_t off;
} fields[] = {
#define F(n, t)                                                                                    \
	{                                                                                          \
#n, t, offsetof(struct gw_accept_cfg, n)                                           \
	}
        F(window_start, F_INT),
        F(window_end, F_INT),
        F(laying_deadline, F_INT),
        F(year, F_INT),
        F(min_availability, F_DBL),
        F(min_covered_days, F_UINT),
        F(pass_min_covered_share, F_DBL),
        F(pass_max_not_covered, F_DBL),
        F(fail_min_not_covered, F_DBL),
        F(hour_start, F_UINT),
        F(hour_end, F_UINT),
        F(min_day_fraction, F_DBL),
        F(covered_delta_c, F_DBL),
        F(not_covered_delta_c, F_DBL),
        F(light_covered_max, F_DBL),
        F(light_not_covered_min, F_DBL),
        F(min_reference_lux, F_DBL),
        F(switch_covered_fraction, F_DBL),
        F(switch_not_covered_fraction, F_DBL),
#undef F
};

#define NFIELDS (GW_ARRAY_LEN(fields))

static const char *placement_name(enum gw_placement p)
{
	return p == GW_PLACE_UNDER_FILM ? "under_film" : p == GW_PLACE_BARE ? "bare" : "none";
}

static void put_accept(FILE *f, const struct gw_accept_cfg *ac)
{
	const char *base = (const char *)ac;

	fputs("acceptance", f);
	for (size_t i = 0; i < NFIELDS; i++) {
		const void *p = base + fields[i].off;

		if (fields[i].type == F_INT)
			fprintf(f, " %s=%d", fields[i].name, *(const int *)p);
		else if (fields[i].type == F_UINT)
			fprintf(f, " %s=%u", fields[i].name, *(const unsigned *)p);
		else
			fprintf(f, " %s=%.17g", fields[i].name, *(const double *)p);
	}
	fputc('\n', f);
}

char *gw_accept_rules_text(const struct gw_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, HEADER "\ntimezone %s\n", cfg->timezone);
	put_accept(f, &cfg->accept);
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];

		fprintf(f, "sensor %s interval_s=%u plot=%s placement=%s profile=%s\n", s->id,
		        s->interval_s, s->plot[0] ? s->plot : "-", placement_name(s->placement),
		        s->profile ? s->profile->name : "-");
	}
	for (size_t i = 0; i < cfg->nfilm_rules; i++) {
		const struct gw_film_rule *r = &cfg->film_rules[i];

		fprintf(f, "rule %s %s %s %s %s %d\n", r->plot, gw_rule_kind_name(r->kind),
		        cfg->sensors[r->sensor[0]].id,
		        r->kind == GW_RULE_SWITCH ? "-" : cfg->sensors[r->sensor[1]].id, r->point,
		        r->covered_value);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* What a text declares, pointing into its (modified) copy. */
struct parsed {
	struct gw_accept_cfg ac;
	char *zone;
	char *sens[MAX_SENS];
	unsigned iv[MAX_SENS];
	size_t nsens;
	char *rule[MAX_RULES][6]; /* plot kind s0 s1 point covered */
	size_t nrules;
	bool has_accept;
};

static int parse_accept(char *line, struct parsed *p)
{
	char *save = NULL, *tok;
	char *base = (char *)&p->ac;

	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *end;
		size_t i;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		for (i = 0; i < NFIELDS && strcmp(fields[i].name, tok) != 0; i++)
			;
		if (i == NFIELDS)
			continue; /* a threshold this build does not know */
		errno = 0;
		if (fields[i].type == F_DBL)
			*(double *)(void *)(base + fields[i].off) = strtod(eq + 1, &end);
		else if (fields[i].type == F_INT)
			*(int *)(void *)(base + fields[i].off) = (int)strtol(eq + 1, &end, 10);
		else
			*(unsigned *)(void *)(base + fields[i].off) =
			        (unsigned)strtoul(eq + 1, &end, 10);
		if (errno || *end || end == eq + 1)
			return -EINVAL;
	}
	p->has_accept = true;
	return 0;
}

static int parse_line(char *line, struct parsed *p)
{
	char *save = NULL, *w[8];
	size_t n = 0;

	if (strncmp(line, "acceptance ", 11) == 0)
		return parse_accept(line + 11, p);
	for (char *t = strtok_r(line, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n == 2 && strcmp(w[0], "timezone") == 0) {
		p->zone = w[1];
	} else if (n >= 3 && strcmp(w[0], "sensor") == 0 && p->nsens < MAX_SENS &&
	           strncmp(w[2], "interval_s=", 11) == 0) {
		p->sens[p->nsens] = w[1];
		p->iv[p->nsens++] = (unsigned)strtoul(w[2] + 11, NULL, 10);
	} else if (n == 7 && strcmp(w[0], "rule") == 0 && p->nrules < MAX_RULES) {
		memcpy(p->rule[p->nrules++], &w[1], sizeof(p->rule[0]));
	} else if (n > 0 && strcmp(w[0], "sensor") != 0 && strcmp(w[0], "rule") != 0) {
		return 0; /* an item this build does not know */
	} else {
		return -EINVAL;
	}
	return 0;
}

static unsigned interval_of(const struct parsed *p, const char *id)
{
	for (size_t i = 0; i < p->nsens; i++)
		if (strcmp(p->sens[i], id) == 0)
			return p->iv[i];
	return 0;
}

static int declare(struct gw_acc *a, const char *gateway, const struct parsed *p, int32_t from)
{
	int rc = gw_acc_begin_set(a, from, &p->ac);

	for (size_t i = 0; rc == 0 && i < p->nrules; i++) {
		char *const *r = p->rule[i];
		struct gw_acc_rule ar = {.gateway = gateway, .plot = r[0], .point = r[4]};
		bool sw = strcmp(r[1], "switch") == 0;

		ar.kind = sw                                 ? GW_RULE_SWITCH
		          : strcmp(r[1], "light_ratio") == 0 ? GW_RULE_LIGHT_RATIO
		                                             : GW_RULE_TEMPERATURE_PAIR;
		ar.sensor[0] = r[2];
		ar.sensor[1] = sw ? NULL : r[3];
		ar.interval_s[0] = interval_of(p, r[2]);
		ar.interval_s[1] = sw ? 0 : interval_of(p, r[3]);
		ar.covered_value = atoi(r[5]);
		rc = gw_acc_add_rule(a, &ar);
	}
	return rc;
}

int gw_accept_rules_declare(struct gw_acc *a, const char *gateway, const struct gw_accept_cfg *base,
                            const char *text, size_t len, int32_t from, char *zone, size_t zone_len)
{
	struct parsed *p = calloc(1, sizeof(*p));
	char *copy = malloc(len + 1), *save = NULL, *line;
	int rc = p && copy ? 0 : -ENOMEM;

	if (rc == 0) {
		p->ac = *base;
		memcpy(copy, text, len);
		copy[len] = '\0';
		line = strtok_r(copy, "\n", &save);
		rc = line && strcmp(line, HEADER) == 0 ? 0 : -EINVAL;
		while (rc == 0 && (line = strtok_r(NULL, "\n", &save)) != NULL)
			rc = parse_line(line, p);
		if (rc == 0 && !p->has_accept)
			rc = -EINVAL;
	}
	if (rc == 0 && zone)
		snprintf(zone, zone_len, "%s", p->zone ? p->zone : "");
	if (rc == 0)
		rc = declare(a, gateway, p, from);
	free(copy);
	free(p);
	return rc;
}
