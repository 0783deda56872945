/* The local journal: every reading is committed here (SQLite, WAL) before any sink sees it,
 * with one delivery cursor per sink and size/age retention. A row is (seq, ts_ms, source
 * id, data): data is the caller's compact encoding of the values, stored as given; a
 * source is the caller's text describing what a row belongs to (sensor, plot, point
 * names ...), stored once and referred to by id. The journal never formats readings. A handle is
 * used by one thread at a time; other threads open their own handle on the same directory. */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The newest schema this build knows; a journal with a higher version is refused. */
#define GW_JOURNAL_SCHEMA_VERSION 5

struct gw_journal;

/* Durability. A batch whose gw_journal_commit() returned 0 is on the storage: it survives a
 * crash of the process and a power cut (SQLite WAL with synchronous=FULL: one fsync of the WAL
 * per commit). What a power cut loses is what was not committed yet: the open batch, at most
 * one poll cycle or one journal.commit_ms of readings, which is therefore the knob that trades
 * loss against SD-card wear. After a power cut the journal opens intact (it passes PRAGMA
 * integrity_check) and its evidence chain verifies. A relaxed_sync handle (the sinks' feeds)
 * may lose its last commits on a power cut, never the file's integrity: it commits only
 * cursor moves, whose loss means sending again. */
struct gw_journal_opts {
	int busy_timeout_ms; /* waiting for another handle's lock; 0: 5000 */
	bool no_check;       /* a second handle in the same process: skip the integrity check */
	bool relaxed_sync;   /* commits may be lost on a power cut (see above) */
};

/* Opens (creating if needed) DIR/journal.db. dir is created mode 0700 when missing (its
 * parent must exist); the database and its WAL are mode 0600 whatever the umask. Runs an
 * integrity check: a damaged database is moved aside as journal.db.corrupt-<unix time>
 * (with its -wal and -shm), logged, and a fresh one is started (gw_journal_recovered()).
 * Applies schema migrations in order. o may be NULL (defaults). Borrows dir and o.
 * Returns an owned handle, or NULL with *err set (err may be NULL): -EPROTO when the
 * journal's schema is newer than this build (the file is left untouched), -EIO, -ENOMEM,
 * or the errno of a failed mkdir/open. */
struct gw_journal *gw_journal_open(const char *dir, const struct gw_journal_opts *o, int *err);
/* Rolls back an uncommitted batch (those readings are lost, as in a crash) and closes.
 * NULL is a no-op. */
void gw_journal_close(struct gw_journal *j);
/* True when open found a damaged database and started a fresh one. */
bool gw_journal_recovered(const struct gw_journal *j);
/* Runs PRAGMA integrity_check (reads the whole file: for tests and tooling, not each start).
 * Returns 0 when intact, -EBADMSG with the first finding in why (len bytes, truncated), or
 * -errno when it could not run. */
int gw_journal_integrity(struct gw_journal *j, char *why, size_t len);

/* Losing the file. A journal deleted, replaced (another file or a directory moved over it) or
 * made unwritable while open would otherwise take every later commit into a file no one can
 * open again. The writer calls gw_journal_check_path() before each commit and, on a finding,
 * gw_journal_reopen(). Every other handle of this process follows by itself: at its next
 * query outside a transaction it closes the lost file and opens the fresh one (it goes on
 * from its place: sequence numbers continue). */

/* Whether DIR/journal.db is still the file j writes: 0 when it is; -ENOENT (deleted),
 * -ESTALE (another file or a directory is there now), -EACCES (its mode lost the owner's
 * write bit), -EROFS (the file system went read-only). One stat and one statvfs. */
int gw_journal_check_path(struct gw_journal *j);
/* Repairs what gw_journal_check_path() found. The file still there: its mode is set back to
 * 0600 (-EROFS stays -EROFS). Deleted or replaced: whatever is at the path (the other file,
 * the lost journal's -wal and -shm) is moved aside as journal.db.lost-<unix time>[-wal|-shm],
 * a fresh journal is created and carries over from the lost one, still readable through j:
 * the sources (same ids), the sequence (new rows go on from the last seq), the evidence
 * chain's head (the chain goes on from it), meta lost_seq (rows up to it were in the lost
 * file: verify reports their days "restarted", not deleted) and restarted_ms, and counter
 * journal_restarts; then j writes the fresh file and the other handles follow. Not inside a
 * batch (-EBUSY). On failure j keeps the old file (later commits still go there) and the
 * caller tries again. Returns 0 or -errno. */
int gw_journal_reopen(struct gw_journal *j);

/* The id of the source described by desc (a non-empty text), adding it when new (inside
 * an open batch it commits with the batch). Equal texts get the same id. Borrows desc.
 * Returns 0 or -errno. */
int gw_journal_source(struct gw_journal *j, const char *desc, int64_t *id);
/* Copies the text of source id into buf. Returns 0, -ENOENT, -ENOSPC or -errno. */
int gw_journal_source_get(struct gw_journal *j, int64_t id, char *buf, size_t len);

/* Adds one reading to the open batch (starting one if needed): its poll time, its source
 * id and len bytes of data (borrowed). The row is durable only once gw_journal_commit()
 * returns 0. Returns 0, -EINVAL, -ENOSPC, -EIO or -EBUSY. */
int gw_journal_append(struct gw_journal *j, int64_t ts_ms, int64_t src, const void *data,
                      size_t len);
/* Opens a batch explicitly (appends open one by themselves), e.g. to add many sources in one
 * transaction. No-op when one is open. Returns 0 or -errno. */
int gw_journal_begin(struct gw_journal *j);
/* Commits the open batch (0 when none is open); once it returns 0 the batch survives a power
 * cut (see Durability above; a relaxed_sync handle's may not). On failure the batch stays open
 * when SQLite kept it (the caller may retry or gw_journal_rollback()), otherwise it is gone.
 * Returns 0, -ENOSPC, -EIO or -EBUSY. */
int gw_journal_commit(struct gw_journal *j);
/* Drops the open batch. Returns 0 or -EIO. */
int gw_journal_rollback(struct gw_journal *j);

/* The last sequence number sink has acknowledged; 0 for a sink never set. Borrows sink.
 * Returns 0 or -errno. */
int gw_journal_cursor_get(struct gw_journal *j, const char *sink, int64_t *seq);
/* Moves sink's cursor to seq (a sequence number already assigned). Moves only forward:
 * a lower seq, or one never assigned, returns -EINVAL; the same seq is a no-op. Inside an
 * open batch the move is durable with the batch's commit. Returns 0 or -errno. */
int gw_journal_cursor_set(struct gw_journal *j, const char *sink, int64_t seq);

/* Called once per row; data is borrowed for the call only. A non-zero return stops the
 * fetch and becomes its return value. */
typedef int (*gw_journal_row_fn)(void *user, int64_t seq, int64_t ts_ms, int64_t src,
                                 const void *data, size_t len);
/* Calls fn for up to max rows with seq > after_seq, in seq order. Returns the number of
 * rows passed to fn, fn's non-zero return, or -errno. */
int gw_journal_fetch(struct gw_journal *j, int64_t after_seq, size_t max, gw_journal_row_fn fn,
                     void *user);
/* The highest sequence number ever assigned (0 for none). Returns 0 or -errno. */
int gw_journal_last_seq(struct gw_journal *j, int64_t *seq);
/* Number of rows after sink's cursor (rows it has still to deliver). Returns 0 or -errno. */
int gw_journal_depth(struct gw_journal *j, const char *sink, int64_t *n);

struct gw_journal_prune_result {
	int64_t deleted_age;         /* delivered rows older than max_age_ms */
	int64_t deleted_delivered;   /* delivered rows removed to get under max_bytes */
	int64_t dropped_undelivered; /* undelivered rows removed to get under max_bytes */
	int64_t bytes;               /* database bytes in use afterwards */
};

/* Retention. A row is delivered when every one of the nsinks sinks has passed it (with no
 * sinks every row counts as delivered). First deletes delivered rows older than
 * now_ms - max_age_ms (max_age_ms <= 0: no age limit). Then, while the pages in use exceed
 * max_bytes (<= 0: no size limit), deletes the oldest delivered rows and, only if still over,
 * the oldest undelivered ones: those are added to the "dropped_undelivered" counter and
 * logged. The highest seq it ever deleted is kept as meta pruned_seq (the evidence chain
 * tells pruned days from deleted ones by it). Borrows sinks. res may be NULL. Returns 0 or
 * -errno. */
int gw_journal_prune(struct gw_journal *j, const char *const *sinks, size_t nsinks,
                     int64_t max_age_ms, int64_t max_bytes, int64_t now_ms,
                     struct gw_journal_prune_result *res);

/* A cumulative counter ("dropped_undelivered", ...); 0 when never set. Returns 0 or -errno. */
int gw_journal_counter_get(struct gw_journal *j, const char *name, int64_t *value);
/* Integer metadata (schema_version, ...); -ENOENT when key is absent. Returns 0 or -errno. */
int gw_journal_meta_get(struct gw_journal *j, const char *key, int64_t *value);
/* Sets integer metadata. schema_version is managed by open; setting it is for tests and
 * tooling only. Returns 0 or -errno. */
int gw_journal_meta_set(struct gw_journal *j, const char *key, int64_t value);

/* The local calendar day of ts_ms as YYYYMMDD in the gateway's zone (gw_tz_local(), set
 * from gateway.timezone at start-up; the process TZ plays no part), as stored in each row's
 * day. Returns 0. */
int gw_journal_day_of(int64_t ts_ms, int64_t *day);

/* One row with its source's text, for the evidence chain; pointers are borrowed for the
 * call. desc is NULL when the row's source is missing, data NULL when its data is. */
struct gw_journal_row {
	int64_t seq, ts_ms, day, src;
	const char *desc;
	size_t desc_len;
	const void *data;
	size_t len;
};

typedef int (*gw_journal_scan_fn)(void *user, const struct gw_journal_row *row);
/* Calls fn for every row with from_seq <= seq <= to_seq, in seq order. Returns the number of
 * rows, fn's non-zero return, or -errno. */
int gw_journal_scan(struct gw_journal *j, int64_t from_seq, int64_t to_seq, gw_journal_scan_fn fn,
                    void *user);
typedef int (*gw_journal_day_fn)(void *user, int64_t day, int64_t last_seq);
/* Calls fn for each day among the rows with seq > after_seq, in day order, with the highest
 * seq dated that day (one pass over those rows). Returns the number of days, fn's non-zero
 * return, or -errno. */
int gw_journal_day_ends(struct gw_journal *j, int64_t after_seq, gw_journal_day_fn fn, void *user);
/* Rows with seq > after_seq. Returns 0 or -errno. */
int gw_journal_count_after(struct gw_journal *j, int64_t after_seq, int64_t *n);

/* A read snapshot: between begin and end every query sees one state of the journal while
 * other handles go on writing (a deferred transaction; it writes nothing and never blocks a
 * writer). Not inside a batch. Returns 0 or -errno. */
int gw_journal_snapshot_begin(struct gw_journal *j);
int gw_journal_snapshot_end(struct gw_journal *j);

/* One sealed day of the evidence chain (chain.h says what the digest covers). */
struct gw_journal_link {
	int64_t day;       /* YYYYMMDD */
	int64_t first_seq; /* the first and last row hashed */
	int64_t last_seq;
	int64_t readings; /* rows hashed */
	int64_t late;     /* of them, rows the gateway committed after their day was sealed */
	int64_t sealed_ms;
	uint8_t digest[32];
	uint8_t prev[32]; /* the previous day's digest, zeros for the first */
	char zone[64];    /* the zone of its local day ("" when sealed before schema 4) */
	bool signed_;     /* signature holds the gateway's Ed25519 signature (chain.h) */
	uint8_t signature[64];
	int version;         /* 1: digest over the rows; 2 (schema 5): over the parts below */
	uint8_t rows[32];    /* version 2 (chain_day.h): the row digest, */
	uint8_t content[32]; /* the content digest of the readings dated the day, */
	int64_t content_n;   /* how many readings it holds, */
	uint8_t rules[32];   /* the rules in force (zeros: none recorded) */
};

/* Adds a sealed day (days only grow). Returns 0, -EEXIST or -errno. */
int gw_journal_link_add(struct gw_journal *j, const struct gw_journal_link *l);
/* The last sealed day. Returns 0, -ENOENT (none sealed) or -errno. */
int gw_journal_link_last(struct gw_journal *j, struct gw_journal_link *l);
/* The first sealed day after after_day. Returns 0, -ENOENT (none) or -errno. */
int gw_journal_link_next(struct gw_journal *j, int64_t after_day, struct gw_journal_link *l);
typedef int (*gw_journal_link_fn)(void *user, const struct gw_journal_link *l);
/* Calls fn for every sealed day in day order (a digest or prev that is not 32 bytes long is
 * passed as zeros, which no recomputation matches). Returns the number of days, fn's non-zero
 * return, or -errno. */
int gw_journal_links(struct gw_journal *j, gw_journal_link_fn fn, void *user);

#endif
