/* households.csv and plots.csv -> struct gw_records: read (UTF-8 or GB18030, detected),
 * headers in English or in the Chinese of the county's roster, every value validated,
 * and the config's sensors checked against the plots. Every problem is reported as
 * FILE:LINE: error: ...; an ID number or phone never appears in a message unmasked. */
#ifndef GW_RECORDS_H
#define GW_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"

/* Plots larger than this are rejected as absurd (a program plot is a few mu; this
 * leaves room for a cooperative's field while catching a misplaced decimal point). */
#define GW_PLOT_MAX_MU       10000.0
#define GW_BENEFICIARIES_MAX 50
/* A masked ID (6 + 8 '*' + 4) or phone (3 + 4 '*' + 4), with its NUL. */
#define GW_MASK_LEN 24

enum gw_category { GW_CAT_POVERTY_ALLEVIATED, GW_CAT_GENERAL };
enum gw_film { GW_FILM_NONE, GW_FILM_FULL, GW_FILM_HALF };
enum gw_planting { GW_PLANT_SINGLE, GW_PLANT_INTERCROP, GW_PLANT_GRAIN };

struct gw_household {
	char id[GW_ID_LEN];
	char name[64];
	char township[GW_ID_LEN];
	char village[GW_ID_LEN];
	char group[16];
	char id_number[19]; /* GB 11643, check digit valid, 'X' upper case */
	unsigned beneficiaries;
	enum gw_category category;
	char phone[24]; /* "" when not given */
	int line;       /* CSV line */
};

struct gw_plot {
	char id[GW_ID_LEN];
	size_t household; /* index into households */
	double area_mu;
	enum gw_film film;
	enum gw_planting planting;
	char seed_variety[64];
	bool has_pos;
	double lat, lon;
	int line;
};

struct gw_records {
	struct gw_household *households;
	size_t nhouseholds;
	struct gw_plot *plots;
	size_t nplots;
	size_t *plot_order; /* plot indices sorted by id, for gw_records_plot */
};

/* Loads cfg->households_path and cfg->plots_path (no-op success with an empty set when
 * cfg has no records section), validates them and the config's sensors against them.
 * Borrows cfg and d; reports every problem to d. Returns 0 with *out owned (free with
 * gw_records_free), or -EINVAL (problems reported) / -ENOMEM / -errno of an unreadable
 * file (reported too); *out is NULL on failure. */
int gw_records_load(const struct gw_config *cfg, struct gw_diag *d, struct gw_records **out);
/* Frees r; NULL is a no-op. */
void gw_records_free(struct gw_records *r);

/* Borrows r: the plot with that id, or NULL. */
const struct gw_plot *gw_records_plot(const struct gw_records *r, const char *plot_id);
/* Borrows r: the household owning plot p. */
const struct gw_household *gw_records_household_of(const struct gw_records *r,
                                                   const struct gw_plot *p);

/* Area of r's plots with film f, in mu. */
double gw_records_area_mu(const struct gw_records *r, enum gw_film f);

/* True if id is 18 characters: 17 digits and the GB 11643-1999 check digit (0-9 or X;
 * a lower-case x is accepted too). */
bool gw_gb11643_valid(const char *id);

/* Masks an ID number for display: first 6, eight '*', last 4 ("640424********121X").
 * Anything too short or not ASCII becomes "******". Writes a NUL-terminated string to
 * out (len >= GW_MASK_LEN is always enough). Returns 0, or -ENOSPC if len is too small
 * (out then holds "" when len > 0). */
int gw_mask_id(const char *id, char *out, size_t len);
/* Same for a phone: first 3, four '*', last 4 ("139****1201"). */
int gw_mask_phone(const char *phone, char *out, size_t len);

/* True for a mobile number (11 digits, 1[3-9]...) or a landline with its area code
 * (0 + 2-3 digits, an optional '-', then 7-8 digits: "0954-5012345"). */
bool gw_phone_valid(const char *phone);

/* utf8 (len bytes) converted to GB18030, the encoding a Chinese-locale Excel opens a CSV
 * in; records_csv.c owns iconv.h, so the report's writers convert through here. Returns 0
 * with *out owned (NUL-terminated, *out_len bytes without the NUL), -EILSEQ for bytes that
 * are not UTF-8, or -ENOMEM; *out is NULL on failure. */
int gw_records_to_gb18030(const char *utf8, size_t len, char **out, size_t *out_len);

/* English names, as written in the CSV files and the reports (static strings). */
const char *gw_film_name(enum gw_film f);
const char *gw_category_name(enum gw_category c);
const char *gw_planting_name(enum gw_planting p);

/* Parses an English or Chinese label (see README). Return 0 or -EINVAL. */
int gw_film_parse(const char *s, enum gw_film *out);
int gw_category_parse(const char *s, enum gw_category *out);
int gw_planting_parse(const char *s, enum gw_planting *out);

#endif
