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
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
