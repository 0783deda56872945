/* Decoding: the vendor test frames of the reference (parsed byte by byte, CRC
 * checked here), every type in every byte order, range and NaN qualities, and
 * encode/decode round trips. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "decode.h"
#include "profile.h"

#define N_ELEM(a) (GW_ARRAY_LEN(a))

/* Modbus RTU CRC16 (poly 0xA001, init 0xFFFF), sent low byte first. */
static uint16_t crc16(const uint8_t *b, size_t n)
{
	uint16_t crc = 0xffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	char *end;

	while (*s && n < max) {
		unsigned long v = strtoul(s, &end, 16);

		if (end == s)
			break;
		out[n++] = (uint8_t)v;
		s = end;
	}
	return n;
}

static bool crc_ok(const uint8_t *b, size_t n)
{
	uint16_t crc = crc16(b, n - 2);

	return b[n - 2] == (crc & 0xff) && b[n - 1] == (crc >> 8);
}

struct frame_case {
	const char *profile;
	const char *request;  /* unit, function, start, count, CRC */
	const char *response; /* unit, function, byte count, data, CRC */
	const char *names[4];
	double want[4];
};

static const struct frame_case frames[] = {
        {"seeed-s-soil-mtec-02",
         "01 04 00 00 00 03 B0 0B",
         "01 04 06 08 90 0E 93 02 4E D2 57",
         {"temperature_c", "moisture_pct", "ec_us_cm"},
         {21.92, 37.31, 590}},
        {"dfrobot-sen0601",
         "01 03 00 00 00 03 05 CB",
         "01 03 06 02 92 FF 9B 03 E8 D8 0F",
         {"moisture_pct", "temperature_c", "ec_us_cm"},
         {65.8, -10.1, 1000}},
        {"renke-rs-ecth-n01",
         "01 03 00 00 00 02 C4 0B",
         "01 03 04 02 92 FF 9B 5A 3D",
         {"moisture_pct", "temperature_c"},
         {65.8, -10.1}},
};

static void load(const char *name, struct gw_profile *p)
{
	struct gw_diag d;

	gw_diag_init(&d, stderr);
	assert_int_equal(gw_profile_find(getenv("FIELDGATE_PROFILES"), name, &d, p), 0);
}

static void check_frame(const struct frame_case *fc)
{
	uint8_t req[16], rsp[64];
	size_t nreq = parse_hex(fc->request, req, sizeof(req));
	size_t nrsp = parse_hex(fc->response, rsp, sizeof(rsp));
	uint16_t start = (uint16_t)(req[2] << 8 | req[3]), count = (uint16_t)(req[4] << 8 | req[5]);
	uint16_t words[32];
	struct gw_profile prof;

	load(fc->profile, &prof);
	assert_int_equal(nreq, 8);
	assert_true(crc_ok(req, nreq));
	assert_true(crc_ok(rsp, nrsp));
	assert_int_equal(rsp[0], req[0]);
	assert_int_equal(rsp[1], req[1]);
	assert_int_equal(rsp[2], 2 * count);
	assert_int_equal(nrsp, 5u + rsp[2]);
	for (size_t i = 0; i < count; i++)
		words[i] = (uint16_t)(rsp[3 + 2 * i] << 8 | rsp[4 + 2 * i]);
	for (size_t i = 0; i < N_ELEM(fc->names) && fc->names[i]; i++) {
		const struct gw_point *p = gw_profile_point(&prof, fc->names[i]);
		double v = NAN;

		assert_non_null(p);
		assert_int_equal(p->kind, req[1] == 4 ? GW_REG_INPUT : GW_REG_HOLDING);
		assert_true(p->addr >= start && p->addr + gw_point_width(p) <= start + count);
		assert_int_equal(gw_decode_point(p, &words[p->addr - start], &v), GW_Q_GOOD);
		if (fabs(v - fc->want[i]) > 1e-9)
			print_error("%s %s: got %.6f want %.6f\n", fc->profile, fc->names[i], v,
			            fc->want[i]);
		assert_true(fabs(v - fc->want[i]) <= 1e-9);
	}
}

static void test_decode_vendor_frames_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(frames); i++)
		check_frame(&frames[i]);
}

/* A corrupted frame must fail the CRC check this test relies on. */
static void test_decode_crc_helper_detects_flip_fails(void **state)
{
	uint8_t rsp[16];
	size_t n = parse_hex("01 04 06 08 90 0E 93 02 4E D2 57", rsp, sizeof(rsp));

	(void)state;
	assert_true(crc_ok(rsp, n));
	rsp[4] ^= 0x01;
	assert_false(crc_ok(rsp, n));
}

static struct gw_point point(enum gw_vtype t, enum gw_order o)
{
	struct gw_point p = {.kind = GW_REG_HOLDING, .type = t, .order = o, .scale = 1.0};

	return p;
}

struct type_case {
	const char *name;
	enum gw_vtype type;
	enum gw_order order;
	uint16_t words[2];
	double want;
};

/* 0x4148F5C3 = 12.56f; 0xFFFE1DC0 = -123456; 0x12345678 = 305419896. */
static const struct type_case types[] = {
        {"f32_abcd", GW_T_FLOAT32, GW_ORDER_ABCD, {0x4148, 0xF5C3}, 12.56f},
        {"f32_cdab", GW_T_FLOAT32, GW_ORDER_CDAB, {0xF5C3, 0x4148}, 12.56f},
        {"f32_badc", GW_T_FLOAT32, GW_ORDER_BADC, {0x4841, 0xC3F5}, 12.56f},
        {"f32_dcba", GW_T_FLOAT32, GW_ORDER_DCBA, {0xC3F5, 0x4841}, 12.56f},
        {"i32_abcd", GW_T_INT32, GW_ORDER_ABCD, {0xFFFE, 0x1DC0}, -123456},
        {"i32_cdab", GW_T_INT32, GW_ORDER_CDAB, {0x1DC0, 0xFFFE}, -123456},
        {"i32_badc", GW_T_INT32, GW_ORDER_BADC, {0xFEFF, 0xC01D}, -123456},
        {"i32_dcba", GW_T_INT32, GW_ORDER_DCBA, {0xC01D, 0xFEFF}, -123456},
        {"u32_abcd", GW_T_UINT32, GW_ORDER_ABCD, {0x1234, 0x5678}, 305419896},
        {"u32_cdab", GW_T_UINT32, GW_ORDER_CDAB, {0x5678, 0x1234}, 305419896},
        {"u32_badc", GW_T_UINT32, GW_ORDER_BADC, {0x3412, 0x7856}, 305419896},
        {"u32_dcba", GW_T_UINT32, GW_ORDER_DCBA, {0x7856, 0x3412}, 305419896},
        {"u32_max", GW_T_UINT32, GW_ORDER_ABCD, {0xFFFF, 0xFFFF}, 4294967295.0},
        {"i16_abcd", GW_T_INT16, GW_ORDER_ABCD, {0xFF9B}, -101},
        {"i16_cdab", GW_T_INT16, GW_ORDER_CDAB, {0xFF9B}, -101},
        {"i16_badc", GW_T_INT16, GW_ORDER_BADC, {0x9BFF}, -101},
        {"i16_dcba", GW_T_INT16, GW_ORDER_DCBA, {0x9BFF}, -101},
        {"u16_abcd", GW_T_UINT16, GW_ORDER_ABCD, {0xFF9B}, 65435},
        {"u16_cdab", GW_T_UINT16, GW_ORDER_CDAB, {0xFF9B}, 65435},
        {"u16_badc", GW_T_UINT16, GW_ORDER_BADC, {0x9BFF}, 65435},
        {"u16_dcba", GW_T_UINT16, GW_ORDER_DCBA, {0x9BFF}, 65435},
        {"i16_min", GW_T_INT16, GW_ORDER_ABCD, {0x8000}, -32768},
};

static void test_decode_type_order_table_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(types); i++) {
		struct gw_point p = point(types[i].type, types[i].order);
		double v = NAN;

		assert_int_equal(gw_decode_point(&p, types[i].words, &v), GW_Q_GOOD);
		if (v != types[i].want)
			print_error("%s: got %.9g want %.9g\n", types[i].name, v, types[i].want);
		assert_true(v == types[i].want);
	}
}

static void test_decode_float_known_value_ok(void **state)
{
	struct gw_point p = point(GW_T_FLOAT32, GW_ORDER_ABCD);
	const uint16_t w[2] = {0x4148, 0xF5C3};
	double v;

	(void)state;
	p.decimals = 2;
	assert_int_equal(gw_decode_point(&p, w, &v), GW_Q_GOOD);
	assert_true(fabs(v - 12.56) < 1e-6);
}

struct bit_case {
	enum gw_regkind kind;
	uint8_t bit;
	uint16_t word;
	double want;
};

static const struct bit_case bits[] = {
        {GW_REG_HOLDING, 0, 0x0001, 1},  {GW_REG_HOLDING, 3, 0x0008, 1},
        {GW_REG_HOLDING, 3, 0xFFF7, 0},  {GW_REG_INPUT, 15, 0x8000, 1},
        {GW_REG_COIL, 0, 0x0001, 1},     {GW_REG_COIL, 0, 0x0000, 0},
        {GW_REG_DISCRETE, 0, 0x0001, 1}, {GW_REG_DISCRETE, 0, 0x00FF, 1},
};

static void test_decode_bits_table_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bits); i++) {
		struct gw_point p = point(GW_T_BIT, GW_ORDER_ABCD);
		double v = -1;

		p.kind = bits[i].kind;
		p.bit = bits[i].bit;
		assert_int_equal(gw_decode_point(&p, &bits[i].word, &v), GW_Q_GOOD);
		assert_true(v == bits[i].want);
	}
}

static void test_decode_scale_offset_range_ok(void **state)
{
	struct gw_point p = point(GW_T_INT16, GW_ORDER_ABCD);
	uint16_t w;
	double v;

	(void)state;
	p.scale = 0.1;
	p.offset = -40;
	p.has_range = true;
	p.min = -40;
	p.max = 80;
	w = 1200; /* 120.0 - 40 = 80.0: on the bound */
	assert_int_equal(gw_decode_point(&p, &w, &v), GW_Q_GOOD);
	assert_true(fabs(v - 80.0) < 1e-9);
	w = 1201; /* 80.1: just out */
	assert_int_equal(gw_decode_point(&p, &w, &v), GW_Q_OUT_OF_RANGE);
	assert_true(fabs(v - 80.1) < 1e-9);
	w = (uint16_t)-1; /* -0.1 - 40 = -40.1 */
	assert_int_equal(gw_decode_point(&p, &w, &v), GW_Q_OUT_OF_RANGE);
	assert_true(fabs(v + 40.1) < 1e-9);
}

static void test_decode_nan_inf_decode_error(void **state)
{
	static const uint16_t bad[][2] = {{0x7FC0, 0x0000}, {0x7F80, 0x0000}, {0xFF80, 0x0000}};
	struct gw_point p = point(GW_T_FLOAT32, GW_ORDER_ABCD);
	double v;

	(void)state;
	for (size_t i = 0; i < N_ELEM(bad); i++)
		assert_int_equal(gw_decode_point(&p, bad[i], &v), GW_Q_DECODE_ERROR);
}

/* Values on a raw step survive encode -> decode; others round to the nearest step. */
static void test_decode_encode_round_trip_ok(void **state)
{
	static const double values[] = {0, 1, -1, 21.92, -10.1, 37.31, 65.8, 590, 1234.5};

	(void)state;
	for (int t = GW_T_INT16; t <= GW_T_FLOAT32; t++) {
		for (int o = GW_ORDER_ABCD; o <= GW_ORDER_DCBA; o++) {
			struct gw_point p = point((enum gw_vtype)t, (enum gw_order)o);

			p.scale = 0.01;
			for (size_t i = 0; i < N_ELEM(values); i++) {
				uint16_t w[2] = {0, 0};
				double want = values[i], v = NAN;

				if ((t == GW_T_UINT16 || t == GW_T_UINT32) && want < 0)
					want = 0; /* clamped */
				if (t == GW_T_INT16 || t == GW_T_UINT16)
					want = fmin(want, t == GW_T_INT16 ? 327.67 : 655.35);
				assert_int_equal(gw_encode_point(&p, values[i], w),
				                 gw_point_width(&p));
				gw_decode_point(&p, w, &v);
				if (fabs(v - want) > 1e-4)
					print_error("%s/%s %g: got %g\n", gw_vtype_name(p.type),
					            gw_order_name(p.order), values[i], v);
				assert_true(fabs(v - want) <= 1e-4);
			}
		}
	}
}

struct enc_case {
	enum gw_vtype type;
	double scale, value;
	uint16_t want0, want1;
};

static const struct enc_case encs[] = {
        {GW_T_INT16, 0.01, 21.92, 0x0890, 0},  /* seeed temperature */
        {GW_T_INT16, 0.1, -10.1, 0xFF9B, 0},   /* dfrobot temperature */
        {GW_T_INT16, 0.1, -10.14, 0xFF9B, 0},  /* nearest step */
        {GW_T_INT16, 0.1, -10.16, 0xFF9A, 0},  /* nearest step */
        {GW_T_INT16, 1, 40000, 0x7FFF, 0},     /* clamped */
        {GW_T_INT16, 1, -40000, 0x8000, 0},    /* clamped */
        {GW_T_UINT16, 1, -5, 0x0000, 0},       /* clamped */
        {GW_T_UINT16, 1, 70000, 0xFFFF, 0},    /* clamped */
        {GW_T_UINT16, 1, NAN, 0x0000, 0},      /* NaN -> 0 */
        {GW_T_UINT32, 1, 5e9, 0xFFFF, 0xFFFF}, /* clamped */
        {GW_T_INT32, 1, -123456, 0xFFFE, 0x1DC0}, {GW_T_FLOAT32, 1, 12.56, 0x4148, 0xF5C3},
};

static void test_decode_encode_table_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(encs); i++) {
		struct gw_point p = point(encs[i].type, GW_ORDER_ABCD);
		uint16_t w[2] = {0xAAAA, 0};

		p.scale = encs[i].scale;
		gw_encode_point(&p, encs[i].value, w);
		if (w[0] != encs[i].want0)
			print_error("case %zu: got 0x%04x want 0x%04x\n", i, w[0], encs[i].want0);
		assert_int_equal(w[0], encs[i].want0);
		if (gw_point_width(&p) == 2)
			assert_int_equal(w[1], encs[i].want1);
	}
}

static void test_decode_encode_bit_keeps_others_ok(void **state)
{
	struct gw_point p = point(GW_T_BIT, GW_ORDER_ABCD);
	uint16_t w = 0x00F0;
	double v;

	(void)state;
	p.bit = 2;
	assert_int_equal(gw_encode_point(&p, 1, &w), 1);
	assert_int_equal(w, 0x00F4);
	p.bit = 4;
	gw_encode_point(&p, 0, &w);
	assert_int_equal(w, 0x00E4);
	p.kind = GW_REG_COIL;
	p.bit = 0;
	gw_encode_point(&p, 1, &w);
	assert_int_equal(w, 1);
	assert_int_equal(gw_decode_point(&p, &w, &v), GW_Q_GOOD);
	assert_true(v == 1.0);
}

static void test_decode_order_parse_ok(void **state)
{
	enum gw_order o;

	(void)state;
	assert_int_equal(gw_order_parse("CDAB", &o), 0);
	assert_int_equal(o, GW_ORDER_CDAB);
	assert_int_equal(gw_order_parse("dcba", &o), 0);
	assert_int_equal(o, GW_ORDER_DCBA);
	assert_int_equal(gw_order_parse("abdc", &o), -EINVAL);
	assert_string_equal(gw_order_name(GW_ORDER_BADC), "badc");
	assert_string_equal(gw_quality_name(GW_Q_OUT_OF_RANGE), "out_of_range");
	assert_string_equal(gw_regkind_name(GW_REG_DISCRETE), "discrete");
}

/* The int32 column of the line that starts with prefix. */
static long pair_int32(const char *text, const char *prefix)
{
	const char *line = strstr(text, prefix);
	long v = 0;

	assert_non_null(line);
	assert_int_equal(sscanf(line + strlen(prefix), "%ld", &v), 1);
	return v;
}

static void test_decode_print_raw_ok(void **state)
{
	const uint16_t w[3] = {0x0890, 0x0E93, 0x024E};
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	(void)state;
	gw_decode_print_raw(mem, 0, w, 3);
	fclose(mem);
	assert_non_null(strstr(text, "0x0000   0x0890   2192   2192"));
	assert_non_null(strstr(text, "0x0002   0x024e    590    590"));
	/* 0x08900E93 = 143658643 as abcd; 0x0E930890 = 244517008 as cdab */
	assert_int_equal(pair_int32(text, "0x0000+0x0001 abcd"), 143658643);
	assert_int_equal(pair_int32(text, "0x0000+0x0001 cdab"), 244517008);
	assert_int_equal(pair_int32(text, "0x0001+0x0002 dcba"), 0x4E02930E);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_vendor_frames_ok),
	        cmocka_unit_test(test_decode_crc_helper_detects_flip_fails),
	        cmocka_unit_test(test_decode_type_order_table_ok),
	        cmocka_unit_test(test_decode_float_known_value_ok),
	        cmocka_unit_test(test_decode_bits_table_ok),
	        cmocka_unit_test(test_decode_scale_offset_range_ok),
	        cmocka_unit_test(test_decode_nan_inf_decode_error),
	        cmocka_unit_test(test_decode_encode_round_trip_ok),
	        cmocka_unit_test(test_decode_encode_table_ok),
	        cmocka_unit_test(test_decode_encode_bit_keeps_others_ok),
	        cmocka_unit_test(test_decode_order_parse_ok),
	        cmocka_unit_test(test_decode_print_raw_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
