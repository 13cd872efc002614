/*
 * store: the SQLite file behind opsdeck. Opening it makes the folder and files
 * private, applies numbered migrations once, and refuses a database written by a
 * newer binary without touching it. Statements used on hot paths are prepared
 * once and cached here (store_stmt).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"

#define STMT_CACHE 128 /* above the number of store_stmt call sites */

struct cached_stmt {
	const char *sql; /* identity: callers pass string literals */
	sqlite3_stmt *stmt;
};

#define STORE_PATH_MAX 4096

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;           /* store_open_read */
	bool rw_query_only;      /* ... of a file we may write: opened rw, query_only */
	char warning[STORE_PATH_MAX + 256]; /* store_warning; "" when none */
	char tmpdir[STORE_PATH_MAX];        /* a private copy being read (store_copy_out) */
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

/* The folder part of path into buf ("." when there is none). */
static void store_dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* True when the folder holding path has less than 1 MiB left for us. */
static bool store_space_low(const char *path)
{
	char dir[STORE_PATH_MAX];
	struct statvfs vfs;
	unsigned long long avail;

	store_dir_of(path, dir, sizeof dir);
	if (statvfs(dir, &vfs) != 0)
		return false;
	avail = (unsigned long long)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;
	return avail < 1024 * 1024;
}

/*
 * True when the connection's last error is running out of space: SQLITE_FULL, an
 * I/O error with ENOSPC, EFBIG (the file size limit) or EDQUOT, or a failed write
 * while the disk is nearly full or a file size limit is set (SQLite does not keep
 * the errno of every failed write, the WAL's among them).
 */
static bool store_out_of_space(struct store *st)
{
	static const int write_errors[] = { SQLITE_IOERR_WRITE, SQLITE_IOERR_SHMSIZE,
					    SQLITE_IOERR_TRUNCATE };
	int ext = sqlite3_extended_errcode(st->db);
	int sys = 0;
	struct rlimit rl;
	bool write_error = false;

	if ((ext & 0xff) == SQLITE_FULL)
		return true;
	if ((ext & 0xff) != SQLITE_IOERR && (ext & 0xff) != SQLITE_CANTOPEN)
		return false;
	sys = sqlite3_system_errno(st->db);
	if (sys == ENOSPC || sys == EFBIG || sys == EDQUOT)
		return true;
	for (size_t i = 0; i < sizeof write_errors / sizeof write_errors[0]; i++)
		if (ext == write_errors[i])
			write_error = true;
	if (!write_error)
		return false;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		return true;
	return store_space_low(st->path);
}

/*
 * Sets e from the connection's last error; running out of space is said in words
 * a person acts on, SQLite's own text follows in parentheses.
 */
static void store_set_err(struct store *st, struct err *e)
{
	if (!st->db)
		err_set(e, "%s: cannot open (out of memory)", st->path);
	else if (store_out_of_space(st))
		err_set(e, "%s: the disk is full (or the file size limit was reached): nothing more"
			   " can be written; free some space and retry (%s)", st->path,
			sqlite3_errmsg(st->db));
	else
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(st->db));
}

int store_exec(struct store *st, const char *sql, struct err *e)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_set_err(st, e);
		return -1;
	}
	return 0;
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql, struct err *e)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_set_err(st, e);
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
		store_set_err(st, e);
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
		store_set_err(st, e);
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
		store_set_err(st, e);
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
			store_set_err(st, e);
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

/* Creates the database's folder 0700 (and parents) when it does not exist yet.
 * Existing folders, and links to folders, are left exactly as they are. */
static int store_make_parent(const char *path, struct err *e)
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

/* Size of path + suffix (not following a link), or -1 when it does not exist. */
static off_t store_side_size(const char *path, const char *suffix)
{
	char buf[STORE_PATH_MAX + 8];
	struct stat sb;

	snprintf(buf, sizeof buf, "%s%s", path, suffix);
	return lstat(buf, &sb) == 0 ? sb.st_size : -1;
}

/*
 * Looks at the database file itself without following a link: 1 and *sb when it
 * exists, 0 when it does not, -1 with e set when it is a link or not a regular
 * file. Only the last component matters: folders on the way may be links
 * (~/.local/share -> elsewhere, /home -> /var/home).
 */
static int store_lstat(const char *path, struct stat *sb, struct err *e)
{
	if (lstat(path, sb) != 0) {
		if (errno == ENOENT)
			return 0;
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(sb->st_mode)) {
		err_set(e, "%s is a symbolic link: opsdeck does not open its database through a link"
			   " (give the file's real path with --db or OPSDECK_DB)", path);
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		err_set(e, "%s is not a regular file", path);
		return -1;
	}
	return 1;
}

/* SQLite will not open a -wal or -shm that is a link either: say so clearly. */
static int store_check_sides(const char *path, struct err *e)
{
	static const char *const suffix[] = { "-wal", "-shm" };
	char buf[STORE_PATH_MAX + 8];
	struct stat sb;

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", path, suffix[i]);
		if (lstat(buf, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			err_set(e, "%s is a symbolic link: opsdeck does not open its database's"
				   " files through a link (remove it)", buf);
			return -1;
		}
	}
	return 0;
}

/*
 * Opens the existing file without following a link and checks it is the one lstat
 * saw. Closing any descriptor of a file drops every POSIX lock this process holds
 * on it, SQLite's included: so this is used only while no connection of this
 * process has the file open (store_copy_out, after closing its own).
 */
static int store_open_nofollow(const char *path, const struct stat *seen, struct err *e)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, "%s: %s", path, errno == ELOOP ? "is a symbolic link: opsdeck does not"
			" open its database through a link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || sb.st_dev != seen->st_dev || sb.st_ino != seen->st_ino) {
		err_set(e, "%s changed while it was being opened", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * SQLite resolves links itself (folders and file) and names the file it opened:
 * that must be the file lstat saw, or a link was swapped in meanwhile.
 */
static int store_same_file(sqlite3 *db, const struct stat *seen, const char *path,
			   struct err *e)
{
	const char *name = sqlite3_db_filename(db, "main");
	struct stat b;

	if (!name || !*name || stat(name, &b) != 0 || seen->st_dev != b.st_dev ||
	    seen->st_ino != b.st_ino) {
		err_set(e, "%s changed while it was being opened (replaced by a link?)", path);
		return -1;
	}
	return 0;
}

/* The warning for a file others may read (group or other permission bits). */
static void store_note_open_modes(struct store *st, mode_t mode)
{
	if (!(mode & 077))
		return;
	snprintf(st->warning, sizeof st->warning,
		 "%s is open to others (mode %04o): the shift log and incidents can be read by"
		 " them; chmod 600 it if that is not meant", st->path, (unsigned)(mode & 07777));
}

/*
 * Writing refuses a file it must not change: read-only (opsdeck does not change
 * modes of files it did not create), or open to others outside the owner and the
 * file's group. Group access is the team database's (issue 14: 0660 in a setgid
 * 2770 folder); until team databases are told apart from personal ones by their
 * folder, a group-shared file is allowed with the open warning.
 */
static int store_check_writable(const char *path, mode_t mode, struct err *e)
{
	if (!(mode & 0222)) {
		err_set(e, "%s is read-only (mode %04o): opsdeck does not change the mode of a file"
			   " it did not create; make it writable (chmod u+w) to write to it",
			path, (unsigned)(mode & 07777));
		return -1;
	}
	if (mode & 0007) {
		err_set(e, "%s is too open (mode %04o): others can %s it; opsdeck will not write"
			   " to a database open to others outside its group (chmod o-rwx it)",
			path, (unsigned)(mode & 07777), (mode & 0002) ? "change" : "read");
		return -1;
	}
	if (access(path, W_OK) != 0) {
		err_set(e, "%s: not writable by you: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Copies the rest of fd into a new file at dst (mode 0600). */
static int store_copy_fd(int fd, const char *dst, struct err *e)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;

	if (out < 0) {
		err_set(e, "%s: %s", dst, strerror(errno));
		return -1;
	}
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				err_set(e, "%s: %s", dst, strerror(errno));
				goto out;
			}
			done += w;
		}
		off += n;
	}
	if (n < 0) {
		err_set(e, "read: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (close(out) != 0 && rc == 0) {
		err_set(e, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

/*
 * A WAL with content but no -shm where none can be made (read-only folder or
 * media, full disk): SQLite cannot read it in place. The database and its WAL are
 * copied into a private temporary folder, which store_close removes, and read
 * there; the original is not touched.
 */
static int store_copy_out(struct store *st, const struct stat *seen, char *copy, size_t len,
			  struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	char wal[STORE_PATH_MAX + 80];
	int fd = -1, wfd = -1;
	int rc = -1;

	/* Our failed connection goes first: see store_open_nofollow. */
	sqlite3_close(st->db);
	st->db = NULL;
	if ((fd = store_open_nofollow(st->path, seen, e)) < 0)
		return -1;

	snprintf(st->tmpdir, sizeof st->tmpdir, "%s/opsdeck-ro.XXXXXX",
		 tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(st->tmpdir)) {
		err_set(e, "%s: cannot make a private copy to read its WAL: %s", st->path,
			strerror(errno));
		st->tmpdir[0] = '\0';
		goto out;
	}
	snprintf(copy, len, "%s/opsdeck.db", st->tmpdir);
	snprintf(wal, sizeof wal, "%s-wal", st->path);
	if ((wfd = open(wal, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		err_set(e, "%s: %s", wal, strerror(errno));
		goto out;
	}
	if (store_copy_fd(fd, copy, e))
		goto out;
	snprintf(wal, sizeof wal, "%s-wal", copy);
	if (store_copy_fd(wfd, wal, e))
		goto out;
	rc = 0;
out:
	if (wfd >= 0)
		close(wfd);
	close(fd);
	return rc;
}

/* Removes the temporary copy made by store_copy_out. */
static void store_remove_copy(struct store *st)
{
	static const char *const files[] = { "opsdeck.db", "opsdeck.db-wal", "opsdeck.db-shm" };
	char buf[STORE_PATH_MAX + 32];

	if (!st->tmpdir[0])
		return;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(buf, sizeof buf, "%s/%s", st->tmpdir, files[i]);
		unlink(buf);
	}
	rmdir(st->tmpdir);
	st->tmpdir[0] = '\0';
}

/* "file:" and path with every byte outside [A-Za-z0-9/._~-] percent-encoded. */
static void store_uri(char *out, size_t len, const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(out, len, "file:");

	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < len; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._~-", *p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	snprintf(out + n, len - n, "?%s", query);
}

/* True when no SQLite writer can be at work on this file now or start while we
 * read: nobody may write it, its folder is read-only, or the disk is full. */
static bool store_no_writer_possible(const char *path, mode_t mode)
{
	char dir[STORE_PATH_MAX];
	struct statvfs vfs;
	unsigned long long avail;

	if (!(mode & 0222))
		return true;
	store_dir_of(path, dir, sizeof dir);
	if (access(dir, W_OK) != 0)
		return true;
	if (statvfs(dir, &vfs) != 0)
		return false;
	if (vfs.f_flag & ST_RDONLY)
		return true;
	avail = (unsigned long long)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;
	return avail < 64 * 1024; /* less than a -shm and a few WAL frames */
}

/*
 * Opens uri into st->db for reading and reads the schema version; -1 with e set.
 * rw: opened read-write but query_only (see store_open_read), else read-only.
 */
static int store_try_read(struct store *st, const char *uri, bool rw, struct err *e)
{
	int flags = (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_URI;
	int v;

	sqlite3_close(st->db);
	st->db = NULL;
	if (sqlite3_open_v2(uri, &st->db, flags, NULL) != SQLITE_OK) {
		store_set_err(st, e);
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_exec(st->db, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK) {
		store_set_err(st, e);
		return -1;
	}
	v = read_schema_version(st, e);
	if (v < 0)
		store_set_err(st, e);
	return v;
}

/* True when the last error is not about files that could not be made. */
static bool store_err_is_final(struct store *st)
{
	static const int final[] = { SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_NOTADB,
				     SQLITE_NOMEM, SQLITE_PERM, SQLITE_AUTH };
	int prim = st->db ? sqlite3_extended_errcode(st->db) & 0xff : SQLITE_NOMEM;

	for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
		if (prim == final[i])
			return true;
	return false;
}

/*
 * A read-only file from an older opsdeck cannot be migrated in place: it is
 * copied into memory (SQLite's backup) and migrated there, so reading commands
 * see the current schema and the file stays as it is.
 */
static int store_migrate_in_memory(struct store *st, struct err *e)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *b = NULL;
	int rc = -1;

	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		err_set(e, "out of memory");
		goto out;
	}
	if (st->db) {
		b = sqlite3_backup_init(mem, "main", st->db, "main");
		if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE) {
			err_set(e, "%s: %s", st->path, sqlite3_errmsg(mem));
			sqlite3_backup_finish(b);
			goto out;
		}
		sqlite3_backup_finish(b);
	}
	sqlite3_close(st->db);
	st->db = mem;
	mem = NULL;
	sqlite3_extended_result_codes(st->db, 1);
	rc = migrate(st, e);
out:
	sqlite3_close(mem);
	return rc;
}

int store_open(const char *path, struct store **out, struct err *e)
{
	struct store *st = NULL;
	struct stat sb;
	mode_t old_umask;
	int fd = -1;
	int v, r;
	int rc = -1;

	*out = NULL;
	if (!path || !*path || strlen(path) >= STORE_PATH_MAX) {
		err_set(e, "no database path");
		return -1;
	}
	if (store_make_parent(path, e))
		return -1;
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		err_set(e, "out of memory");
		goto out;
	}
	if ((r = store_lstat(path, &sb, e)) < 0 || store_check_sides(path, e))
		goto out;
	if (r == 0) {
		/* Ours: created 0600 whatever the umask; SQLite gives -wal and -shm this mode. */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, 0600) != 0 || fstat(fd, &sb) != 0) {
			err_set(e, "%s: %s", path, strerror(errno));
			goto out;
		}
		/* Closed before SQLite opens it (see store_open_nofollow). */
		close(fd);
		fd = -1;
	} else {
		if (store_check_writable(path, sb.st_mode, e))
			goto out;
		store_note_open_modes(st, sb.st_mode);
	}
	old_umask = umask(077);
	r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
	umask(old_umask);
	if (r != SQLITE_OK) {
		if (st->db)
			store_set_err(st, e);
		else
			err_set(e, "%s: cannot open", path);
		goto out;
	}
	if (store_same_file(st->db, &sb, path, e))
		goto out;
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* Look before writing anything: a newer file must not be modified. */
	v = read_schema_version(st, e);
	if (v < 0)
		goto out;
	if (v > N_MIGRATIONS) {
		err_set(e, "%s: database schema version %d is newer than this opsdeck supports (%d);"
			   " upgrade opsdeck (the file was not modified)", path, v, N_MIGRATIONS);
		goto out;
	}
	old_umask = umask(077);
	r = store_exec(st, "PRAGMA journal_mode = WAL", e) ||
	    store_exec(st, "PRAGMA synchronous = FULL", e) ||
	    store_exec(st, "PRAGMA foreign_keys = ON", e) ||
	    /* Statement journals and sorts in memory: no temp file opened per change. */
	    store_exec(st, "PRAGMA temp_store = MEMORY", e) || migrate(st, e);
	umask(old_umask);
	if (r)
		goto out;
	st->data_version = read_data_version(st);
	*out = st;
	st = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	store_close(&st);
	return rc;
}

int store_open_read(const char *path, struct store **out, struct err *e)
{
	struct store *st = NULL;
	struct stat sb;
	char uri[3 * STORE_PATH_MAX + 64];
	char copy[STORE_PATH_MAX + 64];
	off_t shm, wal;
	int v = 0, r;
	int rc = -1;

	*out = NULL;
	if (!path || !*path || strlen(path) >= STORE_PATH_MAX) {
		err_set(e, "no database path");
		return -1;
	}
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		err_set(e, "out of memory");
		goto out;
	}
	st->readonly = true;
	if ((r = store_lstat(path, &sb, e)) < 0 || (r == 1 && store_check_sides(path, e)))
		goto out;
	if (r == 0) {
		/* Nothing recorded yet: an empty database in memory, and no file made. */
		if (store_migrate_in_memory(st, e))
			goto out;
		goto done;
	}
	store_note_open_modes(st, sb.st_mode);
	shm = store_side_size(path, "-shm");
	wal = store_side_size(path, "-wal");
	v = -1;
	/* A -shm in use, or a place where a writer may work: read as SQLite readers do,
	 * in step with the writers. A file we may write is opened read-write but
	 * query_only, so that as the last connection SQLite removes the -wal and -shm
	 * it made (a read-only connection would leave them behind). */
	if (shm > 0 || !store_no_writer_possible(path, sb.st_mode)) {
		bool rw = (sb.st_mode & S_IWUSR) && access(path, W_OK) == 0;

		store_uri(uri, sizeof uri, path, rw ? "mode=rw" : "mode=ro");
		v = store_try_read(st, uri, rw, e);
		st->rw_query_only = v >= 0 && rw;
		/* Only a -shm or -wal that could not be made sends us on; a writer at work
		 * (busy) or a damaged file is an answer. */
		if (v < 0 && (shm > 0 || store_err_is_final(st)))
			goto out;
	}
	/* No -shm and none can be made, so no writer is at work: without a WAL the file
	 * cannot change under us (immutable: no locks, no files); with one, a copy. */
	if (v < 0 && wal <= 0) {
		store_uri(uri, sizeof uri, path, "immutable=1");
		v = store_try_read(st, uri, false, e);
	} else if (v < 0) {
		if (store_copy_out(st, &sb, copy, sizeof copy, e))
			goto out;
		store_uri(uri, sizeof uri, copy, "mode=ro");
		v = store_try_read(st, uri, false, e);
	}
	if (v < 0)
		goto out;
	if (!st->tmpdir[0] && store_same_file(st->db, &sb, path, e))
		goto out;
	if (v > N_MIGRATIONS) {
		err_set(e, "%s: database schema version %d is newer than this opsdeck supports (%d);"
			   " upgrade opsdeck (the file was not modified)", path, v, N_MIGRATIONS);
		goto out;
	}
	if (v < N_MIGRATIONS && store_migrate_in_memory(st, e))
		goto out;
done:
	if (store_exec(st, "PRAGMA temp_store = MEMORY", e) ||
	    store_exec(st, "PRAGMA query_only = ON", e))
		goto out;
	st->data_version = read_data_version(st);
	*out = st;
	st = NULL;
	rc = 0;
out:
	store_close(&st);
	return rc;
}

int store_fts_check(struct store *st, const char *table, struct err *e)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *b = NULL;
	char *sql = NULL;
	struct stat sb;
	int rc = -1;

	for (const char *p = table; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
			err_set(e, "bad FTS table name");
			return -1;
		}
	if (!(sql = sqlite3_mprintf("INSERT INTO %s(%s, rank) VALUES ('integrity-check', 1)",
				   table, table))) {
		err_set(e, "out of memory");
		return -1;
	}
	if (!st->readonly) {
		rc = store_exec(st, sql, e);
		goto out;
	}
	/* Our own file, opened read-write but query_only: the check changes nothing, so
	 * it runs in place with query_only lifted for that one statement. */
	if (st->rw_query_only) {
		struct err off = {{0}};

		rc = store_exec(st, "PRAGMA query_only = OFF", e) ? -1 : store_exec(st, sql, e);
		if (store_exec(st, "PRAGMA query_only = ON", &off) && rc == 0) {
			err_set(e, "%s", off.msg);
			rc = -1;
		}
		goto out;
	}
	/* A file we may not write (an archive, read-only media): FTS5's check is an
	 * INSERT, refused on a read-only connection, so it runs on a copy in memory
	 * (SQLite >= 3.44 would do it in PRAGMA integrity_check) when that copy is small
	 * enough; a larger one is not copied (1 if skipped). */
	if (stat(st->path, &sb) == 0 && sb.st_size > STORE_FTS_COPY_MAX) {
		rc = 1;
		goto out;
	}
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		err_set(e, "out of memory");
		goto out;
	}
	b = sqlite3_backup_init(mem, "main", st->db, "main");
	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		err_set(e, "%s: copy for the FTS check: %s", st->path, sqlite3_errmsg(mem));
		sqlite3_backup_finish(b);
		goto out;
	}
	sqlite3_backup_finish(b);
	if (sqlite3_exec(mem, sql, NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, "%s: %s", st->path, sqlite3_errmsg(mem));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(mem);
	sqlite3_free(sql);
	return rc;
}

const char *store_warning(const struct store *st)
{
	return st && st->warning[0] ? st->warning : NULL;
}

bool store_readonly(const struct store *st)
{
	return st->readonly;
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
	store_remove_copy(st);
	free(st->path);
	free(st);
	*stp = NULL;
}
