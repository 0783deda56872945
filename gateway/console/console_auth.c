/* Sessions, CSRF and the login limiter of the console (console_auth.h). Tokens are checked
 * in constant time; nothing here logs or does I/O. */
#include "console_auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ID_HEX 16

void gw_cauth_init(struct gw_cauth *a, const uint8_t *file_key, size_t len, const char *hash)
{
	memset(a, 0, sizeof(*a));
	a->need_password = hash && hash[0];
	if (a->need_password)
		snprintf(a->hash, sizeof(a->hash), "%s", hash);
	/* the hash in the key: a new password ends every session */
	gw_hmac_sha256(file_key, len, a->hash, strlen(a->hash), a->key);
	pthread_mutex_init(&a->lock, NULL);
}

void gw_cauth_destroy(struct gw_cauth *a)
{
	pthread_mutex_destroy(&a->lock);
	gw_crypto_wipe(a->key, sizeof(a->key));
}

/* The MAC of "s|<expiry>|<id>" as hex into out (65 bytes). */
static void session_mac(const struct gw_cauth *a, const char *expiry_id, char *out)
{
	uint8_t mac[GW_SHA256_LEN];
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "s|%s", expiry_id);

	gw_hmac_sha256(a->key, sizeof(a->key), msg, (size_t)n, mac);
	gw_hex(mac, sizeof(mac), out);
}

void gw_cauth_session_new(const struct gw_cauth *a, int64_t now_s, char out[GW_CAUTH_TOKEN_LEN])
{
	uint8_t rnd[ID_HEX / 2];
	char id[ID_HEX + 1], head[48], mac[2 * GW_SHA256_LEN + 1];

	gw_random(rnd, sizeof(rnd));
	gw_hex(rnd, sizeof(rnd), id);
	snprintf(head, sizeof(head), "%010" PRId64 ".%s", now_s + GW_CAUTH_SESSION_S, id);
	session_mac(a, head, mac);
	snprintf(out, GW_CAUTH_TOKEN_LEN, "%s.%s", head, mac);
}

bool gw_cauth_session_ok(const struct gw_cauth *a, const char *token, int64_t now_s, char *id)
{
	char head[48], mac[2 * GW_SHA256_LEN + 1];
	const char *dot;
	int64_t expiry = 0;
	size_t hlen;

	if (!token || strlen(token) != 10 + 1 + ID_HEX + 1 + 2 * GW_SHA256_LEN)
		return false;
	dot = token + 10 + 1 + ID_HEX;
	if (*dot != '.')
		return false;
	hlen = (size_t)(dot - token);
	memcpy(head, token, hlen);
	head[hlen] = '\0';
	session_mac(a, head, mac);
	if (!gw_crypto_equal(mac, dot + 1, 2 * GW_SHA256_LEN))
		return false;
	for (int i = 0; i < 10; i++) {
		if (token[i] < '0' || token[i] > '9')
			return false;
		expiry = expiry * 10 + (token[i] - '0');
	}
	if (expiry <= now_s)
		return false;
	if (id) {
		memcpy(id, token + 11, ID_HEX);
		id[ID_HEX] = '\0';
	}
	return true;
}

void gw_cauth_csrf(const struct gw_cauth *a, const char *token, char out[GW_CAUTH_CSRF_LEN])
{
	uint8_t mac[GW_SHA256_LEN];
	char msg[GW_CAUTH_TOKEN_LEN + 8];
	int n = snprintf(msg, sizeof(msg), "csrf|%s", token);

	gw_hmac_sha256(a->key, sizeof(a->key), msg, (size_t)n, mac);
	gw_hex(mac, sizeof(mac), out);
}

bool gw_cauth_csrf_ok(const struct gw_cauth *a, const char *token, const char *csrf)
{
	char want[GW_CAUTH_CSRF_LEN];

	if (!token || !csrf || strlen(csrf) != GW_CAUTH_CSRF_LEN - 1)
		return false;
	gw_cauth_csrf(a, token, want);
	return gw_crypto_equal(want, csrf, GW_CAUTH_CSRF_LEN - 1);
}

/* peer's slot (a new one, replacing the oldest window, when it has none). */
static struct gw_cauth_peer *peer_slot(struct gw_cauth *a, const char *peer, bool make)
{
	struct gw_cauth_peer *oldest = &a->peers[0];

	for (int i = 0; i < GW_CAUTH_PEERS; i++) {
		struct gw_cauth_peer *p = &a->peers[i];

		if (p->addr[0] && strcmp(p->addr, peer) == 0)
			return p;
		if (!p->addr[0] || (oldest->addr[0] && p->since_s < oldest->since_s))
			oldest = p;
	}
	if (!make)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", peer);
	return oldest;
}

static int64_t wait_locked(struct gw_cauth *a, const char *peer, int64_t now_s)
{
	struct gw_cauth_peer *p = peer_slot(a, peer, false);
	int64_t wait = 0;

	if (a->all_fails >= GW_CAUTH_ALL_FAILS && now_s < a->all_since_s + GW_CAUTH_WINDOW_S)
		wait = a->all_since_s + GW_CAUTH_WINDOW_S - now_s;
	if (p && p->fails >= GW_CAUTH_PEER_FAILS && now_s < p->since_s + GW_CAUTH_WINDOW_S &&
	    p->since_s + GW_CAUTH_WINDOW_S - now_s > wait)
		wait = p->since_s + GW_CAUTH_WINDOW_S - now_s;
	return wait;
}

int64_t gw_cauth_wait_s(struct gw_cauth *a, const char *peer, int64_t now_s)
{
	int64_t wait;

	pthread_mutex_lock(&a->lock);
	wait = wait_locked(a, peer, now_s);
	pthread_mutex_unlock(&a->lock);
	return wait;
}

static void note_locked(struct gw_cauth *a, const char *peer, bool ok, int64_t now_s)
{
	struct gw_cauth_peer *p = peer_slot(a, peer, !ok);

	if (ok) {
		if (p)
			memset(p, 0, sizeof(*p));
		return;
	}
	if (now_s >= p->since_s + GW_CAUTH_WINDOW_S) {
		p->since_s = now_s;
		p->fails = 0;
	}
	p->fails++;
	if (now_s >= a->all_since_s + GW_CAUTH_WINDOW_S) {
		a->all_since_s = now_s;
		a->all_fails = 0;
	}
	a->all_fails++;
}

void gw_cauth_note(struct gw_cauth *a, const char *peer, bool ok, int64_t now_s)
{
	pthread_mutex_lock(&a->lock);
	note_locked(a, peer, ok, now_s);
	pthread_mutex_unlock(&a->lock);
}

bool gw_cauth_login(struct gw_cauth *a, const char *peer, const char *password, int64_t now_s,
                    int64_t *wait_s)
{
	bool ok;

	pthread_mutex_lock(&a->lock);
	*wait_s = wait_locked(a, peer, now_s);
	if (*wait_s > 0) {
		pthread_mutex_unlock(&a->lock);
		return false;
	}
	ok = !a->need_password || gw_pwhash_verify(a->hash, password, strlen(password));
	note_locked(a, peer, ok, now_s);
	pthread_mutex_unlock(&a->lock);
	return ok;
}
