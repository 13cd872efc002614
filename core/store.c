/*
 * store: the SQLite file behind opsdeck. Opening it makes the folder and files
 * private, applies numbered migrations once, and refuses a database written by a
 * newer binary without touching it. Statements used on hot paths are prepared
 * once and cached here (store_stmt).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"

#define STMT_CACHE 128 /* above the number of store_stmt call sites */

struct cached_stmt {
	const char *sql; /* identity: callers pass string literals */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	char *path;
	int64_t data_version;
	sqlite3_stmt *data_version_stmt;
	struct cached_stmt cache[STMT_CACHE];
	size_t n_cache;
};

/*
 * Migrations: index i holds the SQL that takes the schema from version i to i+1.
 * Never edit a released migration; append a new one.
 */
static const char *const migrations[] = {
	/* 1: shifts and the append-only, hash-chained shift log with FTS5. */
	"CREATE TABLE shifts ("
	"  id INTEGER PRIMARY KEY,"
	"  operator TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  handover_at INTEGER,"
	"  ended_at INTEGER,"
	"  CHECK (ended_at IS NULL OR ended_at >= started_at));"
	"CREATE INDEX shifts_open ON shifts(operator) WHERE ended_at IS NULL;"
	"CREATE TABLE log_entries ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  shift_id INTEGER REFERENCES shifts(id),"
	"  category TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  host TEXT,"
	"  incident_id INTEGER,"
	"  window_id INTEGER,"
	"  run_id INTEGER,"
	"  corrects INTEGER REFERENCES log_entries(id),"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX log_ts ON log_entries(ts);"
	"CREATE INDEX log_category ON log_entries(category, id);"
	"CREATE INDEX log_corrects ON log_entries(corrects) WHERE corrects IS NOT NULL;"
	"CREATE INDEX log_host ON log_entries(host, id) WHERE host IS NOT NULL;"
	/* Prefix indexes make short prefixes (web*, db*) index lookups instead of
	 * merges over every matching term: ~100 ms -> <1 ms at 1M entries. */
	"CREATE VIRTUAL TABLE log_fts USING fts5(text, host, content='log_entries',"
	"  content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');"
	"CREATE TRIGGER log_fts_insert AFTER INSERT ON log_entries BEGIN"
	"  INSERT INTO log_fts(rowid, text, host) VALUES (new.id, new.text, new.host);"
	"END;"
	"CREATE TRIGGER log_no_update BEFORE UPDATE ON log_entries BEGIN"
	"  SELECT RAISE(ABORT, 'the shift log is append-only: add a correction instead');"
	"END;"
	"CREATE TRIGGER log_no_delete BEFORE DELETE ON log_entries BEGIN"
	"  SELECT RAISE(ABORT, 'the shift log is append-only: entries cannot be deleted');"
	"END;",
	/* 2: probe samples (state: Nagios code; value NULL when none) and their hourly
	 * roll-up (hour: UTC ms at the hour's start; nv: samples that had a value, the
	 * weight of vavg when rows merge). samples_ts serves the retention sweep. */
	"CREATE TABLE samples ("
	"  id INTEGER PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  probe TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  value REAL,"
	"  summary TEXT);"
	"CREATE INDEX samples_host_probe_ts ON samples(host, probe, ts);"
	"CREATE INDEX samples_ts ON samples(ts);"
	"CREATE TABLE samples_hourly ("
	"  host TEXT NOT NULL,"
	"  probe TEXT NOT NULL,"
	"  hour INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  nv INTEGER NOT NULL DEFAULT 0,"
	"  vmin REAL,"
	"  vmax REAL,"
	"  vavg REAL,"
	"  worst INTEGER NOT NULL,"
	"  PRIMARY KEY (host, probe, hour)) WITHOUT ROWID;",
	/* 3: the incident queue (core/incident.c). is_open is derived from state, so the
	 * queue index (open incidents by severity, then age) can never disagree with it.
	 * The partial indexes hold only what the timers look at: running SLA clocks,
	 * unacknowledged incidents, open dedup keys (one open incident per key). */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  description TEXT,"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
	"  priority INTEGER CHECK (priority IS NULL OR priority BETWEEN 1 AND 5),"
	"  impact TEXT,"
	"  classification TEXT NOT NULL DEFAULT 'unknown',"
	"  source TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('triage', 'active', 'mitigated', 'resolved',"
	"    'closed', 'cancelled', 'merged')),"
	"  is_open INTEGER GENERATED ALWAYS AS (state IN ('triage', 'active', 'mitigated')) VIRTUAL,"
	"  assignee TEXT,"
	"  dedup_key TEXT,"
	"  repeat_count INTEGER NOT NULL DEFAULT 1,"
	"  level INTEGER NOT NULL DEFAULT 1,"
	"  level_since INTEGER NOT NULL,"
	"  flapping INTEGER NOT NULL DEFAULT 0,"
	"  last_signal TEXT,"
	"  flap_since INTEGER,"
	"  flap_changes INTEGER NOT NULL DEFAULT 0,"
	"  last_change_at INTEGER,"
	"  resolution TEXT,"
	"  cancel_reason TEXT,"
	"  merged_into INTEGER REFERENCES incidents(id),"
	"  opened_at INTEGER NOT NULL,"
	"  opened_by TEXT NOT NULL,"
	"  acked_at INTEGER,"
	"  acked_by TEXT,"
	"  activated_at INTEGER,"
	"  mitigated_at INTEGER,"
	"  resolved_at INTEGER,"
	"  closed_at INTEGER,"
	"  cancelled_at INTEGER,"
	"  merged_at INTEGER,"
	"  last_event_at INTEGER NOT NULL,"
	"  ack_due INTEGER NOT NULL,"
	"  resolve_due INTEGER NOT NULL,"
	"  ack_sla TEXT CHECK (ack_sla IN ('met', 'breached', 'void')),"
	"  resolve_sla TEXT CHECK (resolve_sla IN ('met', 'breached', 'void')),"
	"  CHECK (resolved_at IS NULL OR resolution IS NOT NULL),"
	"  CHECK (acked_at IS NULL OR acked_at >= opened_at));"
	"CREATE INDEX incidents_queue_open ON incidents(is_open, severity, opened_at);"
	"CREATE INDEX incidents_queue_state ON incidents(state, severity, opened_at);"
	"CREATE INDEX incidents_queue_all ON incidents(severity, opened_at);"
	"CREATE INDEX incidents_queue_assignee ON incidents(assignee, severity, opened_at)"
	"  WHERE assignee IS NOT NULL;"
	"CREATE INDEX incidents_opened ON incidents(opened_at);"
	"CREATE UNIQUE INDEX incidents_dedup_open ON incidents(dedup_key)"
	"  WHERE dedup_key IS NOT NULL AND state IN ('triage', 'active', 'mitigated');"
	"CREATE INDEX incidents_ack_running ON incidents(ack_due) WHERE ack_sla IS NULL;"
	"CREATE INDEX incidents_resolve_running ON incidents(resolve_due) WHERE resolve_sla IS NULL;"
	"CREATE INDEX incidents_unacked ON incidents(level, level_since)"
	"  WHERE acked_at IS NULL AND state IN ('triage', 'active');"
	"CREATE TABLE incident_hosts ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  host TEXT NOT NULL,"
	"  PRIMARY KEY (incident_id, host)) WITHOUT ROWID;"
	"CREATE INDEX incident_hosts_host ON incident_hosts(host, incident_id);"
	"CREATE TABLE incident_responders ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  responder TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (incident_id, responder)) WITHOUT ROWID;"
	"CREATE TABLE incident_events ("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  ts INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  auto INTEGER NOT NULL DEFAULT 0,"
	"  kind TEXT NOT NULL,"
	"  from_state TEXT,"
	"  to_state TEXT,"
	"  text TEXT,"
	"  log_id INTEGER REFERENCES log_entries(id));"
	"CREATE INDEX incident_events_timeline ON incident_events(incident_id, ts);"
	"CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events BEGIN"
	"  SELECT RAISE(ABORT, 'the incident timeline is append-only');"
	"END;"
	"CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events BEGIN"
	"  SELECT RAISE(ABORT, 'the incident timeline is append-only');"
	"END;"
	"CREATE TABLE problems ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  description TEXT,"
	"  type TEXT NOT NULL CHECK (type IN ('corrective', 'preventive', 'adaptive', 'improvement')),"
	"  status TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'known-error',"
	"    'resolved', 'closed')),"
	"  root_cause TEXT,"
	"  workaround TEXT,"
	"  scope_size TEXT,"
	"  scope_cost TEXT,"
	"  scope_time TEXT,"
	"  criticality INTEGER NOT NULL DEFAULT 0 CHECK (criticality BETWEEN 0 AND 7),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL);"
	"CREATE TABLE problem_incidents ("
	"  problem_id INTEGER NOT NULL REFERENCES problems(id),"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  linked_at INTEGER NOT NULL,"
	"  PRIMARY KEY (problem_id, incident_id)) WITHOUT ROWID;"
	"CREATE INDEX problem_incidents_incident ON problem_incidents(incident_id, problem_id);",
	/* 4: a trigram index on incident titles, so a substring filter that matches
	 * little is an index lookup instead of a scan of every title. */
	"CREATE VIRTUAL TABLE incident_title_fts USING fts5(title, content='incidents',"
	"  content_rowid='id', tokenize='trigram');"
	"INSERT INTO incident_title_fts(incident_title_fts) VALUES ('rebuild');"
	"CREATE TRIGGER incident_title_insert AFTER INSERT ON incidents BEGIN"
	"  INSERT INTO incident_title_fts(rowid, title) VALUES (new.id, new.title);"
	"END;"
	"CREATE TRIGGER incident_title_update AFTER UPDATE OF title ON incidents BEGIN"
	"  INSERT INTO incident_title_fts(incident_title_fts, rowid, title)"
	"    VALUES ('delete', old.id, old.title);"
	"  INSERT INTO incident_title_fts(rowid, title) VALUES (new.id, new.title);"
	"END;"
	"CREATE TRIGGER incident_title_delete AFTER DELETE ON incidents BEGIN"
	"  INSERT INTO incident_title_fts(incident_title_fts, rowid, title)"
	"    VALUES ('delete', old.id, old.title);"
	"END;",
	/* 5: imported iCalendar calendars: the original text and the parsed events
	 * (calendars/NAME.yaml are read from the config folder, never stored). */
	"CREATE TABLE calendars ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('freeze', 'caution', 'peak', 'info')),"
	"  zone TEXT NOT NULL,"
	"  file TEXT NOT NULL,"
	"  ics TEXT NOT NULL,"
	"  imported_at INTEGER NOT NULL);"
	"CREATE TABLE calendar_events ("
	"  id INTEGER PRIMARY KEY,"
	"  calendar_id INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,"
	"  uid TEXT NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  zone TEXT NOT NULL,"
	"  all_day INTEGER NOT NULL,"
	"  start_local TEXT NOT NULL,"
	"  duration_days INTEGER NOT NULL,"
	"  duration_s INTEGER NOT NULL,"
	"  rrule TEXT,"
	"  rdates TEXT NOT NULL,"
	"  exdates TEXT NOT NULL,"
	"  line INTEGER NOT NULL);"
	"CREATE INDEX calendar_events_calendar ON calendar_events(calendar_id);",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_latest(void)
{
	return N_MIGRATIONS;
}

sqlite3 *store_db(struct store *st)
{
	return st->db;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

int store_exec(struct store *st, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql, struct err *e)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql, struct err *e)
{
	sqlite3_stmt *stmt = NULL;

	for (size_t i = 0; i < st->n_cache; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	}
	/* A full cache means more call sites than STMT_CACHE: a programming error,
	 * refused loudly rather than leaking a statement per call. */
	if (st->n_cache == STMT_CACHE) {
		err_set(e, "%s: statement cache full", st->path);
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return NULL;
	}
	st->cache[st->n_cache].sql = sql;
	st->cache[st->n_cache].stmt = stmt;
	st->n_cache++;
	return stmt;
}

void store_stmt_done(sqlite3_stmt *stmt)
{
	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
}

bool store_in_txn(struct store *st)
{
	return sqlite3_get_autocommit(st->db) == 0;
}

int store_begin(struct store *st, struct err *e)
{
	return store_exec(st, "BEGIN IMMEDIATE", e);
}

int store_commit(struct store *st, struct err *e)
{
	if (store_exec(st, "COMMIT", e) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *st)
{
	if (store_in_txn(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Reads PRAGMA data_version; -1 on error. */
static int64_t read_data_version(struct store *st)
{
	int64_t v = -1;

	if (!st->data_version_stmt &&
	    sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &st->data_version_stmt, NULL) !=
		    SQLITE_OK)
		return -1;
	if (sqlite3_step(st->data_version_stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(st->data_version_stmt, 0);
	sqlite3_reset(st->data_version_stmt);
	return v;
}

bool store_changed(struct store *st)
{
	int64_t v = read_data_version(st);

	if (v < 0 || v == st->data_version)
		return false;
	st->data_version = v;
	return true;
}

/* Schema version recorded in the file: 0 for a new file, -1 on error. */
static int read_schema_version(struct store *st, struct err *e)
{
	sqlite3_stmt *stmt = NULL;
	int v = -1;

	stmt = store_prepare(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				 "AND name = 'schema_version'", e);
	if (!stmt)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	if (sqlite3_column_int(stmt, 0) == 0) {
		v = 0;
		goto out;
	}
	sqlite3_finalize(stmt);
	stmt = store_prepare(st, "SELECT coalesce(max(version), 0) FROM schema_version", e);
	if (!stmt)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	v = sqlite3_column_int(stmt, 0);
out:
	sqlite3_finalize(stmt);
	return v;
}

int store_schema_version(struct store *st)
{
	return read_schema_version(st, NULL);
}

/* Applies migrations above the file's version, each in its own transaction. */
static int migrate(struct store *st, struct err *e)
{
	sqlite3_stmt *ins = NULL;
	int rc = -1;
	int v;

	if (store_exec(st, "CREATE TABLE IF NOT EXISTS schema_version ("
			   "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", e))
		goto out;
	for (;;) {
		if (store_begin(st, e))
			goto out;
		/* Re-read under the write lock: another process may have migrated. */
		v = read_schema_version(st, e);
		if (v < 0)
			goto fail;
		if (v >= N_MIGRATIONS)
			break;
		if (store_exec(st, migrations[v], e))
			goto fail;
		ins = store_prepare(st, "INSERT INTO schema_version(version, applied_at) "
					"VALUES (?, ?)", e);
		if (!ins)
			goto fail;
		sqlite3_bind_int(ins, 1, v + 1);
		sqlite3_bind_int64(ins, 2, clock_now_ms());
		if (sqlite3_step(ins) != SQLITE_DONE) {
			err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
			goto fail;
		}
		sqlite3_finalize(ins);
		ins = NULL;
		if (store_commit(st, e))
			goto out;
	}
	if (store_commit(st, e))
		goto out;
	rc = 0;
	goto out;
fail:
	store_rollback(st);
out:
	sqlite3_finalize(ins);
	return rc;
}

/* Creates the database's folder 0700 (and parents) when it does not exist yet. */
static int make_parent(const char *path, struct err *e)
{
	char *dir = strdup(path);
	char *slash = NULL;
	int rc = -1;

	if (!dir) {
		err_set(e, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		rc = 0;
		goto out;
	}
	*slash = '\0';
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			err_set(e, "%s: %s", dir, strerror(errno));
			goto out;
		}
		*s = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set(e, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/* Makes the database and its WAL files 0600 whatever the umask was. */
static int make_files_private(const char *path, struct err *e)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char buf[4200];
	struct stat sb;

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", path, suffix[i]);
		if (stat(buf, &sb) != 0)
			continue;
		if ((sb.st_mode & 0777) != 0600 && chmod(buf, 0600) != 0) {
			err_set(e, "%s: chmod: %s", buf, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int store_open(const char *path, struct store **out, struct err *e)
{
	struct store *st = NULL;
	mode_t old_umask;
	int v;
	int rc = -1;

	*out = NULL;
	if (!path || !*path || strlen(path) >= 4096) {
		err_set(e, "no database path");
		return -1;
	}
	if (make_parent(path, e))
		return -1;
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		err_set(e, "out of memory");
		goto out;
	}
	/* SQLite creates -wal and -shm with the database's mode; umask covers the rest. */
	old_umask = umask(077);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						   SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		umask(old_umask);
		err_set(e, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* Look before writing anything: a newer file must not be modified. */
	v = read_schema_version(st, e);
	if (v < 0) {
		umask(old_umask);
		goto out;
	}
	if (v > N_MIGRATIONS) {
		umask(old_umask);
		err_set(e, "%s: database schema version %d is newer than this opsdeck supports (%d);"
			   " upgrade opsdeck (the file was not modified)", path, v, N_MIGRATIONS);
		goto out;
	}
	if (store_exec(st, "PRAGMA journal_mode = WAL", e) ||
	    store_exec(st, "PRAGMA synchronous = FULL", e) ||
	    store_exec(st, "PRAGMA foreign_keys = ON", e) ||
	    /* Statement journals and sorts in memory: no temp file opened per change. */
	    store_exec(st, "PRAGMA temp_store = MEMORY", e) || migrate(st, e)) {
		umask(old_umask);
		goto out;
	}
	umask(old_umask);
	if (make_files_private(path, e))
		goto out;
	st->data_version = read_data_version(st);
	*out = st;
	st = NULL;
	rc = 0;
out:
	store_close(&st);
	return rc;
}

void store_close(struct store **stp)
{
	struct store *st = stp ? *stp : NULL;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_cache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_finalize(st->data_version_stmt);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
	*stp = NULL;
}
