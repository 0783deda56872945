/* https:// over libcurl, the only includer of curl.h. libcurl (and the TLS, Kerberos, LDAP...
 * libraries it brings) is loaded with dlopen the first time an https:// request is made, and
 * curl_global_init runs once then; a gateway that posts over http:// never maps it. CURLE_*
 * codes become -errno here and go no further. */
#define _DEFAULT_SOURCE
#include "http_backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "array.h"
#include "dynlib.h"

struct gw_http_curl {
	CURL *h; /* kept: its connection is reused */
};

static struct {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_easy_setopt) *setopt;
	__typeof__(curl_easy_perform) *perform;
	__typeof__(curl_easy_getinfo) *getinfo;
	__typeof__(curl_easy_cleanup) *cleanup;
	__typeof__(curl_easy_strerror) *strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[200];
static const char *lib_soname = "libcurl.so.4";
static const char *lib_package = "libcurl4";

static void load_curl(void)
{
	const struct gw_dl_sym syms[] = {
	        GW_DL_SYM("curl_global_init", fn.global_init),
	        GW_DL_SYM("curl_easy_init", fn.easy_init),
	        GW_DL_SYM("curl_easy_reset", fn.easy_reset),
	        GW_DL_SYM("curl_easy_setopt", fn.setopt),
	        GW_DL_SYM("curl_easy_perform", fn.perform),
	        GW_DL_SYM("curl_easy_getinfo", fn.getinfo),
	        GW_DL_SYM("curl_easy_cleanup", fn.cleanup),
	        GW_DL_SYM("curl_easy_strerror", fn.strerror),
	        GW_DL_SYM("curl_slist_append", fn.slist_append),
	        GW_DL_SYM("curl_slist_free_all", fn.slist_free_all),
	};

	load_rc = gw_dl_load(lib_soname, lib_package, syms, GW_ARRAY_LEN(syms), load_err,
	                     sizeof(load_err));
	if (load_rc == 0 && fn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		load_rc = -ENOMEM;
		snprintf(load_err, sizeof(load_err), "curl_global_init failed");
	}
}

void gw_http_curl_set_soname(const char *soname, const char *package)
{
	lib_soname = soname;
	lib_package = package;
}

struct gw_http_curl *gw_http_curl_new(void)
{
	return calloc(1, sizeof(struct gw_http_curl));
}

void gw_http_curl_free(struct gw_http_curl *c)
{
	if (!c)
		return;
	if (c->h)
		fn.cleanup(c->h);
	free(c);
}

struct xfer {
	const struct gw_http_request *rq;
	struct gw_http_result *res;
	int body_rc;
	char err[CURL_ERROR_SIZE]; /* libcurl's detail, e.g. why a certificate was refused */
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *user)
{
	struct xfer *x = user;
	size_t n = size * nmemb;

	if (!x->rq->on_body || n == 0)
		return n;
	x->body_rc = x->rq->on_body(x->rq->user, data, n);
	return x->body_rc ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct xfer *x = user;
	size_t n = size * nmemb;
	char v[32];

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new answer (after a 100) */
		x->res->retry_after_ms = 0;
		x->res->message[0] = '\0';
	} else if (gw_http_header_is(data, n, "Retry-After", v, sizeof(v))) {
		long long s = strtoll(v, NULL, 10);

		x->res->retry_after_ms = s > 0 ? (s > 86400 ? 86400 : s) * 1000LL : 0;
	} else {
		gw_http_header_is(data, n, "X-Influxdb-Error", x->res->message,
		                  sizeof(x->res->message));
	}
	return n;
}

static int to_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_WEIRD_SERVER_REPLY:
		return -EPROTO;
	default:
		return -ECONNRESET;
	}
}

static int set_request(struct gw_http_curl *c, const struct gw_http_request *rq, struct xfer *x,
                       struct curl_slist **hdrs)
{
	for (const char *const *h = rq->headers; h && *h; h++) {
		struct curl_slist *l = fn.slist_append(*hdrs, *h);

		if (!l)
			return -ENOMEM;
		*hdrs = l;
	}
	if (!(*hdrs = fn.slist_append(*hdrs, "Expect:"))) /* no 100-continue round trip */
		return -ENOMEM;
	fn.setopt(c->h, CURLOPT_URL, rq->url);
	fn.setopt(c->h, CURLOPT_HTTPHEADER, *hdrs);
	fn.setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	fn.setopt(c->h, CURLOPT_TCP_KEEPALIVE, 1L);
	fn.setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_ms);
	if (rq->total_ms > 0)
		fn.setopt(c->h, CURLOPT_TIMEOUT_MS, rq->total_ms);
	if (rq->idle_ms > 0) {
		fn.setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		fn.setopt(c->h, CURLOPT_LOW_SPEED_TIME,
		          rq->idle_ms < 1000 ? 1L : rq->idle_ms / 1000);
	}
	if (strcmp(rq->method, "POST") == 0) {
		fn.setopt(c->h, CURLOPT_POST, 1L);
		fn.setopt(c->h, CURLOPT_POSTFIELDS, rq->body ? (const char *)rq->body : "");
		fn.setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "GET") != 0) {
		fn.setopt(c->h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	if (rq->username && rq->username[0]) {
		fn.setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		fn.setopt(c->h, CURLOPT_USERNAME, rq->username);
		fn.setopt(c->h, CURLOPT_PASSWORD, rq->password ? rq->password : "");
	}
	fn.setopt(c->h, CURLOPT_WRITEFUNCTION, on_write);
	fn.setopt(c->h, CURLOPT_WRITEDATA, x);
	fn.setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
	fn.setopt(c->h, CURLOPT_HEADERDATA, x);
	fn.setopt(c->h, CURLOPT_ERRORBUFFER, x->err);
	return 0;
}

int gw_http_curl_request(struct gw_http_curl *c, const struct gw_http_request *rq,
                         struct gw_http_result *res)
{
	struct xfer x = {rq, res, 0, ""};
	struct curl_slist *hdrs = NULL;
	CURLcode cc;
	long status = 0;
	int rc;

	pthread_once(&load_once, load_curl);
	if (load_rc) {
		snprintf(res->message, sizeof(res->message), "https needs %s", load_err);
		return load_rc;
	}
	if (!c->h && !(c->h = fn.easy_init()))
		return -ENOMEM;
	fn.easy_reset(c->h); /* options go, the connection stays */
	rc = set_request(c, rq, &x, &hdrs);
	cc = rc ? CURLE_OK : fn.perform(c->h);
	fn.slist_free_all(hdrs);
	fn.setopt(c->h, CURLOPT_ERRORBUFFER, NULL); /* x.err goes out of scope */
	if (rc)
		return rc;
	if (x.body_rc)
		rc = x.body_rc;
	else if (cc != CURLE_OK)
		rc = to_errno(cc);
	if (rc == 0 || x.body_rc) {
		fn.getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		res->status = status;
		res->sent = rq->body_len;
	} else {
		res->retry_after_ms = 0;
		snprintf(res->message, sizeof(res->message), "%s",
		         x.err[0] ? x.err : fn.strerror(cc));
	}
	return rc;
}
