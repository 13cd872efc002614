/*
 * incident: incidents, their timeline, the lifecycle table, SLA clocks,
 * escalation, dedup and flapping for automatic opening, and problems. Each change
 * is one transaction (or a savepoint inside the caller's) holding the row, its
 * timeline event and its shift-log entry. Statements are prepared per call, not
 * cached: the store's cache is small and shared, and a prepare costs microseconds.
 */
#define _GNU_SOURCE /* vasprintf */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "incident.h"
#include "mem.h"
#include "shiftlog.h"
#include "text.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define TITLE_MAX 300
#define NAME_MAX_LEN 64

/* ---- vocabularies ---- */

static const char *const state_names[INCIDENT_N_STATES] = {
	[INCIDENT_TRIAGE] = "triage",       [INCIDENT_ACTIVE] = "active",
	[INCIDENT_MITIGATED] = "mitigated", [INCIDENT_RESOLVED] = "resolved",
	[INCIDENT_CLOSED] = "closed",       [INCIDENT_CANCELLED] = "cancelled",
	[INCIDENT_MERGED] = "merged",
};

static const char *const action_names[INCIDENT_N_ACTIONS] = {
	[INCIDENT_ACT_ACTIVATE] = "activate", [INCIDENT_ACT_MITIGATE] = "mitigate",
	[INCIDENT_ACT_RESOLVE] = "resolve",   [INCIDENT_ACT_CLOSE] = "close",
	[INCIDENT_ACT_CANCEL] = "cancel",     [INCIDENT_ACT_MERGE] = "merge",
	[INCIDENT_ACT_REGRESS] = "regress",   [INCIDENT_ACT_REOPEN] = "reopen",
};

static const struct {
	const char *name, *label;
} class_names[INCIDENT_N_CLASSES] = {
	[INCIDENT_CLASS_UNKNOWN] = { "unknown", "Unknown" },
	[INCIDENT_CLASS_CODE_DEFECT] = { "code-defect", "Code defect" },
	[INCIDENT_CLASS_VULNERABILITY] = { "vulnerability", "Security vulnerability" },
	[INCIDENT_CLASS_EXPLOIT] = { "exploit", "Exploit or malicious activity" },
	[INCIDENT_CLASS_USER_ERROR] = { "user-error", "User error" },
	[INCIDENT_CLASS_CAPACITY] = { "capacity", "Capacity" },
	[INCIDENT_CLASS_CHANGE] = { "change-induced", "Change-induced" },
	[INCIDENT_CLASS_EXTERNAL] = { "external", "External" },
};

static const char *const source_names[INCIDENT_N_SOURCES] = {
	[INCIDENT_SRC_OPERATOR] = "operator", [INCIDENT_SRC_PROBE] = "probe",
	[INCIDENT_SRC_HOST_KEY] = "host-key", [INCIDENT_SRC_IMPORT] = "import",
};

/* The lifecycle. Anything not here is refused (see the table in incident.h). */
static const struct {
	enum incident_state from;
	enum incident_action action;
	enum incident_state to;
} transitions[] = {
	{ INCIDENT_TRIAGE, INCIDENT_ACT_ACTIVATE, INCIDENT_ACTIVE },
	{ INCIDENT_TRIAGE, INCIDENT_ACT_CANCEL, INCIDENT_CANCELLED },
	{ INCIDENT_TRIAGE, INCIDENT_ACT_MERGE, INCIDENT_MERGED },
	{ INCIDENT_ACTIVE, INCIDENT_ACT_MITIGATE, INCIDENT_MITIGATED },
	{ INCIDENT_ACTIVE, INCIDENT_ACT_CANCEL, INCIDENT_CANCELLED },
	{ INCIDENT_ACTIVE, INCIDENT_ACT_MERGE, INCIDENT_MERGED },
	{ INCIDENT_MITIGATED, INCIDENT_ACT_RESOLVE, INCIDENT_RESOLVED },
	{ INCIDENT_MITIGATED, INCIDENT_ACT_REGRESS, INCIDENT_ACTIVE },
	{ INCIDENT_RESOLVED, INCIDENT_ACT_CLOSE, INCIDENT_CLOSED },
	{ INCIDENT_RESOLVED, INCIDENT_ACT_REOPEN, INCIDENT_ACTIVE },
};

/*
 * What each action writes besides the state (?1 id, ?2 now, ?3 text, ?4 target,
 * ?5 new state). Stopping the resolve clock is done by stop_clock, not here.
 */
static const char *const action_sql[INCIDENT_N_ACTIONS] = {
	[INCIDENT_ACT_ACTIVATE] = "UPDATE incidents SET state = ?5, activated_at = ?2 WHERE id = ?1",
	[INCIDENT_ACT_MITIGATE] = "UPDATE incidents SET state = ?5, mitigated_at = ?2 WHERE id = ?1",
	[INCIDENT_ACT_RESOLVE] = "UPDATE incidents SET state = ?5, resolved_at = ?2, resolution = ?3 "
				 "WHERE id = ?1",
	[INCIDENT_ACT_CLOSE] = "UPDATE incidents SET state = ?5, closed_at = ?2 WHERE id = ?1",
	[INCIDENT_ACT_CANCEL] = "UPDATE incidents SET state = ?5, cancelled_at = ?2, cancel_reason = ?3,"
				" ack_sla = coalesce(ack_sla, 'void'),"
				" resolve_sla = coalesce(resolve_sla, 'void') WHERE id = ?1",
	[INCIDENT_ACT_MERGE] = "UPDATE incidents SET state = ?5, merged_at = ?2, merged_into = ?4,"
			       " ack_sla = coalesce(ack_sla, 'void'),"
			       " resolve_sla = coalesce(resolve_sla, 'void') WHERE id = ?1",
	/* A mitigation that did not hold: the incident is active again. */
	[INCIDENT_ACT_REGRESS] = "UPDATE incidents SET state = ?5, mitigated_at = NULL WHERE id = ?1",
	/* A resolution that did not hold: the resolve clock runs again if it had been met. */
	[INCIDENT_ACT_REOPEN] = "UPDATE incidents SET state = ?5, resolved_at = NULL, mitigated_at = NULL,"
				" resolve_sla = CASE resolve_sla WHEN 'met' THEN NULL"
				" ELSE resolve_sla END WHERE id = ?1",
};

/* Shift-log severity for an incident severity (SEV1 is critical). */
static const char *const log_severity[INCIDENT_N_SEV + 1] = {
	"info", "critical", "warning", "notice", "info",
};

static const char *const problem_type_names[PROBLEM_N_TYPES] = {
	[PROBLEM_CORRECTIVE] = "corrective", [PROBLEM_PREVENTIVE] = "preventive",
	[PROBLEM_ADAPTIVE] = "adaptive",     [PROBLEM_IMPROVEMENT] = "improvement",
};

static const char *const problem_status_names[PROBLEM_N_STATUSES] = {
	[PROBLEM_OPEN] = "open",           [PROBLEM_INVESTIGATING] = "investigating",
	[PROBLEM_KNOWN_ERROR] = "known-error", [PROBLEM_RESOLVED] = "resolved",
	[PROBLEM_CLOSED] = "closed",
};

static const struct {
	enum problem_status from, to;
} problem_moves[] = {
	{ PROBLEM_OPEN, PROBLEM_INVESTIGATING },
	{ PROBLEM_OPEN, PROBLEM_CLOSED },
	{ PROBLEM_INVESTIGATING, PROBLEM_KNOWN_ERROR },
	{ PROBLEM_INVESTIGATING, PROBLEM_RESOLVED },
	{ PROBLEM_KNOWN_ERROR, PROBLEM_RESOLVED },
	{ PROBLEM_RESOLVED, PROBLEM_CLOSED },
	{ PROBLEM_RESOLVED, PROBLEM_INVESTIGATING },
};

static const struct {
	const char *name;
	int bit;
} crit_names[] = {
	{ "performance", PROBLEM_CRIT_PERFORMANCE },
	{ "safety", PROBLEM_CRIT_SAFETY },
	{ "security", PROBLEM_CRIT_SECURITY },
};

static int find_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && strcasecmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *incident_state_name(enum incident_state s)
{
	return (unsigned)s < INCIDENT_N_STATES ? state_names[s] : "?";
}

const char *incident_action_name(enum incident_action a)
{
	return (unsigned)a < INCIDENT_N_ACTIONS ? action_names[a] : "?";
}

const char *incident_class_name(enum incident_class c)
{
	return (unsigned)c < INCIDENT_N_CLASSES ? class_names[c].name : "?";
}

const char *incident_class_label(enum incident_class c)
{
	return (unsigned)c < INCIDENT_N_CLASSES ? class_names[c].label : "?";
}

const char *incident_source_name(enum incident_source s)
{
	return (unsigned)s < INCIDENT_N_SOURCES ? source_names[s] : "?";
}

int incident_state_parse(const char *name)
{
	return find_name(state_names, INCIDENT_N_STATES, name);
}

int incident_action_parse(const char *name)
{
	return find_name(action_names, INCIDENT_N_ACTIONS, name);
}

int incident_class_parse(const char *name)
{
	for (int i = 0; name && i < INCIDENT_N_CLASSES; i++)
		if (strcasecmp(class_names[i].name, name) == 0)
			return i;
	return -1;
}

int incident_source_parse(const char *name)
{
	return find_name(source_names, INCIDENT_N_SOURCES, name);
}

int incident_severity_parse(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "SEV", 3) == 0)
		name += 3;
	if (name[0] >= '1' && name[0] <= '4' && name[1] == '\0')
		return name[0] - '0';
	return -1;
}

int incident_transition(enum incident_state from, enum incident_action a)
{
	for (size_t i = 0; i < N_ELEMS(transitions); i++)
		if (transitions[i].from == from && transitions[i].action == a)
			return (int)transitions[i].to;
	return -1;
}

const char *incident_legal_actions(enum incident_state s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_ELEMS(transitions) && used < len; i++) {
		if (transitions[i].from != s)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 action_names[transitions[i].action]);
	}
	if (!buf[0])
		snprintf(buf, len, "none: %s is final", incident_state_name(s));
	return buf;
}

const char *problem_type_name(enum problem_type t)
{
	return (unsigned)t < PROBLEM_N_TYPES ? problem_type_names[t] : "?";
}

const char *problem_status_name(enum problem_status s)
{
	return (unsigned)s < PROBLEM_N_STATUSES ? problem_status_names[s] : "?";
}

int problem_type_parse(const char *name)
{
	return find_name(problem_type_names, PROBLEM_N_TYPES, name);
}

int problem_status_parse(const char *name)
{
	return find_name(problem_status_names, PROBLEM_N_STATUSES, name);
}

int problem_criticality_parse(const char *list)
{
	char word[32];
	int bits = 0;

	while (list && *list) {
		size_t n = strcspn(list, ", ");
		size_t i = 0;

		if (n == 0) {
			list++;
			continue;
		}
		if (n >= sizeof word)
			return -1;
		memcpy(word, list, n);
		word[n] = '\0';
		while (i < N_ELEMS(crit_names) && strcasecmp(crit_names[i].name, word) != 0)
			i++;
		if (i == N_ELEMS(crit_names))
			return -1;
		bits |= crit_names[i].bit;
		list += n;
	}
	return bits;
}

const char *problem_criticality_format(int bits, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_ELEMS(crit_names) && used < len; i++)
		if (bits & crit_names[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 crit_names[i].name);
	return buf;
}

bool problem_status_allowed(enum problem_status from, enum problem_status to)
{
	for (size_t i = 0; i < N_ELEMS(problem_moves); i++)
		if (problem_moves[i].from == from && problem_moves[i].to == to)
			return true;
	return from == to;
}

bool incident_host_in_maintenance(struct store *st, const char *host, int64_t now_ms)
{
	/* Placeholder until the maintenance-window issue: it answers from its windows
	 * table (active window whose targets include host at now_ms). */
	(void)st;
	(void)host;
	(void)now_ms;
	return false;
}

/* ---- SQL with typed, bound parameters ---- */

struct bindv {
	char t;       /* 'i' integer, 't' text (NULL binds NULL), 'z' integer, 0 binds NULL */
	int64_t i;
	const char *s;
};

#define BI(v) ((struct bindv){ 'i', (int64_t)(v), NULL })
#define BZ(v) ((struct bindv){ 'z', (int64_t)(v), NULL })
#define BT(v) ((struct bindv){ 't', 0, (v) })
#define BINDS(...) (const struct bindv[]){ __VA_ARGS__ }, \
	sizeof((const struct bindv[]){ __VA_ARGS__ }) / sizeof(struct bindv)

static void bind_all(sqlite3_stmt *s, const struct bindv *b, size_t n)
{
	int max = sqlite3_bind_parameter_count(s);

	for (size_t k = 0; k < n && (int)k < max; k++) {
		int i = (int)k + 1;

		if (b[k].t == 't' && b[k].s)
			sqlite3_bind_text(s, i, b[k].s, -1, SQLITE_TRANSIENT);
		else if (b[k].t == 'i' || (b[k].t == 'z' && b[k].i))
			sqlite3_bind_int64(s, i, b[k].i);
		else
			sqlite3_bind_null(s, i);
	}
}

/*
 * Prepares sql with bindings; the caller finalises. NULL with e set. For SQL that
 * is built at run time, and for loops that hand rows to a caller's function (which
 * might run the same query again).
 */
static sqlite3_stmt *sql_query(struct store *st, const char *sql, const struct bindv *b,
			       size_t n, struct err *e)
{
	sqlite3_stmt *s = store_prepare(st, sql, e);

	if (s)
		bind_all(s, b, n);
	return s;
}

/*
 * The same for a string literal, from the store's statement cache: a burst of
 * automatic incidents would otherwise spend most of its time parsing SQL. The
 * caller releases it with store_stmt_done, never finalises it.
 */
static sqlite3_stmt *sql_cached(struct store *st, const char *sql, const struct bindv *b,
				size_t n, struct err *e)
{
	sqlite3_stmt *s = store_stmt(st, sql, e);

	if (s)
		bind_all(s, b, n);
	return s;
}

/* Runs one statement (a literal) to completion. 0 or -1 with e set. */
static int sql_run(struct store *st, const char *sql, const struct bindv *b, size_t n,
		   struct err *e)
{
	sqlite3_stmt *s = sql_cached(st, sql, b, n, e);
	int rc = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_DONE)
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	else
		rc = 0;
	store_stmt_done(s);
	return rc;
}

/* One integer from a one-row query (a literal); def when there is no row. -1 on error. */
static int sql_int(struct store *st, const char *sql, const struct bindv *b, size_t n,
		   int64_t def, int64_t *out, struct err *e)
{
	sqlite3_stmt *s = sql_cached(st, sql, b, n, e);
	int r;

	if (!s)
		return -1;
	r = sqlite3_step(s);
	*out = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : def;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	store_stmt_done(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

/* Allocates a formatted string; NULL when memory runs out. The caller frees. */
static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

/* Sanitised copy of text (newlines kept when multi), NULL when absent or blank. */
static char *clean_opt(const char *text, bool multi)
{
	char *c = NULL;

	if (!text)
		return NULL;
	c = text_sanitize_str(text, multi ? TEXT_KEEP_NEWLINES : 0);
	if (c && c[strspn(c, " \t\n")] == '\0') {
		free(c);
		c = NULL;
	}
	return c;
}

/*
 * ---- transactions: our own, or the caller's ----
 * Inside a caller's transaction a change adds to it without a savepoint: FTS5
 * writes out its pending index at every savepoint, which made a batch of automatic
 * incidents cost a new index segment per incident. The price: a change that fails
 * there leaves part of itself in the caller's transaction, which the caller must
 * roll back (incident.h says so).
 */

struct txn {
	bool own;
	bool open;
};

static int txn_begin(struct store *st, struct txn *t, struct err *e)
{
	t->own = !store_in_txn(st);
	t->open = false;
	if (t->own && store_begin(st, e))
		return -1;
	t->open = true;
	return 0;
}

static int txn_commit(struct store *st, struct txn *t, struct err *e)
{
	if (!t->open)
		return -1;
	t->open = false;
	return t->own ? store_commit(st, e) : 0;
}

/* Undoes everything since txn_begin when the transaction is ours. Safe to call
 * after a commit (does nothing). */
static void txn_abort(struct store *st, struct txn *t)
{
	if (!t->open)
		return;
	t->open = false;
	if (t->own)
		store_rollback(st);
}

/* ---- reading incidents ---- */

#define INC_COLUMNS                                                                         \
	"i.id, i.title, i.description, i.severity, coalesce(i.priority, 0), i.impact, "     \
	"i.classification, i.source, i.state, i.assignee, i.dedup_key, i.resolution, "       \
	"i.cancel_reason, coalesce(i.merged_into, 0), i.repeat_count, i.level, i.flapping, " \
	"i.opened_at, coalesce(i.acked_at, 0), coalesce(i.activated_at, 0), "                \
	"coalesce(i.mitigated_at, 0), coalesce(i.resolved_at, 0), coalesce(i.closed_at, 0), " \
	"coalesce(i.cancelled_at, 0), coalesce(i.merged_at, 0), i.last_event_at, "            \
	"i.level_since, i.ack_due, i.resolve_due, coalesce(i.ack_sla, ''), "                  \
	"coalesce(i.resolve_sla, ''), i.opened_by, "                                          \
	"(SELECT min(h.host) FROM incident_hosts h WHERE h.incident_id = i.id), "            \
	"(SELECT count(*) FROM incident_hosts h WHERE h.incident_id = i.id)"

void incident_clear(struct incident *x)
{
	if (!x)
		return;
	free(x->title);
	free(x->description);
	free(x->impact);
	free(x->assignee);
	free(x->dedup_key);
	free(x->resolution);
	free(x->cancel_reason);
	free(x->hosts);
	free(x->responders);
	free(x->first_host);
	free(x->opened_by);
	memset(x, 0, sizeof *x);
}

/* Fills x from a row of INC_COLUMNS. x owns the strings. -1 when memory runs out. */
static int row_to_incident(sqlite3_stmt *s, struct incident *x)
{
	int v;

	memset(x, 0, sizeof *x);
	x->id = sqlite3_column_int64(s, 0);
	x->title = col_dup(s, 1);
	x->description = col_dup(s, 2);
	x->severity = sqlite3_column_int(s, 3);
	x->priority = sqlite3_column_int(s, 4);
	x->impact = col_dup(s, 5);
	v = incident_class_parse((const char *)sqlite3_column_text(s, 6));
	x->classification = v < 0 ? INCIDENT_CLASS_UNKNOWN : (enum incident_class)v;
	v = incident_source_parse((const char *)sqlite3_column_text(s, 7));
	x->source = v < 0 ? INCIDENT_SRC_OPERATOR : (enum incident_source)v;
	v = incident_state_parse((const char *)sqlite3_column_text(s, 8));
	x->state = v < 0 ? INCIDENT_TRIAGE : (enum incident_state)v;
	x->assignee = col_dup(s, 9);
	x->dedup_key = col_dup(s, 10);
	x->resolution = col_dup(s, 11);
	x->cancel_reason = col_dup(s, 12);
	x->merged_into = sqlite3_column_int64(s, 13);
	x->repeat_count = sqlite3_column_int64(s, 14);
	x->level = sqlite3_column_int(s, 15);
	x->flapping = sqlite3_column_int(s, 16) != 0;
	x->opened_at = sqlite3_column_int64(s, 17);
	x->acked_at = sqlite3_column_int64(s, 18);
	x->activated_at = sqlite3_column_int64(s, 19);
	x->mitigated_at = sqlite3_column_int64(s, 20);
	x->resolved_at = sqlite3_column_int64(s, 21);
	x->closed_at = sqlite3_column_int64(s, 22);
	x->cancelled_at = sqlite3_column_int64(s, 23);
	x->merged_at = sqlite3_column_int64(s, 24);
	x->last_event_at = sqlite3_column_int64(s, 25);
	x->level_since = sqlite3_column_int64(s, 26);
	x->ack_due = sqlite3_column_int64(s, 27);
	x->resolve_due = sqlite3_column_int64(s, 28);
	snprintf(x->ack_sla, sizeof x->ack_sla, "%s", (const char *)sqlite3_column_text(s, 29));
	snprintf(x->resolve_sla, sizeof x->resolve_sla, "%s",
		 (const char *)sqlite3_column_text(s, 30));
	x->opened_by = col_dup(s, 31);
	x->first_host = col_dup(s, 32);
	x->n_hosts = sqlite3_column_int64(s, 33);
	if (!x->title || !x->opened_by || (x->n_hosts && !x->first_host)) {
		incident_clear(x);
		return -1;
	}
	return 0;
}

/* A ", "-joined list from a one-column query; "" when empty. The caller frees. */
static char *joined(struct store *st, const char *sql, int64_t id, struct err *e)
{
	sqlite3_stmt *s = sql_cached(st, sql, BINDS(BI(id)), e);
	char *out = NULL;

	if (!s)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW)
		out = strdup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
	else
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	store_stmt_done(s);
	if (!out && !e->msg[0])
		err_set(e, "out of memory");
	return out;
}

int incident_get(struct store *st, int64_t id, struct incident *out, struct err *e)
{
	sqlite3_stmt *s = NULL;
	struct err local = { { 0 } };
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!e)
		e = &local;
	s = sql_cached(st, "SELECT " INC_COLUMNS " FROM incidents i WHERE i.id = ?", BINDS(BI(id)),
		      e);
	if (!s)
		goto out;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (row_to_incident(s, out)) {
			err_set(e, "out of memory");
			goto out;
		}
		break;
	case SQLITE_DONE:
		err_set(e, "no incident #%" PRId64, id);
		goto out;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	out->hosts = joined(st, "SELECT group_concat(host, ', ') FROM (SELECT host FROM "
				"incident_hosts WHERE incident_id = ? ORDER BY host)", id, e);
	out->responders = joined(st, "SELECT group_concat(responder, ', ') FROM (SELECT responder "
				     "FROM incident_responders WHERE incident_id = ? "
				     "ORDER BY added_at, responder)", id, e);
	if (!out->hosts || !out->responders)
		goto out;
	rc = 0;
out:
	store_stmt_done(s);
	if (rc)
		incident_clear(out);
	return rc;
}

/* ---- timeline events (+ the shift-log entry) ---- */

struct ev {
	const char *kind;
	const char *from, *to; /* state names, transitions only */
	const char *text;      /* timeline text; sanitised here */
	bool automatic;
	const char *log_cat;   /* "action" or "alarm" */
	const char *log_sev;
	const char *what;      /* the shift-log line after "Incident #N [SEVn] title: " */
};

/*
 * Appends an event to incident inc at ts with its shift-log entry, and moves the
 * incident's last_event_at. Inside the caller's transaction.
 */
static int event_add(struct store *st, const struct incident *inc, int64_t ts,
		     const struct ev *ev, struct err *e)
{
	struct shiftlog_new n = { 0 };
	char *text = NULL, *line = NULL;
	int64_t log_id = 0;
	int rc = -1;

	/* Callers pass text they already cleaned; cleaning again keeps this safe alone. */
	text = clean_opt(ev->text, true);
	line = xasprintf("Incident #%" PRId64 " [SEV%d] %s: %s", inc->id, inc->severity,
			 inc->title, ev->what);
	if (!line) {
		err_set(e, "out of memory");
		goto out;
	}
	n.category = ev->log_cat;
	n.severity = ev->log_sev;
	n.text = line;
	n.host = inc->first_host;
	n.incident_id = inc->id;
	if (shiftlog_append(st, &n, &log_id, e))
		goto out;
	if (sql_run(st, "INSERT INTO incident_events(incident_id, ts, actor, auto, kind, "
			"from_state, to_state, text, log_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    BINDS(BI(inc->id), BI(ts), BT(shiftlog_operator()), BI(ev->automatic),
			  BT(ev->kind), BT(ev->from), BT(ev->to), BT(text), BZ(log_id)), e) ||
	    sql_run(st, "UPDATE incidents SET last_event_at = ?2 WHERE id = ?1 AND last_event_at < ?2",
		    BINDS(BI(inc->id), BI(ts)), e))
		goto out;
	rc = 0;
out:
	free(text);
	free(line);
	return rc;
}

/* Refuses a change dated before the incident's last event. */
static int check_time(const struct incident *inc, int64_t now, struct err *e)
{
	char a[32], b[32];

	if (now >= inc->last_event_at)
		return 0;
	clock_format_utc(now, a, sizeof a);
	clock_format_utc(inc->last_event_at, b, sizeof b);
	err_set(e, "the clock (%s) is before incident #%" PRId64 "'s last event (%s); "
		   "refusing so its timeline stays in order", a, inc->id, b);
	return -1;
}

/* Marks clock breached with its event and alarm (once: only while it runs). */
static int breach_locked(struct store *st, const struct incident *inc, enum incident_clock clock,
			 int64_t now, bool automatic, struct err *e)
{
	int64_t due = clock == INCIDENT_CLOCK_ACK ? inc->ack_due : inc->resolve_due;
	char when[32], late[32];
	char *msg = NULL;
	struct ev ev = { .kind = "sla-breach", .automatic = automatic, .log_cat = "alarm",
			 .log_sev = log_severity[inc->severity] };
	int rc = -1;

	clock_format_local(due, when, sizeof when);
	incident_duration_format(now - due, late, sizeof late);
	msg = xasprintf("%s SLA breached: due %s, %s late",
			clock == INCIDENT_CLOCK_ACK ? "acknowledge" : "resolve", when, late);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = msg;
	ev.what = msg;
	if (sql_run(st, clock == INCIDENT_CLOCK_ACK ?
			"UPDATE incidents SET ack_sla = 'breached' WHERE id = ?" :
			"UPDATE incidents SET resolve_sla = 'breached' WHERE id = ?",
		    BINDS(BI(inc->id)), e) ||
	    event_add(st, inc, now, &ev, e))
		goto out;
	rc = 0;
out:
	free(msg);
	return rc;
}

/* Stops a running clock at now: met in time, else breached (logged once). */
static int stop_clock(struct store *st, const struct incident *inc, enum incident_clock clock,
		      int64_t now, struct err *e)
{
	const char *sla = clock == INCIDENT_CLOCK_ACK ? inc->ack_sla : inc->resolve_sla;
	int64_t due = clock == INCIDENT_CLOCK_ACK ? inc->ack_due : inc->resolve_due;

	if (sla[0])
		return 0; /* already stopped or breached */
	if (now > due)
		return breach_locked(st, inc, clock, now, false, e);
	return sql_run(st, clock == INCIDENT_CLOCK_ACK ?
			       "UPDATE incidents SET ack_sla = 'met' WHERE id = ?" :
			       "UPDATE incidents SET resolve_sla = 'met' WHERE id = ?",
		       BINDS(BI(inc->id)), e);
}

/* Acknowledges inc at now (the caller checked the state and time). */
static int ack_locked(struct store *st, const struct incident *inc, int64_t now, const char *how,
		      struct err *e)
{
	struct ev ev = { .kind = "acknowledged", .text = how, .log_cat = "action", .log_sev = "info",
			 .what = "acknowledged" };

	if (sql_run(st, "UPDATE incidents SET acked_at = ?2, acked_by = ?3 WHERE id = ?1",
		    BINDS(BI(inc->id), BI(now), BT(shiftlog_operator())), e) ||
	    stop_clock(st, inc, INCIDENT_CLOCK_ACK, now, e) || event_add(st, inc, now, &ev, e))
		return -1;
	return 0;
}

/* Loads incident id for a change at now: exists, and now is not before its last event. */
static int load_for_change(struct store *st, int64_t id, int64_t now, struct incident *inc,
			   struct err *e)
{
	if (incident_get(st, id, inc, e))
		return -1;
	return check_time(inc, now, e);
}

static bool is_open_state(enum incident_state s)
{
	return (INCIDENT_MASK(s) & INCIDENT_OPEN_MASK) != 0;
}

/* ---- creating ---- */

int64_t incident_sla_target(const struct incident_config *cfg, int severity,
			    enum incident_clock clock)
{
	const struct incident_sev_cfg *s = NULL;

	if (severity < 1 || severity > INCIDENT_N_SEV)
		severity = INCIDENT_N_SEV;
	s = &cfg->sev[severity - 1];
	return clock == INCIDENT_CLOCK_ACK ? s->ack_ms : s->resolve_ms;
}

/* Adds a responder (ignored when already there). */
static int add_responder(struct store *st, int64_t id, const char *who, int64_t now,
			 struct err *e)
{
	return sql_run(st, "INSERT OR IGNORE INTO incident_responders(incident_id, responder, "
			   "added_at) VALUES (?, ?, ?)", BINDS(BI(id), BT(who), BI(now)), e);
}

/* Creates the incident inside the caller's transaction; *id_out gets its id. */
static int create_locked(struct store *st, const struct incident_config *cfg,
			 const struct incident_new *n, int64_t now, bool automatic,
			 int64_t *id_out, struct err *e)
{
	struct incident inc = { 0 };
	char *title = NULL, *desc = NULL, *impact = NULL, *host = NULL, *msg = NULL;
	struct ev ev = { .kind = "opened", .automatic = automatic, .log_cat = "alarm" };
	int rc = -1;

	title = clean_opt(n->title, false);
	desc = clean_opt(n->description, true);
	impact = clean_opt(n->impact, true);
	if (!title) {
		err_set(e, "an incident needs a title");
		goto out;
	}
	if (strlen(title) > TITLE_MAX) {
		err_set(e, "the title is longer than %d bytes", TITLE_MAX);
		goto out;
	}
	if (n->severity < 1 || n->severity > INCIDENT_N_SEV) {
		err_set(e, "severity must be SEV1 to SEV4");
		goto out;
	}
	if (n->priority < 0 || n->priority > 5) {
		err_set(e, "priority must be P1 to P5");
		goto out;
	}
	if ((unsigned)n->classification >= INCIDENT_N_CLASSES ||
	    (unsigned)n->source >= INCIDENT_N_SOURCES) {
		err_set(e, "unknown classification or source");
		goto out;
	}
	if (sql_run(st, "INSERT INTO incidents(title, description, severity, priority, impact, "
			"classification, source, state, dedup_key, opened_at, last_event_at, "
			"level, level_since, ack_due, resolve_due, opened_by, last_signal) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'triage', ?8, ?9, ?9, 1, ?9, ?10, ?11, "
			"?12, ?13)",
		    BINDS(BT(title), BT(desc), BI(n->severity), BZ(n->priority), BT(impact),
			  BT(class_names[n->classification].name), BT(source_names[n->source]),
			  BT(n->dedup_key), BI(now),
			  BI(now + incident_sla_target(cfg, n->severity, INCIDENT_CLOCK_ACK)),
			  BI(now + incident_sla_target(cfg, n->severity, INCIDENT_CLOCK_RESOLVE)),
			  BT(shiftlog_operator()), BT(n->dedup_key ? "problem" : NULL)), e))
		goto out;
	inc.id = sqlite3_last_insert_rowid(store_db(st));
	for (size_t i = 0; i < n->n_hosts; i++) {
		free(host);
		host = clean_opt(n->hosts[i], false);
		if (!host || strlen(host) > 255) {
			err_set(e, "bad host name '%.64s'", n->hosts[i] ? n->hosts[i] : "");
			goto out;
		}
		if (sql_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) "
				"VALUES (?, ?)", BINDS(BI(inc.id), BT(host)), e))
			goto out;
	}
	if (add_responder(st, inc.id, cfg->levels[0].group, now, e) ||
	    incident_get(st, inc.id, &inc, e))
		goto out;
	msg = xasprintf("opened (%s, %s) at level %s, %s paged", source_names[n->source],
			class_names[n->classification].name, cfg->levels[0].name,
			cfg->levels[0].group);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.to = "triage";
	ev.text = msg + strlen("opened ");
	ev.what = msg;
	ev.log_sev = log_severity[n->severity];
	if (event_add(st, &inc, now, &ev, e))
		goto out;
	*id_out = inc.id;
	rc = 0;
out:
	incident_clear(&inc);
	free(title);
	free(desc);
	free(impact);
	free(host);
	free(msg);
	return rc;
}

int incident_create(struct store *st, const struct incident_config *cfg,
		    const struct incident_new *n, int64_t *id_out, struct err *e)
{
	struct txn t = { 0 };
	int64_t id = 0;
	int rc = -1;

	if (txn_begin(st, &t, e))
		return -1;
	if (create_locked(st, cfg, n, clock_now_ms(), false, &id, e) || txn_commit(st, &t, e))
		goto out;
	if (id_out)
		*id_out = id;
	rc = 0;
out:
	txn_abort(st, &t);
	return rc;
}

/* ---- transitions ---- */

/* Merges inc into target (both checked): event on both, repeats and hosts carried over. */
static int merge_into_locked(struct store *st, const struct incident *inc, int64_t target,
			     int64_t now, struct err *e)
{
	struct incident tg = { 0 };
	char *msg = NULL;
	struct ev ev = { .kind = "merged-in", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (target == inc->id) {
		err_set(e, "an incident cannot be merged into itself");
		goto out;
	}
	if (incident_get(st, target, &tg, e))
		goto out;
	if (!is_open_state(tg.state)) {
		err_set(e, "incident #%" PRId64 " is %s: merge into an open incident", target,
			incident_state_name(tg.state));
		goto out;
	}
	if (check_time(&tg, now, e))
		goto out;
	msg = xasprintf("incident #%" PRId64 " merged into this one (%" PRId64 " signals): %s",
			inc->id, inc->repeat_count, inc->title);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = msg;
	ev.what = msg;
	if (sql_run(st, "UPDATE incidents SET repeat_count = repeat_count + ? WHERE id = ?",
		    BINDS(BI(inc->repeat_count), BI(target)), e) ||
	    sql_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) "
			"SELECT ?2, host FROM incident_hosts WHERE incident_id = ?1",
		    BINDS(BI(inc->id), BI(target)), e) ||
	    sql_run(st, "INSERT OR IGNORE INTO incident_responders(incident_id, responder, added_at) "
			"SELECT ?2, responder, ?3 FROM incident_responders WHERE incident_id = ?1",
		    BINDS(BI(inc->id), BI(target), BI(now)), e) ||
	    event_add(st, &tg, now, &ev, e))
		goto out;
	rc = 0;
out:
	free(msg);
	incident_clear(&tg);
	return rc;
}

int incident_apply(struct store *st, int64_t id, enum incident_action action,
		   const char *text, int64_t target, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char legal[128];
	char *clean = NULL, *what = NULL;
	int64_t now = clock_now_ms();
	struct ev ev = { .log_cat = "action", .log_sev = "info" };
	int to;
	int rc = -1;

	if ((unsigned)action >= INCIDENT_N_ACTIONS) {
		err_set(e, "unknown action");
		return -1;
	}
	clean = clean_opt(text, true);
	if (txn_begin(st, &t, e))
		goto out;
	if (incident_get(st, id, &inc, e))
		goto out;
	to = incident_transition(inc.state, action);
	if (to < 0) {
		err_set(e, "incident #%" PRId64 " is %s: cannot %s it (from %s: %s)", id,
			incident_state_name(inc.state), action_names[action],
			incident_state_name(inc.state),
			incident_legal_actions(inc.state, legal, sizeof legal));
		goto out;
	}
	if (check_time(&inc, now, e))
		goto out;
	if (action == INCIDENT_ACT_RESOLVE && !clean) {
		err_set(e, "resolving needs a resolution note");
		goto out;
	}
	if (action == INCIDENT_ACT_CANCEL && !clean) {
		err_set(e, "cancelling needs a reason");
		goto out;
	}
	/* Taking an incident on acknowledges it when nobody has. */
	if (action == INCIDENT_ACT_ACTIVATE && !inc.acked_at &&
	    ack_locked(st, &inc, now, "acknowledged by activating", e))
		goto out;
	if (action == INCIDENT_ACT_MERGE && merge_into_locked(st, &inc, target, now, e))
		goto out;
	if (sql_run(st, action_sql[action],
		    BINDS(BI(id), BI(now), BT(clean), BZ(target), BT(state_names[to])), e))
		goto out;
	if (action == INCIDENT_ACT_RESOLVE && stop_clock(st, &inc, INCIDENT_CLOCK_RESOLVE, now, e))
		goto out;
	if (action == INCIDENT_ACT_MERGE)
		what = xasprintf("%s -> %s (into #%" PRId64 ")", state_names[inc.state],
				 state_names[to], target);
	else
		what = xasprintf("%s -> %s%s%s", state_names[inc.state], state_names[to],
				 clean ? ": " : "", clean ? clean : "");
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.kind = action_names[action];
	ev.from = state_names[inc.state];
	ev.to = state_names[to];
	ev.text = clean;
	ev.what = what;
	if (event_add(st, &inc, now, &ev, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(clean);
	free(what);
	return rc;
}

int incident_ack(struct store *st, int64_t id, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	int64_t now = clock_now_ms();
	char when[32];
	int rc = -1;

	if (txn_begin(st, &t, e))
		goto out;
	if (load_for_change(st, id, now, &inc, e))
		goto out;
	if (inc.acked_at) {
		clock_format_local(inc.acked_at, when, sizeof when);
		err_set(e, "incident #%" PRId64 " was already acknowledged at %s", id, when);
		goto out;
	}
	if (inc.state != INCIDENT_TRIAGE && inc.state != INCIDENT_ACTIVE) {
		err_set(e, "incident #%" PRId64 " is %s: only triage and active incidents can be "
			   "acknowledged", id, incident_state_name(inc.state));
		goto out;
	}
	if (ack_locked(st, &inc, now, NULL, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	return rc;
}

int incident_note(struct store *st, int64_t id, const char *text, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char *clean = clean_opt(text, true), *what = NULL;
	int64_t now = clock_now_ms();
	struct ev ev = { .kind = "note", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (!clean) {
		err_set(e, "empty note");
		goto out;
	}
	if (txn_begin(st, &t, e) || load_for_change(st, id, now, &inc, e))
		goto out;
	if (!(what = xasprintf("note: %s", clean))) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = clean;
	ev.what = what;
	if (event_add(st, &inc, now, &ev, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(clean);
	free(what);
	return rc;
}

/* Refuses a change that only open incidents take. */
static int need_open(const struct incident *inc, const char *what, struct err *e)
{
	if (is_open_state(inc->state))
		return 0;
	err_set(e, "incident #%" PRId64 " is %s: only open incidents (triage, active, mitigated) "
		   "can be %s", inc->id, incident_state_name(inc->state), what);
	return -1;
}

int incident_assign(struct store *st, int64_t id, const char *user, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char *who = clean_opt(user, false), *what = NULL;
	int64_t now = clock_now_ms();
	struct ev ev = { .kind = "assigned", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (!who || strlen(who) > NAME_MAX_LEN || strchr(who, ' ')) {
		err_set(e, "assign needs a user name (no spaces, at most %d bytes)", NAME_MAX_LEN);
		goto out;
	}
	if (txn_begin(st, &t, e) || load_for_change(st, id, now, &inc, e) ||
	    need_open(&inc, "assigned", e))
		goto out;
	if (inc.assignee && strcmp(inc.assignee, who) == 0) {
		err_set(e, "incident #%" PRId64 " is already assigned to %s", id, who);
		goto out;
	}
	what = inc.assignee ? xasprintf("assigned to %s (was %s)", who, inc.assignee) :
			      xasprintf("assigned to %s", who);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (sql_run(st, "UPDATE incidents SET assignee = ? WHERE id = ?", BINDS(BT(who), BI(id)), e) ||
	    add_responder(st, id, who, now, e) || event_add(st, &inc, now, &ev, e) ||
	    txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(who);
	free(what);
	return rc;
}

int incident_classify(struct store *st, int64_t id, enum incident_class c, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char *what = NULL;
	int64_t now = clock_now_ms();
	struct ev ev = { .kind = "classified", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if ((unsigned)c >= INCIDENT_N_CLASSES) {
		err_set(e, "unknown classification");
		return -1;
	}
	if (txn_begin(st, &t, e) || load_for_change(st, id, now, &inc, e))
		goto out;
	if (inc.classification == c) {
		err_set(e, "incident #%" PRId64 " is already classified %s", id, class_names[c].name);
		goto out;
	}
	what = xasprintf("classified %s (was %s)", class_names[c].name,
			 class_names[inc.classification].name);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (sql_run(st, "UPDATE incidents SET classification = ? WHERE id = ?",
		    BINDS(BT(class_names[c].name), BI(id)), e) ||
	    event_add(st, &inc, now, &ev, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(what);
	return rc;
}

/* One level up with its group paged; inc is checked and open. */
static int escalate_locked(struct store *st, const struct incident_config *cfg,
			   const struct incident *inc, const char *reason, int64_t now,
			   bool automatic, struct err *e)
{
	const struct incident_level_cfg *from = NULL, *to = NULL;
	struct ev ev = { .kind = "escalated", .automatic = automatic, .log_cat = "alarm",
			 .log_sev = log_severity[inc->severity] };
	char *what = NULL;
	int rc = -1;

	if (inc->level >= (int)cfg->n_levels) {
		err_set(e, "incident #%" PRId64 " is already at the top escalation level (%s)",
			inc->id, cfg->levels[cfg->n_levels - 1].name);
		goto out;
	}
	from = &cfg->levels[inc->level > 0 ? inc->level - 1 : 0];
	to = &cfg->levels[inc->level];
	what = xasprintf("escalated %s -> %s, %s paged: %s", from->name, to->name, to->group, reason);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (sql_run(st, "UPDATE incidents SET level = level + 1, level_since = ?2 WHERE id = ?1",
		    BINDS(BI(inc->id), BI(now)), e) ||
	    add_responder(st, inc->id, to->group, now, e) || event_add(st, inc, now, &ev, e))
		goto out;
	rc = 0;
out:
	free(what);
	return rc;
}

int incident_escalate(struct store *st, const struct incident_config *cfg, int64_t id,
		      const char *reason, struct err *e)
{
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char *why = clean_opt(reason, false);
	int64_t now = clock_now_ms();
	int rc = -1;

	if (!why) {
		err_set(e, "escalating needs a reason");
		goto out;
	}
	if (txn_begin(st, &t, e) || load_for_change(st, id, now, &inc, e) ||
	    need_open(&inc, "escalated", e) ||
	    escalate_locked(st, cfg, &inc, why, now, false, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(why);
	return rc;
}

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

/* Appends to a fixed SQL buffer; -1 when it would not fit. */
static int sql_cat(char *buf, size_t size, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n >= size)
		return -1;
	memcpy(buf + *used, s, n + 1);
	*used += n;
	return 0;
}

/* "%x\_y%" for LIKE ... ESCAPE '\': the pattern matches text literally. The caller frees. */
static char *like_pattern(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(2 * n + 3), *q = p;

	if (!p)
		return NULL;
	*q++ = '%';
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*q++ = '\\';
		*q++ = *s;
	}
	*q++ = '%';
	*q = '\0';
	return p;
}

/* s as one FTS5 phrase: "..." with inner quotes doubled. The caller frees. */
static char *fts_phrase(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(2 * n + 3), *q = p;

	if (!p)
		return NULL;
	*q++ = '"';
	for (; *s; s++) {
		if (*s == '"')
			*q++ = '"';
		*q++ = *s;
	}
	*q++ = '"';
	*q = '\0';
	return p;
}

int incident_page(struct store *st, const struct incident_filter *f,
		  const struct incident_cursor *cursor, enum incident_dir dir, int limit,
		  incident_row_fn fn, void *ud, struct err *e)
{
	struct incident_filter def;
	struct bindv b[24]; /* at most 15: six states, five filters, cursor, limit */
	size_t nb = 0, used = 0;
	char sql[2048];
	char *pattern = NULL;
	sqlite3_stmt *s = NULL;
	unsigned states;
	bool back = dir == INCIDENT_BACKWARD;
	int n = 0, r, bad = 0;
	int rc = -1;

	if (!f) {
		incident_filter_init(&def);
		f = &def;
	}
	states = f->states ? f->states & INCIDENT_ALL_MASK : INCIDENT_OPEN_MASK;
	bad |= sql_cat(sql, sizeof sql, &used, "SELECT " INC_COLUMNS " FROM incidents i WHERE 1");
	/* Each state set has an index in queue order: open, one state, or all. */
	if (states == INCIDENT_OPEN_MASK) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.is_open = 1");
	} else if (states != INCIDENT_ALL_MASK) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.state IN (");
		for (int k = 0; k < INCIDENT_N_STATES; k++) {
			if (!(states & INCIDENT_MASK(k)))
				continue;
			bad |= sql_cat(sql, sizeof sql, &used, nb ? ", ?" : "?");
			b[nb++] = BT(state_names[k]);
		}
		bad |= sql_cat(sql, sizeof sql, &used, ")");
	}
	if (f->severity) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.severity = ?");
		b[nb++] = BI(f->severity);
	}
	if (f->classification >= 0 && f->classification < INCIDENT_N_CLASSES) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.classification = ?");
		b[nb++] = BT(class_names[f->classification].name);
	}
	if (f->assignee) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.assignee = ?");
		b[nb++] = BT(f->assignee);
	}
	if (f->host) {
		bad |= sql_cat(sql, sizeof sql, &used, " AND i.id IN (SELECT incident_id FROM "
						     "incident_hosts WHERE host = ?)");
		b[nb++] = BT(f->host);
	}
	if (f->match && *f->match) {
		/* Three characters or more: a phrase over the trigram index is exactly a
		 * case-insensitive substring test. Shorter: no trigram, scan with LIKE. */
		bool indexed = strlen(f->match) >= 3;

		if (!(pattern = indexed ? fts_phrase(f->match) : like_pattern(f->match))) {
			err_set(e, "out of memory");
			goto out;
		}
		bad |= sql_cat(sql, sizeof sql, &used, indexed ?
			" AND i.id IN (SELECT rowid FROM incident_title_fts WHERE incident_title_fts MATCH ?)" :
			" AND i.title LIKE ? ESCAPE '\\'");
		b[nb++] = BT(pattern);
	}
	if (cursor && cursor->id) {
		bad |= sql_cat(sql, sizeof sql, &used, back ?
			" AND (i.severity, i.opened_at, i.id) < (?, ?, ?)" :
			" AND (i.severity, i.opened_at, i.id) > (?, ?, ?)");
		b[nb++] = BI(cursor->severity);
		b[nb++] = BI(cursor->opened_at);
		b[nb++] = BI(cursor->id);
	}
	bad |= sql_cat(sql, sizeof sql, &used, back ?
		" ORDER BY i.severity DESC, i.opened_at DESC, i.id DESC LIMIT ?" :
		" ORDER BY i.severity, i.opened_at, i.id LIMIT ?");
	b[nb++] = BI(limit > 0 ? limit : 50);
	if (bad) {
		err_set(e, "filter too long");
		goto out;
	}
	if (!(s = sql_query(st, sql, b, nb, e)))
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident row;
		int stop;

		if (row_to_incident(s, &row)) {
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
	s = sql_query(st, "SELECT id, incident_id, ts, actor, auto, kind, from_state, to_state, "
			  "text, coalesce(log_id, 0) FROM incident_events WHERE incident_id = ?1 "
			  "AND (ts, id) > (coalesce((SELECT ts FROM incident_events WHERE id = ?2), "
			  "-9223372036854775807), ?2) ORDER BY ts, id LIMIT ?3",
		      BINDS(BI(id), BI(after_id), BI(limit > 0 ? limit : -1)), e);
	if (!s)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident_event ev = {
			.id = sqlite3_column_int64(s, 0),
			.incident_id = sqlite3_column_int64(s, 1),
			.ts = sqlite3_column_int64(s, 2),
			.actor = (const char *)sqlite3_column_text(s, 3),
			.automatic = sqlite3_column_int(s, 4) != 0,
			.kind = (const char *)sqlite3_column_text(s, 5),
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

/* ---- SLA clocks ---- */

int64_t incident_sla_deadline(const struct incident *inc, enum incident_clock clock)
{
	return clock == INCIDENT_CLOCK_ACK ? inc->ack_due : inc->resolve_due;
}

int64_t incident_sla_left(const struct incident *inc, enum incident_clock clock, int64_t now,
			  bool *running)
{
	int64_t due = incident_sla_deadline(inc, clock);
	int64_t stopped = 0;

	if (clock == INCIDENT_CLOCK_ACK)
		stopped = inc->acked_at ? inc->acked_at :
			  (inc->cancelled_at ? inc->cancelled_at : inc->merged_at);
	else
		stopped = inc->resolved_at ? inc->resolved_at :
			  (inc->cancelled_at ? inc->cancelled_at : inc->merged_at);
	if (running)
		*running = stopped == 0;
	return due - (stopped ? stopped : now);
}

/* One clock found overdue by a check, copied out before the writes. */
struct due_item {
	int64_t id;
	enum incident_clock clock;
};

struct due_list {
	struct due_item *v;
	size_t n, cap;
};

static int due_push(struct due_list *l, int64_t id, enum incident_clock clock)
{
	struct due_item *nv = mem_grow(l->v, &l->cap, l->n, sizeof *nv);

	if (!nv)
		return -1;
	l->v = nv;
	l->v[l->n].id = id;
	l->v[l->n].clock = clock;
	l->n++;
	return 0;
}

/* Collects ids from a query whose first column is an incident id. */
static int collect(struct store *st, const char *sql, const struct bindv *b, size_t nb,
		   enum incident_clock clock, struct due_list *l, struct err *e)
{
	sqlite3_stmt *s = sql_cached(st, sql, b, nb, e);
	int r, rc = -1;

	if (!s)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (due_push(l, sqlite3_column_int64(s, 0), clock)) {
			err_set(e, "out of memory");
			goto out;
		}
	}
	if (r != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

int incident_sla_check(struct store *st, const struct incident_config *cfg, int64_t now,
		       incident_breach_fn fn, void *ud, struct err *e)
{
	struct due_list l = { 0 };
	struct incident *done = NULL;
	enum incident_clock *clocks = NULL;
	struct txn t = { 0 };
	size_t n_done = 0;
	int rc = -1;

	(void)cfg; /* deadlines were fixed from the config when each incident opened */
	/* The partial indexes hold only running clocks, so this costs what is due. */
	if (collect(st, "SELECT id FROM incidents WHERE ack_sla IS NULL AND ack_due < ?",
		    BINDS(BI(now)), INCIDENT_CLOCK_ACK, &l, e) ||
	    collect(st, "SELECT id FROM incidents WHERE resolve_sla IS NULL AND resolve_due < ?",
		    BINDS(BI(now)), INCIDENT_CLOCK_RESOLVE, &l, e))
		goto out;
	if (l.n == 0) {
		rc = 0;
		goto out;
	}
	done = calloc(l.n, sizeof *done);
	clocks = calloc(l.n, sizeof *clocks);
	if (!done || !clocks) {
		err_set(e, "out of memory");
		goto out;
	}
	if (txn_begin(st, &t, e))
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		struct incident *inc = &done[n_done];

		if (incident_get(st, l.v[i].id, inc, e))
			goto out;
		/* An event dated after now (a pinned or stepped clock) waits for a later check. */
		if (inc->last_event_at > now) {
			incident_clear(inc);
			continue;
		}
		if (breach_locked(st, inc, l.v[i].clock, now, true, e))
			goto out;
		clocks[n_done++] = l.v[i].clock;
	}
	if (txn_commit(st, &t, e))
		goto out;
	/* Only after the commit does anyone hear of a breach. */
	for (size_t i = 0; fn && i < n_done; i++) {
		struct incident_breach b = { done[i].id, done[i].severity, clocks[i],
					     incident_sla_deadline(&done[i], clocks[i]),
					     done[i].title };

		fn(&b, ud);
	}
	rc = (int)n_done;
out:
	txn_abort(st, &t);
	for (size_t i = 0; done && i < l.n; i++)
		incident_clear(&done[i]);
	free(done);
	free(clocks);
	free(l.v);
	return rc;
}

int incident_escalation_check(struct store *st, const struct incident_config *cfg, int64_t now,
			      struct err *e)
{
	struct due_list l = { 0 };
	struct incident inc = { 0 };
	struct txn t = { 0 };
	char reason[96], dur[32];
	int n = 0, rc = -1;

	/* The partial index holds unacknowledged triage and active incidents only. */
	for (size_t lv = 0; lv + 1 < cfg->n_levels; lv++) {
		if (cfg->levels[lv].timeout_ms <= 0)
			continue;
		if (collect(st, "SELECT id FROM incidents WHERE acked_at IS NULL AND "
				"state IN ('triage', 'active') AND level = ? AND level_since <= ?",
			    BINDS(BI(lv + 1), BI(now - cfg->levels[lv].timeout_ms)),
			    INCIDENT_CLOCK_ACK, &l, e))
			goto out;
	}
	if (l.n == 0) {
		rc = 0;
		goto out;
	}
	if (txn_begin(st, &t, e))
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		incident_clear(&inc);
		if (incident_get(st, l.v[i].id, &inc, e))
			goto out;
		if (inc.last_event_at > now)
			continue;
		incident_duration_format(cfg->levels[inc.level - 1].timeout_ms, dur, sizeof dur);
		snprintf(reason, sizeof reason, "not acknowledged within %s at %s", dur,
			 cfg->levels[inc.level - 1].name);
		if (escalate_locked(st, cfg, &inc, reason, now, true, e))
			goto out;
		n++;
	}
	if (txn_commit(st, &t, e))
		goto out;
	rc = n;
out:
	txn_abort(st, &t);
	incident_clear(&inc);
	free(l.v);
	return rc;
}

/* ---- automatic opening ---- */

/* The flap state of an open incident with a dedup key. */
struct flap {
	int64_t id;
	char last_signal[16];
	bool flapping;
	int64_t flap_since, flap_changes, last_change_at;
};

/* Finds the open incident with key; 1 found, 0 none, -1 error. */
static int find_open_key(struct store *st, const char *key, struct flap *fl, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	memset(fl, 0, sizeof *fl);
	/* The state list matches incidents_dedup_open's, so the planner uses it. */
	s = sql_cached(st, "SELECT id, coalesce(last_signal, ''), flapping, coalesce(flap_since, 0), "
			  "flap_changes, coalesce(last_change_at, 0) FROM incidents WHERE "
			  "dedup_key = ? AND state IN ('triage', 'active', 'mitigated')",
		      BINDS(BT(key)), e);
	if (!s)
		return -1;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		fl->id = sqlite3_column_int64(s, 0);
		snprintf(fl->last_signal, sizeof fl->last_signal, "%s",
			 (const char *)sqlite3_column_text(s, 1));
		fl->flapping = sqlite3_column_int(s, 2) != 0;
		fl->flap_since = sqlite3_column_int64(s, 3);
		fl->flap_changes = sqlite3_column_int64(s, 4);
		fl->last_change_at = sqlite3_column_int64(s, 5);
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	}
	store_stmt_done(s);
	return rc;
}

/* Folds a signal into the open incident fl (see incident_observe). Returns the outcome. */
static int observe_existing(struct store *st, const struct incident_config *cfg,
			    const struct incident_signal *sig, struct flap *fl, int64_t now,
			    struct err *e)
{
	struct incident inc = { 0 };
	const char *kind = sig->kind == INCIDENT_SIGNAL_PROBLEM ? "problem" : "recovery";
	bool changed = strcmp(fl->last_signal, kind) != 0;
	struct ev ev = { .automatic = true, .log_cat = "alarm" };
	char *what = NULL, *detail = clean_opt(sig->detail, false);
	int outcome = -1;

	if (load_for_change(st, fl->id, now, &inc, e))
		goto out;
	ev.log_sev = log_severity[inc.severity];
	/* A quiet window ends flapping; this signal is then handled as usual. */
	if (fl->flapping && now - fl->last_change_at >= cfg->flap_window_ms) {
		what = xasprintf("signals settled after flapping (%" PRId64 " signals so far)",
				 inc.repeat_count);
		ev.kind = "settled";
		ev.text = what;
		ev.what = what;
		ev.log_sev = "notice";
		if (!what || event_add(st, &inc, now, &ev, e))
			goto oom_or_fail;
		free(what);
		what = NULL;
		fl->flapping = false;
		fl->flap_since = 0;
		fl->flap_changes = 0;
	}
	if (changed) {
		if (!fl->flap_since || now - fl->flap_since > cfg->flap_window_ms) {
			fl->flap_since = now;
			fl->flap_changes = 0;
		}
		fl->flap_changes++;
		fl->last_change_at = now;
	}
	if (sql_run(st, "UPDATE incidents SET last_signal = ?2, flap_since = ?3, flap_changes = ?4, "
			"last_change_at = ?5, repeat_count = repeat_count + ?6, flapping = ?7 "
			"WHERE id = ?1",
		    BINDS(BI(fl->id), BT(kind), BZ(fl->flap_since), BI(fl->flap_changes),
			  BZ(fl->last_change_at), BI(sig->kind == INCIDENT_SIGNAL_PROBLEM),
			  BI(fl->flapping)), e))
		goto out;
	if (sig->host && *sig->host &&
	    sql_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) VALUES (?, ?)",
		    BINDS(BI(fl->id), BT(sig->host)), e))
		goto out;
	if (fl->flapping) {
		outcome = INCIDENT_OBS_DAMPED;
		goto out;
	}
	if (changed && fl->flap_changes > cfg->flap_changes) {
		what = xasprintf("flapping: %" PRId64 " changes within %" PRId64 " s; further "
				 "signals are counted without events until it settles",
				 fl->flap_changes, cfg->flap_window_ms / 1000);
		ev.kind = "flapping";
		if (!what || sql_run(st, "UPDATE incidents SET flapping = 1 WHERE id = ?",
				     BINDS(BI(fl->id)), e))
			goto oom_or_fail;
		outcome = INCIDENT_OBS_DAMPED;
	} else if (sig->kind == INCIDENT_SIGNAL_PROBLEM) {
		what = xasprintf("repeat (signal %" PRId64 ")%s%s", inc.repeat_count + 1,
				 detail ? ": " : "", detail ? detail : "");
		ev.kind = "repeat";
		outcome = INCIDENT_OBS_REPEATED;
	} else {
		what = xasprintf("recovered%s%s", detail ? ": " : "", detail ? detail : "");
		ev.kind = "recovered";
		ev.log_sev = "notice";
		outcome = INCIDENT_OBS_RECOVERED;
	}
	ev.text = what;
	ev.what = what;
	if (!what || event_add(st, &inc, now, &ev, e))
		goto oom_or_fail;
	goto out;
oom_or_fail:
	if (!what)
		err_set(e, "out of memory");
	outcome = -1;
out:
	incident_clear(&inc);
	free(what);
	free(detail);
	return outcome;
}

int incident_observe(struct store *st, const struct incident_config *cfg,
		     const struct incident_signal *sig, int64_t *id_out, struct err *e)
{
	struct txn t = { 0 };
	struct flap fl;
	int64_t now = clock_now_ms();
	int64_t id = 0;
	int found, outcome = -1;

	if (id_out)
		*id_out = 0;
	if (!sig->dedup_key || !*sig->dedup_key ||
	    (sig->kind != INCIDENT_SIGNAL_PROBLEM && sig->kind != INCIDENT_SIGNAL_RECOVERY)) {
		err_set(e, "a signal needs a dedup key and a kind");
		return -1;
	}
	if (txn_begin(st, &t, e))
		return -1;
	found = find_open_key(st, sig->dedup_key, &fl, e);
	if (found < 0)
		goto out;
	if (found) {
		id = fl.id;
		outcome = observe_existing(st, cfg, sig, &fl, now, e);
	} else if (sig->kind == INCIDENT_SIGNAL_RECOVERY) {
		outcome = INCIDENT_OBS_IGNORED;
	} else if (sig->host && incident_host_in_maintenance(st, sig->host, now)) {
		outcome = INCIDENT_OBS_MAINTENANCE;
	} else {
		const char *hosts[1] = { sig->host };
		struct incident_new n = {
			.title = sig->title && *sig->title ? sig->title : sig->dedup_key,
			.severity = sig->severity,
			.source = sig->source,
			.classification = INCIDENT_CLASS_UNKNOWN,
			.hosts = hosts,
			.n_hosts = sig->host && *sig->host ? 1 : 0,
			.dedup_key = sig->dedup_key,
		};

		outcome = create_locked(st, cfg, &n, now, true, &id, e) ? -1 : INCIDENT_OBS_OPENED;
	}
	if (outcome < 0 || txn_commit(st, &t, e)) {
		outcome = -1;
		goto out;
	}
	if (id_out)
		*id_out = id;
out:
	txn_abort(st, &t);
	return outcome;
}

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
	p->title = col_dup(s, 1);
	p->description = col_dup(s, 2);
	p->root_cause = col_dup(s, 3);
	p->workaround = col_dup(s, 4);
	v = problem_type_parse((const char *)sqlite3_column_text(s, 5));
	p->type = v < 0 ? PROBLEM_CORRECTIVE : (enum problem_type)v;
	v = problem_status_parse((const char *)sqlite3_column_text(s, 6));
	p->status = v < 0 ? PROBLEM_OPEN : (enum problem_status)v;
	p->scope_size = col_dup(s, 7);
	p->scope_cost = col_dup(s, 8);
	p->scope_time = col_dup(s, 9);
	p->criticality = sqlite3_column_int(s, 10);
	p->created_at = sqlite3_column_int64(s, 11);
	p->updated_at = sqlite3_column_int64(s, 12);
	p->created_by = col_dup(s, 13);
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
	s = sql_cached(st, "SELECT " PROB_COLUMNS " FROM problems p WHERE p.id = ?", BINDS(BI(id)), e);
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
	out->incidents = joined(st, "SELECT group_concat(incident_id, ', ') FROM (SELECT "
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
	char *line = xasprintf("Problem #%" PRId64 " %s: %s", pid, title, what);
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
	struct ev ev = { .kind = "linked", .log_cat = "action", .log_sev = "info" };
	char *what = NULL;
	int64_t have = 0;
	int rc = -1;

	if (load_for_change(st, id, now, &inc, e) || problem_get(st, pid, &p, e))
		goto out;
	if (sql_int(st, "SELECT count(*) FROM problem_incidents WHERE problem_id = ? AND "
			"incident_id = ?", BINDS(BI(pid), BI(id)), 0, &have, e))
		goto out;
	if (have) {
		err_set(e, "incident #%" PRId64 " is already linked to problem #%" PRId64, id, pid);
		goto out;
	}
	if (!(what = xasprintf("linked to problem #%" PRId64 ": %s", pid, p.title))) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (sql_run(st, "INSERT INTO problem_incidents(problem_id, incident_id, linked_at) "
			"VALUES (?, ?, ?)", BINDS(BI(pid), BI(id), BI(now)), e) ||
	    event_add(st, &inc, now, &ev, e))
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
	struct txn t = { 0 };
	int rc = -1;

	if (txn_begin(st, &t, e))
		return -1;
	if (link_locked(st, id, pid, clock_now_ms(), e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
	return rc;
}

int problem_create(struct store *st, const struct problem_new *n, int64_t *id_out,
		   struct err *e)
{
	struct txn t = { 0 };
	char *f[8] = { NULL };
	const char *in[8] = { n->title, n->description, n->root_cause, n->workaround,
			      n->scope_size, n->scope_cost, n->scope_time, NULL };
	int64_t now = clock_now_ms(), pid = 0;
	int rc = -1;

	for (size_t i = 0; i < 7; i++)
		f[i] = clean_opt(in[i], i != 0 && i < 4);
	if (!f[0]) {
		err_set(e, "a problem needs a title");
		goto out;
	}
	if ((unsigned)n->type >= PROBLEM_N_TYPES || n->criticality < 0 || n->criticality > 7) {
		err_set(e, "unknown problem type or criticality");
		goto out;
	}
	if (txn_begin(st, &t, e))
		goto out;
	if (sql_run(st, "INSERT INTO problems(title, description, root_cause, workaround, type, "
			"status, scope_size, scope_cost, scope_time, criticality, created_at, "
			"updated_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, "
			"?10, ?10, ?11)",
		    BINDS(BT(f[0]), BT(f[1]), BT(f[2]), BT(f[3]), BT(problem_type_names[n->type]),
			  BT(f[4]), BT(f[5]), BT(f[6]), BI(n->criticality), BI(now),
			  BT(shiftlog_operator())), e))
		goto out;
	pid = sqlite3_last_insert_rowid(store_db(st));
	if (problem_log(st, pid, f[0], "opened", e))
		goto out;
	for (size_t i = 0; i < n->n_incidents; i++)
		if (link_locked(st, n->incidents[i], pid, now, e))
			goto out;
	if (txn_commit(st, &t, e))
		goto out;
	if (id_out)
		*id_out = pid;
	rc = 0;
out:
	txn_abort(st, &t);
	for (size_t i = 0; i < 8; i++)
		free(f[i]);
	return rc;
}

int problem_update(struct store *st, int64_t id, const struct problem_update *u, struct err *e)
{
	struct problem p = { 0 };
	struct txn t = { 0 };
	const char *in[5] = { u->root_cause, u->workaround, u->scope_size, u->scope_cost,
			      u->scope_time };
	char *f[5] = { NULL };
	char *what = NULL;
	int64_t now = clock_now_ms();
	int status, rc = -1;

	for (size_t i = 0; i < 5; i++)
		f[i] = clean_opt(in[i], i < 2);
	if (txn_begin(st, &t, e) || problem_get(st, id, &p, e))
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
	if (sql_run(st, "UPDATE problems SET status = ?2, root_cause = coalesce(?3, root_cause), "
			"workaround = coalesce(?4, workaround), scope_size = coalesce(?5, scope_size), "
			"scope_cost = coalesce(?6, scope_cost), scope_time = coalesce(?7, scope_time), "
			"criticality = coalesce(?8, criticality), updated_at = ?9 WHERE id = ?1",
		    BINDS(BI(id), BT(problem_status_names[status]), BT(f[0]), BT(f[1]), BT(f[2]),
			  BT(f[3]), BT(f[4]), u->criticality >= 0 ? BI(u->criticality) : BT(NULL),
			  BI(now)), e))
		goto out;
	what = status != (int)p.status ?
		       xasprintf("%s -> %s", problem_status_names[p.status], problem_status_names[status]) :
		       xasprintf("updated");
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	if (problem_log(st, id, p.title, what, e) || txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	txn_abort(st, &t);
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
	sqlite3_stmt *s = sql_query(st, "SELECT " PROB_COLUMNS " FROM problems p WHERE "
					"(?1 = 0 OR p.id < ?1) ORDER BY p.id DESC LIMIT ?2",
				    BINDS(BI(before_id), BI(limit > 0 ? limit : -1)), e);
	int rc;

	if (!s)
		return -1;
	rc = problem_walk(st, s, fn, ud, e);
	sqlite3_finalize(s);
	return rc;
}

int incident_problems(struct store *st, int64_t id, problem_row_fn fn, void *ud, struct err *e)
{
	sqlite3_stmt *s = sql_query(st, "SELECT " PROB_COLUMNS " FROM problem_incidents l JOIN "
					"problems p ON p.id = l.problem_id WHERE l.incident_id = ? "
					"ORDER BY p.id", BINDS(BI(id)), e);
	int rc;

	if (!s)
		return -1;
	rc = problem_walk(st, s, fn, ud, e);
	sqlite3_finalize(s);
	return rc;
}
