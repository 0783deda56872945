/* Cryptography, all of it from libsodium (this is sodium.h's one owner file): SHA-256 and
 * HMAC-SHA-256 (the household reference, the evidence chain's digests) and Ed25519 (each
 * gateway's key pair, which signs every sealed day). No allocation. */
#ifndef GW_CRYPTO_H
#define GW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_SHA256_LEN  32
#define GW_SIG_LEN     64 /* an Ed25519 signature */
#define GW_PUBKEY_LEN  32 /* an Ed25519 public key */
#define GW_SECKEY_LEN  64 /* an Ed25519 secret key (seed and public key) */
#define GW_GATEWAY_KEY "gateway.key"

/* A SHA-256 being computed (libsodium's state, kept opaque here). */
struct gw_sha256 {
	_Alignas(16) unsigned char state[128];
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
/* Exactly 2 * len hex digits (either case) -> len bytes. Returns 0 or -EINVAL. */
int gw_unhex(const char *in, size_t in_len, uint8_t *out, size_t len);

/* The gateway's Ed25519 key pair: data_dir/gateway.key (the 64-byte secret key, mode 0600),
 * created from the system's random source when missing (never replaced). Returns 0, -EINVAL
 * (a file that is not a key: logged) or -errno. */
int gw_crypto_gateway_key(const char *data_dir, uint8_t sk[GW_SECKEY_LEN],
                          uint8_t pk[GW_PUBKEY_LEN]);
/* Signs msg with sk (detached). */
void gw_crypto_sign(const uint8_t sk[GW_SECKEY_LEN], const void *msg, size_t len,
                    uint8_t sig[GW_SIG_LEN]);
/* Whether sig is pk's signature of msg. */
bool gw_crypto_verify(const uint8_t pk[GW_PUBKEY_LEN], const void *msg, size_t len,
                      const uint8_t sig[GW_SIG_LEN]);
/* Password hashing (Argon2id, libsodium's crypto_pwhash_str): a self-describing text hash of
 * at most GW_PWHASH_LEN - 1 characters. Memory and passes: GW_PWHASH_MEM bytes,
 * GW_PWHASH_OPS passes (libsodium's "interactive" limits, under a second on a Pi 4). */
#define GW_PWHASH_LEN 128
#define GW_PWHASH_MEM (64u << 20)
#define GW_PWHASH_OPS 2
/* Hashes pw (len bytes) with a fresh salt. Returns 0 or -ENOMEM. */
int gw_pwhash(const char *pw, size_t len, char out[GW_PWHASH_LEN]);
/* Whether pw (len bytes) matches hash (a gw_pwhash text). False for a malformed hash. */
bool gw_pwhash_verify(const char *hash, const char *pw, size_t len);
/* Whether hash looks like a gw_pwhash text (an Argon2id string). */
bool gw_pwhash_is_hash(const char *hash);
/* len bytes from the system's random source. */
void gw_random(void *buf, size_t len);
/* Whether a and b (len bytes each) are equal, in time independent of their contents. */
bool gw_crypto_equal(const void *a, const void *b, size_t len);
/* Wipes len bytes (not optimised away). */
void gw_crypto_wipe(void *p, size_t len);

#endif
