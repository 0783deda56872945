/* The technician's page: health at a glance and the commissioning actions (read a sensor
 * now, scan a line, change a unit id, validate and apply a candidate gateway.yaml), served
 * by the daemon when gateway.yaml has a console section. Actions run on the bus's own thread
 * (poll_action.h); nothing here ever makes polling wait. */
#ifndef GW_CONSOLE_H
#define GW_CONSOLE_H

#include "config.h"
#include "diag.h"
#include "metrics.h"
#include "poller.h"
#include "records.h"

struct gw_console; /* opaque */

/* What the console runs on; every pointer borrowed (they must outlive the console). */
struct gw_console_env {
	const struct gw_config *cfg;
	struct gw_poller *poller;
	struct gw_metrics *metrics;    /* the sinks' state and lag; may be NULL */
	const struct gw_records *recs; /* villages of the plots; may be NULL */
	/* The daemon's: validates text as if it were the config at path (every check of
	 * `run`'s start-up; problems to d). Returns 0 when good. */
	int (*validate)(const char *path, const char *text, struct gw_diag *d);
	/* The daemon's: reload the config file (as SIGHUP does). */
	void (*reload)(void);
};

/* Starts the console when env->cfg->console is enabled. Returns 0 with *out (owned; NULL when
 * not configured: nothing listens), or -errno (logged). */
int gw_console_start(const struct gw_console_env *env, struct gw_console **out);
/* Ends the event streams, takes back or waits for the actions on the buses, stops serving
 * and frees c. Call before the poller stops. NULL is a no-op. */
void gw_console_stop(struct gw_console *c);

/* The password hash file: writes gw_pwhash(password) to path (mode 0600, replaced
 * atomically). Returns 0 or -errno. */
int gw_console_write_password(const char *path, const char *password);
/* Reads the hash from path into out (GW_PWHASH_LEN bytes). Returns 0, -ENOENT, -EINVAL (not
 * a hash) or -errno. */
int gw_console_read_password(const char *path, char *out, size_t len);

#endif
