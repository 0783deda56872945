/* The rules table: put when changed, read in day order, through the SQL helpers of
 * journal_int.h (no SQLite types here). */
#include "journal_rules.h"

#include <errno.h>
#include <string.h>

#include "journal_int.h"

struct last {
	const char *text;
	size_t len;
	bool same;
};

static int compare_last(void *user, const struct gw_journal_val *c, int nc)
{
	struct last *l = user;

	(void)nc;
	l->same = c[0].len == l->len && (l->len == 0 || memcmp(c[0].p, l->text, l->len) == 0);
	return 0;
}

int gw_journal_rules_put(struct gw_journal *j, int64_t day, int64_t since_ms, const char *text,
                         bool *changed)
{
	struct last l = {.text = text, .len = strlen(text)};
	struct gw_journal_val b[] = {{.i = day}, {.i = since_ms}, {.p = text, .len = l.len}};
	bool own;
	int rc;

	*changed = false;
	rc = gw_journal_stmt(j, "SELECT text FROM rules ORDER BY day DESC LIMIT 1", NULL, 0,
	                     compare_last, &l);
	if (rc < 0 || l.same)
		return rc < 0 ? rc : 0;
	rc = gw_journal_tx_begin(j, &own);
	if (rc)
		return rc;
	rc = gw_journal_stmt(j,
	                     "INSERT OR REPLACE INTO rules(day, since_ms, text) VALUES(?1,?2,?3)",
	                     b, 3, NULL, NULL);
	rc = gw_journal_tx_end(j, own, rc < 0 ? rc : 0);
	*changed = rc == 0;
	return rc;
}

struct each {
	gw_journal_rules_fn fn;
	void *user;
};

static int each_row(void *user, const struct gw_journal_val *c, int nc)
{
	struct each *e = user;

	(void)nc;
	return e->fn(e->user, c[0].i, c[1].p ? (const char *)c[1].p : "", c[1].len);
}

int gw_journal_rules_each(struct gw_journal *j, gw_journal_rules_fn fn, void *user)
{
	struct each e = {fn, user};

	return gw_journal_stmt(j, "SELECT day, text FROM rules ORDER BY day", NULL, 0, each_row,
	                       &e);
}
