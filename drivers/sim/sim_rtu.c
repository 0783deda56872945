/* RTU framing for the simulator: CRC16 and request lengths by function code,
 * so a frame can be cut from a byte stream without relying on timing alone.
 * Leaf code: no I/O, no logging. */
#include "sim.h"

uint16_t gw_sim_crc16(const uint8_t *buf, size_t len)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

int gw_sim_rtu_request_len(const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	switch (buf[1]) {
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x04:
	case 0x05:
	case 0x06:
	case 0x08:
		return 8;
	case 0x07:
	case 0x0B:
	case 0x0C:
	case 0x11:
		return 4;
	case 0x0F:
	case 0x10:
		/* unit fc addr(2) qty(2) count data... crc(2) */
		return len < 7 ? 0 : 9 + buf[6];
	case 0x16:
		return 10;
	case 0x17:
		return len < 11 ? 0 : 13 + buf[10];
	default:
		return -1;
	}
}

size_t gw_sim_rtu_build(uint8_t unit, const uint8_t *pdu, size_t pdu_len, uint8_t *adu)
{
	uint16_t crc;

	if (pdu_len > GW_SIM_MAX_PDU)
		pdu_len = GW_SIM_MAX_PDU;
	adu[0] = unit;
	for (size_t i = 0; i < pdu_len; i++)
		adu[1 + i] = pdu[i];
	crc = gw_sim_crc16(adu, pdu_len + 1);
	adu[pdu_len + 1] = (uint8_t)(crc & 0xFF);
	adu[pdu_len + 2] = (uint8_t)(crc >> 8);
	return pdu_len + 3;
}
