/* Options shared by the technician commands (scan, read, set-address): where
 * the line is (--port or --tcp), its serial settings, the timeout, echo
 * handling, the unit and the sensor profile; and turning them into a link.
 * Prints its own usage errors; never exits. */
#ifndef GW_CLI_COMMON_H
#define GW_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "modbus_link.h"

/* getopt_long values of the shared options; a command's own start at GW_OPT_OWN. */
enum {
	GW_OPT_PORT = 0x100,
	GW_OPT_TCP,
	GW_OPT_BAUD,
	GW_OPT_PARITY,
	GW_OPT_TIMEOUT,
	GW_OPT_ECHO,
	GW_OPT_RS485,
	GW_OPT_UNIT,
	GW_OPT_PROFILE,
	GW_OPT_DEBUG,
	GW_OPT_HELP,
	GW_OPT_OWN = 0x180
};

#define GW_CLI_MAX_OPTS 32

/* Fills out[GW_CLI_MAX_OPTS] with the shared long options followed by own
 * (ended by a zero entry), ready for getopt_long. */
void gw_cli_longopts(const struct option *own, struct option *out);

/* Help text for the shared line options, for a command's --help. */
extern const char gw_cli_link_help[];

struct gw_cli_opts {
	const char *cmd;  /* borrows: command name for messages */
	const char *port; /* borrows argv */
	bool is_tcp;
	char host[256];
	uint16_t tcp_port;
	uint32_t baud;       /* 0: the profile's, else 9600 */
	char parity;         /* 0: the profile's, else 'N' */
	unsigned timeout_ms; /* 0: the command's default */
	bool echo;
	bool rs485;
	bool debug;
	bool help;
	long unit; /* -1: not given */
	const char *profile_name;
	bool has_profile;
	struct gw_profile profile;
};

void gw_cli_opts_init(struct gw_cli_opts *o, const char *cmd);

/* The config file of a command given no -c: $FIELDGATE_CONFIG when set and not empty, else
 * GW_CLI_CONFIG_DEFAULT (the path the systemd unit runs with). Borrowed. */
#define GW_CLI_CONFIG_DEFAULT "/etc/fieldgate/gateway.yaml"
const char *gw_cli_config_default(void);

/* A command's own option: returns 0, or -EINVAL after printing why. */
typedef int (*gw_cli_own_fn)(void *user, int opt, const char *arg);

/* Parses argv (argv[0] the command) over the shared options plus own, which
 * go to take_own. Initialises line. Returns 0, 1 when --help was asked, or 2
 * for bad usage (already reported). */
int gw_cli_getopt(int argc, char **argv, const struct option *own, gw_cli_own_fn take_own,
                  void *user, struct gw_cli_opts *line);

/* Handles one getopt_long result. Returns 1 (a shared option, taken), 0 (not
 * a shared option) or -EINVAL (bad value, reported). */
int gw_cli_opts_take(struct gw_cli_opts *o, int opt, const char *arg);

/* After parsing: exactly one of --port/--tcp, --unit when need_unit, the
 * profile loaded when given (required when need_profile). Returns 0, or the
 * exit code 2 after reporting. */
int gw_cli_opts_finish(struct gw_cli_opts *o, bool need_unit, bool need_profile);

/* The link settings: serial options as given, else the profile's defaults,
 * else 9600 8N1; timeout as given, else default_timeout_ms. */
void gw_cli_link_cfg(const struct gw_cli_opts *o, unsigned default_timeout_ms,
                     struct gw_link_cfg *cfg);

/* Returns an owned, connected link, or NULL after printing why. Borrows cfg,
 * which must outlive the link. */
struct gw_link *gw_cli_link_open(const char *cmd, const struct gw_link_cfg *cfg);

/* "tcp 127.0.0.1:1502" or "/dev/ttyUSB0 9600 8N1", into buf. Returns buf. */
const char *gw_cli_link_describe(const struct gw_link_cfg *cfg, char *buf, size_t len);

/* "illegal data address" for exception code 2, ... */
const char *gw_cli_exception_name(int code);

/* Parses a number option in min..max; reports and returns -EINVAL on error. */
int gw_cli_parse_long(const char *cmd, const char *opt, const char *arg, long min, long max,
                      long *out);

/* Parses a supported serial baud rate (1200..230400). Returns 0 or -EINVAL. */
int gw_cli_parse_baud(const char *arg, uint32_t *out);

#endif
