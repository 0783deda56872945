/* libFuzzer target for the journal's row codec: a source text parses or is refused, and
 * a parsed one formats back to a text that parses to the same source; the same bytes as
 * poll data unpack or are refused, and unpacked data packs back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void source_round_trip(const uint8_t *data, size_t size)
{
	static struct gw_source a, b;
	static char text[GW_JSRC_MAX + 1], again[GW_JSRC_MAX], third[GW_JSRC_MAX];

	if (size > GW_JSRC_MAX)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (gw_source_parse(text, &a) != 0)
		return;
	if (gw_source_format(&a, again, sizeof(again)) < 0 || gw_source_parse(again, &b) != 0 ||
	    gw_source_format(&b, third, sizeof(third)) < 0 || strcmp(again, third) != 0)
		abort();
}

static void data_round_trip(const uint8_t *data, size_t size)
{
	struct gw_profile prof = {0};
	struct gw_reading r = {.profile = &prof};
	uint8_t back[GW_JDATA_MAX];
	int n;

	if (size < 2)
		return;
	prof.npoints = data[1];
	if (gw_jdata_unpack(data, size, prof.npoints, &r) != 0)
		return;
	n = gw_jdata_pack(&r, back, sizeof(back));
	/* flags other than "unsynced" are not kept */
	if (n != (int)size || memcmp(back + 1, data + 1, size - 1) != 0 ||
	    (back[0] & 1) != (data[0] & 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	source_round_trip(data, size);
	data_round_trip(data, size);
	return 0;
}
