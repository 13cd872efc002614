/* Unit tests for core/store: permissions, pragmas, migrations, newer schema refused, data_version. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
	assert_int_equal(chmod(db, 0600), 0); /* a writer refuses a file open to others */
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


/* Number of entries in a folder (not counting . and ..). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de = NULL;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *buf = slurp(from, &len);
	FILE *f = fopen(to, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

/* A database with table t holding n rows, written by store_open (mode 0600). */
static void make_db(const char *db, int n)
{
	struct store *st = NULL;
	struct err e = { { 0 } };
	char sql[64];

	assert_int_equal(store_open(db, &st, &e), 0);
	assert_int_equal(store_exec(st, "CREATE TABLE t(x)", &e), 0);
	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d)", i);
		assert_int_equal(store_exec(st, sql, &e), 0);
	}
	store_close(&st);
}

/* Medium 10: a 0444 database read by a reading command keeps its mode, its bytes,
 * and its folder gets no -wal/-shm; writing refuses it with a message. */
static void test_read_only_file_changes_nothing(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "ro.db");
	struct store *st = NULL;
	struct err e = { { 0 } };
	char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;

	make_db(db, 3);
	assert_int_equal(chmod(db, 0444), 0);
	before = slurp(db, &blen);
	assert_int_equal(count_entries(dir), 1);

	assert_int_equal(store_open_read(db, &st, &e), 0);
	assert_true(store_readonly(st));
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM t"), 3);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	/* 0444 is readable by others: a warning, not a refusal. */
	assert_non_null(store_warning(st));
	assert_non_null(strstr(store_warning(st), "open to others (mode 0444)"));
	/* FTS5's check (an INSERT) works on a reading store too. */
	assert_int_equal(store_fts_check(st, "log_fts", &e), 0);
	/* Writes fail on a reading store. */
	assert_int_equal(store_exec(st, "INSERT INTO t VALUES (9)", &e), -1);
	store_close(&st);

	assert_int_equal(mode_of(db), 0444);
	assert_int_equal(count_entries(dir), 1); /* no -wal, no -shm */
	after = slurp(db, &alen);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);

	/* Writing refuses it and leaves the mode as it is. */
	assert_int_equal(store_open(db, &st, &e), -1);
	assert_null(st);
	assert_non_null(strstr(e.msg, "is read-only (mode 0444)"));
	assert_int_equal(mode_of(db), 0444);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* An archived copy (database and WAL, no -shm) that nobody may write: what the
 * WAL holds is read, from a private copy, and nothing is added next to it. */
static void test_read_wal_without_shm(void **state)
{
	char *dir = tu_tmpdir();
	char *tmp = tu_tmpdir();
	char *live = tu_join(dir, "live.db");
	char *live_wal = tu_join(dir, "live.db-wal");
	char *arch = tu_join(dir, "archive");
	char *copy = tu_join(arch, "opsdeck.db");
	char *copy_wal = tu_join(arch, "opsdeck.db-wal");
	const char *old_tmp = getenv("TMPDIR");
	char *saved_tmp = old_tmp ? strdup(old_tmp) : NULL;
	struct store *w = NULL, *st = NULL;
	struct err e = { { 0 } };

	make_db(live, 2);
	/* A writer that keeps its rows in the WAL (no checkpoint) while the files are copied. */
	assert_int_equal(store_open(live, &w, &e), 0);
	assert_int_equal(store_exec(w, "PRAGMA wal_autocheckpoint = 0", &e), 0);
	assert_int_equal(store_exec(w, "INSERT INTO t VALUES (100), (101), (102)", &e), 0);
	assert_int_equal(mkdir(arch, 0700), 0);
	copy_file(live, copy);
	copy_file(live_wal, copy_wal);
	store_close(&w);
	assert_int_equal(chmod(copy, 0400), 0);

	setenv("TMPDIR", tmp, 1);
	assert_int_equal(store_open_read(copy, &st, &e), 0);
	assert_null(store_warning(st));
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM t"), 5);
	assert_int_equal(count_entries(arch), 2); /* no -shm next to the archive */
	store_close(&st);
	assert_int_equal(count_entries(tmp), 0); /* the private copy is gone */
	assert_int_equal(count_entries(arch), 2);
	if (saved_tmp)
		setenv("TMPDIR", saved_tmp, 1);
	else
		unsetenv("TMPDIR");
	free(saved_tmp);
	tu_rmrf(dir);
	tu_rmrf(tmp);
	free(dir);
	free(tmp);
	free(live);
	free(live_wal);
	free(arch);
	free(copy);
	free(copy_wal);
}

/* The FTS check finds an index entry without content, on a reading store too. */
static void test_fts_check_read_only(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "fts.db");
	struct store *st = NULL;
	struct err e = { { 0 } };
	sqlite3 *raw = NULL;

	make_db(db, 1);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO log_fts(rowid, text, host) VALUES (999, 'ghost',"
					   " NULL)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(chmod(db, 0400), 0);
	assert_int_equal(store_open_read(db, &st, &e), 0);
	assert_int_equal(store_fts_check(st, "log_fts", &e), -1);
	assert_non_null(strstr(e.msg, "malformed"));
	assert_int_equal(store_fts_check(st, "log_fts; DROP TABLE t", &e), -1);
	store_close(&st);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* A reading command on the user's own database leaves no -wal/-shm behind. */
static void test_read_own_file_leaves_nothing(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "own.db");
	struct store *st = NULL;
	struct err e = { { 0 } };
	char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;

	make_db(db, 2);
	before = slurp(db, &blen);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(store_open_read(db, &st, &e), 0);
	assert_null(store_warning(st));
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM t"), 2);
	assert_int_equal(store_exec(st, "INSERT INTO t VALUES (9)", &e), -1);
	store_close(&st);
	assert_int_equal(count_entries(dir), 1);
	after = slurp(db, &alen);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);
	assert_int_equal(mode_of(db), 0600);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* A file from an older opsdeck (here: no migration recorded) is read through a
 * copy migrated in memory; the file stays as it was. */
static void test_read_older_schema_in_memory(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "old.db");
	struct store *st = NULL;
	struct err e = { { 0 } };
	sqlite3 *raw = NULL;
	char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;

	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE schema_version(version INTEGER PRIMARY KEY,"
					   " applied_at INTEGER NOT NULL); CREATE TABLE old(x);"
					   "INSERT INTO old VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(chmod(db, 0600), 0);
	before = slurp(db, &blen);
	assert_int_equal(store_open_read(db, &st, &e), 0);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM old"), 1);
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM log_entries"), 0);
	assert_int_equal(store_exec(st, "INSERT INTO old VALUES (2)", &e), -1);
	store_close(&st);
	after = slurp(db, &alen);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);
	assert_int_equal(count_entries(dir), 1);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* A reading command on a database that does not exist yet makes no file. */
static void test_read_missing_makes_nothing(void **state)
{
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "sub/none.db");
	struct store *st = NULL;
	struct err e = { { 0 } };

	assert_int_equal(store_open_read(db, &st, &e), 0);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(pragma_int(st, "SELECT count(*) FROM log_entries"), 0);
	store_close(&st);
	assert_int_equal(count_entries(dir), 0);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* Medium 10: writing refuses a file open to others; group read opens with a warning. */
static void test_write_refuses_open_modes(void **state)
{
	static const struct {
		int mode;
		const char *refusal; /* NULL: opens */
	} cases[] = {
		{ 0644, "is too open (mode 0644): others can read it" },
		{ 0604, "is too open (mode 0604)" },
		{ 0606, "is too open (mode 0606): others can change it" },
		{ 0602, "is too open (mode 0602)" },
		{ 0640, NULL },
		{ 0660, NULL }, /* a group-shared (team) database */
		{ 0600, NULL },
	};
	char *dir = tu_tmpdir();
	char *db = tu_join(dir, "modes.db");
	struct store *st = NULL;
	struct err e = { { 0 } };

	make_db(db, 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(chmod(db, (mode_t)cases[i].mode), 0);
		if (cases[i].refusal) {
			assert_int_equal(store_open(db, &st, &e), -1);
			assert_non_null(strstr(e.msg, cases[i].refusal));
		} else {
			assert_int_equal(store_open(db, &st, &e), 0);
			assert_true((store_warning(st) != NULL) == ((cases[i].mode & 077) != 0));
			store_close(&st);
		}
		assert_int_equal(mode_of(db), cases[i].mode);
		/* Reading always works; any group/other bit gives a warning. */
		assert_int_equal(store_open_read(db, &st, &e), 0);
		assert_true((store_warning(st) != NULL) == ((cases[i].mode & 077) != 0));
		store_close(&st);
		assert_int_equal(mode_of(db), cases[i].mode);
	}
	tu_rmrf(dir);
	free(dir);
	free(db);
}

/* Medium 9: folders on the way may be links; the database file itself may not. */
static void test_symlinks(void **state)
{
	char *dir = tu_tmpdir();
	char *real = tu_join(dir, "real");
	char *link = tu_join(dir, "link");
	char *via = tu_join(dir, "link/opsdeck.db");
	char *target = tu_join(dir, "target.db");
	char *dblink = tu_join(dir, "dblink.db");
	char *via_wal = tu_join(dir, "link/opsdeck.db-wal");
	struct store *st = NULL;
	struct err e = { { 0 } };

	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(store_open(via, &st, &e), 0);
	assert_int_equal(store_exec(st, "CREATE TABLE t(x)", &e), 0);
	store_close(&st);
	assert_int_equal(store_open_read(via, &st, &e), 0);
	store_close(&st);
	assert_int_equal(mode_of(real), 0755); /* a folder it did not create keeps its mode */

	make_db(target, 1);
	assert_int_equal(symlink(target, dblink), 0);
	assert_int_equal(store_open(dblink, &st, &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link"));
	assert_int_equal(store_open_read(dblink, &st, &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link"));
	assert_null(st);
	assert_int_equal(mode_of(target), 0600);

	/* A -wal that is a link: refused, its target untouched. */
	assert_int_equal(unlink(dblink), 0);
	assert_int_equal(chmod(target, 0644), 0);
	assert_int_equal(symlink(target, via_wal), 0);
	assert_int_equal(store_open(via, &st, &e), -1);
	assert_non_null(strstr(e.msg, "opsdeck.db-wal is a symbolic link"));
	assert_int_equal(store_open_read(via, &st, &e), -1);
	assert_non_null(strstr(e.msg, "opsdeck.db-wal is a symbolic link"));
	assert_int_equal(mode_of(target), 0644);
	tu_rmrf(dir);
	free(dir);
	free(real);
	free(link);
	free(via);
	free(target);
	free(dblink);
	free(via_wal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_private_and_migrated),
		cmocka_unit_test(test_newer_schema_refused_untouched),
		cmocka_unit_test(test_data_version_sees_other_writer),
		cmocka_unit_test(test_transactions_and_errors),
		cmocka_unit_test(test_read_only_file_changes_nothing),
		cmocka_unit_test(test_read_wal_without_shm),
		cmocka_unit_test(test_read_missing_makes_nothing),
		cmocka_unit_test(test_read_own_file_leaves_nothing),
		cmocka_unit_test(test_read_older_schema_in_memory),
		cmocka_unit_test(test_fts_check_read_only),
		cmocka_unit_test(test_write_refuses_open_modes),
		cmocka_unit_test(test_symlinks),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
