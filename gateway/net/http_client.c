/* The HTTP client interface: picks the transport by the URL's scheme (http:// the plain
 * client, https:// libcurl loaded on first use) and keeps a body the caller wants whole in
 * its buffer. Holds no connection itself. */
#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_backend.h"

struct gw_http_client {
	struct gw_http_plain *plain;
	struct gw_http_curl *curl;
};

struct gw_http_client *gw_http_client_new(void)
{
	return calloc(1, sizeof(struct gw_http_client));
}

void gw_http_client_free(struct gw_http_client *c)
{
	if (!c)
		return;
	gw_http_plain_free(c->plain);
	gw_http_curl_free(c->curl);
	free(c);
}

struct keep {
	char *buf;
	size_t len;
	size_t pos;
};

static int keep_body(void *user, const char *data, size_t n)
{
	struct keep *k = user;
	size_t room = k->len - 1 - k->pos;
	size_t take = n < room ? n : room;

	memcpy(k->buf + k->pos, data, take);
	k->pos += take;
	k->buf[k->pos] = '\0';
	return 0;
}

int gw_http_client_request(struct gw_http_client *c, const struct gw_http_request *rq,
                           struct gw_http_result *res)
{
	struct gw_http_request r = *rq;
	struct keep k = {rq->resp, rq->resp_len, 0};
	struct gw_http_url u;

	memset(res, 0, sizeof(*res));
	if (!r.on_body && r.resp && r.resp_len) {
		r.resp[0] = '\0';
		r.on_body = keep_body;
		r.user = &k;
	}
	if (gw_http_url_parse(rq->url, &u)) {
		snprintf(res->message, sizeof(res->message),
		         "not an http:// or https://host[:port] URL");
		return -EINVAL;
	}
	if (u.tls) {
		if (!c->curl && !(c->curl = gw_http_curl_new()))
			return -ENOMEM;
		return gw_http_curl_request(c->curl, &r, res);
	}
	if (!c->plain && !(c->plain = gw_http_plain_new()))
		return -ENOMEM;
	return gw_http_plain_request(c->plain, &u, &r, res);
}
