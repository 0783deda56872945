/* Named-zone local time from the TZif file (RFC 8536, v2+ 64-bit data and its footer) and
 * a POSIX TZ rule parser for the footer. Never reads or sets the process TZ. */
#include "tz.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE  (1 << 20)
#define MAX_TRANS 10000
#define MAX_TYPES 256

struct rule {
	char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.weekday) */
	int n, m, w, d;
	int32_t time; /* local seconds after midnight, may be negative or > 24 h */
};

struct gw_tz {
	char name[GW_TZ_NAME_LEN];
	int64_t *trans; /* transition instants, s, ascending */
	unsigned char *idx;
	size_t ntrans;
	int32_t off[MAX_TYPES]; /* UTC offset of each local time type */
	size_t ntypes;
	bool has_rule, has_dst; /* the footer, for instants after the last transition */
	int32_t std_off, dst_off;
	struct rule start, end;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t gw_tz_civil_day(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int gw_tz_civil_yyyymmdd(int32_t day)
{
	int z = day + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp < 10 ? mp + 3 : mp - 9;

	return (yoe + era * 400 + (m <= 2)) * 10000 + m * 100 + d;
}

/* POSIX TZ string ---------------------------------------------------------------------- */

static const char *skip_name(const char *s)
{
	const char *b = s;

	if (*s == '<') {
		while (*s && *s != '>')
			s++;
		return *s ? s + 1 : NULL;
	}
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	return s - b >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds (hours up to max_h). */
static const char *parse_hms(const char *s, int max_h, int32_t *out)
{
	int sign = 1, part[3] = {0, 0, 0};

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		int v = 0, digits = 0;

		if (i && *s != ':')
			break;
		s += i > 0;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || v > (i ? 59 : max_h))
			return NULL;
		part[i] = v;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return s;
}

static const char *parse_int(const char *s, int lo, int hi, int *out)
{
	int v = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits || v < lo || v > hi)
		return NULL;
	*out = v;
	return s;
}

static const char *parse_rule(const char *s, struct rule *r)
{
	r->time = 7200;
	if (*s == 'M') {
		r->kind = 'M';
		s = parse_int(s + 1, 1, 12, &r->m);
		s = s && *s == '.' ? parse_int(s + 1, 1, 5, &r->w) : NULL;
		s = s && *s == '.' ? parse_int(s + 1, 0, 6, &r->d) : NULL;
	} else if (*s == 'J') {
		r->kind = 'J';
		s = parse_int(s + 1, 1, 365, &r->n);
	} else {
		r->kind = 'N';
		s = parse_int(s, 0, 365, &r->n);
	}
	if (s && *s == '/')
		s = parse_hms(s + 1, 167, &r->time);
	return s;
}

static int parse_posix(struct gw_tz *tz, const char *s)
{
	int32_t v;

	if (!(s = skip_name(s)) || !(s = parse_hms(s, 24, &v)))
		return -EINVAL;
	tz->std_off = -v;
	tz->has_rule = true;
	if (!*s)
		return 0;
	if (!(s = skip_name(s)))
		return -EINVAL;
	tz->dst_off = tz->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_hms(s, 24, &v)))
			return -EINVAL;
		tz->dst_off = -v;
	}
	tz->has_dst = true;
	if (!*s) /* no rule: the US rules POSIX leaves to the implementation */
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' || !(s = parse_rule(s + 1, &tz->start)) || *s != ',' ||
	    !(s = parse_rule(s + 1, &tz->end)) || *s)
		return -EINVAL;
	return 0;
}

static int64_t rule_day(int y, const struct rule *r)
{
	int64_t jan1 = gw_tz_civil_day(y, 1, 1), first, len, day;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (r->kind == 'J')
		return jan1 + r->n - 1 + (leap && r->n >= 60);
	if (r->kind == 'N')
		return jan1 + r->n;
	first = gw_tz_civil_day(y, r->m, 1);
	len = (r->m == 12 ? gw_tz_civil_day(y + 1, 1, 1) : gw_tz_civil_day(y, r->m + 1, 1)) - first;
	/* 1970-01-01 was a Thursday (4) */
	day = first + ((r->d - (first % 7 + 7 + 4) % 7) + 7) % 7 + (int64_t)(r->w - 1) * 7;
	while (day >= first + len)
		day -= 7;
	return day;
}

static int32_t rule_offset(const struct gw_tz *tz, int64_t t)
{
	int y;
	int64_t s, e;

	if (!tz->has_dst)
		return tz->std_off;
	y = gw_tz_civil_yyyymmdd((int32_t)floor_div(t + tz->std_off, 86400)) / 10000;
	s = rule_day(y, &tz->start) * 86400 + tz->start.time - tz->std_off;
	e = rule_day(y, &tz->end) * 86400 + tz->end.time - tz->dst_off;
	if (s < e)
		return t >= s && t < e ? tz->dst_off : tz->std_off;
	return t >= e && t < s ? tz->std_off : tz->dst_off;
}

/* TZif ------------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_time(const unsigned char *p, size_t size)
{
	if (size == 4)
		return (int32_t)be32(p);
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int header(const unsigned char *b, size_t len, size_t at, struct counts *c)
{
	if (len < at + 44 || memcmp(b + at, "TZif", 4) != 0)
		return -EINVAL;
	b += at + 20;
	*c = (struct counts){be32(b),      be32(b + 4),  be32(b + 8),
	                     be32(b + 12), be32(b + 16), be32(b + 20)};
	if (c->time > MAX_TRANS || c->type == 0 || c->type > MAX_TYPES || c->leap > MAX_TRANS ||
	    c->chars > 4096 || (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
		return -EINVAL;
	return 0;
}

static size_t block_len(const struct counts *c, size_t tsize)
{
	return c->time * (tsize + 1) + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd +
	       c->isut;
}

static int read_block(struct gw_tz *tz, const unsigned char *b, const struct counts *c,
                      size_t tsize)
{
	const unsigned char *idx = b + c->time * tsize, *types = idx + c->time;

	tz->trans = malloc((c->time + 1) * sizeof(*tz->trans));
	tz->idx = malloc(c->time + 1);
	if (!tz->trans || !tz->idx)
		return -ENOMEM;
	for (size_t i = 0; i < c->time; i++) {
		tz->trans[i] = be_time(b + i * tsize, tsize);
		tz->idx[i] = idx[i];
		if (idx[i] >= c->type || (i && tz->trans[i] <= tz->trans[i - 1]))
			return -EINVAL;
	}
	tz->ntrans = c->time;
	for (size_t i = 0; i < c->type; i++)
		tz->off[i] = (int32_t)be32(types + i * 6);
	tz->ntypes = c->type;
	return 0;
}

static int parse_tzif(struct gw_tz *tz, const unsigned char *b, size_t len)
{
	struct counts c;
	size_t at, tsize = 4;
	int rc = header(b, len, 0, &c);

	if (rc)
		return rc;
	at = 44;
	if (b[4] >= '2') { /* skip the 32-bit data: the 64-bit header and data follow */
		at += block_len(&c, 4);
		rc = header(b, len, at, &c);
		if (rc)
			return rc;
		at += 44;
		tsize = 8;
	}
	if (len < at + block_len(&c, tsize))
		return -EINVAL;
	rc = read_block(tz, b + at, &c, tsize);
	at += block_len(&c, tsize);
	if (rc == 0 && tsize == 8 && at + 1 < len && b[at] == '\n') {
		const unsigned char *nl = memchr(b + at + 1, '\n', len - at - 1);
		char footer[128];
		size_t n = nl ? (size_t)(nl - (b + at + 1)) : 0;

		if (n > 0 && n < sizeof(footer)) {
			memcpy(footer, b + at + 1, n);
			footer[n] = '\0';
			rc = parse_posix(tz, footer);
		}
	}
	return rc;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= GW_TZ_NAME_LEN || name[0] == '/' || name[0] == '.' ||
	    strstr(name, "..") || strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-.", *p)))
			return false;
	return true;
}

static int read_file(const char *name, unsigned char **buf, size_t *len)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	FILE *f;
	int n = snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
	                 name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENOENT;
	f = fopen(path, "rb");
	if (!f)
		return -ENOENT;
	*buf = malloc(MAX_FILE);
	*len = *buf ? fread(*buf, 1, MAX_FILE, f) : 0;
	fclose(f);
	if (!*buf)
		return -ENOMEM;
	return *len == MAX_FILE ? -EINVAL : 0;
}

struct gw_tz *gw_tz_load(const char *name, int *err)
{
	struct gw_tz *tz = calloc(1, sizeof(*tz));
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = tz ? 0 : -ENOMEM;

	if (rc == 0 && !valid_name(name))
		rc = -ENOENT;
	if (rc == 0) {
		snprintf(tz->name, sizeof(tz->name), "%s", name);
		rc = read_file(name, &buf, &len);
		if (rc == 0)
			rc = parse_tzif(tz, buf, len);
		else if (rc == -ENOENT && strcmp(name, GW_TZ_DEFAULT) == 0)
			rc = parse_posix(tz, "CST-8"); /* no DST since 1991 */
		else if (rc == -ENOENT && strcmp(name, "UTC") == 0)
			rc = parse_posix(tz, "UTC0");
	}
	free(buf);
	if (rc) {
		gw_tz_free(tz);
		*err = rc;
		return NULL;
	}
	return tz;
}

void gw_tz_free(struct gw_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz);
}

const char *gw_tz_name(const struct gw_tz *tz)
{
	return tz->name;
}

int32_t gw_tz_offset(const struct gw_tz *tz, int64_t ts_ms)
{
	int64_t t = floor_div(ts_ms, 1000);
	size_t lo = 0, hi = tz->ntrans;

	if (tz->ntrans == 0 || t < tz->trans[0])
		return tz->ntrans == 0 && tz->has_rule ? rule_offset(tz, t) : tz->off[0];
	while (hi - lo > 1) { /* the last transition at or before t */
		size_t mid = (lo + hi) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == tz->ntrans - 1 && tz->has_rule)
		return rule_offset(tz, t);
	return tz->off[tz->idx[lo]];
}

int32_t gw_tz_day(const struct gw_tz *tz, int64_t ts_ms, int32_t *sec)
{
	int64_t local = floor_div(ts_ms, 1000) + gw_tz_offset(tz, ts_ms);
	int64_t day = floor_div(local, 86400);

	if (sec)
		*sec = (int32_t)(local - day * 86400);
	return (int32_t)day;
}

int gw_tz_yyyymmdd(const struct gw_tz *tz, int64_t ts_ms)
{
	return gw_tz_civil_yyyymmdd(gw_tz_day(tz, ts_ms, NULL));
}

int64_t gw_tz_to_ms(const struct gw_tz *tz, int32_t day, int32_t sec)
{
	int64_t local = (int64_t)day * 86400 + sec;
	int64_t t = local - gw_tz_offset(tz, (local - gw_tz_offset(tz, local * 1000)) * 1000);

	if (t + gw_tz_offset(tz, t * 1000) != local) /* in a gap: the offset before it */
		t = local - gw_tz_offset(tz, (t - 86400) * 1000);
	return t * 1000;
}

static struct gw_tz *g_local;
static struct gw_tz *g_default;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void load_default(void)
{
	int err;

	g_default = gw_tz_load(GW_TZ_DEFAULT, &err);
}

int gw_tz_use(const char *name)
{
	int err = 0;
	struct gw_tz *tz = gw_tz_load(name, &err);

	if (!tz)
		return err;
	gw_tz_free(g_local);
	g_local = tz;
	return 0;
}

const struct gw_tz *gw_tz_local(void)
{
	static const struct gw_tz fixed = {.name = GW_TZ_DEFAULT, .ntypes = 1, .off = {28800}};

	if (g_local)
		return g_local;
	pthread_once(&g_once, load_default);
	return g_default ? g_default : &fixed;
}
