/* Loads a sensor profile (drivers/profiles/NAME.yaml) into struct gw_profile
 * by walking the YAML tree with one declarative key table per section.
 * Every problem is reported as FILE:LINE:COL with the key's path; unknown keys
 * are errors. Knows nothing of buses or sensors: config.c binds those. */
#include "profile.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "decode.h"
#include "num.h"
#include "yaml.h"

#ifndef GW_PROFILES_DIR
#define GW_PROFILES_DIR "/usr/share/fieldgate/profiles"
#endif

#define PATH_MAX_LEN    160
#define DEFAULT_MAX_GAP 4

enum fkind { F_INT, F_NUM, F_STR, F_BOOL, F_FN };

typedef void (*field_fn)(struct gw_diag *d, const char *path, const struct gw_ynode *n,
                         void *target);

struct field {
	const char *key;
	enum fkind kind;
	bool required;
	long min, max; /* F_INT */
	size_t off;    /* into the target struct */
	size_t size;   /* F_INT: 1, 2 or 4 bytes; F_STR: buffer size */
	field_fn fn;   /* F_FN */
};

/* clang-format off */
#define NFIELDS(t)  (GW_ARRAY_LEN(t))
#define MSIZE(T, m) sizeof(((T *)0)->m)
#define FINT(k, req, lo, hi, T, m) {k, F_INT, req, lo, hi, offsetof(T, m), MSIZE(T, m), NULL}
#define FNUM(k, T, m)              {k, F_NUM, false, 0, 0, offsetof(T, m), 0, NULL}
#define FSTR(k, req, T, m)         {k, F_STR, req, 0, 0, offsetof(T, m), MSIZE(T, m), NULL}
#define FBOOL(k, T, m)             {k, F_BOOL, false, 0, 0, offsetof(T, m), 0, NULL}
#define FFN(k, req, fn)            {k, F_FN, req, 0, 0, 0, 0, fn}
/* clang-format on */

static const uint32_t std_bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
static const char *const vtype_want = "int16 uint16 int32 uint32 float32 bit";

static void join_path(char *buf, size_t len, const char *path, const char *key)
{
	int n = *path ? snprintf(buf, len, "%s.%s", path, key) : snprintf(buf, len, "%s", key);

	if (n < 0 || (size_t)n >= len)
		snprintf(buf, len, "%s", key);
}

static bool want_type(struct gw_diag *d, const char *path, const struct gw_ynode *n,
                      enum gw_ytype t)
{
	static const char *const names[] = {"a scalar", "a mapping", "a sequence"};

	if (n->type == t)
		return true;
	gw_diag_error_at(d, &n->src, "%s: expected %s (got %s)", path, names[t],
	                 gw_yaml_type_name(n));
	return false;
}

static bool get_long(struct gw_diag *d, const char *path, const struct gw_ynode *n, long min,
                     long max, long *out)
{
	int rc;

	if (!want_type(d, path, n, GW_Y_SCALAR))
		return false;
	rc = gw_num_long(n->str, min, max, out);
	if (rc == -ERANGE)
		gw_diag_error_at(d, &n->src, "%s: out of range (got %s, want %ld..%ld)", path,
		                 n->str, min, max);
	else if (rc)
		gw_diag_error_at(d, &n->src, "%s: not an integer (got \"%s\")", path, n->str);
	return rc == 0;
}

static bool get_double(struct gw_diag *d, const char *path, const struct gw_ynode *n, double *out)
{
	int rc;

	if (!want_type(d, path, n, GW_Y_SCALAR))
		return false;
	rc = gw_num_double(n->str, -1e12, 1e12, out);
	if (rc)
		gw_diag_error_at(d, &n->src, "%s: not a finite number (got \"%s\")", path, n->str);
	return rc == 0;
}

/* Reports an unknown enum word as: unknown "x" (want a b c). */
static void bad_word(struct gw_diag *d, const char *path, const struct gw_ynode *n,
                     const char *want)
{
	gw_diag_error_at(d, &n->src, "%s: unknown \"%s\" (want %s)", path, n->str, want);
}

static void set_field(struct gw_diag *d, const char *path, const struct field *f,
                      const struct gw_ynode *n, void *target)
{
	char *dst = (char *)target + f->off;
	long v;

	switch (f->kind) {
	case F_INT:
		if (!get_long(d, path, n, f->min, f->max, &v))
			return;
		if (f->size == 1)
			*(uint8_t *)dst = (uint8_t)v;
		else if (f->size == 2)
			*(uint16_t *)dst = (uint16_t)v;
		else
			*(int32_t *)dst = (int32_t)v;
		return;
	case F_NUM:
		get_double(d, path, n, (double *)dst);
		return;
	case F_STR:
		if (!want_type(d, path, n, GW_Y_SCALAR))
			return;
		if (strlen(n->str) >= f->size)
			gw_diag_error_at(d, &n->src, "%s: too long (got %zu bytes, want < %zu)",
			                 path, strlen(n->str), f->size);
		else
			memcpy(dst, n->str, strlen(n->str) + 1);
		return;
	case F_BOOL:
		if (!want_type(d, path, n, GW_Y_SCALAR))
			return;
		if (strcmp(n->str, "true") && strcmp(n->str, "false"))
			bad_word(d, path, n, "true false");
		*(bool *)dst = strcmp(n->str, "true") == 0;
		return;
	case F_FN:
		f->fn(d, path, n, target);
		return;
	}
}

/* Applies the table to map; returns a bit mask of the fields present. */
static uint32_t walk(struct gw_diag *d, const char *path, const struct gw_ynode *map,
                     const struct field *fields, size_t nfields, void *target)
{
	char kpath[PATH_MAX_LEN], want[256] = "";
	uint32_t seen = 0;

	if (!want_type(d, *path ? path : "profile", map, GW_Y_MAP))
		return 0;
	for (size_t i = 0; i < nfields; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? " " : "",
		         fields[i].key);
	for (size_t i = 0; i < map->n; i++) {
		const struct gw_ynode *k = map->pairs[i].key;
		size_t f = 0;

		while (f < nfields && strcmp(fields[f].key, k->str))
			f++;
		join_path(kpath, sizeof(kpath), path, k->str);
		if (f == nfields) {
			gw_diag_error_at(d, &k->src, "%s: unknown key (want %s)", kpath, want);
			continue;
		}
		seen |= 1u << f;
		set_field(d, kpath, &fields[f], map->pairs[i].val, target);
	}
	for (size_t f = 0; f < nfields; f++)
		if (fields[f].required && !(seen & (1u << f)))
			gw_diag_error_at(d, &map->src, "%s%smissing key \"%s\"", path,
			                 *path ? ": " : "", fields[f].key);
	return seen;
}

static void fn_function(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	if (want_type(d, path, n, GW_Y_SCALAR) &&
	    gw_regkind_parse(n->str, &((struct gw_point *)t)->kind))
		bad_word(d, path, n, "holding input coil discrete");
}

static void fn_type(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	if (want_type(d, path, n, GW_Y_SCALAR) &&
	    gw_vtype_parse(n->str, &((struct gw_point *)t)->type))
		bad_word(d, path, n, vtype_want);
}

static void fn_order(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	if (want_type(d, path, n, GW_Y_SCALAR) &&
	    gw_order_parse(n->str, &((struct gw_point *)t)->order))
		bad_word(d, path, n, "abcd cdab badc dcba");
}

static void fn_range(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	struct gw_point *p = t;
	double lo, hi;

	if (!want_type(d, path, n, GW_Y_SEQ))
		return;
	if (n->n != 2) {
		gw_diag_error_at(d, &n->src, "%s: want [min, max] (got %zu items)", path, n->n);
		return;
	}
	if (!get_double(d, path, n->items[0], &lo) || !get_double(d, path, n->items[1], &hi))
		return;
	if (lo > hi) {
		gw_diag_error_at(d, &n->src, "%s: min %g is greater than max %g", path, lo, hi);
		return;
	}
	p->has_range = true;
	p->min = lo;
	p->max = hi;
}

enum { PF_FUNCTION, PF_ADDRESS, PF_TYPE, PF_ORDER, PF_BIT, PF_SCALE, PF_DECIMALS };

static const struct field point_fields[] = {
        [PF_FUNCTION] = FFN("function", true, fn_function),
        [PF_ADDRESS] = FINT("address", true, 0, 65535, struct gw_point, addr),
        [PF_TYPE] = FFN("type", false, fn_type),
        [PF_ORDER] = FFN("order", false, fn_order),
        [PF_BIT] = FINT("bit", false, 0, 15, struct gw_point, bit),
        [PF_SCALE] = FNUM("scale", struct gw_point, scale),
        [PF_DECIMALS] = FINT("decimals", false, 0, 6, struct gw_point, decimals),
        FNUM("offset", struct gw_point, offset),
        FSTR("unit", false, struct gw_point, unit),
        FFN("range", false, fn_range),
};

/* Reports a problem with map's key (at the key's value, or at map if absent). */
__attribute__((format(printf, 5, 6))) static void key_error(struct gw_diag *d,
                                                            const struct gw_ynode *map,
                                                            const char *path, const char *key,
                                                            const char *fmt, ...)
{
	const struct gw_ynode *v = gw_yaml_get(map, key);
	char kp[PATH_MAX_LEN], msg[256];
	va_list ap;

	join_path(kp, sizeof(kp), path, key);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gw_diag_error_at(d, v ? &v->src : &map->src, "%s: %s", v ? kp : path, msg);
}

static void check_point(struct gw_diag *d, const char *path, const struct gw_ynode *n,
                        struct gw_point *p, uint32_t seen)
{
	bool bitkind = gw_regkind_is_bit(p->kind);
	const char *kind = gw_regkind_name(p->kind), *type = gw_vtype_name(p->type);

	if (!(seen & (1u << PF_TYPE)) && !bitkind)
		key_error(d, n, path, "type", "missing key \"type\" (want %s)", vtype_want);
	else if (bitkind && !(seen & (1u << PF_TYPE)))
		p->type = GW_T_BIT;
	else if (bitkind && p->type != GW_T_BIT)
		key_error(d, n, path, "type", "%s is not allowed for function %s (want bit)", type,
		          kind);
	if ((seen & (1u << PF_BIT)) && (bitkind || p->type != GW_T_BIT))
		key_error(d, n, path, "bit", "only for type bit in a register (got %s %s)",
		          bitkind ? "function" : kind, bitkind ? kind : type);
	else if (!bitkind && p->type == GW_T_BIT && !(seen & (1u << PF_BIT)))
		key_error(d, n, path, "bit", "missing key \"bit\" (type bit wants 0..15)");
	if ((seen & (1u << PF_ORDER)) && p->type == GW_T_BIT)
		key_error(d, n, path, "order", "not allowed for type bit");
	if (gw_point_width(p) == 2 && p->addr == 65535)
		key_error(d, n, path, "address",
		          "a 32-bit value needs 2 registers (got 65535, "
		          "want 0..65534)");
	if (p->scale == 0.0)
		key_error(d, n, path, "scale", "must not be 0");
	if (!(seen & (1u << PF_DECIMALS)))
		p->decimals = gw_point_default_decimals(p);
}

static void fn_registers(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	struct gw_profile *prof = t;
	char kp[PATH_MAX_LEN];

	if (!want_type(d, path, n, GW_Y_MAP))
		return;
	if (n->n == 0 || n->n > GW_MAX_POINTS) {
		gw_diag_error_at(d, &n->src, "%s: want 1..%d points (got %zu)", path, GW_MAX_POINTS,
		                 n->n);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct gw_ynode *k = n->pairs[i].key, *v = n->pairs[i].val;
		struct gw_point *p = &prof->points[prof->npoints++];
		int before = d->nerrors;
		uint32_t seen;

		join_path(kp, sizeof(kp), path, k->str);
		if (!gw_point_name_is_valid(k->str)) {
			gw_diag_error_at(d, &k->src,
			                 "%s: bad point name (want [a-z][a-z0-9_]*, < %d bytes)",
			                 kp, GW_NAME_LEN);
			continue;
		}
		memcpy(p->name, k->str, strlen(k->str) + 1);
		seen = walk(d, kp, v, point_fields, NFIELDS(point_fields), p);
		if (v->type == GW_Y_MAP && d->nerrors == before)
			check_point(d, kp, v, p, seen);
	}
}

static bool get_baud(struct gw_diag *d, const char *path, const struct gw_ynode *n, uint32_t *out)
{
	long v;

	if (!get_long(d, path, n, 1200, 115200, &v))
		return false;
	for (size_t i = 0; i < NFIELDS(std_bauds); i++) {
		if (std_bauds[i] == (uint32_t)v) {
			*out = (uint32_t)v;
			return true;
		}
	}
	gw_diag_error_at(d, &n->src, "%s: not a standard rate (got %ld, want %s)", path, v,
	                 "1200 2400 4800 9600 19200 38400 57600 115200");
	return false;
}

static void fn_baud(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	get_baud(d, path, n, &((struct gw_serial_defaults *)t)->baud);
}

static void fn_parity(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	if (!want_type(d, path, n, GW_Y_SCALAR))
		return;
	if (strlen(n->str) != 1 || !strchr("NEO", n->str[0]))
		bad_word(d, path, n, "N E O");
	else
		((struct gw_serial_defaults *)t)->parity = n->str[0];
}

static const struct field serial_fields[] = {
        FFN("baud", true, fn_baud),
        FFN("parity", false, fn_parity),
        FINT("data_bits", false, 7, 8, struct gw_serial_defaults, data_bits),
        FINT("stop_bits", false, 1, 2, struct gw_serial_defaults, stop_bits),
};

static void fn_serial(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	walk(d, path, n, serial_fields, NFIELDS(serial_fields), &((struct gw_profile *)t)->serial);
}

static void fn_baud_codes(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	struct gw_addressing *a = t;
	char kp[PATH_MAX_LEN];
	long code;

	if (!want_type(d, path, n, GW_Y_MAP))
		return;
	if (n->n == 0 || n->n > GW_ARRAY_LEN(a->baud_code)) {
		gw_diag_error_at(d, &n->src, "%s: want 1..12 codes (got %zu)", path, n->n);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		join_path(kp, sizeof(kp), path, n->pairs[i].key->str);
		if (!get_long(d, kp, n->pairs[i].key, 0, 65535, &code) ||
		    !get_baud(d, kp, n->pairs[i].val, &a->baud_rate[a->nbaud]))
			continue;
		a->baud_code[a->nbaud++] = (uint16_t)code;
	}
}

enum { AF_UNKNOWN, AF_UNIT, AF_BAUD_REG, AF_BAUD_CODES };

static const struct field addressing_fields[] = {
        [AF_UNKNOWN] = FSTR("unknown", false, struct gw_addressing, note),
        [AF_UNIT] = FINT("unit_register", false, 0, 65535, struct gw_addressing, unit_reg),
        [AF_BAUD_REG] = FINT("baud_register", false, 0, 65535, struct gw_addressing, baud_reg),
        [AF_BAUD_CODES] = FFN("baud_codes", false, fn_baud_codes),
        FBOOL("power_cycle", struct gw_addressing, needs_power_cycle),
        FSTR("note", false, struct gw_addressing, note),
};

static void fn_addressing(struct gw_diag *d, const char *path, const struct gw_ynode *n, void *t)
{
	struct gw_addressing *a = &((struct gw_profile *)t)->addressing;
	uint32_t seen = walk(d, path, n, addressing_fields, NFIELDS(addressing_fields), a);

	if (n->type != GW_Y_MAP)
		return;
	for (size_t i = 0; (seen & (1u << AF_UNKNOWN)) && i < n->n; i++)
		if (strcmp(n->pairs[i].key->str, "unknown"))
			gw_diag_error_at(d, &n->pairs[i].key->src,
			                 "%s.%s: not allowed with \"unknown\"", path,
			                 n->pairs[i].key->str);
	if (seen & (1u << AF_UNKNOWN))
		return;
	a->known = true;
	a->has_baud = (seen & (1u << AF_BAUD_REG)) != 0;
	if (!(seen & (1u << AF_UNIT)))
		gw_diag_error_at(d, &n->src,
		                 "%s: missing key \"unit_register\" (or unknown: \"why\")", path);
	if (a->has_baud != ((seen & (1u << AF_BAUD_CODES)) != 0))
		gw_diag_error_at(d, &n->src,
		                 "%s: baud_register and baud_codes go together (got only %s)", path,
		                 a->has_baud ? "baud_register" : "baud_codes");
}

static const struct field top_fields[] = {
        FSTR("name", true, struct gw_profile, name),
        FSTR("description", false, struct gw_profile, description),
        FFN("serial", true, fn_serial),
        FINT("max_registers", false, 1, GW_MAX_REGS, struct gw_profile, max_registers),
        FINT("max_gap", false, 0, GW_MAX_REGS, struct gw_profile, max_gap),
        FFN("registers", true, fn_registers),
        FFN("addressing", true, fn_addressing),
};

static void profile_defaults(struct gw_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->serial = (struct gw_serial_defaults){9600, 'N', 8, 1};
	p->max_registers = GW_MAX_REGS;
	p->max_gap = DEFAULT_MAX_GAP;
	for (size_t i = 0; i < GW_MAX_POINTS; i++)
		p->points[i].scale = 1.0;
}

/* The name must be the file's base name, so `profile: NAME` finds it. */
static void check_name(struct gw_diag *d, const struct gw_ynode *root, const char *path,
                       const char *name)
{
	const struct gw_ynode *n = gw_yaml_get(root, "name");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);

	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	if (!n || n->type != GW_Y_SCALAR || !*name)
		return;
	if (strlen(name) != len || strncmp(name, base, len))
		gw_diag_error_at(d, &n->src,
		                 "name: \"%s\" differs from the file name (want \"%.*s\")", name,
		                 (int)len, base);
}

/* Profiles are copied around freely, so src.file points at a process-lifetime copy. */
static const char *intern_path(const char *path)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char *paths[256];
	const char *r = "(profile)";

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < NFIELDS(paths); i++) {
		if (!paths[i])
			paths[i] = strdup(path);
		if (paths[i] && strcmp(paths[i], path) == 0) {
			r = paths[i];
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return r;
}

static int load_doc(struct gw_ydoc *doc, struct gw_diag *d, struct gw_profile *out)
{
	int before = d->nerrors;
	struct gw_profile p;

	if (!doc->root) {
		gw_diag_error(d, doc->path, 0, 0,
		              "empty profile (want name, serial, registers, ...)");
		return -EINVAL;
	}
	profile_defaults(&p);
	walk(d, "", doc->root, top_fields, NFIELDS(top_fields), &p);
	check_name(d, doc->root, doc->path, p.name);
	if (d->nerrors != before)
		return -EINVAL;
	p.src = doc->root->src;
	p.src.file = intern_path(doc->path);
	*out = p;
	return 0;
}

/* Loads from a parsed document and frees it (takes doc; NULL: already reported). */
static int load_and_free(struct gw_ydoc *doc, struct gw_diag *d, struct gw_profile *out)
{
	int rc;

	if (!doc)
		return -EINVAL;
	rc = load_doc(doc, d, out);
	gw_yaml_free(doc);
	return rc;
}

int gw_profile_load_string(const char *path, const char *text, struct gw_diag *d,
                           struct gw_profile *out)
{
	return load_and_free(gw_yaml_load_string(path, text, d), d, out);
}

int gw_profile_load_file(const char *path, struct gw_diag *d, struct gw_profile *out)
{
	return load_and_free(gw_yaml_load(path, d), d, out);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The profile names in dir, sorted, as "a b c" (for a "no such profile" hint). */
static void list_names(const char *dir, char *buf, size_t len)
{
	DIR *dh = opendir(dir);
	char names[32][64];
	size_t n = 0, used = 0;
	struct dirent *e;

	while (dh && n < 32 && (e = readdir(dh)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 5 && l < 64 + 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
			snprintf(names[n++], 64, "%.*s", (int)(l - 5), e->d_name);
	}
	if (dh)
		closedir(dh);
	qsort(names, n, sizeof(names[0]), cmp_name);
	buf[0] = '\0';
	for (size_t i = 0; i < n && used + strlen(names[i]) + 2 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", names[i]);
}

int gw_profile_find(const char *dir, const char *name_or_path, struct gw_diag *d,
                    struct gw_profile *out)
{
	size_t len = strlen(name_or_path);
	char path[512], have[400];
	int n;

	if (!dir)
		dir = gw_profile_default_dir();
	if (strchr(name_or_path, '/') || (len > 5 && !strcmp(name_or_path + len - 5, ".yaml"))) {
		if (access(name_or_path, R_OK) == 0)
			return gw_profile_load_file(name_or_path, d, out);
		gw_diag_error(d, name_or_path, 0, 0, "cannot open profile: %s", strerror(errno));
		return -ENOENT;
	}
	n = snprintf(path, sizeof(path), "%s/%s.yaml", dir, name_or_path);
	if (n < 0 || (size_t)n >= sizeof(path) || len == 0) {
		gw_diag_error(d, dir, 0, 0, "bad profile name \"%s\"", name_or_path);
		return -EINVAL;
	}
	if (access(path, R_OK) == 0)
		return gw_profile_load_file(path, d, out);
	list_names(dir, have, sizeof(have));
	gw_diag_error(d, path, 0, 0, "no profile \"%s\" in %s (have: %s)", name_or_path, dir,
	              *have ? have : "none");
	return -ENOENT;
}

const struct gw_point *gw_profile_point(const struct gw_profile *prof, const char *name)
{
	for (size_t i = 0; i < prof->npoints; i++)
		if (strcmp(prof->points[i].name, name) == 0)
			return &prof->points[i];
	return NULL;
}

const char *gw_profile_default_dir(void)
{
	const char *env = getenv("FIELDGATE_PROFILES");

	return env && *env ? env : GW_PROFILES_DIR;
}
