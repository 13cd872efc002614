/* store_sql: the store kit (see include/store_sql.h). */
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"

void store_bind_vals(sqlite3_stmt *s, const struct store_val *v, size_t n)
{
	int max = sqlite3_bind_parameter_count(s);

	for (size_t k = 0; k < n && (int)k < max; k++) {
		int i = (int)k + 1;

		if (v[k].t == 't' && v[k].s)
			sqlite3_bind_text(s, i, v[k].s, -1, SQLITE_TRANSIENT);
		else if (v[k].t == 'i' || (v[k].t == 'z' && v[k].i))
			sqlite3_bind_int64(s, i, v[k].i);
		else
			sqlite3_bind_null(s, i);
	}
}

sqlite3_stmt *store_query(struct store *st, const char *sql, const struct store_val *v, size_t n,
			  struct err *e)
{
	sqlite3_stmt *s = store_prepare(st, sql, e);

	if (s)
		store_bind_vals(s, v, n);
	return s;
}

sqlite3_stmt *store_cached(struct store *st, const char *sql, const struct store_val *v, size_t n,
			   struct err *e)
{
	sqlite3_stmt *s = store_stmt(st, sql, e);

	if (s)
		store_bind_vals(s, v, n);
	return s;
}

int store_run(struct store *st, const char *sql, const struct store_val *v, size_t n, struct err *e)
{
	sqlite3_stmt *s = store_cached(st, sql, v, n, e);
	int rc = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_DONE)
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	else
		rc = 0;
	store_stmt_done(s);
	return rc;
}

int store_int(struct store *st, const char *sql, const struct store_val *v, size_t n, int64_t def,
	      int64_t *out, struct err *e)
{
	sqlite3_stmt *s = store_cached(st, sql, v, n, e);
	int r = 0;

	if (!s)
		return -1;
	r = sqlite3_step(s);
	*out = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : def;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	store_stmt_done(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

char *store_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

int store_txn_begin(struct store *st, struct store_txn *t, struct err *e)
{
	t->own = !store_in_txn(st);
	t->open = false;
	if (t->own && store_begin(st, e))
		return -1;
	t->open = true;
	return 0;
}

int store_txn_commit(struct store *st, struct store_txn *t, struct err *e)
{
	if (!t->open)
		return -1;
	t->open = false;
	return t->own ? store_commit(st, e) : 0;
}

void store_txn_abort(struct store *st, struct store_txn *t)
{
	if (!t->open)
		return;
	t->open = false;
	if (t->own)
		store_rollback(st);
}

void store_sql_init(struct store_sql *q, const char *head)
{
	q->used = 0;
	q->nv = 0;
	q->overflow = false;
	q->text[0] = '\0';
	store_sql_cat(q, head);
}

void store_sql_cat(struct store_sql *q, const char *text)
{
	size_t n = strlen(text);

	if (q->overflow || q->used + n >= sizeof q->text) {
		q->overflow = true;
		return;
	}
	memcpy(q->text + q->used, text, n + 1);
	q->used += n;
}

void store_sql_val(struct store_sql *q, struct store_val v)
{
	if (q->nv >= STORE_SQL_VALS) {
		q->overflow = true;
		return;
	}
	q->v[q->nv++] = v;
}

void store_sql_and(struct store_sql *q, const char *cond, struct store_val v)
{
	store_sql_cat(q, " AND ");
	store_sql_cat(q, cond);
	store_sql_val(q, v);
}

void store_sql_in(struct store_sql *q, const char *column, const struct store_val *v, size_t n)
{
	if (n == 0) {
		store_sql_cat(q, " AND 0");
		return;
	}
	store_sql_cat(q, " AND ");
	store_sql_cat(q, column);
	store_sql_cat(q, " IN (");
	for (size_t k = 0; k < n; k++) {
		store_sql_cat(q, k ? ", ?" : "?");
		store_sql_val(q, v[k]);
	}
	store_sql_cat(q, ")");
}

sqlite3_stmt *store_sql_prepare(struct store *st, const struct store_sql *q, struct err *e)
{
	if (q->overflow) {
		err_set(e, "filter too long");
		return NULL;
	}
	return store_query(st, q->text, q->v, q->nv, e);
}

/* s with each byte in esc preceded by ch, between open and close. */
static char *store_quote(const char *s, char open, char close, const char *esc, char ch)
{
	size_t n = strlen(s);
	char *p = malloc(2 * n + 3), *q = p;

	if (!p)
		return NULL;
	*q++ = open;
	for (; *s; s++) {
		if (strchr(esc, *s))
			*q++ = ch;
		*q++ = *s;
	}
	*q++ = close;
	*q = '\0';
	return p;
}

char *store_like_pattern(const char *s)
{
	return store_quote(s, '%', '%', "%_\\", '\\');
}

char *store_fts_phrase(const char *s)
{
	return store_quote(s, '"', '"', "\"", '"');
}
