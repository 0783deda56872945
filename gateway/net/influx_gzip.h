/* gzip for InfluxDB request bodies (the only includer of zlib.h). Fast
 * compression: line protocol shrinks several times even at level 1, and the
 * gateway's CPU is small. */
#ifndef GW_INFLUX_GZIP_H
#define GW_INFLUX_GZIP_H

#include <stddef.h>
#include <stdint.h>

/* A growable output buffer, reused from batch to batch. */
struct gw_zbuf {
	uint8_t *data; /* owned */
	size_t len;
	size_t cap;
};

/* Compresses in[0..len) as one gzip member into zb (replacing its content).
 * Returns 0, -ENOMEM or -EIO. */
int gw_influx_gzip(const char *in, size_t len, struct gw_zbuf *zb);
/* Frees zb's buffer; zb itself is the caller's. */
void gw_zbuf_release(struct gw_zbuf *zb);

#endif
