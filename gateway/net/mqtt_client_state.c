/* The MQTT client's state and its changes, without Paho calls (mqtt_client.c makes those).
 * Paho calls back on its own threads; every function here that says "m->lock held" must be
 * called with it. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "mqtt_client.h"
#include "mqtt_client_int.h"

/* Waits on m->cond until the monotonic time until_ms at the latest; m->lock held. */
void gw_mqtt_wait_until(struct gw_mqtt *m, int64_t until_ms)
{
	struct timespec ts = {.tv_sec = (time_t)(until_ms / 1000),
	                      .tv_nsec = (long)(until_ms % 1000) * 1000000L};

	pthread_cond_timedwait(&m->cond, &m->lock, &ts);
}

/* ---- state, m->lock held ---- */

/* Sets m->error; the password, should a server or library echo it, is blanked out. */
void gw_mqtt_set_error(struct gw_mqtt *m, const char *fmt, ...)
{
	size_t plen = strlen(m->password);
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	while (plen && (p = strstr(m->error, m->password)) != NULL)
		memset(p, '*', plen);
}

void gw_mqtt_connect_failed(struct gw_mqtt *m, const char *why)
{
	m->state = GW_MQTT_DOWN;
	gw_mqtt_window_abandon(&m->win);
	m->ev_failed = true;
	gw_mqtt_set_error(m, "%s", why);
	if (gw_limiter_fail(&m->lim))
		gw_log(GW_WARN, "mqtt", "url=%s %s (retrying with back-off)", m->cfg.url, m->error);
	m->next_attempt_ms = gw_clock_mono_ms() + m->backoff_ms;
	m->backoff_ms = m->backoff_ms * 2 > GW_MQTT_BACKOFF_MAX_MS ? GW_MQTT_BACKOFF_MAX_MS
	                                                           : m->backoff_ms * 2;
	pthread_cond_broadcast(&m->cond);
}

void gw_mqtt_went_up(struct gw_mqtt *m)
{
	unsigned failures = gw_limiter_ok(&m->lim);

	m->state = GW_MQTT_UP;
	m->ev_connected = true;
	m->backoff_ms = GW_MQTT_BACKOFF_MIN_MS;
	if (failures)
		gw_log(GW_NOTICE, "mqtt", "url=%s client_id=%s connected after %u failed attempts",
		       m->cfg.url, m->client_id, failures);
	else
		gw_log(GW_NOTICE, "mqtt", "url=%s client_id=%s connected", m->cfg.url,
		       m->client_id);
	pthread_cond_broadcast(&m->cond);
}

int gw_mqtt_init_state(struct gw_mqtt *m)
{
	pthread_condattr_t ca;
	int rc = gw_mqtt_window_init(&m->win, m->cap, m);

	if (rc)
		return rc;
	m->backoff_ms = GW_MQTT_BACKOFF_MIN_MS;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -rc;
	rc = pthread_mutex_init(&m->lock, NULL);
	if (rc)
		pthread_cond_destroy(&m->cond);
	return -rc;
}

int gw_mqtt_copy_args(struct gw_mqtt *m, const struct gw_mqtt_cfg *cfg, const char *client_id,
                      const char *status_topic)
{
	int n;

	m->cfg = *cfg;
	m->cap = cfg->max_inflight ? cfg->max_inflight : 20;
	if (!client_id || !client_id[0] || !gw_mqtt_topic_ok(status_topic))
		return -EINVAL;
	n = snprintf(m->client_id, sizeof(m->client_id), "%s", client_id);
	if (n < 0 || (size_t)n >= sizeof(m->client_id))
		return -EINVAL;
	n = snprintf(m->status_topic, sizeof(m->status_topic), "%s", status_topic);
	if (n < 0 || (size_t)n >= sizeof(m->status_topic))
		return -EINVAL;
	if (gw_mqtt_server_uri(cfg->url, m->uri, sizeof(m->uri), &m->tls))
		return -EINVAL;
	return gw_mqtt_read_secret(cfg, m->password, sizeof(m->password));
}

void gw_mqtt_release(struct gw_mqtt *m)
{
	gw_mqtt_window_release(&m->win);
	explicit_bzero(m->password, sizeof(m->password));
	free(m);
}
