/* Request planning: block layouts for the shipped profiles under different
 * limits, 32-bit points never split, bit reads, wire sizes, and for every
 * profile and limit a check against an independent minimum block count. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "plan.h"
#include "profile.h"

#define N_ELEM(a) (GW_ARRAY_LEN(a))

static void load(const char *name, struct gw_profile *p)
{
	struct gw_diag d;

	gw_diag_init(&d, stderr);
	assert_int_equal(gw_profile_find(getenv("FIELDGATE_PROFILES"), name, &d, p), 0);
}

struct want_block {
	enum gw_regkind kind;
	uint16_t addr, count;
};

struct layout_case {
	const char *name;
	const char *profile;
	unsigned max_regs;
	int max_gap;
	size_t nblocks;
	struct want_block blocks[8];
};

static const struct layout_case layouts[] = {
        {"jxct_default_3_blocks",
         "jxct-jxbs-3001",
         0,
         -1,
         3,
         {{GW_REG_HOLDING, 0x06, 1}, {GW_REG_HOLDING, 0x12, 4}, {GW_REG_HOLDING, 0x1E, 3}}},
        {"jxct_max_regs_2",
         "jxct-jxbs-3001",
         2,
         -1,
         5,
         {{GW_REG_HOLDING, 0x06, 1},
          {GW_REG_HOLDING, 0x12, 2},
          {GW_REG_HOLDING, 0x15, 1},
          {GW_REG_HOLDING, 0x1E, 2},
          {GW_REG_HOLDING, 0x20, 1}}},
        {"jxct_gap_0",
         "jxct-jxbs-3001",
         0,
         0,
         4,
         {{GW_REG_HOLDING, 0x06, 1},
          {GW_REG_HOLDING, 0x12, 2},
          {GW_REG_HOLDING, 0x15, 1},
          {GW_REG_HOLDING, 0x1E, 3}}},
        /* 0x07..0x11 is a gap of 11 registers, 0x16..0x1D one of 8 */
        {"jxct_gap_10",
         "jxct-jxbs-3001",
         0,
         10,
         2,
         {{GW_REG_HOLDING, 0x06, 1}, {GW_REG_HOLDING, 0x12, 15}}},
        {"jxct_gap_11_one_block", "jxct-jxbs-3001", 0, 11, 1, {{GW_REG_HOLDING, 0x06, 27}}},
        {"jxct_gap_11_max_regs_16",
         "jxct-jxbs-3001",
         16,
         11,
         2,
         {{GW_REG_HOLDING, 0x06, 16}, {GW_REG_HOLDING, 0x1E, 3}}},
        /* seeed: 0x0003..0x0004 unused between EC and the dielectric constant */
        {"seeed_default_gap_4_one_block",
         "seeed-s-soil-mtec-02",
         0,
         -1,
         1,
         {{GW_REG_INPUT, 0x00, 6}}},
        {"seeed_gap_2_one_block", "seeed-s-soil-mtec-02", 0, 2, 1, {{GW_REG_INPUT, 0x00, 6}}},
        {"seeed_gap_1_two_blocks",
         "seeed-s-soil-mtec-02",
         0,
         1,
         2,
         {{GW_REG_INPUT, 0x00, 3}, {GW_REG_INPUT, 0x05, 1}}},
        {"seeed_max_regs_5",
         "seeed-s-soil-mtec-02",
         5,
         -1,
         2,
         {{GW_REG_INPUT, 0x00, 3}, {GW_REG_INPUT, 0x05, 1}}},
        {"waveshare_coils_and_inputs",
         "waveshare-modbus-rtu-io-8ch",
         0,
         -1,
         2,
         {{GW_REG_COIL, 0, 8}, {GW_REG_DISCRETE, 0, 8}}},
        {"waveshare_max_regs_3",
         "waveshare-modbus-rtu-io-8ch",
         3,
         0,
         6,
         {{GW_REG_COIL, 0, 3},
          {GW_REG_COIL, 3, 3},
          {GW_REG_COIL, 6, 2},
          {GW_REG_DISCRETE, 0, 3},
          {GW_REG_DISCRETE, 3, 3},
          {GW_REG_DISCRETE, 6, 2}}},
        {"sen0644_uint32", "dfrobot-sen0644", 0, -1, 1, {{GW_REG_HOLDING, 0x02, 2}}},
        {"sen0644_uint32_max_regs_2", "dfrobot-sen0644", 2, 0, 1, {{GW_REG_HOLDING, 0x02, 2}}},
        {"dfrobot_one_block", "dfrobot-sen0601", 0, -1, 1, {{GW_REG_HOLDING, 0x00, 3}}},
};

/* Every point lies inside its block, of its kind, and the block respects max_regs. */
static void check_consistent(const struct gw_profile *prof, const struct gw_plan *plan,
                             unsigned max_regs)
{
	for (size_t i = 0; i < plan->nblocks; i++)
		assert_true(plan->blocks[i].count >= 1 && plan->blocks[i].count <= max_regs);
	for (size_t i = 0; i < prof->npoints; i++) {
		const struct gw_point *p = &prof->points[i];
		const struct gw_block *b;

		assert_true(plan->point_block[i] < plan->nblocks);
		b = &plan->blocks[plan->point_block[i]];
		assert_int_equal(b->kind, p->kind);
		assert_int_equal(b->addr + plan->point_offset[i], p->addr);
		assert_true(plan->point_offset[i] + gw_point_width(p) <= b->count);
	}
}

static void test_plan_layouts_table_ok(void **state)
{
	(void)state;
	for (size_t c = 0; c < N_ELEM(layouts); c++) {
		const struct layout_case *lc = &layouts[c];
		struct gw_profile prof;
		struct gw_plan plan;

		load(lc->profile, &prof);
		assert_int_equal(gw_plan_build(&prof, lc->max_regs, lc->max_gap, &plan), 0);
		if (plan.nblocks != lc->nblocks)
			print_error("%s: %zu blocks, want %zu\n", lc->name, plan.nblocks,
			            lc->nblocks);
		assert_int_equal(plan.nblocks, lc->nblocks);
		for (size_t i = 0; i < lc->nblocks; i++) {
			const struct gw_block *b = &plan.blocks[i];

			if (b->kind != lc->blocks[i].kind || b->addr != lc->blocks[i].addr ||
			    b->count != lc->blocks[i].count)
				print_error("%s: block %zu is %s 0x%04x+%u\n", lc->name, i,
				            gw_regkind_name(b->kind), b->addr, b->count);
			assert_int_equal(b->kind, lc->blocks[i].kind);
			assert_int_equal(b->addr, lc->blocks[i].addr);
			assert_int_equal(b->count, lc->blocks[i].count);
		}
		check_consistent(&prof, &plan, lc->max_regs ? lc->max_regs : GW_MAX_REGS);
	}
}

static void test_plan_jxct_offsets_ok(void **state)
{
	struct gw_profile prof;
	struct gw_plan plan;
	static const struct {
		const char *name;
		uint8_t block;
		uint16_t offset;
	} want[] = {{"ph", 0, 0},
	            {"moisture_pct", 1, 0},
	            {"temperature_c", 1, 1},
	            {"ec_us_cm", 1, 3},
	            {"nitrogen_mg_kg", 2, 0},
	            {"phosphorus_mg_kg", 2, 1},
	            {"potassium_mg_kg", 2, 2}};

	(void)state;
	load("jxct-jxbs-3001", &prof);
	assert_int_equal(gw_plan_build(&prof, 0, -1, &plan), 0);
	for (size_t i = 0; i < N_ELEM(want); i++) {
		size_t k = (size_t)(gw_profile_point(&prof, want[i].name) - prof.points);

		assert_int_equal(plan.point_block[k], want[i].block);
		assert_int_equal(plan.point_offset[k], want[i].offset);
	}
}

static struct gw_profile synthetic(const enum gw_vtype *types, const uint16_t *addrs, size_t n)
{
	struct gw_profile p;

	memset(&p, 0, sizeof(p));
	p.max_registers = GW_MAX_REGS;
	p.max_gap = 4;
	for (size_t i = 0; i < n; i++) {
		p.points[i].kind = GW_REG_HOLDING;
		p.points[i].type = types[i];
		p.points[i].addr = addrs[i];
		p.points[i].scale = 1;
	}
	p.npoints = n;
	return p;
}

static void test_plan_32bit_never_split_ok(void **state)
{
	static const enum gw_vtype t[] = {GW_T_UINT32, GW_T_FLOAT32, GW_T_INT16};
	static const uint16_t a[] = {0, 2, 4};
	struct gw_profile prof = synthetic(t, a, 3);
	struct gw_plan plan;

	(void)state;
	assert_int_equal(gw_plan_build(&prof, 3, 4, &plan), 0);
	assert_int_equal(plan.nblocks, 2);
	assert_int_equal(plan.blocks[0].addr, 0);
	assert_int_equal(plan.blocks[0].count, 2);
	assert_int_equal(plan.blocks[1].addr, 2);
	assert_int_equal(plan.blocks[1].count, 3);
	check_consistent(&prof, &plan, 3);
}

static void test_plan_wider_than_max_regs_einval(void **state)
{
	struct gw_profile prof;
	struct gw_plan plan;

	(void)state;
	load("dfrobot-sen0644", &prof);
	assert_int_equal(gw_plan_build(&prof, 1, -1, &plan), -EINVAL);
	assert_int_equal(plan.nblocks, 0);
}

/* Points out of address order, and two bits of one register, in one block. */
static void test_plan_unsorted_and_shared_register_ok(void **state)
{
	static const enum gw_vtype t[] = {GW_T_INT16, GW_T_BIT, GW_T_BIT, GW_T_UINT16};
	static const uint16_t a[] = {9, 3, 3, 1};
	struct gw_profile prof = synthetic(t, a, 4);
	struct gw_plan plan;

	(void)state;
	prof.points[2].bit = 5;
	assert_int_equal(gw_plan_build(&prof, 0, 5, &plan), 0);
	assert_int_equal(plan.nblocks, 1);
	assert_int_equal(plan.blocks[0].addr, 1);
	assert_int_equal(plan.blocks[0].count, 9);
	assert_int_equal(plan.point_offset[1], 2);
	assert_int_equal(plan.point_offset[2], 2);
	assert_int_equal(plan.point_offset[0], 8);
	check_consistent(&prof, &plan, GW_MAX_REGS);
}

struct bytes_case {
	enum gw_regkind kind;
	uint16_t count;
	unsigned response;
};

static const struct bytes_case bytes[] = {
        {GW_REG_INPUT, 3, 11},  /* the seeed frame: 01 04 06 ... (11 bytes) */
        {GW_REG_HOLDING, 2, 9}, /* the renke frame */
        {GW_REG_HOLDING, 125, 255}, {GW_REG_COIL, 1, 6},          {GW_REG_COIL, 8, 6},
        {GW_REG_DISCRETE, 9, 7},    {GW_REG_DISCRETE, 2000, 255},
};

static void test_plan_rtu_bytes_table_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bytes); i++) {
		struct gw_block b = {bytes[i].kind, 0, bytes[i].count};

		assert_int_equal(gw_plan_rtu_request_bytes(&b), 8);
		assert_int_equal(gw_plan_rtu_response_bytes(&b), bytes[i].response);
	}
}

/* Fewest blocks, computed independently: dynamic programming over each kind's
 * points in address order, a block being any run that fits both limits. */
static size_t min_blocks(const struct gw_profile *prof, unsigned max_regs, unsigned gap)
{
	size_t total = 0;

	for (int k = 0; k < GW_REG_COUNT; k++) {
		const struct gw_point *pts[GW_MAX_POINTS];
		size_t n = 0, best[GW_MAX_POINTS + 1];

		for (size_t i = 0; i < prof->npoints; i++)
			if ((int)prof->points[i].kind == k)
				pts[n++] = &prof->points[i];
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && pts[j - 1]->addr > pts[j]->addr; j--) {
				const struct gw_point *t = pts[j];

				pts[j] = pts[j - 1];
				pts[j - 1] = t;
			}
		best[0] = 0;
		for (size_t e = 1; e <= n; e++) {
			best[e] = (size_t)-1;
			for (size_t s = e; s > 0; s--) {
				unsigned lo = pts[s - 1]->addr, hi = 0;
				bool ok = true;

				for (size_t m = s - 1; m < e; m++) {
					unsigned pe = pts[m]->addr + gw_point_width(pts[m]);

					if (m > s - 1 && pts[m]->addr > hi + gap)
						ok = false;
					hi = pe > hi ? pe : hi;
				}
				if (ok && hi - lo <= max_regs && best[s - 1] + 1 < best[e])
					best[e] = best[s - 1] + 1;
			}
		}
		total += best[n];
	}
	return total;
}

static void test_plan_fewest_blocks_all_profiles_ok(void **state)
{
	static const char *const names[] = {
	        "seeed-s-soil-mtec-02",        "dfrobot-sen0601", "renke-rs-ecth-n01",
	        "comwintop-cwt-soil-thc-s",    "jxct-jxbs-3001",  "dfrobot-sen0644",
	        "waveshare-modbus-rtu-io-8ch",
	};
	static const unsigned regs[] = {2, 3, 4, 5, 6, 8, 16, 125};

	(void)state;
	for (size_t i = 0; i < N_ELEM(names); i++) {
		struct gw_profile prof;

		load(names[i], &prof);
		for (size_t r = 0; r < N_ELEM(regs); r++) {
			for (int gap = 0; gap <= 14; gap++) {
				struct gw_plan plan;

				assert_int_equal(gw_plan_build(&prof, regs[r], gap, &plan), 0);
				check_consistent(&prof, &plan, regs[r]);
				if (plan.nblocks != min_blocks(&prof, regs[r], (unsigned)gap))
					print_error("%s regs=%u gap=%d: %zu blocks, min %zu\n",
					            names[i], regs[r], gap, plan.nblocks,
					            min_blocks(&prof, regs[r], (unsigned)gap));
				assert_int_equal(plan.nblocks,
				                 min_blocks(&prof, regs[r], (unsigned)gap));
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plan_layouts_table_ok),
	        cmocka_unit_test(test_plan_jxct_offsets_ok),
	        cmocka_unit_test(test_plan_32bit_never_split_ok),
	        cmocka_unit_test(test_plan_wider_than_max_regs_einval),
	        cmocka_unit_test(test_plan_unsorted_and_shared_register_ok),
	        cmocka_unit_test(test_plan_rtu_bytes_table_ok),
	        cmocka_unit_test(test_plan_fewest_blocks_all_profiles_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
