/* A SQLite VFS that simulates power cuts, for tests at the journal's library seam (the one
 * place a test may include sqlite3.h: STYLE.md, fakes only at owner-file seams). It sits over
 * the default "unix" VFS and passes everything through, but keeps, for each database and WAL
 * file, the content as of its last xSync and the writes since. At the armed cut point the
 * "power goes": that write, sync or truncate and every later one fails (the machine is dead)
 * and nothing reaches the file. fake_pc_apply() then sets each file to what a disk could hold
 * after the cut: the content at its last sync plus a random subset of the later writes, in
 * order, some of them torn at a 512-byte boundary (the disk reorders and tears what was not
 * synced). The -shm file is not tracked (SQLite rebuilds it). Directory entries are taken as
 * durable. Not thread-safe: one test thread. */
#ifndef FAKE_POWERCUT_VFS_H
#define FAKE_POWERCUT_VFS_H

#include <stdbool.h>
#include <stdint.h>

/* What went to the files since the last fake_pc_arm(): writes, bytes written, syncs. */
struct fake_pc_stats {
	uint64_t writes, bytes, syncs;
};

/* Registers the VFS "powercut" as SQLite's default (once; later calls do nothing). Must come
 * before the first gw_journal_open(). Returns 0 or -EIO. */
int fake_pc_register(void);
/* Forgets every file's state and arms the cut at the cut_at-th write, sync or truncate from
 * now (0: never). seed drives fake_pc_apply()'s choices. */
void fake_pc_arm(uint64_t cut_at, uint64_t seed);
/* Writes, syncs and truncates since arming (counting the failed ones after a cut). */
uint64_t fake_pc_ops(void);
/* True once the cut has happened. */
bool fake_pc_dead(void);
void fake_pc_stats(struct fake_pc_stats *s);
/* After the cut, with every connection closed: rewrites each tracked file as the cut left
 * it (see above) and disarms. Returns 0 or -errno. */
int fake_pc_apply(void);

#endif
