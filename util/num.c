/* strtol/strtod wrappers that insist on a full, in-range number: no leading
 * blanks, no trailing text, no octal surprises ("010" is ten). */
#include "num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int gw_num_long(const char *s, long min, long max, long *out)
{
	const char *digits;
	char *end;
	int base = 10;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	digits = (*s == '-' || *s == '+') ? s + 1 : s;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		base = 16;
	/* strtol would take a second sign or blank after ours */
	if (!isxdigit((unsigned char)digits[base == 16 ? 2 : 0]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, base);
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

	if (!s || !*s || isspace((unsigned char)*s) || strpbrk(s, "xX"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s)
		return -EINVAL;
	/* underflow to a tiny or zero value is fine; overflow, NaN and inf are not */
	if (!isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* One "A" or "A-B" item (not NUL-terminated: len bytes) into set. */
static int range_item(const char *item, size_t len, long min, long max, uint8_t *set)
{
	char buf[64];
	char *dash;
	long a, b;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, item, len);
	buf[len] = '\0';
	dash = strchr(buf + 1, '-');
	if (dash)
		*dash = '\0';
	if (gw_num_long(buf, min, max, &a))
		return -EINVAL;
	b = a;
	if (dash && gw_num_long(dash + 1, min, max, &b))
		return -EINVAL;
	if (b < a)
		return -EINVAL;
	for (long i = a; i <= b; i++)
		set[i] = 1;
	return 0;
}

int gw_num_ranges(const char *s, long min, long max, uint8_t *set)
{
	const char *p = s;

	if (!s || !*s || min < 0 || max < min)
		return -EINVAL;
	memset(set, 0, (size_t)(max + 1));
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (range_item(p, len, min, max, set)) {
			memset(set, 0, (size_t)(max + 1));
			return -EINVAL;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
