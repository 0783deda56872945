/* Raw Modbus words -> scaled value + quality, and back (for the simulator).
 * Leaf code: no I/O, no logging. */
#ifndef GW_DECODE_H
#define GW_DECODE_H

#include <stdio.h>

#include "driver.h"

/* Decodes p from words[0..width-1] (words[0] is the register at p->addr; for
 * coils/discrete inputs, 0 or 1). Writes *out and returns GW_Q_GOOD,
 * GW_Q_OUT_OF_RANGE (value still written) or GW_Q_DECODE_ERROR (NaN/inf). */
enum gw_quality gw_decode_point(const struct gw_point *p, const uint16_t *words, double *out);

/* The inverse: the raw words that make p decode to value (rounded to the
 * nearest raw step, clamped to the type's range; NaN encodes as raw 0).
 * Returns the width written. A GW_T_BIT point in a register sets or clears
 * only its bit of words[0] and keeps the others, so several bit points can
 * share one register. */
unsigned gw_encode_point(const struct gw_point *p, double value, uint16_t *words);

/* Prints, for `read --raw`, every register of words[0..n-1] (addresses from
 * addr) as hex, uint16 and int16, and each adjacent pair as int32, uint32 and
 * float32 in all four byte orders. */
void gw_decode_print_raw(FILE *out, uint16_t addr, const uint16_t *words, size_t n);

/* Parses "abcd"/"cdab"/"badc"/"dcba" (case-insensitive). Returns 0 or -EINVAL. */
int gw_order_parse(const char *s, enum gw_order *out);
const char *gw_order_name(enum gw_order o);

#endif
