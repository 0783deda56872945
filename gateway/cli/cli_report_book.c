/* `fieldgate report --form`: the county's sheets (汇总表, 花名册, 验收表, the field visit list)
 * selected by township and village, and the one place every report is written from:
 * stdout or a file written whole (0600 when unmasked), CSV with a BOM or in GB18030, xlsx
 * to a file of its own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_report_book.h"
#include "array.h"
#include "report_file.h"
#include "sheets.h"

static const char *const forms[] = {"summary", "roster", "acceptance", "visits"};
static const enum gw_form_level levels[] = {GW_LEVEL_VILLAGE, GW_LEVEL_HOUSEHOLD, GW_LEVEL_PLOT,
                                            GW_LEVEL_PLOT};

int gw_cli_report_form_level(const char *form, enum gw_form_level *out)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(forms); i++) {
		if (strcmp(form, forms[i]) == 0) {
			*out = levels[i];
			return 0;
		}
	}
	fprintf(stderr,
	        "fieldgate report: --form: unknown \"%s\" (want summary (汇总表), roster "
	        "(花名册), acceptance (验收表) or visits (field visit list))\n",
	        form);
	return -EINVAL;
}

/* Prints the distinct values of recs' households (township, or villages of township)
 * as ", "-separated text to stderr. */
static void list_names(const struct gw_records *recs, const char *township)
{
	size_t shown = 0;

	for (size_t i = 0; i < recs->nhouseholds; i++) {
		const struct gw_household *h = &recs->households[i];
		const char *v = township ? h->village : h->township;
		bool seen = false;

		if (township && township[0] && strcmp(h->township, township) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++) {
			const struct gw_household *g = &recs->households[j];

			seen = strcmp(township ? g->village : g->township, v) == 0 &&
			       (!township || strcmp(g->township, h->township) == 0);
		}
		if (seen)
			continue;
		fprintf(stderr, "%s%s", shown++ ? ", " : "", v);
		if (township && !township[0])
			fprintf(stderr, " (%s)", h->township);
	}
}

int gw_cli_report_check_sel(const struct gw_report_sheets *s, const struct gw_records *recs)
{
	bool township = !s->township, village = !s->village;

	for (size_t i = 0; i < recs->nhouseholds; i++) {
		const struct gw_household *h = &recs->households[i];
		bool t = !s->township || strcmp(h->township, s->township) == 0;

		township = township || t;
		village = village || (t && strcmp(h->village, s->village) == 0);
	}
	if (!township) {
		fprintf(stderr,
		        "fieldgate report: --township: no township \"%s\" in the records "
		        "(they have: ",
		        s->township);
		list_names(recs, NULL);
		fputs(")\n", stderr);
		return 2;
	}
	if (!village) {
		fprintf(stderr,
		        "fieldgate report: --village: no village \"%s\"%s%s in the records "
		        "(%s",
		        s->village, s->township ? " in " : "", s->township ? s->township : "",
		        s->township ? "its villages: " : "villages: ");
		list_names(recs, s->township ? s->township : "");
		fputs(")\n", stderr);
		return 2;
	}
	if (s->village && strcmp(s->form, "summary") == 0) {
		fputs("fieldgate report: --village: the summary (汇总表) has a row per village of "
		      "a "
		      "township: select it with --township\n",
		      stderr);
		return 2;
	}
	return 0;
}

static int write_text(FILE *out, const struct gw_report_out *o, gw_report_write_fn fn,
                      const void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (o->format != GW_FMT_CSV)
		return fn(out, NULL, ctx);
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	rc = fn(mem, NULL, ctx);
	if (fclose(mem) && !rc)
		rc = -ENOMEM;
	if (!rc)
		rc = gw_report_csv_put(out, buf, len, o->encoding);
	free(buf);
	return rc;
}

int gw_cli_report_emit(const struct gw_report_out *o, gw_report_write_fn fn, const void *ctx,
                       const char *what)
{
	struct gw_report_file rf;
	int rc;

	if (!o->path) {
		rc = write_text(stdout, o, fn, ctx);
		if (!rc && fflush(stdout))
			rc = -EIO;
	} else {
		rc = gw_report_file_open(&rf, o->path, o->unmasked);
		if (rc) {
			fprintf(stderr, "fieldgate report: %s: cannot create: %s\n", o->path,
			        strerror(-rc));
			return 1;
		}
		/* xlsx: the library writes the temporary file by its name; it keeps its mode */
		rc = o->format == GW_FMT_XLSX ? fn(NULL, rf.tmp, ctx)
		                              : write_text(rf.f, o, fn, ctx);
		rc = rc ? (gw_report_file_abort(&rf), rc) : gw_report_file_commit(&rf);
	}
	if (rc) {
		fprintf(stderr, "fieldgate report: %s: write failed: %s\n",
		        o->path ? o->path : "stdout", strerror(-rc));
		return 1;
	}
	if (o->path)
		fprintf(stderr, "report: wrote %s (%s)%s\n", o->path, what,
		        o->unmasked ? ", unmasked, mode 0600" : "");
	return 0;
}

struct book_ctx {
	const struct gw_book *b;
	const struct gw_report_meta *m;
	enum gw_report_fmt format;
};

static int write_book(FILE *out, const char *path, const void *arg)
{
	const struct book_ctx *c = arg;

	if (c->format == GW_FMT_XLSX)
		return gw_book_xlsx(path, c->b, c->m);
	if (c->format == GW_FMT_HTML)
		return gw_book_html(out, c->b, c->m);
	return gw_book_csv(out, c->b);
}

static int build(const struct gw_report_sheets *s, const struct gw_form *f,
                 const struct gw_report_meta *m, struct gw_book *b)
{
	struct gw_sheet_sel sel = {.township = s->township, .village = s->village};

	if (strcmp(s->form, "summary") == 0)
		return gw_sheets_summary(f, &sel, m, b);
	if (strcmp(s->form, "roster") == 0)
		return gw_sheets_roster(f, &sel, m, b);
	if (strcmp(s->form, "acceptance") == 0)
		return gw_sheets_acceptance(f, &sel, m, b);
	return gw_sheets_visits(f, &sel, m, b);
}

int gw_cli_report_book(const struct gw_report_sheets *s, const struct gw_report_out *o,
                       const struct gw_form *f, const struct gw_report_meta *m)
{
	struct gw_book b = {.form = s->form, .lang = m->lang, .unmasked = m->unmasked};
	struct book_ctx c = {.b = &b, .m = m, .format = o->format};
	char what[64];
	int rc = build(s, f, m, &b);

	if (rc) {
		fprintf(stderr, "fieldgate report: out of memory\n");
		gw_book_free(&b);
		return 1;
	}
	if (!b.n && strcmp(s->form, "visits") != 0) {
		fprintf(stderr,
		        "fieldgate report: no %s sheet: no household of the category asked "
		        "for in the place asked for\n",
		        s->form);
		gw_book_free(&b);
		return 2;
	}
	snprintf(what, sizeof(what), "%s, %zu sheets", s->form, b.n);
	rc = gw_cli_report_emit(o, write_book, &c, what);
	gw_book_free(&b);
	return rc;
}
