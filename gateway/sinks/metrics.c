/* The self-metrics snapshot and its two formats; see metrics.h. */
#include "metrics.h"
#include "metrics_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lineproto.h"
#include "records.h"
#include "strbuf.h"

static uint64_t rss_kb(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

void gw_metrics_take(const struct gw_metrics *m, struct gw_metrics_snap *s)
{
	struct gw_poll_stats one;
	struct rusage ru;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; m->poller && i < m->cfg->nsensors; i++) {
		gw_poller_sensor_stats(m->poller, i, &one);
		s->poll.polls += one.polls;
		s->poll.good += one.good;
		s->poll.timeouts += one.timeouts;
		s->poll.crc_errors += one.crc_errors;
		s->poll.exceptions += one.exceptions;
		s->poll.out_of_range += one.out_of_range;
		s->poll.reconnects += one.reconnects;
		s->backing_off += one.backing_off;
	}
	for (size_t i = 0; m->poller && i < m->cfg->nbuses; i++)
		s->discarded += gw_poller_bus_discarded(m->poller, i);
	s->rss_kb = rss_kb();
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s->cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		            (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	if (m->budget)
		gw_budget_get(m->budget, &s->budget_used, &s->budget_exhausted);
}

int gw_metrics_json(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	struct gw_metrics_snap s;

	if (len == 0)
		return -ENOSPC;
	gw_metrics_take(m, &s);
	gw_sb_printf(&o,
	             "{\"ts_ms\":%lld,\"polls\":%llu,\"good\":%llu,\"timeouts\":%llu,\"crc_"
	             "errors\":%llu",
	             (long long)now_ms, U(s.poll.polls), U(s.poll.good), U(s.poll.timeouts),
	             U(s.poll.crc_errors));
	gw_sb_printf(&o,
	             ",\"exceptions\":%llu,\"out_of_range\":%llu,\"reconnects\":%llu,\"discarded_"
	             "bytes\":%llu",
	             U(s.poll.exceptions), U(s.poll.out_of_range), U(s.poll.reconnects),
	             U(s.discarded));
	gw_sb_printf(&o, ",\"sensors\":%zu,\"sensors_backing_off\":%llu,\"retention_dropped\":%llu",
	             m->cfg->nsensors, U(s.backing_off), U(atomic_load(&m->retention_dropped)));
	gw_sb_printf(&o, ",\"journal_lost\":%llu,\"journal_reopened\":%llu",
	             U(atomic_load(&m->journal_lost)), U(atomic_load(&m->journal_reopened)));
	gw_sb_printf(&o,
	             ",\"upload_bytes_today\":%llu,\"upload_deferred\":%s,\"rss_kb\":%llu,\"cpu_"
	             "ms\":%llu",
	             U(s.budget_used), s.budget_exhausted ? "true" : "false", U(s.rss_kb),
	             U(s.cpu_ms));
	gw_sb_printf(&o, ",\"sinks\":{");
	for (size_t i = 0; i < m->nsinks; i++) {
		const struct gw_sink_stats *k = m->sinks[i];

		gw_sb_printf(
		        &o,
		        "%s\"%s\":{\"sent\":%llu,\"failed\":%llu,\"dropped\":%llu,\"skipped\":%llu",
		        i ? "," : "", k->name, U(atomic_load(&k->sent)), U(atomic_load(&k->failed)),
		        U(atomic_load(&k->dropped)), U(atomic_load(&k->skipped)));
		gw_sb_printf(&o,
		             ",\"depth\":%lld,\"lag_ms\":%lld,\"connected\":%s,\"deferred\":%s}",
		             (long long)atomic_load(&k->depth), (long long)atomic_load(&k->lag_ms),
		             atomic_load(&k->connected) ? "true" : "false",
		             atomic_load(&k->deferred) ? "true" : "false");
	}
	gw_sb_printf(&o, "}}");
	return o.full ? -ENOSPC : (int)o.pos;
}

/* ",<key>=<value>" (key given with its comma and '='), the value escaped as a tag. */
static int put_tag(char *buf, size_t len, size_t *pos, const char *key, const char *value)
{
	int rc = gw_str_append(buf, len, pos, key);

	return rc ? rc : gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, value);
}

/* "<measurement>,gateway=<id>[,sink=<name>] " with escaping. */
static int head(char *buf, size_t len, size_t *pos, const char *meas, const char *gw,
                const char *sink)
{
	int rc = gw_lp_append(buf, len, pos, GW_LP_MEASUREMENT, meas);

	if (rc)
		return rc;
	rc = put_tag(buf, len, pos, ",gateway=", gw);
	if (rc || !sink)
		return rc;
	return put_tag(buf, len, pos, ",sink=", sink);
}

/* The township and village of sensor sc: its plot's household's in the records, else the
 * gateway's township and no village. Borrowed pointers. */
static void sensor_place(const struct gw_metrics *m, const struct gw_sensor_cfg *sc,
                         const char **township, const char **village)
{
	const struct gw_plot *plot =
	        m->recs && sc->plot[0] ? gw_records_plot(m->recs, sc->plot) : NULL;
	const struct gw_household *hh = plot ? gw_records_household_of(m->recs, plot) : NULL;

	*township = hh && hh->township[0] ? hh->township : m->cfg->township;
	*village = hh ? hh->village : "";
}

static bool sensor_stale(const struct gw_sensor_cfg *sc, const struct gw_poll_stats *st,
                         int64_t now_ms)
{
	if (!st->last_good_ms)
		return st->polls - st->good >= GW_METRICS_STALE_INTERVALS;
	return now_ms - st->last_good_ms >
	       (int64_t)GW_METRICS_STALE_INTERVALS * sc->interval_s * 1000;
}

/* "sensor,gateway=..,sensor=..,plot=..,township=..,village=.. polls=..,..": one sensor's
 * health. */
static int sensor_line(const struct gw_metrics *m, size_t i, int64_t now_ms, char *buf, size_t len,
                       size_t *pos)
{
	const struct gw_sensor_cfg *sc = &m->cfg->sensors[i];
	struct gw_strbuf o = {.buf = buf, .len = len};
	const char *township, *village;
	struct gw_poll_stats st;
	int rc = head(buf, len, pos, "sensor", m->cfg->gateway_id, NULL);

	gw_poller_sensor_stats(m->poller, i, &st);
	sensor_place(m, sc, &township, &village);
	if (!rc)
		rc = put_tag(buf, len, pos, ",sensor=", sc->id);
	if (!rc && sc->plot[0])
		rc = put_tag(buf, len, pos, ",plot=", sc->plot);
	if (!rc && township[0])
		rc = put_tag(buf, len, pos, ",township=", township);
	if (!rc && village[0])
		rc = put_tag(buf, len, pos, ",village=", village);
	if (rc)
		return rc;
	o.pos = *pos;
	gw_sb_printf(&o, " polls=%llui,good=%llui,timeouts=%llui,crc_errors=%llui,exceptions=%llui",
	             U(st.polls), U(st.good), U(st.timeouts), U(st.crc_errors), U(st.exceptions));
	gw_sb_printf(&o, ",out_of_range=%llui,reconnects=%llui,backing_off=%s", U(st.out_of_range),
	             U(st.reconnects), st.backing_off ? "true" : "false");
	gw_sb_printf(&o, ",interval_s=%ui,stale=%s", sc->interval_s,
	             sensor_stale(sc, &st, now_ms) ? "true" : "false");
	if (st.last_good_ms)
		gw_sb_printf(&o, ",last_good_ms=%lldi", (long long)st.last_good_ms);
	gw_sb_printf(&o, " %lld\n", (long long)now_ms);
	*pos = o.pos;
	return o.full ? -ENOSPC : 0;
}

/* "bus,gateway=..,bus=.. discarded_bytes=..": what one bus threw away instead of
 * taking it for a reply. */
static int bus_line(const struct gw_metrics *m, size_t i, int64_t now_ms, char *buf, size_t len,
                    size_t *pos)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	int rc = head(buf, len, pos, "bus", m->cfg->gateway_id, NULL);

	if (rc == 0)
		rc = gw_str_append(buf, len, pos, ",bus=");
	if (rc == 0)
		rc = gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, m->cfg->buses[i].name);
	if (rc)
		return rc;
	o.pos = *pos;
	gw_sb_printf(&o, " discarded_bytes=%llui %lld\n", U(gw_poller_bus_discarded(m->poller, i)),
	             (long long)now_ms);
	*pos = o.pos;
	return o.full ? -ENOSPC : 0;
}

int gw_metrics_lines(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len, size_t *pos)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	size_t start = *pos;
	struct gw_metrics_snap s;
	int rc;

	gw_metrics_take(m, &s);
	rc = head(buf, len, pos, "gateway", m->cfg->gateway_id, NULL);
	o.pos = *pos;
	gw_sb_printf(&o, " polls=%llui,good=%llui,timeouts=%llui,crc_errors=%llui,exceptions=%llui",
	             U(s.poll.polls), U(s.poll.good), U(s.poll.timeouts), U(s.poll.crc_errors),
	             U(s.poll.exceptions));
	gw_sb_printf(&o, ",out_of_range=%llui,reconnects=%llui,sensors_backing_off=%llui",
	             U(s.poll.out_of_range), U(s.poll.reconnects), U(s.backing_off));
	gw_sb_printf(&o, ",discarded_bytes=%llui", U(s.discarded));
	gw_sb_printf(&o, ",retention_dropped=%llui,upload_bytes_today=%llui,upload_deferred=%s",
	             U(atomic_load(&m->retention_dropped)), U(s.budget_used),
	             s.budget_exhausted ? "true" : "false");
	gw_sb_printf(&o, ",journal_lost=%llui,journal_reopened=%llui",
	             U(atomic_load(&m->journal_lost)), U(atomic_load(&m->journal_reopened)));
	gw_sb_printf(&o, ",rss_kb=%llui,cpu_ms=%llui,ts_ms=%lldi %lld\n", U(s.rss_kb), U(s.cpu_ms),
	             (long long)now_ms, (long long)now_ms);
	for (size_t i = 0; rc == 0 && !o.full && i < m->nsinks; i++) {
		const struct gw_sink_stats *k = m->sinks[i];

		*pos = o.pos;
		rc = head(buf, len, pos, "sink", m->cfg->gateway_id, k->name);
		o.pos = *pos;
		gw_sb_printf(&o, " sent=%llui,failed=%llui,dropped=%llui,skipped=%llui,depth=%lldi",
		             U(atomic_load(&k->sent)), U(atomic_load(&k->failed)),
		             U(atomic_load(&k->dropped)), U(atomic_load(&k->skipped)),
		             (long long)atomic_load(&k->depth));
		gw_sb_printf(&o, ",lag_ms=%lldi,connected=%s,deferred=%s %lld\n",
		             (long long)atomic_load(&k->lag_ms),
		             atomic_load(&k->connected) ? "true" : "false",
		             atomic_load(&k->deferred) ? "true" : "false", (long long)now_ms);
	}
	for (size_t i = 0; m->poller && rc == 0 && !o.full && i < m->cfg->nsensors; i++) {
		*pos = o.pos;
		rc = sensor_line(m, i, now_ms, buf, len, pos);
		o.pos = *pos;
	}
	for (size_t i = 0; m->poller && rc == 0 && !o.full && i < m->cfg->nbuses; i++) {
		*pos = o.pos;
		rc = bus_line(m, i, now_ms, buf, len, pos);
		o.pos = *pos;
	}
	if (rc || o.full) {
		*pos = start;
		if (start < len)
			buf[start] = '\0';
		return -ENOSPC;
	}
	*pos = o.pos;
	return 0;
}

int gw_metrics_status(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	size_t stale = 0, backing = 0;
	struct gw_poll_stats st;
	int64_t day;

	if (len == 0)
		return -ENOSPC;
	for (size_t i = 0; m->poller && i < m->cfg->nsensors; i++) {
		gw_poller_sensor_stats(m->poller, i, &st);
		stale += sensor_stale(&m->cfg->sensors[i], &st, now_ms);
		backing += st.backing_off != 0;
	}
	gw_sb_printf(&o, "polling %zu sensors, %zu stale, %zu backing off", m->cfg->nsensors, stale,
	             backing);
	for (size_t i = 0; i < m->nsinks; i++) {
		const struct gw_sink_stats *k = m->sinks[i];

		gw_sb_printf(&o, "; %s %s, %lld waiting, lag %llds", k->name,
		             atomic_load(&k->connected) ? "up" : "down",
		             (long long)atomic_load(&k->depth),
		             (long long)atomic_load(&k->lag_ms) / 1000);
	}
	day = atomic_load(&m->chain_head_day);
	if (day)
		gw_sb_printf(&o, "; sealed through %04lld-%02lld-%02lld", (long long)day / 10000,
		             (long long)day / 100 % 100, (long long)day % 100);
	else
		gw_sb_printf(&o, "; nothing sealed yet");
	return o.full ? -ENOSPC : (int)o.pos;
}

size_t gw_metrics_size(const struct gw_config *cfg)
{
	/* worst case per sensor: 8 series with three 63-byte labels, each escaped, the info
	 * line with five and the interval with one; per bus two lines with one */
	return 8192 + cfg->nsensors * 5120 + cfg->nbuses * 512;
}
