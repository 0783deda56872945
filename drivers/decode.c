/* Raw Modbus words <-> scaled point values: the four byte orders, signed and
 * unsigned 16/32-bit integers, IEEE floats and single bits, then scale, offset
 * and the valid-range check. Leaf code: no I/O except gw_decode_print_raw's
 * stream, no logging, no allocation. */
#include "decode.h"
#include "array.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define FLT_MAX_D ((double)FLT_MAX)

static const char *const order_names[] = {"abcd", "cdab", "badc", "dcba"};

/* For each order: where value byte A, B, C, D (A most significant) sits in the
 * arrival sequence. Each table is its own inverse. */
static const uint8_t order_pos[4][4] = {
        {0, 1, 2, 3}, /* abcd */
        {2, 3, 0, 1}, /* cdab */
        {1, 0, 3, 2}, /* badc */
        {3, 2, 1, 0}, /* dcba */
};

int gw_order_parse(const char *s, enum gw_order *out)
{
	for (size_t i = 0; s && i < GW_ARRAY_LEN(order_names); i++) {
		if (strcasecmp(s, order_names[i]) == 0) {
			*out = (enum gw_order)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *gw_order_name(enum gw_order o)
{
	if ((unsigned)o > GW_ORDER_DCBA)
		return "unknown";
	return order_names[o];
}

static uint32_t join32(const uint16_t *w, enum gw_order o)
{
	const uint8_t *pos = order_pos[(unsigned)o & 3u];
	uint8_t arr[4] = {(uint8_t)(w[0] >> 8), (uint8_t)w[0], (uint8_t)(w[1] >> 8), (uint8_t)w[1]};

	return (uint32_t)arr[pos[0]] << 24 | (uint32_t)arr[pos[1]] << 16 |
	       (uint32_t)arr[pos[2]] << 8 | (uint32_t)arr[pos[3]];
}

static void split32(uint32_t v, enum gw_order o, uint16_t *w)
{
	const uint8_t *pos = order_pos[(unsigned)o & 3u];
	uint8_t val[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	uint8_t arr[4];

	for (int i = 0; i < 4; i++)
		arr[pos[i]] = val[i];
	w[0] = (uint16_t)(arr[0] << 8 | arr[1]);
	w[1] = (uint16_t)(arr[2] << 8 | arr[3]);
}

static uint16_t order16(uint16_t w, enum gw_order o)
{
	if (o == GW_ORDER_BADC || o == GW_ORDER_DCBA)
		return (uint16_t)(w << 8 | w >> 8);
	return w;
}

static float bits_to_float(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static uint32_t float_to_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/* The unscaled value of p; false for a float that is not finite. */
static bool raw_value(const struct gw_point *p, const uint16_t *words, double *raw)
{
	if (gw_regkind_is_bit(p->kind)) {
		*raw = words[0] ? 1.0 : 0.0;
		return true;
	}
	switch (p->type) {
	case GW_T_INT16:
		*raw = (int16_t)order16(words[0], p->order);
		return true;
	case GW_T_UINT16:
		*raw = order16(words[0], p->order);
		return true;
	case GW_T_INT32:
		*raw = (double)(int32_t)join32(words, p->order);
		return true;
	case GW_T_UINT32:
		*raw = join32(words, p->order);
		return true;
	case GW_T_FLOAT32:
		*raw = bits_to_float(join32(words, p->order));
		return isfinite(*raw);
	case GW_T_BIT:
		*raw = (words[0] >> (p->bit & 15u)) & 1u;
		return true;
	}
	return false;
}

enum gw_quality gw_decode_point(const struct gw_point *p, const uint16_t *words, double *out)
{
	double raw, v, tol;

	if (!raw_value(p, words, &raw)) {
		*out = NAN;
		return GW_Q_DECODE_ERROR;
	}
	v = raw * p->scale + p->offset;
	*out = v;
	if (!isfinite(v))
		return GW_Q_DECODE_ERROR;
	if (!p->has_range)
		return GW_Q_GOOD;
	/* A bound that is itself a raw step (e.g. 80.00) must not fail on rounding. */
	tol = 1e-9 * fmax(1.0, fmax(fabs(p->min), fabs(p->max)));
	if (v < p->min - tol || v > p->max + tol)
		return GW_Q_OUT_OF_RANGE;
	return GW_Q_GOOD;
}

/* Rounds x to an integer clamped to [lo, hi]; NaN gives 0 (or lo if 0 is out). */
static long long round_clamp(double x, double lo, double hi)
{
	if (isnan(x))
		x = 0.0;
	x = nearbyint(x);
	if (x < lo)
		x = lo;
	if (x > hi)
		x = hi;
	return (long long)x;
}

static void encode_bit(const struct gw_point *p, double raw, uint16_t *words)
{
	bool on = round_clamp(raw, 0.0, 1.0) != 0;
	uint16_t mask;

	if (gw_regkind_is_bit(p->kind)) {
		words[0] = on ? 1 : 0;
		return;
	}
	mask = (uint16_t)(1u << (p->bit & 15u));
	words[0] = on ? (uint16_t)(words[0] | mask) : (uint16_t)(words[0] & ~mask);
}

unsigned gw_encode_point(const struct gw_point *p, double value, uint16_t *words)
{
	double raw = p->scale != 0.0 ? (value - p->offset) / p->scale : 0.0;
	long long r;

	if (gw_regkind_is_bit(p->kind) || p->type == GW_T_BIT) {
		encode_bit(p, raw, words);
		return 1;
	}
	switch (p->type) {
	case GW_T_INT16:
		r = round_clamp(raw, INT16_MIN, INT16_MAX);
		words[0] = order16((uint16_t)(r & 0xffff), p->order);
		return 1;
	case GW_T_UINT16:
		r = round_clamp(raw, 0, UINT16_MAX);
		words[0] = order16((uint16_t)r, p->order);
		return 1;
	case GW_T_INT32:
		r = round_clamp(raw, INT32_MIN, INT32_MAX);
		split32((uint32_t)(r & 0xffffffff), p->order, words);
		return 2;
	case GW_T_UINT32:
		r = round_clamp(raw, 0, UINT32_MAX);
		split32((uint32_t)r, p->order, words);
		return 2;
	case GW_T_FLOAT32:
		if (isnan(raw))
			raw = 0.0;
		raw = fmax(-FLT_MAX_D, fmin(FLT_MAX_D, raw));
		split32(float_to_bits((float)raw), p->order, words);
		return 2;
	case GW_T_BIT:
		break;
	}
	return 1;
}

void gw_decode_print_raw(FILE *out, uint16_t addr, const uint16_t *words, size_t n)
{
	fprintf(out, "%-8s %-6s %6s %6s\n", "addr", "hex", "uint16", "int16");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "0x%04x   0x%04x %6u %6d\n", (unsigned)(addr + i) & 0xffffu,
		        (unsigned)words[i], (unsigned)words[i], (int)(int16_t)words[i]);
	if (n < 2)
		return;
	fprintf(out, "\n%-13s %-5s %11s %10s %14s\n", "pair", "order", "int32", "uint32",
	        "float32");
	for (size_t i = 0; i + 1 < n; i++) {
		for (int o = GW_ORDER_ABCD; o <= GW_ORDER_DCBA; o++) {
			uint32_t u = join32(words + i, (enum gw_order)o);

			fprintf(out, "0x%04x+0x%04x %-5s %11d %10u %14.7g\n",
			        (unsigned)(addr + i) & 0xffffu, (unsigned)(addr + i + 1) & 0xffffu,
			        order_names[o], (int)(int32_t)u, (unsigned)u,
			        (double)bits_to_float(u));
		}
	}
}
