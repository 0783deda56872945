/* The journal's side of the evidence chain: reading rows with their source text in seq order,
 * finding where a day ends, and the chain table (one row per sealed day). Hashing and the
 * sealing policy are chain.c's; this file only stores and fetches. */
#include <errno.h>
#include <string.h>

#include "journal_int.h"

struct scan {
	gw_journal_scan_fn fn;
	void *user;
};

static int scan_row(void *user, const struct gw_journal_val *c, int nc)
{
	struct scan *s = user;
	struct gw_journal_row r = {
	        .seq = c[0].i,
	        .ts_ms = c[1].i,
	        .day = c[2].i,
	        .src = c[3].i,
	        .desc = c[4].p,
	        .desc_len = c[4].len,
	        .data = c[5].p,
	        .len = c[5].len,
	};

	(void)nc;
	return s->fn(s->user, &r);
}

int gw_journal_scan(struct gw_journal *j, int64_t from_seq, int64_t to_seq, gw_journal_scan_fn fn,
                    void *user)
{
	struct gw_journal_val b[] = {{.i = from_seq}, {.i = to_seq}};
	struct scan s = {fn, user};

	return gw_journal_stmt(j,
	                       "SELECT r.seq, r.ts_ms, r.day, r.src, s.desc, r.data FROM readings r"
	                       " LEFT JOIN sources s ON s.id = r.src"
	                       " WHERE r.seq >= ?1 AND r.seq <= ?2 ORDER BY r.seq",
	                       b, 2, scan_row, &s);
}

static int first_int(void *user, const struct gw_journal_val *c, int nc)
{
	(void)nc;
	*(int64_t *)user = c[0].i;
	return 0;
}

/* Runs a query whose one result is an integer; -ENOENT when it returns no row. */
static int aggregate(struct gw_journal *j, const char *sql, const struct gw_journal_val *b, int nb,
                     int64_t *out)
{
	int rc = gw_journal_stmt(j, sql, b, nb, first_int, out);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int gw_journal_snapshot_begin(struct gw_journal *j)
{
	return j->in_tx ? -EBUSY : gw_journal_exec(j, "BEGIN DEFERRED");
}

int gw_journal_snapshot_end(struct gw_journal *j)
{
	return j->in_tx ? -EBUSY : gw_journal_exec(j, "COMMIT");
}

struct day_ends {
	gw_journal_day_fn fn;
	void *user;
};

static int day_end_row(void *user, const struct gw_journal_val *c, int nc)
{
	struct day_ends *d = user;

	(void)nc;
	return d->fn(d->user, c[0].i, c[1].i);
}

int gw_journal_day_ends(struct gw_journal *j, int64_t after_seq, gw_journal_day_fn fn, void *user)
{
	struct gw_journal_val b[] = {{.i = after_seq}};
	struct day_ends d = {fn, user};

	return gw_journal_stmt(j,
	                       "SELECT day, max(seq) FROM readings WHERE seq > ?1 GROUP BY day"
	                       " ORDER BY day",
	                       b, 1, day_end_row, &d);
}

int gw_journal_count_after(struct gw_journal *j, int64_t after_seq, int64_t *n)
{
	struct gw_journal_val b[] = {{.i = after_seq}};

	return aggregate(j, "SELECT count(*) FROM readings WHERE seq > ?1", b, 1, n);
}

int gw_journal_link_add(struct gw_journal *j, const struct gw_journal_link *l)
{
	struct gw_journal_val b[] = {
	        {.i = l->day},
	        {.i = l->first_seq},
	        {.i = l->last_seq},
	        {.i = l->readings},
	        {.p = l->digest, .len = sizeof(l->digest)},
	        {.p = l->prev, .len = sizeof(l->prev)},
	        {.i = l->sealed_ms},
	        {.i = l->late},
	        {.p = l->zone, .len = strlen(l->zone), .text = true},
	        {.p = l->signed_ ? l->signature : NULL, .len = sizeof(l->signature)},
	        {.i = l->version > 1 ? l->version : 1},
	        {.p = l->version > 1 ? l->rows : NULL, .len = sizeof(l->rows)},
	        {.p = l->version > 1 ? l->content : NULL, .len = sizeof(l->content)},
	        {.i = l->content_n},
	        {.p = l->version > 1 ? l->rules : NULL, .len = sizeof(l->rules)},
	};
	struct gw_journal_link last;
	int rc = gw_journal_link_last(j, &last);

	if (rc == 0 && last.day >= l->day)
		return -EEXIST;
	if (rc && rc != -ENOENT)
		return rc;
	rc = gw_journal_stmt(
	        j,
	        "INSERT INTO chain(day, first_seq, last_seq, readings, digest, prev,"
	        " sealed_ms, late, zone, signature, version, rows, content, content_n, rules)"
	        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF(?9, ''), NULLIF(?10, 0), ?11,"
	        " NULLIF(?12, 0), NULLIF(?13, 0), ?14, NULLIF(?15, 0))",
	        b, 15, NULL, NULL);
	return rc < 0 ? rc : 0;
}

static void copy32(uint8_t out[32], const struct gw_journal_val *v)
{
	memset(out, 0, 32);
	if (v->p && v->len == 32)
		memcpy(out, v->p, 32);
}

struct links {
	gw_journal_link_fn fn;
	void *user;
};

static int link_row(void *user, const struct gw_journal_val *c, int nc)
{
	struct links *s = user;
	struct gw_journal_link l = {
	        .day = c[0].i,
	        .first_seq = c[1].i,
	        .last_seq = c[2].i,
	        .readings = c[3].i,
	        .sealed_ms = c[6].i,
	        .late = c[7].i,
	};

	(void)nc;
	copy32(l.digest, &c[4]);
	copy32(l.prev, &c[5]);
	if (c[8].p && c[8].len < sizeof(l.zone))
		memcpy(l.zone, c[8].p, c[8].len);
	l.signed_ = c[9].p && c[9].len == sizeof(l.signature);
	if (l.signed_)
		memcpy(l.signature, c[9].p, sizeof(l.signature));
	l.version = (int)c[10].i;
	copy32(l.rows, &c[11]);
	copy32(l.content, &c[12]);
	l.content_n = c[13].i;
	copy32(l.rules, &c[14]);
	return s->fn(s->user, &l);
}

#define LINK_COLS                                                                                  \
	"SELECT day, first_seq, last_seq, readings, digest, prev, sealed_ms, late, zone, "         \
	"signature, version, rows, content, content_n, rules"                                      \
	" FROM chain"

int gw_journal_links(struct gw_journal *j, gw_journal_link_fn fn, void *user)
{
	struct links s = {fn, user};

	return gw_journal_stmt(j, LINK_COLS " ORDER BY day", NULL, 0, link_row, &s);
}

static int keep_link(void *user, const struct gw_journal_link *l)
{
	*(struct gw_journal_link *)user = *l;
	return 0;
}

int gw_journal_link_last(struct gw_journal *j, struct gw_journal_link *l)
{
	struct links s = {keep_link, l};
	int rc = gw_journal_stmt(j, LINK_COLS " ORDER BY day DESC LIMIT 1", NULL, 0, link_row, &s);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int gw_journal_link_next(struct gw_journal *j, int64_t after_day, struct gw_journal_link *l)
{
	struct gw_journal_val b[] = {{.i = after_day}};
	struct links s = {keep_link, l};
	int rc = gw_journal_stmt(j, LINK_COLS " WHERE day > ?1 ORDER BY day LIMIT 1", b, 1,
	                         link_row, &s);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}
