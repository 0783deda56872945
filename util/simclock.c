/* The sim clock-anchor file: written atomically by the simulator, read strictly by
 * the daemon (every key once, whole numbers, speed > 0). Leaf code: no logging. */
#include "simclock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "num.h"

#define LINE_MAX_LEN 256
#define NKEYS        3

static const char *const keys[NKEYS] = {"start_ms", "speed", "mono_us"};

int gw_simclock_save(const char *path, const struct gw_simclock *c)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int rc = 0;

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fprintf(f,
	            "# fieldgate sim clock (demo and tests only): simulated time start_ms at\n"
	            "# CLOCK_MONOTONIC mono_us, running speed times as fast as real time\n"
	            "start_ms=%lld\nspeed=%.17g\nmono_us=%lld\n",
	            (long long)c->start_ms, c->speed, (long long)c->mono_us) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

/* One key=value line into c; seen counts the keys. Returns 0 or reports and 1. */
static int parse_line(const char *path, int lineno, char *line, struct gw_simclock *c, int *seen,
                      struct gw_diag *d)
{
	char *eq = strchr(line, '=');
	size_t k;
	int rc;

	if (!eq) {
		gw_diag_error(d, path, lineno, 0, "not key=value (want start_ms, speed, mono_us)");
		return 1;
	}
	*eq = '\0';
	for (k = 0; k < NKEYS && strcmp(line, keys[k]); k++)
		;
	if (k == NKEYS) {
		gw_diag_error(d, path, lineno, 0,
		              "unknown key \"%.40s\" (want start_ms speed mono_us)", line);
		return 1;
	}
	if (seen[k]++) {
		gw_diag_error(d, path, lineno, 0, "%s: given twice", keys[k]);
		return 1;
	}
	if (k == 1)
		rc = gw_num_double(eq + 1, 0.001, 1e7, &c->speed);
	else
		rc = parse_i64(eq + 1, k == 0 ? &c->start_ms : &c->mono_us);
	if (rc)
		gw_diag_error(d, path, lineno, 0, "%s: %s (got \"%.40s\"%s)", keys[k],
		              rc == -ERANGE ? "out of range" : "not a number", eq + 1,
		              k == 1 ? ", want 0.001..1e7" : ", want a whole number");
	return rc ? 1 : 0;
}

int gw_simclock_load(const char *path, struct gw_simclock *c, struct gw_diag *d)
{
	char line[LINE_MAX_LEN];
	int seen[NKEYS] = {0};
	int lineno = 0, errors = 0, rc;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			gw_diag_error(d, path, lineno, 0, "line too long (want at most %d bytes)",
			              LINE_MAX_LEN - 2);
			errors++;
			break;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		errors += parse_line(path, lineno, line, c, seen, d);
	}
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc)
		return rc;
	for (size_t k = 0; k < NKEYS; k++) {
		if (seen[k])
			continue;
		gw_diag_error(d, path, 0, 0, "%s: missing (want start_ms, speed and mono_us)",
		              keys[k]);
		errors++;
	}
	return errors ? -EINVAL : 0;
}
