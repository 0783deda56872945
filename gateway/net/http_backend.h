/* The two transports behind http_client.h: the plain HTTP/1.1 client (http_plain.c) and
 * libcurl loaded on first use (http_curl.c). Only http_client.c and the tests include this.
 * Both receive a request whose body goes to rq->on_body (NULL: dropped). */
#ifndef GW_HTTP_BACKEND_H
#define GW_HTTP_BACKEND_H

#include "http_client.h"
#include "http_parse.h"

struct gw_http_plain;
struct gw_http_curl;

/* Returns owned, or NULL. */
struct gw_http_plain *gw_http_plain_new(void);
/* Closes its connection; NULL is a no-op. */
void gw_http_plain_free(struct gw_http_plain *c);
/* One exchange with u (parsed from rq->url) over the kept connection or a new one. */
int gw_http_plain_request(struct gw_http_plain *c, const struct gw_http_url *u,
                          const struct gw_http_request *rq, struct gw_http_result *res);

/* Returns owned (libcurl not loaded yet), or NULL. */
struct gw_http_curl *gw_http_curl_new(void);
void gw_http_curl_free(struct gw_http_curl *c);
/* Loads libcurl on the first call in the process (-ENOENT / -ENOSYS with res->message naming
 * the library and the package when it cannot), then one exchange over c's curl handle. */
int gw_http_curl_request(struct gw_http_curl *c, const struct gw_http_request *rq,
                         struct gw_http_result *res);
/* Tests: load soname (and name package) instead of libcurl.so.4; before the first request. */
void gw_http_curl_set_soname(const char *soname, const char *package);

#endif
