/* Sealed days to InfluxDB, a sink of sink.c's loop; see seals_out.h. */
#include "seals_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "clock.h"
#include "influx_http.h"
#include "lineproto.h"
#include "log.h"
#include "strbuf.h"

#define MOD        "chain-out"
#define CHECK_MS   1000
#define RETRY_MS   30000
#define META_DONE  "chain_influx_day"
#define PER_WRITE  64   /* sealed days per POST */
#define LINE_BYTES 1024 /* one `chain` line at most */

struct seals {
	struct gw_sink *sk;
	struct gw_influx *w;
	struct gw_journal *j;
	int64_t done;    /* the last day written */
	int64_t next_ms; /* not before (after a failure) */
};

static void hex_field(struct gw_strbuf *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];

	gw_hex(b, n, hex);
	gw_sb_printf(o, ",%s=\"%s\"", key, hex);
}

int gw_seals_line(const struct gw_journal_link *l, const char *gateway, char *buf, size_t len,
                  size_t *pos)
{
	size_t p = *pos, z = 0;
	char day[16], zone[160];
	int rc = gw_str_append(buf, len, &p, "chain,day=");

	zone[0] = '\0';
	if (!rc)
		rc = gw_str_append(buf, len, &p, gw_chain_day_text(l->day, day, sizeof(day)));
	if (!rc)
		rc = gw_str_append(buf, len, &p, ",gateway=");
	if (!rc)
		rc = gw_lp_append(buf, len, &p, GW_LP_TAG_VALUE, gateway);
	if (!rc)
		rc = gw_lp_append(zone, sizeof(zone), &z, GW_LP_STRING, l->zone);
	if (rc)
		return rc;
	struct gw_strbuf o = {buf + p, len - p, 0, false};

	gw_sb_printf(&o, " version=%di,zone=\"%s\"", l->version < 2 ? 1 : l->version, zone);
	hex_field(&o, "digest", l->digest, GW_SHA256_LEN);
	gw_sb_printf(&o, ",readings=%lldi", (long long)l->readings);
	hex_field(&o, "prev", l->prev, GW_SHA256_LEN);
	if (l->version >= 2) {
		hex_field(&o, "rows", l->rows, GW_SHA256_LEN);
		hex_field(&o, "content", l->content, GW_SHA256_LEN);
		gw_sb_printf(&o, ",content_readings=%lldi", (long long)l->content_n);
		hex_field(&o, "rules", l->rules, GW_SHA256_LEN);
	}
	if (l->signed_)
		hex_field(&o, "signature", l->signature, sizeof(l->signature));
	gw_sb_printf(&o, ",first_seq=%lldi,last_seq=%lldi,sealed_ms=%lldi %lld\n",
	             (long long)l->first_seq, (long long)l->last_seq, (long long)l->sealed_ms,
	             (long long)l->sealed_ms);
	if (o.full)
		return -ENOSPC;
	*pos = p + o.pos;
	return 0;
}

/* Up to PER_WRITE days after f->done in one POST. Returns 0 (nothing new too), or -errno. */
static int write_some(struct seals *f)
{
	const char *gw = f->sk->env.cfg->gateway_id;
	struct gw_influx_stats st = {0};
	struct gw_journal_link l;
	char *buf = malloc(PER_WRITE * LINE_BYTES);
	int64_t last = f->done;
	size_t pos = 0;
	int rc = buf ? 0 : -ENOMEM;

	for (int k = 0; rc == 0 && k < PER_WRITE; k++) {
		rc = gw_journal_link_next(f->j, last, &l);
		if (rc == 0)
			rc = gw_seals_line(&l, gw, buf, PER_WRITE * LINE_BYTES, &pos);
		if (rc == 0)
			last = l.day;
	}
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && pos) {
		rc = gw_influx_write_all(f->w, buf, pos, &st);
		gw_sink_charge(f->sk, st.sent_bytes);
	}
	if (rc == 0 && pos && st.dropped_points)
		rc = -EINVAL;
	if (rc == 0 && last != f->done) {
		rc = gw_journal_meta_set(f->j, META_DONE, last);
		if (rc == 0)
			gw_log(GW_INFO, MOD, "wrote sealed days up to %lld", (long long)last);
		f->done = rc == 0 ? last : f->done;
	}
	free(buf);
	return rc;
}

static void turn(void *impl, struct gw_sink *sk, int64_t now, struct gw_sink_wait *w)
{
	struct seals *f = impl;
	int rc;

	*w = (struct gw_sink_wait){CHECK_MS, GW_SINK_PAUSE};
	if (now < f->next_ms || !gw_sink_budget_allows(sk))
		return;
	rc = write_some(f);
	if (rc == 0)
		gw_sink_link_up(sk);
	else {
		f->next_ms = now + RETRY_MS;
		gw_log(GW_WARN, MOD, "sealed days not written: %s (again in %d s)", strerror(-rc),
		       RETRY_MS / 1000);
	}
}

/* At stop, whatever is sealed and not yet written is written by the next run. */
static bool idle(void *impl, struct gw_sink *sk)
{
	(void)impl;
	(void)sk;
	return true;
}

static void seals_close(void *impl)
{
	struct seals *f = impl;

	if (!f)
		return;
	gw_journal_close(f->j);
	gw_influx_free(f->w);
	free(f);
}

static int seals_open(struct gw_sink *sk, void **impl)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct seals *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;

	if (!f)
		return rc;
	f->sk = sk;
	f->w = gw_influx_new(&sk->env.cfg->influx, &rc);
	if (f->w)
		f->j = gw_journal_open(sk->env.cfg->data_dir, &jo, &rc);
	if (!f->j) {
		seals_close(f);
		return rc;
	}
	if (gw_journal_meta_get(f->j, META_DONE, &f->done) < 0)
		f->done = 0;
	*impl = f;
	return 0;
}

static bool wanted(const struct gw_config *cfg)
{
	return cfg->influx.enabled;
}

const struct gw_sink_ops gw_seals_sink = {
        .name = "chain_seals",
        .log_module = MOD,
        .wanted = wanted,
        .open = seals_open,
        .close = seals_close,
        .turn = turn,
        .idle = idle,
};
