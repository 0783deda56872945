/* Modbus TCP framing for the simulator: the 7-byte MBAP header (transaction,
 * protocol 0, length, unit) in front of a PDU. Leaf code: no I/O, no logging. */
#include <errno.h>

#include "sim.h"

int gw_sim_mbap_parse(const uint8_t *buf, size_t len, struct gw_sim_mbap *hdr)
{
	if (len < 7)
		return 0;
	hdr->tid = (uint16_t)(buf[0] << 8 | buf[1]);
	hdr->proto = (uint16_t)(buf[2] << 8 | buf[3]);
	hdr->len = (uint16_t)(buf[4] << 8 | buf[5]);
	hdr->unit = buf[6];
	/* the length counts the unit byte and at least a function code */
	if (hdr->proto != 0 || hdr->len < 2 || hdr->len > GW_SIM_MAX_PDU + 1)
		return -EPROTO;
	return 6 + hdr->len;
}

size_t gw_sim_mbap_build(uint16_t tid, uint8_t unit, const uint8_t *pdu, size_t pdu_len,
                         uint8_t *adu)
{
	if (pdu_len > GW_SIM_MAX_PDU)
		pdu_len = GW_SIM_MAX_PDU;
	adu[0] = (uint8_t)(tid >> 8);
	adu[1] = (uint8_t)(tid & 0xFF);
	adu[2] = 0;
	adu[3] = 0;
	adu[4] = (uint8_t)((pdu_len + 1) >> 8);
	adu[5] = (uint8_t)((pdu_len + 1) & 0xFF);
	adu[6] = unit;
	for (size_t i = 0; i < pdu_len; i++)
		adu[7 + i] = pdu[i];
	return 7 + pdu_len;
}
