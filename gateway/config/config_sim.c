/* The sim section of gateway.yaml: the simulated season `fieldgate sim` serves (start,
 * speed, seed) and each plot's film in it (laid late, torn off, never laid). Demo and
 * test only; `run` does not read it. Film plots are checked against the sensors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "config_load.h"

#define DATE_LEN   32
#define WANT_START "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
#define WANT_FILM  "never, or a mapping with laid and/or removed"

struct sim_tmp {
	char start[DATE_LEN];
	double speed;
	long seed;
	char film[2];            /* placeholder: film is read by load_film */
	bool speed_ok, start_ok; /* read without error */
};

struct film_tmp {
	char laid[DATE_LEN];
	char removed[DATE_LEN];
};

static const struct gw_ckey sim_keys[] = {
        GW_KEY_STR(struct sim_tmp, "start", start, GW_CK_STR, 0, NULL, NULL),
        GW_KEY_NUM(struct sim_tmp, "speed", speed, 0, 0, 1000000, 0),
        GW_KEY_INT(struct sim_tmp, "seed", seed, 0, 0, 0x7FFFFFFFL, -1),
        GW_KEY_STR(struct sim_tmp, "film", film, GW_CK_STR, 0, NULL, NULL),
};

static const struct gw_ckey film_keys[] = {
        GW_KEY_STR(struct film_tmp, "laid", laid, GW_CK_STR, 0, NULL, NULL),
        GW_KEY_STR(struct film_tmp, "removed", removed, GW_CK_STR, 0, NULL, NULL),
};

/* "MM-DD" into MMDD. Returns 0 or -EINVAL. */
static int parse_md(const char *s, int *md)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int m, d;

	if (strlen(s) != 5 || s[2] != '-' || strspn(s, "0123456789") != 2 ||
	    strspn(s + 3, "0123456789") != 2)
		return -EINVAL;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -EINVAL;
	*md = m * 100 + d;
	return 0;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" in local time into ms since the epoch. */
static int parse_start(const char *s, int64_t *out)
{
	struct tm tm, want;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == 'T')
		end = strptime(end + 1, "%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (!end || *end || tm.tm_year < 70 || tm.tm_year > 200)
		return -EINVAL;
	tm.tm_isdst = -1;
	want = tm;
	t = mktime(&tm);
	/* mktime moves 02-30 to 03-02: a date that moved did not exist */
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon)
		return -EINVAL;
	*out = (int64_t)t * 1000;
	return 0;
}

static bool plot_has_sensor(const struct gw_config *cfg, const char *plot)
{
	for (size_t i = 0; i < cfg->nsensors; i++)
		if (strcmp(cfg->sensors[i].plot, plot) == 0)
			return true;
	return false;
}

/* One date key of a film mapping; returns the errors reported. */
static int film_date(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                     const char *key, const char *text, int *md)
{
	const struct gw_ynode *v = gw_yaml_get(map, key);
	char kpath[GW_KEYPATH_LEN];

	if (!text[0] || parse_md(text, md) == 0)
		return 0;
	gw_ctable_path(kpath, path, key, 0);
	gw_diag_error_at(l->c.d, &v->src, "%s: not a date (got \"%.20s\", want MM-DD)", kpath,
	                 text);
	return 1;
}

static int film_map(struct gw_cload *l, const char *path, const struct gw_ynode *v,
                    struct gw_film_plan *f)
{
	struct film_tmp t;
	int errors = gw_ctable_fill(&l->c, path, v, film_keys, GW_ARRAY_LEN(film_keys), &t, NULL);
	char kpath[GW_KEYPATH_LEN];

	if (errors)
		return errors;
	if (!t.laid[0] && !t.removed[0]) {
		gw_diag_error_at(l->c.d, &v->src, "%s: empty (want laid and/or removed)", path);
		return 1;
	}
	errors += film_date(l, path, v, "laid", t.laid, &f->laid_md);
	errors += film_date(l, path, v, "removed", t.removed, &f->removed_md);
	if (errors || !f->laid_md || !f->removed_md || f->removed_md > f->laid_md)
		return errors;
	gw_ctable_path(kpath, path, "removed", 0);
	gw_diag_error_at(l->c.d, &gw_yaml_get(v, "removed")->src,
	                 "%s: not after laid (got %s, want a day after %s)", kpath, t.removed,
	                 t.laid);
	return 1;
}

static int film_entry(struct gw_cload *l, const struct gw_ypair *pr, struct gw_film_plan *f)
{
	const struct gw_ynode *v = pr->val;
	char path[GW_KEYPATH_LEN];

	gw_ctable_path(path, "sim.film", pr->key->str, 0);
	f->src = pr->key->src;
	f->src.file = l->cfg->path;
	f->laid = true;
	if (snprintf(f->plot, sizeof(f->plot), "%s", pr->key->str) >= (int)sizeof(f->plot)) {
		gw_diag_error_at(l->c.d, &pr->key->src, "%s: plot id too long (want at most %zu)",
		                 path, sizeof(f->plot) - 1);
		return 1;
	}
	if (!plot_has_sensor(l->cfg, f->plot)) {
		gw_diag_error_at(l->c.d, &pr->key->src,
		                 "%s: no sensor on this plot (want a plot named by sensors)", path);
		return 1;
	}
	if (v->type == GW_Y_MAP)
		return film_map(l, path, v, f);
	if (v->type == GW_Y_SCALAR && strcmp(v->str, "never") == 0) {
		f->laid = false;
		return 0;
	}
	if (v->type == GW_Y_SCALAR)
		gw_diag_error_at(l->c.d, &v->src, "%s: unknown value (got \"%.40s\", want %s)",
		                 path, v->str, WANT_FILM);
	else
		gw_diag_error_at(l->c.d, &v->src, "%s: wrong type (got %s, want %s)", path,
		                 gw_yaml_type_name(v), WANT_FILM);
	return 1;
}

static int load_film(struct gw_cload *l, const struct gw_ynode *film)
{
	struct gw_sim_cfg *sc = &l->cfg->sim;
	int errors = 0;

	if (gw_yaml_is_null(film))
		return 0;
	if (!gw_ctable_expect(&l->c, "sim.film", film, GW_Y_MAP, "a mapping of plot ids"))
		return 1;
	sc->film = calloc(film->n ? film->n : 1, sizeof(*sc->film));
	if (!sc->film)
		return -ENOMEM;
	for (size_t i = 0; i < film->n; i++)
		errors += film_entry(l, &film->pairs[i], &sc->film[i]);
	sc->nfilm = film->n;
	return errors;
}

/* Fills the scalar keys from map without its film pair (read by load_film). */
static int load_keys(struct gw_cload *l, const struct gw_ynode *map, struct sim_tmp *t)
{
	struct gw_ynode rest = *map;
	struct gw_ypair *pairs = calloc(map->n ? map->n : 1, sizeof(*pairs));
	const struct gw_ypair *seen[GW_ARRAY_LEN(sim_keys)];
	int errors;

	if (!pairs)
		return -ENOMEM;
	rest.n = 0;
	rest.pairs = pairs;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, "film") != 0)
			pairs[rest.n++] = map->pairs[i];
	errors = gw_ctable_fill(&l->c, "sim", &rest, sim_keys, GW_ARRAY_LEN(sim_keys), t, seen);
	t->speed_ok = seen[gw_ctable_index(sim_keys, GW_ARRAY_LEN(sim_keys), "speed")] != NULL;
	t->start_ok = seen[gw_ctable_index(sim_keys, GW_ARRAY_LEN(sim_keys), "start")] != NULL;
	free(pairs);
	return errors;
}

static int check_keys(struct gw_cload *l, const struct gw_ynode *map, const struct sim_tmp *t)
{
	struct gw_sim_cfg *sc = &l->cfg->sim;
	const struct gw_ynode *v;
	int errors = 0;

	sc->speed = t->speed;
	sc->seed = t->seed;
	v = gw_yaml_get(map, "speed");
	if (t->speed_ok && t->speed < 0.001) {
		gw_diag_error_at(l->c.d, &v->src,
		                 "sim.speed: out of range (got %s, want 0.001..1000000)", v->str);
		errors++;
	}
	v = gw_yaml_get(map, "start");
	if (t->start_ok && parse_start(t->start, &sc->start_ms)) {
		gw_diag_error_at(l->c.d, &v->src, "sim.start: not a date (got \"%.40s\", want %s)",
		                 t->start, WANT_START);
		errors++;
	}
	return errors;
}

int gw_config_load_sim(struct gw_cload *l, const struct gw_ynode *n)
{
	struct sim_tmp t;
	int errors, rc;

	if (!n) {
		l->cfg->sim = (struct gw_sim_cfg){.seed = -1};
		return 0;
	}
	if (gw_yaml_is_null(n))
		return 0;
	if (!gw_ctable_expect(&l->c, "sim", n, GW_Y_MAP, "a mapping"))
		return 1;
	errors = load_keys(l, n, &t);
	if (errors < 0)
		return errors;
	errors += check_keys(l, n, &t);
	rc = load_film(l, gw_yaml_get(n, "film"));
	return rc < 0 ? rc : errors + rc;
}

const struct gw_film_plan *gw_config_film(const struct gw_config *cfg, const char *plot)
{
	for (size_t i = 0; i < cfg->sim.nfilm; i++)
		if (strcmp(cfg->sim.film[i].plot, plot) == 0)
			return &cfg->sim.film[i];
	return NULL;
}
