/* libFuzzer target for decode: the first 4 bytes pick a point (kind, type,
 * order, bit, scale), the rest are register words. Every decode must return a
 * known quality, and with scale 1 an encode of the decoded value must give the
 * same words (floats: the same value) back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double scales[] = {1, 0.1, 0.01, 10, -0.5};

/* Only the register bits the point owns take part in the round trip. */
static void check_round_trip(const struct gw_point *p, const uint16_t *w, double v)
{
	uint16_t back[2] = {0, 0};
	unsigned n = gw_encode_point(p, v, back);

	if (n != gw_point_width(p))
		abort();
	if (gw_regkind_is_bit(p->kind)) {
		if (back[0] != (w[0] != 0))
			abort();
	} else if (p->type == GW_T_BIT) {
		if (((back[0] ^ w[0]) >> p->bit) & 1u)
			abort();
	} else if (p->type == GW_T_FLOAT32) {
		double again;

		/* -0.0 + offset 0 decodes as +0.0, so compare values, not words. */
		if (gw_decode_point(p, back, &again) == GW_Q_DECODE_ERROR || again != v)
			abort();
	} else if (memcmp(back, w, n * sizeof(*w)) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct gw_point p;
	uint16_t w[64];
	size_t n;

	if (size < 4)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	memset(&p, 0, sizeof(p));
	p.kind = (enum gw_regkind)(data[0] % GW_REG_COUNT);
	p.type = (enum gw_vtype)(data[1] % (GW_T_BIT + 1));
	p.order = (enum gw_order)(data[2] & 3u);
	p.bit = (uint8_t)(data[3] & 15u);
	p.scale = scales[(data[0] >> 4) % (GW_ARRAY_LEN(scales))];
	p.has_range = (data[1] & 0x80) != 0;
	p.min = -100;
	p.max = 100;
	data += 4;
	size -= 4;
	for (n = 0; n < GW_ARRAY_LEN(w) && 2 * n + 1 < size; n++)
		w[n] = (uint16_t)(data[2 * n] << 8 | data[2 * n + 1]);
	for (size_t i = 0; i + gw_point_width(&p) <= n; i++) {
		double v;
		enum gw_quality q = gw_decode_point(&p, &w[i], &v);

		if (q != GW_Q_GOOD && q != GW_Q_OUT_OF_RANGE && q != GW_Q_DECODE_ERROR)
			abort();
		if (q != GW_Q_DECODE_ERROR && p.scale == 1.0)
			check_round_trip(&p, &w[i], v);
	}
	if (sink)
		gw_decode_print_raw(sink, 0, w, n);
	return 0;
}
