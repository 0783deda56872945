/* The MQTT client's bookkeeping without Paho: the in-flight window (tickets lent to Paho, the
 * ring of acked tags, epochs), the server URI, secret files and topic checks. Leaf code: no
 * logging, no locking (the caller holds its lock), no Paho. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "mqtt_client.h"
#include "mqtt_client_int.h"

#define GW_MQTT_SPARE_TICKETS 4

int gw_mqtt_window_init(struct gw_mqtt_window *w, unsigned cap, void *owner)
{
	memset(w, 0, sizeof(*w));
	w->owner = owner;
	w->cap = cap;
	w->ring = calloc(cap, sizeof(*w->ring));
	w->pool = calloc(cap + GW_MQTT_SPARE_TICKETS, sizeof(*w->pool));
	if (!w->ring || !w->pool)
		return -ENOMEM;
	for (unsigned i = 0; i < cap + GW_MQTT_SPARE_TICKETS; i++) {
		w->pool[i].owner = owner;
		w->pool[i].next = w->free_list;
		w->free_list = &w->pool[i];
	}
	return 0;
}

void gw_mqtt_window_release(struct gw_mqtt_window *w)
{
	while (w->extra) {
		struct gw_mqtt_ticket *t = w->extra;

		w->extra = t->more;
		free(t);
	}
	free(w->pool);
	free(w->ring);
	w->pool = NULL;
	w->ring = NULL;
	w->free_list = NULL;
}

bool gw_mqtt_window_full(const struct gw_mqtt_window *w)
{
	return w->inflight + w->count >= w->cap;
}

struct gw_mqtt_ticket *gw_mqtt_window_take(struct gw_mqtt_window *w, enum gw_mqtt_kind kind,
                                           uint64_t tag)
{
	struct gw_mqtt_ticket *t = w->free_list;

	if (t) {
		w->free_list = t->next;
	} else {
		/* Paho still holds tickets of a lost connection: grow rather than stall. */
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->owner = w->owner;
		t->more = w->extra;
		w->extra = t;
	}
	t->kind = kind;
	t->tag = tag;
	t->epoch = w->epoch;
	if (kind == GW_TK_DATA)
		w->inflight++;
	return t;
}

bool gw_mqtt_window_done(struct gw_mqtt_window *w, struct gw_mqtt_ticket *t, bool acked)
{
	bool current = t->epoch == w->epoch;

	if (current && t->kind == GW_TK_DATA) {
		w->inflight--;
		if (acked) {
			w->ring[(w->head + w->count) % w->cap] = t->tag;
			w->count++;
		}
	}
	t->next = w->free_list;
	w->free_list = t;
	return current;
}

void gw_mqtt_window_abandon(struct gw_mqtt_window *w)
{
	w->epoch++;
	w->inflight = 0;
	w->count = 0;
}

size_t gw_mqtt_window_collect(struct gw_mqtt_window *w, uint64_t *tags, size_t max)
{
	size_t n = 0;

	while (n < max && w->count) {
		tags[n++] = w->ring[w->head];
		w->head = (w->head + 1) % w->cap;
		w->count--;
	}
	return n;
}

/* ---- helpers ---- */

static int check_hostport(const char *hp)
{
	const char *colon = hp[0] == '[' ? strchr(hp, ']') : hp;
	char *end;
	long port;

	if (!colon || !hp[0] || hp[0] == ':' || strpbrk(hp, "/@?# \t"))
		return -EINVAL;
	colon = strchr(colon, ':');
	if (!colon)
		return 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	return 0;
}

int gw_mqtt_server_uri(const char *url, char *buf, size_t len, bool *tls)
{
	static const struct {
		const char *scheme;
		bool tls;
	} map[] = {{"mqtt://", false}, {"tcp://", false}, {"mqtts://", true}, {"ssl://", true}};
	const char *hp = NULL;
	const char *tail;
	int n;

	for (size_t i = 0; i < GW_ARRAY_LEN(map) && !hp; i++) {
		if (strncmp(url, map[i].scheme, strlen(map[i].scheme)) == 0) {
			hp = url + strlen(map[i].scheme);
			*tls = map[i].tls;
		}
	}
	if (!hp || check_hostport(hp))
		return -EINVAL;
	tail = hp[0] == '[' ? strchr(hp, ']') : hp;
	if (strchr(tail, ':'))
		n = snprintf(buf, len, "%s%s", *tls ? "ssl://" : "tcp://", hp);
	else
		n = snprintf(buf, len, "%s%s:%d", *tls ? "ssl://" : "tcp://", hp,
		             *tls ? 8883 : 1883);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int gw_mqtt_read_secret(const struct gw_mqtt_cfg *cfg, char *buf, size_t len)
{
	char path[GW_PATH_LEN];
	ssize_t n;
	int fd, rc = gw_config_secret_path(cfg->password_file, cfg->password_credential,
	                                   "mqtt.password_credential", path, sizeof(path));

	buf[0] = '\0';
	if (rc || !path[0])
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		rc = -errno;
	close(fd);
	if (rc)
		return rc;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

bool gw_mqtt_topic_ok(const char *topic)
{
	size_t n = topic ? strlen(topic) : 0;

	return n > 0 && n < 65536 && !strpbrk(topic, "+#");
}

void gw_mqtt_tls_reason(const char *line, size_t len, char *buf, size_t buf_len)
{
	const char *why = line, *end = line + len;
	int colons = 0;

	/* "thread:error:code:library:function:reason:file:line:" */
	for (const char *p = line; p < end && colons < 5; p++) {
		if (*p == ':' && ++colons == 5)
			why = p + 1;
	}
	if (colons == 5) {
		const char *stop = memchr(why, ':', (size_t)(end - why));

		if (stop)
			end = stop;
	}
	snprintf(buf, buf_len, "%.*s", (int)(end - why), why);
}

const char *gw_mqtt_connack_reason(int code)
{
	static const char *const connack[] = {NULL,
	                                      "unacceptable protocol version",
	                                      "client id rejected",
	                                      "server unavailable",
	                                      "connection refused: bad user name or password",
	                                      "connection refused: not authorized"};

	return code > 0 && code < (int)GW_ARRAY_LEN(connack) ? connack[code] : NULL;
}
