/* One simulated slave: a register image built from its profile (points and
 * addressing registers), refreshed from the model, and the Modbus PDU handler
 * for functions 01-06, 15 and 16 with exceptions 01/02/03. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "sim.h"

enum { EX_FUNCTION = 1, EX_ADDRESS = 2, EX_VALUE = 3 };

static int reg_add(struct gw_sim_slave *s, uint8_t kind, uint16_t addr, int point, unsigned word)
{
	for (size_t i = 0; i < s->nregs; i++)
		if (s->regs[i].kind == kind && s->regs[i].addr == addr)
			return 0;
	if (s->nregs >= GW_SIM_MAX_REGS)
		return -E2BIG;
	s->regs[s->nregs++] = (struct gw_sim_reg){
	        .addr = addr, .kind = kind, .point = (int8_t)point, .word = (uint8_t)word};
	return 0;
}

static struct gw_sim_reg *reg_find(struct gw_sim_slave *s, unsigned kind, unsigned addr)
{
	for (size_t i = 0; i < s->nregs; i++)
		if (s->regs[i].kind == kind && s->regs[i].addr == addr)
			return &s->regs[i];
	return NULL;
}

/* An address near a mapped one reads as 0; one far from all is illegal. */
static bool addr_valid(const struct gw_sim_slave *s, unsigned kind, unsigned addr)
{
	for (size_t i = 0; i < s->nregs; i++) {
		unsigned a = s->regs[i].addr;

		if (s->regs[i].kind == kind && addr + GW_SIM_ADDR_NEAR >= a &&
		    addr <= a + GW_SIM_ADDR_NEAR)
			return true;
	}
	return false;
}

static uint16_t baud_code(const struct gw_addressing *ad, uint32_t baud)
{
	for (int i = 0; i < ad->nbaud; i++)
		if (ad->baud_rate[i] == baud)
			return ad->baud_code[i];
	return ad->nbaud > 0 ? ad->baud_code[0] : 0;
}

int gw_sim_slave_init(struct gw_sim_slave *s, const struct gw_sim_unit_cfg *u, uint64_t seed,
                      uint32_t baud)
{
	const struct gw_profile *p = u->profile;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->sensor, sizeof(s->sensor), "%s", u->sensor);
	s->unit = s->config_unit = u->unit;
	s->prof = p;
	gw_sim_model_init(&s->model, seed, u->sensor, u->plot, u->place, &u->film);
	for (size_t i = 0; i < p->npoints && !rc; i++)
		for (unsigned w = 0; w < gw_point_width(&p->points[i]) && !rc; w++)
			rc = reg_add(s, (uint8_t)p->points[i].kind,
			             (uint16_t)(p->points[i].addr + w), (int)i, w);
	if (!rc && p->addressing.known) {
		rc = reg_add(s, GW_REG_HOLDING, p->addressing.unit_reg, -1, 0);
		if (!rc)
			reg_find(s, GW_REG_HOLDING, p->addressing.unit_reg)->val =
			        (uint16_t)u->unit;
	}
	if (!rc && p->addressing.known && p->addressing.has_baud) {
		rc = reg_add(s, GW_REG_HOLDING, p->addressing.baud_reg, -1, 0);
		if (!rc)
			reg_find(s, GW_REG_HOLDING, p->addressing.baud_reg)->val =
			        baud_code(&p->addressing, baud);
	}
	return rc;
}

/* A value outside p's valid range that still decodes as out of range. */
static double out_of_range(const struct gw_point *p, double normal)
{
	uint16_t w[2] = {0, 0};
	double span = p->max - p->min, v;

	if (!p->has_range || gw_regkind_is_bit(p->kind) || p->type == GW_T_BIT)
		return normal; /* a bit has no value outside its range */
	v = p->max + span * 0.5 + 1.0;
	gw_encode_point(p, v, w);
	if (gw_decode_point(p, w, &v) == GW_Q_OUT_OF_RANGE)
		return v;
	return p->min - span * 0.5 - 1.0;
}

void gw_sim_slave_refresh(struct gw_sim_slave *s, int64_t sim_ms)
{
	for (size_t i = 0; i < s->prof->npoints; i++) {
		const struct gw_point *p = &s->prof->points[i];
		double mid = p->has_range ? (p->min + p->max) / 2.0 : 0.0;
		struct gw_sim_reg *r[2];
		uint16_t w[2];
		unsigned width = gw_point_width(p);
		double v;

		/* coils are outputs: they keep what the master wrote */
		if (p->kind == GW_REG_COIL)
			continue;
		v = gw_sim_model_value(&s->model, p->name, sim_ms, mid);
		if (s->fault.out_of_range)
			v = out_of_range(p, v);
		r[0] = reg_find(s, p->kind, p->addr);
		r[1] = width > 1 ? reg_find(s, p->kind, p->addr + 1u) : NULL;
		/* bit points may share a register: encoding keeps the other bits */
		w[0] = r[0] ? r[0]->val : 0;
		w[1] = r[1] ? r[1]->val : 0;
		gw_encode_point(p, v, w);
		for (unsigned k = 0; k < width; k++)
			if (r[k])
				r[k]->val = w[k];
	}
}

static size_t exception(const uint8_t *req, uint8_t code, uint8_t *rsp)
{
	rsp[0] = (uint8_t)(req[0] | 0x80);
	rsp[1] = code;
	return 2;
}

static unsigned be16(const uint8_t *b)
{
	return (unsigned)(b[0] << 8 | b[1]);
}

/* 01/02: coils and discrete inputs, packed LSB first. */
static size_t read_bits(struct gw_sim_slave *s, const uint8_t *req, size_t len, uint8_t *rsp)
{
	unsigned kind = req[0] == 0x01 ? GW_REG_COIL : GW_REG_DISCRETE;
	unsigned addr, qty;

	if (len != 5)
		return exception(req, EX_VALUE, rsp);
	addr = be16(req + 1);
	qty = be16(req + 3);
	if (qty < 1 || qty > GW_MAX_BITS || addr + qty > 0x10000)
		return exception(req, EX_VALUE, rsp);
	if (!addr_valid(s, kind, addr) || !addr_valid(s, kind, addr + qty - 1))
		return exception(req, EX_ADDRESS, rsp);
	rsp[0] = req[0];
	rsp[1] = (uint8_t)((qty + 7) / 8);
	memset(rsp + 2, 0, rsp[1]);
	for (unsigned i = 0; i < qty; i++) {
		const struct gw_sim_reg *r = reg_find(s, kind, addr + i);

		if (r && r->val)
			rsp[2 + i / 8] |= (uint8_t)(1u << (i % 8));
	}
	return 2u + rsp[1];
}

/* 03/04: holding and input registers. */
static size_t read_regs(struct gw_sim_slave *s, const uint8_t *req, size_t len, uint8_t *rsp)
{
	unsigned kind = req[0] == 0x03 ? GW_REG_HOLDING : GW_REG_INPUT;
	unsigned addr, qty;

	if (len != 5)
		return exception(req, EX_VALUE, rsp);
	addr = be16(req + 1);
	qty = be16(req + 3);
	if (qty < 1 || qty > GW_MAX_REGS || addr + qty > 0x10000)
		return exception(req, EX_VALUE, rsp);
	if (!addr_valid(s, kind, addr) || !addr_valid(s, kind, addr + qty - 1))
		return exception(req, EX_ADDRESS, rsp);
	rsp[0] = req[0];
	rsp[1] = (uint8_t)(qty * 2);
	for (unsigned i = 0; i < qty; i++) {
		const struct gw_sim_reg *r = reg_find(s, kind, addr + i);
		uint16_t v = r ? r->val : 0;

		rsp[2 + 2 * i] = (uint8_t)(v >> 8);
		rsp[3 + 2 * i] = (uint8_t)(v & 0xFF);
	}
	return 2u + rsp[1];
}

/* Checks one holding register write; 0 or an exception code. */
static uint8_t write_check(const struct gw_sim_slave *s, unsigned addr, unsigned val)
{
	const struct gw_addressing *ad = &s->prof->addressing;

	if (!addr_valid(s, GW_REG_HOLDING, addr))
		return EX_ADDRESS;
	if (ad->known && addr == ad->unit_reg && (val < 1 || val > 247))
		return EX_VALUE;
	if (ad->known && ad->has_baud && addr == ad->baud_reg) {
		for (int i = 0; i < ad->nbaud; i++)
			if (ad->baud_code[i] == val)
				return 0;
		return ad->nbaud > 0 ? EX_VALUE : 0;
	}
	return 0;
}

static void write_reg(struct gw_sim_slave *s, unsigned addr, unsigned val)
{
	struct gw_sim_reg *r = reg_find(s, GW_REG_HOLDING, addr);
	const struct gw_addressing *ad = &s->prof->addressing;

	if (r)
		r->val = (uint16_t)val;
	if (ad->known && addr == ad->unit_reg)
		s->unit = (int)val; /* at once: the reply still comes from the old id */
}

/* 06 and 16. */
static size_t write_regs(struct gw_sim_slave *s, const uint8_t *req, size_t len, uint8_t *rsp)
{
	unsigned addr, qty;
	uint8_t ex;

	if (req[0] == 0x06) {
		if (len != 5)
			return exception(req, EX_VALUE, rsp);
		ex = write_check(s, be16(req + 1), be16(req + 3));
		if (ex)
			return exception(req, ex, rsp);
		write_reg(s, be16(req + 1), be16(req + 3));
		memcpy(rsp, req, 5);
		return 5;
	}
	if (len < 6)
		return exception(req, EX_VALUE, rsp);
	addr = be16(req + 1);
	qty = be16(req + 3);
	if (qty < 1 || qty > 123 || req[5] != qty * 2 || len != 6 + qty * 2 || addr + qty > 0x10000)
		return exception(req, EX_VALUE, rsp);
	for (unsigned i = 0; i < qty; i++) {
		ex = write_check(s, addr + i, be16(req + 6 + 2 * i));
		if (ex)
			return exception(req, ex, rsp);
	}
	for (unsigned i = 0; i < qty; i++)
		write_reg(s, addr + i, be16(req + 6 + 2 * i));
	memcpy(rsp, req, 5);
	return 5;
}

/* 05 and 15. */
static size_t write_coils(struct gw_sim_slave *s, const uint8_t *req, size_t len, uint8_t *rsp)
{
	unsigned addr = len >= 5 ? be16(req + 1) : 0, qty;
	struct gw_sim_reg *r;

	if (req[0] == 0x05) {
		if (len != 5 || (be16(req + 3) != 0xFF00 && be16(req + 3) != 0))
			return exception(req, EX_VALUE, rsp);
		if (!addr_valid(s, GW_REG_COIL, addr))
			return exception(req, EX_ADDRESS, rsp);
		if ((r = reg_find(s, GW_REG_COIL, addr)))
			r->val = req[3] ? 1 : 0;
		memcpy(rsp, req, 5);
		return 5;
	}
	if (len < 6)
		return exception(req, EX_VALUE, rsp);
	qty = be16(req + 3);
	if (qty < 1 || qty > 1968 || req[5] != (qty + 7) / 8 || len != 6u + req[5] ||
	    addr + qty > 0x10000)
		return exception(req, EX_VALUE, rsp);
	if (!addr_valid(s, GW_REG_COIL, addr) || !addr_valid(s, GW_REG_COIL, addr + qty - 1))
		return exception(req, EX_ADDRESS, rsp);
	for (unsigned i = 0; i < qty; i++)
		if ((r = reg_find(s, GW_REG_COIL, addr + i)))
			r->val = (uint16_t)((req[6 + i / 8] >> (i % 8)) & 1);
	memcpy(rsp, req, 5);
	return 5;
}

size_t gw_sim_pdu_answer(struct gw_sim_slave *s, int64_t sim_ms, const uint8_t *req, size_t len,
                         uint8_t *rsp)
{
	if (len < 1) {
		rsp[0] = 0x80;
		rsp[1] = EX_FUNCTION;
		return 2;
	}
	if (s->fault.exception)
		return exception(req, s->fault.exception, rsp);
	gw_sim_slave_refresh(s, sim_ms);
	switch (req[0]) {
	case 0x01:
	case 0x02:
		return read_bits(s, req, len, rsp);
	case 0x03:
	case 0x04:
		return read_regs(s, req, len, rsp);
	case 0x05:
	case 0x0F:
		return write_coils(s, req, len, rsp);
	case 0x06:
	case 0x10:
		return write_regs(s, req, len, rsp);
	default:
		return exception(req, EX_FUNCTION, rsp);
	}
}
