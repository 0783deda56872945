/* Types shared by every driver module: register kinds, value types, word
 * orders, qualities, and a sensor profile (one sensor model, loaded from
 * drivers/profiles/NAME.yaml). Data only: no I/O here. */
#ifndef GW_DRIVER_H
#define GW_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define GW_MAX_POINTS 16   /* values per profile */
#define GW_MAX_REGS   125  /* Modbus limit for one register read */
#define GW_MAX_BITS   2000 /* Modbus limit for one coil/discrete read */
#define GW_NAME_LEN   48

enum gw_quality {
	GW_Q_GOOD,
	GW_Q_TIMEOUT,
	GW_Q_EXCEPTION,
	GW_Q_CRC_ERROR,
	GW_Q_OUT_OF_RANGE,
	GW_Q_DECODE_ERROR,
	GW_Q_STALE,
	GW_Q_COUNT
};

enum gw_regkind { GW_REG_HOLDING, GW_REG_INPUT, GW_REG_COIL, GW_REG_DISCRETE, GW_REG_COUNT };

enum gw_vtype { GW_T_INT16, GW_T_UINT16, GW_T_INT32, GW_T_UINT32, GW_T_FLOAT32, GW_T_BIT };

/* Order of the 4 bytes of a 32-bit value as they arrive: A is the most
 * significant byte. ABCD = big-endian words, high word first. */
enum gw_order { GW_ORDER_ABCD, GW_ORDER_CDAB, GW_ORDER_BADC, GW_ORDER_DCBA };

/* One value of a profile. For coils and discrete inputs the "word" is 0 or 1. */
struct gw_point {
	char name[GW_NAME_LEN]; /* JSON key, e.g. moisture_pct */
	char unit[16];          /* e.g. %, degC, uS/cm */
	enum gw_regkind kind;
	uint16_t addr;
	enum gw_vtype type;
	enum gw_order order; /* 32-bit types; for 16-bit ones badc/dcba swap the 2 bytes */
	uint8_t bit;         /* GW_T_BIT: bit 0..15 of the register */
	double scale;        /* value = raw * scale + offset */
	double offset;
	int decimals; /* digits printed after the point */
	bool has_range;
	double min, max; /* valid range of the scaled value */
};

/* How a model's unit id and baud rate are changed (all through holding registers). */
struct gw_addressing {
	bool known; /* false: set-address refuses, with note as the reason */
	uint16_t unit_reg;
	bool has_baud;
	uint16_t baud_reg;
	int nbaud;
	uint16_t baud_code[12]; /* register value ... */
	uint32_t baud_rate[12]; /* ... for this rate; codes equal to rates are allowed */
	bool needs_power_cycle; /* the change takes effect after a power cycle */
	char note[160];
};

struct gw_serial_defaults {
	uint32_t baud;
	char parity; /* 'N', 'E', 'O' */
	uint8_t data_bits;
	uint8_t stop_bits;
};

struct gw_profile {
	char name[64];
	char description[128];
	struct gw_src src; /* where it was loaded from; src.file lives for the process */
	struct gw_serial_defaults serial;
	uint16_t max_registers; /* per request; <= GW_MAX_REGS */
	uint16_t max_gap;       /* unused registers a block may span */
	struct gw_addressing addressing;
	size_t npoints;
	struct gw_point points[GW_MAX_POINTS];
};

/* "good", "timeout", ... */
const char *gw_quality_name(enum gw_quality q);
/* "holding", "input", "coil", "discrete" */
const char *gw_regkind_name(enum gw_regkind k);
/* Registers a point spans: 2 for 32-bit types, else 1. */
unsigned gw_point_width(const struct gw_point *p);

/* "int16", "uint16", "int32", "uint32", "float32", "bit" */
const char *gw_vtype_name(enum gw_vtype t);
/* Parse the names above (exact, lower case). Return 0 or -EINVAL. */
int gw_quality_parse(const char *s, enum gw_quality *out);
int gw_regkind_parse(const char *s, enum gw_regkind *out);
int gw_vtype_parse(const char *s, enum gw_vtype *out);
/* Digits after the point that show one raw step of p (scale 0.01 -> 2, 1 -> 0;
 * float32 at least 2). */
int gw_point_default_decimals(const struct gw_point *p);
/* True for a point name of [a-z][a-z0-9_]*, shorter than GW_NAME_LEN. */
bool gw_point_name_is_valid(const char *s);
/* True for coils and discrete inputs (one bit per "word"). */
bool gw_regkind_is_bit(enum gw_regkind k);

#endif
