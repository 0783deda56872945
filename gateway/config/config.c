/* gateway.yaml -> struct gw_config. Each section is one declarative key table
 * (config_table.c does the filling); this file orders the sections and checks
 * what spans keys (mqtt client id, influx api v1/v2). All errors are reported;
 * a config with any error is freed, never returned half-loaded. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "config_load.h"
#include "profile.h"
#include "strbuf.h"
#include "tz.h"
#include "yaml.h"

#define REQ GW_CK_REQUIRED

static const char *const log_levels[] = {"err", "warn", "notice", "info", "debug", NULL};
static const char *const mqtt_schemes[] = {"mqtt://", "mqtts://", "tcp://", "ssl://", NULL};
static const char *const http_schemes[] = {"http://", "https://", NULL};
static const char *const use_password_file[] = {"password_file", NULL};
static const char *const use_token_file[] = {"token_file", NULL};
static const struct gw_cenum influx_apis[] = {
        {"v1", 1, false}, {"v2", 2, false}, {"1", 1, true}, {"2", 2, true}, {NULL, 0, false}};

#define G_STR(...)  GW_KEY_STR(struct gw_config, __VA_ARGS__)
#define G_INT(...)  GW_KEY_INT(struct gw_config, __VA_ARGS__)
#define T_INT(...)  GW_KEY_INT(struct gw_ctimeouts, __VA_ARGS__)
#define M_STR(...)  GW_KEY_STR(struct gw_mqtt_cfg, __VA_ARGS__)
#define M_INT(...)  GW_KEY_INT(struct gw_mqtt_cfg, __VA_ARGS__)
#define M_BOOL(...) GW_KEY_BOOL(struct gw_mqtt_cfg, __VA_ARGS__)
#define I_STR(...)  GW_KEY_STR(struct gw_influx_cfg, __VA_ARGS__)
#define I_INT(...)  GW_KEY_INT(struct gw_influx_cfg, __VA_ARGS__)
#define I_ENUM(...) GW_KEY_ENUM(struct gw_influx_cfg, __VA_ARGS__)
#define I_BOOL(...) GW_KEY_BOOL(struct gw_influx_cfg, __VA_ARGS__)
#define J_INT(...)  GW_KEY_INT(struct gw_journal_cfg, __VA_ARGS__)
#define H_STR(...)  GW_KEY_STR(struct gw_http_cfg, __VA_ARGS__)
#define H_INT(...)  GW_KEY_INT(struct gw_http_cfg, __VA_ARGS__)

static const struct gw_ckey gateway_keys[] = {
        G_STR("id", gateway_id, GW_CK_ID, REQ, NULL, NULL),
        G_STR("township", township, GW_CK_STR, REQ, NULL, NULL),
        G_STR("data_dir", data_dir, GW_CK_PATH, 0, NULL, "/var/lib/fieldgate"),
        G_STR("log_level", log_level, GW_CK_WORD, 0, log_levels, "info"),
        G_STR("profiles_dir", profiles_dir, GW_CK_PATH, 0, NULL, NULL),
        G_STR("timezone", timezone, GW_CK_STR, 0, NULL, GW_TZ_DEFAULT),
        G_INT("metrics_interval_s", metrics_interval_s, 0, 0, 86400, 60),
        G_INT("daily_upload_mb", daily_upload_mb, 0, 0, 1000000, 0),
};

static const struct gw_ckey records_keys[] = {
        G_STR("households", households_path, GW_CK_PATH, REQ, NULL, NULL),
        G_STR("plots", plots_path, GW_CK_PATH, REQ, NULL, NULL),
};

static const struct gw_ckey timeouts_keys[] = {
        T_INT("response_ms", response_ms, 0, 10, 60000, 500),
        T_INT("byte_ms", byte_ms, 0, 1, 10000, 100),
        T_INT("retries", retries, 0, 0, 10, 1),
        T_INT("backoff_max_s", backoff_max_s, 0, 1, 86400, 300),
};

static const struct gw_ckey journal_keys[] = {
        J_INT("max_age_days", max_age_days, 0, 1, 3650, 400),
        J_INT("max_mb", max_mb, 0, 1, 1000000, 1024),
        J_INT("prune_interval_s", prune_interval_s, 0, 10, 86400, 3600),
        J_INT("commit_ms", commit_ms, 0, 0, 60000, 0),
};

static const struct gw_ckey http_keys[] = {
        H_STR("listen", listen, GW_CK_STR, 0, NULL, "127.0.0.1"),
        H_INT("port", port, 0, 1, 65535, 9464),
};

static const struct gw_ckey mqtt_keys[] = {
        M_STR("url", url, GW_CK_URL, REQ, mqtt_schemes, NULL),
        M_INT("qos", qos, 0, 0, 2, 1),
        M_STR("topic_prefix", topic_prefix, GW_CK_STR, 0, NULL, "fieldgate/v1"),
        M_STR("client_id", client_id, GW_CK_STR, 0, NULL, NULL),
        M_STR("username", username, GW_CK_STR, 0, NULL, NULL),
        M_STR("password_file", password_file, GW_CK_PATH, 0, NULL, NULL),
        M_STR("password_credential", password_credential, GW_CK_ID, 0, NULL, NULL),
        M_STR("ca_file", ca_file, GW_CK_PATH, 0, NULL, NULL),
        M_STR("cert_file", cert_file, GW_CK_PATH, 0, NULL, NULL),
        M_STR("key_file", key_file, GW_CK_PATH, 0, NULL, NULL),
        M_INT("keepalive_s", keepalive_s, 0, 5, 3600, 30),
        M_INT("max_inflight", max_inflight, 0, 1, 1000, 20),
        M_INT("heartbeat_min", heartbeat_min, 0, 1, 1440, 15),
        M_BOOL("homeassistant", homeassistant, 0, 0),
        M_STR("discovery_prefix", discovery_prefix, GW_CK_STR, 0, NULL, "homeassistant"),
        GW_KEY_SECRET("password", use_password_file),
};

static const struct gw_ckey influx_keys[] = {
        I_STR("url", url, GW_CK_URL, REQ, http_schemes, NULL),
        I_ENUM("api", api, 0, influx_apis, 1),
        I_STR("database", database, GW_CK_STR, 0, NULL, NULL),
        I_STR("username", username, GW_CK_STR, 0, NULL, NULL),
        I_STR("password_file", password_file, GW_CK_PATH, 0, NULL, NULL),
        I_STR("password_credential", password_credential, GW_CK_ID, 0, NULL, NULL),
        I_STR("org", org, GW_CK_STR, 0, NULL, NULL),
        I_STR("bucket", bucket, GW_CK_STR, 0, NULL, NULL),
        I_STR("token_file", token_file, GW_CK_PATH, 0, NULL, NULL),
        I_STR("token_credential", token_credential, GW_CK_ID, 0, NULL, NULL),
        I_INT("batch_size", batch_size, 0, 1, 100000, 5000),
        I_INT("flush_ms", flush_ms, 0, 10, 600000, 1000),
        I_BOOL("gzip", gzip, 0, 1),
        GW_KEY_SECRET("password", use_password_file),
        GW_KEY_SECRET("token", use_token_file),
};

static int default_profiles_dir(struct gw_cload *l)
{
	const char *def = gw_profile_default_dir();
	int n = snprintf(l->cfg->profiles_dir, sizeof(l->cfg->profiles_dir), "%s", def);

	if (n >= 0 && (size_t)n < sizeof(l->cfg->profiles_dir))
		return 0;
	gw_diag_error(l->c.d, def, 0, 0,
	              "profile directory: path too long (want at most %zu bytes)",
	              sizeof(l->cfg->profiles_dir) - 1);
	return 1;
}

/* gateway.timezone must name a zone this machine knows (every local day depends on it). */
static int check_zone(struct gw_cload *l, const struct gw_ypair *at)
{
	int err = 0;
	struct gw_tz *tz = at ? gw_tz_load(l->cfg->timezone, &err) : NULL;

	if (!at || tz) {
		gw_tz_free(tz);
		return 0;
	}
	gw_diag_error_at(
	        l->c.d, &at->val->src, "gateway.timezone: unknown zone \"%s\"%s", l->cfg->timezone,
	        err == -ENOENT ? " (want an IANA name, e.g. Asia/Shanghai)" : " (not a zone file)");
	return 1;
}

static int load_gateway(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_config *cfg = l->cfg;
	const struct gw_ypair *seen[GW_ARRAY_LEN(gateway_keys)];
	char def_dir[sizeof(cfg->profiles_dir)];
	int errors;

	/* the default was set before any section was read */
	memcpy(def_dir, cfg->profiles_dir, sizeof(def_dir));
	errors = gw_ctable_fill(&l->c, "gateway", n, gateway_keys, GW_ARRAY_LEN(gateway_keys), cfg,
	                        seen);
	if (!seen[gw_ctable_index(gateway_keys, GW_ARRAY_LEN(gateway_keys), "profiles_dir")])
		memcpy(cfg->profiles_dir, def_dir, sizeof(def_dir));
	return errors +
	       check_zone(
	               l,
	               seen[gw_ctable_index(gateway_keys, GW_ARRAY_LEN(gateway_keys), "timezone")]);
}

static int load_records(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_ctable_fill(&l->c, "records", n, records_keys, GW_ARRAY_LEN(records_keys), l->cfg,
	                      NULL);
}

static int load_timeouts(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_ctimeouts *t = &l->timeouts;
	int errors = gw_ctable_fill(&l->c, "timeouts", n, timeouts_keys,
	                            GW_ARRAY_LEN(timeouts_keys), t, NULL);

	l->cfg->backoff_max_s = t->backoff_max_s;
	return errors;
}

static int load_journal(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_ctable_fill(&l->c, "journal", n, journal_keys, GW_ARRAY_LEN(journal_keys),
	                      &l->cfg->journal, NULL);
}

static int load_metrics_http(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_http_cfg *h = &l->cfg->metrics_http;
	const struct gw_ypair *seen[GW_ARRAY_LEN(http_keys)];
	int errors = gw_ctable_fill(&l->c, "metrics_http", n, http_keys, GW_ARRAY_LEN(http_keys), h,
	                            seen);
	size_t at = gw_ctable_index(http_keys, GW_ARRAY_LEN(http_keys), "listen");
	unsigned char addr[sizeof(struct in6_addr)];

	h->enabled = true;
	if (inet_pton(AF_INET, h->listen, addr) == 1 || inet_pton(AF_INET6, h->listen, addr) == 1)
		return errors;
	gw_diag_error_at(l->c.d, seen[at] ? &seen[at]->val->src : &n->src,
	                 "metrics_http.listen: \"%s\" is not a numeric IPv4 or IPv6 address "
	                 "(want e.g. 127.0.0.1 or ::1)",
	                 h->listen);
	return errors + 1;
}

static int load_mqtt(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_mqtt_cfg *m = &l->cfg->mqtt;
	int errors = gw_ctable_fill(&l->c, "mqtt", n, mqtt_keys, GW_ARRAY_LEN(mqtt_keys), m, NULL);
	int len;

	m->enabled = true;
	m->src = n->src;
	m->src.file = l->cfg->path;
	if (strpbrk(m->discovery_prefix, "+#") || !m->discovery_prefix[0]) {
		gw_diag_error_at(l->c.d, &m->src,
		                 "mqtt.discovery_prefix: \"%s\" is not a topic (want e.g. "
		                 "homeassistant, without + or #)",
		                 m->discovery_prefix);
		errors++;
	}
	errors += gw_config_check_secret(l, n, "mqtt.password", m->password_file,
	                                 m->password_credential);
	if (m->client_id[0] || !l->cfg->gateway_id[0])
		return errors;
	len = snprintf(m->client_id, sizeof(m->client_id), "fieldgate-%s", l->cfg->gateway_id);
	if (len < 0 || (size_t)len >= sizeof(m->client_id)) {
		gw_diag_error_at(l->c.d, &n->src,
		                 "mqtt.client_id: default \"fieldgate-<gateway id>\" is too long "
		                 "(got %d bytes, want at most %zu: set client_id)",
		                 len, sizeof(m->client_id) - 1);
		errors++;
	}
	return errors;
}

/* Reports key of the influxdb section as missing for this api version. */
static int influx_needs(struct gw_cload *l, const struct gw_ynode *n, const char *value,
                        const char *key)
{
	if (value[0])
		return 0;
	gw_diag_error_at(l->c.d, &n->src, "influxdb.%s: required for api v%d", key,
	                 l->cfg->influx.api);
	return 1;
}

bool gw_config_url_is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	if (strchr(h, '@') && strchr(h, '@') < h + strcspn(h, "/"))
		h = strchr(h, '@') + 1; /* user:password@ */
	if (strncmp(h, "[::1]", 5) == 0)
		return true;
	n = strcspn(h, ":/");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return true;
	return n >= 9 && strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") >= n;
}

static int load_influx(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_influx_cfg *f = &l->cfg->influx;
	const struct gw_ypair *seen[GW_ARRAY_LEN(influx_keys)];
	int errors = gw_ctable_fill(&l->c, "influxdb", n, influx_keys, GW_ARRAY_LEN(influx_keys), f,
	                            seen);
	size_t api = gw_ctable_index(influx_keys, GW_ARRAY_LEN(influx_keys), "api");

	if (!seen[gw_ctable_index(influx_keys, GW_ARRAY_LEN(influx_keys), "gzip")])
		f->gzip = !gw_config_url_is_loopback(f->url); /* compressing loopback costs more */
	f->enabled = true;
	f->src = n->src;
	f->src.file = l->cfg->path;
	errors += gw_config_check_secret(l, n, "influxdb.password", f->password_file,
	                                 f->password_credential);
	errors +=
	        gw_config_check_secret(l, n, "influxdb.token", f->token_file, f->token_credential);
	if (n->type != GW_Y_MAP || (gw_yaml_get(n, "api") && !seen[api]))
		return errors; /* already reported; the api is unknown */
	if (f->api == 1)
		return errors + influx_needs(l, n, f->database, "database");
	errors += influx_needs(l, n, f->org, "org");
	errors += influx_needs(l, n, f->bucket, "bucket");
	errors += influx_needs(l, n, f->token_file[0] ? f->token_file : f->token_credential,
	                       "token_file");
	return errors;
}

static int load_rates(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_config_load_rates(l, n);
}

static int load_buses(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_config_load_buses(l, n);
}

static int load_sensors(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_config_load_sensors(l, n);
}

static int load_accept(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_config_load_accept(l, n);
}

static int load_film_rules(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_config_load_film_rules(l, n);
}

struct section {
	const char *key;
	bool required;
	int (*load)(struct gw_cload *l, const struct gw_ynode *n);
};

/* In load order: timeouts before buses, buses before sensors, gateway before mqtt. */
static const struct section sections[] = {
        {"gateway", true, load_gateway},
        {"records", false, load_records},
        {"timeouts", false, load_timeouts},
        {"buses", true, load_buses},
        {"sensors", true, load_sensors},
        {"mqtt", false, load_mqtt},
        {"influxdb", false, load_influx},
        {"journal", false, load_journal},
        {"metrics_http", false, load_metrics_http},
        {"console", false, gw_config_load_console},
        {"acceptance", false, load_accept},
        {"film_rules", false, load_film_rules},
        {"rates", false, load_rates},
        {"sim", false, gw_config_load_sim},
};

static void unknown_section(struct gw_cload *l, const struct gw_ynode *key)
{
	char want[512] = "one of";
	size_t pos = strlen(want);
	char path[GW_KEYPATH_LEN];

	for (size_t i = 0; i < GW_ARRAY_LEN(sections); i++) {
		gw_str_append(want, sizeof(want), &pos, " ");
		gw_str_append(want, sizeof(want), &pos, sections[i].key);
	}
	gw_ctable_path(path, "", key->str, 0);
	gw_diag_error_at(l->c.d, &key->src, "%s: unknown key (want %s)", path, want);
}

static int load_root(struct gw_cload *l, const struct gw_ynode *root)
{
	int rc;

	if (!root) {
		gw_diag_error(l->c.d, l->cfg->path, 0, 0,
		              "empty config (want a mapping with gateway, buses and sensors)");
		return 0;
	}
	if (!gw_ctable_expect(&l->c, "(document)", root, GW_Y_MAP, "a mapping"))
		return 0;
	for (size_t i = 0; i < root->n; i++) {
		size_t s = 0;

		while (s < GW_ARRAY_LEN(sections) &&
		       strcmp(sections[s].key, root->pairs[i].key->str))
			s++;
		if (s == GW_ARRAY_LEN(sections))
			unknown_section(l, root->pairs[i].key);
	}
	/* buses and sensors need these even when their sections are absent or bad */
	load_timeouts(l, NULL);
	load_journal(l, NULL);
	gw_config_accept_defaults(l->cfg);
	gw_config_load_rates(l, NULL);
	gw_config_load_sim(l, NULL);
	default_profiles_dir(l);
	for (size_t s = 0; s < GW_ARRAY_LEN(sections); s++) {
		const struct gw_ynode *n = gw_yaml_get(root, sections[s].key);

		bool field = sections[s].load == load_buses || sections[s].load == load_sensors;

		if (!n && sections[s].required && !(field && l->office))
			gw_diag_error_at(l->c.d, &root->src, "%s: required section missing",
			                 sections[s].key);
		if (!n)
			continue;
		rc = sections[s].load(l, n);
		if (rc < 0)
			return rc;
	}
	return gw_config_film_implicit(l);
}

static int set_paths(struct gw_config *cfg, const char *path, struct gw_diag *d)
{
	const char *slash = strrchr(path, '/');
	int n = snprintf(cfg->path, sizeof(cfg->path), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(cfg->path)) {
		gw_diag_error(d, path, 0, 0, "path too long (want at most %zu bytes)",
		              sizeof(cfg->path) - 1);
		return -EINVAL;
	}
	if (!slash)
		strcpy(cfg->dir, ".");
	else if (slash == path)
		strcpy(cfg->dir, "/");
	else
		snprintf(cfg->dir, sizeof(cfg->dir), "%.*s", (int)(slash - path), path);
	return 0;
}

/* text NULL: read path. */
static int load_doc(const char *path, const char *text, unsigned flags, struct gw_diag *d,
                    struct gw_config **out)
{
	struct gw_cload l = {.c = {.d = d}, .office = flags & GW_CONFIG_OFFICE};
	struct gw_diag to_stderr;
	struct gw_ydoc *doc;
	int before, rc;

	*out = NULL;
	if (!d) {
		gw_diag_init(&to_stderr, stderr);
		d = l.c.d = &to_stderr;
	}
	before = d->nerrors;
	l.cfg = calloc(1, sizeof(*l.cfg));
	if (!l.cfg)
		return -ENOMEM;
	l.c.dir = l.cfg->dir;
	rc = set_paths(l.cfg, path, d);
	if (rc)
		goto out_free_cfg;
	rc = -EINVAL;
	doc = text ? gw_yaml_load_string(path, text, d) : gw_yaml_load(path, d);
	if (!doc)
		goto out_free_cfg;
	rc = load_root(&l, doc->root);
	gw_yaml_free(doc);
	if (rc == 0 && d->nerrors > before)
		rc = -EINVAL;
	if (rc)
		goto out_free_cfg;
	*out = l.cfg;
	return 0;
out_free_cfg:
	gw_config_free(l.cfg);
	return rc;
}

int gw_config_load(const char *path, struct gw_diag *d, struct gw_config **out)
{
	return load_doc(path, NULL, 0, d, out);
}

int gw_config_load_flags(const char *path, unsigned flags, struct gw_diag *d,
                         struct gw_config **out)
{
	return load_doc(path, NULL, flags, d, out);
}

int gw_config_load_text(const char *path, const char *text, struct gw_diag *d,
                        struct gw_config **out)
{
	return load_doc(path, text, 0, d, out);
}

void gw_config_free(struct gw_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->buses);
	free(cfg->sensors);
	free(cfg->profiles);
	free(cfg->film_rules);
	free(cfg->sim.film);
	free(cfg);
}

const struct gw_bus_cfg *gw_config_bus(const struct gw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nbuses; i++)
		if (strcmp(cfg->buses[i].name, name) == 0)
			return &cfg->buses[i];
	return NULL;
}
