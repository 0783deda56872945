/* libFuzzer target for the HTTP/1.1 answer parser (http_parse.h), the part of fieldgate's own
 * client that reads what an InfluxDB server (or anything answering on its port) sends. Byte 0:
 * a piece size (1..64); the rest: the answer. It is fed to one parser whole and to another in
 * pieces of that size: how the bytes were cut must not change the outcome (error or not,
 * status, completion, the decoded body), and the body is never longer than the answer. The
 * input is also parsed as a URL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_CAP 65536

struct side {
	struct gw_http_parser p;
	char body[BODY_CAP];
	size_t len, total;
	long rc;
};

static int on_body(void *user, const char *d, size_t n)
{
	struct side *s = user;
	size_t k = s->len + n <= BODY_CAP ? n : BODY_CAP - s->len;

	memcpy(s->body + s->len, d, k);
	s->len += k;
	s->total += n;
	return 0;
}

static void feed(struct side *s, const char *in, size_t n, size_t step)
{
	gw_http_parser_init(&s->p, on_body, s);
	s->len = s->total = 0;
	s->rc = 0;
	for (size_t i = 0; i < n && !gw_http_parser_done(&s->p); i += step) {
		size_t k = n - i < step ? n - i : step;
		ssize_t r = gw_http_parser_feed(&s->p, in + i, k);

		if (r < 0) {
			s->rc = (long)r;
			return;
		}
		if ((size_t)r > k)
			abort();
	}
	if (!gw_http_parser_done(&s->p))
		s->rc = gw_http_parser_eof(&s->p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct side a, b;
	struct gw_http_url u;
	char url[2048];
	size_t step;

	if (size < 1)
		return 0;
	step = 1 + (data[0] & 63);
	feed(&a, (const char *)data + 1, size - 1, size);
	feed(&b, (const char *)data + 1, size - 1, step);
	if (a.rc != b.rc || (a.rc == 0 && (a.p.status != b.p.status || a.total != b.total ||
	                                   a.len != b.len || memcmp(a.body, b.body, a.len))))
		abort();
	if (a.total > size)
		abort();
	memcpy(url, data + 1, size - 1 < sizeof(url) - 1 ? size - 1 : sizeof(url) - 1);
	url[size - 1 < sizeof(url) - 1 ? size - 1 : sizeof(url) - 1] = '\0';
	gw_http_url_parse(url, &u);
	return 0;
}
