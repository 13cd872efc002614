/*
 * retention: deletes probe history older than the configured limits, a bounded
 * batch per transaction so consoles writing samples never wait long, and records
 * what it removed in the shift log (which it never touches otherwise).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "incident_config.h"
#include "retention.h"
#include "shiftlog.h"

#define RETENTION_DAY_MS (24 * 3600 * 1000LL)

void retention_config_defaults(struct retention_config *c)
{
	c->samples_ms = 30 * RETENTION_DAY_MS;
	c->outputs_ms = 7 * RETENTION_DAY_MS;
}

/* "forever" or a duration above zero; -1 otherwise. */
static int retention_parse(const char *s, int64_t *ms)
{
	if (strcmp(s, "forever") == 0) {
		*ms = 0;
		return 0;
	}
	if (incident_duration_parse(s, ms) != 0 || *ms <= 0)
		return -1;
	return 0;
}

int retention_config_read(const struct ydoc *doc, struct retention_config *c, struct err *e)
{
	static const char *const keys[] = { "samples", "outputs" };
	int64_t *dest[] = { &c->samples_ms, &c->outputs_ms };
	const struct ynode *m = doc->root ? ynode_get(doc->root, "retention") : NULL;

	if (!m)
		return 0;
	if (m->kind != YNODE_MAP)
		return ydoc_error(doc, m, e, "retention: expected a map {samples: 30d, outputs: 7d}");
	for (size_t i = 0; i < m->n / 2; i++) {
		const struct ynode *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		size_t j;

		for (j = 0; j < sizeof keys / sizeof keys[0]; j++)
			if (k->kind == YNODE_SCALAR && strcmp(k->value, keys[j]) == 0)
				break;
		if (j == sizeof keys / sizeof keys[0])
			return ydoc_error(doc, k, e, "retention: unknown key (samples, outputs)");
		if (v->kind != YNODE_SCALAR || retention_parse(v->value, dest[j]) != 0)
			return ydoc_error(doc, v, e,
					  "retention.%s: expected a duration such as 30d, 12h or forever",
					  keys[j]);
	}
	return 0;
}

/* Each statement touches at most ?2 rows older than ?1. */
static const char SQL_DEL_SAMPLES[] =
	"DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE ts < ?1 LIMIT ?2)";
static const char SQL_DEL_HOURLY[] =
	"DELETE FROM samples_hourly WHERE (host, probe, hour) IN"
	" (SELECT host, probe, hour FROM samples_hourly WHERE hour + 3600000 <= ?1 LIMIT ?2)";
static const char SQL_CLEAR_OUTPUTS[] =
	"UPDATE samples SET summary = NULL WHERE id IN"
	" (SELECT id FROM samples WHERE ts < ?1 AND summary IS NOT NULL LIMIT ?2)";

/* Runs sql in batches until a batch touches fewer than batch rows; adds to *count. */
static int retention_batches(struct store *st, const char *sql, int64_t bound, int batch,
			     int64_t *count, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int n;

	do {
		if (store_begin(st, e))
			return -1;
		if (!(s = store_stmt(st, sql, e))) {
			store_rollback(st);
			return -1;
		}
		sqlite3_bind_int64(s, 1, bound);
		sqlite3_bind_int(s, 2, batch);
		if (sqlite3_step(s) != SQLITE_DONE) {
			err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			store_stmt_done(s);
			store_rollback(st);
			return -1;
		}
		n = sqlite3_changes(store_db(st));
		store_stmt_done(s);
		if (store_commit(st, e))
			return -1;
		*count += n;
	} while (n >= batch);
	return 0;
}

/* "30d", "12h", "90m", "45s" or "forever": the shortest exact unit. */
static void retention_format(int64_t ms, char *buf, size_t len)
{
	static const struct {
		int64_t ms;
		char unit;
	} units[] = { { RETENTION_DAY_MS, 'd' }, { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' } };

	if (ms <= 0) {
		snprintf(buf, len, "forever");
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRId64 "%c", ms / units[i].ms, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}

int retention_run(struct store *st, const struct retention_config *c, int64_t now_ms, int batch,
		  struct retention_result *r, struct err *e)
{
	char text[512], skeep[32], okeep[32];
	struct shiftlog_new n = { .category = "system", .severity = "info", .text = text };

	memset(r, 0, sizeof *r);
	if (store_in_txn(st)) {
		err_set(e, "retention runs its own transactions: not inside another");
		return -1;
	}
	if (batch <= 0)
		batch = RETENTION_BATCH;
	/* Samples first: a row about to be deleted is not counted as a cleared output. */
	if (c->samples_ms > 0 &&
	    (retention_batches(st, SQL_DEL_SAMPLES, now_ms - c->samples_ms, batch, &r->samples, e) ||
	     retention_batches(st, SQL_DEL_HOURLY, now_ms - c->samples_ms, batch, &r->hourly, e)))
		return -1;
	if (c->outputs_ms > 0 &&
	    retention_batches(st, SQL_CLEAR_OUTPUTS, now_ms - c->outputs_ms, batch, &r->outputs, e))
		return -1;
	retention_format(c->samples_ms, skeep, sizeof skeep);
	retention_format(c->outputs_ms, okeep, sizeof okeep);
	snprintf(text, sizeof text,
		 "retention: removed %" PRId64 " probe samples and %" PRId64
		 " hourly roll-ups older than %s, cleared %" PRId64
		 " probe outputs older than %s (the shift log is never pruned)",
		 r->samples, r->hourly, skeep, r->outputs, okeep);
	return shiftlog_append(st, &n, &r->log_id, e);
}
