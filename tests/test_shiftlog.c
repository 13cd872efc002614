/*
 * Unit tests for core/shiftlog: append-only rules, the hash chain and verify,
 * FTS search, keyset pages and filters, shifts and handover, exports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "shiftlog.h"
#include "testutil.h"
#include "witness.h"

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
	f->db = tu_join(f->dir, "log.db");
	if (store_open(f->db, &f->st, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	clock_pin(1700000000000LL); /* 2023-11-14T22:13:20Z */
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

static int64_t add(struct store *st, const char *cat, const char *sev, const char *text,
		   const char *host)
{
	struct shiftlog_new n = { .category = cat, .severity = sev, .text = text, .host = host };
	struct err e = { { 0 } };
	int64_t id = 0;

	if (shiftlog_append(st, &n, &id, &e) != 0)
		fail_msg("append failed: %s", e.msg);
	return id;
}

static void test_append_and_get(void **state)
{
	struct fx *f = *state;
	struct shiftlog_entry x;
	struct err e = { { 0 } };

	assert_int_equal(add(f->st, NULL, NULL, "first note", NULL), 1);
	clock_pin(1700000001000LL);
	assert_int_equal(add(f->st, "alarm", "critical", "db01 down", "db01"), 2);
	assert_int_equal(shiftlog_last_id(f->st), 2);
	assert_int_equal(shiftlog_get(f->st, 2, &x, &e), 0);
	assert_int_equal(x.id, 2);
	assert_int_equal(x.ts_ms, 1700000001000LL);
	assert_string_equal(x.category, "alarm");
	assert_string_equal(x.severity, "critical");
	assert_string_equal(x.text, "db01 down");
	assert_string_equal(x.host, "db01");
	assert_string_equal(x.operator_name, shiftlog_operator());
	assert_int_equal(x.shift_id, 0);
	assert_int_equal(strlen(x.hash), 64);
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_get(f->st, 1, &x, &e), 0);
	assert_string_equal(x.category, "note");
	assert_string_equal(x.severity, "info");
	assert_null(x.host);
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_get(f->st, 99, &x, &e), -1);
	assert_string_equal(e.msg, "no log entry #99");
}

static void test_bad_input_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	struct shiftlog_new bad_cat = { .category = "gossip", .text = "x" };
	struct shiftlog_new bad_sev = { .severity = "meh", .text = "x" };
	struct shiftlog_new empty = { .text = " \t\n" };
	struct shiftlog_new only_escapes = { .text = "\x1b[31m\x1b]0;t\x07" };
	struct shiftlog_new ghost = { .text = "fix", .corrects = 42 };

	add(f->st, NULL, NULL, "keep me", NULL);
	assert_int_equal(shiftlog_append(f->st, &bad_cat, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "unknown category 'gossip'"));
	assert_int_equal(shiftlog_append(f->st, &bad_sev, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "unknown severity 'meh'"));
	assert_int_equal(shiftlog_append(f->st, &empty, NULL, &e), -1);
	assert_string_equal(e.msg, "empty log text");
	assert_int_equal(shiftlog_append(f->st, &only_escapes, NULL, &e), -1);
	assert_string_equal(e.msg, "empty log text");
	assert_int_equal(shiftlog_append(f->st, &ghost, NULL, &e), -1);
	assert_string_equal(e.msg, "no log entry #42 to correct");
	assert_int_equal(shiftlog_last_id(f->st), 1);
	assert_false(store_in_txn(f->st));
}

static void test_append_only_triggers(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };

	add(f->st, NULL, NULL, "immutable", NULL);
	assert_int_equal(store_exec(f->st, "UPDATE log_entries SET text = 'changed'", &e), -1);
	assert_non_null(strstr(e.msg, "append-only"));
	assert_int_equal(store_exec(f->st, "DELETE FROM log_entries", &e), -1);
	assert_non_null(strstr(e.msg, "append-only"));
	assert_int_equal(shiftlog_last_id(f->st), 1);
}

static void test_sanitised_on_append(void **state)
{
	struct fx *f = *state;
	struct shiftlog_entry x;
	struct err e = { { 0 } };

	add(f->st, NULL, NULL, "a\x1b]0;pwned\x07" "b\x1b[2J\x1b[31mc\x9b" "d\nline2", "h\x1b[1mx");
	assert_int_equal(shiftlog_get(f->st, 1, &x, &e), 0);
	/* Escapes gone, the stray 8-bit byte replaced, the newline kept. */
	assert_string_equal(x.text, "abc\xef\xbf\xbd" "d\nline2");
	assert_string_equal(x.host, "hx");
	shiftlog_entry_clear(&x);
}

struct collect {
	int64_t ids[256];
	int n;
};

static int collect_row(const struct shiftlog_entry *x, void *ud)
{
	struct collect *c = ud;

	if (c->n < 256)
		c->ids[c->n++] = x->id;
	return 0;
}

static void test_corrections(void **state)
{
	struct fx *f = *state;
	struct shiftlog_new fix = { .category = "note", .text = "wrong host, was web02", .corrects = 1 };
	struct shiftlog_filter corr = { .corrects = 1 };
	struct shiftlog_entry x;
	struct collect c = { .n = 0 };
	struct err e = { { 0 } };
	int64_t id = 0;

	add(f->st, "action", NULL, "restarted nginx on web01", "web01");
	assert_int_equal(shiftlog_append(f->st, &fix, &id, &e), 0);
	assert_int_equal(id, 2);
	assert_int_equal(shiftlog_get(f->st, 2, &x, &e), 0);
	assert_string_equal(x.category, "correction"); /* forced */
	assert_int_equal(x.corrects, 1);
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_get(f->st, 1, &x, &e), 0);
	assert_int_equal(x.n_corrections, 1);
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_page(f->st, &corr, SHIFTLOG_NEWER, 0, 10, collect_row, &c, &e), 1);
	assert_int_equal(c.ids[0], 2);
}

static void test_hash_is_stable(void **state)
{
	/* The canonical form is a file format: this value must never change. */
	struct shiftlog_entry x = {
		.id = 7, .ts_ms = 1700000000000LL, .operator_name = "alice", .shift_id = 3,
		.category = "note", .severity = "info", .text = "hello", .host = NULL,
	};
	char h1[SHIFTLOG_HASH_HEX], h2[SHIFTLOG_HASH_HEX];

	shiftlog_hash(&x, "", h1);
	shiftlog_hash(&x, "", h2);
	assert_string_equal(h1, h2);
	/* Cross-checked with an independent implementation (Python hashlib) of the
	 * format in doc/shiftlog-format.md. */
	assert_string_equal(h1, "3332aef17e75765347a88c0b605a5f972b1da692aaa8f64ce428e81462849262");
	/* Every field and the previous hash count. */
	shiftlog_hash(&x, "00", h2);
	assert_string_not_equal(h1, h2);
	x.host = "";
	shiftlog_hash(&x, "", h2);
	assert_string_not_equal(h1, h2); /* NULL host differs from empty host */
	x.host = NULL;
	x.text = "hellO";
	shiftlog_hash(&x, "", h2);
	assert_string_not_equal(h1, h2);
}

static void test_verify_finds_tampering(void **state)
{
	struct fx *f = *state;
	struct shiftlog_verify_result r;
	struct err e = { { 0 } };
	sqlite3 *db = store_db(f->st);

	for (int i = 0; i < 20; i++) {
		char text[32];

		snprintf(text, sizeof text, "entry %d", i + 1);
		add(f->st, NULL, NULL, text, NULL);
	}
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.checked, 20);
	assert_int_equal(r.first_bad, 0);

	/* What an attacker with the sqlite3 shell does: drop the guard, edit a row. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER log_no_update;"
					  "UPDATE log_entries SET text = 'entry 12 (edited)' WHERE id = 12",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 12);
	assert_non_null(strstr(r.reason, "#12"));

	/* Put it back: the chain is whole again. */
	assert_int_equal(sqlite3_exec(db, "UPDATE log_entries SET text = 'entry 12' WHERE id = 12",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 0);

	/* Removing a row is found at the gap. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER log_no_delete;"
					  "DELETE FROM log_entries WHERE id = 5", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 6);
	assert_non_null(strstr(r.reason, "missing"));
}

static void test_verify_rewritten_hash_breaks_next(void **state)
{
	struct fx *f = *state;
	struct shiftlog_verify_result r;
	struct err e = { { 0 } };

	for (int i = 0; i < 5; i++)
		add(f->st, NULL, NULL, "x", NULL);
	/* Changing an entry's stored hash (to cover an edit) breaks its successor's link. */
	assert_int_equal(sqlite3_exec(store_db(f->st), "DROP TRIGGER log_no_update;"
			 "UPDATE log_entries SET hash = printf('%064d', 0) WHERE id = 3",
			 NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 3);
}

static void test_fts_search(void **state)
{
	struct fx *f = *state;
	struct shiftlog_filter q = { 0 };
	struct collect c = { .n = 0 };
	struct err e = { { 0 } };

	add(f->st, NULL, NULL, "disk full on web01", "web01");
	add(f->st, NULL, NULL, "rotated nginx logs", "web01");
	add(f->st, NULL, NULL, "Café machine broken", NULL);
	add(f->st, NULL, NULL, "ディスク 障害", NULL);
	add(f->st, NULL, NULL, "disk replaced", "db02");

	q.match = "disk";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 2);
	assert_int_equal(c.ids[0], 5); /* newest first */
	assert_int_equal(c.ids[1], 1);
	c.n = 0;
	q.match = "cafe"; /* diacritics folded */
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 1);
	assert_int_equal(c.ids[0], 3);
	c.n = 0;
	q.match = "rot*";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 1);
	c.n = 0;
	q.match = "fts:host:db02"; /* FTS5 syntax after fts: */
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 1);
	assert_int_equal(c.ids[0], 5);
	c.n = 0;
	q.match = "\"disk full\"";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 1);
	c.n = 0;
	q.match = "fts:disk OR rotated";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 3);
	c.n = 0;
	q.match = "disk OR rotated"; /* as typed: every word, OR included */
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 0);
	c.n = 0;
	q.match = "ディスク";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 1);
	assert_int_equal(c.ids[0], 4);
	/* Paging through matches with an anchor. */
	c.n = 0;
	q.match = "disk";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 5, 10, collect_row, &c, &e), 1);
	assert_int_equal(c.ids[0], 1);
	/* A malformed FTS5 query is an error the person can read, not a crash. */
	q.match = "fts:disk AND (";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), -1);
	assert_non_null(strstr(e.msg, "bad search query 'fts:disk AND ('"));
	q.match = "fts:\"unterminated";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), -1);
	assert_non_null(strstr(e.msg, "bad search query"));
	/* As typed, the same text is words to find, never a syntax error. */
	c.n = 0;
	q.match = "disk AND (";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 0);
	q.match = "\"unterminated";
	assert_int_equal(shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e), 0);
}

/* What operators type: addresses, versions, paths, hyphenated names, apostrophes, AND. */
static void test_search_as_typed(void **state)
{
	struct fx *f = *state;
	struct shiftlog_filter q = { 0 };
	struct collect c = { .n = 0 };
	struct err e = { { 0 } };
	static const struct {
		const char *typed;
		int64_t want; /* the one entry found */
	} cases[] = {
		{"10.0.0.5", 1}, {"4.2.1", 2}, {"/var/log", 3}, {"lb-02", 4}, {"can't", 5},
		{"AND", 6},      {"Lb-02 drained", 4}, {"lb-0*", 4},
	};
	char *q1 = NULL;

	add(f->st, NULL, NULL, "ping to 10.0.0.5 lost, 10.0.0.6 fine", NULL);
	add(f->st, NULL, NULL, "upgraded to 4.2.1 from 4.1.9", NULL);
	add(f->st, NULL, NULL, "cleaned /var/log on web01", NULL);
	add(f->st, NULL, NULL, "lb-02 drained", "lb-02");
	add(f->st, NULL, NULL, "can't reach the vendor", NULL);
	add(f->st, NULL, NULL, "disk AND memory alarms", NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c.n = 0;
		q.match = cases[i].typed;
		if (shiftlog_page(f->st, &q, SHIFTLOG_OLDER, 0, 10, collect_row, &c, &e) != 1)
			fail_msg("'%s': %s (%d found)", cases[i].typed, e.msg, c.n);
		assert_int_equal(c.ids[0], cases[i].want);
	}
	q1 = shiftlog_search_query("a \"b\" c*");
	assert_string_equal(q1, "\"a\" \"\"\"b\"\"\" \"c\"*");
	free(q1);
	q1 = shiftlog_search_query("fts:x OR y");
	assert_string_equal(q1, "x OR y");
	free(q1);
}

static void test_pages_and_filters(void **state)
{
	struct fx *f = *state;
	static const char *const sev[] = { "info", "notice", "warning", "critical" };
	struct shiftlog_filter flt = { 0 };
	struct collect c = { .n = 0 };
	struct err e = { { 0 } };
	int64_t anchor = 0;
	int total = 0;

	for (int i = 0; i < 100; i++) {
		clock_pin(1700000000000LL + i * 60000LL); /* one a minute */
		add(f->st, i % 10 == 0 ? "alarm" : "note", sev[i % 4], "row", i % 2 ? "web01" : NULL);
	}
	/* Walk newest to oldest, 7 at a time: every id once, in order. */
	for (;;) {
		int n;

		c.n = 0;
		n = shiftlog_page(f->st, NULL, SHIFTLOG_OLDER, anchor, 7, collect_row, &c, &e);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++)
			assert_int_equal(c.ids[i], 100 - total - i);
		total += n;
		if (n < 7)
			break;
		anchor = c.ids[n - 1];
	}
	assert_int_equal(total, 100);
	/* Forward from an anchor. */
	c.n = 0;
	assert_int_equal(shiftlog_page(f->st, NULL, SHIFTLOG_NEWER, 95, 10, collect_row, &c, &e), 5);
	assert_int_equal(c.ids[0], 96);

	c.n = 0;
	flt.category = "alarm";
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 50, collect_row, &c, &e), 10);
	assert_int_equal(c.ids[0], 91);
	memset(&flt, 0, sizeof flt);
	c.n = 0;
	flt.min_severity = "warning"; /* warning and critical: i % 4 in {2,3} */
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 100, collect_row, &c, &e), 50);
	memset(&flt, 0, sizeof flt);
	c.n = 0;
	flt.since_ms = 1700000000000LL + 90 * 60000LL; /* last ten minutes */
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 100, collect_row, &c, &e), 10);
	c.n = 0;
	flt.until_ms = 1700000000000LL + 95 * 60000LL;
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 100, collect_row, &c, &e), 5);
	memset(&flt, 0, sizeof flt);
	c.n = 0;
	flt.host = "web01";
	flt.category = "note";
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 100, collect_row, &c, &e), 50);
	flt.min_severity = "loud";
	assert_int_equal(shiftlog_page(f->st, &flt, SHIFTLOG_OLDER, 0, 100, collect_row, &c, &e), -1);
	assert_non_null(strstr(e.msg, "unknown severity 'loud'"));
}

static void test_shifts_and_handover(void **state)
{
	struct fx *f = *state;
	struct shiftlog_shift sh;
	struct shiftlog_entry x;
	struct err e = { { 0 } };
	char *report = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int64_t id = 0;

	assert_int_equal(shiftlog_shift_current(f->st, &sh, &e), 0);
	assert_int_equal(shiftlog_shift_end(f->st, &e), -1);
	assert_non_null(strstr(e.msg, "no open shift"));
	assert_int_equal(shiftlog_shift_start(f->st, &id, &e), 0);
	assert_int_equal(id, 1);
	assert_int_equal(shiftlog_shift_start(f->st, &id, &e), -1);
	assert_non_null(strstr(e.msg, "already has shift #1 open"));
	assert_int_equal(shiftlog_shift_current(f->st, &sh, &e), 1);
	assert_string_equal(sh.operator_name, shiftlog_operator());

	add(f->st, "alarm", "critical", "db01 | down", "db01");
	add(f->st, "action", "info", "failed over to db02", NULL);
	add(f->st, "note", "warning", "disk 85% on web03", "web03");
	assert_int_equal(shiftlog_get(f->st, 3, &x, &e), 0);
	assert_int_equal(x.shift_id, 1);
	shiftlog_entry_clear(&x);

	mem = open_memstream(&report, &len);
	assert_int_equal(shiftlog_shift_handover(f->st, mem, &e), 0);
	fclose(mem);
	assert_non_null(strstr(report, "# Shift handover: shift #1"));
	assert_non_null(strstr(report, "## Alarms and critical entries\n\n- "));
	assert_non_null(strstr(report, "db01 \\| down")); /* markdown-escaped */
	assert_non_null(strstr(report, "## Actions taken\n\n- "));
	assert_non_null(strstr(report, "failed over to db02"));
	assert_non_null(strstr(report, "disk 85% on web03"));
	assert_non_null(strstr(report, "Log chain head: #4 sha256 "));
	free(report);
	/* The handover itself is logged, and the shift is marked. */
	assert_int_equal(shiftlog_get(f->st, 5, &x, &e), 0);
	assert_string_equal(x.category, "handover");
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_shift_current(f->st, &sh, &e), 1);
	assert_true(sh.handover_ms > 0);
	assert_int_equal(shiftlog_shift_end(f->st, &e), 0);
	assert_int_equal(shiftlog_shift_current(f->st, &sh, &e), 0);
	assert_int_equal(shiftlog_shift_handover(f->st, stdout, &e), -1);
	/* Entries after the shift ended belong to no shift. */
	id = add(f->st, NULL, NULL, "after", NULL);
	assert_int_equal(shiftlog_get(f->st, id, &x, &e), 0);
	assert_int_equal(x.shift_id, 0);
	shiftlog_entry_clear(&x);
}

static char *export_to_string(struct store *st, enum shiftlog_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct err e = { { 0 } };

	assert_int_equal(shiftlog_export(st, NULL, fmt, mem, &e), 3);
	fclose(mem);
	return buf;
}

static void test_exports(void **state)
{
	struct fx *f = *state;
	char *s = NULL;

	add(f->st, NULL, NULL, "say \"hi\", then\nleave", "web01");
	add(f->st, NULL, NULL, "pipe | star * tick `", NULL);
	add(f->st, NULL, NULL, "tab\there", NULL);

	s = export_to_string(f->st, SHIFTLOG_JSON);
	assert_non_null(strstr(s, "\"text\":\"say \\\"hi\\\", then\\nleave\""));
	assert_non_null(strstr(s, "\"host\":\"web01\""));
	assert_non_null(strstr(s, "\"host\":null"));
	assert_non_null(strstr(s, "\"text\":\"tab here\"")); /* tabs flattened by the sanitiser */
	assert_int_equal(s[0], '[');
	free(s);
	s = export_to_string(f->st, SHIFTLOG_CSV);
	assert_true(strncmp(s, "id,time,operator,", 17) == 0);
	assert_non_null(strstr(s, ",\"say \"\"hi\"\", then\nleave\",web01,"));
	free(s);
	s = export_to_string(f->st, SHIFTLOG_MARKDOWN);
	assert_non_null(strstr(s, "| # | time |"));
	assert_non_null(strstr(s, "pipe \\| star \\* tick \\` |"));
	assert_non_null(strstr(s, "say \"hi\", then leave")); /* one line per row */
	free(s);
	assert_int_equal(shiftlog_format_parse("md"), SHIFTLOG_MARKDOWN);
	assert_int_equal(shiftlog_format_parse("xml"), -1);
}

static void exec_ok(struct store *st, const char *sql)
{
	char *msg = NULL;
	char copy[256];

	if (sqlite3_exec(store_db(st), sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(copy, sizeof copy, "%s", msg ? msg : "?");
		sqlite3_free(msg);
		fail_msg("%s: %s", sql, copy);
	}
}

/* Rewrites ts of entry id and recomputes the chain from there, as an attacker could. */
static void rechain_ts(struct store *st, int64_t id, int64_t ts)
{
	struct shiftlog_entry x;
	struct err e = { { 0 } };
	char prev[SHIFTLOG_HASH_HEX] = "";
	char sql[256];

	exec_ok(st, "DROP TRIGGER IF EXISTS log_no_update");
	snprintf(sql, sizeof sql, "UPDATE log_entries SET ts = %lld WHERE id = %lld",
		 (long long)ts, (long long)id);
	exec_ok(st, sql);
	for (int64_t i = 1; i <= shiftlog_last_id(st); i++) {
		assert_int_equal(shiftlog_get(st, i, &x, &e), 0);
		shiftlog_hash(&x, prev, x.hash);
		snprintf(sql, sizeof sql, "UPDATE log_entries SET hash = '%s' WHERE id = %lld",
			 x.hash, (long long)i);
		exec_ok(st, sql);
		snprintf(prev, sizeof prev, "%s", x.hash);
		shiftlog_entry_clear(&x);
	}
}

static void expect_bad(struct store *st, int64_t id, const char *why)
{
	struct shiftlog_verify_result r;
	struct err e = { { 0 } };

	assert_int_equal(shiftlog_verify(st, &r, &e), 0);
	if (r.first_bad != id || !strstr(r.reason, why))
		fail_msg("want #%lld '%s', got #%lld '%s'", (long long)id, why,
			 (long long)r.first_bad, r.reason);
	assert_int_equal(r.head_id, 0);
}

/* Bytes the hash does not cover: a NUL inside text, a REAL or text ts, a 0 reference. */
static void test_verify_hidden_bytes(void **state)
{
	struct fx *f = *state;
	struct shiftlog_verify_result r;
	struct err e = { { 0 } };

	for (int i = 0; i < 6; i++)
		add(f->st, NULL, NULL, "entry", "web01");
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 0);
	assert_int_equal(r.head_id, 6);
	assert_int_equal(r.head_ts_ms, 1700000000000LL);
	assert_string_equal(r.head_operator, shiftlog_operator());
	exec_ok(f->st, "DROP TRIGGER log_no_update;"
		       "UPDATE log_entries SET host = CAST(CAST(host AS BLOB) || X'00' || "
		       "CAST('evil' AS BLOB) AS TEXT) WHERE id = 4");
	expect_bad(f->st, 4, "NUL byte in host");
	exec_ok(f->st, "UPDATE log_entries SET host = 'web01' WHERE id = 4;"
		       "UPDATE log_entries SET ts = ts + 0.5 WHERE id = 3");
	expect_bad(f->st, 3, "stores ts as a real number");
	exec_ok(f->st, "UPDATE log_entries SET ts = 1700000000000 WHERE id = 3;"
		       "UPDATE log_entries SET incident_id = 0 WHERE id = 2");
	expect_bad(f->st, 2, "incident_id 0");
	exec_ok(f->st, "UPDATE log_entries SET incident_id = NULL WHERE id = 2;"
		       "UPDATE log_entries SET hash = hash || ' ' WHERE id = 5");
	expect_bad(f->st, 5, "hash of 65 bytes");
	exec_ok(f->st, "UPDATE log_entries SET hash = rtrim(hash) WHERE id = 5");
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 0);
}

static void test_verify_time_order(void **state)
{
	struct fx *f = *state;
	struct shiftlog_verify_result r;
	struct shiftlog_entry x;
	struct err e = { { 0 } };

	add(f->st, NULL, NULL, "one", NULL);
	add(f->st, NULL, NULL, "two (same ms)", NULL);
	/* The clock steps back: the entry keeps its predecessor's time. */
	clock_pin(1700000000000LL - 60000);
	add(f->st, NULL, NULL, "three", NULL);
	assert_int_equal(shiftlog_get(f->st, 3, &x, &e), 0);
	assert_int_equal(x.ts_ms, 1700000000000LL);
	shiftlog_entry_clear(&x);
	clock_pin(1700000001000LL);
	add(f->st, NULL, NULL, "four", NULL);
	assert_int_equal(shiftlog_verify(f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 0);
	rechain_ts(f->st, 3, 1699999999999LL);
	expect_bad(f->st, 3, "time went backwards");
}

static void test_verify_search_index(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		add(f->st, NULL, NULL, "searchable words", NULL);
	exec_ok(f->st, "INSERT INTO log_fts(log_fts, rowid, text, host) "
		       "VALUES ('delete', 4, 'searchable words', NULL)");
	expect_bad(f->st, 4, "missing from the search index");
	exec_ok(f->st, "INSERT INTO log_fts(rowid, text, host) VALUES (4, 'other words', NULL)");
	expect_bad(f->st, -1, "search index does not match");
}

static void test_anchors(void **state)
{
	struct fx *f = *state;
	struct shiftlog_anchor a;
	struct shiftlog_entry x;
	struct err e = { { 0 } };
	char line[200], why[300];
	int col = 0;

	for (int i = 0; i < 4; i++)
		add(f->st, NULL, NULL, "entry", NULL);
	assert_int_equal(shiftlog_get(f->st, 3, &x, &e), 0);
	snprintf(line, sizeof line, "3:%s", x.hash);
	assert_int_equal(shiftlog_anchor_parse(line, &a, &col), 0);
	assert_int_equal(a.id, 3);
	assert_string_equal(a.hash, x.hash);
	assert_int_equal(shiftlog_anchor_check(f->st, &a, why, sizeof why, &e), 0);
	snprintf(line, sizeof line, "Log chain head: #3 sha256 %s", x.hash);
	assert_int_equal(shiftlog_anchor_parse(line, &a, &col), 0);
	assert_int_equal(a.id, 3);
	snprintf(line, sizeof line, "<13>Dec  6 opsdeck: 3:%s 2026-12-06T20:00:00Z alice", x.hash);
	assert_true(shiftlog_anchor_find(line, &a));
	assert_int_equal(a.id, 3);
	/* Another hash, and an entry past the end. */
	a.hash[0] = a.hash[0] == 'a' ? 'b' : 'a';
	assert_int_equal(shiftlog_anchor_check(f->st, &a, why, sizeof why, &e), 1);
	assert_non_null(strstr(why, "entry #3 has another hash"));
	snprintf(line, sizeof line, "9:%s", x.hash);
	assert_int_equal(shiftlog_anchor_parse(line, &a, &col), 0);
	assert_int_equal(shiftlog_anchor_check(f->st, &a, why, sizeof why, &e), 1);
	assert_non_null(strstr(why, "the log ends at #4, before entry #9"));
	/* Malformed: the column of the first byte that does not fit. */
	assert_int_equal(shiftlog_anchor_parse("3:xyz", &a, &col), -1);
	assert_int_equal(col, 3);
	assert_int_equal(shiftlog_anchor_parse("x3", &a, &col), -1);
	assert_int_equal(col, 1);
	snprintf(line, sizeof line, "3:%sff", x.hash);
	assert_int_equal(shiftlog_anchor_parse(line, &a, &col), -1);
	assert_int_equal(col, 67);
	assert_int_equal(shiftlog_anchor_parse("Log chain head: 3 sha256 ab", &a, &col), -1);
	shiftlog_entry_clear(&x);
}

static void test_handover_verifies_first(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };
	struct shiftlog_entry x;
	char *report = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int64_t id = 0;

	assert_int_equal(shiftlog_shift_start(f->st, &id, &e), 0);
	add(f->st, NULL, NULL, "first", NULL);
	mem = open_memstream(&report, &len);
	assert_int_equal(shiftlog_shift_handover(f->st, mem, &e), 0);
	fclose(mem);
	assert_non_null(strstr(report, "Log entries: 2 (chain verified)\n"
				       "Previous handover anchor: none\nLog chain head: #2 sha256 "));
	free(report);
	/* The handover entry records the head it printed; the next one quotes it. */
	assert_int_equal(shiftlog_get(f->st, 3, &x, &e), 0);
	assert_non_null(strstr(x.text, "; chain head 2:"));
	assert_non_null(strstr(x.text, ", 2 entries"));
	shiftlog_entry_clear(&x);
	assert_int_equal(shiftlog_get(f->st, 2, &x, &e), 0);
	mem = open_memstream(&report, &len);
	assert_int_equal(shiftlog_shift_handover(f->st, mem, &e), 0);
	fclose(mem);
	{
		char want[200];

		snprintf(want, sizeof want, "Previous handover anchor: 2:%s\n", x.hash);
		assert_non_null(strstr(report, want));
	}
	shiftlog_entry_clear(&x);
	free(report);
	/* A broken chain: nothing printed, nothing recorded, the entry named. */
	exec_ok(f->st, "DROP TRIGGER log_no_update;"
		       "UPDATE log_entries SET text = 'changed' WHERE id = 2");
	report = NULL;
	mem = open_memstream(&report, &len);
	assert_int_equal(shiftlog_shift_handover(f->st, mem, &e), -1);
	fclose(mem);
	assert_int_equal(len, 0);
	free(report);
	assert_non_null(strstr(e.msg, "the log chain is broken: entry #2 does not match"));
	assert_int_equal(shiftlog_last_id(f->st), 4);
}

static void test_witness_config(void **state)
{
	struct fx *f = *state;
	struct witness_config w;
	struct witness_state ws = { 0 };
	struct err e = { { 0 } };
	char *path = tu_join(f->dir, "config.yaml");

	assert_int_equal(witness_config_load(path, &w, &e), 0); /* no file */
	assert_false(witness_configured(&w));
	tu_write_file(path, "theme: default\n");
	assert_int_equal(witness_config_load(path, &w, &e), 0);
	assert_false(witness_configured(&w));
	tu_write_file(path, "witness:\n  every: 15m\n  command: [logger, -t, opsdeck]\n"
			    "  files:\n    - {host: keeper, path: /var/lib/w}\n");
	assert_int_equal(witness_config_load(path, &w, &e), 0);
	assert_true(witness_configured(&w));
	assert_int_equal(w.every_ms, 15 * 60000);
	assert_string_equal(w.command[2], "opsdeck");
	assert_null(w.command[3]);
	assert_int_equal(w.n_files, 1);
	assert_string_equal(w.files[0].path, "/var/lib/w");
	assert_true(witness_due(&w, &ws, 15 * 60000));
	ws.last_sent_ms = 1000;
	assert_false(witness_due(&w, &ws, 15 * 60000));
	assert_true(witness_due(&w, &ws, 15 * 60000 + 1000));
	witness_config_free(&w);
	tu_write_file(path, "witness:\n  every: soon\n");
	assert_int_equal(witness_config_load(path, &w, &e), -1);
	assert_non_null(strstr(e.msg, "config.yaml:2:10: witness.every"));
	tu_write_file(path, "witness:\n  command: logger\n");
	assert_int_equal(witness_config_load(path, &w, &e), -1);
	assert_non_null(strstr(e.msg, ":2:12: witness.command must be a list"));
	tu_write_file(path, "witness:\n  files: [{host: a}]\n");
	assert_int_equal(witness_config_load(path, &w, &e), -1);
	assert_non_null(strstr(e.msg, "{host: NAME, path: PATH}"));
	tu_write_file(path, "witness:\n  cmd: [x]\n");
	assert_int_equal(witness_config_load(path, &w, &e), -1);
	assert_non_null(strstr(e.msg, ":2:3: unknown witness setting 'cmd'"));
	free(path);
}

/* A command witness end to end: send, read back, rewrite, disagree. */
static void test_witness_command(void **state)
{
	struct fx *f = *state;
	struct witness_config w = { 0 };
	struct witness_state ws = { 0 };
	struct witness_verify_result r;
	struct witness_ssh ssh = { 0 };
	struct err e = { { 0 } };
	char *file = tu_join(f->dir, "w.txt");
	char *send[] = { "sh", "-c", "cat >> \"$0\"", file, NULL };
	char *back[] = { "cat", file, NULL };
	char line[WITNESS_LINE_MAX];

	w.command = send;
	w.verify_command = back;
	assert_int_equal(witness_send(&w, &ssh, &ws, f->st, false, line, &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	for (int i = 0; i < 3; i++)
		add(f->st, NULL, NULL, "entry", NULL);
	assert_int_equal(witness_send(&w, &ssh, &ws, f->st, false, line, &e), 0);
	assert_int_equal(strncmp(line, "3:", 2), 0);
	assert_non_null(strstr(line, " 2023-11-14T22:13:20Z "));
	/* The same head is not sent twice unless forced. */
	assert_int_equal(witness_send(&w, &ssh, &ws, f->st, false, line, &e), 1);
	assert_int_equal(witness_verify(&w, &ssh, f->st, &r, &e), 0);
	assert_int_equal(r.records, 1);
	assert_int_equal(r.first_bad, 0);
	/* A chain recomputed from #2 on: the witness disagrees at #3. */
	rechain_ts(f->st, 2, 1700000000000LL);
	exec_ok(f->st, "UPDATE log_entries SET text = 'rewritten' WHERE id = 2");
	rechain_ts(f->st, 2, 1700000000000LL);
	exec_ok(f->st, "INSERT INTO log_fts(log_fts) VALUES ('rebuild')");
	{
		struct shiftlog_verify_result vr;

		assert_int_equal(shiftlog_verify(f->st, &vr, &e), 0);
		assert_int_equal(vr.first_bad, 0);
	}
	assert_int_equal(witness_verify(&w, &ssh, f->st, &r, &e), 0);
	assert_int_equal(r.first_bad, 3);
	assert_non_null(strstr(r.reason, "entry #3 has another hash"));
	/* A witness that fails to run is "unreachable". */
	back[0] = "false";
	assert_int_equal(witness_verify(&w, &ssh, f->st, &r, &e), 3);
	/* A failing command: its first line of output (sanitised) says why. */
	{
		char *bad[] = { "sh", "-c", "printf 'no route\\033[31m to loghost\\nmore\\n' >&2; "
				"exit 4", NULL };

		w.command = bad;
		exec_ok(f->st, "UPDATE log_entries SET text = 'entry' WHERE id = 2");
		rechain_ts(f->st, 2, 1700000000000LL);
		exec_ok(f->st, "INSERT INTO log_fts(log_fts) VALUES ('rebuild')");
		assert_int_equal(witness_send(&w, &ssh, &ws, f->st, true, line, &e), -1);
		assert_string_equal(e.msg, "sh: exit status 4: no route to loghost");
	}
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitised_on_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrections, setup, teardown),
		cmocka_unit_test(test_hash_is_stable),
		cmocka_unit_test_setup_teardown(test_verify_finds_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_rewritten_hash_breaks_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_as_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_and_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shifts_and_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_hidden_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_time_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_search_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handover_verifies_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_witness_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_witness_command, setup, teardown),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
