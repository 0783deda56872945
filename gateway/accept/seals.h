/* The center's copy of the sealed days (chain.h): read from a file of the JSON seals a
 * subscriber saved (one per line, as MQTT carries them) or from InfluxDB's `chain`
 * measurement, and compared day by day with a journal's chain (`verify --against`): a full
 * rewrite of the journal that recomputed and re-signed its chain still differs from what the
 * center received at the time. */
#ifndef GW_SEALS_H
#define GW_SEALS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acceptance.h"
#include "journal.h"

struct gw_seal {
	char gateway[64];
	struct gw_journal_link l;
};

struct gw_seals {
	struct gw_seal *v;
	size_t n, cap;
};

void gw_seals_free(struct gw_seals *s);
/* Parses one seal as JSON into s. Returns 0, or -EINVAL with *why (a static text). */
int gw_seal_parse_json(const char *text, struct gw_seal *s, const char **why);
/* Adds the seals of path (one JSON object per line; blank lines skipped) of gateway (NULL:
 * every gateway). Errors "FILE:LINE: error: ..." go to err. Returns 0, -EINVAL (a malformed
 * line; nothing added) or -errno (cannot read; said on err). */
int gw_seals_read_file(const char *path, const char *gateway, struct gw_seals *out, FILE *err);
/* Adds the seals InfluxDB holds (measurement chain) of gateway (NULL: every gateway).
 * Returns 0 or -errno (logged). */
int gw_seals_read_influx(const struct gw_fleet_src *src, const char *gateway, struct gw_seals *out);
/* Sorts by gateway, day, then time sealed. Every seal received is kept: a day received
 * with two digests (a gateway that re-sealed it) differs whichever came later. */
void gw_seals_sort(struct gw_seals *s);

enum gw_seal_cmp {
	GW_SEAL_SAME,
	GW_SEAL_DIFFERS,        /* the center received another digest for the day */
	GW_SEAL_NOT_RECEIVED,   /* sealed here after the last day received: may still come */
	GW_SEAL_MISSING_CENTER, /* sealed here, a hole among the days the center received */
	GW_SEAL_MISSING_HERE,   /* received, but the journal has no such day */
	GW_SEAL_LOST_RESTARTED, /* received, before a journal lost while running (journal.h) */
};

struct gw_seal_diff {
	int64_t same, differs, not_received, missing_center, missing_here, lost;
	int64_t first_day; /* the first day that differs or is missing here (0: none) */
	enum gw_seal_cmp first;
};

typedef void (*gw_seal_diff_fn)(void *user, int64_t day, enum gw_seal_cmp c,
                                const struct gw_journal_link *here, const struct gw_seal *got);
/* Compares every sealed day of j with got's seals of gateway (sorted), in day order, calling
 * fn (may be NULL) per day. restarted: the journal was started afresh while running (days
 * before its first are lost, not missing). Returns 0 (see out) or -errno. */
int gw_seals_compare(struct gw_journal *j, const struct gw_seals *got, const char *gateway,
                     bool restarted, gw_seal_diff_fn fn, void *user, struct gw_seal_diff *out);
/* "same", "differs", "not received yet", "missing at the center", "missing here",
 * "lost (journal restarted)". */
const char *gw_seal_cmp_name(enum gw_seal_cmp c);
static inline bool gw_seal_cmp_bad(enum gw_seal_cmp c)
{
	return c == GW_SEAL_DIFFERS || c == GW_SEAL_MISSING_CENTER || c == GW_SEAL_MISSING_HERE;
}

#endif
