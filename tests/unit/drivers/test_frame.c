/* Reply checks against their request (frame.c): a table of RTU and Modbus TCP
 * replies that must be taken, skipped as foreign, or rejected; the request bytes
 * and the values of an accepted reply; which bytes right behind a reply leave it
 * trusted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "array.h"
#include "frame.h"

/* Appends the CRC of buf[0..n) at buf[n]; returns n + 2. */
static size_t with_crc(uint8_t *buf, size_t n)
{
	uint16_t crc = gw_frame_crc(buf, n);

	buf[n] = (uint8_t)crc;
	buf[n + 1] = (uint8_t)(crc >> 8);
	return n + 2;
}

static void test_frame_crc_vector_ok(void **state)
{
	/* sensors.md: request 01 04 00 00 00 03 B0 0B */
	static const uint8_t req[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x03};
	struct gw_frame_req r = {.unit = 1, .function = 4, .addr = 0, .count = 3, .tid = 0x1234};
	uint8_t out[12];

	(void)state;
	assert_int_equal(gw_frame_crc(req, sizeof(req)), 0x0BB0);
	assert_int_equal(gw_frame_request(&r, out), 6);
	assert_memory_equal(out, req, 6);
	assert_int_equal(gw_frame_request_tcp(&r, out), 12);
	assert_memory_equal(out, "\x12\x34\x00\x00\x00\x06", 6);
	assert_memory_equal(out + 6, req, 6);
}

static void test_frame_rtu_cases_ok(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t n;    /* before the CRC */
		int bad_crc; /* flip the CRC */
		enum gw_frame_verdict want;
	} cases[] = {
	        {"answer", {1, 4, 4, 0x08, 0x90, 0x0E, 0x93}, 7, 0, GW_FRAME_OK},
	        {"bad crc", {1, 4, 4, 0x08, 0x90, 0x0E, 0x93}, 7, 1, GW_FRAME_BAD},
	        {"another unit", {9, 4, 4, 0x08, 0x90, 0x0E, 0x93}, 7, 0, GW_FRAME_FOREIGN},
	        {"another unit, bad crc", {9, 4, 4, 0x08, 0x90, 0x0E, 0x93}, 7, 1, GW_FRAME_BAD},
	        {"other function", {1, 3, 4, 0x08, 0x90, 0x0E, 0x93}, 7, 0, GW_FRAME_BAD},
	        {"byte count short", {1, 4, 2, 0x08, 0x90}, 5, 0, GW_FRAME_BAD},
	        {"byte count lies", {1, 4, 6, 0x08, 0x90, 0x0E, 0x93}, 7, 0, GW_FRAME_BAD},
	        {"exception", {1, 0x84, 2}, 3, 0, GW_FRAME_EXCEPTION},
	        {"other exception", {1, 0x83, 2}, 3, 0, GW_FRAME_BAD},
	        {"too short", {1}, 1, 0, GW_FRAME_BAD},
	};
	struct gw_frame_req r = {.unit = 1, .function = 4, .addr = 0, .count = 2};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		uint8_t buf[20];
		size_t n;
		int exc = 0;

		print_message("%s\n", cases[i].name);
		memcpy(buf, cases[i].bytes, cases[i].n);
		n = with_crc(buf, cases[i].n);
		if (cases[i].bad_crc)
			buf[n - 1] ^= 0x01;
		assert_int_equal(gw_frame_check(&r, false, buf, n, &exc), cases[i].want);
		if (cases[i].want == GW_FRAME_EXCEPTION)
			assert_int_equal(exc, 2);
		if (cases[i].want != GW_FRAME_BAD)
			assert_int_equal(gw_frame_rtu_len(buf, n), n);
	}
}

static void test_frame_tcp_cases_ok(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t n;
		enum gw_frame_verdict want;
	} cases[] = {
	        {"answer", {0, 7, 0, 0, 0, 5, 3, 3, 2, 0x12, 0x34}, 11, GW_FRAME_OK},
	        {"old transaction", {0, 6, 0, 0, 0, 5, 3, 3, 2, 0x12, 0x34}, 11, GW_FRAME_FOREIGN},
	        {"another unit", {0, 7, 0, 0, 0, 5, 9, 3, 2, 0x12, 0x34}, 11, GW_FRAME_FOREIGN},
	        {"protocol id", {0, 7, 0, 1, 0, 5, 3, 3, 2, 0x12, 0x34}, 11, GW_FRAME_BAD},
	        {"MBAP length long", {0, 7, 0, 0, 0, 8, 3, 3, 2, 0x12, 0x34}, 11, GW_FRAME_BAD},
	        {"MBAP length short", {0, 7, 0, 0, 0, 4, 3, 3, 2, 0x12, 0x34}, 11, GW_FRAME_BAD},
	        {"byte count", {0, 7, 0, 0, 0, 5, 3, 3, 4, 0x12, 0x34}, 11, GW_FRAME_BAD},
	        {"exception", {0, 7, 0, 0, 0, 3, 3, 0x83, 4}, 9, GW_FRAME_EXCEPTION},
	        {"too short", {0, 7, 0, 0, 0, 2, 3, 3}, 8, GW_FRAME_BAD},
	};
	struct gw_frame_req r = {.unit = 3, .function = 3, .addr = 0x10, .count = 1, .tid = 7};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		print_message("%s\n", cases[i].name);
		assert_int_equal(gw_frame_check(&r, true, cases[i].bytes, cases[i].n, NULL),
		                 cases[i].want);
	}
}

static void test_frame_values_ok(void **state)
{
	struct gw_frame_req regs = {.unit = 1, .function = 3, .count = 2};
	struct gw_frame_req bits = {.unit = 1, .function = 2, .count = 10};
	struct gw_frame_req write = {.unit = 1, .function = 6, .addr = 0x0200, .count = 7};
	uint8_t a[] = {1, 3, 4, 0x08, 0x90, 0xFF, 0x9B, 0, 0};
	uint8_t b[] = {1, 2, 2, 0x05, 0x02, 0, 0};
	uint8_t w[] = {1, 6, 0x02, 0x00, 0x00, 0x07, 0, 0};
	uint8_t w_other[] = {1, 6, 0x02, 0x00, 0x00, 0x08, 0, 0};
	uint16_t out[10];

	(void)state;
	with_crc(a, sizeof(a) - 2);
	with_crc(b, sizeof(b) - 2);
	with_crc(w, sizeof(w) - 2);
	with_crc(w_other, sizeof(w_other) - 2);
	assert_int_equal(gw_frame_check(&regs, false, a, sizeof(a), NULL), GW_FRAME_OK);
	assert_int_equal(gw_frame_values(&regs, false, a, out), 2);
	assert_int_equal(out[0], 0x0890);
	assert_int_equal(out[1], 0xFF9B);
	assert_int_equal(gw_frame_check(&bits, false, b, sizeof(b), NULL), GW_FRAME_OK);
	assert_int_equal(gw_frame_values(&bits, false, b, out), 10);
	assert_memory_equal(out, ((uint16_t[]){1, 0, 1, 0, 0, 0, 0, 0, 0, 1}), 10 * sizeof(*out));
	assert_int_equal(gw_frame_check(&write, false, w, sizeof(w), NULL), GW_FRAME_OK);
	assert_int_equal(gw_frame_check(&write, false, w_other, sizeof(w_other), NULL),
	                 GW_FRAME_BAD);
	assert_int_equal(gw_frame_values(&write, false, w, out), 1);
	assert_int_equal(out[0], 7);
}

static void test_frame_tail_cases_ok(void **state)
{
	struct gw_frame_req r = {.unit = 1, .function = 3, .count = 1};
	uint8_t rsp[] = {1, 3, 2, 0x12, 0x34, 0, 0};
	uint8_t other[] = {1, 3, 2, 0x56, 0x78, 0, 0};   /* same unit, other value: stale? */
	uint8_t foreign[] = {9, 3, 2, 0x56, 0x78, 0, 0}; /* another unit's reply */
	uint8_t tail[32];

	(void)state;
	with_crc(rsp, 5);
	with_crc(other, 5);
	with_crc(foreign, 5);
	memcpy(tail, rsp, 7);
	memcpy(tail + 7, rsp, 7);
	assert_true(gw_frame_tail_is_harmless(&r, rsp, 7, tail, 7));
	assert_true(gw_frame_tail_is_harmless(&r, rsp, 7, tail, 14));
	assert_false(gw_frame_tail_is_harmless(&r, rsp, 7, tail, 10)); /* a copy cut short */
	memcpy(tail + 7, foreign, 7);
	assert_true(gw_frame_tail_is_harmless(&r, rsp, 7, tail, 14));
	assert_false(gw_frame_tail_is_harmless(&r, rsp, 7, other, 7));
	foreign[6] ^= 1;
	assert_false(gw_frame_tail_is_harmless(&r, rsp, 7, foreign, 7)); /* bad CRC: noise */
	assert_false(gw_frame_tail_is_harmless(&r, rsp, 7, (const uint8_t *)"\x01", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_frame_crc_vector_ok),
	        cmocka_unit_test(test_frame_rtu_cases_ok),
	        cmocka_unit_test(test_frame_tcp_cases_ok),
	        cmocka_unit_test(test_frame_values_ok),
	        cmocka_unit_test(test_frame_tail_cases_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
