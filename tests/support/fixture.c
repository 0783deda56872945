/* Fixture files for the unit tests; see fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>

char *gw_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf && len)
		*len = (size_t)n;
out_close:
	fclose(f);
	return buf;
}
