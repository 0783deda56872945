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

/* A JSON string, or null for NULL. UTF-8 passes through unchanged. */
static void put_str(struct gw_strbuf *o, const char *s)
{
	if (!s) {
		gw_sb_printf(o, "null");
		return;
	}
	gw_sb_printf(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p && !o->full; p++) {
		if (*p == '"' || *p == '\\')
			gw_sb_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			gw_sb_printf(o, "\\u%04x", *p);
		else
			gw_sb_printf(o, "%c", *p);
	}
	gw_sb_printf(o, "\"");
}

static void put_field(struct gw_strbuf *o, const char *key, const char *val)
{
	gw_sb_printf(o, ",\"%s\":", key);
	put_str(o, val);
}

static void put_values(struct gw_strbuf *o, const struct gw_reading *r)
{
	const struct gw_profile *prof = r->profile;

	gw_sb_printf(o, ",\"values\":{");
	for (size_t i = 0; i < prof->npoints; i++) {
		const struct gw_point *pt = &prof->points[i];

		gw_sb_printf(o, "%s\"%s\":", i ? "," : "", pt->name);
		if (r->quality[i] == GW_Q_GOOD && isfinite(r->values[i]))
			gw_sb_printf(o, "%.*f", pt->decimals, r->values[i]);
		else
			gw_sb_printf(o, "null");
	}
	gw_sb_printf(o, "},\"quality\":{");
	for (size_t i = 0; i < prof->npoints; i++)
		gw_sb_printf(o, "%s\"%s\":\"%s\"", i ? "," : "", prof->points[i].name,
		             gw_quality_name((enum gw_quality)r->quality[i]));
	gw_sb_printf(o, "}");
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
		gw_sb_printf(&o, ",\"clock\":\"unsynced\"");
	if (r->historical)
		gw_sb_printf(&o, ",\"historical\":true");
	gw_sb_printf(&o, "}");
	return o.full ? -ENOSPC : (int)o.pos;
}
