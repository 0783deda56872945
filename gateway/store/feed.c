/* Sinks' journal reader; see feed.h. The source cache holds
 * every source this feed has met (a field has tens), each allocated once so that items
 * may keep pointing at it. */
#include "feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "log.h"

struct cached {
	int64_t id;
	struct gw_source src;
	bool bad; /* its text did not parse: rows of it are skipped */
};

struct gw_feed {
	struct gw_journal *j;
	const char *sink;
	struct cached **cache; /* each entry allocated once: items point into it */
	size_t ncache, cap;
	uint64_t bad;
	char text[GW_JSRC_MAX];
	/* the call in progress */
	struct gw_feed_item *items;
	size_t n, max;
	int64_t last;
};

struct gw_feed *gw_feed_open(const char *data_dir, const char *sink, int *err)
{
	struct gw_feed *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;

	if (f) {
		f->sink = sink;
		/* the daemon's own handle has checked the file at start; a cursor move lost to a
		 * power cut only means sending again (journal.h, Durability) */
		f->j = gw_journal_open(
		        data_dir, &(struct gw_journal_opts){.no_check = true, .relaxed_sync = true},
		        &rc);
	}
	if (f && f->j) {
		*err = 0;
		return f;
	}
	free(f);
	*err = rc;
	return NULL;
}

void gw_feed_close(struct gw_feed *f)
{
	if (!f)
		return;
	gw_journal_close(f->j);
	for (size_t i = 0; i < f->ncache; i++)
		free(f->cache[i]);
	free(f->cache);
	free(f);
}

/* Borrows: the cached source id, loading it on first use; NULL when unusable. */
static const struct gw_source *source(struct gw_feed *f, int64_t id)
{
	struct cached *c;
	int rc;

	for (size_t i = 0; i < f->ncache; i++)
		if (f->cache[i]->id == id)
			return f->cache[i]->bad ? NULL : &f->cache[i]->src;
	if (f->ncache == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct cached **n = realloc(f->cache, cap * sizeof(*n));

		if (!n)
			return NULL;
		f->cache = n;
		f->cap = cap;
	}
	rc = gw_journal_source_get(f->j, id, f->text, sizeof(f->text));
	if (rc == -ENOMEM || rc == -EBUSY || rc == -EIO)
		return NULL; /* not cached: tried again next time */
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = id;
	f->cache[f->ncache] = c;
	c->bad = rc || gw_source_parse(f->text, &c->src);
	if (c->bad)
		gw_log(GW_ERR, "feed", "sink=%s source=%lld unreadable: its rows are skipped",
		       f->sink, (long long)id);
	f->ncache++;
	return c->bad ? NULL : &c->src;
}

static int on_row(void *user, int64_t seq, int64_t ts_ms, int64_t src, const void *data, size_t len)
{
	struct gw_feed *f = user;
	struct gw_feed_item *it = &f->items[f->n];
	const struct gw_source *s = source(f, src);

	f->last = seq;
	memset(it, 0, sizeof(*it));
	if (!s || gw_jdata_unpack(data, len, s->prof.npoints, &it->r)) {
		f->bad++;
		gw_log(GW_ERR, "feed", "sink=%s seq=%lld undecodable: skipped", f->sink,
		       (long long)seq);
		return 0;
	}
	it->seq = seq;
	it->src = s;
	it->r.ts_ms = ts_ms;
	it->r.sensor_id = s->sensor;
	it->r.profile = &s->prof;
	gw_source_tags(s, &it->tags);
	f->n++;
	return 0;
}

int gw_feed_read(struct gw_feed *f, int64_t after_seq, struct gw_feed_item *items, size_t max,
                 int64_t *last_seq)
{
	int rc;

	f->items = items;
	f->n = 0;
	f->last = after_seq;
	rc = max ? gw_journal_fetch(f->j, after_seq, max, on_row, f) : 0;
	if (last_seq)
		*last_seq = f->last;
	return rc < 0 ? rc : (int)f->n;
}

int gw_feed_cursor(struct gw_feed *f, int64_t *seq)
{
	return gw_journal_cursor_get(f->j, f->sink, seq);
}

int gw_feed_ack(struct gw_feed *f, int64_t seq)
{
	return gw_journal_cursor_set(f->j, f->sink, seq);
}

int gw_feed_depth(struct gw_feed *f, int64_t *n)
{
	return gw_journal_depth(f->j, f->sink, n);
}

int gw_feed_last_seq(struct gw_feed *f, int64_t *seq)
{
	return gw_journal_last_seq(f->j, seq);
}

struct gw_journal *gw_feed_journal(struct gw_feed *f)
{
	return f->j;
}

uint64_t gw_feed_bad(const struct gw_feed *f)
{
	return f->bad;
}
