/* The journal losing its file while open (journal.h, "Losing the file"): deleted, replaced by
 * another file or a directory, made read-only. The writer's handle finds it
 * (gw_journal_check_path), starts a fresh journal that carries on (gw_journal_reopen), a
 * second handle (as a sink's feed has) follows by itself, and the chain verifies with the lost
 * days "restarted". How these fail without the fix: with no check the path is never compared
 * with the open file (the check_path asserts fail); with no reopen the rows appended after the
 * unlink go into the deleted inode and the journal opened afterwards has none of them
 * (test_journal_lost_deleted_fresh_carries_on: rows_in() == 3 fails); with no follow the
 * second handle keeps reading the lost file and never sees seq 6..8; with no sequence carried
 * the fresh rows restart at seq 1 and the second handle (after seq 5) skips them; with no
 * lost_seq the carried head verifies as "deleted". Not testable here: a file system going
 * read-only (-EROFS needs a mount), and a reopen that fails (as root nothing blocks it). */
#include <errno.h>
#include <glob.h>
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

#include "chain.h"
#include "fixture.h"
#include "journal.h"
#include "journal_rules.h"

#define DAY_MS (86400LL * 1000)
#define T0     1687312800000LL /* 2023-06-21 10:00 +08:00 */

struct tmp {
	char base[64];
	char dir[96];
	char path[128];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t || gw_test_mkdtemp("gw_jlost", t->base, sizeof(t->base)))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/j", t->base);
	snprintf(t->path, sizeof(t->path), "%s/journal.db", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	gw_test_rmtree(t->base);
	free(t);
	return 0;
}

static struct gw_journal *open_j(const struct tmp *t, bool reader)
{
	struct gw_journal_opts o = {.no_check = reader, .relaxed_sync = reader};
	int err = 1;
	struct gw_journal *j = gw_journal_open(t->dir, &o, &err);

	assert_non_null(j);
	assert_int_equal(err, 0);
	return j;
}

/* n rows of source src at ts_ms, committed. */
static void put(struct gw_journal *j, int64_t src, int n, int64_t ts_ms)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(gw_journal_append(j, ts_ms + i, src, "row", 3), 0);
	assert_int_equal(gw_journal_commit(j), 0);
}

static int count_row(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data,
                     size_t len)
{
	(void)seq;
	(void)ts_ms;
	(void)src;
	(void)data;
	(void)len;
	++*(int *)user;
	return 0;
}

/* Rows with seq > after as one handle sees them. */
static int rows_after(struct gw_journal *j, int64_t after)
{
	int n = 0;

	assert_true(gw_journal_fetch(j, after, 1000, count_row, &n) >= 0);
	return n;
}

static int64_t day_of(int64_t ms)
{
	int64_t d;

	assert_int_equal(gw_journal_day_of(ms, &d), 0);
	return d;
}

/* How many names match pattern (the files moved aside). */
static size_t matches(const char *pattern)
{
	glob_t g;
	size_t n = glob(pattern, 0, NULL, &g) == 0 ? g.gl_pathc : 0;

	globfree(&g);
	return n;
}

/* A journal with source "s1" (its id in *src), the rules "r1" in force from day 1, 5 rows on
 * day 1 (sealed) and the reader r at its end. */
static struct gw_journal *start(const struct tmp *t, struct gw_journal **r, int64_t *src)
{
	struct gw_journal *j = open_j(t, false);
	bool changed;

	assert_int_equal(gw_journal_source(j, "s1", src), 0);
	assert_int_equal(gw_journal_rules_put(j, day_of(T0), T0, "r1", &changed), 0);
	assert_true(changed);
	put(j, *src, 5, T0);
	assert_int_equal(gw_chain_seal(j, day_of(T0 + DAY_MS), T0 + DAY_MS, NULL), 0);
	*r = open_j(t, true);
	assert_int_equal(rows_after(*r, 0), 5);
	assert_int_equal(gw_journal_cursor_set(*r, "mqtt", 3), 0);
	return j;
}

static int rules_text(void *user, int64_t day, const char *text, size_t len)
{
	(void)day;
	snprintf(user, 16, "%.*s", (int)len, text);
	return 0;
}

/* After the loss and reopen: the writer goes on at seq 6, the reader follows, and the journal
 * as a restart finds it holds the fresh rows, the source, the rules in force (without them
 * the fresh journal's days would be judged by today's config), the carried head and
 * lost_seq. */
static void carries_on(const struct tmp *t, struct gw_journal *j, struct gw_journal *r, int64_t src)
{
	struct gw_chain_result res;
	char text[16];
	int64_t v;

	assert_int_equal(gw_journal_check_path(j), 0);
	put(j, src, 3, T0 + DAY_MS);
	assert_int_equal(gw_journal_last_seq(j, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(rows_after(r, 5), 3); /* followed, and its place (seq 5) still holds */
	assert_int_equal(gw_journal_cursor_set(r, "mqtt", 7), 0);
	gw_journal_close(r);
	gw_journal_close(j);

	j = open_j(t, false);
	assert_int_equal(rows_after(j, 0), 3);
	assert_int_equal(gw_journal_source_get(j, src, text, sizeof(text)), 0);
	assert_string_equal(text, "s1");
	text[0] = '\0';
	assert_int_equal(gw_journal_rules_each(j, rules_text, text), 1);
	assert_string_equal(text, "r1");
	assert_int_equal(gw_journal_cursor_get(j, "mqtt", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(gw_journal_meta_get(j, "lost_seq", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(gw_journal_counter_get(j, "journal_restarts", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(gw_chain_seal(j, day_of(T0 + 2 * DAY_MS), T0 + 2 * DAY_MS, NULL), 0);
	assert_int_equal(gw_chain_verify(j, NULL, NULL, &res), 0);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.days, 2); /* the carried day 1 (restarted) and day 2 (ok) */
	assert_int_equal(res.ok, 1);
	assert_true(res.restarted_ms > 0);
	assert_int_equal(res.lost_seq, 5);
	gw_journal_close(j);
}

static void test_journal_lost_deleted_fresh_carries_on(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *r, *j;
	char pat[160];
	int64_t src;

	j = start(t, &r, &src);
	assert_int_equal(gw_journal_check_path(j), 0);
	assert_int_equal(unlink(t->path), 0);
	assert_int_equal(gw_journal_check_path(j), -ENOENT);
	assert_int_equal(gw_journal_reopen(j), 0);
	snprintf(pat, sizeof(pat), "%s.lost-*-wal", t->path);
	assert_int_equal(matches(pat), 1); /* the lost file's WAL, out of the fresh one's way */
	carries_on(t, j, r, src);
}

static void test_journal_lost_replaced_by_file_moved_aside(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *r, *j;
	char other[160], pat[160];
	FILE *f;
	int64_t src;

	j = start(t, &r, &src);
	snprintf(other, sizeof(other), "%s/other", t->dir);
	f = fopen(other, "w");
	assert_non_null(f);
	fputs("not a journal\n", f);
	fclose(f);
	assert_int_equal(rename(other, t->path), 0);
	assert_int_equal(gw_journal_check_path(j), -ESTALE);
	assert_int_equal(gw_journal_reopen(j), 0);
	snprintf(pat, sizeof(pat), "%s.lost-*[0-9]", t->path);
	assert_int_equal(matches(pat), 1); /* the other file, kept */
	carries_on(t, j, r, src);
}

static void test_journal_lost_replaced_by_dir_moved_aside(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *r, *j;
	int64_t src;

	j = start(t, &r, &src);
	assert_int_equal(unlink(t->path), 0);
	assert_int_equal(mkdir(t->path, 0700), 0);
	assert_int_equal(gw_journal_check_path(j), -ESTALE);
	assert_int_equal(gw_journal_reopen(j), 0);
	carries_on(t, j, r, src);
}

/* As root the mode blocks nothing, so the finding is the mode itself. */
static void test_journal_lost_read_only_mode_restored(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_j(t, false);
	struct stat st;

	assert_int_equal(chmod(t->path, 0400), 0);
	assert_int_equal(gw_journal_check_path(j), -EACCES);
	assert_int_equal(gw_journal_reopen(j), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(gw_journal_check_path(j), 0);
	gw_journal_close(j);
}

/* Twice in a row: the second fresh journal carries the first one's carried head on. */
static void test_journal_lost_twice_chain_still_verifies(void **state)
{
	struct tmp *t = *state;
	struct gw_chain_result res;
	struct gw_journal *r, *j;
	char pat[160];
	int64_t src, v;

	j = start(t, &r, &src);
	gw_journal_close(r);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(unlink(t->path), 0);
		assert_int_equal(gw_journal_check_path(j), -ENOENT);
		assert_int_equal(gw_journal_reopen(j), 0);
		put(j, src, 2, T0 + (k + 1) * DAY_MS);
	}
	assert_int_equal(gw_chain_seal(j, day_of(T0 + 3 * DAY_MS), T0 + 3 * DAY_MS, NULL), 0);
	assert_int_equal(gw_chain_verify(j, NULL, NULL, &res), 0);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.lost_seq, 7);
	assert_int_equal(gw_journal_counter_get(j, "journal_restarts", &v), 0);
	assert_int_equal(v, 2);
	snprintf(pat, sizeof(pat), "%s.lost-*-wal", t->path);
	assert_int_equal(matches(pat), 2); /* the second did not overwrite the first */
	gw_journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_journal_lost_deleted_fresh_carries_on,
	                                        tmp_setup, tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_lost_replaced_by_file_moved_aside,
	                                        tmp_setup, tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_lost_replaced_by_dir_moved_aside,
	                                        tmp_setup, tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_lost_read_only_mode_restored,
	                                        tmp_setup, tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_lost_twice_chain_still_verifies,
	                                        tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
