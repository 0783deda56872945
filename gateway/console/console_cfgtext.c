/* A candidate gateway.yaml from the page: validated with every check `run` makes at start-up
 * (the daemon's validation, the one SIGHUP uses), its messages as `check` prints them
 * (FILE:LINE:COL: error: ...); applied only when good: the file replaced atomically, then
 * the daemon's reload. A bad candidate changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_int.h"

#define CONFIG_MAX (256 * 1024)

int console_config_get(struct gw_console *c, struct gw_http_resp *resp)
{
	FILE *f = fopen(c->env.cfg->path, "re");
	char *text = malloc(CONFIG_MAX + 1);
	size_t n = 0;

	if (f && text)
		n = fread(text, 1, CONFIG_MAX, f);
	if (f)
		fclose(f);
	if (!text)
		return -ENOMEM;
	if (!f) {
		free(text);
		return console_reply_error(resp, 500, "cannot read the running config file");
	}
	text[n] = '\0';
	resp->status = 200;
	resp->type = "text/plain; charset=utf-8";
	resp->body = text;
	resp->len = n;
	return gw_http_resp_header(resp, "Cache-Control", "no-store");
}

/* Runs the daemon's validation of text; its messages into *msgs (owned). Returns the
 * number of errors (0: good) or -errno. */
static int validate(struct gw_console *c, const char *text, char **msgs)
{
	struct gw_diag d;
	size_t len = 0;
	FILE *mem = open_memstream(msgs, &len);
	int rc;

	if (!mem)
		return -errno;
	gw_diag_init(&d, mem);
	rc = c->env.validate(c->env.cfg->path, text, &d);
	fclose(mem);
	if (rc && !d.nerrors)
		d.nerrors = 1;
	return rc ? d.nerrors : 0;
}

/* Replaces the config file with text (same mode; a temporary file renamed over it). */
static int replace_file(const char *path, const char *text, size_t len)
{
	char tmp[GW_PATH_LEN + 16];
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.console-new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int reply(struct gw_http_resp *resp, int errors, bool applied, const char *msgs,
                 const char *note)
{
	struct gw_strbuf o = {.len = strlen(msgs) * 6 + strlen(note) * 6 + 128};

	o.buf = malloc(o.len);
	if (!o.buf)
		return -ENOMEM;
	gw_sb_printf(&o, "{\"ok\":%s,\"errors\":%d,\"applied\":%s,\"messages\":",
	             errors ? "false" : "true", errors, applied ? "true" : "false");
	console_json_str(&o, msgs);
	gw_sb_printf(&o, ",\"note\":");
	console_json_str(&o, note);
	gw_sb_printf(&o, "}");
	return console_reply_json(resp, errors ? 422 : 200, &o);
}

int console_config_post(struct gw_console *c, const struct gw_http_req *req, const char *who,
                        bool apply, struct gw_http_resp *resp)
{
	size_t len;
	const char *text = gw_http_body(req, &len);
	char *msgs = NULL, note[GW_PATH_LEN + 128] = "";
	int errors, rc = 0;

	if (!len || memchr(text, '\0', len))
		return console_reply_error(resp, 400, "send the config's text as the body");
	pthread_mutex_lock(&c->apply_lock); /* one candidate at a time */
	errors = validate(c, text, &msgs);
	if (errors < 0) {
		pthread_mutex_unlock(&c->apply_lock);
		return errors;
	}
	if (apply && errors == 0) {
		rc = replace_file(c->env.cfg->path, text, len);
		if (rc)
			snprintf(note, sizeof(note), "cannot write %s: %s", c->env.cfg->path,
			         strerror(-rc));
		else
			snprintf(note, sizeof(note), "%s replaced; the gateway reloads",
			         c->env.cfg->path);
	}
	pthread_mutex_unlock(&c->apply_lock);
	if (apply)
		console_note(c, "config apply by %s: %s", who,
		             errors ? "refused (errors in the candidate)" : note);
	rc = reply(resp, errors, apply && !errors && !rc, msgs ? msgs : "", note);
	free(msgs);
	if (apply && !errors && note[0] && strstr(note, "reloads"))
		c->env.reload();
	return rc;
}
