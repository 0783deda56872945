/* The console's sessions, CSRF tokens and login rate limit. A session is a signed token
 * (expiry, random id, HMAC-SHA-256 under a key made from data_dir/console.key and the
 * password hash): it survives a reload's re-exec and dies with a password change. The CSRF
 * token of a session is an HMAC of it, checked on every action. Logins fail at most
 * GW_CAUTH_PEER_FAILS times per address and GW_CAUTH_ALL_FAILS times in all per window.
 * Pure but for gw_cauth_login (the password hash): time comes from the caller. */
#ifndef GW_CONSOLE_AUTH_H
#define GW_CONSOLE_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"

#define GW_CAUTH_TOKEN_LEN  128 /* a session token, NUL included */
#define GW_CAUTH_CSRF_LEN   65
#define GW_CAUTH_SESSION_S  (12 * 3600) /* a session lasts a working day */
#define GW_CAUTH_WINDOW_S   300         /* the rate limit's window */
#define GW_CAUTH_PEER_FAILS 5
#define GW_CAUTH_ALL_FAILS  20
#define GW_CAUTH_PEERS      32 /* addresses tracked; the oldest is forgotten first */

struct gw_cauth_peer {
	char addr[48];
	int64_t since_s; /* start of its window */
	unsigned fails;
};

struct gw_cauth {
	uint8_t key[GW_SHA256_LEN];
	bool need_password;
	char hash[GW_PWHASH_LEN];
	pthread_mutex_t lock; /* the limiter; a login (64 MB of Argon2) at a time */
	struct gw_cauth_peer peers[GW_CAUTH_PEERS];
	int64_t all_since_s;
	unsigned all_fails;
};

/* Sets a up with the secret file_key (len bytes) and the password hash (NULL or "": no
 * password, every visitor gets a session). */
void gw_cauth_init(struct gw_cauth *a, const uint8_t *file_key, size_t len, const char *hash);
void gw_cauth_destroy(struct gw_cauth *a);
/* A new session token valid until now_s + GW_CAUTH_SESSION_S into out. */
void gw_cauth_session_new(const struct gw_cauth *a, int64_t now_s, char out[GW_CAUTH_TOKEN_LEN]);
/* Whether token is a's, unexpired at now_s. id (17 bytes, may be NULL) gets its random id,
 * the name the log gives the session. */
bool gw_cauth_session_ok(const struct gw_cauth *a, const char *token, int64_t now_s, char *id);
/* The CSRF token of session token into out. */
void gw_cauth_csrf(const struct gw_cauth *a, const char *token, char out[GW_CAUTH_CSRF_LEN]);
/* Whether csrf (may be NULL) is token's. */
bool gw_cauth_csrf_ok(const struct gw_cauth *a, const char *token, const char *csrf);
/* Seconds peer must wait before trying to log in again (0: it may try now). */
int64_t gw_cauth_wait_s(struct gw_cauth *a, const char *peer, int64_t now_s);
/* Counts a login attempt's result for peer. */
void gw_cauth_note(struct gw_cauth *a, const char *peer, bool ok, int64_t now_s);
/* A whole login: refused while rate-limited (*wait_s > 0), else the password checked against
 * the hash and the result counted. Returns whether it succeeded. */
bool gw_cauth_login(struct gw_cauth *a, const char *peer, const char *password, int64_t now_s,
                    int64_t *wait_s);

#endif
