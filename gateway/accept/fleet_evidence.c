/* The fleet report's evidence; see fleet_evidence.h. */
#include "fleet_evidence.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "chain_content.h"
#include "chain_day.h"
#include "crypto.h"
#include "accept_influx.h"
#include "influx_query.h"
#include "seals.h"
#include "tz.h"

#define MAX_FIELDS 256
#define MAX_COLS   64              /* influx_query.c hands at most as many */
#define END_MS     4102444800000LL /* 2100-01-01: "all readings" */

struct ctx {
	const struct gw_fleet_src *src;
	char password[256];
	char fields[MAX_FIELDS][64]; /* the reading measurement's field keys */
	size_t nfields;
	struct gw_fleet_evidence *ev;
};

static int add_bad(struct gw_fleet_evidence *ev, size_t gw, int day, const char *why)
{
	struct gw_fleet_gateway *g = &ev->gateways[gw];
	struct gw_fleet_bad *b = realloc(ev->bad, (ev->nbad + 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	ev->bad = b;
	b[ev->nbad++] = (struct gw_fleet_bad){gw, day, why};
	if (!g->first_bad || day < g->first_bad) {
		g->first_bad = day;
		g->first_why = why;
	}
	return 0;
}

static int on_field(void *user, char *const *head, char *const *v, size_t n)
{
	struct ctx *c = user;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(head[i], "fieldKey") && c->nfields < MAX_FIELDS)
			snprintf(c->fields[c->nfields++], sizeof(c->fields[0]), "%s", v[i]);
	return 0;
}

static bool is_field(const struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nfields; i++)
		if (!strcmp(c->fields[i], name))
			return true;
	return false;
}

/* What a column of the answer is to the digest, looked up once per series (its header). */
enum col_kind { COL_SKIP, COL_TIME, COL_SENSOR, COL_TAGS, COL_VALUE, COL_QUALITY };

struct col {
	enum col_kind kind;
	char name[64]; /* a value's name (of "<name>_q": name) */
};

struct day_read {
	struct ctx *c;
	struct gw_content content;
	int64_t rows, first_ts;
	struct col cols[MAX_COLS];
	size_t ncols;
	char tags[2 * GW_ID_LEN + 32]; /* the series' tags column, as last parsed */
	char sensor[GW_ID_LEN];        /* its sensor */
};

/* The sensor of a series' tags column ("sensor=s1", a query grouped by sensor). */
static void series_sensor(struct day_read *d, const char *tags)
{
	char key[sizeof(d->tags) + 2];

	if (!strcmp(tags, d->tags))
		return;
	snprintf(d->tags, sizeof(d->tags), "%s", tags);
	snprintf(key, sizeof(key), "x,%s", tags);
	gw_accept_series_tag(key, "sensor", d->sensor, sizeof(d->sensor));
}

static void on_head(void *user, char *const *head, size_t n)
{
	struct day_read *d = user;

	d->ncols = n < MAX_COLS ? n : MAX_COLS;
	d->tags[0] = d->sensor[0] = '\0';
	for (size_t i = 0; i < d->ncols; i++) {
		struct col *c = &d->cols[i];
		size_t l = strlen(head[i]);

		c->kind = COL_SKIP;
		if (!strcmp(head[i], "time"))
			c->kind = COL_TIME;
		else if (!strcmp(head[i], "sensor"))
			c->kind = COL_SENSOR;
		else if (!strcmp(head[i], "tags"))
			c->kind = COL_TAGS;
		else if (is_field(d->c, head[i]) && l > 2 && !strcmp(head[i] + l - 2, "_q"))
			c->kind = COL_QUALITY;
		else if (is_field(d->c, head[i]))
			c->kind = COL_VALUE;
		snprintf(c->name, sizeof(c->name), "%.*s",
		         (int)(c->kind == COL_QUALITY ? l - 2 : l), head[i]);
	}
}

/* One point of `reading` as the content digest takes it: time, sensor, and each value (a
 * number field is good; "<name>_q" names the quality of a value not written). */
static int on_point(void *user, char *const *head, char *const *v, size_t n)
{
	struct day_read *d = user;
	struct gw_content_value vals[GW_MAX_POINTS];
	const char *sensor = NULL;
	int64_t ts = 0;
	size_t nv = 0;

	(void)head; /* on_head planned the columns */
	for (size_t i = 0; i < n && i < d->ncols; i++) {
		const struct col *c = &d->cols[i];

		switch (c->kind) {
		case COL_TIME:
			ts = strtoll(v[i], NULL, 10);
			break;
		case COL_SENSOR:
			sensor = v[i];
			break;
		case COL_TAGS:
			series_sensor(d, v[i]);
			sensor = d->sensor[0] ? d->sensor : sensor;
			break;
		case COL_VALUE:
		case COL_QUALITY:
			if (!v[i][0] || nv == GW_MAX_POINTS)
				break;
			vals[nv++] = c->kind == COL_QUALITY
			                     ? (struct gw_content_value){c->name, v[i], 0}
			                     : (struct gw_content_value){c->name, "good",
			                                                 strtod(v[i], NULL)};
			break;
		case COL_SKIP:
			break;
		}
	}
	if (!d->rows++)
		d->first_ts = ts;
	return sensor ? gw_content_add(&d->content, ts, sensor, vals, nv) : 0;
}

static void quote(char *q, size_t len, size_t *o, const char *s)
{
	for (; *s && *o + 3 < len; s++) {
		if (*s == '\'' || *s == '\\')
			q[(*o)++] = '\\';
		q[(*o)++] = *s;
	}
	q[*o] = '\0';
}

/* The readings of gw in [from, to): their content digest and count (limit: at most that many
 * points read, 0 for all). All of them are read grouped by sensor: influxd then streams series
 * by series instead of merging every series by time (the digest sorts its leaves anyway). */
static int read_day(struct ctx *c, const char *gw, int64_t from, int64_t to, int limit,
                    uint8_t digest[GW_SHA256_LEN], int64_t *count, int64_t *first_ts)
{
	struct day_read d = {.c = c};
	char q[512];
	size_t o =
	        (size_t)snprintf(q, sizeof(q), "SELECT * FROM \"reading\" WHERE \"gateway\" = '");
	int rc;

	quote(q, sizeof(q), &o, gw);
	snprintf(q + o, sizeof(q) - o, "' AND time >= %lldms AND time < %lldms%s", (long long)from,
	         (long long)to, limit ? " LIMIT 1" : " GROUP BY \"sensor\"");
	gw_content_init(&d.content);
	rc = gw_influxq_stream(c->src, c->password, q, on_head, on_point, &d);
	if (digest)
		gw_content_digest(&d.content, digest);
	*count = d.rows;
	if (first_ts)
		*first_ts = d.first_ts;
	gw_content_free(&d.content);
	return rc;
}

/* The local midnight starting day (yyyymmdd) in zone (the report's when unknown). */
static int64_t midnight(const char *zone, int64_t day, int add)
{
	int err;
	struct gw_tz *tz = zone[0] ? gw_tz_load(zone, &err) : NULL;
	int64_t ms = gw_tz_to_ms(
	        tz ? tz : gw_tz_local(),
	        gw_tz_civil_day((int)(day / 10000), (int)(day / 100 % 100), (int)(day % 100)) + add,
	        0);

	gw_tz_free(tz);
	return ms;
}

static int gateway_of(struct gw_fleet_evidence *ev, const char *id, size_t *at)
{
	struct gw_fleet_gateway *g;

	for (*at = 0; *at < ev->ngateways; (*at)++)
		if (!strcmp(ev->gateways[*at].id, id))
			return 0;
	g = realloc(ev->gateways, (ev->ngateways + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	ev->gateways = g;
	memset(&g[ev->ngateways], 0, sizeof(*g));
	snprintf(g[ev->ngateways].id, sizeof(g->id), "%s", id);
	*at = ev->ngateways++;
	return 0;
}

struct tag_values {
	struct ctx *c;
	size_t gw;
	bool plots; /* else gateways */
};

static int on_tag_value(void *user, char *const *head, char *const *v, size_t n)
{
	struct tag_values *t = user;
	struct gw_fleet_gateway *g;
	size_t at;
	char **p;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(head[i], "value") || !v[i][0])
			continue;
		if (!t->plots)
			return gateway_of(t->c->ev, v[i], &at);
		g = &t->c->ev->gateways[t->gw];
		p = realloc(g->plots, (g->nplots + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		g->plots = p;
		if (!(p[g->nplots] = strdup(v[i])))
			return -ENOMEM;
		g->nplots++;
	}
	return 0;
}

static int tag_values(struct ctx *c, size_t gw, bool plots)
{
	struct tag_values t = {c, gw, plots};
	char q[512];
	size_t o;

	if (!plots)
		return gw_influxq_run(c->src, c->password,
		                      "SHOW TAG VALUES FROM \"reading\" WITH KEY = \"gateway\"",
		                      on_tag_value, &t);
	o = (size_t)snprintf(q, sizeof(q),
	                     "SHOW TAG VALUES FROM \"reading\" WITH KEY = \"plot\" WHERE "
	                     "\"gateway\" = '");
	quote(q, sizeof(q), &o, c->ev->gateways[gw].id);
	snprintf(q + o, sizeof(q) - o, "'");
	return gw_influxq_run(c->src, c->password, q, on_tag_value, &t);
}

/* One sealed day (s[0..n): every seal received for it) of gateway gw. */
static int check_day(struct ctx *c, size_t gw, const struct gw_seal *s, size_t n, const uint8_t *pk)
{
	struct gw_fleet_gateway *g = &c->ev->gateways[gw];
	const struct gw_journal_link *l = &s[n - 1].l;
	uint8_t want[GW_SHA256_LEN], got[GW_SHA256_LEN];
	int64_t count;
	int rc;

	for (size_t i = 0; i + 1 < n; i++)
		if (memcmp(s[i].l.digest, l->digest, GW_SHA256_LEN))
			return g->differing++, add_bad(c->ev, gw, (int)l->day, "sealed twice");
	if (l->version < 2)
		return g->old++, 0;
	if (pk && !l->signed_)
		return g->differing++, add_bad(c->ev, gw, (int)l->day, "unsigned");
	if (pk && !gw_chain_seal_verify(l, g->id, pk))
		return g->differing++, add_bad(c->ev, gw, (int)l->day, "bad signature");
	gw_chain_digest_v2(l, want);
	if (memcmp(want, l->digest, GW_SHA256_LEN))
		return g->differing++, add_bad(c->ev, gw, (int)l->day, "digest");
	rc = read_day(c, g->id, midnight(l->zone, l->day, 0), midnight(l->zone, l->day, 1), 0, got,
	              &count, NULL);
	if (rc)
		return rc;
	if (count != l->content_n || memcmp(got, l->content, GW_SHA256_LEN))
		return g->differing++, add_bad(c->ev, gw, (int)l->day, "content");
	g->verified++;
	return 0;
}

static int32_t civil(int64_t yyyymmdd)
{
	return gw_tz_civil_day((int)(yyyymmdd / 10000), (int)(yyyymmdd / 100 % 100),
	                       (int)(yyyymmdd % 100));
}

/* A day of gw with readings and no seal: missing. */
static int missing(struct ctx *c, size_t gw, int day, const char *why)
{
	c->ev->gateways[gw].missing++;
	return add_bad(c->ev, gw, day, why);
}

/* Days with readings and no seal: before the first seal (or at all, with none), and in the
 * gaps between seals. Readings after the last seal are not sealed yet: not missing. */
static int check_missing(struct ctx *c, size_t gw, const struct gw_seal *s, size_t n)
{
	struct gw_fleet_gateway *g = &c->ev->gateways[gw];
	int64_t count, first_ts = 0;
	int rc = read_day(c, g->id, 0, n ? midnight(g->zone, s[0].l.day, 0) : END_MS, 1, NULL,
	                  &count, &first_ts);

	if (rc == 0 && count) {
		int64_t day = gw_tz_yyyymmdd(gw_tz_local(), first_ts);

		rc = missing(c, gw, (int)day,
		             n ? "readings before the first seal" : "no seal at all");
	}
	for (size_t i = 0; rc == 0 && i + 1 < n; i++) {
		for (int32_t d = civil(s[i].l.day) + 1; rc == 0 && d < civil(s[i + 1].l.day); d++) {
			int day = gw_tz_civil_yyyymmdd(d);

			rc = read_day(c, g->id, midnight(g->zone, day, 0),
			              midnight(g->zone, day, 1), 1, NULL, &count, &first_ts);
			if (rc == 0 && count)
				rc = missing(c, gw, day, "readings without a seal");
		}
	}
	return rc;
}

/* The registry's key of gw, or NULL (no registry, or gw not in it: then every day of gw
 * differs as "not in the registry"). */
static const uint8_t *key_of(const char *registry, const char *gw, uint8_t pk[GW_PUBKEY_LEN],
                             bool *unknown)
{
	FILE *quiet = fopen("/dev/null", "w");
	int rc = registry && quiet ? gw_chain_registry_find(registry, gw, pk, quiet) : -ENOENT;

	if (quiet)
		fclose(quiet);
	*unknown = registry && rc;
	return rc ? NULL : pk;
}

static int check_gateway(struct ctx *c, size_t gw, const struct gw_seals *all, const char *registry)
{
	struct gw_fleet_gateway *g = &c->ev->gateways[gw];
	uint8_t pk[GW_PUBKEY_LEN];
	size_t lo = 0, hi;
	bool unknown;
	const uint8_t *key = key_of(registry, g->id, pk, &unknown);
	int rc = tag_values(c, gw, true);

	while (lo < all->n && strcmp(all->v[lo].gateway, g->id))
		lo++;
	for (hi = lo; hi < all->n && !strcmp(all->v[hi].gateway, g->id); hi++)
		snprintf(g->zone, sizeof(g->zone), "%s", all->v[hi].l.zone);
	for (size_t i = lo; rc == 0 && i < hi;) {
		size_t k = i + 1;

		while (k < hi && all->v[k].l.day == all->v[i].l.day)
			k++;
		if (unknown) {
			g = &c->ev->gateways[gw];
			g->differing++;
			rc = add_bad(c->ev, gw, (int)all->v[i].l.day, "not in the registry");
		} else
			rc = check_day(c, gw, &all->v[i], k - i, key);
		i = k;
	}
	return rc ? rc : check_missing(c, gw, all->v + lo, hi - lo);
}

static void header(struct gw_fleet_evidence *ev, const char *registry)
{
	size_t o = 0;

	o += (size_t)snprintf(ev->header, sizeof(ev->header), "fleet evidence%s:",
	                      registry ? "" : " (signatures not checked: no --registry)");
	for (size_t i = 0; i < ev->ngateways && o < sizeof(ev->header); i++) {
		const struct gw_fleet_gateway *g = &ev->gateways[i];

		o += (size_t)snprintf(ev->header + o, sizeof(ev->header) - o,
		                      "%s %s %lld verified, %lld differing, %lld missing",
		                      i ? ";" : "", g->id, (long long)g->verified,
		                      (long long)g->differing, (long long)g->missing);
		if (g->first_bad && o < sizeof(ev->header))
			o += (size_t)snprintf(ev->header + o, sizeof(ev->header) - o,
			                      " (first %04d-%02d-%02d: %s)", g->first_bad / 10000,
			                      g->first_bad / 100 % 100, g->first_bad % 100,
			                      g->first_why);
	}
}

int gw_fleet_evidence_check(const struct gw_fleet_src *src, const char *registry,
                            struct gw_fleet_evidence *ev, FILE *err)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct gw_seals all = {0};
	uint8_t pk[GW_PUBKEY_LEN];
	size_t at;
	int rc = c ? 0 : -ENOMEM;

	memset(ev, 0, sizeof(*ev));
	if (rc == 0 && registry && access(registry, R_OK) != 0) {
		fprintf(err, "%s: error: cannot read the registry: %s\n", registry,
		        strerror(errno));
		rc = -EINVAL;
	}
	if (rc == 0 && registry) {
		FILE *quiet = fopen("/dev/null", "w");
		int r = quiet ? gw_chain_registry_find(registry, "", pk, quiet) : -ENOMEM;

		if (quiet)
			fclose(quiet);
		if (r && r != -ENOENT) {
			gw_chain_registry_find(registry, "", pk, err); /* say what is wrong */
			rc = -EINVAL;
		}
	}
	if (rc == 0) {
		c->src = src;
		c->ev = ev;
		gw_influxq_password(src, c->password, sizeof(c->password));
		rc = gw_influxq_run(src, c->password, "SHOW FIELD KEYS FROM \"reading\"", on_field,
		                    c);
	}
	if (rc == 0)
		rc = gw_seals_read_influx(src, NULL, &all);
	gw_seals_sort(&all);
	for (size_t i = 0; rc == 0 && i < all.n; i++)
		rc = gateway_of(ev, all.v[i].gateway, &at);
	if (rc == 0)
		rc = tag_values(c, 0, false);
	for (size_t i = 0; rc == 0 && i < ev->ngateways; i++)
		rc = check_gateway(c, i, &all, registry);
	if (rc == 0)
		header(ev, registry);
	gw_seals_free(&all);
	if (c)
		gw_crypto_wipe(c->password, sizeof(c->password));
	free(c);
	return rc;
}

static bool has_plot(const struct gw_fleet_gateway *g, const char *plot)
{
	for (size_t i = 0; i < g->nplots; i++)
		if (!strcmp(g->plots[i], plot))
			return true;
	return false;
}

size_t gw_fleet_evidence_mark(const struct gw_fleet_evidence *ev, struct gw_plot_result *res,
                              size_t n)
{
	size_t marked = 0;

	for (size_t i = 0; i < n; i++) {
		const struct gw_fleet_bad *hit = NULL;

		for (size_t b = 0; b < ev->nbad && !hit; b++) {
			if (!has_plot(&ev->gateways[ev->bad[b].gw], res[i].plot))
				continue;
			for (size_t k = 0; k < res[i].ndays && !hit; k++)
				if (res[i].days[k].day == ev->bad[b].day &&
				    (res[i].days[k].received > 0 || res[i].days[k].expected > 0))
					hit = &ev->bad[b];
		}
		if (!hit)
			continue;
		res[i].verdict = GW_VERDICT_UNVERIFIED;
		snprintf(res[i].reason, sizeof(res[i].reason),
		         "evidence of %s fails on %02d-%02d (%s)", ev->gateways[hit->gw].id,
		         hit->day / 100 % 100, hit->day % 100, hit->why);
		marked++;
	}
	return marked;
}

void gw_fleet_evidence_free(struct gw_fleet_evidence *ev)
{
	for (size_t i = 0; i < ev->ngateways; i++) {
		for (size_t k = 0; k < ev->gateways[i].nplots; k++)
			free(ev->gateways[i].plots[k]);
		free(ev->gateways[i].plots);
	}
	free(ev->gateways);
	free(ev->bad);
	memset(ev, 0, sizeof(*ev));
}
