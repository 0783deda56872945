/* One InfluxDB 1.x /query (CSV answer, chunked, epoch=ms), streamed row by row: each data row
 * is handed with the column names of its series. Borrows all. */
#ifndef GW_INFLUX_QUERY_H
#define GW_INFLUX_QUERY_H

#include <stddef.h>

#include "acceptance.h"

/* head: the column names (name, tags, time, ...), v: the row's values ("" when null). */
typedef int (*gw_influxq_row_fn)(void *user, char *const *head, char *const *v, size_t n);

/* Called with each header row (a series' column names) before its data rows. */
typedef void (*gw_influxq_head_fn)(void *user, char *const *head, size_t n);

/* Runs q against src (password: src's password, already read; may be ""). Returns 0, fn's
 * non-zero return, -EIO (the server answered other than 200; logged), -E2BIG (a line over
 * 64 KiB) or -errno. */
int gw_influxq_run(const struct gw_fleet_src *src, const char *password, const char *q,
                   gw_influxq_row_fn fn, void *user);
/* gw_influxq_run that also tells head_fn (may be NULL) of each header row, so the caller can
 * look its columns up once per series instead of once per row. */
int gw_influxq_stream(const struct gw_fleet_src *src, const char *password, const char *q,
                      gw_influxq_head_fn head_fn, gw_influxq_row_fn fn, void *user);
/* Reads src's password_file (first line) into buf ("" when none or unreadable). */
void gw_influxq_password(const struct gw_fleet_src *src, char *buf, size_t len);

#endif
