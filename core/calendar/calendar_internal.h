/*
 * calendar_internal: helpers shared by the calendar module's files (civil dates,
 * wall-time seconds, iCalendar date-time values). Not a public interface.
 */
#ifndef OPSDECK_CALENDAR_INTERNAL_H
#define OPSDECK_CALENDAR_INTERNAL_H

#include "calendar/calendar.h"

int64_t calendar_days_from_civil(int y, int m, int d);
void calendar_civil_from_days(int64_t z, int *y, int *m, int *d);
int calendar_days_in_month(int y, int m);
/* True when every field is in range (the day exists in that month). */
bool calendar_local_valid(const struct calendar_local *t);
/* Seconds of a wall time as if it were UTC, and back. */
int64_t calendar_local_secs(const struct calendar_local *t);
void calendar_local_from_secs(int64_t s, struct calendar_local *t);

/*
 * Parses an iCalendar DATE ("YYYYMMDD") or DATE-TIME ("YYYYMMDDTHHMMSS[Z]") from
 * v[0..n) into s (zone left ""). 0, or -1 when it is not one or a field is out of
 * range (month 13, 30 February, hour 24).
 */
int calendar_stamp_parse(const char *v, size_t n, struct calendar_stamp *s);
/* Formats s as iCalendar text ("YYYYMMDD" or "YYYYMMDDTHHMMSS[Z]"); buf >= 20. */
void calendar_stamp_format(const struct calendar_stamp *s, char *buf, size_t len);
/* s's instant: UTC, a zone's wall time, or event_zone's wall time ("" zone). */
int64_t calendar_stamp_ms(const struct calendar_stamp *s, const char *event_zone);

#endif
