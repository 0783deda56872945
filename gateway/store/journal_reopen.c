/* A journal lost while open (deleted, replaced, made unwritable): finding it out, starting a
 * fresh one that carries on from the lost one (the other handles follow by themselves:
 * gw_journal_follow below). See journal.h ("Losing the file"). SQL through journal_int.h
 * only. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "journal_int.h"
#include "log.h"

int gw_journal_check_path(struct gw_journal *j)
{
	int rc = gw_journal_path_writable(j->path);

	if (gw_journal_moved(j))
		return rc == -ENOENT ? -ENOENT : -ESTALE;
	return rc == -ENOENT ? -ESTALE : rc; /* gone since the moved check: replaced */
}

/* What a fresh journal takes over from the lost one. */
struct carry {
	int64_t last_seq, restarts;
	struct gw_journal_link head;
	bool has_head;
};

static int carry_read(struct gw_journal *j, struct carry *c)
{
	int rc = gw_journal_last_seq(j, &c->last_seq);

	if (rc == 0)
		rc = gw_journal_counter_get(j, "journal_restarts", &c->restarts);
	if (rc == 0)
		rc = gw_journal_link_last(j, &c->head);
	c->has_head = rc == 0;
	return rc == -ENOENT ? 0 : rc;
}

static int copy_source(void *user, const struct gw_journal_val *c, int nc)
{
	struct gw_journal_val b[] = {{.i = c[0].i}, {.p = c[1].p, .len = c[1].len, .text = true}};
	int rc;

	(void)nc;
	if (!c[1].p)
		return 0;
	rc = gw_journal_stmt(user, "INSERT INTO sources(id, desc) VALUES(?1, ?2)", b, 2, NULL,
	                     NULL);
	return rc < 0 ? rc : 0;
}

static int copy_rules(void *user, const struct gw_journal_val *c, int nc)
{
	struct gw_journal_val b[] = {{.i = c[0].i}, {.i = c[1].i}, {.p = c[2].p, .len = c[2].len}};
	int rc;

	(void)nc;
	if (!c[2].p)
		return 0;
	rc = gw_journal_stmt(user, "INSERT INTO rules(day, since_ms, text) VALUES(?1, ?2, ?3)", b,
	                     3, NULL, NULL);
	return rc < 0 ? rc : 0;
}

/* In one transaction on the fresh journal n: the sources and the rules in force (so the
 * fresh journal's days are judged as the lost one's were), the sequence, the chain head. */
static int carry_write(struct gw_journal *old, struct gw_journal *n, const struct carry *c)
{
	bool own;
	int rc = gw_journal_tx_begin(n, &own);

	if (rc)
		return rc;
	rc = gw_journal_stmt(old, "SELECT id, desc FROM sources ORDER BY id", NULL, 0, copy_source,
	                     n);
	rc = rc < 0 ? rc : 0;
	if (rc == 0)
		rc = gw_journal_stmt(old, "SELECT day, since_ms, text FROM rules ORDER BY day",
		                     NULL, 0, copy_rules, n);
	rc = rc < 0 ? rc : 0;
	if (rc == 0 && c->last_seq > 0)
		rc = gw_journal_query(
		        n, "INSERT INTO sqlite_sequence(name, seq) VALUES('readings', ?)", NULL,
		        c->last_seq, NULL);
	if (rc == 0 && c->has_head)
		rc = gw_journal_link_add(n, &c->head);
	if (rc == 0)
		rc = gw_journal_meta_set(n, "lost_seq", c->last_seq);
	if (rc == 0)
		rc = gw_journal_meta_set(n, "restarted_ms", gw_clock_wall_ms());
	if (rc == 0)
		rc = gw_journal_counter_add(n, "journal_restarts", c->restarts + 1);
	return gw_journal_tx_end(n, own, rc);
}

/* Deleted or replaced: a fresh journal at the path, j moved onto it. */
static int start_fresh(struct gw_journal *j)
{
	struct carry c = {0};
	struct gw_journal *n;
	char aside[4096];
	int rc = carry_read(j, &c);

	if (rc)
		return rc;
	/* the lost journal's -wal and -shm are still at the path: a fresh journal.db opened
	 * next to them would take them for its own */
	rc = gw_journal_move_aside(j->path, "lost", aside, sizeof(aside));
	if (rc) {
		gw_log(GW_ERR, MOD, "path=%s cannot move the lost journal's files aside: %s",
		       j->path, strerror(-rc));
		return rc;
	}
	n = gw_journal_handle_like(j);
	if (!n)
		return -ENOMEM;
	rc = gw_journal_attach(n, true);
	if (rc == 0)
		rc = carry_write(j, n, &c);
	if (rc == 0)
		gw_journal_swap_db(j, n);
	gw_journal_detach(n, true); /* the old connection, or the failed fresh one */
	free(n);
	if (rc) {
		gw_log(GW_ERR, MOD, "path=%s cannot start a fresh journal: %s", j->path,
		       strerror(-rc));
		return rc;
	}
	j->gen = gw_journal_gen_next();
	gw_log(GW_NOTICE, MOD,
	       "path=%s fresh journal started; what was at the path is %s[-wal|-shm]; seqs go on "
	       "after lost_seq=%lld; chain goes on from head day=%lld (0: none sealed)",
	       j->path, aside, (long long)c.last_seq, (long long)(c.has_head ? c.head.day : 0));
	return 0;
}

int gw_journal_reopen(struct gw_journal *j)
{
	if (j->in_tx || !gw_journal_autocommit(j))
		return -EBUSY;
	if (!gw_journal_moved(j))
		return gw_journal_create_file(j->path, false); /* the mode back to 0600 */
	return start_fresh(j);
}

/* Bumped once a fresh journal is ready; handles compare it with theirs (one atomic load per
 * query) before looking at the file system. */
static atomic_uint_fast64_t generation;

uint64_t gw_journal_gen(void)
{
	return (uint64_t)atomic_load(&generation);
}

uint64_t gw_journal_gen_next(void)
{
	return (uint64_t)atomic_fetch_add(&generation, 1) + 1;
}

struct gw_journal *gw_journal_handle_like(const struct gw_journal *j)
{
	struct gw_journal *n = calloc(1, sizeof(*n));

	if (n) {
		memcpy(n->path, j->path, sizeof(n->path));
		n->o = j->o;
		n->gen = gw_journal_gen();
	}
	return n;
}

void gw_journal_follow(struct gw_journal *j)
{
	uint64_t gen = gw_journal_gen();
	struct gw_journal *n;
	int rc;

	if (j->gen == gen || j->in_tx || !gw_journal_autocommit(j))
		return;
	if (!gw_journal_moved(j)) {
		j->gen = gen; /* another directory's journal, or not ready: ours is still here */
		return;
	}
	n = gw_journal_handle_like(j);
	if (!n)
		return;
	rc = gw_journal_attach(n, false);
	if (rc == 0)
		gw_journal_swap_db(j, n);
	gw_journal_detach(n, true);
	free(n);
	if (rc)
		return; /* the fresh journal is not there yet: next call */
	j->gen = gen;
	gw_log(GW_NOTICE, MOD, "path=%s following the fresh journal", j->path);
}
