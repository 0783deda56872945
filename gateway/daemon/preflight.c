/* The start-up checks of `run` from the config alone (see preflight.h): the poller's through
 * poll_check.c, then the sinks' clients: the MQTT server URI and topic, the InfluxDB write
 * URL, as gw_mqtt_new and gw_influx_new build them. Opens nothing; never logs. */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>

#include "influx_http.h"
#include "mqtt_client.h"
#include "poll_check.h"

static int check_mqtt(const struct gw_config *cfg, struct gw_diag *d)
{
	const struct gw_mqtt_cfg *m = &cfg->mqtt;
	char uri[GW_MQTT_URI_LEN], topic[512];
	int errors = 0, n;
	bool tls;

	if (!m->enabled)
		return 0;
	if (gw_mqtt_server_uri(m->url, uri, sizeof(uri), &tls)) {
		gw_diag_error_at(d, &m->src,
		                 "mqtt.url: the MQTT client cannot use it (got \"%.80s\", want "
		                 "mqtt[s]://host[:port] with a port 1..65535 and no path)",
		                 m->url);
		errors++;
	}
	/* the sink's status topic: the longest fixed one it publishes to */
	n = snprintf(topic, sizeof(topic), "%s/%s/status", m->topic_prefix, cfg->gateway_id);
	if (n < 0 || (size_t)n >= sizeof(topic) || !gw_mqtt_topic_ok(topic)) {
		gw_diag_error_at(
		        d, &m->src,
		        "mqtt.topic_prefix: not a topic one may publish to (got \"%.80s\", "
		        "want no '+' or '#')",
		        m->topic_prefix);
		errors++;
	}
	return errors;
}

static int check_influx(const struct gw_config *cfg, struct gw_diag *d)
{
	char url[GW_INFLUX_URL_LEN];
	int rc;

	if (!cfg->influx.enabled)
		return 0;
	rc = gw_influx_build_url(&cfg->influx, url, sizeof(url));
	if (rc == 0)
		return 0;
	gw_diag_error_at(d, &cfg->influx.src,
	                 "influxdb.url: the InfluxDB client cannot make its write URL from it "
	                 "(got \"%.80s\": %s)",
	                 cfg->influx.url,
	                 rc == -ENOSPC ? "too long" : "incomplete, or not http(s)://host[:port]");
	return 1;
}

int gw_preflight_check(const struct gw_config *cfg, struct gw_diag *d)
{
	return gw_poll_check(cfg, d) + check_mqtt(cfg, d) + check_influx(cfg, d) +
	       gw_config_console_check(cfg, d);
}
