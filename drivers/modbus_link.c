/* Modbus master over RTU or TCP on top of libmodbus: opening and reopening the
 * line, timeouts, and translating libmodbus errors into -errno and qualities.
 * A line whose adapter echoes requests goes through a serial bridge (pty).
 * Nothing outside this file sees a libmodbus type or error code. */
#include "modbus_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <modbus.h>

#include "dtu_far.h"
#include "log.h"
#include "serial_bridge.h"

struct gw_link {
	struct gw_link_cfg cfg; /* strings borrowed from the caller */
	modbus_t *ctx;
	struct gw_serial_bridge *bridge;
	struct gw_far *far; /* rtu_tcp and dtu: what the bridge carries to */
};

bool gw_link_cfg_is_ok(const struct gw_link_cfg *cfg)
{
	switch (cfg->type) {
	case GW_LINK_RTU:
		return cfg->device != NULL;
	case GW_LINK_DTU:
		return cfg->listen != NULL && cfg->reglen > 0;
	default:
		return cfg->host != NULL;
	}
}

struct gw_link *gw_link_new(const struct gw_link_cfg *cfg)
{
	struct gw_link *l;

	if (!gw_link_cfg_is_ok(cfg))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = *cfg;
	if (cfg->type == GW_LINK_RTU_TCP || cfg->type == GW_LINK_DTU) {
		l->far = gw_far_new(cfg);
		if (!l->far) {
			free(l);
			return NULL;
		}
	}
	return l;
}

void gw_link_free(struct gw_link *l)
{
	if (!l)
		return;
	gw_link_close(l);
	gw_far_free(l->far);
	free(l);
}

static void ms_split(unsigned ms, uint32_t *sec, uint32_t *usec)
{
	*sec = ms / 1000;
	*usec = (ms % 1000) * 1000;
}

static void apply_timeouts(struct gw_link *l)
{
	uint32_t sec, usec;

	/* 0 keeps libmodbus's default (500 ms) */
	if (l->cfg.response_timeout_ms) {
		ms_split(l->cfg.response_timeout_ms, &sec, &usec);
		modbus_set_response_timeout(l->ctx, sec, usec);
	}
	if (l->cfg.byte_timeout_ms) {
		ms_split(l->cfg.byte_timeout_ms, &sec, &usec);
		modbus_set_byte_timeout(l->ctx, sec, usec);
	}
}

/* Time a partial echo may wait: a whole frame at this baud plus adapter latency. */
static unsigned echo_timeout_ms(uint32_t baud)
{
	return 100 + (unsigned)(256u * 11u * 1000u / (baud ? baud : 9600));
}

static int rtu_open_bridge(struct gw_link *l, const char **path)
{
	int fd;

	*path = l->cfg.device;
	if (l->far) {
		int rc = gw_far_open(l->far, &l->bridge);

		if (rc == 0)
			*path = gw_serial_bridge_path(l->bridge);
		return rc;
	}
	if (!l->cfg.echo)
		return 0;
	fd = gw_serial_bridge_open_tty(&l->cfg);
	if (fd < 0)
		return fd;
	l->bridge = gw_serial_bridge_new(&fd, true, echo_timeout_ms(l->cfg.baud));
	if (!l->bridge)
		return errno ? -errno : -ENOMEM;
	*path = gw_serial_bridge_path(l->bridge);
	if (l->cfg.rts)
		gw_log(GW_WARN, "link", "dev=%s software RTS is ignored when echo is on",
		       l->cfg.device);
	return 0;
}

static modbus_t *ctx_new(struct gw_link *l, int *rc)
{
	const struct gw_link_cfg *c = &l->cfg;
	const char *path;
	char port[8];
	modbus_t *ctx;

	if (c->type == GW_LINK_TCP) {
		snprintf(port, sizeof(port), "%u", (unsigned)c->port);
		ctx = modbus_new_tcp_pi(c->host, port);
		*rc = ctx ? 0 : -errno;
		return ctx;
	}
	*rc = rtu_open_bridge(l, &path);
	if (*rc)
		return NULL;
	ctx = modbus_new_rtu(path, c->baud ? (int)c->baud : 9600, c->parity ? c->parity : 'N',
	                     c->data_bits ? c->data_bits : 8, c->stop_bits ? c->stop_bits : 1);
	*rc = ctx ? 0 : -errno;
	return ctx;
}

/* RS-485 mode and software RTS need an open port; failures are logged, not fatal,
 * since many USB adapters switch direction by themselves. */
static void rtu_setup(struct gw_link *l)
{
	if (l->cfg.type != GW_LINK_RTU || l->bridge)
		return;
	if (l->cfg.rs485 && modbus_rtu_set_serial_mode(l->ctx, MODBUS_RTU_RS485) < 0)
		gw_log(GW_WARN, "link", "dev=%s kernel RS-485 mode not supported: %s",
		       l->cfg.device, modbus_strerror(errno));
	if (l->cfg.rts && modbus_rtu_set_rts(l->ctx, l->cfg.rts > 0 ? MODBUS_RTU_RTS_UP
	                                                            : MODBUS_RTU_RTS_DOWN) < 0)
		gw_log(GW_WARN, "link", "dev=%s software RTS not supported: %s", l->cfg.device,
		       modbus_strerror(errno));
}

int gw_link_connect(struct gw_link *l)
{
	int rc;

	if (l->ctx)
		return 0;
	l->ctx = ctx_new(l, &rc);
	if (!l->ctx)
		goto out_bridge;
	modbus_set_error_recovery(l->ctx, MODBUS_ERROR_RECOVERY_NONE);
	modbus_set_debug(l->ctx, l->cfg.debug);
	apply_timeouts(l);
	if (modbus_connect(l->ctx) < 0) {
		rc = errno ? -errno : -EIO;
		goto out_ctx;
	}
	rtu_setup(l);
	return 0;
out_ctx:
	modbus_free(l->ctx);
	l->ctx = NULL;
out_bridge:
	gw_serial_bridge_free(l->bridge);
	l->bridge = NULL;
	if (l->far)
		gw_far_closed(l->far);
	return rc ? rc : -EIO;
}

void gw_link_close(struct gw_link *l)
{
	if (l->ctx) {
		modbus_close(l->ctx);
		modbus_free(l->ctx);
		l->ctx = NULL;
	}
	gw_serial_bridge_free(l->bridge);
	l->bridge = NULL;
	if (l->far)
		gw_far_closed(l->far);
}

bool gw_link_is_open(const struct gw_link *l)
{
	return l->ctx != NULL;
}

void gw_link_set_timeouts(struct gw_link *l, unsigned response_ms, unsigned byte_ms)
{
	l->cfg.response_timeout_ms = response_ms;
	l->cfg.byte_timeout_ms = byte_ms;
	if (l->ctx)
		apply_timeouts(l);
}

static bool errno_is_lost(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case ECONNREFUSED:
	case EPIPE:
	case EBADF:
	case ENOTCONN:
	case ESHUTDOWN:
	case EIO:
	case ENXIO:
	case ENODEV:
		return true;
	default:
		return false;
	}
}

/* Translates errno after a failed libmodbus call. */
static int rc_from_errno(int e, int *exception)
{
	if (e >= EMBXILFUN && e <= EMBXGTAR) {
		if (exception)
			*exception = e - MODBUS_ENOBASE;
		return -EREMOTEIO;
	}
	if (e >= EMBBADCRC && e <= EMBBADSLAVE)
		return -EBADMSG;
	if (e == ETIMEDOUT || e == EAGAIN)
		return -ETIMEDOUT;
	if (e <= 0 || e >= MODBUS_ENOBASE)
		return -EIO;
	return -e;
}

/* After a failed exchange, drop whatever else arrives late so it is not taken
 * for the next reply (libmodbus's own recovery would sleep a whole timeout). */
static int failed(struct gw_link *l, int e, int *exception)
{
	int rc = rc_from_errno(e, exception);

	if (rc == -EBADMSG || rc == -ETIMEDOUT)
		modbus_flush(l->ctx);
	if (l->cfg.debug)
		gw_log(GW_DEBUG, "link", "request failed: %s", modbus_strerror(e));
	return rc;
}

static int link_ready(struct gw_link *l, int unit)
{
	if (!l->ctx)
		return -ENOTCONN;
	if (l->far && gw_far_is_stale(l->far)) {
		/* the DTU dialled again (or went quiet): go on with its newest connection */
		int rc;

		gw_link_close(l);
		rc = gw_link_connect(l);
		if (rc)
			return rc == -ENOTCONN ? -ECONNRESET : rc;
	}
	if (l->bridge && gw_serial_bridge_is_lost(l->bridge))
		return -EIO;
	if (modbus_set_slave(l->ctx, unit) < 0)
		return -EINVAL;
	return 0;
}

static int read_kind(modbus_t *ctx, enum gw_regkind kind, uint16_t addr, uint16_t count,
                     uint16_t *out)
{
	uint8_t bits[GW_MAX_BITS];
	int n;

	switch (kind) {
	case GW_REG_HOLDING:
		return modbus_read_registers(ctx, addr, count, out);
	case GW_REG_INPUT:
		return modbus_read_input_registers(ctx, addr, count, out);
	case GW_REG_COIL:
		n = modbus_read_bits(ctx, addr, count, bits);
		break;
	default:
		n = modbus_read_input_bits(ctx, addr, count, bits);
		break;
	}
	for (int i = 0; i < n; i++)
		out[i] = bits[i] ? 1 : 0;
	return n;
}

int gw_link_read(struct gw_link *l, int unit, enum gw_regkind kind, uint16_t addr, uint16_t count,
                 uint16_t *out, int *exception)
{
	bool bits = kind == GW_REG_COIL || kind == GW_REG_DISCRETE;
	int rc, n;

	if (exception)
		*exception = 0;
	if (count == 0 || count > (bits ? GW_MAX_BITS : GW_MAX_REGS) || kind >= GW_REG_COUNT)
		return -EINVAL;
	rc = link_ready(l, unit);
	if (rc)
		return rc;
	errno = 0;
	n = read_kind(l->ctx, kind, addr, count, out);
	if (n < 0)
		return failed(l, errno, exception);
	return n == count ? 0 : -EBADMSG;
}

int gw_link_write_register(struct gw_link *l, int unit, uint16_t addr, uint16_t value,
                           int *exception)
{
	int rc;

	if (exception)
		*exception = 0;
	rc = link_ready(l, unit);
	if (rc)
		return rc;
	errno = 0;
	if (modbus_write_register(l->ctx, addr, value) < 0)
		return failed(l, errno, exception);
	return 0;
}

enum gw_quality gw_link_quality(int rc)
{
	switch (rc) {
	case 0:
		return GW_Q_GOOD;
	case -EREMOTEIO:
		return GW_Q_EXCEPTION;
	case -EBADMSG:
		return GW_Q_CRC_ERROR;
	default:
		/* timeouts, lost links and anything else: no usable answer */
		return GW_Q_TIMEOUT;
	}
}

bool gw_link_rc_is_lost(int rc)
{
	return rc < 0 && errno_is_lost(-rc);
}
