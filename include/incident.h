/*
 * incident: the incident queue's model. Incidents with a validated lifecycle, an
 * append-only timeline (incident_events), SLA clocks, escalation levels, dedup and
 * flapping for incidents opened automatically, problems linked to incidents, and
 * the report and post-mortem built from them (core/incident_report.c).
 *
 * Every change a person or the monitor makes is one transaction holding the row
 * change, its timeline event and its shift-log entry (by the OS user), so nothing
 * is ever half-written. Times are UTC ms; a change whose time is earlier than the
 * incident's last event is refused (a pinned or stepped clock must not reorder a
 * timeline). Text is sanitised (core/text) when stored and again when shown.
 * Called inside the caller's own transaction, a change joins it instead; if the
 * change fails, the caller must roll its transaction back (part of the change
 * may be in it).
 *
 * Lifecycle (the table in core/incident.c; anything not listed is refused):
 *
 *   from \ to   active     mitigated  resolved   closed  cancelled  merged
 *   triage      activate   -          -          -       cancel     merge
 *   active      -          mitigate   -          -       cancel     merge
 *   mitigated   regress    -          resolve    -       -          -
 *   resolved    reopen     -          -          close   -          -
 *   closed, cancelled, merged: final.
 *
 * No skipping: an incident is activated, mitigated (impact stopped) and then
 * resolved (cause fixed; needs a resolution note), then closed. "regress" is a
 * mitigation that did not hold; "reopen" a resolution that did not. Cancel and
 * merge need a reason / a target. Acknowledging is not a state: it stamps the
 * first ack time, allowed in triage or active, once; activating an incident
 * nobody acknowledged acknowledges it too (taking it on is an acknowledgement).
 * Notes are allowed in every state; assignment and escalation in open states
 * (triage, active, mitigated).
 */
#ifndef OPSDECK_INCIDENT_H
#define OPSDECK_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "incident_config.h"
#include "store.h"

enum incident_state {
	INCIDENT_TRIAGE,
	INCIDENT_ACTIVE,
	INCIDENT_MITIGATED,
	INCIDENT_RESOLVED,
	INCIDENT_CLOSED,
	INCIDENT_CANCELLED,
	INCIDENT_MERGED,
	INCIDENT_N_STATES,
};

/* State sets for filters: bit (1u << state). */
#define INCIDENT_MASK(s) (1u << (s))
#define INCIDENT_OPEN_MASK                                                                 \
	(INCIDENT_MASK(INCIDENT_TRIAGE) | INCIDENT_MASK(INCIDENT_ACTIVE) |                  \
	 INCIDENT_MASK(INCIDENT_MITIGATED))
#define INCIDENT_ALL_MASK ((1u << INCIDENT_N_STATES) - 1)

/* Actions a person takes; each maps to one row of the transition table. */
enum incident_action {
	INCIDENT_ACT_ACTIVATE,
	INCIDENT_ACT_MITIGATE,
	INCIDENT_ACT_RESOLVE,
	INCIDENT_ACT_CLOSE,
	INCIDENT_ACT_CANCEL,
	INCIDENT_ACT_MERGE,
	INCIDENT_ACT_REGRESS,
	INCIDENT_ACT_REOPEN,
	INCIDENT_N_ACTIONS,
};

enum incident_class {
	INCIDENT_CLASS_UNKNOWN,
	INCIDENT_CLASS_CODE_DEFECT,
	INCIDENT_CLASS_VULNERABILITY,
	INCIDENT_CLASS_EXPLOIT,
	INCIDENT_CLASS_USER_ERROR,
	INCIDENT_CLASS_CAPACITY,
	INCIDENT_CLASS_CHANGE,
	INCIDENT_CLASS_EXTERNAL,
	INCIDENT_N_CLASSES,
};

enum incident_source {
	INCIDENT_SRC_OPERATOR,
	INCIDENT_SRC_PROBE,
	INCIDENT_SRC_HOST_KEY,
	INCIDENT_SRC_IMPORT,
	INCIDENT_N_SOURCES,
};

/* Machine names (stored, in JSON and on the command line) and labels for people. */
const char *incident_state_name(enum incident_state s);   /* "triage" ... */
const char *incident_action_name(enum incident_action a); /* "activate" ... */
const char *incident_class_name(enum incident_class c);   /* "code-defect" ... */
const char *incident_class_label(enum incident_class c);  /* "Code defect" ... */
const char *incident_source_name(enum incident_source s); /* "probe", "host-key" ... */
/* Parsers return the enum value, or -1 for an unknown name. */
int incident_state_parse(const char *name);
int incident_action_parse(const char *name);
int incident_class_parse(const char *name);
int incident_source_parse(const char *name);
/* "SEV1".."SEV4" (case-insensitive) or "1".."4" -> 1..4; -1 otherwise. */
int incident_severity_parse(const char *name);
/* The state an action leads to from `from`, or -1 when the table forbids it. */
int incident_transition(enum incident_state from, enum incident_action a);
/* "activate, cancel" for messages: the legal actions from s. Returns buf. */
const char *incident_legal_actions(enum incident_state s, char *buf, size_t len);

/* One incident. Strings are owned by the struct (incident_clear); NULL when unset. */
struct incident {
	int64_t id;
	char *title;
	char *description;
	int severity; /* 1..4 */
	int priority; /* 1..5, 0 unset */
	char *impact; /* services and users affected */
	enum incident_class classification;
	enum incident_source source;
	enum incident_state state;
	char *assignee;
	char *dedup_key;
	char *resolution;   /* the resolution note */
	char *cancel_reason;
	int64_t merged_into; /* 0 unless merged */
	int64_t repeat_count; /* signals folded into this incident, >= 1 */
	int level;            /* escalation level, 1-based */
	bool flapping;
	char *hosts;          /* affected hosts, ", " separated, sorted; from incident_hosts */
	char *responders;     /* ", " separated, in the order they were added */
	char *first_host;     /* queue rows: the first affected host (NULL when none) */
	int64_t n_hosts;
	/* Timestamps, UTC ms; 0 when the incident has not been there yet. */
	int64_t opened_at, acked_at, activated_at, mitigated_at, resolved_at, closed_at,
		cancelled_at, merged_at, last_event_at, level_since;
	/* SLA: deadlines fixed at opening from the config of the day. */
	int64_t ack_due, resolve_due;
	char ack_sla[12], resolve_sla[12]; /* "" running, "met", "breached", "void" */
	char *opened_by;
};

void incident_clear(struct incident *inc);

/* ---- creating and changing ---- */

struct incident_new {
	const char *title;       /* required */
	int severity;            /* required, 1..4 */
	int priority;            /* 0: unset */
	const char *description, *impact;
	enum incident_class classification;
	enum incident_source source;
	const char *const *hosts; /* n_hosts affected hosts */
	size_t n_hosts;
	const char *dedup_key;   /* NULL for incidents a person opens */
};

/*
 * Opens an incident in triage at clock_now_ms(), at escalation level 1 with that
 * level's group as its first responder, SLA deadlines from cfg. Sets *id_out.
 * Returns 0, or -1 with e set; nothing is written on failure.
 */
int incident_create(struct store *st, const struct incident_config *cfg,
		    const struct incident_new *n, int64_t *id_out, struct err *e);

/*
 * Applies action to incident id at clock_now_ms(). text is the resolution note
 * (resolve: required), the reason (cancel: required) or an optional comment;
 * target the incident to merge into (merge only). An action the table forbids,
 * a time before the last event, or a missing note leaves everything unchanged
 * and returns -1 with a message naming the legal actions.
 */
int incident_apply(struct store *st, int64_t id, enum incident_action action,
		   const char *text, int64_t target, struct err *e);

/* Changes the title (open or not; a timeline event "retitled" with the old title).
 * -1 with e set for an empty or too long title. */
int incident_set_title(struct store *st, int64_t id, const char *title, struct err *e);

/* The timeline's past-tense word for an event kind ("activated"); events stored
 * before the timeline spoke in one tense named the action ("activate"). */
const char *incident_event_word(const char *kind);

/* First acknowledgement (triage or active, once); the acknowledger becomes the
 * assignee when there is none. Logs a late ack as an SLA breach. */
int incident_ack(struct store *st, int64_t id, struct err *e);
/* A note on the timeline (any state). */
int incident_note(struct store *st, int64_t id, const char *text, struct err *e);
/* Sets the assignee (open states). */
int incident_assign(struct store *st, int64_t id, const char *user, struct err *e);
/* Escalates one level (open states) with a reason; refused at the top level. */
int incident_escalate(struct store *st, const struct incident_config *cfg, int64_t id,
		      const char *reason, struct err *e);

/* Sets the classification (any state: it is often known only afterwards). */
int incident_classify(struct store *st, int64_t id, enum incident_class c, struct err *e);

/* ---- reading ---- */

/* Reads incident id (with hosts and responders) into out. 0, or -1 with e set. */
int incident_get(struct store *st, int64_t id, struct incident *out, struct err *e);

/*
 * Queue filter. states 0 means the open states. The queue order is severity
 * (SEV1 first), then age (oldest opened first), then id; every filter walks an
 * index in that order, so a page costs about its size (match scans until the
 * page fills).
 */
struct incident_filter {
	unsigned states;      /* INCIDENT_MASK bits; 0: INCIDENT_OPEN_MASK */
	int severity;         /* 0: any, else only this one */
	int classification;   /* -1: any */
	const char *host;     /* NULL: any; exact affected host */
	const char *assignee; /* NULL: any */
	const char *match;    /* NULL: any; case-insensitive substring of the title */
};

/* Sets f to the default queue (open states, any severity, ...). */
void incident_filter_init(struct incident_filter *f);

/* Keyset position in the queue: the last row seen (all zero: the start). */
struct incident_cursor {
	int severity;
	int64_t opened_at;
	int64_t id;
};

enum incident_dir {
	INCIDENT_FORWARD,  /* rows after the cursor, in queue order */
	INCIDENT_BACKWARD, /* rows before the cursor, in reverse queue order (the caller flips) */
};

/* Cursor of a row, for the next call. */
struct incident_cursor incident_cursor_of(const struct incident *row);

/* fn gets each row (valid only during the call; hosts and responders not filled,
 * first_host and n_hosts are); non-zero stops the walk. */
typedef int (*incident_row_fn)(const struct incident *row, void *ud);

/*
 * Calls fn for up to limit incidents passing f, next to cursor (NULL or zero
 * cursor: from the start (forward) or the end (backward)). Returns rows visited,
 * or -1 with e set.
 */
int incident_page(struct store *st, const struct incident_filter *f,
		  const struct incident_cursor *cursor, enum incident_dir dir, int limit,
		  incident_row_fn fn, void *ud, struct err *e);

/* Open incidents per severity (counts[0] is SEV1), for the top bar. 0 or -1. */
int incident_open_counts(struct store *st, int64_t counts[INCIDENT_N_SEV], struct err *e);

/* One timeline event. Strings owned by the struct while in a callback. */
struct incident_event {
	int64_t id;
	int64_t incident_id;
	int64_t ts;
	const char *actor;      /* OS user */
	bool automatic;         /* written by opsdeck (monitor, timers), not a person */
	const char *kind;       /* see incident_event_kinds in core/incident.c */
	const char *from_state; /* transitions only, else NULL */
	const char *to_state;
	const char *text;       /* sanitised when stored; sanitise again to show */
	int64_t log_id;         /* the matching shift-log entry */
};

typedef int (*incident_event_fn)(const struct incident_event *ev, void *ud);

/*
 * The timeline of incident id, oldest first, starting after event after_id (0:
 * from the first), up to limit events (<= 0: all). Keyset on (ts, id) over the
 * (incident_id, ts) index. Returns events visited or -1 with e set.
 */
int incident_events(struct store *st, int64_t id, int64_t after_id, int limit,
		    incident_event_fn fn, void *ud, struct err *e);

/* ---- SLA clocks ---- */

enum incident_clock { INCIDENT_CLOCK_ACK, INCIDENT_CLOCK_RESOLVE };

/* The target of clock for severity (1..4) from cfg, in ms. */
int64_t incident_sla_target(const struct incident_config *cfg, int severity,
			    enum incident_clock clock);
/* The absolute deadline (UTC ms) fixed when inc was opened. */
int64_t incident_sla_deadline(const struct incident *inc, enum incident_clock clock);
/*
 * Time left on clock at now (negative: overdue). *running is false when the clock
 * has stopped (acknowledged / resolved, cancelled, merged); the value is then the
 * margin it stopped with.
 */
int64_t incident_sla_left(const struct incident *inc, enum incident_clock clock, int64_t now,
			  bool *running);

struct incident_breach {
	int64_t id;
	int severity;
	enum incident_clock clock;
	int64_t deadline;
	const char *title; /* valid during the callback */
};

typedef void (*incident_breach_fn)(const struct incident_breach *b, void *ud);

/*
 * Marks every running clock whose deadline has passed at now as breached, once
 * per incident per clock: a timeline event and a shift-log alarm in one
 * transaction, then fn (may be NULL) for each. A partial index holds only running
 * clocks, so a timer can call this often. Returns the number of breaches or -1.
 */
int incident_sla_check(struct store *st, const struct incident_config *cfg, int64_t now,
		       incident_breach_fn fn, void *ud, struct err *e);

/*
 * Escalates every unacknowledged incident in triage or active whose current
 * level's timeout has run out at now, one level per call (each step restarts the
 * level's clock). Logged as an alarm. Returns the number escalated or -1.
 */
int incident_escalation_check(struct store *st, const struct incident_config *cfg, int64_t now,
			      struct err *e);

/* ---- automatic opening (the monitor) ---- */

enum incident_signal_kind { INCIDENT_SIGNAL_PROBLEM, INCIDENT_SIGNAL_RECOVERY };

struct incident_signal {
	const char *dedup_key; /* host + "/" + probe, e.g. "web01/disk"; required */
	enum incident_source source;
	enum incident_signal_kind kind;
	int severity;          /* 1..4, for a new incident */
	const char *title;     /* for a new incident */
	const char *host;      /* affected host; may be NULL */
	const char *detail;    /* probe summary for the timeline; may be NULL */
};

enum incident_observed {
	INCIDENT_OBS_OPENED,     /* a new incident in triage */
	INCIDENT_OBS_REPEATED,   /* folded into the open incident with the key */
	INCIDENT_OBS_RECOVERED,  /* the open incident was annotated */
	INCIDENT_OBS_DAMPED,     /* counted, but no event: the incident is flapping */
	INCIDENT_OBS_IGNORED,    /* recovery with nothing open */
	INCIDENT_OBS_MAINTENANCE, /* problem on a host in maintenance: nothing opened */
};

/*
 * Feeds one signal. Call it when a probe turns CRITICAL, a host is down past its
 * grace period or its key changed (kind PROBLEM), and when it recovers (RECOVERY):
 * on changes, not on every round.
 *
 * A problem opens an incident in triage unless one is open (triage, active,
 * mitigated) with the same dedup key: then repeat_count++ and a "repeat" event.
 * A recovery adds a "recovered" event to the open one. A problem on a host in
 * maintenance opens nothing. Flapping: a change is a signal whose kind differs
 * from the previous one's. The flap window starts at the first change after a
 * quiet spell; more than cfg->flap_changes changes before it ends mark the
 * incident flapping (one "flapping" event and alarm), after which signals only
 * count (repeat_count, OBS_DAMPED) without events. Once a whole window passes
 * without a change, the next signal clears it with a "settled" event and is then
 * handled normally. Sets *id_out to the incident (0 when none). Returns the
 * outcome, or -1 with e set.
 */
int incident_observe(struct store *st, const struct incident_config *cfg,
		     const struct incident_signal *sig, int64_t *id_out, struct err *e);

/*
 * Is host in a maintenance window at now_ms? Always false for now: the
 * maintenance-window issue implements it over its windows table. incident_observe
 * asks it before opening anything.
 */
bool incident_host_in_maintenance(struct store *st, const char *host, int64_t now_ms);

/* ---- problems ---- */

enum problem_type { PROBLEM_CORRECTIVE, PROBLEM_PREVENTIVE, PROBLEM_ADAPTIVE,
		    PROBLEM_IMPROVEMENT, PROBLEM_N_TYPES };
enum problem_status { PROBLEM_OPEN, PROBLEM_INVESTIGATING, PROBLEM_KNOWN_ERROR,
		      PROBLEM_RESOLVED, PROBLEM_CLOSED, PROBLEM_N_STATUSES };
/* Criticality: which aspects the problem is critical for (a set). */
enum { PROBLEM_CRIT_PERFORMANCE = 1, PROBLEM_CRIT_SAFETY = 2, PROBLEM_CRIT_SECURITY = 4 };

const char *problem_type_name(enum problem_type t);
const char *problem_status_name(enum problem_status s);
int problem_type_parse(const char *name);
int problem_status_parse(const char *name);
/* "performance,security" <-> bits; parse returns -1 on an unknown word. */
int problem_criticality_parse(const char *list);
const char *problem_criticality_format(int bits, char *buf, size_t len);

/*
 * Status changes allowed: open -> investigating | closed; investigating ->
 * known-error | resolved; known-error -> resolved; resolved -> closed |
 * investigating (it came back). Setting the same status is a no-op.
 */
bool problem_status_allowed(enum problem_status from, enum problem_status to);

struct problem {
	int64_t id;
	char *title, *description, *root_cause, *workaround;
	enum problem_type type;
	enum problem_status status;
	char *scope_size, *scope_cost, *scope_time; /* estimates as people write them */
	int criticality; /* PROBLEM_CRIT_* bits */
	int64_t created_at, updated_at;
	char *created_by;
	char *incidents; /* linked incident ids, "12, 15" (problem_get only) */
};

void problem_clear(struct problem *p);

struct problem_new {
	const char *title; /* required */
	enum problem_type type;
	const char *description, *root_cause, *workaround;
	const char *scope_size, *scope_cost, *scope_time;
	int criticality;
	const int64_t *incidents; /* incidents it comes from (linked at once) */
	size_t n_incidents;
};

/* Creates a problem (status open) and its links; logged. 0 or -1, nothing written. */
int problem_create(struct store *st, const struct problem_new *n, int64_t *id_out,
		   struct err *e);

/* Changes fields that are non-NULL in u (status: -1 keeps it; criticality: -1 keeps). */
struct problem_update {
	int status;
	const char *root_cause, *workaround, *scope_size, *scope_cost, *scope_time;
	int criticality;
};
int problem_update(struct store *st, int64_t id, const struct problem_update *u, struct err *e);

int problem_get(struct store *st, int64_t id, struct problem *out, struct err *e);

/* Problems, newest first, after id before_id (0: from the newest), up to limit. */
typedef int (*problem_row_fn)(const struct problem *p, void *ud);
int problem_list(struct store *st, int64_t before_id, int limit, problem_row_fn fn, void *ud,
		 struct err *e);

/* Links incident id to problem pid (a timeline event on the incident). */
int incident_link_problem(struct store *st, int64_t id, int64_t pid, struct err *e);

/* Problems linked to incident id, by id. */
int incident_problems(struct store *st, int64_t id, problem_row_fn fn, void *ud, struct err *e);

/* ---- report and post-mortem (core/incident_report.c) ---- */

/* Median and p90 of a set of durations (ms). */
struct incident_stat {
	int64_t n;      /* incidents that contributed */
	int64_t median; /* p50 */
	int64_t p90;
	int64_t mean;
	int64_t max;
};

/*
 * Report over incidents opened in [since, until) (UTC ms).
 * MTTA = first acknowledgement - opened, over those acknowledged;
 * MTTR = resolved - opened, over those resolved (cancelled and merged ones have
 * no resolution and are left out). Percentiles interpolate linearly between the
 * closest ranks of the sorted values: p(q) = x[k] + f (x[k+1] - x[k]) with
 * k + f = q (n - 1), zero-based (numpy's default, Excel's PERCENTILE.INC); the
 * median is p(0.5), so an even count takes the middle two's mean. Results are
 * rounded to the nearest ms.
 */
struct incident_report {
	int64_t since, until;
	int64_t total;
	int64_t by_severity[INCIDENT_N_SEV];
	int64_t by_class[INCIDENT_N_CLASSES];
	int64_t by_state[INCIDENT_N_STATES]; /* their state now */
	int64_t ack_breaches, resolve_breaches;
	struct incident_stat mtta, mttr;
};

int incident_report_build(struct store *st, int64_t since, int64_t until,
			  struct incident_report *r, struct err *e);

/* Percentile q (0..1) of n sorted values, as defined above; 0 when n == 0. */
int64_t incident_percentile(const int64_t *sorted, size_t n, double q);

/* Writes r as text (durations as "4m 10s") or one JSON object. */
void incident_report_print(const struct incident_report *r, const struct incident_config *cfg,
			   FILE *out);
void incident_report_json(const struct incident_report *r, FILE *out);

/*
 * Writes the post-mortem draft of incident id as markdown to out: summary,
 * impact, classification, the timeline with who did what (local time), linked
 * problems and open actions. All text sanitised and markdown-escaped.
 */
int incident_postmortem(struct store *st, const struct incident_config *cfg, int64_t id,
			FILE *out, struct err *e);

#endif
