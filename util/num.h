/* Strict number parsing: the whole string is consumed and the value range
 * checked. Never atoi. Leaf code: returns codes, never logs. */
#ifndef GW_NUM_H
#define GW_NUM_H

#include <stdint.h>

/* Decimal, or hex with 0x. Returns 0, -EINVAL (not a number) or -ERANGE. */
int gw_num_long(const char *s, long min, long max, long *out);
/* Returns 0, -EINVAL or -ERANGE (also for NaN/inf). */
int gw_num_double(const char *s, double min, double max, double *out);
/* "A-B" or "A" or "A,B,C-D" into a 0/1 table of size max+1. Returns 0 or -EINVAL. */
int gw_num_ranges(const char *s, long min, long max, uint8_t *set);

#endif
