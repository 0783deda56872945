/* A small HTTP server over libmicrohttpd (http_server.c is microhttpd.h's one includer): a
 * table of routes, request-size and connection caps, POST bodies, cookies, and a streaming
 * response for server-sent events. Both /metrics and the console serve through it. A thread
 * per connection (at most max_conns of them), so a held event stream never delays another
 * request; nothing here runs on a bus thread. */
#ifndef GW_HTTP_SERVER_H
#define GW_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gw_http_server; /* opaque */
struct gw_http_req;    /* opaque: valid during the handler call */

#define GW_HTTP_HEADERS_MAX 6

/* What a handler answers. body is owned (malloc'd; freed by the server) unless static_body. */
struct gw_http_resp {
	unsigned status;
	const char *type; /* Content-Type; NULL: text/plain; charset=utf-8 */
	char *body;
	size_t len;
	bool static_body;
	char headers[GW_HTTP_HEADERS_MAX][2][256]; /* name, value; empty name: none */
	/* A stream instead of a body (server-sent events): called on the connection's own
	 * thread until it returns < 0; it writes up to len bytes into buf and returns their
	 * count (it may block, at most about a second, to wait for news). stream_free(arg)
	 * runs when the connection ends. */
	long (*stream)(void *arg, char *buf, size_t len);
	void (*stream_free)(void *arg);
	void *stream_arg;
};

/* Handles one request; fills resp. Returns 0 (resp is sent) or -errno (a 500 is sent). */
typedef int (*gw_http_handler_fn)(void *ctx, const struct gw_http_req *req,
                                  struct gw_http_resp *resp);

struct gw_http_route {
	const char *method; /* "GET" (also answers HEAD) or "POST" */
	const char *path;   /* exact path, or a prefix when it ends in '*' */
	gw_http_handler_fn fn;
};

struct gw_http_server_opts {
	const char *name;                   /* log module: "metrics", "console" */
	const struct gw_http_route *routes; /* borrowed; ends with a NULL method */
	void *ctx;                          /* borrowed; passed to every handler */
	unsigned max_conns;                 /* open connections at most */
	unsigned max_per_ip;                /* 0: no per-address cap */
	size_t max_body;                    /* POST bodies above it: 413 */
	unsigned timeout_s;                 /* an idle connection is closed after it */
};

/* Starts serving on hc's numeric address and port; loads libmicrohttpd.so.12 at the first call.
 * Returns the owned server, or NULL with errno set (logged: address in use, bad address ...;
 * ELIBACC: the library cannot be loaded, logged with the package to install). */
struct gw_http_server *gw_http_server_start(const struct gw_http_cfg *hc,
                                            const struct gw_http_server_opts *o);
/* Loads libmicrohttpd as gw_http_server_start does (for `check`). Returns 0, or -ELIBACC with
 * err (may be NULL) naming the library, why, and the package to install. */
int gw_http_server_load(char *err, size_t errlen);
/* Stops serving (open streams end) and frees s. NULL is a no-op. */
void gw_http_server_stop(struct gw_http_server *s);

/* The request's method, path, peer address ("127.0.0.1", "::1") and body (NUL-terminated;
 * "" for none). Borrowed, valid during the handler. */
const char *gw_http_method(const struct gw_http_req *r);
const char *gw_http_path(const struct gw_http_req *r);
const char *gw_http_peer(const struct gw_http_req *r);
const char *gw_http_body(const struct gw_http_req *r, size_t *len);
/* A header, a cookie or a query argument by name; NULL when absent. */
const char *gw_http_header(const struct gw_http_req *r, const char *name);
const char *gw_http_cookie(const struct gw_http_req *r, const char *name);
const char *gw_http_query(const struct gw_http_req *r, const char *name);
/* Whether the peer is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
bool gw_http_peer_is_loopback(const struct gw_http_req *r);

/* Helpers for handlers: a body copied from text (len bytes) with a status and type. Returns
 * 0 or -ENOMEM. */
int gw_http_resp_text(struct gw_http_resp *resp, unsigned status, const char *type,
                      const char *text, size_t len);
/* Adds a response header. Returns 0 or -ENOSPC. */
int gw_http_resp_header(struct gw_http_resp *resp, const char *name, const char *value);

#endif
