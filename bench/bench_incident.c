/*
 * bench_incident: the incident queue at scale (`make bench-incidents`, via
 * bench/incident.sh). Builds a store with N incidents and M timeline events in one
 * transaction of direct INSERTs, then times the core calls the Incidents view makes:
 * open the view, filter, open a detail. Prints figures (median, p99), never judges.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "err.h"
#include "incident.h"
#include "store.h"
#include "text.h"

#define T0_MS INT64_C(1704067200000) /* 2024-01-01T00:00:00Z */
#define MIN_MS INT64_C(60000)
#define VIEW_ROWS 28                 /* a 30-row terminal's queue */
#define EVENTS_PAGE 200              /* the detail's first timeline page */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Deterministic numbers (xorshift), so every run builds the same data. */
static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const what[] = {"disk full", "high load", "service down", "TLS expiry",
				   "memory pressure", "backup failed", "replication lag",
				   "kernel panic", "packet loss", "queue backlog"};
static const char *const states[] = {"closed", "closed", "closed", "closed", "closed", "closed",
				     "closed", "closed", "resolved", "cancelled"};

static int fail_sql(sqlite3 *db, const char *what_failed)
{
	fprintf(stderr, "bench_incident: %s: %s\n", what_failed, sqlite3_errmsg(db));
	return -1;
}

/*
 * n incidents (one in open_every open: triage/active/mitigated, the rest mostly
 * closed) and n_events events spread evenly, in one transaction.
 */
static int build(struct store *st, int64_t n, int64_t n_events, int open_every)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *inc = NULL, *ev = NULL;
	int64_t per = n_events / n, extra = n_events % n;
	int rc = -1;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail_sql(db, "begin");
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO incidents (id, title, severity, source, state, "
			       "dedup_key, level_since, opened_at, opened_by, acked_at, resolved_at, "
			       "closed_at, resolution, last_event_at, ack_due, resolve_due, ack_sla, "
			       "resolve_sla) VALUES (?1, ?2, ?3, 'probe', ?4, NULL, ?5, ?5, 'bench', "
			       "?6, ?7, ?8, ?9, ?10, ?5 + 900000, ?5 + 14400000, ?11, ?12)",
			       -1, &inc, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO incident_events (incident_id, ts, actor, auto, kind, text) "
			       "VALUES (?1, ?2, 'bench', 0, 'note', ?3)",
			       -1, &ev, NULL) != SQLITE_OK) {
		fail_sql(db, "prepare");
		goto out;
	}
	for (int64_t id = 1; id <= n; id++) {
		int64_t opened = T0_MS + id * MIN_MS;
		bool open = id % open_every == 0;
		const char *state = open ? (id % 3 == 0 ? "triage" : id % 3 == 1 ? "active" : "mitigated") :
				    states[rnd() % 10];
		bool resolved = !open && strcmp(state, "cancelled") != 0;
		int64_t k = per + (id <= extra ? 1 : 0);
		int64_t last = opened + k * MIN_MS;
		char title[128];

		snprintf(title, sizeof title, "web%03" PRIu64 " %s", rnd() % 500, what[rnd() % 10]);
		sqlite3_bind_int64(inc, 1, id);
		sqlite3_bind_text(inc, 2, title, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(inc, 3, 1 + (int)(rnd() % 4));
		sqlite3_bind_text(inc, 4, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(inc, 5, opened);
		if (state[0] == 't')
			sqlite3_bind_null(inc, 6);
		else
			sqlite3_bind_int64(inc, 6, opened + MIN_MS);
		if (resolved) {
			sqlite3_bind_int64(inc, 7, last);
			sqlite3_bind_text(inc, 9, "fixed", -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(inc, 7);
			sqlite3_bind_null(inc, 9);
		}
		if (resolved && state[0] == 'c')
			sqlite3_bind_int64(inc, 8, last);
		else
			sqlite3_bind_null(inc, 8);
		sqlite3_bind_int64(inc, 10, last);
		if (state[0] == 't')
			sqlite3_bind_null(inc, 11);
		else
			sqlite3_bind_text(inc, 11, "met", -1, SQLITE_STATIC);
		if (open)
			sqlite3_bind_null(inc, 12);
		else
			sqlite3_bind_text(inc, 12, resolved ? "met" : "void", -1, SQLITE_STATIC);
		if (sqlite3_step(inc) != SQLITE_DONE) {
			fail_sql(db, "insert incident");
			goto out;
		}
		sqlite3_reset(inc);
		for (int64_t j = 0; j < k; j++) {
			sqlite3_bind_int64(ev, 1, id);
			sqlite3_bind_int64(ev, 2, opened + j * MIN_MS);
			sqlite3_bind_text(ev, 3, "checked the graphs, still climbing", -1, SQLITE_STATIC);
			if (sqlite3_step(ev) != SQLITE_DONE) {
				fail_sql(db, "insert event");
				goto out;
			}
			sqlite3_reset(ev);
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail_sql(db, "commit");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(inc);
	sqlite3_finalize(ev);
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* A few through the real API, so its bookkeeping is in the mix. */
static int api_some(struct store *st, const struct incident_config *cfg, struct err *e)
{
	for (int i = 0; i < 5; i++) {
		struct incident_new n;
		int64_t id = 0;

		memset(&n, 0, sizeof n);
		n.title = "bench: disk latency via the API";
		n.severity = 1 + i % 4;
		if (incident_create(st, cfg, &n, &id, e) < 0 || incident_ack(st, id, e) < 0 ||
		    incident_note(st, id, "looking", e) < 0)
			return -1;
	}
	return 0;
}

/* What the view does with each row: sanitised copies of the shown strings. */
static int view_row(const struct incident *r, void *ud)
{
	char *t = text_sanitize_str(r->title, 0);
	char *h = text_sanitize_str(r->first_host, 0);
	char *a = text_sanitize_str(r->assignee, 0);

	(*(int *)ud)++;
	free(t);
	free(h);
	free(a);
	return 0;
}

static int view_event(const struct incident_event *ev, void *ud)
{
	char *t = text_sanitize_str(ev->text, 0);

	(*(int *)ud)++;
	free(t);
	return 0;
}

enum scenario { OPEN_VIEW, FILTER_SEV, FILTER_STATE, FILTER_TEXT, FILTER_TEXT_ALL, FILTER_TEXT_NONE,
		DETAIL };

static const struct {
	enum scenario s;
	const char *name;
} scenarios[] = {
	{OPEN_VIEW, "open view (page + counts)"},
	{FILTER_SEV, "filter severity SEV1"},
	{FILTER_STATE, "filter state resolved"},
	{FILTER_TEXT, "filter text \"disk\" (open)"},
	{FILTER_TEXT_ALL, "filter text \"kernel\" (all)"},
	{FILTER_TEXT_NONE, "filter text, no match (all)"}, /* the worst case: a full scan */
	{DETAIL, "open detail (+200 events)"},
};

/* One repetition of s; -1 with e set. */
static int run_once(struct store *st, enum scenario s, int64_t n, struct err *e)
{
	struct incident_filter f;
	int64_t counts[INCIDENT_N_SEV];
	struct incident inc;
	int rows = 0;

	incident_filter_init(&f);
	switch (s) {
	case OPEN_VIEW:
		if (incident_open_counts(st, counts, e) < 0)
			return -1;
		break;
	case FILTER_SEV:
		f.severity = 1;
		break;
	case FILTER_STATE:
		f.states = INCIDENT_MASK(INCIDENT_RESOLVED);
		break;
	case FILTER_TEXT:
		f.match = "disk";
		break;
	case FILTER_TEXT_ALL:
		f.states = INCIDENT_ALL_MASK;
		f.match = "kernel";
		break;
	case FILTER_TEXT_NONE:
		f.states = INCIDENT_ALL_MASK;
		f.match = "no such words";
		break;
	case DETAIL:
		memset(&inc, 0, sizeof inc);
		if (incident_get(st, 1 + (int64_t)(rnd() % (uint64_t)n), &inc, e) < 0)
			return -1;
		rows = incident_events(st, inc.id, 0, EVENTS_PAGE, view_event, &rows, e);
		incident_clear(&inc);
		return rows < 0 ? -1 : 0;
	}
	return incident_page(st, &f, NULL, INCIDENT_FORWARD, VIEW_ROWS, view_row, &rows, e) < 0 ? -1 :
														    0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	int64_t n = argc > 2 ? atoll(argv[2]) : 100000;
	int64_t n_events = argc > 3 ? atoll(argv[3]) : 1000000;
	int reps = argc > 4 ? atoi(argv[4]) : 300;
	struct incident_config cfg;
	struct store *st = NULL;
	struct err e = {{0}};
	int64_t *t = NULL;
	int64_t t0 = 0;
	int rc = 1;

	if (!path || n < 1 || n_events < 0 || reps < 1) {
		fprintf(stderr, "usage: bench_incident NEW.db [INCIDENTS EVENTS REPS]\n");
		return 2;
	}
	incident_config_defaults(&cfg);
	if (store_open(path, &st, &e) < 0)
		goto out;
	t0 = mono_ns();
	if (build(st, n, n_events, 50) < 0)
		goto out;
	if (api_some(st, &cfg, &e) < 0)
		goto out;
	printf("built %" PRId64 " incidents, %" PRId64 " events in %.1f s\n", n + 5, n_events,
	       (double)(mono_ns() - t0) / 1e9);
	t = calloc((size_t)reps, sizeof *t);
	if (!t)
		goto out;
	printf("%-30s %10s %10s %6s\n", "operation", "median ms", "p99 ms", "reps");
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		for (int r = 0; r < reps; r++) {
			int64_t s = mono_ns();
			if (run_once(st, scenarios[i].s, n, &e) < 0)
				goto out;
			t[r] = mono_ns() - s;
		}
		qsort(t, (size_t)reps, sizeof *t, cmp_i64);
		printf("%-30s %10.3f %10.3f %6d\n", scenarios[i].name, (double)t[reps / 2] / 1e6,
		       (double)t[(reps * 99) / 100 < reps ? (reps * 99) / 100 : reps - 1] / 1e6, reps);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_incident: %s\n", e.msg[0] ? e.msg : "failed");
	free(t);
	store_close(&st);
	return rc;
}
