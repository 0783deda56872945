/* Reads one device through its plan: each block with retries, then every point
 * decoded from its block. A failed block marks its points with the failure's
 * quality; the other blocks' points are still good. */
#include "device.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "decode.h"

/* Worse codes win: a lost link over a timeout over a CRC error over an exception. */
static int rc_rank(int rc)
{
	if (rc == 0)
		return 0;
	if (rc == -EREMOTEIO)
		return 1;
	if (rc == -EBADMSG)
		return 2;
	if (rc == -ETIMEDOUT)
		return 3;
	return 4;
}

static int read_block(struct gw_link *link, int unit, const struct gw_block *b, unsigned retries,
                      unsigned pause_ms, uint16_t *words, struct gw_device_result *res)
{
	int rc = 0;

	for (unsigned attempt = 0; attempt <= retries; attempt++) {
		int exc = 0;

		rc = gw_link_read(link, unit, b->kind, b->addr, b->count, words, &exc);
		res->requests++;
		gw_clock_sleep_ms(pause_ms);
		if (rc == -EREMOTEIO)
			res->exception = exc;
		if (rc == 0 || rc == -EREMOTEIO || gw_link_rc_is_lost(rc))
			break;
	}
	return rc;
}

int gw_device_read(struct gw_link *link, int unit, const struct gw_profile *prof,
                   const struct gw_plan *plan, unsigned retries, unsigned pause_ms,
                   struct gw_device_result *res)
{
	uint16_t words[GW_MAX_BLOCKS][GW_MAX_REGS];
	int block_rc[GW_MAX_BLOCKS];

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < plan->nblocks; i++) {
		const struct gw_block *b = &plan->blocks[i];

		/* After a lost link the rest cannot succeed: don't wait out their timeouts. */
		if (gw_link_rc_is_lost(res->rc)) {
			block_rc[i] = res->rc;
			continue;
		}
		block_rc[i] = read_block(link, unit, b, retries, pause_ms, words[i], res);
		if (block_rc[i]) {
			res->failed_blocks++;
			if (rc_rank(block_rc[i]) > rc_rank(res->rc))
				res->rc = block_rc[i];
		}
	}
	for (size_t p = 0; p < prof->npoints; p++) {
		size_t b = plan->point_block[p];

		if (block_rc[b]) {
			res->values[p] = 0;
			res->quality[p] = (uint8_t)gw_link_quality(block_rc[b]);
			continue;
		}
		res->quality[p] = (uint8_t)gw_decode_point(
		        &prof->points[p], &words[b][plan->point_offset[p]], &res->values[p]);
	}
	return res->rc;
}
