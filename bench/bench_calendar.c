/*
 * bench_calendar: expansion speed of the calendar engine. 50 calendars with 500
 * recurring, windows-like events between them (daily, weekly, monthly by
 * position, business-day BYSETPOS, in three zones) expanded over one year,
 * ROUNDS times: median and p99 in ms. --rules FILE writes the same events as
 * "ZONE DTSTART RRULE" lines for bench/calendar.sh's python-dateutil peer.
 * usage: bench_calendar [ROUNDS] [--rules FILE]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar/calendar.h"
#include "clock.h"

static const char *const bench_zones[] = { "Europe/Berlin", "America/New_York",
					   "Australia/Lord_Howe" };
static const char *const bench_rules[] = {
	"FREQ=DAILY",
	"FREQ=WEEKLY;BYDAY=SA,SU",
	"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
	"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-3,-2,-1",
	"FREQ=MONTHLY;BYDAY=2TU",
	"FREQ=MONTHLY;BYMONTHDAY=-1",
	"FREQ=MONTHLY;BYMONTHDAY=31",
	"FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=25,26,27,28,29,30,31",
	"FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=1,22",
	"FREQ=DAILY;INTERVAL=3",
};

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct calendar_set s = { NULL, 0, 0 };
	struct err e = { { 0 } };
	int rounds = 20;
	const char *rules_out = NULL;
	double *ms = NULL;
	size_t total = 0;
	int64_t from = 1798761600000LL; /* 2027-01-01T00:00:00Z */
	int64_t to = from + 365LL * 86400000;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			rules_out = argv[++i];
		else
			rounds = atoi(argv[i]) > 0 ? atoi(argv[i]) : rounds;
	}
	for (int c = 0; c < 50; c++) {
		struct calendar cal;

		memset(&cal, 0, sizeof cal);
		if (asprintf(&cal.name, "cal%02d", c) < 0)
			return 1;
		cal.kind = (enum calendar_kind)(c % 4);
		snprintf(cal.zone, sizeof cal.zone, "%s", bench_zones[c % 3]);
		cal.events = calloc(10, sizeof *cal.events);
		cal.n_events = 10;
		for (int k = 0; k < 10; k++) {
			struct calendar_event *ev = &cal.events[k];

			snprintf(ev->zone, sizeof ev->zone, "%s", bench_zones[(c + k) % 3]);
			ev->start = (struct calendar_local){ 2026, 1 + (k % 12), 1 + (c % 28), 22, 0, 0 };
			ev->duration_s = 4 * 3600;
			ev->rrule = strdup(bench_rules[(c + k) % 10]);
			ev->uid = strdup("b");
			ev->summary = strdup("window");
		}
		if (calendar_set_add(&s, &cal, &e) < 0)
			return 1;
	}
	if (rules_out) {
		FILE *f = fopen(rules_out, "w");

		for (size_t c = 0; f && c < s.n; c++)
			for (size_t k = 0; k < s.cals[c].n_events; k++) {
				const struct calendar_event *ev = &s.cals[c].events[k];

				fprintf(f, "%s %04d%02d%02dT%02d%02d%02d %s\n", ev->zone, ev->start.year,
					ev->start.month, ev->start.day, ev->start.hour, ev->start.minute,
					ev->start.second, ev->rrule);
			}
		if (f)
			fclose(f);
	}
	ms = calloc((size_t)rounds, sizeof *ms);
	for (int r = 0; r < rounds; r++) {
		struct calendar_occurrence *occ = NULL;
		size_t n = 0;
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (calendar_occurrences(&s, NULL, from, to, &occ, &n, &e) < 0) {
			fprintf(stderr, "bench_calendar: %s\n", e.msg);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		total = n;
		free(occ);
	}
	qsort(ms, (size_t)rounds, sizeof *ms, bench_cmp);
	printf("calendar expansion: 50 calendars, 500 events, one year: %zu occurrences\n", total);
	printf("  opsdeck (libical): median %.2f ms  p99 %.2f ms  (%d rounds)\n", ms[rounds / 2],
	       ms[(rounds * 99) / 100 < rounds ? (rounds * 99) / 100 : rounds - 1], rounds);
	free(ms);
	calendar_set_clear(&s);
	return 0;
}
