/* `fieldgate console passwd [-c gateway.yaml] [--stdin]`: writes the technician's page's
 * password as a libsodium crypto_pwhash (Argon2id) hash to console.password_file (default
 * data_dir/console.pass, mode 0600). The password is asked twice on the terminal, without
 * echo, or read as one line from standard input with --stdin (scripts, tests). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "cli_common.h"
#include "config.h"
#include "console.h"
#include "crypto.h"
#include "diag.h"

#define PW_MAX 256
#define PW_MIN 8

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fieldgate console passwd [-c gateway.yaml] [--stdin]\n\n"
	        "Writes the password of the technician's page (the config's console section) as\n"
	        "a crypto_pwhash (Argon2id) hash to console.password_file (default\n"
	        "data_dir/console.pass, mode 0600, replaced atomically). Every open session ends.\n"
	        "A console on a non-loopback address does not start without it.\n\n"
	        "  -c, --config FILE  gateway.yaml (default: $FIELDGATE_CONFIG, else "
	        "/etc/fieldgate/gateway.yaml)\n"
	        "      --stdin        read the password as one line from standard input\n"
	        "exit: 0 written, 1 cannot write it, 2 bad usage, config or password\n");
}

/* One line from in into buf, without its newline; echo off on a terminal. */
static int read_line(FILE *in, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
	char *ok;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)len, in);
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int ask(bool from_stdin, char *pw, size_t len)
{
	char again[PW_MAX];
	int rc = read_line(stdin, "new console password: ", pw, len);

	if (rc == 0 && !from_stdin && read_line(stdin, "again: ", again, sizeof(again)) == 0 &&
	    strcmp(pw, again)) {
		fprintf(stderr, "fieldgate console passwd: the two passwords differ\n");
		rc = -EINVAL;
	}
	gw_crypto_wipe(again, sizeof(again));
	if (rc == 0 && strlen(pw) < PW_MIN) {
		fprintf(stderr, "fieldgate console passwd: at least %d characters\n", PW_MIN);
		rc = -EINVAL;
	}
	return rc;
}

static int parse(int argc, char **argv, const char **path, bool *from_stdin)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"stdin", no_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == 'c')
			*path = optarg;
		else if (c == 's')
			*from_stdin = true;
		else
			return -EINVAL;
	}
	if (!*path)
		*path = gw_cli_config_default();
	return optind == argc ? 0 : -EINVAL;
}

int gw_cli_console(int argc, char **argv)
{
	const char *path = NULL;
	struct gw_config *cfg = NULL;
	bool from_stdin = false;
	char pw[PW_MAX];
	struct gw_diag d;
	int rc;

	if (argc < 2 || strcmp(argv[1], "passwd")) {
		usage(argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	rc = parse(argc - 1, argv + 1, &path, &from_stdin);
	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	gw_diag_init(&d, stderr);
	if (gw_config_load(path, &d, &cfg)) {
		fprintf(stderr, "%s: %d error(s)\n", path, d.nerrors);
		return 2;
	}
	if (!cfg->console.enabled) {
		fprintf(stderr, "%s: no console section: add one (README: the technician's page)\n",
		        path);
		gw_config_free(cfg);
		return 2;
	}
	rc = ask(from_stdin, pw, sizeof(pw)) ? 2 : 0;
	if (rc == 0 && (rc = -gw_console_write_password(cfg->console.password_file, pw)) != 0) {
		fprintf(stderr, "fieldgate console passwd: cannot write %s: %s\n",
		        cfg->console.password_file, strerror(rc));
		rc = 1;
	} else if (rc == 0) {
		printf("wrote %s\n", cfg->console.password_file);
	}
	gw_crypto_wipe(pw, sizeof(pw));
	gw_config_free(cfg);
	return rc;
}
