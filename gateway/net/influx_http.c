/* InfluxDB HTTP writer over the HTTP client (http_client.h: fieldgate's own HTTP/1.1 client
 * for http://, libcurl loaded on first use for https://): URL and auth set-up, one kept
 * connection, POST of a batch with its answer classified, and the split-on-413 /
 * drop-on-4xx loop. Never logs the token or the password. */
#define _DEFAULT_SOURCE
#include "influx_http.h"
#include "array.h"
#include "http_client.h"
#include "http_parse.h"
#include "influx_gzip.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#define GW_INFLUX_SECRET_LEN 512
#define GW_INFLUX_CONNECT_MS 5000L
#define GW_INFLUX_TOTAL_MS   30000L
#define GW_INFLUX_IDLE_MS    60000L /* a streamed query gives up after 60 s without a byte */

struct gw_influx {
	struct gw_influx_cfg cfg;
	struct gw_http_client *http;
	const char *headers[4]; /* NULL-terminated */
	char url[GW_INFLUX_URL_LEN];
	char secret[GW_INFLUX_SECRET_LEN];         /* v1 password or v2 token */
	char token_hdr[GW_INFLUX_SECRET_LEN + 32]; /* "Authorization: Token ..." (v2) */
	struct gw_zbuf z;                          /* the compressed body, when cfg.gzip */
	struct gw_influx_result failure;           /* the last POST that failed */
	size_t wire_len;                           /* the body length of the last POST, as sent */
};

/* ---- pure helpers ---- */

int gw_influx_escape(char *buf, size_t len, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t p = *pos;

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		bool plain = isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~';
		size_t need = plain ? 1 : 3;

		if (p + need >= len)
			return -ENOSPC;
		if (plain) {
			buf[p++] = (char)*c;
		} else {
			buf[p++] = '%';
			buf[p++] = hex[*c >> 4];
			buf[p++] = hex[*c & 15];
		}
	}
	if (p >= len)
		return -ENOSPC;
	buf[p] = '\0';
	*pos = p;
	return 0;
}

int gw_influx_build_url(const struct gw_influx_cfg *cfg, char *buf, size_t len)
{
	size_t base = strlen(cfg->url);
	size_t pos = 0;
	struct gw_http_url u;
	int rc = 0;

	while (base > 0 && cfg->url[base - 1] == '/')
		base--;
	if (base == 0 || (cfg->api == 1 && !cfg->database[0]) ||
	    (cfg->api == 2 && (!cfg->bucket[0] || !cfg->org[0])) ||
	    (cfg->api != 1 && cfg->api != 2))
		return -EINVAL;
	if (base >= len)
		return -ENOSPC;
	memcpy(buf, cfg->url, base);
	buf[base] = '\0';
	pos = base;
	if (cfg->api == 1) {
		rc = gw_str_append(buf, len, &pos, "/write?db=");
		rc = rc ? rc : gw_influx_escape(buf, len, &pos, cfg->database);
	} else {
		rc = gw_str_append(buf, len, &pos, "/api/v2/write?org=");
		rc = rc ? rc : gw_influx_escape(buf, len, &pos, cfg->org);
		rc = rc ? rc : gw_str_append(buf, len, &pos, "&bucket=");
		rc = rc ? rc : gw_influx_escape(buf, len, &pos, cfg->bucket);
	}
	rc = rc ? rc : gw_str_append(buf, len, &pos, "&precision=ms");
	if (rc == 0 && gw_http_url_parse(buf, &u))
		rc = -EINVAL; /* not one the HTTP client can reach, e.g. with user info */
	return rc;
}

size_t gw_influx_split_at(const char *body, size_t len)
{
	size_t mid = len / 2;

	for (size_t i = mid; i-- > 0;)
		if (body[i] == '\n' && i + 1 < len)
			return i + 1;
	for (size_t i = mid; i + 1 < len; i++)
		if (body[i] == '\n')
			return i + 1;
	return 0;
}

size_t gw_influx_count_lines(const char *body, size_t len)
{
	size_t n = 0;
	bool in_line = false;

	for (size_t i = 0; i < len; i++) {
		if (body[i] == '\n') {
			n += in_line;
			in_line = false;
		} else {
			in_line = true;
		}
	}
	return n + in_line;
}

size_t gw_influx_partial_dropped(const char *message, size_t lines)
{
	const char *p = strstr(message, "partial write");
	const char *d = p ? strstr(p, "dropped=") : NULL;
	char *end;
	unsigned long long n;

	/* lines it could not parse are not in its count, and it names only the first */
	if (d && strstr(p, "unable to parse"))
		return lines;
	if (!d || !isdigit((unsigned char)d[8]))
		return lines;
	errno = 0;
	n = strtoull(d + 8, &end, 10);
	return errno || n > lines ? lines : (size_t)n;
}

int gw_influx_classify(long status)
{
	if (status == 200 || status == 204)
		return 0;
	if (status == 413)
		return -E2BIG;
	if (status == 429 || status >= 500 || status <= 0)
		return -EAGAIN;
	return -EINVAL;
}

int64_t gw_influx_retry_after(const char *line, size_t len)
{
	static const char name[] = "retry-after:";
	size_t n = sizeof(name) - 1;
	int64_t secs = 0;
	size_t i;

	if (len < n || strncasecmp(line, name, n) != 0)
		return -1;
	for (i = n; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || !isdigit((unsigned char)line[i]))
		return -1;
	for (; i < len && isdigit((unsigned char)line[i]); i++) {
		if (secs > 86400)
			return 86400 * 1000LL; /* a day is plenty */
		secs = secs * 10 + (line[i] - '0');
	}
	return secs * 1000;
}

int64_t gw_influx_backoff_ms(unsigned attempt, int64_t retry_after_ms)
{
	int64_t ms = attempt >= 6 ? 60000 : 1000LL << attempt;

	if (ms > 60000)
		ms = 60000;
	return ms < retry_after_ms ? retry_after_ms : ms;
}

/* ---- set-up ---- */

static int read_secret(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int setup_auth(struct gw_influx *w)
{
	const struct gw_influx_cfg *c = &w->cfg;
	char path[GW_PATH_LEN];
	int rc = 0;
	int n;

	if (c->api == 1)
		rc = gw_config_secret_path(c->password_file, c->password_credential,
		                           "influxdb.password_credential", path, sizeof(path));
	else
		rc = gw_config_secret_path(c->token_file, c->token_credential,
		                           "influxdb.token_credential", path, sizeof(path));
	if (rc == 0 && path[0])
		rc = read_secret(path, w->secret, sizeof(w->secret));
	if (rc || c->api != 2 || !w->secret[0])
		return rc;
	n = snprintf(w->token_hdr, sizeof(w->token_hdr), "Authorization: Token %s", w->secret);
	return n > 0 && (size_t)n < sizeof(w->token_hdr) ? 0 : -EINVAL;
}

static int setup_headers(struct gw_influx *w)
{
	size_t n = 0;

	w->headers[n++] = "Content-Type: text/plain; charset=utf-8";
	if (w->cfg.gzip)
		w->headers[n++] = "Content-Encoding: gzip";
	if (w->token_hdr[0])
		w->headers[n++] = w->token_hdr;
	w->headers[n] = NULL;
	return 0;
}

struct gw_influx *gw_influx_new(const struct gw_influx_cfg *cfg, int *err)
{
	struct gw_influx *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->cfg = *cfg;
	rc = gw_influx_build_url(cfg, w->url, sizeof(w->url));
	if (rc)
		goto out_free;
	rc = setup_auth(w);
	if (rc)
		goto out_free;
	setup_headers(w);
	rc = -ENOMEM;
	w->http = gw_http_client_new();
	if (!w->http)
		goto out_free;
	*err = 0;
	return w;
out_free:
	explicit_bzero(w->secret, sizeof(w->secret));
	explicit_bzero(w->token_hdr, sizeof(w->token_hdr));
	free(w);
	*err = rc == -ENOSPC ? -EINVAL : rc;
	return NULL;
}

void gw_influx_free(struct gw_influx *w)
{
	if (!w)
		return;
	gw_http_client_free(w->http);
	gw_zbuf_release(&w->z);
	explicit_bzero(w->secret, sizeof(w->secret));
	explicit_bzero(w->token_hdr, sizeof(w->token_hdr));
	free(w);
}

const char *gw_influx_url(const struct gw_influx *w)
{
	return w->url;
}

const struct gw_influx_result *gw_influx_last_failure(const struct gw_influx *w)
{
	return &w->failure;
}

/* ---- writing ---- */

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

int gw_influx_write(struct gw_influx *w, const char *body, size_t len, struct gw_influx_result *res)
{
	struct gw_http_request rq = {.method = "POST",
	                             .url = w->url,
	                             .headers = w->headers,
	                             .connect_ms = GW_INFLUX_CONNECT_MS,
	                             .total_ms = GW_INFLUX_TOTAL_MS,
	                             .resp = res->message,
	                             .resp_len = sizeof(res->message)};
	struct gw_http_result hr;
	int rc;

	memset(res, 0, sizeof(*res));
	w->wire_len = 0;
	if (w->cfg.gzip) {
		if (gw_influx_gzip(body, len, &w->z)) {
			snprintf(res->message, sizeof(res->message), "gzip failed");
			w->failure = *res;
			return -EAGAIN;
		}
		body = (const char *)w->z.data;
		len = w->z.len;
	}
	if (w->cfg.api == 1 && w->cfg.username[0]) {
		rq.username = w->cfg.username;
		rq.password = w->secret;
	}
	rq.body = body;
	rq.body_len = len;
	if (gw_http_client_request(w->http, &rq, &hr)) {
		snprintf(res->message, sizeof(res->message), "%s", hr.message);
		w->failure = *res;
		return -EAGAIN;
	}
	w->wire_len = len;
	res->status = hr.status;
	res->retry_after_ms = hr.retry_after_ms;
	trim(res->message);
	if (!res->message[0])
		snprintf(res->message, sizeof(res->message), "%s", hr.message);
	rc = gw_influx_classify(hr.status);
	if (rc)
		w->failure = *res;
	return rc;
}

static void drop_lines(struct gw_influx_stats *st, size_t lines, const struct gw_influx_result *res)
{
	size_t dropped = gw_influx_partial_dropped(res->message, lines);

	st->dropped_points += dropped;
	st->written_points += lines - dropped;
	st->dropped_batches++;
	gw_log(GW_WARN, "influx", "status=%ld points=%zu dropped=%zu refused: %s", res->status,
	       lines, dropped, res->message);
}

int gw_influx_write_all(struct gw_influx *w, const char *body, size_t len,
                        struct gw_influx_stats *st)
{
	struct gw_influx_result res;
	size_t lines = gw_influx_count_lines(body, len);
	size_t half;
	int rc;

	if (lines == 0)
		return 0;
	rc = gw_influx_write(w, body, len, &res);
	st->sent_bytes += w->wire_len;
	if (rc == 0) {
		st->written_points += lines;
		st->written_batches++;
		return 0;
	}
	if (rc == -EINVAL) {
		drop_lines(st, lines, &res);
		return 0;
	}
	if (rc != -E2BIG)
		return rc;
	half = gw_influx_split_at(body, len);
	if (half == 0) { /* one line the server will never take */
		drop_lines(st, lines, &res);
		return 0;
	}
	rc = gw_influx_write_all(w, body, half, st);
	if (rc)
		return rc;
	return gw_influx_write_all(w, body + half, len - half, st);
}

int gw_influx_http(const char *url, const char *post, size_t post_len, long *status, char *resp,
                   size_t resp_len)
{
	static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	struct gw_http_request rq = {.method = post ? "POST" : "GET",
	                             .url = url,
	                             .headers = post ? form : NULL,
	                             .body = post,
	                             .body_len = post ? post_len : 0,
	                             .connect_ms = GW_INFLUX_CONNECT_MS,
	                             .total_ms = GW_INFLUX_TOTAL_MS,
	                             .resp = resp,
	                             .resp_len = resp_len};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result hr;
	int rc;

	resp[0] = '\0';
	if (!c)
		return -ENOMEM;
	rc = gw_http_client_request(c, &rq, &hr);
	gw_http_client_free(c);
	if (rc)
		return rc == -ENOMEM ? rc : -EAGAIN;
	*status = hr.status;
	return 0;
}

int gw_influx_get_stream(const char *url, const char *username, const char *password,
                         const char *accept, gw_influx_chunk_fn fn, void *user, long *status)
{
	char hdr[128];
	const char *const hdrs[] = {hdr, NULL};
	struct gw_http_request rq = {.method = "GET",
	                             .url = url,
	                             .headers = hdrs,
	                             .username = username,
	                             .password = password,
	                             .connect_ms = GW_INFLUX_CONNECT_MS,
	                             .idle_ms = GW_INFLUX_IDLE_MS,
	                             .on_body = fn,
	                             .user = user};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result hr;
	int rc;

	if (!c)
		return -ENOMEM;
	snprintf(hdr, sizeof(hdr), "Accept: %s", accept);
	rc = gw_http_client_request(c, &rq, &hr);
	gw_http_client_free(c);
	if (rc == 0) {
		*status = hr.status;
		return 0;
	}
	if (hr.status) /* fn stopped it */
		return rc;
	gw_log(GW_ERR, "influx", "query failed: %s", hr.message);
	return rc == -ENOMEM ? rc : -EAGAIN;
}
