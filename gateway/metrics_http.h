/* The self-metrics and per-sensor health for Prometheus: GET /metrics on the address and
 * port of the config's metrics_http section (127.0.0.1:9464 by default). Served by its
 * own thread; a handful of connections at most, each timed out. */
#ifndef GW_METRICS_HTTP_H
#define GW_METRICS_HTTP_H

#include "config.h"
#include "metrics.h"

struct gw_metrics_http; /* opaque */

/* Starts serving m (borrowed; must outlive the server) on cfg->metrics_http. Returns the
 * owned server, or NULL with errno set (logged: address in use, bad address ...). */
struct gw_metrics_http *gw_metrics_http_start(const struct gw_config *cfg,
                                              const struct gw_metrics *m);
/* Stops serving and frees h. NULL is a no-op. */
void gw_metrics_http_stop(struct gw_metrics_http *h);

#endif
