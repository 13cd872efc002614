/*
 * incident: the incident record, its lifecycle table, creation and transitions,
 * with their timeline events. Each change is one transaction (or joins the
 * caller's: include/store_sql.h) holding the row, its timeline event and its
 * shift-log entry. The queue, SLA clocks, automatic opening and problems are in
 * incident_queue.c, incident_sla.c, incident_observe.c and problem.c.
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
#include "incident_internal.h"
#include "mem.h"
#include "store_sql.h"
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

/* The timeline's word for an action done: one tense for every event. */
static const char *const action_done[INCIDENT_N_ACTIONS] = {
	[INCIDENT_ACT_ACTIVATE] = "activated", [INCIDENT_ACT_MITIGATE] = "mitigated",
	[INCIDENT_ACT_RESOLVE] = "resolved",   [INCIDENT_ACT_CLOSE] = "closed",
	[INCIDENT_ACT_CANCEL] = "cancelled",   [INCIDENT_ACT_MERGE] = "merged",
	[INCIDENT_ACT_REGRESS] = "regressed",  [INCIDENT_ACT_REOPEN] = "reopened",
};

const char *incident_event_word(const char *kind)
{
	/* Events written before the timeline spoke in one tense stored the action. */
	for (size_t i = 0; kind && i < INCIDENT_N_ACTIONS; i++)
		if (strcmp(kind, action_names[i]) == 0)
			return action_done[i];
	return kind;
}

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
const char *const incident_log_severity[INCIDENT_N_SEV + 1] = {
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

/* Allocates a formatted string; NULL when memory runs out. The caller frees. */
char *incident_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

/* Sanitised copy of text (newlines kept when multi), NULL when absent or blank. */
char *incident_clean_opt(const char *text, bool multi)
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

/* ---- reading incidents ---- */

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
int incident_row_read(sqlite3_stmt *s, struct incident *x)
{
	int v;

	memset(x, 0, sizeof *x);
	x->id = sqlite3_column_int64(s, 0);
	x->title = store_col_dup(s, 1);
	x->description = store_col_dup(s, 2);
	x->severity = sqlite3_column_int(s, 3);
	x->priority = sqlite3_column_int(s, 4);
	x->impact = store_col_dup(s, 5);
	v = incident_class_parse((const char *)sqlite3_column_text(s, 6));
	x->classification = v < 0 ? INCIDENT_CLASS_UNKNOWN : (enum incident_class)v;
	v = incident_source_parse((const char *)sqlite3_column_text(s, 7));
	x->source = v < 0 ? INCIDENT_SRC_OPERATOR : (enum incident_source)v;
	v = incident_state_parse((const char *)sqlite3_column_text(s, 8));
	x->state = v < 0 ? INCIDENT_TRIAGE : (enum incident_state)v;
	x->assignee = store_col_dup(s, 9);
	x->dedup_key = store_col_dup(s, 10);
	x->resolution = store_col_dup(s, 11);
	x->cancel_reason = store_col_dup(s, 12);
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
	x->opened_by = store_col_dup(s, 31);
	x->first_host = store_col_dup(s, 32);
	x->n_hosts = sqlite3_column_int64(s, 33);
	if (!x->title || !x->opened_by || (x->n_hosts && !x->first_host)) {
		incident_clear(x);
		return -1;
	}
	return 0;
}

/* A ", "-joined list from a one-column query; "" when empty. The caller frees. */
char *incident_joined(struct store *st, const char *sql, int64_t id, struct err *e)
{
	sqlite3_stmt *s = store_cached(st, sql, STORE_VALS(STORE_INT(id)), e);
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
	s = store_cached(st, "SELECT " INC_COLUMNS " FROM incidents i WHERE i.id = ?", STORE_VALS(STORE_INT(id)),
		      e);
	if (!s)
		goto out;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (incident_row_read(s, out)) {
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
	out->hosts = incident_joined(st, "SELECT group_concat(host, ', ') FROM (SELECT host FROM "
				"incident_hosts WHERE incident_id = ? ORDER BY host)", id, e);
	out->responders = incident_joined(st, "SELECT group_concat(responder, ', ') FROM (SELECT responder "
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

/*
 * Appends an event to incident inc at ts with its shift-log entry, and moves the
 * incident's last_event_at. Inside the caller's transaction.
 */
int incident_event_add(struct store *st, const struct incident *inc, int64_t ts,
		     const struct incident_ev *ev, struct err *e)
{
	struct shiftlog_new n = { 0 };
	char *text = NULL, *line = NULL;
	int64_t log_id = 0;
	int rc = -1;

	/* Callers pass text they already cleaned; cleaning again keeps this safe alone. */
	text = incident_clean_opt(ev->text, true);
	line = incident_asprintf("Incident #%" PRId64 " [SEV%d] %s: %s", inc->id, inc->severity,
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
	if (store_run(st, "INSERT INTO incident_events(incident_id, ts, actor, auto, kind, "
			"from_state, to_state, text, log_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(ts), STORE_TEXT(shiftlog_operator()), STORE_INT(ev->automatic),
			  STORE_TEXT(ev->kind), STORE_TEXT(ev->from), STORE_TEXT(ev->to), STORE_TEXT(text), STORE_OPT(log_id)), e) ||
	    store_run(st, "UPDATE incidents SET last_event_at = ?2 WHERE id = ?1 AND last_event_at < ?2",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(ts)), e))
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
int incident_breach_locked(struct store *st, const struct incident *inc, enum incident_clock clock,
			 int64_t now, bool automatic, struct err *e)
{
	int64_t due = clock == INCIDENT_CLOCK_ACK ? inc->ack_due : inc->resolve_due;
	char when[32], late[32];
	char *msg = NULL;
	struct incident_ev ev = { .kind = "sla-breach", .automatic = automatic, .log_cat = "alarm",
			 .log_sev = incident_log_severity[inc->severity] };
	int rc = -1;

	clock_format_local(due, when, sizeof when);
	incident_duration_format(now - due, late, sizeof late);
	msg = incident_asprintf("%s SLA breached: due %s, %s late",
			clock == INCIDENT_CLOCK_ACK ? "acknowledge" : "resolve", when, late);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = msg;
	ev.what = msg;
	if (store_run(st, clock == INCIDENT_CLOCK_ACK ?
			"UPDATE incidents SET ack_sla = 'breached' WHERE id = ?" :
			"UPDATE incidents SET resolve_sla = 'breached' WHERE id = ?",
		    STORE_VALS(STORE_INT(inc->id)), e) ||
	    incident_event_add(st, inc, now, &ev, e))
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
		return incident_breach_locked(st, inc, clock, now, false, e);
	return store_run(st, clock == INCIDENT_CLOCK_ACK ?
			       "UPDATE incidents SET ack_sla = 'met' WHERE id = ?" :
			       "UPDATE incidents SET resolve_sla = 'met' WHERE id = ?",
		       STORE_VALS(STORE_INT(inc->id)), e);
}

static int add_responder(struct store *st, int64_t id, const char *who, int64_t now,
			 struct err *e);

/* Acknowledges inc at now (the caller checked the state and time). The acknowledger
 * takes the incident on when nobody is assigned. */
static int ack_locked(struct store *st, const struct incident *inc, int64_t now, const char *how,
		      struct err *e)
{
	const char *me = shiftlog_operator();
	struct incident_ev ev = { .kind = "acknowledged", .text = how, .log_cat = "action", .log_sev = "info",
			 .what = "acknowledged" };
	struct incident_ev own = { .kind = "assigned", .log_cat = "action", .log_sev = "info" };
	char *what = NULL;
	int rc = -1;

	if (store_run(st, "UPDATE incidents SET acked_at = ?2, acked_by = ?3 WHERE id = ?1",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(now), STORE_TEXT(me)), e) ||
	    stop_clock(st, inc, INCIDENT_CLOCK_ACK, now, e) || incident_event_add(st, inc, now, &ev, e))
		goto out;
	if (!inc->assignee) {
		if (!(what = incident_asprintf("assigned to %s (acknowledged)", me))) {
			err_set(e, "out of memory");
			goto out;
		}
		own.text = own.what = what;
		if (store_run(st, "UPDATE incidents SET assignee = ? WHERE id = ?",
			      STORE_VALS(STORE_TEXT(me), STORE_INT(inc->id)), e) ||
		    add_responder(st, inc->id, me, now, e) || incident_event_add(st, inc, now, &own, e))
			goto out;
	}
	rc = 0;
out:
	free(what);
	return rc;
}

/* Loads incident id for a change at now: exists, and now is not before its last event. */
int incident_load_for_change(struct store *st, int64_t id, int64_t now, struct incident *inc,
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
	return store_run(st, "INSERT OR IGNORE INTO incident_responders(incident_id, responder, "
			   "added_at) VALUES (?, ?, ?)", STORE_VALS(STORE_INT(id), STORE_TEXT(who), STORE_INT(now)), e);
}

/* Creates the incident inside the caller's transaction; *id_out gets its id. */
int incident_create_locked(struct store *st, const struct incident_config *cfg,
			 const struct incident_new *n, int64_t now, bool automatic,
			 int64_t *id_out, struct err *e)
{
	struct incident inc = { 0 };
	char *title = NULL, *desc = NULL, *impact = NULL, *host = NULL, *msg = NULL;
	struct incident_ev ev = { .kind = "opened", .automatic = automatic, .log_cat = "alarm" };
	int rc = -1;

	title = incident_clean_opt(n->title, false);
	desc = incident_clean_opt(n->description, true);
	impact = incident_clean_opt(n->impact, true);
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
	if (store_run(st, "INSERT INTO incidents(title, description, severity, priority, impact, "
			"classification, source, state, dedup_key, opened_at, last_event_at, "
			"level, level_since, ack_due, resolve_due, opened_by, last_signal) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'triage', ?8, ?9, ?9, 1, ?9, ?10, ?11, "
			"?12, ?13)",
		    STORE_VALS(STORE_TEXT(title), STORE_TEXT(desc), STORE_INT(n->severity), STORE_OPT(n->priority), STORE_TEXT(impact),
			  STORE_TEXT(class_names[n->classification].name), STORE_TEXT(source_names[n->source]),
			  STORE_TEXT(n->dedup_key), STORE_INT(now),
			  STORE_INT(now + incident_sla_target(cfg, n->severity, INCIDENT_CLOCK_ACK)),
			  STORE_INT(now + incident_sla_target(cfg, n->severity, INCIDENT_CLOCK_RESOLVE)),
			  STORE_TEXT(shiftlog_operator()), STORE_TEXT(n->dedup_key ? "problem" : NULL)), e))
		goto out;
	inc.id = sqlite3_last_insert_rowid(store_db(st));
	for (size_t i = 0; i < n->n_hosts; i++) {
		free(host);
		host = incident_clean_opt(n->hosts[i], false);
		if (!host || strlen(host) > 255) {
			err_set(e, "bad host name '%.64s'", n->hosts[i] ? n->hosts[i] : "");
			goto out;
		}
		if (store_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) "
				"VALUES (?, ?)", STORE_VALS(STORE_INT(inc.id), STORE_TEXT(host)), e))
			goto out;
	}
	if (add_responder(st, inc.id, cfg->levels[0].group, now, e) ||
	    incident_get(st, inc.id, &inc, e))
		goto out;
	msg = incident_asprintf("opened (%s, %s) at level %s, %s paged", source_names[n->source],
			class_names[n->classification].name, cfg->levels[0].name,
			cfg->levels[0].group);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.to = "triage";
	ev.text = msg + strlen("opened ");
	ev.what = msg;
	ev.log_sev = incident_log_severity[n->severity];
	if (incident_event_add(st, &inc, now, &ev, e))
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
	struct store_txn t = { 0 };
	int64_t id = 0;
	int rc = -1;

	if (store_txn_begin(st, &t, e))
		return -1;
	if (incident_create_locked(st, cfg, n, clock_now_ms(), false, &id, e) || store_txn_commit(st, &t, e))
		goto out;
	if (id_out)
		*id_out = id;
	rc = 0;
out:
	store_txn_abort(st, &t);
	return rc;
}

/* ---- transitions ---- */

/* Merges inc into target (both checked): event on both, repeats and hosts carried over. */
static int merge_into_locked(struct store *st, const struct incident *inc, int64_t target,
			     int64_t now, struct err *e)
{
	struct incident tg = { 0 };
	char *msg = NULL;
	struct incident_ev ev = { .kind = "merged-in", .log_cat = "action", .log_sev = "info" };
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
	msg = incident_asprintf("incident #%" PRId64 " merged into this one (%" PRId64 " signals): %s",
			inc->id, inc->repeat_count, inc->title);
	if (!msg) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = msg;
	ev.what = msg;
	if (store_run(st, "UPDATE incidents SET repeat_count = repeat_count + ? WHERE id = ?",
		    STORE_VALS(STORE_INT(inc->repeat_count), STORE_INT(target)), e) ||
	    store_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) "
			"SELECT ?2, host FROM incident_hosts WHERE incident_id = ?1",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(target)), e) ||
	    store_run(st, "INSERT OR IGNORE INTO incident_responders(incident_id, responder, added_at) "
			"SELECT ?2, responder, ?3 FROM incident_responders WHERE incident_id = ?1",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(target), STORE_INT(now)), e) ||
	    incident_event_add(st, &tg, now, &ev, e))
		goto out;
	rc = 0;
out:
	free(msg);
	incident_clear(&tg);
	return rc;
}

/* Applies action to inc inside the caller's transaction (the time is checked). */
static int apply_locked(struct store *st, const struct incident *inc, enum incident_action action,
			const char *clean, int64_t target, int64_t now, struct err *e)
{
	struct incident_ev ev = { .log_cat = "action", .log_sev = "info" };
	char legal[128];
	char *what = NULL;
	int to = incident_transition(inc->state, action);
	int rc = -1;

	if (to < 0) {
		err_set(e, "incident #%" PRId64 " is %s: cannot %s it (from %s: %s)", inc->id,
			incident_state_name(inc->state), action_names[action],
			incident_state_name(inc->state),
			incident_legal_actions(inc->state, legal, sizeof legal));
		goto out;
	}
	if (action == INCIDENT_ACT_RESOLVE && !clean) {
		err_set(e, "resolving needs a resolution note");
		goto out;
	}
	if (action == INCIDENT_ACT_CANCEL && !clean) {
		err_set(e, "cancelling needs a reason");
		goto out;
	}
	/* Taking an incident on acknowledges it when nobody has. */
	if (action == INCIDENT_ACT_ACTIVATE && !inc->acked_at &&
	    ack_locked(st, inc, now, "acknowledged by activating", e))
		goto out;
	if (action == INCIDENT_ACT_MERGE && merge_into_locked(st, inc, target, now, e))
		goto out;
	if (store_run(st, action_sql[action],
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(now), STORE_TEXT(clean), STORE_OPT(target), STORE_TEXT(state_names[to])), e))
		goto out;
	if (action == INCIDENT_ACT_RESOLVE && stop_clock(st, inc, INCIDENT_CLOCK_RESOLVE, now, e))
		goto out;
	if (action == INCIDENT_ACT_MERGE)
		what = incident_asprintf("%s -> %s (into #%" PRId64 ")", state_names[inc->state],
				 state_names[to], target);
	else
		what = incident_asprintf("%s -> %s%s%s", state_names[inc->state], state_names[to],
				 clean ? ": " : "", clean ? clean : "");
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.kind = action_done[action];
	ev.from = state_names[inc->state];
	ev.to = state_names[to];
	ev.text = clean;
	ev.what = what;
	rc = incident_event_add(st, inc, now, &ev, e);
out:
	free(what);
	return rc;
}

int incident_apply(struct store *st, int64_t id, enum incident_action action,
		   const char *text, int64_t target, struct err *e)
{
	struct incident inc = { 0 };
	struct store_txn t = { 0 };
	char *clean = NULL;
	int64_t now = clock_now_ms();
	int rc = -1;

	if ((unsigned)action >= INCIDENT_N_ACTIONS) {
		err_set(e, "unknown action");
		return -1;
	}
	clean = incident_clean_opt(text, true);
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e))
		goto out;
	/* Resolving an active incident says the impact stopped too: the mitigation is
	 * recorded with it (its own timeline event), not refused. */
	if (action == INCIDENT_ACT_RESOLVE && inc.state == INCIDENT_ACTIVE && clean) {
		if (apply_locked(st, &inc, INCIDENT_ACT_MITIGATE, "recorded with the resolution", 0,
				 now, e))
			goto out;
		incident_clear(&inc);
		if (incident_get(st, id, &inc, e))
			goto out;
	}
	if (apply_locked(st, &inc, action, clean, target, now, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(clean);
	return rc;
}

int incident_ack(struct store *st, int64_t id, struct err *e)
{
	struct incident inc = { 0 };
	struct store_txn t = { 0 };
	int64_t now = clock_now_ms();
	char when[32];
	int rc = -1;

	if (store_txn_begin(st, &t, e))
		goto out;
	if (incident_load_for_change(st, id, now, &inc, e))
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
	if (ack_locked(st, &inc, now, NULL, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	return rc;
}

int incident_set_title(struct store *st, int64_t id, const char *title, struct err *e)
{
	struct incident inc = { 0 };
	struct store_txn t = { 0 };
	char *clean = incident_clean_opt(title, false), *what = NULL;
	int64_t now = clock_now_ms();
	struct incident_ev ev = { .kind = "retitled", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (!clean) {
		err_set(e, "an incident needs a title");
		goto out;
	}
	if (strlen(clean) > TITLE_MAX) {
		err_set(e, "the title is longer than %d bytes", TITLE_MAX);
		goto out;
	}
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e))
		goto out;
	if (!(what = incident_asprintf("retitled (was: %s)", inc.title))) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (store_run(st, "UPDATE incidents SET title = ? WHERE id = ?",
		      STORE_VALS(STORE_TEXT(clean), STORE_INT(id)), e))
		goto out;
	/* The event's shift-log line names the incident by its new title. */
	free(inc.title);
	inc.title = clean;
	clean = NULL;
	if (incident_event_add(st, &inc, now, &ev, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(clean);
	free(what);
	return rc;
}

int incident_note(struct store *st, int64_t id, const char *text, struct err *e)
{
	struct incident inc = { 0 };
	struct store_txn t = { 0 };
	char *clean = incident_clean_opt(text, true), *what = NULL;
	int64_t now = clock_now_ms();
	struct incident_ev ev = { .kind = "note", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (!clean) {
		err_set(e, "empty note");
		goto out;
	}
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e))
		goto out;
	if (!(what = incident_asprintf("note: %s", clean))) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = clean;
	ev.what = what;
	if (incident_event_add(st, &inc, now, &ev, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
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
	struct store_txn t = { 0 };
	char *who = incident_clean_opt(user, false), *what = NULL;
	int64_t now = clock_now_ms();
	struct incident_ev ev = { .kind = "assigned", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if (!who || strlen(who) > NAME_MAX_LEN || strchr(who, ' ')) {
		err_set(e, "assign needs a user name (no spaces, at most %d bytes)", NAME_MAX_LEN);
		goto out;
	}
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e) ||
	    need_open(&inc, "assigned", e))
		goto out;
	if (inc.assignee && strcmp(inc.assignee, who) == 0) {
		err_set(e, "incident #%" PRId64 " is already assigned to %s", id, who);
		goto out;
	}
	what = inc.assignee ? incident_asprintf("assigned to %s (was %s)", who, inc.assignee) :
			      incident_asprintf("assigned to %s", who);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (store_run(st, "UPDATE incidents SET assignee = ? WHERE id = ?", STORE_VALS(STORE_TEXT(who), STORE_INT(id)), e) ||
	    add_responder(st, id, who, now, e) || incident_event_add(st, &inc, now, &ev, e) ||
	    store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(who);
	free(what);
	return rc;
}

int incident_classify(struct store *st, int64_t id, enum incident_class c, struct err *e)
{
	struct incident inc = { 0 };
	struct store_txn t = { 0 };
	char *what = NULL;
	int64_t now = clock_now_ms();
	struct incident_ev ev = { .kind = "classified", .log_cat = "action", .log_sev = "info" };
	int rc = -1;

	if ((unsigned)c >= INCIDENT_N_CLASSES) {
		err_set(e, "unknown classification");
		return -1;
	}
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e))
		goto out;
	if (inc.classification == c) {
		err_set(e, "incident #%" PRId64 " is already classified %s", id, class_names[c].name);
		goto out;
	}
	what = incident_asprintf("classified %s (was %s)", class_names[c].name,
			 class_names[inc.classification].name);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (store_run(st, "UPDATE incidents SET classification = ? WHERE id = ?",
		    STORE_VALS(STORE_TEXT(class_names[c].name), STORE_INT(id)), e) ||
	    incident_event_add(st, &inc, now, &ev, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(what);
	return rc;
}

/* One level up with its group paged; inc is checked and open. */
int incident_escalate_locked(struct store *st, const struct incident_config *cfg,
			   const struct incident *inc, const char *reason, int64_t now,
			   bool automatic, struct err *e)
{
	const struct incident_level_cfg *from = NULL, *to = NULL;
	struct incident_ev ev = { .kind = "escalated", .automatic = automatic, .log_cat = "alarm",
			 .log_sev = incident_log_severity[inc->severity] };
	char *what = NULL;
	int rc = -1;

	if (inc->level >= (int)cfg->n_levels) {
		err_set(e, "incident #%" PRId64 " is already at the top escalation level (%s)",
			inc->id, cfg->levels[cfg->n_levels - 1].name);
		goto out;
	}
	from = &cfg->levels[inc->level > 0 ? inc->level - 1 : 0];
	to = &cfg->levels[inc->level];
	what = incident_asprintf("escalated %s -> %s, %s paged: %s", from->name, to->name, to->group, reason);
	if (!what) {
		err_set(e, "out of memory");
		goto out;
	}
	ev.text = what;
	ev.what = what;
	if (store_run(st, "UPDATE incidents SET level = level + 1, level_since = ?2 WHERE id = ?1",
		    STORE_VALS(STORE_INT(inc->id), STORE_INT(now)), e) ||
	    add_responder(st, inc->id, to->group, now, e) || incident_event_add(st, inc, now, &ev, e))
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
	struct store_txn t = { 0 };
	char *why = incident_clean_opt(reason, false);
	int64_t now = clock_now_ms();
	int rc = -1;

	if (!why) {
		err_set(e, "escalating needs a reason");
		goto out;
	}
	if (store_txn_begin(st, &t, e) || incident_load_for_change(st, id, now, &inc, e) ||
	    need_open(&inc, "escalated", e) ||
	    incident_escalate_locked(st, cfg, &inc, why, now, false, e) || store_txn_commit(st, &t, e))
		goto out;
	rc = 0;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(why);
	return rc;
}

