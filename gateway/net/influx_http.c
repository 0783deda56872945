/* InfluxDB HTTP writer over libcurl (the only includer of curl.h): URL and auth set-up,
 * one keep-alive handle, POST of a batch with its answer classified, and the split-on-413 /
 * drop-on-4xx loop. CURLE_* codes become -errno here and go no further. */
#define _DEFAULT_SOURCE
#include "influx_http.h"
#include "array.h"
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

#include <curl/curl.h>

#include "log.h"

#define GW_INFLUX_SECRET_LEN 512
#define GW_INFLUX_CONNECT_MS 5000L
#define GW_INFLUX_TOTAL_MS   30000L

struct gw_influx {
	struct gw_influx_cfg cfg;
	CURL *curl;
	struct curl_slist *headers;
	char url[GW_INFLUX_URL_LEN];
	char secret[GW_INFLUX_SECRET_LEN]; /* v1 password or v2 token */
	struct gw_zbuf z;                  /* the compressed body, when cfg.gzip */
	struct gw_influx_result failure;   /* the last POST that failed */
	size_t wire_len;                   /* the body length of the last POST, as sent */
};

/* Collects the answer body, truncated, into a fixed buffer. */
struct respbuf {
	char *buf;
	size_t len;
	size_t pos;
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

/* ---- curl plumbing ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct respbuf *sb = user;
	size_t n = size * nmemb;
	size_t room = sb->len - 1 - sb->pos;
	size_t take = n < room ? n : room;

	memcpy(sb->buf + sb->pos, data, take);
	sb->pos += take;
	sb->buf[sb->pos] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct gw_influx_result *res = user;
	size_t n = size * nmemb;
	int64_t ms = gw_influx_retry_after(data, n);

	if (ms >= 0)
		res->retry_after_ms = ms;
	return n;
}

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
	char hdr[GW_INFLUX_SECRET_LEN + 32];
	char path[GW_PATH_LEN];
	int rc = 0;

	if (c->api == 1)
		rc = gw_config_secret_path(c->password_file, c->password_credential,
		                           "influxdb.password_credential", path, sizeof(path));
	else
		rc = gw_config_secret_path(c->token_file, c->token_credential,
		                           "influxdb.token_credential", path, sizeof(path));
	if (rc == 0 && path[0])
		rc = read_secret(path, w->secret, sizeof(w->secret));
	if (rc)
		return rc;
	if (c->api == 1 && c->username[0]) {
		curl_easy_setopt(w->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(w->curl, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(w->curl, CURLOPT_PASSWORD, w->secret);
	}
	if (c->api == 2 && w->secret[0]) {
		struct curl_slist *l;

		snprintf(hdr, sizeof(hdr), "Authorization: Token %s", w->secret);
		l = curl_slist_append(w->headers, hdr);
		explicit_bzero(hdr, sizeof(hdr));
		if (!l)
			return -ENOMEM;
		w->headers = l;
	}
	return 0;
}

static int setup_handle(struct gw_influx *w)
{
	static const char *const hdrs[] = {"Content-Type: text/plain; charset=utf-8", "Expect:"};

	for (size_t i = 0; i < GW_ARRAY_LEN(hdrs); i++) {
		struct curl_slist *l = curl_slist_append(w->headers, hdrs[i]);

		if (!l)
			return -ENOMEM;
		w->headers = l;
	}
	if (w->cfg.gzip) {
		struct curl_slist *l = curl_slist_append(w->headers, "Content-Encoding: gzip");

		if (!l)
			return -ENOMEM;
		w->headers = l;
	}
	curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
	curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, GW_INFLUX_CONNECT_MS);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, GW_INFLUX_TOTAL_MS);
	curl_easy_setopt(w->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->curl, CURLOPT_HEADERFUNCTION, on_header);
	return setup_auth(w);
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
	rc = -ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out_free;
	w->curl = curl_easy_init();
	if (!w->curl)
		goto out_global;
	rc = setup_handle(w);
	if (rc)
		goto out_global;
	*err = 0;
	return w;
out_global:
	curl_slist_free_all(w->headers);
	curl_easy_cleanup(w->curl);
	curl_global_cleanup();
out_free:
	explicit_bzero(w->secret, sizeof(w->secret));
	free(w);
	*err = rc == -ENOSPC ? -EINVAL : rc;
	return NULL;
}

void gw_influx_free(struct gw_influx *w)
{
	if (!w)
		return;
	curl_easy_cleanup(w->curl);
	curl_slist_free_all(w->headers); /* holds the token header */
	curl_global_cleanup();
	gw_zbuf_release(&w->z);
	explicit_bzero(w->secret, sizeof(w->secret));
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
	struct respbuf sb = {res->message, sizeof(res->message), 0};
	CURLcode cc;
	long status = 0;
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
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, &sb);
	curl_easy_setopt(w->curl, CURLOPT_HEADERDATA, res);
	cc = curl_easy_perform(w->curl);
	if (cc != CURLE_OK) {
		res->retry_after_ms = 0;
		snprintf(res->message, sizeof(res->message), "%s", curl_easy_strerror(cc));
		w->failure = *res;
		return -EAGAIN;
	}
	w->wire_len = len;
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	res->status = status;
	trim(res->message);
	rc = gw_influx_classify(status);
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
	struct respbuf sb = {resp, resp_len, 0};
	CURL *c;
	CURLcode cc;
	int rc = 0;

	resp[0] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	c = curl_easy_init();
	if (!c) {
		rc = -ENOMEM;
		goto out_global;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, GW_INFLUX_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, GW_INFLUX_TOTAL_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		rc = -EAGAIN;
	curl_easy_cleanup(c);
out_global:
	curl_global_cleanup();
	return rc;
}

struct gw_influx_stream {
	gw_influx_chunk_fn fn;
	void *user;
	int rc;
};

static size_t on_stream(char *data, size_t size, size_t nmemb, void *user)
{
	struct gw_influx_stream *st = user;
	size_t n = size * nmemb;

	st->rc = st->fn(st->user, data, n);
	return st->rc ? 0 : n;
}

int gw_influx_get_stream(const char *url, const char *username, const char *password,
                         const char *accept, gw_influx_chunk_fn fn, void *user, long *status)
{
	struct gw_influx_stream st = {fn, user, 0};
	char hdr[128];
	struct curl_slist *h = NULL;
	CURL *c = NULL;
	CURLcode cc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	snprintf(hdr, sizeof(hdr), "Accept: %s", accept);
	c = curl_easy_init();
	h = c ? curl_slist_append(NULL, hdr) : NULL;
	if (!h) {
		curl_easy_cleanup(c);
		curl_global_cleanup();
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, GW_INFLUX_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
	if (username && username[0]) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	if (st.rc)
		return st.rc;
	return cc == CURLE_OK ? 0 : -EAGAIN;
}
