/* Line draining (drain.c) over a pipe: what is pending is dropped and counted,
 * the first bytes are kept for the caller, EOF and a bad fd count nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "drain.h"

static void test_drain_pipe_counts(void **state)
{
	int p[2];
	uint8_t keep[4];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(gw_drain_now(p[0]), 0);
	assert_int_equal(write(p[1], "stale bytes", 11), 11);
	assert_int_equal(gw_drain_now(p[0]), 11);
	assert_int_equal(gw_drain_now(p[0]), 0);
	assert_int_equal(write(p[1], "abcdef", 6), 6);
	assert_int_equal(gw_drain_wait(p[0], 0, 0, 0, keep, sizeof(keep)), 6);
	assert_memory_equal(keep, "abcd", 4);
	close(p[1]);
	assert_int_equal(gw_drain_now(p[0]), 0); /* EOF */
	close(p[0]);
	assert_int_equal(gw_drain_now(-1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_drain_pipe_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
