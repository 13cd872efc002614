/*
 * problem: problem records (corrective, preventive, adaptive, improvement), their
 * lifecycle and the incidents linked to them.
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

/* ---- problems ---- */

#define PROB_COLUMNS                                                                        \
	"p.id, p.title, p.description, p.root_cause, p.workaround, p.type, p.status, "      \
	"p.scope_size, p.scope_cost, p.scope_time, p.criticality, p.created_at, "           \
	"p.updated_at, p.created_by"

void problem_clear(struct problem *p)
{
	if (!p)
		return;
	free(p->title);
	free(p->description);
	free(p->root_cause);
	free(p->workaround);
	free(p->scope_size);
	free(p->scope_cost);
	free(p->scope_time);
	free(p->created_by);
	free(p->incidents);
	memset(p, 0, sizeof *p);
}

static int row_to_problem(sqlite3_stmt *s, struct problem *p)
{
	int v;

	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(s, 0);
	p->title = store_col_dup(s, 1);
	p->description = store_col_dup(s, 2);
	p->root_cause = store_col_dup(s, 3);
	p->workaround = store_col_dup(s, 4);
	v = problem_type_parse((const char *)sqlite3_column_text(s, 5));
	p->type = v < 0 ? PROBLEM_CORRECTIVE : (enum problem_type)v;
	v = problem_status_parse((const char *)sqlite3_column_text(s, 6));
	p->status = v < 0 ? PROBLEM_OPEN : (enum problem_status)v;
	p->scope_size = store_col_dup(s, 7);
	p->scope_cost = store_col_dup(s, 8);
	p->scope_time = store_col_dup(s, 9);
	p->criticality = sqlite3_column_int(s, 10);
	p->created_at = sqlite3_column_int64(s, 11);
	p->updated_at = sqlite3_column_int64(s, 12);
	p->created_by = store_col_dup(s, 13);
	if (!p->title || !p->created_by) {
		problem_clear(p);
		return -1;
	}
	return 0;
}

int problem_get(struct store *st, int64_t id, struct problem *out, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	s = store_cached(st, "SELECT " PROB_COLUMNS " FROM problems p WHERE p.id = ?", STORE_VALS(STORE_INT(id)), e);
	if (!s)
		return -1;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (row_to_problem(s, out)) {
			err_set(e, "out of memory");
			goto out;
		}
		break;
	case SQLITE_DONE:
		err_set(e, "no problem #%" PRId64, id);
		goto out;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	out->incidents = incident_joined(st, "SELECT group_concat(incident_id, ', ') FROM (SELECT "
				    "incident_id FROM problem_incidents WHERE problem_id = ? "
				    "ORDER BY incident_id)", id, e);
	if (!out->incidents)
		goto out;
	rc = 0;
out:
	store_stmt_done(s);
	if (rc)
		problem_clear(out);
	return rc;
}

/* Logs a problem change in the shift log (problems have no timeline of their own). */
static int problem_log(struct store *st, int64_t pid, const char *title, const char *what,
		       struct err *e)
{
	struct shiftlog_new n = { .category = "action", .severity = "info" };
	char *line = incident_asprintf("Problem #%" PRId64 " %s: %s", pid, title, what);
	int rc;

	if (!line) {
		err_set(e, "out of memory");
		return -1;
	}
	n.text = line;
	rc = shiftlog_append(st, &n, NULL, e);
	free(line);
	return rc;
}

/* Links incident id to problem pid inside the caller's transaction. */
static int link_locked(struct store *st, int64_t id, int64_t pid, int64_t now, struct err *e)
{
	struct incident inc = { 0 };
	struct problem p = { 0 };
	struct incident_ev ev = { .kind = "linked", .log_cat = "action", .log_sev = "info" };
	char *what = NULL;
	int64_t have = 0;
	int rc = -1;

	if (incident_load_for_change(st, id, now, &inc, e) || problem_get(st, pid, &p, e))
		goto out;
	if (store_int(st, "SELECT count(*) FROM problem_incidents WHERE problem_id = ? AND "
			"incident_id = ?", STORE_VALS(STORE_INT(pid), STORE_INT(id)), 0, &have, e))
		goto out;
	if (have) {
		err_set(e, "incident #%" PRId64 " is already linked to problem #%" PRId64, id, pid);
		goto out;
	}
	if (!(what = incident_asprintf("linked to problem #%" PRId64 ": %s", pid, p.title))) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (store_run(st, "INSERT INTO problem_incidents(problem_id, incident_id, linked_at) "
			"VALUES (?, ?, ?)", STORE_VALS(STORE_INT(pid), STORE_INT(id), STORE_INT(now)), e) ||
	    incident_event_add(st, &inc, now, &ev, e))
		goto out;
	rc = 0;
out:
	incident_clear(&inc);
	problem_clear(&p);
	free(what);
	return rc;
}

int incident_link_problem(struct store *st, int64_t id, int64_t pid, struct err *e)
{
	struct store_txn t = { 0 };
	int rc = -1;

	if (store_txn_begin(st, &t, e))
		return -1;
	if (link_locked(st, id, pid, clock_now_ms(), e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	return rc;
}

int problem_create(struct store *st, const struct problem_new *n, int64_t *id_out,
		   struct err *e)
{
	struct store_txn t = { 0 };
	char *f[8] = { NULL };
	const char *in[8] = { n->title, n->description, n->root_cause, n->workaround,
			      n->scope_size, n->scope_cost, n->scope_time, NULL };
	int64_t now = clock_now_ms(), pid = 0;
	int rc = -1;

	for (size_t i = 0; i < 7; i++)
		f[i] = incident_clean_opt(in[i], i != 0 && i < 4);
	if (!f[0]) {
		err_set(e, "a problem needs a title");
		goto out;
	}
	if ((unsigned)n->type >= PROBLEM_N_TYPES || n->criticality < 0 || n->criticality > 7) {
		err_set(e, "unknown problem type or criticality");
		goto out;
	}
	if (store_txn_begin(st, &t, e))
		goto out;
	if (store_run(st, "INSERT INTO problems(title, description, root_cause, workaround, type, "
			"status, scope_size, scope_cost, scope_time, criticality, created_at, "
			"updated_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, "
			"?10, ?10, ?11)",
		    STORE_VALS(STORE_TEXT(f[0]), STORE_TEXT(f[1]), STORE_TEXT(f[2]), STORE_TEXT(f[3]), STORE_TEXT(problem_type_name(n->type)),
			  STORE_TEXT(f[4]), STORE_TEXT(f[5]), STORE_TEXT(f[6]), STORE_INT(n->criticality), STORE_INT(now),
			  STORE_TEXT(shiftlog_operator())), e))
		goto out;
	pid = sqlite3_last_insert_rowid(store_db(st));
	if (problem_log(st, pid, f[0], "opened", e))
		goto out;
	for (size_t i = 0; i < n->n_incidents; i++)
		if (link_locked(st, n->incidents[i], pid, now, e))
			goto out;
	if (store_txn_commit(st, &t, e))
		goto out;
	if (id_out)
		*id_out = pid;
	rc = 0;
out:
	store_txn_abort(st, &t);
	for (size_t i = 0; i < 8; i++)
		free(f[i]);
	return rc;
}

int problem_update(struct store *st, int64_t id, const struct problem_update *u, struct err *e)
{
	struct problem p = { 0 };
	struct store_txn t = { 0 };
	const char *in[5] = { u->root_cause, u->workaround, u->scope_size, u->scope_cost,
			      u->scope_time };
	char *f[5] = { NULL };
	char *what = NULL;
	int64_t now = clock_now_ms();
	int status, rc = -1;

	for (size_t i = 0; i < 5; i++)
		f[i] = incident_clean_opt(in[i], i < 2);
	if (store_txn_begin(st, &t, e) || problem_get(st, id, &p, e))
		goto out;
	status = u->status >= 0 ? u->status : (int)p.status;
	if (status >= PROBLEM_N_STATUSES ||
	    !problem_status_allowed(p.status, (enum problem_status)status)) {
		err_set(e, "problem #%" PRId64 " is %s: it cannot become %s", id,
			problem_status_name(p.status), problem_status_name(status));
		goto out;
	}
	if (u->criticality > 7) {
		err_set(e, "unknown criticality");
		goto out;
	}
	if (store_run(st, "UPDATE problems SET status = ?2, root_cause = coalesce(?3, root_cause), "
			"workaround = coalesce(?4, workaround), scope_size = coalesce(?5, scope_size), "
			"scope_cost = coalesce(?6, scope_cost), scope_time = coalesce(?7, scope_time), "
			"criticality = coalesce(?8, criticality), updated_at = ?9 WHERE id = ?1",
		    STORE_VALS(STORE_INT(id), STORE_TEXT(problem_status_name(status)), STORE_TEXT(f[0]), STORE_TEXT(f[1]), STORE_TEXT(f[2]),
			  STORE_TEXT(f[3]), STORE_TEXT(f[4]), u->criticality >= 0 ? STORE_INT(u->criticality) : STORE_TEXT(NULL),
			  STORE_INT(now)), e))
		goto out;
	what = status != (int)p.status ?
		       incident_asprintf("%s -> %s", problem_status_name(p.status), problem_status_name(status)) :
		       incident_asprintf("updated");
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	if (problem_log(st, id, p.title, what, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	problem_clear(&p);
	for (size_t i = 0; i < 5; i++)
		free(f[i]);
	free(what);
	return rc;
}

/* Runs a problem query and calls fn per row. */
static int problem_walk(struct store *st, sqlite3_stmt *s, problem_row_fn fn, void *ud,
			struct err *e)
{
	int n = 0, r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct problem p;
		int stop;

		if (row_to_problem(s, &p)) {
			err_set(e, "out of memory");
			return -1;
		}
		n++;
		stop = fn(&p, ud);
		problem_clear(&p);
		if (stop)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return n;
}

int problem_list(struct store *st, int64_t before_id, int limit, problem_row_fn fn, void *ud,
		 struct err *e)
{
	sqlite3_stmt *s = store_query(st, "SELECT " PROB_COLUMNS " FROM problems p WHERE "
					"(?1 = 0 OR p.id < ?1) ORDER BY p.id DESC LIMIT ?2",
				    STORE_VALS(STORE_INT(before_id), STORE_INT(limit > 0 ? limit : -1)), e);
	int rc;

	if (!s)
		return -1;
	rc = problem_walk(st, s, fn, ud, e);
	sqlite3_finalize(s);
	return rc;
}

int incident_problems(struct store *st, int64_t id, problem_row_fn fn, void *ud, struct err *e)
{
	sqlite3_stmt *s = store_query(st, "SELECT " PROB_COLUMNS " FROM problem_incidents l JOIN "
					"problems p ON p.id = l.problem_id WHERE l.incident_id = ? "
					"ORDER BY p.id", STORE_VALS(STORE_INT(id)), e);
	int rc;

	if (!s)
		return -1;
	rc = problem_walk(st, s, fn, ud, e);
	sqlite3_finalize(s);
	return rc;
}

