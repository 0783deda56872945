/* The simulated clock: the anchor arithmetic, the anchor file (round trip, and each
 * kind of bad file reported as FILE:LINE), and the clock seam once a sim clock is in
 * force (wall time and schedules simulated, sleeps scaled, clock synchronised). The
 * seam is process-wide, so it is tested last, in this executable of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "simclock.h"

static char dir[] = "/tmp/fg-simclock-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void test_simclock_at_scales_ok(void **state)
{
	const struct gw_simclock c = {
	        .start_ms = 1680278400000LL, .speed = 86400, .mono_us = 5000000};

	(void)state;
	assert_true(gw_simclock_at(&c, 5000000) == 1680278400000LL);
	/* one real second is one simulated day */
	assert_true(gw_simclock_at(&c, 6000000) == 1680278400000LL + 86400000LL);
	/* 1 us is 86.4 ms */
	assert_true(gw_simclock_at(&c, 5000001) == 1680278400086LL);
	/* before the anchor: earlier simulated time, rounded down */
	assert_true(gw_simclock_at(&c, 4999999) == 1680278399913LL);
}

static void test_simclock_file_round_trip_ok(void **state)
{
	const struct gw_simclock c = {
	        .start_ms = 1680278400123LL, .speed = 259200.5, .mono_us = 987654321012LL};
	struct gw_simclock back;
	struct gw_diag d;
	char path[256], tmp[300];

	(void)state;
	path_of(path, sizeof(path), "clock");
	assert_int_equal(gw_simclock_save(path, &c), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(access(tmp, F_OK), 0);
	gw_diag_init(&d, stderr);
	assert_int_equal(gw_simclock_load(path, &back, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_true(back.start_ms == c.start_ms);
	assert_true(back.speed == c.speed);
	assert_true(back.mono_us == c.mono_us);
	path_of(path, sizeof(path), "no/such/dir/clock");
	assert_int_equal(gw_simclock_save(path, &c), -ENOENT);
	path_of(path, sizeof(path), "missing");
	assert_int_equal(gw_simclock_load(path, &back, &d), -ENOENT);
}

struct bad_case {
	const char *text;
	const char *expected; /* after "FILE" */
};

static const struct bad_case bad_cases[] = {
        {"start_ms=1\nspeed=2\n", ": error: mono_us: missing (want start_ms, speed and mono_us)\n"},
        {"start_ms=1\nspeed=0\nmono_us=3\n",
         ":2: error: speed: out of range (got \"0\", want 0.001..1e7)\n"},
        {"# c\nstart_ms=1x\nspeed=2\nmono_us=3\n",
         ":2: error: start_ms: not a number (got \"1x\", want a whole number)\n"},
        {"start_ms=1\nspeed=2\nmono_us=3\nspeed=4\n", ":4: error: speed: given twice\n"},
        {"start_ms=1\nspeed=2\nmono_us=3\nsped=4\n",
         ":4: error: unknown key \"sped\" (want start_ms speed mono_us)\n"},
        {"start_ms 1\nspeed=2\nmono_us=3\n",
         ":1: error: not key=value (want start_ms, speed, mono_us)\n"
         "FILE: error: start_ms: missing (want start_ms, speed and mono_us)\n"},
};

/* Puts path where want says FILE (a second line of a case). */
static void replace_file(char *want, size_t size, const char *path)
{
	char *at = strstr(want, "FILE");
	char rest[512];

	if (!at)
		return;
	snprintf(rest, sizeof(rest), "%s", at + 4);
	snprintf(at, size - (size_t)(at - want), "%s%s", path, rest);
}

static void test_simclock_bad_files_reported(void **state)
{
	char path[256], want[512];

	(void)state;
	path_of(path, sizeof(path), "bad");
	for (size_t i = 0; i < GW_ARRAY_LEN(bad_cases); i++) {
		struct gw_simclock c;
		struct gw_diag d;
		char *text = NULL;
		size_t len = 0;
		FILE *f = fopen(path, "w"), *mem;

		assert_non_null(f);
		fputs(bad_cases[i].text, f);
		fclose(f);
		mem = open_memstream(&text, &len);
		gw_diag_init(&d, mem);
		assert_int_equal(gw_simclock_load(path, &c, &d), -EINVAL);
		fclose(mem);
		snprintf(want, sizeof(want), "%s%s", path, bad_cases[i].expected);
		replace_file(want, sizeof(want), path);
		if (strcmp(text, want) != 0)
			fail_msg("case %zu:\n--- want\n%s--- got\n%s", i, want, text);
		free(text);
	}
}

/* Last: puts the process on a sim clock for good. */
static void test_simclock_in_force_scales_schedules_ok(void **state)
{
	struct gw_simclock c = {.start_ms = 1680278400000LL, .speed = 3600, .mono_us = 0};
	int64_t mono0, sched0, wall0, slept_us;

	(void)state;
	assert_false(gw_clock_is_sim());
	c.mono_us = gw_clock_mono_us();
	gw_clock_use_sim(&c);
	assert_true(gw_clock_is_sim());
	assert_true(gw_clock_is_synced());
	wall0 = gw_clock_wall_ms();
	sched0 = gw_clock_sched_ms();
	assert_true(wall0 >= c.start_ms && wall0 < c.start_ms + 3600000);
	assert_true(sched0 >= wall0 && sched0 < wall0 + 3600000);
	/* one simulated minute is 1/60 s of real time */
	mono0 = gw_clock_mono_us();
	sched0 = gw_clock_sched_ms();
	gw_clock_sched_sleep(sched0 + 60000, 1000);
	slept_us = gw_clock_mono_us() - mono0;
	assert_true(gw_clock_sched_ms() >= sched0 + 60000);
	if (slept_us < 15000 || slept_us > 500000)
		fail_msg("slept %lld us for a simulated minute (want ~16667)", (long long)slept_us);
	/* the real-time cap holds */
	mono0 = gw_clock_mono_us();
	gw_clock_sched_sleep(gw_clock_sched_ms() + 3600000, 20);
	slept_us = gw_clock_mono_us() - mono0;
	if (slept_us < 19000 || slept_us > 500000)
		fail_msg("slept %lld us with a 20 ms cap", (long long)slept_us);
	/* a time already past returns at once */
	mono0 = gw_clock_mono_us();
	gw_clock_sched_sleep(c.start_ms, 1000);
	assert_true(gw_clock_mono_us() - mono0 < 100000);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simclock_at_scales_ok),
	        cmocka_unit_test(test_simclock_file_round_trip_ok),
	        cmocka_unit_test(test_simclock_bad_files_reported),
	        cmocka_unit_test(test_simclock_in_force_scales_schedules_ok),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
