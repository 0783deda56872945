/* The simulator's fault file: a YAML list of {sensor | bus+unit, kind, ...}
 * entries, checked like the config (unknown keys are errors, every error is
 * reported as FILE:LINE:COL). Parsing only: the sim resolves the names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "num.h"
#include "sim_int.h"

static const char *const kind_names[] = {
        [GW_SIM_F_SILENT] = "silent",
        [GW_SIM_F_EXCEPTION] = "exception",
        [GW_SIM_F_SLOW] = "slow",
        [GW_SIM_F_CRC] = "crc",
        [GW_SIM_F_OUT_OF_RANGE] = "out_of_range",
        [GW_SIM_F_DROP] = "drop",
};

#define NKINDS (GW_ARRAY_LEN(kind_names))

static int scalar(struct gw_diag *d, const struct gw_ynode *v, const char *key)
{
	if (v->type == GW_Y_SCALAR)
		return 0;
	gw_diag_error_at(d, &v->src, "faults: %s: want a scalar (got %s)", key,
	                 gw_yaml_type_name(v));
	return -EINVAL;
}

static int set_name(struct gw_diag *d, const struct gw_ynode *v, const char *key, char *out)
{
	int n;

	if (scalar(d, v, key))
		return -EINVAL;
	n = snprintf(out, GW_SIM_ID_LEN, "%s", v->str);
	if (n <= 0 || n >= GW_SIM_ID_LEN) {
		gw_diag_error_at(d, &v->src, "faults: %s: want 1..%d characters (got \"%s\")", key,
		                 GW_SIM_ID_LEN - 1, v->str);
		return -EINVAL;
	}
	return 0;
}

static int set_long(struct gw_diag *d, const struct gw_ynode *v, const char *key, long min,
                    long max, long *out)
{
	if (scalar(d, v, key))
		return -EINVAL;
	if (gw_num_long(v->str, min, max, out) == 0)
		return 0;
	gw_diag_error_at(d, &v->src, "faults: %s: out of range (got \"%s\", want %ld..%ld)", key,
	                 v->str, min, max);
	return -EINVAL;
}

static int set_kind(struct gw_diag *d, const struct gw_ynode *v, enum gw_sim_fault_kind *out)
{
	if (scalar(d, v, "kind"))
		return -EINVAL;
	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(v->str, kind_names[i]) == 0) {
			*out = (enum gw_sim_fault_kind)i;
			return 0;
		}
	}
	gw_diag_error_at(d, &v->src,
	                 "faults: kind: unknown \"%s\" (want silent exception slow crc "
	                 "out_of_range drop)",
	                 v->str);
	return -EINVAL;
}

/* One key of an entry; sets *seen bits: 1 kind, 2 code, 4 delay_ms, 8 sensor,
 * 16 bus, 32 unit (present, even if bad: an error is not reported twice). */
static int entry_key(struct gw_diag *d, const struct gw_ypair *kv, struct gw_sim_fault *f,
                     unsigned *seen)
{
	const char *k = kv->key->str;
	long n;

	if (strcmp(k, "sensor") == 0) {
		*seen |= 8;
		return set_name(d, kv->val, k, f->sensor);
	}
	if (strcmp(k, "bus") == 0) {
		*seen |= 16;
		return set_name(d, kv->val, k, f->bus);
	}
	if (strcmp(k, "unit") == 0) {
		*seen |= 32;
		if (set_long(d, kv->val, k, 1, 247, &n))
			return -EINVAL;
		f->unit = (int)n;
		return 0;
	}
	if (strcmp(k, "kind") == 0) {
		*seen |= 1;
		return set_kind(d, kv->val, &f->kind);
	}
	if (strcmp(k, "code") == 0) {
		*seen |= 2;
		if (set_long(d, kv->val, k, 1, 255, &n))
			return -EINVAL;
		f->code = (uint8_t)n;
		return 0;
	}
	if (strcmp(k, "delay_ms") == 0) {
		*seen |= 4;
		if (set_long(d, kv->val, k, 0, 600000, &n))
			return -EINVAL;
		f->delay_ms = (unsigned)n;
		return 0;
	}
	gw_diag_error_at(d, &kv->key->src,
	                 "faults: unknown key \"%s\" (want sensor bus unit kind code delay_ms)", k);
	return -EINVAL;
}

/* The cross-key rules of one entry. */
static int entry_check(struct gw_diag *d, const struct gw_ynode *e, const struct gw_sim_fault *f,
                       unsigned seen)
{
	int before = d->nerrors;

	if (!(seen & 1))
		gw_diag_error_at(d, &e->src, "faults: kind: missing");
	if ((seen & 8) && (seen & 48))
		gw_diag_error_at(d, &e->src, "faults: give sensor, or bus and unit, not both");
	else if (!(seen & 8) && (seen & 48) != 48)
		gw_diag_error_at(d, &e->src, "faults: want sensor, or bus and unit");
	if ((seen & 1) && f->kind == GW_SIM_F_EXCEPTION && !(seen & 2))
		gw_diag_error_at(d, &e->src, "faults: exception: code missing (want 1..255)");
	if ((seen & 1) && f->kind == GW_SIM_F_SLOW && !(seen & 4))
		gw_diag_error_at(d, &e->src, "faults: slow: delay_ms missing");
	if ((seen & 2) && (seen & 1) && f->kind != GW_SIM_F_EXCEPTION)
		gw_diag_error_at(d, &e->src, "faults: code: only for kind exception");
	if ((seen & 4) && (seen & 1) && f->kind != GW_SIM_F_SLOW)
		gw_diag_error_at(d, &e->src, "faults: delay_ms: only for kind slow");
	return d->nerrors > before ? -EINVAL : 0;
}

static int parse_entry(struct gw_diag *d, const struct gw_ynode *e, struct gw_sim_fault *f)
{
	unsigned seen = 0;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->src = e->src;
	if (e->type != GW_Y_MAP) {
		gw_diag_error_at(d, &e->src, "faults: entry: want a mapping (got %s)",
		                 gw_yaml_type_name(e));
		return -EINVAL;
	}
	for (size_t i = 0; i < e->n; i++)
		if (entry_key(d, &e->pairs[i], f, &seen))
			rc = -EINVAL;
	if (entry_check(d, e, f, seen))
		rc = -EINVAL;
	return rc;
}

static const struct gw_ynode *fault_list(const struct gw_ydoc *doc, struct gw_diag *d)
{
	const struct gw_ynode *root = doc->root, *list;
	struct gw_src top = {doc->path, 1, 1};

	if (!root || gw_yaml_is_null(root)) {
		gw_diag_error_at(d, &top, "faults: missing (want a list under \"faults:\")");
		return NULL;
	}
	if (root->type != GW_Y_MAP) {
		gw_diag_error_at(d, &root->src, "want a mapping with \"faults:\" (got %s)",
		                 gw_yaml_type_name(root));
		return NULL;
	}
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->pairs[i].key->str, "faults") != 0)
			gw_diag_error_at(d, &root->pairs[i].key->src,
			                 "unknown key \"%s\" (want faults)",
			                 root->pairs[i].key->str);
	list = gw_yaml_get(root, "faults");
	if (!list) {
		gw_diag_error_at(d, &root->src, "faults: missing");
		return NULL;
	}
	if (list->type != GW_Y_SEQ && !gw_yaml_is_null(list)) {
		gw_diag_error_at(d, &list->src, "faults: want a list (got %s)",
		                 gw_yaml_type_name(list));
		return NULL;
	}
	return list;
}

int gw_sim_faults_parse(const struct gw_ydoc *doc, struct gw_diag *d, struct gw_sim_fault **out,
                        size_t *n)
{
	const struct gw_ynode *list;
	int before = d->nerrors;
	size_t count;

	*out = NULL;
	*n = 0;
	list = fault_list(doc, d);
	if (!list || d->nerrors > before)
		return -EINVAL;
	count = list->type == GW_Y_SEQ ? list->n : 0;
	if (count == 0)
		return 0;
	*out = calloc(count, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		(*out)[i].bad = parse_entry(d, list->items[i], &(*out)[i]) != 0;
	*n = count;
	return d->nerrors > before ? -EINVAL : 0;
}

void gw_sim_faultset_add(struct gw_sim_faultset *set, const struct gw_sim_fault *f)
{
	switch (f->kind) {
	case GW_SIM_F_SILENT:
		set->silent = true;
		break;
	case GW_SIM_F_EXCEPTION:
		set->exception = f->code;
		break;
	case GW_SIM_F_SLOW:
		set->delay_ms = f->delay_ms;
		break;
	case GW_SIM_F_CRC:
		set->crc = true;
		break;
	case GW_SIM_F_OUT_OF_RANGE:
		set->out_of_range = true;
		break;
	case GW_SIM_F_DROP:
		set->drop = true;
		break;
	}
}

static struct gw_sim_slave *fault_target(struct gw_sim *sim, const struct gw_sim_fault *f,
                                         struct gw_diag *d)
{
	bool bus_seen = false;

	for (size_t i = 0; i < sim->nbuses; i++) {
		struct gw_sim_bus *b = &sim->buses[i];

		if (!f->sensor[0] && strcmp(b->cfg.name, f->bus) != 0)
			continue;
		bus_seen = true;
		for (size_t j = 0; j < b->nslaves; j++) {
			struct gw_sim_slave *s = &b->slaves[j];

			if (f->sensor[0] ? strcmp(s->sensor, f->sensor) == 0
			                 : s->config_unit == f->unit)
				return s;
		}
	}
	if (f->sensor[0])
		gw_diag_error_at(d, &f->src, "faults: sensor \"%s\" is not served", f->sensor);
	else if (!bus_seen)
		gw_diag_error_at(d, &f->src, "faults: bus \"%s\" is not served", f->bus);
	else
		gw_diag_error_at(d, &f->src, "faults: bus %s has no unit %d", f->bus, f->unit);
	return NULL;
}

int gw_sim_apply_faults(struct gw_sim *sim, const struct gw_ydoc *doc, struct gw_diag *d)
{
	struct gw_sim_fault *faults;
	struct gw_sim_slave **target;
	size_t n;
	int rc = gw_sim_faults_parse(doc, d, &faults, &n);

	if (rc == -ENOMEM)
		return rc;
	target = calloc(n ? n : 1, sizeof(*target));
	if (!target) {
		rc = -ENOMEM;
		goto out_faults;
	}
	/* names are checked on good entries too when others are bad: all errors at once */
	for (size_t i = 0; i < n; i++)
		if (!faults[i].bad && !(target[i] = fault_target(sim, &faults[i], d)))
			rc = -EINVAL;
	if (rc)
		goto out_target;
	for (size_t i = 0; i < sim->nbuses; i++)
		for (size_t j = 0; j < sim->buses[i].nslaves; j++)
			memset(&sim->buses[i].slaves[j].fault, 0, sizeof(struct gw_sim_faultset));
	for (size_t i = 0; i < n; i++)
		gw_sim_faultset_add(&target[i]->fault, &faults[i]);
	rc = (int)n;
out_target:
	free(target);
out_faults:
	free(faults);
	return rc;
}

int gw_sim_load_faults(struct gw_sim *sim, const char *path, struct gw_diag *d)
{
	struct gw_ydoc *doc = gw_yaml_load(path, d);
	int rc;

	if (!doc)
		return -EINVAL;
	rc = gw_sim_apply_faults(sim, doc, d);
	gw_yaml_free(doc);
	return rc;
}
