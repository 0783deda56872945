/* The evidence chain over a temporary journal: days sealed and linked, the digest as
 * README specifies it, every kind of tampering (edit, delete, swap, insert, source text,
 * time stamp, the chain table) detected and the right day named, retention reported as
 * pruned not deleted, late rows, migration of a version 1 journal, the head's JSON and the
 * sealing policy. Days are UTC (the gateway's zone is set). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "array.h"
#include "chain.h"
#include "clock.h"
#include "journal_int.h"
#include "tz.h"

#define DAY_MS  (86400LL * 1000)
#define DAY0_MS 1687255200000LL /* 2023-06-20T10:00:00Z */
#define DAY0    20230620
#define PER_DAY 5

struct tmp {
	char base[64];
	char dir[96];
	struct gw_journal *j;
	int64_t src[2];
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct gw_journal *open_ok(const struct tmp *t)
{
	int err = 1;
	struct gw_journal *j = gw_journal_open(t->dir, NULL, &err);

	assert_non_null(j);
	assert_int_equal(err, 0);
	return j;
}

/* Appends n rows of day d (0-based from DAY0), minute m0 on, and commits; with a sealer, as
 * delivery does (late rows counted). */
static void add_rows_as(struct tmp *t, struct gw_chain_sealer *s, int d, int m0, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t data[3] = {(uint8_t)d, (uint8_t)(m0 + i), 0x5a};
		int64_t ts = DAY0_MS + d * DAY_MS + (m0 + i) * 60000LL;

		assert_int_equal(gw_journal_append(t->j, ts, t->src[i % 2], data, sizeof(data)), 0);
		if (s)
			assert_int_equal(gw_chain_note_row(s, t->j, ts), 0);
	}
	assert_int_equal(gw_journal_commit(t->j), 0);
}

static void add_rows(struct tmp *t, int d, int m0, int n)
{
	add_rows_as(t, NULL, d, m0, n);
}

/* A journal with 3 days of PER_DAY rows (seq 1-5, 6-10, 11-15), sealed. */
static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	int n = -1;

	if (!t)
		return -1;
	assert_int_equal(gw_tz_use("UTC"), 0); /* the gateway's zone, not the process TZ */
	snprintf(t->base, sizeof(t->base), "/tmp/gw_chain_XXXXXX");
	if (!mkdtemp(t->base))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/j", t->base);
	t->j = open_ok(t);
	assert_int_equal(gw_journal_source(t->j, "sensor\tsoil-1\n", &t->src[0]), 0);
	assert_int_equal(gw_journal_source(t->j, "sensor\tsoil-2\n", &t->src[1]), 0);
	for (int d = 0; d < 3; d++)
		add_rows(t, d, 0, PER_DAY);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 3, 1, &n), 0);
	assert_int_equal(n, 3);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;

	gw_journal_close(t->j);
	nftw(t->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static struct gw_chain_result verify(struct tmp *t)
{
	struct gw_chain_result r;

	assert_int_equal(gw_chain_verify(t->j, NULL, NULL, &r), 0);
	return r;
}

static int keep(void *user, const struct gw_journal_link *l)
{
	struct gw_journal_link *out = user;

	out[l->day - DAY0] = *l;
	return 0;
}

static void test_chain_seal_days_linked_ok(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_link l[3], head;
	uint8_t zero[32] = {0};
	struct gw_chain_result r;
	int n = -1;

	assert_int_equal(gw_journal_links(t->j, keep, l), 3);
	assert_memory_equal(l[0].prev, zero, 32);
	for (int d = 0; d < 3; d++) {
		assert_int_equal(l[d].first_seq, d * PER_DAY + 1);
		assert_int_equal(l[d].last_seq, (d + 1) * PER_DAY);
		assert_int_equal(l[d].readings, PER_DAY);
		if (d)
			assert_memory_equal(l[d].prev, l[d - 1].digest, 32);
	}
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 3, 2, &n), 0);
	assert_int_equal(n, 0); /* sealing again seals nothing */
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 2);
	r = verify(t);
	assert_int_equal(r.days, 3);
	assert_int_equal(r.ok, 3);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.open_readings, 0);
}

static void be(struct gw_sha256 *c, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		gw_sha256_update(c, &b, 1);
	}
}

/* The digest of the first day, byte by byte as README specifies it. */
static void test_chain_digest_as_specified(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_link l[3];
	struct gw_sha256 c;
	uint8_t zero[32] = {0}, out[32];
	const char *desc[2] = {"sensor\tsoil-1\n", "sensor\tsoil-2\n"};

	assert_int_equal(gw_journal_links(t->j, keep, l), 3);
	gw_sha256_init(&c);
	gw_sha256_update(&c, zero, 32);
	be(&c, DAY0, 8);
	for (int i = 0; i < PER_DAY; i++) {
		uint8_t data[3] = {0, (uint8_t)i, 0x5a};

		be(&c, (uint64_t)i + 1, 8);
		be(&c, (uint64_t)(DAY0_MS + i * 60000LL), 8);
		be(&c, DAY0, 8);
		be(&c, strlen(desc[i % 2]), 4);
		gw_sha256_update(&c, desc[i % 2], strlen(desc[i % 2]));
		be(&c, 3, 4);
		gw_sha256_update(&c, data, 3);
	}
	gw_sha256_final(&c, out);
	assert_int_equal(l[0].version, 2);
	assert_memory_equal(out, l[0].rows, 32);
	/* version 2: the day digest over the parts */
	gw_sha256_init(&c);
	gw_sha256_update(&c, "fieldgate-day-2", 15);
	gw_sha256_update(&c, l[0].rows, 32);
	gw_sha256_update(&c, l[0].content, 32);
	be(&c, (uint64_t)l[0].content_n, 8);
	gw_sha256_update(&c, l[0].rules, 32);
	gw_sha256_final(&c, out);
	assert_memory_equal(out, l[0].digest, 32);
	assert_memory_equal(l[0].rules, zero, 32); /* no rules recorded */
}

struct tamper {
	const char *what;
	const char *sql;
	int64_t day; /* first bad day */
	enum gw_chain_status status;
};

static const struct tamper cases[] = {
        {"edit data", "UPDATE readings SET data = x'01025b' WHERE seq = 7", DAY0 + 1,
         GW_CHAIN_EDITED},
        {"edit time", "UPDATE readings SET ts_ms = ts_ms + 1 WHERE seq = 12", DAY0 + 2,
         GW_CHAIN_EDITED},
        {"edit day", "UPDATE readings SET day = day + 1 WHERE seq = 2", DAY0, GW_CHAIN_EDITED},
        {"delete", "DELETE FROM readings WHERE seq = 8", DAY0 + 1, GW_CHAIN_DELETED},
        {"delete a whole day", "DELETE FROM readings WHERE day = 20230621", DAY0 + 1,
         GW_CHAIN_DELETED},
        {"swap two",
         "UPDATE readings SET data = CASE seq WHEN 6 THEN (SELECT data FROM readings WHERE"
         " seq = 7) ELSE (SELECT data FROM readings WHERE seq = 6) END WHERE seq IN (6, 7)",
         DAY0 + 1, GW_CHAIN_EDITED},
        {"reorder by seq",
         "UPDATE readings SET seq = -seq WHERE seq IN (12, 13);"
         "UPDATE readings SET seq = CASE seq WHEN -12 THEN 13 ELSE 12 END WHERE seq < 0",
         DAY0 + 2, GW_CHAIN_EDITED},
        {"insert one dated a sealed day",
         "INSERT INTO readings(ts_ms, day, src, data) VALUES(1687341780000, 20230621, 1,"
         " x'01035a')",
         DAY0 + 1, GW_CHAIN_INSERTED},
        {"insert one, renumbering the rows after it",
         "UPDATE readings SET seq = seq + 1000 WHERE seq > 7;"
         "UPDATE readings SET seq = seq - 999 WHERE seq > 1000;"
         "INSERT INTO readings(seq, ts_ms, day, src, data)"
         " VALUES(8, 1687341780000, 20230621, 1, x'01035a')",
         DAY0 + 1, GW_CHAIN_EDITED},
        {"insert before the first",
         "INSERT INTO readings(seq, ts_ms, day, src, data)"
         " VALUES(0, 1687255140000, 20230620, 1, x'00ff5a')",
         DAY0, GW_CHAIN_INSERTED},
        {"source text", "UPDATE sources SET desc = 'sensor\tsoil-9\n' WHERE id = 2", DAY0,
         GW_CHAIN_EDITED},
        {"chain digest", "UPDATE chain SET digest = zeroblob(32) WHERE day = 20230621", DAY0 + 1,
         GW_CHAIN_EDITED},
        {"chain row deleted", "DELETE FROM chain WHERE day = 20230621", DAY0 + 2,
         GW_CHAIN_RELINKED},
};

static void test_chain_tampering_detected_day_named(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		void *st = NULL;
		struct tmp *t;
		struct gw_chain_result r;

		assert_int_equal(setup(&st), 0);
		t = st;
		print_message("case: %s\n", cases[i].what);
		assert_int_equal(gw_journal_exec(t->j, cases[i].sql), 0);
		r = verify(t);
		assert_true(r.bad >= 1);
		assert_int_equal(r.first_bad_day, cases[i].day);
		assert_int_equal(r.first_bad, cases[i].status);
		teardown(&st);
	}
}

/* Retention: a day whose rows are gone is pruned (its digest stands), one cut in the middle
 * is partly pruned; neither fails. A row deleted above what retention removed still does. */
static void test_chain_pruned_days_not_deleted(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_prune_result pr;
	struct gw_chain_result r;
	int64_t now = DAY0_MS + 400 * DAY_MS;

	/* no sinks: everything counts as delivered; rows older than day 1 minute 2 go */
	assert_int_equal(
	        gw_journal_prune(t->j, NULL, 0, now - (DAY0_MS + DAY_MS + 2 * 60000), 0, now, &pr),
	        0);
	assert_int_equal(pr.deleted_age, PER_DAY + 2);
	r = verify(t);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.pruned, 2);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.head.day, DAY0 + 2);
	assert_int_equal(gw_journal_exec(t->j, "DELETE FROM readings WHERE seq = 14"), 0);
	r = verify(t);
	assert_int_equal(r.first_bad_day, DAY0 + 2);
	assert_int_equal(r.first_bad, GW_CHAIN_DELETED);
}

/* A reading of a day already sealed (it came late) is covered by the next day sealed; one
 * the gateway did not commit is not. */
static void test_chain_late_row_next_day_ok(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_link l[5];
	struct gw_chain_result r;
	struct gw_chain_sealer s;
	int n;

	gw_chain_sealer_init(&s);
	add_rows_as(t, &s, 3, 0, 2);
	add_rows_as(t, &s, 2, 59, 1); /* day 2, after day 3 began */
	r = verify(t);
	assert_int_equal(r.bad, 0);
	add_rows_as(t, &s, 3, 2, 2);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 3, 3, &n), 0);
	assert_int_equal(n, 0); /* day 2 is sealed already; day 3 is not over */
	add_rows(t, 4, 0, 1);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 4, 3, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gw_journal_links(t->j, keep, l), 4);
	assert_int_equal(l[3].first_seq, 16);
	assert_int_equal(l[3].last_seq, 20);
	assert_int_equal(l[3].readings, 5);
	assert_int_equal(l[3].late, 1);
	r = verify(t);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.open_readings, 1);
	/* a row dated day 1 slipped in, then sealed with day 4: named by the day it claims */
	add_rows(t, 1, 30, 1);
	add_rows(t, 5, 0, 1);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 5, 3, &n), 0);
	r = verify(t);
	assert_int_equal(r.first_bad, GW_CHAIN_INSERTED);
	assert_int_equal(r.first_bad_day, DAY0 + 1);
}

/* Rows whose days go back and forth (a clock set back): a day's range ends at its last row,
 * so a later day whose rows all came before that is folded into it. */
static void test_chain_days_out_of_order_fold(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_link l[8];
	struct gw_chain_result r;
	int n;

	add_rows(t, 3, 0, 1);
	add_rows(t, 5, 0, 1);
	add_rows(t, 4, 0, 1);
	add_rows(t, 3, 1, 1);
	add_rows(t, 6, 0, 1);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 6, 5, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gw_journal_links(t->j, keep, l), 4);
	assert_int_equal(l[3].first_seq, 16);
	assert_int_equal(l[3].last_seq, 19);
	r = verify(t);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.open_readings, 1);
}

struct racer {
	struct tmp t; /* the daemon's handle in t.j */
	struct gw_chain_sealer s;
};

/* While verify reads the last sealed day, the daemon seals the next one (taking its late
 * row out of the open part and resetting the late count). */
static void seal_meanwhile(void *user, const struct gw_chain_day *d)
{
	struct racer *r = user;

	if (d->link->day != DAY0 + 2)
		return;
	add_rows_as(&r->t, &r->s, 4, 0, 1);
	gw_chain_committed(&r->s, r->t.j, DAY0_MS + 4 * DAY_MS);
}

/* verify sees one state of the journal while the daemon goes on writing and sealing. */
static void test_chain_verify_one_snapshot(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_opts jo = {.no_check = true};
	struct racer r = {.t = *t};
	struct gw_journal_link head;
	struct gw_chain_result res;

	r.t.j = gw_journal_open(t->dir, &jo, NULL);
	assert_non_null(r.t.j);
	gw_chain_sealer_init(&r.s);
	add_rows_as(&r.t, &r.s, 3, 0, 2);
	gw_chain_committed(&r.s, r.t.j, DAY0_MS + 3 * DAY_MS);
	add_rows_as(&r.t, &r.s, 2, 59, 1); /* late */
	assert_int_equal(gw_chain_verify(t->j, seal_meanwhile, &r, &res), 0);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.open_readings, 3);
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 3);
	res = verify(t);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.open_readings, 1);
	gw_journal_close(r.t.j);
}

/* A version 1 journal (no chain table) migrates in place and keeps its rows. */
static void test_chain_migrate_v1_keeps_rows(void **state)
{
	struct tmp *t = *state;
	struct gw_chain_result r;
	int64_t v = 0, n = 0;
	int sealed;

	assert_int_equal(gw_journal_exec(t->j,
	                                 "DROP TABLE chain;"
	                                 " UPDATE meta SET value = 1 WHERE key = 'schema_version'"),
	                 0);
	gw_journal_close(t->j);
	t->j = open_ok(t);
	assert_int_equal(gw_journal_meta_get(t->j, "schema_version", &v), 0);
	assert_int_equal(v, GW_JOURNAL_SCHEMA_VERSION);
	assert_int_equal(gw_journal_count_after(t->j, 0, &n), 0);
	assert_int_equal(n, 3 * PER_DAY);
	r = verify(t);
	assert_int_equal(r.days, 0);
	assert_int_equal(r.open_readings, 3 * PER_DAY);
	assert_int_equal(gw_chain_seal(t->j, DAY0 + 3, 4, &sealed), 0);
	assert_int_equal(sealed, 3);
	r = verify(t);
	assert_int_equal(r.ok, 3);
}

static void test_chain_head_json_ok(void **state)
{
	struct tmp *t = *state;
	struct gw_journal_link head;
	char buf[1024], hex[65], want[600];

	assert_int_equal(gw_chain_head(t->j, &head), 0);
	gw_hex(head.digest, 32, hex);
	assert_true(gw_chain_head_json(&head, "gw\"1", buf, sizeof(buf)) > 0);
	assert_non_null(
	        strstr(buf, "{\"version\":2,\"gateway\":\"gw\\\"1\",\"day\":\"2023-06-22\","));
	snprintf(want, sizeof(want), "\"digest\":\"%s\",\"readings\":5,", hex);
	assert_non_null(strstr(buf, want));
	gw_hex(head.content, 32, hex);
	snprintf(want, sizeof(want), "\"content\":\"%s\",\"content_readings\":%lld,", hex,
	         (long long)head.content_n);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "\"first_seq\":11,\"last_seq\":15,\"sealed_ms\":"));
	assert_int_equal(gw_chain_head_json(&head, "gw", buf, 40), -ENOSPC);
	assert_int_equal(gw_chain_head_text(t->dir, buf, sizeof(buf)), 0);
	gw_hex(head.digest, 32, hex);
	snprintf(want, sizeof(want), "2023-06-22 %s (5 readings)", hex);
	assert_string_equal(buf, want);
	assert_int_equal(gw_chain_head_text(t->base, buf, sizeof(buf)), -ENOENT);
}

/* Delivery's policy: the first reading of a later day seals the days before it. */
static void test_chain_sealer_seals_on_later_day(void **state)
{
	struct tmp *t = *state;
	struct gw_chain_sealer s;
	struct gw_journal_link head;

	gw_chain_sealer_init(&s);
	add_rows(t, 3, 0, 2);
	gw_chain_committed(&s, t->j, DAY0_MS + 3 * DAY_MS + 60000);
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 2);
	add_rows(t, 4, 0, 1);
	gw_chain_committed(&s, t->j, DAY0_MS + 4 * DAY_MS);
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 3);
	assert_int_equal(head.readings, 2);
	gw_chain_tick(&s, t->j); /* not idle long enough: nothing */
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 3);
	/* nothing committed for GW_CHAIN_IDLE_MS and local midnight (today's) long past */
	s.last_commit = gw_clock_mono_ms() - GW_CHAIN_IDLE_MS - 1;
	s.next_check = 0;
	gw_chain_tick(&s, t->j);
	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_int_equal(head.day, DAY0 + 4);
	assert_int_equal(head.readings, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_chain_seal_days_linked_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_digest_as_specified, setup, teardown),
	        cmocka_unit_test(test_chain_tampering_detected_day_named),
	        cmocka_unit_test_setup_teardown(test_chain_pruned_days_not_deleted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_chain_late_row_next_day_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_days_out_of_order_fold, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_verify_one_snapshot, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_migrate_v1_keeps_rows, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_head_json_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_sealer_seals_on_later_day, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
