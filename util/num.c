/* strtol/strtod wrappers that insist on a full, in-range number. */
#include "num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int gw_num_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 0);
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int gw_num_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int gw_num_ranges(const char *s, long min, long max, uint8_t *set)
{
	char buf[256];
	char *save = NULL;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(set, 0, (size_t)(max + 1));
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		long a, b;

		if (dash)
			*dash = '\0';
		if (gw_num_long(tok, min, max, &a))
			return -EINVAL;
		b = a;
		if (dash && gw_num_long(dash + 1, min, max, &b))
			return -EINVAL;
		if (b < a)
			return -EINVAL;
		for (long i = a; i <= b; i++)
			set[i] = 1;
	}
	return 0;
}
