/* The keys of cellular buses in gateway.yaml: a dtu_server bus's registration
 * and heartbeat packets (ASCII or hex) decoded to bytes, its listen address
 * checked, and the checks across the buses that share one listener. Also the
 * cellular defaults of the timeouts. Knows nothing of sockets. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config_dtu.h"
#include "config_load.h"

#define DTU_RESPONSE_MS 2000
#define DTU_BYTE_MS     500

static bool is_cellular(const struct gw_bus_cfg *b)
{
	return b->type == GW_BUS_RTU_TCP || b->type == GW_BUS_DTU_SERVER;
}

unsigned gw_config_dtu_response_ms(const struct gw_bus_cfg *b, unsigned dflt)
{
	return is_cellular(b) ? DTU_RESPONSE_MS : dflt;
}

unsigned gw_config_dtu_byte_ms(const struct gw_bus_cfg *b, unsigned dflt)
{
	return is_cellular(b) ? DTU_BYTE_MS : dflt;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex pairs, spaces allowed between them, into out. Returns the length, -1 not
 * hex, -2 longer than GW_DTU_PKT_MAX. */
static long hex_decode(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == ' ') {
			s++;
			continue;
		}
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0)
			return -1;
		if (n == GW_DTU_PKT_MAX)
			return -2;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (long)n;
}

/* Decodes the packet of key (text as written, hex or ASCII) into out/len. */
static int packet(struct gw_cload *l, const char *path, const struct gw_ynode *map, const char *key,
                  const char *text, int hex, uint8_t *out, size_t *len)
{
	const struct gw_ynode *v = gw_yaml_get(map, key);
	char kpath[GW_KEYPATH_LEN];
	long n;

	*len = 0;
	if (!v || gw_yaml_is_null(v))
		return 0;
	gw_ctable_path(kpath, path, key, 0);
	n = hex ? hex_decode(text, out) : (long)strlen(text);
	if (n == -1) {
		gw_diag_error_at(l->c.d, &v->src,
		                 "%s: not hex (got \"%.40s\", want pairs of hex digits, spaces "
		                 "allowed)",
		                 kpath, text);
		return 1;
	}
	if (n == 0 || n < -1 || n > GW_DTU_PKT_MAX) {
		gw_diag_error_at(l->c.d, &v->src, "%s: %s (want 1..%d bytes)", kpath,
		                 n == 0 ? "empty" : "too long", GW_DTU_PKT_MAX);
		return 1;
	}
	if (!hex)
		memcpy(out, text, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static int required(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                    const char *key)
{
	char kpath[GW_KEYPATH_LEN];

	if (!gw_yaml_is_null(gw_yaml_get(map, key)))
		return 0;
	gw_ctable_path(kpath, path, key, 0);
	gw_diag_error_at(l->c.d, &map->src, "%s: required for dtu_server buses", kpath);
	return 1;
}

static int listen_addr(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                       const struct gw_bus_cfg *b)
{
	const struct gw_ynode *v = gw_yaml_get(map, "listen");
	uint8_t addr[16];

	if (!v || gw_yaml_is_null(v) || inet_pton(AF_INET, b->listen, addr) == 1 ||
	    inet_pton(AF_INET6, b->listen, addr) == 1)
		return 0;
	gw_diag_error_at(l->c.d, &v->src,
	                 "%s.listen: not a numeric address (got \"%.40s\", want the one address to "
	                 "bind, e.g. 192.0.2.1 or ::1)",
	                 path, b->listen);
	return 1;
}

int gw_config_dtu_bus(struct gw_cload *l, const char *path, const struct gw_ynode *map,
                      struct gw_bus_cfg *b)
{
	int errors = required(l, path, map, "registration") + required(l, path, map, "port");

	errors += listen_addr(l, path, map, b);
	errors += packet(l, path, map, "registration", b->reg_text, b->reg_hex, b->reg, &b->reglen);
	errors += packet(l, path, map, "heartbeat", b->hb_text, b->hb_hex, b->heartbeat, &b->hblen);
	return errors;
}

static bool same_listener(const struct gw_bus_cfg *a, const struct gw_bus_cfg *b)
{
	return a->type == GW_BUS_DTU_SERVER && b->type == GW_BUS_DTU_SERVER && a->port == b->port &&
	       strcmp(a->listen, b->listen) == 0;
}

/* True when one registration is the start of the other: the listener could not tell them apart. */
static bool overlaps(const struct gw_bus_cfg *a, const struct gw_bus_cfg *b)
{
	size_t n = a->reglen < b->reglen ? a->reglen : b->reglen;

	return n > 0 && memcmp(a->reg, b->reg, n) == 0;
}

static int clash(struct gw_cload *l, size_t i, size_t j)
{
	const struct gw_bus_cfg *a = &l->cfg->buses[i], *b = &l->cfg->buses[j];

	if (!overlaps(a, b))
		return 0;
	gw_diag_error_at(l->c.d, &b->src,
	                 "buses[%zu].registration: clashes with bus %s (line %d) on listener %s:%u "
	                 "(want registrations none of which starts another)",
	                 j, a->name, a->src.line, b->listen, b->port);
	return 1;
}

static int same_caps(struct gw_cload *l, size_t i, size_t j)
{
	const struct gw_bus_cfg *a = &l->cfg->buses[i], *b = &l->cfg->buses[j];

	if (a->max_connections == b->max_connections)
		return 0;
	gw_diag_error_at(l->c.d, &b->src,
	                 "buses[%zu].max_connections: differs on listener %s:%u (got %u, want %u "
	                 "as bus %s at line %d)",
	                 j, b->listen, b->port, b->max_connections, a->max_connections, a->name,
	                 a->src.line);
	return 1;
}

int gw_config_dtu_listeners(struct gw_cload *l)
{
	int errors = 0;

	for (size_t j = 0; j < l->cfg->nbuses; j++) {
		bool first = true;

		for (size_t i = 0; i < j; i++) {
			if (!same_listener(&l->cfg->buses[i], &l->cfg->buses[j]))
				continue;
			if (first)
				errors += same_caps(l, i, j);
			first = false;
			errors += clash(l, i, j);
		}
	}
	return errors;
}
