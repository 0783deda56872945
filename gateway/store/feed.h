/* A sink's view of the journal. Each sink thread opens its own feed (its own journal
 * handle), reads the rows after its cursor decoded into readings with their tags, and
 * acknowledges what its server accepted. The bell (bell.h) says when there are new rows.
 * When the writer starts a fresh journal after losing the file, the feed's handle follows it
 * by itself (journal.h); sequence numbers go on, so a sink's place stays valid. */
#ifndef GW_FEED_H
#define GW_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jcodec.h"
#include "reading.h"

/* One journal row as a reading. r.sensor_id, r.profile and tags borrow the feed's cache
 * and stay valid until the feed is closed. */
struct gw_feed_item {
	int64_t seq;
	struct gw_reading r;
	struct gw_reading_tags tags;
	const struct gw_source *src;
};

struct gw_feed;

/* Opens data_dir's journal for sink (the cursor's name: "mqtt", "influxdb"). Borrows
 * both (sink must live as long as the feed). Returns owned or NULL with *err = -errno. */
struct gw_feed *gw_feed_open(const char *data_dir, const char *sink, int *err);
void gw_feed_close(struct gw_feed *f);

/* Decodes up to max rows with seq > after_seq into items, in seq order. A row whose
 * source or data cannot be decoded is skipped, logged and counted (gw_feed_bad). Returns
 * the number of items (0: none yet) or -errno. *last_seq (may be NULL) gets the seq of the
 * last row looked at, skipped or not, or after_seq when there was none. */
int gw_feed_read(struct gw_feed *f, int64_t after_seq, struct gw_feed_item *items, size_t max,
                 int64_t *last_seq);
/* The sink's cursor (last acknowledged seq). Returns 0 or -errno. */
int gw_feed_cursor(struct gw_feed *f, int64_t *seq);
/* Moves the sink's cursor forward to seq. Returns 0 or -errno. */
int gw_feed_ack(struct gw_feed *f, int64_t seq);
/* Rows after the sink's cursor. Returns 0 or -errno. */
int gw_feed_depth(struct gw_feed *f, int64_t *n);
/* The highest seq in the journal. Returns 0 or -errno. */
int gw_feed_last_seq(struct gw_feed *f, int64_t *seq);
/* The feed's journal handle (borrowed; used by the feed's thread only), e.g. for the
 * evidence chain's head. */
struct gw_journal *gw_feed_journal(struct gw_feed *f);
/* Rows skipped as undecodable so far. */
uint64_t gw_feed_bad(const struct gw_feed *f);

#endif
