/*
 * store: the one SQLite file opsdeck keeps (schedules, incidents, the shift log).
 *
 * store_open (for writing) creates missing folders 0700 and a missing file 0600
 * whatever the umask (SQLite gives its -wal and -shm the file's mode), sets WAL,
 * foreign keys, a busy timeout and synchronous=FULL, and applies the numbered
 * migrations in core/store.c, recording each in schema_version. It sets modes only
 * on what it creates. A database written by a newer opsdeck (a higher schema
 * version) is refused and left untouched. store_changed polls PRAGMA data_version,
 * so a console sees what another process wrote without reopening.
 *
 * store_open_read (for reading commands) changes nothing: no mode, no migration in
 * the file, no -wal/-shm made where none can or need be (a read-only folder or
 * media, a full disk, a file nobody may write); what a WAL holds is still seen.
 *
 * The database file itself must not be a symbolic link (folders on the way may be).
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
 * Opens (creating if needed) the database at path for writing. On success sets
 * *out to a new store the caller owns (free with store_close) and returns 0. On
 * failure returns -1 with a message in e; nothing is left open. Refused: a link, a
 * read-only file (mode without write bits), a file too open (any permission for
 * others, or group write). A group-readable file opens with a store_warning.
 */
int store_open(const char *path, struct store **out, struct err *e);

/*
 * Opens the database at path for reading only (query_only; writes fail). Nothing
 * in the file or its folder changes: no chmod, no migration (a file from an older
 * opsdeck is migrated in a copy in memory), and a missing file is an empty
 * database in memory (no file made). In a folder where a writer may work, SQLite
 * reads in step with writers: a file the user may write is opened read-write with
 * PRAGMA query_only (so the -wal/-shm SQLite makes are removed again when the last
 * connection closes, which also checkpoints what a crashed writer left in the
 * WAL), one they may not read-only (its -wal/-shm may stay). Where no writer can
 * work (read-only folder or media, full disk, no write bits) it reads without them,
 * and a WAL with content is read from a private temporary copy. A file open to
 * others (group or other bits) gives a store_warning. Ownership as store_open.
 */
int store_open_read(const char *path, struct store **out, struct err *e);

/* A warning from the open (the file is open to others), or NULL. Owned by the store. */
const char *store_warning(const struct store *st);

/* Largest read-only file store_fts_check copies into memory to check. */
#define STORE_FTS_COPY_MAX (64LL * 1024 * 1024)

/*
 * Runs FTS5's integrity-check on table (a plain lower-case name), against its
 * external content table too (rank 1). On a store from store_open_read it runs in
 * place when the file is ours to write (query_only lifted for the one statement,
 * which changes nothing), or on a copy in memory for a read-only file up to
 * STORE_FTS_COPY_MAX. 0 when the index matches its content; 1 when it was not
 * checked (a larger read-only file); -1 with e set (a mismatch reads "database
 * disk image is malformed").
 */
int store_fts_check(struct store *st, const char *table, struct err *e);

/* True for a store from store_open_read. */
bool store_readonly(const struct store *st);

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
