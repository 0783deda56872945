/* One streamed InfluxDB query; see influx_query.h. */
#include "influx_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept_influx.h"
#include "influx_http.h"
#include "log.h"

#define LINE_MAX_LEN 65536
#define MAX_COLS     64

struct q {
	gw_influxq_head_fn head_fn;
	gw_influxq_row_fn fn;
	void *user;
	char line[LINE_MAX_LEN], head_text[LINE_MAX_LEN];
	char *head[MAX_COLS];
	size_t nhead, pos;
};

static int on_line(struct q *s)
{
	char *v[MAX_COLS];
	size_t n = gw_accept_csv_split(s->line, v, MAX_COLS);

	if (n >= 2 && !strcmp(v[0], "name") && !strcmp(v[1], "tags")) {
		size_t off = 0;

		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(v[i]) + 1;

			memcpy(s->head_text + off, v[i], l);
			s->head[i] = s->head_text + off;
			off += l;
		}
		s->nhead = n;
		if (s->head_fn)
			s->head_fn(s->user, s->head, n);
		return 0;
	}
	if (!s->nhead || n != s->nhead)
		return 0;
	return s->fn(s->user, s->head, v, n);
}

static int on_chunk(void *user, const char *data, size_t len)
{
	struct q *s = user;

	for (size_t i = 0; i < len; i++) {
		int rc;

		if (data[i] != '\n') {
			if (s->pos + 1 >= sizeof(s->line))
				return -E2BIG;
			s->line[s->pos++] = data[i];
			continue;
		}
		if (s->pos && s->line[s->pos - 1] == '\r')
			s->pos--;
		s->line[s->pos] = '\0';
		s->pos = 0;
		rc = s->line[0] ? on_line(s) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

int gw_influxq_run(const struct gw_fleet_src *src, const char *password, const char *q,
                   gw_influxq_row_fn fn, void *user)
{
	return gw_influxq_stream(src, password, q, NULL, fn, user);
}

int gw_influxq_stream(const struct gw_fleet_src *src, const char *password, const char *q,
                      gw_influxq_head_fn head_fn, gw_influxq_row_fn fn, void *user)
{
	struct q *s = calloc(1, sizeof(*s));
	char url[8192];
	size_t pos;
	long status = 0;
	int rc = s ? 0 : -ENOMEM;

	pos = (size_t)snprintf(url, sizeof(url),
	                       "%s/query?epoch=ms&chunked=true&chunk_size=5000&db=", src->url);
	if (rc == 0 &&
	    (pos >= sizeof(url) || gw_influx_escape(url, sizeof(url), &pos, src->database) ||
	     pos + 3 >= sizeof(url)))
		rc = -ENAMETOOLONG;
	if (rc == 0) {
		strcpy(url + pos, "&q=");
		pos += 3;
		if (gw_influx_escape(url, sizeof(url), &pos, q))
			rc = -ENAMETOOLONG;
	}
	if (rc == 0) {
		s->head_fn = head_fn;
		s->fn = fn;
		s->user = user;
		rc = gw_influx_get_stream(url, src->username, password, "application/csv", on_chunk,
		                          s, &status);
	}
	if (rc == 0 && s->pos)
		rc = on_chunk(s, "\n", 1);
	if (rc == 0 && status != 200) {
		gw_log(GW_ERR, "accept", "url=%s query failed: HTTP %ld", src->url, status);
		rc = -EIO;
	}
	free(s);
	return rc;
}

void gw_influxq_password(const struct gw_fleet_src *src, char *buf, size_t len)
{
	FILE *fp = src->password_file[0] ? fopen(src->password_file, "r") : NULL;

	buf[0] = '\0';
	if (!fp)
		return;
	if (fgets(buf, (int)len, fp))
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(fp);
}
