/* Batches readings into journal transactions and prints what was committed.
 * Allocates one batch at start; nothing per reading. */
#include "journal_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "clock.h"
#include "jcodec.h"
#include "source.h"
#include "log.h"

#define RETRY_MS         1000
#define IDLE_MS          250 /* longest wait for a first reading: the stop flag and ticks come after */
#define QUIET_MS         100   /* a batch commits once the queue has been quiet this long */
#define CHAIN_METRICS_MS 60000 /* how often the chain's state is read for the self-metrics */
#define JSON_MAX         4096

struct batch {
	struct gw_reading r[GW_DELIVER_BATCH];
	size_t n;
	char json[JSON_MAX];
	struct gw_limiter lim;
	int64_t *src;              /* journal source id of each configured sensor */
	struct gw_source *sources; /* and its source: the tags printed */
	int64_t first_ms;          /* when the batch's first reading came */
	struct gw_chain_sealer seal;
	struct gw_limiter jlim; /* the journal's file lost and not repaired */
	bool lost;              /* the last check found it lost */
	int64_t chain_day_seen; /* the sealer's head when the chain metrics were read */
	int64_t next_chain_ms;  /* monotonic time they are read again */
};

static void print_text(const struct gw_reading *r, const struct gw_reading_tags *tags)
{
	char ts[40];

	gw_clock_rfc3339(r->ts_ms, ts, sizeof(ts));
	printf("%s %-14s %-10s", ts + 11, r->sensor_id, tags->plot ? tags->plot : "-");
	for (size_t i = 0; i < r->profile->npoints; i++) {
		const struct gw_point *pt = &r->profile->points[i];

		if (r->quality[i] == GW_Q_GOOD)
			printf(" %s=%.*f%s", pt->name, pt->decimals, r->values[i], pt->unit);
		else
			printf(" %s=%s", pt->name, gw_quality_name((enum gw_quality)r->quality[i]));
	}
	printf("%s\n", r->unsynced ? " (clock unsynced)" : "");
}

static void hand_on(struct batch *b, enum gw_output out)
{
	struct gw_reading_tags tags;

	if (out == GW_OUT_NONE)
		return;
	for (size_t i = 0; i < b->n; i++) {
		gw_source_tags(&b->sources[b->r[i].index], &tags);
		if (out == GW_OUT_TEXT)
			print_text(&b->r[i], &tags);
		else if (gw_reading_json(&b->r[i], &tags, b->json, sizeof(b->json)) > 0)
			printf("%s\n", b->json);
	}
	fflush(stdout);
}

static const char *loss_name(int why)
{
	switch (why) {
	case -ENOENT:
		return "deleted";
	case -ESTALE:
		return "replaced by another file";
	case -EACCES:
		return "made read-only";
	case -EROFS:
		return "on a file system gone read-only";
	default:
		return strerror(-why);
	}
}

/* Before each commit: a journal file deleted, replaced or made unwritable is raised (log,
 * metrics) and repaired, so that this batch and the next do not go into a file that no
 * restart finds (journal.h). A repair that fails is tried again at the next commit. */
static void check_file(struct gw_journal *j, struct batch *b, struct gw_metrics *m)
{
	int why = gw_journal_check_path(j), rc;
	bool fresh = why == -ENOENT || why == -ESTALE;

	if (!why) {
		if (b->lost && gw_limiter_ok(&b->jlim))
			gw_log(GW_NOTICE, "journal", "the journal file is in order again");
		b->lost = false;
		return;
	}
	if (!b->lost) {
		gw_log(GW_ERR, "journal", "journal file %s while running%s", loss_name(why),
		       fresh ? ": the readings it held are gone from this gateway; starting a "
		               "fresh journal (chain restarted)"
		             : "");
		if (m)
			atomic_fetch_add(&m->journal_lost, 1);
	}
	b->lost = true;
	/* nothing to repair on a read-only file system: commits fail and are retried */
	rc = why == -EROFS ? why : gw_journal_reopen(j);
	if (rc) {
		if (gw_limiter_fail(&b->jlim))
			gw_log(GW_ERR, "journal",
			       "journal file %s and cannot be repaired: %s (readings still go into "
			       "the open file; retrying at each commit)",
			       loss_name(why), strerror(-rc));
		return;
	}
	if (fresh && m)
		atomic_fetch_add(&m->journal_reopened, 1);
	if (fresh)
		b->seal.loaded = false; /* the head is carried over; read it again */
	else
		gw_log(GW_NOTICE, "journal", "journal file mode set back to 0600");
	if (gw_limiter_ok(&b->jlim))
		gw_log(GW_NOTICE, "journal", "the journal file is in order again");
	b->lost = false;
}

/* Commits the batch; on success hands it on and empties it. */
static int commit(struct gw_journal *j, struct batch *b, const struct gw_journal_writer_opts *o,
                  uint64_t *count)
{
	uint8_t data[GW_JDATA_MAX];
	int64_t last = 0, newest = INT64_MIN;
	int rc = 0;

	check_file(j, b, o->metrics);

	for (size_t i = 0; i < b->n && !rc; i++) {
		if (b->r[i].ts_ms > newest)
			newest = b->r[i].ts_ms;
		rc = gw_jdata_pack(&b->r[i], data, sizeof(data));
		if (rc > 0)
			rc = gw_journal_append(j, b->r[i].ts_ms, b->src[b->r[i].index], data,
			                       (size_t)rc);
		if (!rc)
			rc = gw_chain_note_row(&b->seal, j, b->r[i].ts_ms);
	}
	if (!rc)
		rc = gw_journal_commit(j);
	if (!rc && o->bell && gw_journal_last_seq(j, &last) == 0)
		gw_bell_ring(o->bell, last);
	if (rc) {
		gw_journal_rollback(j);
		if (gw_limiter_fail(&b->lim))
			gw_log(GW_ERR, "journal", "commit of %zu readings failed: %s (retrying)",
			       b->n, strerror(-rc));
		return rc;
	}
	if (gw_limiter_ok(&b->lim))
		gw_log(GW_NOTICE, "journal", "commits work again");
	/* A reading of a later day seals the days before it (the evidence chain). */
	gw_chain_committed(&b->seal, j, newest);
	hand_on(b, o->out);
	*count += b->n;
	b->n = 0;
	return 0;
}

/* Retention, run at start and every prune_interval_s. The enabled sinks hold back
 * what they have not acknowledged; with none, every committed reading counts as delivered. */
static void prune(const struct gw_config *cfg, struct gw_journal *j, struct gw_metrics *m,
                  int64_t *next_ms)
{
	const char *sinks[2];
	struct gw_journal_prune_result res;
	size_t n = 0;
	int rc;

	if (gw_clock_mono_ms() < *next_ms)
		return;
	*next_ms = gw_clock_mono_ms() + (int64_t)cfg->journal.prune_interval_s * 1000;
	if (cfg->mqtt.enabled)
		sinks[n++] = "mqtt";
	if (cfg->influx.enabled)
		sinks[n++] = "influxdb";
	rc = gw_journal_prune(j, sinks, n, (int64_t)cfg->journal.max_age_days * 86400000,
	                      (int64_t)cfg->journal.max_mb << 20, gw_clock_wall_ms(), &res);
	if (rc == 0 && m)
		atomic_fetch_add(&m->retention_dropped, (uint64_t)res.dropped_undelivered);
	if (rc)
		gw_log(GW_ERR, "journal", "retention failed: %s", strerror(-rc));
	else if (res.deleted_age || res.deleted_delivered || res.dropped_undelivered)
		gw_log(GW_INFO, "journal",
		       "retention: aged=%lld delivered=%lld undelivered=%lld bytes=%lld",
		       (long long)res.deleted_age, (long long)res.deleted_delivered,
		       (long long)res.dropped_undelivered, (long long)res.bytes);
}

static int first_ts(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data,
                    size_t len)
{
	(void)seq;
	(void)src;
	(void)data;
	(void)len;
	*(int64_t *)user = ts_ms;
	return 0;
}

/* The evidence chain's state for the self-metrics (the "not sealed" alert): the newest sealed
 * day, when it was sealed, and the poll time of the oldest reading after it. Read every
 * CHAIN_METRICS_MS, and at once when a day was sealed. */
static void chain_metrics(struct gw_journal *j, struct batch *b, struct gw_metrics *m)
{
	struct gw_journal_link head;
	int64_t after = 0, oldest = 0, now = gw_clock_mono_ms();
	int rc;

	if (!m || (now < b->next_chain_ms && b->seal.head_day == b->chain_day_seen))
		return;
	b->next_chain_ms = now + CHAIN_METRICS_MS;
	b->chain_day_seen = b->seal.head_day;
	rc = gw_chain_head(j, &head);
	if (rc && rc != -ENOENT)
		return;
	if (rc == 0) {
		after = head.last_seq;
		atomic_store(&m->chain_head_day, head.day);
		atomic_store(&m->chain_sealed_ms, head.sealed_ms);
	}
	if (gw_journal_fetch(j, after, 1, first_ts, &oldest) >= 0)
		atomic_store(&m->chain_unsealed_ms, oldest);
}

/* Finds or adds the journal source of every configured sensor. */
static int register_sources(const struct gw_config *cfg, const struct gw_journal_writer_opts *o,
                            struct gw_journal *j, struct batch *b)
{
	char *text = malloc(GW_JSRC_MAX);
	int rc = 0;

	b->src = calloc(cfg->nsensors, sizeof(*b->src));
	b->sources = calloc(cfg->nsensors, sizeof(*b->sources));
	if (!text || !b->src || !b->sources)
		rc = -ENOMEM;
	if (rc == 0)
		rc = gw_journal_begin(j); /* one transaction for all of them */
	for (size_t i = 0; i < cfg->nsensors && rc == 0; i++) {
		gw_source_from_config(cfg, o->records, o->hh_key, i, &b->sources[i]);
		rc = gw_source_format(&b->sources[i], text, GW_JSRC_MAX);
		if (rc > 0)
			rc = gw_journal_source(j, text, &b->src[i]);
	}
	rc = rc ? rc : gw_journal_commit(j);
	if (rc)
		gw_journal_rollback(j);
	if (rc)
		gw_log(GW_ERR, "journal", "cannot record the sensors' sources: %s", strerror(-rc));
	free(text);
	return rc;
}

/* With journal.commit_ms, readings gather that long per transaction (sparing the SD
 * card); without, a batch commits once the queue goes idle (the poll cycle is done). */
static bool commit_due(const struct gw_config *cfg, const struct batch *b, bool got_one)
{
	if (!cfg->journal.commit_ms)
		return !got_one;
	return b->n && gw_clock_mono_ms() - b->first_ms >= cfg->journal.commit_ms;
}

static bool should_stop(const struct gw_journal_writer_opts *o)
{
	return (o->stop && *o->stop) || (o->end_mono_ms && gw_clock_mono_ms() >= o->end_mono_ms);
}

/* How long past midnight a reading of the day before may still arrive: the slowest bus's
 * poll of a sensor (a few blocks, each with its retries) and a batch's commit delay. */
static int64_t seal_grace_ms(const struct gw_config *cfg)
{
	int64_t worst = 0;

	for (size_t i = 0; i < cfg->nbuses; i++) {
		const struct gw_bus_cfg *bc = &cfg->buses[i];
		int64_t t = (int64_t)(bc->response_timeout_ms + bc->rtt_ms) * (bc->retries + 1) * 4;

		worst = t > worst ? t : worst;
	}
	worst += (int64_t)cfg->journal.commit_ms + 1000;
	return worst < 600000 ? worst : 600000;
}

int gw_journal_writer_run(const struct gw_config *cfg, struct gw_poller *p, struct gw_journal *j,
                          const struct gw_journal_writer_opts *o, uint64_t *count)
{
	struct batch *b = calloc(1, sizeof(*b));
	bool stopping = false, ended = false;
	int64_t next_prune = 0;
	int rc = 0;

	if (!b)
		return -ENOMEM;
	gw_chain_sealer_init(&b->seal);
	b->seal.signer = o->signer;
	b->seal.grace_ms = seal_grace_ms(cfg);
	rc = register_sources(cfg, o, j, b);
	if (rc) {
		free(b->sources);
		free(b->src);
		free(b);
		return rc;
	}
	while (!ended || b->n) {
		if (o->tick)
			o->tick(o->tick_arg);
		if (!stopping && should_stop(o)) {
			gw_log(GW_NOTICE, "run", "stopping: committing the readings already taken");
			gw_poller_stop(p);
			stopping = true;
		}
		if (!ended && b->n < GW_DELIVER_BATCH) {
			rc = gw_poller_next(p, &b->r[b->n], b->n ? QUIET_MS : IDLE_MS);
			if (rc == 0 && b->n++ == 0)
				b->first_ms = gw_clock_mono_ms();
			ended = rc == -ENODATA;
			/* a reading came: keep gathering unless the batch is due; idle: commit
			 * unless commit_ms asks for more (and we are not stopping) */
			if (!ended && (rc == 0 ? !commit_due(cfg, b, true)
			                       : !stopping && !commit_due(cfg, b, false)))
				continue;
		}
		/* The queue is idle (a poll cycle is done), the batch is full, or the end came. */
		rc = b->n ? commit(j, b, o, count) : 0;
		if (rc == 0 && !b->n)
			prune(cfg, j, o->metrics, &next_prune);
		if (rc == 0 && !b->n)
			gw_chain_tick(&b->seal, j);
		if (rc == 0 && !b->n)
			chain_metrics(j, b, o->metrics);
		if (rc == 0)
			continue;
		/* Once the poller has ended nothing waits behind us: report and give up. */
		if (ended)
			break;
		gw_clock_sleep_ms(RETRY_MS);
	}
	free(b->sources);
	free(b->src);
	free(b);
	return rc;
}
