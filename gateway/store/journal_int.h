/* Internal to the journal module (journal.c, journal_prune.c): the handle and the SQL
 * helpers built on it. SQLite stays behind journal.c: this header only names its types. */
#ifndef GW_JOURNAL_INT_H
#define GW_JOURNAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define MOD "journal"

struct sqlite3;
struct sqlite3_stmt;

struct gw_journal {
	struct sqlite3 *db;
	struct sqlite3_stmt *ins; /* the append statement, reused */
	bool in_tx;               /* a batch is open */
	bool recovered;
};

/* An SQLite result code as 0 or -errno (-ENOSPC, -EBUSY, -ENOMEM, else -EIO). */
int gw_journal_errno(int rc);
/* Runs sql (no results); logs a failure. Returns 0 or -errno. */
int gw_journal_exec(struct gw_journal *j, const char *sql);
/* Runs sql with up to two binds (text s first when set, then v) and returns the first
 * column of the first row in *out. Returns 0, -ENOENT when out is set and there is no
 * row (*out is then 0), or -errno. */
int gw_journal_query(struct gw_journal *j, const char *sql, const char *s, int64_t v, int64_t *out);
/* One bound parameter or result column: an integer, or bytes (p, len) when p is set. */
struct gw_journal_val {
	int64_t i;
	const void *p;
	size_t len;
};

#define GW_JOURNAL_MAX_COLS 8

/* Called per result row with its columns (borrowed for the call); non-zero stops. */
typedef int (*gw_journal_cols_fn)(void *user, const struct gw_journal_val *cols, int ncols);
/* Runs sql with nb binds (a blob when p is set, else the integer), calling fn (may be NULL)
 * for each result row with up to GW_JOURNAL_MAX_COLS columns (NULL: i 0 and p NULL). Returns
 * the number of rows, fn's non-zero return, or -errno. */
int gw_journal_stmt(struct gw_journal *j, const char *sql, const struct gw_journal_val *binds,
                    int nb, gw_journal_cols_fn fn, void *user);
/* Runs a statement with two int64 binds; *changes gets the rows it changed. */
int gw_journal_run2(struct gw_journal *j, const char *sql, int64_t a, int64_t b, int64_t *changes);
/* Starts a transaction unless a batch is open; *own says whether we must end it. */
int gw_journal_tx_begin(struct gw_journal *j, bool *own);
/* Commits (rc 0) or rolls back a transaction we own; returns the outcome. */
int gw_journal_tx_end(struct gw_journal *j, bool own, int rc);
/* Bytes in pages that hold data (free pages are reused, so they do not count). */
int gw_journal_used(struct gw_journal *j, int64_t *bytes);
/* Adds n to the cumulative counter name. */
int gw_journal_counter_add(struct gw_journal *j, const char *name, int64_t n);

#endif
