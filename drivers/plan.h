/* A request plan: a profile's points coalesced into the fewest block reads,
 * respecting the device's max registers per request and the largest gap of
 * unused registers worth reading through. Leaf code: no I/O, no logging. */
#ifndef GW_PLAN_H
#define GW_PLAN_H

#include "driver.h"

#define GW_MAX_BLOCKS GW_MAX_POINTS

struct gw_block {
	enum gw_regkind kind;
	uint16_t addr;
	uint16_t count; /* registers or bits */
};

struct gw_plan {
	size_t nblocks;
	struct gw_block blocks[GW_MAX_BLOCKS];
	/* For each profile point: its block and its offset in that block. */
	uint8_t point_block[GW_MAX_POINTS];
	uint16_t point_offset[GW_MAX_POINTS];
};

/* Builds the plan. max_regs 0 means the profile's (more than GW_MAX_REGS is
 * capped); it also caps coil/discrete reads, counted in bits. max_gap < 0 means
 * the profile's: two points share a block when at most max_gap unused
 * registers lie between them. Blocks come in kind order (holding, input, coil,
 * discrete), then address order. Returns 0 or -EINVAL (a point wider than
 * max_regs); on error *plan is empty. */
int gw_plan_build(const struct gw_profile *prof, unsigned max_regs, int max_gap,
                  struct gw_plan *plan);

/* The registers (or bits) one request may read under max_regs as gw_plan_build takes it:
 * max_regs, else the profile's, capped at GW_MAX_REGS. A point wider than this makes
 * gw_plan_build fail. */
unsigned gw_plan_limit(const struct gw_profile *prof, unsigned max_regs);

/* Bytes of one block read on an RTU line: request and response, with CRC. */
unsigned gw_plan_rtu_request_bytes(const struct gw_block *b);
unsigned gw_plan_rtu_response_bytes(const struct gw_block *b);

#endif
