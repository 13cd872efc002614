/*
 * opsdeck_test: main of the test-only binary tests/opsdeck-test, which `make check`
 * builds from the same sources as opsdeck and never installs. It adds two test
 * hooks the release binary does not have (see tests/README.md):
 *
 *   OPSDECK_TEST_CLOCK=FILE  the wall clock follows FILE, read again whenever it
 *                            changes: "pin MS" (stands at MS), "offset MS" (real
 *                            time + MS, may be negative), "real" or no file.
 *                            Write it with a temporary file and mv, so a reader
 *                            never sees half of it (tests/lib.sh: test_clock).
 *   OPSDECK_NOW_MS=MS        the clock stands at MS (a FILE wins when both are set).
 *   OPSDECK_TEST_TURNS=FILE  the console writes its count of loop turns (wake-ups)
 *                            to FILE after each one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "clock.h"

enum testclock_mode { TESTCLOCK_REAL, TESTCLOCK_PIN, TESTCLOCK_OFFSET };

static struct {
	const char *path;        /* the control file; NULL: OPSDECK_NOW_MS only */
	enum testclock_mode mode;
	int64_t ms;              /* the pinned time, or the offset */
	struct stat seen;        /* the control file as last read: re-read when it differs */
	bool have_seen;
} testclock;

static int turns_fd = -1;

/* Parses "pin MS", "offset MS" or "real" (surrounding blanks allowed). -1 if neither. */
static int testclock_parse(const char *text, enum testclock_mode *mode, int64_t *ms)
{
	char word[16] = "";
	long long v = 0;
	char extra = 0;
	int n = sscanf(text, " %15s %lld %c", word, &v, &extra);

	if (n == 1 && strcmp(word, "real") == 0) {
		*mode = TESTCLOCK_REAL;
		*ms = 0;
		return 0;
	}
	if (n != 2)
		return -1;
	if (strcmp(word, "pin") == 0)
		*mode = TESTCLOCK_PIN;
	else if (strcmp(word, "offset") == 0)
		*mode = TESTCLOCK_OFFSET;
	else
		return -1;
	*ms = v;
	return 0;
}

/*
 * Re-reads the control file when its inode, size or mtime changed (one stat per
 * call). Returns -1 when its text is bad (said on stderr; the last good reading
 * stays), else 0.
 */
static int testclock_refresh(void)
{
	struct stat sb;
	char buf[128] = "";
	FILE *f = NULL;
	size_t n = 0;

	enum testclock_mode mode = TESTCLOCK_REAL;
	int64_t ms = 0;

	if (stat(testclock.path, &sb) < 0) {
		testclock.mode = TESTCLOCK_REAL; /* no file: real time */
		testclock.have_seen = false;
		return 0;
	}
	if (testclock.have_seen && sb.st_ino == testclock.seen.st_ino &&
	    sb.st_size == testclock.seen.st_size &&
	    sb.st_mtim.tv_sec == testclock.seen.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == testclock.seen.st_mtim.tv_nsec)
		return 0;
	f = fopen(testclock.path, "re");
	if (!f)
		return 0; /* replaced under us: the next call reads it */
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	testclock.seen = sb;
	testclock.have_seen = true;
	if (n > 0 && testclock_parse(buf, &mode, &ms) < 0) {
		fprintf(stderr, "opsdeck-test: %s: expected 'pin MS', 'offset MS' or 'real'\n",
			testclock.path);
		return -1;
	}
	testclock.mode = mode; /* an empty file: real time */
	testclock.ms = ms;
	return 0;
}

static int64_t testclock_now(void)
{
	if (testclock.path)
		(void)testclock_refresh(); /* said on stderr; the last good reading stays */
	switch (testclock.mode) {
	case TESTCLOCK_PIN:
		return testclock.ms;
	case TESTCLOCK_OFFSET:
		return clock_real_ms() + testclock.ms;
	default:
		return clock_real_ms();
	}
}

/* Writes the count over the last one: it only grows, so nothing is left behind. */
static void testhook_turn(unsigned long turns)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lu\n", turns);

	if (pwrite(turns_fd, buf, (size_t)n, 0) < 0) {
		/* the count is lost for this turn; the test sees an older one */
	}
}

int main(int argc, char **argv)
{
	const char *file = getenv("OPSDECK_TEST_CLOCK");
	const char *now = getenv("OPSDECK_NOW_MS");
	const char *turns = getenv("OPSDECK_TEST_TURNS");

	if (now && *now) {
		char *end = NULL;

		errno = 0;
		testclock.ms = strtoll(now, &end, 10);
		if (errno || *end) {
			fprintf(stderr, "opsdeck-test: OPSDECK_NOW_MS=%s is not a number of ms\n", now);
			return 2;
		}
		testclock.mode = TESTCLOCK_PIN;
	}
	if (file && *file) {
		testclock.path = file;
		if (testclock_refresh() < 0)
			return 2; /* a test's mistake: fail before doing anything */
	}
	if (testclock.path || testclock.mode != TESTCLOCK_REAL)
		clock_set_source(testclock_now);
	if (turns && *turns) {
		turns_fd = open(turns, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (turns_fd < 0) {
			fprintf(stderr, "opsdeck-test: %s: %s\n", turns, strerror(errno));
			return 2;
		}
		app_set_turn_hook(testhook_turn);
	}
	return opsdeck_main(argc, argv);
}
