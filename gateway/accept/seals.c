/* The center's copy of the sealed days; see seals.h. */
#include "seals.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "crypto.h"
#include "influx_query.h"
#include "num.h"

#define TEXT_MAX 256

void gw_seals_free(struct gw_seals *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int parse_day(const char *t, int64_t *day)
{
	int y, m, d;
	char end;

	if (sscanf(t, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31 || y < 1970 || y > 9999)
		return -EINVAL;
	*day = (int64_t)y * 10000 + m * 100 + d;
	return 0;
}

static int parse_hex(const char *t, uint8_t *out, size_t n)
{
	return gw_unhex(t, strlen(t), out, n);
}

static int parse_int(const char *t, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(t, &end, 10);
	return errno || end == t || (*end && *end != 'i') ? -EINVAL : 0;
}

/* One field of a seal by its key (JSON and the `chain` measurement name them alike). Unknown
 * keys are ignored. Returns 0 or -EINVAL with *why. */
static int seal_set(struct gw_seal *s, const char *key, const char *v, const char **why)
{
	struct gw_journal_link *l = &s->l;
	int64_t n = 0;
	int rc = 0;

	if (!strcmp(key, "gateway"))
		rc = strlen(v) < sizeof(s->gateway) ? (strcpy(s->gateway, v), 0) : -EINVAL;
	else if (!strcmp(key, "day"))
		rc = parse_day(v, &l->day);
	else if (!strcmp(key, "zone"))
		rc = strlen(v) < sizeof(l->zone) ? (strcpy(l->zone, v), 0) : -EINVAL;
	else if (!strcmp(key, "digest"))
		rc = parse_hex(v, l->digest, sizeof(l->digest));
	else if (!strcmp(key, "prev"))
		rc = parse_hex(v, l->prev, sizeof(l->prev));
	else if (!strcmp(key, "rows"))
		rc = parse_hex(v, l->rows, sizeof(l->rows));
	else if (!strcmp(key, "content"))
		rc = parse_hex(v, l->content, sizeof(l->content));
	else if (!strcmp(key, "rules"))
		rc = parse_hex(v, l->rules, sizeof(l->rules));
	else if (!strcmp(key, "signature")) {
		rc = parse_hex(v, l->signature, sizeof(l->signature));
		l->signed_ = rc == 0;
	} else if (!strcmp(key, "readings"))
		rc = parse_int(v, &l->readings);
	else if (!strcmp(key, "content_readings"))
		rc = parse_int(v, &l->content_n);
	else if (!strcmp(key, "first_seq"))
		rc = parse_int(v, &l->first_seq);
	else if (!strcmp(key, "last_seq"))
		rc = parse_int(v, &l->last_seq);
	else if (!strcmp(key, "sealed_ms"))
		rc = parse_int(v, &l->sealed_ms);
	else if (!strcmp(key, "version")) {
		rc = parse_int(v, &n);
		rc = rc || n < 1 || n > 2 ? -EINVAL : 0;
		l->version = (int)n;
	}
	if (rc)
		*why = "a field's value is not what a seal holds there";
	return rc;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* A JSON string at p (after its opening quote) into out; escapes \" \\ \/ only (a seal holds
 * ids, a zone name, hex). Returns the position after the closing quote, or NULL. */
static const char *json_string(const char *p, char *out, size_t len)
{
	size_t o = 0;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != '\\' && *p != '/')
				return NULL;
		}
		if ((unsigned char)*p < 0x20 || o + 1 >= len)
			return NULL;
		out[o++] = *p;
	}
	out[o] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* A JSON number (an integer) or string value at p. */
static const char *json_value(const char *p, char *out, size_t len)
{
	size_t o = 0;

	if (*p == '"')
		return json_string(p + 1, out, len);
	while ((*p >= '0' && *p <= '9') || *p == '-') {
		if (o + 1 >= len)
			return NULL;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return o ? p : NULL;
}

int gw_seal_parse_json(const char *text, struct gw_seal *s, const char **why)
{
	char key[64], val[TEXT_MAX];
	const char *p = skip_ws(text);

	memset(s, 0, sizeof(*s));
	s->l.version = 1;
	*why = "not a JSON object of a sealed day";
	if (*p++ != '{')
		return -EINVAL;
	for (p = skip_ws(p); *p != '}';) {
		if (*p != '"' || !(p = json_string(p + 1, key, sizeof(key))))
			return -EINVAL;
		p = skip_ws(p);
		if (*p++ != ':')
			return -EINVAL;
		if (!(p = json_value(skip_ws(p), val, sizeof(val))))
			return -EINVAL;
		if (seal_set(s, key, val, why))
			return -EINVAL;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != '}')
			return -EINVAL;
	}
	if (*skip_ws(p + 1)) {
		*why = "text after the object";
		return -EINVAL;
	}
	if (!s->gateway[0] || !s->l.day) {
		*why = "a sealed day needs gateway, day and digest";
		return -EINVAL;
	}
	return 0;
}

static int add(struct gw_seals *out, const struct gw_seal *s)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		struct gw_seal *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = *s;
	return 0;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int gw_seals_read_file(const char *path, const char *gateway, struct gw_seals *out, FILE *err)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	size_t start = out->n;
	int no = 0, rc = 0;

	if (!fp) {
		fprintf(err, "%s: error: cannot read: %s\n", path, strerror(errno));
		return -errno;
	}
	while (rc != -ENOMEM && fgets(line, sizeof(line), fp)) {
		struct gw_seal s;
		const char *why;

		no++;
		if (!strchr(line, '\n') && !feof(fp)) {
			fprintf(err, "%s:%d: error: line longer than %zu bytes\n", path, no,
			        sizeof(line) - 1);
			rc = -EINVAL;
			break;
		}
		if (!*skip_ws(line))
			continue;
		if (gw_seal_parse_json(line, &s, &why) || all_zero(s.l.digest, GW_SHA256_LEN)) {
			fprintf(err, "%s:%d: error: %s\n", path, no,
			        all_zero(s.l.digest, GW_SHA256_LEN) && s.gateway[0] ? "no digest"
			                                                            : why);
			rc = -EINVAL;
			continue;
		}
		if (!gateway || !strcmp(gateway, s.gateway))
			rc = add(out, &s);
	}
	fclose(fp);
	if (rc)
		out->n = start;
	return rc;
}

static int on_chain_row(void *user, char *const *head, char *const *v, size_t n)
{
	struct gw_seal s;
	const char *why;
	int64_t ms;

	memset(&s, 0, sizeof(s));
	s.l.version = 1;
	for (size_t i = 0; i < n; i++) {
		if (!v[i][0] || !strcmp(head[i], "name") || !strcmp(head[i], "tags"))
			continue;
		if (!strcmp(head[i], "time")) {
			if (parse_int(v[i], &ms))
				return 0;
			continue;
		}
		if (seal_set(&s, head[i], v[i], &why))
			return 0; /* a point that is not a seal: left out, the day then missing */
	}
	return s.gateway[0] && s.l.day ? add(user, &s) : 0;
}

int gw_seals_read_influx(const struct gw_fleet_src *src, const char *gateway, struct gw_seals *out)
{
	char q[512], password[256];
	size_t o = (size_t)snprintf(q, sizeof(q), "SELECT * FROM \"chain\"");
	int rc;

	if (gateway) {
		o += (size_t)snprintf(q + o, sizeof(q) - o, " WHERE \"gateway\" = '");
		for (const char *c = gateway; *c && o + 4 < sizeof(q); c++) {
			if (*c == '\'' || *c == '\\')
				q[o++] = '\\';
			q[o++] = *c;
		}
		if (o + 2 >= sizeof(q))
			return -ENAMETOOLONG;
		q[o++] = '\'';
		q[o] = '\0';
	}
	gw_influxq_password(src, password, sizeof(password));
	rc = gw_influxq_run(src, password, q, on_chain_row, out);
	gw_crypto_wipe(password, sizeof(password));
	return rc;
}

static int seal_order(const void *a, const void *b)
{
	const struct gw_seal *x = a, *y = b;
	int c = strcmp(x->gateway, y->gateway);

	if (c)
		return c;
	if (x->l.day != y->l.day)
		return x->l.day < y->l.day ? -1 : 1;
	return x->l.sealed_ms < y->l.sealed_ms ? -1 : x->l.sealed_ms > y->l.sealed_ms;
}

void gw_seals_sort(struct gw_seals *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), seal_order);
}

/* The received seals of gateway, [*lo, *hi) of the sorted got. */
static void gateway_range(const struct gw_seals *got, const char *gateway, size_t *lo, size_t *hi)
{
	*lo = 0;
	while (*lo < got->n && strcmp(got->v[*lo].gateway, gateway) < 0)
		(*lo)++;
	*hi = *lo;
	while (*hi < got->n && !strcmp(got->v[*hi].gateway, gateway))
		(*hi)++;
}

struct cmp {
	const struct gw_seals *got;
	size_t at, end;
	int64_t first_here, last_got;
	bool restarted;
	gw_seal_diff_fn fn;
	void *user;
	struct gw_seal_diff *out;
};

static void note(struct cmp *c, int64_t day, enum gw_seal_cmp k, const struct gw_journal_link *here,
                 const struct gw_seal *got)
{
	struct gw_seal_diff *o = c->out;

	switch (k) {
	case GW_SEAL_SAME:
		o->same++;
		break;
	case GW_SEAL_DIFFERS:
		o->differs++;
		break;
	case GW_SEAL_NOT_RECEIVED:
		o->not_received++;
		break;
	case GW_SEAL_MISSING_CENTER:
		o->missing_center++;
		break;
	case GW_SEAL_MISSING_HERE:
		o->missing_here++;
		break;
	case GW_SEAL_LOST_RESTARTED:
		o->lost++;
		break;
	}
	if (gw_seal_cmp_bad(k) && !o->first_day) {
		o->first_day = day;
		o->first = k;
	}
	if (c->fn)
		c->fn(c->user, day, k, here, got);
}

/* Received days before the journal's day (or all that are left: day INT64_MAX). */
static void received_before(struct cmp *c, int64_t day)
{
	for (; c->at < c->end && c->got->v[c->at].l.day < day; c->at++) {
		const struct gw_seal *g = &c->got->v[c->at];

		if (c->at + 1 < c->end && c->got->v[c->at + 1].l.day == g->l.day &&
		    !memcmp(c->got->v[c->at + 1].l.digest, g->l.digest, GW_SHA256_LEN))
			continue; /* the same seal received again */
		note(c, g->l.day,
		     c->restarted && g->l.day < c->first_here ? GW_SEAL_LOST_RESTARTED
		                                              : GW_SEAL_MISSING_HERE,
		     NULL, g);
	}
}

static int compare_day(void *user, const struct gw_journal_link *l)
{
	struct cmp *c = user;
	const struct gw_seal *differs = NULL, *same = NULL;

	if (!c->first_here)
		c->first_here = l->day;
	received_before(c, l->day);
	for (; c->at < c->end && c->got->v[c->at].l.day == l->day; c->at++) {
		const struct gw_seal *g = &c->got->v[c->at];

		if (memcmp(g->l.digest, l->digest, GW_SHA256_LEN))
			differs = differs ? differs : g;
		else
			same = g;
	}
	if (differs)
		note(c, l->day, GW_SEAL_DIFFERS, l, differs);
	else if (same)
		note(c, l->day, GW_SEAL_SAME, l, same);
	else
		note(c, l->day,
		     l->day < c->last_got ? GW_SEAL_MISSING_CENTER : GW_SEAL_NOT_RECEIVED, l, NULL);
	return 0;
}

int gw_seals_compare(struct gw_journal *j, const struct gw_seals *got, const char *gateway,
                     bool restarted, gw_seal_diff_fn fn, void *user, struct gw_seal_diff *out)
{
	struct cmp c = {.got = got, .restarted = restarted, .fn = fn, .user = user, .out = out};
	int rc;

	memset(out, 0, sizeof(*out));
	gateway_range(got, gateway, &c.at, &c.end);
	if (c.end > c.at)
		c.last_got = got->v[c.end - 1].l.day;
	rc = gw_journal_links(j, compare_day, &c);
	if (rc >= 0)
		received_before(&c, INT64_MAX);
	return rc < 0 ? rc : 0;
}

const char *gw_seal_cmp_name(enum gw_seal_cmp c)
{
	switch (c) {
	case GW_SEAL_SAME:
		return "same";
	case GW_SEAL_DIFFERS:
		return "differs";
	case GW_SEAL_NOT_RECEIVED:
		return "not received yet";
	case GW_SEAL_MISSING_CENTER:
		return "missing at the center";
	case GW_SEAL_MISSING_HERE:
		return "missing here";
	case GW_SEAL_LOST_RESTARTED:
		return "lost (journal restarted)";
	}
	return "?";
}
