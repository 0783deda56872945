/* Heartbeat and registration-prefix removal for dial-in DTUs. The reply
 * length comes from the request (read functions: by count; writes: echo
 * length; an exception: 5), so packet boundaries are known without timing. */
#include "dtu_filter.h"

#include <string.h>

enum { ST_IDLE, ST_WAIT, ST_REPLY };

void gw_dtu_filter_init(struct gw_dtu_filter *f, const uint8_t *hb, size_t hblen,
                        const uint8_t *reg, size_t reglen)
{
	memset(f, 0, sizeof(*f));
	f->hblen = hblen <= GW_DTU_FILTER_MAX ? hblen : 0;
	f->reglen = reglen <= GW_DTU_FILTER_MAX ? reglen : 0;
	if (f->hblen)
		memcpy(f->hb, hb, f->hblen);
	if (f->reglen)
		memcpy(f->reg, reg, f->reglen);
}

/* The length of the reply to request req (0: cannot tell). */
static size_t reply_len(const uint8_t *req, size_t n)
{
	unsigned qty;

	if (n < 6)
		return 0;
	qty = (unsigned)(req[4] << 8 | req[5]);
	switch (req[1]) {
	case 0x01:
	case 0x02:
		return 5 + (qty + 7) / 8;
	case 0x03:
	case 0x04:
		return 5 + 2 * qty;
	case 0x05:
	case 0x06:
	case 0x0F:
	case 0x10:
		return 8;
	default:
		return 0;
	}
}

void gw_dtu_filter_sent(struct gw_dtu_filter *f, const uint8_t *req, size_t n)
{
	/* unit 0 is a broadcast: nobody answers it */
	f->state = n > 0 && req[0] != 0 ? ST_WAIT : ST_IDLE;
	f->want = reply_len(req, n);
	f->nhead = 0;
	f->nhold = 0;
}

/* 1: buf starts with pkt; 0: buf is a proper start of pkt; -1: neither. */
static int match(const uint8_t *buf, size_t n, const uint8_t *pkt, size_t len)
{
	if (!len)
		return -1;
	if (n >= len)
		return memcmp(buf, pkt, len) == 0 ? 1 : -1;
	return memcmp(buf, pkt, n) == 0 ? 0 : -1;
}

/* At a boundary, buf[0..n) begins with: a whole heartbeat or prefix (returns
 * its length), the start of one (returns 0), or data (returns -1). When one
 * packet starts the other, the longer wins: a whole shorter one waits until
 * the longer one is whole or ruled out, so how the bytes were cut does not matter. */
static long at_boundary(struct gw_dtu_filter *f, const uint8_t *buf, size_t n)
{
	int h = match(buf, n, f->hb, f->hblen);
	int r = match(buf, n, f->reg, f->reglen);

	if (h == 1 && !(r == 0 && f->reglen > f->hblen)) {
		f->heartbeats++;
		return (long)f->hblen;
	}
	if (r == 1 && !(h == 0 && f->hblen > f->reglen)) {
		f->prefixes++;
		return (long)f->reglen;
	}
	return h >= 0 || r >= 0 ? 0 : -1;
}

/* One data byte at or after a boundary: passed to out, or dropped when unasked. */
static void data_byte(struct gw_dtu_filter *f, uint8_t b, uint8_t *out, size_t *len)
{
	if (f->state == ST_IDLE) {
		f->unsolicited++;
		return;
	}
	if (f->state == ST_WAIT) {
		f->state = ST_REPLY;
		f->left = f->want ? f->want : SIZE_MAX;
		f->nhead = 0;
	}
	out[(*len)++] = b;
	if (f->nhead < 2 && ++f->nhead == 2 && (b & 0x80))
		f->left = 4; /* an exception reply is 5 bytes; this is its second */
	if (f->left != SIZE_MAX && --f->left == 0)
		f->state = ST_IDLE;
}

/* The next byte: a held one first. */
static uint8_t next_byte(struct gw_dtu_filter *f, const uint8_t *in, size_t *i)
{
	uint8_t b;

	if (!f->nhold)
		return in[(*i)++];
	b = f->hold[0];
	memmove(f->hold, f->hold + 1, --f->nhold);
	return b;
}

size_t gw_dtu_filter_recv(struct gw_dtu_filter *f, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t buf[2 * GW_DTU_FILTER_MAX];
	size_t len = 0, i = 0;

	while (i < n || f->nhold) {
		size_t take, nb;
		long k;

		if (f->state == ST_REPLY) {
			data_byte(f, next_byte(f, in, &i), out, &len);
			continue;
		}
		/* at a boundary: the held bytes and what follows, up to one packet */
		take = n - i < GW_DTU_FILTER_MAX ? n - i : GW_DTU_FILTER_MAX;
		nb = f->nhold + take;
		memcpy(buf, f->hold, f->nhold);
		memcpy(buf + f->nhold, in + i, take);
		k = at_boundary(f, buf, nb);
		if (k > 0 && (size_t)k < f->nhold) {
			memmove(f->hold, f->hold + k, f->nhold - (size_t)k);
			f->nhold -= (size_t)k;
		} else if (k > 0) {
			i += (size_t)k - f->nhold;
			f->nhold = 0;
		} else if (k == 0) {
			/* only the start so far: hold it until the rest arrives */
			memcpy(f->hold, buf, nb);
			f->nhold = nb;
			i += take;
			if (i == n)
				break;
		} else {
			data_byte(f, next_byte(f, in, &i), out, &len);
		}
	}
	return len;
}
