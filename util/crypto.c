/* SHA-256, HMAC-SHA-256 and Ed25519 through libsodium (crypto.h); the gateway's key file. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct gw_sha256 *)0)->state),
               "gw_sha256 too small for libsodium's state");
_Static_assert(crypto_sign_BYTES == GW_SIG_LEN && crypto_sign_PUBLICKEYBYTES == GW_PUBKEY_LEN &&
                       crypto_sign_SECRETKEYBYTES == GW_SECKEY_LEN,
               "Ed25519 sizes");

static void init_once(void)
{
	static bool done;

	if (!done && sodium_init() >= 0)
		done = true; /* sodium_init is itself safe to call again, from any thread */
}

void gw_sha256_init(struct gw_sha256 *c)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)c->state);
}

void gw_sha256_update(struct gw_sha256 *c, const void *data, size_t len)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)c->state, data, len);
}

void gw_sha256_final(struct gw_sha256 *c, uint8_t out[GW_SHA256_LEN])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)c->state, out);
}

void gw_sha256(const void *data, size_t len, uint8_t out[GW_SHA256_LEN])
{
	crypto_hash_sha256(out, data, len);
}

void gw_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[GW_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, msg, msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void gw_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int gw_unhex(const char *in, size_t in_len, uint8_t *out, size_t len)
{
	size_t got = 0;

	if (in_len != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < in_len; i++)
		if (!strchr("0123456789abcdefABCDEF", in[i]) || !in[i])
			return -EINVAL;
	if (sodium_hex2bin(out, len, in, in_len, NULL, &got, NULL) != 0 || got != len)
		return -EINVAL;
	return 0;
}

void gw_crypto_sign(const uint8_t sk[GW_SECKEY_LEN], const void *msg, size_t len,
                    uint8_t sig[GW_SIG_LEN])
{
	init_once();
	crypto_sign_detached(sig, NULL, msg, len, sk);
}

bool gw_crypto_verify(const uint8_t pk[GW_PUBKEY_LEN], const void *msg, size_t len,
                      const uint8_t sig[GW_SIG_LEN])
{
	init_once();
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

_Static_assert(GW_PWHASH_LEN >= crypto_pwhash_STRBYTES, "GW_PWHASH_LEN below libsodium's");

int gw_pwhash(const char *pw, size_t len, char out[GW_PWHASH_LEN])
{
	init_once();
	memset(out, 0, GW_PWHASH_LEN);
	if (crypto_pwhash_str_alg(out, pw, len, GW_PWHASH_OPS, GW_PWHASH_MEM,
	                          crypto_pwhash_ALG_ARGON2ID13))
		return -ENOMEM;
	return 0;
}

bool gw_pwhash_verify(const char *hash, const char *pw, size_t len)
{
	init_once();
	if (!gw_pwhash_is_hash(hash))
		return false;
	return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

bool gw_pwhash_is_hash(const char *hash)
{
	return strncmp(hash, crypto_pwhash_STRPREFIX, strlen(crypto_pwhash_STRPREFIX)) == 0 &&
	       strlen(hash) < crypto_pwhash_STRBYTES;
}

void gw_random(void *buf, size_t len)
{
	init_once();
	randombytes_buf(buf, len);
}

bool gw_crypto_equal(const void *a, const void *b, size_t len)
{
	init_once();
	return sodium_memcmp(a, b, len) == 0;
}

void gw_crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

/* A new key at path, written to path.new and linked into place (never over another). */
static int create_key(const char *path, uint8_t sk[GW_SECKEY_LEN])
{
	uint8_t pk[GW_PUBKEY_LEN];
	char tmp[4200];
	int fd, rc = 0;

	init_once();
	if (crypto_sign_keypair(pk, sk) != 0)
		return -EIO;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (fchmod(fd, 0600) < 0 || write(fd, sk, GW_SECKEY_LEN) != GW_SECKEY_LEN || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	if (rc == 0)
		gw_log(GW_NOTICE, "crypto",
		       "new gateway key %s (back it up; register its public "
		       "key: fieldgate key --public)",
		       path);
	return rc;
}

static int read_key(const char *path, uint8_t sk[GW_SECKEY_LEN])
{
	uint8_t buf[GW_SECKEY_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if (n != GW_SECKEY_LEN) {
		gw_log(GW_ERR, "crypto", "%s: not a gateway key (want %d bytes)", path,
		       GW_SECKEY_LEN);
		gw_crypto_wipe(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(sk, buf, GW_SECKEY_LEN);
	gw_crypto_wipe(buf, sizeof(buf));
	return 0;
}

int gw_crypto_gateway_key(const char *data_dir, uint8_t sk[GW_SECKEY_LEN],
                          uint8_t pk[GW_PUBKEY_LEN])
{
	char path[4096];
	int rc = -EEXIST;

	if (snprintf(path, sizeof(path), "%s/" GW_GATEWAY_KEY, data_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (int attempt = 0; attempt < 2 && rc == -EEXIST; attempt++) {
		rc = read_key(path, sk);
		if (rc == -ENOENT)
			rc = create_key(path,
			                sk); /* -EEXIST: another process made it: read theirs */
	}
	if (rc == 0)
		crypto_sign_ed25519_sk_to_pk(pk, sk);
	return rc;
}
