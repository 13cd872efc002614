/*
 * calendar: business-cycle calendars (freezes, cautions, peaks, info) and the one
 * recurrence engine of opsdeck. A calendar is a named set of events of one kind;
 * an event is a wall-clock start in an IANA zone (or an all-day date), a length,
 * and RFC 5545 recurrence (RRULE, RDATE, EXDATE). Sources: calendars/NAME.yaml in the
 * config folder (calendar_yaml_load) and iCalendar files (calendar_ics_parse),
 * imported into the store (calendar_store_*).
 *
 * Expansion uses libical's recurrence iterator in floating local time; each local
 * occurrence is then placed on the UTC line with the event's zone (libical's
 * icaltimezone) by RFC 5545's rules: a local time in a DST gap is read with the
 * offset before the gap, a local time in a fold is its first instance. Occurrences
 * where a rule applied carry a flag (and calendar_occurrence_note explains it).
 * Maintenance windows reuse calendar_event_expand for their own recurrence.
 *
 * Times are UTC milliseconds since the epoch, as everywhere in opsdeck.
 */
#ifndef OPSDECK_CALENDAR_H
#define OPSDECK_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define CALENDAR_ZONE_MAX 64
/* Longest expansion before the range or inside it; more is refused, never cut short. */
/* (found by fuzz_ics: an hourly rule from the year 1013 took 22 s under ASan to
 * reach 2027 at 2,000,000 steps; 200,000 still reaches 20 years of an hourly rule) */
#define CALENDAR_MAX_STEPS 200000
/* Largest COUNT accepted in a rule. */
#define CALENDAR_MAX_COUNT 100000

enum calendar_kind { CALENDAR_FREEZE, CALENDAR_CAUTION, CALENDAR_PEAK, CALENDAR_INFO };

/* "freeze", "caution", "peak", "info". */
const char *calendar_kind_name(enum calendar_kind k);
/* The kind named s, or -1. */
int calendar_kind_parse(const char *s);

/* A wall-clock time (no zone). */
struct calendar_local {
	int year, month, day, hour, minute, second;
};

/* A time as written in a file: wall time in zone, UTC, or a date. */
struct calendar_stamp {
	struct calendar_local t;
	bool utc;       /* "...Z" */
	bool date_only; /* VALUE=DATE: the whole day in the event's zone */
	char zone[CALENDAR_ZONE_MAX]; /* "" = the event's zone */
};

struct calendar_event {
	char *uid;     /* owned */
	char *summary; /* owned, as written (sanitise before showing) */
	char zone[CALENDAR_ZONE_MAX]; /* IANA zone the start is read in */
	bool all_day;
	struct calendar_local start;  /* first start, wall time in zone */
	int duration_days;            /* nominal days (added in local time) ... */
	int64_t duration_s;           /* ... then exact seconds */
	char *rrule;                  /* RRULE value, or NULL; owned */
	struct calendar_stamp *rdates; /* owned array */
	size_t n_rdates;
	struct calendar_stamp *exdates; /* owned array */
	size_t n_exdates;
	int line;                     /* where it was defined (0 when unknown) */
};

struct calendar {
	char *name;   /* owned */
	enum calendar_kind kind;
	char zone[CALENDAR_ZONE_MAX]; /* all-day events are read in this zone */
	char *source; /* "yaml" or "import"; owned */
	char *file;   /* the YAML file, or the imported file's name; owned */
	struct calendar_event *events; /* owned array */
	size_t n_events;
	char *ics;    /* imported: the original text (owned), else NULL */
};

enum calendar_occ_flags {
	CALENDAR_OCC_GAP = 1u << 0,      /* the start fell in a DST gap */
	CALENDAR_OCC_FOLD = 1u << 1,     /* the start fell in a DST fold */
	CALENDAR_OCC_END_GAP = 1u << 2,  /* the same for the end */
	CALENDAR_OCC_END_FOLD = 1u << 3,
};

struct calendar_occurrence {
	const struct calendar *cal;      /* borrowed from the set (NULL from calendar_event_expand) */
	const struct calendar_event *ev; /* borrowed */
	int64_t start_ms, end_ms;        /* UTC */
	int start_off_s, end_off_s;      /* UTC offset in force at start and end, in ev->zone */
	struct calendar_local local;     /* the wall time the rule gave */
	unsigned flags;                  /* enum calendar_occ_flags */
};

/* A list of calendars. Owns every calendar in it. */
struct calendar_set {
	struct calendar *cals;
	size_t n, cap;
};

/* Frees what c owns (not c itself) and zeroes it. */
void calendar_clear(struct calendar *c);
void calendar_event_clear(struct calendar_event *ev);
/* Frees every calendar in s and zeroes s. */
void calendar_set_clear(struct calendar_set *s);
/* Moves *c into s (c is zeroed). -1 with e set when memory runs out (c is cleared). */
int calendar_set_add(struct calendar_set *s, struct calendar *c, struct err *e);
/* The calendar named name, or NULL. */
const struct calendar *calendar_set_find(const struct calendar_set *s, const char *name);

/* ---- zones ---- */

/* The local IANA zone: $TZ, /etc/timezone, /etc/localtime's target, else "UTC". */
void calendar_local_zone(char *buf, size_t len);
/* True when libical knows zone (IANA names and "UTC"). */
bool calendar_zone_valid(const char *zone);
/* The UTC offset (seconds) in force at utc_ms in zone (0 for an unknown zone). */
int calendar_zone_offset(const char *zone, int64_t utc_ms);
/*
 * Places wall time t of zone on the UTC line (RFC 5545: a time in a gap is read
 * with the offset before the gap, a time in a fold is its first instance). Sets
 * *ms, and *flags to CALENDAR_OCC_GAP or CALENDAR_OCC_FOLD when a rule applied.
 */
void calendar_local_to_utc(const char *zone, const struct calendar_local *t, int64_t *ms,
			   unsigned *flags);
/* Formats ms as "YYYY-MM-DDTHH:MM:SS+HH:MM" with offset off_s (buf >= 32). */
void calendar_format_offset(int64_t ms, int off_s, char *buf, size_t len);
/* Formats ms as "YYYY-MM-DDTHH:MM:SSZ" (buf >= 24). */
void calendar_format_utc(int64_t ms, char *buf, size_t len);

/* ---- rules ---- */

/*
 * Checks an RRULE value: libical must read it, COUNT and UNTIL are exclusive,
 * COUNT <= CALENDAR_MAX_COUNT, and the parts libical gets wrong are refused.
 * 0, or -1 with e set to a message (no position: callers add theirs; *col_off is
 * the offset into rule of the part at fault, 0 when unknown).
 */
int calendar_rrule_check(const char *rule, size_t *col_off, struct err *e);

/* ---- expansion ---- */

typedef int (*calendar_occ_fn)(const struct calendar_occurrence *o, void *ctx);

/*
 * Calls fn for every occurrence of ev that overlaps [from_ms, to_ms) (an occurrence
 * of length 0 counts when its start is in the range), in start order, the RRULE's
 * and the RDATEs' together (one that both give counts once), EXDATEs removed. fn
 * returning non-zero stops with that value.
 * -1 with e set when the rule cannot be expanded (a bad rule, more than
 * CALENDAR_MAX_STEPS steps). all_day events are read in ev->zone (the loaders set
 * it to the calendar's zone).
 */
int calendar_event_expand(const struct calendar_event *ev, int64_t from_ms, int64_t to_ms,
			  calendar_occ_fn fn, void *ctx, struct err *e);

/*
 * Every occurrence of every calendar in s (or only the one named name, when not
 * NULL) overlapping [from_ms, to_ms), sorted by start (then end, calendar,
 * summary). *out is a new array the caller frees with free(); its pointers borrow
 * from s. -1 with e set ("calendar 'x': event at line N: ...") on failure.
 */
int calendar_occurrences(const struct calendar_set *s, const char *name, int64_t from_ms,
			 int64_t to_ms, struct calendar_occurrence **out, size_t *n, struct err *e);

/*
 * A person's explanation of the gap/fold rule that applied to o, into buf; empty
 * when none did.
 */
void calendar_occurrence_note(const struct calendar_occurrence *o, char *buf, size_t len);

/* ---- iCalendar ---- */

/*
 * Parses iCalendar text (name is used in messages) into c's events; c->zone is
 * X-WR-TIMEZONE when present, else c's zone is left as the caller set it (set it
 * first). Every problem is "name:line:col: message"; -1 with e set, c's events
 * untouched on failure. Malformed input never crashes (fuzzed).
 */
int calendar_ics_parse(const char *name, const char *text, size_t len, struct calendar *c,
		       struct err *e);
/* Reads path and parses it as above; on success c->ics holds the text. */
int calendar_ics_load(const char *path, struct calendar *c, struct err *e);
/* Writes c as one VCALENDAR (with VTIMEZONEs for its zones) to out. -1 with e set. */
int calendar_ics_write(const struct calendar *c, FILE *out, struct err *e);

/* ---- YAML (calendars/NAME.yaml) ---- */

/*
 * Loads one calendar file:
 *   name: month-end-close        (default: the file's name without .yaml)
 *   kind: freeze|caution|peak|info
 *   zone: Europe/Berlin          (default: the local zone)
 *   events:
 *     - summary: Close
 *       start: 2027-01-01 09:00  (a date alone means all day)
 *       end: 2027-01-01 17:00    (or duration: 8h / 2d / 1d4h30m / PT8H)
 *       all_day: false
 *       zone: America/New_York   (the event's own zone; default the calendar's)
 *       rrule: FREQ=MONTHLY;...
 *       rdate: [2027-02-12 09:00]            (a list or one value)
 *       exdate: [2027-03-01 09:00 Asia/Tokyo] (a trailing zone or Z is allowed)
 * 0, or -1 with e = "file:line:col: message".
 */
int calendar_yaml_load(const char *path, struct calendar *c, struct err *e);

/*
 * Loads every dir/NAME.yaml (sorted by name) into s. A missing dir is no calendars.
 * Every broken file is reported (one line each in e); -1 when one is.
 */
int calendar_yaml_load_dir(const char *dir, struct calendar_set *s, struct err *e);

#endif
