/* Dial-in DTU listener threads and the registry of listeners by address and
 * port. A pending connection is read one byte at a time until its bytes are a
 * whole registration (registrations on one listener never start one another,
 * config checks that) or can no longer become one; so nothing after the
 * registration is consumed here. */
#include "dtu_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define MAX_PENDING    64
#define BIND_RETRY_MS  2000
#define LOG_WINDOW_MS  60000
#define LOG_PER_WINDOW 5

/* what is logged, each with its own allowance per window */
enum { LOG_BIND, LOG_REFUSED, LOG_UNKNOWN, LOG_LATE, LOG_KINDS };

struct pending {
	int fd;
	int64_t deadline;
	size_t n;
	uint8_t buf[GW_DTU_REG_MAX];
	char peer[GW_DTU_PEER_LEN];
};

struct listener;

struct gw_dtu_slot {
	struct listener *ls;
	char name[64];
	uint8_t reg[GW_DTU_REG_MAX];
	size_t reglen;
	/* under ls->lock */
	int fd_new;   /* registered, not yet taken (-1: none) */
	int fd_taken; /* a dup of the socket the link holds, to shut it down on a re-dial */
	char peer_new[GW_DTU_PEER_LEN];
};

struct listener {
	struct listener *next;
	char addr[64];
	uint16_t port;
	unsigned max_conns;
	int fd;
	int bind_err;
	int wake[2];
	pthread_t thread;
	bool stop;
	pthread_mutex_t lock;
	struct gw_dtu_slot *slots[GW_DTU_MAX_SLOTS];
	size_t nslots;
	struct pending pend[MAX_PENDING];
	size_t npend;
	int64_t log_window;
	unsigned logged[LOG_KINDS], suppressed;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct listener *registry;

/* Rate-limited notices: a port scan must not flood the log. */
static bool may_log(struct listener *ls, int kind)
{
	int64_t now = gw_clock_mono_ms();

	if (now - ls->log_window >= LOG_WINDOW_MS) {
		if (ls->suppressed)
			gw_log(GW_NOTICE, "dtu",
			       "listen=%s:%u %u more refused or unknown connections not logged",
			       ls->addr, ls->port, ls->suppressed);
		ls->log_window = now;
		memset(ls->logged, 0, sizeof(ls->logged));
		ls->suppressed = 0;
	}
	if (ls->logged[kind] < LOG_PER_WINDOW) {
		ls->logged[kind]++;
		return true;
	}
	ls->suppressed++;
	return false;
}

static int bind_listener(struct listener *ls)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ls->addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(ls->port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, ls->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(ls->port);
		len = sizeof(struct sockaddr_in6);
	} else {
		return -EADDRNOTAVAIL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void peer_name(const struct sockaddr_storage *ss, char *out)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof(host));
		port = ntohs(in->sin6_port);
	}
	snprintf(out, GW_DTU_PEER_LEN, "%s:%u", host, port);
}

/* Connections held now: waiting to register, registered and not yet taken, taken. */
static size_t nconns(const struct listener *ls)
{
	size_t n = ls->npend;

	for (size_t i = 0; i < ls->nslots; i++)
		n += (ls->slots[i]->fd_new >= 0) + (ls->slots[i]->fd_taken >= 0);
	return n;
}

static void accept_one(struct listener *ls)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(ls->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct pending *p;

	if (fd < 0)
		return;
	pthread_mutex_lock(&ls->lock);
	if (nconns(ls) >= ls->max_conns || ls->npend == MAX_PENDING) {
		pthread_mutex_unlock(&ls->lock);
		char peer[GW_DTU_PEER_LEN];

		peer_name(&ss, peer);
		if (may_log(ls, LOG_REFUSED))
			gw_log(GW_WARN, "dtu", "listen=%s:%u peer=%s refused: %u connections held",
			       ls->addr, ls->port, peer, ls->max_conns);
		close(fd);
		return;
	}
	p = &ls->pend[ls->npend++];
	pthread_mutex_unlock(&ls->lock);
	p->fd = fd;
	p->n = 0;
	p->deadline = gw_clock_mono_ms() + GW_DTU_REG_MS;
	peer_name(&ss, p->peer);
}

static void pending_drop(struct listener *ls, size_t i)
{
	pthread_mutex_lock(&ls->lock);
	ls->pend[i] = ls->pend[--ls->npend];
	pthread_mutex_unlock(&ls->lock);
}

/* The printable start of what an unknown peer sent, for the log (no more: it
 * may be anything, and long digit runs are nobody's business). */
static void shown(const struct pending *p, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n && i < 4 && k + 5 < size; i++)
		k += (size_t)snprintf(out + k, size - k,
		                      p->buf[i] >= 0x20 && p->buf[i] < 0x7F ? "%c" : "\\x%02x",
		                      p->buf[i]);
	out[k] = '\0';
}

/* Under ls->lock: p's socket becomes s's. */
static void handover(struct gw_dtu_slot *s, struct pending *p)
{
	char was[GW_DTU_PEER_LEN] = "";

	if (s->fd_new >= 0) {
		snprintf(was, sizeof(was), "%s", s->peer_new);
		close(s->fd_new);
	}
	if (s->fd_taken >= 0) {
		/* the DTU dialled again: its old connection is dead or dying, end it now */
		shutdown(s->fd_taken, SHUT_RDWR);
		close(s->fd_taken);
		s->fd_taken = -1;
		snprintf(was, sizeof(was), "the connection in use");
	}
	s->fd_new = p->fd;
	snprintf(s->peer_new, sizeof(s->peer_new), "%s", p->peer);
	if (was[0])
		gw_log(GW_NOTICE, "dtu", "bus=%s registered again from %s: takes over from %s",
		       s->name, p->peer, was);
	else
		gw_log(GW_INFO, "dtu", "bus=%s registered from %s", s->name, p->peer);
}

/* Under ls->lock. Looks at p's bytes: 1 handed over, 0 wait for more, -1 unknown. */
static int classify(struct listener *ls, struct pending *p)
{
	bool maybe = false;

	for (size_t i = 0; i < ls->nslots; i++) {
		struct gw_dtu_slot *s = ls->slots[i];
		size_t n = p->n < s->reglen ? p->n : s->reglen;

		if (memcmp(p->buf, s->reg, n) != 0)
			continue;
		if (p->n == s->reglen) {
			handover(s, p);
			return 1;
		}
		maybe = true;
	}
	return maybe ? 0 : -1;
}

/* Reads p one byte at a time until it registers, cannot, or has nothing more. */
static void pending_read(struct listener *ls, size_t i)
{
	struct pending *p = &ls->pend[i];
	char what[32];
	int rc = 0;

	while (rc == 0 && p->n < GW_DTU_REG_MAX) {
		ssize_t got = recv(p->fd, p->buf + p->n, 1, 0);

		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (got <= 0) {
			gw_log(GW_DEBUG, "dtu", "listen=%s:%u peer=%s left before registering",
			       ls->addr, ls->port, p->peer);
			close(p->fd);
			pending_drop(ls, i);
			return;
		}
		p->n++;
		pthread_mutex_lock(&ls->lock);
		rc = classify(ls, p);
		pthread_mutex_unlock(&ls->lock);
	}
	if (rc == 1) {
		pending_drop(ls, i);
		return;
	}
	shown(p, what, sizeof(what));
	if (may_log(ls, LOG_UNKNOWN))
		gw_log(GW_WARN, "dtu",
		       "listen=%s:%u peer=%s unknown registration (starts \"%s\"): closed",
		       ls->addr, ls->port, p->peer, what);
	close(p->fd);
	pending_drop(ls, i);
}

static void pending_expire(struct listener *ls, int64_t now)
{
	for (size_t i = ls->npend; i-- > 0;) {
		if (ls->pend[i].deadline > now)
			continue;
		if (may_log(ls, LOG_LATE))
			gw_log(GW_WARN, "dtu",
			       "listen=%s:%u peer=%s did not register within %d s: closed",
			       ls->addr, ls->port, ls->pend[i].peer, GW_DTU_REG_MS / 1000);
		close(ls->pend[i].fd);
		pending_drop(ls, i);
	}
}

/* Binds when not bound yet. Returns false while the address cannot be had. */
static bool ensure_bound(struct listener *ls)
{
	int fd;

	if (ls->fd >= 0)
		return true;
	fd = bind_listener(ls);
	pthread_mutex_lock(&ls->lock);
	ls->bind_err = fd < 0 ? fd : 0;
	if (fd >= 0)
		ls->fd = fd;
	pthread_mutex_unlock(&ls->lock);
	if (fd >= 0)
		gw_log(GW_INFO, "dtu", "listen=%s:%u waiting for DTUs", ls->addr, ls->port);
	else if (may_log(ls, LOG_BIND))
		gw_log(GW_ERR, "dtu", "listen=%s:%u cannot listen: %s (retrying)", ls->addr,
		       ls->port, strerror(-fd));
	return fd >= 0;
}

static int poll_wait_ms(const struct listener *ls, int64_t now)
{
	int64_t until = now + 1000;

	for (size_t i = 0; i < ls->npend; i++)
		if (ls->pend[i].deadline < until)
			until = ls->pend[i].deadline;
	return until <= now ? 0 : (int)(until - now);
}

static void serve_once(struct listener *ls)
{
	struct pollfd pfd[2 + MAX_PENDING];
	nfds_t n = 0;
	size_t npend = ls->npend;
	int rc;

	pfd[n++] = (struct pollfd){.fd = ls->wake[0], .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = ls->fd, .events = POLLIN};
	for (size_t i = 0; i < npend; i++)
		pfd[n++] = (struct pollfd){.fd = ls->pend[i].fd, .events = POLLIN};
	rc = poll(pfd, n, poll_wait_ms(ls, gw_clock_mono_ms()));
	if (rc > 0 && !pfd[0].revents) {
		/* backwards: a dropped pending entry is replaced by the last one */
		for (size_t i = npend; i-- > 0;)
			if (pfd[2 + i].revents)
				pending_read(ls, i);
		if (pfd[1].revents & POLLIN)
			accept_one(ls);
	}
	pending_expire(ls, gw_clock_mono_ms());
}

static void *listener_main(void *arg)
{
	struct listener *ls = arg;

	for (;;) {
		bool stop;

		pthread_mutex_lock(&ls->lock);
		stop = ls->stop;
		pthread_mutex_unlock(&ls->lock);
		if (stop)
			break;
		if (ensure_bound(ls)) {
			serve_once(ls);
			continue;
		}
		struct pollfd p = {.fd = ls->wake[0], .events = POLLIN};

		poll(&p, 1, BIND_RETRY_MS);
	}
	for (size_t i = 0; i < ls->npend; i++)
		close(ls->pend[i].fd);
	ls->npend = 0;
	return NULL;
}

static void listener_free(struct listener *ls)
{
	if (ls->wake[1] >= 0) {
		pthread_mutex_lock(&ls->lock);
		ls->stop = true;
		pthread_mutex_unlock(&ls->lock);
		if (write(ls->wake[1], "x", 1) < 0)
			gw_log(GW_ERR, "dtu", "listener wake failed: %s", strerror(errno));
		pthread_join(ls->thread, NULL);
	}
	if (ls->fd >= 0)
		close(ls->fd);
	for (int i = 0; i < 2; i++)
		if (ls->wake[i] >= 0)
			close(ls->wake[i]);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

static struct listener *listener_new(const struct gw_dtu_slot_cfg *cfg)
{
	struct listener *ls = calloc(1, sizeof(*ls));
	int rc;

	if (!ls)
		return NULL;
	snprintf(ls->addr, sizeof(ls->addr), "%s", cfg->listen);
	ls->port = cfg->port;
	ls->max_conns = cfg->max_connections ? cfg->max_connections : 16;
	ls->fd = -1;
	ls->wake[0] = ls->wake[1] = -1;
	ls->log_window = gw_clock_mono_ms();
	pthread_mutex_init(&ls->lock, NULL);
	if (pipe2(ls->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto out_free;
	rc = pthread_create(&ls->thread, NULL, listener_main, ls);
	if (rc) {
		close(ls->wake[1]);
		ls->wake[1] = -1;
		errno = rc;
		goto out_free;
	}
	return ls;
out_free:
	rc = errno;
	listener_free(ls);
	errno = rc;
	return NULL;
}

/* Under registry_lock: the listener of cfg's address, made when new. */
static struct listener *listener_get(const struct gw_dtu_slot_cfg *cfg)
{
	struct listener *ls;

	for (ls = registry; ls; ls = ls->next)
		if (ls->port == cfg->port && strcmp(ls->addr, cfg->listen) == 0)
			return ls;
	ls = listener_new(cfg);
	if (ls) {
		ls->next = registry;
		registry = ls;
	}
	return ls;
}

struct gw_dtu_slot *gw_dtu_attach(const struct gw_dtu_slot_cfg *cfg)
{
	struct gw_dtu_slot *s;
	struct listener *ls;

	if (!cfg->listen || !cfg->reglen || cfg->reglen > GW_DTU_REG_MAX) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name ? cfg->name : "?");
	memcpy(s->reg, cfg->reg, cfg->reglen);
	s->reglen = cfg->reglen;
	s->fd_new = s->fd_taken = -1;
	pthread_mutex_lock(&registry_lock);
	ls = listener_get(cfg);
	if (ls) {
		bool ok;

		pthread_mutex_lock(&ls->lock);
		ok = ls->nslots < GW_DTU_MAX_SLOTS;
		if (ok)
			ls->slots[ls->nslots++] = s;
		pthread_mutex_unlock(&ls->lock);
		if (!ok)
			ls = NULL;
	}
	pthread_mutex_unlock(&registry_lock);
	if (!ls) {
		free(s);
		return NULL;
	}
	s->ls = ls;
	return s;
}

void gw_dtu_detach(struct gw_dtu_slot *s)
{
	struct listener *ls, **pp;
	bool last;

	if (!s)
		return;
	ls = s->ls;
	pthread_mutex_lock(&registry_lock);
	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < ls->nslots; i++)
		if (ls->slots[i] == s)
			ls->slots[i] = ls->slots[--ls->nslots];
	last = ls->nslots == 0;
	pthread_mutex_unlock(&ls->lock);
	if (last) {
		for (pp = &registry; *pp && *pp != ls; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = ls->next;
	}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		listener_free(ls);
	if (s->fd_new >= 0)
		close(s->fd_new);
	if (s->fd_taken >= 0)
		close(s->fd_taken);
	free(s);
}

int gw_dtu_take(struct gw_dtu_slot *s, char *peer)
{
	struct listener *ls = s->ls;
	int fd;

	pthread_mutex_lock(&ls->lock);
	fd = s->fd_new;
	if (fd >= 0) {
		s->fd_new = -1;
		if (s->fd_taken >= 0)
			close(s->fd_taken);
		s->fd_taken = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		snprintf(peer, GW_DTU_PEER_LEN, "%s", s->peer_new);
	} else {
		fd = ls->bind_err ? ls->bind_err : -ENOTCONN;
	}
	pthread_mutex_unlock(&ls->lock);
	return fd;
}

void gw_dtu_release(struct gw_dtu_slot *s)
{
	pthread_mutex_lock(&s->ls->lock);
	if (s->fd_taken >= 0)
		close(s->fd_taken);
	s->fd_taken = -1;
	pthread_mutex_unlock(&s->ls->lock);
}

bool gw_dtu_has_newer(struct gw_dtu_slot *s)
{
	bool newer;

	pthread_mutex_lock(&s->ls->lock);
	newer = s->fd_new >= 0;
	pthread_mutex_unlock(&s->ls->lock);
	return newer;
}
