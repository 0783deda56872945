/* libFuzzer target for what the fleet source reads from InfluxDB: any bytes as a CSV line
 * split into fields (each field inside the line, the count bounded) and as a series key
 * whose tags are read (always NUL-terminated, within the buffer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accept_influx.h"
#include "array.h"

#define MAX_LINE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = {"gateway", "plot", "role", "sensor", "interval_s", "x"};
	static char line[MAX_LINE + 1], key[MAX_LINE + 1];
	char *f[16], out[64];
	size_t n;

	if (size > MAX_LINE)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	memcpy(key, line, size + 1);
	n = gw_accept_csv_split(line, f, 16);
	if (n < 1 || n > 16)
		abort();
	for (size_t i = 0; i < n; i++)
		if (f[i] < line || f[i] > line + size || strlen(f[i]) > size)
			abort();
	for (size_t t = 0; t < GW_ARRAY_LEN(tags); t++) {
		gw_accept_series_tag(key, tags[t], out, sizeof(out));
		if (strlen(out) >= sizeof(out))
			abort();
	}
	return 0;
}
