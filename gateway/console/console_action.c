/* The commissioning actions: read a sensor now (values and the raw frames), scan a line for
 * unit ids, change a unit id through its profile. Each runs on its bus's own thread through
 * the poller's hand-off (poll_action.h), one per bus at a time; the page asks for the result.
 * Every action is logged with who asked and what came of it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "commission.h"
#include "console_int.h"
#include "decode.h"
#include "device.h"
#include "frame.h"
#include "num.h"
#include "plan.h"
#include "poll_check.h"

#define SCAN_TIMEOUT_MS 200

static const char *const kind_names[] = {"read", "scan", "set-address"};

void console_jobs_init(struct gw_console *c)
{
	for (size_t i = 0; i < c->env.cfg->nbuses; i++) {
		c->jobs[i].c = c;
		c->jobs[i].bus = i;
		pthread_mutex_init(&c->jobs[i].lock, NULL);
	}
}

void console_jobs_end(struct gw_console *c)
{
	for (size_t i = 0; i < c->env.cfg->nbuses; i++) {
		gw_poller_action_retract(c->env.poller, i);
		pthread_mutex_destroy(&c->jobs[i].lock);
	}
}

static void job_printf(struct console_job *j, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void job_printf(struct console_job *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	pthread_mutex_lock(&j->lock);
	va_start(ap, fmt);
	n = vsnprintf(j->text + j->len, sizeof(j->text) - j->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->len += (size_t)n < sizeof(j->text) - j->len ? (size_t)n
		                                               : sizeof(j->text) - j->len - 1;
	pthread_mutex_unlock(&j->lock);
}

static void job_finish(struct console_job *j, bool ok, const char *summary)
{
	const struct gw_config *cfg = j->c->env.cfg;

	pthread_mutex_lock(&j->lock);
	j->ok = ok;
	j->state = JOB_DONE;
	j->ended_ms = gw_clock_wall_ms();
	pthread_mutex_unlock(&j->lock);
	console_note(j->c, "%s on %s by %s: %s", kind_names[j->kind], cfg->buses[j->bus].name,
	             j->who, summary);
}

static bool link_open(struct console_job *j, struct gw_link *link)
{
	int rc = gw_link_is_open(link) ? 0 : gw_link_connect(link);

	if (rc)
		job_printf(j, "cannot open the line: %s\n", strerror(-rc));
	return rc == 0;
}

static void hex_line(struct console_job *j, const char *label, const uint8_t *b, size_t n)
{
	char hex[3 * GW_FRAME_MAX + 1] = "";

	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X ", b[i]);
	job_printf(j, "  %s %s\n", label, hex);
}

/* The request of block b to unit as RTU bytes, and the reply its words make. */
static void frames(struct console_job *j, int unit, const struct gw_block *b, const uint16_t *w)
{
	static const uint8_t fc[] = {0x03, 0x04, 0x01, 0x02};
	struct gw_frame_req r = {
	        .unit = (uint8_t)unit, .function = fc[b->kind], .addr = b->addr, .count = b->count};
	uint8_t out[GW_FRAME_MAX];
	size_t n = gw_frame_request(&r, out), k;
	uint16_t crc = gw_frame_crc(out, n);

	out[n++] = (uint8_t)(crc & 0xff);
	out[n++] = (uint8_t)(crc >> 8);
	hex_line(j, "request:", out, n);
	out[0] = r.unit;
	out[1] = r.function;
	k = gw_regkind_is_bit(b->kind) ? (b->count + 7u) / 8u : 2u * b->count;
	out[2] = (uint8_t)k;
	for (size_t i = 0; i < k; i++)
		out[3 + i] =
		        gw_regkind_is_bit(b->kind)
		                ? (uint8_t)(((w[8 * i] & 1) | (w[8 * i + 1] & 1) << 1 |
		                             (w[8 * i + 2] & 1) << 2 | (w[8 * i + 3] & 1) << 3 |
		                             (w[8 * i + 4] & 1) << 4 | (w[8 * i + 5] & 1) << 5 |
		                             (w[8 * i + 6] & 1) << 6 | (w[8 * i + 7] & 1) << 7))
		                : (uint8_t)(i % 2 ? w[i / 2] & 0xff : w[i / 2] >> 8);
	crc = gw_frame_crc(out, 3 + k);
	out[3 + k] = (uint8_t)(crc & 0xff);
	out[4 + k] = (uint8_t)(crc >> 8);
	hex_line(j, "reply:  ", out, 5 + k);
}

/* Every block of the plan read raw: frames and every interpretation (as `read --raw`). */
static void raw_blocks(struct console_job *j, struct gw_link *link, const struct gw_plan *plan)
{
	for (size_t i = 0; i < plan->nblocks; i++) {
		const struct gw_block *b = &plan->blocks[i];
		uint16_t w[GW_MAX_BITS + 8] = {0};
		char *text = NULL;
		size_t len = 0;
		FILE *mem;
		int exc = 0, rc = gw_link_read(link, j->unit, b->kind, b->addr, b->count, w, &exc);

		job_printf(j, "\nblock %zu: %s %u..%u\n", i + 1, gw_regkind_name(b->kind),
		           (unsigned)b->addr, (unsigned)(b->addr + b->count - 1));
		if (rc) {
			job_printf(j, "  no answer: %s\n",
			           rc == -EREMOTEIO ? "exception" : strerror(-rc));
			continue;
		}
		frames(j, j->unit, b, w);
		mem = open_memstream(&text, &len);
		if (!mem)
			continue;
		gw_decode_print_raw(mem, b->addr, w, b->count);
		fclose(mem);
		job_printf(j, "%s", text ? text : "");
		free(text);
	}
}

static void run_read(struct console_job *j, struct gw_link *link)
{
	const struct gw_config *cfg = j->c->env.cfg;
	const struct gw_sensor_cfg *s = &cfg->sensors[j->sensor];
	const struct gw_profile *p = s->profile;
	struct gw_device_result res = {0};
	struct gw_plan plan;
	char sum[160];
	int rc;

	if (gw_poll_check_sensor(cfg, j->sensor, &plan, NULL) || !link_open(j, link)) {
		job_finish(j, false, "line not open");
		return;
	}
	rc = gw_device_read(link, j->unit, p, &plan, 0, s->pause_ms, &res);
	job_printf(j, "%s unit %d, profile %s\n", s->id, j->unit, p->name);
	for (size_t i = 0; i < p->npoints; i++) {
		const struct gw_point *pt = &p->points[i];
		enum gw_quality q = (enum gw_quality)res.quality[i];

		if (q == GW_Q_GOOD || q == GW_Q_OUT_OF_RANGE)
			job_printf(j, "%-18s %12.*f %-7s %s\n", pt->name, pt->decimals,
			           res.values[i], pt->unit, gw_quality_name(q));
		else
			job_printf(j, "%-18s %12s %-7s %s\n", pt->name, "-", pt->unit,
			           gw_quality_name(q));
	}
	raw_blocks(j, link, &plan);
	if (j->raw) {
		struct gw_plan one = {.nblocks = 1};

		one.blocks[0] = (struct gw_block){j->regkind, j->addr, j->count};
		job_printf(j, "\nraw registers asked for:");
		raw_blocks(j, link, &one);
	}
	snprintf(sum, sizeof(sum), "sensor %s unit %d: %s", s->id, j->unit,
	         rc ? strerror(-rc) : "read");
	job_finish(j, rc == 0, sum);
}

static void run_scan(struct console_job *j, struct gw_link *link)
{
	const struct gw_config *cfg = j->c->env.cfg;
	struct gw_link_cfg lc;
	char sum[160];
	int lost = 0;

	gw_poll_check_bus(cfg, j->bus, &lc, NULL);
	if (!link_open(j, link)) {
		job_finish(j, false, "line not open");
		return;
	}
	if (lc.response_timeout_ms > SCAN_TIMEOUT_MS && cfg->buses[j->bus].type <= GW_BUS_TCP)
		gw_link_set_timeouts(link, SCAN_TIMEOUT_MS, lc.byte_timeout_ms);
	for (int id = j->from; id <= j->to && !atomic_load(&j->c->stop); id++) {
		int exc = 0, rc = gw_comm_probe(link, id, &exc);

		pthread_mutex_lock(&j->lock);
		if (rc == 0 || rc == -EREMOTEIO)
			j->found[j->nfound++] = (unsigned)id;
		j->unit = id; /* progress */
		pthread_mutex_unlock(&j->lock);
		if (rc == 0 || rc == -EREMOTEIO)
			job_printf(j, "unit %d answers%s\n", id, rc ? " (exception)" : "");
		if (gw_link_rc_is_lost(rc) && ++lost > 2)
			break;
	}
	gw_link_set_timeouts(link, lc.response_timeout_ms, lc.byte_timeout_ms);
	snprintf(sum, sizeof(sum), "ids %d-%d: %u answered%s", j->from, j->to, j->nfound,
	         lost > 2 ? " (line lost)" : "");
	job_printf(j, "%s\n", sum);
	job_finish(j, j->nfound > 0, sum);
}

static void run_setaddr(struct console_job *j, struct gw_link *link)
{
	const struct gw_sensor_cfg *s = &j->c->env.cfg->sensors[j->sensor];
	const struct gw_addressing *a = &s->profile->addressing;
	static const char *const said[] = {
	        "changed: the new id answers; polling uses it from the next poll",
	        "written; applied after a power cycle (polling stays at the old id until then)",
	        "the register holds the new id, but the sensor still answers at the old one",
	        "could not confirm the change"};
	enum gw_setaddr_outcome out = GW_SETADDR_UNCONFIRMED;
	int lrc = 0, exc = 0, rc;
	char sum[200];

	if (!link_open(j, link)) {
		job_finish(j, false, "line not open");
		return;
	}
	rc = gw_comm_set_unit(link, a, j->unit, j->new_unit, &out, &lrc, &exc);
	if (rc == 0 && out == GW_SETADDR_CHANGED)
		gw_poller_set_unit(j->c->env.poller, j->sensor, j->new_unit);
	if (rc == -ENODEV)
		snprintf(sum, sizeof(sum),
		         "sensor %s: unit %d did not answer (%s); nothing written", s->id, j->unit,
		         strerror(-lrc));
	else if (rc == -EREMOTEIO)
		snprintf(sum, sizeof(sum), "sensor %s: unit %d refused the write (exception %d)",
		         s->id, j->unit, exc);
	else
		snprintf(sum, sizeof(sum), "sensor %s: unit %d -> %d: %s", s->id, j->unit,
		         j->new_unit, rc ? strerror(-rc) : said[out]);
	job_printf(j, "%s\n", sum);
	if (rc == 0 && out == GW_SETADDR_CHANGED)
		job_printf(j,
		           "gateway.yaml still says unit: %d for %s: change it there (config "
		           "below) before the next restart\n",
		           s->unit, s->id);
	job_finish(j, rc == 0 && (out == GW_SETADDR_CHANGED || out == GW_SETADDR_PENDING), sum);
}

/* On the bus thread (gw_action_fn). */
static void run_job(void *arg, struct gw_link *link)
{
	struct console_job *j = arg;

	pthread_mutex_lock(&j->lock);
	j->state = JOB_RUNNING;
	pthread_mutex_unlock(&j->lock);
	if (j->kind == JOB_READ)
		run_read(j, link);
	else if (j->kind == JOB_SCAN)
		run_scan(j, link);
	else
		run_setaddr(j, link);
}

static long find_bus(const struct gw_config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->nbuses; i++)
		if (strcmp(cfg->buses[i].name, name) == 0)
			return (long)i;
	return -1;
}

static long find_sensor(const struct gw_config *cfg, const char *id)
{
	for (size_t i = 0; id && i < cfg->nsensors; i++)
		if (strcmp(cfg->sensors[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* An integer query argument in lo..hi, def when absent. Returns 0 or -EINVAL. */
static int arg_long(const struct gw_http_req *req, const char *name, long lo, long hi, long def,
                    long *out)
{
	const char *v = gw_http_query(req, name);

	*out = def;
	return v && v[0] ? gw_num_long(v, lo, hi, out) : 0;
}

/* The sensor's current unit id (a set-address may have changed the config's). */
static int current_unit(struct gw_console *c, size_t si)
{
	struct gw_poll_stats st;

	gw_poller_sensor_stats(c->env.poller, si, &st);
	return st.unit ? st.unit : c->env.cfg->sensors[si].unit;
}

static unsigned fail(char *msg, size_t len, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static unsigned fail(char *msg, size_t len, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return status;
}

/* Fills j's request from req. Returns 0, or the status of an error reply put in msg. */
static unsigned parse_read(struct gw_console *c, const struct gw_http_req *req,
                           struct console_job *j, char *msg, size_t len)
{
	long si = find_sensor(c->env.cfg, gw_http_query(req, "sensor")), addr, count;
	const char *kind = gw_http_query(req, "kind");

	if (si < 0)
		return fail(msg, len, 404, "no such sensor");
	j->sensor = (size_t)si;
	j->bus = c->env.cfg->sensors[si].bus;
	j->unit = current_unit(c, (size_t)si);
	j->raw = kind && kind[0];
	if (!j->raw)
		return 0;
	if (gw_regkind_parse(kind, &j->regkind) || arg_long(req, "addr", 0, 65535, 0, &addr) ||
	    arg_long(req, "count", 1, GW_MAX_REGS, 8, &count))
		return fail(msg, len, 400,
		            "raw: kind holding|input|coil|discrete, addr 0..65535, "
		            "count 1..125");
	j->addr = (uint16_t)addr;
	j->count = (uint16_t)count;
	return 0;
}

static unsigned parse_scan(struct gw_console *c, const struct gw_http_req *req,
                           struct console_job *j, char *msg, size_t len)
{
	long bi = find_bus(c->env.cfg, gw_http_query(req, "bus")), from, to;

	if (bi < 0)
		return fail(msg, len, 404, "no such bus");
	if (arg_long(req, "from", 1, 247, 1, &from) || arg_long(req, "to", 1, 247, 30, &to) ||
	    from > to)
		return fail(msg, len, 400, "ids: from 1..247, to from..247");
	j->bus = (size_t)bi;
	j->from = (int)from;
	j->to = (int)to;
	return 0;
}

static unsigned parse_setaddr(struct gw_console *c, const struct gw_http_req *req,
                              struct console_job *j, char *msg, size_t len)
{
	const struct gw_config *cfg = c->env.cfg;
	long si = find_sensor(cfg, gw_http_query(req, "sensor")), m;
	const char *confirm = gw_http_query(req, "confirm");
	char want[32];

	if (si < 0)
		return fail(msg, len, 404, "no such sensor");
	if (!cfg->sensors[si].profile->addressing.known)
		return fail(msg, len, 400, "profile %s cannot change the address: %s",
		            cfg->sensors[si].profile->name,
		            cfg->sensors[si].profile->addressing.note);
	if (arg_long(req, "new_unit", 1, 247, 0, &m) || m == 0)
		return fail(msg, len, 400, "new_unit: 1..247");
	j->sensor = (size_t)si;
	j->bus = cfg->sensors[si].bus;
	j->unit = current_unit(c, (size_t)si);
	j->new_unit = (int)m;
	if (m == j->unit)
		return fail(msg, len, 400, "unit %ld is already its id", m);
	for (size_t k = 0; k < cfg->nsensors; k++)
		if (k != (size_t)si && cfg->sensors[k].bus == j->bus && current_unit(c, k) == m)
			return fail(msg, len, 409, "unit %ld is %s's on this bus", m,
			            cfg->sensors[k].id);
	snprintf(want, sizeof(want), "%d->%d", j->unit, j->new_unit);
	if (!confirm || strcmp(confirm, want))
		return fail(msg, len, 428, "confirm %s", want);
	return 0;
}

/* Parses req into a request (a copy of a job), by path. */
static unsigned parse(struct gw_console *c, const struct gw_http_req *req, struct console_job *j,
                      char *msg, size_t len)
{
	const char *path = gw_http_path(req);

	if (strcmp(path, "/api/read") == 0) {
		j->kind = JOB_READ;
		return parse_read(c, req, j, msg, len);
	}
	if (strcmp(path, "/api/scan") == 0) {
		j->kind = JOB_SCAN;
		return parse_scan(c, req, j, msg, len);
	}
	if (strcmp(path, "/api/set-address") == 0) {
		j->kind = JOB_SETADDR;
		return parse_setaddr(c, req, j, msg, len);
	}
	return fail(msg, len, 404, "no such action");
}

/* Takes bus b's job for request r. Returns 0, or 409 with msg when the bus is busy. */
static unsigned take_job(struct gw_console *c, const struct console_job *r, const char *who,
                         char *msg, size_t len)
{
	struct console_job *j = &c->jobs[r->bus];
	const char *bus = c->env.cfg->buses[r->bus].name;

	pthread_mutex_lock(&j->lock);
	if (j->state == JOB_WAITING || j->state == JOB_RUNNING) {
		fail(msg, len, 409, "bus %s is busy: %s by %s is %s; try again when it is done",
		     bus, kind_names[j->kind], j->who,
		     j->state == JOB_WAITING ? "waiting" : "running");
		pthread_mutex_unlock(&j->lock);
		return 409;
	}
	j->kind = r->kind;
	j->sensor = r->sensor;
	j->unit = r->unit;
	j->new_unit = r->new_unit;
	j->from = r->from;
	j->to = r->to;
	j->raw = r->raw;
	j->addr = r->addr;
	j->count = r->count;
	j->regkind = r->regkind;
	snprintf(j->who, sizeof(j->who), "%s", who);
	j->started_ms = gw_clock_wall_ms();
	j->ended_ms = 0;
	j->ok = false;
	j->len = 0;
	j->text[0] = '\0';
	j->nfound = 0;
	j->state = JOB_WAITING;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

int console_action_post(struct gw_console *c, const struct gw_http_req *req, const char *who,
                        struct gw_http_resp *resp)
{
	struct console_job r = {0};
	char msg[256] = "";
	unsigned status = parse(c, req, &r, msg, sizeof(msg));
	int rc;

	if (!status)
		status = take_job(c, &r, who, msg, sizeof(msg));
	if (status) {
		if (status == 409)
			console_note(c, "%s on %s by %s refused: %s", kind_names[r.kind],
			             c->env.cfg->buses[r.bus].name, who, msg);
		return console_reply_error(resp, status, msg);
	}
	rc = gw_poller_action_post(c->env.poller, r.bus, run_job, &c->jobs[r.bus]);
	if (rc) { /* the slot and the job agree; only a stopping poller gets here */
		pthread_mutex_lock(&c->jobs[r.bus].lock);
		c->jobs[r.bus].state = JOB_NONE;
		pthread_mutex_unlock(&c->jobs[r.bus].lock);
		return console_reply_error(resp, 409, "the bus takes no action now");
	}
	return gw_http_resp_text(resp, 202, "application/json", "{\"state\":\"waiting\"}", 19);
}

int console_action_get(struct gw_console *c, const struct gw_http_req *req,
                       struct gw_http_resp *resp)
{
	static const char *const states[] = {"none", "waiting", "running", "done"};
	long bi = find_bus(c->env.cfg, gw_http_query(req, "bus"));
	struct console_job *j;
	struct gw_strbuf o = {0};

	if (bi < 0)
		return console_reply_error(resp, 404, "no such bus");
	j = &c->jobs[bi];
	o.len = CONSOLE_TEXT_LEN * 6 + 4096;
	o.buf = malloc(o.len);
	if (!o.buf)
		return -ENOMEM;
	pthread_mutex_lock(&j->lock);
	gw_sb_printf(&o, "{\"bus\":");
	console_json_str(&o, c->env.cfg->buses[bi].name);
	gw_sb_printf(&o,
	             ",\"kind\":\"%s\",\"state\":\"%s\",\"ok\":%s,\"who\":", kind_names[j->kind],
	             states[j->state], j->ok ? "true" : "false");
	console_json_str(&o, j->who);
	gw_sb_printf(&o, ",\"started_ms\":%lld,\"ended_ms\":%lld,\"at\":%d,\"found\":[",
	             (long long)j->started_ms, (long long)j->ended_ms, j->unit);
	for (unsigned i = 0; i < j->nfound; i++)
		gw_sb_printf(&o, "%s%u", i ? "," : "", j->found[i]);
	gw_sb_printf(&o, "],\"text\":");
	console_json_str(&o, j->text);
	gw_sb_printf(&o, "}");
	pthread_mutex_unlock(&j->lock);
	return console_reply_json(resp, 200, &o);
}
