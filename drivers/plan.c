/* Coalesces a profile's points into block reads: per register kind, points in
 * address order are merged while the gap of unused registers between them is
 * at most max_gap and the block stays within max_regs. Greedy left to right,
 * which gives the fewest blocks for these two limits. Leaf code: no I/O. */
#include "plan.h"

#include <errno.h>
#include <string.h>

/* Point indices of kind k sorted by address (insertion sort: at most 16). */
static size_t sorted_points(const struct gw_profile *prof, enum gw_regkind k, uint8_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < prof->npoints; i++) {
		size_t j;

		if (prof->points[i].kind != k)
			continue;
		for (j = n++; j > 0 && prof->points[idx[j - 1]].addr > prof->points[i].addr; j--)
			idx[j] = idx[j - 1];
		idx[j] = (uint8_t)i;
	}
	return n;
}

static int plan_kind(const struct gw_profile *prof, enum gw_regkind k, unsigned max_regs,
                     unsigned max_gap, struct gw_plan *plan)
{
	uint8_t idx[GW_MAX_POINTS];
	size_t n = sorted_points(prof, k, idx);
	struct gw_block *b = NULL;
	unsigned end = 0; /* one past the block's last register */

	for (size_t i = 0; i < n; i++) {
		const struct gw_point *p = &prof->points[idx[i]];
		unsigned w = gw_point_width(p), pend = (unsigned)p->addr + w;

		if (w > max_regs || plan->nblocks >= GW_MAX_BLOCKS)
			return -EINVAL;
		/* Overlapping points have no gap; pend may lie inside the block. */
		if (b && p->addr <= end + max_gap &&
		    (pend > end ? pend : end) - b->addr <= max_regs) {
			end = pend > end ? pend : end;
		} else {
			b = &plan->blocks[plan->nblocks++];
			b->kind = k;
			b->addr = p->addr;
			end = pend;
		}
		b->count = (uint16_t)(end - b->addr);
		plan->point_block[idx[i]] = (uint8_t)(plan->nblocks - 1);
		plan->point_offset[idx[i]] = (uint16_t)(p->addr - b->addr);
	}
	return 0;
}

unsigned gw_plan_limit(const struct gw_profile *prof, unsigned max_regs)
{
	unsigned regs = max_regs ? max_regs : prof->max_registers;

	return regs == 0 || regs > GW_MAX_REGS ? GW_MAX_REGS : regs;
}

int gw_plan_build(const struct gw_profile *prof, unsigned max_regs, int max_gap,
                  struct gw_plan *plan)
{
	unsigned regs = gw_plan_limit(prof, max_regs);
	unsigned gap = max_gap < 0 ? prof->max_gap : (unsigned)max_gap;

	memset(plan, 0, sizeof(*plan));
	if (prof->npoints > GW_MAX_POINTS)
		return -EINVAL;
	for (int k = 0; k < GW_REG_COUNT; k++) {
		int rc = plan_kind(prof, (enum gw_regkind)k, regs, gap, plan);

		if (rc) {
			memset(plan, 0, sizeof(*plan));
			return rc;
		}
	}
	return 0;
}

unsigned gw_plan_rtu_request_bytes(const struct gw_block *b)
{
	(void)b;
	return 8; /* unit, function, address, count, CRC */
}

unsigned gw_plan_rtu_response_bytes(const struct gw_block *b)
{
	/* unit, function, byte count, data, CRC */
	if (gw_regkind_is_bit(b->kind))
		return 5u + (b->count + 7u) / 8u;
	return 5u + 2u * b->count;
}
