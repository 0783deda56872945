/* Formats a reading as the JSON object of DESIGN.md into a caller's buffer.
 * Must not allocate: runs once per reading on the delivery path. */
#include "reading.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "strbuf.h"

static void put_lit(struct gw_strbuf *o, const char *s)
{
	gw_sb_put(o, s, strlen(s));
}

/* A JSON string, or null for NULL. UTF-8 passes through unchanged; runs of plain bytes are
 * copied whole (this runs for every reading on the delivery path). */
static void put_str(struct gw_strbuf *o, const char *s)
{
	const char *run = s;

	if (!s) {
		put_lit(o, "null");
		return;
	}
	put_lit(o, "\"");
	for (; *s && !o->full; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		gw_sb_put(o, run, (size_t)(s - run));
		if (c < 0x20)
			gw_sb_printf(o, "\\u%04x", c);
		else
			gw_sb_printf(o, "\\%c", c);
		run = s + 1;
	}
	gw_sb_put(o, run, (size_t)(s - run));
	put_lit(o, "\"");
}

static void put_field(struct gw_strbuf *o, const char *key, const char *val)
{
	put_lit(o, ",\"");
	put_lit(o, key);
	put_lit(o, "\":");
	put_str(o, val);
}

/* ,"name": or "name": for the first */
static void put_key(struct gw_strbuf *o, size_t i, const char *name)
{
	put_lit(o, i ? ",\"" : "\"");
	put_lit(o, name);
	put_lit(o, "\":");
}

static void put_values(struct gw_strbuf *o, const struct gw_reading *r)
{
	const struct gw_profile *prof = r->profile;

	put_lit(o, ",\"values\":{");
	for (size_t i = 0; i < prof->npoints; i++) {
		const struct gw_point *pt = &prof->points[i];

		put_key(o, i, pt->name);
		if (r->quality[i] == GW_Q_GOOD && isfinite(r->values[i]))
			gw_sb_fixed(o, r->values[i], pt->decimals);
		else
			put_lit(o, "null");
	}
	put_lit(o, "},\"quality\":{");
	for (size_t i = 0; i < prof->npoints; i++) {
		put_key(o, i, prof->points[i].name);
		put_lit(o, "\"");
		put_lit(o, gw_quality_name((enum gw_quality)r->quality[i]));
		put_lit(o, "\"");
	}
	put_lit(o, "}");
}

int gw_reading_json(const struct gw_reading *r, const struct gw_reading_tags *tags, char *buf,
                    size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	char ts[40];

	if (len == 0 || gw_clock_rfc3339(r->ts_ms, ts, sizeof(ts)))
		return -ENOSPC;
	gw_sb_printf(&o, "{\"ts\":\"%s\",\"ts_ms\":%lld", ts, (long long)r->ts_ms);
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
		put_lit(&o, ",\"clock\":\"unsynced\"");
	if (r->historical)
		put_lit(&o, ",\"historical\":true");
	put_lit(&o, "}");
	return o.full ? -ENOSPC : (int)o.pos;
}
