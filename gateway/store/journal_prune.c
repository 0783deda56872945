/* Retention of the journal: deletes delivered rows by age and, under the size cap, the
 * oldest rows (delivered first, undelivered only when the cap forces it, counted). */
#include <errno.h>
#include <stdint.h>

#include "journal_int.h"
#include "log.h"

/* The lowest cursor among sinks: rows up to it are delivered everywhere. */
static int delivered_upto(struct gw_journal *j, const char *const *sinks, size_t nsinks,
                          int64_t *upto)
{
	int64_t cur;
	int rc;

	*upto = INT64_MAX;
	for (size_t i = 0; i < nsinks; i++) {
		rc = gw_journal_cursor_get(j, sinks[i], &cur);
		if (rc)
			return rc;
		if (cur < *upto)
			*upto = cur;
	}
	return 0;
}

static int keep_first(void *user, const struct gw_journal_val *c, int nc)
{
	(void)nc;
	*(int64_t *)user = c[0].i;
	return 0;
}

/* Raises meta pruned_seq to the highest seq sql (two binds) selects, before those rows are
 * deleted: the evidence chain calls a day with rows up to it pruned, not deleted. */
static int note_pruned(struct gw_journal *j, const char *sql, int64_t a, int64_t b)
{
	struct gw_journal_val bind[] = {{.i = a}, {.i = b}};
	int64_t max = 0, cur = 0;
	int rc = gw_journal_stmt(j, sql, bind, 2, keep_first, &max);

	if (rc < 0 || max == 0)
		return rc < 0 ? rc : 0;
	rc = gw_journal_meta_get(j, "pruned_seq", &cur);
	if (rc && rc != -ENOENT)
		return rc;
	return max > cur ? gw_journal_meta_set(j, "pruned_seq", max) : 0;
}

/* Deletes the oldest rows with seq <= upto until at most max_bytes are in use, in chunks
 * sized from the average row; adds the count to *deleted. */
static int trim(struct gw_journal *j, int64_t upto, int64_t max_bytes, int64_t *deleted,
                int64_t *used)
{
	int64_t rows, total, n, gone;
	int rc;

	while ((rc = gw_journal_used(j, used)) == 0 && *used > max_bytes) {
		rc = gw_journal_query(j, "SELECT count(*) FROM readings WHERE seq <= ?", NULL, upto,
		                      &rows);
		if (rc == 0)
			rc = gw_journal_query(j, "SELECT count(*) FROM readings", NULL, 0, &total);
		if (rc || rows == 0)
			break;
		n = (*used - max_bytes) * total / *used + 1;
		rc = note_pruned(j,
		                 "SELECT max(seq) FROM (SELECT seq FROM readings WHERE seq <= ?1"
		                 " ORDER BY seq LIMIT ?2)",
		                 upto, n < rows ? n : rows);
		if (rc)
			break;
		rc = gw_journal_run2(j,
		                     "DELETE FROM readings WHERE seq IN (SELECT seq FROM readings"
		                     " WHERE seq <= ?1 ORDER BY seq LIMIT ?2)",
		                     upto, n < rows ? n : rows, &gone);
		if (rc)
			break;
		*deleted += gone;
	}
	return rc;
}

int gw_journal_prune(struct gw_journal *j, const char *const *sinks, size_t nsinks,
                     int64_t max_age_ms, int64_t max_bytes, int64_t now_ms,
                     struct gw_journal_prune_result *res)
{
	struct gw_journal_prune_result r = {0};
	int64_t upto;
	bool own;
	int rc = delivered_upto(j, sinks, nsinks, &upto);

	if (rc == 0)
		rc = gw_journal_tx_begin(j, &own);
	if (rc)
		return rc;
	if (max_age_ms > 0)
		rc = note_pruned(j, "SELECT max(seq) FROM readings WHERE seq <= ?1 AND ts_ms < ?2",
		                 upto, now_ms - max_age_ms);
	if (rc == 0 && max_age_ms > 0)
		rc = gw_journal_run2(j, "DELETE FROM readings WHERE seq <= ?1 AND ts_ms < ?2", upto,
		                     now_ms - max_age_ms, &r.deleted_age);
	if (rc == 0 && max_bytes > 0)
		rc = trim(j, upto, max_bytes, &r.deleted_delivered, &r.bytes);
	if (rc == 0 && max_bytes > 0)
		rc = trim(j, INT64_MAX, max_bytes, &r.dropped_undelivered, &r.bytes);
	if (rc == 0 && r.dropped_undelivered > 0)
		rc = gw_journal_counter_add(j, "dropped_undelivered", r.dropped_undelivered);
	rc = gw_journal_tx_end(j, own, rc);
	if (rc)
		return rc;
	if (r.dropped_undelivered > 0)
		gw_log(GW_WARN, MOD,
		       "dropped=%lld undelivered readings to stay under max_bytes=%lld",
		       (long long)r.dropped_undelivered, (long long)max_bytes);
	if (own && r.deleted_age + r.deleted_delivered + r.dropped_undelivered > 0)
		rc = gw_journal_exec(j, "PRAGMA incremental_vacuum");
	if (rc == 0)
		rc = gw_journal_used(j, &r.bytes);
	if (res)
		*res = r;
	return rc;
}
