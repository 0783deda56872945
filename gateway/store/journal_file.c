/* The journal's file at the file system level: creating it (modes, the directory's entry made
 * durable), moving a damaged or lost one aside, and whether the path still names a writable
 * file. No SQLite here (journal.c owns it). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "journal_int.h"

/* Makes the new entry in path's directory durable: without it a power cut soon after could
 * leave the directory without the journal whose commits SQLite had synced. */
static void sync_dir(const char *path)
{
	char buf[4096];
	int fd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return;
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

int gw_journal_create_file(const char *path, bool create)
{
	/* Never open and close an existing journal here: closing any descriptor of a file
	 * drops every POSIX lock this process holds on it, SQLite's included, and another
	 * process could then checkpoint and delete the WAL under our other handles. */
	int fd = create ? open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	struct stat st;
	int rc;

	if (!create || (fd < 0 && errno == EEXIST)) {
		if (lstat(path, &st) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISREG(st.st_mode))
			return -EISDIR;
		return (st.st_mode & 0777) == 0600 || chmod(path, 0600) == 0 ? 0 : -errno;
	}
	if (fd < 0)
		return -errno;
	rc = fchmod(fd, 0600) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		sync_dir(path);
	return rc;
}

int gw_journal_mkdir(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return chmod(dir, 0700) < 0 ? -errno : 0;
	return errno == EEXIST ? 0 : -errno;
}

static const char *const sfx[] = {"", "-wal", "-shm"};

/* Whether any of name+sfx[i] exists (a lost journal leaves only its -wal and -shm). */
static bool taken(const char *name, size_t n)
{
	char buf[4096];

	for (size_t i = 0; i < n; i++)
		if (snprintf(buf, sizeof(buf), "%s%s", name, sfx[i]) >= (int)sizeof(buf) ||
		    access(buf, F_OK) == 0)
			return true;
	return false;
}

int gw_journal_move_aside(const char *path, const char *tag, char *dst, size_t len)
{
	char from[4096], to[4096];
	long long now = (long long)time(NULL);
	int n;

	for (int k = 0; k < 100; k++) {
		n = k ? snprintf(dst, len, "%s.%s-%lld.%d", path, tag, now, k)
		      : snprintf(dst, len, "%s.%s-%lld", path, tag, now);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		if (!taken(dst, GW_ARRAY_LEN(sfx)))
			break;
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(sfx); i++) {
		n = snprintf(from, sizeof(from), "%s%s", path, sfx[i]);
		if (n < 0 || (size_t)n >= sizeof(from) ||
		    snprintf(to, sizeof(to), "%s%s", dst, sfx[i]) >= (int)sizeof(to))
			return -ENAMETOOLONG;
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int gw_journal_path_writable(const char *path)
{
	struct statvfs vfs;
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	/* root writes whatever the mode, but a restart would find the file read-only to
	 * anyone else, and a mode someone took away is a sign worth raising */
	if (!(st.st_mode & S_IWUSR))
		return -EACCES;
	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return -EROFS;
	return 0;
}
