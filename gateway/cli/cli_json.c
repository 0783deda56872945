/* JSON pieces for `check --json` and `scan --json`: string escaping and the diagnostics
 * array. Keys are part of the documented output (README, "Commands"); do not rename them. */
#include "cli_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gw_cli_json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_pos(FILE *out, const char *key, int v)
{
	if (v > 0)
		fprintf(out, ",\"%s\":%d", key, v);
	else
		fprintf(out, ",\"%s\":null", key);
}

static void keep(void *user, const char *severity, const char *file, int line, int col,
                 const char *message)
{
	struct gw_cli_json_diags *j = user;

	if (!j->mem)
		return;
	fputs(j->n++ ? ",{\"severity\":" : "{\"severity\":", j->mem);
	gw_cli_json_str(j->mem, severity);
	fputs(",\"file\":", j->mem);
	gw_cli_json_str(j->mem, file);
	json_pos(j->mem, "line", line);
	json_pos(j->mem, "col", col);
	fputs(",\"message\":", j->mem);
	gw_cli_json_str(j->mem, message);
	fputc('}', j->mem);
}

int gw_cli_json_diags_attach(struct gw_cli_json_diags *j, struct gw_diag *d)
{
	memset(j, 0, sizeof(*j));
	j->mem = open_memstream(&j->buf, &j->len);
	if (!j->mem)
		return -ENOMEM;
	d->hook = keep;
	d->hook_user = j;
	return 0;
}

void gw_cli_json_diags_flush(struct gw_cli_json_diags *j, FILE *out)
{
	fputc('[', out);
	if (j->mem) {
		fclose(j->mem);
		j->mem = NULL;
		if (j->buf)
			fwrite(j->buf, 1, j->len, out);
	}
	fputc(']', out);
	free(j->buf);
	j->buf = NULL;
	j->len = 0;
}
