/*
 * Unit tests for core/calendar: RFC 5545's recurrence examples (3.8.5.3) checked by
 * hand, DST gap and fold in Europe/Berlin, America/New_York and Australia/Lord_Howe
 * (a 30-minute DST), the rules the issue lists, a differential test against
 * python-dateutil (tests/rrule_oracle.py), the malformed .ics corpus
 * (tests/corpus/ics: file:line:col, no crash), the .ics round trip, YAML errors,
 * and the store's import, diff and reload. TZ is pinned by tu_init.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "calendar/calendar_store.h"
#include "clock.h"
#include "store.h"
#include "testutil.h"

/* UTC ms of "YYYY-MM-DDTHH:MM:SSZ". */
static int64_t tc_utc(const char *s)
{
	int64_t ms = 0;

	assert_int_equal(clock_parse(s, &ms), 0);
	return ms;
}

struct tc_buf {
	char *text;
	size_t len;
	FILE *f;
	int n;
};

static int tc_put(const struct calendar_occurrence *o, void *ctx)
{
	struct tc_buf *b = ctx;
	char s[40];

	calendar_format_offset(o->start_ms, o->start_off_s, s, sizeof s);
	fprintf(b->f, "%s%s%s", b->n++ ? " " : "", s,
		(o->flags & CALENDAR_OCC_GAP) ? "(gap)" : (o->flags & CALENDAR_OCC_FOLD) ? "(fold)" : "");
	return 0;
}

/* The starts of one event's occurrences in [from, to), space separated (caller frees). */
static char *tc_expand_ev(const struct calendar_event *ev, const char *from, const char *to)
{
	struct tc_buf b = { NULL, 0, NULL, 0 };
	struct err e = { { 0 } };
	int rc;

	b.f = open_memstream(&b.text, &b.len);
	rc = calendar_event_expand(ev, tc_utc(from), tc_utc(to), tc_put, &b, &e);
	fclose(b.f);
	if (rc != 0) {
		print_error("expand failed: %s\n", e.msg);
		fail();
	}
	return b.text;
}

static void tc_event(struct calendar_event *ev, const char *zone, const char *start,
		     const char *rule)
{
	struct calendar_stamp s;

	memset(ev, 0, sizeof *ev);
	snprintf(ev->zone, sizeof ev->zone, "%s", zone);
	assert_int_equal(sscanf(start, "%4d%2d%2dT%2d%2d%2d", &s.t.year, &s.t.month, &s.t.day,
				&s.t.hour, &s.t.minute, &s.t.second), 6);
	ev->start = s.t;
	ev->uid = strdup("t");
	ev->summary = strdup("t");
	ev->rrule = rule ? strdup(rule) : NULL;
}

static char *tc_expand(const char *zone, const char *start, const char *rule, const char *from,
		       const char *to)
{
	struct calendar_event ev;
	char *out = NULL;

	tc_event(&ev, zone, start, rule);
	out = tc_expand_ev(&ev, from, to);
	calendar_event_clear(&ev);
	return out;
}

#define TC_EXPECT(got, want)                                                                        \
	do {                                                                                       \
		char *g_ = (got);                                                                  \
		if (strcmp(g_, (want)) != 0) {                                                     \
			print_error("got:  %s\nwant: %s\n", g_, (want));                           \
			free(g_);                                                                  \
			fail();                                                                    \
		}                                                                                  \
		free(g_);                                                                          \
	} while (0)

#define NY "America/New_York"
#define WIDE "1997-01-01T00:00:00Z", "2001-01-01T00:00:00Z"

/* RFC 5545 3.8.5.3, in America/New_York as the RFC writes them. */
static void test_rfc5545_examples(void **state)
{
	(void)state;
	TC_EXPECT(tc_expand(NY, "19970902T090000", "FREQ=DAILY;COUNT=10", WIDE),
		  "1997-09-02T09:00:00-04:00 1997-09-03T09:00:00-04:00 1997-09-04T09:00:00-04:00 "
		  "1997-09-05T09:00:00-04:00 1997-09-06T09:00:00-04:00 1997-09-07T09:00:00-04:00 "
		  "1997-09-08T09:00:00-04:00 1997-09-09T09:00:00-04:00 1997-09-10T09:00:00-04:00 "
		  "1997-09-11T09:00:00-04:00");
	TC_EXPECT(tc_expand(NY, "19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5", WIDE),
		  "1997-09-02T09:00:00-04:00 1997-09-12T09:00:00-04:00 1997-09-22T09:00:00-04:00 "
		  "1997-10-02T09:00:00-04:00 1997-10-12T09:00:00-04:00");
	/* First Friday, 10 times: crosses the end of DST (EST from November). */
	TC_EXPECT(tc_expand(NY, "19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR", WIDE),
		  "1997-09-05T09:00:00-04:00 1997-10-03T09:00:00-04:00 1997-11-07T09:00:00-05:00 "
		  "1997-12-05T09:00:00-05:00 1998-01-02T09:00:00-05:00 1998-02-06T09:00:00-05:00 "
		  "1998-03-06T09:00:00-05:00 1998-04-03T09:00:00-05:00 1998-05-01T09:00:00-04:00 "
		  "1998-06-05T09:00:00-04:00");
	TC_EXPECT(tc_expand(NY, "19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", WIDE),
		  "1997-09-22T09:00:00-04:00 1997-10-20T09:00:00-04:00 1997-11-17T09:00:00-05:00 "
		  "1997-12-22T09:00:00-05:00 1998-01-19T09:00:00-05:00 1998-02-16T09:00:00-05:00");
	/* Negative BYMONTHDAY: the third-to-last day. */
	TC_EXPECT(tc_expand(NY, "19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3",
			    "1997-01-01T00:00:00Z", "1998-03-01T00:00:00Z"),
		  "1997-09-28T09:00:00-04:00 1997-10-29T09:00:00-05:00 1997-11-28T09:00:00-05:00 "
		  "1997-12-29T09:00:00-05:00 1998-01-29T09:00:00-05:00 1998-02-26T09:00:00-05:00");
	TC_EXPECT(tc_expand(NY, "19970904T090000", "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
			    WIDE),
		  "1997-09-04T09:00:00-04:00 1997-10-07T09:00:00-04:00 1997-11-06T09:00:00-05:00");
	TC_EXPECT(tc_expand(NY, "19970929T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
			    "1997-01-01T00:00:00Z", "1998-04-01T00:00:00Z"),
		  "1997-09-29T09:00:00-04:00 1997-10-30T09:00:00-05:00 1997-11-27T09:00:00-05:00 "
		  "1997-12-30T09:00:00-05:00 1998-01-29T09:00:00-05:00 1998-02-26T09:00:00-05:00 "
		  "1998-03-30T09:00:00-05:00");
	/* BYWEEKNO: Monday of week 20. */
	TC_EXPECT(tc_expand(NY, "19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
			    "1997-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
		  "1997-05-12T09:00:00-04:00 1998-05-11T09:00:00-04:00 1999-05-17T09:00:00-04:00");
	/* An invalid date (30 February) is skipped, not moved. */
	TC_EXPECT(tc_expand(NY, "20070115T090000", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
			    "2007-01-01T00:00:00Z", "2008-01-01T00:00:00Z"),
		  "2007-01-15T09:00:00-05:00 2007-01-30T09:00:00-05:00 2007-02-15T09:00:00-05:00 "
		  "2007-03-15T09:00:00-04:00 2007-03-30T09:00:00-04:00");
}

static size_t tc_count(const char *s)
{
	size_t n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == ' ';
	return n;
}

/* Every other week on MO, WE, FR until 24 December 1997: 25 occurrences (RFC 5545). */
static void test_rfc5545_until_count(void **state)
{
	char *s = tc_expand(NY, "19970901T090000",
			    "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", WIDE);

	(void)state;
	assert_int_equal(tc_count(s), 25);
	assert_non_null(strstr(s, "1997-12-22T09:00:00-05:00"));
	free(s);
	/* UNTIL is inclusive: an occurrence exactly at UNTIL counts. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270101T090000", "FREQ=DAILY;UNTIL=20270103T080000Z",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-01T09:00:00+01:00 2027-01-02T09:00:00+01:00 2027-01-03T09:00:00+01:00");
	/* UNTIL as a date covers that whole local day. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270101T230000", "FREQ=DAILY;UNTIL=20270102",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-01T23:00:00+01:00 2027-01-02T23:00:00+01:00");
	/* COUNT counts occurrences from DTSTART, even those before the range. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270101T090000", "FREQ=DAILY;COUNT=3",
			    "2027-01-02T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-02T09:00:00+01:00 2027-01-03T09:00:00+01:00");
}

/* Gap: the offset before the gap. Fold: the first instance. In three zones. */
static void test_dst_gap_and_fold(void **state)
{
	struct calendar_local t;
	int64_t ms = 0;
	unsigned fl = 0;
	static const struct {
		const char *zone;
		struct calendar_local t;
		const char *utc;
		unsigned flag;
	} cases[] = {
		{ "Europe/Berlin", { 2027, 3, 28, 2, 30, 0 }, "2027-03-28T01:30:00Z", CALENDAR_OCC_GAP },
		{ "Europe/Berlin", { 2027, 10, 31, 2, 30, 0 }, "2027-10-31T00:30:00Z", CALENDAR_OCC_FOLD },
		{ "Europe/Berlin", { 2027, 10, 31, 3, 30, 0 }, "2027-10-31T02:30:00Z", 0 },
		{ NY, { 2027, 3, 14, 2, 30, 0 }, "2027-03-14T07:30:00Z", CALENDAR_OCC_GAP },
		{ NY, { 2027, 11, 7, 1, 30, 0 }, "2027-11-07T05:30:00Z", CALENDAR_OCC_FOLD },
		{ "Australia/Lord_Howe", { 2027, 10, 3, 2, 15, 0 }, "2027-10-02T15:45:00Z",
		  CALENDAR_OCC_GAP },
		{ "Australia/Lord_Howe", { 2027, 4, 4, 1, 45, 0 }, "2027-04-03T14:45:00Z",
		  CALENDAR_OCC_FOLD },
		{ "Australia/Lord_Howe", { 2027, 4, 4, 2, 15, 0 }, "2027-04-03T15:45:00Z", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = cases[i].t;
		calendar_local_to_utc(cases[i].zone, &t, &ms, &fl);
		if (ms != tc_utc(cases[i].utc) || fl != cases[i].flag) {
			char got[32];

			calendar_format_utc(ms, got, sizeof got);
			print_error("%s case %zu: got %s flags %u, want %s flags %u\n", cases[i].zone, i,
				    got, fl, cases[i].utc, cases[i].flag);
			fail();
		}
	}
	/* A weekly rule through the gap and the fold: flagged and shown with the offset in force. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270321T023000", "FREQ=WEEKLY;COUNT=3",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-03-21T02:30:00+01:00 2027-03-28T03:30:00+02:00(gap) 2027-04-04T02:30:00+02:00");
	TC_EXPECT(tc_expand("Australia/Lord_Howe", "20270926T021500", "FREQ=WEEKLY;COUNT=3",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-09-26T02:15:00+10:30 2027-10-03T02:45:00+11:00(gap) 2027-10-10T02:15:00+11:00");
	TC_EXPECT(tc_expand(NY, "20271031T013000", "FREQ=WEEKLY;COUNT=3", "2027-01-01T00:00:00Z",
			    "2028-01-01T00:00:00Z"),
		  "2027-10-31T01:30:00-04:00 2027-11-07T01:30:00-04:00(fold) 2027-11-14T01:30:00-05:00");
}

/* A gap occurrence's note says what happened, in words. */
static void test_note(void **state)
{
	struct calendar_event ev;
	struct calendar_occurrence o;
	struct calendar_local t = { 2027, 3, 28, 2, 30, 0 };
	char note[512];

	(void)state;
	tc_event(&ev, "Europe/Berlin", "20270328T023000", NULL);
	memset(&o, 0, sizeof o);
	o.ev = &ev;
	o.local = t;
	calendar_local_to_utc(ev.zone, &t, &o.start_ms, &o.flags);
	o.start_off_s = calendar_zone_offset(ev.zone, o.start_ms);
	calendar_occurrence_note(&o, note, sizeof note);
	assert_non_null(strstr(note, "DST gap: 02:30 does not exist on 2027-03-28 in Europe/Berlin"));
	assert_non_null(strstr(note, "(+01:00)"));
	assert_non_null(strstr(note, "03:30:00+02:00"));
	calendar_event_clear(&ev);
}

static void test_business_rules(void **state)
{
	struct calendar_event ev;
	struct calendar_stamp ex[2];

	(void)state;
	/* The last three business days of the month. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270101T000000",
			    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-3,-2,-1",
			    "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z"),
		  "2027-01-27T00:00:00+01:00 2027-01-28T00:00:00+01:00 2027-01-29T00:00:00+01:00 "
		  "2027-02-24T00:00:00+01:00 2027-02-25T00:00:00+01:00 2027-02-26T00:00:00+01:00");
	/* Month ends: BYMONTHDAY=31 skips the short months (RFC 5545). */
	TC_EXPECT(tc_expand("Europe/Berlin", "20270131T090000", "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-31T09:00:00+01:00 2027-03-31T09:00:00+02:00 2027-05-31T09:00:00+02:00 "
		  "2027-07-31T09:00:00+02:00");
	/* Leap days: 29 February only in leap years. */
	TC_EXPECT(tc_expand("Europe/Berlin", "20280229T090000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3",
			    "2028-01-01T00:00:00Z", "2040-01-01T00:00:00Z"),
		  "2028-02-29T09:00:00+01:00 2032-02-29T09:00:00+01:00 2036-02-29T09:00:00+01:00");
	/* Negative BYMONTHDAY: the last day of each month. */
	TC_EXPECT(tc_expand("Australia/Lord_Howe", "20270131T090000", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
			    "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-31T09:00:00+11:00 2027-02-28T09:00:00+11:00 2027-03-31T09:00:00+11:00");
	/* EXDATE in another zone than DTSTART, and in UTC. */
	tc_event(&ev, "Europe/Berlin", "20270104T090000", "FREQ=DAILY;COUNT=4");
	memset(ex, 0, sizeof ex);
	ex[0].t = (struct calendar_local){ 2027, 1, 5, 3, 0, 0 };
	snprintf(ex[0].zone, sizeof ex[0].zone, "%s", NY);
	ex[1].t = (struct calendar_local){ 2027, 1, 6, 8, 0, 0 };
	ex[1].utc = true;
	ev.exdates = malloc(sizeof ex);
	memcpy(ev.exdates, ex, sizeof ex);
	ev.n_exdates = 2;
	TC_EXPECT(tc_expand_ev(&ev, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
		  "2027-01-04T09:00:00+01:00 2027-01-07T09:00:00+01:00");
	calendar_event_clear(&ev);
	/* A window that spans midnight is one occurrence, found from the next day. */
	tc_event(&ev, "Europe/Berlin", "20270104T220000", "FREQ=WEEKLY;BYDAY=MO");
	ev.duration_s = 4 * 3600;
	TC_EXPECT(tc_expand_ev(&ev, "2027-01-05T00:30:00Z", "2027-01-05T00:31:00Z"),
		  "2027-01-04T22:00:00+01:00");
	calendar_event_clear(&ev);
}

/* Refused rules: a clear message, never a silent drop. */
static void test_rules_refused(void **state)
{
	static const struct {
		const char *rule, *msg;
	} bad[] = {
		{ "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z", "both UNTIL and COUNT" },
		{ "FREQ=DAILY;COUNT=99999999999", "COUNT=" },
		{ "FREQ=FORTNIGHTLY", "unknown FREQ" },
		{ "FREQ=MONTHLY;BYWEEKNO=3", "only valid with FREQ=YEARLY" },
		{ "FREQ=MONTHLY;BYMONTHDAY=0", "out of range" },
		{ "FREQ=MONTHLY;RSCALE=GREGORIAN", "not supported" },
		{ "FREQ=SECONDLY", "not supported" },
		{ "BYDAY=MO", "no FREQ" },
		{ "FREQ=WEEKLY;BYSETPOS=1", "BYSETPOS needs" },
		{ "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO", "BYWEEKNO=53 is refused" },
		{ "FREQ=YEARLY;BYWEEKNO=-1", "BYWEEKNO=-1 is refused" },
	};
	struct err e = { { 0 } };
	size_t off = 0;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (calendar_rrule_check(bad[i].rule, &off, &e) == 0 || !strstr(e.msg, bad[i].msg)) {
			print_error("%s: '%s'\n", bad[i].rule, e.msg);
			fail();
		}
	}
	/* A rule that never occurs is refused by libical, not looped on. */
	{
		struct calendar_event ev;
		struct tc_buf b = { NULL, 0, NULL, 0 };

		tc_event(&ev, "UTC", "20270101T000000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30");
		b.f = open_memstream(&b.text, &b.len);
		assert_int_equal(calendar_event_expand(&ev, 0, tc_utc("2030-01-01T00:00:00Z"), tc_put,
						       &b, &e), -1);
		fclose(b.f);
		free(b.text);
		assert_non_null(strstr(e.msg, "libical cannot expand"));
		calendar_event_clear(&ev);
	}
	/* The step limit is 200,000 (fuzz_ics found an hourly rule from the year 1013 that
	 * took 22 s under ASan at the old 2,000,000): an hourly rule from 2000 needs
	 * 236,000 steps to reach 2027 and is refused; one from 2020 still reaches it. */
	{
		struct calendar_event ev;
		struct tc_buf b = { NULL, 0, NULL, 0 };

		tc_event(&ev, "UTC", "20000101T000000", "FREQ=HOURLY");
		b.f = open_memstream(&b.text, &b.len);
		assert_int_equal(calendar_event_expand(&ev, tc_utc("2027-01-01T00:00:00Z"),
						       tc_utc("2027-01-02T00:00:00Z"), tc_put, &b, &e), -1);
		fclose(b.f);
		free(b.text);
		assert_non_null(strstr(e.msg, "steps to reach the range: refused rather than cut short"));
		calendar_event_clear(&ev);
		tc_event(&ev, "UTC", "20200101T000000", "FREQ=HOURLY");
		b.text = NULL;
		b.f = open_memstream(&b.text, &b.len);
		assert_int_equal(calendar_event_expand(&ev, tc_utc("2027-01-01T00:00:00Z"),
						       tc_utc("2027-01-02T00:00:00Z"), tc_put, &b, &e), 0);
		fclose(b.f);
		free(b.text);
		calendar_event_clear(&ev);
	}
}

/* The same rules through python-dateutil (tests/rrule_oracle.py, one process for all
 * cases) give the same instants, in three zones. */
static void test_differential_dateutil(void **state)
{
	static const char *const zones[] = { "Europe/Berlin", NY, "Australia/Lord_Howe" };
	static const struct {
		const char *start, *rule;
	} rules[] = {
		{ "20260101T023000", "FREQ=DAILY;COUNT=800" },
		{ "20260105T013000", "FREQ=WEEKLY;BYDAY=SU;COUNT=120" },
		{ "20260101T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-3,-2,-1" },
		{ "20260131T220000", "FREQ=MONTHLY;BYMONTHDAY=31" },
		{ "20260101T080000", "FREQ=MONTHLY;BYMONTHDAY=-1,-2" },
		{ "20260101T080000", "FREQ=MONTHLY;BYMONTHDAY=1,15;BYDAY=MO" },
		{ "20260105T060000", "FREQ=YEARLY;BYWEEKNO=2,20,51;BYDAY=MO" },
		{ "20260105T060000", "FREQ=YEARLY;BYWEEKNO=10;BYDAY=MO,FR;WKST=SU" },
		{ "20280229T120000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29" },
		{ "20260101T000000", "FREQ=YEARLY;BYYEARDAY=1,100,-1" },
		{ "20260101T020000", "FREQ=HOURLY;INTERVAL=7;COUNT=3000" },
		{ "20260102T021500", "FREQ=MONTHLY;BYDAY=1SU,-1SU" },
		{ "20260101T090000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20271231T000000Z" },
		{ "20260301T090000", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=2,3;BYMINUTE=30" },
		{ "20260101T090000", "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR" },
		{ "20260101T090000", "FREQ=DAILY;BYMONTH=1,4,7,10;BYDAY=MO;BYSETPOS=1" },
		{ "20260105T090000", "FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=MO,SU;COUNT=50" },
	};
	enum { NZ = sizeof zones / sizeof zones[0], NR = sizeof rules / sizeof rules[0] };
	char *script = tu_srcpath("tests/rrule_oracle.py");
	char *dir = tu_tmpdir();
	char *cases = tu_join(dir, "cases");
	char *cmd = NULL, *want = NULL, *cursor = NULL;
	size_t wl = 0;
	FILE *f = fopen(cases, "w");
	FILE *p = NULL, *w = NULL;
	char line[128];
	int64_t from = tc_utc("2026-01-01T00:00:00Z"), to = tc_utc("2030-01-01T00:00:00Z");

	(void)state;
	assert_non_null(f);
	for (size_t z = 0; z < NZ; z++)
		for (size_t i = 0; i < NR; i++)
			fprintf(f, "%s %s %s 20260101T000000Z 20300101T000000Z\n", zones[z],
				rules[i].start, rules[i].rule);
	fclose(f);
	assert_true(asprintf(&cmd, "python3 '%s' --batch '%s'", script, cases) > 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	w = open_memstream(&want, &wl);
	while (fgets(line, sizeof line, p))
		fputs(line, w);
	fclose(w);
	if (pclose(p) != 0) {
		print_error("%s failed: is python3-dateutil installed (tools/install-deps)?\n", cmd);
		fail();
	}
	cursor = want;
	for (size_t z = 0; z < NZ; z++) {
		for (size_t i = 0; i < NR; i++) {
			struct calendar_occurrence *occ = NULL;
			struct calendar_set s = { NULL, 0, 0 };
			struct calendar c;
			struct err e = { { 0 } };
			char *got = NULL, *sep = strstr(cursor, "--\n");
			size_t n = 0, gl = 0;
			FILE *g = open_memstream(&got, &gl);

			assert_non_null(sep);
			*sep = '\0';
			memset(&c, 0, sizeof c);
			c.name = strdup("d");
			c.events = calloc(1, sizeof *c.events);
			tc_event(&c.events[0], zones[z], rules[i].start, rules[i].rule);
			c.n_events = 1;
			assert_int_equal(calendar_set_add(&s, &c, &e), 0);
			if (calendar_occurrences(&s, NULL, from, to, &occ, &n, &e) != 0) {
				print_error("%s %s: %s\n", zones[z], rules[i].rule, e.msg);
				fail();
			}
			for (size_t k = 0; k < n; k++) {
				calendar_format_utc(occ[k].start_ms, line, sizeof line);
				fprintf(g, "%s\n", line);
			}
			fclose(g);
			free(occ);
			calendar_set_clear(&s);
			if (strcmp(got, cursor) != 0) {
				print_error("%s %s %s: libical and dateutil differ\nopsdeck:\n%.600s\n"
					    "dateutil:\n%.600s\n", zones[z], rules[i].start, rules[i].rule,
					    got, cursor);
				fail();
			}
			assert_true(n > 0);
			free(got);
			cursor = sep + 3;
		}
	}
	free(want);
	free(cmd);
	free(cases);
	tu_rmrf(dir);
	free(dir);
	free(script);
}

/* Every file of the malformed corpus: refused with file:line:col, no crash. */
static void test_malformed_corpus(void **state)
{
	char *dir = tu_srcpath("tests/corpus/ics");
	DIR *d = opendir(dir);
	struct dirent *de = NULL;
	regex_t re;
	int files = 0;

	(void)state;
	assert_non_null(d);
	assert_int_equal(regcomp(&re, "^[^:]+\\.ics:[0-9]+:[0-9]+: [^ ]", REG_EXTENDED), 0);
	while ((de = readdir(d))) {
		struct calendar c;
		struct err e = { { 0 } };
		char *path = NULL;

		if (de->d_name[0] == '.')
			continue;
		path = tu_join(dir, de->d_name);
		memset(&c, 0, sizeof c);
		if (calendar_ics_load(path, &c, &e) == 0) {
			print_error("%s was accepted\n", path);
			fail();
		}
		if (regexec(&re, e.msg, 0, NULL, 0) != 0) {
			print_error("%s: '%s' is not file:line:col: message\n", path, e.msg);
			fail();
		}
		calendar_clear(&c);
		free(path);
		files++;
	}
	closedir(d);
	regfree(&re);
	free(dir);
	assert_true(files >= 6);
}

static const char tc_ics[] =
	"BEGIN:VCALENDAR\r\n"
	"VERSION:2.0\r\n"
	"PRODID:-//test//EN\r\n"
	"X-WR-TIMEZONE:Europe/Berlin\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:close@test\r\n"
	"SUMMARY:Month-end close\\, books\r\n"
	"DTSTART;VALUE=DATE:20270101\r\n"
	"RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-3,-2,-1\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:patch@test\r\n"
	"SUMMARY:Patch night\r\n"
	"DTSTART;TZID=America/New_York:20270104T220000\r\n"
	"DTEND;TZID=America/New_York:20270105T020000\r\n"
	"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T000000Z\r\n"
	"EXDATE;TZID=Europe/Berlin:20270112T040000\r\n"
	"RDATE;TZID=America/New_York:20270107T220000\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:patch@test\r\n"
	"RECURRENCE-ID;TZID=America/New_York:20270118T220000\r\n"
	"SUMMARY:Patch night (moved)\r\n"
	"DTSTART;TZID=America/New_York:20270119T230000\r\n"
	"DURATION:PT3H\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:gap@test\r\n"
	"SUMMARY:Lord Howe \r\n"
	" early\r\n"
	"DTSTART;TZID=Australia/Lord_Howe:20270926T021500\r\n"
	"DURATION:PT1H\r\n"
	"RRULE:FREQ=WEEKLY;COUNT=4\r\n"
	"END:VEVENT\r\n"
	"END:VCALENDAR\r\n";

/* Occurrences of c in 2027 as text: start, end, summary per line (caller frees). */
static char *tc_occ_text(struct calendar *c)
{
	struct calendar_set s = { NULL, 0, 0 };
	struct calendar_occurrence *occ = NULL;
	struct err e = { { 0 } };
	char *out = NULL;
	size_t n = 0, len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(calendar_set_add(&s, c, &e), 0);
	if (calendar_occurrences(&s, NULL, tc_utc("2027-01-01T00:00:00Z"),
				 tc_utc("2028-01-01T00:00:00Z"), &occ, &n, &e) != 0) {
		print_error("%s\n", e.msg);
		fail();
	}
	for (size_t i = 0; i < n; i++) {
		char a[40], b[40];

		calendar_format_offset(occ[i].start_ms, occ[i].start_off_s, a, sizeof a);
		calendar_format_offset(occ[i].end_ms, occ[i].end_off_s, b, sizeof b);
		fprintf(f, "%s %s %d %s\n", a, b, occ[i].ev->all_day, occ[i].ev->summary);
	}
	fclose(f);
	free(occ);
	calendar_set_clear(&s);
	return out;
}

static void tc_parse(const char *text, struct calendar *c)
{
	struct err e = { { 0 } };

	memset(c, 0, sizeof *c);
	c->name = strdup("rt");
	if (calendar_ics_parse("t.ics", text, strlen(text), c, &e) != 0) {
		print_error("%s\n", e.msg);
		fail();
	}
}

static void test_ics_read_and_round_trip(void **state)
{
	struct calendar c, back;
	char *first = NULL, *second = NULL, *exported = NULL;
	size_t len = 0;
	FILE *f = NULL;
	struct err e = { { 0 } };

	(void)state;
	tc_parse(tc_ics, &c);
	assert_int_equal(c.n_events, 4);
	assert_string_equal(c.zone, "Europe/Berlin");
	assert_true(c.events[0].all_day);
	assert_int_equal(c.events[0].duration_days, 1);
	assert_string_equal(c.events[0].summary, "Month-end close, books");
	assert_string_equal(c.events[3].summary, "Lord Howe early");
	assert_int_equal(c.events[1].duration_s, 4 * 3600);
	f = open_memstream(&exported, &len);
	assert_int_equal(calendar_ics_write(&c, f, &e), 0);
	fclose(f);
	first = tc_occ_text(&c);
	/* The midnight-spanning window, the moved instance, the RDATE, the EXDATE in Berlin time. */
	assert_non_null(strstr(first, "2027-01-04T22:00:00-05:00 2027-01-05T02:00:00-05:00 0 Patch night\n"));
	assert_non_null(strstr(first, "2027-01-07T22:00:00-05:00"));
	assert_null(strstr(first, "2027-01-11T22:00:00-05:00"));
	assert_null(strstr(first, "2027-01-18T22:00:00-05:00"));
	assert_non_null(strstr(first, "2027-01-19T23:00:00-05:00 2027-01-20T02:00:00-05:00 0 Patch night (moved)"));
	assert_non_null(strstr(first, "2027-01-27T00:00:00+01:00 2027-01-28T00:00:00+01:00 1 Month-end close, books"));
	assert_non_null(strstr(first, "2027-10-03T02:45:00+11:00"));
	tc_parse(exported, &back);
	assert_non_null(strstr(exported, "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"));
	second = tc_occ_text(&back);
	assert_string_equal(first, second);
	free(first);
	free(second);
	free(exported);
}

/* Errors carry the position of the fault, not just the file. */
static void test_ics_positions(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270230T090000\nEND:VEVENT\nEND:VCALENDAR\n",
		  "t.ics:3:9: '20270230T090000' is not a valid date" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270101T090000\nRRULE:FREQ=DAILY;BYHOUR=25\nEND:VEVENT\nEND:VCALENDAR\n",
		  "t.ics:4:25: BYHOUR value '25' is out of range" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270101T090000\n",
		  "t.ics:3:1: missing END:VEVENT (BEGIN at line 2)" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Mars/Olympus:20270101T090000\nEND:VEVENT\nEND:VCALENDAR\n",
		  "t.ics:3:27: unknown time zone 'Mars/Olympus'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct calendar c;
		struct err e = { { 0 } };

		memset(&c, 0, sizeof c);
		assert_int_equal(calendar_ics_parse("t.ics", cases[i].text, strlen(cases[i].text), &c, &e), -1);
		if (strncmp(e.msg, cases[i].want, strlen(cases[i].want)) != 0) {
			print_error("got '%s'\nwant '%s'\n", e.msg, cases[i].want);
			fail();
		}
		calendar_clear(&c);
	}
}

static void test_yaml(void **state)
{
	char *dir = tu_tmpdir();
	char *path = tu_join(dir, "bad.yaml");
	char *ex = tu_srcpath("examples/calendars");
	struct calendar c;
	struct calendar_set s = { NULL, 0, 0 };
	struct err e = { { 0 } };

	(void)state;
	tu_write_file(path, "name: x\nkind: freeze\nzone: Europe/Berlin\nevents:\n"
			    "  - summary: a\n    start: 2027-01-01 09:00\n    duration: 2h\n"
			    "    rrule: FREQ=DAILY;BYMONTHDAY=40\n");
	assert_int_equal(calendar_yaml_load(path, &c, &e), -1);
	if (!strstr(e.msg, "bad.yaml:8:34: BYMONTHDAY value '40' is out of range")) {
		print_error("%s\n", e.msg);
		fail();
	}
	tu_write_file(path, "name: x\nkind: frozen\nevents: []\n");
	assert_int_equal(calendar_yaml_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, "bad.yaml:2:7: kind is freeze, caution, peak or info"));
	/* The shipped examples load and expand. */
	assert_int_equal(calendar_yaml_load_dir(ex, &s, &e), 0);
	assert_true(s.n >= 4);
	{
		struct calendar_occurrence *occ = NULL;
		size_t n = 0;

		assert_int_equal(calendar_occurrences(&s, "month-end-close", tc_utc("2027-01-01T00:00:00Z"),
						      tc_utc("2027-02-01T00:00:00Z"), &occ, &n, &e), 0);
		assert_int_equal(n, 3);
		free(occ);
	}
	calendar_set_clear(&s);
	tu_rmrf(dir);
	free(dir);
	free(path);
	free(ex);
}

static void test_store_import_diff_reload(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "o.db");
	struct store *st = NULL;
	struct calendar c, c2;
	struct calendar_diff d;
	struct calendar_set s = { NULL, 0, 0 };
	struct err e = { { 0 } };
	char *before = NULL, *after = NULL;
	char *changed = NULL;

	(void)state;
	assert_int_equal(store_open(db, &st, &e), 0);
	tc_parse(tc_ics, &c);
	c.kind = CALENDAR_FREEZE;
	c.source = strdup("import");
	c.file = strdup("t.ics");
	c.ics = strdup(tc_ics);
	assert_int_equal(calendar_store_import(st, &c, &d, &e), 0);
	assert_false(d.replaced);
	assert_int_equal(d.added, 4);
	calendar_diff_clear(&d);
	assert_int_equal(calendar_store_load(st, &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.cals[0].kind, CALENDAR_FREEZE);
	before = tc_occ_text(&c);
	after = tc_occ_text(&s.cals[0]);
	free(s.cals); /* tc_occ_text took the calendar itself */
	memset(&s, 0, sizeof s);
	assert_string_equal(before, after);
	/* Re-import: one changed, one removed, one added. */
	changed = strdup(tc_ics);
	memcpy(strstr(changed, "Patch night\r\n"), "Patch NIGHT", 11);
	memcpy(strstr(changed, "UID:gap@test"), "UID:new@test", 12);
	tc_parse(changed, &c2);
	c2.kind = CALENDAR_CAUTION;
	assert_int_equal(calendar_store_import(st, &c2, &d, &e), 0);
	assert_true(d.replaced);
	assert_int_equal(d.n_lines, 3);
	assert_int_equal(d.added, 1);
	assert_int_equal(d.removed, 1);
	assert_int_equal(d.changed, 1);
	assert_int_equal(d.unchanged, 2);
	calendar_diff_clear(&d);
	assert_int_equal(calendar_store_remove(st, "rt", &e), 0);
	assert_int_equal(calendar_store_remove(st, "rt", &e), 1);
	calendar_clear(&c2);
	free(before);
	free(after);
	free(changed);
	store_close(&st);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5545_examples),
		cmocka_unit_test(test_rfc5545_until_count),
		cmocka_unit_test(test_dst_gap_and_fold),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_business_rules),
		cmocka_unit_test(test_rules_refused),
		cmocka_unit_test(test_differential_dateutil),
		cmocka_unit_test(test_malformed_corpus),
		cmocka_unit_test(test_ics_read_and_round_trip),
		cmocka_unit_test(test_ics_positions),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_store_import_diff_reload),
	};

	tu_init("Europe/Berlin");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
