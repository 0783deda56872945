/* libFuzzer target for the records reader: any bytes as households.csv (plots.csv is a
 * header only) either load into households that pass every check again here, or are
 * rejected with at least one error and *out NULL. The inputs go through files (the
 * loader reads files), made once per run; tests/fixtures/records/ is a good seed corpus. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct gw_records *r)
{
	if (r->nplots != 0)
		abort();
	for (size_t i = 0; i < r->nhouseholds; i++) {
		const struct gw_household *h = &r->households[i];

		if (!h->id[0] || !h->name[0] || !gw_gb11643_valid(h->id_number))
			abort();
		if (h->beneficiaries < 1 || h->beneficiaries > GW_BENEFICIARIES_MAX)
			abort();
		if (h->phone[0] && !gw_phone_valid(h->phone))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->households[j].id, h->id) == 0 ||
			    strcmp(r->households[j].id_number, h->id_number) == 0)
				abort();
	}
}

static char hh_file[] = "/tmp/fuzz_records_XXXXXX.csv";
static char plots_file[] = "/tmp/fuzz_records_plots_XXXXXX.csv";

static void remove_inputs(void)
{
	unlink(hh_file);
	unlink(plots_file);
}

/* Files of our own for the inputs, made on the first call, removed at exit. */
static void make_files(void)
{
	static const char header[] = "plot_id,household_id,area_mu,film,planting\n";
	static bool made;
	int fd, pfd;

	if (made)
		return;
	fd = mkstemps(hh_file, 4);
	pfd = mkstemps(plots_file, 4);
	if (fd < 0 || pfd < 0 || write(pfd, header, strlen(header)) != (ssize_t)strlen(header))
		abort();
	close(fd);
	close(pfd);
	atexit(remove_inputs);
	made = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	static struct gw_config cfg;
	struct gw_records *r = (struct gw_records *)&r;
	struct gw_diag d;
	FILE *f;
	int rc;

	make_files();
	if (!sink)
		sink = fopen("/dev/null", "w");
	snprintf(cfg.households_path, sizeof(cfg.households_path), "%s", hh_file);
	snprintf(cfg.plots_path, sizeof(cfg.plots_path), "%s", plots_file);
	f = fopen(hh_file, "wb");
	if (!f || !sink || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	gw_diag_init(&d, sink);
	rc = gw_records_load(&cfg, &d, &r);
	if (rc == 0) {
		if (!r || d.nerrors != 0)
			abort();
		check_loaded(r);
	} else if (r || (rc == -EINVAL && d.nerrors == 0)) {
		abort();
	}
	gw_records_free(r);
	return 0;
}
