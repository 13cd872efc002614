/*
 * store_sql: the store kit. What every module that talks SQL needs, once:
 * typed values bound to `?` parameters, one-shot helpers over the statement
 * cache, transactions that join the caller's, and a builder for queries whose
 * WHERE clause depends on a filter. Every value is bound, never printed into SQL.
 */
#ifndef OPSDECK_STORE_SQL_H
#define OPSDECK_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "err.h"
#include "store.h"

/* A value for one `?`. */
struct store_val {
	char t;       /* 'i' integer; 'z' integer, 0 binds NULL; 't' text, NULL binds NULL */
	int64_t i;
	const char *s;
};

#define STORE_INT(v) ((struct store_val){'i', (int64_t)(v), NULL})
#define STORE_OPT(v) ((struct store_val){'z', (int64_t)(v), NULL})
#define STORE_TEXT(v) ((struct store_val){'t', 0, (v)})
/* A literal array of values and its length, as two arguments. */
#define STORE_VALS(...) (const struct store_val[]){__VA_ARGS__}, \
	sizeof((const struct store_val[]){__VA_ARGS__}) / sizeof(struct store_val)

/* Binds v[0..n) to parameters 1..n of s (text is copied). */
void store_bind_vals(sqlite3_stmt *s, const struct store_val *v, size_t n);

/* Prepares sql (built at run time, or stepped while the caller runs other queries)
 * and binds v. The caller finalises. NULL with e set. */
sqlite3_stmt *store_query(struct store *st, const char *sql, const struct store_val *v, size_t n,
			  struct err *e);

/* The same for a string literal, from the statement cache (store_stmt): release with
 * store_stmt_done, never finalise. NULL with e set. */
sqlite3_stmt *store_cached(struct store *st, const char *sql, const struct store_val *v, size_t n,
			   struct err *e);

/* Runs one statement (a literal) to completion. 0, or -1 with e set. */
int store_run(struct store *st, const char *sql, const struct store_val *v, size_t n, struct err *e);

/* One integer from a one-row query (a literal); def when there is no row. 0, or -1
 * with e set. */
int store_int(struct store *st, const char *sql, const struct store_val *v, size_t n, int64_t def,
	      int64_t *out, struct err *e);

/* Column i as a new string (NULL for SQL NULL or no memory). The caller frees. */
char *store_col_dup(sqlite3_stmt *s, int i);

/*
 * A transaction of our own, or the caller's. Inside a caller's transaction a change
 * joins it without a savepoint (FTS5 writes out its pending index at every
 * savepoint); a change that fails there leaves part of itself in the caller's
 * transaction, which the caller must roll back.
 */
struct store_txn {
	bool own;
	bool open;
};

int store_txn_begin(struct store *st, struct store_txn *t, struct err *e);
int store_txn_commit(struct store *st, struct store_txn *t, struct err *e);
/* Undoes everything since store_txn_begin when the transaction is ours; after a
 * commit it does nothing. */
void store_txn_abort(struct store *st, struct store_txn *t);

/* ---- a query built from a filter ---- */

#define STORE_SQL_MAX 2048
#define STORE_SQL_VALS 32

struct store_sql {
	char text[STORE_SQL_MAX];
	size_t used;
	struct store_val v[STORE_SQL_VALS];
	size_t nv;
	bool overflow; /* text or values did not fit: store_sql_prepare refuses */
};

/* Starts a query with head ("SELECT ... FROM t WHERE 1"). */
void store_sql_init(struct store_sql *q, const char *head);
/* Appends SQL text; text must be a literal of the caller's, never data. */
void store_sql_cat(struct store_sql *q, const char *text);
/* Adds the value of the next `?` in the text. */
void store_sql_val(struct store_sql *q, struct store_val v);
/* " AND cond" with one `?` in cond, and its value. */
void store_sql_and(struct store_sql *q, const char *cond, struct store_val v);
/* " AND column IN (?, ?, ...)" with n values; n == 0 matches nothing. */
void store_sql_in(struct store_sql *q, const char *column, const struct store_val *v, size_t n);
/* Prepares and binds the query (the caller finalises); NULL with e set, "filter too
 * long" when it overflowed. */
sqlite3_stmt *store_sql_prepare(struct store *st, const struct store_sql *q, struct err *e);

/* "%x\_y%" for `LIKE ? ESCAPE '\'`: matches s literally, anywhere. The caller frees;
 * NULL when memory runs out. */
char *store_like_pattern(const char *s);

/* s as one FTS5 phrase ("..." with inner quotes doubled): typed text never reads as
 * FTS syntax. The caller frees; NULL when memory runs out. */
char *store_fts_phrase(const char *s);

#endif
