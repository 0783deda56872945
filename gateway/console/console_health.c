/* What the page shows, as one JSON object: each bus (type, link, line load, errors,
 * discarded bytes, its action), each sensor (plot, village, last values with units and
 * quality, last good time, consecutive failures, back-off), the journal, the sinks, the
 * clock, the evidence chain's head, the action log. Built at most once a second however many
 * pages watch (one cached copy), from the counters the poller and the sinks already keep:
 * taking them holds the poller's lock for a copy, never across I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "chain.h"
#include "clock.h"
#include "console_int.h"
#include "journal.h"

#define REFRESH_MS       1000
#define CHAIN_REFRESH_MS 30000
#define STALE_INTERVALS  3

static const char *bus_type_name(enum gw_bus_type t)
{
	static const char *const names[] = {"rtu", "tcp", "rtu_tcp", "dtu_server"};

	return (size_t)t < GW_ARRAY_LEN(names) ? names[t] : "?";
}

static uint64_t journal_bytes(const struct gw_config *cfg)
{
	static const char *const names[] = {"journal.db", "journal.db-wal"};
	char path[GW_PATH_LEN + 32];
	uint64_t total = 0;
	struct stat st;

	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, names[i]);
		if (stat(path, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

static void put_store(struct gw_console *c, struct gw_strbuf *o)
{
	const struct gw_metrics *m = c->env.metrics;
	int64_t depth = 0;

	gw_sb_printf(o, ",\"sinks\":[");
	for (size_t i = 0; m && i < m->nsinks; i++) {
		const struct gw_sink_stats *k = m->sinks[i];
		int64_t d = atomic_load(&k->depth);

		depth = d > depth ? d : depth;
		gw_sb_printf(o, "%s{\"name\":", i ? "," : "");
		console_json_str(o, k->name);
		gw_sb_printf(o,
		             ",\"connected\":%s,\"deferred\":%s,\"depth\":%lld,\"lag_s\":%.1f,"
		             "\"sent\":%llu,\"failed\":%llu}",
		             atomic_load(&k->connected) ? "true" : "false",
		             atomic_load(&k->deferred) ? "true" : "false", (long long)d,
		             (double)atomic_load(&k->lag_ms) / 1000.0,
		             (unsigned long long)atomic_load(&k->sent),
		             (unsigned long long)atomic_load(&k->failed));
	}
	gw_sb_printf(o, "],\"journal\":{\"bytes\":%llu,\"max_bytes\":%llu,\"depth\":%lld}",
	             (unsigned long long)journal_bytes(c->env.cfg),
	             (unsigned long long)c->env.cfg->journal.max_mb << 20, (long long)depth);
	gw_sb_printf(o, ",\"chain\":{%s}", c->chain);
}

static const char *job_word(const struct console_job *j)
{
	static const char *const kinds[] = {"read", "scan", "set-address"};

	if (j->state == JOB_WAITING || j->state == JOB_RUNNING)
		return kinds[j->kind];
	return "";
}

static void put_buses(struct gw_console *c, struct gw_strbuf *o, const struct gw_poll_stats *st)
{
	const struct gw_config *cfg = c->env.cfg;

	gw_sb_printf(o, ",\"buses\":[");
	for (size_t b = 0; b < cfg->nbuses; b++) {
		uint64_t errors = 0;

		for (size_t s = 0; s < cfg->nsensors; s++)
			if (cfg->sensors[s].bus == b)
				errors += st[s].timeouts + st[s].crc_errors + st[s].exceptions;
		gw_sb_printf(o, "%s{\"name\":", b ? "," : "");
		console_json_str(o, cfg->buses[b].name);
		pthread_mutex_lock(&c->jobs[b].lock);
		gw_sb_printf(o,
		             ",\"type\":\"%s\",\"up\":%s,\"load_pct\":%.1f,\"requests_per_s\":%.2f,"
		             "\"errors\":%llu,\"discarded\":%llu,\"action\":\"%s\"}",
		             bus_type_name(cfg->buses[b].type),
		             gw_poller_bus_up(c->env.poller, b) ? "true" : "false",
		             c->loads[b].load * 100.0, c->loads[b].requests_per_s,
		             (unsigned long long)errors,
		             (unsigned long long)gw_poller_bus_discarded(c->env.poller, b),
		             job_word(&c->jobs[b]));
		pthread_mutex_unlock(&c->jobs[b].lock);
	}
	gw_sb_printf(o, "]");
}

static const char *sensor_state(const struct gw_sensor_cfg *s, const struct gw_poll_stats *st,
                                int64_t now)
{
	bool all_good = true;

	if (!st->polls)
		return "waiting";
	for (size_t i = 0; i < s->profile->npoints; i++)
		all_good = all_good && st->quality[i] == GW_Q_GOOD;
	if (st->last_rc || st->fails)
		return "failing";
	if (!st->last_good_ms ||
	    now - st->last_good_ms > (int64_t)s->interval_s * 1000 * STALE_INTERVALS)
		return "stale";
	return all_good ? "ok" : "degraded";
}

static void put_values(struct gw_strbuf *o, const struct gw_profile *p,
                       const struct gw_poll_stats *st)
{
	gw_sb_printf(o, ",\"values\":[");
	for (size_t i = 0; i < p->npoints; i++) {
		const struct gw_point *pt = &p->points[i];
		enum gw_quality q = st->polls ? (enum gw_quality)st->quality[i] : GW_Q_TIMEOUT;

		gw_sb_printf(o, "%s{\"name\":", i ? "," : "");
		console_json_str(o, pt->name);
		gw_sb_printf(o, ",\"unit\":");
		console_json_str(o, pt->unit);
		if (st->polls && (q == GW_Q_GOOD || q == GW_Q_OUT_OF_RANGE))
			gw_sb_printf(o, ",\"value\":\"%.*f\"", pt->decimals, st->values[i]);
		else
			gw_sb_printf(o, ",\"value\":null");
		gw_sb_printf(o, ",\"quality\":\"%s\"}", st->polls ? gw_quality_name(q) : "none");
	}
	gw_sb_printf(o, "]");
}

static const char *village_of(const struct gw_records *recs, const char *plot)
{
	const struct gw_plot *p = recs && plot[0] ? gw_records_plot(recs, plot) : NULL;
	const struct gw_household *h = p ? gw_records_household_of(recs, p) : NULL;

	return h ? h->village : "";
}

static void put_sensors(struct gw_console *c, struct gw_strbuf *o, const struct gw_poll_stats *st,
                        int64_t now)
{
	const struct gw_config *cfg = c->env.cfg;

	gw_sb_printf(o, ",\"sensors\":[");
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];

		gw_sb_printf(o, "%s{\"id\":", i ? "," : "");
		console_json_str(o, s->id);
		gw_sb_printf(o, ",\"bus\":");
		console_json_str(o, cfg->buses[s->bus].name);
		gw_sb_printf(o, ",\"unit\":%d,\"config_unit\":%d,\"profile\":", st[i].unit,
		             s->unit);
		console_json_str(o, s->profile->name);
		gw_sb_printf(o, ",\"can_readdress\":%s,\"plot\":",
		             s->profile->addressing.known ? "true" : "false");
		console_json_str(o, s->plot);
		gw_sb_printf(o, ",\"village\":");
		console_json_str(o, village_of(c->env.recs, s->plot));
		gw_sb_printf(
		        o,
		        ",\"interval_s\":%u,\"state\":\"%s\",\"fails\":%u,\"backing_off\":%s,"
		        "\"polls\":%llu,\"last_ms\":%lld,\"last_good_ms\":%lld,\"next_ms\":%lld",
		        s->interval_s, sensor_state(s, &st[i], now), st[i].fails,
		        st[i].backing_off ? "true" : "false", (unsigned long long)st[i].polls,
		        (long long)st[i].last_ms, (long long)st[i].last_good_ms,
		        (long long)st[i].next_ms);
		put_values(o, s->profile, &st[i]);
		gw_sb_printf(o, "}");
	}
	gw_sb_printf(o, "]");
}

void console_log_json(struct gw_console *c, struct gw_strbuf *o)
{
	unsigned n = c->nlog < CONSOLE_LOG_LEN ? c->nlog : CONSOLE_LOG_LEN;

	gw_sb_printf(o, "[");
	for (unsigned k = 0; k < n; k++) { /* newest first */
		const struct console_logline *l = &c->log[(c->nlog - 1 - k) % CONSOLE_LOG_LEN];

		gw_sb_printf(o, "%s{\"ms\":%lld,\"text\":", k ? "," : "", (long long)l->ms);
		console_json_str(o, l->text);
		gw_sb_printf(o, "}");
	}
	gw_sb_printf(o, "]");
}

/* Renders into c->health (lock held). Returns 0 or -errno. */
static int render(struct gw_console *c, struct gw_poll_stats *st)
{
	const struct gw_config *cfg = c->env.cfg;
	size_t cap = 4096 + cfg->nsensors * 1536 + cfg->nbuses * 512;
	int64_t now = gw_clock_wall_ms();
	struct gw_strbuf o;

	if (c->health_cap < cap) {
		char *more = realloc(c->health, cap);

		if (!more)
			return -ENOMEM;
		c->health = more;
		c->health_cap = cap;
	}
	for (size_t i = 0; i < cfg->nsensors; i++)
		gw_poller_sensor_stats(c->env.poller, i, &st[i]);
	o = (struct gw_strbuf){.buf = c->health, .len = c->health_cap};
	gw_sb_printf(&o, "{\"now_ms\":%lld,\"gateway\":", (long long)now);
	console_json_str(&o, cfg->gateway_id);
	gw_sb_printf(&o, ",\"township\":");
	console_json_str(&o, cfg->township);
	gw_sb_printf(&o, ",\"clock_synced\":%s", gw_clock_is_synced() ? "true" : "false");
	put_store(c, &o);
	put_buses(c, &o, st);
	put_sensors(c, &o, st, now);
	gw_sb_printf(&o, ",\"actions\":");
	console_log_json(c, &o);
	gw_sb_printf(&o, "}");
	if (o.full)
		return -ENOSPC;
	c->health_len = o.pos;
	return 0;
}

/* The chain's head and the readings after it (today's, sealed after midnight), as JSON
 * members into c->chain, from a second read handle on the journal (as reports open it). */
static void refresh_chain(struct gw_console *c, int64_t mono)
{
	struct gw_journal_opts jo = {.no_check = true, .busy_timeout_ms = 200};
	struct gw_journal_link head;
	struct gw_journal *j;
	char path[GW_PATH_LEN + 16], day[16], hex[2 * GW_SHA256_LEN + 1];
	int64_t open_rows = 0;
	int rc, err = 0;

	if (c->chain_ms && mono - c->chain_ms < CHAIN_REFRESH_MS)
		return;
	c->chain_ms = mono;
	snprintf(c->chain, sizeof(c->chain), "\"state\":\"unreadable\"");
	snprintf(path, sizeof(path), "%s/journal.db", c->env.cfg->data_dir);
	if (access(path, F_OK) != 0 || !(j = gw_journal_open(c->env.cfg->data_dir, &jo, &err)))
		return;
	rc = gw_chain_head(j, &head);
	if ((rc == 0 || rc == -ENOENT) &&
	    gw_journal_count_after(j, rc == 0 ? head.last_seq : 0, &open_rows) == 0) {
		if (rc) {
			snprintf(c->chain, sizeof(c->chain), "\"state\":\"none\",\"open\":%lld",
			         (long long)open_rows);
		} else {
			gw_hex(head.digest, GW_SHA256_LEN, hex);
			snprintf(c->chain, sizeof(c->chain),
			         "\"state\":\"sealed\",\"day\":\"%s\",\"digest\":\"%s\","
			         "\"readings\":%lld,\"signed\":%s,\"open\":%lld",
			         gw_chain_day_text(head.day, day, sizeof(day)), hex,
			         (long long)head.readings, head.signed_ ? "true" : "false",
			         (long long)open_rows);
		}
	}
	gw_journal_close(j);
}

long console_health(struct gw_console *c, char **out)
{
	int64_t mono = gw_clock_mono_ms();
	struct gw_poll_stats *st = calloc(c->env.cfg->nsensors + 1, sizeof(*st));
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	refresh_chain(c, mono);
	if (!c->health || mono - c->health_ms >= REFRESH_MS) {
		rc = render(c, st);
		c->health_ms = mono;
	}
	if (rc == 0)
		*out = malloc(c->health_len + 1);
	if (*out) {
		len = c->health_len;
		memcpy(*out, c->health, len + 1);
	}
	pthread_mutex_unlock(&c->lock);
	free(st);
	if (rc)
		return rc;
	return *out ? (long)len : -ENOMEM;
}
