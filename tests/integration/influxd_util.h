/* A real influxd (1.x) for the C integration tests: its own temp dir and config, HTTP and
 * RPC on free loopback ports, started as a child and stopped by its PID (and started again
 * on the same ports and data), plus InfluxQL queries over HTTP. Header only (static inline),
 * since each itest_*.c is built from its one file. */
#ifndef GW_INFLUXD_UTIL_H
#define GW_INFLUXD_UTIL_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest_util.h"
#include "influx_http.h"

#define INFLUXD "/usr/bin/influxd"

struct influxd {
	char dir[64];
	char base[64]; /* http://127.0.0.1:<port> */
	char conf[128], log[128];
	pid_t pid;    /* -1: not running */
	int max_body; /* [http] max-body-size, 0: influxd's default */
};

/* Polls cond every 20 ms for at most ms. */
#define WAIT_UNTIL(cond, ms)                                                                       \
	for (int64_t until_ = now_ms() + (ms); !(cond) && now_ms() < until_;)                      \
	pause_ms(20)

static inline int influxd_write_config(const struct influxd *x, int http_port, int rpc_port)
{
	FILE *f = fopen(x->conf, "w");

	if (!f)
		return -1;
	fprintf(f,
	        "reporting-disabled = true\n"
	        "bind-address = \"127.0.0.1:%d\"\n"
	        "[meta]\n  dir = \"%s/meta\"\n"
	        "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n"
	        "  query-log-enabled = false\n"
	        "[monitor]\n  store-enabled = false\n"
	        "[http]\n  bind-address = \"127.0.0.1:%d\"\n  log-enabled = false\n",
	        rpc_port, x->dir, x->dir, x->dir, http_port);
	if (x->max_body > 0)
		fprintf(f, "  max-body-size = %d\n", x->max_body);
	return fclose(f) == 0 ? 0 : -1;
}

/* Polls /ping until 204, the process exits, or 30 s pass. Returns 0 or -1. */
static inline int influxd_wait_ready(struct influxd *x)
{
	char url[128], resp[256];
	int64_t deadline = now_ms() + 30000;

	snprintf(url, sizeof(url), "%s/ping", x->base);
	while (now_ms() < deadline) {
		long status = 0;
		int wst;

		if (gw_influx_http(url, NULL, 0, &status, resp, sizeof(resp)) == 0 && status == 204)
			return 0;
		if (waitpid(x->pid, &wst, WNOHANG) == x->pid) {
			x->pid = -1;
			return -1;
		}
		pause_ms(50);
	}
	return -1;
}

/* Starts (or starts again) the server of x and waits until it answers. Returns 0 or -1. */
static inline int influxd_start(struct influxd *x)
{
	x->pid = fork();
	if (x->pid == 0) {
		int fd = open(x->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(INFLUXD, INFLUXD, "-config", x->conf, (char *)NULL);
		_exit(127);
	}
	if (x->pid < 0 || influxd_wait_ready(x)) {
		fprintf(stderr, "influxd did not become ready; log in %s\n", x->log);
		return -1;
	}
	return 0;
}

/* SIGTERM to our child, and waits for it. */
static inline void influxd_stop(struct influxd *x)
{
	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		waitpid(x->pid, NULL, 0);
		x->pid = -1;
	}
}

/* A temp dir named after name, a config on two free ports (max_body > 0: influxd answers
 * 413 above it), the server started. Fails (-1, with a message) when influxd is not
 * installed. */
static inline int influxd_setup_body(struct influxd *x, const char *name, int max_body)
{
	int http_port = free_port(), rpc_port = free_port();

	memset(x, 0, sizeof(*x));
	x->pid = -1;
	x->max_body = max_body;
	if (access(INFLUXD, X_OK) != 0) {
		fprintf(stderr, "influxd not installed at %s (scripts/setup.sh installs it)\n",
		        INFLUXD);
		return -1;
	}
	snprintf(x->dir, sizeof(x->dir), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(x->dir) || http_port < 0 || rpc_port < 0 || http_port == rpc_port)
		return -1;
	snprintf(x->conf, sizeof(x->conf), "%s/influxdb.conf", x->dir);
	snprintf(x->log, sizeof(x->log), "%s/influxd.log", x->dir);
	snprintf(x->base, sizeof(x->base), "http://127.0.0.1:%d", http_port);
	if (influxd_write_config(x, http_port, rpc_port))
		return -1;
	return influxd_start(x);
}

static inline int influxd_setup(struct influxd *x, const char *name)
{
	return influxd_setup_body(x, name, 0);
}

static inline int influxd_rm_entry(const char *path, const struct stat *sb, int flag,
                                   struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Stops the server and removes its temp dir. */
static inline void influxd_teardown(struct influxd *x)
{
	influxd_stop(x);
	if (x->dir[0])
		nftw(x->dir, influxd_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* POSTs q to /query (db may be NULL); the answer lands in resp. Returns the status or -1. */
static inline long influxd_query(const struct influxd *x, const char *db, const char *q, char *resp,
                                 size_t resp_len)
{
	char url[160], form[512] = "q=";
	size_t pos = 2;
	long status = 0;

	snprintf(url, sizeof(url), "%s/query?db=%s", x->base, db ? db : "");
	if (gw_influx_escape(form, sizeof(form), &pos, q))
		return -1;
	if (gw_influx_http(url, form, pos, &status, resp, resp_len))
		return -1;
	return status;
}

#endif
