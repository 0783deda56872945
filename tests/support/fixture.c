/* Fixture files for the unit tests; see fixture.h. */
#include "fixture.h"

#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

bool gw_test_bad_fixture_ok(const char *what, const char *expected_path, int rc, bool out_set,
                            const char *text)
{
	char *expected = gw_test_read_file(expected_path, NULL);
	bool ok = expected && rc == -EINVAL && !out_set && strcmp(text, expected) == 0;

	if (!ok)
		fprintf(stderr, "%s: rc %d, result %s\n--- expected\n%s--- got\n%s", what, rc,
		        out_set ? "set" : "NULL", expected ? expected : "(no .expected file)\n",
		        text);
	free(expected);
	return ok;
}

size_t gw_test_each_path(const char *pattern, int flags, bool (*fn)(const char *path), size_t *n)
{
	size_t failed = 0;
	glob_t g;

	if (n)
		*n = 0;
	if (glob(pattern, flags, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!fn(g.gl_pathv[i]))
			failed++;
	if (n)
		*n = g.gl_pathc;
	globfree(&g);
	return failed;
}

int gw_test_mkdtemp(const char *prefix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/tmp/%s_XXXXXX", prefix);

	return n > 0 && (size_t)n < len && mkdtemp(buf) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void gw_test_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
