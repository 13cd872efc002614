/*
 * Unit tests for core/autoincident on a pinned clock: a probe turning CRITICAL
 * opens one incident and later rounds send nothing more; OK annotates it as
 * recovered; an unreachable host waits out its grace period (failures or time);
 * a changed host key opens a SEV1; a failed write is retried on the next call;
 * a batch stores its signals in one transaction, and a batch whose commit or
 * one of whose signals fails stores nothing and sends its changes again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "autoincident.h"
#include "clock.h"
#include "testutil.h"

#define T0 1768046400000LL /* 2026-01-10T12:00:00Z */
#define SEC 1000LL

struct fx {
	char *dir, *db;
	struct store *st;
	struct incident_config cfg;
	struct autoincident *ai;
	int64_t now;
	int calls;
	enum incident_observed last;
	int64_t last_id;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = {{0}};

	f->dir = tu_tmpdir();
	f->db = tu_join(f->dir, "ai.db");
	if (store_open(f->db, &f->st, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	incident_config_defaults(&f->cfg);
	f->ai = autoincident_new(2);
	f->now = T0;
	clock_pin(f->now);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	autoincident_free(&f->ai);
	store_close(&f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	clock_unpin();
	return 0;
}

static void later(struct fx *f, int64_t ms)
{
	f->now += ms;
	clock_pin(f->now);
}

static void seen(void *ud, const struct incident_signal *sig, enum incident_observed what,
		 int64_t id)
{
	struct fx *f = ud;

	(void)sig;
	f->calls++;
	f->last = what;
	f->last_id = id;
}

static int probe(struct fx *f, const char *p, enum probe_state s)
{
	struct err e = {{0}};
	int rc = autoincident_probe(f->ai, f->st, &f->cfg, 0, "web01", p, s, "DISK CRITICAL", seen,
				    f, &e);

	assert_true(rc >= 0);
	return rc;
}

static int reach(struct fx *f, enum autoincident_reach r, int failures)
{
	struct err e = {{0}};
	int rc = autoincident_reach(f->ai, f->st, &f->cfg, 1, "db01", r, failures, f->now, seen, f,
				    &e);

	assert_true(rc >= 0);
	return rc;
}

struct kind_count {
	const char *kind;
	int n;
};

static int count_kind(const struct incident_event *ev, void *ud)
{
	struct kind_count *w = ud;

	if (strcmp(ev->kind, w->kind) == 0)
		w->n++;
	return 0;
}

static int events_of_kind(struct fx *f, int64_t id, const char *kind)
{
	struct kind_count w = {kind, 0};
	struct err e = {{0}};

	assert_true(incident_events(f->st, id, 0, 0, count_kind, &w, &e) >= 0);
	return w.n;
}

static void test_probe_changes_only(void **state)
{
	struct fx *f = *state;
	struct incident inc;
	struct err e = {{0}};
	int64_t id = 0;

	memset(&inc, 0, sizeof inc);
	assert_int_equal(probe(f, "disk", PROBE_OK), 0); /* nothing known yet: no signal */
	later(f, SEC);
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_int_equal(f->last, INCIDENT_OBS_OPENED);
	id = f->last_id;
	later(f, SEC);
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 0); /* the next round: no change */
	assert_int_equal(probe(f, "disk", PROBE_WARNING), 0);
	assert_int_equal(probe(f, "load", PROBE_OK), 0);
	assert_int_equal(f->calls, 1);
	assert_int_equal(incident_get(f->st, id, &inc, &e), 0);
	assert_string_equal(inc.dedup_key, "web01/disk");
	assert_int_equal(inc.severity, 2);
	assert_int_equal(inc.source, INCIDENT_SRC_PROBE);
	assert_int_equal(inc.repeat_count, 1);
	incident_clear(&inc);
	later(f, SEC);
	assert_int_equal(probe(f, "disk", PROBE_OK), 1);
	assert_int_equal(f->last, INCIDENT_OBS_RECOVERED);
	assert_int_equal(f->last_id, id);
	assert_int_equal(events_of_kind(f, id, "recovered"), 1);
	assert_int_equal(probe(f, "disk", PROBE_OK), 0);
}

static void test_unreachable_grace(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reach(f, AUTOINCIDENT_UP, 0), 0); /* nothing raised: nothing to clear */
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 1), 0); /* one failure: grace */
	later(f, 30 * SEC);
	assert_int_equal(reach(f, AUTOINCIDENT_OTHER, 1), 0); /* reconnecting */
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 1), 0);
	later(f, 30 * SEC); /* 60 s failing: past the grace period */
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 1), 1);
	assert_int_equal(f->last, INCIDENT_OBS_OPENED);
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 3), 0);
	later(f, SEC);
	assert_int_equal(reach(f, AUTOINCIDENT_UP, 0), 1);
	assert_int_equal(f->last, INCIDENT_OBS_RECOVERED);
	/* Two failed connects in a row are enough, however quick. */
	later(f, SEC);
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 1), 0);
	later(f, SEC);
	assert_int_equal(reach(f, AUTOINCIDENT_FAILING, 2), 1);
	assert_int_equal(f->last, INCIDENT_OBS_REPEATED); /* still open: folded in */
}

static void test_hostkey(void **state)
{
	struct fx *f = *state;
	struct incident inc;
	struct err e = {{0}};

	memset(&inc, 0, sizeof inc);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 1);
	assert_int_equal(incident_get(f->st, f->last_id, &inc, &e), 0);
	assert_string_equal(inc.dedup_key, "db01/hostkey");
	assert_int_equal(inc.severity, 1);
	assert_int_equal(inc.source, INCIDENT_SRC_HOST_KEY);
	incident_clear(&inc);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 0);
	later(f, SEC);
	assert_int_equal(reach(f, AUTOINCIDENT_UP, 0), 1);
	assert_int_equal(f->last, INCIDENT_OBS_RECOVERED);
}

static void test_bad_host_index(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};

	assert_int_equal(autoincident_probe(f->ai, f->st, &f->cfg, 7, "x", "disk", PROBE_CRITICAL,
					    NULL, NULL, NULL, &e),
			 0);
	assert_int_equal(autoincident_reach(NULL, f->st, &f->cfg, 0, "x", AUTOINCIDENT_FAILING, 9,
					    f->now, NULL, NULL, &e),
			 0);
}

static int64_t count_incidents(const char *db)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	/* A second connection: it sees only what was committed. */
	assert_int_equal(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, "SELECT count(*) FROM incidents", -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(c);
	return n;
}

static void test_batch_one_transaction(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};

	autoincident_batch_begin(f->ai);
	assert_false(store_in_txn(f->st)); /* nothing to say: no lock taken */
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_true(store_in_txn(f->st));
	assert_int_equal(probe(f, "load", PROBE_CRITICAL), 1);
	assert_int_equal(probe(f, "mem", PROBE_CRITICAL), 1);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 1);
	assert_int_equal(count_incidents(f->db), 0); /* all or nothing, at the end */
	assert_int_equal(autoincident_batch_end(f->ai, f->st, &e), 0);
	assert_false(store_in_txn(f->st));
	assert_int_equal(count_incidents(f->db), 4);
	assert_int_equal(f->calls, 4);
	/* An empty batch commits nothing and is not an error. */
	autoincident_batch_begin(f->ai);
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 0);
	assert_int_equal(autoincident_batch_end(f->ai, f->st, &e), 0);
	assert_false(store_in_txn(f->st));
}

static void test_batch_commit_fails(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};

	autoincident_batch_begin(f->ai);
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 1);
	/* A deferred foreign-key violation makes the COMMIT itself fail. */
	assert_int_equal(store_exec(f->st, "PRAGMA defer_foreign_keys = ON", &e), 0);
	assert_int_equal(store_exec(f->st, "INSERT INTO incident_hosts(incident_id, host) "
					   "VALUES (424242, 'ghost')", &e), 0);
	assert_int_equal(autoincident_batch_end(f->ai, f->st, &e), -1);
	assert_true(e.msg[0] != '\0');
	assert_false(store_in_txn(f->st));
	assert_int_equal(count_incidents(f->db), 0);
	/* Nothing was stored, so the same states are news again. */
	f->calls = 0;
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_int_equal(f->last, INCIDENT_OBS_OPENED);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 1);
	assert_int_equal(count_incidents(f->db), 2);
}

static void test_batch_signal_fails(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};

	/* Opening any incident for db01 fails inside the batch. */
	assert_int_equal(store_exec(f->st, "CREATE TEMP TRIGGER no_db01 BEFORE INSERT ON incidents "
					   "WHEN new.dedup_key LIKE 'db01/%' BEGIN "
					   "SELECT RAISE(ABORT, 'injected'); END", &e), 0);
	autoincident_batch_begin(f->ai);
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_int_equal(autoincident_reach(f->ai, f->st, &f->cfg, 1, "db01", AUTOINCIDENT_KEY_CHANGED,
					    0, f->now, seen, f, &e),
			 -1);
	/* The batch is spoilt: the rest of it is not even tried. */
	assert_int_equal(autoincident_probe(f->ai, f->st, &f->cfg, 0, "web01", "load", PROBE_CRITICAL,
					    NULL, seen, f, &e),
			 -1);
	assert_int_equal(autoincident_batch_end(f->ai, f->st, &e), -1);
	assert_false(store_in_txn(f->st));
	assert_int_equal(count_incidents(f->db), 0);
	assert_int_equal(store_exec(f->st, "DROP TRIGGER no_db01", &e), 0);
	/* Everything the batch held is news again, the signal that went through too. */
	assert_int_equal(probe(f, "disk", PROBE_CRITICAL), 1);
	assert_int_equal(probe(f, "load", PROBE_CRITICAL), 1);
	assert_int_equal(reach(f, AUTOINCIDENT_KEY_CHANGED, 0), 1);
	assert_int_equal(count_incidents(f->db), 3);
}

/* The scan's state lives in the tracker: without one (no inventory) nothing is
 * ever pending, so the console's loop has no scan to wait on (it spun at 90% CPU). */
static void test_scan_state(void **state)
{
	struct fx *f = *state;
	struct autoincident *none = NULL;

	autoincident_scan_request(NULL);
	assert_false(autoincident_scan_pending(NULL));
	assert_int_equal(autoincident_scan_next(NULL), 0);
	autoincident_scan_progress(NULL, 5);

	assert_false(autoincident_scan_pending(f->ai));
	autoincident_scan_request(f->ai);
	assert_true(autoincident_scan_pending(f->ai));
	autoincident_scan_progress(f->ai, 1); /* a slice stopped at host 1 of 2 */
	assert_true(autoincident_scan_pending(f->ai));
	assert_int_equal(autoincident_scan_next(f->ai), 1);
	autoincident_scan_request(f->ai); /* asked again during the pass */
	autoincident_scan_progress(f->ai, 2);
	assert_true(autoincident_scan_pending(f->ai)); /* one more pass, from the start */
	assert_int_equal(autoincident_scan_next(f->ai), 0);
	autoincident_scan_progress(f->ai, 2);
	assert_false(autoincident_scan_pending(f->ai));

	/* A tracker of no hosts: a pass ends at once. */
	none = autoincident_new(0);
	assert_non_null(none);
	autoincident_scan_request(none);
	autoincident_scan_progress(none, autoincident_scan_next(none));
	assert_false(autoincident_scan_pending(none));
	autoincident_free(&none);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_probe_changes_only),
		T(test_unreachable_grace),
		T(test_hostkey),
		T(test_bad_host_index),
		T(test_batch_one_transaction),
		T(test_batch_commit_fails),
		T(test_batch_signal_fails),
		T(test_scan_state),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
