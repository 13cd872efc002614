/* Unit tests for core/store: permissions, pragmas, migrations, newer schema refused, data_version. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "testutil.h"

static int mode_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return -1;
	return (int)(sb.st_mode & 0777);
}

static int64_t pragma_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = store_prepare(st, sql, NULL);
	int64_t v = -1;

	assert_non_null(s);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_open_private_and_migrated(void **state)
{
	char *dir = tu_tmpdir();
	char *sub = tu_join(dir, "a/b");
	char *db = tu_join(sub, "opsdeck.db");
	char *wal = tu_join(sub, "opsdeck.db-wal");
	char *shm = tu_join(sub, "opsdeck.db-shm");
	struct store *st = NULL;
	struct err e = { { 0 } };
	sqlite3_stmt *s = NULL;
	mode_t old = umask(0); /* the most permissive umask: modes must still be private */

	assert_int_equal(store_open(db, &st, &e), 0);
	umask(old);
	assert_int_equal(mode_of(sub), 0700);
	assert_int_equal(mode_of(db), 0600);
	/* WAL and shm exist while the connection is open. */
	assert_int_equal(mode_of(wal), 0600);
	assert_int_equal(mode_of(shm), 0600);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(pragma_int(st, "PRAGMA foreign_keys"), 1);
	assert_int_equal(pragma_int(st, "PRAGMA synchronous"), 2); /* FULL */
	assert_true(pragma_int(st, "PRAGMA busy_timeout") >= 1000);
	s = store_prepare(st, "PRAGMA journal_mode", NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	/* One row per migration. */
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM schema_version"),
			 store_schema_latest());
	store_close(&st);
	assert_null(st);

	/* Reopening applies nothing twice. */
	assert_int_equal(store_open(db, &st, &e), 0);
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM schema_version"),
			 store_schema_latest());
	store_close(&st);
	tu_rmrf(dir);
	free(dir);
	free(sub);
	free(db);
	free(wal);
	free(shm);
}

/* Reads the whole file into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_newer_schema_refused_untouched(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "new.db");
	struct store *st = NULL;
	struct err e = { { 0 } };
	sqlite3 *raw = NULL;
	char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;
	struct stat sb1, sb2;

	/* A file from a future opsdeck: rollback journal, schema 999. */
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE schema_version(version INTEGER PRIMARY KEY,"
					   " applied_at INTEGER NOT NULL);"
					   "INSERT INTO schema_version VALUES (999, 0);"
					   "CREATE TABLE future(x);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	before = slurp(db, &blen);
	assert_int_equal(stat(db, &sb1), 0);

	assert_int_equal(store_open(db, &st, &e), -1);
	assert_null(st);
	assert_non_null(strstr(e.msg, "schema version 999 is newer"));
	assert_non_null(strstr(e.msg, "not modified"));

	after = slurp(db, &alen);
	assert_int_equal(stat(db, &sb2), 0);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);
	assert_int_equal(sb1.st_mode, sb2.st_mode);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

static void test_data_version_sees_other_writer(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "dv.db");
	struct store *a = NULL, *b = NULL;
	struct err e = { { 0 } };

	assert_int_equal(store_open(db, &a, &e), 0);
	assert_int_equal(store_open(db, &b, &e), 0);
	assert_false(store_changed(a));
	/* Own writes are not "changes by another"; another connection's are. */
	assert_int_equal(store_exec(a, "CREATE TABLE t(x)", &e), 0);
	assert_false(store_changed(a));
	assert_true(store_changed(b));
	assert_false(store_changed(b));
	assert_int_equal(store_exec(b, "INSERT INTO t VALUES (1)", &e), 0);
	assert_true(store_changed(a));
	store_close(&a);
	store_close(&b);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

static void test_transactions_and_errors(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "tx.db");
	struct store *st = NULL;
	struct err e = { { 0 } };

	assert_int_equal(store_open(db, &st, &e), 0);
	assert_false(store_in_txn(st));
	assert_int_equal(store_begin(st, &e), 0);
	assert_true(store_in_txn(st));
	assert_int_equal(store_exec(st, "CREATE TABLE t(x)", &e), 0);
	store_rollback(st);
	assert_false(store_in_txn(st));
	assert_int_equal(store_exec(st, "SELECT * FROM t", &e), -1);
	assert_non_null(strstr(e.msg, "no such table"));
	assert_null(store_prepare(st, "SELEC nonsense", &e));
	assert_non_null(strstr(e.msg, "syntax error"));
	store_close(&st);

	/* A path whose folder cannot be made. */
	assert_int_equal(store_open("/proc/opsdeck-no/x.db", &st, &e), -1);
	assert_null(st);
	assert_true(e.msg[0] != '\0');
	tu_rmrf(dir);
	free(dir);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_private_and_migrated),
		cmocka_unit_test(test_newer_schema_refused_untouched),
		cmocka_unit_test(test_data_version_sees_other_writer),
		cmocka_unit_test(test_transactions_and_errors),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
