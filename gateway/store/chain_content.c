/* The content digest of a day (see chain_content.h). */
#include "chain_content.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcodec.h"

static void put_be(struct gw_sha256 *h, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	gw_sha256_update(h, b, (size_t)bytes);
}

static void put_str(struct gw_sha256 *h, const char *s)
{
	size_t n = strlen(s);

	put_be(h, n, 4);
	gw_sha256_update(h, s, n);
}

void gw_content_init(struct gw_content *c)
{
	memset(c, 0, sizeof(*c));
	c->last_src = -1;
}

void gw_content_free(struct gw_content *c)
{
	free(c->leaf);
	free(c->src);
	gw_content_init(c);
}

double gw_content_at_resolution(double v, int decimals)
{
	char text[400];
	double r;

	snprintf(text, sizeof(text), "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
	r = strtod(text, NULL);
	return r == 0 ? 0 : r; /* -0 as 0 */
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct gw_content_value *)a)->name,
	              ((const struct gw_content_value *)b)->name);
}

int gw_content_add(struct gw_content *c, int64_t ts_ms, const char *sensor,
                   struct gw_content_value *v, size_t n)
{
	struct gw_sha256 h;
	uint64_t bits;

	if (!sensor)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!v[i].name || !v[i].quality)
			return -EINVAL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		void *p = realloc(c->leaf, cap * sizeof(*c->leaf));

		if (!p)
			return -ENOMEM;
		c->leaf = p;
		c->cap = cap;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	gw_sha256_init(&h);
	put_be(&h, (uint64_t)ts_ms, 8);
	put_str(&h, sensor);
	put_be(&h, n, 4);
	for (size_t i = 0; i < n; i++) {
		put_str(&h, v[i].name);
		put_str(&h, v[i].quality);
		if (strcmp(v[i].quality, "good") != 0)
			continue;
		double d = v[i].value == 0 ? 0 : v[i].value;

		memcpy(&bits, &d, sizeof(bits));
		put_be(&h, bits, 8);
	}
	gw_sha256_final(&h, c->leaf[c->n++]);
	return 0;
}

int gw_content_add_row(struct gw_content *c, const struct gw_journal_row *r)
{
	struct gw_source *s = c->src;
	struct gw_content_value v[GW_MAX_POINTS];
	struct gw_reading rd = {0};
	char text[GW_JSRC_MAX + 1];

	if (!s && !(s = c->src = malloc(sizeof(*s))))
		return -ENOMEM;
	if (r->src != c->last_src) {
		c->last_src = -1;
		if (!r->desc || r->desc_len >= sizeof(text))
			return -EINVAL;
		memcpy(text, r->desc, r->desc_len);
		text[r->desc_len] = '\0';
		if (gw_source_parse(text, s))
			return -EINVAL;
		c->last_src = r->src;
	}
	if (gw_jdata_unpack(r->data, r->len, s->prof.npoints, &rd))
		return -EINVAL;
	for (size_t i = 0; i < s->prof.npoints; i++) {
		const struct gw_point *pt = &s->prof.points[i];
		enum gw_quality q = (enum gw_quality)rd.quality[i];
		bool good = q == GW_Q_GOOD && isfinite(rd.values[i]);

		v[i].name = pt->name;
		v[i].quality = gw_quality_name(good || q != GW_Q_GOOD ? q : GW_Q_DECODE_ERROR);
		v[i].value = good ? gw_content_at_resolution(rd.values[i], pt->decimals) : 0;
	}
	return gw_content_add(c, r->ts_ms, s->sensor, v, s->prof.npoints);
}

static int leaf_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GW_SHA256_LEN);
}

void gw_content_digest(struct gw_content *c, uint8_t out[GW_SHA256_LEN])
{
	static const char tag[] = "fieldgate-content-1";
	struct gw_sha256 h;

	if (c->n) /* a day none of whose rows decodes has no leaves (and leaf may be NULL) */
		qsort(c->leaf, c->n, sizeof(*c->leaf), leaf_cmp);
	gw_sha256_init(&h);
	gw_sha256_update(&h, tag, sizeof(tag) - 1);
	put_be(&h, c->n, 8);
	for (size_t i = 0; i < c->n; i++)
		gw_sha256_update(&h, c->leaf[i], GW_SHA256_LEN);
	gw_sha256_final(&h, out);
}
