/*
 * calendar: the model, zones and recurrence expansion (see include/calendar/calendar.h).
 * libical iterates a rule in floating local time; this file places each local
 * occurrence on the UTC line with the event's zone, applies UNTIL (in UTC, which
 * libical 3.0 compares against floating times as if they were UTC), EXDATE and
 * RDATE, and refuses what cannot be expanded instead of dropping occurrences.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libical/ical.h>

#include "calendar/calendar.h"
#include "calendar_internal.h"
#include "mem.h"

static const char *const calendar_kind_names[] = {
	[CALENDAR_FREEZE] = "freeze",
	[CALENDAR_CAUTION] = "caution",
	[CALENDAR_PEAK] = "peak",
	[CALENDAR_INFO] = "info",
};
#define CALENDAR_N_KINDS (sizeof calendar_kind_names / sizeof calendar_kind_names[0])

const char *calendar_kind_name(enum calendar_kind k)
{
	return (unsigned)k < CALENDAR_N_KINDS ? calendar_kind_names[k] : "?";
}

int calendar_kind_parse(const char *s)
{
	for (size_t i = 0; s && i < CALENDAR_N_KINDS; i++)
		if (strcmp(s, calendar_kind_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- model ---- */

void calendar_event_clear(struct calendar_event *ev)
{
	if (!ev)
		return;
	free(ev->uid);
	free(ev->summary);
	free(ev->rrule);
	free(ev->rdates);
	free(ev->exdates);
	memset(ev, 0, sizeof *ev);
}

void calendar_clear(struct calendar *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_events; i++)
		calendar_event_clear(&c->events[i]);
	free(c->events);
	free(c->name);
	free(c->source);
	free(c->file);
	free(c->ics);
	memset(c, 0, sizeof *c);
}

void calendar_set_clear(struct calendar_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		calendar_clear(&s->cals[i]);
	free(s->cals);
	memset(s, 0, sizeof *s);
}

int calendar_set_add(struct calendar_set *s, struct calendar *c, struct err *e)
{
	struct calendar *grown = mem_grow(s->cals, &s->cap, s->n, sizeof *s->cals);

	if (!grown) {
		calendar_clear(c);
		err_set(e, "out of memory");
		return -1;
	}
	s->cals = grown;
	s->cals[s->n++] = *c;
	memset(c, 0, sizeof *c);
	return 0;
}

const struct calendar *calendar_set_find(const struct calendar_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->cals[i].name, name) == 0)
			return &s->cals[i];
	return NULL;
}

/* ---- civil dates (proleptic Gregorian; H. Hinnant's algorithms) ---- */

int64_t calendar_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void calendar_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int calendar_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

bool calendar_local_valid(const struct calendar_local *t)
{
	return t->year >= 1 && t->year <= 9999 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
	       t->day <= calendar_days_in_month(t->year, t->month) && t->hour >= 0 &&
	       t->hour <= 23 && t->minute >= 0 && t->minute <= 59 && t->second >= 0 &&
	       t->second <= 60;
}

/* Seconds of a wall time as if it were UTC. */
int64_t calendar_local_secs(const struct calendar_local *t)
{
	return calendar_days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
	       t->minute * 60 + t->second;
}

void calendar_local_from_secs(int64_t s, struct calendar_local *t)
{
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t rem = s - days * 86400;

	calendar_civil_from_days(days, &t->year, &t->month, &t->day);
	t->hour = (int)(rem / 3600);
	t->minute = (int)(rem / 60 % 60);
	t->second = (int)(rem % 60);
}

/* ---- zones ---- */

void calendar_local_zone(char *buf, size_t len)
{
	const char *tz = getenv("TZ");
	char link[512];
	FILE *f = NULL;
	ssize_t n;

	if (tz && *tz) {
		if (*tz == ':')
			tz++;
		if (strncmp(tz, "/usr/share/zoneinfo/", 20) == 0)
			tz += 20;
		if (calendar_zone_valid(tz)) {
			snprintf(buf, len, "%s", tz);
			return;
		}
	}
	f = fopen("/etc/timezone", "r");
	if (f) {
		char line[128] = "";

		if (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n \t")] = '\0';
			if (calendar_zone_valid(line)) {
				snprintf(buf, len, "%s", line);
				fclose(f);
				return;
			}
		}
		fclose(f);
	}
	n = readlink("/etc/localtime", link, sizeof link - 1);
	if (n > 0) {
		const char *p = NULL;

		link[n] = '\0';
		p = strstr(link, "zoneinfo/");
		if (p && calendar_zone_valid(p + 9)) {
			snprintf(buf, len, "%s", p + 9);
			return;
		}
	}
	snprintf(buf, len, "UTC");
}

/* libical's zone for name; NULL when unknown. libical owns the result. */
static icaltimezone *calendar_zone_get(const char *zone)
{
	static char last_name[CALENDAR_ZONE_MAX];
	static icaltimezone *last;

	if (!zone || !*zone)
		return NULL;
	if (last && strcmp(zone, last_name) == 0)
		return last;
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0)
		last = icaltimezone_get_utc_timezone();
	else
		last = icaltimezone_get_builtin_timezone(zone);
	snprintf(last_name, sizeof last_name, "%s", zone);
	return last;
}

bool calendar_zone_valid(const char *zone)
{
	return zone && strlen(zone) < CALENDAR_ZONE_MAX && calendar_zone_get(zone) != NULL;
}

int calendar_zone_offset(const char *zone, int64_t utc_ms)
{
	icaltimezone *z = calendar_zone_get(zone);
	struct icaltimetype tt;
	struct calendar_local t;
	int dst = 0;

	if (!z || z == icaltimezone_get_utc_timezone())
		return 0;
	calendar_local_from_secs(utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000), &t);
	tt = icaltime_null_time();
	tt.year = t.year;
	tt.month = t.month;
	tt.day = t.day;
	tt.hour = t.hour;
	tt.minute = t.minute;
	tt.second = t.second;
	tt.zone = icaltimezone_get_utc_timezone();
	return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
}

void calendar_local_to_utc(const char *zone, const struct calendar_local *t, int64_t *ms,
			   unsigned *flags)
{
	int64_t lu = calendar_local_secs(t);
	/* The offsets a day either side: a wall time has at most these two readings. */
	int o1 = calendar_zone_offset(zone, (lu - 86400) * 1000);
	int o2 = calendar_zone_offset(zone, (lu + 86400) * 1000);
	int64_t ta = lu - o1, tb = lu - o2;
	bool va, vb;

	*flags = 0;
	if (o1 == o2) {
		*ms = ta * 1000;
		return;
	}
	va = calendar_zone_offset(zone, ta * 1000) == o1;
	vb = calendar_zone_offset(zone, tb * 1000) == o2;
	if (va && vb) {
		*flags = CALENDAR_OCC_FOLD; /* twice: the first instance */
		*ms = (ta < tb ? ta : tb) * 1000;
	} else if (va || vb) {
		*ms = (va ? ta : tb) * 1000;
	} else {
		*flags = CALENDAR_OCC_GAP; /* never: the offset before the gap */
		*ms = ta * 1000;
	}
}

static void calendar_format_base(int64_t secs, char *buf, size_t len)
{
	struct calendar_local t;

	calendar_local_from_secs(secs, &t);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour,
		 t.minute, t.second);
}

static int64_t calendar_floor_secs(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

void calendar_format_offset(int64_t ms, int off_s, char *buf, size_t len)
{
	char base[40];
	int a = off_s < 0 ? -off_s : off_s;

	calendar_format_base(calendar_floor_secs(ms) + off_s, base, sizeof base);
	snprintf(buf, len, "%s%c%02d:%02d", base, off_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

void calendar_format_utc(int64_t ms, char *buf, size_t len)
{
	char base[40];

	calendar_format_base(calendar_floor_secs(ms), base, sizeof base);
	snprintf(buf, len, "%sZ", base);
}

/* ---- rules ---- */

enum calendar_part_type { CAL_P_FREQ, CAL_P_UNTIL, CAL_P_COUNT, CAL_P_INTERVAL, CAL_P_LIST,
			  CAL_P_BYDAY, CAL_P_WKST };

/* Every rule part RFC 5545 defines, with the range of its values. */
static const struct calendar_part {
	const char *name;
	enum calendar_part_type type;
	int lo, hi;       /* list values: lo..hi, and -hi..-lo when neg */
	bool neg;
} calendar_parts[] = {
	{ "FREQ", CAL_P_FREQ, 0, 0, false },
	{ "UNTIL", CAL_P_UNTIL, 0, 0, false },
	{ "COUNT", CAL_P_COUNT, 1, CALENDAR_MAX_COUNT, false },
	{ "INTERVAL", CAL_P_INTERVAL, 1, 10000, false },
	{ "BYSECOND", CAL_P_LIST, 0, 60, false },
	{ "BYMINUTE", CAL_P_LIST, 0, 59, false },
	{ "BYHOUR", CAL_P_LIST, 0, 23, false },
	{ "BYDAY", CAL_P_BYDAY, 0, 0, false },
	{ "BYMONTHDAY", CAL_P_LIST, 1, 31, true },
	{ "BYYEARDAY", CAL_P_LIST, 1, 366, true },
	{ "BYWEEKNO", CAL_P_LIST, 1, 53, true },
	{ "BYMONTH", CAL_P_LIST, 1, 12, false },
	{ "BYSETPOS", CAL_P_LIST, 1, 366, true },
	{ "WKST", CAL_P_WKST, 0, 0, false },
};
#define CAL_N_PARTS (sizeof calendar_parts / sizeof calendar_parts[0])

static const char *const calendar_freqs[] = { "SECONDLY", "MINUTELY", "HOURLY", "DAILY",
					      "WEEKLY", "MONTHLY", "YEARLY" };
static const char *const calendar_wdays[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

static bool calendar_in_list(const char *v, size_t n, const char *const *list, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (strlen(list[i]) == n && strncmp(v, list[i], n) == 0)
			return true;
	return false;
}

/* An integer v[0..n) in [lo, hi] (or its negative when neg). */
static bool calendar_int_ok(const char *v, size_t n, int lo, int hi, bool neg, long *out)
{
	char buf[24];
	char *end = NULL;
	long x;

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (!isdigit((unsigned char)buf[buf[0] == '-' || buf[0] == '+']))
		return false;
	errno = 0;
	x = strtol(buf, &end, 10);
	if (errno || *end)
		return false;
	if (out)
		*out = x;
	if (x >= lo && x <= hi)
		return true;
	return neg && x <= -lo && x >= -hi;
}

/* Checks one value of BYDAY: [+-]n?XX. Sets *ordinal when it has a number. */
static bool calendar_byday_ok(const char *v, size_t n, bool *ordinal)
{
	size_t k = n >= 2 ? n - 2 : 0;

	if (n < 2 || !calendar_in_list(v + k, 2, calendar_wdays, 7))
		return false;
	if (k == 0)
		return true;
	*ordinal = true;
	return calendar_int_ok(v, k, 1, 53, true, NULL);
}

int calendar_rrule_check(const char *rule, size_t *col_off, struct err *e)
{
	bool seen[CAL_N_PARTS] = { false };
	size_t freq = 0;
	bool ordinal = false;
	const char *p = rule;
	struct icalrecurrencetype r;

	*col_off = 0;
	if (!rule || !*rule) {
		err_set(e, "empty RRULE");
		return -1;
	}
	while (*p) {
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);
		const struct calendar_part *part = NULL;
		size_t i, nlen, vlen;
		const char *v = NULL;

		*col_off = (size_t)(p - rule);
		if (!eq) {
			err_set(e, "RRULE part '%.*s' has no '='", (int)(len > 32 ? 32 : len), p);
			return -1;
		}
		nlen = (size_t)(eq - p);
		v = eq + 1;
		vlen = len - nlen - 1;
		for (i = 0; i < CAL_N_PARTS; i++)
			if (strlen(calendar_parts[i].name) == nlen &&
			    strncmp(p, calendar_parts[i].name, nlen) == 0)
				part = &calendar_parts[i];
		if (!part) {
			err_set(e, "RRULE part '%.*s' is not supported (libical 3.0 does not expand it)",
				(int)(nlen > 32 ? 32 : nlen), p);
			return -1;
		}
		i = (size_t)(part - calendar_parts);
		if (seen[i]) {
			err_set(e, "RRULE has %s twice", part->name);
			return -1;
		}
		seen[i] = true;
		if (vlen == 0) {
			err_set(e, "RRULE %s has no value", part->name);
			return -1;
		}
		switch (part->type) {
		case CAL_P_FREQ:
			for (freq = 0; freq < 7; freq++)
				if (strlen(calendar_freqs[freq]) == vlen &&
				    strncmp(v, calendar_freqs[freq], vlen) == 0)
					break;
			if (freq == 7) {
				err_set(e, "unknown FREQ '%.*s'", (int)(vlen > 32 ? 32 : vlen), v);
				return -1;
			}
			break;
		case CAL_P_UNTIL: {
			struct calendar_stamp st;

			if (calendar_stamp_parse(v, vlen, &st) < 0) {
				err_set(e, "UNTIL '%.*s' is not a date or date-time",
					(int)(vlen > 32 ? 32 : vlen), v);
				return -1;
			}
			break;
		}
		case CAL_P_COUNT:
		case CAL_P_INTERVAL: {
			long x = 0;

			if (!calendar_int_ok(v, vlen, part->lo, part->hi, false, &x)) {
				err_set(e, "%s=%.*s is out of range (1..%d)", part->name,
					(int)(vlen > 24 ? 24 : vlen), v, part->hi);
				return -1;
			}
			break;
		}
		case CAL_P_WKST:
			if (!calendar_in_list(v, vlen, calendar_wdays, 7)) {
				err_set(e, "WKST '%.*s' is not a weekday", (int)(vlen > 8 ? 8 : vlen), v);
				return -1;
			}
			break;
		case CAL_P_LIST:
		case CAL_P_BYDAY:
			for (const char *q = v; q < v + vlen;) {
				size_t n = strcspn(q, ",;");
				bool ok = part->type == CAL_P_BYDAY
						  ? calendar_byday_ok(q, n, &ordinal)
						  : calendar_int_ok(q, n, part->lo, part->hi, part->neg, NULL);

				if (n > (size_t)(v + vlen - q))
					n = (size_t)(v + vlen - q);
				/* libical 3.0 gives wrong days for the weeks that cross a year
				 * boundary in 53-week years (the differential test against
				 * python-dateutil shows it): only weeks 2..51 are expanded. */
				if (ok && part == &calendar_parts[10]) {
					long w = 0;

					calendar_int_ok(q, n, 1, 53, true, &w);
					if (w < 2 || w > 51) {
						*col_off = (size_t)(q - rule);
						err_set(e, "BYWEEKNO=%ld is refused: libical 3.0 expands the "
							   "weeks at a year boundary (1, 52, 53, negative) "
							   "wrongly; use BYMONTH/BYMONTHDAY", w);
						return -1;
					}
				}
				if (!ok) {
					*col_off = (size_t)(q - rule);
					err_set(e, "%s value '%.*s' is out of range", part->name,
						(int)(n > 16 ? 16 : n), q);
					return -1;
				}
				q += n + 1;
			}
			break;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	*col_off = 0;
	if (!seen[0]) {
		err_set(e, "RRULE has no FREQ");
		return -1;
	}
	if (seen[1] && seen[2]) {
		err_set(e, "RRULE has both UNTIL and COUNT (RFC 5545 allows one)");
		return -1;
	}
	/* RFC 5545 3.3.10's table of which BYxxx go with which FREQ. */
	if (seen[10] && freq != 6) {
		err_set(e, "BYWEEKNO is only valid with FREQ=YEARLY");
		return -1;
	}
	if (seen[9] && (freq == 3 || freq == 4 || freq == 5)) {
		err_set(e, "BYYEARDAY is not valid with FREQ=%s", calendar_freqs[freq]);
		return -1;
	}
	if (seen[8] && freq == 4) {
		err_set(e, "BYMONTHDAY is not valid with FREQ=WEEKLY");
		return -1;
	}
	if (ordinal && freq != 5 && freq != 6) {
		err_set(e, "BYDAY with a number is only valid with FREQ=MONTHLY or YEARLY");
		return -1;
	}
	if (ordinal && freq == 6 && seen[10]) {
		err_set(e, "BYDAY with a number is not valid with BYWEEKNO");
		return -1;
	}
	if (seen[12]) {
		bool other = false;

		for (size_t i = 4; i < 12; i++)
			other = other || seen[i];
		if (!other) {
			err_set(e, "BYSETPOS needs another BYxxx part");
			return -1;
		}
	}
	/* What the differential test against python-dateutil found libical 3.0 gets wrong. */
	if (freq < 2 ) {
		err_set(e, "FREQ=%s is not supported (calendars recur hourly at most)",
			calendar_freqs[freq]);
		return -1;
	}
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(rule);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		icalerror_clear_errno();
		err_set(e, "libical cannot read RRULE '%.64s'", rule);
		return -1;
	}
	return 0;
}

/* ---- expansion ---- */

struct calendar_rule {
	char *text;           /* the rule without UNTIL (owned) */
	bool has_until;
	struct calendar_stamp until;
};

/* Splits UNTIL off the rule text. -1 with e set on a bad rule. */
static int calendar_rule_prepare(const char *rule, struct calendar_rule *r, struct err *e)
{
	size_t off = 0;
	const char *p = rule;
	char *w = NULL;

	memset(r, 0, sizeof *r);
	if (calendar_rrule_check(rule, &off, e) < 0)
		return -1;
	r->text = calloc(1, strlen(rule) + 1);
	if (!r->text) {
		err_set(e, "out of memory");
		return -1;
	}
	w = r->text;
	while (*p) {
		size_t len = strcspn(p, ";");

		if (strncmp(p, "UNTIL=", 6) == 0) {
			r->has_until = true;
			calendar_stamp_parse(p + 6, len - 6, &r->until);
		} else {
			if (w != r->text)
				*w++ = ';';
			memcpy(w, p, len);
			w += len;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	*w = '\0';
	return 0;
}

/* A stamp's instant: UTC as is, a zone's wall time, or the event's zone. */
int64_t calendar_stamp_ms(const struct calendar_stamp *s, const char *event_zone)
{
	int64_t ms = 0;
	unsigned fl = 0;

	if (s->utc)
		return calendar_local_secs(&s->t) * 1000;
	calendar_local_to_utc(s->zone[0] ? s->zone : event_zone, &s->t, &ms, &fl);
	return ms;
}

struct calendar_acc {
	struct calendar_occurrence *v;
	size_t n, cap;
};

static int calendar_acc_push(struct calendar_acc *a, const struct calendar_occurrence *o,
			     struct err *e)
{
	struct calendar_occurrence *g = mem_grow(a->v, &a->cap, a->n, sizeof *a->v);

	if (!g) {
		err_set(e, "out of memory");
		return -1;
	}
	a->v = g;
	a->v[a->n++] = *o;
	return 0;
}

/* Fills o for the occurrence starting at wall time t. */
static void calendar_occ_make(const struct calendar_event *ev, const struct calendar_local *t,
			      struct calendar_occurrence *o)
{
	unsigned fl = 0;
	struct calendar_local end;

	memset(o, 0, sizeof *o);
	o->ev = ev;
	o->local = *t;
	calendar_local_to_utc(ev->zone, t, &o->start_ms, &o->flags);
	if (ev->duration_days) {
		calendar_local_from_secs(calendar_local_secs(t) + (int64_t)ev->duration_days * 86400,
					 &end);
		calendar_local_to_utc(ev->zone, &end, &o->end_ms, &fl);
		if (fl & CALENDAR_OCC_GAP)
			o->flags |= CALENDAR_OCC_END_GAP;
		if (fl & CALENDAR_OCC_FOLD)
			o->flags |= CALENDAR_OCC_END_FOLD;
	} else {
		o->end_ms = o->start_ms;
	}
	o->end_ms += ev->duration_s * 1000;
	o->start_off_s = calendar_zone_offset(ev->zone, o->start_ms);
	o->end_off_s = calendar_zone_offset(ev->zone, o->end_ms);
}

static bool calendar_overlaps(const struct calendar_occurrence *o, int64_t from, int64_t to)
{
	return o->start_ms < to && (o->end_ms > from || o->start_ms >= from);
}

static bool calendar_same_date(const struct calendar_local *a, const struct calendar_local *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day;
}

/* True when an EXDATE removes the occurrence o. */
static bool calendar_excluded(const struct calendar_event *ev, const int64_t *ex_ms,
			      const struct calendar_occurrence *o)
{
	for (size_t i = 0; i < ev->n_exdates; i++) {
		if (ev->exdates[i].date_only ? calendar_same_date(&ev->exdates[i].t, &o->local)
					     : ex_ms[i] == o->start_ms)
			return true;
	}
	return false;
}

static int calendar_occ_cmp_start(const void *a, const void *b)
{
	const struct calendar_occurrence *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* Runs the RRULE (or the lone DTSTART) into acc. */
static int calendar_expand_rule(const struct calendar_event *ev, const int64_t *ex_ms,
				int64_t from, int64_t to, struct calendar_acc *acc, struct err *e)
{
	struct calendar_rule rule;
	struct icalrecurrencetype r;
	icalrecur_iterator *it = NULL;
	struct icaltimetype dt = icaltime_null_time();
	struct calendar_occurrence o;
	int64_t until_ms = INT64_MAX;
	long steps = 0;
	int rc = -1;

	memset(&rule, 0, sizeof rule);
	if (!ev->rrule) {
		calendar_occ_make(ev, &ev->start, &o);
		if (calendar_overlaps(&o, from, to) && !calendar_excluded(ev, ex_ms, &o))
			return calendar_acc_push(acc, &o, e);
		return 0;
	}
	if (calendar_rule_prepare(ev->rrule, &rule, e) < 0)
		goto out;
	if (rule.has_until) {
		struct calendar_stamp u = rule.until;

		if (u.date_only) { /* the whole day counts: up to its last second */
			u.t.hour = 23;
			u.t.minute = 59;
			u.t.second = 59;
		}
		until_ms = calendar_stamp_ms(&u, ev->zone);
	}
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(rule.text);
	dt.year = ev->start.year;
	dt.month = ev->start.month;
	dt.day = ev->start.day;
	dt.hour = ev->start.hour;
	dt.minute = ev->start.minute;
	dt.second = ev->start.second;
	it = icalrecur_iterator_new(r, dt);
	if (!it) {
		icalerror_clear_errno();
		err_set(e, "libical cannot expand RRULE '%.64s'", ev->rrule);
		goto out;
	}
	for (;;) {
		struct icaltimetype n = icalrecur_iterator_next(it);
		struct calendar_local t;

		if (icaltime_is_null_time(n))
			break;
		if (++steps > CALENDAR_MAX_STEPS) {
			err_set(e, "RRULE '%.64s' needs more than %d steps to reach the range: "
				   "refused rather than cut short", ev->rrule, CALENDAR_MAX_STEPS);
			goto out;
		}
		t.year = n.year;
		t.month = n.month;
		t.day = n.day;
		t.hour = n.is_date ? 0 : n.hour;
		t.minute = n.is_date ? 0 : n.minute;
		t.second = n.is_date ? 0 : n.second;
		calendar_occ_make(ev, &t, &o);
		if (o.start_ms > until_ms || o.start_ms >= to + 86400000LL)
			break;
		if (calendar_overlaps(&o, from, to) && !calendar_excluded(ev, ex_ms, &o) &&
		    calendar_acc_push(acc, &o, e) < 0)
			goto out;
	}
	rc = 0;
out:
	if (it)
		icalrecur_iterator_free(it);
	free(rule.text);
	return rc;
}

int calendar_event_expand(const struct calendar_event *ev, int64_t from_ms, int64_t to_ms,
			  calendar_occ_fn fn, void *ctx, struct err *e)
{
	struct calendar_acc acc = { NULL, 0, 0 };
	int64_t *ex_ms = NULL;
	int rc = -1;

	if (!calendar_zone_valid(ev->zone)) {
		err_set(e, "unknown time zone '%.64s'", ev->zone);
		return -1;
	}
	ex_ms = calloc(ev->n_exdates + 1, sizeof *ex_ms);
	if (!ex_ms) {
		err_set(e, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < ev->n_exdates; i++)
		ex_ms[i] = calendar_stamp_ms(&ev->exdates[i], ev->zone);
	if (calendar_expand_rule(ev, ex_ms, from_ms, to_ms, &acc, e) < 0)
		goto out;
	for (size_t i = 0; i < ev->n_rdates; i++) {
		const struct calendar_stamp *s = &ev->rdates[i];
		struct calendar_local t = s->t;
		struct calendar_occurrence o;
		bool dup = false;

		if (s->date_only && !ev->all_day) { /* a date: at the event's time of day */
			t.hour = ev->start.hour;
			t.minute = ev->start.minute;
			t.second = ev->start.second;
		} else if (s->utc || (s->zone[0] && strcmp(s->zone, ev->zone) != 0)) {
			/* Another zone: the event's wall time at that instant. */
			int64_t ms = calendar_stamp_ms(s, ev->zone);

			calendar_local_from_secs(ms / 1000 + calendar_zone_offset(ev->zone, ms), &t);
		}
		calendar_occ_make(ev, &t, &o);
		if (!calendar_overlaps(&o, from_ms, to_ms) || calendar_excluded(ev, ex_ms, &o))
			continue;
		/* The recurrence set is a set: an RDATE that the rule also gives counts once. */
		for (size_t k = 0; k < acc.n && !dup; k++)
			dup = acc.v[k].start_ms == o.start_ms;
		if (!dup && calendar_acc_push(&acc, &o, e) < 0)
			goto out;
	}
	if (acc.n)
		qsort(acc.v, acc.n, sizeof *acc.v, calendar_occ_cmp_start);
	rc = 0;
	for (size_t i = 0; i < acc.n && rc == 0; i++)
		rc = fn(&acc.v[i], ctx);
out:
	free(ex_ms);
	free(acc.v);
	return rc;
}

struct calendar_collect {
	struct calendar_acc acc;
	const struct calendar *cal;
	struct err *e;
};

static int calendar_collect_one(const struct calendar_occurrence *o, void *ctx)
{
	struct calendar_collect *c = ctx;
	struct calendar_occurrence x = *o;

	x.cal = c->cal;
	return calendar_acc_push(&c->acc, &x, c->e) < 0 ? -1 : 0;
}

static int calendar_occ_cmp(const void *a, const void *b)
{
	const struct calendar_occurrence *x = a, *y = b;
	int c;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	if (x->end_ms != y->end_ms)
		return x->end_ms < y->end_ms ? -1 : 1;
	if ((c = strcmp(x->cal->name, y->cal->name)) != 0)
		return c;
	return strcmp(x->ev->summary ? x->ev->summary : "", y->ev->summary ? y->ev->summary : "");
}

int calendar_occurrences(const struct calendar_set *s, const char *name, int64_t from_ms,
			 int64_t to_ms, struct calendar_occurrence **out, size_t *n, struct err *e)
{
	struct calendar_collect c;
	struct err sub = { { 0 } };

	memset(&c, 0, sizeof c);
	c.e = &sub;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		c.cal = &s->cals[i];
		if (name && strcmp(name, c.cal->name) != 0)
			continue;
		for (size_t k = 0; k < c.cal->n_events; k++) {
			const struct calendar_event *ev = &c.cal->events[k];

			if (calendar_event_expand(ev, from_ms, to_ms, calendar_collect_one, &c,
						  &sub) != 0) {
				if (ev->line > 0)
					err_set(e, "%s:%d: %s", c.cal->file ? c.cal->file : c.cal->name,
						ev->line, sub.msg);
				else
					err_set(e, "calendar '%s': %s", c.cal->name, sub.msg);
				free(c.acc.v);
				return -1;
			}
		}
	}
	if (c.acc.n)
		qsort(c.acc.v, c.acc.n, sizeof *c.acc.v, calendar_occ_cmp);
	*out = c.acc.v;
	*n = c.acc.n;
	return 0;
}

static void calendar_fmt_off(int off_s, char *buf, size_t len)
{
	int a = off_s < 0 ? -off_s : off_s;

	snprintf(buf, len, "%c%02d:%02d", off_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

void calendar_occurrence_note(const struct calendar_occurrence *o, char *buf, size_t len)
{
	const struct calendar_local *t = &o->local;
	char before[16], now[16];
	int used = 0;

	buf[0] = '\0';
	if (o->flags & CALENDAR_OCC_GAP) {
		/* The offset before the gap is the one the start was read with. */
		int64_t lu = calendar_local_secs(t);
		int off_before = (int)(lu - o->start_ms / 1000);

		calendar_fmt_off(off_before, before, sizeof before);
		char iso[40];

		calendar_format_offset(o->start_ms, o->start_off_s, iso, sizeof iso);
		used = snprintf(buf, len,
				"DST gap: %02d:%02d does not exist on %04d-%02d-%02d in %s; read with the "
				"offset before the gap (%s), so it starts at %s",
				t->hour, t->minute, t->year, t->month, t->day, o->ev->zone, before,
				iso + 11);
	} else if (o->flags & CALENDAR_OCC_FOLD) {
		calendar_fmt_off(o->start_off_s, now, sizeof now);
		used = snprintf(buf, len,
				"DST fold: %02d:%02d happens twice on %04d-%02d-%02d in %s; the first "
				"instance (%s) is used",
				t->hour, t->minute, t->year, t->month, t->day, o->ev->zone, now);
	}
	if (used < 0 || (size_t)used >= len)
		used = 0;
	if (o->flags & (CALENDAR_OCC_END_GAP | CALENDAR_OCC_END_FOLD))
		snprintf(buf + used, len - (size_t)used, "%sthe end fell in a DST %s (same rule)",
			 used ? "; " : "", (o->flags & CALENDAR_OCC_END_GAP) ? "gap" : "fold");
}

/* ---- iCalendar date and date-time values ---- */

static bool calendar_digits(const char *v, size_t n, int *out)
{
	int x = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return true;
}

int calendar_stamp_parse(const char *v, size_t n, struct calendar_stamp *s)
{
	memset(s, 0, sizeof *s);
	if (n != 8 && n != 15 && n != 16)
		return -1;
	if (!calendar_digits(v, 4, &s->t.year) || !calendar_digits(v + 4, 2, &s->t.month) ||
	    !calendar_digits(v + 6, 2, &s->t.day))
		return -1;
	if (n == 8) {
		s->date_only = true;
	} else {
		if (v[8] != 'T' || !calendar_digits(v + 9, 2, &s->t.hour) ||
		    !calendar_digits(v + 11, 2, &s->t.minute) ||
		    !calendar_digits(v + 13, 2, &s->t.second))
			return -1;
		if (n == 16) {
			if (v[15] != 'Z')
				return -1;
			s->utc = true;
		}
	}
	/* A leap second reads as the second before it. */
	if (s->t.second == 60)
		s->t.second = 59;
	return calendar_local_valid(&s->t) ? 0 : -1;
}

void calendar_stamp_format(const struct calendar_stamp *s, char *buf, size_t len)
{
	if (s->date_only)
		snprintf(buf, len, "%04d%02d%02d", s->t.year, s->t.month, s->t.day);
	else
		snprintf(buf, len, "%04d%02d%02dT%02d%02d%02d%s", s->t.year, s->t.month, s->t.day,
			 s->t.hour, s->t.minute, s->t.second, s->utc ? "Z" : "");
}
