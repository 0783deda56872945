/* The service manager's notification protocol (sd_notify(3)): one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET. Without it, a no-op. */
#ifndef GW_NOTIFY_H
#define GW_NOTIFY_H

#include <stdint.h>

/* Sends state (e.g. "READY=1\nSTATUS=polling"). Returns 0 when sent, 1 when no
 * service manager listens ($NOTIFY_SOCKET unset), or -errno. */
int gw_notify(const char *state);

/* The watchdog interval the service manager asked for ($WATCHDOG_USEC, for this
 * process when $WATCHDOG_PID is set), in ms; 0 when there is none. */
int64_t gw_notify_watchdog_ms(void);

#endif
