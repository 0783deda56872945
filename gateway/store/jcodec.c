/* The journal's encoding of sources and poll data; see jcodec.h. */
#include "jcodec.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "num.h"

#define FLAG_UNSYNCED 0x01u

void gw_source_tags(const struct gw_source *s, struct gw_reading_tags *tags)
{
	tags->gateway = s->gateway[0] ? s->gateway : NULL;
	tags->plot = s->plot[0] ? s->plot : NULL;
	tags->household = s->household[0] ? s->household : NULL;
	tags->township = s->township[0] ? s->township : NULL;
	tags->village = s->village[0] ? s->village : NULL;
	tags->film_type = s->film[0] ? s->film : NULL;
	tags->role = s->role[0] ? s->role : NULL;
	tags->interval_s = s->interval[0] ? s->interval : NULL;
}

struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put_c(struct out *o, char c)
{
	if (o->pos + 1 >= o->len) {
		o->full = true;
		return;
	}
	o->buf[o->pos++] = c;
	o->buf[o->pos] = '\0';
}

static void put_s(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '\t' || *s == '\n') {
			put_c(o, '\\');
			put_c(o, *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\');
		} else {
			put_c(o, *s);
		}
	}
}

static void put_kv(struct out *o, const char *key, const char *val)
{
	put_s(o, key);
	put_c(o, '\t');
	put_s(o, val);
	put_c(o, '\n');
}

int gw_source_format(const struct gw_source *s, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	char dec[16];

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	put_kv(&o, "gateway", s->gateway);
	put_kv(&o, "sensor", s->sensor);
	put_kv(&o, "plot", s->plot);
	put_kv(&o, "household", s->household);
	put_kv(&o, "township", s->township);
	put_kv(&o, "village", s->village);
	if (s->film[0])
		put_kv(&o, "film", s->film);
	if (s->role[0]) {
		put_kv(&o, "role", s->role);
		put_kv(&o, "interval", s->interval);
	}
	put_kv(&o, "profile", s->prof.name);
	for (size_t k = 0; k < s->prof.npoints; k++) {
		snprintf(dec, sizeof(dec), "%d", s->prof.points[k].decimals);
		put_s(&o, "point");
		put_c(&o, '\t');
		put_s(&o, s->prof.points[k].name);
		put_c(&o, '\t');
		put_s(&o, dec);
		put_c(&o, '\t');
		put_s(&o, s->prof.points[k].unit);
		put_c(&o, '\n');
	}
	return o.full ? -ENOSPC : (int)o.pos;
}

/* Copies the escaped field at *p (up to a tab or newline) into dst; advances *p past it. */
static int take(const char **p, char *dst, size_t len)
{
	size_t n = 0;
	const char *s = *p;

	for (; *s && *s != '\t' && *s != '\n'; s++) {
		char c = *s;

		if (c == '\\') {
			c = *++s;
			if (c == 't')
				c = '\t';
			else if (c == 'n')
				c = '\n';
			else if (c != '\\')
				return -EINVAL;
		}
		if (n + 1 >= len)
			return -EINVAL;
		dst[n++] = c;
	}
	dst[n] = '\0';
	*p = s;
	return 0;
}

/* Consumes the character c at *p; false (and *p unchanged) when something else is there. */
static bool eat(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int parse_point(const char **p, struct gw_source *s)
{
	struct gw_point *pt;
	char dec[16];
	long d;

	if (s->prof.npoints >= GW_MAX_POINTS)
		return -EINVAL;
	pt = &s->prof.points[s->prof.npoints++];
	if (take(p, pt->name, sizeof(pt->name)) || !eat(p, '\t') || take(p, dec, sizeof(dec)) ||
	    !eat(p, '\t') || take(p, pt->unit, sizeof(pt->unit)) ||
	    !gw_point_name_is_valid(pt->name))
		return -EINVAL;
	if (gw_num_long(dec, 0, 17, &d))
		return -EINVAL;
	pt->decimals = (int)d;
	return 0;
}

/* Borrows: where the value of key goes, with its size in *len and its bit in *bit; NULL for
 * an unknown key. */
static char *field(struct gw_source *s, const char *key, size_t *len, unsigned *bit)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
	        {"gateway", offsetof(struct gw_source, gateway), GW_ID_LEN},
	        {"sensor", offsetof(struct gw_source, sensor), GW_ID_LEN},
	        {"plot", offsetof(struct gw_source, plot), GW_ID_LEN},
	        {"household", offsetof(struct gw_source, household), GW_ID_LEN},
	        {"township", offsetof(struct gw_source, township), GW_ID_LEN},
	        {"village", offsetof(struct gw_source, village), GW_ID_LEN},
	        {"film", offsetof(struct gw_source, film), sizeof(s->film)},
	        {"role", offsetof(struct gw_source, role), sizeof(s->role)},
	        {"interval", offsetof(struct gw_source, interval), sizeof(s->interval)},
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(keys); i++) {
		if (strcmp(keys[i].key, key) == 0) {
			*len = keys[i].len;
			*bit = 1u << i;
			return (char *)s + keys[i].off;
		}
	}
	if (strcmp(key, "profile") == 0) {
		*len = sizeof(s->prof.name);
		*bit = 1u << 15;
		return s->prof.name;
	}
	return NULL;
}

int gw_source_parse(const char *text, struct gw_source *s)
{
	const char *p = text;
	char key[32], *dst;
	unsigned bit, seen = 0;
	size_t len;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	while (rc == 0 && *p) {
		rc = take(&p, key, sizeof(key));
		if (rc == 0 && !eat(&p, '\t'))
			rc = -EINVAL;
		if (rc == 0 && strcmp(key, "point") == 0)
			rc = parse_point(&p, s);
		else if (rc == 0 && (dst = field(s, key, &len, &bit)) && !(seen & bit)) {
			seen |= bit; /* a key twice: not a text we wrote */
			rc = take(&p, dst, len);
		} else if (rc == 0)
			rc = -EINVAL; /* repeated, or from a newer build: refuse rather than guess
			               */
		if (rc == 0 && !eat(&p, '\n'))
			rc = -EINVAL;
	}
	if (rc == 0 && (!s->sensor[0] || s->prof.npoints == 0))
		rc = -EINVAL;
	if (rc)
		memset(s, 0, sizeof(*s));
	return rc;
}

static void put_u64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

int gw_jdata_pack(const struct gw_reading *r, uint8_t *buf, size_t len)
{
	size_t n = r->profile->npoints, pos = 2;
	uint64_t bits;

	if (len < 2 || n > GW_MAX_POINTS)
		return -ENOSPC;
	buf[0] = r->unsynced ? FLAG_UNSYNCED : 0;
	buf[1] = (uint8_t)n;
	for (size_t k = 0; k < n; k++) {
		bool good = r->quality[k] == GW_Q_GOOD && isfinite(r->values[k]);

		if (pos + 1 + (good ? 8 : 0) > len)
			return -ENOSPC;
		buf[pos++] =
		        good ? GW_Q_GOOD
		             : (r->quality[k] == GW_Q_GOOD ? GW_Q_DECODE_ERROR : r->quality[k]);
		if (good) {
			memcpy(&bits, &r->values[k], sizeof(bits));
			put_u64(buf + pos, bits);
			pos += 8;
		}
	}
	return (int)pos;
}

int gw_jdata_unpack(const uint8_t *data, size_t len, size_t npoints, struct gw_reading *r)
{
	size_t pos = 2;
	uint64_t bits;

	if (len < 2 || data[1] != npoints || npoints > GW_MAX_POINTS)
		return -EINVAL;
	r->unsynced = data[0] & FLAG_UNSYNCED;
	for (size_t k = 0; k < npoints; k++) {
		if (pos >= len || data[pos] >= GW_Q_COUNT)
			return -EINVAL;
		r->quality[k] = data[pos++];
		r->values[k] = NAN;
		if (r->quality[k] != GW_Q_GOOD)
			continue;
		if (pos + 8 > len)
			return -EINVAL;
		bits = get_u64(data + pos);
		memcpy(&r->values[k], &bits, sizeof(bits));
		pos += 8;
		if (!isfinite(r->values[k]))
			return -EINVAL; /* pack never writes one */
	}
	return pos == len ? 0 : -EINVAL;
}
