/* libFuzzer target for the gateway.yaml loader: any text either loads into a
 * consistent config or is rejected with at least one error and *out NULL.
 * The input goes through a file (the loader reads files), made once per run;
 * tests/fixtures/config/ is a good seed corpus. The libfyaml 0.7.12 leak on ''
 * escapes in a row is refused before libfyaml reads the scalar (util/yaml.c), so
 * scripts/fuzz.sh runs with leak detection and no suppressions. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct gw_config *cfg)
{
	if (cfg->nbuses == 0 || cfg->nsensors == 0 || cfg->nprofiles > cfg->nsensors)
		abort();
	for (size_t i = 0; i < cfg->nsensors; i++) {
		const struct gw_sensor_cfg *s = &cfg->sensors[i];

		if (s->bus >= cfg->nbuses || s->unit < 1 || s->unit > 247 || !s->profile)
			abort();
		if (s->profile < cfg->profiles || s->profile >= cfg->profiles + cfg->nprofiles)
			abort();
		if (s->max_registers > s->profile->max_registers)
			abort();
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->sensors[j].id, s->id) == 0)
				abort();
			if (cfg->sensors[j].bus == s->bus && cfg->sensors[j].unit == s->unit)
				abort();
		}
	}
	for (size_t i = 0; i < cfg->nbuses; i++) {
		if (!cfg->buses[i].name[0] ||
		    gw_config_bus(cfg, cfg->buses[i].name) != &cfg->buses[i])
			abort();
		if (cfg->buses[i].src.file != cfg->path)
			abort();
	}
}

static char input_file[] = "/tmp/fuzz_config_XXXXXX.yaml";

static void remove_input(void)
{
	unlink(input_file);
}

/* A file of our own for the input, made on the first call, removed at exit. */
static const char *input_path(void)
{
	static bool made;
	int fd;

	if (made)
		return input_file;
	fd = mkstemps(input_file, 5);
	if (fd < 0)
		abort();
	close(fd);
	atexit(remove_input);
	made = true;
	return input_file;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	const char *path = input_path();
	struct gw_config *cfg = (struct gw_config *)&cfg;
	struct gw_diag d;
	FILE *f;
	int rc;

	if (!sink)
		sink = fopen("/dev/null", "w");
	f = fopen(path, "wb");
	if (!f || !sink || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	gw_diag_init(&d, sink);
	rc = gw_config_load(path, &d, &cfg);
	if (rc == 0) {
		if (!cfg || d.nerrors != 0)
			abort();
		check_loaded(cfg);
	} else if (cfg || (rc == -EINVAL && d.nerrors == 0)) {
		abort();
	}
	gw_config_free(cfg);
	return 0;
}
