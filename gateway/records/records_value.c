/* The values of the records files on their own: GB 11643 ID numbers, phone numbers, the
 * masks that keep both out of logs, and the category/film/planting labels (English and
 * the county's Chinese). Leaf code: returns codes, never logs. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "array.h"
#include "records.h"
#include "records_int.h"

struct label {
	const char *text;
	int value;
};

/* English first: gw_*_name() gives the first label of a value. */
static const struct label film_labels[] = {
        {"none", GW_FILM_NONE}, {"full", GW_FILM_FULL}, {"half", GW_FILM_HALF},
        {"无", GW_FILM_NONE},   {"无膜", GW_FILM_NONE}, {"全膜", GW_FILM_FULL},
        {"半膜", GW_FILM_HALF},
};
static const struct label category_labels[] = {
        {"poverty_alleviated", GW_CAT_POVERTY_ALLEVIATED},
        {"general", GW_CAT_GENERAL},
        {"脱贫户", GW_CAT_POVERTY_ALLEVIATED},
        {"一般户", GW_CAT_GENERAL},
};
static const struct label planting_labels[] = {
        {"single", GW_PLANT_SINGLE},
        {"intercrop", GW_PLANT_INTERCROP},
        {"grain", GW_PLANT_GRAIN},
        {"单种", GW_PLANT_SINGLE},
        {"间作", GW_PLANT_INTERCROP},
        {"套种", GW_PLANT_INTERCROP},
        {"间套种", GW_PLANT_INTERCROP},
        {"玉豆套种", GW_PLANT_INTERCROP},
        {"大豆玉米带状复合种植", GW_PLANT_INTERCROP},
        {"籽粒", GW_PLANT_GRAIN},
        {"籽粒玉米", GW_PLANT_GRAIN},
};

#define NLABELS(a) (GW_ARRAY_LEN(a))

static int parse_label(const struct label *l, size_t n, const char *s, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].text, s) == 0) {
			*out = l[i].value;
			return 0;
		}
	return -EINVAL;
}

static const char *label_name(const struct label *l, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].value == v)
			return l[i].text;
	return "?";
}

int gw_film_parse(const char *s, enum gw_film *out)
{
	int v;
	int rc = parse_label(film_labels, NLABELS(film_labels), s, &v);

	if (!rc)
		*out = (enum gw_film)v;
	return rc;
}

int gw_category_parse(const char *s, enum gw_category *out)
{
	int v;
	int rc = parse_label(category_labels, NLABELS(category_labels), s, &v);

	if (!rc)
		*out = (enum gw_category)v;
	return rc;
}

int gw_planting_parse(const char *s, enum gw_planting *out)
{
	int v;
	int rc = parse_label(planting_labels, NLABELS(planting_labels), s, &v);

	if (!rc)
		*out = (enum gw_planting)v;
	return rc;
}

const char *gw_film_name(enum gw_film f)
{
	return label_name(film_labels, NLABELS(film_labels), (int)f);
}

const char *gw_category_name(enum gw_category c)
{
	return label_name(category_labels, NLABELS(category_labels), (int)c);
}

const char *gw_planting_name(enum gw_planting p)
{
	return label_name(planting_labels, NLABELS(planting_labels), (int)p);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool gw_gb11643_valid(const char *id)
{
	static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char check[] = "10X98765432";
	int sum = 0;
	char c;

	if (strlen(id) != 18 || !all_digits(id, 17))
		return false;
	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * weight[i];
	c = id[17] == 'x' ? 'X' : id[17];
	return c == check[sum % 11];
}

bool gw_phone_valid(const char *p)
{
	size_t n = strlen(p);
	const char *dash = strchr(p, '-');

	if (n == 11 && all_digits(p, 11) && p[0] == '1' && p[1] >= '3')
		return true;
	if (p[0] != '0')
		return false;
	if (dash) {
		size_t area = (size_t)(dash - p), local = n - area - 1;

		return area >= 3 && area <= 4 && local >= 7 && local <= 8 && all_digits(p, area) &&
		       all_digits(dash + 1, local);
	}
	return n >= 10 && n <= 12 && all_digits(p, n);
}

/* keep the first head and last tail bytes of s around stars; short or non-ASCII: "******" */
static int mask(const char *s, size_t head, size_t stars, size_t tail, char *out, size_t len)
{
	size_t n = strlen(s);
	bool ascii = true;

	for (size_t i = 0; i < n; i++)
		ascii = ascii && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7F;
	/* a short value would show most of itself around the stars */
	if (!ascii || n < head + tail + 4) {
		head = tail = 0;
		stars = 6;
	}
	if (len < head + stars + tail + 1) {
		if (len)
			out[0] = '\0';
		return -ENOSPC;
	}
	memcpy(out, s, head);
	memset(out + head, '*', stars);
	memcpy(out + head + stars, s + n - tail, tail);
	out[head + stars + tail] = '\0';
	return 0;
}

int gw_mask_id(const char *id, char *out, size_t len)
{
	return mask(id, 6, 8, 4, out, len);
}

int gw_mask_phone(const char *phone, char *out, size_t len)
{
	return mask(phone, 3, 4, 4, out, len);
}

const char *gw_records_show(const char *v, char *buf, size_t len)
{
	size_t run = 0, longest = 0, n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		run = v[i] >= '0' && v[i] <= '9' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	if (longest >= 7) {
		if ((n >= 15 ? gw_mask_id : gw_mask_phone)(v, buf, len) == 0)
			return buf;
		n = 0;
	}
	if (n >= len)
		for (n = len - 1; n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80; n--)
			;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}
