/* Internal to the journal module (journal*.c): the handle, the SQL helpers built on it, the
 * file-level helpers (journal_file.c) and following a journal that was started afresh
 * (journal_reopen.c). SQLite stays behind journal.c: this header only names its types. */
#ifndef GW_JOURNAL_INT_H
#define GW_JOURNAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define MOD "journal"

struct sqlite3;
struct sqlite3_stmt;

#define GW_JOURNAL_STMTS 16 /* statements a handle keeps prepared */

struct gw_journal {
	struct sqlite3 *db;
	struct sqlite3_stmt *ins;                     /* the append statement, reused */
	struct sqlite3_stmt *stmts[GW_JOURNAL_STMTS]; /* prepared once, reused (journal.c) */
	bool in_tx;                                   /* a batch is open */
	bool recovered;
	struct gw_journal_opts o;
	uint64_t gen;    /* the journal generation this handle is on (journal_reopen.c) */
	char path[4096]; /* DIR/journal.db */
};

/* Connects j to j->path and prepares it (pragmas, migrations, the append statement). create:
 * as gw_journal_open does (creating, checking, migrating); otherwise (following a journal
 * another handle started) the file must exist at the current schema, else -EAGAIN. On
 * failure j may hold a connection: gw_journal_detach() it. Returns 0 or -errno. */
int gw_journal_attach(struct gw_journal *j, bool create);
/* Closes j's connection (not j). keep_wal: never delete the WAL by name on close, because
 * the name now belongs to another journal. */
void gw_journal_detach(struct gw_journal *j, bool keep_wal);
/* True when j->path no longer names the file j has open (deleted, renamed, replaced). */
bool gw_journal_moved(struct gw_journal *j);
/* True when no transaction (batch or snapshot) is open on j. */
bool gw_journal_autocommit(struct gw_journal *j);
/* The generation of journals started afresh in this process (0 at start). */
uint64_t gw_journal_gen(void);
/* Announces a fresh journal: the next generation, which other handles then follow. */
uint64_t gw_journal_gen_next(void);
/* Swaps the connections of a and b. */
void gw_journal_swap_db(struct gw_journal *a, struct gw_journal *b);
/* A new handle (not attached) for j's path, options and generation. Returns owned or NULL. */
struct gw_journal *gw_journal_handle_like(const struct gw_journal *j);
/* Moves j onto the file at its path when a handle started a fresh journal since j looked and
 * j's file is gone from the path; outside transactions only. A failure leaves j where it
 * was, to try again at the next call. */
void gw_journal_follow(struct gw_journal *j);

/* journal_file.c. Creates path mode 0600 (create; fsyncs the directory after) or, existing,
 * sets its mode to 0600; -ELOOP for a symlink, -EISDIR for another non-file. */
int gw_journal_create_file(const char *path, bool create);
/* mkdir mode 0700; an existing directory is fine. */
int gw_journal_mkdir(const char *dir);
/* Moves path and its -wal/-shm to path.TAG-<unix time>[.k][-wal|-shm] (dst gets the name). */
int gw_journal_move_aside(const char *path, const char *tag, char *dst, size_t len);
/* 0 when path is a file its owner may write on a writable file system; -EACCES (the mode
 * lost S_IWUSR), -EROFS, or the errno of stat. */
int gw_journal_path_writable(const char *path);

/* An SQLite result code as 0 or -errno (-ENOSPC, -EBUSY, -ENOMEM, else -EIO). */
int gw_journal_errno(int rc);
/* Runs sql (no results); logs a failure. Returns 0 or -errno. */
int gw_journal_exec(struct gw_journal *j, const char *sql);
/* Runs sql with up to two binds (text s first when set, then v) and returns the first
 * column of the first row in *out. Returns 0, -ENOENT when out is set and there is no
 * row (*out is then 0), or -errno. */
int gw_journal_query(struct gw_journal *j, const char *sql, const char *s, int64_t v, int64_t *out);
/* One bound parameter or result column: an integer, or bytes (p, len) when p is set (bound
 * as text when text is set, else as a blob). */
struct gw_journal_val {
	int64_t i;
	const void *p;
	size_t len;
	bool text;
};

#define GW_JOURNAL_MAX_COLS 16

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
