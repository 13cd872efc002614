/*
 * clock: the single source of "now". Stored times are UTC ms since the epoch;
 * people see local time. Unit tests pin the clock (clock_pin); the test-only
 * binary (tests/opsdeck_test.c) installs a source of its own (clock_set_source).
 * The release binary reads nothing from its environment here: no one can
 * backdate a log entry or an incident by setting a variable.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static bool pinned;
static int64_t pinned_ms;
static clock_source_fn source; /* NULL: the real clock */

void clock_set_source(clock_source_fn fn)
{
	source = fn;
}

void clock_pin(int64_t ms)
{
	pinned = true;
	pinned_ms = ms;
}

void clock_unpin(void)
{
	pinned = false;
}

int64_t clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
	if (pinned)
		return pinned_ms;
	if (source)
		return source();
	return clock_real_ms();
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Floor division so times before the epoch still format correctly. */
static time_t ms_to_secs(int64_t ms)
{
	return (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
}

void clock_format_local(int64_t ms, char *buf, size_t len)
{
	time_t t = ms_to_secs(ms);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

void clock_format_utc(int64_t ms, char *buf, size_t len)
{
	time_t t = ms_to_secs(ms);
	struct tm tm;
	char base[32];

	if (!gmtime_r(&t, &tm) || strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms - (int64_t)t * 1000));
}

/*
 * "-30m", "-2h", "-7d", "-45s": a time that far before now. -1 when not such a
 * time; -1 with errno = ERANGE when the offset or the result does not fit in
 * int64 ms (so callers can say "out of range" instead of "not a time").
 */
static int parse_relative(const char *s, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		      { 'w', 7 * 86400000LL } };
	char *end = NULL;
	long long n = 0;
	int64_t off = 0, t = 0;

	errno = 0;
	n = strtoll(s + 1, &end, 10);
	if (end == s + 1 || n < 0 || end[0] == '\0' || end[1] != '\0') {
		errno = 0;
		return -1;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (units[i].unit != *end)
			continue;
		/* strtoll's own ERANGE, n * unit, and now - offset are all range errors. */
		if (errno == ERANGE || __builtin_mul_overflow((int64_t)n, units[i].ms, &off) ||
		    __builtin_sub_overflow(clock_now_ms(), off, &t)) {
			errno = ERANGE;
			return -1;
		}
		*ms = t;
		return 0;
	}
	errno = 0;
	return -1;
}

int clock_parse(const char *text, int64_t *ms)
{
	struct tm tm;
	const char *p = NULL;
	bool utc = false;
	time_t t;
	char buf[64];
	size_t len;

	if (!text)
		return -1;
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strcmp(buf, "now") == 0) {
		*ms = clock_now_ms();
		return 0;
	}
	if (buf[0] == '-')
		return parse_relative(buf, ms);
	if (buf[len - 1] == 'Z' || buf[len - 1] == 'z') {
		utc = true;
		buf[--len] = '\0';
	}
	memset(&tm, 0, sizeof tm);
	p = strptime(buf, "%Y-%m-%d", &tm);
	if (!p)
		return -1;
	if (*p == 'T' || *p == ' ') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);

		if (!q)
			q = strptime(p + 1, "%H:%M", &tm);
		p = q;
	}
	if (!p || *p != '\0')
		return -1;
	if (utc) {
		t = timegm(&tm);
	} else {
		tm.tm_isdst = -1; /* let mktime decide across DST changes */
		t = mktime(&tm);
	}
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}
