/*
 * testutil: helpers shared by the cmocka unit tests (temp folders, files).
 * Include after cmocka's prerequisites. Every test pins TZ and the locale via tu_init.
 */
#ifndef OPSDECK_TESTUTIL_H
#define OPSDECK_TESTUTIL_H

#include <stddef.h>

/* Pins TZ=UTC (unless tz is given) and a UTF-8 locale. Call first in main(). */
void tu_init(const char *tz);

/* Makes a new private temp folder; returns a malloc'd path the caller frees. Aborts on failure. */
char *tu_tmpdir(void);

/* Removes path and everything below it. */
void tu_rmrf(const char *path);

/* Writes content to path (created 0600, truncated). Aborts on failure. */
void tu_write_file(const char *path, const char *content);

/* Joins dir and name into a malloc'd path the caller frees. */
char *tu_join(const char *dir, const char *name);

/* Path of a file in the source tree (OPSDECK_TOP_SRCDIR or the build-time srcdir); malloc'd. */
char *tu_srcpath(const char *rel);

#endif
