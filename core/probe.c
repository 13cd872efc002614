/*
 * probe: the built-in probes (one POSIX sh command and one parser each), the
 * Nagios plugin protocol for custom probes, thresholds, and the samples history
 * with its hourly roll-up. Parsers never fail: output they cannot read becomes
 * UNKNOWN with a summary that says why.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "mem.h"
#include "text.h"

#define HOUR_MS 3600000LL

/* ---- states ---- */

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Severity order for a host's roll-up: an unknown result hides less than a warning. */
static const int state_rank[] = { 0, 2, 3, 1 };

/* The same order in SQL, for the hourly roll-up (keep in step with state_rank). */
#define SQL_RANK(col) "(CASE " col " WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 1 ELSE 0 END)"
#define SQL_UNRANK(expr) "(CASE " expr " WHEN 2 THEN 1 WHEN 3 THEN 2 WHEN 1 THEN 3 ELSE 0 END)"

static bool state_known(int s)
{
	return s >= PROBE_OK && s <= PROBE_UNKNOWN;
}

const char *probe_state_name(enum probe_state s)
{
	return state_names[state_known((int)s) ? (int)s : PROBE_UNKNOWN];
}

enum probe_state probe_worst(enum probe_state a, enum probe_state b)
{
	if (!state_known((int)a))
		a = PROBE_UNKNOWN;
	if (!state_known((int)b))
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

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Copies up to n bytes of src into dst (cap bytes) without splitting a UTF-8
 * character; returns the bytes copied. */
static size_t copy_utf8(char *dst, size_t cap, const char *src, size_t n)
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
static char *dup_text(const char *out, size_t len)
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
static char *next_line(char **cur)
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
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Splits line in place on blanks into at most max fields; returns the count. With
 * rest, the last field is the rest of the line, blanks and all. */
static size_t split_fields(char *line, char **f, size_t max, bool rest)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		f[n++] = p;
		if (rest && n == max)
			break;
		while (*p && !is_blank(*p))
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
static bool scan_number(const char **p, double *out)
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
	for (; is_digit(*s); s++, digits++) {
		if (mant < 100000000000000000ULL)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else
			scale++;
	}
	if (*s == '.' || *s == ',') {
		const char *f = s + 1;

		for (; is_digit(*f); f++, digits++) {
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
	    (is_digit(s[1]) || ((s[1] == '+' || s[1] == '-') && is_digit(s[2])))) {
		bool eneg = false;
		int e = 0;

		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		for (; is_digit(*s); s++)
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
static bool parse_number(const char *s, double *out)
{
	return scan_number(&s, out) && *s == '\0';
}

/* ---- results ---- */

static void result_init(struct probe_result *r)
{
	memset(r, 0, sizeof *r);
	r->state = PROBE_UNKNOWN;
	r->value = NAN;
}

/*
 * Sets r->summary from untrusted text: sanitised onto one line, blanks trimmed,
 * cut at a character boundary with an ellipsis when it does not fit.
 */
static void set_summary(struct probe_result *r, const char *s, size_t n)
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
		copy_utf8(r->summary, sizeof r->summary, b, len);
	} else {
		size_t k = copy_utf8(r->summary, sizeof r->summary - (sizeof ellipsis - 1), b, len);

		memcpy(r->summary + k, ellipsis, sizeof ellipsis);
	}
out:
	free(clean);
}

static void set_summaryf(struct probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_summaryf(struct probe_result *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	set_summary(r, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Appends a metric; NULL when the result is full. */
static struct probe_metric *add_metric(struct probe_result *r, const char *label, double value,
				       const char *uom, double warn, double crit, double min,
				       double max)
{
	struct probe_metric *m = NULL;

	if (r->n_metrics >= PROBE_MAX_METRICS)
		return NULL;
	m = &r->metrics[r->n_metrics++];
	copy_utf8(m->label, sizeof m->label, label, strlen(label));
	copy_utf8(m->uom, sizeof m->uom, uom, strlen(uom));
	m->value = value;
	m->warn = warn;
	m->crit = crit;
	m->min = min;
	m->max = max;
	return m;
}

/* The probe's limits with NANs replaced by the built-in defaults. */
static struct probe_limits limits_resolve(const struct probe_limits *lim, const char *probe)
{
	const struct probe_def *d = probe_builtin(probe);
	struct probe_limits l = { d ? d->warn : NAN, d ? d->crit : NAN };

	if (lim && !isnan(lim->warn))
		l.warn = lim->warn;
	if (lim && !isnan(lim->crit))
		l.crit = lim->crit;
	return l;
}

/* Appends ", item" (or "item" first) to buf while it fits in cap; false when not. */
static bool list_add(char *buf, size_t cap, const char *item)
{
	size_t len = strlen(buf);
	size_t need = strlen(item) + (len ? 2 : 0);

	if (len + need + 1 > cap)
		return false;
	snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", item);
	return true;
}

/* ---- perfdata ---- */

/* Units of measure from the plugin guidelines; anything else is kept as text. */
static const char *const known_uoms[] = { "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c",
					  NULL };

bool probe_uom_known(const char *uom)
{
	for (size_t i = 0; uom && known_uoms[i]; i++)
		if (strcmp(uom, known_uoms[i]) == 0)
			return true;
	return false;
}

/*
 * A threshold range: "10", "10:", "~:10", "10:20", "@10:20". We keep one number,
 * the end of the range when it has one, else its start ("10:" -> 10, "~:" and ""
 * -> NAN). false when malformed.
 */
static bool parse_range(const char *s, double *out)
{
	const char *colon = NULL;
	double start = NAN, end = NAN;
	const char *p = NULL;

	*out = NAN;
	if (!*s)
		return true;
	if (*s == '@')
		s++;
	colon = strchr(s, ':');
	if (!colon)
		return parse_number(s, out);
	p = s;
	if (*p == '~' && p + 1 == colon)
		p = colon;
	else if (p != colon && !(scan_number(&p, &start) && p == colon))
		return false;
	if (s == colon && colon[1] == '\0')
		return false; /* ":" says nothing */
	if (colon[1] && !parse_number(colon + 1, &end))
		return false;
	*out = !isnan(end) ? end : start;
	return true;
}

/* min and max: a number or empty (NAN). */
static bool parse_bound(const char *s, double *out)
{
	*out = NAN;
	return !*s || parse_number(s, out);
}

/*
 * Parses "label=value[UOM];warn;crit;min;max" at *pp into m. Always advances *pp
 * past the item (a malformed one ends at the next blank). Returns true when m
 * was filled.
 */
static bool parse_item(const char **pp, struct probe_metric *m)
{
	const char *p = *pp;
	char label[256];
	char tok[256];
	char *field[5] = { NULL };
	size_t ln = 0, tn = 0, nf = 0;
	const char *v = NULL;
	bool ok = false;

	if (*p == '\'') {
		/* Quoted label: anything but a lone quote; '' is a quote. */
		for (p++;; p++) {
			if (*p == '\0')
				goto out;
			if (*p == '\'' && p[1] != '\'') {
				p++;
				break;
			}
			if (*p == '\'')
				p++;
			if (ln < sizeof label - 1)
				label[ln++] = *p;
		}
	} else {
		for (; *p && *p != '=' && !is_blank(*p); p++)
			if (ln < sizeof label - 1)
				label[ln++] = *p;
	}
	label[ln] = '\0';
	if (*p != '=' || ln == 0)
		goto out;
	for (p++; *p && !is_blank(*p); p++) {
		if (tn >= sizeof tok - 1)
			goto out;
		tok[tn++] = *p;
	}
	tok[tn] = '\0';
	/* value[UOM];warn;crit;min;max -- fields past max are ignored. */
	for (char *f = tok; f && nf < 5; nf++) {
		field[nf] = f;
		f = strchr(f, ';');
		if (f)
			*f++ = '\0';
	}
	memset(m, 0, sizeof *m);
	m->warn = m->crit = m->min = m->max = NAN;
	v = field[0];
	if (strcmp(v, "U") == 0) {
		m->value = NAN; /* the plugin could not determine it */
	} else {
		if (!scan_number(&v, &m->value))
			goto out;
		/* A unit has no digits and does not start like a number: "1.2.3",
		 * "5-4" and "0x10" are garbage. */
		if (*v && strchr(".,+-", *v) != NULL)
			goto out;
		for (const char *u = v; *u; u++)
			if (is_digit(*u))
				goto out;
		copy_utf8(m->uom, sizeof m->uom, v, strlen(v));
	}
	if ((nf > 1 && !parse_range(field[1], &m->warn)) ||
	    (nf > 2 && !parse_range(field[2], &m->crit)) ||
	    (nf > 3 && !parse_bound(field[3], &m->min)) || (nf > 4 && !parse_bound(field[4], &m->max)))
		goto out;
	copy_utf8(m->label, sizeof m->label, label, ln);
	ok = true;
out:
	if (!ok)
		while (*p && !is_blank(*p))
			p++;
	*pp = p;
	return ok;
}

size_t probe_parse_perfdata(const char *s, struct probe_metric *m, size_t max)
{
	const char *p = s;
	size_t n = 0;

	if (!s || !m)
		return 0;
	while (n < max) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (parse_item(&p, &m[n]))
			n++;
	}
	return n;
}

/* ---- Nagios plugin output ---- */

int probe_parse_nagios(const char *out, size_t len, int exit_status, struct probe_result *r)
{
	char *buf = NULL;
	char *rest = NULL;
	char *bar = NULL;
	const char *perf1 = NULL, *perf2 = NULL;
	const char *text = NULL;
	size_t n = 0;

	result_init(r);
	r->state = state_known(exit_status) ? (enum probe_state)exit_status : PROBE_UNKNOWN;
	if (!out)
		len = 0;
	buf = dup_text(out ? out : "", len);
	if (!buf) {
		r->state = PROBE_UNKNOWN;
		set_summaryf(r, "out of memory");
		goto out;
	}
	/* Line 1: "TEXT | PERF". Later lines are long text until a '|', after which
	 * everything (that line's rest and all following lines) is more perfdata. */
	rest = strchr(buf, '\n');
	if (rest)
		*rest++ = '\0';
	bar = strchr(buf, '|');
	if (bar) {
		*bar = '\0';
		perf1 = bar + 1;
	}
	if (rest && (bar = strchr(rest, '|')) != NULL)
		perf2 = bar + 1;
	n = probe_parse_perfdata(perf1, r->metrics, PROBE_MAX_METRICS);
	n += probe_parse_perfdata(perf2, r->metrics + n, PROBE_MAX_METRICS - n);
	r->n_metrics = n;
	if (n > 0)
		r->value = r->metrics[0].value;

	text = buf + strspn(buf, " \t\r");
	if (!*text)
		text = "no output";
	if (state_known(exit_status))
		set_summary(r, text, strlen(text));
	else if (exit_status < 0)
		set_summaryf(r, "(no exit status) %s", text);
	else
		set_summaryf(r, "(exit %d) %s", exit_status, text);
out:
	free(buf);
	return 0;
}

/* ---- built-in probes ---- */

/*
 * Every command is one line of POSIX sh wrapped in sh -c '...' so it runs the
 * same under any login shell (bash, zsh, fish, tcsh). Inside: no single quotes,
 * no '!' (csh history), no newlines. Output is normalised on the host where the
 * raw form is large or varies (updates, reboot), so parsers stay small.
 */

static const char LOAD_CMD[] =
	"sh -c 'cat /proc/loadavg /proc/uptime; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc'";

static const char MEMORY_CMD[] = "cat /proc/meminfo";

/* -x where GNU df has it (probed on "/" first: BusyBox df has no -x); the parser
 * filters pseudo filesystems again for the fallback. */
static const char DISK_CMD[] =
	"sh -c 'LC_ALL=C; export LC_ALL; if df -P -k -x tmpfs / >/dev/null 2>&1; then "
	"df -P -k -x tmpfs -x devtmpfs -x squashfs -x overlay -x proc -x sysfs; "
	"else df -P -k; fi'";

static const char FAILED_UNITS_CMD[] =
	"sh -c 'if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then "
	"systemctl --failed --plain --no-legend --no-pager 2>&1; "
	"echo \"opsdeck-systemctl-rc $?\"; else echo opsdeck-no-systemd; fi'";

/*
 * Prints "opsdeck-updates PM PENDING SECURITY", "opsdeck-updates-error PM EXIT
 * FIRST-ERROR-LINE" or "opsdeck-updates none". apt: Inst lines of a simulated
 * upgrade, security when an origin in the parentheses ends in -security. dnf (or
 * yum): package lines of check-update (exit 100 means updates), security as the
 * distinct packages of updateinfo list --security.
 */
static const char UPDATES_CMD[] =
	"sh -c 'LC_ALL=C; export LC_ALL; "
	"if command -v apt-get >/dev/null 2>&1; then "
	"{ apt-get -s -o Debug::NoLocking=true upgrade 2>&1; echo \"opsdeck-rc $?\"; } | "
	"awk -v tag=opsdeck-updates -v err=opsdeck-updates-error -v pm=apt \""
	"/^opsdeck-rc /{rc=\\$2; next}; "
	"/^E: / && ne++ == 0 {e=\\$0}; "
	"/^Inst /{n++; if (tolower(\\$0) ~ /[(].*-security/) s++}; "
	"END{if (rc == 0) print tag, pm, n+0, s+0; else print err, pm, rc, e}\"; "
	"elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then "
	"pm=dnf; command -v dnf >/dev/null 2>&1 || pm=yum; "
	"{ $pm -q check-update 2>&1; echo \"opsdeck-rc $?\"; "
	"$pm -q updateinfo list --security 2>&1; echo \"opsdeck-rc2 $?\"; } | "
	"awk -v tag=opsdeck-updates -v err=opsdeck-updates-error -v pm=$pm \""
	"/^opsdeck-rc /{rc=\\$2; sec=1; next}; "
	"/^opsdeck-rc2 /{rc2=\\$2; next}; "
	"/^E(rror)?: / && ne++ == 0 {e=\\$0}; "
	"sec == 0 && /^Obsoleting/ {obs=1}; "
	"sec == 0 && obs == 0 && /^[^ \\t]/ && \\$1 ~ /^[^:]+[.][A-Za-z0-9_]+\\$/ {n++}; "
	"sec == 1 && NF >= 3 && seen[\\$3]++ == 0 {s++}; "
	"END{if (rc == 0 || rc == 100) {if (rc2 == 0) print tag, pm, n+0, s+0; "
	"else print err, pm, rc2, e} else print err, pm, rc, e}\"; "
	"else echo opsdeck-updates none; fi'";

/* Prints "opsdeck-reboot required [HOW]" (then "opsdeck-reboot-pkg NAME" lines),
 * "opsdeck-reboot no", or "opsdeck-reboot unknown [WHY]". */
static const char REBOOT_CMD[] =
	"sh -c 'if [ -f /var/run/reboot-required ]; then echo opsdeck-reboot required; "
	"sort -u /var/run/reboot-required.pkgs 2>/dev/null | head -n 8 | "
	"sed \"s/^/opsdeck-reboot-pkg /\"; "
	"elif command -v needs-restarting >/dev/null 2>&1; then "
	"needs-restarting -r >/dev/null 2>&1; rc=$?; "
	"if [ $rc -eq 1 ]; then echo opsdeck-reboot required needs-restarting; "
	"elif [ $rc -eq 0 ]; then echo opsdeck-reboot no; "
	"else echo opsdeck-reboot unknown needs-restarting exit $rc; fi; "
	"elif [ -d /var/lib/dpkg ]; then echo opsdeck-reboot no; "
	"else echo opsdeck-reboot unknown; fi'";

/* The first non-empty line of text, for summaries of output we could not read. */
static void first_line(const char *out, size_t len, char *buf, size_t cap)
{
	size_t i = 0, j;

	while (i < len && is_blank(out[i]))
		i++;
	for (j = i; j < len && out[j] != '\n'; j++)
		;
	copy_utf8(buf, cap, out + i, j - i);
}

/* --- load --- */

/* Uptime as "12d 3h", "5h 2m" or "7m". */
static void fmt_uptime(char *buf, size_t cap, double s)
{
	int64_t t = (int64_t)s;
	int64_t d = t / 86400, h = t % 86400 / 3600, m = t % 3600 / 60;

	if (d > 0)
		snprintf(buf, cap, "%" PRId64 "d %" PRId64 "h", d, h);
	else if (h > 0)
		snprintf(buf, cap, "%" PRId64 "h %" PRId64 "m", h, m);
	else
		snprintf(buf, cap, "%" PRId64 "m", m);
}

static int parse_load(const char *out, size_t len, int exit_status,
		      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "load");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[8] = { NULL };
	double load[3] = { NAN, NAN, NAN };
	double up = NAN, cpus = NAN, x, y;
	char ups[32] = "";
	char first[128];
	bool have_load = false;

	result_init(r);
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	/* Lines are told apart by shape, so stray stderr lines do no harm. */
	while ((line = next_line(&cur)) != NULL) {
		size_t n = split_fields(line, f, 8, false);

		if (n == 5 && !have_load && strchr(f[3], '/') && parse_number(f[0], &load[0]) &&
		    parse_number(f[1], &load[1]) && parse_number(f[2], &load[2]))
			have_load = true;
		else if (n == 2 && isnan(up) && parse_number(f[0], &x) && parse_number(f[1], &y))
			up = x;
		else if (n == 1 && isnan(cpus) && parse_number(f[0], &x) && x >= 1 && x < 1e6 &&
			 x == (double)(int64_t)x)
			cpus = x;
	}
	if (!have_load) {
		first_line(out, len, first, sizeof first);
		set_summaryf(r, "no load average in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	r->value = load[0] / (isnan(cpus) ? 1 : cpus);
	r->state = probe_classify(r->value, &l);
	add_metric(r, "load1", load[0], "", l.warn * (isnan(cpus) ? 1 : cpus),
		   l.crit * (isnan(cpus) ? 1 : cpus), 0, NAN);
	add_metric(r, "load5", load[1], "", NAN, NAN, 0, NAN);
	add_metric(r, "load15", load[2], "", NAN, NAN, 0, NAN);
	if (!isnan(up)) {
		add_metric(r, "uptime_s", up, "s", NAN, NAN, 0, NAN);
		fmt_uptime(ups, sizeof ups, up);
	}
	if (!isnan(cpus))
		add_metric(r, "cpus", cpus, "", NAN, NAN, 1, NAN);
	if (isnan(cpus))
		set_summaryf(r, "load %.2f %.2f %.2f (CPU count unknown)%s%s", load[0], load[1],
			     load[2], *ups ? ", up " : "", ups);
	else
		set_summaryf(r, "load %.2f %.2f %.2f (%.0f CPU%s)%s%s", load[0], load[1], load[2],
			     cpus, cpus == 1 ? "" : "s", *ups ? ", up " : "", ups);
out:
	free(buf);
	return 0;
}

/* --- memory --- */

enum { MI_TOTAL, MI_AVAILABLE, MI_FREE, MI_BUFFERS, MI_CACHED, MI_SWAP_TOTAL, MI_SWAP_FREE, MI_N };

static const char *const meminfo_keys[MI_N] = {
	[MI_TOTAL] = "MemTotal",     [MI_AVAILABLE] = "MemAvailable", [MI_FREE] = "MemFree",
	[MI_BUFFERS] = "Buffers",    [MI_CACHED] = "Cached",          [MI_SWAP_TOTAL] = "SwapTotal",
	[MI_SWAP_FREE] = "SwapFree",
};

static const char *const byte_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

/* Bytes for a person: "512 B", "15.5 GiB". */
static void fmt_bytes(char *buf, size_t cap, double b)
{
	size_t u = 0;

	while (b >= 1024 && u + 1 < sizeof byte_units / sizeof byte_units[0]) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%.0f B", b);
	else
		snprintf(buf, cap, "%.1f %s", b, byte_units[u]);
}

static int parse_memory(const char *out, size_t len, int exit_status,
			const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "memory");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	double v[MI_N];
	double total, avail, used, pct, swap_used, swap_pct = NAN;
	char size[32];
	char swap[32] = "no swap";
	char first[128];

	result_init(r);
	for (size_t i = 0; i < MI_N; i++)
		v[i] = NAN;
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	/* "MemTotal:       16303456 kB" */
	while ((line = next_line(&cur)) != NULL) {
		size_t n = split_fields(line, f, 4, false);
		size_t klen;
		double x;

		if (n < 2 || (klen = strlen(f[0])) < 2 || f[0][klen - 1] != ':')
			continue;
		f[0][klen - 1] = '\0';
		for (size_t i = 0; i < MI_N; i++)
			if (strcmp(f[0], meminfo_keys[i]) == 0 && parse_number(f[1], &x) && x >= 0)
				v[i] = x * (n > 2 && strcmp(f[2], "kB") == 0 ? 1024 : 1);
	}
	total = v[MI_TOTAL];
	avail = v[MI_AVAILABLE];
	/* Kernels before 3.14 have no MemAvailable: estimate it the old way. */
	if (isnan(avail) && !isnan(v[MI_FREE]))
		avail = v[MI_FREE] + (isnan(v[MI_BUFFERS]) ? 0 : v[MI_BUFFERS]) +
			(isnan(v[MI_CACHED]) ? 0 : v[MI_CACHED]);
	if (isnan(total) || total <= 0 || isnan(avail)) {
		first_line(out, len, first, sizeof first);
		set_summaryf(r, "no MemTotal/MemAvailable in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	if (avail > total)
		avail = total;
	used = total - avail;
	pct = used * 100 / total;
	r->value = pct;
	r->state = probe_classify(pct, &l);
	add_metric(r, "mem_used_pct", pct, "%", l.warn, l.crit, 0, 100);
	add_metric(r, "mem_total", total, "B", NAN, NAN, 0, NAN);
	add_metric(r, "mem_available", avail, "B", NAN, NAN, 0, total);
	add_metric(r, "mem_used", used, "B", NAN, NAN, 0, total);
	if (!isnan(v[MI_SWAP_TOTAL]) && v[MI_SWAP_TOTAL] > 0 && !isnan(v[MI_SWAP_FREE])) {
		swap_used = v[MI_SWAP_TOTAL] - v[MI_SWAP_FREE];
		if (swap_used < 0)
			swap_used = 0;
		swap_pct = swap_used * 100 / v[MI_SWAP_TOTAL];
		add_metric(r, "swap_used_pct", swap_pct, "%", NAN, NAN, 0, 100);
		add_metric(r, "swap_total", v[MI_SWAP_TOTAL], "B", NAN, NAN, 0, NAN);
		add_metric(r, "swap_used", swap_used, "B", NAN, NAN, 0, v[MI_SWAP_TOTAL]);
		snprintf(swap, sizeof swap, "swap %.0f%%", swap_pct);
	}
	fmt_bytes(size, sizeof size, total);
	set_summaryf(r, "mem %.0f%% of %s, %s", pct, size, swap);
out:
	free(buf);
	return 0;
}

/* --- disk --- */

/* Filesystems that are not disks, by df's first column (for df without -x). */
static const char *const pseudo_fs[] = { "tmpfs",  "devtmpfs", "udev",    "overlay", "squashfs",
					 "proc",   "sysfs",    "none",    "shm",     "devfs",
					 "cgroup", "cgroup2",  "efivarfs", NULL };

/* Mount points that are never disks worth watching (snaps are always 100%). */
static const char *const pseudo_mount_prefix[] = { "/proc/", "/sys/", "/snap/",
						   "/var/lib/snapd/snap/", NULL };

struct mount_use {
	char mount[64];
	double pct;
	size_t order; /* position in df's output, for a stable sort */
};

static int mount_cmp(const void *a, const void *b)
{
	const struct mount_use *x = a, *y = b;

	if (x->pct != y->pct)
		return x->pct < y->pct ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool disk_skip(const char *fs, const char *mount)
{
	for (size_t i = 0; pseudo_fs[i]; i++)
		if (strcmp(fs, pseudo_fs[i]) == 0)
			return true;
	if (strcmp(mount, "/proc") == 0 || strcmp(mount, "/sys") == 0)
		return true;
	for (size_t i = 0; pseudo_mount_prefix[i]; i++)
		if (strncmp(mount, pseudo_mount_prefix[i], strlen(pseudo_mount_prefix[i])) == 0)
			return true;
	return false;
}

/*
 * One df -P line: "FS BLOCKS USED AVAIL CAP% MOUNT". The mount point is all that
 * follows the fifth field, so it may hold spaces. false for the header, errors
 * and pseudo filesystems.
 */
static bool disk_line(char *line, struct mount_use *mu)
{
	char *f[5] = { NULL };
	char *p = line;
	double blocks, used, avail, pct;
	size_t n = 0, cl;

	while (n < 5) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return false;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (!*p)
			return false;
		*p++ = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	cl = strlen(f[4]);
	if (!*p || cl < 2 || f[4][cl - 1] != '%')
		return false;
	f[4][cl - 1] = '\0';
	if (!parse_number(f[1], &blocks) || !parse_number(f[2], &used) ||
	    !parse_number(f[3], &avail) || !parse_number(f[4], &pct))
		return false;
	/* Zero-size filesystems are pseudo ones df lists anyway. */
	if (blocks <= 0 || disk_skip(f[0], p))
		return false;
	copy_utf8(mu->mount, sizeof mu->mount, p, strlen(p));
	mu->pct = pct;
	return true;
}

static int parse_disk(const char *out, size_t len, int exit_status,
		      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "disk");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	struct mount_use *mu = NULL;
	size_t n = 0, cap = 0, shown = 0;
	char list[200] = "";
	char item[96];
	char first[128];

	result_init(r);
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = next_line(&cur)) != NULL) {
		struct mount_use m;
		bool dup = false;

		if (!disk_line(line, &m))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(mu[i].mount, m.mount) == 0;
		if (dup)
			continue;
		if (n == cap) {
			struct mount_use *nm = mem_grow(mu, &cap, n, sizeof *nm);

			if (!nm) {
				set_summaryf(r, "out of memory");
				goto out;
			}
			mu = nm;
		}
		m.order = n;
		mu[n++] = m;
	}
	if (n == 0) {
		first_line(out, len, first, sizeof first);
		set_summaryf(r, "no disks in the df output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	qsort(mu, n, sizeof *mu, mount_cmp);
	r->value = mu[0].pct;
	r->state = probe_classify(r->value, &l);
	for (size_t i = 0; i < n && i < PROBE_MAX_METRICS; i++)
		add_metric(r, mu[i].mount, mu[i].pct, "%", l.warn, l.crit, 0, 100);
	/* The first item always fits (a mount is at most 63 bytes); leave room for
	 * ", +N more". */
	for (shown = 0; shown < n; shown++) {
		snprintf(item, sizeof item, "%s %.0f%%", mu[shown].mount, mu[shown].pct);
		if (!list_add(list, sizeof list - 16, item))
			break;
	}
	if (shown < n)
		set_summaryf(r, "%s, +%zu more", list, n - shown);
	else
		set_summaryf(r, "%s", list);
out:
	free(mu);
	free(buf);
	return 0;
}

/* --- failed units --- */

static const char *const unit_types[] = { ".service", ".socket", ".device", ".mount",
					  ".automount", ".swap", ".target", ".path",
					  ".timer", ".slice", ".scope", NULL };

static bool unit_name(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; unit_types[i]; i++) {
		size_t t = strlen(unit_types[i]);

		if (n > t && strcmp(s + n - t, unit_types[i]) == 0)
			return true;
	}
	return false;
}

static int parse_failed_units(const char *out, size_t len, int exit_status,
			      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "failed-units");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[3] = { NULL };
	char list[200] = "";
	size_t count = 0, listed = 0;
	int rc = 0;
	double x;
	char whole[128];
	char other[128] = "";

	result_init(r);
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = next_line(&cur)) != NULL) {
		size_t n;

		if (strstr(line, "opsdeck-no-systemd") == line ||
		    strstr(line, "has not been booted with systemd")) {
			set_summaryf(r, "no systemd on this host (systemctl missing or not PID 1)");
			goto out;
		}
		copy_utf8(whole, sizeof whole, line, strlen(line));
		n = split_fields(line, f, 3, false);
		if (n == 2 && strcmp(f[0], "opsdeck-systemctl-rc") == 0 && parse_number(f[1], &x)) {
			rc = (int)x;
			continue;
		}
		/* "nginx.service loaded failed failed ..."; older systemd adds a bullet. */
		if (n >= 2 && (strcmp(f[0], "\xe2\x97\x8f") == 0 || strcmp(f[0], "*") == 0))
			memmove(f, f + 1, --n * sizeof f[0]);
		if (n >= 1 && unit_name(f[0])) {
			count++;
			if (list_add(list, sizeof list - 16, f[0]))
				listed++;
		} else if (n >= 1 && !*other) {
			memcpy(other, whole, sizeof other);
		}
	}
	if (rc != 0) {
		set_summaryf(r, "systemctl --failed exited %d%s%s", rc, *other ? ": " : "", other);
		goto out;
	}
	r->value = (double)count;
	r->state = probe_classify(r->value, &l);
	add_metric(r, "failed", r->value, "", l.warn, l.crit, 0, NAN);
	if (count == 0)
		set_summaryf(r, "no failed units");
	else if (listed < count)
		set_summaryf(r, "%zu failed: %s, +%zu more", count, list, count - listed);
	else
		set_summaryf(r, "%zu failed: %s", count, list);
out:
	free(buf);
	return 0;
}

/* --- updates --- */

static int parse_updates(const char *out, size_t len, int exit_status,
			 const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "updates");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	double pending, security, rc;
	char first[128];

	result_init(r);
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = next_line(&cur)) != NULL) {
		size_t n;

		if (strncmp(line, "opsdeck-updates", 15) != 0)
			continue;
		n = split_fields(line, f, 4, true);
		if (n == 2 && strcmp(f[0], "opsdeck-updates") == 0 && strcmp(f[1], "none") == 0) {
			set_summaryf(r, "no apt-get, dnf or yum on this host");
			goto out;
		}
		if (n >= 3 && strcmp(f[0], "opsdeck-updates-error") == 0 && parse_number(f[2], &rc)) {
			set_summaryf(r, "%s exited %.0f%s%s", f[1], rc, n > 3 ? ": " : "",
				     n > 3 ? f[3] : "");
			goto out;
		}
		if (n == 4 && strcmp(f[0], "opsdeck-updates") == 0 &&
		    parse_number(f[2], &pending) && parse_number(f[3], &security) &&
		    pending >= 0 && security >= 0) {
			r->value = security;
			r->state = probe_classify(security, &l);
			add_metric(r, "pending", pending, "", NAN, NAN, 0, NAN);
			add_metric(r, "security", security, "", l.warn, l.crit, 0, NAN);
			if (pending == 0 && security == 0)
				set_summaryf(r, "no pending updates (%s)", f[1]);
			else
				set_summaryf(r, "%.0f pending, %.0f security (%s)", pending,
					     security, f[1]);
			goto out;
		}
	}
	first_line(out, len, first, sizeof first);
	set_summaryf(r, "no update counts in the output (exit %d)%s%s", exit_status,
		     *first ? ": " : "", first);
out:
	free(buf);
	return 0;
}

/* --- reboot --- */

static int parse_reboot(const char *out, size_t len, int exit_status,
			const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = limits_resolve(lim, "reboot");
	char *buf = dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	char pkgs[160] = "";
	bool more = false;
	char how[64] = "";
	char first[128];
	int verdict = -1; /* 1 required, 0 not, -1 no answer, 2 cannot tell */

	result_init(r);
	if (!buf) {
		set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = next_line(&cur)) != NULL) {
		char *rest = NULL;
		size_t n;

		if (strncmp(line, "opsdeck-reboot-pkg ", 19) == 0) {
			rest = line + 19;
			rest += strspn(rest, " \t");
			if (*rest && !list_add(pkgs, sizeof pkgs - 8, rest))
				more = true;
			continue;
		}
		if (strncmp(line, "opsdeck-reboot ", 15) != 0 || verdict >= 0)
			continue;
		rest = line + 15;
		n = split_fields(rest, f, 2, true);
		if (n == 0)
			continue;
		if (strcmp(f[0], "required") == 0)
			verdict = 1;
		else if (strcmp(f[0], "no") == 0)
			verdict = 0;
		else if (strcmp(f[0], "unknown") == 0)
			verdict = 2;
		else
			continue;
		if (n == 2)
			copy_utf8(how, sizeof how, f[1], strlen(f[1]));
	}
	switch (verdict) {
	case 1:
	case 0:
		r->value = verdict;
		r->state = probe_classify(r->value, &l);
		add_metric(r, "reboot_required", r->value, "", l.warn, l.crit, 0, 1);
		if (verdict == 0)
			set_summaryf(r, "no reboot required");
		else if (*pkgs)
			set_summaryf(r, "reboot required (%s%s)", pkgs, more ? ", ..." : "");
		else if (*how)
			set_summaryf(r, "reboot required (%s)", how);
		else
			set_summaryf(r, "reboot required");
		break;
	case 2:
		set_summaryf(r, "cannot tell whether a reboot is required: %s",
			     *how ? how : "no /var/run/reboot-required or needs-restarting");
		break;
	default:
		first_line(out, len, first, sizeof first);
		set_summaryf(r, "no reboot answer in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
	}
out:
	free(buf);
	return 0;
}

/* --- the table --- */

const struct probe_def probe_builtins[] = {
	{ "load", LOAD_CMD, 60, 10, 1.5, 3.0, "/cpu", parse_load },
	{ "memory", MEMORY_CMD, 60, 10, 90, 95, "%", parse_memory },
	{ "disk", DISK_CMD, 300, 20, 85, 95, "%", parse_disk },
	{ "failed-units", FAILED_UNITS_CMD, 120, 15, 1, 3, "", parse_failed_units },
	/* Main figure: security updates. A pending-only host stays OK. */
	{ "updates", UPDATES_CMD, 3600, 180, 1, 10, "", parse_updates },
	/* Main figure: 1 when a reboot is required; warn at 1, no critical. */
	{ "reboot", REBOOT_CMD, 900, 30, 1, NAN, "", parse_reboot },
};

const size_t probe_builtins_n = sizeof probe_builtins / sizeof probe_builtins[0];

/* Cheap everywhere and meaningful on any Linux host; the rest are opt-in. */
const char *const probe_default_set[] = { "load", "memory", "disk", NULL };

const struct probe_def *probe_builtin(const char *name)
{
	for (size_t i = 0; name && i < probe_builtins_n; i++)
		if (strcmp(probe_builtins[i].name, name) == 0)
			return &probe_builtins[i];
	return NULL;
}

/* ---- thresholds ---- */

static bool host_in_group(const struct inventory_host *h, const char *group)
{
	for (size_t i = 0; h && h->groups && h->groups[i]; i++)
		if (strcmp(h->groups[i], group) == 0)
			return true;
	return false;
}

struct probe_limits probe_limits_for(const struct inventory *inv, const struct inventory_host *h,
				     const char *probe)
{
	struct probe_limits all = { NAN, NAN }, grp = { NAN, NAN }, dflt = { NAN, NAN };
	const struct probe_def *d = probe_builtin(probe);
	struct probe_limits out;

	if (d) {
		dflt.warn = d->warn;
		dflt.crit = d->crit;
	}
	/* A custom probe's own thresholds are its defaults. */
	for (size_t i = 0; inv && probe && i < inv->n_probes; i++) {
		if (inv->probes[i].name && strcmp(inv->probes[i].name, probe) == 0) {
			dflt.warn = inv->probes[i].warn;
			dflt.crit = inv->probes[i].crit;
		}
	}
	/* Field by field, so { warn: 70 } after { warn: 80, crit: 90 } keeps crit 90. */
	for (size_t i = 0; inv && probe && i < inv->n_thresholds; i++) {
		const struct inventory_threshold *t = &inv->thresholds[i];
		struct probe_limits *to = NULL;

		if (!t->probe || strcmp(t->probe, probe) != 0)
			continue;
		if (!t->group)
			to = &all;
		else if (host_in_group(h, t->group))
			to = &grp;
		else
			continue;
		if (!isnan(t->warn))
			to->warn = t->warn;
		if (!isnan(t->crit))
			to->crit = t->crit;
	}
	out.warn = !isnan(grp.warn) ? grp.warn : !isnan(all.warn) ? all.warn : dflt.warn;
	out.crit = !isnan(grp.crit) ? grp.crit : !isnan(all.crit) ? all.crit : dflt.crit;
	return out;
}

/* ---- samples ---- */

static const char SQL_SAMPLE_INSERT[] =
	"INSERT INTO samples(host, probe, ts, state, value, summary) VALUES (?, ?, ?, ?, ?, ?)";

int probe_sample_store(struct store *st, const char *host, const char *probe, int64_t ts_ms,
		       const struct probe_result *r, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (!host || !*host || !probe || !*probe || !r) {
		err_set(e, "a sample needs a host, a probe and a result");
		goto out;
	}
	if (!(s = store_stmt(st, SQL_SAMPLE_INSERT, e)))
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ts_ms);
	sqlite3_bind_int(s, 4, state_known((int)r->state) ? (int)r->state : PROBE_UNKNOWN);
	if (isnan(r->value) || isinf(r->value))
		sqlite3_bind_null(s, 5);
	else
		sqlite3_bind_double(s, 5, r->value);
	sqlite3_bind_text(s, 6, r->summary, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

/* Newest max points (hourly rows, then raw samples), returned oldest first. */
static const char SQL_HISTORY[] =
	"SELECT ts, value, state FROM ("
	" SELECT hour AS ts, vavg AS value, worst AS state, 0 AS k, 0 AS id FROM samples_hourly"
	"  WHERE host = ?1 AND probe = ?2 AND hour >= ?3"
	" UNION ALL"
	" SELECT ts, value, state, 1, id FROM samples"
	"  WHERE host = ?1 AND probe = ?2 AND ts >= ?3"
	" ORDER BY ts DESC, k DESC, id DESC LIMIT ?4)"
	" ORDER BY ts, k, id";

int probe_history(struct store *st, const char *host, const char *probe, int64_t since_ms,
		  struct probe_point *pts, size_t max, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int n = -1;
	int r;

	if (!host || !probe || (!pts && max)) {
		err_set(e, "history needs a host and a probe");
		goto out;
	}
	if (max > INT32_MAX)
		max = INT32_MAX;
	if (!(s = store_stmt(st, SQL_HISTORY, e)))
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, since_ms);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	n = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW && (size_t)n < max) {
		int state = sqlite3_column_int(s, 2);

		pts[n].ts_ms = sqlite3_column_int64(s, 0);
		pts[n].value = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN
									: sqlite3_column_double(s, 1);
		pts[n].state = state_known(state) ? (enum probe_state)state : PROBE_UNKNOWN;
		n++;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		n = -1;
	}
out:
	store_stmt_done(s);
	return n;
}

/*
 * Raw samples before ?1 into their hours (ms at the start of the UTC hour). An
 * hour already rolled up (the cut-off fell inside it last time) is merged: counts
 * add, min and max widen, the average is weighted by the number of values (nv;
 * samples without a value count in n only), the worst state wins.
 */
static const char SQL_ROLLUP[] =
	"INSERT INTO samples_hourly(host, probe, hour, n, nv, vmin, vmax, vavg, worst)"
	" SELECT host, probe, (ts / 3600000) * 3600000 AS h, count(*), count(value),"
	"  min(value), max(value), avg(value), " SQL_UNRANK("max(" SQL_RANK("state") ")")
	" FROM samples WHERE ts < ?1 GROUP BY host, probe, h"
	" ON CONFLICT(host, probe, hour) DO UPDATE SET"
	"  n = n + excluded.n,"
	"  nv = nv + excluded.nv,"
	"  vmin = coalesce(min(vmin, excluded.vmin), vmin, excluded.vmin),"
	"  vmax = coalesce(max(vmax, excluded.vmax), vmax, excluded.vmax),"
	"  vavg = CASE WHEN nv + excluded.nv = 0 THEN NULL"
	"   ELSE (coalesce(vavg, 0.0) * nv + coalesce(excluded.vavg, 0.0) * excluded.nv)"
	"    / (nv + excluded.nv) END,"
	"  worst = CASE WHEN " SQL_RANK("excluded.worst") " > " SQL_RANK("worst")
	"   THEN excluded.worst ELSE worst END";

static const char SQL_PRUNE_RAW[] = "DELETE FROM samples WHERE ts < ?1";

/* An hourly row goes once its whole hour is older than the cut-off. */
static const char SQL_PRUNE_HOURLY[] = "DELETE FROM samples_hourly WHERE hour + 3600000 <= ?1";

/* Steps a write statement with one time bound; adds its changes to *removed. */
static int prune_step(struct store *st, const char *sql, int64_t bound, int64_t *removed,
		      struct err *e)
{
	sqlite3_stmt *s = store_stmt(st, sql, e);
	int rc = -1;

	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, bound);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	if (removed)
		*removed += sqlite3_changes(store_db(st));
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

int64_t probe_prune(struct store *st, int64_t now_ms, int64_t raw_keep_ms, int64_t hourly_keep_ms,
		    struct err *e)
{
	bool began = false;
	int64_t removed = 0;
	int64_t rc = -1;

	if (raw_keep_ms < 0) {
		err_set(e, "raw sample retention must not be negative");
		goto out;
	}
	if (!store_in_txn(st)) {
		if (store_begin(st, e))
			goto out;
		began = true;
	}
	/* Roll up before deleting, in one transaction: a crash loses nothing. */
	if (prune_step(st, SQL_ROLLUP, now_ms - raw_keep_ms, NULL, e) ||
	    prune_step(st, SQL_PRUNE_RAW, now_ms - raw_keep_ms, &removed, e))
		goto out;
	if (hourly_keep_ms > 0 &&
	    prune_step(st, SQL_PRUNE_HOURLY, now_ms - hourly_keep_ms, &removed, e))
		goto out;
	if (began) {
		began = false; /* store_commit rolls back itself on failure */
		if (store_commit(st, e))
			goto out;
	}
	rc = removed;
out:
	if (began)
		store_rollback(st);
	return rc;
}
