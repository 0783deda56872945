/* Names of the driver enums (qualities, register kinds, value types) and the
 * width of a point. Tables only: no I/O, no allocation. */
#include "driver.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const quality_names[GW_Q_COUNT] = {
        [GW_Q_GOOD] = "good",
        [GW_Q_TIMEOUT] = "timeout",
        [GW_Q_EXCEPTION] = "exception",
        [GW_Q_CRC_ERROR] = "crc_error",
        [GW_Q_OUT_OF_RANGE] = "out_of_range",
        [GW_Q_DECODE_ERROR] = "decode_error",
        [GW_Q_STALE] = "stale",
};

static const char *const regkind_names[GW_REG_COUNT] = {
        [GW_REG_HOLDING] = "holding",
        [GW_REG_INPUT] = "input",
        [GW_REG_COIL] = "coil",
        [GW_REG_DISCRETE] = "discrete",
};

#define GW_T_COUNT (GW_T_BIT + 1)

static const char *const vtype_names[GW_T_COUNT] = {
        [GW_T_INT16] = "int16",   [GW_T_UINT16] = "uint16",   [GW_T_INT32] = "int32",
        [GW_T_UINT32] = "uint32", [GW_T_FLOAT32] = "float32", [GW_T_BIT] = "bit",
};

static int lookup(const char *const *names, int n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *gw_quality_name(enum gw_quality q)
{
	if ((unsigned)q >= GW_Q_COUNT)
		return "unknown";
	return quality_names[q];
}

const char *gw_regkind_name(enum gw_regkind k)
{
	if ((unsigned)k >= GW_REG_COUNT)
		return "unknown";
	return regkind_names[k];
}

const char *gw_vtype_name(enum gw_vtype t)
{
	if ((unsigned)t >= GW_T_COUNT)
		return "unknown";
	return vtype_names[t];
}

int gw_quality_parse(const char *s, enum gw_quality *out)
{
	int i = lookup(quality_names, GW_Q_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum gw_quality)i;
	return 0;
}

int gw_regkind_parse(const char *s, enum gw_regkind *out)
{
	int i = lookup(regkind_names, GW_REG_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum gw_regkind)i;
	return 0;
}

int gw_vtype_parse(const char *s, enum gw_vtype *out)
{
	int i = lookup(vtype_names, GW_T_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum gw_vtype)i;
	return 0;
}

bool gw_regkind_is_bit(enum gw_regkind k)
{
	return k == GW_REG_COIL || k == GW_REG_DISCRETE;
}

unsigned gw_point_width(const struct gw_point *p)
{
	if (gw_regkind_is_bit(p->kind))
		return 1;
	switch (p->type) {
	case GW_T_INT32:
	case GW_T_UINT32:
	case GW_T_FLOAT32:
		return 2;
	default:
		return 1;
	}
}

int gw_point_default_decimals(const struct gw_point *p)
{
	int d = 0;

	while (d < 6) {
		double x = fabs(p->scale) * pow(10.0, d);

		if (fabs(x - nearbyint(x)) < 1e-6 * x)
			break;
		d++;
	}
	if (p->type == GW_T_FLOAT32 && d < 2)
		d = 2;
	return d;
}

bool gw_point_name_is_valid(const char *s)
{
	if (!*s || strlen(s) >= GW_NAME_LEN || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}
