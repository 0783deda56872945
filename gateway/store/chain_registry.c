/* The county's gateway registry (chain.h): a CSV of gateway id and Ed25519 public key (hex),
 * one gateway a line; an optional header line "gateway,public_key", blank lines and lines
 * starting with '#' are skipped. Read whole and checked before any key is used. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"

#define LINE_MAX_LEN 512

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
}

/* One line: "id,hex". Returns 0, 1 (skipped) or -EINVAL with why set. */
static int parse_line(char *line, char **id, uint8_t pk[GW_PUBKEY_LEN], const char **why)
{
	char *comma, *key;

	trim(line);
	if (!line[0] || line[0] == '#')
		return 1;
	comma = strchr(line, ',');
	if (!comma || strchr(comma + 1, ',')) {
		*why = "want two fields: gateway id, public key";
		return -EINVAL;
	}
	*comma = '\0';
	*id = line;
	key = comma + 1;
	if (strcmp(*id, "gateway") == 0 || strcmp(*id, "gateway_id") == 0)
		return 1; /* the header */
	if (!**id || strpbrk(*id, " \t\"")) {
		*why = "empty or quoted gateway id";
		return -EINVAL;
	}
	if (gw_unhex(key, strlen(key), pk, GW_PUBKEY_LEN)) {
		*why = "the public key is not 64 hex digits (fieldgate key --public prints it)";
		return -EINVAL;
	}
	return 0;
}

int gw_chain_registry_find(const char *path, const char *gateway, uint8_t pk[GW_PUBKEY_LEN],
                           FILE *err)
{
	char line[LINE_MAX_LEN], *id, seen[LINE_MAX_LEN] = "";
	const char *why = NULL;
	uint8_t key[GW_PUBKEY_LEN];
	FILE *f = fopen(path, "r");
	int lineno = 0, found = 0, rc = 0;

	if (!f) {
		rc = -errno;
		fprintf(err, "%s: error: cannot read the registry: %s\n", path, strerror(-rc));
		return rc;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			why = "line too long";
			rc = -EINVAL;
			break;
		}
		rc = parse_line(line, &id, key, &why);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0 && strcmp(id, gateway) == 0) {
			if (found++) {
				why = "the gateway is named twice";
				rc = -EINVAL;
			}
			memcpy(pk, key, GW_PUBKEY_LEN);
		}
		snprintf(seen, sizeof(seen), "%s", rc ? "" : id);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc == -EINVAL)
		fprintf(err, "%s:%d: error: %s\n", path, lineno, why);
	else if (rc == 0 && !found) {
		fprintf(err, "%s: error: gateway \"%s\" is not in the registry (%d lines)\n", path,
		        gateway, lineno);
		rc = -ENOENT;
	}
	return rc;
}
