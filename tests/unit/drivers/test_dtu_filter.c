/* The DTU stream filter: heartbeats and registration prefixes go at packet
 * boundaries (also when split across reads or glued to a reply), replies that
 * contain the same bytes pass whole, exceptions are sized, and bytes nobody
 * asked for are dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dtu_filter.h"

#define HB  "HB!"
#define REG "868000000000001"

/* read holding 0x0000 x2 from unit 1 (CRC not checked by the filter) */
static const uint8_t req[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xC4, 0x0B};
/* its reply, 9 bytes, whose data happens to spell the heartbeat */
static const uint8_t rsp[] = {0x01, 0x03, 0x04, 'H', 'B', '!', 0x00, 0xAA, 0xBB};

static void setup(struct gw_dtu_filter *f, bool prefix)
{
	gw_dtu_filter_init(f, (const uint8_t *)HB, 3, (const uint8_t *)REG, prefix ? 15 : 0);
}

/* Feeds the chunks (split at the given offsets of in) and returns what came out. */
static size_t feed(struct gw_dtu_filter *f, const uint8_t *in, size_t n, const size_t *cuts,
                   size_t ncuts, uint8_t *out)
{
	size_t from = 0, len = 0;

	for (size_t c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : n;

		len += gw_dtu_filter_recv(f, in + from, to - from, out + len);
		from = to;
	}
	return len;
}

static void test_dtu_filter_heartbeats_between_frames_dropped(void **state)
{
	struct gw_dtu_filter f;
	uint8_t in[64], out[128];
	size_t n = 0;
	static const size_t cuts[][3] = {{0, 0, 0}, {1, 2, 0}, {4, 10, 11}, {3, 5, 13}};

	(void)state;
	memcpy(in + n, HB, 3);
	n += 3;
	memcpy(in + n, rsp, sizeof(rsp));
	n += sizeof(rsp);
	memcpy(in + n, HB HB, 6);
	n += 6;
	for (size_t c = 0; c < 4; c++) {
		setup(&f, false);
		gw_dtu_filter_sent(&f, req, sizeof(req));
		size_t ncuts = c == 0 ? 0 : c == 1 ? 2 : 3;
		assert_int_equal(feed(&f, in, n, cuts[c], ncuts, out), sizeof(rsp));
		assert_memory_equal(out, rsp, sizeof(rsp));
		assert_int_equal(f.heartbeats, 3);
	}
}

static void test_dtu_filter_prefix_every_packet_dropped(void **state)
{
	struct gw_dtu_filter f;
	uint8_t in[64], out[128];
	size_t n = 0;
	static const size_t cuts[] = {7, 20};

	(void)state;
	setup(&f, true);
	memcpy(in + n, REG HB, 18);
	n += 18;
	memcpy(in + n, REG, 15);
	n += 15;
	memcpy(in + n, rsp, sizeof(rsp));
	n += sizeof(rsp);
	gw_dtu_filter_sent(&f, req, sizeof(req));
	assert_int_equal(feed(&f, in, n, cuts, 2, out), sizeof(rsp));
	assert_memory_equal(out, rsp, sizeof(rsp));
	assert_int_equal(f.prefixes, 2);
	assert_int_equal(f.heartbeats, 1);
}

static void test_dtu_filter_exception_sized_ok(void **state)
{
	struct gw_dtu_filter f;
	static const uint8_t exc[] = {0x01, 0x83, 0x02, 0xC0, 0xF1};
	uint8_t in[16], out[32];

	(void)state;
	setup(&f, false);
	memcpy(in, exc, 5);
	memcpy(in + 5, HB, 3);
	gw_dtu_filter_sent(&f, req, sizeof(req));
	assert_int_equal(gw_dtu_filter_recv(&f, in, 8, out), 5);
	assert_memory_equal(out, exc, 5);
	assert_int_equal(f.heartbeats, 1);
}

static void test_dtu_filter_unsolicited_dropped(void **state)
{
	struct gw_dtu_filter f;
	static const uint8_t junk[] = {'G', 'E', 'T', ' ', '/', 0xFF, 0x00};
	uint8_t out[32];

	(void)state;
	setup(&f, false);
	assert_int_equal(gw_dtu_filter_recv(&f, junk, sizeof(junk), out), 0);
	assert_int_equal(f.unsolicited, sizeof(junk));
	/* a start of a heartbeat that turns out not to be one, while a reply is awaited */
	gw_dtu_filter_sent(&f, req, sizeof(req));
	uint8_t in[] = {'H', 0x03, 0x04};
	assert_int_equal(gw_dtu_filter_recv(&f, in, 1, out), 0);
	assert_int_equal(gw_dtu_filter_recv(&f, in + 1, 2, out), 3);
	assert_memory_equal(out, in, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dtu_filter_heartbeats_between_frames_dropped),
	        cmocka_unit_test(test_dtu_filter_prefix_every_packet_dropped),
	        cmocka_unit_test(test_dtu_filter_exception_sized_ok),
	        cmocka_unit_test(test_dtu_filter_unsolicited_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
