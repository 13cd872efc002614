/*
 * calendar_yaml: calendars/NAME.yaml in the config folder (format in
 * include/calendar/calendar.h). Every problem is "file:line:col: message"; each
 * event's rule is checked here so a bad one is refused with its position.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "calendar_internal.h"
#include "mem.h"
#include "yamlutil.h"

#define CAL_YAML_MAX_FILES 1000

/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or 'T'), then an optional "Z" or " ZONE". */
static int calendar_yaml_time(const char *v, struct calendar_stamp *s, char *why, size_t wlen)
{
	int n = 0, y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	const char *p = v;

	memset(s, 0, sizeof *s);
	if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
		snprintf(why, wlen, "'%.40s' is not a time (YYYY-MM-DD[ HH:MM[:SS]])", v);
		return -1;
	}
	p += n;
	s->date_only = true;
	if ((*p == ' ' || *p == 'T') && isdigit((unsigned char)p[1])) {
		int k = 0;

		s->date_only = false;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5) {
			snprintf(why, wlen, "'%.40s': the time of day is HH:MM[:SS]", v);
			return -1;
		}
		p += 1 + k;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &k) != 1 || k != 2) {
				snprintf(why, wlen, "'%.40s': seconds are two digits", v);
				return -1;
			}
			p += 3;
		}
	}
	if (*p == 'Z' && p[1] == '\0' && !s->date_only) {
		s->utc = true;
		p++;
	} else if (*p == ' ' && !s->date_only) {
		while (*p == ' ')
			p++;
		if (!calendar_zone_valid(p)) {
			snprintf(why, wlen, "unknown time zone '%.64s' (an IANA name such as Europe/Berlin)",
				 p);
			return -1;
		}
		snprintf(s->zone, sizeof s->zone, "%s", p);
		p += strlen(p);
	}
	if (*p) {
		snprintf(why, wlen, "'%.40s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z| ZONE])", v);
		return -1;
	}
	s->t = (struct calendar_local){ y, mo, d, h, mi, sec };
	if (!calendar_local_valid(&s->t) || sec > 59) {
		snprintf(why, wlen, "'%.40s' is not a valid date or time", v);
		return -1;
	}
	return 0;
}

/* "2h", "30m", "1d4h30m", "1w", "90s", or ISO 8601 "PT2H", "P1D". Days are nominal. */
static int calendar_yaml_duration(const char *v, int *days, int64_t *secs)
{
	const char *p = v;
	int64_t d = 0, s = 0;
	bool any = false, iso = false, time = false;

	if (*p == 'P' || *p == 'p') {
		iso = true;
		p++;
	}
	while (*p) {
		int64_t x = 0;

		if (iso && (*p == 'T' || *p == 't') && !time) {
			time = true;
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			x = x * 10 + (*p++ - '0');
			if (x > 10000000)
				return -1;
		}
		switch (tolower((unsigned char)*p++)) {
		case 'w': d += 7 * x; break;
		case 'd': d += x; break;
		case 'h': s += 3600 * x; break;
		case 'm': s += 60 * x; break;
		case 's': s += x; break;
		default: return -1;
		}
		any = true;
	}
	if (!any || d > 100000)
		return -1;
	*days = (int)d;
	*secs = s;
	return 0;
}

/* rdate/exdate: one time or a list of times. */
static int calendar_yaml_stamps(const struct ydoc *doc, const struct ynode *n,
				struct calendar_stamp **arr, size_t *count, struct err *e)
{
	size_t items = n->kind == YNODE_SEQ ? n->n : 1;
	char why[160];

	if (n->kind == YNODE_MAP)
		return ydoc_error(doc, n, e, "expected a time or a list of times");
	*arr = calloc(items ? items : 1, sizeof **arr);
	if (!*arr)
		return ydoc_error(doc, n, e, "out of memory");
	for (size_t i = 0; i < items; i++) {
		const struct ynode *it = n->kind == YNODE_SEQ ? n->kids[i] : n;

		if (it->kind != YNODE_SCALAR)
			return ydoc_error(doc, it, e, "expected a time");
		if (calendar_yaml_time(it->value, &(*arr)[i], why, sizeof why) < 0)
			return ydoc_error(doc, it, e, "%s", why);
		(*count)++;
	}
	return 0;
}

static const char *const calendar_yaml_event_keys[] = {
	"summary", "start", "end", "duration", "all_day", "zone", "rrule", "rdate", "exdate", "uid",
};

static int calendar_yaml_event(const struct ydoc *doc, const struct ynode *m,
			       const struct calendar *c, struct calendar_event *ev, struct err *e)
{
	const struct ynode *n = NULL;
	struct calendar_stamp start, end;
	char why[160];
	bool has_end = false;

	if (m->kind != YNODE_MAP)
		return ydoc_error(doc, m, e, "an event is a map (summary, start, end or duration, ...)");
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		bool known = false;

		for (size_t k = 0; k < sizeof calendar_yaml_event_keys / sizeof *calendar_yaml_event_keys; k++)
			known = known || strcmp(m->kids[i]->value, calendar_yaml_event_keys[k]) == 0;
		if (!known)
			return ydoc_error(doc, m->kids[i], e,
					  "unknown event key '%.40s' (summary, start, end, duration, "
					  "all_day, zone, rrule, rdate, exdate, uid)", m->kids[i]->value);
	}
	ev->line = m->line;
	n = ynode_get(m, "summary");
	if (!n || n->kind != YNODE_SCALAR || !*n->value)
		return ydoc_error(doc, n ? n : m, e, "an event needs a summary");
	ev->summary = strdup(n->value);
	snprintf(ev->zone, sizeof ev->zone, "%s", c->zone);
	if ((n = ynode_get(m, "zone"))) {
		if (n->kind != YNODE_SCALAR || !calendar_zone_valid(n->value))
			return ydoc_error(doc, n, e, "unknown time zone '%.64s' (an IANA name such as "
					  "Europe/Berlin)", n->kind == YNODE_SCALAR ? n->value : "");
		snprintf(ev->zone, sizeof ev->zone, "%s", n->value);
	}
	n = ynode_get(m, "start");
	if (!n || n->kind != YNODE_SCALAR)
		return ydoc_error(doc, n ? n : m, e, "an event needs a start (YYYY-MM-DD[ HH:MM])");
	if (calendar_yaml_time(n->value, &start, why, sizeof why) < 0)
		return ydoc_error(doc, n, e, "%s", why);
	if (start.utc || start.zone[0])
		return ydoc_error(doc, n, e, "start is wall time: give its zone with 'zone:'");
	ev->all_day = start.date_only;
	ev->start = start.t;
	if ((n = ynode_get(m, "all_day"))) {
		bool v = n->kind == YNODE_SCALAR && strcmp(n->value, "true") == 0;

		if (n->kind != YNODE_SCALAR || (!v && strcmp(n->value, "false") != 0))
			return ydoc_error(doc, n, e, "all_day is true or false");
		if (v != ev->all_day)
			return ydoc_error(doc, n, e, v ? "an all-day event starts on a date (YYYY-MM-DD)"
						       : "a date alone is an all-day start: give a time");
	}
	if (ev->all_day) /* all-day dates are read in the calendar's zone */
		snprintf(ev->zone, sizeof ev->zone, "%s", c->zone);
	if ((n = ynode_get(m, "end"))) {
		has_end = true;
		if (n->kind != YNODE_SCALAR || calendar_yaml_time(n->value, &end, why, sizeof why) < 0)
			return ydoc_error(doc, n, e, "%s", n->kind == YNODE_SCALAR ? why : "expected a time");
		if (end.date_only != ev->all_day)
			return ydoc_error(doc, n, e, ev->all_day ? "end of an all-day event is a date "
					  "(exclusive)" : "end needs a time of day like the start");
		if (ev->all_day) {
			int64_t d = calendar_days_from_civil(end.t.year, end.t.month, end.t.day) -
				    calendar_days_from_civil(start.t.year, start.t.month, start.t.day);

			if (d <= 0)
				return ydoc_error(doc, n, e, "end must be after start (all-day ends are "
						  "exclusive)");
			ev->duration_days = (int)d;
		} else {
			struct calendar_stamp s0 = start;
			int64_t d = calendar_stamp_ms(&end, ev->zone) - calendar_stamp_ms(&s0, ev->zone);

			if (d <= 0)
				return ydoc_error(doc, n, e, "end must be after start");
			ev->duration_s = d / 1000;
		}
	}
	if ((n = ynode_get(m, "duration"))) {
		if (has_end)
			return ydoc_error(doc, n, e, "give end or duration, not both");
		if (n->kind != YNODE_SCALAR ||
		    calendar_yaml_duration(n->value, &ev->duration_days, &ev->duration_s) < 0 ||
		    (ev->duration_days == 0 && ev->duration_s == 0))
			return ydoc_error(doc, n, e, "duration is like 2h, 30m, 1d4h, 1w or PT2H");
		if (ev->all_day && ev->duration_s)
			return ydoc_error(doc, n, e, "an all-day event lasts whole days (1d, 2d, 1w)");
		has_end = true;
	}
	if (!has_end) {
		if (!ev->all_day)
			return ydoc_error(doc, m, e, "an event needs an end or a duration");
		ev->duration_days = 1;
	}
	if ((n = ynode_get(m, "rrule"))) {
		size_t off = 0;
		struct err sub = { { 0 } };
		struct ynode at;

		if (n->kind != YNODE_SCALAR)
			return ydoc_error(doc, n, e, "rrule is one RFC 5545 rule (FREQ=...)");
		if (calendar_rrule_check(n->value, &off, &sub) < 0) {
			at = *n;
			at.col += (int)off;
			return ydoc_error(doc, &at, e, "%s", sub.msg);
		}
		ev->rrule = strdup(n->value);
	}
	if ((n = ynode_get(m, "rdate")) &&
	    calendar_yaml_stamps(doc, n, &ev->rdates, &ev->n_rdates, e) < 0)
		return -1;
	if ((n = ynode_get(m, "exdate")) &&
	    calendar_yaml_stamps(doc, n, &ev->exdates, &ev->n_exdates, e) < 0)
		return -1;
	for (size_t i = 0; i < ev->n_rdates + ev->n_exdates; i++) {
		const struct calendar_stamp *s =
			i < ev->n_rdates ? &ev->rdates[i] : &ev->exdates[i - ev->n_rdates];

		if (s->date_only != ev->all_day && !s->date_only)
			return ydoc_error(doc, ynode_get(m, i < ev->n_rdates ? "rdate" : "exdate"), e,
					  "an all-day event's rdate and exdate are dates");
	}
	if ((n = ynode_get(m, "uid")) && n->kind == YNODE_SCALAR)
		ev->uid = strdup(n->value);
	else if (asprintf(&ev->uid, "%s-line%d@opsdeck", c->name, m->line) < 0)
		ev->uid = NULL;
	if (!ev->summary || !ev->uid || (ynode_get(m, "rrule") && !ev->rrule))
		return ydoc_error(doc, m, e, "out of memory");
	return 0;
}

static const char *const calendar_yaml_keys[] = { "name", "kind", "zone", "events" };

int calendar_yaml_load(const char *path, struct calendar *c, struct err *e)
{
	struct ydoc doc = { 0 };
	const struct ynode *root = NULL, *n = NULL;
	const char *base = strrchr(path, '/');
	int rc = -1;

	memset(c, 0, sizeof *c);
	if (ydoc_load(path, &doc, e) < 0)
		return -1;
	root = doc.root;
	if (!root || root->kind != YNODE_MAP) {
		ydoc_error(&doc, root, e, "a calendar file is a map (name, kind, zone, events)");
		goto out;
	}
	for (size_t i = 0; i + 1 < root->n; i += 2) {
		bool known = false;

		for (size_t k = 0; k < sizeof calendar_yaml_keys / sizeof *calendar_yaml_keys; k++)
			known = known || strcmp(root->kids[i]->value, calendar_yaml_keys[k]) == 0;
		if (!known) {
			ydoc_error(&doc, root->kids[i], e, "unknown key '%.40s' (name, kind, zone, events)",
				   root->kids[i]->value);
			goto out;
		}
	}
	base = base ? base + 1 : path;
	n = ynode_get(root, "name");
	if (n && (n->kind != YNODE_SCALAR || !*n->value || strlen(n->value) > 64)) {
		ydoc_error(&doc, n, e, "name is a short text");
		goto out;
	}
	c->name = n ? strdup(n->value) : strndup(base, strcspn(base, "."));
	n = ynode_get(root, "kind");
	if (!n || n->kind != YNODE_SCALAR || calendar_kind_parse(n->value) < 0) {
		ydoc_error(&doc, n ? n : root, e, "kind is freeze, caution, peak or info");
		goto out;
	}
	c->kind = (enum calendar_kind)calendar_kind_parse(n->value);
	if ((n = ynode_get(root, "zone"))) {
		if (n->kind != YNODE_SCALAR || !calendar_zone_valid(n->value)) {
			ydoc_error(&doc, n, e, "unknown time zone '%.64s' (an IANA name such as "
				   "Europe/Berlin)", n->kind == YNODE_SCALAR ? n->value : "");
			goto out;
		}
		snprintf(c->zone, sizeof c->zone, "%s", n->value);
	} else {
		calendar_local_zone(c->zone, sizeof c->zone);
	}
	c->source = strdup("yaml");
	c->file = strdup(path);
	n = ynode_get(root, "events");
	if (!n || n->kind != YNODE_SEQ) {
		ydoc_error(&doc, n ? n : root, e, "events is a list of events");
		goto out;
	}
	if (!c->name || !c->source || !c->file) {
		err_set(e, "out of memory");
		goto out;
	}
	c->events = calloc(n->n ? n->n : 1, sizeof *c->events);
	if (!c->events) {
		err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n->n; i++) {
		c->n_events++;
		if (calendar_yaml_event(&doc, n->kids[i], c, &c->events[i], e) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc)
		calendar_clear(c);
	ydoc_free(&doc);
	return rc;
}

static int calendar_yaml_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int calendar_yaml_load_dir(const char *dir, struct calendar_set *s, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	size_t used = 0;
	int rc = 0;

	err_clear(e);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : (err_set(e, "%s: %s", dir, strerror(errno)), -1);
	while ((de = readdir(d)) && n < CAL_YAML_MAX_FILES) {
		size_t len = strlen(de->d_name);
		char **g = NULL;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		g = mem_grow(names, &cap, n, sizeof *names);
		if (!g)
			break;
		names = g;
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) >= 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, calendar_yaml_cmp);
	for (size_t i = 0; i < n; i++) {
		struct calendar c;
		struct err sub = { { 0 } };
		const char *why = NULL;

		if (calendar_yaml_load(names[i], &c, &sub) == 0) {
			if (calendar_set_find(s, c.name)) {
				snprintf(sub.msg, sizeof sub.msg, "%s:1:1: a calendar named '%s' is already "
					 "defined", names[i], c.name);
				calendar_clear(&c);
			} else if (calendar_set_add(s, &c, &sub) == 0) {
				continue;
			}
		}
		/* Every broken file is reported, one per line. */
		why = sub.msg;
		if (used < sizeof e->msg)
			used += (size_t)snprintf(e->msg + used, sizeof e->msg - used, "%s%s",
						 used ? "\n" : "", why);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
