/*
 * fuzz: what every fuzz target in tests/fuzz/ shares. A target is one file,
 * fuzz_NAME.c, defining LLVMFuzzerTestOneInput; its seed corpus is corpus/NAME/.
 * `make fuzz` links it with libFuzzer (clang); `make check` links it with driver.c,
 * which replays the corpus. Targets must not leak, print or keep state that
 * changes the result of a later input.
 */
#ifndef OPSDECK_FUZZ_H
#define OPSDECK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer's entry point: one input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes the process's scratch file (atexit). */
static inline void fuzz_tmp_cleanup(void);

/* The process's scratch file: one per process, made on first use, removed at exit.
 * The loaders under test take a path, so each input goes through this file. It is
 * in $TMPDIR, else in /dev/shm: rewriting a file on ext4 costs a flush at each
 * close (its guard for files replaced by truncation), 50 inputs a second, not thousands. */
static inline const char *fuzz_tmp_path(void)
{
	static char path[4096];

	if (!path[0]) {
		const char *dir = getenv("TMPDIR");
		int fd;

		if (!dir || !*dir)
			dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(path, sizeof path, "%s/opsdeck-fuzz-XXXXXX.yaml", dir);
		fd = mkstemps(path, 5);
		if (fd < 0) {
			perror(path);
			abort();
		}
		close(fd);
		atexit(fuzz_tmp_cleanup);
	}
	return path;
}

static inline void fuzz_tmp_cleanup(void)
{
	unlink(fuzz_tmp_path());
}

/* Writes data[0..size) to the scratch file (truncating it); returns its path.
 * Aborts when the file cannot be written: that is the harness failing, not the target. */
static inline const char *fuzz_write_tmp(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmp_path();
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

/* Reports a broken invariant and aborts, so libFuzzer and the driver both see a crash. */
#define FUZZ_CHECK(cond)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                               \
		}                                                                              \
	} while (0)

#endif
