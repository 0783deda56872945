/* Loads households.csv and plots.csv into struct gw_records: maps the header (English or
 * the roster's Chinese) to columns, validates every row, then the ids across rows and the
 * config's sensors against the plots. Reports every problem; never logs an ID number or a
 * phone unmasked. Reading and decoding the files is records_csv.c's job. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"
#include "records.h"
#include "records_int.h"

#define MAXNAMES 8

struct column {
	const char *names[MAXNAMES]; /* names[0] is the DESIGN.md name */
	bool required;
};

enum {
	HC_ID,
	HC_NAME,
	HC_TOWNSHIP,
	HC_VILLAGE,
	HC_GROUP,
	HC_IDNUM,
	HC_BENEF,
	HC_CAT,
	HC_PHONE,
	HC_N
};
enum { PC_ID, PC_HH, PC_AREA, PC_FILM, PC_PLANT, PC_SEED, PC_LAT, PC_LON, PC_N };

#define HH_ID_NAMES "household_id", "户号", "农户编号", "户编号"

static const struct column hh_cols[HC_N] = {
        [HC_ID] = {{HH_ID_NAMES}, true},
        [HC_NAME] = {{"name", "姓名", "户主姓名"}, true},
        [HC_TOWNSHIP] = {{"township", "乡镇", "乡(镇)", "乡（镇）"}, true},
        [HC_VILLAGE] = {{"village", "行政村", "村"}, true},
        [HC_GROUP] = {{"group", "组", "村民小组"}, false},
        [HC_IDNUM] = {{"id_number", "身份证号", "身份证号码"}, true},
        [HC_BENEF] = {{"beneficiaries", "受益人口"}, true},
        [HC_CAT] = {{"category", "类别", "户类别", "农户类别"}, true},
        [HC_PHONE] = {{"phone", "电话", "联系电话"}, false},
};

static const struct column plot_cols[PC_N] = {
        [PC_ID] = {{"plot_id", "地块编号"}, true},
        [PC_HH] = {{HH_ID_NAMES}, true},
        [PC_AREA] = {{"area_mu", "面积", "发放面积", "面积(亩)", "面积（亩）"}, true},
        [PC_FILM] = {{"film", "地膜", "覆膜"}, true},
        [PC_PLANT] = {{"planting", "种植方式"}, true},
        [PC_SEED] = {{"seed_variety", "品种"}, false},
        [PC_LAT] = {{"lat", "纬度"}, false},
        [PC_LON] = {{"lon", "经度"}, false},
};

/* Where a row's problems are reported. */
struct rowctx {
	const char *path;
	struct gw_diag *d;
	int line;
	char *show; /* SHOW_N buffers of SHOW_LEN for values echoed in messages */
};

#define SHOW_LEN        96
#define SHOW_N          2
#define ROW_ERR(c, ...) gw_diag_error((c)->d, (c)->path, (c)->line, 0, __VA_ARGS__)
/* A value as a message may echo it: an ID number or phone in the wrong column masked. */
#define SHOW(c, v, i) gw_records_show((v), (c)->show + (i)*SHOW_LEN, SHOW_LEN)

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool names_column(const struct column *c, const char *h)
{
	for (size_t k = 0; k < MAXNAMES && c->names[k]; k++)
		if (strcasecmp(c->names[k], h) == 0)
			return true;
	return false;
}

/* Fills idx[] (-1: absent) from the header row. Returns 0 or -EINVAL (reported). */
static int map_header(const struct rowctx *c, const struct gw_csv_row *h, const struct column *cols,
                      size_t ncols, long *idx)
{
	int rc = 0;

	for (size_t k = 0; k < ncols; k++)
		idx[k] = -1;
	for (size_t f = 0; f < h->nfields; f++)
		for (size_t k = 0; k < ncols; k++) {
			if (!names_column(&cols[k], h->fields[f]))
				continue;
			if (idx[k] >= 0) {
				ROW_ERR(c,
				        "column %s appears twice (got \"%s\" in columns %ld and "
				        "%zu)",
				        cols[k].names[0], h->fields[f], idx[k] + 1, f + 1);
				rc = -EINVAL;
			}
			idx[k] = (long)f;
		}
	for (size_t k = 0; k < ncols; k++) {
		if (idx[k] >= 0 || !cols[k].required)
			continue;
		ROW_ERR(c, "missing column %s (want a header naming it: %s%s%s)", cols[k].names[0],
		        cols[k].names[0], cols[k].names[1] ? " or " : "",
		        cols[k].names[1] ? cols[k].names[1] : "");
		rc = -EINVAL;
	}
	return rc;
}

/* The value of column k of row r; NULL when the header has no such column (a missing
 * required column is reported once, at the header, and its checks are skipped). */
static const char *cell(const struct gw_csv_row *r, const long *idx, int k)
{
	return idx[k] >= 0 ? r->fields[idx[k]] : NULL;
}

/* Same for an optional column: "" when absent. */
static const char *opt(const struct gw_csv_row *r, const long *idx, int k)
{
	return idx[k] >= 0 ? r->fields[idx[k]] : "";
}

/* Copies v into dst[cap]. Reports (as column col) an empty required value or one too long.
 * v NULL: the column is missing, nothing to check. */
static bool put(const struct rowctx *c, const char *col, const char *v, char *dst, size_t cap,
                bool required)
{
	size_t n;

	if (!v)
		return false;
	n = strlen(v);

	if (required && !n) {
		ROW_ERR(c, "%s: empty (want a value)", col);
		return false;
	}
	if (n >= cap) {
		ROW_ERR(c, "%s: too long (got %zu bytes, want at most %zu)", col, n, cap - 1);
		return false;
	}
	memcpy(dst, v, n + 1);
	return true;
}

static void put_id_number(const struct rowctx *c, const char *v, struct gw_household *h)
{
	char m[GW_MASK_LEN];
	size_t n = v ? strlen(v) : 0;
	bool form = n == 18 && strspn(v, "0123456789") >= 17 && strchr("0123456789Xx", v[17]);

	if (!v)
		return;
	if (!n) {
		ROW_ERR(c, "id_number: empty (want a value)");
		return;
	}
	gw_mask_id(v, m, sizeof(m));
	if (!form) {
		ROW_ERR(c,
		        "id_number: malformed (got %s, length %zu; want 18 characters: 17 digits "
		        "and a "
		        "check digit 0-9 or X)",
		        m, n);
		return;
	}
	if (!gw_gb11643_valid(v))
		ROW_ERR(c,
		        "id_number: bad GB 11643 check digit (got %s, want the check digit of "
		        "the first 17)",
		        m);
	memcpy(h->id_number, v, 19);
	if (h->id_number[17] == 'x')
		h->id_number[17] = 'X';
}

static void put_phone(const struct rowctx *c, const char *v, struct gw_household *h)
{
	char m[GW_MASK_LEN];

	if (!v[0])
		return;
	if (strlen(v) < sizeof(h->phone) && gw_phone_valid(v)) {
		memcpy(h->phone, v, strlen(v) + 1);
		return;
	}
	gw_mask_phone(v, m, sizeof(m));
	ROW_ERR(c,
	        "phone: malformed (got %s; want a mobile, 11 digits from 13x to 19x, or a "
	        "landline with its area code, as 0954-5012345)",
	        m);
}

static void parse_household(const struct rowctx *c, const struct gw_csv_row *r, const long *idx,
                            struct gw_household *h)
{
	const char *v;
	long n;

	h->line = c->line;
	put(c, "household_id", cell(r, idx, HC_ID), h->id, sizeof(h->id), true);
	put(c, "name", cell(r, idx, HC_NAME), h->name, sizeof(h->name), true);
	put(c, "township", cell(r, idx, HC_TOWNSHIP), h->township, sizeof(h->township), true);
	put(c, "village", cell(r, idx, HC_VILLAGE), h->village, sizeof(h->village), true);
	put(c, "group", opt(r, idx, HC_GROUP), h->group, sizeof(h->group), false);
	put_id_number(c, cell(r, idx, HC_IDNUM), h);
	v = cell(r, idx, HC_BENEF);
	if (v && gw_num_long(v, 1, GW_BENEFICIARIES_MAX, &n) == 0)
		h->beneficiaries = (unsigned)n;
	else if (v)
		ROW_ERR(c, "beneficiaries: not a count of people (got \"%s\", want 1..%d)",
		        SHOW(c, v, 0), GW_BENEFICIARIES_MAX);
	v = cell(r, idx, HC_CAT);
	if (v && gw_category_parse(v, &h->category))
		ROW_ERR(c,
		        "category: unknown (got \"%s\", want poverty_alleviated, general, "
		        "脱贫户 or 一般户)",
		        SHOW(c, v, 0));
	put_phone(c, opt(r, idx, HC_PHONE), h);
}

static void parse_pos(const struct rowctx *c, const struct gw_csv_row *r, const long *idx,
                      struct gw_plot *p)
{
	const char *lat = opt(r, idx, PC_LAT), *lon = opt(r, idx, PC_LON);

	if (!lat[0] && !lon[0])
		return;
	if (!lat[0] || !lon[0]) {
		ROW_ERR(c,
		        "lat/lon: only one given (got lat \"%s\", lon \"%s\"; want both or "
		        "neither)",
		        SHOW(c, lat, 0), SHOW(c, lon, 1));
		return;
	}
	p->has_pos = true;
	if (gw_num_double(lat, -90, 90, &p->lat))
		ROW_ERR(c, "lat: out of range (got \"%s\", want degrees -90..90)", SHOW(c, lat, 0));
	if (gw_num_double(lon, -180, 180, &p->lon))
		ROW_ERR(c, "lon: out of range (got \"%s\", want degrees -180..180)",
		        SHOW(c, lon, 0));
}

static void parse_plot(const struct rowctx *c, const struct gw_csv_row *r, const long *idx,
                       struct gw_plot *p)
{
	const char *v;
	int rc;

	p->line = c->line;
	put(c, "plot_id", cell(r, idx, PC_ID), p->id, sizeof(p->id), true);
	v = cell(r, idx, PC_AREA);
	rc = v ? gw_num_double(v, 0, GW_PLOT_MAX_MU, &p->area_mu) : 0;
	if (rc == -EINVAL)
		ROW_ERR(c, "area_mu: not a number (got \"%s\", want mu > 0 and <= %.0f)",
		        SHOW(c, v, 0), GW_PLOT_MAX_MU);
	else if (v && (rc || p->area_mu <= 0))
		ROW_ERR(c, "area_mu: out of range (got \"%s\", want mu > 0 and <= %.0f)",
		        SHOW(c, v, 0), GW_PLOT_MAX_MU);
	v = cell(r, idx, PC_FILM);
	if (v && gw_film_parse(v, &p->film))
		ROW_ERR(c, "film: unknown (got \"%s\", want full, half, none, 全膜, 半膜 or 无)",
		        SHOW(c, v, 0));
	v = cell(r, idx, PC_PLANT);
	if (v && gw_planting_parse(v, &p->planting))
		ROW_ERR(c,
		        "planting: unknown (got \"%s\", want single, intercrop, grain, 单种, "
		        "间作, 套种 or 籽粒)",
		        SHOW(c, v, 0));
	put(c, "seed_variety", opt(r, idx, PC_SEED), p->seed_variety, sizeof(p->seed_variety),
	    false);
	parse_pos(c, r, idx, p);
}

/* A sorted (key, index) table: duplicates and look-ups. */
struct key {
	const char *k;
	size_t i;
	int line;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Reports each key after its first ("first at line N"); show masks what is printed. */
static void report_dups(struct gw_diag *d, const char *path, const char *col, struct key *keys,
                        size_t n, int (*show)(const char *, char *, size_t))
{
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t a = 0, b; a < n; a = b)
		for (b = a + 1; b < n && strcmp(keys[a].k, keys[b].k) == 0; b++) {
			char m[GW_MASK_LEN + GW_ID_LEN], v[GW_ID_LEN];

			if (show)
				show(keys[b].k, m, sizeof(m));
			else /* an id could be an ID number */
				snprintf(m, sizeof(m), "\"%s\"",
				         gw_records_show(keys[b].k, v, sizeof(v)));
			gw_diag_error(d, path, keys[b].line, 0,
			              "%s: duplicate (got %s, first at line %d)", col, m,
			              keys[a].line);
		}
}

/* Index of the first key equal to k in sorted keys, or -1. */
static long key_find(const struct key *keys, size_t n, const char *k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(keys[mid].k, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(keys[lo].k, k) == 0 ? (long)lo : -1;
}

/* Which rows of a file are records: the header, then rows as wide as it. */
struct table {
	struct gw_csv csv;
	long idx[(int)HC_N > (int)PC_N ? (int)HC_N : (int)PC_N];
};

/* Reads path and maps its header; a header with problems (reported) still lets the rows
 * be checked on the columns it has. Returns 0, or what gw_csv_read returned. */
static int open_table(const char *path, struct gw_diag *d, const struct column *cols, size_t ncols,
                      struct table *t)
{
	struct rowctx c = {path, d, 0, NULL};
	int rc = gw_csv_read(path, d, &t->csv);

	if (rc)
		return rc;
	c.line = t->csv.rows[0].line;
	map_header(&c, &t->csv.rows[0], cols, ncols, t->idx);
	return 0;
}

/* False (reported) when row r is not as wide as the header. */
static bool row_fits(const struct rowctx *c, const struct table *t, const struct gw_csv_row *r)
{
	size_t want = t->csv.rows[0].nfields;

	if (r->nfields == want)
		return true;
	ROW_ERR(c, "row has %zu fields (want %zu, as the header)", r->nfields, want);
	return false;
}

/* *ids_ok: the file has a household_id column, so plots can be looked up in it. */
static int load_households(const char *path, struct gw_diag *d, struct gw_records *r, bool *ids_ok)
{
	struct table t;
	int rc = open_table(path, d, hh_cols, HC_N, &t);

	if (rc)
		return rc;
	*ids_ok = t.idx[HC_ID] >= 0;
	r->households = calloc(t.csv.nrows, sizeof(*r->households));
	if (!r->households) {
		gw_csv_free(&t.csv);
		return -ENOMEM;
	}
	for (size_t i = 1; i < t.csv.nrows; i++) {
		const struct gw_csv_row *row = &t.csv.rows[i];
		char show[SHOW_N * SHOW_LEN];
		struct rowctx c = {path, d, row->line, show};

		if (row_fits(&c, &t, row))
			parse_household(&c, row, t.idx, &r->households[r->nhouseholds++]);
	}
	gw_csv_free(&t.csv);
	return 0;
}

/* Sorted keys of the households (by id, or by id_number). NULL on ENOMEM. */
static struct key *household_keys(const struct gw_records *r, bool by_id_number, size_t *n)
{
	struct key *k = malloc((r->nhouseholds + 1) * sizeof(*k));

	*n = 0;
	if (!k)
		return NULL;
	for (size_t i = 0; i < r->nhouseholds; i++) {
		const struct gw_household *h = &r->households[i];
		const char *v = by_id_number ? h->id_number : h->id;

		if (v[0])
			k[(*n)++] = (struct key){v, i, h->line};
	}
	qsort(k, *n, sizeof(*k), key_cmp);
	return k;
}

static int check_households(const char *path, struct gw_diag *d, struct gw_records *r,
                            struct key **ids, size_t *nids)
{
	struct key *nums;
	size_t n;

	*ids = household_keys(r, false, nids);
	nums = household_keys(r, true, &n);
	if (!*ids || !nums) {
		free(nums);
		return -ENOMEM;
	}
	report_dups(d, path, "household_id", *ids, *nids, NULL);
	report_dups(d, path, "id_number", nums, n, gw_mask_id);
	free(nums);
	return 0;
}

/* hh: the households' sorted ids, NULL when households.csv could not be read. *ids_ok:
 * the file has a plot_id column, so sensors can be looked up in it. */
static int load_plots(const char *path, struct gw_diag *d, struct gw_records *r,
                      const char *hh_path, const struct key *hh, size_t nhh, bool *ids_ok)
{
	struct table t;
	int rc = open_table(path, d, plot_cols, PC_N, &t);

	if (rc)
		return rc;
	*ids_ok = t.idx[PC_ID] >= 0;
	r->plots = calloc(t.csv.nrows, sizeof(*r->plots));
	if (!r->plots) {
		gw_csv_free(&t.csv);
		return -ENOMEM;
	}
	for (size_t i = 1; i < t.csv.nrows; i++) {
		const struct gw_csv_row *row = &t.csv.rows[i];
		char show[SHOW_N * SHOW_LEN];
		struct rowctx c = {path, d, row->line, show};
		const char *v = cell(row, t.idx, PC_HH);
		long k;

		if (!row_fits(&c, &t, row))
			continue;
		parse_plot(&c, row, t.idx, &r->plots[r->nplots]);
		k = hh && v ? key_find(hh, nhh, v) : -1;
		if (k >= 0)
			r->plots[r->nplots].household = hh[k].i;
		else if (hh && v)
			ROW_ERR(&c, "household_id: not in %s (got \"%s\")", base_name(hh_path),
			        SHOW(&c, v, 0));
		r->nplots++;
	}
	gw_csv_free(&t.csv);
	return 0;
}

static int check_plots(const char *path, struct gw_diag *d, struct gw_records *r)
{
	struct key *k = malloc((r->nplots + 1) * sizeof(*k));
	size_t n = 0;

	r->plot_order = malloc((r->nplots + 1) * sizeof(*r->plot_order));
	if (!k || !r->plot_order) {
		free(k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nplots; i++)
		k[n++] = (struct key){r->plots[i].id, i, r->plots[i].line};
	report_dups(d, path, "plot_id", k, n, NULL);
	for (size_t i = 0; i < n; i++)
		r->plot_order[i] = k[i].i;
	free(k);
	return 0;
}

static void check_sensors(const struct gw_config *cfg, struct gw_diag *d,
                          const struct gw_records *r)
{
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];

		if (s->plot[0] && !gw_records_plot(r, s->plot))
			gw_diag_error_at(d, &s->src, "sensors[%zu].plot: not in %s (got \"%s\")", i,
			                 base_name(cfg->plots_path), s->plot);
	}
}

/* The worse of two results: ENOMEM, then a file's errno, then EINVAL. */
static int worse(int a, int b)
{
	if (a == -ENOMEM || b == -ENOMEM)
		return -ENOMEM;
	if (a && a != -EINVAL)
		return a;
	if (b && b != -EINVAL)
		return b;
	return a ? a : b;
}

static int load_all(const struct gw_config *cfg, struct gw_diag *d, struct gw_records *r)
{
	struct key *hh = NULL;
	size_t nhh = 0;
	bool hh_ok = false, plots_ok = false;
	int hrc, prc;

	hrc = load_households(cfg->households_path, d, r, &hh_ok);
	if (!hrc)
		hrc = check_households(cfg->households_path, d, r, &hh, &nhh);
	prc = hrc == -ENOMEM ? -ENOMEM
	                     : load_plots(cfg->plots_path, d, r, cfg->households_path,
	                                  !hrc && hh_ok ? hh : NULL, nhh, &plots_ok);
	free(hh);
	if (!prc)
		prc = check_plots(cfg->plots_path, d, r);
	if (!prc && plots_ok)
		check_sensors(cfg, d, r);
	return worse(hrc, prc);
}

int gw_records_load(const struct gw_config *cfg, struct gw_diag *d, struct gw_records **out)
{
	struct gw_records *r = calloc(1, sizeof(*r));
	int nerrors = d->nerrors;
	int rc = 0;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	if (cfg->households_path[0])
		rc = load_all(cfg, d, r);
	if (!rc && d->nerrors > nerrors)
		rc = -EINVAL;
	if (rc) {
		gw_records_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void gw_records_free(struct gw_records *r)
{
	if (!r)
		return;
	free(r->households);
	free(r->plots);
	free(r->plot_order);
	free(r);
}

const struct gw_plot *gw_records_plot(const struct gw_records *r, const char *plot_id)
{
	size_t lo = 0, hi = r->nplots;

	if (!r->plot_order)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(r->plots[r->plot_order[mid]].id, plot_id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nplots && strcmp(r->plots[r->plot_order[lo]].id, plot_id) == 0)
		return &r->plots[r->plot_order[lo]];
	return NULL;
}

const struct gw_household *gw_records_household_of(const struct gw_records *r,
                                                   const struct gw_plot *p)
{
	return &r->households[p->household];
}

double gw_records_area_mu(const struct gw_records *r, enum gw_film f)
{
	double sum = 0;

	for (size_t i = 0; i < r->nplots; i++)
		if (r->plots[i].film == f)
			sum += r->plots[i].area_mu;
	return sum;
}
