/* Daily film states to InfluxDB, a sink of sink.c's loop; see film_days.h. */
#include "film_days.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "clock.h"
#include "influx_http.h"
#include "journal.h"
#include "lineproto.h"
#include "log.h"
#include "strbuf.h"
#include "tz.h"

#define MOD        "film-days"
#define CHECK_MS   1000 /* how often the date is looked at */
#define RETRY_MS   60000
#define META_DONE  "film_day_done"
#define LINE_BYTES 512 /* a film_day line at most */

struct gw_film_days {
	struct gw_sink *sk; /* the loop running it */
	struct gw_influx *w;
	struct gw_journal *j;
	int64_t done;    /* the last day written (yyyymmdd; film_day_done in the journal) */
	int64_t next_ms; /* after a failure: not before */
};

/* Days are the gateway's zone's (gateway.timezone), not the process's TZ. */
static int yyyymmdd(int64_t wall_ms)
{
	return gw_tz_yyyymmdd(gw_tz_local(), wall_ms);
}

/* The zone's midnight starting day (yyyymmdd), ms since the epoch. */
static int64_t midnight_ms(int day)
{
	return gw_tz_to_ms(gw_tz_local(), gw_tz_civil_day(day / 10000, day / 100 % 100, day % 100),
	                   0);
}

static int tag(char *buf, size_t len, size_t *pos, const char *key, const char *value)
{
	int rc;

	if (!value || !value[0])
		return 0;
	rc = gw_str_append(buf, len, pos, ",");
	if (!rc)
		rc = gw_str_append(buf, len, pos, key);
	if (!rc)
		rc = gw_str_append(buf, len, pos, "=");
	return rc ? rc : gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, value);
}

/* "film_day" and its tags. Returns 0 or -ENOSPC. */
static int day_head(const struct gw_plot_result *r, const struct gw_reading_tags *t, char *buf,
                    size_t len, size_t *pos)
{
	const char *const tags[][2] = {
	        {"gateway", t ? t->gateway : NULL},     {"plot", r->plot},
	        {"household", t ? t->household : NULL}, {"township", t ? t->township : NULL},
	        {"village", t ? t->village : NULL},     {"film_type", t ? t->film_type : NULL},
	};
	int rc = gw_str_append(buf, len, pos, "film_day");

	for (size_t i = 0; !rc && i < GW_ARRAY_LEN(tags); i++)
		rc = tag(buf, len, pos, tags[i][0], tags[i][1]);
	return rc;
}

static int day_line(const struct gw_plot_result *r, const struct gw_plot_day *d,
                    const struct gw_reading_tags *t, char *buf, size_t len, size_t *pos)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	int rc = day_head(r, t, buf, len, pos);

	if (rc)
		return rc;
	o.pos = *pos;
	gw_sb_printf(&o, " state=\"%s\",covered=%di,not_covered=%di,indeterminate=%di,no_data=%di",
	             gw_film_state_name(d->state), d->state == GW_FS_COVERED,
	             d->state == GW_FS_NOT_COVERED, d->state == GW_FS_INDETERMINATE,
	             d->state == GW_FS_NO_DATA);
	gw_sb_printf(&o, ",received=%lldi,expected=%lldi", (long long)d->received,
	             (long long)d->expected);
	if (isfinite(d->delta_c))
		gw_sb_printf(&o, ",delta_c=%.3f", d->delta_c);
	if (isfinite(d->moisture_pct))
		gw_sb_printf(&o, ",moisture_pct=%.2f", d->moisture_pct);
	gw_sb_printf(&o, " %lld\n", (long long)midnight_ms(d->day));
	if (o.full)
		return -ENOSPC;
	*pos = o.pos;
	return 0;
}

int gw_film_days_lines(const struct gw_plot_result *r, const struct gw_reading_tags *tags,
                       int after, int before, char *buf, size_t len, size_t *pos)
{
	size_t start = *pos;
	int n = 0;

	for (size_t i = 0; i < r->ndays; i++) {
		if (r->days[i].day <= after || r->days[i].day >= before)
			continue;
		if (day_line(r, &r->days[i], tags, buf, len, pos)) {
			*pos = start;
			if (start < len)
				buf[start] = '\0';
			return -ENOSPC;
		}
		n++;
	}
	return n;
}

/* The tags of plot r: its household's reference, village and township from the records. */
static void plot_tags(const struct gw_film_days *f, const struct gw_plot_result *r,
                      struct gw_reading_tags *t, char ref[GW_HHREF_LEN])
{
	const struct gw_sink_env *env = &f->sk->env;
	const struct gw_plot *p = env->recs ? gw_records_plot(env->recs, r->plot) : NULL;
	const struct gw_household *h = p ? gw_records_household_of(env->recs, p) : NULL;

	*t = (struct gw_reading_tags){.gateway = env->cfg->gateway_id};
	if (!h)
		return;
	gw_hhref(env->hh_key, h->id, ref);
	t->household = ref;
	t->township = h->township;
	t->village = h->village;
	t->film_type = gw_film_name(p->film);
}

/* Bytes enough for every day of every plot, and the first day with readings (0: none; then
 * no bytes: nothing polled yet, no day to speak of). */
static size_t lines_room(const struct gw_plot_result *res, size_t n, int *first)
{
	size_t len = 0;

	*first = 0;
	for (size_t i = 0; i < n; i++) {
		len += res[i].ndays * LINE_BYTES;
		for (size_t k = 0; k < res[i].ndays; k++)
			if (res[i].days[k].received && (!*first || res[i].days[k].day < *first))
				*first = res[i].days[k].day;
	}
	return *first ? len : 0;
}

/* The lines of every plot's days after done and before today. Returns 0 or -ENOSPC. */
static int format_days(const struct gw_film_days *f, const struct gw_plot_result *res, size_t n,
                       int done, int today, char *buf, size_t len, size_t *pos)
{
	for (size_t i = 0; i < n; i++) {
		struct gw_reading_tags t;
		char ref[GW_HHREF_LEN];
		int lines;

		plot_tags(f, &res[i], &t, ref);
		lines = gw_film_days_lines(&res[i], &t, done, today, buf, len, pos);
		if (lines < 0)
			return lines;
	}
	return 0;
}

/* Writes the states of the days after done and before today, and charges the budget for
 * them. Returns 0, -EAGAIN (try again later) or -errno. */
static int publish(struct gw_film_days *f, int done, int today)
{
	const struct gw_sink_env *env = &f->sk->env;
	struct gw_plot_result *res = NULL;
	struct gw_influx_stats st = {0};
	size_t n = 0, len, pos = 0;
	char *buf;
	int first, rc = gw_acceptance_from_journal(env->cfg, env->recs, NULL, &res, &n);

	if (rc)
		goto out_results;
	len = lines_room(res, n, &first);
	if (!first)
		goto out_results;
	if (done < first - 1)
		done = first - 1; /* the journal's first day; never a window day before it */
	buf = malloc(len + 1);
	rc = buf ? format_days(f, res, n, done, today, buf, len + 1, &pos) : -ENOMEM;
	if (rc || !pos)
		goto out_buf;
	rc = gw_influx_write_all(f->w, buf, pos, &st);
	gw_sink_charge(f->sk, st.sent_bytes);
	if (rc == 0)
		gw_log(GW_INFO, MOD, "wrote %llu daily film states up to %d",
		       (unsigned long long)st.written_points, today);
out_buf:
	free(buf);
out_results:
	gw_plot_results_free(res, n);
	return rc;
}

/* Once a local day is over (checked every CHECK_MS), its states go; after a failure, again
 * RETRY_MS later. The budget holds them back like readings. */
static void turn(void *impl, struct gw_sink *sk, int64_t now, struct gw_sink_wait *w)
{
	struct gw_film_days *f = impl;
	int today = yyyymmdd(gw_clock_wall_ms());
	int yesterday = yyyymmdd(midnight_ms(today) - 1);
	int rc;

	*w = (struct gw_sink_wait){CHECK_MS, GW_SINK_PAUSE};
	if (now < f->next_ms || yesterday <= f->done || !gw_sink_budget_allows(sk))
		return;
	rc = publish(f, (int)f->done, today);
	if (rc == 0 && gw_journal_meta_set(f->j, META_DONE, yesterday) == 0)
		f->done = yesterday;
	else
		f->next_ms = now + RETRY_MS;
	if (rc && rc != -EAGAIN)
		gw_log(GW_WARN, MOD, "daily film states not written: %s", strerror(-rc));
}

/* Derived data, recomputed from the journal: nothing is ever left half-sent at stop. */
static bool idle(void *impl, struct gw_sink *sk)
{
	(void)impl;
	(void)sk;
	return true;
}

static void days_close(void *impl)
{
	struct gw_film_days *f = impl;

	if (!f)
		return;
	gw_journal_close(f->j);
	gw_influx_free(f->w);
	free(f);
}

/* The writer, a journal handle of its own and the last day written. */
static int days_open(struct gw_sink *sk, void **impl)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct gw_film_days *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;

	if (!f)
		return rc;
	f->sk = sk;
	f->w = gw_influx_new(&sk->env.cfg->influx, &rc);
	if (!f->w)
		goto out_free;
	f->j = gw_journal_open(sk->env.cfg->data_dir, &jo, &rc);
	if (!f->j)
		goto out_free;
	if (gw_journal_meta_get(f->j, META_DONE, &f->done) < 0)
		f->done = 0;
	*impl = f;
	return 0;
out_free:
	days_close(f);
	return rc;
}

static bool wanted(const struct gw_config *cfg)
{
	return cfg->influx.enabled;
}

const struct gw_sink_ops gw_film_day_sink = {
        .name = "film_days",
        .log_module = MOD,
        .wanted = wanted,
        .open = days_open,
        .close = days_close,
        .turn = turn,
        .idle = idle,
};

struct gw_film_days *gw_film_days_start(const struct gw_film_days_env *env)
{
	struct gw_sink_env e = {
	        .cfg = env->cfg, .bell = env->bell, .recs = env->recs, .hh_key = env->hh_key};
	struct gw_sink *sk = NULL;
	int rc = gw_sink_start(&gw_film_day_sink, &e, &sk);

	if (rc) {
		errno = -rc;
		return NULL;
	}
	return gw_sink_impl(sk);
}

void gw_film_days_join(struct gw_film_days *f)
{
	if (f)
		gw_sink_join(f->sk);
}
