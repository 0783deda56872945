/* The journal's small tables: sources, metadata, counters and the sinks' cursors, through
 * the SQL helpers of journal_int.h (no SQLite types here). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "journal_int.h"

int gw_journal_source(struct gw_journal *j, const char *desc, int64_t *id)
{
	int rc;

	if (!desc || !*desc)
		return -EINVAL;
	rc = gw_journal_query(j, "SELECT id FROM sources WHERE desc=?", desc, 0, id);
	if (rc != -ENOENT)
		return rc;
	return gw_journal_query(j, "INSERT INTO sources(desc) VALUES(?) RETURNING id", desc, 0, id);
}

struct text_out {
	char *buf;
	size_t len;
	int rc;
};

static int copy_text(void *user, const struct gw_journal_val *c, int nc)
{
	struct text_out *t = user;

	(void)nc;
	t->rc = c[0].p && c[0].len < t->len ? 0 : -ENOSPC;
	if (t->rc == 0) {
		memcpy(t->buf, c[0].p, c[0].len);
		t->buf[c[0].len] = '\0';
	}
	return 0;
}

int gw_journal_source_get(struct gw_journal *j, int64_t id, char *buf, size_t len)
{
	struct gw_journal_val b = {.i = id};
	struct text_out t = {.buf = buf, .len = len, .rc = -ENOENT};
	int rc = gw_journal_stmt(j, "SELECT desc FROM sources WHERE id=?", &b, 1, copy_text, &t);

	return rc < 0 ? rc : t.rc;
}

int gw_journal_meta_get(struct gw_journal *j, const char *key, int64_t *value)
{
	return gw_journal_query(j, "SELECT value FROM meta WHERE key=?", key, 0, value);
}

int gw_journal_meta_set(struct gw_journal *j, const char *key, int64_t value)
{
	return gw_journal_query(j,
	                        "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key)"
	                        " DO UPDATE SET value=excluded.value",
	                        key, value, NULL);
}

int gw_journal_counter_get(struct gw_journal *j, const char *name, int64_t *value)
{
	int rc = gw_journal_query(j, "SELECT value FROM counters WHERE name=?", name, 0, value);

	return rc == -ENOENT ? 0 : rc;
}

int gw_journal_counter_add(struct gw_journal *j, const char *name, int64_t n)
{
	int rc = gw_journal_query(
	        j,
	        "INSERT INTO counters(name, value) VALUES(?1, ?2) ON CONFLICT(name)"
	        " DO UPDATE SET value=value+excluded.value",
	        name, n, NULL);

	return rc == -ENOENT ? 0 : rc;
}

int gw_journal_cursor_get(struct gw_journal *j, const char *sink, int64_t *seq)
{
	int rc = gw_journal_query(j, "SELECT seq FROM cursors WHERE sink=?", sink, 0, seq);

	return rc == -ENOENT ? 0 : rc;
}

int gw_journal_last_seq(struct gw_journal *j, int64_t *seq)
{
	int rc = gw_journal_query(j, "SELECT seq FROM sqlite_sequence WHERE name='readings'", NULL,
	                          0, seq);

	return rc == -ENOENT ? 0 : rc;
}

int gw_journal_cursor_set(struct gw_journal *j, const char *sink, int64_t seq)
{
	int64_t cur, last = 0;
	bool own;
	int rc = gw_journal_cursor_get(j, sink, &cur);

	if (rc)
		return rc;
	rc = gw_journal_last_seq(j, &last);
	if (rc)
		return rc;
	if (seq < cur || seq > last)
		return -EINVAL;
	if (seq == cur)
		return 0;
	rc = gw_journal_tx_begin(j, &own);
	if (rc)
		return rc;
	rc = gw_journal_query(j,
	                      "INSERT INTO cursors(sink, seq) VALUES(?1, ?2) ON CONFLICT(sink)"
	                      " DO UPDATE SET seq=excluded.seq",
	                      sink, seq, NULL);
	return gw_journal_tx_end(j, own, rc);
}

int gw_journal_depth(struct gw_journal *j, const char *sink, int64_t *n)
{
	int64_t cur;
	int rc = gw_journal_cursor_get(j, sink, &cur);

	if (rc)
		return rc;
	return gw_journal_query(j, "SELECT count(*) FROM readings WHERE seq > ?", NULL, cur, n);
}
