/* testutil: see testutil.h. */
#define _GNU_SOURCE /* asprintf, nftw */
#include <ftw.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "testutil.h"

void tu_init(const char *tz)
{
	setenv("TZ", tz ? tz : "UTC", 1);
	tzset();
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	unsetenv("OPSDECK_NOW_MS");
}

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = NULL;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&p, "%s/opsdeck-test.XXXXXX", base) < 0)
		abort();
	if (!mkdtemp(p))
		abort();
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(content);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len)
		abort();
	close(fd);
}

char *tu_join(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

char *tu_srcpath(const char *rel)
{
	const char *top = getenv("OPSDECK_TOP_SRCDIR");

	if (!top || !*top)
		top = OPSDECK_SRCDIR;
	return tu_join(top, rel);
}
