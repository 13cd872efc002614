/*
 * incident_sla: SLA clocks (time left, breach) and the periodic checks that
 * record breaches and escalate unacknowledged incidents.
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
static int collect(struct store *st, const char *sql, const struct store_val *b, size_t nb,
		   enum incident_clock clock, struct due_list *l, struct err *e)
{
	sqlite3_stmt *s = store_cached(st, sql, b, nb, e);
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
	struct store_txn t = { 0 };
	size_t n_done = 0;
	int rc = -1;

	(void)cfg; /* deadlines were fixed from the config when each incident opened */
	/* The partial indexes hold only running clocks, so this costs what is due. */
	if (collect(st, "SELECT id FROM incidents WHERE ack_sla IS NULL AND ack_due < ?",
		    STORE_VALS(STORE_INT(now)), INCIDENT_CLOCK_ACK, &l, e) ||
	    collect(st, "SELECT id FROM incidents WHERE resolve_sla IS NULL AND resolve_due < ?",
		    STORE_VALS(STORE_INT(now)), INCIDENT_CLOCK_RESOLVE, &l, e))
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
	if (store_txn_begin(st, &t, e))
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
		if (incident_breach_locked(st, inc, l.v[i].clock, now, true, e))
			goto out;
		clocks[n_done++] = l.v[i].clock;
	}
	if (store_txn_commit(st, &t, e))
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
	store_txn_abort(st, &t);
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
	struct store_txn t = { 0 };
	char reason[96], dur[32];
	int n = 0, rc = -1;

	/* The partial index holds unacknowledged triage and active incidents only. */
	for (size_t lv = 0; lv + 1 < cfg->n_levels; lv++) {
		if (cfg->levels[lv].timeout_ms <= 0)
			continue;
		if (collect(st, "SELECT id FROM incidents WHERE acked_at IS NULL AND "
				"state IN ('triage', 'active') AND level = ? AND level_since <= ?",
			    STORE_VALS(STORE_INT(lv + 1), STORE_INT(now - cfg->levels[lv].timeout_ms)),
			    INCIDENT_CLOCK_ACK, &l, e))
			goto out;
	}
	if (l.n == 0) {
		rc = 0;
		goto out;
	}
	if (store_txn_begin(st, &t, e))
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
		if (incident_escalate_locked(st, cfg, &inc, reason, now, true, e))
			goto out;
		n++;
	}
	if (store_txn_commit(st, &t, e))
		goto out;
	rc = n;
out:
	store_txn_abort(st, &t);
	incident_clear(&inc);
	free(l.v);
	return rc;
}

