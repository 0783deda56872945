/* Builds line protocol into a caller's buffer; on any failure the buffer
 * position is left where it was, so a batch never holds half a point. */
#include "lineproto.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static const char *specials(enum gw_lp_kind kind)
{
	switch (kind) {
	case GW_LP_MEASUREMENT:
		return ", ";
	case GW_LP_STRING:
		return "\"\\";
	default:
		return ",= ";
	}
}

int gw_lp_append(char *buf, size_t len, size_t *pos, enum gw_lp_kind kind, const char *s)
{
	const char *esc = specials(kind);
	size_t p = *pos;
	size_t n = strlen(s);

	if (p >= len)
		return -ENOSPC;
	if (strchr(s, '\n') || strchr(s, '\r'))
		return -EINVAL;
	if (kind != GW_LP_STRING && n > 0 && s[n - 1] == '\\')
		return -EINVAL;
	if (kind != GW_LP_STRING && n == 0)
		return -EINVAL;
	for (; *s; s++) {
		if (strchr(esc, *s)) {
			if (p + 1 >= len)
				return -ENOSPC;
			buf[p++] = '\\';
		}
		if (p + 1 >= len)
			return -ENOSPC;
		buf[p++] = *s;
	}
	buf[p] = '\0';
	*pos = p;
	return 0;
}

static int put_tag(char *buf, size_t len, size_t *pos, const char *key, const char *val)
{
	int rc;

	if (!val || !*val)
		return 0;
	rc = gw_str_append(buf, len, pos, ",");
	if (!rc)
		rc = gw_lp_append(buf, len, pos, GW_LP_KEY, key);
	if (!rc)
		rc = gw_str_append(buf, len, pos, "=");
	if (!rc)
		rc = gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, val);
	return rc;
}

/* A field per good value; "<name>_q" only for a quality other than good (its absence means
 * good: writing "good" on nearly every point doubled the bytes). A point with no field at all
 * (cannot happen: a value not written always has its _q) would be refused by the server. A
 * "good" value that is not finite goes as decode_error. */
static int put_fields(char *buf, size_t len, size_t *pos, const struct gw_reading *r)
{
	const struct gw_profile *prof = r->profile;
	char num[64];
	int rc = 0;
	bool first = true;

	for (size_t i = 0; i < prof->npoints && !rc; i++) {
		const struct gw_point *pt = &prof->points[i];
		enum gw_quality q = (enum gw_quality)r->quality[i];
		bool good = q == GW_Q_GOOD && isfinite(r->values[i]);

		rc = gw_str_append(buf, len, pos, first ? " " : ",");
		first = false;
		if (!rc)
			rc = gw_lp_append(buf, len, pos, GW_LP_KEY, pt->name);
		if (!rc && good) {
			num[0] = '=';
			rc = gw_fmt_fixed(num + 1, sizeof(num) - 1, r->values[i], pt->decimals);
			rc = rc < 0 ? rc : gw_str_append(buf, len, pos, num);
			continue;
		}
		if (!rc)
			rc = gw_str_append(buf, len, pos, "_q=\"");
		if (!rc)
			rc = gw_lp_append(buf, len, pos, GW_LP_STRING,
			                  gw_quality_name(q == GW_Q_GOOD ? GW_Q_DECODE_ERROR : q));
		if (!rc)
			rc = gw_str_append(buf, len, pos, "\"");
	}
	return rc;
}

int gw_lp_reading(char *buf, size_t len, size_t *pos, const struct gw_reading *r,
                  const struct gw_reading_tags *tags)
{
	size_t p = *pos;
	char ts[32];
	int rc;

	rc = gw_str_append(buf, len, &p, "reading");
	if (!rc)
		rc = put_tag(buf, len, &p, "film_type", tags->film_type);
	if (!rc)
		rc = put_tag(buf, len, &p, "gateway", tags->gateway);
	if (!rc)
		rc = put_tag(buf, len, &p, "household", tags->household);
	if (!rc)
		rc = put_tag(buf, len, &p, "interval_s", tags->interval_s);
	if (!rc)
		rc = put_tag(buf, len, &p, "plot", tags->plot);
	if (!rc)
		rc = put_tag(buf, len, &p, "role", tags->role);
	if (!rc)
		rc = put_tag(buf, len, &p, "sensor", r->sensor_id);
	if (!rc)
		rc = put_tag(buf, len, &p, "township", tags->township);
	if (!rc)
		rc = put_tag(buf, len, &p, "village", tags->village);
	if (!rc)
		rc = put_fields(buf, len, &p, r);
	snprintf(ts, sizeof(ts), " %lld\n", (long long)r->ts_ms);
	if (!rc)
		rc = gw_str_append(buf, len, &p, ts);
	if (rc) {
		if (len)
			buf[*pos < len ? *pos : len - 1] = '\0';
		return rc;
	}
	*pos = p;
	return 0;
}
