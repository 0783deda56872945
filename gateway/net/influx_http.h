/* InfluxDB HTTP writer: POSTs line-protocol batches to /write (v1) or /api/v2/write (v2)
 * over one reused keep-alive connection, and classifies the answer into retry, split or
 * drop (influx_out.c is the loop around it: journal cursor, batching). With cfg->gzip bodies go
 * gzip-compressed (Content-Encoding: gzip). Never logs the token or password. */
#ifndef GW_INFLUX_HTTP_H
#define GW_INFLUX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gw_influx;

/* What the server said about one POST. */
struct gw_influx_result {
	long status;            /* HTTP status, 0 when no answer came */
	int64_t retry_after_ms; /* from a Retry-After header (seconds), else 0 */
	char message[512];      /* server error text or transport error, truncated */
};

/* Counters gw_influx_write_all adds to (the caller zeroes them once). */
struct gw_influx_stats {
	uint64_t written_points;
	uint64_t written_batches; /* POSTs the server accepted */
	uint64_t dropped_points;  /* lines rejected (4xx other than 413; of a partial write, the
	                           * server's "dropped=N") */
	uint64_t dropped_batches;
	uint64_t sent_bytes; /* request bodies as they went out (gzip: compressed) to POSTs
	                      * that got an HTTP answer: what a metered link paid for */
};

/* Borrows cfg (copied). Reads the password/token files (trailing newline trimmed), builds
 * the write URL and one HTTP client (no connection yet). Returns owned, or NULL with *err = -errno
 * (-EINVAL: bad cfg or URL too long; -ENOENT/-EACCES...: secret file; -ENOMEM). */
struct gw_influx *gw_influx_new(const struct gw_influx_cfg *cfg, int *err);
/* Frees w and wipes the secrets; NULL is a no-op. */
void gw_influx_free(struct gw_influx *w);
/* Borrows: the write URL (no secrets in it). */
const char *gw_influx_url(const struct gw_influx *w);
/* Borrows: what the server (or the transport) said to the last POST that failed with
 * -EAGAIN, -E2BIG or -EINVAL (status, Retry-After, message); zeroed until one fails.
 * Valid until the next write. */
const struct gw_influx_result *gw_influx_last_failure(const struct gw_influx *w);

/* POSTs body[0..len) as one batch; borrows body; fills *res. Returns 0 (200/204),
 * -EAGAIN (no connection, timeout, 5xx, 429: retry later, res->retry_after_ms may be set),
 * -E2BIG (413: split the batch) or -EINVAL (other 4xx: drop it; res->message says why). */
int gw_influx_write(struct gw_influx *w, const char *body, size_t len,
                    struct gw_influx_result *res);

/* Writes body, splitting it in halves at line boundaries on 413 (recursively) and dropping
 * (and counting in *st) sub-batches the server rejects. A 400 "partial write" (InfluxDB 1.x
 * wrote the other lines) counts only the lines it says it dropped. Returns 0 when every line was
 * written or dropped, -EAGAIN when the server is unavailable: the caller keeps its cursor
 * and retries the whole body later. Parts written before that are written again then,
 * which InfluxDB absorbs (same series and timestamp overwrite). */
int gw_influx_write_all(struct gw_influx *w, const char *body, size_t len,
                        struct gw_influx_stats *st);

/* Delay before retry number attempt (0-based): 1 s, 2 s, 4 s ... capped at 60 s, and
 * never less than retry_after_ms. */
int64_t gw_influx_backoff_ms(unsigned attempt, int64_t retry_after_ms);

/* Pure helpers, exposed for tests. */

#define GW_INFLUX_URL_LEN 1024 /* the write URL's buffer in gw_influx_new */

/* Writes the write URL for cfg (query values percent-encoded) to buf. Returns 0, -EINVAL
 * (api not 1 or 2, empty url/db/bucket, not http(s)://host[:port][/path], user info) or
 * -ENOSPC. */
int gw_influx_build_url(const struct gw_influx_cfg *cfg, char *buf, size_t len);
/* Appends s percent-encoded (all but A-Z a-z 0-9 - . _ ~) at buf[*pos], NUL-terminated;
 * advances *pos. Returns 0 or -ENOSPC (*pos unchanged). */
int gw_influx_escape(char *buf, size_t len, size_t *pos, const char *s);
/* Offset where body splits into two non-empty runs of whole lines, nearest the middle;
 * 0 when body holds at most one line. */
size_t gw_influx_split_at(const char *body, size_t len);
/* Non-empty lines in body. */
size_t gw_influx_count_lines(const char *body, size_t len);
/* Lines dropped by a refused POST of lines lines, given the server's message: N of a
 * "partial write: ... dropped=N" (N <= lines), else all of them. A partial write that
 * could not parse some lines counts all (InfluxDB leaves those out of N): an upper bound. */
size_t gw_influx_partial_dropped(const char *message, size_t lines);
/* Maps an HTTP status to 0, -EAGAIN, -E2BIG or -EINVAL as gw_influx_write does. */
int gw_influx_classify(long status);
/* Parses one header line; returns the Retry-After delay in ms, or -1 if line is not a
 * Retry-After header with a number of seconds. */
int64_t gw_influx_retry_after(const char *line, size_t len);

/* One plain request (for ping, queries, tests): GET url, or POST post[0..post_len) as a
 * form when post is not NULL. Borrows all; copies the answer body into resp (truncated,
 * NUL-terminated). Returns 0 with *status set, or -EAGAIN (no answer) / -ENOMEM. */
int gw_influx_http(const char *url, const char *post, size_t post_len, long *status, char *resp,
                   size_t resp_len);

/* Receives a streamed answer piece by piece; a non-zero return stops the transfer. */
typedef int (*gw_influx_chunk_fn)(void *user, const char *data, size_t len);
/* GET url with "Accept: accept", handing the body to fn as it arrives (a chunked query
 * never sits whole in memory). username (may be NULL or "") and password: basic auth.
 * Gives up when nothing arrives for 60 s (the whole may take longer). Returns 0 with
 * *status, fn's non-zero return, or -EAGAIN (no answer; the reason is logged) / -ENOMEM. */
int gw_influx_get_stream(const char *url, const char *username, const char *password,
                         const char *accept, gw_influx_chunk_fn fn, void *user, long *status);

#endif
