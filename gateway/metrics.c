/* The self-metrics snapshot and its two formats; see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lineproto.h"
#include "strbuf.h"

struct snap {
	struct gw_poll_stats poll; /* summed over sensors */
	uint64_t backing_off;      /* sensors in back-off */
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
	gw_sb_printf(&o, ",\"exceptions\":%llu,\"out_of_range\":%llu,\"reconnects\":%llu",
	             U(s.poll.exceptions), U(s.poll.out_of_range), U(s.poll.reconnects));
	gw_sb_printf(&o, ",\"sensors\":%zu,\"sensors_backing_off\":%llu,\"retention_dropped\":%llu",
	             m->cfg->nsensors, U(s.backing_off), U(atomic_load(&m->retention_dropped)));
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

/* "<measurement>,gateway=<id>[,sink=<name>] " with escaping. */
static int head(char *buf, size_t len, size_t *pos, const char *meas, const char *gw,
                const char *sink)
{
	int rc = gw_lp_append(buf, len, pos, GW_LP_MEASUREMENT, meas);

	if (rc == 0)
		rc = gw_str_append(buf, len, pos, ",gateway=");
	if (rc == 0)
		rc = gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, gw);
	if (rc == 0 && sink) {
		rc = gw_str_append(buf, len, pos, ",sink=");
		if (rc == 0)
			rc = gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, sink);
	}
	return rc;
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
	gw_sb_printf(&o, ",retention_dropped=%llui,upload_bytes_today=%llui,upload_deferred=%s",
	             U(atomic_load(&m->retention_dropped)), U(s.budget_used),
	             s.budget_exhausted ? "true" : "false");
	gw_sb_printf(&o, ",rss_kb=%llui,cpu_ms=%llui %lld\n", U(s.rss_kb), U(s.cpu_ms),
	             (long long)now_ms);
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
	if (rc || o.full) {
		*pos = start;
		if (start < len)
			buf[start] = '\0';
		return -ENOSPC;
	}
	*pos = o.pos;
	return 0;
}
