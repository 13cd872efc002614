/*
 * test_keymap: default bindings, lookup with the global fallback, keys.yaml
 * remapping and every problem it can report (with positions), and key names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "testutil.h"

static const struct keymap_action actions[] = {
	{"quit", "global", "q", "Quit"},
	{"help", "global", "? F1", "Help"},
	{"redraw", "global", "C-l", "Redraw the screen"},
	{"log.search", "log", "/", "Search the log"},
	{"log.next", "log", "n Down j", "Next entry"},
	{"log.add", "log", "a Enter", "Add an entry"},
	{"hosts.next", "hosts", "n Down", "Next host"}, /* other views may reuse keys */
	{"hosts.filter", "hosts", "/", "Filter hosts"},
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

enum { QUIT, HELP, REDRAW, LOG_SEARCH, LOG_NEXT, LOG_ADD, HOSTS_NEXT, HOSTS_FILTER };

struct fixture {
	char *dir;
	char *path; /* dir/keys.yaml */
	struct keymap *km;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err e = {{0}};

	f->dir = tu_tmpdir();
	f->path = tu_join(f->dir, "keys.yaml");
	f->km = keymap_new(actions, N_ACTIONS, &e);
	if (!f->km)
		fail_msg("keymap_new: %s", e.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	keymap_free(&f->km);
	assert_null(f->km);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* The keys bound to action idx, as names joined by spaces. */
static const char *keys_of(const struct keymap *km, size_t idx)
{
	static char out[128];
	int keys[KEYMAP_MAX_KEYS];
	size_t n = keymap_keys(km, idx, keys, KEYMAP_MAX_KEYS);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char name[32];

		if (i)
			strcat(out, " ");
		strcat(out, keymap_key_name(keys[i], name, sizeof name));
	}
	return out;
}

/* Writes keys.yaml and loads it, expecting rc, the problem count and (if any) "path:msg". */
static void load(struct fixture *f, const char *yaml, int rc, int problems, const char *msg)
{
	struct err e = {{0}};
	int n = -1;
	char want[1200];

	tu_write_file(f->path, yaml);
	assert_int_equal(keymap_load_file(f->km, f->path, &n, &e), rc);
	assert_int_equal(n, problems);
	if (msg) {
		snprintf(want, sizeof want, "%s:%s", f->path, msg);
		assert_string_equal(e.msg, want);
	}
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct keymap_action *t = NULL;
	size_t n = 0;
	int keys[2];

	t = keymap_actions(f->km, &n);
	assert_ptr_equal(t, actions);
	assert_int_equal(n, N_ACTIONS);
	assert_int_equal(keymap_find(f->km, "log.add"), LOG_ADD);
	assert_int_equal(keymap_find(f->km, "nope"), -1);
	assert_string_equal(keys_of(f->km, QUIT), "q");
	assert_string_equal(keys_of(f->km, HELP), "? F1");
	assert_string_equal(keys_of(f->km, REDRAW), "C-l");
	assert_string_equal(keys_of(f->km, LOG_NEXT), "n Down j");
	assert_string_equal(keys_of(f->km, LOG_ADD), "a Enter");
	/* max bounds the copy */
	assert_int_equal(keymap_keys(f->km, LOG_NEXT, keys, 2), 2);
	assert_int_equal(keys[0], 'n');
	assert_int_equal(keys[1], KEYM_DOWN);
	assert_int_equal(keymap_keys(f->km, N_ACTIONS, keys, 2), 0);
}

static void test_lookup(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(keymap_lookup(f->km, "log", '/'), LOG_SEARCH);
	assert_int_equal(keymap_lookup(f->km, "hosts", '/'), HOSTS_FILTER);
	assert_int_equal(keymap_lookup(f->km, "log", 'n'), LOG_NEXT);
	assert_int_equal(keymap_lookup(f->km, "hosts", KEYM_DOWN), HOSTS_NEXT);
	assert_int_equal(keymap_lookup(f->km, "log", KEYM_ENTER), LOG_ADD);
	/* global fallback */
	assert_int_equal(keymap_lookup(f->km, "log", 'q'), QUIT);
	assert_int_equal(keymap_lookup(f->km, "hosts", KEYM_F0 + 1), HELP);
	assert_int_equal(keymap_lookup(f->km, "calendar", 12), REDRAW);
	assert_int_equal(keymap_lookup(f->km, "global", 'q'), QUIT);
	assert_int_equal(keymap_lookup(f->km, NULL, 'q'), QUIT);
	/* a view's keys do not leak into global or other views */
	assert_int_equal(keymap_lookup(f->km, "global", '/'), -1);
	assert_int_equal(keymap_lookup(f->km, "calendar", 'n'), -1);
	assert_int_equal(keymap_lookup(f->km, "hosts", 'a'), -1);
	assert_int_equal(keymap_lookup(f->km, "log", 'x'), -1);
	assert_int_equal(keymap_lookup(f->km, "log", KEYM_NONE), -1);
}

/* keymap_new refuses a table with a mistake, naming it. */
static void expect_bad_table(const struct keymap_action *t, size_t n, const char *msg)
{
	struct err e = {{0}};
	struct keymap *km = keymap_new(t, n, &e);

	assert_null(km);
	assert_string_equal(e.msg, msg);
}

static void test_bad_tables(void **state)
{
	static const struct keymap_action bad_name[] = {{"quit", "global", "q Foo", ""}};
	static const struct keymap_action same_ctx[] = {
		{"a", "log", "x", ""}, {"b", "log", "y x", ""}};
	static const struct keymap_action view_vs_global[] = {
		{"a", "log", "g", ""}, {"b", "global", "g", ""}};
	static const struct keymap_action twice[] = {{"a", "log", "x", ""}, {"a", "hosts", "y", ""}};
	static const struct keymap_action too_many[] = {{"a", "log", "a b c d e", ""}};
	static const struct keymap_action fine[] = {
		{"a", "log", "  x  x ", ""}, {"b", "hosts", "x", ""}, {"c", NULL, "", ""}};
	struct err e = {{0}};
	struct keymap *km = NULL;

	(void)state;
	expect_bad_table(bad_name, 1, "action 'quit': unknown default key name 'Foo'");
	expect_bad_table(same_ctx, 2, "default key 'x' for 'a' (log) is already bound to 'b' (log)");
	expect_bad_table(view_vs_global, 2,
			 "default key 'g' for 'a' (log) is already bound to 'b' (global)");
	expect_bad_table(twice, 2, "action 'a' is declared twice");
	expect_bad_table(too_many, 1, "action 'a': more than 4 default keys");

	/* repeated spaces and keys are tolerated; NULL context means global */
	km = keymap_new(fine, 3, &e);
	assert_non_null(km);
	assert_string_equal(keys_of(km, 0), "x");
	assert_string_equal(keys_of(km, 2), "");
	keymap_free(&km);
	keymap_free(&km); /* twice is harmless */
	keymap_free(NULL);
}

static void test_remap(void **state)
{
	struct fixture *f = *state;

	load(f, "# my keys\nquit: Q\nlog.search: [\"/\", C-f]\nredraw: [F5]\n", 0, 0, NULL);
	assert_string_equal(keys_of(f->km, QUIT), "Q");
	assert_string_equal(keys_of(f->km, LOG_SEARCH), "/ C-f");
	assert_string_equal(keys_of(f->km, REDRAW), "F5");
	assert_int_equal(keymap_lookup(f->km, "log", 'q'), -1); /* replaced, not added */
	assert_int_equal(keymap_lookup(f->km, "log", 'Q'), QUIT);
	assert_int_equal(keymap_lookup(f->km, "log", 6), LOG_SEARCH);
	assert_int_equal(keymap_lookup(f->km, "hosts", KEYM_F0 + 5), REDRAW);
	/* untouched actions keep their defaults */
	assert_string_equal(keys_of(f->km, HELP), "? F1");
}

static void test_swap_and_unbind(void **state)
{
	struct fixture *f = *state;

	/* two actions trade keys: no clash whatever the order */
	load(f, "help: q\nquit: \"?\"\nlog.add: []\n", 0, 0, NULL);
	assert_string_equal(keys_of(f->km, HELP), "q");
	assert_string_equal(keys_of(f->km, QUIT), "?");
	assert_string_equal(keys_of(f->km, LOG_ADD), ""); /* [] unbinds */
	assert_int_equal(keymap_lookup(f->km, "log", KEYM_ENTER), -1);
}

static void test_unknown_action(void **state)
{
	struct fixture *f = *state;

	load(f, "quti: x\nquit: Esc\n", -1, 1, "1:1: unknown action 'quti'; did you mean 'quit'?");
	assert_string_equal(keys_of(f->km, QUIT), "Esc"); /* the good entry still applies */
}

static void test_bad_key_names(void **state)
{
	struct fixture *f = *state;

	load(f, "quit: [Q, Foo]\nhelp: C-1\nredraw: {key: x}\n", -1, 3, "1:11: unknown key name 'Foo'");
	assert_string_equal(keys_of(f->km, QUIT), "Q");      /* the good key applies */
	assert_string_equal(keys_of(f->km, HELP), "? F1");   /* nothing usable: defaults back */
	assert_string_equal(keys_of(f->km, REDRAW), "C-l");  /* wrong kind: skipped whole */

	load(f, "redraw: {key: x}\n", -1, 1, "1:9: 'redraw' needs a key name or a list of key names");
	load(f, "redraw: [[x]]\n", -1, 1, "1:10: a key must be a name such as q, C-l or PageDown");
	load(f, "redraw: [a, b, c, d, e]\n", -1, 1, "1:9: 'redraw' has 5 keys; at most 4 are allowed");
	assert_string_equal(keys_of(f->km, REDRAW), "C-l");
}

static void test_clash_same_context(void **state)
{
	struct fixture *f = *state;

	load(f, "log.add: [/, A]\n", -1, 1,
	     "1:11: key '/' for 'log.add' (log) is already bound to 'log.search' (log)");
	assert_string_equal(keys_of(f->km, LOG_ADD), "A");
	assert_int_equal(keymap_lookup(f->km, "log", '/'), LOG_SEARCH);
}

static void test_clash_between_entries(void **state)
{
	struct fixture *f = *state;

	/* the first entry gets the key; the second is reported and keeps its free defaults */
	load(f, "log.next: x\nlog.add: x\n", -1, 1,
	     "2:10: key 'x' for 'log.add' (log) is already bound to 'log.next' (log)");
	assert_string_equal(keys_of(f->km, LOG_NEXT), "x");
	assert_string_equal(keys_of(f->km, LOG_ADD), "a Enter");
}

static void test_clash_global_vs_view(void **state)
{
	struct fixture *f = *state;

	/* a view may not shadow a global key */
	load(f, "log.search: q\n", -1, 1,
	     "1:13: key 'q' for 'log.search' (log) is already bound to 'quit' (global)");
	assert_string_equal(keys_of(f->km, LOG_SEARCH), "/");
	assert_int_equal(keymap_lookup(f->km, "log", 'q'), QUIT);

	/* and a global key may not take one a view uses */
	load(f, "quit: [n, C-q]\n", -1, 1,
	     "1:8: key 'n' for 'quit' (global) is already bound to 'log.next' (log)");
	assert_string_equal(keys_of(f->km, QUIT), "C-q");
	assert_int_equal(keymap_lookup(f->km, "log", 'n'), LOG_NEXT);
	assert_int_equal(keymap_lookup(f->km, "hosts", 'n'), HOSTS_NEXT);

	/* different views may share a key */
	load(f, "hosts.filter: f\nlog.search: f\n", 0, 0, NULL);
	assert_int_equal(keymap_lookup(f->km, "hosts", 'f'), HOSTS_FILTER);
	assert_int_equal(keymap_lookup(f->km, "log", 'f'), LOG_SEARCH);
}

static void test_many_problems(void **state)
{
	struct fixture *f = *state;

	load(f, "nope: x\nquit: Bogus\nlog.add: j\nhelp: h\n", -1, 3, "1:1: unknown action 'nope'");
	assert_string_equal(keys_of(f->km, HELP), "h");
	assert_string_equal(keys_of(f->km, QUIT), "q");
	assert_string_equal(keys_of(f->km, LOG_ADD), "a Enter");
}

static void test_malformed_and_missing(void **state)
{
	struct fixture *f = *state;
	struct err e = {{0}};
	int n = -1;
	char *missing = tu_join(f->dir, "absent.yaml");

	load(f, "quit: [Q\nhelp: h\n", -1, 1, "2:5: did not find expected ',' or ']' while parsing a flow sequence");
	assert_string_equal(keys_of(f->km, QUIT), "q"); /* nothing applied */
	assert_string_equal(keys_of(f->km, HELP), "? F1");
	load(f, "quit: &k q\n", -1, 1, "1:7: anchors (&k) are not allowed");
	load(f, "- quit\n", -1, 1, "1:1: keys.yaml must map action names to keys");
	load(f, "# all defaults\n", 0, 0, NULL);
	/* a repeated action is reported; the first one stands (a repeat drops nothing else) */
	load(f, "quit: Q\nquit: X\nhelp: h\n", -1, 1, "2:1: duplicate key 'quit' (first at line 1)");
	assert_string_equal(keys_of(f->km, QUIT), "Q");
	assert_string_equal(keys_of(f->km, HELP), "h");

	/* a missing file is not a problem */
	assert_int_equal(keymap_load_file(f->km, missing, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(keymap_load_file(f->km, missing, NULL, &e), 0);
	assert_string_equal(keys_of(f->km, QUIT), "Q"); /* as the last file left it */
	free(missing);
}

/* keymap_load_diags lists every problem with its place, names sanitised. */
static void test_every_problem(void **state)
{
	struct fixture *f = *state;
	struct schema_diags d = {0};
	char want[1200];

	tu_write_file(f->path, "nope: x\nquit: Bogus\nlog.add: j\n\"he\\e[2Jlp\": h\n");
	assert_int_equal(keymap_load_diags(f->km, f->path, &d), -1);
	assert_int_equal(d.n, 4);
	snprintf(want, sizeof want, "%s:1:1: unknown action 'nope'", f->path);
	assert_string_equal(d.v[0].msg, want);
	snprintf(want, sizeof want, "%s:2:7: unknown key name 'Bogus'", f->path);
	assert_string_equal(d.v[1].msg, want);
	/* the key's escape sequence is gone from the message */
	snprintf(want, sizeof want, "%s:4:1: unknown action 'help'", f->path);
	assert_string_equal(d.v[2].msg, want);
	snprintf(want, sizeof want, "%s:3:10: key 'j' for 'log.add' (log) is already bound to "
		 "'log.next' (log)", f->path);
	assert_string_equal(d.v[3].msg, want);
	schema_diags_free(&d);
}

/* Parsing a key's display name gives the key back. */
static void round_trip(const char *name, int key)
{
	char buf[32];

	assert_int_equal(keymap_parse_key(name), key);
	assert_string_equal(keymap_key_name(key, buf, sizeof buf), name);
}

static void test_key_names(void **state)
{
	static const struct {
		const char *name;
		int key;
	} specials[] = {
		{"Enter", KEYM_ENTER}, {"Esc", KEYM_ESC}, {"Tab", KEYM_TAB}, {"S-Tab", KEYM_BTAB},
		{"Space", ' '}, {"Backspace", KEYM_BACKSPACE}, {"Delete", KEYM_DELETE},
		{"Insert", KEYM_INSERT}, {"Up", KEYM_UP}, {"Down", KEYM_DOWN}, {"Left", KEYM_LEFT},
		{"Right", KEYM_RIGHT}, {"Home", KEYM_HOME}, {"End", KEYM_END},
		{"PageUp", KEYM_PAGEUP}, {"PageDown", KEYM_PAGEDOWN},
	};
	char name[32], buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		round_trip(specials[i].name, specials[i].key);
	for (int n = 1; n <= 12; n++) {
		snprintf(name, sizeof name, "F%d", n);
		round_trip(name, KEYM_F0 + n);
	}
	for (char c = 'a'; c <= 'z'; c++) {
		snprintf(name, sizeof name, "C-%c", c);
		round_trip(name, c - 'a' + 1);
	}
	round_trip("q", 'q');
	round_trip("Q", 'Q');
	round_trip("F", 'F'); /* a letter, not a function key */
	round_trip("?", '?');
	round_trip("/", '/');
	round_trip("~", '~');
	round_trip("\xC3\xA9", 0xE9);   /* é */
	round_trip("\xE2\x82\xAC", 0x20AC);

	/* aliases and case are accepted, and shown by their canonical name */
	assert_int_equal(keymap_parse_key("Return"), KEYM_ENTER);
	assert_int_equal(keymap_parse_key("escape"), KEYM_ESC);
	assert_int_equal(keymap_parse_key("PGDN"), KEYM_PAGEDOWN);
	assert_int_equal(keymap_parse_key("C-L"), 12);
	assert_int_equal(keymap_parse_key("f5"), KEYM_F0 + 5);
	assert_int_equal(keymap_parse_key(" "), ' ');

	/* not keys */
	static const char *const bad[] = {"", "Foo", "qq", "C-", "C-1", "C-ab", "F0", "F13", "F01",
					  "f-1", "\x1B", "\x7F", "\xC2\x9B", "\xC3", "\t", "Resize"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (keymap_parse_key(bad[i]) != KEYM_NONE)
			fail_msg("'%s' parsed as a key", bad[i]);
	assert_int_equal(keymap_parse_key(NULL), KEYM_NONE);

	/* display only */
	assert_string_equal(keymap_key_name(KEYM_RESIZE, buf, sizeof buf), "Resize");
	assert_string_equal(keymap_key_name(0x7F, buf, sizeof buf), "<0x7f>");
	assert_string_equal(keymap_key_name(KEYM_PAGEDOWN, buf, 5), "Page"); /* truncated, terminated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test_setup_teardown(test_remap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_and_unbind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_key_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash_same_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash_between_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash_global_vs_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_problem, setup, teardown),
		cmocka_unit_test(test_key_names),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
