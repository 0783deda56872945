/* The journal: schema and reopen, file modes, crash before commit, per-sink cursors, fetch,
 * depth, retention by age and size, recovery from a damaged file, and refusal of a newer
 * schema. Each test works in its own temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "fixture.h"
#include "journal.h"

#define DAY_MS (86400LL * 1000)
#define NOW_MS 1687312800000LL

struct tmp {
	char base[64];
	char dir[96];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t || gw_test_mkdtemp("gw_journal", t->base, sizeof(t->base)))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/j", t->base);
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

static struct gw_journal *open_ok(const struct tmp *t)
{
	int err = 1;
	struct gw_journal *j = gw_journal_open(t->dir, NULL, &err);

	assert_non_null(j);
	assert_int_equal(err, 0);
	return j;
}

/* Appends n rows with source id i and data {"i":<i>} (plus pad bytes), and commits. */
static void fill(struct gw_journal *j, int from, int n, int64_t ts_ms, size_t pad)
{
	char *payload = malloc(pad + 64);

	assert_non_null(payload);
	for (int i = from; i < from + n; i++) {
		int len = snprintf(payload, 64, "{\"i\":%d,\"pad\":\"", i);
		memset(payload + len, 'x', pad);
		strcpy(payload + (size_t)len + pad, "\"}");
		assert_int_equal(gw_journal_append(j, ts_ms, i, payload, strlen(payload)), 0);
	}
	assert_int_equal(gw_journal_commit(j), 0);
	free(payload);
}

struct rows {
	int64_t seq[1024];
	int i[1024];
	int n;
	int stop_at; /* return -ECANCELED at this row (0: never) */
};

static int collect(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data,
                   size_t len)
{
	struct rows *r = user;
	char payload[64] = "";
	int i;

	(void)ts_ms;
	if (r->stop_at && r->n == r->stop_at)
		return -ECANCELED;
	memcpy(payload, data, len < sizeof(payload) - 1 ? len : sizeof(payload) - 1);
	if (sscanf(payload, "{\"i\":%d", &i) != 1)
		return -EBADMSG;
	if (src != i || r->n >= 1024)
		return -EBADMSG;
	r->seq[r->n] = seq;
	r->i[r->n++] = i;
	return 0;
}

static void test_journal_schema_reopen_keeps_data(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	struct rows r = {0};
	int64_t v = 0;

	assert_int_equal(gw_journal_meta_get(j, "schema_version", &v), 0);
	assert_int_equal(v, GW_JOURNAL_SCHEMA_VERSION);
	assert_false(gw_journal_recovered(j));
	fill(j, 0, 3, NOW_MS, 0);
	gw_journal_close(j);
	j = open_ok(t);
	assert_false(gw_journal_recovered(j));
	assert_int_equal(gw_journal_meta_get(j, "schema_version", &v), 0);
	assert_int_equal(v, GW_JOURNAL_SCHEMA_VERSION);
	assert_int_equal(gw_journal_fetch(j, 0, 100, collect, &r), 3);
	for (int k = 0; k < 3; k++)
		assert_int_equal(r.i[k], k);
	assert_int_equal(gw_journal_meta_get(j, "no_such_key", &v), -ENOENT);
	gw_journal_close(j);
	gw_journal_close(NULL);
}

static void assert_mode(const char *dir, const char *name, mode_t want)
{
	char path[160];
	struct stat sb;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, want);
}

/* Modes hold whatever the umask, and a pre-existing world-readable file is tightened. */
static void test_journal_modes_private_ok(void **state)
{
	static const struct {
		mode_t umask;
		bool precreate;
	} cases[] = {{0, false}, {0277, false}, {0022, true}};
	struct tmp *t = *state;

	for (size_t c = 0; c < GW_ARRAY_LEN(cases); c++) {
		char path[160];
		struct gw_journal *j;
		mode_t old;

		snprintf(t->dir, sizeof(t->dir), "%s/j%zu", t->base, c);
		if (cases[c].precreate) {
			assert_int_equal(mkdir(t->dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/journal.db", t->dir);
			close(open(path, O_WRONLY | O_CREAT, 0644));
			assert_int_equal(chmod(path, 0644), 0);
		}
		old = umask(cases[c].umask);
		j = gw_journal_open(t->dir, NULL, NULL);
		assert_non_null(j);
		fill(j, 0, 1, NOW_MS, 0);
		umask(old);
		assert_mode(t->dir, "", 0700);
		assert_mode(t->dir, "/journal.db", 0600);
		assert_mode(t->dir, "/journal.db-wal", 0600);
		gw_journal_close(j);
	}
}

enum crash { CRASH_CLOSE, CRASH_EXIT, CRASH_KILL };

/* Child: commits n rows, appends m more without commit, then ends as told. */
static void crash_child(const struct tmp *t, int n, int m, enum crash how)
{
	struct gw_journal *j = gw_journal_open(t->dir, NULL, NULL);

	if (!j)
		_exit(2);
	for (int i = 0; i < n + m; i++) {
		if (gw_journal_append(j, NOW_MS, 0, "{\"i\":0}", 7) != 0)
			_exit(3);
		if (i == n - 1 && gw_journal_commit(j) != 0)
			_exit(4);
	}
	if (how == CRASH_CLOSE)
		gw_journal_close(j);
	if (how == CRASH_KILL)
		raise(SIGKILL);
	_exit(0);
}

static void test_journal_crash_keeps_committed_only(void **state)
{
	static const enum crash cases[] = {CRASH_CLOSE, CRASH_EXIT, CRASH_KILL};
	struct tmp *t = *state;

	for (size_t c = 0; c < GW_ARRAY_LEN(cases); c++) {
		int n = 5 + (int)c, m = 4, status = 0;
		int64_t before = 0, depth = -1;
		struct gw_journal *j = open_ok(t);
		pid_t pid;

		assert_int_equal(gw_journal_depth(j, "a", &before), 0);
		gw_journal_close(j);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			crash_child(t, n, m, cases[c]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (cases[c] == CRASH_KILL) {
			assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		} else {
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		j = open_ok(t);
		assert_false(gw_journal_recovered(j));
		assert_int_equal(gw_journal_depth(j, "a", &depth), 0);
		assert_int_equal(depth, before + n);
		gw_journal_close(j);
	}
}

static void test_journal_cursors_independent_forward_only(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	int64_t a = -1, b = -1, n = -1;

	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 1), -EINVAL); /* nothing assigned yet */
	fill(j, 0, 5, NOW_MS, 0);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 3), 0);
	assert_int_equal(gw_journal_cursor_set(j, "influx", 1), 0);
	assert_int_equal(gw_journal_cursor_get(j, "mqtt", &a), 0);
	assert_int_equal(gw_journal_cursor_get(j, "influx", &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 1);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 2), -EINVAL);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 6), -EINVAL);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 3), 0);
	assert_int_equal(gw_journal_cursor_get(j, "mqtt", &a), 0);
	assert_int_equal(a, 3);
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(gw_journal_depth(j, "influx", &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(gw_journal_depth(j, "new-sink", &n), 0);
	assert_int_equal(n, 5);
	gw_journal_close(j);
	j = open_ok(t);
	assert_int_equal(gw_journal_cursor_get(j, "influx", &b), 0);
	assert_int_equal(b, 1);
	gw_journal_close(j);
}

static void test_journal_fetch_order_and_max_ok(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	struct rows r = {0};

	fill(j, 0, 10, NOW_MS, 0);
	assert_int_equal(gw_journal_fetch(j, 0, 4, collect, &r), 4);
	assert_int_equal(gw_journal_fetch(j, r.seq[3], 100, collect, &r), 6);
	assert_int_equal(r.n, 10);
	for (int k = 0; k < 10; k++) {
		assert_int_equal(r.i[k], k);
		if (k > 0)
			assert_true(r.seq[k] > r.seq[k - 1]);
	}
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	assert_int_equal(gw_journal_fetch(j, 0, 100, collect, &r), -ECANCELED);
	assert_int_equal(r.n, 2);
	gw_journal_close(j);
}

static void test_journal_prune_age_keeps_undelivered(void **state)
{
	static const char *const sinks[] = {"mqtt", "influx"};
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	struct gw_journal_prune_result res;
	struct rows r = {0};
	int64_t n = -1;

	fill(j, 0, 4, NOW_MS - 10 * DAY_MS, 0);
	fill(j, 4, 2, NOW_MS, 0);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 6), 0);
	assert_int_equal(gw_journal_cursor_set(j, "influx", 2), 0);
	assert_int_equal(gw_journal_prune(j, sinks, 2, 7 * DAY_MS, 0, NOW_MS, &res), 0);
	assert_int_equal(res.deleted_age, 2);
	assert_int_equal(res.dropped_undelivered, 0);
	assert_int_equal(gw_journal_fetch(j, 0, 100, collect, &r), 4);
	assert_int_equal(r.i[0], 2); /* old but influx has not sent it */
	assert_int_equal(gw_journal_depth(j, "influx", &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(gw_journal_counter_get(j, "dropped_undelivered", &n), 0);
	assert_int_equal(n, 0);
	/* Everything delivered and old: all goes, and new rows get new numbers. */
	assert_int_equal(gw_journal_cursor_set(j, "influx", 6), 0);
	assert_int_equal(gw_journal_prune(j, sinks, 2, 1, 0, NOW_MS + 2, &res), 0);
	assert_int_equal(res.deleted_age, 4);
	fill(j, 6, 1, NOW_MS, 0);
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 1);
	gw_journal_close(j);
}

static void test_journal_prune_size_delivered_first(void **state)
{
	static const char *const sinks[] = {"mqtt"};
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	struct gw_journal_prune_result res;
	struct rows r = {0};
	int64_t full, n, counter;

	fill(j, 0, 400, NOW_MS, 1000);
	assert_int_equal(gw_journal_cursor_set(j, "mqtt", 200), 0);
	assert_int_equal(gw_journal_prune(j, sinks, 1, 0, 0, NOW_MS, &res), 0);
	full = res.bytes;
	assert_true(full > 400 * 1000);
	/* A quarter off: delivered rows are enough. */
	assert_int_equal(gw_journal_prune(j, sinks, 1, 0, full * 3 / 4, NOW_MS, &res), 0);
	assert_true(res.deleted_delivered > 50 && res.deleted_delivered < 200);
	assert_int_equal(res.dropped_undelivered, 0);
	assert_true(res.bytes <= full * 3 / 4);
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 200);
	/* Three quarters off: every delivered row, then the oldest undelivered ones. */
	assert_int_equal(gw_journal_prune(j, sinks, 1, 0, full / 4, NOW_MS, &res), 0);
	assert_true(res.dropped_undelivered > 0 && res.dropped_undelivered < 200);
	assert_true(res.bytes <= full / 4);
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 200 - res.dropped_undelivered);
	assert_int_equal(gw_journal_fetch(j, 0, 1000, collect, &r), n);
	assert_int_equal(r.i[0], 200 + res.dropped_undelivered); /* the oldest went first */
	assert_int_equal(gw_journal_counter_get(j, "dropped_undelivered", &counter), 0);
	assert_int_equal(counter, res.dropped_undelivered);
	/* The counter is cumulative and survives a reopen. */
	n = res.dropped_undelivered;
	assert_int_equal(gw_journal_prune(j, sinks, 1, 0, full / 8, NOW_MS, &res), 0);
	assert_true(res.dropped_undelivered > 0);
	gw_journal_close(j);
	j = open_ok(t);
	assert_int_equal(gw_journal_counter_get(j, "dropped_undelivered", &counter), 0);
	assert_int_equal(counter, n + res.dropped_undelivered);
	gw_journal_close(j);
}

static int count_aside(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "journal.db.corrupt-", 19) == 0;
	closedir(d);
	return n;
}

static void test_journal_corrupt_moved_aside_fresh(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	char path[160], junk[16384];
	struct stat sb;
	int64_t n = -1;
	int fd;

	fill(j, 0, 400, NOW_MS, 300);
	gw_journal_close(j);
	snprintf(path, sizeof(path), "%s/journal.db", t->dir);
	assert_int_equal(stat(path, &sb), 0);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), sb.st_size / 2), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(count_aside(t->dir), 0);
	j = open_ok(t);
	assert_true(gw_journal_recovered(j));
	assert_int_equal(count_aside(t->dir), 1);
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 0);
	fill(j, 0, 2, NOW_MS, 0);
	gw_journal_close(j);
	j = open_ok(t);
	assert_false(gw_journal_recovered(j));
	assert_int_equal(gw_journal_depth(j, "mqtt", &n), 0);
	assert_int_equal(n, 2);
	gw_journal_close(j);
}

static void test_journal_future_schema_eproto(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j = open_ok(t);
	char path[160], *before, *after;
	size_t nb, na;
	int err = 0;

	fill(j, 0, 3, NOW_MS, 0);
	assert_int_equal(gw_journal_meta_set(j, "schema_version", GW_JOURNAL_SCHEMA_VERSION + 1),
	                 0);
	gw_journal_close(j);
	snprintf(path, sizeof(path), "%s/journal.db", t->dir);
	before = gw_test_read_file(path, &nb);
	assert_non_null(before);
	assert_null(gw_journal_open(t->dir, NULL, &err));
	assert_int_equal(err, -EPROTO);
	after = gw_test_read_file(path, &na);
	assert_non_null(after);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

/* A second handle in the same process (a sink's) must not drop the first one's locks: if it
 * did, another process closing its connection would checkpoint and delete the WAL that the
 * first handle still writes to, and commits after that would vanish in a crash. */
static void second_handle_child(const struct tmp *t)
{
	struct gw_journal_opts o = {.no_check = true};
	struct gw_journal *a = gw_journal_open(t->dir, NULL, NULL), *b;
	pid_t pid;
	int wst;

	if (!a)
		_exit(2);
	fill(a, 0, 5, NOW_MS, 0);
	b = gw_journal_open(t->dir, &o, NULL);
	if (!b)
		_exit(3);
	for (int round = 0; round < 3; round++) {
		/* another program (not a fork: it would inherit SQLite's view of our locks) */
		pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", "test_journal", "--open-close", t->dir,
			      (char *)NULL);
			_exit(5);
		}
		if (waitpid(pid, &wst, 0) != pid || WEXITSTATUS(wst) != 0)
			_exit(4);
		fill(a, 5 + 5 * round, 5, NOW_MS, 0);
	}
	raise(SIGKILL); /* a crash: no close, no checkpoint */
}

static void test_journal_second_handle_keeps_locks(void **state)
{
	struct tmp *t = *state;
	struct gw_journal *j;
	struct rows r = {0};
	pid_t pid = fork();
	int wst;

	if (pid == 0)
		second_handle_child(t);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFSIGNALED(wst));
	j = open_ok(t);
	assert_int_equal(gw_journal_fetch(j, 0, 1000, collect, &r), 20);
	gw_journal_close(j);
}

/* Another process that opens the journal, reads it and closes it: when it believes it is
 * the last connection, SQLite checkpoints and deletes the WAL on close. */
static int open_close(const char *dir)
{
	struct gw_journal_opts o = {.no_check = true};
	struct gw_journal *c = gw_journal_open(dir, &o, NULL);
	struct rows r = {0};

	if (!c)
		return 1;
	gw_journal_fetch(c, 0, 1000, collect, &r);
	gw_journal_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--open-close") == 0)
		return open_close(argv[2]);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_journal_schema_reopen_keeps_data, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_modes_private_ok, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_crash_keeps_committed_only, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_cursors_independent_forward_only,
	                                        tmp_setup, tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_fetch_order_and_max_ok, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_prune_age_keeps_undelivered, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_prune_size_delivered_first, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_corrupt_moved_aside_fresh, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_second_handle_keeps_locks, tmp_setup,
	                                        tmp_teardown),
	        cmocka_unit_test_setup_teardown(test_journal_future_schema_eproto, tmp_setup,
	                                        tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
