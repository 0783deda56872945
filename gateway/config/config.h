/* gateway.yaml -> struct gw_config: gateway, records paths, timeouts, buses,
 * sensors (with their profiles loaded), mqtt and influxdb. Every error is
 * reported as FILE:LINE:COL; nothing is half-loaded. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accept_cfg.h"
#include "diag.h"
#include "driver.h"

#define GW_ID_LEN   64
#define GW_PATH_LEN 512

enum gw_bus_type { GW_BUS_RTU, GW_BUS_TCP, GW_BUS_RTU_TCP, GW_BUS_DTU_SERVER };
#define GW_DTU_PKT_MAX 64 /* longest registration or heartbeat packet */
enum gw_placement { GW_PLACE_NONE, GW_PLACE_UNDER_FILM, GW_PLACE_BARE };

struct gw_bus_cfg {
	char name[GW_ID_LEN];
	struct gw_src src;
	enum gw_bus_type type;
	/* rtu */
	char device[GW_PATH_LEN];
	uint32_t baud;     /* default 9600 */
	char parity;       /* 'N' (default), 'E', 'O' */
	uint8_t data_bits; /* 7..8, default 8 */
	uint8_t stop_bits; /* 1..2, default 1 */
	bool rs485;        /* kernel RS-485 mode */
	int rts;           /* rts: none (0) | up (1) | down (-1) */
	bool echo;         /* adapter echoes requests */
	/* tcp */
	char host[256];
	uint16_t port; /* default 502 */
	/* both; defaults from the top-level timeouts section */
	unsigned response_timeout_ms;
	unsigned byte_timeout_ms;
	unsigned retries;
	unsigned turnaround_ms; /* assumed slave turnaround, for the load estimate */
	/* rtu_tcp and dtu_server (baud, parity, data and stop bits: the DTU's serial side) */
	unsigned rtt_ms; /* network round trip, for the load estimate; default 300 */
	/* dtu_server (config_dtu.c): the gateway listens, the DTU dials in and registers */
	char listen[64];                        /* numeric address to bind; required */
	char reg_text[2 * GW_DTU_PKT_MAX + 64]; /* registration as written */
	int reg_hex;                            /* registration_format: ascii (0) | hex (1) */
	bool reg_prefix;             /* registration_mode: once (false) | prefix (true) */
	uint8_t reg[GW_DTU_PKT_MAX]; /* the registration packet's bytes */
	size_t reglen;
	char hb_text[2 * GW_DTU_PKT_MAX + 64];
	int hb_hex;
	uint8_t heartbeat[GW_DTU_PKT_MAX]; /* never parsed as Modbus; hblen 0: none */
	size_t hblen;
	unsigned heartbeat_s;     /* the DTU's heartbeat interval; silent 3x this: link dropped */
	unsigned max_connections; /* per listener, registered or not; default 16 */
	unsigned max_bytes_per_s; /* per connection; default 4096 */
};

struct gw_sensor_cfg {
	char id[GW_ID_LEN];
	struct gw_src src;
	size_t bus;                       /* index into gw_config.buses */
	int unit;                         /* 1..247 */
	const struct gw_profile *profile; /* borrows gw_config.profiles[] */
	char plot[GW_ID_LEN];             /* "" if unbound */
	enum gw_placement placement;      /* where the probe sits (film evidence, simulator) */
	unsigned interval_s;              /* 1..86400, default 60 */
	/* per-device quirks */
	unsigned max_registers; /* 0: the profile's */
	int max_gap;            /* -1: the profile's */
	unsigned pause_ms;      /* quiet time after each request to this device */
	double deadband;        /* MQTT: publish when a value moves more than this (0: always) */
};

struct gw_mqtt_cfg {
	bool enabled;
	struct gw_src src;         /* the section */
	char url[GW_PATH_LEN];     /* mqtt://host:port or mqtts://host:port */
	int qos;                   /* 0..2, default 1 */
	char topic_prefix[128];    /* default fieldgate/v1 */
	char client_id[GW_ID_LEN]; /* default fieldgate-<gateway id> */
	char username[GW_ID_LEN];
	char password_file[GW_PATH_LEN];
	char password_credential[GW_ID_LEN]; /* or this systemd credential (gw_config_secret_path)
	                                      */
	char ca_file[GW_PATH_LEN];
	char cert_file[GW_PATH_LEN];
	char key_file[GW_PATH_LEN];
	unsigned keepalive_s;   /* default 30 */
	unsigned max_inflight;  /* default 20 */
	unsigned heartbeat_min; /* with a deadband: publish at least this often; default 15 */

	bool homeassistant;         /* Home Assistant MQTT discovery (sinks/mqtt_discovery.c) */
	char discovery_prefix[128]; /* default homeassistant */
};

struct gw_influx_cfg {
	bool enabled;
	struct gw_src src; /* the section */
	char url[GW_PATH_LEN];
	int api;                  /* 1 or 2 */
	char database[GW_ID_LEN]; /* v1 */
	char username[GW_ID_LEN]; /* v1, optional */
	char password_file[GW_PATH_LEN];
	char password_credential[GW_ID_LEN]; /* v1, instead of password_file */
	char org[GW_ID_LEN];                 /* v2 */
	char bucket[GW_ID_LEN];              /* v2 */
	char token_file[GW_PATH_LEN];        /* v2 */
	char token_credential[GW_ID_LEN];    /* v2, instead of token_file */
	unsigned batch_size;                 /* default 5000 */
	unsigned flush_ms;                   /* default 1000 */
	bool gzip; /* default: off for a loopback URL (gw_config_url_is_loopback), else on */
};

/* Retention of the local journal (data_dir/journal.db). */
struct gw_journal_cfg {
	unsigned max_age_days; /* delivered readings older than this go; default 400 */
	unsigned max_mb;       /* size cap; over it the oldest go, undelivered last; default 1024 */
	unsigned prune_interval_s; /* how often retention runs; default 3600 */
	unsigned commit_ms; /* gather readings this long per transaction (0: per poll cycle) */
};

/* The Prometheus metrics endpoint (metrics_http section; off without it). */
struct gw_http_cfg {
	bool enabled;
	char listen[64]; /* a numeric IPv4 or IPv6 address; default 127.0.0.1 */
	uint16_t port;   /* default 9464 */
};

/* The technician's page (console section; off without it): address and port, where the
 * password hash lives, the page's default language. A non-loopback listen needs a password. */
struct gw_console_cfg {
	bool enabled;
	struct gw_http_cfg http;         /* listen default 127.0.0.1, port default 8088 */
	char password_file[GW_PATH_LEN]; /* default data_dir/console.pass */
	char language[8];                /* "zh" (default) or "en" */
	bool loopback;                   /* listen is a loopback address */
	struct gw_src src;               /* the section */
	struct gw_src listen_src;        /* its listen key (or the section) */
};

/* The county's per-mu and per-kg rates behind the forms (top-level `rates:` section);
 * defaults are the 2023 program's. */
struct gw_rates_cfg {
	double full_film_kg_per_mu;   /* 9 */
	double half_film_kg_per_mu;   /* 7 */
	double rolls_per_mu;          /* 1 roll a mu, either film */
	double seed_kg_per_mu;        /* 2 (corn) */
	double film_yuan_per_kg;      /* 14 */
	double seed_yuan_per_kg;      /* 25 */
	double intercrop_yuan_per_mu; /* 54 (soybean for the corn-soy intercrop) */
	double soybean_kg_per_mu;     /* 3 (the plan's 15 t for 5,000 mu): tons only */
	double government_pct;        /* 70: the government's share; the household pays the rest */
};

/* One plot's film in the simulated season (sim.film). */
struct gw_film_plan {
	char plot[GW_ID_LEN];
	struct gw_src src;
	bool laid;      /* false: never laid */
	int laid_md;    /* MMDD (528 is 05-28); 0: on before the season starts */
	int removed_md; /* MMDD it is torn off; 0: stays on */
};

/* The simulator's season (`sim:` section): read by `fieldgate sim` only (demos and
 * tests); `run` ignores it. */
struct gw_sim_cfg {
	int64_t start_ms;          /* simulated start (local time); 0: now */
	double speed;              /* simulated seconds per real second; 0: not set */
	long seed;                 /* -1: not set */
	struct gw_film_plan *film; /* owned; plots not listed keep their film all season */
	size_t nfilm;
};

struct gw_config {
	char path[GW_PATH_LEN]; /* the file as given */
	char dir[GW_PATH_LEN];  /* its directory: relative paths resolve here */
	char gateway_id[GW_ID_LEN];
	char township[GW_ID_LEN];
	char data_dir[GW_PATH_LEN];
	char timezone[64];                 /* GW_TZ_NAME_LEN: IANA zone of every local day */
	char log_level[16];                /* default info */
	char households_path[GW_PATH_LEN]; /* "" when no records section */
	char plots_path[GW_PATH_LEN];
	char profiles_dir[GW_PATH_LEN];
	unsigned backoff_max_s;      /* longest back-off of a failing sensor, default 300 */
	unsigned metrics_interval_s; /* self-metrics to the sinks; 0: never; default 60 */
	unsigned daily_upload_mb;    /* upload budget a day over both sinks; 0: unlimited */
	struct gw_bus_cfg *buses;
	size_t nbuses;
	struct gw_sensor_cfg *sensors;
	size_t nsensors;
	struct gw_profile *profiles; /* each profile the sensors use, loaded once */
	size_t nprofiles;
	struct gw_mqtt_cfg mqtt;
	struct gw_influx_cfg influx;
	struct gw_journal_cfg journal;
	struct gw_accept_cfg accept;     /* the acceptance section, with its defaults */
	struct gw_film_rule *film_rules; /* explicit rules, then each implicit one */
	size_t nfilm_rules;
	struct gw_http_cfg metrics_http;
	struct gw_console_cfg console;
	struct gw_rates_cfg rates; /* the rates section, with its defaults */
	struct gw_sim_cfg sim;
};

/* A console on a non-loopback address needs its password file: reports FILE:LINE:COL at
 * console.listen when it is missing (a start-up check: `check`, `run` and the reload
 * validation make it, `console passwd` does not). Returns the number of errors. */
int gw_config_console_check(const struct gw_config *cfg, struct gw_diag *d);
/* Loads and validates path. On success returns 0 and *out (owned). On any error
 * reports all of them to d and returns -EINVAL (or -ENOMEM); *out is NULL. */
int gw_config_load(const char *path, struct gw_diag *d, struct gw_config **out);
/* For report and verify: a county office's config (records, influxdb, acceptance) needs no
 * buses or sensors of its own. */
#define GW_CONFIG_OFFICE 1u
/* gw_config_load with flags (GW_CONFIG_OFFICE). */
int gw_config_load_flags(const char *path, unsigned flags, struct gw_diag *d,
                         struct gw_config **out);
/* The same from text (borrowed) as if path held it: relative paths resolve against path's
 * directory and diagnostics name path. */
int gw_config_load_text(const char *path, const char *text, struct gw_diag *d,
                        struct gw_config **out);
void gw_config_free(struct gw_config *cfg);

/* Borrows: the sim.film entry of plot, or NULL. */
const struct gw_film_plan *gw_config_film(const struct gw_config *cfg, const char *plot);

/* Where a secret is read from: file when set, else the systemd credential of that name in
 * $CREDENTIALS_DIRECTORY (the unit's LoadCredential= puts it there), else nowhere (out "").
 * key names the credential's config key for the log. Returns 0, -ENOENT (a credential but no
 * $CREDENTIALS_DIRECTORY: logged) or -ENAMETOOLONG. */
int gw_config_secret_path(const char *file, const char *credential, const char *key, char *out,
                          size_t len);

/* True when url's host is a loopback one: localhost, 127.0.0.0/8 or [::1]. Borrows url. */
bool gw_config_url_is_loopback(const char *url);

/* Borrows: the bus named name, or NULL. */
const struct gw_bus_cfg *gw_config_bus(const struct gw_config *cfg, const char *name);

#endif
