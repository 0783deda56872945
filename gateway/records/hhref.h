/* The opaque household reference that readings carry instead of anything personal:
 * "hh-" and 16 hex digits of HMAC-SHA-256(gateway key, household_id). The key is 32
 * random bytes in data_dir/household.key (mode 0600), made on first use and kept: the
 * reference is stable across restarts, and without the key it reveals nothing, not even
 * which household_id it stands for. Losing the key changes every reference (back it up
 * with the journal). */
#ifndef GW_HHREF_H
#define GW_HHREF_H

#include <stddef.h>
#include <stdint.h>

#define GW_HHREF_KEY_LEN 32
#define GW_HHREF_LEN     20 /* "hh-" + 16 hex + NUL */

/* Reads data_dir/household.key, creating it (0600, from getrandom) when missing. data_dir
 * must exist. Returns 0, -EINVAL (a key file of the wrong size: never replaced silently)
 * or -errno. */
int gw_hhref_key(const char *data_dir, uint8_t key[GW_HHREF_KEY_LEN]);
/* Writes the reference of household_id under key into out (GW_HHREF_LEN bytes). */
void gw_hhref(const uint8_t key[GW_HHREF_KEY_LEN], const char *household_id, char *out);

#endif
