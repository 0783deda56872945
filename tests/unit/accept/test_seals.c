/* The center's copy of the seals (seals.h): a seal's JSON as chain.h writes it parses back to
 * the same link; malformed lines are refused with FILE:LINE and nothing is added; the
 * comparison with a journal's chain names a day that differs, one missing at the center, one
 * missing here, and counts the days not received yet without failing them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain.h"
#include "fixture.h"
#include "seals.h"
#include "tz.h"

#define DAY0_MS 1687255200000LL /* 2023-06-20T10:00:00Z */

struct tmp {
	char dir[64];
	struct gw_journal *j;
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	int64_t src;
	int err;

	assert_int_equal(gw_tz_use("UTC"), 0);
	snprintf(t->dir, sizeof(t->dir), "/tmp/gw-seals-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->j = gw_journal_open(t->dir, NULL, &err);
	assert_non_null(t->j);
	assert_int_equal(gw_journal_source(t->j, "sensor\ts1\n", &src), 0);
	/* four days of two rows each, sealed */
	for (int d = 0; d < 4; d++) {
		for (int r = 0; r < 2; r++) {
			uint8_t data[3] = {0, (uint8_t)r, 0x5a};

			assert_int_equal(gw_journal_append(t->j,
			                                   DAY0_MS + d * 86400000LL + r * 60000,
			                                   src, data, sizeof(data)),
			                 0);
		}
		assert_int_equal(gw_journal_commit(t->j), 0);
	}
	assert_int_equal(gw_chain_seal(t->j, 20230625, 5, NULL), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;

	gw_journal_close(t->j);
	gw_test_rmtree(t->dir);
	free(t);
	return 0;
}

static int keep(void *user, const struct gw_journal_link *l)
{
	struct gw_seals *s = user;

	s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	strcpy(s->v[s->n].gateway, "gw-1");
	s->v[s->n++].l = *l;
	return 0;
}

static void test_json_round_trip(void **state)
{
	struct tmp *t = *state;
	struct gw_seals mine = {0};
	struct gw_seal got;
	const char *why;
	char buf[2048];

	assert_int_equal(gw_journal_links(t->j, keep, &mine), 4);
	for (size_t i = 0; i < mine.n; i++) {
		const struct gw_journal_link *l = &mine.v[i].l;

		assert_true(gw_chain_head_json(l, "gw-1", buf, sizeof(buf)) > 0);
		assert_int_equal(gw_seal_parse_json(buf, &got, &why), 0);
		assert_string_equal(got.gateway, "gw-1");
		assert_int_equal(got.l.day, l->day);
		assert_int_equal(got.l.version, 2);
		assert_memory_equal(got.l.digest, l->digest, 32);
		assert_memory_equal(got.l.prev, l->prev, 32);
		assert_memory_equal(got.l.content, l->content, 32);
		assert_int_equal(got.l.content_n, l->content_n);
		assert_int_equal(got.l.readings, l->readings);
		assert_int_equal(got.l.sealed_ms, 5);
	}
	gw_seals_free(&mine);
}

static void test_malformed_refused(void **state)
{
	static const char *const bad[] = {
	        "{\"gateway\":\"g\",\"day\":\"2023-13-01\",\"digest\":\"00\"}",
	        "{\"gateway\":\"g\",\"day\":\"2023-06-20\",\"digest\":\"zz\"}",
	        "{\"gateway\":\"g\" \"day\":\"2023-06-20\"}",
	        "[1,2]",
	        "{\"gateway\":\"g\",\"day\":\"2023-06-20\"} trailing",
	        "{\"day\":\"2023-06-20\"}",
	};
	char path[96], out[4096] = "";
	struct gw_seals s = {0};
	FILE *err = fmemopen(out, sizeof(out), "w");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_seal one;
		const char *why;

		assert_int_equal(gw_seal_parse_json(bad[i], &one, &why), -EINVAL);
	}
	snprintf(path, sizeof(path), "/tmp/gw-seals-bad-%d.jsonl", (int)getpid());
	FILE *fp = fopen(path, "w");
	fprintf(fp, "\n%s\n", bad[3]);
	fclose(fp);
	assert_int_equal(gw_seals_read_file(path, NULL, &s, err), -EINVAL);
	fclose(err);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(out, ":2: error:"));
	unlink(path);
	gw_seals_free(&s);
}

static void test_compare(void **state)
{
	struct tmp *t = *state;
	struct gw_seals got = {0};
	struct gw_seal_diff diff;

	assert_int_equal(gw_journal_links(t->j, keep, &got), 4);
	gw_seals_sort(&got);
	assert_int_equal(gw_seals_compare(t->j, &got, "gw-1", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.same, 4);
	assert_int_equal(diff.first_day, 0);

	got.v[1].l.digest[0] ^= 1; /* the center holds another digest for 06-21 */
	assert_int_equal(gw_seals_compare(t->j, &got, "gw-1", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.differs, 1);
	assert_int_equal(diff.first_day, 20230621);
	assert_int_equal(diff.first, GW_SEAL_DIFFERS);
	got.v[1].l.digest[0] ^= 1;

	got.v[2] = got.v[3]; /* 06-22 never reached the center, 06-23 did */
	got.n = 3;
	assert_int_equal(gw_seals_compare(t->j, &got, "gw-1", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.missing_center, 1);
	assert_int_equal(diff.first_day, 20230622);

	got.n = 2; /* 06-22 and 06-23 not received yet: not a failure */
	assert_int_equal(gw_seals_compare(t->j, &got, "gw-1", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.not_received, 2);
	assert_int_equal(diff.first_day, 0);

	got.v[1].l.day = 20230619; /* a day the center has and the journal does not */
	gw_seals_sort(&got);
	assert_int_equal(gw_seals_compare(t->j, &got, "gw-1", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.missing_here, 1);
	assert_int_equal(diff.first_day, 20230619);
	assert_int_equal(gw_seals_compare(t->j, &got, "other", false, NULL, NULL, &diff), 0);
	assert_int_equal(diff.not_received, 4);
	gw_seals_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
	        cmocka_unit_test(test_malformed_refused),
	        cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
