/*
 * calendar_ics: iCalendar (RFC 5545) in and out. The content-line scanner is ours
 * so every problem has a "file:line:col" (libical's parser reports none); rules,
 * zones and VTIMEZONE output are libical's. Only VEVENTs are read; TZIDs must be
 * IANA names (a private VTIMEZONE is refused by name, never guessed).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "calendar/calendar.h"
#include "calendar_internal.h"
#include "clock.h"
#include "mem.h"
#include "text.h"

#define ICS_MAX_BYTES (8u * 1024u * 1024u)
#define ICS_MAX_EVENTS 100000
#define ICS_MAX_DEPTH 16
#define ICS_MAX_PARAMS 16

struct ics_param {
	const char *name, *value; /* value unquoted; "a,b" lists kept as written */
};

/* One unfolded content line; strings point into buf. */
struct ics_line {
	int line;      /* first physical line, 1-based */
	char *buf;     /* owned */
	const char *name;
	struct ics_param params[ICS_MAX_PARAMS];
	size_t n_params;
	const char *value;
	int value_col; /* 1-based column of the value */
};

/* An event being read. */
struct ics_event {
	struct calendar_event ev;
	bool in;
	int begin_line;
	bool has_start, floating, has_end, has_duration;
	struct calendar_stamp start, end, recid;
	bool has_recid;
	int start_line, start_col;
	int end_line, end_col;
	size_t rd_cap, ex_cap;
};

struct ics_parser {
	const char *name;
	struct err *e;
	struct calendar_event *events;
	size_t n, cap;
	char cal_zone[CALENDAR_ZONE_MAX];
	bool have_cal_zone;
	char stack[ICS_MAX_DEPTH][64]; /* open component names */
	int stack_line[ICS_MAX_DEPTH];
	int depth;
	bool saw_calendar;
	struct ics_event cur;
};

static int ics_error(struct ics_parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ics_error(struct ics_parser *p, int line, int col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(p->e, "%s:%d:%d: %s", p->name, line, col, msg);
	return -1;
}

static const char *ics_param(const struct ics_line *l, const char *name)
{
	for (size_t i = 0; i < l->n_params; i++)
		if (strcasecmp(l->params[i].name, name) == 0)
			return l->params[i].value;
	return NULL;
}

static bool ics_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* Splits buf into name, parameters and value. */
static int ics_split(struct ics_parser *p, struct ics_line *l)
{
	char *s = l->buf;
	char *q = s;

	while (ics_name_char(*q))
		q++;
	if (q == s)
		return ics_error(p, l->line, 1, "expected a property name");
	l->name = s;
	while (*q == ';') {
		char *pn = NULL;

		*q++ = '\0';
		pn = q;
		while (ics_name_char(*q))
			q++;
		if (q == pn || *q != '=')
			return ics_error(p, l->line, (int)(q - l->buf) + 1,
					 "expected a parameter NAME=VALUE");
		if (l->n_params == ICS_MAX_PARAMS)
			return ics_error(p, l->line, (int)(q - l->buf) + 1, "too many parameters");
		*q++ = '\0';
		l->params[l->n_params].name = pn;
		if (*q == '"') {
			char *close = strchr(q + 1, '"');

			if (!close)
				return ics_error(p, l->line, (int)(q - l->buf) + 1,
						 "unterminated quoted parameter value");
			l->params[l->n_params].value = q + 1;
			*close = '\0';
			q = close + 1;
		} else {
			l->params[l->n_params].value = q;
			while (*q && *q != ';' && *q != ':')
				q++;
		}
		l->n_params++;
		if (*q != ';' && *q != ':')
			return ics_error(p, l->line, (int)(q - l->buf) + 1, "expected ';' or ':'");
		if (*q == ':') {
			*q = '\0';
			q++;
			l->value_col = (int)(q - l->buf) + 1;
			l->value = q;
			return 0;
		}
	}
	if (*q != ':')
		return ics_error(p, l->line, (int)(q - l->buf) + 1, "expected ':' after '%s'",
				 l->name[0] ? "the name" : "nothing");
	*q++ = '\0';
	l->value = q;
	l->value_col = (int)(q - l->buf) + 1;
	return 0;
}

/* A TZID as an IANA zone: libical-style prefixes ("/org/.../Europe/Berlin") are dropped. */
static int ics_zone(struct ics_parser *p, const struct ics_line *l, const char *tzid,
		    char *out)
{
	const char *z = tzid;

	while (z && *z && !calendar_zone_valid(z)) {
		z = strchr(z + 1, '/');
		if (z)
			z++;
	}
	if (!z || !*z) {
		char *clean = text_sanitize_str(tzid, 0);
		int r = ics_error(p, l->line, l->value_col,
				  "unknown time zone '%.64s' (TZID must be an IANA name such as "
				  "Europe/Berlin)", clean ? clean : "?");

		free(clean);
		return r;
	}
	snprintf(out, CALENDAR_ZONE_MAX, "%s", z);
	return 0;
}

/* One DATE or DATE-TIME value v[0..n) of line l, with its TZID. */
static int ics_stamp(struct ics_parser *p, const struct ics_line *l, const char *v, size_t n,
		     struct calendar_stamp *s)
{
	const char *type = ics_param(l, "VALUE");
	const char *tzid = ics_param(l, "TZID");
	int col = l->value_col + (int)(v - l->value);

	if (type && strcasecmp(type, "DATE") && strcasecmp(type, "DATE-TIME"))
		return ics_error(p, l->line, col, "%s with VALUE=%.32s is not supported", l->name,
				 type);
	if (calendar_stamp_parse(v, n, s) < 0)
		return ics_error(p, l->line, col, "'%.*s' is not a valid date or date-time "
				 "(YYYYMMDD or YYYYMMDDTHHMMSS[Z])", (int)(n > 40 ? 40 : n), v);
	if (type && (strcasecmp(type, "DATE") == 0) != s->date_only)
		return ics_error(p, l->line, col, "value does not match VALUE=%s", type);
	if (tzid && !s->date_only && !s->utc && ics_zone(p, l, tzid, s->zone) < 0)
		return -1;
	return 0;
}

/* A comma list of stamps appended to *arr. */
static int ics_stamp_list(struct ics_parser *p, const struct ics_line *l,
			  struct calendar_stamp **arr, size_t *n, size_t *cap)
{
	const char *v = l->value;
	const char *type = ics_param(l, "VALUE");

	if (type && strcasecmp(type, "PERIOD") == 0)
		return ics_error(p, l->line, l->value_col,
				 "%s periods are not supported: give start times", l->name);
	while (*v) {
		size_t len = strcspn(v, ",");
		struct calendar_stamp *g = NULL;

		if (*n >= ICS_MAX_EVENTS)
			return ics_error(p, l->line, l->value_col, "too many %s values", l->name);
		g = mem_grow(*arr, cap, *n, sizeof **arr);
		if (!g)
			return ics_error(p, l->line, 1, "out of memory");
		*arr = g;
		if (ics_stamp(p, l, v, len, &(*arr)[*n]) < 0)
			return -1;
		(*n)++;
		v += len;
		if (*v == ',')
			v++;
	}
	return 0;
}

/* RFC 5545 DURATION: [+]P(nW | nD[T...] | T(nH)(nM)(nS)). Negative ones are refused. */
static int ics_duration(struct ics_parser *p, const struct ics_line *l, int *days,
			int64_t *secs)
{
	const char *v = l->value;
	bool time = false, any = false;
	int64_t d = 0, s = 0;

	if (*v == '+')
		v++;
	if (*v == '-')
		return ics_error(p, l->line, l->value_col, "negative DURATION");
	if (*v++ != 'P')
		goto bad;
	while (*v) {
		int64_t x = 0;

		if (*v == 'T' && !time) {
			time = true;
			v++;
			continue;
		}
		if (!isdigit((unsigned char)*v))
			goto bad;
		while (isdigit((unsigned char)*v)) {
			x = x * 10 + (*v++ - '0');
			if (x > 100000000)
				return ics_error(p, l->line, l->value_col, "DURATION too long");
		}
		any = true;
		switch (*v++) {
		case 'W': if (time) goto bad; d += 7 * x; break;
		case 'D': if (time) goto bad; d += x; break;
		case 'H': if (!time) goto bad; s += 3600 * x; break;
		case 'M': if (!time) goto bad; s += 60 * x; break;
		case 'S': if (!time) goto bad; s += x; break;
		default: goto bad;
		}
	}
	if (!any || d > 100000)
		goto bad;
	*days = (int)d;
	*secs = s;
	return 0;
bad:
	return ics_error(p, l->line, l->value_col, "'%.40s' is not a DURATION (e.g. PT1H30M, P1D)",
			 l->value);
}

/* TEXT unescaping: \n \N \, \; \\ . */
static char *ics_text(const char *v)
{
	char *out = malloc(strlen(v) + 1);
	char *w = out;

	if (!out)
		return NULL;
	for (; *v; v++) {
		if (*v == '\\' && v[1]) {
			v++;
			*w++ = (*v == 'n' || *v == 'N') ? '\n' : *v;
		} else {
			*w++ = *v;
		}
	}
	*w = '\0';
	return out;
}

static int ics_event_begin(struct ics_parser *p, int line)
{
	memset(&p->cur, 0, sizeof p->cur);
	p->cur.in = true;
	p->cur.begin_line = line;
	p->cur.ev.line = line;
	return 0;
}

static int ics_event_prop(struct ics_parser *p, const struct ics_line *l)
{
	struct ics_event *c = &p->cur;
	struct calendar_event *ev = &c->ev;
	const char *n = l->name;

	if (strcasecmp(n, "DTSTART") == 0 || strcasecmp(n, "DTEND") == 0 ||
	    strcasecmp(n, "RECURRENCE-ID") == 0) {
		bool start = strcasecmp(n, "DTSTART") == 0;
		bool recid = strcasecmp(n, "RECURRENCE-ID") == 0;
		bool *have = start ? &c->has_start : recid ? &c->has_recid : &c->has_end;
		struct calendar_stamp *s = start ? &c->start : recid ? &c->recid : &c->end;

		if (*have)
			return ics_error(p, l->line, 1, "%s given twice in this VEVENT", n);
		if (ics_stamp(p, l, l->value, strlen(l->value), s) < 0)
			return -1;
		*have = true;
		if (start) {
			c->start_line = l->line;
			c->start_col = l->value_col;
		} else if (!recid) {
			c->end_line = l->line;
			c->end_col = l->value_col;
		}
		return 0;
	}
	if (strcasecmp(n, "DURATION") == 0) {
		if (c->has_duration)
			return ics_error(p, l->line, 1, "DURATION given twice in this VEVENT");
		c->has_duration = true;
		c->end_line = l->line;
		c->end_col = l->value_col;
		return ics_duration(p, l, &ev->duration_days, &ev->duration_s);
	}
	if (strcasecmp(n, "RRULE") == 0) {
		size_t off = 0;
		struct err sub = { { 0 } };

		if (ev->rrule)
			return ics_error(p, l->line, 1,
					 "a second RRULE in one VEVENT is not supported (RFC 5545 "
					 "allows one)");
		if (calendar_rrule_check(l->value, &off, &sub) < 0)
			return ics_error(p, l->line, l->value_col + (int)off, "%s", sub.msg);
		ev->rrule = strdup(l->value);
		return ev->rrule ? 0 : ics_error(p, l->line, 1, "out of memory");
	}
	if (strcasecmp(n, "RDATE") == 0)
		return ics_stamp_list(p, l, &ev->rdates, &ev->n_rdates, &c->rd_cap);
	if (strcasecmp(n, "EXDATE") == 0)
		return ics_stamp_list(p, l, &ev->exdates, &ev->n_exdates, &c->ex_cap);
	if (strcasecmp(n, "EXRULE") == 0)
		return ics_error(p, l->line, 1, "EXRULE is deprecated by RFC 5545 and not supported");
	if (strcasecmp(n, "SUMMARY") == 0 || strcasecmp(n, "UID") == 0) {
		char **dst = strcasecmp(n, "UID") == 0 ? &ev->uid : &ev->summary;

		free(*dst);
		*dst = ics_text(l->value);
		return *dst ? 0 : ics_error(p, l->line, 1, "out of memory");
	}
	return 0; /* other properties (DESCRIPTION, LOCATION, ...) are not ours */
}

/* END:VEVENT: the event's length and zone, then into the list. */
static int ics_event_end(struct ics_parser *p, int line)
{
	struct ics_event *c = &p->cur;
	struct calendar_event *ev = &c->ev;
	struct calendar_event *g = NULL;
	char buf[24];

	if (!c->has_start)
		return ics_error(p, c->begin_line, 1, "VEVENT without DTSTART");
	if (c->has_end && c->has_duration)
		return ics_error(p, c->end_line, 1, "VEVENT has both DTEND and DURATION");
	ev->all_day = c->start.date_only;
	ev->start = c->start.t;
	c->floating = !c->start.utc && !c->start.zone[0];
	snprintf(ev->zone, sizeof ev->zone, "%s", c->start.utc ? "UTC" : c->start.zone);
	if (c->has_end) {
		if (c->end.date_only != c->start.date_only)
			return ics_error(p, c->end_line, c->end_col,
					 "DTEND is a %s but DTSTART is a %s",
					 c->end.date_only ? "date" : "date-time",
					 c->start.date_only ? "date" : "date-time");
		if (ev->all_day) {
			int64_t d = calendar_days_from_civil(c->end.t.year, c->end.t.month, c->end.t.day) -
				    calendar_days_from_civil(ev->start.year, ev->start.month,
							     ev->start.day);

			if (d < 0 || d > 100000)
				return ics_error(p, c->end_line, c->end_col,
						 "DTEND is before DTSTART");
			ev->duration_days = (int)d;
		} else {
			/* Floating ends are read in the same zone as the floating start. */
			int64_t s_ms = calendar_local_secs(&c->start.t), e_ms = calendar_local_secs(&c->end.t);

			if (!c->floating || c->end.utc || c->end.zone[0]) {
				const char *z = ev->zone[0] ? ev->zone : "UTC";

				s_ms = calendar_stamp_ms(&c->start, z) / 1000;
				e_ms = calendar_stamp_ms(&c->end, z) / 1000;
			}
			if (e_ms < s_ms)
				return ics_error(p, c->end_line, c->end_col, "DTEND is before DTSTART");
			ev->duration_s = e_ms - s_ms;
		}
	} else if (!c->has_duration && ev->all_day) {
		ev->duration_days = 1; /* RFC 5545: an all-day event without an end lasts the day */
	}
	if (ev->all_day && (ev->duration_s % 86400) == 0 && ev->duration_s) {
		ev->duration_days += (int)(ev->duration_s / 86400);
		ev->duration_s = 0;
	}
	if (!ev->uid) {
		calendar_stamp_format(&c->start, buf, sizeof buf);
		if (asprintf(&ev->uid, "%s@line%d", buf, c->begin_line) < 0)
			ev->uid = NULL;
	}
	if (!ev->summary)
		ev->summary = strdup("");
	if (!ev->uid || !ev->summary)
		return ics_error(p, line, 1, "out of memory");
	if (c->has_recid) {
		/* An override of one instance: keyed by UID and RECURRENCE-ID; the master loses it. */
		char *k = NULL;

		calendar_stamp_format(&c->recid, buf, sizeof buf);
		if (asprintf(&k, "%s;RECURRENCE-ID=%s%s%s", ev->uid, c->recid.zone, c->recid.zone[0] ? ":" : "",
			     buf) < 0)
			return ics_error(p, line, 1, "out of memory");
		free(ev->uid);
		ev->uid = k;
		ev->rrule = (free(ev->rrule), NULL);
		/* Kept in exdates[0..] of the override as a marker until the master is found. */
		{
			struct calendar_stamp *gx = mem_grow(ev->exdates, &c->ex_cap, ev->n_exdates,
							      sizeof *ev->exdates);

			if (!gx)
				return ics_error(p, line, 1, "out of memory");
			ev->exdates = gx;
			memmove(ev->exdates + 1, ev->exdates, ev->n_exdates * sizeof *ev->exdates);
			ev->exdates[0] = c->recid;
			ev->n_exdates++;
		}
	}
	if (p->n >= ICS_MAX_EVENTS)
		return ics_error(p, line, 1, "more than %d events", ICS_MAX_EVENTS);
	g = mem_grow(p->events, &p->cap, p->n, sizeof *p->events);
	if (!g)
		return ics_error(p, line, 1, "out of memory");
	p->events = g;
	ev->line = c->floating || ev->all_day ? -ev->line : ev->line; /* fixed up below */
	p->events[p->n++] = *ev;
	memset(&p->cur, 0, sizeof p->cur);
	return 0;
}

static int ics_handle(struct ics_parser *p, struct ics_line *l)
{
	if (ics_split(p, l) < 0)
		return -1;
	if (strcasecmp(l->name, "BEGIN") == 0) {
		if (p->depth == ICS_MAX_DEPTH)
			return ics_error(p, l->line, l->value_col, "components nested too deeply");
		if (p->depth == 0 && strcasecmp(l->value, "VCALENDAR") != 0)
			return ics_error(p, l->line, l->value_col, "expected BEGIN:VCALENDAR, found "
					 "BEGIN:%.32s", l->value);
		if (p->depth == 0)
			p->saw_calendar = true;
		if (p->depth == 1 && strcasecmp(l->value, "VEVENT") == 0)
			ics_event_begin(p, l->line);
		if (strlen(l->value) >= sizeof p->stack[0] || !*l->value)
			return ics_error(p, l->line, l->value_col, "bad component name");
		snprintf(p->stack[p->depth], sizeof p->stack[0], "%s", l->value);
		p->stack_line[p->depth++] = l->line;
		return 0;
	}
	if (strcasecmp(l->name, "END") == 0) {
		if (p->depth == 0)
			return ics_error(p, l->line, 1, "END:%.32s without BEGIN", l->value);
		if (strcasecmp(l->value, p->stack[p->depth - 1]) != 0)
			return ics_error(p, l->line, l->value_col,
					 "END:%.32s does not close BEGIN:%.32s (line %d)", l->value,
					 p->stack[p->depth - 1], p->stack_line[p->depth - 1]);
		p->depth--;
		if (p->depth == 1 && p->cur.in && strcasecmp(l->value, "VEVENT") == 0)
			return ics_event_end(p, l->line);
		return 0;
	}
	if (p->depth == 0)
		return ics_error(p, l->line, 1, "'%.32s' outside BEGIN:VCALENDAR", l->name);
	if (p->depth == 1 && strcasecmp(l->name, "X-WR-TIMEZONE") == 0) {
		if (ics_zone(p, l, l->value, p->cal_zone) < 0)
			return -1;
		p->have_cal_zone = true;
		return 0;
	}
	if (p->depth == 2 && p->cur.in)
		return ics_event_prop(p, l);
	return 0;
}

/* Text must be UTF-8 without control characters other than tab, CR and LF. */
static int ics_check_bytes(struct ics_parser *p, const char *text, size_t len)
{
	int line = 1, col = 1;

	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)text[i];
		unsigned cp = 0;
		size_t n = 1;

		if (ch == '\n') {
			line++;
			col = 1;
			i++;
			continue;
		}
		if (ch < 0x20 && ch != '\t' && ch != '\r')
			return ics_error(p, line, col, "binary data (byte 0x%02x): not an iCalendar file",
					 ch);
		if (ch >= 0x80 && (n = text_utf8_decode(text + i, len - i, &cp)) == 0)
			return ics_error(p, line, col, "invalid UTF-8: not an iCalendar file");
		i += n;
		col++;
	}
	return 0;
}

/* Master events lose the instances their overrides replace. */
static int ics_apply_overrides(struct ics_parser *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct calendar_event *o = &p->events[i];
		const char *semi = strstr(o->uid, ";RECURRENCE-ID=");
		struct calendar_stamp rec;

		if (!semi || o->n_exdates == 0)
			continue;
		rec = o->exdates[0];
		memmove(o->exdates, o->exdates + 1, (o->n_exdates - 1) * sizeof *o->exdates);
		o->n_exdates--;
		for (size_t k = 0; k < p->n; k++) {
			struct calendar_event *m = &p->events[k];
			struct calendar_stamp *g = NULL;
			size_t cap = m->n_exdates;

			if (k == i || strlen(m->uid) != (size_t)(semi - o->uid) ||
			    strncmp(m->uid, o->uid, (size_t)(semi - o->uid)) != 0)
				continue;
			g = mem_grow(m->exdates, &cap, m->n_exdates, sizeof *m->exdates);
			if (!g) {
				err_set(p->e, "out of memory");
				return -1;
			}
			m->exdates = g;
			m->exdates[m->n_exdates++] = rec;
		}
	}
	return 0;
}

int calendar_ics_parse(const char *name, const char *text, size_t len, struct calendar *c,
		       struct err *e)
{
	struct ics_parser p;
	struct ics_line l;
	size_t pos = 0;
	int phys = 0;
	char *acc = NULL;
	size_t acc_len = 0;
	int acc_line = 0;
	int rc = -1;

	memset(&p, 0, sizeof p);
	memset(&l, 0, sizeof l);
	p.name = name;
	p.e = e;
	if (len > ICS_MAX_BYTES) {
		ics_error(&p, 1, 1, "file larger than %u bytes", ICS_MAX_BYTES);
		return -1;
	}
	if (ics_check_bytes(&p, text, len) < 0)
		return -1;
	acc = malloc(len + 1);
	if (!acc) {
		err_set(e, "out of memory");
		return -1;
	}
	/* Unfold physical lines into content lines; handle each when the next begins. */
	while (pos <= len) {
		const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;
		bool eof = pos == len;

		phys++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (!eof && n && (text[pos] == ' ' || text[pos] == '\t')) {
			if (!acc_line) {
				ics_error(&p, phys, 1, "continuation line with no line to continue");
				goto out;
			}
			memcpy(acc + acc_len, text + pos + 1, n - 1);
			acc_len += n - 1;
		} else {
			if (acc_line) {
				acc[acc_len] = '\0';
				memset(&l, 0, sizeof l);
				l.line = acc_line;
				l.buf = acc;
				if (ics_handle(&p, &l) < 0)
					goto out;
			}
			acc_len = 0;
			acc_line = 0;
			if (!eof && n) {
				memcpy(acc, text + pos, n);
				acc_len = n;
				acc_line = phys;
			}
		}
		if (eof)
			break;
		pos = end + 1;
	}
	if (!p.saw_calendar) {
		ics_error(&p, 1, 1, "no BEGIN:VCALENDAR: not an iCalendar file");
		goto out;
	}
	if (p.depth) {
		ics_error(&p, phys > 1 ? phys - 1 : 1, 1, "missing END:%.32s (BEGIN at line %d): "
			  "file truncated?", p.stack[p.depth - 1], p.stack_line[p.depth - 1]);
		goto out;
	}
	if (ics_apply_overrides(&p) < 0)
		goto out;
	if (p.have_cal_zone)
		snprintf(c->zone, sizeof c->zone, "%s", p.cal_zone);
	if (!c->zone[0])
		calendar_local_zone(c->zone, sizeof c->zone);
	for (size_t i = 0; i < p.n; i++) {
		/* Floating and all-day events are read in the calendar's zone. */
		if (p.events[i].line < 0) {
			p.events[i].line = -p.events[i].line;
			snprintf(p.events[i].zone, sizeof p.events[i].zone, "%s", c->zone);
		}
	}
	for (size_t i = 0; i < c->n_events; i++)
		calendar_event_clear(&c->events[i]);
	free(c->events);
	c->events = p.events;
	c->n_events = p.n;
	p.events = NULL;
	p.n = 0;
	rc = 0;
out:
	free(acc);
	calendar_event_clear(&p.cur.ev);
	for (size_t i = 0; i < p.n; i++)
		calendar_event_clear(&p.events[i]);
	free(p.events);
	return rc;
}

int calendar_ics_load(const char *path, struct calendar *c, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	if (!f) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(ICS_MAX_BYTES + 2);
	if (!buf) {
		err_set(e, "out of memory");
		goto out;
	}
	n = fread(buf, 1, ICS_MAX_BYTES + 1, f);
	if (ferror(f)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	if (calendar_ics_parse(path, buf, n, c, e) < 0)
		goto out;
	free(c->ics);
	c->ics = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* ---- writing ---- */

/* Writes "NAME...:value" folded at 75 octets (never inside a UTF-8 character), CRLF. */
static void ics_put(FILE *out, const char *line)
{
	size_t n = strlen(line), col = 0;

	for (size_t i = 0; i < n;) {
		size_t len = 1;

		while (i + len < n && ((unsigned char)line[i + len] & 0xC0) == 0x80)
			len++;
		if (col + len > 75) {
			fputs("\r\n ", out);
			col = 1;
		}
		fwrite(line + i, 1, len, out);
		col += len;
		i += len;
	}
	fputs("\r\n", out);
}

/* TEXT escaping for SUMMARY and friends. */
static void ics_put_text(FILE *out, const char *name, const char *v)
{
	size_t n = strlen(v ? v : "");
	char *buf = malloc(strlen(name) + 2 * n + 2);
	char *w = buf;

	if (!buf)
		return;
	w += sprintf(w, "%s:", name);
	for (const char *s = v ? v : ""; *s; s++) {
		if (*s == '\n') {
			*w++ = '\\';
			*w++ = 'n';
			continue;
		}
		if (*s == '\\' || *s == ';' || *s == ',')
			*w++ = '\\';
		if (*s != '\r')
			*w++ = *s;
	}
	*w = '\0';
	ics_put(out, buf);
	free(buf);
}

static void ics_put_stamp(FILE *out, const char *name, const struct calendar_stamp *s,
			  const char *event_zone)
{
	char v[24], line[160];
	const char *zone = s->zone[0] ? s->zone : event_zone;

	calendar_stamp_format(s, v, sizeof v);
	if (s->date_only)
		snprintf(line, sizeof line, "%s;VALUE=DATE:%s", name, v);
	else if (s->utc || strcmp(zone, "UTC") == 0)
		snprintf(line, sizeof line, "%s:%s%s", name, v, s->utc ? "" : "Z");
	else
		snprintf(line, sizeof line, "%s;TZID=%s:%s", name, zone, v);
	ics_put(out, line);
}

/* A VTIMEZONE for zone from libical, its TZID the plain IANA name. */
static void ics_put_vtimezone(FILE *out, const char *zone)
{
	icaltimezone *z = icaltimezone_get_builtin_timezone(zone);
	icalcomponent *comp = z ? icaltimezone_get_component(z) : NULL;
	char *text = comp ? icalcomponent_as_ical_string_r(comp) : NULL;
	char *line = text;

	while (line && *line) {
		size_t n = strcspn(line, "\r\n");

		if (strncmp(line, "TZID:", 5) == 0)
			fprintf(out, "TZID:%s\r\n", zone);
		else
			fprintf(out, "%.*s\r\n", (int)n, line);
		line += n;
		while (*line == '\r' || *line == '\n')
			line++;
	}
	free(text);
}

int calendar_ics_write(const struct calendar *c, FILE *out, struct err *e)
{
	char stamp[32], line[256];
	const char **zones = calloc(c->n_events * 3 + 1, sizeof *zones);
	size_t n_zones = 0;

	if (!zones) {
		err_set(e, "out of memory");
		return -1;
	}
	ics_put(out, "BEGIN:VCALENDAR");
	ics_put(out, "VERSION:2.0");
	ics_put(out, "PRODID:-//opsdeck//calendar//EN");
	ics_put_text(out, "X-WR-CALNAME", c->name);
	snprintf(line, sizeof line, "X-WR-TIMEZONE:%s", c->zone);
	ics_put(out, line);
	snprintf(line, sizeof line, "X-OPSDECK-KIND:%s", calendar_kind_name(c->kind));
	ics_put(out, line);
	/* One VTIMEZONE per zone a TZID names (RFC 5545 3.6.5). */
	for (size_t i = 0; i < c->n_events; i++) {
		const struct calendar_event *ev = &c->events[i];
		const char *cand[3] = { ev->all_day ? NULL : ev->zone, NULL, NULL };

		for (size_t k = 0; k < ev->n_rdates; k++)
			if (ev->rdates[k].zone[0])
				cand[1] = ev->rdates[k].zone;
		for (size_t k = 0; k < ev->n_exdates; k++)
			if (ev->exdates[k].zone[0])
				cand[2] = ev->exdates[k].zone;
		for (size_t k = 0; k < 3; k++) {
			bool seen = !cand[k] || strcmp(cand[k], "UTC") == 0;

			for (size_t j = 0; j < n_zones && !seen; j++)
				seen = strcmp(zones[j], cand[k]) == 0;
			if (!seen)
				zones[n_zones++] = cand[k];
		}
	}
	for (size_t i = 0; i < n_zones; i++)
		ics_put_vtimezone(out, zones[i]);
	calendar_format_utc(clock_now_ms(), stamp, sizeof stamp);
	/* DTSTAMP is basic format: drop '-' and ':'. */
	{
		char *w = stamp;

		for (char *r = stamp; *r; r++)
			if (*r != '-' && *r != ':')
				*w++ = *r;
		*w = '\0';
	}
	for (size_t i = 0; i < c->n_events; i++) {
		const struct calendar_event *ev = &c->events[i];
		struct calendar_stamp s = { .t = ev->start, .date_only = ev->all_day };
		const char *semi = strstr(ev->uid, ";RECURRENCE-ID=");

		ics_put(out, "BEGIN:VEVENT");
		/* An imported override is written as an event of its own (the master has the EXDATE). */
		if (semi) {
			snprintf(line, sizeof line, "%.*s-%d", (int)(semi - ev->uid > 200 ? 200 : semi - ev->uid),
				 ev->uid, (int)i);
			ics_put_text(out, "UID", line);
		} else {
			ics_put_text(out, "UID", ev->uid);
		}
		snprintf(line, sizeof line, "DTSTAMP:%s", stamp);
		ics_put(out, line);
		ics_put_text(out, "SUMMARY", ev->summary);
		ics_put_stamp(out, "DTSTART", &s, ev->zone);
		/* Nominal days, then exact seconds: what the event was read as. */
		if (ev->duration_s || !ev->duration_days)
			snprintf(line, sizeof line, "DURATION:P%dDT%" PRId64 "S", ev->duration_days,
				 ev->duration_s);
		else
			snprintf(line, sizeof line, "DURATION:P%dD", ev->duration_days);
		ics_put(out, line);
		if (ev->rrule) {
			char *r = NULL;

			if (asprintf(&r, "RRULE:%s", ev->rrule) >= 0) {
				ics_put(out, r);
				free(r);
			}
		}
		for (size_t k = 0; k < ev->n_rdates; k++)
			ics_put_stamp(out, "RDATE", &ev->rdates[k], ev->zone);
		for (size_t k = 0; k < ev->n_exdates; k++)
			ics_put_stamp(out, "EXDATE", &ev->exdates[k], ev->zone);
		ics_put(out, "END:VEVENT");
	}
	ics_put(out, "END:VCALENDAR");
	free(zones);
	if (ferror(out)) {
		err_set(e, "write error");
		return -1;
	}
	return 0;
}
