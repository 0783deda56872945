/* A sealed day's parts (see chain_day.h). */
#include "chain_day.h"

#include <errno.h>
#include <string.h>

#include "chain_content.h"
#include "journal_rules.h"

struct pass {
	struct gw_chain_parts *p;
	struct gw_content content;
	int64_t day, after_seq;
	int err;
};

static int on_row(void *user, const struct gw_journal_row *r)
{
	struct pass *s = user;

	if (r->seq > s->after_seq)
		gw_chain_hash_row(&s->p->rows, r);
	if (r->day == s->day) {
		int rc = gw_content_add_row(&s->content, r);

		if (rc == -ENOMEM)
			return rc;
		if (rc && !s->err)
			s->err = rc; /* counted as a different content, not a stop */
	}
	return 0;
}

struct rules_at {
	int64_t day;
	uint8_t *out;
};

static int on_rules(void *user, int64_t day, const char *text, size_t len)
{
	struct rules_at *r = user;

	if (day <= r->day)
		gw_sha256(text, len, r->out);
	return 0;
}

int gw_chain_day_parts(struct gw_journal *j, const uint8_t prev[GW_SHA256_LEN], int64_t day,
                       int64_t after_seq, int64_t content_from, int64_t last_seq,
                       struct gw_chain_parts *p)
{
	struct pass s = {.p = p, .day = day, .after_seq = after_seq};
	struct rules_at ra = {.day = day, .out = p->rules};
	int rc;

	memset(p, 0, sizeof(*p));
	gw_chain_hash_begin(&p->rows, prev, day);
	gw_content_init(&s.content);
	rc = gw_journal_scan(j, content_from < after_seq ? content_from : after_seq + 1, last_seq,
	                     on_row, &s);
	if (rc >= 0)
		rc = gw_journal_rules_each(j, on_rules, &ra);
	gw_chain_hash_end(&p->rows, p->rows_digest);
	gw_content_digest(&s.content, p->content);
	p->content_n = (int64_t)s.content.n;
	if (s.err)
		p->content[0] ^= 0xff; /* a row that does not decode matches no digest */
	gw_content_free(&s.content);
	return rc < 0 ? rc : 0;
}

void gw_chain_digest_v2(const struct gw_journal_link *l, uint8_t out[GW_SHA256_LEN])
{
	static const char tag[] = "fieldgate-day-2";
	struct gw_sha256 h;
	uint8_t n[8];

	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)l->content_n >> (8 * (7 - i)));
	gw_sha256_init(&h);
	gw_sha256_update(&h, tag, sizeof(tag) - 1);
	gw_sha256_update(&h, l->rows, GW_SHA256_LEN);
	gw_sha256_update(&h, l->content, GW_SHA256_LEN);
	gw_sha256_update(&h, n, sizeof(n));
	gw_sha256_update(&h, l->rules, GW_SHA256_LEN);
	gw_sha256_final(&h, out);
}
