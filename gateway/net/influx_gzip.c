/* One-shot deflate into a gzip wrapper with zlib. */
#include "influx_gzip.h"

#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

int gw_influx_gzip(const char *in, size_t len, struct gw_zbuf *zb)
{
	z_stream zs = {0};
	size_t bound;
	int zrc;

	/* 15 window bits + 16: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)len) + 32;
	if (bound > zb->cap) {
		uint8_t *p = realloc(zb->data, bound);

		if (!p) {
			deflateEnd(&zs);
			return -ENOMEM;
		}
		zb->data = p;
		zb->cap = bound;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = zb->data;
	zs.avail_out = (uInt)zb->cap;
	zrc = deflate(&zs, Z_FINISH);
	zb->len = zs.total_out;
	deflateEnd(&zs);
	return zrc == Z_STREAM_END ? 0 : -EIO;
}

void gw_zbuf_release(struct gw_zbuf *zb)
{
	free(zb->data);
	zb->data = NULL;
	zb->len = zb->cap = 0;
}
