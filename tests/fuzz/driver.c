/*
 * driver: a plain main() for the fuzz targets, so `make check` replays their corpus
 * with the normal build (ASan/UBSan when configured) and no clang. Every argument is
 * a file, or a folder whose files (not sub-folders, not dot-files) are read in name
 * order; each one is passed once to LLVMFuzzerTestOneInput. A crash or sanitiser
 * report ends the process; a missing or empty corpus is an error too, so a target
 * cannot pass by replaying nothing.
 *
 *   fuzz_sanitize tests/fuzz/corpus/sanitize [more files or folders]
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads path into a malloc'd buffer the caller frees; NULL with a message on failure. */
static uint8_t *driver_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *grown = NULL;
	size_t cap = 0, n = 0, got = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (!grown) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				buf = NULL;
				goto out;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

/* Runs one file through the target; 0, or -1 when it cannot be read. */
static int driver_one(const char *path)
{
	size_t len = 0;
	uint8_t *data = driver_read(path, &len);

	if (!data)
		return -1;
	/* Named before it runs: after a crash, the last name is the input to blame. */
	fprintf(stderr, "input: %s\n", path);
	/* An exact-size copy, so ASan sees a read past the input's end. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(data);
			return -1;
		}
		memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int driver_skip_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs every file of folder dir; returns how many ran, or -1 on an error. */
static int driver_dir(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, driver_skip_entry, alphasort);
	int ran = 0, rc = 0;

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (driver_one(path) == 0)
				ran++;
			else
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc ? -1 : ran;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		int ran;

		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		ran = S_ISDIR(sb.st_mode) ? driver_dir(argv[i]) : driver_one(argv[i]) == 0 ? 1 : -1;
		if (ran < 0)
			return 1;
		if (ran == 0) {
			fprintf(stderr, "%s: no inputs (a corpus needs at least one file)\n", argv[i]);
			return 1;
		}
		total += ran;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return 0;
}
