/* The pure parts of the fleet source (accept_influx.c), exposed for tests: InfluxDB's CSV
 * answers and series keys. Internal to the acceptance module. */
#ifndef GW_ACCEPT_INFLUX_H
#define GW_ACCEPT_INFLUX_H

#include <stddef.h>

/* Splits one CSV line in place into at most max fields (quoted fields, "" inside quotes);
 * f[i] point into s. Returns the number of fields. */
size_t gw_accept_csv_split(char *s, char **f, size_t max);

/* Copies the value of tag out of a series key ("reading,plot=A\ 1,sensor=u1"), with line
 * protocol escapes undone, into out (len bytes, cut to fit); "" when the tag is absent. */
void gw_accept_series_tag(const char *key, const char *tag, char *out, size_t len);

#endif
