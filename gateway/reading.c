/* Formats a reading as the JSON object of DESIGN.md into a caller's buffer.
 * Must not allocate: runs once per reading on the delivery path. */
#include "reading.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->full = true;
	else
		o->pos += (size_t)n;
}

/* A JSON string, or null for NULL. UTF-8 passes through unchanged. */
static void put_str(struct out *o, const char *s)
{
	if (!s) {
		put(o, "null");
		return;
	}
	put(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p && !o->full; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20)
			put(o, "\\u%04x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static void put_field(struct out *o, const char *key, const char *val)
{
	put(o, ",\"%s\":", key);
	put_str(o, val);
}

static void put_values(struct out *o, const struct gw_reading *r)
{
	const struct gw_profile *prof = r->profile;

	put(o, ",\"values\":{");
	for (size_t i = 0; i < prof->npoints; i++) {
		const struct gw_point *pt = &prof->points[i];

		put(o, "%s\"%s\":", i ? "," : "", pt->name);
		if (r->quality[i] == GW_Q_GOOD && isfinite(r->values[i]))
			put(o, "%.*f", pt->decimals, r->values[i]);
		else
			put(o, "null");
	}
	put(o, "},\"quality\":{");
	for (size_t i = 0; i < prof->npoints; i++)
		put(o, "%s\"%s\":\"%s\"", i ? "," : "", prof->points[i].name,
		    gw_quality_name((enum gw_quality)r->quality[i]));
	put(o, "}");
}

int gw_reading_json(const struct gw_reading *r, const struct gw_reading_tags *tags, char *buf,
                    size_t len)
{
	struct out o = {.buf = buf, .len = len};
	char ts[40];

	if (len == 0 || gw_clock_rfc3339(r->ts_ms, ts, sizeof(ts)))
		return -ENOSPC;
	put(&o, "{\"ts\":\"%s\",\"ts_ms\":%lld", ts, (long long)r->ts_ms);
	if (tags)
		put_field(&o, "gateway", tags->gateway);
	put_field(&o, "sensor", r->sensor_id);
	if (tags) {
		put_field(&o, "plot", tags->plot);
		put_field(&o, "household", tags->household);
		put_field(&o, "township", tags->township);
		put_field(&o, "village", tags->village);
	}
	put_values(&o, r);
	if (r->unsynced)
		put(&o, ",\"clock\":\"unsynced\"");
	if (r->historical)
		put(&o, ",\"historical\":true");
	put(&o, "}");
	return o.full ? -ENOSPC : (int)o.pos;
}
