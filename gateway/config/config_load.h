/* Loader state shared by the files of the config module (config.c reads the
 * sections, config_items.c the buses and sensors with their cross-checks).
 * Internal: nothing outside gateway/config*.c includes this. */
#ifndef GW_CONFIG_LOAD_H
#define GW_CONFIG_LOAD_H

#include "config.h"
#include "config_table.h"

/* The top-level timeouts section: defaults for every bus. */
struct gw_ctimeouts {
	unsigned response_ms;
	unsigned byte_ms;
	unsigned retries;
	unsigned backoff_max_s;
};

struct gw_cload {
	struct gw_cctx c;
	struct gw_config *cfg; /* being filled */
	struct gw_ctimeouts timeouts;
	bool buses_named; /* every bus was read with its name: unknown names are errors */
	bool office;      /* GW_CONFIG_OFFICE: buses and sensors may be absent or empty */
};

/* Reads the buses sequence into cfg->buses (timeouts must be read first).
 * Returns the number of errors reported; -ENOMEM on allocation failure. */
int gw_config_load_buses(struct gw_cload *l, const struct gw_ynode *seq);

/* Reads the sensors sequence into cfg->sensors, resolving buses (read first)
 * and loading each distinct profile once into cfg->profiles.
 * Returns the number of errors reported; -ENOMEM on allocation failure. */
int gw_config_load_sensors(struct gw_cload *l, const struct gw_ynode *seq);

/* The acceptance section (config_accept.c); defaults first, as when it is absent. */
void gw_config_accept_defaults(struct gw_config *cfg);
int gw_config_load_accept(struct gw_cload *l, const struct gw_ynode *n);
/* "MM-DD..MM-DD" -> MMDD start and end (start <= end). Returns 0 or -EINVAL. */
int gw_accept_parse_window(const char *s, int *start, int *end);

/* The film_rules sequence (config_film.c; sensors read first), then the implicit
 * temperature_pair of each plot without a rule (run last, also without the section).
 * Return the number of errors reported, or -ENOMEM. */
int gw_config_load_film_rules(struct gw_cload *l, const struct gw_ynode *seq);
int gw_config_film_implicit(struct gw_cload *l);

/* Reads the rates section (n NULL: the defaults) into cfg->rates.
 * Returns the number of errors reported. */
int gw_config_load_rates(struct gw_cload *l, const struct gw_ynode *n);

/* Reads the console section into cfg->console (gateway read first: data_dir is the
 * password file's default place). Returns the number of errors reported. */
int gw_config_load_console(struct gw_cload *l, const struct gw_ynode *n);

/* Reads the sim section into cfg->sim (sensors must be read first: film plots are
 * checked against them). Returns the number of errors reported; -ENOMEM. */
int gw_config_load_sim(struct gw_cload *l, const struct gw_ynode *n);

/* A secret of a section (config_secret.c): prefix.."_file" or prefix.."_credential", not
 * both; a credential name is a file name in $CREDENTIALS_DIRECTORY ("." and ".." refused).
 * prefix is "SECTION.KEY" (e.g. "mqtt.password"). Returns the number of errors reported. */
int gw_config_check_secret(struct gw_cload *l, const struct gw_ynode *n, const char *prefix,
                           const char *file, const char *credential);

#endif
