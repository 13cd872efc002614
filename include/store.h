/*
 * store: the one SQLite file opsdeck keeps (schedules, incidents, the shift log).
 *
 * store_open creates the folder 0700 and the file (and its -wal/-shm) 0600 whatever
 * the umask, sets WAL, foreign keys, a busy timeout and synchronous=FULL, and applies
 * the numbered migrations in core/store.c, recording each in schema_version. A
 * database written by a newer opsdeck (a higher schema version) is refused and left
 * untouched. store_changed polls PRAGMA data_version, so a console sees what another
 * process wrote without reopening.
 */
#ifndef OPSDECK_STORE_H
#define OPSDECK_STORE_H

#include <stdbool.h>
#include <sqlite3.h>

#include "err.h"

struct store;

/* The schema version this binary writes (the last migration's number). */
int store_schema_latest(void);

/*
 * Opens (creating if needed) the database at path. On success sets *out to a new
 * store the caller owns (free with store_close) and returns 0. On failure returns
 * -1 with a message in e; nothing is left open.
 */
int store_open(const char *path, struct store **out, struct err *e);

/* Closes the store and sets *st to NULL. Safe with NULL or *st == NULL. */
void store_close(struct store **st);

/* The underlying connection, owned by the store. */
sqlite3 *store_db(struct store *st);

/* The path the store was opened with (owned by the store). */
const char *store_path(const struct store *st);

/* The schema version recorded in the file. */
int store_schema_version(struct store *st);

/*
 * True when another connection has committed since the last call (PRAGMA
 * data_version). The first call after open returns false.
 */
bool store_changed(struct store *st);

/*
 * Transactions. store_begin starts BEGIN IMMEDIATE (the write lock is taken now,
 * so writers queue on the busy timeout instead of failing at commit). Each returns
 * 0 or -1 with e set.
 */
int store_begin(struct store *st, struct err *e);
int store_commit(struct store *st, struct err *e);
void store_rollback(struct store *st);

/* True while a transaction is open on this connection. */
bool store_in_txn(struct store *st);

/* Runs one SQL statement without parameters (pragmas, DDL). 0 or -1 with e set. */
int store_exec(struct store *st, const char *sql, struct err *e);

/*
 * A cached prepared statement for sql, which must be a string literal (the
 * pointer is the cache key). The statement is reset and its bindings cleared;
 * the store owns it. Call store_stmt_done when finished stepping so no read
 * transaction is left open, and do not ask for the same literal again while
 * stepping it (it would be reset under you). NULL with e set on a prepare error.
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql, struct err *e);
void store_stmt_done(sqlite3_stmt *stmt);

/*
 * Prepares sql on the store's connection; on failure returns NULL with e set.
 * The caller finalises the statement.
 */
sqlite3_stmt *store_prepare(struct store *st, const char *sql, struct err *e);

#endif
