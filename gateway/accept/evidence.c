/* A report's evidence (evidence.h): the chain of the journal it reads, verified, and its
 * failing days laid over the plots' days. */
#include "evidence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BAD (1 << 16) /* failing days remembered; the header names the first anyway */

static void note_day(void *user, const struct gw_chain_day *d)
{
	struct gw_evidence *ev = user;
	struct gw_evidence_bad *b;

	if (!gw_chain_status_bad(d->status) || ev->nbad >= MAX_BAD)
		return;
	b = realloc(ev->bad, (ev->nbad + 1) * sizeof(*b));
	if (!b)
		return; /* the header still names the first; fewer plots marked is logged below */
	ev->bad = b;
	/* rows dated an earlier day than the one sealed: the day they claim is touched */
	b[ev->nbad].day =
	        (int)(d->status == GW_CHAIN_INSERTED && d->early > d->link->late ? d->early_day
	                                                                         : d->link->day);
	b[ev->nbad++].status = d->status;
}

/* Rows dated a sealed day the gateway never committed: that day fails too. */
static void note_open(struct gw_evidence *ev)
{
	struct gw_chain_day d = {0};
	struct gw_journal_link l = {0};

	if (!ev->res.open_inserted)
		return;
	l.day = ev->res.open_inserted_day;
	d.link = &l;
	d.status = GW_CHAIN_INSERTED;
	note_day(ev, &d);
}

static void header(struct gw_evidence *ev)
{
	const struct gw_chain_result *r = &ev->res;
	char day[16], hex[2 * GW_SHA256_LEN + 1], open[96] = "";
	size_t len = sizeof(ev->header);

	if (r->open_readings)
		snprintf(open, sizeof(open), "; %lld readings of later days not yet sealed",
		         (long long)r->open_readings);
	if (r->has_head) {
		gw_hex(r->head.digest, GW_SHA256_LEN, hex);
		snprintf(ev->head, sizeof(ev->head), "%s %s (%lld readings)",
		         gw_chain_day_text(r->head.day, day, sizeof(day)), hex,
		         (long long)r->head.readings);
	}
	if (r->bad) {
		snprintf(ev->header, len,
		         "evidence chain broken at %s: %s (%lld of %lld days fail)%s",
		         gw_chain_day_text(r->first_bad_day, day, sizeof(day)),
		         gw_chain_status_name(r->first_bad), (long long)r->bad, (long long)r->days,
		         open);
		return;
	}
	if (!r->has_head) {
		snprintf(ev->header, len, "no day sealed yet%s", open);
		return;
	}
	snprintf(ev->header, len, "verified: %lld sealed days, head %s %s (%lld readings)%s",
	         (long long)r->days, gw_chain_day_text(r->head.day, day, sizeof(day)), hex,
	         (long long)r->head.readings, open);
}

int gw_evidence_check(const char *data_dir, struct gw_evidence *ev)
{
	struct gw_journal_opts jo = {.no_check = true};
	struct gw_journal *j;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/journal.db", data_dir), rc;

	memset(ev, 0, sizeof(*ev));
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK) != 0)
		return -ENOENT;
	j = gw_journal_open(data_dir, &jo, &rc);
	if (!j)
		return rc;
	rc = gw_chain_verify(j, note_day, ev, &ev->res);
	gw_journal_close(j);
	if (rc)
		return rc;
	note_open(ev);
	header(ev);
	return 0;
}

/* The first failing day that touches r, or NULL. */
static const struct gw_evidence_bad *touching(const struct gw_evidence *ev,
                                              const struct gw_plot_result *r)
{
	for (size_t b = 0; b < ev->nbad; b++) {
		/* a deleted row or a relinked day: whose rows they were is unknown */
		bool any = ev->bad[b].status == GW_CHAIN_DELETED ||
		           ev->bad[b].status == GW_CHAIN_RELINKED;

		for (size_t k = 0; k < r->ndays; k++)
			if (r->days[k].day == ev->bad[b].day &&
			    (r->days[k].received > 0 || (any && r->days[k].expected > 0)))
				return &ev->bad[b];
	}
	return NULL;
}

size_t gw_evidence_mark(const struct gw_evidence *ev, struct gw_plot_result *res, size_t n)
{
	size_t marked = 0;

	for (size_t i = 0; ev->nbad && i < n; i++) {
		const struct gw_evidence_bad *b = touching(ev, &res[i]);

		if (!b)
			continue;
		res[i].verdict = GW_VERDICT_UNVERIFIED;
		snprintf(res[i].reason, sizeof(res[i].reason),
		         "evidence chain broken on %02d-%02d (%s)", b->day / 100 % 100,
		         b->day % 100, gw_chain_status_name(b->status));
		marked++;
	}
	return marked;
}

void gw_evidence_free(struct gw_evidence *ev)
{
	free(ev->bad);
	ev->bad = NULL;
	ev->nbad = 0;
}
