/* The Prometheus endpoint: GET /metrics, one route of the HTTP server (http_server.c). */
#include "metrics_http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"
#include "log.h"

#define CONN_LIMIT     8  /* a scraper or two and a curl by hand */
#define CONN_TIMEOUT_S 10 /* a client that stalls is dropped */

struct gw_metrics_http {
	struct gw_http_server *srv;
	gw_http_render_fn render;
	const void *ctx;
	pthread_mutex_t lock; /* one page buffer, one request at a time */
	char *page;
	size_t page_len;
};

static int serve_metrics(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	static const char too_large[] = "metrics too large\n";
	struct gw_metrics_http *h = ctx;
	int len, rc;

	(void)req;
	pthread_mutex_lock(&h->lock);
	len = h->render(h->ctx, h->page, h->page_len);
	if (len < 0)
		rc = gw_http_resp_text(resp, 500, NULL, too_large, sizeof(too_large) - 1);
	else
		rc = gw_http_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
		                       h->page, (size_t)len);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static int serve_other(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	static const char hint[] = "try /metrics\n";

	(void)ctx;
	(void)req;
	return gw_http_resp_text(resp, 404, NULL, hint, sizeof(hint) - 1);
}

static const struct gw_http_route routes[] = {
        {"GET", "/metrics", serve_metrics},
        {"GET", "/*", serve_other},
        {NULL, NULL, NULL},
};

struct gw_metrics_http *gw_metrics_http_start(const struct gw_http_cfg *hc,
                                              gw_http_render_fn render, const void *ctx,
                                              size_t page_len)
{
	struct gw_metrics_http *h = calloc(1, sizeof(*h));
	struct gw_http_server_opts o = {.name = "metrics",
	                                .routes = routes,
	                                .max_conns = CONN_LIMIT,
	                                .max_body = 0,
	                                .timeout_s = CONN_TIMEOUT_S};
	bool v6 = strchr(hc->listen, ':') != NULL;

	if (!h)
		return NULL;
	h->render = render;
	h->ctx = ctx;
	h->page_len = page_len;
	h->page = malloc(h->page_len);
	pthread_mutex_init(&h->lock, NULL);
	o.ctx = h;
	if (h->page)
		h->srv = gw_http_server_start(hc, &o);
	if (!h->srv) {
		int err = errno ? errno : ENOMEM;

		gw_metrics_http_stop(h);
		errno = err;
		return NULL;
	}
	gw_log(GW_NOTICE, "metrics", "Prometheus metrics on http://%s%s%s:%u/metrics",
	       v6 ? "[" : "", hc->listen, v6 ? "]" : "", hc->port);
	return h;
}

void gw_metrics_http_stop(struct gw_metrics_http *h)
{
	if (!h)
		return;
	gw_http_server_stop(h->srv);
	pthread_mutex_destroy(&h->lock);
	free(h->page);
	free(h);
}
