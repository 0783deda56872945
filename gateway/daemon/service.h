/* `run` as a service: SIGTERM/SIGINT stop the daemon; SIGHUP reloads it (the new config and
 * records are validated while the old ones keep running; a bad one is logged line by line and
 * changes nothing; a good one stops the daemon cleanly and re-executes the same binary with the
 * same arguments); and the service manager hears READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1.
 * One per process: the signal flags are global. */
#ifndef GW_SERVICE_H
#define GW_SERVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct gw_service {
	const char *config_path; /* borrows: validated again on SIGHUP */
	bool once;               /* run --once: SIGHUP does not reload */
	bool reexec;             /* a validated new config waits for the re-exec */
	bool stopping;           /* STOPPING=1 or RELOADING=1 was sent */
	int64_t watchdog_ms;     /* the manager's watchdog interval, 0: none */
	int64_t next_ping_ms;    /* monotonic time of the next WATCHDOG=1 */
};

/* Installs the SIGINT, SIGTERM and SIGHUP handlers (SIGPIPE ignored) and reads the
 * watchdog interval. Borrows config_path. */
void gw_service_init(struct gw_service *s, const char *config_path, bool once);
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

#endif
