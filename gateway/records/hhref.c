/* Household references; see hhref.h. */
#include "hhref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "crypto.h"

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = read(fd, buf + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* Makes a new key file: written in full to a temporary name, then linked into place, so a
 * crash never leaves a short key behind and a racing start keeps the first one. */
static int create_key(const char *path, uint8_t key[GW_HHREF_KEY_LEN])
{
	char tmp[4096];
	int fd, rc = 0;

	if (getrandom(key, GW_HHREF_KEY_LEN, 0) != GW_HHREF_KEY_LEN)
		return -EIO;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0 || write(fd, key, GW_HHREF_KEY_LEN) != GW_HHREF_KEY_LEN ||
	    fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	if (rc == 0)
		gw_log(GW_NOTICE, "records", "new household key %s (back it up with the journal)",
		       path);
	return rc;
}

int gw_hhref_key(const char *data_dir, uint8_t key[GW_HHREF_KEY_LEN])
{
	char path[4096];
	uint8_t extra;
	size_t got, more;
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/household.key", data_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (int attempt = 0; attempt < 2; attempt++) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT) {
			rc = create_key(path, key);
			if (rc != -EEXIST)
				return rc;
			continue; /* another process made it first: read theirs */
		}
		if (fd < 0)
			return -errno;
		rc = read_all(fd, key, GW_HHREF_KEY_LEN, &got);
		if (rc == 0)
			rc = read_all(fd, &extra, 1, &more);
		close(fd);
		if (rc)
			return rc;
		if (got != GW_HHREF_KEY_LEN || more) {
			gw_log(GW_ERR, "records", "%s: not a household key (want %d bytes)", path,
			       GW_HHREF_KEY_LEN);
			return -EINVAL;
		}
		return 0;
	}
	return -EEXIST;
}

void gw_hhref(const uint8_t key[GW_HHREF_KEY_LEN], const char *household_id, char *out)
{
	uint8_t mac[GW_SHA256_LEN];

	gw_hmac_sha256(key, GW_HHREF_KEY_LEN, household_id, strlen(household_id), mac);
	memcpy(out, "hh-", 3);
	gw_hex(mac, 8, out + 3);
}
