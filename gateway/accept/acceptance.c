/* Acceptance from this gateway's journal: the config's film rules declared to the
 * accumulator, then every row streamed in batches (each source decoded once), then the
 * results. Also the names of states and verdicts, and freeing results. */
#include "acceptance.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accept_acc.h"
#include "accept_rules.h"
#include "clock.h"
#include "jcodec.h"
#include "journal.h"
#include "journal_rules.h"
#include "log.h"
#include "tz.h"

#define BATCH 20000

const char *gw_film_state_name(enum gw_film_state s)
{
	static const char *const names[] = {"no_data", "covered", "not_covered", "indeterminate"};

	return s <= GW_FS_INDETERMINATE ? names[s] : "?";
}

const char *gw_verdict_name(enum gw_verdict v)
{
	static const char *const names[] = {"no_sensor", "insufficient_data", "pass",
	                                    "fail",      "indeterminate",     "unverified"};

	return v <= GW_VERDICT_UNVERIFIED ? names[v] : "?";
}

void gw_plot_results_free(struct gw_plot_result *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		free(r[i].days);
	free(r);
}

int gw_acceptance_rules_from_config(const struct gw_config *cfg, struct gw_acc *a)
{
	for (size_t i = 0; i < cfg->nfilm_rules; i++) {
		const struct gw_film_rule *fr = &cfg->film_rules[i];
		bool two = fr->kind != GW_RULE_SWITCH;
		const struct gw_sensor_cfg *s0 = &cfg->sensors[fr->sensor[0]];
		const struct gw_sensor_cfg *s1 = two ? &cfg->sensors[fr->sensor[1]] : NULL;
		struct gw_acc_rule r = {
		        .gateway = cfg->gateway_id,
		        .plot = fr->plot,
		        .kind = fr->kind,
		        .sensor = {s0->id, s1 ? s1->id : NULL},
		        .interval_s = {s0->interval_s, s1 ? s1->interval_s : 0},
		        .point = fr->point,
		        .covered_value = fr->covered_value,
		};
		int rc = gw_acc_add_rule(a, &r);

		if (rc)
			return rc;
	}
	return 0;
}

/* What a journal source is to the accumulator: its sensor, and for each point the
 * accumulator wants, the index of that point in the source's data (-1: not there). */
struct src_map {
	bool known;
	long sensor; /* -1: not evidence */
	size_t npoints, nwant;
	int idx[GW_MAX_POINTS + 1];
};

struct jread {
	struct gw_journal *j;
	struct gw_acc *a;
	struct src_map *maps; /* indexed by source id */
	size_t nmaps;
	int64_t last_seq;
};

static int map_source(struct jread *jr, int64_t id, struct src_map *m)
{
	char text[GW_JSRC_MAX];
	struct gw_source src;
	const char *const *want;
	int rc = gw_journal_source_get(jr->j, id, text, sizeof(text));

	m->known = true;
	m->sensor = -1;
	if (rc == 0 && gw_source_parse(text, &src) == 0)
		m->sensor = gw_acc_sensor(jr->a, src.gateway, src.sensor);
	if (m->sensor < 0)
		return rc == -ENOMEM ? rc : 0;
	m->npoints = src.prof.npoints;
	m->nwant = gw_acc_points(jr->a, m->sensor, &want);
	for (size_t k = 0; k < m->nwant; k++) {
		m->idx[k] = -1;
		for (size_t p = 0; p < src.prof.npoints; p++)
			if (strcmp(src.prof.points[p].name, want[k]) == 0)
				m->idx[k] = (int)p;
	}
	return 0;
}

static struct src_map *source_map(struct jread *jr, int64_t id)
{
	if (id < 0 || id > 10000000)
		return NULL;
	if ((size_t)id >= jr->nmaps) {
		size_t n = (size_t)id * 2 + 16;
		struct src_map *m = realloc(jr->maps, n * sizeof(*m));

		if (!m)
			return NULL;
		memset(m + jr->nmaps, 0, (n - jr->nmaps) * sizeof(*m));
		jr->maps = m;
		jr->nmaps = n;
	}
	if (!jr->maps[id].known && map_source(jr, id, &jr->maps[id]))
		return NULL;
	return &jr->maps[id];
}

static int on_row(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data, size_t len)
{
	struct jread *jr = user;
	struct src_map *m = source_map(jr, src);
	struct gw_reading r;
	double vals[GW_MAX_POINTS + 1];

	jr->last_seq = seq;
	if (!m)
		return -ENOMEM;
	if (m->sensor < 0 || gw_jdata_unpack(data, len, m->npoints, &r) != 0)
		return 0; /* not evidence, or a row this build cannot read: skipped */
	for (size_t k = 0; k < m->nwant; k++)
		vals[k] = m->idx[k] >= 0 ? r.values[m->idx[k]] : NAN;
	return gw_acc_add(jr->a, m->sensor, ts_ms, vals);
}

struct sets {
	struct gw_acc *a;
	const struct gw_config *cfg;
	struct gw_accept_used *used;
};

static int on_set(void *user, int64_t day, const char *text, size_t len)
{
	struct sets *s = user;
	char zone[sizeof(s->used->zone)];
	int rc = gw_accept_rules_declare(
	        s->a, s->cfg->gateway_id, &s->cfg->accept, text, len,
	        gw_acc_day_of((int)(day / 10000), (int)(day / 100 % 100), (int)(day % 100)), zone,
	        sizeof(zone));

	if (rc == -EINVAL) {
		gw_log(GW_WARN, "accept", "day=%lld the recorded rules cannot be read: skipped",
		       (long long)day);
		return 0;
	}
	if (rc == 0 && !s->used->sets++)
		s->used->first_set = (int)day;
	if (rc == 0 && zone[0])
		memcpy(s->used->zone, zone, sizeof(zone));
	return rc;
}

/* The rules: the journal's recorded sets (unless current), else cfg's. */
static int declare_rules(const struct gw_config *cfg, struct gw_journal *j, bool current,
                         struct gw_acc *a, struct gw_accept_used *used)
{
	struct sets s = {a, cfg, used};
	int rc = current ? 0 : gw_journal_rules_each(j, on_set, &s);

	if (rc < 0)
		return rc;
	return used->sets ? 0 : gw_acceptance_rules_from_config(cfg, a);
}

static int read_journal(const struct gw_config *cfg, const struct gw_accept_opts *o,
                        struct gw_acc *a, struct gw_accept_used *used, struct gw_tz **tz)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct jread jr = {.a = a};
	int err = 0, rc;

	jr.j = gw_journal_open(cfg->data_dir, &jo, &err);
	if (!jr.j) {
		gw_log(GW_ERR, "accept", "dir=%s cannot open the journal: %s", cfg->data_dir,
		       strerror(-err));
		return err ? err : -EIO;
	}
	rc = declare_rules(cfg, jr.j, o && o->rules_current, a, used);
	if (rc == 0 && strcmp(used->zone, gw_tz_name(gw_tz_local())) != 0) {
		*tz = gw_tz_load(used->zone, &err); /* the zone the gateway recorded */
		if (*tz)
			gw_acc_set_zone(a, *tz);
		else
			snprintf(used->zone, sizeof(used->zone), "%s", gw_tz_name(gw_tz_local()));
	}
	if (rc == 0)
		do
			rc = gw_journal_fetch(jr.j, jr.last_seq, BATCH, on_row, &jr);
		while (rc == BATCH);
	gw_journal_close(jr.j);
	free(jr.maps);
	if (rc < 0)
		gw_log(GW_ERR, "accept", "dir=%s reading the journal failed: %s", cfg->data_dir,
		       strerror(-rc));
	return rc < 0 ? rc : 0;
}

int gw_acceptance_from_journal(const struct gw_config *cfg, const struct gw_records *recs,
                               const struct gw_accept_opts *o, struct gw_plot_result **out,
                               size_t *n)
{
	struct gw_acc *a = gw_acc_new(&cfg->accept);
	struct gw_accept_used local, *used = o && o->used ? o->used : &local;
	struct gw_tz *tz = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (!a)
		return -ENOMEM;
	memset(used, 0, sizeof(*used));
	snprintf(used->zone, sizeof(used->zone), "%s", gw_tz_name(gw_tz_local()));
	rc = read_journal(cfg, o, a, used, &tz);
	if (rc == 0)
		rc = gw_acc_finish(a, recs, o, gw_clock_wall_ms(), out, n);
	gw_acc_free(a);
	gw_tz_free(tz);
	return rc;
}

int gw_acceptance_record_rules(const struct gw_config *cfg, struct gw_journal *j, int64_t now_ms)
{
	char *text = gw_accept_rules_text(cfg);
	int64_t day = 0;
	bool changed = false;
	int rc = text ? gw_journal_day_of(now_ms, &day) : -ENOMEM;

	if (rc == 0)
		rc = gw_journal_rules_put(j, day, now_ms, text, &changed);
	if (rc)
		gw_log(GW_ERR, "accept", "cannot record the rules in force: %s", strerror(-rc));
	else if (changed)
		gw_log(GW_NOTICE, "accept", "day=%lld zone=%s rules in force recorded (changed)",
		       (long long)day, cfg->timezone);
	free(text);
	return rc;
}
