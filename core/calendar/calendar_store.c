/*
 * calendar_store: imported calendars in SQLite (see include/calendar/calendar_store.h).
 * RDATE and EXDATE lists are stored one stamp a line, "ZONE|VALUE" (an empty zone
 * is the event's own); every value is bound, never spliced into SQL.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar_store.h"
#include "calendar_internal.h"
#include "clock.h"
#include "mem.h"

void calendar_diff_clear(struct calendar_diff *d)
{
	for (size_t i = 0; i < d->n_lines; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof *d);
}

static int calendar_diff_line(struct calendar_diff *d, char sign, const char *summary,
			      struct err *e)
{
	char **g = mem_grow(d->lines, &d->cap, d->n_lines, sizeof *d->lines);

	if (!g || asprintf(&g[d->n_lines], "%c %s", sign, summary) < 0) {
		if (g)
			d->lines = g;
		err_set(e, "out of memory");
		return -1;
	}
	d->lines = g;
	d->n_lines++;
	return 0;
}

/* "ZONE|VALUE\n" for each stamp; malloc'd (caller frees), NULL when memory runs out. */
static char *calendar_store_stamps(const struct calendar_stamp *s, size_t n)
{
	char *out = calloc(n * (CALENDAR_ZONE_MAX + 24) + 1, 1);
	char *w = out;

	for (size_t i = 0; out && i < n; i++) {
		char v[24];

		calendar_stamp_format(&s[i], v, sizeof v);
		w += sprintf(w, "%s|%s\n", s[i].zone, v);
	}
	return out;
}

static int calendar_store_parse_stamps(const char *text, struct calendar_stamp **arr, size_t *n,
				       struct err *e)
{
	size_t lines = 0, cap = 0;

	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	*arr = NULL;
	*n = 0;
	if (!lines)
		return 0;
	cap = lines;
	*arr = calloc(cap, sizeof **arr);
	if (!*arr) {
		err_set(e, "out of memory");
		return -1;
	}
	while (*text) {
		const char *bar = strchr(text, '|');
		const char *nl = strchr(text, '\n');
		size_t zl;

		if (!bar || !nl || bar > nl || (zl = (size_t)(bar - text)) >= CALENDAR_ZONE_MAX ||
		    calendar_stamp_parse(bar + 1, (size_t)(nl - bar - 1), &(*arr)[*n]) < 0) {
			err_set(e, "stored calendar has a bad date list: re-import it");
			return -1;
		}
		memcpy((*arr)[*n].zone, text, zl);
		(*arr)[*n].zone[zl] = '\0';
		(*n)++;
		text = nl + 1;
	}
	return 0;
}

/* One event as text, for comparing an old import with a new one. */
static char *calendar_store_event_key(const struct calendar_event *ev)
{
	char *rd = calendar_store_stamps(ev->rdates, ev->n_rdates);
	char *ex = calendar_store_stamps(ev->exdates, ev->n_exdates);
	char *out = NULL;

	if (rd && ex &&
	    asprintf(&out, "%s\n%s\n%d\n%04d%02d%02dT%02d%02d%02d\n%d\n%lld\n%s\n%s\n%s",
		     ev->summary, ev->zone, ev->all_day, ev->start.year, ev->start.month,
		     ev->start.day, ev->start.hour, ev->start.minute, ev->start.second,
		     ev->duration_days, (long long)ev->duration_s, ev->rrule ? ev->rrule : "", rd,
		     ex) < 0)
		out = NULL;
	free(rd);
	free(ex);
	return out;
}

static int calendar_store_insert_event(struct store *st, int64_t cal_id,
				       const struct calendar_event *ev, struct err *e)
{
	static const char sql[] =
		"INSERT INTO calendar_events(calendar_id, uid, summary, zone, all_day, start_local,"
		" duration_days, duration_s, rrule, rdates, exdates, line)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql, e);
	char start[24];
	char *rd = calendar_store_stamps(ev->rdates, ev->n_rdates);
	char *ex = calendar_store_stamps(ev->exdates, ev->n_exdates);
	struct calendar_stamp st0 = { .t = ev->start };
	int rc = -1;

	if (!s)
		goto out;
	if (!rd || !ex) {
		err_set(e, "out of memory");
		goto out;
	}
	calendar_stamp_format(&st0, start, sizeof start);
	sqlite3_bind_int64(s, 1, cal_id);
	sqlite3_bind_text(s, 2, ev->uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ev->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, ev->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, ev->all_day);
	sqlite3_bind_text(s, 6, start, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, ev->duration_days);
	sqlite3_bind_int64(s, 8, ev->duration_s);
	if (ev->rrule)
		sqlite3_bind_text(s, 9, ev->rrule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, rd, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, ex, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 12, ev->line);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "cannot store event: %s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	if (s)
		store_stmt_done(s);
	free(rd);
	free(ex);
	return rc;
}

/* Old events of calendar id: uid and key text, into parallel arrays. */
struct calendar_store_old {
	char **uid, **key, **summary;
	bool *matched;
	size_t n, cap_u, cap_k, cap_s, cap_m;
};

static void calendar_store_old_clear(struct calendar_store_old *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->uid[i]);
		free(o->key[i]);
		free(o->summary[i]);
	}
	free(o->uid);
	free(o->key);
	free(o->summary);
	free(o->matched);
	memset(o, 0, sizeof *o);
}

int calendar_store_load(struct store *st, struct calendar_set *s, struct err *e);

/* Reads the events of calendar id into c. */
static int calendar_store_read_events(struct store *st, int64_t id, struct calendar *c,
				      struct err *e)
{
	static const char sql[] =
		"SELECT uid, summary, zone, all_day, start_local, duration_days, duration_s, rrule,"
		" rdates, exdates, line FROM calendar_events WHERE calendar_id = ? ORDER BY id";
	sqlite3_stmt *q = store_prepare(st, sql, e);
	size_t cap = 0;
	int r, rc = -1;

	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct calendar_event *g = mem_grow(c->events, &cap, c->n_events, sizeof *c->events);
		struct calendar_event *ev = NULL;
		struct calendar_stamp start;
		const char *t = (const char *)sqlite3_column_text(q, 4);
		const char *rr = (const char *)sqlite3_column_text(q, 7);

		if (!g) {
			err_set(e, "out of memory");
			goto out;
		}
		c->events = g;
		ev = &c->events[c->n_events++];
		memset(ev, 0, sizeof *ev);
		ev->uid = strdup((const char *)sqlite3_column_text(q, 0));
		ev->summary = strdup((const char *)sqlite3_column_text(q, 1));
		snprintf(ev->zone, sizeof ev->zone, "%s", (const char *)sqlite3_column_text(q, 2));
		ev->all_day = sqlite3_column_int(q, 3) != 0;
		if (!t || calendar_stamp_parse(t, strlen(t), &start) < 0) {
			err_set(e, "calendar '%s': bad stored start: re-import it", c->name);
			goto out;
		}
		ev->start = start.t;
		ev->duration_days = sqlite3_column_int(q, 5);
		ev->duration_s = sqlite3_column_int64(q, 6);
		ev->rrule = rr ? strdup(rr) : NULL;
		ev->line = sqlite3_column_int(q, 10);
		if (!ev->uid || !ev->summary || (rr && !ev->rrule)) {
			err_set(e, "out of memory");
			goto out;
		}
		if (calendar_store_parse_stamps((const char *)sqlite3_column_text(q, 8), &ev->rdates,
						&ev->n_rdates, e) < 0 ||
		    calendar_store_parse_stamps((const char *)sqlite3_column_text(q, 9), &ev->exdates,
						&ev->n_exdates, e) < 0)
			goto out;
	}
	if (r != SQLITE_DONE) {
		err_set(e, "cannot read calendar events: %s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	return rc;
}

int calendar_store_load(struct store *st, struct calendar_set *s, struct err *e)
{
	static const char sql[] =
		"SELECT id, name, kind, zone, file, ics FROM calendars ORDER BY name";
	sqlite3_stmt *q = store_prepare(st, sql, e);
	int r, rc = -1;

	if (!q)
		return -1;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct calendar c;
		int kind = calendar_kind_parse((const char *)sqlite3_column_text(q, 2));

		memset(&c, 0, sizeof c);
		c.name = strdup((const char *)sqlite3_column_text(q, 1));
		c.kind = kind < 0 ? CALENDAR_INFO : (enum calendar_kind)kind;
		snprintf(c.zone, sizeof c.zone, "%s", (const char *)sqlite3_column_text(q, 3));
		c.file = strdup((const char *)sqlite3_column_text(q, 4));
		c.source = strdup("import");
		c.ics = strdup((const char *)sqlite3_column_text(q, 5));
		if (!c.name || !c.file || !c.source || !c.ics) {
			calendar_clear(&c);
			err_set(e, "out of memory");
			goto out;
		}
		if (calendar_store_read_events(st, sqlite3_column_int64(q, 0), &c, e) < 0) {
			calendar_clear(&c);
			goto out;
		}
		if (calendar_set_add(s, &c, e) < 0)
			goto out;
	}
	if (r != SQLITE_DONE) {
		err_set(e, "cannot read calendars: %s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	return rc;
}

/* The events of the calendar named name, before it is replaced. */
static int calendar_store_old_events(struct store *st, const char *name,
				     struct calendar_store_old *o, int64_t *id, struct err *e)
{
	sqlite3_stmt *q = store_prepare(st, "SELECT id FROM calendars WHERE name = ?", e);
	struct calendar c;
	int r, rc = -1;

	memset(&c, 0, sizeof c);
	*id = 0;
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "cannot read calendars: %s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	if (!*id)
		return 0;
	c.name = (char *)name;
	if (calendar_store_read_events(st, *id, &c, e) < 0)
		goto out;
	o->n = c.n_events;
	o->uid = calloc(o->n + 1, sizeof *o->uid);
	o->key = calloc(o->n + 1, sizeof *o->key);
	o->summary = calloc(o->n + 1, sizeof *o->summary);
	o->matched = calloc(o->n + 1, sizeof *o->matched);
	if (!o->uid || !o->key || !o->summary || !o->matched) {
		o->n = 0;
		err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n_events; i++) {
		o->key[i] = calendar_store_event_key(&c.events[i]);
		o->uid[i] = c.events[i].uid;
		o->summary[i] = c.events[i].summary;
		c.events[i].uid = NULL;
		c.events[i].summary = NULL;
	}
	rc = 0;
out:
	c.name = NULL;
	calendar_clear(&c);
	return rc;
}

int calendar_store_import(struct store *st, const struct calendar *c, struct calendar_diff *d,
			  struct err *e)
{
	struct calendar_store_old old;
	sqlite3_stmt *s = NULL;
	int64_t old_id = 0, id = 0;
	int rc = -1;

	memset(&old, 0, sizeof old);
	memset(d, 0, sizeof *d);
	if (store_begin(st, e) < 0)
		return -1;
	if (calendar_store_old_events(st, c->name, &old, &old_id, e) < 0)
		goto out;
	d->replaced = old_id != 0;
	if (old_id) {
		s = store_prepare(st, "DELETE FROM calendars WHERE id = ?", e);
		if (!s)
			goto out;
		sqlite3_bind_int64(s, 1, old_id);
		if (sqlite3_step(s) != SQLITE_DONE) {
			err_set(e, "cannot replace calendar: %s", sqlite3_errmsg(store_db(st)));
			goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
	}
	s = store_prepare(st, "INSERT INTO calendars(name, kind, zone, file, ics, imported_at)"
			      " VALUES (?, ?, ?, ?, ?, ?)", e);
	if (!s)
		goto out;
	sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, calendar_kind_name(c->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c->file ? c->file : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->ics ? c->ics : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, clock_now_ms());
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "cannot store calendar: %s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	id = sqlite3_last_insert_rowid(store_db(st));
	for (size_t i = 0; i < c->n_events; i++) {
		const struct calendar_event *ev = &c->events[i];
		char *key = NULL;
		size_t k;

		if (calendar_store_insert_event(st, id, ev, e) < 0)
			goto out;
		for (k = 0; k < old.n; k++)
			if (!old.matched[k] && strcmp(old.uid[k], ev->uid) == 0)
				break;
		if (k == old.n) {
			d->added++;
			if (d->replaced && calendar_diff_line(d, '+', ev->summary, e) < 0)
				goto out;
			continue;
		}
		old.matched[k] = true;
		key = calendar_store_event_key(ev);
		if (key && old.key[k] && strcmp(key, old.key[k]) == 0) {
			d->unchanged++;
		} else {
			d->changed++;
			if (calendar_diff_line(d, '~', ev->summary, e) < 0) {
				free(key);
				goto out;
			}
		}
		free(key);
	}
	for (size_t k = 0; k < old.n; k++) {
		if (old.matched[k])
			continue;
		d->removed++;
		if (calendar_diff_line(d, '-', old.summary[k], e) < 0)
			goto out;
	}
	if (store_commit(st, e) < 0)
		goto out;
	rc = 0;
out:
	if (s)
		sqlite3_finalize(s);
	if (rc && store_in_txn(st))
		store_rollback(st);
	calendar_store_old_clear(&old);
	return rc;
}

int calendar_store_remove(struct store *st, const char *name, struct err *e)
{
	sqlite3_stmt *s = store_prepare(st, "DELETE FROM calendars WHERE name = ?", e);
	int rc = -1;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		err_set(e, "cannot remove calendar: %s", sqlite3_errmsg(store_db(st)));
	else
		rc = sqlite3_changes(store_db(st)) ? 0 : 1;
	sqlite3_finalize(s);
	return rc;
}
