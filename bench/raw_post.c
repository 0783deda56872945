/* Benchmark helper (not part of the gateway): the yardstick for the InfluxDB drain. Posts
 * LINES_FILE (line protocol) to an InfluxDB 1.x at URL with plain libcurl, BATCH lines a
 * request, one reused handle, no gzip: what any poster could do at best on this machine.
 * Creates DB first. Prints: lines=N bytes=B seconds=S bytes_per_s=X
 * usage: raw_post URL DB LINES_FILE BATCH */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* POSTs body to url; returns the HTTP status, or -1. */
static long post(CURL *h, const char *url, const char *body, size_t len)
{
	long status = -1;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (curl_easy_perform(h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

int main(int argc, char **argv)
{
	char url[1024], q[256];
	size_t len = 0, pos = 0, lines = 0;
	long batch = argc == 5 ? strtol(argv[4], NULL, 10) : 0;
	char *body;
	double t0;
	CURL *h;

	if (argc != 5 || batch <= 0) {
		fprintf(stderr, "usage: raw_post URL DB LINES_FILE BATCH\n");
		return 2;
	}
	body = slurp(argv[3], &len);
	h = curl_easy_init();
	if (!body || !h)
		return 1;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	snprintf(url, sizeof(url), "%s/query", argv[1]);
	snprintf(q, sizeof(q), "q=CREATE DATABASE %s", argv[2]);
	if (post(h, url, q, strlen(q)) != 200)
		return 1;
	snprintf(url, sizeof(url), "%s/write?db=%s&precision=ms", argv[1], argv[2]);
	t0 = now_s();
	while (pos < len) {
		size_t end = pos;

		for (long k = 0; k < batch && end < len; k++) {
			char *nl = memchr(body + end, '\n', len - end);

			end = nl ? (size_t)(nl - body) + 1 : len;
			lines++;
		}
		if (post(h, url, body + pos, end - pos) != 204) {
			fprintf(stderr, "raw_post: write failed at byte %zu\n", pos);
			return 1;
		}
		pos = end;
	}
	printf("lines=%zu bytes=%zu seconds=%.2f bytes_per_s=%.0f\n", lines, len, now_s() - t0,
	       (double)len / (now_s() - t0));
	curl_easy_cleanup(h);
	free(body);
	return 0;
}
