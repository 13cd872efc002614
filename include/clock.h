/*
 * clock: the one source of "now" for opsdeck, so tests can pin time.
 *
 * All stored times are UTC milliseconds since the Unix epoch. Nothing in the
 * environment changes the clock of the release binary; end-to-end tests run the
 * test-only binary tests/opsdeck-test, whose clock can be pinned, offset and
 * moved while it runs (tests/opsdeck_test.c, tests/README.md).
 */
#ifndef OPSDECK_CLOCK_H
#define OPSDECK_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock UTC time in ms since the epoch (pinned by clock_pin, or the source set). */
int64_t clock_now_ms(void);

/* The system's real UTC time in ms, whatever is pinned or set (for clock sources). */
int64_t clock_real_ms(void);

/*
 * Where clock_now_ms reads the time from when it is not pinned: NULL (the
 * default) is the real clock. Set only by the test binary's main wrapper; the
 * release binary never calls it.
 */
typedef int64_t (*clock_source_fn)(void);
void clock_set_source(clock_source_fn fn);

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
