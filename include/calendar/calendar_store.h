/*
 * calendar_store: imported iCalendar calendars in the store (tables calendars and
 * calendar_events): the original .ics text and the parsed events. Calendars from
 * calendars/NAME.yaml are never stored; they are read from the config folder.
 */
#ifndef OPSDECK_CALENDAR_STORE_H
#define OPSDECK_CALENDAR_STORE_H

#include "calendar/calendar.h"
#include "store.h"

/* What an import changed, event by event (keyed by UID, and RECURRENCE-ID when set). */
struct calendar_diff {
	bool replaced;  /* a calendar of that name existed */
	size_t added, removed, changed, unchanged;
	char **lines;   /* "+ summary", "- summary", "~ summary" (owned; raw text) */
	size_t n_lines, cap;
};

void calendar_diff_clear(struct calendar_diff *d);

/*
 * Stores c (name, kind, zone, file, ics text and events), replacing a calendar of
 * the same name in one transaction, and fills d. -1 with e set (nothing changed).
 */
int calendar_store_import(struct store *st, const struct calendar *c, struct calendar_diff *d,
			  struct err *e);

/* Adds every stored calendar to s (source "import"). -1 with e set. */
int calendar_store_load(struct store *st, struct calendar_set *s, struct err *e);

/* Removes the calendar named name: 0 removed, 1 no such calendar, -1 with e set. */
int calendar_store_remove(struct store *st, const char *name, struct err *e);

#endif
