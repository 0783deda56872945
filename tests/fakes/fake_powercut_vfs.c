/* The power-cut VFS; see fake_powercut_vfs.h. Each tracked file keeps a synced image (bytes
 * as of its last xSync) and the list of writes and truncates since; xSync folds the list into
 * the image. The real sync is skipped: durability here is what the image says. */
#include "fake_powercut_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define MAX_FILES 16
#define TORN      512

struct op {
	struct op *next;
	sqlite3_int64 off; /* a truncate when data is NULL: off is the new size */
	int len;
	unsigned char *data;
};

struct track {
	char path[512];
	bool used;
	unsigned char *img;
	size_t size, cap;
	struct op *head, *tail;
};

struct pcfile {
	sqlite3_file base;
	struct track *t;    /* NULL: not tracked (shm, temp files) */
	sqlite3_file *real; /* the unix file, right after this struct */
};

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs pc_vfs;
static sqlite3_io_methods pc_io;
static struct track files[MAX_FILES];
static uint64_t ops, cut;
static bool dead;
static uint64_t rng = 1;
static struct fake_pc_stats stats;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Counts one write/sync/truncate; true when the power is (now) off. */
static bool power_off(void)
{
	ops++;
	if (cut && ops >= cut)
		dead = true;
	return dead;
}

static int img_resize(struct track *t, size_t size)
{
	if (size > t->cap) {
		size_t cap = size * 2 + 4096;
		unsigned char *n = realloc(t->img, cap);

		if (!n)
			return -ENOMEM;
		t->img = n;
		t->cap = cap;
	}
	if (size > t->size)
		memset(t->img + t->size, 0, size - t->size);
	t->size = size;
	return 0;
}

/* Applies op to the image; len limits a write (a torn one). */
static int img_apply(struct track *t, const struct op *o, int len)
{
	size_t end = (size_t)o->off + (size_t)len;

	if (!o->data)
		return img_resize(t, (size_t)o->off);
	if (end > t->size && img_resize(t, end))
		return -ENOMEM;
	memcpy(t->img + (size_t)o->off, o->data, (size_t)len);
	return 0;
}

static void ops_free(struct track *t)
{
	for (struct op *o = t->head, *n; o; o = n) {
		n = o->next;
		free(o->data);
		free(o);
	}
	t->head = t->tail = NULL;
}

static void track_forget(struct track *t)
{
	ops_free(t);
	free(t->img);
	memset(t, 0, sizeof(*t));
}

static int track_add(struct track *t, sqlite3_int64 off, const void *data, int len)
{
	struct op *o = calloc(1, sizeof(*o));

	if (!o)
		return SQLITE_NOMEM;
	o->off = off;
	o->len = len;
	if (data) {
		o->data = malloc((size_t)len);
		if (!o->data) {
			free(o);
			return SQLITE_NOMEM;
		}
		memcpy(o->data, data, (size_t)len);
	}
	if (t->tail)
		t->tail->next = o;
	else
		t->head = o;
	t->tail = o;
	return SQLITE_OK;
}

/* The state of path, created with the file's current content as its synced image. */
static struct track *track_of(const char *path, sqlite3_file *real)
{
	struct track *free_slot = NULL;
	sqlite3_int64 size = 0;

	for (int i = 0; i < MAX_FILES; i++) {
		if (files[i].used && strcmp(files[i].path, path) == 0)
			return &files[i];
		if (!files[i].used && !free_slot)
			free_slot = &files[i];
	}
	if (!free_slot || strlen(path) >= sizeof(free_slot->path))
		return NULL;
	if (real->pMethods->xFileSize(real, &size) != SQLITE_OK ||
	    img_resize(free_slot, (size_t)size) ||
	    real->pMethods->xRead(real, free_slot->img, (int)size, 0) != SQLITE_OK)
		return NULL;
	free_slot->used = true;
	strcpy(free_slot->path, path);
	return free_slot;
}

static int pc_close(sqlite3_file *f)
{
	struct pcfile *p = (struct pcfile *)f;

	return p->real->pMethods->xClose(p->real);
}

static int pc_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	struct pcfile *p = (struct pcfile *)f;

	return p->real->pMethods->xRead(p->real, buf, n, off);
}

static int pc_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct pcfile *p = (struct pcfile *)f;

	if (!p->t)
		return p->real->pMethods->xWrite(p->real, buf, n, off);
	if (power_off())
		return SQLITE_IOERR_WRITE;
	stats.writes++;
	stats.bytes += (uint64_t)n;
	if (track_add(p->t, off, buf, n) != SQLITE_OK)
		return SQLITE_NOMEM;
	return p->real->pMethods->xWrite(p->real, buf, n, off);
}

static int pc_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct pcfile *p = (struct pcfile *)f;

	if (!p->t)
		return p->real->pMethods->xTruncate(p->real, size);
	if (power_off())
		return SQLITE_IOERR_TRUNCATE;
	if (track_add(p->t, size, NULL, 0) != SQLITE_OK)
		return SQLITE_NOMEM;
	return p->real->pMethods->xTruncate(p->real, size);
}

static int pc_sync(sqlite3_file *f, int flags)
{
	struct pcfile *p = (struct pcfile *)f;

	(void)flags;
	if (!p->t)
		return SQLITE_OK;
	if (power_off())
		return SQLITE_IOERR_FSYNC;
	stats.syncs++;
	for (struct op *o = p->t->head; o; o = o->next)
		if (img_apply(p->t, o, o->len))
			return SQLITE_NOMEM;
	ops_free(p->t);
	return SQLITE_OK;
}

#define FWD(name, ...)                                                                             \
	((struct pcfile *)f)->real->pMethods->name(((struct pcfile *)f)->real, __VA_ARGS__)

static int pc_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return FWD(xFileSize, size);
}
static int pc_lock(sqlite3_file *f, int l)
{
	return FWD(xLock, l);
}
static int pc_unlock(sqlite3_file *f, int l)
{
	return FWD(xUnlock, l);
}
static int pc_reserved(sqlite3_file *f, int *out)
{
	return FWD(xCheckReservedLock, out);
}
static int pc_fcntl(sqlite3_file *f, int op, void *arg)
{
	return FWD(xFileControl, op, arg);
}
static int pc_sector(sqlite3_file *f)
{
	struct pcfile *p = (struct pcfile *)f;

	return p->real->pMethods->xSectorSize(p->real);
}
static int pc_devchar(sqlite3_file *f)
{
	struct pcfile *p = (struct pcfile *)f;

	return p->real->pMethods->xDeviceCharacteristics(p->real);
}
static int pc_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return FWD(xShmMap, pg, sz, extend, pp);
}
static int pc_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return FWD(xShmLock, off, n, flags);
}
static void pc_shm_barrier(sqlite3_file *f)
{
	struct pcfile *p = (struct pcfile *)f;

	p->real->pMethods->xShmBarrier(p->real);
}
static int pc_shm_unmap(sqlite3_file *f, int del)
{
	return FWD(xShmUnmap, del);
}

static int pc_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct pcfile *p = (struct pcfile *)f;
	int rc;

	(void)vfs;
	memset(p, 0, sizeof(*p));
	p->real = (sqlite3_file *)(p + 1);
	rc = unix_vfs->xOpen(unix_vfs, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK)
		return rc;
	if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		p->t = track_of(name, p->real);
	p->base.pMethods = &pc_io;
	return SQLITE_OK;
}

static int pc_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	if (dead)
		return SQLITE_IOERR_DELETE;
	for (int i = 0; i < MAX_FILES; i++)
		if (files[i].used && strcmp(files[i].path, name) == 0)
			track_forget(&files[i]);
	return unix_vfs->xDelete(unix_vfs, name, sync_dir);
}

int fake_pc_register(void)
{
	if (unix_vfs)
		return 0;
	unix_vfs = sqlite3_vfs_find("unix");
	if (!unix_vfs)
		return -EIO;
	pc_vfs = *unix_vfs;
	pc_vfs.zName = "powercut";
	pc_vfs.pNext = NULL;
	pc_vfs.szOsFile = (int)sizeof(struct pcfile) + unix_vfs->szOsFile;
	pc_vfs.xOpen = pc_open;
	pc_vfs.xDelete = pc_delete;
	pc_io = (sqlite3_io_methods){
	        .iVersion = 2, /* shared memory, no memory-mapped reads */
	        .xClose = pc_close,
	        .xRead = pc_read,
	        .xWrite = pc_write,
	        .xTruncate = pc_truncate,
	        .xSync = pc_sync,
	        .xFileSize = pc_size,
	        .xLock = pc_lock,
	        .xUnlock = pc_unlock,
	        .xCheckReservedLock = pc_reserved,
	        .xFileControl = pc_fcntl,
	        .xSectorSize = pc_sector,
	        .xDeviceCharacteristics = pc_devchar,
	        .xShmMap = pc_shm_map,
	        .xShmLock = pc_shm_lock,
	        .xShmBarrier = pc_shm_barrier,
	        .xShmUnmap = pc_shm_unmap,
	};
	return sqlite3_vfs_register(&pc_vfs, 1) == SQLITE_OK ? 0 : -EIO;
}

void fake_pc_arm(uint64_t cut_at, uint64_t seed)
{
	for (int i = 0; i < MAX_FILES; i++)
		track_forget(&files[i]);
	ops = 0;
	cut = cut_at;
	dead = false;
	rng = seed ? seed : 1;
	memset(&stats, 0, sizeof(stats));
}

uint64_t fake_pc_ops(void)
{
	return ops;
}

bool fake_pc_dead(void)
{
	return dead;
}

void fake_pc_stats(struct fake_pc_stats *s)
{
	*s = stats;
}

/* The file's content after the cut: the image and a random subset of the later writes. */
static int settle(struct track *t)
{
	int fd, rc = 0;

	for (struct op *o = t->head; o && rc == 0; o = o->next) {
		uint64_t r = next_rand();
		int len = o->len;

		if (r % 2)
			continue; /* never reached the disk */
		if (o->data && len > TORN && (r >> 8) % 4 == 0)
			len = (int)((r >> 16) % (uint64_t)(len / TORN)) * TORN; /* torn */
		rc = img_apply(t, o, len);
	}
	if (rc)
		return rc;
	fd = open(t->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (t->size && write(fd, t->img, t->size) != (ssize_t)t->size)
		rc = -EIO;
	close(fd);
	return rc;
}

int fake_pc_apply(void)
{
	int rc = 0;

	for (int i = 0; i < MAX_FILES && rc == 0; i++)
		if (files[i].used)
			rc = settle(&files[i]);
	fake_pc_arm(0, rng);
	return rc;
}
