/* The self-metrics and per-sensor health for Prometheus: GET /metrics on the address and
 * port of the config's metrics_http section (127.0.0.1:9464 by default). Served by its
 * own thread; a handful of connections at most, each timed out. */
#ifndef GW_METRICS_HTTP_H
#define GW_METRICS_HTTP_H

#include <stddef.h>

#include "config.h"

struct gw_metrics_http; /* opaque */

/* Writes the page into buf (len bytes). Returns its length or -ENOSPC. Called from the
 * server's thread, one request at a time. */
typedef int (*gw_http_render_fn)(const void *ctx, char *buf, size_t len);
/* Starts serving what render writes (ctx borrowed; must outlive the server), in pages of up
 * to page_len bytes, on hc's address and port. Returns the owned server, or NULL with errno
 * set (logged: address in use, bad address ...). */
struct gw_metrics_http *gw_metrics_http_start(const struct gw_http_cfg *hc,
                                              gw_http_render_fn render, const void *ctx,
                                              size_t page_len);
/* Stops serving and frees h. NULL is a no-op. */
void gw_metrics_http_stop(struct gw_metrics_http *h);

#endif
