/* The console section of gateway.yaml: the technician's page (address, port, password hash
 * file, language). A listen address other than loopback is refused at start-up unless the
 * password file exists (gw_config_console_check): the page never opens to the LAN without a
 * password, and `console passwd` can still read the config to write it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "config_load.h"

#define C_STR(...) GW_KEY_STR(struct gw_console_cfg, __VA_ARGS__)
#define C_INT(...) GW_KEY_INT(struct gw_console_cfg, __VA_ARGS__)

static const char *const languages[] = {"zh", "en", NULL};
static const char *const use_password_file[] = {"password_file", NULL};

static const struct gw_ckey console_keys[] = {
        C_STR("listen", http.listen, GW_CK_STR, 0, NULL, "127.0.0.1"),
        C_INT("port", http.port, 0, 1, 65535, 8088),
        C_STR("password_file", password_file, GW_CK_PATH, 0, NULL, NULL),
        C_STR("language", language, GW_CK_WORD, 0, languages, "zh"),
        GW_KEY_SECRET("password", use_password_file),
};

/* Whether text is a loopback address; *ok false when it is no numeric address at all. */
static bool is_loopback(const char *text, bool *ok)
{
	struct in6_addr a6;
	struct in_addr a4;

	*ok = true;
	if (inet_pton(AF_INET, text, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, text, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	*ok = false;
	return false;
}

int gw_config_load_console(struct gw_cload *l, const struct gw_ynode *n)
{
	struct gw_console_cfg *c = &l->cfg->console;
	const struct gw_ypair *seen[GW_ARRAY_LEN(console_keys)];
	int errors = gw_ctable_fill(&l->c, "console", n, console_keys, GW_ARRAY_LEN(console_keys),
	                            c, seen);
	size_t at = gw_ctable_index(console_keys, GW_ARRAY_LEN(console_keys), "listen");
	const struct gw_src *where = seen[at] ? &seen[at]->val->src : &n->src;
	bool numeric, loop = is_loopback(c->http.listen, &numeric);
	int len;

	c->enabled = true;
	c->http.enabled = true;
	c->src = n->src;
	c->src.file = l->cfg->path;
	if (!c->password_file[0]) {
		len = snprintf(c->password_file, sizeof(c->password_file), "%s/console.pass",
		               l->cfg->data_dir);
		if (len < 0 || (size_t)len >= sizeof(c->password_file)) {
			gw_diag_error_at(l->c.d, &n->src,
			                 "console.password_file: data_dir too long");
			errors++;
		}
	}
	if (!numeric) {
		gw_diag_error_at(l->c.d, where,
		                 "console.listen: \"%s\" is not a numeric IPv4 or IPv6 address "
		                 "(want e.g. 127.0.0.1 or 192.168.1.10)",
		                 c->http.listen);
		return errors + 1;
	}
	c->loopback = loop;
	c->listen_src = *where;
	c->listen_src.file = l->cfg->path;
	return errors;
}

int gw_config_console_check(const struct gw_config *cfg, struct gw_diag *d)
{
	const struct gw_console_cfg *c = &cfg->console;

	if (!c->enabled || c->loopback || access(c->password_file, R_OK) == 0)
		return 0;
	gw_diag_error_at(d, &c->listen_src,
	                 "console.listen: %s is reachable from other machines, and the password "
	                 "file %s is missing (create it with: fieldgate console passwd -c %s)",
	                 c->http.listen, c->password_file, cfg->path);
	return 1;
}
