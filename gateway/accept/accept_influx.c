/* Acceptance across the fleet from InfluxDB 1.x (/query, CSV answers, chunked): the film
 * rules are rebuilt from the role and interval_s tags of the series (SHOW SERIES), then the
 * season's readings are streamed month by month into the same accumulator the journal
 * feeds, so both give the same results. No secret is logged. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accept_acc_int.h"
#include "accept_influx.h"
#include "clock.h"
#include "influx_query.h"
#include "log.h"
#include "num.h"
#include "tz.h"

#define MAX_COLS 64

enum mode { M_DATABASES, M_SERIES, M_NEWEST, M_DATA };

struct slot {
	char gateway[GW_ID_LEN], plot[GW_ID_LEN], sensor[GW_ID_LEN], point[GW_NAME_LEN];
	unsigned rule_no, interval_s;
	int kind, role, covered_value;
};

/* A gateway's zone, as its seals record it (measurement chain). */
struct zone {
	char gateway[GW_ID_LEN];
	struct gw_tz *tz;
};

struct fleet {
	struct zone *zones;
	size_t nzones;
	const struct gw_fleet_src *src;
	char password[256];
	enum mode mode;
	int col_key, col_time, col_tags;    /* -1: absent */
	char last_tags[2 * GW_ID_LEN + 32]; /* GROUP BY: the series' tags */
	char cols[MAX_COLS][GW_NAME_LEN];
	size_t ncols;
	struct slot *slots;
	size_t nslots, cap;
	struct gw_acc *a;
	int64_t newest;
	bool db_found;
	long last_sensor;
	int rc;
};

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!s[0] || *end || errno)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

size_t gw_accept_csv_split(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *out = s;

		f[n++] = s;
		if (*s == '"') {
			for (s++; *s; s++) {
				if (*s == '"' && s[1] == '"')
					*out++ = *s++;
				else if (*s == '"')
					break;
				else
					*out++ = *s;
			}
			if (*s)
				s++;
		} else {
			while (*s && *s != ',')
				*out++ = *s++;
		}
		if (*s != ',') {
			*out = '\0';
			break;
		}
		*out = '\0';
		s++;
	}
	return n;
}

void gw_accept_series_tag(const char *key, const char *tag, char *out, size_t len)
{
	size_t tl = strlen(tag), o = 0;
	const char *p = key;

	out[0] = '\0';
	while ((p = strchr(p, ',')) != NULL) {
		if (p > key && p[-1] == '\\') {
			p++;
			continue;
		}
		p++;
		if (strncmp(p, tag, tl) == 0 && p[tl] == '=') {
			for (p += tl + 1; *p && *p != ',' && o + 1 < len; p++) {
				if (*p == '\\' && p[1])
					p++;
				out[o++] = *p;
			}
			out[o] = '\0';
			return;
		}
	}
}

static int slot_add(struct fleet *f, const struct slot *s)
{
	if (f->nslots == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct slot *n = realloc(f->slots, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->slots = n;
		f->cap = cap;
	}
	f->slots[f->nslots++] = *s;
	return 0;
}

static int kind_of(const char *s)
{
	for (int k = GW_RULE_TEMPERATURE_PAIR; k <= GW_RULE_SWITCH; k++)
		if (!strcmp(gw_rule_kind_name((enum gw_rule_kind)k), s))
			return k;
	return -1;
}

static int role_of(const char *s)
{
	for (int r = GW_ROLE_UNDER; r <= GW_ROLE_SWITCH; r++)
		if (!strcmp(gw_rule_role_name((enum gw_rule_role)r), s))
			return r;
	return -1;
}

/* One "N:KIND:ROLE:POINT[:COVERED]" item of a role tag into *s. */
static bool parse_item(char *item, struct slot *s)
{
	char *part[6];
	size_t n = 0;
	long v;

	for (char *p = strtok(item, ":"); p && n < 6; p = strtok(NULL, ":"))
		part[n++] = p;
	if (n < 4 || n > 5 || gw_num_long(part[0], 0, 1000, &v))
		return false;
	s->rule_no = (unsigned)v;
	s->kind = kind_of(part[1]);
	s->role = role_of(part[2]);
	snprintf(s->point, sizeof(s->point), "%s", part[3]);
	s->covered_value = n == 5 ? atoi(part[4]) == 1 : 1;
	/* the point goes into a query: only names a profile could have */
	return s->kind >= 0 && s->role >= 0 && gw_point_name_is_valid(s->point);
}

static int on_series(struct fleet *f, const char *key)
{
	char role[GW_ROLE_LEN], interval[16], *save = NULL;
	struct slot s;
	long iv;

	memset(&s, 0, sizeof(s));
	gw_accept_series_tag(key, "role", role, sizeof(role));
	gw_accept_series_tag(key, "interval_s", interval, sizeof(interval));
	gw_accept_series_tag(key, "gateway", s.gateway, sizeof(s.gateway));
	gw_accept_series_tag(key, "plot", s.plot, sizeof(s.plot));
	gw_accept_series_tag(key, "sensor", s.sensor, sizeof(s.sensor));
	if (!role[0] || !s.plot[0] || !s.sensor[0] || gw_num_long(interval, 1, 86400, &iv))
		return 0;
	s.interval_s = (unsigned)iv;
	for (char *item = strtok_r(role, "+", &save); item; item = strtok_r(NULL, "+", &save)) {
		char copy[GW_ROLE_LEN];

		snprintf(copy, sizeof(copy), "%s", item);
		if (parse_item(copy, &s) && slot_add(f, &s))
			return -ENOMEM;
	}
	return 0;
}

/* Orders slots by gateway, plot, rule number, then role (under before its partner). */
static int slot_cmp(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;
	int c = strcmp(a->gateway, b->gateway);

	if (!c)
		c = strcmp(a->plot, b->plot);
	if (!c)
		c = (a->rule_no > b->rule_no) - (a->rule_no < b->rule_no);
	return c ? c : (a->role > b->role) - (a->role < b->role);
}

static bool same_rule(const struct slot *a, const struct slot *b)
{
	return a->rule_no == b->rule_no && a->kind == b->kind && !strcmp(a->gateway, b->gateway) &&
	       !strcmp(a->plot, b->plot);
}

/* Declares a rule for each (gateway, plot, rule number) whose roles are all known. */
static int declare_rules(struct fleet *f)
{
	qsort(f->slots, f->nslots, sizeof(*f->slots), slot_cmp);
	for (size_t i = 0; i < f->nslots; i++) {
		const struct slot *s = &f->slots[i], *other = NULL;
		struct gw_acc_rule r;
		int rc;

		if (s->role != GW_ROLE_UNDER && s->role != GW_ROLE_SWITCH)
			continue;
		for (size_t j = i + 1; j < f->nslots && s->kind != GW_RULE_SWITCH && !other &&
		                       same_rule(&f->slots[j], s);
		     j++)
			if (f->slots[j].role != GW_ROLE_UNDER)
				other = &f->slots[j];
		if (s->kind != GW_RULE_SWITCH && !other)
			continue;
		r = (struct gw_acc_rule){
		        .gateway = s->gateway,
		        .plot = s->plot,
		        .kind = (enum gw_rule_kind)s->kind,
		        .sensor = {s->sensor, other ? other->sensor : NULL},
		        .interval_s = {s->interval_s, other ? other->interval_s : 0},
		        .point = s->point,
		        .covered_value = s->covered_value};
		rc = gw_acc_add_rule(f->a, &r);
		if (rc)
			return rc;
	}
	return 0;
}

static int col_index(const struct fleet *f, const char *name)
{
	for (size_t c = 0; c < f->ncols; c++)
		if (!strcmp(f->cols[c], name))
			return (int)c;
	return -1;
}

static void on_header(void *user, char *const *v, size_t n)
{
	struct fleet *f = user;

	n = n < MAX_COLS ? n : MAX_COLS;
	f->ncols = n;
	for (size_t c = 0; c < n; c++)
		snprintf(f->cols[c], sizeof(f->cols[c]), "%s", v[c]);
	f->col_key = col_index(f, "key");
	f->col_time = col_index(f, "time");
	f->col_tags = col_index(f, "tags");
	f->last_sensor = -2;
}

/* The sensor of a data row: from the series' tags (the data query groups by gateway and
 * sensor, so influxd streams series by series instead of merging them all by time). */
static void row_sensor(struct fleet *f, char *const *v, size_t n)
{
	char key[sizeof(f->last_tags) + 2], gw[GW_ID_LEN], id[GW_ID_LEN];

	if (f->col_tags < 0 || (size_t)f->col_tags >= n) {
		f->last_sensor = -1;
		return;
	}
	if (f->last_sensor != -2 && !strcmp(f->last_tags, v[f->col_tags]))
		return;
	snprintf(f->last_tags, sizeof(f->last_tags), "%s", v[f->col_tags]);
	snprintf(key, sizeof(key), "x,%s", v[f->col_tags]);
	gw_accept_series_tag(key, "gateway", gw, sizeof(gw));
	gw_accept_series_tag(key, "sensor", id, sizeof(id));
	f->last_sensor = gw_acc_sensor(f->a, gw, id);
}

static int on_data(struct fleet *f, char *const *v, size_t n)
{
	const char *const *want;
	double vals[GW_MAX_POINTS + 2];
	int64_t ts;
	size_t nw;

	if (f->col_time < 0 || parse_i64(v[f->col_time], &ts))
		return 0;
	row_sensor(f, v, n);
	if (f->last_sensor < 0)
		return 0;
	nw = gw_acc_points(f->a, f->last_sensor, &want);
	for (size_t k = 0; k < nw && k < GW_MAX_POINTS + 2; k++) {
		int c = col_index(f, want[k]);

		vals[k] = NAN;
		if (c >= 0 && (size_t)c < n && v[c][0] &&
		    gw_num_double(v[c], -1e12, 1e12, &vals[k]))
			vals[k] = NAN;
	}
	return gw_acc_add(f->a, f->last_sensor, ts, vals);
}

static int on_row(void *user, char *const *head, char *const *v, size_t n)
{
	struct fleet *f = user;
	int64_t ts;

	(void)head; /* on_header looked the columns up */
	if (f->mode == M_DATABASES) {
		/* "databases,,NAME": an absent database answers every query with nothing */
		f->db_found = f->db_found || (n >= 3 && strcmp(v[2], f->src->database) == 0);
		return 0;
	}
	if (f->mode == M_SERIES)
		return f->col_key >= 0 && (size_t)f->col_key < n ? on_series(f, v[f->col_key]) : 0;
	if (f->mode == M_NEWEST) {
		if (f->col_time >= 0 && (size_t)f->col_time < n &&
		    !parse_i64(v[f->col_time], &ts) && ts > f->newest)
			f->newest = ts;
		return 0;
	}
	return on_data(f, v, n);
}

static int run_query(struct fleet *f, enum mode m, const char *q)
{
	f->mode = m;
	f->col_key = f->col_time = f->col_tags = -1;
	return gw_influxq_stream(f->src, f->password, q, on_header, on_row, f);
}

/* SELECT of every point the rules use and moisture, series by series. */
static int data_query(const struct gw_acc *a, int64_t from, int64_t to, char *q, size_t len)
{
	size_t pos = (size_t)snprintf(q, len, "SELECT \"moisture_pct\"");

	for (size_t i = 0; i < a->nsensors; i++) {
		for (size_t c = 0; c < a->sensors[i].nch; c++) {
			char quoted[GW_NAME_LEN + 4];

			snprintf(quoted, sizeof(quoted), "\"%s\"", a->sensors[i].ch[c].point);
			if (strstr(q, quoted))
				continue;
			pos += (size_t)snprintf(q + pos, pos < len ? len - pos : 0, ",%s", quoted);
		}
	}
	pos += (size_t)snprintf(q + pos, pos < len ? len - pos : 0,
	                        " FROM \"reading\" WHERE \"role\" != '' AND time >= %lldms AND "
	                        "time < %lldms GROUP BY \"gateway\",\"sensor\"",
	                        (long long)from, (long long)to);
	return pos < len ? 0 : -ENAMETOOLONG;
}

static int64_t local_month_ms(int year, int month)
{
	return gw_tz_to_ms(gw_tz_local(),
	                   gw_acc_day_of(year + (month > 12), (month - 1) % 12 + 1, 1), 0);
}

static int season_year(struct fleet *f, const struct gw_config *cfg, const struct gw_accept_opts *o,
                       int *year)
{
	int32_t sec;
	int rc;

	*year = o && o->year ? o->year : cfg->accept.year;
	if (*year)
		return 0;
	f->newest = INT64_MIN;
	rc = run_query(f, M_NEWEST,
	               "SELECT \"moisture_pct\",\"sensor\" FROM \"reading\" WHERE \"role\" != '' "
	               "ORDER BY time DESC LIMIT 1");
	if (rc)
		return rc;
	*year = gw_acc_yyyymmdd(gw_acc_local_day(
	                f->newest == INT64_MIN ? gw_clock_wall_ms() : f->newest, &sec)) /
	        10000;
	return 0;
}

static int on_zone(void *user, char *const *head, char *const *v, size_t n)
{
	struct fleet *f = user;
	const char *gw = NULL, *zone = NULL;
	struct zone *z;
	int err;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(head[i], "gateway"))
			gw = v[i];
		else if (!strcmp(head[i], "zone"))
			zone = v[i];
	}
	if (!gw || !zone || !zone[0] || !strcmp(zone, gw_tz_name(gw_tz_local())))
		return 0;
	for (size_t i = 0; i < f->nzones; i++)
		if (!strcmp(f->zones[i].gateway, gw))
			return 0; /* its first seal's zone stands */
	z = realloc(f->zones, (f->nzones + 1) * sizeof(*z));
	if (!z)
		return -ENOMEM;
	f->zones = z;
	z = &z[f->nzones];
	snprintf(z->gateway, sizeof(z->gateway), "%s", gw);
	z->tz = gw_tz_load(zone, &err);
	if (!z->tz) {
		gw_log(GW_WARN, "accept", "gateway=%s zone=%s unknown here: its days are %s's", gw,
		       zone, gw_tz_name(gw_tz_local()));
		return 0;
	}
	f->nzones++;
	return 0;
}

/* Each gateway's days in its own zone (DESIGN.md): the zone its seals record. */
static int gateway_zones(struct fleet *f)
{
	int rc = gw_influxq_run(f->src, f->password, "SELECT \"zone\",\"gateway\" FROM \"chain\"",
	                        on_zone, f);

	for (size_t i = 0; rc == 0 && i < f->a->nsensors; i++)
		for (size_t k = 0; k < f->nzones; k++)
			if (!strcmp(f->a->sensors[i].gateway, f->zones[k].gateway))
				f->a->sensors[i].tz = f->zones[k].tz;
	return rc;
}

static int fleet_read(struct fleet *f, const struct gw_config *cfg, const struct gw_accept_opts *o)
{
	char q[8192];
	int year, rc = run_query(f, M_DATABASES, "SHOW DATABASES");

	if (rc == 0 && !f->db_found) {
		gw_log(GW_ERR, "accept", "url=%s db=%s no such database", f->src->url,
		       f->src->database);
		return -ENOENT;
	}
	if (rc == 0)
		rc = run_query(f, M_SERIES, "SHOW SERIES FROM \"reading\" WHERE \"role\" != ''");

	if (rc == 0)
		rc = declare_rules(f);
	if (rc == 0)
		rc = gateway_zones(f);
	if (rc == 0)
		rc = season_year(f, cfg, o, &year);
	for (int m = 1; rc == 0 && m <= 12; m++) {
		rc = data_query(f->a, local_month_ms(year, m), local_month_ms(year, m + 1), q,
		                sizeof(q));
		if (rc == 0)
			rc = run_query(f, M_DATA, q);
	}
	return rc;
}

int gw_acceptance_from_influx(const struct gw_config *cfg, const struct gw_records *recs,
                              const struct gw_fleet_src *src, const struct gw_accept_opts *o,
                              struct gw_plot_result **out, size_t *n)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;

	*out = NULL;
	*n = 0;
	if (!f)
		return rc;
	f->src = src;
	gw_influxq_password(f->src, f->password, sizeof(f->password));
	f->a = gw_acc_new(&cfg->accept);
	if (f->a)
		rc = fleet_read(f, cfg, o);
	if (rc == 0)
		rc = gw_acc_finish(f->a, recs, o, gw_clock_wall_ms(), out, n);
	explicit_bzero(f->password, sizeof(f->password));
	gw_acc_free(f->a);
	for (size_t i = 0; i < f->nzones; i++)
		gw_tz_free(f->zones[i].tz);
	free(f->zones);
	free(f->slots);
	free(f);
	return rc;
}
