/* The film_rules sequence of gateway.yaml: each rule names its plot, its kind and the
 * sensors that play its roles; every sensor must exist, sit on that plot and be of the
 * right kind (its profile has the point, the point measures what the rule compares, its
 * placement fits the role). A plot with sensors but no rule gets the implicit
 * temperature_pair of its first under-film and first bare temperature probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "config_load.h"

#define REQ GW_CK_REQUIRED

static const struct gw_cenum rule_kinds[] = {{"temperature_pair", GW_RULE_TEMPERATURE_PAIR, false},
                                             {"light_ratio", GW_RULE_LIGHT_RATIO, false},
                                             {"switch", GW_RULE_SWITCH, false},
                                             {NULL, 0, false}};

struct rule_tmp {
	struct gw_film_rule r;
	char names[4][GW_ID_LEN]; /* under, bare, reference, sensor: as written */
	const struct gw_ypair *seen[8];
};

#define R_STR(k, f, kind, fl) GW_KEY_STR(struct rule_tmp, k, f, kind, fl, NULL, NULL)

static const struct gw_ckey rule_keys[] = {
        R_STR("plot", r.plot, GW_CK_STR, REQ),
        GW_KEY_ENUM(struct rule_tmp, "rule", r.kind, REQ, rule_kinds, GW_RULE_TEMPERATURE_PAIR),
        R_STR("under", names[0], GW_CK_ID, 0),
        R_STR("bare", names[1], GW_CK_ID, 0),
        R_STR("reference", names[2], GW_CK_ID, 0),
        R_STR("sensor", names[3], GW_CK_ID, 0),
        R_STR("point", r.point, GW_CK_ID, 0),
        GW_KEY_INT(struct rule_tmp, "covered_value", r.covered_value, 0, 0, 1, 1),
};

_Static_assert(GW_ARRAY_LEN(rule_keys) <= GW_ARRAY_LEN(((struct rule_tmp *)0)->seen),
               "seen[] too small");

/* The sensor keys of each kind: names[] index, role, slot in gw_film_rule.sensor. */
struct role_key {
	size_t name;
	enum gw_rule_role role;
	size_t slot;
};

static const struct role_key kind_roles[3][2] = {
        [GW_RULE_TEMPERATURE_PAIR] = {{0, GW_ROLE_UNDER, 0}, {1, GW_ROLE_BARE, 1}},
        [GW_RULE_LIGHT_RATIO] = {{0, GW_ROLE_UNDER, 0}, {2, GW_ROLE_REFERENCE, 1}},
        [GW_RULE_SWITCH] = {{3, GW_ROLE_SWITCH, 0}, {3, GW_ROLE_SWITCH, 0}},
};

static const char *const name_keys[4] = {"under", "bare", "reference", "sensor"};
static const char *const default_points[3] = {"temperature_c", "lux", "input1"};

const char *gw_rule_kind_name(enum gw_rule_kind k)
{
	return k <= GW_RULE_SWITCH ? rule_kinds[k].name : "?";
}

const char *gw_rule_role_name(enum gw_rule_role r)
{
	static const char *const names[] = {"under", "bare", "reference", "switch"};

	return r <= GW_ROLE_SWITCH ? names[r] : "?";
}

static const struct gw_ynode *rule_val(const struct rule_tmp *t, const char *key)
{
	const struct gw_ypair *p =
	        t->seen[gw_ctable_index(rule_keys, GW_ARRAY_LEN(rule_keys), key)];

	return p ? p->val : NULL;
}

/* Borrows: the point of s's profile named name, or NULL. */
static const struct gw_point *sensor_point(const struct gw_sensor_cfg *s, const char *name)
{
	if (!s->profile)
		return NULL;
	for (size_t k = 0; k < s->profile->npoints; k++)
		if (strcmp(s->profile->points[k].name, name) == 0)
			return &s->profile->points[k];
	return NULL;
}

/* Why point pt cannot serve rule kind k, or NULL when it can. */
static const char *point_problem(enum gw_rule_kind k, const struct gw_point *pt)
{
	switch (k) {
	case GW_RULE_TEMPERATURE_PAIR:
		return strcmp(pt->unit, "degC") ? "is not a temperature (want unit degC)" : NULL;
	case GW_RULE_LIGHT_RATIO:
		return strcmp(pt->unit, "lx") ? "is not an illuminance (want unit lx)" : NULL;
	default:
		return gw_regkind_is_bit(pt->kind)
		               ? NULL
		               : "is not a digital input (want a coil or discrete)";
	}
}

/* Why s cannot play role in a rule on plot with point, or NULL when it can. */
static const char *sensor_problem(const struct gw_sensor_cfg *s, const struct gw_film_rule *r,
                                  enum gw_rule_role role, char *buf, size_t len)
{
	const struct gw_point *pt = sensor_point(s, r->point);
	const char *why;

	if (strcmp(s->plot, r->plot) != 0) {
		snprintf(buf, len, "sensor \"%s\" is on %s%s, not on plot %s", s->id,
		         s->plot[0] ? "plot " : "no plot", s->plot, r->plot);
		return buf;
	}
	if (!s->profile)
		return NULL; /* its profile error is reported already */
	if (!pt) {
		snprintf(buf, len,
		         "sensor \"%s\" (profile %s) has no point \"%s\" (wrong kind for %s)",
		         s->id, s->profile->name, r->point, gw_rule_kind_name(r->kind));
		return buf;
	}
	why = point_problem(r->kind, pt);
	if (why) {
		snprintf(buf, len, "point \"%s\" of sensor \"%s\" (profile %s) %s", r->point, s->id,
		         s->profile->name, why);
		return buf;
	}
	if ((role == GW_ROLE_UNDER && s->placement == GW_PLACE_BARE) ||
	    ((role == GW_ROLE_BARE || role == GW_ROLE_REFERENCE) &&
	     s->placement == GW_PLACE_UNDER_FILM)) {
		snprintf(buf, len, "sensor \"%s\" is placed %s (wrong place for %s)", s->id,
		         s->placement == GW_PLACE_BARE ? "bare" : "under_film",
		         gw_rule_role_name(role));
		return buf;
	}
	return NULL;
}

static size_t find_sensor(const struct gw_config *cfg, const char *id)
{
	size_t i = 0;

	while (i < cfg->nsensors && strcmp(cfg->sensors[i].id, id) != 0)
		i++;
	return i;
}

/* Resolves the sensor of role key rk; returns the number of errors reported. */
static int rule_sensor(struct gw_cload *l, struct rule_tmp *t, const struct role_key *rk,
                       const char *path)
{
	const struct gw_ynode *v = rule_val(t, name_keys[rk->name]);
	size_t i = find_sensor(l->cfg, t->names[rk->name]);
	char why[320];
	const char *problem;

	if (!v)
		return 0;
	if (i == l->cfg->nsensors) {
		gw_diag_error_at(l->c.d, &v->src, "%s.%s: no such sensor (got \"%s\")", path,
		                 name_keys[rk->name], t->names[rk->name]);
		return 1;
	}
	t->r.sensor[rk->slot] = i;
	problem = sensor_problem(&l->cfg->sensors[i], &t->r, rk->role, why, sizeof(why));
	if (!problem)
		return 0;
	gw_diag_error_at(l->c.d, &v->src, "%s.%s: %s", path, name_keys[rk->name], problem);
	return 1;
}

/* The sensor keys the rule's kind needs are there, the others are not. */
static int rule_keys_fit(struct gw_cload *l, struct rule_tmp *t, const struct gw_ynode *map,
                         const char *path)
{
	const struct role_key *rk = kind_roles[t->r.kind];
	int errors = 0;

	for (size_t k = 0; k < GW_ARRAY_LEN(name_keys); k++) {
		const struct gw_ynode *v = gw_yaml_get(map, name_keys[k]);
		bool wanted = rk[0].name == k || rk[1].name == k;

		if (wanted && gw_yaml_is_null(v))
			gw_diag_error_at(l->c.d, &map->src, "%s.%s: required for %s rules", path,
			                 name_keys[k], gw_rule_kind_name(t->r.kind));
		else if (!wanted && v)
			gw_diag_error_at(l->c.d, &v->src, "%s.%s: not a key of %s rules", path,
			                 name_keys[k], gw_rule_kind_name(t->r.kind));
		else
			continue;
		errors++;
	}
	if (t->r.kind != GW_RULE_SWITCH && gw_yaml_get(map, "covered_value")) {
		gw_diag_error_at(l->c.d, &gw_yaml_get(map, "covered_value")->src,
		                 "%s.covered_value: only for switch rules", path);
		errors++;
	}
	return errors;
}

static int load_rule(struct gw_cload *l, struct rule_tmp *t, const struct gw_ynode *map, size_t i)
{
	char path[GW_KEYPATH_LEN];
	int errors;

	gw_ctable_path(path, "film_rules", NULL, i);
	if (!gw_ctable_expect(&l->c, path, map, GW_Y_MAP, "a mapping"))
		return 1;
	t->r.src = map->src;
	t->r.src.file = l->cfg->path;
	errors = gw_ctable_fill(&l->c, path, map, rule_keys, GW_ARRAY_LEN(rule_keys), t, t->seen);
	if (!rule_val(t, "rule"))
		return errors; /* the kind is unknown: which keys it needs is too */
	if (!t->r.point[0])
		snprintf(t->r.point, sizeof(t->r.point), "%s", default_points[t->r.kind]);
	errors += rule_keys_fit(l, t, map, path);
	if (errors || !rule_val(t, "plot"))
		return errors;
	errors += rule_sensor(l, t, &kind_roles[t->r.kind][0], path);
	if (t->r.kind != GW_RULE_SWITCH)
		errors += rule_sensor(l, t, &kind_roles[t->r.kind][1], path);
	if (!errors && t->r.kind != GW_RULE_SWITCH && t->r.sensor[0] == t->r.sensor[1]) {
		gw_diag_error_at(l->c.d,
		                 &rule_val(t, name_keys[kind_roles[t->r.kind][1].name])->src,
		                 "%s.%s: the same sensor as under (want a second probe)", path,
		                 name_keys[kind_roles[t->r.kind][1].name]);
		errors++;
	}
	return errors;
}

static int rules_alloc(struct gw_config *cfg, size_t nexplicit)
{
	/* room for the explicit rules and an implicit one per sensor's plot at most */
	cfg->film_rules = calloc(nexplicit + cfg->nsensors + 1, sizeof(*cfg->film_rules));
	return cfg->film_rules ? 0 : -ENOMEM;
}

int gw_config_load_film_rules(struct gw_cload *l, const struct gw_ynode *seq)
{
	struct gw_config *cfg = l->cfg;
	struct rule_tmp *t;
	int errors = 0;

	if (gw_yaml_is_null(seq))
		return 0;
	if (!gw_ctable_expect(&l->c, "film_rules", seq, GW_Y_SEQ, "a sequence"))
		return 1;
	if (rules_alloc(cfg, seq->n))
		return -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n; i++) {
		int e;

		memset(t, 0, sizeof(*t));
		e = load_rule(l, t, seq->items[i], i);
		if (e == 0)
			cfg->film_rules[cfg->nfilm_rules++] = t->r;
		errors += e;
	}
	free(t);
	return errors;
}

/* The first sensor on plot placed at place with a temperature point, or nsensors. */
static size_t probe_of(const struct gw_config *cfg, const char *plot, enum gw_placement place)
{
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];
		const struct gw_point *pt = sensor_point(s, default_points[0]);

		if (s->placement == place && strcmp(s->plot, plot) == 0 && pt &&
		    strcmp(pt->unit, "degC") == 0)
			return i;
	}
	return cfg->nsensors;
}

static bool plot_has_rule(const struct gw_config *cfg, const char *plot)
{
	for (size_t r = 0; r < cfg->nfilm_rules; r++)
		if (strcmp(cfg->film_rules[r].plot, plot) == 0)
			return true;
	return false;
}

int gw_config_film_implicit(struct gw_cload *l)
{
	struct gw_config *cfg = l->cfg;

	if (!cfg->film_rules && rules_alloc(cfg, 0))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];
		struct gw_film_rule *r = &cfg->film_rules[cfg->nfilm_rules];
		size_t under = probe_of(cfg, s->plot, GW_PLACE_UNDER_FILM);
		size_t bare = probe_of(cfg, s->plot, GW_PLACE_BARE);

		if (!s->plot[0] || under != i || bare == cfg->nsensors ||
		    plot_has_rule(cfg, s->plot))
			continue;
		memset(r, 0, sizeof(*r));
		snprintf(r->plot, sizeof(r->plot), "%s", s->plot);
		r->kind = GW_RULE_TEMPERATURE_PAIR;
		r->sensor[0] = under;
		r->sensor[1] = bare;
		snprintf(r->point, sizeof(r->point), "%s", default_points[0]);
		r->implicit = true;
		r->src = s->src;
		cfg->nfilm_rules++;
	}
	return 0;
}

/* The index of rule r among the rules of its plot. */
static size_t rule_no(const struct gw_config *cfg, size_t r)
{
	size_t n = 0;

	for (size_t k = 0; k < r; k++)
		n += strcmp(cfg->film_rules[k].plot, cfg->film_rules[r].plot) == 0;
	return n;
}

int gw_film_role_tag(const struct gw_config *cfg, size_t i, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t r = 0; r < cfg->nfilm_rules; r++) {
		const struct gw_film_rule *fr = &cfg->film_rules[r];
		size_t nslots = fr->kind == GW_RULE_SWITCH ? 1 : 2;

		for (size_t k = 0; k < nslots; k++) {
			enum gw_rule_role role = kind_roles[fr->kind][k].role;
			int n;

			if (fr->sensor[k] != i)
				continue;
			n = snprintf(buf + pos, len - pos, "%s%zu:%s:%s:%s", pos ? "+" : "",
			             rule_no(cfg, r), gw_rule_kind_name(fr->kind),
			             gw_rule_role_name(role), fr->point);
			if (n >= 0 && fr->kind == GW_RULE_SWITCH && (size_t)n < len - pos)
				n += snprintf(buf + pos + (size_t)n, len - pos - (size_t)n, ":%d",
				              fr->covered_value);
			if (n < 0 || (size_t)n >= len - pos) {
				buf[0] = '\0';
				return -ENOSPC;
			}
			pos += (size_t)n;
		}
	}
	return (int)pos;
}
