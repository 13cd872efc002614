/*
 * Unit tests for core/retention and core/backup: retention deletes old probe
 * samples in bounded batches and clears old outputs but never touches the shift
 * log, and logs what it did; the backup and retention config maps; backups keep
 * N generations, their mode, and are logged; restore refuses a tampered copy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup.h"
#include "clock.h"
#include "probe.h"
#include "retention.h"
#include "shiftlog.h"
#include "testutil.h"

#define DAY_MS (24 * 3600 * 1000LL)
#define NOW_MS 1700000000000LL /* 2023-11-14T22:13:20Z */

struct fx {
	char *dir;
	char *db;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { { 0 } };

	f->dir = tu_tmpdir();
	f->db = tu_join(f->dir, "ops.db");
	if (store_open(f->db, &f->st, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(&f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	clock_unpin();
	return 0;
}

static void add_entry(struct store *st, int64_t ts, const char *text)
{
	struct shiftlog_new n = { .text = text };
	struct err e = { { 0 } };

	clock_pin(ts);
	assert_int_equal(shiftlog_append(st, &n, NULL, &e), 0);
}

static void add_sample(struct store *st, int64_t ts, const char *summary)
{
	struct probe_result r;
	struct err e = { { 0 } };

	memset(&r, 0, sizeof r);
	r.state = PROBE_OK;
	r.value = 1.0;
	snprintf(r.summary, sizeof r.summary, "%s", summary);
	assert_int_equal(probe_sample_store(st, "web01", "load", ts, &r, &e), 0);
}

static int64_t count(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Old samples go in batches smaller than their number; old outputs are cleared;
 * log entries older than every limit all stay, and one entry says what went. */
static void test_retention(void **state)
{
	struct fx *f = *state;
	struct retention_config c = { .samples_ms = 30 * DAY_MS, .outputs_ms = 7 * DAY_MS };
	struct retention_result r;
	struct shiftlog_verify_result v;
	struct shiftlog_entry x;
	struct err e = { { 0 } };

	for (int i = 0; i < 5; i++)
		add_entry(f->st, NOW_MS - 400 * DAY_MS + i, "an entry from last year");
	for (int i = 0; i < 25; i++)
		add_sample(f->st, NOW_MS - 40 * DAY_MS + i, "old");     /* deleted */
	for (int i = 0; i < 12; i++)
		add_sample(f->st, NOW_MS - 10 * DAY_MS + i, "stale");   /* output cleared */
	for (int i = 0; i < 3; i++)
		add_sample(f->st, NOW_MS - 1 * DAY_MS + i, "fresh");    /* untouched */
	assert_int_equal(sqlite3_exec(store_db(f->st),
				      "INSERT INTO samples_hourly(host, probe, hour, n, worst) VALUES"
				      " ('web01', 'load', 1690000000000, 1, 0),"
				      " ('web01', 'load', 1699999200000, 1, 0)", NULL, NULL, NULL),
			 SQLITE_OK);
	clock_pin(NOW_MS);
	assert_int_equal(retention_run(f->st, &c, NOW_MS, 10, &r, &e), 0);
	assert_int_equal(r.samples, 25);
	assert_int_equal(r.hourly, 1);
	assert_int_equal(r.outputs, 12);
	assert_int_equal(count(f->st, "SELECT count(*) FROM samples"), 15);
	assert_int_equal(count(f->st, "SELECT count(*) FROM samples WHERE summary IS NULL"), 12);
	assert_int_equal(count(f->st, "SELECT count(*) FROM samples WHERE summary = 'fresh'"), 3);
	assert_int_equal(count(f->st, "SELECT count(*) FROM samples_hourly"), 1);
	/* The year-old log entries are all there, the chain holds, one entry more. */
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries"), 6);
	assert_int_equal(shiftlog_verify(f->st, &v, &e), 0);
	assert_int_equal(v.first_bad, 0);
	assert_int_equal(shiftlog_get(f->st, r.log_id, &x, &e), 0);
	assert_string_equal(x.category, "system");
	assert_non_null(strstr(x.text, "removed 25 probe samples and 1 hourly roll-ups older than 30d"));
	assert_non_null(strstr(x.text, "cleared 12 probe outputs older than 7d"));
	shiftlog_entry_clear(&x);
	/* "forever" keeps everything; the run is still logged. */
	c.samples_ms = 0;
	c.outputs_ms = 0;
	assert_int_equal(retention_run(f->st, &c, NOW_MS + 1000 * DAY_MS, 10, &r, &e), 0);
	assert_int_equal(r.samples + r.hourly + r.outputs, 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM samples"), 15);
	assert_int_equal(count(f->st, "SELECT count(*) FROM log_entries"), 7);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	struct backup_config b;
	struct retention_config r;
	struct ydoc doc = { 0 };
	struct err e = { { 0 } };
	char *cfg = tu_join(f->dir, "config.yaml");

	tu_write_file(cfg, "theme: default\n"
			   "backup: {dir: ~/bk, keep: 3}\n"
			   "retention:\n  samples: 2w\n  outputs: forever\n");
	assert_int_equal(ydoc_load(cfg, &doc, &e), 0);
	backup_config_defaults(&b);
	retention_config_defaults(&r);
	assert_int_equal(b.keep, 7);
	assert_int_equal(r.samples_ms, 30 * DAY_MS);
	assert_int_equal(r.outputs_ms, 7 * DAY_MS);
	assert_int_equal(backup_config_read(&doc, "/home/op", &b, &e), 0);
	assert_int_equal(retention_config_read(&doc, &r, &e), 0);
	assert_string_equal(b.dir, "/home/op/bk");
	assert_int_equal(b.keep, 3);
	assert_int_equal(r.samples_ms, 14 * DAY_MS);
	assert_int_equal(r.outputs_ms, 0);
	ydoc_free(&doc);

	tu_write_file(cfg, "retention:\n  samples: soon\n");
	assert_int_equal(ydoc_load(cfg, &doc, &e), 0);
	assert_int_equal(retention_config_read(&doc, &r, &e), -1);
	assert_non_null(strstr(e.msg, "config.yaml:2:12: retention.samples: expected a duration"));
	ydoc_free(&doc);

	tu_write_file(cfg, "backup:\n  keep: 0\n");
	assert_int_equal(ydoc_load(cfg, &doc, &e), 0);
	assert_int_equal(backup_config_read(&doc, NULL, &b, &e), -1);
	assert_non_null(strstr(e.msg, "config.yaml:2:9: backup.keep"));
	ydoc_free(&doc);

	tu_write_file(cfg, "backup:\n  folder: /tmp\n");
	assert_int_equal(ydoc_load(cfg, &doc, &e), 0);
	assert_int_equal(backup_config_read(&doc, NULL, &b, &e), -1);
	assert_non_null(strstr(e.msg, "config.yaml:2:3: backup: unknown key"));
	ydoc_free(&doc);
	free(cfg);
}

/* Generations: keep N, named by time, 0600, logged; foreign files are left alone. */
static void test_generations(void **state)
{
	struct fx *f = *state;
	struct backup_config c;
	struct backup_opts o = { .cfg = &c };
	struct backup_info info;
	struct shiftlog_entry x;
	struct err e = { { 0 } };
	char *bdir = tu_join(f->dir, "bk");
	static const char *const old[] = { "opsdeck-20200101T000000Z.db",
					   "opsdeck-20200102T000000Z.db",
					   "opsdeck-20200103T000000Z.db" };
	char path[4200];
	struct stat sb;

	add_entry(f->st, NOW_MS, "before the backup");
	clock_unpin();
	backup_config_defaults(&c);
	snprintf(c.dir, sizeof c.dir, "%s", bdir);
	c.keep = 2;
	mkdir(bdir, 0700);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", bdir, old[i]);
		tu_write_file(path, "x");
	}
	snprintf(path, sizeof path, "%s/notes.txt", bdir);
	tu_write_file(path, "mine");
	assert_int_equal(backup_run(f->st, &o, &info, &e), 0);
	assert_int_equal(info.removed, 2);
	assert_int_equal(info.check.entries, 1);
	assert_int_equal(strlen(info.sha256), 64);
	assert_int_equal(stat(info.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, info.size);
	snprintf(path, sizeof path, "%s/%s", bdir, old[2]);
	assert_int_equal(stat(path, &sb), 0);        /* the newest old one is kept */
	snprintf(path, sizeof path, "%s/%s", bdir, old[0]);
	assert_int_not_equal(stat(path, &sb), 0);    /* the oldest went */
	snprintf(path, sizeof path, "%s/notes.txt", bdir);
	assert_int_equal(stat(path, &sb), 0);        /* not a generation: untouched */
	assert_int_equal(shiftlog_get(f->st, info.log_id, &x, &e), 0);
	assert_string_equal(x.category, "system");
	assert_non_null(strstr(x.text, info.sha256));
	assert_non_null(strstr(x.text, info.path));
	shiftlog_entry_clear(&x);
	free(bdir);
}

/* A group-shared database (0660) gives 0660 copies, a private one 0600 ones. */
static void test_mode_kept(void **state)
{
	struct fx *f = *state;
	struct backup_opts o = { 0 };
	struct backup_info info;
	struct err e = { { 0 } };
	char *out = tu_join(f->dir, "copy.db");
	struct stat sb;

	add_entry(f->st, NOW_MS, "shared");
	assert_int_equal(chmod(f->db, 0660), 0);
	o.output = out;
	assert_int_equal(backup_run(f->st, &o, &info, &e), 0);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);
	/* --output refuses an existing file without force, replaces it with force. */
	assert_int_equal(backup_run(f->st, &o, &info, &e), -1);
	assert_non_null(strstr(e.msg, "exists: not replaced"));
	assert_int_equal(chmod(f->db, 0600), 0);
	o.force = true;
	assert_int_equal(backup_run(f->st, &o, &info, &e), 0);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(out);
}

/* Restore: a verified copy goes in, the old one is kept, a restore entry is logged;
 * a copy whose chain is broken is refused and the target is left as it was. */
static void test_restore(void **state)
{
	struct fx *f = *state;
	struct backup_opts o = { 0 };
	struct backup_info info;
	struct restore_opts ro = { 0 };
	struct restore_info ri;
	struct backup_check chk;
	struct err e = { { 0 } };
	char *copy = tu_join(f->dir, "copy.db"), *target = tu_join(f->dir, "target.db");
	struct store *t = NULL;
	sqlite3 *db = NULL;

	add_entry(f->st, NOW_MS, "one");
	add_entry(f->st, NOW_MS + 1, "two");
	clock_unpin();
	o.output = copy;
	assert_int_equal(backup_run(f->st, &o, &info, &e), 0);
	assert_int_equal(info.check.entries, 2);
	/* The target exists: refused without force. */
	assert_int_equal(store_open(target, &t, &e), 0);
	store_close(&t);
	ro = (struct restore_opts){ .from = copy, .target = target };
	assert_int_equal(backup_restore(&ro, &ri, &e), -1);
	assert_non_null(strstr(e.msg, "--force replaces it"));
	ro.force = true;
	assert_int_equal(backup_restore(&ro, &ri, &e), 0);
	assert_int_equal(ri.check.entries, 2);
	assert_string_equal(ri.check.head, info.check.head);
	assert_string_equal(ri.sha256, info.sha256);
	assert_non_null(strstr(ri.replaced, "target.db.replaced-"));
	assert_int_equal(backup_verify_file(target, &chk, &e), 0);
	assert_int_equal(chk.entries, 3); /* the restore entry */
	assert_int_equal(backup_verify_file(ri.replaced, &chk, &e), 0);
	assert_int_equal(chk.entries, 0);
	/* Break the copy's chain: refused, target unchanged. */
	assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER log_no_update;"
				      "UPDATE log_entries SET text = 'three' WHERE id = 2",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(backup_restore(&ro, &ri, &e), -1);
	assert_non_null(strstr(e.msg, "fails verification, not restored"));
	assert_non_null(strstr(e.msg, "chain is broken at entry #2"));
	assert_int_equal(backup_verify_file(target, &chk, &e), 0);
	assert_int_equal(chk.entries, 3);
	free(copy);
	free(target);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
