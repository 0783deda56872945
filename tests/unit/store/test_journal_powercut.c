/* Power cuts, simulated at the journal's library seam (tests/fakes/fake_powercut_vfs.c, the
 * default SQLite VFS for this test): a writer commits batches of readings, seals days of the
 * evidence chain and a relaxed handle moves a sink's cursor; at a random write/sync the power
 * goes and each file is left as its last sync had it plus a random, partly torn, subset of
 * the writes after. Then, for each of CUTS cut points: the journal opens without recovery,
 * passes PRAGMA integrity_check, holds every row of every commit that had returned 0 (the
 * durability journal.h promises) with its data, and its chain verifies.
 * How it fails when the promise is broken: with synchronous=NORMAL on the writer's handle
 * (journal.c, gw_journal_prepare) a commit returns before its WAL frames are synced and the
 * cut loses it: "cut=315: seq 1 committed before the cut is missing (0 rows, 100 promised)";
 * with synchronous=OFF the same ("cut=1820: seq 1 ... (0 rows, 624 promised)"). A damaged file
 * would fail as "recovered" or "integrity_check: ...". The uncut run prints what the files got
 * (writes, bytes, syncs per commit): the cost of the promise. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "chain.h"
#include "fake_powercut_vfs.h"
#include "journal.h"
#include "log.h"

#define CUTS     200
#define COMMITS  160
#define RESTART  80  /* after this commit the handles close and open again (a restart) */
#define ROWS     4   /* per commit */
#define DATA_LEN 200 /* a reading's size, a few times over */
#define STEP_MS  (3LL * 3600 * 1000) /* a commit every 3 h: a day sealed every 8 commits */
#define T0       1687312800000LL

struct run {
	int64_t promised; /* the last seq of the last commit that returned 0 */
	int commits;
};

static char base[64];

static void data_of(int64_t seq, unsigned char *d)
{
	memset(d, (int)(seq * 7 & 0xff), DATA_LEN);
	memcpy(d, &seq, sizeof(seq));
}

static void remove_files(void)
{
	static const char *const names[] = {"journal.db", "journal.db-wal", "journal.db-shm"};
	char p[128];

	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", base, names[i]);
		unlink(p);
	}
}

/* One commit of ROWS rows, then the days before its day sealed, as the writer does. */
static int one_commit(struct gw_journal *j, int64_t src, int c, struct run *r)
{
	unsigned char d[DATA_LEN];
	int64_t ts = T0 + c * STEP_MS, day;
	int rc = 0;

	for (int k = 0; k < ROWS && rc == 0; k++) {
		data_of(r->promised + k + 1, d);
		rc = gw_journal_append(j, ts + k, src, d, sizeof(d));
	}
	if (rc == 0)
		rc = gw_journal_commit(j);
	if (rc)
		return rc;
	r->promised += ROWS;
	r->commits++;
	gw_journal_day_of(ts, &day);
	return gw_chain_seal(j, day, ts, NULL);
}

static int open_both(struct gw_journal **j, struct gw_journal **rd, int64_t *src)
{
	struct gw_journal_opts ro = {.no_check = true, .relaxed_sync = true};
	int rc;

	*j = gw_journal_open(base, NULL, &rc);
	if (*j)
		rc = gw_journal_source(*j, "sensor-1", src);
	if (rc == 0)
		*rd = gw_journal_open(base, &ro, &rc);
	return rc;
}

/* Runs until the power goes (or COMMITS are done); r says what was promised. The restart
 * midway checkpoints the WAL into the database and deletes it (the last handle's close). */
static void workload(struct run *r)
{
	struct gw_journal *j = NULL, *rd = NULL;
	int64_t src = 0;
	int rc = open_both(&j, &rd, &src);

	memset(r, 0, sizeof(*r));
	for (int c = 0; rc == 0 && c < COMMITS; c++) {
		rc = one_commit(j, src, c, r);
		if (rc == 0 && c % 5 == 4)
			rc = gw_journal_cursor_set(rd, "mqtt", r->promised - ROWS);
		if (rc == 0 && c == RESTART) {
			gw_journal_close(rd);
			gw_journal_close(j);
			rd = j = NULL;
			rc = open_both(&j, &rd, &src);
		}
	}
	gw_journal_close(rd);
	gw_journal_close(j);
}

struct check {
	int64_t next; /* the seq expected next */
	int64_t bad;  /* the first seq whose data differs, 0 for none */
};

static int check_row(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data,
                     size_t len)
{
	struct check *c = user;
	unsigned char d[DATA_LEN];

	(void)ts_ms;
	(void)src;
	data_of(seq, d);
	if (!c->bad && (seq != c->next || len != sizeof(d) || memcmp(data, d, len) != 0))
		c->bad = seq;
	c->next = seq + 1;
	return 0;
}

/* After the cut: opens, is intact, holds what was promised, and its chain verifies. */
static void after_cut(uint64_t cut, const struct run *r)
{
	struct gw_chain_result res;
	struct check c = {.next = 1};
	char why[256] = "";
	int64_t last = 0, cursor = 0;
	int err = 0, n;
	struct gw_journal *j = gw_journal_open(base, NULL, &err);

	if (!j)
		fail_msg("cut=%llu: journal does not open: %s", (unsigned long long)cut,
		         strerror(-err));
	if (gw_journal_recovered(j))
		fail_msg("cut=%llu: the journal was damaged (moved aside, recovered)",
		         (unsigned long long)cut);
	if (gw_journal_integrity(j, why, sizeof(why)))
		fail_msg("cut=%llu: integrity_check: %s", (unsigned long long)cut, why);
	n = gw_journal_fetch(j, 0, (size_t)r->promised + 1000, check_row, &c);
	assert_true(n >= 0);
	if (c.next <= r->promised)
		fail_msg("cut=%llu: seq %lld committed before the cut is missing (%d rows, %lld "
		         "promised)",
		         (unsigned long long)cut, (long long)c.next, n, (long long)r->promised);
	if (c.bad)
		fail_msg("cut=%llu: seq %lld holds other data", (unsigned long long)cut,
		         (long long)c.bad);
	assert_int_equal(gw_journal_last_seq(j, &last), 0);
	assert_int_equal(gw_journal_cursor_get(j, "mqtt", &cursor), 0);
	assert_true(cursor <= last);
	assert_int_equal(gw_chain_verify(j, NULL, NULL, &res), 0);
	if (res.bad)
		fail_msg("cut=%llu: chain fails on %lld: %s", (unsigned long long)cut,
		         (long long)res.first_bad_day, gw_chain_status_name(res.first_bad));
	gw_journal_close(j);
}

static void test_journal_powercut_promised_rows_survive(void **state)
{
	struct fake_pc_stats s;
	struct run r;
	uint64_t total, seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	remove_files();
	fake_pc_arm(0, 1);
	workload(&r);
	total = fake_pc_ops();
	fake_pc_stats(&s);
	assert_int_equal(r.commits, COMMITS);
	print_message("uncut: %d commits, %llu writes, %llu KiB, %llu syncs (%.2f per commit)\n",
	              r.commits, (unsigned long long)s.writes, (unsigned long long)(s.bytes >> 10),
	              (unsigned long long)s.syncs, (double)s.syncs / r.commits);
	for (int k = 0; k < CUTS; k++) {
		uint64_t cut;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		cut = 1 + (seed >> 33) % total;
		remove_files();
		fake_pc_arm(cut, seed | 1);
		gw_log_set_level((enum gw_level)(GW_ERR - 1)); /* the dead machine's errors */
		workload(&r);
		gw_log_set_level(GW_WARN);
		assert_true(fake_pc_dead());
		assert_int_equal(fake_pc_apply(), 0);
		after_cut(cut, &r);
	}
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/dev/shm/gw_powercut_XXXXXX");
	if (!mkdtemp(base) || fake_pc_register())
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	remove_files();
	rmdir(base);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_journal_powercut_promised_rows_survive),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
