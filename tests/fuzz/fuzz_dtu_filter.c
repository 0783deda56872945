/* libFuzzer target for the DTU stream filter. Byte 0: prefix mode and the
 * heartbeat and registration lengths (1..4 each); then those packets; then
 * operations: 0x00 + 8 bytes is a request sent, any other byte N is a chunk of
 * N & 0x3F bytes from the DTU. The same stream is fed to a second filter one
 * byte at a time: how the bytes were cut must not change what comes out, and
 * out never holds more than came in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtu_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP 4096

struct side {
	struct gw_dtu_filter f;
	uint8_t out[OUT_CAP + GW_DTU_FILTER_MAX];
	size_t len;
};

static void feed(struct side *s, const uint8_t *in, size_t n, size_t step)
{
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;

		s->len += gw_dtu_filter_recv(&s->f, in + i, k, s->out + s->len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct side a, b;
	size_t hblen, reglen, pos = 1, fed = 0;

	if (size < 3)
		return 0;
	hblen = 1 + (data[0] & 3);
	reglen = 1 + ((data[0] >> 2) & 3);
	if (size < 1 + hblen + reglen)
		return 0;
	for (int i = 0; i < 2; i++) {
		struct side *s = i ? &b : &a;

		gw_dtu_filter_init(&s->f, data + 1, hblen, data + 1 + hblen,
		                   (data[0] & 0x10) ? reglen : 0);
		s->len = 0;
	}
	pos += hblen + reglen;
	while (pos < size && fed < OUT_CAP - 64) {
		uint8_t op = data[pos++];
		size_t n;

		if (op == 0) {
			n = size - pos < 8 ? size - pos : 8;
			gw_dtu_filter_sent(&a.f, data + pos, n);
			gw_dtu_filter_sent(&b.f, data + pos, n);
			pos += n;
			continue;
		}
		n = op & 0x3F;
		n = size - pos < n ? size - pos : n;
		feed(&a, data + pos, n, n ? n : 1);
		feed(&b, data + pos, n, 1);
		fed += n;
		pos += n;
		if (a.len != b.len || memcmp(a.out, b.out, a.len) != 0 || a.len > fed)
			abort();
	}
	return 0;
}
