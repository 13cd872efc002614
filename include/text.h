/*
 * text: untrusted text made safe for a terminal, and UTF-8 column arithmetic.
 *
 * Everything that reaches the screen or an export from a host, a file or a person
 * passes through text_sanitize first (one sanitiser, used everywhere). It removes
 * C0 and C1 control characters, DEL, and whole escape sequences (CSI, OSC, DCS, SOS,
 * PM, APC, and two-byte ESC sequences, in both their 7-bit and 8-bit forms), and
 * replaces invalid UTF-8 (overlongs, surrogates, truncated or stray bytes) with
 * U+FFFD. Column widths follow wcwidth(3) in a UTF-8 locale.
 */
#ifndef OPSDECK_TEXT_H
#define OPSDECK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

enum text_flags {
	TEXT_KEEP_NEWLINES = 1u << 0, /* keep '\n' (else it becomes a space) */
	TEXT_KEEP_TABS = 1u << 1,     /* keep '\t' (else it becomes a space) */
};

/*
 * Returns a newly allocated, NUL-terminated, sanitised copy of in[0..len).
 * The caller owns the result and frees it with free(). Returns NULL only when
 * memory runs out. in may contain NUL bytes (they are removed).
 */
char *text_sanitize(const char *in, size_t len, unsigned flags);

/* As text_sanitize for a NUL-terminated string; NULL in gives an empty string. */
char *text_sanitize_str(const char *in, unsigned flags);

/* True when s[0..len) would come out of text_sanitize unchanged. */
bool text_is_clean(const char *s, size_t len, unsigned flags);

/* Display columns of sanitised UTF-8 text (wide CJK and emoji count 2, combining 0). */
int text_width(const char *s);

/*
 * Copies the longest prefix of s that fits in cols display columns into buf
 * (never splitting a character); when pad is true, fills with spaces up to
 * exactly cols columns. Always NUL-terminates when bufsz > 0. Returns the number
 * of columns written. s must already be sanitised.
 */
int text_fit(char *buf, size_t bufsz, const char *s, int cols, bool pad);

/* Decodes one UTF-8 character at s (n bytes available); returns its length (>= 1)
 * and sets *cp, or returns 0 for invalid input (and *cp = 0xFFFD). */
size_t text_utf8_decode(const char *s, size_t n, unsigned *cp);

/* Encodes cp as UTF-8 into out (at least 4 bytes); returns the length. */
size_t text_utf8_encode(unsigned cp, char *out);

#endif
