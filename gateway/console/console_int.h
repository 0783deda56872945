/* What the console's files share (console*.c only): the console itself, its per-bus jobs,
 * its action log, and small JSON helpers. */
#ifndef GW_CONSOLE_INT_H
#define GW_CONSOLE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "busload.h"
#include "console.h"
#include "console_auth.h"
#include "driver.h"
#include "http_server.h"
#include "strbuf.h"

#define CONSOLE_TEXT_LEN 12288 /* an action's result text */
#define CONSOLE_LOG_LEN  16    /* actions the page lists */

enum job_kind { JOB_READ, JOB_SCAN, JOB_SETADDR };
enum job_state { JOB_NONE, JOB_WAITING, JOB_RUNNING, JOB_DONE };

/* The action of one bus: its request, then its result. Guarded by lock; the bus thread
 * writes it while running, the page reads it. */
struct console_job {
	struct gw_console *c;
	size_t bus;
	pthread_mutex_t lock;
	enum job_kind kind;
	enum job_state state;
	size_t sensor; /* JOB_READ, JOB_SETADDR */
	int unit, new_unit;
	int from, to; /* JOB_SCAN */
	bool raw;     /* JOB_READ: raw registers too */
	uint16_t addr, count;
	enum gw_regkind regkind;
	char who[96];
	int64_t started_ms, ended_ms;
	bool ok;
	char text[CONSOLE_TEXT_LEN];
	size_t len;
	unsigned found[248]; /* JOB_SCAN: ids that answered, in order */
	unsigned nfound;
};

struct console_logline {
	int64_t ms;
	char text[192];
};

struct gw_console {
	struct gw_console_env env;
	struct gw_http_server *srv;
	struct gw_cauth auth;
	atomic_bool stop;
	pthread_mutex_t lock; /* the health cache, the chain, the log; the stream wake-up */
	pthread_cond_t wake;
	char *health;
	size_t health_len, health_cap;
	int64_t health_ms;
	char chain[320]; /* the chain as JSON members (console_health.c) */
	int64_t chain_ms;
	struct gw_busload *loads; /* one per bus */
	struct console_job *jobs; /* one per bus */
	pthread_mutex_t apply_lock;
	struct console_logline log[CONSOLE_LOG_LEN];
	unsigned nlog;
};

/* JSON string (quoted, escaped) of s appended to o. */
void console_json_str(struct gw_strbuf *o, const char *s);
/* Appends a line to the page's action log (and the daemon's log). */
void console_note(struct gw_console *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* console_health.c: the health JSON (cached, refreshed at most once a second) copied into
 * *out (owned). Returns its length or -ENOMEM. */
long console_health(struct gw_console *c, char **out);
/* The action log as a JSON array appended to o (lock held by the caller). */
void console_log_json(struct gw_console *c, struct gw_strbuf *o);

/* console_action.c: the handlers of POST /api/read, /api/scan, /api/set-address and
 * GET /api/action (the bus's job). who: "ADDR session ID". */
int console_action_post(struct gw_console *c, const struct gw_http_req *req, const char *who,
                        struct gw_http_resp *resp);
int console_action_get(struct gw_console *c, const struct gw_http_req *req,
                       struct gw_http_resp *resp);
void console_jobs_init(struct gw_console *c);
/* Takes back waiting actions and waits for running ones (the console is stopping). */
void console_jobs_end(struct gw_console *c);

/* console_cfgtext.c: POST /api/config/validate and /api/config/apply. */
int console_config_post(struct gw_console *c, const struct gw_http_req *req, const char *who,
                        bool apply, struct gw_http_resp *resp);
/* GET /api/config: the running config file's text. */
int console_config_get(struct gw_console *c, struct gw_http_resp *resp);

/* console_page.c (generated at build time): the page's files. */
struct console_asset {
	const char *path, *type;
	const unsigned char *data;
	size_t len;
};
extern const struct console_asset console_assets[];
extern const size_t console_nassets;

/* A JSON reply: takes o's text (o->buf malloc'd). Returns 0 or -ENOMEM. */
int console_reply_json(struct gw_http_resp *resp, unsigned status, struct gw_strbuf *o);
/* A JSON error reply {"error": msg}. */
int console_reply_error(struct gw_http_resp *resp, unsigned status, const char *msg);

#endif
