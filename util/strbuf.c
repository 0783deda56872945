/* Bounded appends: all or nothing. */
#include "strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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

void gw_sb_printf(struct gw_strbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full || o->pos >= o->len) {
		o->full = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->full = true;
	else
		o->pos += (size_t)n;
}

void gw_sb_put(struct gw_strbuf *o, const char *s, size_t n)
{
	if (o->full || o->pos + n >= o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

void gw_sb_fixed(struct gw_strbuf *o, double v, int decimals)
{
	char num[64];
	int n = gw_fmt_fixed(num, sizeof(num), v, decimals);

	if (n < 0)
		o->full = true;
	else
		gw_sb_put(o, num, (size_t)n);
}

/* The digits of v x 10^decimals rounded, when that is exact enough to agree with printf's
 * correctly rounded output: below 2^53 and not within 1e-6 of a tie. */
static bool fixed_digits(double v, int decimals, unsigned long long *n)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
	double x;

	if (decimals < 0 || decimals >= (int)(sizeof(p10) / sizeof(p10[0])) || !isfinite(v))
		return false;
	x = fabs(v) * p10[decimals];
	if (x >= 9e15 || fabs(x - floor(x) - 0.5) < 1e-6)
		return false;
	*n = (unsigned long long)llround(x);
	return *n || !signbit(v); /* printf keeps the sign of a negative zero */
}

int gw_fmt_fixed(char *buf, size_t len, double v, int decimals)
{
	char tmp[40], *p = tmp + sizeof(tmp);
	unsigned long long n;
	size_t k;
	int d = 0;

	if (!fixed_digits(v, decimals, &n)) {
		d = snprintf(buf, len, "%.*f", decimals, v);
		return d < 0 || (size_t)d >= len ? -ENOSPC : d;
	}
	do {
		if (d == decimals && d)
			*--p = '.';
		*--p = (char)('0' + n % 10);
		n /= 10;
		d++;
	} while (n || d <= decimals);
	if (signbit(v))
		*--p = '-';
	k = (size_t)(tmp + sizeof(tmp) - p);
	if (k >= len)
		return -ENOSPC;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return (int)k;
}
