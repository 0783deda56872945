/* The evidence chain: each day's journal rows hashed (SHA-256) into a chain, day N's digest
 * covering day N-1's digest and its rows in seq order:
 *   digest = SHA-256(prev[32] || be64(day) || row...)      prev: zeros for the first day
 *   row    = be64(seq) || be64(ts_ms) || be64(row's day) || be32(n) || source text (n bytes)
 *            || be32(m) || data (m bytes)
 * (day as the integer YYYYMMDD, big-endian two's complement; the source text of the row's
 * source id, 0 bytes when missing). A day is sealed once it is over: the rows after the
 * previous sealed day up to the last row dated that day. A row the gateway commits after its
 * day was sealed (it came late) is counted as late (journal meta chain_late) and covered by
 * the next day sealed, which records how many late rows it holds: an older-dated row beyond
 * that count was not committed by the gateway. Sealed days are kept in the journal's chain
 * table, and survive retention as digests. */
#ifndef GW_CHAIN_H
#define GW_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "journal.h"
#include "log.h"
#include "crypto.h"

/* A day that got no reading after local midnight is sealed by the periodic check only once
 * nothing has been committed for this long (readings still arriving seal it themselves). */
#define GW_CHAIN_IDLE_MS (5 * 60 * 1000)

/* A day's digest being computed (see above). */
struct gw_chain_hash {
	struct gw_sha256 c;
	int64_t day, n, first_seq, last_seq;
	int64_t early, early_day; /* rows dated before day, and the earliest such date */
};

void gw_chain_hash_begin(struct gw_chain_hash *h, const uint8_t prev[GW_SHA256_LEN], int64_t day);
void gw_chain_hash_row(struct gw_chain_hash *h, const struct gw_journal_row *r);
void gw_chain_hash_end(struct gw_chain_hash *h, uint8_t out[GW_SHA256_LEN]);

/* Who signs the seals: the gateway's id and its Ed25519 secret key (crypto.h). */
struct gw_chain_signer {
	char gateway[64];
	uint8_t sk[GW_SECKEY_LEN];
};

/* What a seal's signature covers, one line of text an inspector can rebuild:
 *   "fieldgate-seal-2 GATEWAY YYYY-MM-DD ZONE DIGEST READINGS PREV ROWS CONTENT N RULES\n"
 * (version 2, chain_day.h; digests in lower-case hex, N the content's readings; ZONE "-" when
 * none was recorded), or for a day sealed before schema 5
 *   "fieldgate-seal-1 GATEWAY YYYY-MM-DD ZONE DIGEST READINGS PREV\n".
 * Returns the length or -ENOSPC. */
#define GW_CHAIN_SEAL_TEXT_MAX 1024
int gw_chain_seal_text(const struct gw_journal_link *l, const char *gateway, char *buf, size_t len);
/* Whether l's signature is pk's over gw_chain_seal_text(l, gateway). */
bool gw_chain_seal_verify(const struct gw_journal_link *l, const char *gateway,
                          const uint8_t pk[GW_PUBKEY_LEN]);

/* The public key of gateway in the county's registry at path (a CSV: gateway id, Ed25519
 * public key in hex; README "Evidence chain"). Errors go to err as "FILE:LINE: error: ..."
 * (a malformed line, a key that is not 64 hex digits, the gateway named twice) or
 * "FILE: error: gateway X is not in the registry". Returns 0, -EINVAL, -ENOENT or -errno. */
int gw_chain_registry_find(const char *path, const char *gateway, uint8_t pk[GW_PUBKEY_LEN],
                           FILE *err);

/* Seals, in order, every day before before_day (YYYYMMDD) that has rows after the last sealed
 * one; each day in its own transaction (call it outside a batch), recording the process's
 * zone (tz.h) and, when signer is not NULL, its signature. *nsealed (may be NULL): days
 * sealed. Returns 0 or -errno (the days sealed before stay sealed). */
int gw_chain_seal_signed(struct gw_journal *j, int64_t before_day, int64_t now_ms,
                         const struct gw_chain_signer *signer, int *nsealed);
/* gw_chain_seal_signed without a signature (tests, benchmarks). */
int gw_chain_seal(struct gw_journal *j, int64_t before_day, int64_t now_ms, int *nsealed);
/* The last sealed day (the chain's head). Returns 0, -ENOENT (nothing sealed) or -errno. */
int gw_chain_head(struct gw_journal *j, struct gw_journal_link *head);
/* A sealed day as JSON, what MQTT carries and `verify --against FILE` reads:
 * {"version","gateway","day":"YYYY-MM-DD","zone","digest","readings","prev"[,"rows","content",
 * "content_readings","rules"][,"signature"],"first_seq","last_seq","sealed_ms"} (digests and
 * the signature in lower-case hex; the parts for version 2 only). Returns the length or
 * -ENOSPC. */
int gw_chain_head_json(const struct gw_journal_link *head, const char *gateway, char *buf,
                       size_t len);
/* For reports: opens data_dir's journal (no integrity check; never creates one), and writes
 * the head as "2023-06-21 <digest hex> (N readings)" into buf (120 bytes are enough).
 * Returns 0, -ENOENT (no journal, or nothing sealed yet), -ENOSPC or -errno. */
int gw_chain_head_text(const char *data_dir, char *buf, size_t len);
/* "2023-06-21" for 20230621 into buf (11 bytes). Returns buf. */
const char *gw_chain_day_text(int64_t day, char *buf, size_t len);

enum gw_chain_status {
	GW_CHAIN_OK,
	GW_CHAIN_PRUNED,        /* retention deleted its rows: the digest stands in for them */
	GW_CHAIN_PARTLY_PRUNED, /* retention deleted some of its rows: not recomputable */
	GW_CHAIN_RESTARTED,     /* its rows were in a journal lost while the gateway ran; the
	                         * fresh one goes on from its digest (journal.h) */
	GW_CHAIN_EDITED,        /* same number of rows, other digest: edited or reordered */
	GW_CHAIN_DELETED,       /* fewer rows than sealed */
	GW_CHAIN_INSERTED,      /* more rows than sealed, or older-dated rows beyond its late */
	GW_CHAIN_RELINKED,      /* its prev is not the previous day's digest: chain edited */
	GW_CHAIN_UNSIGNED,      /* checked against a public key: no signature */
	GW_CHAIN_BAD_SIGNATURE, /* checked against a public key: the signature does not verify */
};

/* "ok", "pruned", "partly-pruned", "restarted", "edited", "deleted", "inserted",
 * "relinked", "unsigned", "bad-signature". */
const char *gw_chain_status_name(enum gw_chain_status st);
static inline bool gw_chain_status_bad(enum gw_chain_status st)
{
	return st >= GW_CHAIN_EDITED;
}

/* One sealed day as verify found it. */
struct gw_chain_day {
	const struct gw_journal_link *link; /* as sealed (borrowed for the call) */
	enum gw_chain_status status;
	int64_t found;                   /* rows in its range now */
	int64_t early, early_day;        /* of them dated before it, the earliest date */
	uint8_t computed[GW_SHA256_LEN]; /* the digest of those rows (zeros when pruned) */
};

typedef void (*gw_chain_day_fn)(void *user, const struct gw_chain_day *d);

struct gw_chain_result {
	int64_t days, ok, pruned, bad; /* pruned: also counts restarted days */
	int64_t first_bad_day;         /* 0 when intact (for inserted rows: the date they carry) */
	enum gw_chain_status first_bad;
	int64_t open_readings;     /* rows after the head, not sealed yet */
	int64_t open_inserted;     /* of them, dated a sealed day beyond the gateway's late count */
	int64_t open_inserted_day; /* the earliest date they carry */
	bool has_head;
	struct gw_journal_link head;
	int64_t restarted_ms; /* when the journal was last started afresh while running (0: never)
	                       */
	int64_t lost_seq;     /* rows up to it were in the lost journal */
};

/* Recomputes every sealed day from the rows and compares it with what was sealed, calling
 * fn (may be NULL) per day in day order. Read-only. Returns 0 (see res->bad) or -errno. */
int gw_chain_verify(struct gw_journal *j, gw_chain_day_fn fn, void *user,
                    struct gw_chain_result *res);
/* The same, and each seal's signature checked against gateway's public key pk: a day
 * otherwise ok whose seal is unsigned or does not verify fails as unsigned / bad-signature
 * (a restarted or pruned day too: its seal still stands for the center). */
int gw_chain_verify_signed(struct gw_journal *j, const char *gateway,
                           const uint8_t pk[GW_PUBKEY_LEN], gw_chain_day_fn fn, void *user,
                           struct gw_chain_result *res);

/* When delivery seals: after a commit whose newest reading is grace_ms past the local
 * midnight that ended the last day committed (a reading of that day may still be in flight
 * on a slow bus for that long: late rows would make the center's copy of the day differ),
 * and at a periodic check once that time has passed with nothing committed for
 * GW_CHAIN_IDLE_MS. Used by the delivery thread only. */
struct gw_chain_sealer {
	bool loaded;         /* head_day read from the journal */
	int64_t head_day;    /* the last sealed day (0: none) */
	int64_t open_day;    /* the newest day committed (0: none yet) */
	int64_t last_commit; /* monotonic ms */
	int64_t next_check;  /* monotonic ms */
	struct gw_limiter lim;
	const struct gw_chain_signer *signer; /* signs each seal; NULL: unsigned (borrowed) */
	int64_t grace_ms;                     /* see above; 0 by default */
};

void gw_chain_sealer_init(struct gw_chain_sealer *s);
/* For each row appended to the batch (ts_ms: its poll time): a row dated a day already
 * sealed (a late row) is counted into journal meta chain_late, committed with the batch.
 * Returns 0 or -errno (the batch should then not be committed). */
int gw_chain_note_row(struct gw_chain_sealer *s, struct gw_journal *j, int64_t ts_ms);
/* After a commit; newest_ts_ms: the latest poll time in it. Failures are logged (once per
 * run) and retried at the next commit. */
void gw_chain_committed(struct gw_chain_sealer *s, struct gw_journal *j, int64_t newest_ts_ms);
/* The periodic check; call it often (it acts once a minute). */
void gw_chain_tick(struct gw_chain_sealer *s, struct gw_journal *j);

#endif
