/* The self-metrics snapshot and its two formats; see metrics.h. */
#include "metrics.h"

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

struct snap {
	struct gw_poll_stats poll; /* summed over sensors */
	uint64_t backing_off;      /* sensors in back-off */
	uint64_t discarded;        /* bytes the buses discarded, summed */
	uint64_t rss_kb, cpu_ms, budget_used;
	bool budget_exhausted;
};

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

static void take(const struct gw_metrics *m, struct snap *s)
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

#define U(x) ((unsigned long long)(x))

int gw_metrics_json(const struct gw_metrics *m, int64_t now_ms, char *buf, size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	struct snap s;

	if (len == 0)
		return -ENOSPC;
	take(m, &s);
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
	struct snap s;
	int rc;

	take(m, &s);
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

/* Appends a Prometheus label value: backslash, double quote and newline escaped. */
static void prom_label(struct gw_strbuf *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			gw_sb_printf(o, "\\%c", *v);
		else if (*v == '\n')
			gw_sb_printf(o, "\\n");
		else
			gw_sb_printf(o, "%c", *v);
	}
}

/* "# TYPE name type\n" once, then the caller's samples. */
static void prom_type(struct gw_strbuf *o, const char *name, const char *type, const char *help)
{
	gw_sb_printf(o, "# HELP fieldgate_%s %s\n# TYPE fieldgate_%s %s\n", name, help, name, type);
}

static void prom_gateway(const struct gw_metrics *m, const struct snap *s, struct gw_strbuf *o)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} polls[] = {
	        {"polls_total", "Device reads attempted.", offsetof(struct gw_poll_stats, polls)},
	        {"good_total", "Reads with every value good.",
	         offsetof(struct gw_poll_stats, good)},
	        {"timeouts_total", "Reads that timed out.",
	         offsetof(struct gw_poll_stats, timeouts)},
	        {"crc_errors_total", "Frames with a bad CRC.",
	         offsetof(struct gw_poll_stats, crc_errors)},
	        {"exceptions_total", "Modbus exception responses.",
	         offsetof(struct gw_poll_stats, exceptions)},
	        {"out_of_range_total", "Values outside the profile's valid range.",
	         offsetof(struct gw_poll_stats, out_of_range)},
	        {"reconnects_total", "Links re-opened after a loss.",
	         offsetof(struct gw_poll_stats, reconnects)},
	};

	for (size_t i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
		prom_type(o, polls[i].name, "counter", polls[i].help);
		gw_sb_printf(o, "fieldgate_%s %llu\n", polls[i].name,
		             U(*(const uint64_t *)((const char *)&s->poll + polls[i].off)));
	}
	prom_type(o, "discarded_bytes_total", "counter",
	          "Bytes discarded instead of taken for a reply (stale, doubled, trailing, "
	          "foreign).");
	gw_sb_printf(o, "fieldgate_discarded_bytes_total %llu\n", U(s->discarded));
	prom_type(o, "sensors", "gauge", "Configured sensors.");
	gw_sb_printf(o, "fieldgate_sensors %zu\n", m->cfg->nsensors);
	prom_type(o, "sensors_backing_off", "gauge", "Sensors in back-off after failures.");
	gw_sb_printf(o, "fieldgate_sensors_backing_off %llu\n", U(s->backing_off));
	prom_type(o, "retention_dropped_total", "counter",
	          "Undelivered readings removed by the journal's size cap.");
	gw_sb_printf(o, "fieldgate_retention_dropped_total %llu\n",
	             U(atomic_load(&m->retention_dropped)));
	prom_type(o, "journal_lost_total", "counter",
	          "Times the journal file was found deleted, replaced or unwritable.");
	gw_sb_printf(o, "fieldgate_journal_lost_total %llu\n", U(atomic_load(&m->journal_lost)));
	prom_type(o, "journal_reopened_total", "counter",
	          "Fresh journals started after the journal file was lost.");
	gw_sb_printf(o, "fieldgate_journal_reopened_total %llu\n",
	             U(atomic_load(&m->journal_reopened)));
	prom_type(o, "upload_bytes_today", "gauge", "Bytes sent today (daily upload budget).");
	gw_sb_printf(o, "fieldgate_upload_bytes_today %llu\n", U(s->budget_used));
	prom_type(o, "resident_memory_bytes", "gauge", "Resident set size.");
	gw_sb_printf(o, "fieldgate_resident_memory_bytes %llu\n", U(s->rss_kb * 1024));
	prom_type(o, "cpu_seconds_total", "counter", "User and system CPU time.");
	gw_sb_printf(o, "fieldgate_cpu_seconds_total %.3f\n", (double)s->cpu_ms / 1000.0);
}

static void prom_sinks(const struct gw_metrics *m, struct gw_strbuf *o)
{
	static const char *const names[] = {
	        "sink_sent_total", "sink_failed_total", "sink_dropped_total", "sink_skipped_total",
	        "sink_depth",      "sink_lag_seconds",  "sink_connected",     "sink_deferred"};
	static const char *const help[] = {"Readings the server acknowledged.",
	                                   "Send attempts that failed (retried).",
	                                   "Readings the server refused for good.",
	                                   "Readings not sent by design (deadband).",
	                                   "Readings waiting in the journal.",
	                                   "Age of the oldest waiting reading.",
	                                   "1 when the server answers.",
	                                   "1 while the daily upload budget holds sending."};

	for (size_t n = 0; m->nsinks && n < sizeof(names) / sizeof(names[0]); n++) {
		prom_type(o, names[n], n < 4 ? "counter" : "gauge", help[n]);
		for (size_t i = 0; i < m->nsinks; i++) {
			const struct gw_sink_stats *k = m->sinks[i];
			double v[] = {(double)atomic_load(&k->sent),
			              (double)atomic_load(&k->failed),
			              (double)atomic_load(&k->dropped),
			              (double)atomic_load(&k->skipped),
			              (double)atomic_load(&k->depth),
			              (double)atomic_load(&k->lag_ms) / 1000.0,
			              (double)atomic_load(&k->connected),
			              (double)atomic_load(&k->deferred)};

			gw_sb_printf(o, "fieldgate_%s{sink=\"%s\"} %.15g\n", names[n], k->name,
			             v[n]);
		}
	}
}

static void prom_sensors(const struct gw_metrics *m, struct gw_strbuf *o)
{
	static const char *const names[] = {
	        "sensor_polls_total",      "sensor_good_total",
	        "sensor_timeouts_total",   "sensor_crc_errors_total",
	        "sensor_exceptions_total", "sensor_out_of_range_total",
	        "sensor_backing_off",      "sensor_last_good_timestamp_seconds"};
	static const char *const help[] = {"Reads of this sensor attempted.",
	                                   "Reads with every value good.",
	                                   "Reads that timed out.",
	                                   "Frames with a bad CRC.",
	                                   "Modbus exception responses.",
	                                   "Values outside the valid range.",
	                                   "1 while the sensor is backed off.",
	                                   "Time of the last fully good read (0: never)."};

	for (size_t n = 0; m->poller && n < sizeof(names) / sizeof(names[0]); n++) {
		prom_type(o, names[n], n < 6 ? "counter" : "gauge", help[n]);
		for (size_t i = 0; i < m->cfg->nsensors; i++) {
			const struct gw_sensor_cfg *sc = &m->cfg->sensors[i];
			struct gw_poll_stats st;

			gw_poller_sensor_stats(m->poller, i, &st);
			double v[] = {(double)st.polls,       (double)st.good,
			              (double)st.timeouts,    (double)st.crc_errors,
			              (double)st.exceptions,  (double)st.out_of_range,
			              (double)st.backing_off, (double)st.last_good_ms / 1000.0};

			gw_sb_printf(o, "fieldgate_%s{sensor=\"", names[n]);
			prom_label(o, sc->id);
			gw_sb_printf(o, "\",plot=\"");
			prom_label(o, sc->plot);
			gw_sb_printf(o, "\",bus=\"");
			prom_label(o, m->cfg->buses[sc->bus].name);
			gw_sb_printf(o, "\"} %.15g\n", v[n]);
		}
	}
}

static void prom_buses(const struct gw_metrics *m, struct gw_strbuf *o)
{
	if (!m->poller || !m->cfg->nbuses)
		return;
	prom_type(o, "bus_discarded_bytes_total", "counter",
	          "Bytes this bus discarded instead of taking them for a reply.");
	for (size_t i = 0; i < m->cfg->nbuses; i++) {
		gw_sb_printf(o, "fieldgate_bus_discarded_bytes_total{bus=\"");
		prom_label(o, m->cfg->buses[i].name);
		gw_sb_printf(o, "\"} %llu\n", U(gw_poller_bus_discarded(m->poller, i)));
	}
}

int gw_metrics_prom(const struct gw_metrics *m, char *buf, size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	struct snap s;

	if (len == 0)
		return -ENOSPC;
	take(m, &s);
	prom_gateway(m, &s, &o);
	prom_sinks(m, &o);
	prom_sensors(m, &o);
	prom_buses(m, &o);
	return o.full ? -ENOSPC : (int)o.pos;
}

size_t gw_metrics_size(const struct gw_config *cfg)
{
	/* worst case per sensor: 8 series with three 63-byte labels, each escaped; per bus
	 * two lines with one */
	return 8192 + cfg->nsensors * 4096 + cfg->nbuses * 512;
}
