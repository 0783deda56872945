/* fieldgate's own HTTP/1.1 client for http:// URLs: one kept connection, a non-blocking
 * connect, the request in one sendmsg (MSG_NOSIGNAL: never SIGPIPE), every wait a poll(2)
 * against a deadline, the answer through http_parse.c. A kept connection the server closed
 * before answering is opened again and the request sent once more. Never logs. */
#include "http_backend.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define GW_HP_NONE INT64_MAX /* no deadline */

struct gw_http_plain {
	int fd; /* -1: none */
	char host[256];
	char port[8];
	char head[16384]; /* the request line and headers (wiped after each request) */
	char buf[16384];  /* what recv hands the parser */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

struct gw_http_plain *gw_http_plain_new(void)
{
	struct gw_http_plain *c = calloc(1, sizeof(*c));

	if (c)
		c->fd = -1;
	return c;
}

static void drop_conn(struct gw_http_plain *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void gw_http_plain_free(struct gw_http_plain *c)
{
	if (!c)
		return;
	drop_conn(c);
	free(c);
}

/* Waits for ev on fd until deadline (monotonic ms). */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline == GW_HP_NONE ? INT_MAX : deadline - mono_ms();
		struct pollfd pf = {.fd = fd, .events = ev};
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pf, 1, (int)min64(left, INT_MAX));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_one(const struct addrinfo *ai, int64_t deadline, int *out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	int one = 1, err = 0;
	socklen_t elen = sizeof(err);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out_close;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc)
			goto out_close;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err) {
			rc = -err;
			goto out_close;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	*out = fd;
	return 0;
out_close:
	close(fd);
	return rc;
}

static int open_conn(struct gw_http_plain *c, const struct gw_http_url *u, int64_t deadline,
                     struct gw_http_result *res)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(u->host, u->port, &hints, &ai);
	int rc = -EHOSTUNREACH;

	if (gai) {
		snprintf(res->message, sizeof(res->message), "cannot resolve %.100s: %s", u->host,
		         gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (const struct addrinfo *a = ai; a; a = a->ai_next) {
		rc = connect_one(a, deadline, &c->fd);
		if (rc == 0 || rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(ai);
	if (rc) {
		snprintf(res->message, sizeof(res->message), "connect to %.100s port %s: %s",
		         u->host, u->port, strerror(-rc));
		return rc;
	}
	snprintf(c->host, sizeof(c->host), "%s", u->host);
	snprintf(c->port, sizeof(c->port), "%s", u->port);
	return 0;
}

/* True when a kept connection has something to read before we asked: the server closed it
 * (EOF, reset) or sent something unasked. Either way it cannot carry the next request. */
static bool conn_stale(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN | POLLRDHUP};

	return poll(&pf, 1, 0) != 0;
}

static int append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *pos)
		return -EINVAL;
	*pos += (size_t)n;
	return 0;
}

static int auth_header(char *buf, size_t cap, size_t *pos, const struct gw_http_request *rq)
{
	char plain[600], b64[820];
	const char *pw = rq->password ? rq->password : "";
	int n = snprintf(plain, sizeof(plain), "%s:%s", rq->username, pw);
	int rc = -EINVAL;

	if (n >= 0 && (size_t)n < sizeof(plain) &&
	    gw_http_base64(plain, (size_t)n, b64, sizeof(b64)) == 0)
		rc = append(buf, cap, pos, "Authorization: Basic %s\r\n", b64);
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(b64, sizeof(b64));
	return rc;
}

/* The request line and headers into c->head; returns their length or -EINVAL (too long). */
static int build_head(struct gw_http_plain *c, const struct gw_http_url *u,
                      const struct gw_http_request *rq, size_t *len)
{
	const char *t = u->target;
	bool v6 = strchr(u->host, ':') != NULL;
	size_t pos = 0;
	int rc;

	rc = append(c->head, sizeof(c->head), &pos, "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n",
	            rq->method, t[0] == '/' ? "" : "/", t, v6 ? "[" : "", u->host, v6 ? "]" : "",
	            u->port);
	for (const char *const *h = rq->headers; rc == 0 && h && *h; h++)
		rc = append(c->head, sizeof(c->head), &pos, "%s\r\n", *h);
	if (rc == 0 && rq->username && rq->username[0])
		rc = auth_header(c->head, sizeof(c->head), &pos, rq);
	if (rc == 0 && (rq->body_len || strcmp(rq->method, "POST") == 0))
		rc = append(c->head, sizeof(c->head), &pos, "Content-Length: %zu\r\n",
		            rq->body_len);
	rc = rc ? rc : append(c->head, sizeof(c->head), &pos, "\r\n");
	*len = pos;
	return rc;
}

static int send_all(int fd, struct iovec *iov, int n, int64_t deadline, size_t *sent)
{
	while (n > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		int rc;

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		*sent += (size_t)w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Reads until the parser has the whole answer. *got: a byte of it arrived. */
static int read_answer(struct gw_http_plain *c, struct gw_http_parser *p,
                       const struct gw_http_request *rq, int64_t deadline, bool *got)
{
	for (;;) {
		int64_t dl = rq->idle_ms > 0 ? min64(deadline, mono_ms() + rq->idle_ms) : deadline;
		int rc = wait_fd(c->fd, POLLIN, dl);
		ssize_t n, fed;

		if (rc)
			return rc;
		n = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return *got ? gw_http_parser_eof(p) : -ECONNRESET;
		*got = true;
		fed = gw_http_parser_feed(p, c->buf, (size_t)n);
		if (fed < 0)
			return (int)fed;
		if (gw_http_parser_done(p)) {
			if (fed < n)
				p->keep_alive = false; /* bytes nobody asked for */
			return 0;
		}
	}
}

/* One try on the current connection: send, then read even when sending failed (a server may
 * answer 413 and close before it has read the whole body). */
static int exchange(struct gw_http_plain *c, const struct gw_http_request *rq, size_t hlen,
                    struct gw_http_parser *p, int64_t deadline, bool *got, size_t *sent)
{
	struct iovec iov[2] = {{c->head, hlen}, {(void *)rq->body, rq->body_len}};
	int rc = send_all(c->fd, iov, rq->body_len ? 2 : 1, deadline, sent);
	int rrc;

	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		return rc;
	rrc = read_answer(c, p, rq, deadline, got);
	return rc && !*got ? rc : rrc;
}

static void describe(const struct gw_http_plain *c, int rc, bool got, int64_t t0,
                     struct gw_http_result *res)
{
	char *m = res->message;
	size_t ml = sizeof(res->message);

	if (rc == -ETIMEDOUT)
		snprintf(m, ml, "no answer from %.100s port %s: timed out after %lld ms", c->host,
		         c->port, (long long)(mono_ms() - t0));
	else if (rc == -EPROTO)
		snprintf(m, ml, "malformed HTTP answer from %.100s port %s", c->host, c->port);
	else if (!got && (rc == -ECONNRESET || rc == -EPIPE))
		snprintf(m, ml, "%.100s port %s closed the connection without answering (%s)",
		         c->host, c->port, strerror(-rc));
	else
		snprintf(m, ml, "%.100s port %s: %s", c->host, c->port, strerror(-rc));
}

int gw_http_plain_request(struct gw_http_plain *c, const struct gw_http_url *u,
                          const struct gw_http_request *rq, struct gw_http_result *res)
{
	int64_t t0 = mono_ms();
	int64_t deadline = rq->total_ms > 0 ? t0 + rq->total_ms : GW_HP_NONE;
	struct gw_http_parser p;
	size_t hlen = 0, sent = 0;
	bool got = false;
	int rc = build_head(c, u, rq, &hlen);

	if (rc) {
		snprintf(res->message, sizeof(res->message), "request too long");
		goto out_wipe;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool reused = c->fd >= 0 && strcmp(c->host, u->host) == 0 &&
		              strcmp(c->port, u->port) == 0 && !conn_stale(c->fd);
		int64_t cdl = rq->connect_ms > 0 ? mono_ms() + rq->connect_ms : deadline;

		if (!reused) {
			drop_conn(c);
			rc = open_conn(c, u, min64(deadline, cdl), res);
			if (rc)
				goto out_wipe;
		}
		gw_http_parser_init(&p, rq->on_body, rq->user);
		p.no_body = strcmp(rq->method, "HEAD") == 0;
		sent = 0;
		got = false;
		rc = exchange(c, rq, hlen, &p, deadline, &got, &sent);
		if (!(rc && !got && reused &&
		      (rc == -EPIPE || rc == -ECONNRESET || rc == -ECONNABORTED)))
			break;
		drop_conn(c); /* closed while idle: once more on a new connection */
	}
	if (rc == 0 || (p.body_rc && rc == p.body_rc)) {
		res->status = p.status;
		res->retry_after_ms = p.retry_after_ms;
		res->sent = sent > hlen ? sent - hlen : 0;
		snprintf(res->message, sizeof(res->message), "%s", p.error);
	} else {
		describe(c, rc, got, t0, res);
	}
	if (rc || !p.keep_alive)
		drop_conn(c);
out_wipe:
	explicit_bzero(c->head, sizeof(c->head)); /* it may hold a password */
	return rc;
}
