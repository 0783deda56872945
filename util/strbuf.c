/* Bounded appends: all or nothing. */
#include "strbuf.h"

#include <errno.h>
#include <string.h>

int gw_str_append(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= len)
		return -ENOSPC;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return 0;
}
