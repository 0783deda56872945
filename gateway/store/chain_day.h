/* A sealed day's parts (schema 5, seal version 2), computed alike when sealing and when
 * verifying:
 *   rows    = the day's row digest (chain.h: prev, day and its rows in seq order)
 *   content = the content digest (chain_content.h) of the rows dated the day with seq up to
 *             the day's last, from the previous day's first on (a row of the day may be
 *             committed among the previous day's: up to a few minutes past midnight)
 *   rules   = SHA-256 of the rules set in force that day (journal_rules.h), zeros when none
 *   digest  = SHA-256("fieldgate-day-2" || rows || content || be64(content count) || rules)
 * The digest chains (the rows digest holds the previous day's); the parts let the center
 * check content and rules without the rows. */
#ifndef GW_CHAIN_DAY_H
#define GW_CHAIN_DAY_H

#include <stdint.h>

#include "chain.h"

struct gw_chain_parts {
	struct gw_chain_hash rows; /* the row hash, ended: n, first_seq, early... */
	uint8_t rows_digest[GW_SHA256_LEN];
	uint8_t content[GW_SHA256_LEN];
	int64_t content_n;
	uint8_t rules[GW_SHA256_LEN];
};

/* Computes day's parts over the rows after after_seq up to last_seq (row digest, chained to
 * prev) and those dated day from content_from on (content). Returns 0, -EINVAL (a row that
 * does not decode) or -errno. */
int gw_chain_day_parts(struct gw_journal *j, const uint8_t prev[GW_SHA256_LEN], int64_t day,
                       int64_t after_seq, int64_t content_from, int64_t last_seq,
                       struct gw_chain_parts *p);
/* The digest of version 2 from the parts of link l (rows, content, content_n, rules). */
void gw_chain_digest_v2(const struct gw_journal_link *l, uint8_t out[GW_SHA256_LEN]);

#endif
