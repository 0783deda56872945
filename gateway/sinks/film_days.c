/* Daily film states to InfluxDB; see film_days.h. */
#include "film_days.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "influx_http.h"
#include "journal.h"
#include "lineproto.h"
#include "log.h"
#include "strbuf.h"

#define CHECK_MS   1000 /* how often the thread looks at the date */
#define RETRY_MS   60000
#define META_DONE  "film_day_done"
#define LINE_BYTES 512 /* a film_day line at most */

struct gw_film_days {
	struct gw_film_days_env env;
	pthread_t thread;
	struct gw_influx *w;
	struct gw_journal *j;
};

static int yyyymmdd(int64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Local midnight starting day (yyyymmdd), ms since the epoch. */
static int64_t midnight_ms(int day)
{
	struct tm tm = {.tm_year = day / 10000 - 1900,
	                .tm_mon = day / 100 % 100 - 1,
	                .tm_mday = day % 100,
	                .tm_isdst = -1};

	return (int64_t)mktime(&tm) * 1000;
}

static int tag(char *buf, size_t len, size_t *pos, const char *key, const char *value)
{
	int rc;

	if (!value || !value[0])
		return 0;
	rc = gw_str_append(buf, len, pos, ",");
	rc = rc ? rc : gw_str_append(buf, len, pos, key);
	rc = rc ? rc : gw_str_append(buf, len, pos, "=");
	return rc ? rc : gw_lp_append(buf, len, pos, GW_LP_TAG_VALUE, value);
}

static int day_line(const struct gw_plot_result *r, const struct gw_plot_day *d,
                    const struct gw_reading_tags *t, char *buf, size_t len, size_t *pos)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	int rc = gw_str_append(buf, len, pos, "film_day");

	rc = rc ? rc : tag(buf, len, pos, "gateway", t ? t->gateway : NULL);
	rc = rc ? rc : tag(buf, len, pos, "plot", r->plot);
	rc = rc ? rc : tag(buf, len, pos, "household", t ? t->household : NULL);
	rc = rc ? rc : tag(buf, len, pos, "township", t ? t->township : NULL);
	rc = rc ? rc : tag(buf, len, pos, "village", t ? t->village : NULL);
	rc = rc ? rc : tag(buf, len, pos, "film_type", t ? t->film_type : NULL);
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
	const struct gw_plot *p = f->env.recs ? gw_records_plot(f->env.recs, r->plot) : NULL;
	const struct gw_household *h = p ? gw_records_household_of(f->env.recs, p) : NULL;

	*t = (struct gw_reading_tags){.gateway = f->env.cfg->gateway_id};
	if (!h)
		return;
	gw_hhref(f->env.hh_key, h->id, ref);
	t->household = ref;
	t->township = h->township;
	t->village = h->village;
	t->film_type = gw_film_name(p->film);
}

/* Writes the states of the days after done and before today. Returns 0, -EAGAIN (try
 * again later) or -errno. */
static int publish(struct gw_film_days *f, int done, int today)
{
	struct gw_plot_result *res = NULL;
	struct gw_influx_stats st = {0};
	size_t n = 0, len = 0, pos = 0;
	char *buf = NULL;
	int first = 0;
	int rc = gw_acceptance_from_journal(f->env.cfg, f->env.recs, NULL, &res, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		len += res[i].ndays * LINE_BYTES;
		for (size_t k = 0; k < res[i].ndays; k++)
			if (res[i].days[k].received && (!first || res[i].days[k].day < first))
				first = res[i].days[k].day;
	}
	if (!first) /* nothing polled yet: no day to speak of */
		len = 0;
	else if (done < first - 1)
		done = first - 1; /* the journal's first day; never a window day before it */
	buf = rc == 0 ? malloc(len + 1) : NULL;
	if (rc == 0 && !buf)
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && first && i < n; i++) {
		struct gw_reading_tags t;
		char ref[GW_HHREF_LEN];
		int lines;

		plot_tags(f, &res[i], &t, ref);
		lines = gw_film_days_lines(&res[i], &t, done, today, buf, len + 1, &pos);
		rc = lines < 0 ? lines : 0;
	}
	if (rc == 0 && pos)
		rc = gw_influx_write_all(f->w, buf, pos, &st);
	free(buf);
	gw_plot_results_free(res, n);
	if (rc == 0 && pos)
		gw_log(GW_INFO, "film-days", "wrote %llu daily film states up to %d",
		       (unsigned long long)st.written_points, today);
	return rc;
}

static void *run(void *arg)
{
	struct gw_film_days *f = arg;
	int64_t next_ms = 0, done = 0;

	if (gw_journal_meta_get(f->j, META_DONE, &done) < 0)
		done = 0;
	while (!gw_bell_closing(f->env.bell)) {
		int64_t now = gw_clock_mono_ms();
		int today = yyyymmdd(gw_clock_wall_ms());
		int yesterday = yyyymmdd(midnight_ms(today) - 1);
		int rc;

		if (now >= next_ms && yesterday > done) {
			rc = publish(f, (int)done, today);
			if (rc == 0 && gw_journal_meta_set(f->j, META_DONE, yesterday) == 0)
				done = yesterday;
			else
				next_ms = now + RETRY_MS;
			if (rc && rc != -EAGAIN)
				gw_log(GW_WARN, "film-days", "daily film states not written: %s",
				       strerror(-rc));
		}
		gw_bell_wait(f->env.bell, INT64_MAX, CHECK_MS);
	}
	return NULL;
}

struct gw_film_days *gw_film_days_start(const struct gw_film_days_env *env)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct gw_film_days *f = calloc(1, sizeof(*f));
	int err = 0;

	if (!f)
		return NULL;
	f->env = *env;
	f->w = gw_influx_new(&env->cfg->influx, &err);
	f->j = f->w ? gw_journal_open(env->cfg->data_dir, &jo, &err) : NULL;
	if (f->j && (err = pthread_create(&f->thread, NULL, run, f)) == 0)
		return f;
	gw_journal_close(f->j);
	gw_influx_free(f->w);
	free(f);
	errno = err < 0 ? -err : err;
	return NULL;
}

void gw_film_days_join(struct gw_film_days *f)
{
	if (!f)
		return;
	pthread_join(f->thread, NULL);
	gw_journal_close(f->j);
	gw_influx_free(f->w);
	free(f);
}
