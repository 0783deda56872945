/* What the unit tests share for their fixtures. Test code only. */
#ifndef GW_TEST_FIXTURE_H
#define GW_TEST_FIXTURE_H
#include <stdbool.h>
#include <stddef.h>

/* The whole of path, NUL-terminated. *len (may be NULL) gets its length. Returns owned
 * (free), or NULL when it cannot be read. */
char *gw_test_read_file(const char *path, size_t *len);
/* A bad fixture's outcome against its .expected file: rejected (rc -EINVAL), nothing handed
 * out (out_set false) and the diagnostics exactly the file's text. Prints what differs to
 * stderr, naming what. Returns true when all three hold. */
bool gw_test_bad_fixture_ok(const char *what, const char *expected_path, int rc, bool out_set,
                            const char *text);
/* Calls fn on every path glob(3) finds for pattern (flags as glob's). Returns the number of
 * calls that returned false; *n (may be NULL) gets the number of paths. */
size_t gw_test_each_path(const char *pattern, int flags, bool (*fn)(const char *path), size_t *n);
/* Makes a fresh directory /tmp/PREFIX_XXXXXX into buf (len bytes). Returns 0 or -1. */
int gw_test_mkdtemp(const char *prefix, char *buf, size_t len);
/* Removes path and everything below it (not following links). */
void gw_test_rmtree(const char *path);
#endif
