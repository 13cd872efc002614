/*
 * probe: probe states, the result builders and text helpers the parsers share.
 * The built-in probes, and the thresholds that default to theirs, are in
 * probe_builtin.c; the Nagios plugin protocol in probe_nagios.c; the samples
 * history in probe_sample.c. Parsers never fail: output they cannot read becomes
 * UNKNOWN with a summary that says why.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe.h"
#include "probe_internal.h"
#include "text.h"

/* ---- states ---- */

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Severity order for a host's roll-up: an unknown result hides less than a warning. */
static const int state_rank[] = { 0, 2, 3, 1 };


bool probe_state_known(int s)
{
	return s >= PROBE_OK && s <= PROBE_UNKNOWN;
}

const char *probe_state_name(enum probe_state s)
{
	return state_names[probe_state_known((int)s) ? (int)s : PROBE_UNKNOWN];
}

enum probe_state probe_worst(enum probe_state a, enum probe_state b)
{
	if (!probe_state_known((int)a))
		a = PROBE_UNKNOWN;
	if (!probe_state_known((int)b))
		b = PROBE_UNKNOWN;
	return state_rank[b] > state_rank[a] ? b : a;
}

enum probe_state probe_classify(double value, const struct probe_limits *lim)
{
	double w = lim ? lim->warn : NAN;
	double c = lim ? lim->crit : NAN;

	if (isnan(value))
		return PROBE_OK;
	/* warn above crit: a floor (free space, spare capacity), low values are bad. */
	if (!isnan(w) && !isnan(c) && w > c) {
		if (value <= c)
			return PROBE_CRITICAL;
		return value <= w ? PROBE_WARNING : PROBE_OK;
	}
	if (!isnan(c) && value >= c)
		return PROBE_CRITICAL;
	if (!isnan(w) && value >= w)
		return PROBE_WARNING;
	return PROBE_OK;
}

/* ---- small text helpers ---- */

bool probe_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool probe_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Copies up to n bytes of src into dst (cap bytes) without splitting a UTF-8
 * character; returns the bytes copied. */
size_t probe_copy_utf8(char *dst, size_t cap, const char *src, size_t n)
{
	if (cap == 0)
		return 0;
	if (n > cap - 1) {
		n = cap - 1;
		/* Back off over continuation bytes, then drop the cut lead byte. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

/* A NUL-terminated copy of out[0..len) with stray NULs as spaces, or NULL.
 * The caller frees it. */
char *probe_dup_text(const char *out, size_t len)
{
	char *b = NULL;

	if (!out)
		len = 0;
	b = malloc(len + 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < len; i++)
		b[i] = out[i] ? out[i] : ' ';
	b[len] = '\0';
	return b;
}

/* Cuts the next line off *cur (in place), without its trailing blanks; NULL at the end. */
char *probe_next_line(char **cur)
{
	char *s = *cur;
	char *nl = NULL;
	size_t n;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = s + strlen(s);
	}
	n = strlen(s);
	while (n > 0 && probe_is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Splits line in place on blanks into at most max fields; returns the count. With
 * rest, the last field is the rest of the line, blanks and all. */
size_t probe_split_fields(char *line, char **f, size_t max, bool rest)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (probe_is_blank(*p))
			p++;
		if (!*p)
			break;
		f[n++] = p;
		if (rest && n == max)
			break;
		while (*p && !probe_is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/*
 * Scans a decimal number at *p: [+-]digits[.digits][e[+-]digits]. ',' is taken as
 * the decimal point too (plugins run under a comma locale print one). This does
 * not use strtod, which follows LC_NUMERIC and accepts inf, nan and hex; values
 * up to 15 significant digits convert exactly. Advances *p on success.
 */
bool probe_scan_number(const char **p, double *out)
{
	static const double powers[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	const char *s = *p;
	uint64_t mant = 0;
	int scale = 0;
	int digits = 0;
	bool neg = false;
	double v;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; probe_is_digit(*s); s++, digits++) {
		if (mant < 100000000000000000ULL)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else
			scale++;
	}
	if (*s == '.' || *s == ',') {
		const char *f = s + 1;

		for (; probe_is_digit(*f); f++, digits++) {
			if (mant < 100000000000000000ULL) {
				mant = mant * 10 + (uint64_t)(*f - '0');
				scale--;
			}
		}
		if (f > s + 1 || digits > 0)
			s = f;
	}
	if (digits == 0)
		return false;
	if ((*s == 'e' || *s == 'E') &&
	    (probe_is_digit(s[1]) || ((s[1] == '+' || s[1] == '-') && probe_is_digit(s[2])))) {
		bool eneg = false;
		int e = 0;

		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		for (; probe_is_digit(*s); s++)
			if (e < 10000)
				e = e * 10 + (*s - '0');
		scale += eneg ? -e : e;
	}
	v = (double)mant;
	for (; scale > 22; scale -= 22)
		v *= 1e22;
	for (; scale < -22; scale += 22)
		v /= 1e22;
	v = scale >= 0 ? v * powers[scale] : v / powers[-scale];
	*out = neg ? -v : v;
	*p = s;
	return true;
}

/* A whole string as one number. */
bool probe_parse_number(const char *s, double *out)
{
	return probe_scan_number(&s, out) && *s == '\0';
}

/* ---- results ---- */

void probe_result_init(struct probe_result *r)
{
	memset(r, 0, sizeof *r);
	r->state = PROBE_UNKNOWN;
	r->value = NAN;
}

/*
 * Sets r->summary from untrusted text: sanitised onto one line, blanks trimmed,
 * cut at a character boundary with an ellipsis when it does not fit.
 */
void probe_set_summary(struct probe_result *r, const char *s, size_t n)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	char *clean = text_sanitize(s, n, 0);
	const char *b = clean;
	size_t len;

	if (!clean) {
		snprintf(r->summary, sizeof r->summary, "out of memory");
		goto out;
	}
	while (*b == ' ')
		b++;
	len = strlen(b);
	while (len > 0 && b[len - 1] == ' ')
		len--;
	if (len < sizeof r->summary) {
		probe_copy_utf8(r->summary, sizeof r->summary, b, len);
	} else {
		size_t k = probe_copy_utf8(r->summary, sizeof r->summary - (sizeof ellipsis - 1), b, len);

		memcpy(r->summary + k, ellipsis, sizeof ellipsis);
	}
out:
	free(clean);
}

void probe_set_summaryf(struct probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void probe_set_summaryf(struct probe_result *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	probe_set_summary(r, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Appends a metric; NULL when the result is full. */
struct probe_metric *probe_add_metric(struct probe_result *r, const char *label, double value,
				       const char *uom, double warn, double crit, double min,
				       double max)
{
	struct probe_metric *m = NULL;

	if (r->n_metrics >= PROBE_MAX_METRICS)
		return NULL;
	m = &r->metrics[r->n_metrics++];
	probe_copy_utf8(m->label, sizeof m->label, label, strlen(label));
	probe_copy_utf8(m->uom, sizeof m->uom, uom, strlen(uom));
	m->value = value;
	m->warn = warn;
	m->crit = crit;
	m->min = min;
	m->max = max;
	return m;
}

/* Appends ", item" (or "item" first) to buf while it fits in cap; false when not. */
bool probe_list_add(char *buf, size_t cap, const char *item)
{
	size_t len = strlen(buf);
	size_t need = strlen(item) + (len ? 2 : 0);

	if (len + need + 1 > cap)
		return false;
	snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", item);
	return true;
}
