/* libFuzzer target for the profile parser: any text either loads or is
 * reported as errors. A profile that loads must plan, and each point must
 * encode and decode at the middle of its valid range. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "plan.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct gw_profile *prof)
{
	struct gw_plan plan;
	int rc = gw_plan_build(prof, 0, -1, &plan);

	if (rc != 0 && !(rc == -EINVAL && prof->max_registers < 2))
		abort();
	for (size_t i = 0; i < prof->npoints; i++) {
		const struct gw_point *p = &prof->points[i];
		uint16_t w[2] = {0, 0};
		double v, mid = p->has_range ? (p->min + p->max) / 2 : 0;

		gw_encode_point(p, mid, w);
		if (gw_decode_point(p, w, &v) == GW_Q_DECODE_ERROR && p->type != GW_T_FLOAT32)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct gw_profile prof;
	struct gw_diag d;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	memcpy(text, data, size);
	text[size] = '\0';
	gw_diag_init(&d, sink);
	if (gw_profile_load_string("fuzz.yaml", text, &d, &prof) == 0) {
		if (d.nerrors != 0)
			abort();
		check_loaded(&prof);
	} else if (d.nerrors == 0) {
		abort();
	}
	free(text);
	return 0;
}
