/*
 * probe_sample: the samples history (one row per result) with its hourly roll-up
 * and pruning.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe.h"
#include "probe_internal.h"
#include "text.h"

/* ---- samples ---- */

/* The state order of probe.c's state_rank, in SQL, for the hourly roll-up (keep in step). */
#define SQL_RANK(col) "(CASE " col " WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 1 ELSE 0 END)"
#define SQL_UNRANK(expr) "(CASE " expr " WHEN 2 THEN 1 WHEN 3 THEN 2 WHEN 1 THEN 3 ELSE 0 END)"

static const char SQL_SAMPLE_INSERT[] =
	"INSERT INTO samples(host, probe, ts, state, value, summary) VALUES (?, ?, ?, ?, ?, ?)";

int probe_sample_store(struct store *st, const char *host, const char *probe, int64_t ts_ms,
		       const struct probe_result *r, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (!host || !*host || !probe || !*probe || !r) {
		err_set(e, "a sample needs a host, a probe and a result");
		goto out;
	}
	if (!(s = store_stmt(st, SQL_SAMPLE_INSERT, e)))
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ts_ms);
	sqlite3_bind_int(s, 4, probe_state_known((int)r->state) ? (int)r->state : PROBE_UNKNOWN);
	if (isnan(r->value) || isinf(r->value))
		sqlite3_bind_null(s, 5);
	else
		sqlite3_bind_double(s, 5, r->value);
	sqlite3_bind_text(s, 6, r->summary, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

/* Newest max points (hourly rows, then raw samples), returned oldest first. */
static const char SQL_HISTORY[] =
	"SELECT ts, value, state FROM ("
	" SELECT hour AS ts, vavg AS value, worst AS state, 0 AS k, 0 AS id FROM samples_hourly"
	"  WHERE host = ?1 AND probe = ?2 AND hour >= ?3"
	" UNION ALL"
	" SELECT ts, value, state, 1, id FROM samples"
	"  WHERE host = ?1 AND probe = ?2 AND ts >= ?3"
	" ORDER BY ts DESC, k DESC, id DESC LIMIT ?4)"
	" ORDER BY ts, k, id";

int probe_history(struct store *st, const char *host, const char *probe, int64_t since_ms,
		  struct probe_point *pts, size_t max, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int n = -1;
	int r;

	if (!host || !probe || (!pts && max)) {
		err_set(e, "history needs a host and a probe");
		goto out;
	}
	if (max > INT32_MAX)
		max = INT32_MAX;
	if (!(s = store_stmt(st, SQL_HISTORY, e)))
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, since_ms);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	n = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW && (size_t)n < max) {
		int state = sqlite3_column_int(s, 2);

		pts[n].ts_ms = sqlite3_column_int64(s, 0);
		pts[n].value = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN
									: sqlite3_column_double(s, 1);
		pts[n].state = probe_state_known(state) ? (enum probe_state)state : PROBE_UNKNOWN;
		n++;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		n = -1;
	}
out:
	store_stmt_done(s);
	return n;
}

/*
 * Raw samples before ?1 into their hours (ms at the start of the UTC hour). An
 * hour already rolled up (the cut-off fell inside it last time) is merged: counts
 * add, min and max widen, the average is weighted by the number of values (nv;
 * samples without a value count in n only), the worst state wins.
 */
static const char SQL_ROLLUP[] =
	"INSERT INTO samples_hourly(host, probe, hour, n, nv, vmin, vmax, vavg, worst)"
	" SELECT host, probe, (ts / 3600000) * 3600000 AS h, count(*), count(value),"
	"  min(value), max(value), avg(value), " SQL_UNRANK("max(" SQL_RANK("state") ")")
	" FROM samples WHERE ts < ?1 GROUP BY host, probe, h"
	" ON CONFLICT(host, probe, hour) DO UPDATE SET"
	"  n = n + excluded.n,"
	"  nv = nv + excluded.nv,"
	"  vmin = coalesce(min(vmin, excluded.vmin), vmin, excluded.vmin),"
	"  vmax = coalesce(max(vmax, excluded.vmax), vmax, excluded.vmax),"
	"  vavg = CASE WHEN nv + excluded.nv = 0 THEN NULL"
	"   ELSE (coalesce(vavg, 0.0) * nv + coalesce(excluded.vavg, 0.0) * excluded.nv)"
	"    / (nv + excluded.nv) END,"
	"  worst = CASE WHEN " SQL_RANK("excluded.worst") " > " SQL_RANK("worst")
	"   THEN excluded.worst ELSE worst END";

static const char SQL_PRUNE_RAW[] = "DELETE FROM samples WHERE ts < ?1";

/* An hourly row goes once its whole hour is older than the cut-off. */
static const char SQL_PRUNE_HOURLY[] = "DELETE FROM samples_hourly WHERE hour + 3600000 <= ?1";

/* Steps a write statement with one time bound; adds its changes to *removed. */
static int prune_step(struct store *st, const char *sql, int64_t bound, int64_t *removed,
		      struct err *e)
{
	sqlite3_stmt *s = store_stmt(st, sql, e);
	int rc = -1;

	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, bound);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	if (removed)
		*removed += sqlite3_changes(store_db(st));
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

int64_t probe_prune(struct store *st, int64_t now_ms, int64_t raw_keep_ms, int64_t hourly_keep_ms,
		    struct err *e)
{
	bool began = false;
	int64_t removed = 0;
	int64_t rc = -1;

	if (raw_keep_ms < 0) {
		err_set(e, "raw sample retention must not be negative");
		goto out;
	}
	if (!store_in_txn(st)) {
		if (store_begin(st, e))
			goto out;
		began = true;
	}
	/* Roll up before deleting, in one transaction: a crash loses nothing. */
	if (prune_step(st, SQL_ROLLUP, now_ms - raw_keep_ms, NULL, e) ||
	    prune_step(st, SQL_PRUNE_RAW, now_ms - raw_keep_ms, &removed, e))
		goto out;
	if (hourly_keep_ms > 0 &&
	    prune_step(st, SQL_PRUNE_HOURLY, now_ms - hourly_keep_ms, &removed, e))
		goto out;
	if (began) {
		began = false; /* store_commit rolls back itself on failure */
		if (store_commit(st, e))
			goto out;
	}
	rc = removed;
out:
	if (began)
		store_rollback(st);
	return rc;
}

