/* The pure pieces of the plain HTTP/1.1 client: URL split, basic-auth base64, and an
 * incremental response parser (status line, headers, Content-Length / chunked / until-close
 * bodies) that takes the bytes in whatever pieces the socket hands them. No I/O, no logging. */
#ifndef GW_HTTP_PARSE_H
#define GW_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http_client.h"

struct gw_http_url {
	bool tls;       /* https */
	char host[256]; /* without the brackets of an IPv6 literal */
	char port[8];
	const char *target; /* borrowed from the URL: path and query, "" means "/" */
};

/* Splits url (http:// or https://, host name, IPv4 or [IPv6] literal, optional port) into *u.
 * Returns 0 or -EINVAL (other scheme, user info, empty or too long host, bad port). */
int gw_http_url_parse(const char *url, struct gw_http_url *u);

/* Writes base64(in[0..len)) NUL-terminated to out. Returns 0 or -ENOSPC. */
int gw_http_base64(const char *in, size_t len, char *out, size_t outlen);

/* If line ("Name: value", no CRLF needed) is header name (any case), copies the value,
 * trimmed, to val and returns true. */
bool gw_http_header_is(const char *line, size_t len, const char *name, char *val, size_t vlen);

enum gw_http_pstate {
	GW_HP_STATUS,
	GW_HP_HEADER,
	GW_HP_BODY_LEN,
	GW_HP_CHUNK_SIZE,
	GW_HP_CHUNK_DATA,
	GW_HP_CHUNK_END,
	GW_HP_TRAILER,
	GW_HP_BODY_EOF,
	GW_HP_DONE,
};

struct gw_http_parser {
	enum gw_http_pstate state;
	long status;
	int64_t retry_after_ms;
	bool keep_alive; /* the connection may carry another request */
	bool chunked;
	bool has_length;
	bool no_body;       /* a HEAD request: no body whatever the headers say */
	uint64_t remaining; /* of the Content-Length body or the current chunk */
	char error[256];    /* X-Influxdb-Error */
	char line[1024];    /* the status or header line being assembled (longer: truncated) */
	size_t line_len;
	size_t line_total; /* bytes of that line, truncated or not */
	size_t head_bytes; /* of the status line and headers */
	gw_http_body_fn on_body;
	void *user;
	int body_rc; /* on_body's non-zero return */
};

/* Starts p for one answer; on_body (may be NULL) receives the decoded body. */
void gw_http_parser_init(struct gw_http_parser *p, gw_http_body_fn on_body, void *user);
/* Feeds data[0..len). Returns the bytes it consumed (all of them, or fewer once the answer
 * is complete), -EPROTO on a malformed answer, or on_body's non-zero return. */
ssize_t gw_http_parser_feed(struct gw_http_parser *p, const char *data, size_t len);
/* The peer closed the connection: returns 0 when that ends the answer (a body without
 * length), else -EPROTO (cut short). */
int gw_http_parser_eof(struct gw_http_parser *p);
/* True once the whole answer has been read. */
bool gw_http_parser_done(const struct gw_http_parser *p);

#endif
