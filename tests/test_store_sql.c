/* Unit tests for core/store_sql: bound values, the WHERE builder, quoting, joined transactions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "testutil.h"

struct fx {
	char *dir;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = {{0}};
	char *path = NULL;

	f->dir = tu_tmpdir();
	path = tu_join(f->dir, "t.db");
	assert_int_equal(store_open(path, &f->st, &e), 0);
	free(path);
	assert_int_equal(store_exec(f->st, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)", &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(&f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t count_where(struct store *st, struct store_sql *q)
{
	struct err e = {{0}};
	sqlite3_stmt *s = store_sql_prepare(st, q, &e);
	int64_t n = -1;

	assert_non_null(s);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void test_values_and_builder(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct store_sql q;
	int64_t v = 0;
	const struct store_val names[] = {STORE_TEXT("a"), STORE_TEXT("c")};

	/* Text that looks like SQL stays a value. */
	assert_int_equal(store_run(f->st, "INSERT INTO t (name, n) VALUES (?, ?)",
				   STORE_VALS(STORE_TEXT("a"), STORE_INT(1)), &e), 0);
	assert_int_equal(store_run(f->st, "INSERT INTO t (name, n) VALUES (?, ?)",
				   STORE_VALS(STORE_TEXT("b'); DROP TABLE t; --"), STORE_OPT(0)), &e), 0);
	assert_int_equal(store_run(f->st, "INSERT INTO t (name, n) VALUES (?, ?)",
				   STORE_VALS(STORE_TEXT(NULL), STORE_INT(3)), &e), 0);
	assert_int_equal(store_int(f->st, "SELECT count(*) FROM t WHERE n IS NULL", NULL, 0, -1, &v, &e), 0);
	assert_int_equal(v, 1); /* STORE_OPT(0) bound NULL */
	assert_int_equal(store_int(f->st, "SELECT count(*) FROM t WHERE name IS NULL", NULL, 0, -1, &v, &e), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_int(f->st, "SELECT n FROM t WHERE id = ?", STORE_VALS(STORE_INT(99)), 42, &v, &e), 0);
	assert_int_equal(v, 42); /* no row: the default */

	store_sql_init(&q, "SELECT count(*) FROM t WHERE 1");
	store_sql_in(&q, "name", names, 2);
	assert_int_equal(count_where(f->st, &q), 1);
	store_sql_init(&q, "SELECT count(*) FROM t WHERE 1");
	store_sql_in(&q, "name", names, 0);
	assert_int_equal(count_where(f->st, &q), 0); /* an empty set matches nothing */
	store_sql_init(&q, "SELECT count(*) FROM t WHERE 1");
	store_sql_and(&q, "n >= ?", STORE_INT(1));
	assert_int_equal(count_where(f->st, &q), 2);

	/* Too many values: refused, not truncated. */
	store_sql_init(&q, "SELECT count(*) FROM t WHERE 1");
	for (int i = 0; i < STORE_SQL_VALS + 1; i++)
		store_sql_and(&q, "n <> ?", STORE_INT(i));
	assert_null(store_sql_prepare(f->st, &q, &e));
	assert_string_equal(e.msg, "filter too long");
}

static void test_quoting(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	char *like = store_like_pattern("50%_a\\b");
	char *fts = store_fts_phrase("say \"hi\" OR x");
	int64_t v = 0;

	(void)f;
	assert_string_equal(like, "%50\\%\\_a\\\\b%");
	assert_string_equal(fts, "\"say \"\"hi\"\" OR x\"");
	assert_int_equal(store_run(f->st, "INSERT INTO t (name) VALUES ('x50%_a\\by')", NULL, 0, &e), 0);
	assert_int_equal(store_run(f->st, "INSERT INTO t (name) VALUES ('50 percent')", NULL, 0, &e), 0);
	assert_int_equal(store_int(f->st, "SELECT count(*) FROM t WHERE name LIKE ? ESCAPE '\\'",
				   STORE_VALS(STORE_TEXT(like)), -1, &v, &e), 0);
	assert_int_equal(v, 1); /* % and _ matched literally */
	free(like);
	free(fts);
}

static void test_txn_joins_callers(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct store_txn outer = {0}, inner = {0};
	int64_t v = 0;

	assert_int_equal(store_txn_begin(f->st, &outer, &e), 0);
	assert_true(outer.own);
	assert_int_equal(store_txn_begin(f->st, &inner, &e), 0);
	assert_false(inner.own); /* joined, no savepoint */
	assert_int_equal(store_run(f->st, "INSERT INTO t (name) VALUES ('in')", NULL, 0, &e), 0);
	assert_int_equal(store_txn_commit(f->st, &inner, &e), 0);
	assert_true(store_in_txn(f->st)); /* the inner commit did not end the caller's */
	store_txn_abort(f->st, &inner);    /* after commit: nothing */
	store_txn_abort(f->st, &outer);    /* ours: rolls back everything */
	assert_false(store_in_txn(f->st));
	assert_int_equal(store_int(f->st, "SELECT count(*) FROM t WHERE name = 'in'", NULL, 0, -1, &v, &e), 0);
	assert_int_equal(v, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_and_builder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_joins_callers, setup, teardown),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
