/* SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for the household reference and the
 * evidence chain. Leaf code: no I/O, no allocation. */
#ifndef GW_SHA256_H
#define GW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GW_SHA256_LEN 32

struct gw_sha256 {
	uint32_t h[8];
	uint64_t bytes; /* message length so far */
	uint8_t block[64];
	size_t used; /* bytes waiting in block */
};

void gw_sha256_init(struct gw_sha256 *c);
void gw_sha256_update(struct gw_sha256 *c, const void *data, size_t len);
/* Writes the digest and leaves c to be initialised again. */
void gw_sha256_final(struct gw_sha256 *c, uint8_t out[GW_SHA256_LEN]);
/* One call: the digest of data. */
void gw_sha256(const void *data, size_t len, uint8_t out[GW_SHA256_LEN]);
/* HMAC-SHA-256 of msg under key. */
void gw_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[GW_SHA256_LEN]);
/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void gw_hex(const uint8_t *in, size_t len, char *out);

#endif
