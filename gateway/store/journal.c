/* The journal's storage: opening (modes, integrity check, recovery, migrations), batched
 * appends, per-sink cursors, fetch and retention over SQLite in WAL mode. The only includer
 * of sqlite3.h; SQLITE_* codes become -errno here and go no further. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "journal_int.h"
#include "log.h"
#include "tz.h"

/* Migration N+1 is migrations[N]; each runs in its own transaction with the version bump. */
static const char *const migrations[GW_JOURNAL_SCHEMA_VERSION] = {
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "CREATE TABLE sources(id INTEGER PRIMARY KEY, desc TEXT NOT NULL UNIQUE);"
        "CREATE TABLE readings(seq INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL,"
        " day INTEGER NOT NULL, src INTEGER NOT NULL, data BLOB NOT NULL);"
        "CREATE TABLE cursors(sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);"
        "CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
        /* 2: the evidence chain, one row per sealed day (journal_chain.c) */
        "CREATE TABLE chain(day INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL,"
        " last_seq INTEGER NOT NULL, readings INTEGER NOT NULL, digest BLOB NOT NULL,"
        " prev BLOB NOT NULL, sealed_ms INTEGER NOT NULL, late INTEGER NOT NULL);",
        /* 3: the rules in force from each day on (journal_rules.c) */
        "CREATE TABLE IF NOT EXISTS rules(day INTEGER PRIMARY KEY,"
        " since_ms INTEGER NOT NULL,"
        " text BLOB NOT NULL);",
        /* 4: each sealed day's zone and Ed25519 signature (chain.h; NULL before version 4) */
        "ALTER TABLE chain ADD COLUMN zone TEXT; ALTER TABLE chain ADD COLUMN signature BLOB;",
        /* 5: seal version 2, the day's parts (chain_day.h); days sealed before stay version 1 */
        "ALTER TABLE chain ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
        "ALTER TABLE chain ADD COLUMN rows BLOB; ALTER TABLE chain ADD COLUMN content BLOB;"
        "ALTER TABLE chain ADD COLUMN content_n INTEGER; ALTER TABLE chain ADD COLUMN rules BLOB;",
};

int gw_journal_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* A statement for sql: the handle's cached one unless it is in use (a nested call), else a
 * new one, cached while there is room: what runs every turn (fetch, cursors, BEGIN, COMMIT)
 * is parsed once per connection. put_stmt() hands it back. Returns an SQLite code. */
static int get_stmt(struct gw_journal *j, const char *sql, sqlite3_stmt **st)
{
	size_t i = 0;
	int rc;

	for (; i < GW_JOURNAL_STMTS && j->stmts[i]; i++)
		if (!sqlite3_stmt_busy(j->stmts[i]) && strcmp(sqlite3_sql(j->stmts[i]), sql) == 0) {
			*st = j->stmts[i];
			return SQLITE_OK;
		}
	if (i == GW_JOURNAL_STMTS)
		return sqlite3_prepare_v2(j->db, sql, -1, st, NULL);
	rc = sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc == SQLITE_OK)
		j->stmts[i] = *st;
	return rc;
}

/* Resets a cached statement (ending its read), finalizes any other. */
static void put_stmt(struct gw_journal *j, sqlite3_stmt *st)
{
	for (size_t i = 0; i < GW_JOURNAL_STMTS && j->stmts[i]; i++)
		if (j->stmts[i] == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

int gw_journal_exec(struct gw_journal *j, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	gw_journal_follow(j);
	if (strchr(sql, ';')) /* several statements */
		rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
	else if ((rc = get_stmt(j, sql, &st)) == SQLITE_OK && st)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
	rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	if (rc != SQLITE_OK)
		gw_log(GW_ERR, MOD, "sql failed: %s", sqlite3_errmsg(j->db));
	if (st)
		put_stmt(j, st);
	return gw_journal_errno(rc);
}

int gw_journal_query(struct gw_journal *j, const char *sql, const char *s, int64_t v, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	gw_journal_follow(j);
	rc = get_stmt(j, sql, &st);
	if (rc != SQLITE_OK)
		return gw_journal_errno(rc);
	if (s)
		sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= (s ? 2 : 1))
		sqlite3_bind_int64(st, s ? 2 : 1, v);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	put_stmt(j, st);
	if (rc == SQLITE_DONE && out) {
		*out = 0;
		return -ENOENT;
	}
	return gw_journal_errno(rc);
}

/* A result column as a gw_journal_val: NULL as {0, NULL}, bytes with p never NULL. */
static void column(sqlite3_stmt *st, int c, struct gw_journal_val *v)
{
	int t = sqlite3_column_type(st, c);

	v->i = 0;
	v->p = NULL;
	v->len = 0;
	if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
		v->i = sqlite3_column_int64(st, c);
	} else if (t == SQLITE_BLOB || t == SQLITE_TEXT) {
		v->p = t == SQLITE_BLOB ? sqlite3_column_blob(st, c)
		                        : (const void *)sqlite3_column_text(st, c);
		v->len = (size_t)sqlite3_column_bytes(st, c);
		if (!v->p)
			v->p = ""; /* an empty blob */
	}
}

int gw_journal_stmt(struct gw_journal *j, const char *sql, const struct gw_journal_val *binds,
                    int nb, gw_journal_cols_fn fn, void *user)
{
	struct gw_journal_val cols[GW_JOURNAL_MAX_COLS];
	sqlite3_stmt *st;
	int n = 0, cb = 0, nc, rc;

	gw_journal_follow(j);
	rc = get_stmt(j, sql, &st);
	if (rc != SQLITE_OK)
		return gw_journal_errno(rc);
	for (int i = 0; i < nb; i++)
		if (binds[i].p && binds[i].text)
			sqlite3_bind_text(st, i + 1, binds[i].p, (int)binds[i].len, SQLITE_STATIC);
		else if (binds[i].p)
			sqlite3_bind_blob(st, i + 1, binds[i].p, (int)binds[i].len, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, binds[i].i);
	nc = sqlite3_column_count(st);
	nc = nc > GW_JOURNAL_MAX_COLS ? GW_JOURNAL_MAX_COLS : nc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < nc; c++)
			column(st, c, &cols[c]);
		cb = fn ? fn(user, cols, nc) : 0;
		if (cb)
			break;
		n++;
	}
	put_stmt(j, st);
	if (cb)
		return cb;
	return rc == SQLITE_DONE ? n : gw_journal_errno(rc);
}

int gw_journal_tx_begin(struct gw_journal *j, bool *own)
{
	*own = !j->in_tx;
	return *own ? gw_journal_exec(j, "BEGIN IMMEDIATE") : 0;
}

int gw_journal_tx_end(struct gw_journal *j, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc == 0)
		rc = gw_journal_exec(j, "COMMIT");
	if (rc && !sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* 0: passes the check (sql: a PRAGMA quick_check or integrity_check); -EBADMSG: damaged
 * (its first finding in why); other -errno: not checked. */
static int check_db(struct gw_journal *j, const char *sql, char *why, size_t len)
{
	sqlite3_stmt *st = NULL;
	const char *r = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = (const char *)sqlite3_column_text(st, 0);
	snprintf(why, len, "%s", r ? r : sqlite3_errstr(rc));
	for (char *c = why; (c = strchr(c, '\n')); c++)
		*c = ' '; /* one log line per event */
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return strcmp(why, "ok") == 0 ? 0 : -EBADMSG;
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		return -EBADMSG;
	return gw_journal_errno(rc);
}

static int connect_db(struct gw_journal *j, bool create)
{
	int rc = gw_journal_create_file(j->path, create);

	if (rc) {
		if (create)
			gw_log(GW_ERR, MOD, "path=%s create failed: %s", j->path, strerror(-rc));
		return rc;
	}
	rc = sqlite3_open_v2(j->path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		gw_log(GW_ERR, MOD, "path=%s open failed: %s", j->path, sqlite3_errstr(rc));
		sqlite3_close(j->db);
		j->db = NULL;
		return gw_journal_errno(rc);
	}
	sqlite3_busy_timeout(j->db, j->o.busy_timeout_ms > 0 ? j->o.busy_timeout_ms : 5000);
	sqlite3_extended_result_codes(j->db, 1);
	return 0;
}

/* Connects and checks; a damaged database is moved aside and replaced by an empty one. */
static int connect_checked(struct gw_journal *j)
{
	char why[256] = "", aside[4096];
	int rc = connect_db(j, true);

	if (rc)
		return rc;
	rc = check_db(j, "PRAGMA quick_check", why, sizeof(why));
	if (rc != -EBADMSG)
		return rc;
	sqlite3_close(j->db);
	j->db = NULL;
	rc = gw_journal_move_aside(j->path, "corrupt", aside, sizeof(aside));
	if (rc) {
		gw_log(GW_ERR, MOD, "path=%s damaged (%s) and could not be moved aside: %s",
		       j->path, why, strerror(-rc));
		return rc;
	}
	gw_log(GW_ERR, MOD, "path=%s failed integrity check (%s); moved to %s, starting fresh",
	       j->path, why, aside);
	j->recovered = true;
	return connect_db(j, true);
}

static int schema_version(struct gw_journal *j, int64_t *v)
{
	int64_t n = 0;
	int rc = gw_journal_query(j, "SELECT count(*) FROM sqlite_master WHERE name='meta'", NULL,
	                          0, &n);

	*v = 0;
	if (rc == 0 && n > 0)
		rc = gw_journal_query(j, "SELECT value FROM meta WHERE key='schema_version'", NULL,
		                      0, v);
	return rc == -ENOENT ? 0 : rc;
}

static int migrate(struct gw_journal *j, int64_t from)
{
	int rc = 0;
	bool own;

	for (int64_t v = from; v < GW_JOURNAL_SCHEMA_VERSION && rc == 0; v++) {
		rc = gw_journal_tx_begin(j, &own);
		if (rc)
			return rc;
		rc = gw_journal_exec(j, migrations[v]);
		if (rc == 0)
			rc = gw_journal_query(
			        j,
			        "INSERT INTO meta(key, value) VALUES('schema_version', ?)"
			        " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
			        NULL, v + 1, NULL);
		rc = gw_journal_tx_end(j, own, rc);
		if (rc == 0)
			gw_log(GW_INFO, MOD, "schema migrated to version=%lld", (long long)(v + 1));
	}
	return rc;
}

int gw_journal_integrity(struct gw_journal *j, char *why, size_t len)
{
	return check_db(j, "PRAGMA integrity_check", why, len);
}

/* Everything after the integrity check: refuse a newer schema before writing anything. */
static int prepare_db(struct gw_journal *j, bool create)
{
	int64_t v;
	int rc = schema_version(j, &v);

	if (rc)
		return rc;
	if (!create && v != GW_JOURNAL_SCHEMA_VERSION)
		return -EAGAIN; /* not ready yet, or not ours to migrate */
	if (v > GW_JOURNAL_SCHEMA_VERSION) {
		gw_log(GW_ERR, MOD, "path=%s schema_version=%lld is newer than this build (%d)",
		       j->path, (long long)v, GW_JOURNAL_SCHEMA_VERSION);
		return -EPROTO;
	}
	/* Only take effect on an empty database: incremental vacuum lets prune give pages back
	 * to the disk; 512-byte pages make a commit of a poll cycle write a few KB to the WAL:
	 * every commit also rewrites the header page, a pointer-map page, the sequence's page
	 * and the last partly filled leaf, each a page (the SD card's wear is in bytes written;
	 * 1 KB pages wrote 178 bytes a 5-value reading at 50 readings a commit, 512 B 129). */
	if (v == 0 &&
	    (rc = gw_journal_exec(j, "PRAGMA page_size=512; PRAGMA auto_vacuum=INCREMENTAL")) != 0)
		return rc;
	rc = gw_journal_query(j, "PRAGMA journal_mode=WAL", NULL, 0, NULL);
	/* The durability journal.h promises: FULL syncs the WAL at every commit, so a commit
	 * that returned survives a power cut. NORMAL (syncing at checkpoints only) would keep
	 * the file intact but lose the commits since the last checkpoint; a relaxed handle only
	 * commits cursor moves, whose loss means sending again. A small page cache keeps memory
	 * flat: inserts are appends and the sinks read the newest pages. */
	if (rc == 0)
		rc = gw_journal_exec(
		        j, j->o.relaxed_sync ? "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64"
		                             : "PRAGMA synchronous=FULL; PRAGMA cache_size=-256");
	if (rc == 0)
		rc = migrate(j, v);
	if (rc == 0)
		rc = gw_journal_errno(sqlite3_prepare_v3(
		        j->db, "INSERT INTO readings(ts_ms, day, src, data) VALUES(?,?,?,?)", -1,
		        SQLITE_PREPARE_PERSISTENT, &j->ins, NULL));
	return rc;
}

int gw_journal_attach(struct gw_journal *j, bool create)
{
	int rc = !create || j->o.no_check ? connect_db(j, create) : connect_checked(j);

	return rc ? rc : prepare_db(j, create);
}

struct gw_journal *gw_journal_open(const char *dir, const struct gw_journal_opts *o, int *err)
{
	struct gw_journal *j = NULL;
	int n, rc = gw_journal_mkdir(dir);

	if (rc) {
		gw_log(GW_ERR, MOD, "dir=%s mkdir failed: %s", dir, strerror(-rc));
		goto out;
	}
	rc = -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		goto out;
	n = snprintf(j->path, sizeof(j->path), "%s/journal.db", dir);
	rc = -ENAMETOOLONG;
	if (n < 0 || (size_t)n >= sizeof(j->path))
		goto out_free;
	if (o)
		j->o = *o;
	j->gen = gw_journal_gen();
	rc = gw_journal_attach(j, true);
	if (rc)
		goto out_free;
	goto out;
out_free:
	gw_journal_close(j);
	j = NULL;
out:
	if (err)
		*err = rc;
	return j;
}

bool gw_journal_moved(struct gw_journal *j)
{
	int moved = 0;

	return j->db &&
	       sqlite3_file_control(j->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
	       moved;
}

bool gw_journal_autocommit(struct gw_journal *j)
{
	return !j->db || sqlite3_get_autocommit(j->db);
}

void gw_journal_detach(struct gw_journal *j, bool keep_wal)
{
	int on = 1;

	if (!j->db)
		return;
	/* The last connection to close checkpoints and deletes the WAL by its name. */
	if (keep_wal)
		sqlite3_file_control(j->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	sqlite3_finalize(j->ins);
	j->ins = NULL;
	for (size_t i = 0; i < GW_JOURNAL_STMTS; i++) {
		sqlite3_finalize(j->stmts[i]);
		j->stmts[i] = NULL;
	}
	if (sqlite3_close(j->db) != SQLITE_OK)
		gw_log(GW_ERR, MOD, "close failed: %s", sqlite3_errmsg(j->db));
	j->db = NULL;
}

/* Swaps the connections of a and b, with their statements. */
void gw_journal_swap_db(struct gw_journal *a, struct gw_journal *b)
{
	struct gw_journal t = *a;

	a->db = b->db;
	a->ins = b->ins;
	memcpy(a->stmts, b->stmts, sizeof(a->stmts));
	b->db = t.db;
	b->ins = t.ins;
	memcpy(b->stmts, t.stmts, sizeof(b->stmts));
}

void gw_journal_close(struct gw_journal *j)
{
	if (!j)
		return;
	if (j->in_tx)
		gw_journal_rollback(j);
	/* moved while a fresh journal was started: the WAL's name is the fresh one's */
	gw_journal_detach(j, j->gen != gw_journal_gen() && gw_journal_moved(j));
	free(j);
}

bool gw_journal_recovered(const struct gw_journal *j)
{
	return j->recovered;
}

int gw_journal_day_of(int64_t ts_ms, int64_t *day)
{
	*day = gw_tz_yyyymmdd(gw_tz_local(), ts_ms);
	return 0;
}

int gw_journal_append(struct gw_journal *j, int64_t ts_ms, int64_t src, const void *data,
                      size_t len)
{
	int64_t day;
	int rc;

	if (!data || len == 0 || len > INT32_MAX || gw_journal_day_of(ts_ms, &day))
		return -EINVAL;
	rc = gw_journal_begin(j);
	if (rc)
		return rc;
	sqlite3_bind_int64(j->ins, 1, ts_ms);
	sqlite3_bind_int64(j->ins, 2, day);
	sqlite3_bind_int64(j->ins, 3, src);
	sqlite3_bind_blob(j->ins, 4, data, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(j->ins);
	sqlite3_reset(j->ins);
	sqlite3_clear_bindings(j->ins);
	/* Some errors (FULL, IOERR) make SQLite roll the batch back. */
	j->in_tx = !sqlite3_get_autocommit(j->db);
	if (rc != SQLITE_DONE) {
		gw_log(GW_ERR, MOD, "src=%lld append failed: %s", (long long)src,
		       sqlite3_errstr(rc));
		return gw_journal_errno(rc);
	}
	return 0;
}

int gw_journal_begin(struct gw_journal *j)
{
	int rc;

	if (j->in_tx)
		return 0;
	rc = gw_journal_exec(j, "BEGIN IMMEDIATE");
	j->in_tx = rc == 0;
	return rc;
}

int gw_journal_commit(struct gw_journal *j)
{
	int rc;

	if (!j->in_tx)
		return 0;
	rc = gw_journal_exec(j, "COMMIT");
	j->in_tx = !sqlite3_get_autocommit(j->db);
	return rc;
}

int gw_journal_rollback(struct gw_journal *j)
{
	int rc = 0;

	if (j->in_tx && !sqlite3_get_autocommit(j->db))
		rc = gw_journal_exec(j, "ROLLBACK");
	j->in_tx = !sqlite3_get_autocommit(j->db);
	return rc;
}

int gw_journal_fetch(struct gw_journal *j, int64_t after_seq, size_t max, gw_journal_row_fn fn,
                     void *user)
{
	sqlite3_stmt *st;
	int n = 0, cb = 0, rc;

	gw_journal_follow(j);
	rc = get_stmt(
	        j, "SELECT seq, ts_ms, src, data FROM readings WHERE seq > ? ORDER BY seq LIMIT ?",
	        &st);
	if (rc != SQLITE_OK)
		return gw_journal_errno(rc);
	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int64(st, 2, max > INT32_MAX ? INT32_MAX : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb = fn(user, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		        sqlite3_column_int64(st, 2), sqlite3_column_blob(st, 3),
		        (size_t)sqlite3_column_bytes(st, 3));
		if (cb)
			break;
		n++;
	}
	put_stmt(j, st);
	if (cb)
		return cb;
	return rc == SQLITE_DONE ? n : gw_journal_errno(rc);
}

int gw_journal_run2(struct gw_journal *j, const char *sql, int64_t a, int64_t b, int64_t *changes)
{
	sqlite3_stmt *st;
	int rc = get_stmt(j, sql, &st);

	if (rc != SQLITE_OK)
		return gw_journal_errno(rc);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	put_stmt(j, st);
	*changes = sqlite3_changes64(j->db);
	return gw_journal_errno(rc);
}

int gw_journal_used(struct gw_journal *j, int64_t *bytes)
{
	int64_t pages = 0, free_pages = 0, size = 0;
	int rc = gw_journal_query(j, "PRAGMA page_count", NULL, 0, &pages);

	if (rc == 0)
		rc = gw_journal_query(j, "PRAGMA freelist_count", NULL, 0, &free_pages);
	if (rc == 0)
		rc = gw_journal_query(j, "PRAGMA page_size", NULL, 0, &size);
	*bytes = (pages - free_pages) * size;
	return rc;
}
