/* The buses and sensors sequences of gateway.yaml: one key table each, then
 * the checks that span items (unique names and ids, a sensor's bus exists,
 * (bus, unit) unique, rtu/tcp-only keys) and the profile of every sensor,
 * each distinct profile loaded once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "config_dtu.h"
#include "config_load.h"
#include "profile.h"

#define REQ GW_CK_REQUIRED
/* which bus types a key is for (none of these bits: every type) */
#define RTU_ONLY 0x100u
#define TCP_ONLY 0x200u
#define RTU_TCP  0x400u
#define DTU      0x800u
#define SERIAL   (RTU_ONLY | RTU_TCP | DTU)
#define TYPES    (RTU_ONLY | TCP_ONLY | RTU_TCP | DTU)

static const long bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 0};
static const struct gw_cenum bus_types[] = {{"rtu", GW_BUS_RTU, false},
                                            {"tcp", GW_BUS_TCP, false},
                                            {"rtu_tcp", GW_BUS_RTU_TCP, false},
                                            {"dtu_server", GW_BUS_DTU_SERVER, false},
                                            {NULL, 0, false}};
static const struct gw_cenum pkt_formats[] = {
        {"ascii", 0, false}, {"hex", 1, false}, {NULL, 0, false}};
static const struct gw_cenum reg_modes[] = {
        {"once", 0, false}, {"prefix", 1, false}, {NULL, 0, false}};
static const struct gw_cenum parities[] = {
        {"N", 'N', false},    {"E", 'E', false},   {"O", 'O', false}, {"none", 'N', false},
        {"even", 'E', false}, {"odd", 'O', false}, {NULL, 0, false}};
static const struct gw_cenum rts_modes[] = {
        {"none", 0, false}, {"up", 1, false}, {"down", -1, false}, {NULL, 0, false}};
static const struct gw_cenum placements[] = {{"under_film", GW_PLACE_UNDER_FILM, false},
                                             {"bare", GW_PLACE_BARE, false},
                                             {NULL, 0, false}};

#define B_STR(...)    GW_KEY_STR(struct gw_bus_cfg, __VA_ARGS__)
#define B_INT(...)    GW_KEY_INT(struct gw_bus_cfg, __VA_ARGS__)
#define B_ENUM(...)   GW_KEY_ENUM(struct gw_bus_cfg, __VA_ARGS__)
#define B_BOOL(...)   GW_KEY_BOOL(struct gw_bus_cfg, __VA_ARGS__)
#define B_CHOICE(...) GW_KEY_CHOICE(struct gw_bus_cfg, __VA_ARGS__)

static const struct gw_ckey bus_keys[] = {
        B_STR("name", name, GW_CK_ID, REQ, NULL, NULL),
        B_ENUM("type", type, REQ, bus_types, GW_BUS_RTU),
        B_STR("device", device, GW_CK_PATH, RTU_ONLY, NULL, NULL),
        B_CHOICE("baud", baud, SERIAL, bauds, 9600),
        B_ENUM("parity", parity, SERIAL, parities, 'N'),
        B_INT("data_bits", data_bits, SERIAL, 7, 8, 8),
        B_INT("stop_bits", stop_bits, SERIAL, 1, 2, 1),
        B_BOOL("rs485", rs485, RTU_ONLY, 0),
        B_ENUM("rts", rts, RTU_ONLY, rts_modes, 0),
        B_BOOL("echo", echo, RTU_ONLY, 0),
        B_STR("host", host, GW_CK_STR, TCP_ONLY | RTU_TCP, NULL, NULL),
        B_INT("port", port, TCP_ONLY | RTU_TCP | DTU, 1, 65535, 502),
        B_INT("rtt_ms", rtt_ms, RTU_TCP | DTU, 0, 60000, 300),
        B_STR("listen", listen, GW_CK_STR, DTU, NULL, NULL),
        B_STR("registration", reg_text, GW_CK_STR, DTU, NULL, NULL),
        B_ENUM("registration_format", reg_hex, DTU, pkt_formats, 0),
        B_ENUM("registration_mode", reg_prefix, DTU, reg_modes, 0),
        B_STR("heartbeat", hb_text, GW_CK_STR, DTU, NULL, NULL),
        B_ENUM("heartbeat_format", hb_hex, DTU, pkt_formats, 0),
        B_INT("heartbeat_s", heartbeat_s, DTU, 0, 3600, 0),
        B_INT("max_connections", max_connections, DTU, 1, 1024, 16),
        B_INT("max_bytes_per_s", max_bytes_per_s, DTU, 64, 1048576, 4096),
        /* the timeouts section gives the defaults of these three */
        B_INT("response_ms", response_timeout_ms, 0, 10, 60000, 0),
        B_INT("byte_ms", byte_timeout_ms, 0, 1, 10000, 0),
        B_INT("retries", retries, 0, 0, 10, 0),
        B_INT("turnaround_ms", turnaround_ms, 0, 0, 1000, 20),
};

/* A sensor while it is read: the names it refers to are resolved afterwards. */
struct sensor_tmp {
	struct gw_sensor_cfg s;
	char bus[GW_ID_LEN];
	char profile[GW_PATH_LEN];       /* as written */
	char profile_file[GW_PATH_LEN];  /* the file it names, "" until known */
	const struct gw_ypair *seen[12]; /* one per sensor_keys entry */
	bool bus_ok;
};

#define S_STR(...)  GW_KEY_STR(struct sensor_tmp, __VA_ARGS__)
#define S_INT(...)  GW_KEY_INT(struct sensor_tmp, __VA_ARGS__)
#define S_ENUM(...) GW_KEY_ENUM(struct sensor_tmp, __VA_ARGS__)

static const struct gw_ckey sensor_keys[] = {
        S_STR("id", s.id, GW_CK_ID, REQ, NULL, NULL),
        S_STR("bus", bus, GW_CK_ID, REQ, NULL, NULL),
        S_INT("unit", s.unit, REQ, 1, 247, 0),
        S_STR("profile", profile, GW_CK_STR, REQ, NULL, NULL),
        S_STR("plot", s.plot, GW_CK_STR, 0, NULL, NULL),
        S_INT("interval_s", s.interval_s, 0, 1, 86400, 60),
        S_ENUM("placement", s.placement, 0, placements, GW_PLACE_NONE),
        S_INT("max_registers", s.max_registers, 0, 1, GW_MAX_REGS, 0),
        S_INT("max_gap", s.max_gap, 0, 0, GW_MAX_REGS, -1),
        S_INT("pause_ms", s.pause_ms, 0, 0, 10000, 0),
        GW_KEY_NUM(struct sensor_tmp, "deadband", s.deadband, 0, 0, 1000000, 0),
};

_Static_assert(GW_ARRAY_LEN(sensor_keys) <= GW_ARRAY_LEN(((struct sensor_tmp *)0)->seen),
               "seen[] too small");

/* Borrows: the value node of sensor_keys' key, if it was read successfully. */
static const struct gw_ynode *sensor_val(const struct sensor_tmp *t, const char *key)
{
	const struct gw_ypair *p =
	        t->seen[gw_ctable_index(sensor_keys, GW_ARRAY_LEN(sensor_keys), key)];

	return p ? p->val : NULL;
}

/* Returns an owned, zeroed array for the items of the sequence seq at key (a
 * list of nouns) and their count in *n. NULL with *n 0 after reporting an
 * absent, empty or non-sequence value; NULL with *n -ENOMEM. */
static void *seq_alloc(struct gw_cload *l, const char *key, const char *noun,
                       const struct gw_ynode *seq, size_t item_size, long *n)
{
	void *items;

	*n = 0;
	if (gw_yaml_is_null(seq) || (seq->type == GW_Y_SEQ && seq->n == 0)) {
		if (l->office)
			return NULL; /* an office's config: no field of its own */
		gw_diag_error_at(l->c.d, &seq->src, "%s: empty (want at least one %s)", key, noun);
		return NULL;
	}
	if (!gw_ctable_expect(&l->c, key, seq, GW_Y_SEQ, "a sequence"))
		return NULL;
	items = calloc(seq->n, item_size);
	*n = items ? (long)seq->n : -ENOMEM;
	return items;
}

static unsigned type_bit(enum gw_bus_type t)
{
	static const unsigned bits[] = {RTU_ONLY, TCP_ONLY, RTU_TCP, DTU};

	return bits[t];
}

/* "rtu", "tcp and rtu_tcp", "rtu, rtu_tcp and dtu_server": the types of a key's flags. */
static void type_names(unsigned flags, char *buf, size_t size)
{
	size_t n = 0, len = 0, k = 0;

	for (size_t t = 0; bus_types[t].name; t++)
		n += (flags & type_bit((enum gw_bus_type)bus_types[t].value)) != 0;
	buf[0] = '\0';
	for (size_t t = 0; bus_types[t].name && len < size; t++) {
		if (!(flags & type_bit((enum gw_bus_type)bus_types[t].value)))
			continue;
		k++;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		                        k == 1   ? ""
		                        : k == n ? " and "
		                                 : ", ",
		                        bus_types[t].name);
	}
}

static const char *required_key(enum gw_bus_type t)
{
	static const char *const need[] = {"device", "host", "host", "listen"};

	return need[t];
}

static int bus_type_keys(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                         struct gw_bus_cfg *b)
{
	unsigned mine = type_bit(b->type);
	const char *need = required_key(b->type);
	char kpath[GW_KEYPATH_LEN], types[64];
	int errors = 0;

	for (size_t i = 0; i < map->n; i++) {
		size_t k =
		        gw_ctable_index(bus_keys, GW_ARRAY_LEN(bus_keys), map->pairs[i].key->str);

		if (k == GW_ARRAY_LEN(bus_keys) || !(bus_keys[k].flags & TYPES) ||
		    (bus_keys[k].flags & mine))
			continue;
		gw_ctable_path(kpath, path, bus_keys[k].key, 0);
		type_names(bus_keys[k].flags, types, sizeof(types));
		gw_diag_error_at(l->c.d, &map->pairs[i].key->src, "%s: only for %s buses", kpath,
		                 types);
		errors++;
	}
	if (gw_yaml_is_null(gw_yaml_get(map, need))) {
		gw_ctable_path(kpath, path, need, 0);
		gw_diag_error_at(l->c.d, &map->src, "%s: required for %s buses", kpath,
		                 bus_types[b->type].name);
		errors++;
	}
	if (b->type == GW_BUS_DTU_SERVER)
		errors += gw_config_dtu_bus(l, path, map, b);
	return errors;
}

static int load_bus(struct gw_cload *l, const struct gw_ynode *map, size_t i)
{
	const struct gw_ypair *seen[GW_ARRAY_LEN(bus_keys)];
	struct gw_bus_cfg *b = &l->cfg->buses[i];
	char path[GW_KEYPATH_LEN];
	int errors;

	gw_ctable_path(path, "buses", NULL, i);
	if (!gw_ctable_expect(&l->c, path, map, GW_Y_MAP, "a mapping"))
		return 1;
	b->src = map->src;
	b->src.file = l->cfg->path;
	errors = gw_ctable_fill(&l->c, path, map, bus_keys, GW_ARRAY_LEN(bus_keys), b, seen);
	if (!seen[gw_ctable_index(bus_keys, GW_ARRAY_LEN(bus_keys), "response_ms")])
		b->response_timeout_ms = gw_config_dtu_response_ms(b, l->timeouts.response_ms);
	if (!seen[gw_ctable_index(bus_keys, GW_ARRAY_LEN(bus_keys), "byte_ms")])
		b->byte_timeout_ms = gw_config_dtu_byte_ms(b, l->timeouts.byte_ms);
	if (!seen[gw_ctable_index(bus_keys, GW_ARRAY_LEN(bus_keys), "retries")])
		b->retries = l->timeouts.retries;
	if (seen[gw_ctable_index(bus_keys, GW_ARRAY_LEN(bus_keys), "type")])
		errors += bus_type_keys(l, path, map, b);
	for (size_t j = 0; b->name[0] && j < i; j++) {
		if (strcmp(l->cfg->buses[j].name, b->name) == 0) {
			const struct gw_ynode *v = gw_yaml_get(map, "name");

			gw_diag_error_at(
			        l->c.d, &v->src,
			        "%s.name: duplicate bus name (got \"%s\", first at line %d)", path,
			        b->name, l->cfg->buses[j].src.line);
			errors++;
			break;
		}
	}
	return errors;
}

int gw_config_load_buses(struct gw_cload *l, const struct gw_ynode *seq)
{
	long n;
	int errors;

	l->cfg->buses = seq_alloc(l, "buses", "bus", seq, sizeof(*l->cfg->buses), &n);
	errors = n > 0 ? 0 : 1;

	if (n < 0)
		return (int)n;
	l->cfg->nbuses = (size_t)n;
	for (size_t i = 0; i < (size_t)n; i++)
		errors += load_bus(l, seq->items[i], i);
	l->buses_named = n > 0;
	for (size_t i = 0; i < (size_t)n; i++)
		if (!l->cfg->buses[i].name[0])
			l->buses_named = false;
	return errors + gw_config_dtu_listeners(l);
}

static int sensor_bus(struct gw_cload *l, struct sensor_tmp *t, const char *path)
{
	const struct gw_ynode *v = sensor_val(t, "bus");
	char want[256] = "";
	size_t len = 0;

	if (!v)
		return 0;
	for (size_t b = 0; b < l->cfg->nbuses; b++) {
		if (strcmp(l->cfg->buses[b].name, t->bus) == 0) {
			t->s.bus = b;
			t->bus_ok = true;
			return 0;
		}
		if (l->cfg->buses[b].name[0] && len + GW_ID_LEN + 2 < sizeof(want))
			len += (size_t)snprintf(want + len, sizeof(want) - len, " %s",
			                        l->cfg->buses[b].name);
	}
	if (!l->buses_named)
		return 0; /* the bus it names may be the one whose name was wrong */
	gw_diag_error_at(l->c.d, &v->src, "%s.bus: no such bus (got \"%s\", want one of%s)", path,
	                 t->bus, want);
	return 1;
}

/* Unique sensor ids and (bus, unit) pairs against the sensors before t. */
static int sensor_unique(struct gw_cload *l, struct sensor_tmp *all, size_t i, const char *path)
{
	struct sensor_tmp *t = &all[i];
	const struct gw_ynode *id = sensor_val(t, "id");
	const struct gw_ynode *unit = sensor_val(t, "unit");
	int errors = 0;

	for (size_t j = 0; id && j < i; j++) {
		if (sensor_val(&all[j], "id") && strcmp(all[j].s.id, t->s.id) == 0) {
			gw_diag_error_at(
			        l->c.d, &id->src,
			        "%s.id: duplicate sensor id (got \"%s\", first at line %d)", path,
			        t->s.id, all[j].s.src.line);
			errors++;
			break;
		}
	}
	for (size_t j = 0; t->bus_ok && unit && j < i; j++) {
		if (all[j].bus_ok && all[j].s.bus == t->s.bus && sensor_val(&all[j], "unit") &&
		    all[j].s.unit == t->s.unit) {
			gw_diag_error_at(l->c.d, &unit->src,
			                 "%s.unit: unit already used on bus %s (got %d, first by "
			                 "sensor \"%s\" at line %d)",
			                 path, t->bus, t->s.unit, all[j].s.id, all[j].s.src.line);
			errors++;
			break;
		}
	}
	return errors;
}

/* The file a profile spec names: a path is resolved against the config dir, a
 * bare NAME is PROFILES_DIR/NAME.yaml. Sensors with the same file share it. */
static bool is_profile_path(const char *spec)
{
	size_t len = strlen(spec);

	return strchr(spec, '/') || (len > 5 && strcmp(spec + len - 5, ".yaml") == 0);
}

static int profile_file(const struct gw_config *cfg, const char *spec, char *out, size_t size)
{
	int n;

	if (is_profile_path(spec))
		return gw_ctable_resolve(cfg->dir, spec, out, size);
	n = snprintf(out, size, "%s/%s.yaml", cfg->profiles_dir, spec);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Loads the profile of all[i], or borrows it from an earlier sensor naming the same file. */
static int sensor_profile(struct gw_cload *l, struct sensor_tmp *all, size_t i, const char *path)
{
	struct gw_config *cfg = l->cfg;
	struct sensor_tmp *t = &all[i];
	const struct gw_ynode *v = sensor_val(t, "profile");
	bool bare = !is_profile_path(t->profile);
	struct gw_profile *p;
	size_t j;

	if (!v)
		return 0;
	if (profile_file(cfg, t->profile, t->profile_file, sizeof(t->profile_file))) {
		gw_diag_error_at(l->c.d, &v->src, "%s.profile: path too long", path);
		return 1;
	}
	for (j = 0; j < i; j++)
		if (all[j].profile_file[0] && strcmp(all[j].profile_file, t->profile_file) == 0)
			break;
	if (j < i) {
		t->s.profile = all[j].s.profile;
	} else {
		p = &cfg->profiles[cfg->nprofiles];
		memset(p, 0, sizeof(*p));
		/* a bare name goes as is, so a missing one is reported with the names there are */
		if (gw_profile_find(cfg->profiles_dir, bare ? t->profile : t->profile_file, l->c.d,
		                    p) == 0) {
			t->s.profile = p;
			cfg->nprofiles++;
		}
	}
	if (!t->s.profile) {
		gw_diag_error_at(l->c.d, &v->src, "%s.profile: cannot load profile \"%s\"", path,
		                 t->profile);
		return 1;
	}
	return 0;
}

static int sensor_quirks(struct gw_cload *l, struct sensor_tmp *t, const char *path)
{
	const struct gw_ynode *v = sensor_val(t, "max_registers");
	const struct gw_profile *p = t->s.profile;

	if (!v || !p || t->s.max_registers <= p->max_registers)
		return 0;
	gw_diag_error_at(l->c.d, &v->src,
	                 "%s.max_registers: out of range (got %u, want 1..%u, the limit of profile "
	                 "%s)",
	                 path, t->s.max_registers, (unsigned)p->max_registers, p->name);
	return 1;
}

static int load_sensor(struct gw_cload *l, struct sensor_tmp *all, size_t i,
                       const struct gw_ynode *map)
{
	struct sensor_tmp *t = &all[i];
	char path[GW_KEYPATH_LEN];
	int errors;

	gw_ctable_path(path, "sensors", NULL, i);
	if (!gw_ctable_expect(&l->c, path, map, GW_Y_MAP, "a mapping"))
		return 1;
	t->s.src = map->src;
	t->s.src.file = l->cfg->path;
	errors = gw_ctable_fill(&l->c, path, map, sensor_keys, GW_ARRAY_LEN(sensor_keys), t,
	                        t->seen);
	errors += sensor_bus(l, t, path);
	errors += sensor_unique(l, all, i, path);
	errors += sensor_profile(l, all, i, path);
	errors += sensor_quirks(l, t, path);
	return errors;
}

int gw_config_load_sensors(struct gw_cload *l, const struct gw_ynode *seq)
{
	struct gw_config *cfg = l->cfg;
	long n;
	struct sensor_tmp *all = seq_alloc(l, "sensors", "sensor", seq, sizeof(*all), &n);
	int errors = n > 0 ? 0 : 1;

	if (n <= 0)
		return n < 0 ? (int)n : errors;
	cfg->sensors = calloc((size_t)n, sizeof(*cfg->sensors));
	cfg->profiles = calloc((size_t)n, sizeof(*cfg->profiles));
	if (!cfg->sensors || !cfg->profiles) {
		free(all);
		return -ENOMEM;
	}
	cfg->nsensors = (size_t)n;
	for (size_t i = 0; i < (size_t)n; i++)
		errors += load_sensor(l, all, i, seq->items[i]);
	for (size_t i = 0; i < (size_t)n; i++)
		cfg->sensors[i] = all[i].s;
	free(all);
	return errors;
}
