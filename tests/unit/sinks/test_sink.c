/* The shared sink loop (sink.c) with a sink written here: a fake server that acknowledges one
 * row a turn, on a fake clock that moves STEP_MS a turn, over a real journal in a temp dir.
 * - The cursor is written at most every GW_SINK_SAVE_MS and at stop, never past what the
 *   fake acknowledged (fails if save_cursor ignores the interval: every turn saves; or if
 *   finish does not force the save: the journal keeps an older cursor).
 * - The drain ends as soon as the sink is idle, or after drain_ms when it never is (fails
 *   if drained() ignores idle or the drain's end: the turn counts after closing differ).
 * - The upload budget stops the sends once used up, says so in the stats, and logs the
 *   deferral and the resumption once each (fails if gw_sink_budget_allows logs per check
 *   or lets sends through). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "budget.h"
#include "journal.h"
#include "sink.h"

#define ROWS    100
#define STEP_MS 1000 /* fake time per turn */
#define SINK    "fake"

static _Atomic int64_t g_now; /* the fake monotonic clock */

static int64_t fake_clock(void)
{
	return atomic_load(&g_now);
}

/* The fake sink: its script and what it saw. */
struct fake {
	int close_at;       /* closes the bell in this turn (1-based) */
	int64_t ack_upto;   /* acknowledges one row a turn up to this seq */
	bool idle_at_ack;   /* idle once everything acknowledged (else idle at once) */
	bool never_idle;    /* never idle: only drain_ms ends the drain */
	bool uses_budget;   /* a send is one row of 100 bytes, when the budget allows */
	int free_budget_at; /* turn at which the budget's cap is lifted (0: never) */
	struct gw_budget *budget;
	/* observations */
	int turns, turns_closing;
	int64_t acked;
	int64_t stored[64]; /* the journal's cursor at the start of each turn */
	int64_t at_ms[64];  /* the fake time then */
	int deferred_turns;
	int bad_saves; /* a cursor unreadable or past what was acknowledged */
};

static struct fake g_fake;

static int fake_open(struct gw_sink *sk, void **impl)
{
	(void)sk;
	*impl = &g_fake;
	return 0;
}

static void fake_close(void *impl)
{
	(void)impl;
}

static void lift_cap(struct gw_budget *b)
{
	pthread_mutex_lock(&b->mu); /* a new day, as far as the sink can tell */
	b->cap = 0;
	pthread_mutex_unlock(&b->mu);
}

static void fake_turn(void *impl, struct gw_sink *sk, int64_t now, struct gw_sink_wait *w)
{
	struct fake *f = impl;
	int64_t stored = -1;

	/* checked by the test's thread after the join (cmocka asserts only there) */
	if (gw_journal_cursor_get(gw_feed_journal(sk->feed), SINK, &stored) || stored > f->acked)
		f->bad_saves++;
	if (f->turns < 64) {
		f->stored[f->turns] = stored;
		f->at_ms[f->turns] = now;
	}
	f->turns++;
	f->turns_closing += sk->closing;
	if (f->turns == f->free_budget_at)
		lift_cap(f->budget);
	if (f->uses_budget && !gw_sink_budget_allows(sk))
		f->deferred_turns++;
	else if (f->acked < f->ack_upto && !(f->never_idle && sk->closing)) {
		gw_sink_advance(sk, ++f->acked);
		gw_sink_charge(sk, 100);
	}
	if (f->turns == f->close_at)
		gw_bell_close(sk->env.bell);
	atomic_store(&g_now, now + STEP_MS);
	*w = (struct gw_sink_wait){0, 0};
}

static bool fake_idle(void *impl, struct gw_sink *sk)
{
	struct fake *f = impl;

	(void)sk;
	if (f->never_idle)
		return f->turns > 200; /* bounded, should the drain's end be broken */
	return !f->idle_at_ack || f->acked >= f->ack_upto;
}

static bool fake_wanted(const struct gw_config *cfg)
{
	(void)cfg;
	return true;
}

static const struct gw_sink_ops fake_ops = {
        .name = SINK,
        .log_module = "fake",
        .wanted = fake_wanted,
        .reads_rows = true,
        .open = fake_open,
        .close = fake_close,
        .turn = fake_turn,
        .idle = fake_idle,
};

/* A journal of ROWS rows in a temp dir, a bell, and the sink's environment. */
struct rig {
	char base[64];
	struct gw_config cfg;
	struct gw_bell bell;
	struct gw_sink_stats stats;
	struct gw_sink_env env;
};

static int rig_setup(void **state)
{
	struct rig *g = calloc(1, sizeof(*g));
	struct gw_journal *j;
	int err = 0;

	if (!g)
		return -1;
	snprintf(g->base, sizeof(g->base), "/tmp/gw_sink_XXXXXX");
	if (!mkdtemp(g->base))
		return -1;
	snprintf(g->cfg.data_dir, sizeof(g->cfg.data_dir), "%s/j", g->base);
	j = gw_journal_open(g->cfg.data_dir, NULL, &err);
	if (!j)
		return -1;
	for (int i = 0; i < ROWS && !err; i++)
		err = gw_journal_append(j, 1700000000000LL + i, 1, "x", 1);
	err = err ? err : gw_journal_commit(j);
	gw_journal_close(j);
	gw_bell_init(&g->bell);
	gw_bell_ring(&g->bell, ROWS);
	g->stats.name = SINK;
	g->env = (struct gw_sink_env){.cfg = &g->cfg,
	                              .bell = &g->bell,
	                              .stats = &g->stats,
	                              .drain_ms = 60000,
	                              .clock_ms = fake_clock};
	memset(&g_fake, 0, sizeof(g_fake));
	atomic_store(&g_now, 0);
	*state = g;
	return err;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int rig_teardown(void **state)
{
	struct rig *g = *state;

	gw_bell_destroy(&g->bell);
	nftw(g->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(g);
	return 0;
}

/* Runs the fake sink until its thread ends by itself. */
static void run_sink(struct rig *g)
{
	struct gw_sink *sk = NULL;

	assert_int_equal(gw_sink_start(&fake_ops, &g->env, &sk), 0);
	assert_ptr_equal(gw_sink_impl(sk), &g_fake);
	gw_sink_join(sk);
	assert_int_equal(g_fake.bad_saves, 0);
}

static int64_t journal_cursor(struct rig *g)
{
	int64_t c = -1;
	int err = 0;
	struct gw_journal *j = gw_journal_open(g->cfg.data_dir, NULL, &err);

	assert_non_null(j);
	assert_int_equal(gw_journal_cursor_get(j, SINK, &c), 0);
	gw_journal_close(j);
	return c;
}

static void test_sink_cursor_saved_every_save_ms_and_at_stop_ok(void **state)
{
	struct rig *g = *state;
	/* turn k acknowledges seq k and ends at k * STEP_MS: saved after turns 1, 6, 11, 16, 21 */
	static const int64_t want[] = {0,  1,  1,  1,  1,  1,  6,  6,  6,  6,  6, 11,
	                               11, 11, 11, 11, 16, 16, 16, 16, 16, 21, 21};

	g_fake.ack_upto = ROWS;
	g_fake.close_at = 23;
	run_sink(g);
	assert_int_equal(g_fake.turns, 23);
	for (int k = 0; k < 23; k++)
		assert_int_equal(g_fake.stored[k], want[k]);
	assert_int_equal(journal_cursor(g), 23); /* forced at stop, not past the acks */
	assert_int_equal(atomic_load(&g->stats.cursor), 23);
	assert_int_equal(atomic_load(&g->stats.depth), ROWS - 23);
}

static void test_sink_drain_ends_when_idle_ok(void **state)
{
	struct rig *g = *state;

	g_fake.ack_upto = 30;
	g_fake.idle_at_ack = true;
	g_fake.close_at = 20;
	run_sink(g);
	/* 10 rows were still unacknowledged when the bell closed: 10 turns, then idle */
	assert_int_equal(g_fake.turns, 30);
	assert_int_equal(g_fake.turns_closing, 10);
	assert_int_equal(journal_cursor(g), 30);
}

static void test_sink_drain_ends_after_drain_ms_ok(void **state)
{
	struct rig *g = *state;

	g->env.drain_ms = 3 * STEP_MS;
	g_fake.ack_upto = ROWS;
	g_fake.never_idle = true;
	g_fake.close_at = 5;
	run_sink(g);
	/* never idle: turns at close + 0, 1, 2 steps; the drain ends at close + 3 steps */
	assert_int_equal(g_fake.turns_closing, 3);
	assert_int_equal(g_fake.turns, 8);
	assert_int_equal(journal_cursor(g), 5); /* what was acknowledged stays saved */
	assert_int_equal(atomic_load(&g->stats.depth), ROWS - 5);
}

/* Runs with stderr in a temp file; returns the file's text (owned). */
static char *run_logged(struct rig *g)
{
	char path[96], *text;
	int saved = dup(2), fd;
	FILE *in;
	long len;

	snprintf(path, sizeof(path), "%s/log", g->base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	run_sink(g);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	in = fopen(path, "r");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	len = ftell(in);
	rewind(in);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, in), (size_t)len);
	fclose(in);
	return text;
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_sink_budget_defers_sends_logs_once_ok(void **state)
{
	struct rig *g = *state;
	struct gw_budget budget;
	uint64_t used = 0;
	bool exhausted = false;
	char *log;

	gw_budget_init(&budget, 1000); /* ten sends of 100 bytes */
	g->env.budget = &budget;
	g_fake.budget = &budget;
	g_fake.uses_budget = true;
	g_fake.ack_upto = ROWS;
	g_fake.free_budget_at = 30;
	g_fake.close_at = 40;
	log = run_logged(g);
	/* turns 1-10 send, 11-29 are held back, 30-40 send again */
	assert_int_equal(g_fake.deferred_turns, 19);
	assert_int_equal(g_fake.acked, 10 + 11);
	assert_int_equal(count(log, "daily upload budget used up"), 1);
	assert_int_equal(count(log, "upload budget allows sending again"), 1);
	assert_int_equal(atomic_load(&g->stats.deferred), 0);
	gw_budget_get(&budget, &used, &exhausted);
	assert_int_equal(used, 100 * (10 + 11));
	assert_true(exhausted);
	free(log);
	gw_budget_destroy(&budget);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sink_cursor_saved_every_save_ms_and_at_stop_ok,
	                                        rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_sink_drain_ends_when_idle_ok, rig_setup,
	                                        rig_teardown),
	        cmocka_unit_test_setup_teardown(test_sink_drain_ends_after_drain_ms_ok, rig_setup,
	                                        rig_teardown),
	        cmocka_unit_test_setup_teardown(test_sink_budget_defers_sends_logs_once_ok,
	                                        rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
