/*
 * incident_internal: what the incident sources (incident.c, incident_queue.c,
 * incident_sla.c, incident_observe.c, problem.c) share. Not a public header:
 * nothing outside core/incident*.c and core/problem.c includes it.
 */
#ifndef OPSDECK_INCIDENT_INTERNAL_H
#define OPSDECK_INCIDENT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "err.h"
#include "incident.h"
#include "store.h"

/* The columns incident_row_read reads, in its order (incidents aliased as i). */
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

/* A timeline event and its shift-log line. */
struct incident_ev {
	const char *kind;
	const char *from, *to; /* state names, transitions only */
	const char *text;      /* timeline text; sanitised here */
	bool automatic;
	const char *log_cat;   /* "action" or "alarm" */
	const char *log_sev;
	const char *what;      /* the shift-log line after "Incident #N [SEVn] title: " */
};

/* The shift-log severity of an incident severity (index 1..INCIDENT_N_SEV). */
extern const char *const incident_log_severity[INCIDENT_N_SEV + 1];

/* Fills x from a row of INC_COLUMNS; -1 when memory runs out (x cleared). */
int incident_row_read(sqlite3_stmt *s, struct incident *x);

/* Appends ev to inc's timeline at ts with its shift-log entry, and moves the
 * incident's last_event_at. Inside the caller's transaction. */
int incident_event_add(struct store *st, const struct incident *inc, int64_t ts,
		       const struct incident_ev *ev, struct err *e);

/* Reads incident id for a change at now (refuses a clock that went backwards). The
 * caller clears inc. */
int incident_load_for_change(struct store *st, int64_t id, int64_t now, struct incident *inc,
			     struct err *e);

/* Creates an incident inside the caller's transaction; its id in *id_out. */
int incident_create_locked(struct store *st, const struct incident_config *cfg,
			   const struct incident_new *n, int64_t now, bool automatic,
			   int64_t *id_out, struct err *e);

/* Records a breach of clock, inside the caller's transaction. */
int incident_breach_locked(struct store *st, const struct incident *inc, enum incident_clock clock,
			   int64_t now, bool automatic, struct err *e);

/* Raises inc one escalation level, inside the caller's transaction. */
int incident_escalate_locked(struct store *st, const struct incident_config *cfg,
			     const struct incident *inc, const char *reason, int64_t now,
			     bool automatic, struct err *e);

/* Sanitised copy of text (newlines kept when multi); NULL when absent or blank.
 * The caller frees. */
char *incident_clean_opt(const char *text, bool multi);

/* The text of the one-row query sql on id (a group_concat of an incident's hosts).
 * The caller frees; NULL with e set on error. */
char *incident_joined(struct store *st, const char *sql, int64_t id, struct err *e);

/* A formatted string; NULL when memory runs out. The caller frees. */
char *incident_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
