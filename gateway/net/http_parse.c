/* The pure pieces of the plain HTTP/1.1 client: URL split, base64 for basic auth, and the
 * response parser, fed in arbitrary pieces (a header or a chunk size may straddle two reads).
 * Malformed answers are -EPROTO, never a crash; nothing here does I/O or logs. */
#include "http_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GW_HP_LINE_MAX 8192  /* one status, header or chunk-size line */
#define GW_HP_HEAD_MAX 65536 /* all header lines of one answer */
#define GW_HP_DAY_MS   86400000LL

/* ---- URL ---- */

static int copy_span(char *dst, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)dst[i]))
			return -EINVAL;
	return 0;
}

static int parse_port(const char *s, size_t n, char *port, size_t cap)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	return snprintf(port, cap, "%lu", v) < (int)cap ? 0 : -EINVAL;
}

int gw_http_url_parse(const char *url, struct gw_http_url *u)
{
	const char *p, *end, *hend, *after;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
		strcpy(u->port, "80");
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = true;
		strcpy(u->port, "443");
	} else {
		return -EINVAL;
	}
	end = p + strcspn(p, "/?");
	u->target = end;
	if (memchr(p, '@', (size_t)(end - p)))
		return -EINVAL; /* credentials belong in the config's secret files */
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(end - p));
		if (!hend || copy_span(u->host, sizeof(u->host), p + 1, (size_t)(hend - p - 1)))
			return -EINVAL;
		after = hend + 1;
	} else {
		hend = memrchr(p, ':', (size_t)(end - p));
		hend = hend ? hend : end;
		if (copy_span(u->host, sizeof(u->host), p, (size_t)(hend - p)))
			return -EINVAL;
		after = hend;
	}
	if (after == end)
		return 0;
	if (*after != ':')
		return -EINVAL;
	return parse_port(after + 1, (size_t)(end - after - 1), u->port, sizeof(u->port));
}

int gw_http_base64(const char *in, size_t len, char *out, size_t outlen)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if ((len + 2) / 3 * 4 + 1 > outlen)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		v |= i + 1 < len ? (unsigned)s[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned)s[i + 2] : 0;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

bool gw_http_header_is(const char *line, size_t len, const char *name, char *val, size_t vlen)
{
	size_t n = strlen(name);
	size_t b, e;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	for (b = n + 1; b < len && (line[b] == ' ' || line[b] == '\t'); b++)
		;
	for (e = len; e > b && isspace((unsigned char)line[e - 1]); e--)
		;
	if (vlen > 0) {
		size_t k = e - b < vlen - 1 ? e - b : vlen - 1;

		memcpy(val, line + b, k);
		val[k] = '\0';
	}
	return true;
}

/* ---- response ---- */

void gw_http_parser_init(struct gw_http_parser *p, gw_http_body_fn on_body, void *user)
{
	memset(p, 0, sizeof(*p));
	p->state = GW_HP_STATUS;
	p->on_body = on_body;
	p->user = user;
}

bool gw_http_parser_done(const struct gw_http_parser *p)
{
	return p->state == GW_HP_DONE;
}

int gw_http_parser_eof(struct gw_http_parser *p)
{
	if (p->state == GW_HP_BODY_EOF)
		p->state = GW_HP_DONE;
	return p->state == GW_HP_DONE ? 0 : -EPROTO;
}

static int parse_status(struct gw_http_parser *p, const char *l, size_t n)
{
	if (n < 12 || strncmp(l, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)l[7]) ||
	    l[8] != ' ' || !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (n > 12 && l[12] != ' '))
		return -EPROTO;
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100)
		return -EPROTO;
	p->keep_alive = l[7] != '0'; /* HTTP/1.0 closes unless it says keep-alive */
	p->chunked = p->has_length = false;
	p->retry_after_ms = 0;
	p->error[0] = '\0';
	p->state = GW_HP_HEADER;
	return 0;
}

static int parse_length(const char *v, uint64_t *out)
{
	uint64_t n = 0;

	if (!*v)
		return -EPROTO;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v) || n > UINT64_MAX / 10 - 10)
			return -EPROTO;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

static int64_t retry_ms(const char *v)
{
	int64_t secs = 0;

	if (!isdigit((unsigned char)*v))
		return 0; /* an HTTP date: the back-off alone decides */
	for (; isdigit((unsigned char)*v); v++) {
		secs = secs * 10 + (*v - '0');
		if (secs * 1000 > GW_HP_DAY_MS)
			return GW_HP_DAY_MS; /* a day is plenty */
	}
	return secs * 1000;
}

static int parse_header(struct gw_http_parser *p, const char *l, size_t n)
{
	char v[128];

	if (gw_http_header_is(l, n, "Content-Length", v, sizeof(v))) {
		p->has_length = true;
		return parse_length(v, &p->remaining);
	}
	if (gw_http_header_is(l, n, "Transfer-Encoding", v, sizeof(v)))
		p->chunked = strcasestr(v, "chunked") != NULL;
	else if (gw_http_header_is(l, n, "Connection", v, sizeof(v)))
		p->keep_alive = strcasestr(v, "close")        ? false
		                : strcasestr(v, "keep-alive") ? true
		                                              : p->keep_alive;
	else if (gw_http_header_is(l, n, "Retry-After", v, sizeof(v)))
		p->retry_after_ms = retry_ms(v);
	else if (gw_http_header_is(l, n, "X-Influxdb-Error", p->error, sizeof(p->error)))
		return 0;
	else if (!memchr(l, ':', n))
		return -EPROTO;
	return 0;
}

static int end_headers(struct gw_http_parser *p)
{
	if (p->status < 200) { /* 100 Continue and friends: the real answer follows */
		p->state = GW_HP_STATUS;
		return 0;
	}
	if (p->no_body || p->status == 204 || p->status == 304)
		p->state = GW_HP_DONE;
	else if (p->chunked)
		p->state = GW_HP_CHUNK_SIZE;
	else if (p->has_length)
		p->state = p->remaining ? GW_HP_BODY_LEN : GW_HP_DONE;
	else {
		p->state = GW_HP_BODY_EOF;
		p->keep_alive = false;
	}
	return 0;
}

static int parse_chunk_size(struct gw_http_parser *p, const char *l, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && isxdigit((unsigned char)l[i]); i++) {
		if (i >= 15)
			return -EPROTO;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)l[i]) ? l[i] - '0'
		                                                     : (tolower(l[i]) - 'a' + 10));
	}
	if (i == 0 || (i < n && l[i] != ';' && l[i] != ' ' && l[i] != '\t'))
		return -EPROTO;
	p->remaining = v;
	p->state = v ? GW_HP_CHUNK_DATA : GW_HP_TRAILER;
	return 0;
}

static int on_line(struct gw_http_parser *p)
{
	size_t n = p->line_len;

	while (n && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
		n--;
	p->line[n] = '\0';
	switch (p->state) {
	case GW_HP_STATUS:
		return n ? parse_status(p, p->line, n) : 0;
	case GW_HP_HEADER:
		return n ? parse_header(p, p->line, n) : end_headers(p);
	case GW_HP_CHUNK_SIZE:
		return parse_chunk_size(p, p->line, n);
	case GW_HP_CHUNK_END:
		p->state = GW_HP_CHUNK_SIZE;
		return n ? -EPROTO : 0;
	case GW_HP_TRAILER:
		p->state = n ? GW_HP_TRAILER : GW_HP_DONE;
		return 0;
	default:
		return -EPROTO;
	}
}

static bool in_body(const struct gw_http_parser *p)
{
	return p->state == GW_HP_BODY_LEN || p->state == GW_HP_CHUNK_DATA ||
	       p->state == GW_HP_BODY_EOF;
}

static int feed_body(struct gw_http_parser *p, const char *data, size_t *n)
{
	if (p->state != GW_HP_BODY_EOF && *n > p->remaining)
		*n = (size_t)p->remaining;
	if (p->on_body && *n) {
		int rc = p->on_body(p->user, data, *n);

		if (rc) {
			p->body_rc = rc;
			return rc;
		}
	}
	if (p->state == GW_HP_BODY_EOF)
		return 0;
	p->remaining -= *n;
	if (p->remaining == 0)
		p->state = p->state == GW_HP_BODY_LEN ? GW_HP_DONE : GW_HP_CHUNK_END;
	return 0;
}

/* Takes up to the next newline into the line buffer (truncated); parses a complete line. */
static int feed_line(struct gw_http_parser *p, const char *data, size_t *n, size_t *total)
{
	const char *nl = memchr(data, '\n', *n);
	size_t take = nl ? (size_t)(nl - data) + 1 : *n;
	size_t room = sizeof(p->line) - 1 - p->line_len;
	int rc;

	*n = take;
	memcpy(p->line + p->line_len, data, take < room ? take : room);
	p->line_len += take < room ? take : room;
	*total += take;
	if (p->state == GW_HP_STATUS && p->line_len >= 5 && memcmp(p->line, "HTTP/", 5) != 0)
		return -EPROTO;
	if (!nl)
		return 0;
	rc = on_line(p);
	p->line_len = 0;
	*total = 0;
	return rc;
}

ssize_t gw_http_parser_feed(struct gw_http_parser *p, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && p->state != GW_HP_DONE) {
		size_t n = len - i;
		bool head = p->state == GW_HP_STATUS || p->state == GW_HP_HEADER;
		int rc;

		if (in_body(p)) {
			rc = feed_body(p, data + i, &n);
		} else {
			rc = feed_line(p, data + i, &n, &p->line_total);
			if (!rc && p->line_total > GW_HP_LINE_MAX)
				rc = -EPROTO;
			p->head_bytes += head ? n : 0;
			if (!rc && p->head_bytes > GW_HP_HEAD_MAX)
				rc = -EPROTO;
		}
		if (rc)
			return rc;
		i += n;
	}
	return (ssize_t)i;
}
