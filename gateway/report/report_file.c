/* A report file written whole or not at all: mkstemp beside the target (mode 0600), the
 * report, fsync, the final mode, rename. An unmasked report never exists with a wider
 * mode, not even for a moment. */
#include "report_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gw_report_file_open(struct gw_report_file *rf, const char *path, bool private_mode)
{
	int n, fd;

	memset(rf, 0, sizeof(*rf));
	rf->private_mode = private_mode;
	n = snprintf(rf->path, sizeof(rf->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(rf->path))
		return -ENAMETOOLONG;
	snprintf(rf->tmp, sizeof(rf->tmp), "%s.XXXXXX", path);
	fd = mkstemp(rf->tmp); /* mode 0600 */
	if (fd < 0)
		return -errno;
	rf->f = fdopen(fd, "w");
	if (!rf->f) {
		int rc = -errno;

		close(fd);
		unlink(rf->tmp);
		return rc;
	}
	return 0;
}

static mode_t public_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int gw_report_file_commit(struct gw_report_file *rf)
{
	int rc = 0;

	if (fflush(rf->f) || ferror(rf->f))
		rc = -EIO;
	if (!rc && fsync(fileno(rf->f)))
		rc = -errno;
	if (!rc && !rf->private_mode && fchmod(fileno(rf->f), public_mode()))
		rc = -errno;
	if (fclose(rf->f) && !rc)
		rc = -EIO;
	rf->f = NULL;
	if (!rc && rename(rf->tmp, rf->path))
		rc = -errno;
	if (rc)
		unlink(rf->tmp);
	return rc;
}

void gw_report_file_abort(struct gw_report_file *rf)
{
	if (rf->f)
		fclose(rf->f);
	rf->f = NULL;
	unlink(rf->tmp);
}
