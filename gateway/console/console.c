/* The console's server: routes, sessions and CSRF on every request, the page's files, the
 * event stream, and the password file. The work is elsewhere: console_health.c (what the page
 * shows), console_action.c (the bus actions), console_cfgtext.c (a candidate config). */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "console_int.h"
#include "log.h"

#define COOKIE     "fg_session"
#define KEY_FILE   "console.key"
#define MAX_CONNS  64           /* the event stream holds one each: a crew of phones and some */
#define MAX_PER_IP 0            /* behind one NAT'd hotspot every phone has the same address */
#define MAX_BODY   (256 * 1024) /* a gateway.yaml */
#define TIMEOUT_S  30
#define STREAM_MS  1000 /* the event stream's period */

static int64_t now_s(void)
{
	return gw_clock_wall_ms() / 1000;
}

static int sb_alloc(struct gw_strbuf *o, size_t len)
{
	o->buf = malloc(len);
	o->len = len;
	o->pos = 0;
	o->full = false;
	if (o->buf)
		o->buf[0] = '\0';
	return o->buf ? 0 : -ENOMEM;
}

int console_reply_json(struct gw_http_resp *resp, unsigned status, struct gw_strbuf *o)
{
	if (o->full) {
		free(o->buf);
		return -ENOSPC;
	}
	resp->status = status;
	resp->type = "application/json; charset=utf-8";
	resp->body = o->buf;
	resp->len = o->pos;
	gw_http_resp_header(resp, "Cache-Control", "no-store");
	return 0;
}

int console_reply_error(struct gw_http_resp *resp, unsigned status, const char *msg)
{
	struct gw_strbuf o;

	if (sb_alloc(&o, strlen(msg) * 6 + 32))
		return -ENOMEM;
	gw_sb_printf(&o, "{\"error\":");
	console_json_str(&o, msg);
	gw_sb_printf(&o, "}");
	return console_reply_json(resp, status, &o);
}

void console_json_str(struct gw_strbuf *o, const char *s)
{
	gw_sb_printf(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			gw_sb_printf(o, "\\%c", *p);
		else if (*p == '\n')
			gw_sb_printf(o, "\\n");
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			gw_sb_printf(o, "\\u%04x", *p);
		else
			gw_sb_printf(o, "%c", *p);
	}
	gw_sb_printf(o, "\"");
}

void console_note(struct gw_console *c, const char *fmt, ...)
{
	struct console_logline *l;
	va_list ap;

	pthread_mutex_lock(&c->lock);
	l = &c->log[c->nlog++ % CONSOLE_LOG_LEN];
	l->ms = gw_clock_wall_ms();
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	gw_log(GW_NOTICE, "console", "%s", l->text);
	pthread_mutex_unlock(&c->lock);
}

/* The session of req (its id in id, 17 bytes), or NULL when it has none valid. */
static const char *session_of(struct gw_console *c, const struct gw_http_req *req, char *id)
{
	const char *tok = gw_http_cookie(req, COOKIE);

	return gw_cauth_session_ok(&c->auth, tok, now_s(), id) ? tok : NULL;
}

static void set_cookie(struct gw_http_resp *resp, const char *token)
{
	char v[GW_CAUTH_TOKEN_LEN + 96];

	snprintf(v, sizeof(v), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
	         token ? token : "", token ? GW_CAUTH_SESSION_S : 0);
	gw_http_resp_header(resp, "Set-Cookie", v);
}

/* Without a password every visitor gets a session: CSRF works the same. */
static const char *auto_session(struct gw_console *c, struct gw_http_resp *resp, char *tok)
{
	if (c->auth.need_password)
		return NULL;
	gw_cauth_session_new(&c->auth, now_s(), tok);
	set_cookie(resp, tok);
	return tok;
}

static int serve_asset(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	struct gw_console *c = ctx;
	const char *path = gw_http_path(req);
	char tok[GW_CAUTH_TOKEN_LEN], id[20];

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (size_t i = 0; i < console_nassets; i++) {
		if (strcmp(path, console_assets[i].path))
			continue;
		resp->status = 200;
		resp->type = console_assets[i].type;
		resp->body = (char *)console_assets[i].data;
		resp->len = console_assets[i].len;
		resp->static_body = true;
		gw_http_resp_header(resp, "Content-Security-Policy",
		                    "default-src 'self'; frame-ancestors 'none'");
		gw_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
		gw_http_resp_header(resp, "Referrer-Policy", "no-referrer");
		if (strcmp(path, "/index.html") == 0 && !session_of(c, req, id))
			auto_session(c, resp, tok);
		return 0;
	}
	return console_reply_error(resp, 404, "not found");
}

static int serve_session(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	struct gw_console *c = ctx;
	char tok[GW_CAUTH_TOKEN_LEN], csrf[GW_CAUTH_CSRF_LEN], id[20];
	const char *s = session_of(c, req, id);
	struct gw_strbuf o;

	if (!s)
		s = auto_session(c, resp, tok);
	if (sb_alloc(&o, 1024))
		return -ENOMEM;
	gw_sb_printf(&o,
	             "{\"logged_in\":%s,\"need_password\":%s,\"language\":", s ? "true" : "false",
	             c->auth.need_password ? "true" : "false");
	console_json_str(&o, c->env.cfg->console.language);
	gw_sb_printf(&o, ",\"gateway\":");
	console_json_str(&o, c->env.cfg->gateway_id);
	if (s) {
		gw_cauth_csrf(&c->auth, s, csrf);
		gw_sb_printf(&o, ",\"csrf\":\"%s\"", csrf);
	}
	gw_sb_printf(&o, "}");
	return console_reply_json(resp, 200, &o);
}

static int serve_login(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	struct gw_console *c = ctx;
	char tok[GW_CAUTH_TOKEN_LEN], msg[96];
	int64_t wait;

	if (!gw_cauth_login(&c->auth, gw_http_peer(req), gw_http_body(req, NULL), now_s(), &wait)) {
		if (wait > 0) {
			snprintf(msg, sizeof(msg), "too many attempts: wait %lld s",
			         (long long)wait);
			gw_log(GW_WARN, "console", "login refused from %s: rate-limited for %lld s",
			       gw_http_peer(req), (long long)wait);
			return console_reply_error(resp, 429, msg);
		}
		gw_log(GW_WARN, "console", "login failed from %s: wrong password",
		       gw_http_peer(req));
		return console_reply_error(resp, 401, "wrong password");
	}
	gw_cauth_session_new(&c->auth, now_s(), tok);
	gw_log(GW_NOTICE, "console", "login from %s session=%.16s", gw_http_peer(req), tok + 11);
	set_cookie(resp, tok);
	return gw_http_resp_text(resp, 200, "application/json", "{}", 2);
}

static int serve_logout(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	(void)ctx;
	(void)req;
	set_cookie(resp, NULL);
	return gw_http_resp_text(resp, 200, "application/json", "{}", 2);
}

/* The session, and for a POST its CSRF token; else an error reply is made. who gets
 * "ADDR session ID". Returns true when the request may go on. */
static bool guard(struct gw_console *c, const struct gw_http_req *req, struct gw_http_resp *resp,
                  char *who, size_t len, int *rc)
{
	char id[20];
	const char *s = session_of(c, req, id);

	if (!s) {
		*rc = console_reply_error(resp, 401, "not logged in");
		return false;
	}
	if (strcmp(gw_http_method(req), "POST") == 0 &&
	    !gw_cauth_csrf_ok(&c->auth, s, gw_http_header(req, "X-CSRF-Token"))) {
		gw_log(GW_WARN, "console", "%s %s from %s refused: no valid CSRF token",
		       gw_http_method(req), gw_http_path(req), gw_http_peer(req));
		*rc = console_reply_error(resp, 403, "missing or wrong CSRF token");
		return false;
	}
	snprintf(who, len, "%s session %s", gw_http_peer(req), id);
	return true;
}

static int serve_api(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	struct gw_console *c = ctx;
	const char *path = gw_http_path(req);
	bool post = strcmp(gw_http_method(req), "POST") == 0;
	char who[96];
	char *health;
	long n;
	int rc = 0;

	if (!guard(c, req, resp, who, sizeof(who), &rc))
		return rc;
	if (!post && strcmp(path, "/api/health") == 0) {
		n = console_health(c, &health);
		if (n < 0)
			return (int)n;
		resp->type = "application/json; charset=utf-8";
		resp->body = health;
		resp->len = (size_t)n;
		return gw_http_resp_header(resp, "Cache-Control", "no-store");
	}
	if (!post && strcmp(path, "/api/action") == 0)
		return console_action_get(c, req, resp);
	if (!post && strcmp(path, "/api/config") == 0)
		return console_config_get(c, resp);
	if (post && strcmp(path, "/api/config/validate") == 0)
		return console_config_post(c, req, who, false, resp);
	if (post && strcmp(path, "/api/config/apply") == 0)
		return console_config_post(c, req, who, true, resp);
	if (post)
		return console_action_post(c, req, who, resp);
	return console_reply_error(resp, 404, "no such API");
}

/* One event stream: the health JSON as a server-sent event each STREAM_MS. */
struct stream {
	struct gw_console *c;
	char *pending;
	size_t len, off;
	unsigned sent;
};

static bool stream_wait(struct gw_console *c)
{
	struct timespec until = gw_clock_mono_after(STREAM_MS);

	pthread_mutex_lock(&c->lock);
	while (!atomic_load(&c->stop) &&
	       pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&c->lock);
	return !atomic_load(&c->stop);
}

static long stream_next(void *arg, char *buf, size_t len)
{
	struct stream *st = arg;
	size_t n;

	if (st->off == st->len) {
		char *health = NULL;
		long hl;

		free(st->pending);
		st->pending = NULL;
		st->len = st->off = 0;
		if (st->sent++ && !stream_wait(st->c))
			return -1;
		hl = console_health(st->c, &health);
		if (hl < 0)
			return -1;
		st->pending = malloc((size_t)hl + 16);
		if (!st->pending) {
			free(health);
			return -1;
		}
		st->len = (size_t)snprintf(st->pending, (size_t)hl + 16, "data: %s\n\n", health);
		free(health);
	}
	n = st->len - st->off < len ? st->len - st->off : len;
	memcpy(buf, st->pending + st->off, n);
	st->off += n;
	return (long)n;
}

static void stream_free(void *arg)
{
	struct stream *st = arg;

	free(st->pending);
	free(st);
}

static int serve_events(void *ctx, const struct gw_http_req *req, struct gw_http_resp *resp)
{
	struct gw_console *c = ctx;
	struct stream *st;
	char who[96];
	int rc = 0;

	if (!guard(c, req, resp, who, sizeof(who), &rc))
		return rc;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->c = c;
	resp->status = 200;
	resp->type = "text/event-stream";
	resp->stream = stream_next;
	resp->stream_free = stream_free;
	resp->stream_arg = st;
	gw_http_resp_header(resp, "Cache-Control", "no-store");
	return 0;
}

static const struct gw_http_route routes[] = {
        {"GET", "/api/session", serve_session},
        {"POST", "/api/login", serve_login},
        {"POST", "/api/logout", serve_logout},
        {"GET", "/api/events", serve_events},
        {"GET", "/api/*", serve_api},
        {"POST", "/api/*", serve_api},
        {"GET", "/*", serve_asset},
        {NULL, NULL, NULL},
};

/* data_dir/console.key: the sessions' secret (32 random bytes, 0600, made at first start). */
static int session_key(const char *data_dir, uint8_t key[GW_SHA256_LEN])
{
	char path[GW_PATH_LEN + 16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/" KEY_FILE, data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		gw_random(key, GW_SHA256_LEN);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		n = write(fd, key, GW_SHA256_LEN);
		if (close(fd) || n != GW_SHA256_LEN)
			return -EIO;
		return 0;
	}
	if (fd < 0)
		return -errno;
	n = read(fd, key, GW_SHA256_LEN);
	close(fd);
	return n == GW_SHA256_LEN ? 0 : -EINVAL;
}

int gw_console_read_password(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	return gw_pwhash_is_hash(out) ? 0 : -EINVAL;
}

/* Run as root for a service that runs as its own user: the file goes to the owner of the
 * directory it is in (data_dir belongs to the service), still 0600. */
static void give_to_dir_owner(int fd, const char *path)
{
	char dir[GW_PATH_LEN];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (geteuid() != 0)
		return;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (stat(dir[0] ? dir : "/", &st) == 0 && fchown(fd, st.st_uid, st.st_gid) != 0)
		gw_log(GW_WARN, "console", "%s: cannot give it to the owner of %s: %s", path, dir,
		       strerror(errno));
}

int gw_console_write_password(const char *path, const char *password)
{
	char hash[GW_PWHASH_LEN], tmp[GW_PATH_LEN + 16];
	int fd, rc = gw_pwhash(password, strlen(password), hash);
	size_t len = strlen(hash);

	if (rc)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	give_to_dir_owner(fd, path);
	hash[len++] = '\n';
	if (write(fd, hash, len) != (ssize_t)len || fsync(fd)) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc ? rc : -EIO;
	}
	if (close(fd) || rename(tmp, path)) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

/* The password hash of cfg's console ("" when loopback-only without a file). */
static int password_hash(const struct gw_console_cfg *cc, char *hash, size_t len)
{
	int rc = gw_console_read_password(cc->password_file, hash, len);

	if (rc == -ENOENT) {
		hash[0] = '\0';
		return 0; /* config_console.c refused a LAN address without it */
	}
	if (rc)
		gw_log(GW_ERR, "console", "%s: %s", cc->password_file,
		       rc == -EINVAL ? "not a password hash (write it with: fieldgate console "
		                       "passwd)"
		                     : strerror(-rc));
	return rc;
}

/* The streams' wake-up, timed on the monotonic clock (gw_clock_mono_after). */
static int wake_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc = pthread_condattr_init(&a);

	if (rc == 0)
		rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return -rc;
}

static void console_free(struct gw_console *c)
{
	free(c->health);
	free(c->loads);
	free(c->jobs);
	gw_cauth_destroy(&c->auth);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->apply_lock);
	free(c);
}

static int console_new(const struct gw_console_env *env, struct gw_console **out)
{
	const struct gw_config *cfg = env->cfg;
	struct gw_console *c = calloc(1, sizeof(*c));
	uint8_t key[GW_SHA256_LEN] = {0};
	char hash[GW_PWHASH_LEN];
	int rc;

	if (!c)
		return -ENOMEM;
	c->env = *env;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->apply_lock, NULL);
	rc = wake_init(&c->wake);
	if (rc == 0)
		rc = password_hash(&cfg->console, hash, sizeof(hash));
	if (rc == 0 && (rc = session_key(cfg->data_dir, key)) != 0)
		gw_log(GW_ERR, "console", "cannot read or make %s/" KEY_FILE ": %s", cfg->data_dir,
		       strerror(-rc));
	gw_cauth_init(&c->auth, key, sizeof(key), rc ? NULL : hash);
	gw_crypto_wipe(key, sizeof(key));
	c->loads = calloc(cfg->nbuses + 1, sizeof(*c->loads));
	c->jobs = calloc(cfg->nbuses + 1, sizeof(*c->jobs));
	if (!rc && (!c->loads || !c->jobs))
		rc = -ENOMEM;
	if (rc) {
		console_free(c);
		return rc;
	}
	for (size_t i = 0; i < cfg->nbuses; i++)
		gw_busload_compute(cfg, i, &c->loads[i]);
	console_jobs_init(c);
	*out = c;
	return 0;
}

int gw_console_start(const struct gw_console_env *env, struct gw_console **out)
{
	const struct gw_console_cfg *cc = &env->cfg->console;
	struct gw_http_server_opts o = {.name = "console",
	                                .routes = routes,
	                                .max_conns = MAX_CONNS,
	                                .max_per_ip = MAX_PER_IP,
	                                .max_body = MAX_BODY,
	                                .timeout_s = TIMEOUT_S};
	struct gw_console *c = NULL;
	int rc;

	*out = NULL;
	if (!cc->enabled)
		return 0;
	rc = console_new(env, &c);
	if (rc)
		return rc;
	o.ctx = c;
	c->srv = gw_http_server_start(&cc->http, &o);
	if (!c->srv) {
		rc = errno ? -errno : -EIO;
		console_jobs_end(c);
		console_free(c);
		return rc;
	}
	gw_log(GW_NOTICE, "console", "technician's page on http://%s%s%s:%u/ (%s)",
	       strchr(cc->http.listen, ':') ? "[" : "", cc->http.listen,
	       strchr(cc->http.listen, ':') ? "]" : "", cc->http.port,
	       c->auth.need_password ? "password required" : "loopback only, no password");
	*out = c;
	return 0;
}

void gw_console_stop(struct gw_console *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	atomic_store(&c->stop, true);
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	gw_http_server_stop(c->srv); /* no handler runs after it: nothing new is posted */
	console_jobs_end(c);
	console_free(c);
}
