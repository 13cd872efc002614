/*
 * clock: the one source of "now" for opsdeck, so tests can pin time.
 *
 * All stored times are UTC milliseconds since the Unix epoch. The environment
 * variable OPSDECK_NOW_MS (an integer) pins the clock for end-to-end tests.
 */
#ifndef OPSDECK_CLOCK_H
#define OPSDECK_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock UTC time in ms since the epoch (pinned if clock_pin or OPSDECK_NOW_MS). */
int64_t clock_now_ms(void);

/* Monotonic time in ms, for timers and timeouts. Never pinned. */
int64_t clock_mono_ms(void);

/* Pins the wall clock to ms (tests); clock_unpin returns to real time. */
void clock_pin(int64_t ms);
void clock_unpin(void);

/* Formats ms as local time "YYYY-MM-DD HH:MM:SS" into buf (at least 20 bytes). */
void clock_format_local(int64_t ms, char *buf, size_t len);

/* Formats ms as UTC ISO 8601 "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes). */
void clock_format_utc(int64_t ms, char *buf, size_t len);

/*
 * Parses a time given by a person: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or with 'T'
 * (local time unless it ends in 'Z'), a relative "-30m", "-2h", "-7d", or "now".
 * Returns 0 and sets *ms, or -1 when the text is not a time.
 */
int clock_parse(const char *text, int64_t *ms);

#endif
