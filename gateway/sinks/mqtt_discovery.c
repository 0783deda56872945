/* Retained sensor metadata and Home Assistant MQTT discovery; see mqtt_discovery.h. The
 * messages are built once when the sink opens and sent again on every connect, a few at a
 * time as the client's in-flight window allows. Only config and the records' place names go
 * in: never a household, a name, an ID number or a phone. */
#include "mqtt_discovery.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

#define MOD         "mqtt"
#define PAYLOAD_MAX 4096
#define TOPIC_MAX   512

struct msg {
	char *topic;   /* owned */
	char *payload; /* owned */
};

struct gw_mqtt_discovery {
	struct msg *msgs;
	size_t n, cap;
	size_t next; /* the first message not sent on this connection */
	bool warned; /* a refused message was logged */
	char status_topic[TOPIC_MAX];
};

void gw_mqtt_discovery_ha_unit(const char *unit, const char *point, const char **ha_unit,
                               const char **device_class)
{
	*device_class = NULL;
	*ha_unit = unit && unit[0] ? unit : NULL;
	if (!unit)
		return;
	if (strcmp(unit, "degC") == 0) {
		*ha_unit = "°C";
		*device_class = "temperature";
	} else if (strcmp(unit, "%") == 0 && strstr(point, "moisture")) {
		*device_class = "moisture";
	} else if (strcmp(unit, "lx") == 0) {
		*device_class = "illuminance";
	} else if (strcmp(unit, "pH") == 0) {
		*ha_unit = NULL; /* Home Assistant's ph class takes no unit */
		*device_class = "ph";
	} else if (strcmp(unit, "uS/cm") == 0) {
		*ha_unit = "µS/cm";
	}
}

/* A JSON string, or null for NULL. */
static void put_str(struct gw_strbuf *o, const char *s)
{
	if (!s) {
		gw_sb_printf(o, "null");
		return;
	}
	gw_sb_printf(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p && !o->full; p++) {
		if (*p == '"' || *p == '\\')
			gw_sb_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			gw_sb_printf(o, "\\u%04x", *p);
		else
			gw_sb_printf(o, "%c", *p);
	}
	gw_sb_printf(o, "\"");
}

static void put_key(struct gw_strbuf *o, const char *key, const char *val)
{
	gw_sb_printf(o, ",\"%s\":", key);
	put_str(o, val);
}

/* name with every character but [A-Za-z0-9_-] replaced by '_': discovery's node and object
 * ids, and unique ids. */
static void put_id(struct gw_strbuf *o, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p && !o->full; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		          (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';

		gw_sb_printf(o, "%c", ok ? *p : '_');
	}
}

/* A topic level: '/', '+' and '#' become '_' (as the sink's reading topics). */
static void put_level(struct gw_strbuf *o, const char *name)
{
	for (const char *p = name; *p && !o->full; p++)
		gw_sb_printf(o, "%c", (*p == '/' || *p == '+' || *p == '#') ? '_' : *p);
}

static int add(struct gw_mqtt_discovery *d, const struct gw_strbuf *topic,
               const struct gw_strbuf *payload)
{
	struct msg *m;

	if (topic->full || payload->full)
		return -ENOSPC;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct msg *grown = realloc(d->msgs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		d->msgs = grown;
		d->cap = cap;
	}
	m = &d->msgs[d->n];
	m->topic = strdup(topic->buf);
	m->payload = strdup(payload->buf);
	if (!m->topic || !m->payload) {
		free(m->topic);
		free(m->payload);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

/* The sensor's reading topic, as mqtt_out.c publishes it. */
static void state_topic(struct gw_strbuf *o, const struct gw_config *cfg,
                        const struct gw_sensor_cfg *s)
{
	gw_sb_printf(o, "%s/", cfg->mqtt.topic_prefix);
	put_level(o, cfg->gateway_id);
	gw_sb_printf(o, "/plot/");
	put_level(o, s->plot[0] ? s->plot : "unbound");
	gw_sb_printf(o, "/");
	put_level(o, s->id);
}

static const char *placement_name(enum gw_placement p)
{
	return p == GW_PLACE_UNDER_FILM ? "under_film" : p == GW_PLACE_BARE ? "bare" : NULL;
}

/* Township and village of the sensor's plot, from the records; else the gateway's township. */
static void place_of(const struct gw_config *cfg, const struct gw_records *recs,
                     const struct gw_sensor_cfg *s, const char **township, const char **village)
{
	const struct gw_plot *p = recs && s->plot[0] ? gw_records_plot(recs, s->plot) : NULL;
	const struct gw_household *h = p ? gw_records_household_of(recs, p) : NULL;

	*township = h ? h->township : cfg->township;
	*village = h ? h->village : NULL;
}

static int add_meta(struct gw_mqtt_discovery *d, const struct gw_config *cfg,
                    const struct gw_records *recs, const struct gw_sensor_cfg *s)
{
	char tbuf[TOPIC_MAX], pbuf[PAYLOAD_MAX], sbuf[TOPIC_MAX];
	struct gw_strbuf t = {tbuf, sizeof(tbuf), 0, false}, o = {pbuf, sizeof(pbuf), 0, false};
	struct gw_strbuf st = {sbuf, sizeof(sbuf), 0, false};
	const struct gw_profile *prof = s->profile;
	const char *township, *village;

	tbuf[0] = pbuf[0] = sbuf[0] = '\0';
	gw_sb_printf(&t, "%s/", cfg->mqtt.topic_prefix);
	put_level(&t, cfg->gateway_id);
	gw_sb_printf(&t, "/sensor/");
	put_level(&t, s->id);
	gw_sb_printf(&t, "/meta");
	place_of(cfg, recs, s, &township, &village);
	gw_sb_printf(&o, "{\"gateway\":");
	put_str(&o, cfg->gateway_id);
	put_key(&o, "sensor", s->id);
	put_key(&o, "plot", s->plot[0] ? s->plot : NULL);
	put_key(&o, "township", township);
	put_key(&o, "village", village);
	put_key(&o, "bus", cfg->buses[s->bus].name);
	gw_sb_printf(&o, ",\"unit_id\":%d", s->unit);
	put_key(&o, "profile", prof->name);
	put_key(&o, "model", prof->description[0] ? prof->description : NULL);
	gw_sb_printf(&o, ",\"interval_s\":%u", s->interval_s);
	put_key(&o, "placement", placement_name(s->placement));
	state_topic(&st, cfg, s);
	put_key(&o, "state_topic", sbuf);
	gw_sb_printf(&o, ",\"values\":{");
	for (size_t k = 0; k < prof->npoints; k++) {
		gw_sb_printf(&o, "%s\"%s\":{\"unit\":", k ? "," : "", prof->points[k].name);
		put_str(&o, prof->points[k].unit[0] ? prof->points[k].unit : NULL);
		gw_sb_printf(&o, ",\"decimals\":%d}", prof->points[k].decimals);
	}
	gw_sb_printf(&o, "}}");
	return add(d, &t, &o);
}

/* Seconds after which Home Assistant shows the value as unavailable: three intervals, or with
 * a deadband the heartbeat and an interval. */
static unsigned expire_after(const struct gw_config *cfg, const struct gw_sensor_cfg *s)
{
	unsigned e = 3 * s->interval_s;

	if (s->deadband > 0 && cfg->mqtt.heartbeat_min * 60 + s->interval_s > e)
		e = cfg->mqtt.heartbeat_min * 60 + s->interval_s;
	return e;
}

static void ha_device(struct gw_strbuf *o, const struct gw_config *cfg,
                      const struct gw_sensor_cfg *s)
{
	gw_sb_printf(o, ",\"device\":{\"identifiers\":[\"fieldgate_");
	put_id(o, cfg->gateway_id);
	gw_sb_printf(o, "_");
	put_id(o, s->id);
	gw_sb_printf(o, "\"]");
	put_key(o, "name", s->id);
	put_key(o, "model", s->profile->name);
	put_key(o, "manufacturer", "fieldgate");
	if (s->plot[0])
		put_key(o, "suggested_area", s->plot);
	gw_sb_printf(o, "}");
}

static int add_ha(struct gw_mqtt_discovery *d, const struct gw_config *cfg,
                  const struct gw_sensor_cfg *s, const struct gw_point *pt)
{
	char tbuf[TOPIC_MAX], pbuf[PAYLOAD_MAX], sbuf[TOPIC_MAX];
	struct gw_strbuf t = {tbuf, sizeof(tbuf), 0, false}, o = {pbuf, sizeof(pbuf), 0, false};
	struct gw_strbuf st = {sbuf, sizeof(sbuf), 0, false};
	const char *unit, *dclass;

	tbuf[0] = pbuf[0] = sbuf[0] = '\0';
	gw_mqtt_discovery_ha_unit(pt->unit, pt->name, &unit, &dclass);
	gw_sb_printf(&t, "%s/sensor/fieldgate_", cfg->mqtt.discovery_prefix);
	put_id(&t, cfg->gateway_id);
	gw_sb_printf(&t, "/");
	put_id(&t, s->id);
	gw_sb_printf(&t, "_");
	put_id(&t, pt->name);
	gw_sb_printf(&t, "/config");
	state_topic(&st, cfg, s);
	gw_sb_printf(&o, "{\"name\":");
	put_str(&o, pt->name);
	gw_sb_printf(&o, ",\"unique_id\":\"fieldgate_");
	put_id(&o, cfg->gateway_id);
	gw_sb_printf(&o, "_");
	put_id(&o, s->id);
	gw_sb_printf(&o, "_");
	put_id(&o, pt->name);
	gw_sb_printf(&o, "\"");
	put_key(&o, "state_topic", sbuf);
	/* a value whose quality is not good is null: "None", which Home Assistant shows as
	 * unknown; ['values'] because value_json.values is the dict's method */
	gw_sb_printf(&o, ",\"value_template\":\"{{ value_json['values']['%s'] }}\"", pt->name);
	put_key(&o, "availability_topic", d->status_topic);
	gw_sb_printf(&o, ",\"payload_available\":\"online\",\"payload_not_available\":\"offline\"");
	if (unit)
		put_key(&o, "unit_of_measurement", unit);
	if (dclass)
		put_key(&o, "device_class", dclass);
	gw_sb_printf(&o, ",\"state_class\":\"measurement\",\"suggested_display_precision\":%d",
	             pt->decimals);
	gw_sb_printf(&o, ",\"expire_after\":%u", expire_after(cfg, s));
	ha_device(&o, cfg, s);
	gw_sb_printf(&o, "}");
	return add(d, &t, &o);
}

struct gw_mqtt_discovery *gw_mqtt_discovery_new(const struct gw_config *cfg,
                                                const struct gw_records *recs)
{
	struct gw_mqtt_discovery *d = calloc(1, sizeof(*d));
	int len;

	if (!d)
		return NULL;
	len = snprintf(d->status_topic, sizeof(d->status_topic), "%s/%s/status",
	               cfg->mqtt.topic_prefix, cfg->gateway_id);
	if (len < 0 || (size_t)len >= sizeof(d->status_topic))
		goto out_free;
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];

		if (add_meta(d, cfg, recs, s))
			goto out_free;
		for (size_t k = 0; cfg->mqtt.homeassistant && k < s->profile->npoints; k++)
			if (add_ha(d, cfg, s, &s->profile->points[k]))
				goto out_free;
	}
	return d;
out_free:
	gw_mqtt_discovery_free(d);
	return NULL;
}

void gw_mqtt_discovery_free(struct gw_mqtt_discovery *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->msgs[i].topic);
		free(d->msgs[i].payload);
	}
	free(d->msgs);
	free(d);
}

void gw_mqtt_discovery_restart(struct gw_mqtt_discovery *d)
{
	if (d)
		d->next = 0;
}

size_t gw_mqtt_discovery_step(struct gw_mqtt_discovery *d, struct gw_mqtt *cli, int qos)
{
	if (!d)
		return 0;
	while (d->next < d->n) {
		const struct msg *m = &d->msgs[d->next];
		int rc = gw_mqtt_publish(cli, m->topic, m->payload, strlen(m->payload), qos, true,
		                         0);

		if (rc == -EAGAIN || rc == -ENOTCONN)
			break; /* the window is full, or the link went: the rest later */
		if (rc && !d->warned) {
			gw_log(GW_WARN, MOD, "topic=%s retained sensor message refused: %s",
			       m->topic, strerror(-rc));
			d->warned = true;
		}
		d->next++;
	}
	return d->n - d->next;
}

size_t gw_mqtt_discovery_count(const struct gw_mqtt_discovery *d)
{
	return d ? d->n : 0;
}

const char *gw_mqtt_discovery_topic(const struct gw_mqtt_discovery *d, size_t i)
{
	return d && i < d->n ? d->msgs[i].topic : NULL;
}

const char *gw_mqtt_discovery_payload(const struct gw_mqtt_discovery *d, size_t i)
{
	return d && i < d->n ? d->msgs[i].payload : NULL;
}
