/* Corpus replay for the fuzz targets without libFuzzer: feeds every file named
 * on the command line (directories are walked one level) to
 * LLVMFuzzerTestOneInput. Under ASan+UBSan this catches what the corpus hits. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)(n > 0 ? n : 0));
	free(buf);
	return 0;
}

static int run_dir(const char *dir, unsigned *count)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096];

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) == 0)
			(*count)++;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: not found\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i])) {
			fprintf(stderr, "replay: %s: cannot read\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode))
			count++;
	}
	printf("replay: %u inputs\n", count);
	return count ? 0 : 1;
}
