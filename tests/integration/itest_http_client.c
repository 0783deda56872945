/* The HTTP client against loopback peers that do what influxd will not: a scripted server
 * (a thread here) that keeps or closes connections between requests, closes a kept one
 * without answering, streams a chunked megabyte, stalls, answers garbage or closes while a
 * large body is still being sent (no SIGPIPE may kill us); [::1]; and https://, which loads
 * libcurl only then: against a python3 TLS server with a self-signed certificate made here,
 * libcurl must refuse the peer; and with libcurl missing the error names it and its package. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "dynlib.h"
#include "http_backend.h"
#include "http_client.h"
#include "itest_util.h"

/* ---- the scripted server ---- */

struct step {
	bool accept;        /* take a new connection first (closing the current one) */
	bool no_read;       /* close without reading the request (the client is still sending) */
	const char *answer; /* NULL: none */
	bool close;         /* close after answering */
};

#define NSTEPS 8

struct srv {
	int lfd, fd, port;
	const struct step *steps;
	size_t nsteps;
	int accepts;
	char req[NSTEPS][1024]; /* each request's head */
	size_t body[NSTEPS];    /* and its body length */
	pthread_t thread;
};

static void read_request(int fd, char *head, size_t hlen, size_t *body)
{
	static char buf[65536];
	size_t pos = 0;
	char *end = NULL;
	long want = 0;
	ssize_t n;

	while (!end && pos + 1 < sizeof(buf) &&
	       (n = read(fd, buf + pos, sizeof(buf) - 1 - pos)) > 0) {
		pos += (size_t)n;
		buf[pos] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (!end)
		return;
	snprintf(head, hlen, "%.*s", (int)(end + 4 - buf), buf);
	if (strcasestr(head, "Content-Length:"))
		want = strtol(strcasestr(head, "Content-Length:") + 15, NULL, 10);
	*body = pos - (size_t)(end + 4 - buf);
	while ((long)*body < want && (n = read(fd, buf, sizeof(buf))) > 0)
		*body += (size_t)n;
}

static void *serve(void *arg)
{
	struct srv *s = arg;
	struct timeval tv = {5, 0};

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *st = &s->steps[i];

		if (st->accept) { /* the old one stays open until the client comes anew */
			int fd = accept(s->lfd, NULL, NULL);

			if (s->fd >= 0)
				close(s->fd);
			s->fd = fd;
			if (fd < 0)
				return NULL;
			s->accepts++;
			setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if (st->no_read) {
			/* FIN first, then close with the body unread (RST): the client, in
			 * CLOSE_WAIT, gets EPIPE on its next send, which raises SIGPIPE unless
			 * it sends with MSG_NOSIGNAL */
			char one;

			shutdown(s->fd, SHUT_WR);
			if (read(s->fd, &one, 1) < 0)
				s->req[i][0] = '\0';
		} else {
			read_request(s->fd, s->req[i], sizeof(s->req[i]), &s->body[i]);
		}
		if (st->answer && write(s->fd, st->answer, strlen(st->answer)) < 0)
			s->req[i][0] = '\0';
		if (st->close || st->no_read) {
			close(s->fd);
			s->fd = -1;
		}
	}
	return NULL;
}

static void srv_start(struct srv *s, const struct step *steps, size_t n, bool v6)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr *a = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
	socklen_t alen = v6 ? sizeof(a6) : sizeof(a4);

	assert_true(n <= NSTEPS);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->steps = steps;
	s->nsteps = n;
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	if (bind(s->lfd, a, alen) != 0 && v6) {
		close(s->lfd);
		skip(); /* no IPv6 loopback on this machine */
	}
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, a, &alen), 0);
	s->port = ntohs(v6 ? a6.sin6_port : a4.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->thread, NULL);
	if (s->fd >= 0)
		close(s->fd);
	close(s->lfd);
}

/* ---- the client side ---- */

struct sink {
	size_t len, calls;
	bool pattern_ok;
	char head[64];
};

static int on_body(void *user, const char *data, size_t n)
{
	struct sink *k = user;

	for (size_t i = 0; i < n; i++)
		if (data[i] != (char)('a' + (k->len + i) % 26))
			k->pattern_ok = false;
	if (k->len < sizeof(k->head) - 1)
		snprintf(k->head + k->len, sizeof(k->head) - k->len, "%.*s", (int)n, data);
	k->len += n;
	k->calls++;
	return 0;
}

static int do_req(struct gw_http_client *c, const char *url, const char *method, const char *body,
                  size_t blen, struct gw_http_result *res, char *resp, size_t rlen)
{
	struct gw_http_request rq = {.method = method,
	                             .url = url,
	                             .body = body,
	                             .body_len = blen,
	                             .connect_ms = 2000,
	                             .total_ms = 3000,
	                             .resp = resp,
	                             .resp_len = rlen};

	return gw_http_client_request(c, &rq, res);
}

#define OK_204  "HTTP/1.1 204 No Content\r\n\r\n"
#define OK_BODY "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"

static void url_of(char *url, size_t len, const struct srv *s, const char *path)
{
	snprintf(url, len, "http://127.0.0.1:%d%s", s->port, path);
}

static void test_http_client_keepalive_reused_ok(void **state)
{
	static const struct step steps[] = {{true, false, OK_BODY, false},
	                                    {false, false, OK_204, false}};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96], resp[32];

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/write?db=x");
	assert_int_equal(do_req(c, url, "POST", "m f=1\n", 6, &res, resp, sizeof(resp)), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(resp, "abc");
	assert_int_equal(res.sent, 6);
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, resp, sizeof(resp)), 0);
	assert_int_equal(res.status, 204);
	gw_http_client_free(c);
	srv_stop(&s);
	assert_int_equal(s.accepts, 1);
	assert_non_null(strstr(s.req[0], "POST /write?db=x HTTP/1.1\r\n"));
	assert_non_null(strstr(s.req[0], "\r\nContent-Length: 6\r\n"));
	assert_non_null(strstr(s.req[0], "\r\nHost: 127.0.0.1:"));
	assert_int_equal(s.body[0], 6);
	assert_non_null(strstr(s.req[1], "GET /write?db=x HTTP/1.1\r\n"));
}

/* The server closes the kept connection after its answer, or after reading the next request
 * without answering it: either way the request gets its answer on a new connection. */
static void test_http_client_closed_keepalive_reconnects_ok(void **state)
{
	static const struct step steps[] = {
	        {true, false, OK_204, true},    /* answers, then closes */
	        {true, false, OK_204, false},   /* a new connection */
	        {false, false, NULL, true},     /* reads the request, closes unanswered */
	        {true, false, OK_BODY, false}}; /* the same request once more */
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96], resp[32];

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/a");
	assert_int_equal(do_req(c, url, "POST", "1\n", 2, &res, resp, sizeof(resp)), 0);
	pause_ms(50); /* let the FIN arrive: the stale check finds it */
	assert_int_equal(do_req(c, url, "POST", "2\n", 2, &res, resp, sizeof(resp)), 0);
	assert_int_equal(res.status, 204);
	assert_int_equal(do_req(c, url, "POST", "3\n", 2, &res, resp, sizeof(resp)), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(resp, "abc");
	gw_http_client_free(c);
	srv_stop(&s);
	assert_int_equal(s.accepts, 3);
	assert_int_equal(s.body[2], 2);
	assert_int_equal(s.body[3], 2); /* sent again whole */
}

/* A new connection closed before any answer is not retried: the caller's back-off decides. */
static void test_http_client_fresh_conn_closed_not_retried(void **state)
{
	static const struct step steps[] = {{true, false, NULL, true}};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96];
	int rc;

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/");
	rc = do_req(c, url, "POST", "x", 1, &res, NULL, 0);
	srv_stop(&s);
	assert_int_equal(rc, -ECONNRESET);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.message, "closed the connection without answering"));
	assert_int_equal(s.accepts, 1);
	gw_http_client_free(c);
}

static void test_http_client_chunked_megabyte_streamed_ok(void **state)
{
	enum { CHUNK = 1000, NCHUNK = 1000 };
	static char answer[64 + NCHUNK * (CHUNK + 16)];
	struct step steps[] = {{true, false, answer, false}};
	struct gw_http_client *c = gw_http_client_new();
	struct sink k = {.pattern_ok = true};
	struct gw_http_result res;
	struct srv s;
	char url[96];
	size_t pos =
	        (size_t)sprintf(answer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");

	(void)state;
	for (size_t i = 0; i < NCHUNK; i++) {
		pos += (size_t)sprintf(answer + pos, "%x\r\n", CHUNK);
		for (size_t j = 0; j < CHUNK; j++)
			answer[pos++] = (char)('a' + (i * CHUNK + j) % 26);
		pos += (size_t)sprintf(answer + pos, "\r\n");
	}
	sprintf(answer + pos, "0\r\n\r\n");
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/query?q=1");
	{
		struct gw_http_request rq = {.method = "GET",
		                             .url = url,
		                             .connect_ms = 2000,
		                             .idle_ms = 2000,
		                             .on_body = on_body,
		                             .user = &k};

		assert_int_equal(gw_http_client_request(c, &rq, &res), 0);
	}
	srv_stop(&s);
	assert_int_equal(res.status, 200);
	assert_int_equal(k.len, CHUNK * NCHUNK);
	assert_true(k.pattern_ok);
	assert_true(k.calls > 10); /* handed over as it came, not whole */
	gw_http_client_free(c);
}

/* 413 and 429 with Retry-After on a kept connection: status and delay reach the caller. */
static void test_http_client_413_429_retry_after_ok(void **state)
{
	static const struct step steps[] = {
	        {true, false, "HTTP/1.1 429 Slow\r\nRetry-After: 9\r\nContent-Length: 0\r\n\r\n",
	         false},
	        {false, false,
	         "HTTP/1.1 413 Too Large\r\nX-Influxdb-Error: body too large\r\n"
	         "Content-Length: 0\r\n\r\n",
	         false}};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96];

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/write");
	assert_int_equal(do_req(c, url, "POST", "a", 1, &res, NULL, 0), 0);
	assert_int_equal(res.status, 429);
	assert_int_equal(res.retry_after_ms, 9000);
	assert_int_equal(do_req(c, url, "POST", "b", 1, &res, NULL, 0), 0);
	assert_int_equal(res.status, 413);
	assert_int_equal(res.retry_after_ms, 0);
	assert_string_equal(res.message, "body too large");
	srv_stop(&s);
	assert_int_equal(s.accepts, 1);
	gw_http_client_free(c);
}

static void test_http_client_never_answers_etimedout(void **state)
{
	static const struct step steps[] = {
	        {true, false, NULL, false},
	        {true, false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
	         false}};
	struct gw_http_client *c = gw_http_client_new();
	struct sink k = {.pattern_ok = true};
	struct gw_http_result res;
	struct srv s;
	char url[96];
	int64_t t0;

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/");
	{
		struct gw_http_request rq = {
		        .method = "POST", .url = url, .connect_ms = 1000, .total_ms = 300};

		t0 = now_ms();
		assert_int_equal(gw_http_client_request(c, &rq, &res), -ETIMEDOUT);
		assert_true(now_ms() - t0 < 2000);
		assert_int_equal(res.status, 0);
		assert_non_null(strstr(res.message, "no answer from 127.0.0.1 port"));
		assert_non_null(strstr(res.message, "timed out after "));
	}
	{ /* a stream that stops halfway: the idle limit ends it */
		struct gw_http_request rq = {.method = "GET",
		                             .url = url,
		                             .connect_ms = 1000,
		                             .idle_ms = 300,
		                             .on_body = on_body,
		                             .user = &k};

		t0 = now_ms();
		assert_int_equal(gw_http_client_request(c, &rq, &res), -ETIMEDOUT);
		assert_true(now_ms() - t0 < 2000);
		assert_string_equal(k.head, "hello");
	}
	srv_stop(&s);
	gw_http_client_free(c);
}

static void test_http_client_garbage_eproto(void **state)
{
	static const struct step steps[] = {
	        {true, false, "SSH-2.0-OpenSSH_9.2\r\n", false},
	        {true, false, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\ncut", true}};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96], resp[16];

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/");
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, resp, sizeof(resp)), -EPROTO);
	assert_non_null(strstr(res.message, "malformed HTTP answer from 127.0.0.1 port"));
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, resp, sizeof(resp)), -EPROTO);
	assert_int_equal(res.status, 0);
	srv_stop(&s);
	gw_http_client_free(c);
}

/* The server resets while 8 MB are still going out: an error, no SIGPIPE (this process keeps
 * SIGPIPE's default action, which would kill it). */
static void test_http_client_reset_while_sending_no_sigpipe(void **state)
{
	static const struct step steps[] = {{true, true, NULL, true}};
	size_t big = 8u << 20;
	char *body = calloc(1, big);
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96];
	int rc;

	(void)state;
	assert_non_null(body);
	assert_ptr_equal(signal(SIGPIPE, SIG_DFL), SIG_DFL);
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/write");
	rc = do_req(c, url, "POST", body, big, &res, NULL, 0);
	srv_stop(&s);
	assert_true(rc == -EPIPE || rc == -ECONNRESET);
	assert_int_equal(res.status, 0);
	free(body);
	gw_http_client_free(c);
}

static void test_http_client_ipv6_and_refused_ok(void **state)
{
	static const struct step steps[] = {{true, false, OK_BODY, false}};
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96], resp[16];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", free_port());
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, resp, sizeof(resp)), -ECONNREFUSED);
	assert_non_null(strstr(res.message, "connect to 127.0.0.1 port"));
	srv_start(&s, steps, GW_ARRAY_LEN(steps), true);
	snprintf(url, sizeof(url), "http://[::1]:%d/ping", s.port);
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, resp, sizeof(resp)), 0);
	srv_stop(&s);
	assert_string_equal(resp, "abc");
	assert_non_null(strstr(s.req[0], "\r\nHost: [::1]:"));
	gw_http_client_free(c);
}

/* ---- https: libcurl, loaded on first use ---- */

static const char tls_server_py[] =
        "import http.server, ssl, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    protocol_version = 'HTTP/1.1'\n"
        "    def do_GET(self):\n"
        "        self.send_response(204); self.end_headers()\n"
        "    def log_message(self, *a): pass\n"
        "srv = http.server.HTTPServer(('127.0.0.1', int(sys.argv[3])), H)\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
        "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
        "print('ready', flush=True)\n"
        "srv.serve_forever()\n";

static pid_t tls_server(const char *dir, int port)
{
	char cmd[512], cert[128], key[128], portbuf[16];
	int pfd[2];
	pid_t pid;
	char ready[8] = "";

	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
	         "-keyout %s -out %s 2>/dev/null",
	         key, cert);
	assert_int_equal(system(cmd), 0);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/usr/bin/python3", "python3", "-c", tls_server_py, cert, key, portbuf,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	assert_true(read(pfd[0], ready, 5) == 5);
	close(pfd[0]);
	return pid;
}

static void test_http_client_https_loads_curl_refuses_self_signed(void **state)
{
	static const struct step steps[] = {{true, false, OK_204, false}};
	char dir[] = "/tmp/itest_https_XXXXXX";
	struct gw_http_client *c = gw_http_client_new();
	struct gw_http_result res;
	struct srv s;
	char url[96], cmd[128];
	int port = free_port();
	pid_t pid;
	int rc;

	(void)state;
	srv_start(&s, steps, GW_ARRAY_LEN(steps), false);
	url_of(url, sizeof(url), &s, "/ping");
	assert_int_equal(do_req(c, url, "GET", NULL, 0, &res, NULL, 0), 0);
	srv_stop(&s);
	assert_false(gw_dl_is_mapped("libcurl.so.4")); /* http:// did not need it */
	assert_non_null(mkdtemp(dir));
	pid = tls_server(dir, port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/ping", port);
	rc = do_req(c, url, "GET", NULL, 0, &res, NULL, 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(gw_dl_is_mapped("libcurl.so.4"));
	assert_int_not_equal(rc, 0);
	assert_int_equal(res.status, 0);
	assert_non_null(strcasestr(res.message, "certificate"));
	gw_http_client_free(c);
}

/* In a child, so this process's libcurl stays loadable for the test above. */
static void test_http_client_https_without_libcurl_says_so(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gw_http_client *c = gw_http_client_new();
		struct gw_http_result res;

		gw_http_curl_set_soname("libcurl-fieldgate-missing.so.4", "libcurl4");
		if (do_req(c, "https://127.0.0.1:1/", "GET", NULL, 0, &res, NULL, 0) != -ENOENT ||
		    !strstr(res.message, "libcurl-fieldgate-missing.so.4") ||
		    !strstr(res.message, "(install libcurl4)"))
			_exit(1);
		_exit(gw_dl_is_mapped("libcurl.so.4") ? 2 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_http_client_keepalive_reused_ok),
	        cmocka_unit_test(test_http_client_closed_keepalive_reconnects_ok),
	        cmocka_unit_test(test_http_client_fresh_conn_closed_not_retried),
	        cmocka_unit_test(test_http_client_chunked_megabyte_streamed_ok),
	        cmocka_unit_test(test_http_client_413_429_retry_after_ok),
	        cmocka_unit_test(test_http_client_never_answers_etimedout),
	        cmocka_unit_test(test_http_client_garbage_eproto),
	        cmocka_unit_test(test_http_client_reset_while_sending_no_sigpipe),
	        cmocka_unit_test(test_http_client_ipv6_and_refused_ok),
	        cmocka_unit_test(test_http_client_https_without_libcurl_says_so),
	        cmocka_unit_test(test_http_client_https_loads_curl_refuses_self_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
