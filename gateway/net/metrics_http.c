/* The Prometheus endpoint: GET /metrics over HTTP (libmicrohttpd, its only includer). */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define CONN_LIMIT     8  /* a scraper or two and a curl by hand */
#define CONN_TIMEOUT_S 10 /* a client that stalls is dropped */

struct gw_metrics_http {
	struct MHD_Daemon *mhd;
	gw_http_render_fn render;
	const void *ctx;
	pthread_mutex_t lock; /* one page buffer, one request at a time */
	char *page;
	size_t page_len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct gw_metrics_http *h = cls;
	enum MHD_Result rc;
	int len;

	(void)version;
	(void)upload;
	if (*upload_len) { /* ignore any body: nothing here takes one */
		*upload_len = 0;
		return MHD_YES;
	}
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "GET only\n", 9);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, text, "try /metrics\n", 13);
	pthread_mutex_lock(&h->lock);
	len = h->render(h->ctx, h->page, h->page_len);
	if (len < 0)
		rc = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "metrics too large\n", 18);
	else
		rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", h->page,
		           (size_t)len);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Fills ss with cfg's address and port. Returns the address length, or 0 if unparsable. */
static socklen_t address(const struct gw_http_cfg *cfg, struct sockaddr_storage *ss)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->listen, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(cfg->port);
		return sizeof(*v4);
	}
	if (inet_pton(AF_INET6, cfg->listen, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(cfg->port);
		return sizeof(*v6);
	}
	return 0;
}

struct gw_metrics_http *gw_metrics_http_start(const struct gw_http_cfg *hc,
                                              gw_http_render_fn render, const void *ctx,
                                              size_t page_len)
{
	struct gw_metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (!h)
		return NULL;
	if (!address(hc, &ss)) {
		free(h);
		errno = EINVAL;
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->render = render;
	h->ctx = ctx;
	h->page_len = page_len;
	h->page = malloc(h->page_len);
	pthread_mutex_init(&h->lock, NULL);
	if (h->page)
		h->mhd = MHD_start_daemon(
		        flags, hc->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
		        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S, MHD_OPTION_END);
	if (!h->mhd) {
		int err = errno ? errno : EADDRINUSE;

		gw_log(GW_ERR, "metrics", "cannot listen on %s port %u: %s", hc->listen, hc->port,
		       strerror(err));
		gw_metrics_http_stop(h);
		errno = err;
		return NULL;
	}
	gw_log(GW_NOTICE, "metrics", "Prometheus metrics on http://%s%s%s:%u/metrics",
	       ss.ss_family == AF_INET6 ? "[" : "", hc->listen, ss.ss_family == AF_INET6 ? "]" : "",
	       hc->port);
	return h;
}

void gw_metrics_http_stop(struct gw_metrics_http *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	pthread_mutex_destroy(&h->lock);
	free(h->page);
	free(h);
}
