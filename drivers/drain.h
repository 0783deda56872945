/* Emptying the line a Modbus master reads from (a tty, a pty or a socket),
 * counting what it throws away: what is pending before a request, and what
 * arrives behind a reply or after a timeout. Does not parse frames, does not
 * log. The fd is borrowed; it is only read. */
#ifndef GW_DRAIN_H
#define GW_DRAIN_H

#include <stddef.h>
#include <stdint.h>

/* Reads and drops whatever fd holds right now, without waiting. Returns the
 * number of bytes dropped (0 also when fd is bad or at EOF). */
size_t gw_drain_now(int fd);

/* Reads and drops what arrives on fd until at least min_ms have passed and
 * the line has then been quiet for quiet_ms, or max_ms have passed in all.
 * The first cap bytes go to keep (may be NULL when cap is 0) for the caller
 * to look at. Returns the number of bytes dropped. */
size_t gw_drain_wait(int fd, unsigned min_ms, unsigned quiet_ms, unsigned max_ms, uint8_t *keep,
                     size_t cap);

#endif
