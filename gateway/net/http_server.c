/* The HTTP server under /metrics and the console (libmicrohttpd: its only includer, which it
 * loads at the first server started, so a gateway serving no page never maps it nor GnuTLS).
 * Routes by method and path, caps bodies, connections (in all and per address) and idle time,
 * and streams server-sent events from a callback on the connection's own thread. Must not
 * know what it serves. */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "dynlib.h"
#include "log.h"

#define MEMORY_LIMIT (32 * 1024) /* request line and headers of one connection */

/* libmicrohttpd, loaded at the first server (dynlib.h): the functions this file calls. */
static struct {
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_callback) *create_response_from_callback;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
} mhd;

static char mhd_err[256];
static int mhd_rc;

static void mhd_load(void)
{
	const struct gw_dl_sym syms[] = {
	        GW_DL_SYM("MHD_add_response_header", mhd.add_response_header),
	        GW_DL_SYM("MHD_create_response_from_buffer", mhd.create_response_from_buffer),
	        GW_DL_SYM("MHD_create_response_from_callback", mhd.create_response_from_callback),
	        GW_DL_SYM("MHD_destroy_response", mhd.destroy_response),
	        GW_DL_SYM("MHD_get_connection_info", mhd.get_connection_info),
	        GW_DL_SYM("MHD_lookup_connection_value", mhd.lookup_connection_value),
	        GW_DL_SYM("MHD_queue_response", mhd.queue_response),
	        GW_DL_SYM("MHD_start_daemon", mhd.start_daemon),
	        GW_DL_SYM("MHD_stop_daemon", mhd.stop_daemon),
	};

	mhd_rc = gw_dl_load("libmicrohttpd.so.12", "libmicrohttpd12", syms, GW_ARRAY_LEN(syms),
	                    mhd_err, sizeof(mhd_err));
}

struct gw_http_server {
	struct MHD_Daemon *mhd;
	struct gw_http_server_opts o;
};

/* One request between the access handler's calls. */
struct gw_http_req {
	struct MHD_Connection *c;
	const char *method, *path;
	char peer[INET6_ADDRSTRLEN];
	bool loopback;
	char *body;
	size_t len;
	bool too_large;
};

static const char text_type[] = "text/plain; charset=utf-8";

/* A stream's handler function and argument, between the server's callbacks. */
struct stream {
	long (*fn)(void *arg, char *buf, size_t len);
	void (*free)(void *arg);
	void *arg;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	long n = st->fn(st->arg, buf, max);

	(void)pos;
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	if (st->free)
		st->free(st->arg);
	free(st);
}

static struct MHD_Response *stream_response(struct gw_http_resp *resp)
{
	struct stream *st = malloc(sizeof(*st));
	struct MHD_Response *r;

	if (!st)
		return NULL;
	st->fn = resp->stream;
	st->free = resp->stream_free;
	st->arg = resp->stream_arg;
	r = mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
	if (!r)
		free(st);
	else
		resp->stream_free = NULL; /* stream_free owns the argument now */
	return r;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct gw_http_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (resp->stream)
		r = stream_response(resp);
	else if (resp->static_body)
		r = mhd.create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_PERSISTENT);
	else
		r = mhd.create_response_from_buffer(resp->len, resp->body ? resp->body : (char *)"",
		                                    resp->body ? MHD_RESPMEM_MUST_FREE
		                                               : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (resp->stream && resp->stream_free)
			resp->stream_free(resp->stream_arg);
		if (!resp->static_body)
			free(resp->body);
		return MHD_NO;
	}
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        resp->type ? resp->type : text_type);
	for (int i = 0; i < GW_HTTP_HEADERS_MAX; i++)
		if (resp->headers[i][0][0])
			mhd.add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	rc = mhd.queue_response(c, resp->status ? resp->status : MHD_HTTP_OK, r);
	mhd.destroy_response(r);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct gw_http_resp resp = {
	        .status = status, .body = (char *)text, .len = strlen(text), .static_body = true};

	return send_resp(c, &resp);
}

static void peer_of(struct gw_http_req *q)
{
	const union MHD_ConnectionInfo *ci =
	        mhd.get_connection_info(q->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(q->peer, sizeof(q->peer), "?");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &v4->sin_addr, q->peer, sizeof(q->peer));
		q->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = v6->sin6_addr.s6_addr;

		inet_ntop(AF_INET6, &v6->sin6_addr, q->peer, sizeof(q->peer));
		q->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
		              (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && b[12] == 127);
	}
}

static const struct gw_http_route *find_route(const struct gw_http_server *s, const char *method,
                                              const char *path, bool *path_known)
{
	bool head = strcmp(method, "HEAD") == 0;

	*path_known = false;
	for (const struct gw_http_route *r = s->o.routes; r->method; r++) {
		size_t n = strlen(r->path);
		bool match = r->path[n - 1] == '*' ? strncmp(path, r->path, n - 1) == 0
		                                   : strcmp(path, r->path) == 0;

		if (!match)
			continue;
		*path_known = true;
		if (strcmp(method, r->method) == 0 || (head && strcmp(r->method, "GET") == 0))
			return r;
	}
	return NULL;
}

/* Takes one piece of a body. Returns false when the request is to be refused now. */
static bool take_body(const struct gw_http_server *s, struct gw_http_req *q, const char *data,
                      size_t len)
{
	char *more;

	if (q->too_large || q->len + len > s->o.max_body) {
		q->too_large = true;
		return true; /* read and drop the rest, then answer 413 */
	}
	more = realloc(q->body, q->len + len + 1);
	if (!more)
		return false;
	q->body = more;
	memcpy(q->body + q->len, data, len);
	q->len += len;
	q->body[q->len] = '\0';
	return true;
}

static enum MHD_Result dispatch(struct gw_http_server *s, struct gw_http_req *q)
{
	const struct gw_http_route *r;
	struct gw_http_resp resp = {0};
	bool known;
	int rc;

	if (q->too_large)
		return send_text(q->c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
	r = find_route(s, q->method, q->path, &known);
	if (!r)
		return known ? send_text(q->c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n")
		             : send_text(q->c, MHD_HTTP_NOT_FOUND, "not found\n");
	rc = r->fn(s->o.ctx, q, &resp);
	if (rc) {
		if (!resp.static_body)
			free(resp.body);
		return send_text(q->c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	}
	return send_resp(q->c, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state)
{
	struct gw_http_server *s = cls;
	struct gw_http_req *q = *state;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->c = c;
		q->method = method;
		q->path = url;
		peer_of(q);
		*state = q;
		return MHD_YES;
	}
	if (*upload_len) {
		bool ok = take_body(s, q, upload, *upload_len);

		*upload_len = 0;
		return ok ? MHD_YES : MHD_NO;
	}
	return dispatch(s, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
	struct gw_http_req *q = *state;

	(void)cls;
	(void)c;
	(void)why;
	if (!q)
		return;
	free(q->body);
	free(q);
	*state = NULL;
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

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

int gw_http_server_load(char *err, size_t errlen)
{
	pthread_once(&mhd_once, mhd_load);
	if (mhd_rc && err && errlen)
		snprintf(err, errlen, "%s", mhd_err);
	return mhd_rc ? -ELIBACC : 0;
}

struct gw_http_server *gw_http_server_start(const struct gw_http_cfg *hc,
                                            const struct gw_http_server_opts *o)
{
	struct gw_http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ERROR_LOG;

	if (!s)
		return NULL;
	if (gw_http_server_load(NULL, 0)) {
		gw_log(GW_ERR, o->name, "cannot load the HTTP server library: %s", mhd_err);
		free(s);
		errno = ELIBACC;
		return NULL;
	}
	if (!address(hc, &ss)) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->o = *o;
	errno = 0;
	s->mhd = mhd.start_daemon(flags, hc->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	                          (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	                          MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
	                          MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
	                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->mhd) {
		int err = errno ? errno : EADDRINUSE;

		gw_log(GW_ERR, o->name, "cannot listen on %s port %u: %s", hc->listen, hc->port,
		       strerror(err));
		free(s);
		errno = err;
		return NULL;
	}
	return s;
}

void gw_http_server_stop(struct gw_http_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		mhd.stop_daemon(s->mhd);
	free(s);
}

const char *gw_http_method(const struct gw_http_req *r)
{
	return r->method;
}

const char *gw_http_path(const struct gw_http_req *r)
{
	return r->path;
}

const char *gw_http_peer(const struct gw_http_req *r)
{
	return r->peer;
}

bool gw_http_peer_is_loopback(const struct gw_http_req *r)
{
	return r->loopback;
}

const char *gw_http_body(const struct gw_http_req *r, size_t *len)
{
	if (len)
		*len = r->len;
	return r->body ? r->body : "";
}

const char *gw_http_header(const struct gw_http_req *r, const char *name)
{
	return mhd.lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *gw_http_cookie(const struct gw_http_req *r, const char *name)
{
	return mhd.lookup_connection_value(r->c, MHD_COOKIE_KIND, name);
}

const char *gw_http_query(const struct gw_http_req *r, const char *name)
{
	return mhd.lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

int gw_http_resp_text(struct gw_http_resp *resp, unsigned status, const char *type,
                      const char *text, size_t len)
{
	resp->status = status;
	resp->type = type;
	resp->body = malloc(len + 1);
	if (!resp->body)
		return -ENOMEM;
	memcpy(resp->body, text, len);
	resp->body[len] = '\0';
	resp->len = len;
	return 0;
}

int gw_http_resp_header(struct gw_http_resp *resp, const char *name, const char *value)
{
	for (int i = 0; i < GW_HTTP_HEADERS_MAX; i++) {
		if (resp->headers[i][0][0])
			continue;
		snprintf(resp->headers[i][0], sizeof(resp->headers[i][0]), "%s", name);
		snprintf(resp->headers[i][1], sizeof(resp->headers[i][1]), "%s", value);
		return 0;
	}
	return -ENOSPC;
}
