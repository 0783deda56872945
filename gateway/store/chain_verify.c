/* Verifying the evidence chain: every sealed day is recomputed from the rows in its range
 * and compared with what was sealed; retention's pruned_seq tells pruned days from days
 * whose rows were deleted. Read-only. */
#include <errno.h>
#include <string.h>

#include "array.h"
#include "chain.h"
#include "chain_day.h"

struct verify {
	struct gw_journal *j;
	gw_chain_day_fn fn;
	void *user;
	int64_t pruned_seq;
	int64_t lost_seq; /* rows up to it were in a journal lost while running */
	int64_t prev_last;
	int64_t prev_first;  /* the previous day's first seq (0: no previous day) */
	const char *gateway; /* with pk: check each seal's signature */
	const uint8_t *pk;
	uint8_t prev_digest[GW_SHA256_LEN];
	struct gw_chain_result *res;
};

static int hash_row(void *user, const struct gw_journal_row *r)
{
	gw_chain_hash_row(user, r);
	return 0;
}

static enum gw_chain_status judge(const struct verify *v, const struct gw_journal_link *l,
                                  const struct gw_chain_day *d)
{
	/* a fresh journal starts from the lost one's head, whose predecessors it never had */
	bool carried = v->res->days == 0 && l->last_seq <= v->lost_seq;

	if (!carried && memcmp(l->prev, v->prev_digest, GW_SHA256_LEN) != 0)
		return GW_CHAIN_RELINKED;
	if (l->last_seq <= v->lost_seq && d->found == 0)
		return GW_CHAIN_RESTARTED;
	if (l->first_seq <= v->pruned_seq && d->found < l->readings)
		return d->found == 0 ? GW_CHAIN_PRUNED : GW_CHAIN_PARTLY_PRUNED;
	if (d->found < l->readings)
		return GW_CHAIN_DELETED;
	if (d->found > l->readings || d->early > l->late)
		return GW_CHAIN_INSERTED;
	if (memcmp(d->computed, l->digest, GW_SHA256_LEN) != 0)
		return GW_CHAIN_EDITED;
	return GW_CHAIN_OK;
}

/* A seal whose signature does not verify fails like an edited day. */
static enum gw_chain_status judge_signed(const struct verify *v, const struct gw_journal_link *l,
                                         enum gw_chain_status st)
{
	if (!v->pk || gw_chain_status_bad(st))
		return st;
	if (!l->signed_)
		return GW_CHAIN_UNSIGNED;
	return gw_chain_seal_verify(l, v->gateway, v->pk) ? st : GW_CHAIN_BAD_SIGNATURE;
}

static void count(struct gw_chain_result *r, const struct gw_chain_day *d)
{
	r->days++;
	if (d->status == GW_CHAIN_OK)
		r->ok++;
	else if (!gw_chain_status_bad(d->status))
		r->pruned++;
	else if (r->bad++ == 0) {
		r->first_bad_day = d->link->day;
		r->first_bad = d->status;
		/* rows dated an earlier day than the one sealed: name the day they claim */
		if (d->status == GW_CHAIN_INSERTED && d->early > d->link->late)
			r->first_bad_day = d->early_day;
	}
	r->head = *d->link;
	r->has_head = true;
}

/* Recomputes l's digest (d->computed) and what its rows say (found, early). */
static int recompute(struct verify *v, const struct gw_journal_link *l, struct gw_chain_day *d)
{
	struct gw_chain_parts p;
	struct gw_journal_link c;
	int rc;

	if (l->version < 2) {
		gw_chain_hash_begin(&p.rows, l->prev, l->day);
		rc = gw_journal_scan(v->j, v->prev_last + 1, l->last_seq, hash_row, &p.rows);
		gw_chain_hash_end(&p.rows, d->computed);
	} else {
		rc = gw_chain_day_parts(v->j, l->prev, l->day, v->prev_last,
		                        v->prev_first ? v->prev_first : v->prev_last + 1,
		                        l->last_seq, &p);
		c = *l;
		memcpy(c.rows, p.rows_digest, GW_SHA256_LEN);
		memcpy(c.content, p.content, GW_SHA256_LEN);
		c.content_n = p.content_n;
		memcpy(c.rules, p.rules, GW_SHA256_LEN);
		gw_chain_digest_v2(&c, d->computed);
	}
	d->found = p.rows.n;
	d->early = p.rows.early;
	d->early_day = p.rows.early_day;
	return rc < 0 ? rc : 0;
}

/* One sealed day: its rows are those after the previous day's last up to its own last. */
static int verify_day(void *user, const struct gw_journal_link *l)
{
	struct verify *v = user;
	struct gw_chain_day d = {.link = l};
	int rc = recompute(v, l, &d);

	if (rc)
		return rc;
	d.status = judge_signed(v, l, judge(v, l, &d));
	if (d.status == GW_CHAIN_PRUNED)
		memset(d.computed, 0, sizeof(d.computed));
	count(v->res, &d);
	if (v->fn)
		v->fn(v->user, &d);
	memcpy(v->prev_digest, l->digest, GW_SHA256_LEN);
	v->prev_first = l->first_seq;
	if (l->last_seq > v->prev_last)
		v->prev_last = l->last_seq;
	return 0;
}

/* The rows after the head: those dated the head's day or before beyond the late rows the
 * gateway counted were not committed by it. */
static int verify_open(struct verify *v)
{
	struct gw_chain_result *r = v->res;
	struct gw_chain_hash h;
	int64_t late = 0;
	int rc = gw_journal_meta_get(v->j, "chain_late", &late);

	if (rc && rc != -ENOENT)
		return rc;
	gw_chain_hash_begin(&h, v->prev_digest, r->has_head ? r->head.day + 1 : 0);
	rc = gw_journal_scan(v->j, v->prev_last + 1, INT64_MAX, hash_row, &h);
	if (rc < 0)
		return rc;
	r->open_readings = h.n;
	if (h.early <= late)
		return 0;
	r->open_inserted = h.early - late;
	r->open_inserted_day = h.early_day;
	if (r->bad++ == 0) {
		r->first_bad_day = h.early_day;
		r->first_bad = GW_CHAIN_INSERTED;
	}
	return 0;
}

static int meta_or_zero(struct gw_journal *j, const char *key, int64_t *v)
{
	int rc = gw_journal_meta_get(j, key, v);

	if (rc == -ENOENT)
		*v = 0;
	return rc == -ENOENT ? 0 : rc;
}

int gw_chain_verify(struct gw_journal *j, gw_chain_day_fn fn, void *user,
                    struct gw_chain_result *res)
{
	return gw_chain_verify_signed(j, NULL, NULL, fn, user, res);
}

int gw_chain_verify_signed(struct gw_journal *j, const char *gateway,
                           const uint8_t pk[GW_PUBKEY_LEN], gw_chain_day_fn fn, void *user,
                           struct gw_chain_result *res)
{
	/* the first day's range starts below any seq, so rows put before seq 1 count in it */
	struct verify v = {.j = j,
	                   .fn = fn,
	                   .user = user,
	                   .res = res,
	                   .prev_last = INT64_MIN + 1,
	                   .gateway = gateway,
	                   .pk = pk};
	/* one state throughout: a day sealed meanwhile would move late rows under our feet */
	int rc = gw_journal_snapshot_begin(j);

	memset(res, 0, sizeof(*res));
	if (rc)
		return rc;
	rc = meta_or_zero(j, "pruned_seq", &v.pruned_seq);
	if (rc == 0)
		rc = meta_or_zero(j, "lost_seq", &v.lost_seq);
	if (rc == 0)
		rc = meta_or_zero(j, "restarted_ms", &res->restarted_ms);
	res->lost_seq = v.lost_seq;
	if (rc == 0)
		rc = gw_journal_links(j, verify_day, &v);
	if (rc >= 0)
		rc = verify_open(&v);
	if (gw_journal_snapshot_end(j) && rc >= 0)
		rc = -EIO;
	return rc < 0 ? rc : 0;
}

const char *gw_chain_status_name(enum gw_chain_status st)
{
	static const char *const names[] = {
	        "ok",      "pruned",   "partly-pruned", "restarted", "edited",
	        "deleted", "inserted", "relinked",      "unsigned",  "bad-signature"};

	return (size_t)st < GW_ARRAY_LEN(names) ? names[st] : "?";
}
