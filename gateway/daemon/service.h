/* `run` as a service: SIGTERM/SIGINT stop the daemon; SIGHUP reloads it (the new config and
 * records are validated while the old ones keep running, with every start-up check of `run`
 * (preflight.h); a bad one is logged line by line and changes nothing; a good one stops the
 * daemon cleanly and re-executes the same binary with the same arguments, handing the new
 * image the text of the config it ran on: should the new image's set-up still fail (a file
 * changed again, a data_dir it cannot open), it re-executes once more on that text, so the
 * daemon goes on with its previous config); and the service manager hears READY=1,
 * WATCHDOG=1, RELOADING=1, STOPPING=1. One per process: the signal flags are global. */
#ifndef GW_SERVICE_H
#define GW_SERVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct gw_metrics;

struct gw_service {
	const char *config_path; /* borrows: validated again on SIGHUP */
	bool once;               /* run --once: SIGHUP does not reload */
	bool reexec;             /* a validated new config waits for the re-exec */
	bool stopping;           /* STOPPING=1 or RELOADING=1 was sent */
	bool ready;              /* READY=1 was sent: the set-up is done */
	bool fell_back;          /* started on the previous config after a failed reload */
	char *running_text;      /* owned: the config text this process runs on */
	char *fallback_text;     /* owned: started by a reload, the previous image's config */
	int64_t watchdog_ms;     /* the manager's watchdog interval, 0: none */
	int64_t next_ping_ms;    /* monotonic time of the next WATCHDOG=1 */
	const struct gw_metrics *metrics; /* borrowed, may be NULL: the STATUS= health line */
	int64_t next_status_ms;           /* monotonic time STATUS= is looked at again */
	char last_status[512];            /* the STATUS= last sent */
};

/* Installs the SIGINT, SIGTERM and SIGHUP handlers (SIGPIPE ignored), reads the watchdog
 * interval and what a previous image handed over across a re-exec (and takes it out of the
 * environment). Borrows config_path. */
void gw_service_init(struct gw_service *s, const char *config_path, bool once);
/* Frees what gw_service_init and gw_service_load_config kept. */
void gw_service_free(struct gw_service *s);
/* Loads the config to run on: the previous config's text after a failed reload, else the
 * file at config_path; keeps the text for the next reload. Same contract as
 * gw_config_load. */
int gw_service_load_config(struct gw_service *s, struct gw_diag *d, struct gw_config **out);
/* Loads the config and records at path as a start would, and runs every check `run` makes
 * before it starts anything (preflight.h), reporting to d. Returns 0 or -EINVAL (-ENOMEM). */
int gw_service_validate(const char *path, struct gw_diag *d);
/* The same for text as if it were the file at path (the console's candidate config). */
int gw_service_validate_text(const char *path, const char *text, struct gw_diag *d);
/* Asks for a reload of the config file, as SIGHUP does (the console's apply). */
void gw_service_request_reload(void);
/* The flag the handlers set to stop the daemon (also set for a validated reload). */
const volatile sig_atomic_t *gw_service_stop_flag(void);
/* READY=1 with a status line: the journal is open and the pollers run. */
void gw_service_ready(struct gw_service *s, const char *status);
/* Called by the delivery loop (at least every 100 ms; it returns there after each commit):
 * sends WATCHDOG=1 when due, so the pings prove that loop alive; handles a pending SIGHUP;
 * sends STOPPING=1 once a stop was asked. arg: the struct gw_service. */
void gw_service_tick(void *arg);
/* STOPPING=1, once (not after RELOADING=1): the daemon is on its way out. */
void gw_service_stopping(struct gw_service *s);
/* After a validated reload, once everything is closed: re-executes this binary as
 * `fieldgate run` with argv (argv[0] is "run"). Returns only on failure: -errno. */
int gw_service_reexec(struct gw_service *s, int argc, char **argv);
/* After a set-up that failed in an image started by a reload (before READY=1): logs it and
 * re-executes on the previous config's text. Returns only when there is none to go back to
 * (-ENOENT: not started by a reload) or on failure (-errno). */
int gw_service_fallback(struct gw_service *s, int argc, char **argv);

#endif
