/* One small HTTP/1.1 client interface for InfluxDB writes and queries: http:// URLs go over
 * fieldgate's own client on a plain socket (http_plain.c), https:// URLs over libcurl, loaded
 * the first time one is used (http_curl.c). A client keeps one connection (or curl handle)
 * open between requests. Never logs a header, a password or a body. */
#ifndef GW_HTTP_CLIENT_H
#define GW_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct gw_http_client; /* opaque; one thread at a time */

/* Receives the answer body piece by piece; a non-zero return stops the transfer and is
 * what gw_http_client_request returns. */
typedef int (*gw_http_body_fn)(void *user, const char *data, size_t len);

struct gw_http_request {
	const char *method;         /* "GET" or "POST" */
	const char *url;            /* http://host[:port][/path?query] or https://... */
	const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
	const char *username;       /* basic auth when not NULL and not "" */
	const char *password;       /* with username; NULL is "" */
	const void *body;           /* request body (POST); may be NULL when body_len is 0 */
	size_t body_len;
	long connect_ms; /* connecting may take this long; 0: total_ms only */
	long total_ms;   /* the whole exchange; 0: no limit (then idle_ms bounds it) */
	long idle_ms;    /* give up when nothing arrives for this long; 0: total_ms only */
	/* The answer body goes to on_body when it is not NULL, else into resp[0..resp_len)
	 * (truncated, NUL-terminated) when resp is not NULL, else nowhere. */
	gw_http_body_fn on_body;
	void *user;
	char *resp;
	size_t resp_len;
};

struct gw_http_result {
	long status;            /* HTTP status; 0 when no answer came */
	int64_t retry_after_ms; /* a Retry-After header in seconds, else 0 */
	char message[256];      /* the transport error, else an X-Influxdb-Error header, else "" */
	size_t sent;            /* request body bytes sent on the connection that answered */
};

/* Returns owned, or NULL (-ENOMEM). Connects nothing yet. */
struct gw_http_client *gw_http_client_new(void);
/* Closes the connection; NULL is a no-op. */
void gw_http_client_free(struct gw_http_client *c);

/* Sends one request and reads its answer; borrows rq, fills *res. Returns 0 when an answer
 * came (any status), on_body's non-zero return, -EINVAL (bad URL or request), -ETIMEDOUT,
 * -ECONNREFUSED / -ECONNRESET / -EPROTO (garbage answer) / -ENOENT (libcurl missing for an
 * https:// URL) or another -errno; res->message says why in words. A kept connection the
 * server closed before answering is opened again and the request sent once more. */
int gw_http_client_request(struct gw_http_client *c, const struct gw_http_request *rq,
                           struct gw_http_result *res);

#endif
