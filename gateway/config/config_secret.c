/* Secrets from a file or from a systemd credential. A credential is what the unit's
 * LoadCredential= copies into the service's $CREDENTIALS_DIRECTORY (readable only by the
 * service's user, never on disk under the user's own name): `password_credential:
 * fieldgate.mqtt-password` reads $CREDENTIALS_DIRECTORY/fieldgate.mqtt-password. The path is
 * found when the secret is read (the sinks' start), not at load: `check`, run outside the
 * service, accepts such a config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_load.h"
#include "log.h"

int gw_config_check_secret(struct gw_cload *l, const struct gw_ynode *n, const char *prefix,
                           const char *file, const char *credential)
{
	const char *key = strchr(prefix, '.') + 1;
	char cred_key[64];
	const struct gw_ynode *at;

	snprintf(cred_key, sizeof(cred_key), "%s_credential", key);
	at = gw_yaml_get(n, cred_key);
	if (!credential[0] || !at)
		return 0;
	if (file[0]) {
		gw_diag_error_at(l->c.d, &at->src,
		                 "%s_credential: give either %s_file or %s_credential, not both",
		                 prefix, key, key);
		return 1;
	}
	if (strcmp(credential, ".") == 0 || strcmp(credential, "..") == 0) {
		gw_diag_error_at(l->c.d, &at->src,
		                 "%s_credential: not a credential name (got \"%s\", want a file "
		                 "name in $CREDENTIALS_DIRECTORY, e.g. fieldgate.mqtt-password)",
		                 prefix, credential);
		return 1;
	}
	return 0;
}

int gw_config_secret_path(const char *file, const char *credential, const char *key, char *out,
                          size_t len)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	int n;

	if (file[0] || !credential[0]) {
		n = snprintf(out, len, "%s", file);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (!dir || !dir[0]) {
		gw_log(GW_ERR, "config",
		       "%s %s: $CREDENTIALS_DIRECTORY is not set (the service's LoadCredential= "
		       "provides it; outside the service use a _file key)",
		       key, credential);
		out[0] = '\0';
		return -ENOENT;
	}
	n = snprintf(out, len, "%s/%s", dir, credential);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
