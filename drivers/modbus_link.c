/* Modbus master over RTU or TCP on top of libmodbus: opening and reopening the
 * line, timeouts, and translating libmodbus errors into -errno and qualities.
 * A line whose adapter echoes requests goes through a serial bridge (pty).
 * Nothing outside this file sees a libmodbus type or error code. */
#include "modbus_link.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#include "clock.h"
#include "drain.h"
#include "dtu_far.h"
#include "frame.h"
#include "log.h"
#include "serial_bridge.h"

struct gw_link {
	struct gw_link_cfg cfg; /* strings borrowed from the caller */
	modbus_t *ctx;
	struct gw_serial_bridge *bridge;
	struct gw_far *far; /* rtu_tcp and dtu: what the bridge carries to */
	uint16_t tid;       /* the last Modbus TCP transaction id sent */
	/* RTU: a request that timed out may still be answered until late_until */
	bool owed;
	bool retrying; /* this exchange repeats the owed request */
	struct gw_frame_req late;
	int64_t late_until;
	atomic_uint_fast64_t discarded; /* bytes thrown away: stale, trailing, foreign */
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
	atomic_init(&l->discarded, 0);
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
	l->owed = false;
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

/* ---- one exchange: flush, request, the reply checked against it, settle ----
 * RTU has no transaction id: a late, doubled or trailing reply looks like the
 * answer to the next request of the same shape. So the line is emptied before
 * each request, a reply counts only if it matches the request field by field,
 * the line must go quiet behind it, and after a timeout a late reply is waited
 * out. Everything thrown away is counted (gw_link_discarded). */

#define DEFAULT_RESPONSE_MS 500 /* libmodbus's own */
#define SERIAL_SLACK_MS     10  /* a USB adapter's latency on top of t3.5 */
#define NET_QUIET_MS        50  /* RTU over TCP: a reply's packets come closer than this */
#define MAX_SKIPPED         8   /* foreign frames skipped while one reply is awaited */

static bool is_tcp(const struct gw_link *l)
{
	return l->cfg.type == GW_LINK_TCP;
}

static unsigned response_ms(const struct gw_link *l)
{
	return l->cfg.response_timeout_ms ? l->cfg.response_timeout_ms : DEFAULT_RESPONSE_MS;
}

/* Silence that ends a frame: t3.5 (11-bit characters; 1.75 ms above 19200
 * baud) plus adapter latency on a serial line, a network's jitter over TCP. */
static unsigned quiet_ms(const struct gw_link *l)
{
	uint32_t baud = l->cfg.baud ? l->cfg.baud : 9600;

	if (l->cfg.type != GW_LINK_RTU)
		return NET_QUIET_MS;
	if (baud > 19200)
		return 2 + SERIAL_SLACK_MS;
	return (unsigned)((35u * 11u * 1000u + 10u * baud - 1) / (10u * baud)) + SERIAL_SLACK_MS;
}

/* How long after a timeout a late reply may still come and is waited out
 * before the next request to the same unit: the response time again. */
static unsigned guard_ms(const struct gw_link *l)
{
	return response_ms(l);
}

static void set_response_ms(struct gw_link *l, unsigned ms)
{
	uint32_t sec, usec;

	ms_split(ms, &sec, &usec);
	modbus_set_response_timeout(l->ctx, sec, usec);
}

static void discard(struct gw_link *l, size_t n)
{
	if (!n)
		return;
	atomic_fetch_add(&l->discarded, n);
	if (l->cfg.debug)
		gw_log(GW_DEBUG, "link", "discarded %zu bytes", n);
}

/* Writes all of buf to the TCP socket, waiting up to the response time. */
static int tcp_send(struct gw_link *l, const uint8_t *buf, size_t n)
{
	int fd = modbus_get_socket(l->ctx);

	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w == 0 || (errno != EAGAIN && errno != EINTR))
			return w == 0 ? -EIO : -errno;
		if (poll(&p, 1, (int)response_ms(l)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Sends r; over TCP with the next transaction id (libmodbus's raw requests
 * all carry 0, which would make a late reply look current). */
static int send_request(struct gw_link *l, struct gw_frame_req *r)
{
	uint8_t buf[16];

	if (is_tcp(l)) {
		r->tid = ++l->tid;
		return tcp_send(l, buf, gw_frame_request_tcp(r, buf));
	}
	errno = 0;
	if (modbus_send_raw_request(l->ctx, buf, (int)gw_frame_request(r, buf)) < 0)
		return rc_from_errno(errno, NULL);
	return 0;
}

/* Judges one received frame of n bytes (0: libmodbus passed over an RTU
 * frame for another unit). Returns 0 (the answer), -EREMOTEIO, -EBADMSG, or
 * -EAGAIN for a foreign frame to skip. Counts what it rejects. */
static int judge(struct gw_link *l, const struct gw_frame_req *r, const uint8_t *rsp, int n,
                 int *exception)
{
	size_t len = n > 0 ? (size_t)n : gw_frame_rtu_len(rsp, GW_FRAME_MAX);

	switch (gw_frame_check(r, is_tcp(l), rsp, len, exception)) {
	case GW_FRAME_OK:
		return 0;
	case GW_FRAME_EXCEPTION:
		return -EREMOTEIO;
	case GW_FRAME_FOREIGN:
		discard(l, len);
		return -EAGAIN;
	default:
		discard(l, len);
		return -EBADMSG;
	}
}

/* Receives r's reply into rsp (*len its length when 0 or -EREMOTEIO),
 * skipping frames for another unit or transaction until the response time is
 * up. Returns 0, -EREMOTEIO, -EBADMSG, -ETIMEDOUT or a lost link's code. */
static int receive_reply(struct gw_link *l, const struct gw_frame_req *r, uint8_t *rsp, size_t *len,
                         int *exception)
{
	int64_t deadline = gw_clock_mono_ms() + response_ms(l);
	int rc = -ETIMEDOUT;
	int i;

	for (i = 0; i < MAX_SKIPPED && rc == -ETIMEDOUT; i++) {
		int64_t left = deadline - gw_clock_mono_ms();
		int n;

		if (i > 0 && left <= 0)
			break;
		if (i > 0)
			set_response_ms(l, (unsigned)left);
		errno = 0;
		n = modbus_receive_confirmation(l->ctx, rsp);
		if (n < 0) {
			rc = rc_from_errno(errno, NULL);
			if (rc == -EBADMSG && !is_tcp(l))
				discard(l, gw_frame_rtu_len(rsp, GW_FRAME_MAX));
			break;
		}
		rc = judge(l, r, rsp, n, exception);
		if (rc == -EAGAIN)
			rc = -ETIMEDOUT;
		else
			*len = (size_t)n;
	}
	if (i > 1)
		set_response_ms(l, response_ms(l));
	return rc;
}

/* After the exchange the line must go quiet; what comes is discarded. A reply
 * with anything right behind it but copies of itself or frames for other
 * units is not trusted: a stale frame may have come first and the real answer
 * behind it. After a timeout the unit's late reply may still come: the next
 * request to that unit waits it out (flush_before); a request to another unit
 * skips it as foreign. Modbus TCP needs neither: transaction ids tell replies
 * apart. */
static int settle(struct gw_link *l, const struct gw_frame_req *r, const uint8_t *rsp, size_t len,
                  int rc)
{
	uint8_t tail[2 * GW_FRAME_MAX];
	int fd = modbus_get_socket(l->ctx);
	unsigned q = quiet_ms(l);
	size_t n;

	if (gw_link_rc_is_lost(rc) || (is_tcp(l) && rc != -EBADMSG))
		return rc;
	if (is_tcp(l)) {
		discard(l, gw_drain_now(fd));
		return rc;
	}
	if (rc == -ETIMEDOUT || l->retrying) {
		/* a retry's answer may have been the first request's: one reply is still owed */
		l->owed = true;
		l->late = *r;
		l->late_until = gw_clock_mono_ms() + guard_ms(l);
	}
	n = gw_drain_wait(fd, 0, q, 10 * q + 100, tail, sizeof(tail));
	discard(l, n);
	if (n == 0 || (rc != 0 && rc != -EREMOTEIO))
		return rc;
	if (n <= sizeof(tail) && gw_frame_tail_is_harmless(r, rsp, len, tail, n))
		return rc;
	return -EBADMSG;
}

static bool same_request(const struct gw_frame_req *a, const struct gw_frame_req *b)
{
	return a->unit == b->unit && a->function == b->function && a->addr == b->addr &&
	       a->count == b->count;
}

/* Before another request to a unit that still owes a reply, the reply is
 * waited out; a repeat of the owed request goes at once (either reply answers
 * it) and carries the debt on. Then whatever is pending is stale. */
static void flush_before(struct gw_link *l, const struct gw_frame_req *r)
{
	int fd = modbus_get_socket(l->ctx);
	int64_t left = l->late_until - gw_clock_mono_ms();

	l->retrying = false;
	if (l->owed && left > 0 && l->late.unit == r->unit) {
		unsigned q = quiet_ms(l);

		l->retrying = same_request(&l->late, r);
		if (!l->retrying)
			discard(l, gw_drain_wait(fd, (unsigned)left, q,
			                         (unsigned)left + 10 * q + 100, NULL, 0));
	}
	if (!l->retrying && (left <= 0 || l->late.unit == r->unit))
		l->owed = false;
	discard(l, gw_drain_now(fd));
}

static int link_exchange(struct gw_link *l, struct gw_frame_req *r, uint16_t *out, int *exception)
{
	uint8_t rsp[GW_FRAME_MAX];
	size_t len = 0;
	int rc;

	flush_before(l, r);
	rc = send_request(l, r);
	if (rc == 0)
		rc = receive_reply(l, r, rsp, &len, exception);
	rc = settle(l, r, rsp, len, rc);
	if (rc == 0)
		gw_frame_values(r, is_tcp(l), rsp, out);
	if (rc && l->cfg.debug)
		gw_log(GW_DEBUG, "link", "unit=%u function=%u addr=%u request failed: %s",
		       (unsigned)r->unit, (unsigned)r->function, (unsigned)r->addr, strerror(-rc));
	return rc;
}

static uint8_t function_of(enum gw_regkind kind)
{
	static const uint8_t fn[GW_REG_COUNT] = {
	        [GW_REG_HOLDING] = 0x03,
	        [GW_REG_INPUT] = 0x04,
	        [GW_REG_COIL] = 0x01,
	        [GW_REG_DISCRETE] = 0x02,
	};

	return fn[kind];
}

int gw_link_read(struct gw_link *l, int unit, enum gw_regkind kind, uint16_t addr, uint16_t count,
                 uint16_t *out, int *exception)
{
	bool bits = kind == GW_REG_COIL || kind == GW_REG_DISCRETE;
	struct gw_frame_req r = {.addr = addr, .count = count};
	int rc;

	if (exception)
		*exception = 0;
	if (count == 0 || count > (bits ? GW_MAX_BITS : GW_MAX_REGS) || kind >= GW_REG_COUNT)
		return -EINVAL;
	rc = link_ready(l, unit);
	if (rc)
		return rc;
	r.unit = (uint8_t)unit;
	r.function = function_of(kind);
	return link_exchange(l, &r, out, exception);
}

int gw_link_write_register(struct gw_link *l, int unit, uint16_t addr, uint16_t value,
                           int *exception)
{
	struct gw_frame_req r = {.function = 0x06, .addr = addr, .count = value};
	uint16_t echo;
	int rc;

	if (exception)
		*exception = 0;
	rc = link_ready(l, unit);
	if (rc)
		return rc;
	r.unit = (uint8_t)unit;
	return link_exchange(l, &r, &echo, exception);
}

uint64_t gw_link_discarded(const struct gw_link *l)
{
	return atomic_load(&l->discarded) + (l->far ? gw_far_discarded(l->far) : 0);
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
