/*
 * incident_queue: the incident queue read in pages (keyset paging in queue order:
 * severity, opened, id), the open counts for the top bar, and an incident's
 * timeline. Reads only.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "incident.h"
#include "incident_internal.h"
#include "mem.h"
#include "shiftlog.h"
#include "store_sql.h"
#include "text.h"

/* ---- the queue ---- */

void incident_filter_init(struct incident_filter *f)
{
	memset(f, 0, sizeof *f);
	f->states = INCIDENT_OPEN_MASK;
	f->classification = -1;
}

struct incident_cursor incident_cursor_of(const struct incident *row)
{
	struct incident_cursor c = { row->severity, row->opened_at, row->id };

	return c;
}

int incident_page(struct store *st, const struct incident_filter *f,
		  const struct incident_cursor *cursor, enum incident_dir dir, int limit,
		  incident_row_fn fn, void *ud, struct err *e)
{
	struct incident_filter def;
	struct store_val states_in[INCIDENT_N_STATES];
	struct store_sql q;
	size_t nstates = 0;
	char *pattern = NULL;
	sqlite3_stmt *s = NULL;
	unsigned states;
	bool back = dir == INCIDENT_BACKWARD;
	int n = 0, r;
	int rc = -1;

	if (!f) {
		incident_filter_init(&def);
		f = &def;
	}
	states = f->states ? f->states & INCIDENT_ALL_MASK : INCIDENT_OPEN_MASK;
	store_sql_init(&q, "SELECT " INC_COLUMNS " FROM incidents i WHERE 1");
	/* Each state set has an index in queue order: open, one state, or all. */
	if (states == INCIDENT_OPEN_MASK) {
		store_sql_cat(&q, " AND i.is_open = 1");
	} else if (states != INCIDENT_ALL_MASK) {
		for (int k = 0; k < INCIDENT_N_STATES; k++)
			if (states & INCIDENT_MASK(k))
				states_in[nstates++] = STORE_TEXT(incident_state_name(k));
		store_sql_in(&q, "i.state", states_in, nstates);
	}
	if (f->severity)
		store_sql_and(&q, "i.severity = ?", STORE_INT(f->severity));
	if (f->classification >= 0 && f->classification < INCIDENT_N_CLASSES)
		store_sql_and(&q, "i.classification = ?",
			      STORE_TEXT(incident_class_name(f->classification)));
	if (f->assignee)
		store_sql_and(&q, "i.assignee = ?", STORE_TEXT(f->assignee));
	if (f->host)
		store_sql_and(&q, "i.id IN (SELECT incident_id FROM incident_hosts WHERE host = ?)",
			      STORE_TEXT(f->host));
	if (f->match && *f->match) {
		/* Three characters or more: a phrase over the trigram index is exactly a
		 * case-insensitive substring test. Shorter: no trigram, scan with LIKE. */
		bool indexed = strlen(f->match) >= 3;

		if (!(pattern = indexed ? store_fts_phrase(f->match) : store_like_pattern(f->match))) {
			err_set(e, "out of memory");
			goto out;
		}
		store_sql_and(&q, indexed ?
			"i.id IN (SELECT rowid FROM incident_title_fts WHERE incident_title_fts MATCH ?)" :
			"i.title LIKE ? ESCAPE '\\'", STORE_TEXT(pattern));
	}
	if (cursor && cursor->id) {
		store_sql_cat(&q, back ? " AND (i.severity, i.opened_at, i.id) < (?, ?, ?)" :
					 " AND (i.severity, i.opened_at, i.id) > (?, ?, ?)");
		store_sql_val(&q, STORE_INT(cursor->severity));
		store_sql_val(&q, STORE_INT(cursor->opened_at));
		store_sql_val(&q, STORE_INT(cursor->id));
	}
	store_sql_cat(&q, back ? " ORDER BY i.severity DESC, i.opened_at DESC, i.id DESC LIMIT ?" :
				 " ORDER BY i.severity, i.opened_at, i.id LIMIT ?");
	store_sql_val(&q, STORE_INT(limit > 0 ? limit : 50));
	if (!(s = store_sql_prepare(st, &q, e)))
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident row;
		int stop;

		if (incident_row_read(s, &row)) {
			err_set(e, "out of memory");
			goto out;
		}
		n++;
		stop = fn(&row, ud);
		incident_clear(&row);
		if (stop)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = n;
out:
	sqlite3_finalize(s);
	free(pattern);
	return rc;
}

int incident_open_counts(struct store *st, int64_t counts[INCIDENT_N_SEV], struct err *e)
{
	sqlite3_stmt *s = NULL;
	int r, rc = -1;

	memset(counts, 0, sizeof(int64_t) * INCIDENT_N_SEV);
	s = store_prepare(st, "SELECT severity, count(*) FROM incidents WHERE is_open = 1 "
			      "GROUP BY severity", e);
	if (!s)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		int sev = sqlite3_column_int(s, 0);

		if (sev >= 1 && sev <= INCIDENT_N_SEV)
			counts[sev - 1] = sqlite3_column_int64(s, 1);
	}
	if (r != SQLITE_DONE)
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	else
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int incident_events(struct store *st, int64_t id, int64_t after_id, int limit,
		    incident_event_fn fn, void *ud, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int n = 0, r, rc = -1;

	/* Keyset on (ts, id): the (incident_id, ts) index carries the rowid. */
	s = store_query(st, "SELECT id, incident_id, ts, actor, auto, kind, from_state, to_state, "
			  "text, coalesce(log_id, 0) FROM incident_events WHERE incident_id = ?1 "
			  "AND (ts, id) > (coalesce((SELECT ts FROM incident_events WHERE id = ?2), "
			  "-9223372036854775807), ?2) ORDER BY ts, id LIMIT ?3",
		      STORE_VALS(STORE_INT(id), STORE_INT(after_id), STORE_INT(limit > 0 ? limit : -1)), e);
	if (!s)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident_event ev = {
			.id = sqlite3_column_int64(s, 0),
			.incident_id = sqlite3_column_int64(s, 1),
			.ts = sqlite3_column_int64(s, 2),
			.actor = (const char *)sqlite3_column_text(s, 3),
			.automatic = sqlite3_column_int(s, 4) != 0,
			.kind = incident_event_word((const char *)sqlite3_column_text(s, 5)),
			.from_state = (const char *)sqlite3_column_text(s, 6),
			.to_state = (const char *)sqlite3_column_text(s, 7),
			.text = (const char *)sqlite3_column_text(s, 8),
			.log_id = sqlite3_column_int64(s, 9),
		};

		n++;
		if (fn(&ev, ud))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = n;
out:
	sqlite3_finalize(s);
	return rc;
}

