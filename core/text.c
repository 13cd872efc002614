/*
 * text: the one sanitiser for untrusted text, and UTF-8 column arithmetic.
 * A small state machine over decoded code points drops controls and whole escape
 * sequences (7-bit and 8-bit forms) and turns invalid UTF-8 into U+FFFD.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "text.h"

#define CP_REPLACEMENT 0xFFFDu
#define CH_BEL 0x07u
#define CH_CAN 0x18u
#define CH_SUB 0x1Au
#define CH_ESC 0x1Bu
#define CH_DEL 0x7Fu
#define C1_DCS 0x90u
#define C1_SOS 0x98u
#define C1_CSI 0x9Bu
#define C1_ST 0x9Cu
#define C1_OSC 0x9Du
#define C1_PM 0x9Eu
#define C1_APC 0x9Fu

/*
 * Accepted byte ranges after each lead byte (Unicode Table 3-7, "well-formed UTF-8
 * byte sequences"). Only the second byte varies with the lead; later bytes are
 * always 80..BF. Checking ranges per position gives maximal-subpart replacement.
 */
struct utf8_lead {
	unsigned char lo, hi; /* lead byte range */
	unsigned char len;    /* total sequence length */
	unsigned char b2lo, b2hi;
};

static const struct utf8_lead utf8_leads[] = {
	{0xC2, 0xDF, 2, 0x80, 0xBF},
	{0xE0, 0xE0, 3, 0xA0, 0xBF}, /* no overlongs */
	{0xE1, 0xEC, 3, 0x80, 0xBF},
	{0xED, 0xED, 3, 0x80, 0x9F}, /* no surrogates */
	{0xEE, 0xEF, 3, 0x80, 0xBF},
	{0xF0, 0xF0, 4, 0x90, 0xBF}, /* no overlongs */
	{0xF1, 0xF3, 4, 0x80, 0xBF},
	{0xF4, 0xF4, 4, 0x80, 0x8F}, /* nothing above U+10FFFF */
};

/*
 * Decodes one character at s (n >= 1 bytes). Returns the bytes consumed: the whole
 * character when *ok, else the maximal invalid subpart (>= 1 byte) to replace
 * with a single U+FFFD.
 */
static size_t utf8_scan(const unsigned char *s, size_t n, unsigned *cp, bool *ok)
{
	const struct utf8_lead *lead = NULL;
	unsigned v = 0;
	size_t i = 0;

	*ok = false;
	*cp = CP_REPLACEMENT;
	if (s[0] < 0x80) {
		*cp = s[0];
		*ok = true;
		return 1;
	}
	for (i = 0; i < sizeof utf8_leads / sizeof utf8_leads[0]; i++) {
		if (s[0] >= utf8_leads[i].lo && s[0] <= utf8_leads[i].hi) {
			lead = &utf8_leads[i];
			break;
		}
	}
	if (!lead)
		return 1; /* stray continuation, C0/C1 overlong lead, or F5..FF */
	v = s[0] & (0xFFu >> (lead->len + 1));
	for (i = 1; i < lead->len; i++) {
		unsigned char lo = i == 1 ? lead->b2lo : 0x80;
		unsigned char hi = i == 1 ? lead->b2hi : 0xBF;

		if (i >= n || s[i] < lo || s[i] > hi)
			return i; /* truncated: the bytes so far are one maximal subpart */
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	*cp = v;
	*ok = true;
	return lead->len;
}

size_t text_utf8_decode(const char *s, size_t n, unsigned *cp)
{
	bool ok = false;
	size_t len = 0;

	if (!s || n == 0) {
		*cp = CP_REPLACEMENT;
		return 0;
	}
	len = utf8_scan((const unsigned char *)s, n, cp, &ok);
	return ok ? len : 0;
}

size_t text_utf8_encode(unsigned cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = CP_REPLACEMENT;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- sanitiser ---- */

enum san_state {
	ST_TEXT,
	ST_ESC,      /* after ESC */
	ST_NF,       /* ESC + intermediates, waiting for the final byte */
	ST_CSI,      /* CSI parameters/intermediates, waiting for 0x40..0x7E */
	ST_STRING,   /* DCS/SOS/PM/APC body, up to ST */
	ST_OSC,      /* OSC body, up to BEL or ST */
	ST_STR_ESC,  /* ESC inside a string: '\' makes ST, anything else a new sequence */
};

/* C1 introducers (as code points, from valid UTF-8) and the state they start. */
struct c1_intro {
	unsigned cp;
	enum san_state state;
};

static const struct c1_intro c1_intros[] = {
	{C1_CSI, ST_CSI}, {C1_OSC, ST_OSC}, {C1_DCS, ST_STRING},
	{C1_SOS, ST_STRING}, {C1_PM, ST_STRING}, {C1_APC, ST_STRING},
};

/* 7-bit forms: ESC followed by one of these. */
struct esc_intro {
	unsigned ch;
	enum san_state state;
};

static const struct esc_intro esc_intros[] = {
	{'[', ST_CSI}, {']', ST_OSC}, {'P', ST_STRING},
	{'X', ST_STRING}, {'^', ST_STRING}, {'_', ST_STRING},
};

/* Bidi embeddings, overrides and isolates: they reorder what the operator reads. */
static const struct {
	unsigned lo, hi;
} bidi_controls[] = {
	{0x202A, 0x202E},
	{0x2066, 0x2069},
};

static bool is_bidi_control(unsigned cp)
{
	for (size_t i = 0; i < sizeof bidi_controls / sizeof bidi_controls[0]; i++)
		if (cp >= bidi_controls[i].lo && cp <= bidi_controls[i].hi)
			return true;
	return false;
}

static enum san_state c1_state(unsigned cp)
{
	for (size_t i = 0; i < sizeof c1_intros / sizeof c1_intros[0]; i++)
		if (c1_intros[i].cp == cp)
			return c1_intros[i].state;
	return ST_TEXT;
}

static enum san_state esc_state(unsigned ch)
{
	for (size_t i = 0; i < sizeof esc_intros / sizeof esc_intros[0]; i++)
		if (esc_intros[i].ch == ch)
			return esc_intros[i].state;
	return ST_TEXT;
}

/*
 * What to do with one character in ST_TEXT. KEEP copies its bytes, SPACE and
 * REPLACE write ' ' or U+FFFD, DROP writes nothing.
 */
enum san_action { ACT_KEEP, ACT_SPACE, ACT_REPLACE, ACT_DROP };

/*
 * Runs the sanitiser over in[0..len). With out, writes the result there (room for
 * 3 * len bytes: the worst case is one U+FFFD per input byte) and returns its
 * length. Without out, stops at the first change. *changed tells whether the
 * output differs from the input.
 */
static size_t sanitize_run(const char *in, size_t len, unsigned flags, char *out, bool *changed)
{
	const unsigned char *s = (const unsigned char *)in;
	enum san_state st = ST_TEXT;
	size_t i = 0, o = 0;

	*changed = false;
	while (i < len) {
		unsigned cp = 0;
		bool ok = false;
		size_t n = utf8_scan(s + i, len - i, &cp, &ok);
		enum san_action act = ACT_DROP;

		if (!ok)
			cp = CP_REPLACEMENT;
		switch (st) {
		case ST_TEXT:
			if (!ok)
				act = ACT_REPLACE;
			else if (cp == '\n')
				act = (flags & TEXT_KEEP_NEWLINES) ? ACT_KEEP : ACT_SPACE;
			else if (cp == '\t')
				act = (flags & TEXT_KEEP_TABS) ? ACT_KEEP : ACT_SPACE;
			else if (cp == CH_ESC)
				st = ST_ESC;
			else if (cp >= 0x80 && cp <= 0x9F)
				st = c1_state(cp);
			else if (cp < 0x20 || cp == CH_DEL || is_bidi_control(cp))
				act = ACT_DROP;
			else
				act = ACT_KEEP;
			break;
		case ST_ESC:
			if (cp == CH_ESC) {
				/* a lone ESC followed by another sequence */
			} else if (esc_state(cp) != ST_TEXT) {
				st = esc_state(cp);
			} else if (cp >= 0x20 && cp <= 0x2F) {
				st = ST_NF;
			} else if (cp >= 0x30 && cp <= 0x7E) {
				st = ST_TEXT; /* two-byte Fp/Fe/Fs sequence */
			} else {
				st = ST_TEXT; /* lone ESC: drop it and look at cp afresh */
				continue;
			}
			break;
		case ST_NF:
			if (cp >= 0x20 && cp <= 0x2F) {
				/* more intermediates */
			} else if (cp >= 0x30 && cp <= 0x7E) {
				st = ST_TEXT;
			} else {
				st = ST_TEXT; /* broken sequence: reconsider cp as text */
				continue;
			}
			break;
		case ST_CSI:
			if (cp >= 0x40 && cp <= 0x7E) {
				st = ST_TEXT; /* final byte */
			} else if (cp >= 0x20 && cp <= 0x3F) {
				/* parameters and intermediates */
			} else if (cp == CH_ESC) {
				st = ST_ESC; /* a terminal aborts and starts over */
			} else if (cp == CH_CAN || cp == CH_SUB) {
				st = ST_TEXT;
			} else if (cp < 0x20 || cp == CH_DEL) {
				/* C0 inside CSI: executed by terminals, dropped here */
			} else {
				st = ST_TEXT; /* not part of a CSI: reconsider cp as text */
				continue;
			}
			break;
		case ST_OSC:
		case ST_STRING:
			if (cp == CH_BEL && st == ST_OSC)
				st = ST_TEXT;
			else if (ok && cp == C1_ST)
				st = ST_TEXT;
			else if (cp == CH_CAN || cp == CH_SUB)
				st = ST_TEXT;
			else if (cp == CH_ESC)
				st = ST_STR_ESC;
			/* else swallowed; an unterminated string swallows to the end */
			break;
		case ST_STR_ESC:
			if (cp == '\\') {
				st = ST_TEXT; /* ST */
			} else {
				st = ST_ESC; /* the ESC ended the string and starts a sequence */
				continue;
			}
			break;
		}

		if (act != ACT_KEEP) {
			*changed = true;
			if (!out)
				return o;
		}
		if (out) {
			if (act == ACT_KEEP) {
				memcpy(out + o, s + i, n);
				o += n;
			} else if (act == ACT_SPACE) {
				out[o++] = ' ';
			} else if (act == ACT_REPLACE) {
				o += text_utf8_encode(CP_REPLACEMENT, out + o);
			}
		}
		i += n;
	}
	if (st != ST_TEXT)
		*changed = true; /* an unfinished sequence or lone ESC at the end */
	return o;
}

char *text_sanitize(const char *in, size_t len, unsigned flags)
{
	char *out = NULL, *shrunk = NULL;
	bool changed = false;
	size_t olen = 0;

	if (!in)
		len = 0;
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(3 * len + 1);
	if (!out)
		return NULL;
	olen = len ? sanitize_run(in, len, flags, out, &changed) : 0;
	out[olen] = '\0';
	/* Give back the worst-case slack; keep the big block if shrinking fails. */
	shrunk = realloc(out, olen + 1);
	return shrunk ? shrunk : out;
}

char *text_sanitize_str(const char *in, unsigned flags)
{
	return text_sanitize(in ? in : "", in ? strlen(in) : 0, flags);
}

bool text_is_clean(const char *s, size_t len, unsigned flags)
{
	bool changed = false;

	if (!s || len == 0)
		return true;
	sanitize_run(s, len, flags, NULL, &changed);
	return !changed;
}

/* ---- widths ---- */

/* Columns for one code point: wcwidth, with -1 (unprintable, unassigned) as 1. */
static int cp_width(unsigned cp)
{
	int w = wcwidth((wchar_t)cp);

	return w < 0 ? 1 : w;
}

/* Decodes the next character of a NUL-terminated string; invalid bytes count as
 * one U+FFFD. Returns bytes consumed. */
static size_t next_char(const char *s, unsigned *cp, bool *ok)
{
	size_t n = 0;

	/* utf8_scan never reads past a NUL: NUL is not a valid continuation byte. */
	while (n < 4 && s[n])
		n++;
	return utf8_scan((const unsigned char *)s, n, cp, ok);
}

int text_width(const char *s)
{
	int w = 0;

	if (!s)
		return 0;
	while (*s) {
		unsigned cp = 0;
		bool ok = false;

		s += next_char(s, &cp, &ok);
		w += cp_width(cp);
	}
	return w;
}

int text_fit(char *buf, size_t bufsz, const char *s, int cols, bool pad)
{
	size_t o = 0;
	int w = 0;

	if (bufsz == 0)
		return 0;
	if (!s)
		s = "";
	while (*s && cols > 0) {
		char enc[4];
		const char *src = s;
		unsigned cp = 0;
		bool ok = false;
		size_t n = next_char(s, &cp, &ok);
		size_t outn = n;
		int cw = cp_width(cp);

		if (!ok) {
			outn = text_utf8_encode(CP_REPLACEMENT, enc);
			src = enc;
		}
		if (w + cw > cols || o + outn > bufsz - 1)
			break;
		memcpy(buf + o, src, outn);
		o += outn;
		w += cw;
		s += n;
	}
	/* A wide character that did not fit leaves its column to the padding. */
	while (pad && w < cols && o < bufsz - 1) {
		buf[o++] = ' ';
		w++;
	}
	buf[o] = '\0';
	return w;
}
