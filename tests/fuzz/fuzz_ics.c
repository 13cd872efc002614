/*
 * fuzz_ics: libFuzzer target for the iCalendar importer. Parses the buffer and,
 * when it is accepted, expands every event over a month (rules, zones, EXDATE,
 * RDATE), so both the scanner and the expansion see hostile input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_ics_count(const struct calendar_occurrence *o, void *ctx)
{
	(void)o;
	++*(size_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct calendar c;
	struct err e = { { 0 } };
	size_t n = 0;

	memset(&c, 0, sizeof c);
	snprintf(c.zone, sizeof c.zone, "UTC");
	if (calendar_ics_parse("fuzz.ics", (const char *)data, size, &c, &e) == 0) {
		/* 2027-01-01 .. 2027-02-01 UTC */
		for (size_t i = 0; i < c.n_events && i < 16; i++)
			calendar_event_expand(&c.events[i], 1798761600000LL, 1801440000000LL,
					      fuzz_ics_count, &n, &e);
	}
	calendar_clear(&c);
	return 0;
}
