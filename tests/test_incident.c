/*
 * Unit tests for core/incident: every legal and illegal transition (an illegal
 * one changes nothing), acks, time order, one transaction per change, dedup and
 * flapping on a pinned clock, SLA deadlines across a DST change, breaches and
 * escalation, the queue's keyset pages and filters, report figures on fixed data,
 * problems, the post-mortem, hostile text, incidents.yaml.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "incident.h"
#include "shiftlog.h"
#include "testutil.h"

#define T0 1768046400000LL /* 2026-01-10T12:00:00Z */
#define SEC 1000LL
#define MIN (60 * SEC)

struct fx {
	char *dir;
	char *db;
	struct store *st;
	struct incident_config cfg;
	int64_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { { 0 } };

	f->dir = tu_tmpdir();
	f->db = tu_join(f->dir, "inc.db");
	if (store_open(f->db, &f->st, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	incident_config_defaults(&f->cfg);
	f->now = T0;
	clock_pin(f->now);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(&f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	clock_unpin();
	return 0;
}

static void at(struct fx *f, int64_t ms)
{
	f->now = ms;
	clock_pin(ms);
}

static void tick(struct fx *f)
{
	at(f, f->now + SEC);
}

static int64_t mk_full(struct fx *f, const char *title, int sev, const char *host,
		       enum incident_class cls)
{
	const char *hosts[1] = { host };
	struct incident_new n = { .title = title, .severity = sev, .classification = cls,
				  .hosts = hosts, .n_hosts = host ? 1 : 0 };
	struct err e = { { 0 } };
	int64_t id = 0;

	if (incident_create(f->st, &f->cfg, &n, &id, &e))
		fail_msg("create: %s", e.msg);
	return id;
}

static int64_t mk(struct fx *f, const char *title, int sev)
{
	return mk_full(f, title, sev, NULL, INCIDENT_CLASS_UNKNOWN);
}

static void apply_ok(struct fx *f, int64_t id, enum incident_action a, const char *text,
		     int64_t target)
{
	struct err e = { { 0 } };

	tick(f);
	if (incident_apply(f->st, id, a, text, target, &e))
		fail_msg("%s #%lld: %s", incident_action_name(a), (long long)id, e.msg);
}

static struct incident get(struct fx *f, int64_t id)
{
	struct incident x;
	struct err e = { { 0 } };

	if (incident_get(f->st, id, &x, &e))
		fail_msg("get: %s", e.msg);
	return x;
}

static int64_t count(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Every row of every table the incident module writes, as one string. */
static char *snapshot(struct store *st)
{
	static const char *const tables[] = { "incidents", "incident_events", "incident_hosts",
					      "incident_responders", "problems",
					      "problem_incidents", "log_entries" };
	size_t len = 0, cap = 4096;
	char *buf = calloc(1, cap);

	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
		char sql[128];
		sqlite3_stmt *s = NULL;

		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2", tables[t]);
		assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const char *v = (const char *)sqlite3_column_text(s, c);
				size_t n = strlen(v ? v : "~") + 2;

				while (len + n + 1 > cap)
					buf = realloc(buf, cap *= 2);
				len += (size_t)sprintf(buf + len, "%s|", v ? v : "~");
			}
			buf[len++] = '\n';
			buf[len] = '\0';
		}
		sqlite3_finalize(s);
	}
	return buf;
}

/* ---- the lifecycle ---- */

static void test_names_and_table(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(incident_transition(INCIDENT_TRIAGE, INCIDENT_ACT_ACTIVATE), INCIDENT_ACTIVE);
	assert_int_equal(incident_transition(INCIDENT_TRIAGE, INCIDENT_ACT_RESOLVE), -1);
	assert_int_equal(incident_transition(INCIDENT_ACTIVE, INCIDENT_ACT_RESOLVE), -1);
	assert_int_equal(incident_transition(INCIDENT_CLOSED, INCIDENT_ACT_REOPEN), -1);
	assert_string_equal(incident_legal_actions(INCIDENT_TRIAGE, buf, sizeof buf),
			    "activate, cancel, merge");
	assert_string_equal(incident_legal_actions(INCIDENT_CLOSED, buf, sizeof buf),
			    "none: closed is final");
	for (int i = 0; i < INCIDENT_N_STATES; i++)
		assert_int_equal(incident_state_parse(incident_state_name(i)), i);
	for (int i = 0; i < INCIDENT_N_CLASSES; i++)
		assert_int_equal(incident_class_parse(incident_class_name(i)), i);
	for (int i = 0; i < INCIDENT_N_ACTIONS; i++)
		assert_int_equal(incident_action_parse(incident_action_name(i)), i);
	assert_string_equal(incident_class_name(INCIDENT_CLASS_CHANGE), "change-induced");
	assert_string_equal(incident_class_name(INCIDENT_CLASS_EXPLOIT), "exploit");
	assert_int_equal(incident_class_parse("gossip"), -1);
	assert_int_equal(incident_severity_parse("SEV1"), 1);
	assert_int_equal(incident_severity_parse("sev4"), 4);
	assert_int_equal(incident_severity_parse("3"), 3);
	assert_int_equal(incident_severity_parse("SEV5"), -1);
	assert_int_equal(incident_severity_parse("SEV"), -1);
}

/* Drives a fresh incident into state s (merged ones go into *other). */
static int64_t reach(struct fx *f, enum incident_state s, int64_t *other)
{
	int64_t id = mk(f, "subject", 2);

	*other = mk(f, "other", 3);
	switch (s) {
	case INCIDENT_TRIAGE:
		break;
	case INCIDENT_CANCELLED:
		apply_ok(f, id, INCIDENT_ACT_CANCEL, "false alarm", 0);
		break;
	case INCIDENT_MERGED:
		apply_ok(f, id, INCIDENT_ACT_MERGE, NULL, *other);
		break;
	default:
		apply_ok(f, id, INCIDENT_ACT_ACTIVATE, NULL, 0);
		if (s == INCIDENT_ACTIVE)
			break;
		apply_ok(f, id, INCIDENT_ACT_MITIGATE, NULL, 0);
		if (s == INCIDENT_MITIGATED)
			break;
		apply_ok(f, id, INCIDENT_ACT_RESOLVE, "fixed", 0);
		if (s == INCIDENT_RESOLVED)
			break;
		apply_ok(f, id, INCIDENT_ACT_CLOSE, NULL, 0);
	}
	return id;
}

static void test_every_transition(void **state)
{
	struct fx *f = *state;
	/* The table in incident.h, written out again: [from][action] -> to, -1 refused. */
	static const int want[INCIDENT_N_STATES][INCIDENT_N_ACTIONS] = {
		/*            activate mitigate resolve close cancel merge regress reopen */
		[INCIDENT_TRIAGE] = { 1, -1, -1, -1, 5, 6, -1, -1 },
		[INCIDENT_ACTIVE] = { -1, 2, -1, -1, 5, 6, -1, -1 },
		[INCIDENT_MITIGATED] = { -1, -1, 3, -1, -1, -1, 1, -1 },
		[INCIDENT_RESOLVED] = { -1, -1, -1, 4, -1, -1, -1, 1 },
		[INCIDENT_CLOSED] = { -1, -1, -1, -1, -1, -1, -1, -1 },
		[INCIDENT_CANCELLED] = { -1, -1, -1, -1, -1, -1, -1, -1 },
		[INCIDENT_MERGED] = { -1, -1, -1, -1, -1, -1, -1, -1 },
	};
	int legal = 0, illegal = 0;

	for (int s = 0; s < INCIDENT_N_STATES; s++) {
		for (int a = 0; a < INCIDENT_N_ACTIONS; a++) {
			struct err e = { { 0 } };
			int64_t other = 0, id = reach(f, (enum incident_state)s, &other);
			struct incident x = get(f, id);
			char *before = NULL, *after = NULL;
			int r;

			assert_int_equal(x.state, s);
			incident_clear(&x);
			assert_int_equal(incident_transition(s, a), want[s][a]);
			before = snapshot(f->st);
			tick(f);
			r = incident_apply(f->st, id, a, "note text", other, &e);
			/* Resolving an active incident is the one illegal step incident_apply
			 * takes in two: the mitigation is recorded with the resolution. */
			if (s == INCIDENT_ACTIVE && a == INCIDENT_ACT_RESOLVE) {
				assert_int_equal(r, 0);
				x = get(f, id);
				assert_int_equal(x.state, INCIDENT_RESOLVED);
				assert_true(x.mitigated_at > 0 && x.mitigated_at == x.resolved_at);
				incident_clear(&x);
				free(before);
				continue;
			}
			if (want[s][a] < 0) {
				assert_int_equal(r, -1);
				assert_non_null(strstr(e.msg, "cannot"));
				after = snapshot(f->st);
				assert_string_equal(before, after);
				illegal++;
			} else {
				if (r)
					fail_msg("%s from %s: %s", incident_action_name(a),
						 incident_state_name(s), e.msg);
				x = get(f, id);
				assert_int_equal(x.state, want[s][a]);
				incident_clear(&x);
				legal++;
			}
			free(before);
			free(after);
			assert_false(store_in_txn(f->st));
		}
	}
	assert_int_equal(legal, 10);
	assert_int_equal(illegal, INCIDENT_N_STATES * INCIDENT_N_ACTIONS - 11);
}

static void test_requirements_change_nothing(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t other = 0, id = reach(f, INCIDENT_MITIGATED, &other);
	int64_t tri = mk(f, "triage one", 3);
	char *before = snapshot(f->st), *after = NULL;

	tick(f);
	assert_int_equal(incident_apply(f->st, id, INCIDENT_ACT_RESOLVE, NULL, 0, &e), -1);
	assert_string_equal(e.msg, "resolving needs a resolution note");
	assert_int_equal(incident_apply(f->st, id, INCIDENT_ACT_RESOLVE, " \n\t", 0, &e), -1);
	assert_int_equal(incident_apply(f->st, tri, INCIDENT_ACT_CANCEL, NULL, 0, &e), -1);
	assert_string_equal(e.msg, "cancelling needs a reason");
	assert_int_equal(incident_apply(f->st, tri, INCIDENT_ACT_MERGE, NULL, tri, &e), -1);
	assert_string_equal(e.msg, "an incident cannot be merged into itself");
	assert_int_equal(incident_apply(f->st, tri, INCIDENT_ACT_MERGE, NULL, 999, &e), -1);
	assert_string_equal(e.msg, "no incident #999");
	assert_int_equal(incident_apply(f->st, 999, INCIDENT_ACT_ACTIVATE, NULL, 0, &e), -1);
	assert_string_equal(e.msg, "no incident #999");
	assert_int_equal(incident_note(f->st, tri, "", &e), -1);
	assert_int_equal(incident_assign(f->st, tri, "two words", &e), -1);
	assert_int_equal(incident_escalate(f->st, &f->cfg, tri, NULL, &e), -1);
	/* Merging into a closed incident is refused too. */
	apply_ok(f, id, INCIDENT_ACT_RESOLVE, "ok", 0);
	apply_ok(f, id, INCIDENT_ACT_CLOSE, NULL, 0);
	free(before);
	before = snapshot(f->st);
	assert_int_equal(incident_apply(f->st, tri, INCIDENT_ACT_MERGE, NULL, id, &e), -1);
	assert_non_null(strstr(e.msg, "is closed: merge into an open incident"));
	assert_int_equal(incident_assign(f->st, id, "bob", &e), -1);
	assert_non_null(strstr(e.msg, "only open incidents"));
	after = snapshot(f->st);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_ack(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t a = mk(f, "a", 2), b = mk(f, "b", 2), c = mk(f, "c", 2), other = 0, acked_at = 0;
	struct incident x;

	tick(f);
	assert_int_equal(incident_ack(f->st, a, &e), 0);
	acked_at = f->now;
	x = get(f, a);
	assert_int_equal(x.acked_at, f->now);
	assert_int_equal(x.state, INCIDENT_TRIAGE); /* acknowledging is not a state */
	assert_string_equal(x.ack_sla, "met");
	incident_clear(&x);
	assert_int_equal(incident_ack(f->st, a, &e), -1);
	assert_non_null(strstr(e.msg, "already acknowledged"));
	/* Activating acknowledges when nobody has; the first ack time is kept otherwise. */
	apply_ok(f, b, INCIDENT_ACT_ACTIVATE, NULL, 0);
	x = get(f, b);
	assert_int_equal(x.acked_at, f->now);
	assert_int_equal(x.activated_at, f->now);
	incident_clear(&x);
	apply_ok(f, a, INCIDENT_ACT_ACTIVATE, NULL, 0);
	x = get(f, a);
	assert_int_equal(x.acked_at, acked_at);
	incident_clear(&x);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events WHERE incident_id = 2 "
				      "AND kind = 'acknowledged'"), 1);
	/* Active but not acknowledged cannot happen; cancelled cannot be acknowledged. */
	apply_ok(f, c, INCIDENT_ACT_CANCEL, "dup", 0);
	assert_int_equal(incident_ack(f->st, c, &e), -1);
	assert_non_null(strstr(e.msg, "only triage and active"));
	x = get(f, c);
	assert_string_equal(x.ack_sla, "void");
	assert_string_equal(x.resolve_sla, "void");
	incident_clear(&x);
	(void)other;
}

static void test_time_never_backwards(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t id = mk(f, "t", 3);
	char *before = NULL, *after = NULL;

	at(f, T0 + 10 * MIN);
	assert_int_equal(incident_note(f->st, id, "later", &e), 0);
	before = snapshot(f->st);
	at(f, T0 + 5 * MIN);
	assert_int_equal(incident_note(f->st, id, "earlier", &e), -1);
	assert_non_null(strstr(e.msg, "is before incident #1's last event"));
	assert_int_equal(incident_ack(f->st, id, &e), -1);
	assert_int_equal(incident_apply(f->st, id, INCIDENT_ACT_ACTIVATE, NULL, 0, &e), -1);
	assert_int_equal(incident_assign(f->st, id, "bob", &e), -1);
	assert_int_equal(incident_escalate(f->st, &f->cfg, id, "why", &e), -1);
	after = snapshot(f->st);
	assert_string_equal(before, after);
	/* The same millisecond is fine: equal times keep their order by id. */
	at(f, T0 + 10 * MIN);
	assert_int_equal(incident_note(f->st, id, "same ms", &e), 0);
	free(before);
	free(after);
}

static void test_events_are_logged_atomically(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t id = mk_full(f, "db01 down", 1, "db01", INCIDENT_CLASS_UNKNOWN);
	struct shiftlog_entry le;
	char *before = NULL, *after = NULL;

	tick(f);
	assert_int_equal(incident_ack(f->st, id, &e), 0);
	tick(f);
	assert_int_equal(incident_note(f->st, id, "looking", &e), 0);
	tick(f);
	assert_int_equal(incident_assign(f->st, id, "bob", &e), 0);
	tick(f);
	assert_int_equal(incident_escalate(f->st, &f->cfg, id, "need dba", &e), 0);
	apply_ok(f, id, INCIDENT_ACT_ACTIVATE, NULL, 0);
	/* Every event has its own shift-log entry, by the OS user, for this incident:
	 * opened, acknowledged, assigned (to the acknowledger), note, assigned, escalated,
	 * activated. */
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events"), 7);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events ev JOIN log_entries l "
				      "ON l.id = ev.log_id AND l.incident_id = ev.incident_id "
				      "AND l.operator = ev.actor AND l.category IN ('action', 'alarm')"),
			 7);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries WHERE incident_id = 1"), 7);
	assert_int_equal(shiftlog_get(f->st, 1, &le, &e), 0);
	assert_string_equal(le.category, "alarm");
	assert_string_equal(le.severity, "critical");
	assert_string_equal(le.host, "db01");
	assert_non_null(strstr(le.text, "Incident #1 [SEV1] db01 down: opened"));
	assert_string_equal(le.operator_name, shiftlog_operator());
	shiftlog_entry_clear(&le);
	/* A failure after the shift-log entry leaves neither behind. */
	before = snapshot(f->st);
	assert_int_equal(store_exec(f->st, "CREATE TEMP TRIGGER boom BEFORE INSERT ON "
					   "incident_events BEGIN SELECT RAISE(ABORT, 'boom'); END",
				    &e), 0);
	tick(f);
	assert_int_equal(incident_note(f->st, id, "lost", &e), -1);
	assert_non_null(strstr(e.msg, "boom"));
	after = snapshot(f->st);
	assert_string_equal(before, after);
	assert_int_equal(store_exec(f->st, "DROP TRIGGER temp.boom", &e), 0);
	apply_ok(f, id, INCIDENT_ACT_MITIGATE, NULL, 0);
	free(before);
	free(after);
}

static void test_atomic_transition(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t id = mk(f, "x", 2);
	char *before = NULL, *after = NULL;

	before = snapshot(f->st);
	assert_int_equal(store_exec(f->st, "CREATE TEMP TRIGGER boom BEFORE INSERT ON "
					   "incident_events WHEN new.kind = 'activated' BEGIN "
					   "SELECT RAISE(ABORT, 'boom'); END", &e), 0);
	tick(f);
	/* Activate writes the ack, its event and log entry, the state: then fails. */
	assert_int_equal(incident_apply(f->st, id, INCIDENT_ACT_ACTIVATE, NULL, 0, &e), -1);
	assert_non_null(strstr(e.msg, "boom"));
	assert_false(store_in_txn(f->st));
	after = snapshot(f->st);
	assert_string_equal(before, after);
	/* Inside a caller's transaction a change joins it; after a failure the caller
	 * still holds its transaction and rolls it back (incident.h). */
	assert_int_equal(store_begin(f->st, &e), 0);
	assert_int_equal(incident_note(f->st, id, "joins", &e), 0);
	assert_int_equal(incident_apply(f->st, id, INCIDENT_ACT_ACTIVATE, NULL, 0, &e), -1);
	assert_true(store_in_txn(f->st));
	store_rollback(f->st);
	free(after);
	after = snapshot(f->st);
	assert_string_equal(before, after);
	/* And a change that succeeds is the caller's to commit. */
	assert_int_equal(store_begin(f->st, &e), 0);
	assert_int_equal(incident_note(f->st, id, "kept", &e), 0);
	assert_true(store_in_txn(f->st));
	assert_int_equal(store_commit(f->st, &e), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events WHERE kind = 'note'"), 1);
	free(before);
	free(after);
}

static void test_timeline_append_only(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };

	mk(f, "x", 2);
	assert_int_equal(store_exec(f->st, "UPDATE incident_events SET text = 'x'", &e), -1);
	assert_non_null(strstr(e.msg, "append-only"));
	assert_int_equal(store_exec(f->st, "DELETE FROM incident_events", &e), -1);
	/* The schema refuses a resolved incident without a note, whoever writes it. */
	assert_int_equal(store_exec(f->st, "UPDATE incidents SET resolved_at = 1", &e), -1);
}

static void test_merge(void **state)
{
	struct fx *f = *state;
	int64_t a = mk_full(f, "web01 disk", 2, "web01", INCIDENT_CLASS_UNKNOWN);
	int64_t b = mk_full(f, "web02 disk", 2, "web02", INCIDENT_CLASS_UNKNOWN);
	struct incident x;

	apply_ok(f, b, INCIDENT_ACT_MERGE, NULL, a);
	x = get(f, b);
	assert_int_equal(x.state, INCIDENT_MERGED);
	assert_int_equal(x.merged_into, a);
	incident_clear(&x);
	x = get(f, a);
	assert_string_equal(x.hosts, "web01, web02");
	assert_int_equal(x.repeat_count, 2);
	incident_clear(&x);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events WHERE incident_id = 1 "
				      "AND kind = 'merged-in'"), 1);
}

/* ---- automatic opening ---- */

static int observe(struct fx *f, enum incident_signal_kind k, const char *key, int64_t *id)
{
	struct incident_signal s = { .dedup_key = key, .source = INCIDENT_SRC_PROBE, .kind = k,
				     .severity = 2, .title = "web01 disk CRITICAL", .host = "web01",
				     .detail = "DISK CRITICAL - / 97%" };
	struct err e = { { 0 } };
	int r = incident_observe(f->st, &f->cfg, &s, id, &e);

	if (r < 0)
		fail_msg("observe: %s", e.msg);
	return r;
}

static int64_t n_events(struct fx *f, int64_t id, const char *kind)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM incident_events WHERE incident_id = %lld "
		 "AND kind = '%s'", (long long)id, kind);
	return count(f->st, sql);
}

static void test_dedup_and_flapping(void **state)
{
	struct fx *f = *state;
	int64_t id = 0, id2 = 0;
	struct incident x;

	f->cfg.flap_changes = 4;
	f->cfg.flap_window_ms = 10 * MIN;
	assert_int_equal(observe(f, INCIDENT_SIGNAL_RECOVERY, "web01/disk", &id), INCIDENT_OBS_IGNORED);
	assert_int_equal(id, 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incidents"), 0);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", &id), INCIDENT_OBS_OPENED);
	x = get(f, id);
	assert_int_equal(x.source, INCIDENT_SRC_PROBE);
	assert_string_equal(x.dedup_key, "web01/disk");
	assert_string_equal(x.hosts, "web01");
	assert_int_equal(x.repeat_count, 1);
	incident_clear(&x);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events WHERE auto = 1"), 1);
	at(f, T0 + 1 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", &id2), INCIDENT_OBS_REPEATED);
	assert_int_equal(id2, id);
	at(f, T0 + 2 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web02/disk", &id2), INCIDENT_OBS_OPENED);
	assert_true(id2 != id);
	/* Flapping: changes at +3..+6 min are 1..4 (not more than 4), the 5th damps. */
	at(f, T0 + 3 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_RECOVERY, "web01/disk", NULL), INCIDENT_OBS_RECOVERED);
	at(f, T0 + 4 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", NULL), INCIDENT_OBS_REPEATED);
	at(f, T0 + 5 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_RECOVERY, "web01/disk", NULL), INCIDENT_OBS_RECOVERED);
	at(f, T0 + 6 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", NULL), INCIDENT_OBS_REPEATED);
	at(f, T0 + 7 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_RECOVERY, "web01/disk", NULL), INCIDENT_OBS_DAMPED);
	x = get(f, id);
	assert_true(x.flapping);
	incident_clear(&x);
	assert_int_equal(n_events(f, id, "flapping"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries WHERE category = 'alarm' "
				      "AND text LIKE '%flapping%'"), 1);
	/* While flapping, signals count but write nothing. */
	for (int i = 0; i < 6; i++) {
		at(f, T0 + 7 * MIN + (i + 1) * 20 * SEC);
		assert_int_equal(observe(f, i % 2 ? INCIDENT_SIGNAL_RECOVERY : INCIDENT_SIGNAL_PROBLEM,
					 "web01/disk", NULL), INCIDENT_OBS_DAMPED);
	}
	assert_int_equal(n_events(f, id, "repeat"), 3);
	assert_int_equal(n_events(f, id, "recovered"), 2);
	x = get(f, id);
	assert_int_equal(x.repeat_count, 1 + 1 + 2 + 3);
	incident_clear(&x);
	/* Last change at +9 min; a quiet window later, the next signal settles it. */
	at(f, T0 + 9 * MIN + 10 * MIN);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", NULL), INCIDENT_OBS_REPEATED);
	assert_int_equal(n_events(f, id, "settled"), 1);
	x = get(f, id);
	assert_false(x.flapping);
	incident_clear(&x);
	/* Once resolved, the key opens a new incident. */
	apply_ok(f, id, INCIDENT_ACT_ACTIVATE, NULL, 0);
	apply_ok(f, id, INCIDENT_ACT_MITIGATE, NULL, 0);
	apply_ok(f, id, INCIDENT_ACT_RESOLVE, "disk cleaned", 0);
	tick(f);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_RECOVERY, "web01/disk", NULL), INCIDENT_OBS_IGNORED);
	assert_int_equal(observe(f, INCIDENT_SIGNAL_PROBLEM, "web01/disk", &id2), INCIDENT_OBS_OPENED);
	assert_true(id2 != id);
}

/* ---- SLA ---- */

static void test_sla_across_dst(void **state)
{
	struct fx *f = *state;
	char buf[32];
	int64_t opened = 0, id;
	struct incident x;
	bool running = false;

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	/* 01:30 CET; clocks jump from 02:00 to 03:00; an hour later it is 03:30 CEST. */
	assert_int_equal(clock_parse("2026-03-29 01:30", &opened), 0);
	assert_int_equal(opened, 1774744200000LL); /* 00:30Z */
	at(f, opened);
	id = mk(f, "dst", 1);
	x = get(f, id);
	assert_int_equal(incident_sla_deadline(&x, INCIDENT_CLOCK_RESOLVE) - opened, 3600000);
	clock_format_local(incident_sla_deadline(&x, INCIDENT_CLOCK_RESOLVE), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-29 03:30:00");
	clock_format_local(incident_sla_deadline(&x, INCIDENT_CLOCK_ACK), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-29 01:35:00");
	/* At 03:00 local, 30 minutes have passed, not 90. */
	assert_int_equal(clock_parse("2026-03-29 03:00", &opened), 0);
	assert_int_equal(incident_sla_left(&x, INCIDENT_CLOCK_RESOLVE, opened, &running), 30 * MIN);
	assert_true(running);
	assert_int_equal(incident_sla_left(&x, INCIDENT_CLOCK_ACK, opened, &running), -25 * MIN);
	incident_clear(&x);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void count_breach(const struct incident_breach *b, void *ud)
{
	int *n = ud;

	assert_true(b->id > 0);
	assert_non_null(b->title);
	*n += b->clock == INCIDENT_CLOCK_ACK ? 1 : 100;
}

static void test_sla_breaches_once(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t id = mk(f, "db down", 1), late = mk(f, "late", 1);
	struct incident x;
	int seen = 0;

	assert_int_equal(incident_sla_check(f->st, &f->cfg, T0 + 5 * MIN, count_breach, &seen, &e), 0);
	assert_int_equal(seen, 0);
	/* The second one is acknowledged late before any check ran: logged at the ack. */
	at(f, T0 + 5 * MIN + SEC);
	assert_int_equal(incident_ack(f->st, late, &e), 0);
	x = get(f, late);
	assert_string_equal(x.ack_sla, "breached");
	incident_clear(&x);
	assert_int_equal(n_events(f, late, "sla-breach"), 1);
	at(f, T0 + 6 * MIN);
	assert_int_equal(incident_sla_check(f->st, &f->cfg, f->now, count_breach, &seen, &e), 1);
	assert_int_equal(seen, 1);
	assert_int_equal(incident_sla_check(f->st, &f->cfg, f->now + MIN, count_breach, &seen, &e), 0);
	assert_int_equal(n_events(f, id, "sla-breach"), 1);
	x = get(f, id);
	assert_string_equal(x.ack_sla, "breached");
	assert_string_equal(x.resolve_sla, "");
	incident_clear(&x);
	/* An ack after the breach keeps "breached" and logs nothing more. */
	at(f, T0 + 8 * MIN);
	assert_int_equal(incident_ack(f->st, id, &e), 0);
	assert_int_equal(n_events(f, id, "sla-breach"), 1);
	at(f, T0 + 61 * MIN);
	assert_int_equal(incident_sla_check(f->st, &f->cfg, f->now, count_breach, &seen, &e), 2);
	assert_int_equal(seen, 201);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries WHERE category = 'alarm' "
				      "AND text LIKE '%SLA breached%'"), 4);
	assert_int_equal(incident_sla_check(f->st, &f->cfg, f->now + MIN, NULL, NULL, &e), 0);
}

static void test_escalation(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t id = mk(f, "nobody answers", 2), acked = mk(f, "answered", 2);
	struct incident x;

	tick(f);
	assert_int_equal(incident_ack(f->st, acked, &e), 0);
	assert_int_equal(incident_escalation_check(f->st, &f->cfg, T0 + 14 * MIN, &e), 0);
	at(f, T0 + 15 * MIN);
	assert_int_equal(incident_escalation_check(f->st, &f->cfg, f->now, &e), 1);
	x = get(f, id);
	assert_int_equal(x.level, 2);
	assert_int_equal(x.level_since, f->now);
	assert_string_equal(x.responders, "on-call, secondary");
	incident_clear(&x);
	assert_int_equal(incident_escalation_check(f->st, &f->cfg, T0 + 44 * MIN, &e), 0);
	at(f, T0 + 45 * MIN);
	assert_int_equal(incident_escalation_check(f->st, &f->cfg, f->now, &e), 1);
	at(f, T0 + 500 * MIN);
	assert_int_equal(incident_escalation_check(f->st, &f->cfg, f->now, &e), 0);
	x = get(f, id);
	assert_int_equal(x.level, 3);
	assert_string_equal(x.responders, "on-call, secondary, management");
	incident_clear(&x);
	assert_int_equal(count(f->st, "SELECT count(*) FROM incident_events WHERE kind = "
				      "'escalated' AND auto = 1"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries WHERE category = 'alarm' "
				      "AND text LIKE '%not acknowledged within 15m 00s at L1%'"), 1);
	/* Manual escalation at the top is refused; below it, it works for acked ones too. */
	assert_int_equal(incident_escalate(f->st, &f->cfg, id, "more", &e), -1);
	assert_non_null(strstr(e.msg, "top escalation level (L3)"));
	assert_int_equal(incident_escalate(f->st, &f->cfg, acked, "needs the DBA", &e), 0);
	x = get(f, acked);
	assert_int_equal(x.level, 2);
	incident_clear(&x);
}

/* ---- the queue ---- */

struct collect {
	struct incident_cursor rows[64];
	int n;
};

static int collect_row(const struct incident *r, void *ud)
{
	struct collect *c = ud;

	c->rows[c->n++] = incident_cursor_of(r);
	return 0;
}

static bool before(const struct incident_cursor *a, const struct incident_cursor *b)
{
	if (a->severity != b->severity)
		return a->severity < b->severity;
	if (a->opened_at != b->opened_at)
		return a->opened_at < b->opened_at;
	return a->id < b->id;
}

static void test_queue_pages_and_filters(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	struct incident_filter flt;
	struct collect all = { 0 }, page = { 0 }, back = { 0 };
	struct incident_cursor cur = { 0, 0, 0 };
	int64_t counts[INCIDENT_N_SEV];
	static const int sevs[] = { 3, 1, 4, 2, 1, 3, 2, 2, 4, 1, 3, 1, 2, 4, 3, 2, 1, 4, 2, 3 };
	int n;

	for (int i = 0; i < 20; i++) {
		char title[32];

		/* Several share a millisecond: the id breaks the tie. */
		at(f, T0 + (i / 3) * SEC);
		snprintf(title, sizeof title, "%s %d", i % 4 ? "disk" : "100%_load", i);
		mk_full(f, title, sevs[i], i % 5 ? "web01" : "db01",
			i % 2 ? INCIDENT_CLASS_CAPACITY : INCIDENT_CLASS_UNKNOWN);
	}
	apply_ok(f, 2, INCIDENT_ACT_CANCEL, "dup", 0);
	apply_ok(f, 5, INCIDENT_ACT_ACTIVATE, NULL, 0);
	/* Forward pages of 7 visit the 19 open ones in queue order. */
	incident_filter_init(&flt);
	do {
		page.n = 0;
		n = incident_page(f->st, &flt, &cur, INCIDENT_FORWARD, 7, collect_row, &page, &e);
		assert_true(n >= 0);
		for (int i = 0; i < page.n; i++)
			all.rows[all.n++] = page.rows[i];
		if (page.n)
			cur = page.rows[page.n - 1];
	} while (n == 7);
	assert_int_equal(all.n, 19);
	for (int i = 1; i < all.n; i++)
		assert_true(before(&all.rows[i - 1], &all.rows[i]));
	assert_int_equal(all.rows[0].severity, 1);
	assert_int_equal(all.rows[18].severity, 4);
	/* Backward from the end gives the same rows reversed. */
	n = incident_page(f->st, &flt, NULL, INCIDENT_BACKWARD, 5, collect_row, &back, &e);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(back.rows[i].id, all.rows[18 - i].id);
	back.n = 0;
	n = incident_page(f->st, &flt, &all.rows[10], INCIDENT_BACKWARD, 3, collect_row, &back, &e);
	assert_int_equal(n, 3);
	assert_int_equal(back.rows[0].id, all.rows[9].id);
	/* Filters. */
	flt.severity = 1;
	page.n = 0;
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row, &page, &e), 4);
	flt.severity = 0;
	flt.host = "db01";
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 4);
	flt.host = NULL;
	flt.classification = INCIDENT_CLASS_CAPACITY;
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 9);
	flt.classification = -1;
	flt.match = "%_L"; /* literal: only "100%_load" titles, case-insensitive */
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 5);
	/* Two characters go by LIKE, three or more by the trigram index: same answer. */
	flt.match = "_L";
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 5);
	flt.match = "0%_LOA"; /* mid-word, other case */
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 5);
	flt.match = "no \"such\" title";
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 0);
	flt.match = NULL;
	flt.states = INCIDENT_MASK(INCIDENT_CANCELLED);
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 1);
	flt.states = INCIDENT_MASK(INCIDENT_CANCELLED) | INCIDENT_MASK(INCIDENT_ACTIVE);
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 2);
	flt.states = INCIDENT_ALL_MASK;
	assert_int_equal(incident_page(f->st, &flt, NULL, INCIDENT_FORWARD, 50, collect_row,
				       &(struct collect){ 0 }, &e), 20);
	assert_int_equal(incident_open_counts(f->st, counts, &e), 0);
	assert_int_equal(counts[0] + counts[1] + counts[2] + counts[3], 19);
	assert_int_equal(counts[0], 4);
}

static int collect_ev(const struct incident_event *ev, void *ud)
{
	struct collect *c = ud;

	c->rows[c->n++].id = ev->id;
	return 0;
}

static void test_timeline_pages(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	struct collect a = { 0 }, b = { 0 };
	int64_t id = mk(f, "x", 2), other = mk(f, "y", 2);

	for (int i = 0; i < 10; i++) {
		tick(f);
		assert_int_equal(incident_note(f->st, i % 3 ? id : other, "n", &e), 0);
	}
	assert_int_equal(incident_events(f->st, id, 0, 0, collect_ev, &a, &e), 7);
	assert_int_equal(incident_events(f->st, id, a.rows[2].id, 3, collect_ev, &b, &e), 3);
	assert_int_equal(b.rows[0].id, a.rows[3].id);
	assert_int_equal(b.rows[2].id, a.rows[5].id);
}

/* ---- report ---- */

static void test_percentiles(void **state)
{
	const int64_t one[] = { 7 };
	const int64_t two[] = { 10, 20 };
	const int64_t five[] = { 1, 2, 3, 4, 10 };

	(void)state;
	assert_int_equal(incident_percentile(NULL, 0, 0.5), 0);
	assert_int_equal(incident_percentile(one, 1, 0.9), 7);
	assert_int_equal(incident_percentile(two, 2, 0.5), 15);
	assert_int_equal(incident_percentile(two, 2, 0.9), 19);
	assert_int_equal(incident_percentile(five, 5, 0.5), 3);
	assert_int_equal(incident_percentile(five, 5, 0.9), 8); /* 4 + 0.6 * 6 = 7.6 -> 8 */
	assert_int_equal(incident_percentile(five, 5, 1.0), 10);
}

static void test_report_fixed_data(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	struct incident_report r;
	/* Ack after 1, 2, 3, 4, 10 min; resolve after 10, 20, 30, 60 min (not the 5th). */
	static const int ack_min[] = { 1, 2, 3, 4, 10 };
	static const int res_min[] = { 10, 20, 30, 60, 0 };
	static const int sev[] = { 1, 2, 2, 3, 4 };
	static const enum incident_class cls[] = { INCIDENT_CLASS_CAPACITY, INCIDENT_CLASS_CAPACITY,
						   INCIDENT_CLASS_CODE_DEFECT, INCIDENT_CLASS_UNKNOWN,
						   INCIDENT_CLASS_EXTERNAL };
	int64_t ids[5];

	for (int i = 0; i < 5; i++) {
		at(f, T0 + i * 1000 * MIN);
		ids[i] = mk_full(f, "r", sev[i], NULL, cls[i]);
		at(f, T0 + i * 1000 * MIN + ack_min[i] * MIN);
		assert_int_equal(incident_ack(f->st, ids[i], &e), 0);
		if (!res_min[i])
			continue;
		apply_ok(f, ids[i], INCIDENT_ACT_ACTIVATE, NULL, 0);
		apply_ok(f, ids[i], INCIDENT_ACT_MITIGATE, NULL, 0);
		at(f, T0 + i * 1000 * MIN + res_min[i] * MIN);
		assert_int_equal(incident_apply(f->st, ids[i], INCIDENT_ACT_RESOLVE, "done", 0, &e), 0);
	}
	/* One before and one after the window, and a cancelled one inside it. */
	at(f, T0 - MIN);
	mk(f, "before", 1);
	at(f, T0 + 9000 * MIN);
	mk(f, "after", 1);
	at(f, T0 + 4500 * MIN);
	apply_ok(f, mk(f, "cancelled", 2), INCIDENT_ACT_CANCEL, "noise", 0);
	assert_int_equal(incident_report_build(f->st, T0, T0 + 5000 * MIN, &r, &e), 0);
	assert_int_equal(r.total, 6);
	assert_int_equal(r.by_severity[0], 1);
	assert_int_equal(r.by_severity[1], 3);
	assert_int_equal(r.by_severity[2], 1);
	assert_int_equal(r.by_severity[3], 1);
	assert_int_equal(r.by_class[INCIDENT_CLASS_CAPACITY], 2);
	assert_int_equal(r.by_class[INCIDENT_CLASS_CODE_DEFECT], 1);
	assert_int_equal(r.by_class[INCIDENT_CLASS_UNKNOWN], 2);
	assert_int_equal(r.by_class[INCIDENT_CLASS_EXTERNAL], 1);
	assert_int_equal(r.by_state[INCIDENT_RESOLVED], 4);
	assert_int_equal(r.by_state[INCIDENT_TRIAGE], 1);
	assert_int_equal(r.by_state[INCIDENT_CANCELLED], 1);
	assert_int_equal(r.mtta.n, 5);
	assert_int_equal(r.mtta.median, 3 * MIN);
	assert_int_equal(r.mtta.p90, 456000); /* 4 + 0.6 * (10 - 4) = 7.6 min */
	assert_int_equal(r.mtta.mean, 4 * MIN);
	assert_int_equal(r.mtta.max, 10 * MIN);
	assert_int_equal(r.mttr.n, 4);
	assert_int_equal(r.mttr.median, 25 * MIN);
	assert_int_equal(r.mttr.p90, 51 * MIN); /* 30 + 0.7 * 30 */
	assert_int_equal(r.mttr.mean, 30 * MIN);
	/* SEV1 acked after 1 min (target 5): met; SEV4 after 10 (target 4 h): met. */
	assert_int_equal(r.ack_breaches, 0);
	/* Resolve: SEV1 after 10 min, target 1 h: met; all others within target. */
	assert_int_equal(r.resolve_breaches, 0);
	assert_int_equal(incident_report_build(f->st, T0 + 5000 * MIN, T0 + 5001 * MIN, &r, &e), 0);
	assert_int_equal(r.total, 0);
	assert_int_equal(r.mtta.n, 0);
}

/* ---- problems and the post-mortem ---- */

static void test_problems(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	int64_t a = mk(f, "a", 2), b = mk(f, "b", 2), pid = 0;
	const int64_t incs[] = { a, b };
	struct problem_new n = { .title = "log rotation missing", .type = PROBLEM_CORRECTIVE,
				 .scope_size = "3 hosts", .scope_cost = "1 day", .scope_time = "1 week",
				 .criticality = PROBLEM_CRIT_PERFORMANCE | PROBLEM_CRIT_SECURITY,
				 .incidents = incs, .n_incidents = 2 };
	struct problem_update u = { .status = PROBLEM_KNOWN_ERROR, .criticality = -1 };
	struct problem p;
	char buf[64];
	char *before = NULL, *after = NULL;

	assert_int_equal(problem_criticality_parse("performance,security"), 5);
	assert_int_equal(problem_criticality_parse("speed"), -1);
	assert_string_equal(problem_criticality_format(7, buf, sizeof buf), "performance,safety,security");
	assert_int_equal(problem_type_parse("adaptive"), PROBLEM_ADAPTIVE);
	assert_int_equal(problem_status_parse("known-error"), PROBLEM_KNOWN_ERROR);
	tick(f);
	assert_int_equal(problem_create(f->st, &n, &pid, &e), 0);
	assert_int_equal(problem_get(f->st, pid, &p, &e), 0);
	assert_string_equal(p.incidents, "1, 2");
	assert_int_equal(p.status, PROBLEM_OPEN);
	assert_int_equal(p.criticality, 5);
	assert_string_equal(p.scope_cost, "1 day");
	problem_clear(&p);
	assert_int_equal(n_events(f, a, "linked"), 1);
	before = snapshot(f->st);
	assert_int_equal(incident_link_problem(f->st, a, pid, &e), -1);
	assert_non_null(strstr(e.msg, "already linked"));
	assert_int_equal(incident_link_problem(f->st, a, 99, &e), -1);
	/* open -> known-error skips investigating: refused. */
	assert_int_equal(problem_update(f->st, pid, &u, &e), -1);
	assert_non_null(strstr(e.msg, "cannot become known-error"));
	after = snapshot(f->st);
	assert_string_equal(before, after);
	u.status = PROBLEM_INVESTIGATING;
	assert_int_equal(problem_update(f->st, pid, &u, &e), 0);
	u.status = PROBLEM_KNOWN_ERROR;
	u.root_cause = "logrotate not installed";
	assert_int_equal(problem_update(f->st, pid, &u, &e), 0);
	assert_int_equal(problem_get(f->st, pid, &p, &e), 0);
	assert_string_equal(p.root_cause, "logrotate not installed");
	assert_int_equal(p.status, PROBLEM_KNOWN_ERROR);
	problem_clear(&p);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries WHERE text LIKE "
				      "'Problem #1 %'"), 3);
	free(before);
	free(after);
}

/* Captures incident_postmortem's output in memory. */
static char *postmortem(struct fx *f, int64_t id)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct err e = { { 0 } };

	if (incident_postmortem(f->st, &f->cfg, id, out, &e))
		fail_msg("postmortem: %s", e.msg);
	fclose(out);
	return buf;
}

static void test_postmortem_and_hostile_text(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	const char *hostile = "evil \x1b]0;pwned\x07\x1b[2J\x1b[31mred\xc2\x9b" "1m end | *bold* #1";
	const char *hosts[1] = { "web\x1b[1m01" };
	struct incident_new n = { .title = hostile, .severity = 1, .impact = "checkout\x07 down",
				  .description = "line one\nline \x1b[5mtwo", .hosts = hosts,
				  .n_hosts = 1, .classification = INCIDENT_CLASS_CHANGE };
	struct problem_new pn = { .title = "bad\x1b[0m deploy", .type = PROBLEM_PREVENTIVE };
	int64_t id = 0, pid = 0;
	struct incident x;
	char *md = NULL;

	assert_int_equal(incident_create(f->st, &f->cfg, &n, &id, &e), 0);
	x = get(f, id);
	assert_string_equal(x.title, "evil red end | *bold* #1");
	assert_string_equal(x.hosts, "web01");
	incident_clear(&x);
	tick(f);
	assert_int_equal(incident_note(f->st, id, "note \x1b[2Jwith\x9b escapes", &e), 0);
	tick(f);
	assert_int_equal(incident_ack(f->st, id, &e), 0);
	apply_ok(f, id, INCIDENT_ACT_ACTIVATE, NULL, 0);
	apply_ok(f, id, INCIDENT_ACT_MITIGATE, "rolled back", 0);
	tick(f);
	assert_int_equal(problem_create(f->st, &pn, &pid, &e), 0);
	tick(f);
	assert_int_equal(incident_link_problem(f->st, id, pid, &e), 0);
	/* Hostile bytes written straight into the database (another writer) are cleaned too. */
	assert_int_equal(store_exec(f->st, "UPDATE incidents SET impact = 'raw ' || char(27) || "
					   "'[31mred' WHERE id = 1", &e), 0);
	md = postmortem(f, id);
	for (const char *p = md; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("control byte 0x%02x in post-mortem", *p);
	assert_null(strstr(md, "\xc2\x9b"));
	assert_non_null(strstr(md, "# Post-mortem draft: incident #1: evil red end \\| \\*bold\\* #1"));
	assert_non_null(strstr(md, "## Summary\n"));
	assert_non_null(strstr(md, "- Severity: SEV1 (Critical)"));
	assert_non_null(strstr(md, "## Impact\n\nraw red"));
	assert_non_null(strstr(md, "Affected hosts: web01"));
	assert_non_null(strstr(md, "## Classification\n\nChange-induced (change-induced)"));
	assert_non_null(strstr(md, "| Time | Who | What |"));
	assert_non_null(strstr(md, "| 2026-01-10 12:00:01 | "));
	assert_non_null(strstr(md, " | note: note with\xef\xbf\xbd escapes |")); /* U+FFFD */
	assert_non_null(strstr(md, "mitigated (active -> mitigated): rolled back"));
	assert_non_null(strstr(md, "- Problem #1 (preventive, open): bad deploy"));
	assert_non_null(strstr(md, "## Open actions\n\n- [ ] Resolve the incident (now mitigated)\n"
				   "- [ ] Problem #1 (open): bad deploy; find the root cause\n"));
	free(md);
}

/* ---- incidents.yaml ---- */

static void test_config(void **state)
{
	struct incident_config c;
	struct err e = { { 0 } };
	char *dir = tu_tmpdir(), *path = tu_join(dir, "incidents.yaml");
	int64_t ms = 0;
	char buf[32];

	(void)state;
	assert_int_equal(incident_config_load(path, &c, &e), 0); /* missing: defaults */
	assert_int_equal(c.sev[0].ack_ms, 5 * MIN);
	assert_int_equal(c.sev[0].resolve_ms, 60 * MIN);
	assert_int_equal(c.sev[1].ack_ms, 15 * MIN);
	assert_int_equal(c.sev[1].resolve_ms, 240 * MIN);
	assert_int_equal(c.sev[2].ack_ms, 60 * MIN);
	assert_int_equal(c.sev[2].resolve_ms, 24 * 60 * MIN);
	assert_int_equal(c.sev[3].ack_ms, 240 * MIN);
	assert_int_equal(c.sev[3].resolve_ms, 72 * 60 * MIN);
	tu_write_file(path, "severities:\n  SEV1: { name: Outage, ack: 2m, resolve: 30m }\n"
			    "escalation:\n  - { group: noc, timeout: 5m }\n  - { name: Boss, group: cto }\n"
			    "flapping: { window: 5m, changes: 2 }\nalert: flash\nalert_severity: SEV1\n");
	assert_int_equal(incident_config_load(path, &c, &e), 0);
	assert_string_equal(c.sev[0].name, "Outage");
	assert_int_equal(c.sev[0].ack_ms, 2 * MIN);
	assert_int_equal(c.sev[1].ack_ms, 15 * MIN); /* untouched */
	assert_int_equal(c.n_levels, 2);
	assert_string_equal(c.levels[0].name, "L1");
	assert_string_equal(c.levels[0].group, "noc");
	assert_string_equal(c.levels[1].name, "Boss");
	assert_int_equal(c.levels[1].timeout_ms, 0);
	assert_int_equal(c.flap_changes, 2);
	assert_int_equal(c.alert, INCIDENT_ALERT_FLASH);
	assert_int_equal(c.alert_severity, 1);
	tu_write_file(path, "severities:\n  SEV2:\n    ack: soon\n");
	assert_int_equal(incident_config_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, "incidents.yaml:3:10: ack must be a duration"));
	assert_int_equal(c.sev[1].ack_ms, 15 * MIN); /* defaults after an error */
	tu_write_file(path, "severities:\n  SEV9: {}\n");
	assert_int_equal(incident_config_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, ":2:3: unknown severity 'SEV9'"));
	tu_write_file(path, "escalation:\n  - { name: L1 }\n");
	assert_int_equal(incident_config_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, "needs a group"));
	tu_write_file(path, "pager: yes\n");
	assert_int_equal(incident_config_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, ":1:1: unknown setting 'pager'"));
	tu_write_file(path, "severities:\n  SEV1: { ack: 2h, resolve: 1h }\n");
	assert_int_equal(incident_config_load(path, &c, &e), -1);
	assert_non_null(strstr(e.msg, "shorter than the acknowledge target"));
	assert_int_equal(incident_duration_parse("90", &ms), 0);
	assert_int_equal(ms, 90 * SEC);
	assert_int_equal(incident_duration_parse("2d", &ms), 0);
	assert_int_equal(ms, 2 * 24 * 60 * MIN);
	assert_int_equal(incident_duration_parse("-5m", &ms), -1);
	assert_int_equal(incident_duration_parse("5mm", &ms), -1);
	incident_duration_format(250 * SEC, buf, sizeof buf);
	assert_string_equal(buf, "4m 10s");
	incident_duration_format(-(65 * MIN), buf, sizeof buf);
	assert_string_equal(buf, "-1h 05m");
	incident_duration_format(50 * 60 * MIN, buf, sizeof buf);
	assert_string_equal(buf, "2d 2h");
	tu_rmrf(dir);
	free(dir);
	free(path);
}

static void test_schema(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_schema_version(f->st), store_schema_latest());
	assert_true(store_schema_latest() >= 3);
	assert_int_equal(count(f->st, "SELECT count(*) FROM sqlite_master WHERE name IN ("
				      "'incidents', 'incident_events', 'incident_hosts', "
				      "'incident_responders', 'problems', 'problem_incidents', "
				      "'incidents_queue_open', 'incident_events_timeline')"), 8);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_table),
		T(test_every_transition),
		T(test_requirements_change_nothing),
		T(test_ack),
		T(test_time_never_backwards),
		T(test_events_are_logged_atomically),
		T(test_atomic_transition),
		T(test_timeline_append_only),
		T(test_merge),
		T(test_dedup_and_flapping),
		T(test_sla_across_dst),
		T(test_sla_breaches_once),
		T(test_escalation),
		T(test_queue_pages_and_filters),
		T(test_timeline_pages),
		cmocka_unit_test(test_percentiles),
		T(test_report_fixed_data),
		T(test_problems),
		T(test_postmortem_and_hostile_text),
		cmocka_unit_test(test_config),
		T(test_schema),
	};
#undef T

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
