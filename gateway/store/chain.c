/* The evidence chain's hashing and sealing (see chain.h), and when delivery seals. The rows
 * and the chain table are the journal's (journal_chain.c); verification is chain_verify.c. */
#include "chain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_day.h"
#include "clock.h"
#include "strbuf.h"
#include "tz.h"

#define MOD           "chain"
#define CHECK_MS      60000
#define SEAL_MAX_DAYS 4096 /* a bound on one call; more days wait for the next */

static void put_be(struct gw_sha256 *c, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	gw_sha256_update(c, b, (size_t)bytes);
}

void gw_chain_hash_begin(struct gw_chain_hash *h, const uint8_t prev[GW_SHA256_LEN], int64_t day)
{
	memset(h, 0, sizeof(*h));
	h->day = day;
	gw_sha256_init(&h->c);
	gw_sha256_update(&h->c, prev, GW_SHA256_LEN);
	put_be(&h->c, (uint64_t)day, 8);
}

void gw_chain_hash_row(struct gw_chain_hash *h, const struct gw_journal_row *r)
{
	size_t dl = r->desc ? r->desc_len : 0, len = r->data ? r->len : 0;

	put_be(&h->c, (uint64_t)r->seq, 8);
	put_be(&h->c, (uint64_t)r->ts_ms, 8);
	put_be(&h->c, (uint64_t)r->day, 8);
	put_be(&h->c, (uint64_t)dl, 4);
	if (dl)
		gw_sha256_update(&h->c, r->desc, dl);
	put_be(&h->c, (uint64_t)len, 4);
	if (len)
		gw_sha256_update(&h->c, r->data, len);
	if (r->day < h->day && (h->early++ == 0 || r->day < h->early_day))
		h->early_day = r->day;
	if (h->n++ == 0)
		h->first_seq = r->seq;
	h->last_seq = r->seq;
}

void gw_chain_hash_end(struct gw_chain_hash *h, uint8_t out[GW_SHA256_LEN])
{
	gw_sha256_final(&h->c, out);
}

/* Seals day: the rows after prev's last up to last_seq, with the late rows counted since the
 * previous seal (all of them are in this range). */
int gw_chain_seal_text(const struct gw_journal_link *l, const char *gateway, char *buf, size_t len)
{
	char day[16], digest[65], prev[65], rows[65], content[65], rules[65];
	int n;

	gw_hex(l->digest, GW_SHA256_LEN, digest);
	gw_hex(l->prev, GW_SHA256_LEN, prev);
	gw_chain_day_text(l->day, day, sizeof(day));
	if (l->version < 2)
		n = snprintf(buf, len, "fieldgate-seal-1 %s %s %s %s %lld %s\n", gateway, day,
		             l->zone[0] ? l->zone : "-", digest, (long long)l->readings, prev);
	else {
		gw_hex(l->rows, GW_SHA256_LEN, rows);
		gw_hex(l->content, GW_SHA256_LEN, content);
		gw_hex(l->rules, GW_SHA256_LEN, rules);
		n = snprintf(buf, len, "fieldgate-seal-2 %s %s %s %s %lld %s %s %s %lld %s\n",
		             gateway, day, l->zone[0] ? l->zone : "-", digest,
		             (long long)l->readings, prev, rows, content, (long long)l->content_n,
		             rules);
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

bool gw_chain_seal_verify(const struct gw_journal_link *l, const char *gateway,
                          const uint8_t pk[GW_PUBKEY_LEN])
{
	char text[GW_CHAIN_SEAL_TEXT_MAX];
	int n = gw_chain_seal_text(l, gateway, text, sizeof(text));

	return l->signed_ && n > 0 && gw_crypto_verify(pk, text, (size_t)n, l->signature);
}

static int sign(struct gw_journal_link *l, const struct gw_chain_signer *signer)
{
	char text[GW_CHAIN_SEAL_TEXT_MAX];
	int n;

	snprintf(l->zone, sizeof(l->zone), "%s", gw_tz_name(gw_tz_local()));
	if (!signer)
		return 0;
	n = gw_chain_seal_text(l, signer->gateway, text, sizeof(text));
	if (n < 0)
		return n;
	gw_crypto_sign(signer->sk, text, (size_t)n, l->signature);
	l->signed_ = true;
	return 0;
}

static int seal_day(struct gw_journal *j, const struct gw_journal_link *prev, int64_t day,
                    int64_t last_seq, int64_t now_ms, const struct gw_chain_signer *signer,
                    struct gw_journal_link *out)
{
	struct gw_chain_parts p;
	int rc = gw_journal_meta_get(j, "chain_late", &out->late);

	if (rc == -ENOENT) {
		out->late = 0;
		rc = 0;
	}
	if (rc == 0 && out->late)
		rc = gw_journal_meta_set(j, "chain_late", 0);
	if (rc == 0)
		rc = gw_chain_day_parts(j, prev->digest, day, prev->last_seq,
		                        prev->day ? prev->first_seq : prev->last_seq + 1, last_seq,
		                        &p);
	if (rc)
		return rc;
	out->day = day;
	out->first_seq = p.rows.first_seq;
	out->last_seq = last_seq;
	out->readings = p.rows.n;
	out->sealed_ms = now_ms;
	memcpy(out->prev, prev->digest, GW_SHA256_LEN);
	out->version = 2;
	memcpy(out->rows, p.rows_digest, GW_SHA256_LEN);
	memcpy(out->content, p.content, GW_SHA256_LEN);
	out->content_n = p.content_n;
	memcpy(out->rules, p.rules, GW_SHA256_LEN);
	gw_chain_digest_v2(out, out->digest);
	out->signed_ = false;
	rc = sign(out, signer);
	return rc ? rc : gw_journal_link_add(j, out);
}

/* The days to seal: each with the last seq of its range, the highest seq dated it or earlier
 * (late rows of days already sealed included); a day all of whose rows fall in an earlier
 * day's range has none. */
struct plan {
	int64_t after_day, before_day, end;
	struct {
		int64_t day, end;
	} d[SEAL_MAX_DAYS];
	int n;
};

static int plan_day(void *user, int64_t day, int64_t last_seq)
{
	struct plan *p = user;

	if (day >= p->before_day || p->n == SEAL_MAX_DAYS)
		return 0;
	if (last_seq > p->end)
		p->end = last_seq;
	if (day <= p->after_day)
		return 0;
	if (p->n && p->end == p->d[p->n - 1].end)
		return 0; /* all of its rows are in the previous day's range */
	p->d[p->n].day = day;
	p->d[p->n++].end = p->end;
	return 0;
}

int gw_chain_seal(struct gw_journal *j, int64_t before_day, int64_t now_ms, int *nsealed)
{
	return gw_chain_seal_signed(j, before_day, now_ms, NULL, nsealed);
}

int gw_chain_seal_signed(struct gw_journal *j, int64_t before_day, int64_t now_ms,
                         const struct gw_chain_signer *signer, int *nsealed)
{
	struct gw_journal_link prev = {0}, next;
	struct plan *p = calloc(1, sizeof(*p));
	int n = 0, rc = p ? gw_journal_link_last(j, &prev) : -ENOMEM;

	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0) {
		p->after_day = prev.day;
		p->before_day = before_day;
		p->end = prev.last_seq;
		rc = gw_journal_day_ends(j, prev.last_seq, plan_day, p);
	}
	for (int k = 0; rc >= 0 && p && k < p->n; k++) {
		rc = gw_journal_begin(j);
		if (rc == 0)
			rc = seal_day(j, &prev, p->d[k].day, p->d[k].end, now_ms, signer, &next);
		rc = rc ? rc : gw_journal_commit(j);
		if (rc) {
			gw_journal_rollback(j);
			break;
		}
		prev = next;
		n++;
	}
	free(p);
	if (nsealed)
		*nsealed = n;
	return rc < 0 ? rc : 0;
}

int gw_chain_head(struct gw_journal *j, struct gw_journal_link *head)
{
	return gw_journal_link_last(j, head);
}

int gw_chain_head_text(const char *data_dir, char *buf, size_t len)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct gw_journal_link head;
	struct gw_journal *j;
	char path[4096], day[16], hex[2 * GW_SHA256_LEN + 1];
	int n = snprintf(path, sizeof(path), "%s/journal.db", data_dir), rc;

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK) != 0)
		return -ENOENT;
	j = gw_journal_open(data_dir, &jo, &rc);
	if (!j)
		return rc;
	rc = gw_chain_head(j, &head);
	gw_journal_close(j);
	if (rc)
		return rc;
	gw_hex(head.digest, GW_SHA256_LEN, hex);
	n = snprintf(buf, len, "%s %s (%lld readings)",
	             gw_chain_day_text(head.day, day, sizeof(day)), hex, (long long)head.readings);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

const char *gw_chain_day_text(int64_t day, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02d", (int)(day / 10000 % 10000), (int)(day / 100 % 100),
	         (int)(day % 100));
	return buf;
}

static void hex_field(struct gw_strbuf *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];

	gw_hex(b, n, hex);
	gw_sb_printf(o, ",\"%s\":\"%s\"", key, hex);
}

static void json_string(struct gw_strbuf *o, const char *key, const char *s)
{
	gw_sb_printf(o, ",\"%s\":\"", key);
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c >= 0x20)
			gw_sb_printf(o, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	gw_sb_printf(o, "\"");
}

int gw_chain_head_json(const struct gw_journal_link *head, const char *gateway, char *buf,
                       size_t len)
{
	struct gw_strbuf o = {buf, len, 0, false};
	char day[16];

	gw_sb_printf(&o, "{\"version\":%d", head->version < 2 ? 1 : head->version);
	json_string(&o, "gateway", gateway);
	gw_sb_printf(&o, ",\"day\":\"%s\"", gw_chain_day_text(head->day, day, sizeof(day)));
	json_string(&o, "zone", head->zone);
	hex_field(&o, "digest", head->digest, GW_SHA256_LEN);
	gw_sb_printf(&o, ",\"readings\":%lld", (long long)head->readings);
	hex_field(&o, "prev", head->prev, GW_SHA256_LEN);
	if (head->version >= 2) {
		hex_field(&o, "rows", head->rows, GW_SHA256_LEN);
		hex_field(&o, "content", head->content, GW_SHA256_LEN);
		gw_sb_printf(&o, ",\"content_readings\":%lld", (long long)head->content_n);
		hex_field(&o, "rules", head->rules, GW_SHA256_LEN);
	}
	if (head->signed_)
		hex_field(&o, "signature", head->signature, sizeof(head->signature));
	gw_sb_printf(&o, ",\"first_seq\":%lld,\"last_seq\":%lld,\"sealed_ms\":%lld}",
	             (long long)head->first_seq, (long long)head->last_seq,
	             (long long)head->sealed_ms);
	return o.full ? -ENOSPC : (int)o.pos;
}

void gw_chain_sealer_init(struct gw_chain_sealer *s)
{
	memset(s, 0, sizeof(*s));
	s->last_commit = gw_clock_mono_ms();
	s->next_check = s->last_commit + CHECK_MS;
}

static void seal_logged(struct gw_chain_sealer *s, struct gw_journal *j, int64_t before_day)
{
	struct gw_journal_link head;
	char day[16], hex[2 * GW_SHA256_LEN + 1];
	int n = 0, rc = gw_chain_seal_signed(j, before_day, gw_clock_wall_ms(), s->signer, &n);

	if (rc) {
		if (gw_limiter_fail(&s->lim))
			gw_log(GW_ERR, MOD, "sealing the days before %lld failed: %s (retrying)",
			       (long long)before_day, strerror(-rc));
		return;
	}
	if (gw_limiter_ok(&s->lim))
		gw_log(GW_NOTICE, MOD, "sealing works again");
	if (n > 0 && gw_chain_head(j, &head) == 0) {
		s->head_day = head.day;
		gw_hex(head.digest, GW_SHA256_LEN, hex);
		gw_log(GW_INFO, MOD, "sealed days=%d head=%s readings=%lld digest=%s", n,
		       gw_chain_day_text(head.day, day, sizeof(day)), (long long)head.readings,
		       hex);
	}
	if (s->open_day < before_day)
		s->open_day = before_day;
}

static int load_head(struct gw_chain_sealer *s, struct gw_journal *j)
{
	struct gw_journal_link head;
	int rc;

	if (s->loaded)
		return 0;
	rc = gw_chain_head(j, &head);
	if (rc && rc != -ENOENT)
		return rc;
	s->head_day = rc ? 0 : head.day;
	s->loaded = true;
	return 0;
}

int gw_chain_note_row(struct gw_chain_sealer *s, struct gw_journal *j, int64_t ts_ms)
{
	int64_t day, pending = 0;
	int rc = load_head(s, j);

	if (rc || !s->head_day || gw_journal_day_of(ts_ms, &day) || day > s->head_day)
		return rc;
	rc = gw_journal_meta_get(j, "chain_late", &pending);
	if (rc && rc != -ENOENT)
		return rc;
	return gw_journal_meta_set(j, "chain_late", (rc ? 0 : pending) + 1);
}

void gw_chain_committed(struct gw_chain_sealer *s, struct gw_journal *j, int64_t newest_ts_ms)
{
	int64_t day;

	s->last_commit = gw_clock_mono_ms();
	if (gw_journal_day_of(newest_ts_ms - s->grace_ms, &day) == 0 && day > s->open_day)
		seal_logged(s, j, day);
}

void gw_chain_tick(struct gw_chain_sealer *s, struct gw_journal *j)
{
	int64_t now = gw_clock_mono_ms(), today;

	if (now < s->next_check)
		return;
	s->next_check = now + CHECK_MS;
	if (now - s->last_commit < GW_CHAIN_IDLE_MS ||
	    gw_journal_day_of(gw_clock_wall_ms() - s->grace_ms, &today) || today <= s->open_day)
		return;
	seal_logged(s, j, today);
}
