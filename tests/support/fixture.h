/* What the unit tests share for their fixtures. Test code only. */
#ifndef GW_TEST_FIXTURE_H
#define GW_TEST_FIXTURE_H
#include <stddef.h>

/* The whole of path, NUL-terminated. *len (may be NULL) gets its length. Returns owned
 * (free), or NULL when it cannot be read. */
char *gw_test_read_file(const char *path, size_t *len);
#endif
