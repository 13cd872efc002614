/*
 * test_theme: built-in themes, every shipped theme file, theme file errors with
 * exact positions, theme_find, and the yamlutil tree and limits they rest on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "theme.h"
#include "yamlutil.h"

static const char *const shipped[] = {"default", "light", "high-contrast", "mono"};

/* A temp folder per test, removed in teardown. */
static int setup(void **state)
{
	*state = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(*state);
	free(*state);
	return 0;
}

/* Writes content to dir/name; returns the malloc'd path. */
static char *write_tmp(void **state, const char *name, const char *content)
{
	char *path = tu_join(*state, name);

	tu_write_file(path, content);
	return path;
}

static bool same_style(const struct theme_style *a, const struct theme_style *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

/* Loads content as a theme that must fail with exactly "<path>:<want>". */
static void expect_error(void **state, const char *content, const char *want)
{
	char *path = write_tmp(state, "t.yaml", content);
	char expect[1200];
	struct theme t, def;
	struct err e = {{0}};

	theme_builtin_default(&def);
	memset(&t, 0xAB, sizeof t);
	assert_int_equal(theme_load_file(path, &t, &e), -1);
	snprintf(expect, sizeof expect, "%s:%s", path, want);
	assert_string_equal(e.msg, expect);
	/* a failed load leaves the built-in default */
	assert_memory_equal(&t, &def, sizeof t);
	free(path);
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(theme_role_name(ROLE_NORMAL), "normal");
	assert_string_equal(theme_role_name(ROLE_TAB_ACTIVE), "tab-active");
	assert_string_equal(theme_role_name(ROLE_BORDER), "border");
	for (int r = 0; r < ROLE__COUNT; r++)
		assert_int_equal(theme_role_parse(theme_role_name((enum theme_role)r)), r);
	assert_int_equal(theme_role_parse("maintenance"), ROLE_MAINTENANCE);
	assert_int_equal(theme_role_parse("Crit"), -1);
	assert_int_equal(theme_role_parse("tab_active"), -1);
	assert_int_equal(theme_role_parse(""), -1);
	assert_int_equal(theme_role_parse(NULL), -1);
}

static void test_builtins(void **state)
{
	struct theme t;

	(void)state;
	theme_builtin_default(&t);
	assert_string_equal(t.name, "default");
	assert_false(t.mono);
	assert_int_equal(t.role[ROLE_CRIT].bg, 1);
	assert_int_equal(t.role[ROLE_OK].fg, 2);
	assert_false(same_style(&t.role[ROLE_CRIT], &t.role[ROLE_OK]));
	assert_false(same_style(&t.role[ROLE_WARN], &t.role[ROLE_OK]));

	theme_builtin_mono(&t);
	assert_string_equal(t.name, "mono");
	assert_true(t.mono);
	for (int r = 0; r < ROLE__COUNT; r++) {
		assert_int_equal(t.role[r].fg, THEME_COLOR_DEFAULT);
		assert_int_equal(t.role[r].bg, THEME_COLOR_DEFAULT);
	}
	assert_int_equal(t.role[ROLE_SELECTED].attrs, THEME_REVERSE);
	assert_true(t.role[ROLE_CRIT].attrs & THEME_BOLD);
	assert_int_not_equal(t.role[ROLE_CRIT].attrs, t.role[ROLE_OK].attrs);
	assert_int_not_equal(t.role[ROLE_WARN].attrs, t.role[ROLE_OK].attrs);
}

/* Every shipped theme loads, names every role, and keeps crit and warn apart from ok. */
static void test_shipped_themes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
		char rel[64];
		char *path = NULL;
		struct theme t;
		struct ydoc doc = {0};
		struct err e = {{0}};

		snprintf(rel, sizeof rel, "themes/%s.yaml", shipped[i]);
		path = tu_srcpath(rel);
		if (theme_load_file(path, &t, &e) != 0)
			fail_msg("%s: %s", rel, e.msg);
		assert_string_equal(t.name, shipped[i]);
		assert_false(same_style(&t.role[ROLE_CRIT], &t.role[ROLE_OK]));
		assert_false(same_style(&t.role[ROLE_WARN], &t.role[ROLE_OK]));
		assert_false(same_style(&t.role[ROLE_CRIT], &t.role[ROLE_WARN]));
		assert_false(same_style(&t.role[ROLE_SELECTED], &t.role[ROLE_NORMAL]));
		assert_int_equal(t.mono, strcmp(shipped[i], "mono") == 0);
		if (t.mono) {
			for (int r = 0; r < ROLE__COUNT; r++) {
				assert_int_equal(t.role[r].fg, THEME_COLOR_DEFAULT);
				assert_int_equal(t.role[r].bg, THEME_COLOR_DEFAULT);
			}
			assert_int_equal(t.role[ROLE_SELECTED].attrs, THEME_REVERSE);
			assert_true(t.role[ROLE_HEADER].attrs & THEME_BOLD);
			assert_true(t.role[ROLE_CRIT].attrs & THEME_BOLD);
		}
		/* each file states every role rather than leaning on the built-in */
		assert_int_equal(ydoc_load(path, &doc, &e), 0);
		for (int r = 0; r < ROLE__COUNT; r++)
			if (!ynode_get(ynode_get(doc.root, "roles"), theme_role_name((enum theme_role)r)))
				fail_msg("%s does not set role %s", rel, theme_role_name((enum theme_role)r));
		ydoc_free(&doc);
		free(path);
	}
}

static void test_load_values(void **state)
{
	char *path = write_tmp(state, "sunset.yaml",
			       "# a partial theme\n"
			       "roles:\n"
			       "  ok: { fg: 34 }\n"
			       "  crit:\n"
			       "    fg: bright-yellow\n"
			       "    bg: 255\n"
			       "    attrs: [bold, underline, reverse, italic, blink, dim]\n"
			       "  warn: { attrs: underline }\n"
			       "  tab-active: { bg: default }\n");
	struct theme t, def;
	struct err e = {{0}};

	theme_builtin_default(&def);
	assert_int_equal(theme_load_file(path, &t, &e), 0);
	assert_string_equal(t.name, "sunset"); /* from the file name */
	assert_false(t.mono);
	assert_int_equal(t.role[ROLE_OK].fg, 34);
	assert_int_equal(t.role[ROLE_OK].bg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.role[ROLE_OK].attrs, 0);
	assert_int_equal(t.role[ROLE_CRIT].fg, 11);
	assert_int_equal(t.role[ROLE_CRIT].bg, 255);
	assert_int_equal(t.role[ROLE_CRIT].attrs, THEME_BOLD | THEME_UNDERLINE | THEME_REVERSE |
							  THEME_ITALIC | THEME_BLINK | THEME_DIM);
	assert_int_equal(t.role[ROLE_WARN].attrs, THEME_UNDERLINE); /* a single name works */
	assert_int_equal(t.role[ROLE_WARN].fg, THEME_COLOR_DEFAULT); /* role entries are complete */
	assert_int_equal(t.role[ROLE_TAB_ACTIVE].bg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.role[ROLE_TAB_ACTIVE].attrs, 0);
	/* roles left out keep the built-in */
	assert_true(same_style(&t.role[ROLE_BORDER], &def.role[ROLE_BORDER]));
	assert_true(same_style(&t.role[ROLE_SELECTED], &def.role[ROLE_SELECTED]));
	free(path);
}

static void test_load_mono_and_name(void **state)
{
	char *path = write_tmp(state, "m.yaml", "name: My Mono\nmono: yes\nroles:\n  ok: { attrs: [italic] }\n");
	struct theme t, mono;
	struct err e = {{0}};

	theme_builtin_mono(&mono);
	assert_int_equal(theme_load_file(path, &t, &e), 0);
	assert_string_equal(t.name, "My Mono");
	assert_true(t.mono);
	assert_int_equal(t.role[ROLE_OK].attrs, THEME_ITALIC);
	/* a mono file's missing roles come from the mono built-in */
	assert_true(same_style(&t.role[ROLE_CRIT], &mono.role[ROLE_CRIT]));
	free(path);
}

static void test_empty_file(void **state)
{
	char *path = write_tmp(state, "blank.yaml", "# nothing yet\n");
	struct theme t, def;
	struct err e = {{0}};

	theme_builtin_default(&def);
	assert_int_equal(theme_load_file(path, &t, &e), 0);
	assert_string_equal(t.name, "blank");
	assert_memory_equal(t.role, def.role, sizeof t.role);
	free(path);
}

static void test_malformed_yaml(void **state)
{
	/* unclosed flow mapping: libyaml notices at the next line's ':' */
	expect_error(state, "name: x\nroles:\n  ok: { fg: green\n  warn: {}\n",
		     "4:7: did not find expected ',' or '}' while parsing a flow mapping");
	/* a dedented key inside a block mapping */
	expect_error(state, "name: x\nroles:\n  ok: {fg: green}\n warn: {}\n",
		     "4:2: did not find expected key while parsing a block mapping");
	expect_error(state, "name: x\n  bad: indent\n",
		     "2:6: mapping values are not allowed in this context");
	expect_error(state, "\tname: x\n",
		     "1:1: found character that cannot start any token while scanning for the next token");
	expect_error(state, "name: \"open\n", "2:1: found unexpected end of stream while scanning a quoted scalar");
	/* invalid UTF-8 is a reader error; its offset becomes a line and column */
	expect_error(state, "name: x\nroles: \xff\n", "2:8: invalid leading UTF-8 octet");
}

static void test_yaml_refusals(void **state)
{
	expect_error(state, "roles:\n  ok: &g { fg: green }\n  warn: *g\n", "2:7: anchors (&g) are not allowed");
	expect_error(state, "name: a\n---\nname: b\n", "2:1: only one YAML document is allowed per file");
	expect_error(state, "roles:\n  ok: {fg: red}\n  ok: {fg: green}\n",
		     "3:3: duplicate key 'ok' (first at line 2)");
	expect_error(state, "name: \"a\\0b\"\n", "1:7: NUL characters are not allowed");
	expect_error(state, "? [a]\n: b\n", "1:3: mapping keys must be scalars");
}

static void test_theme_errors(void **state)
{
	expect_error(state, "roles:\n  okay: { fg: green }\n", "2:3: unknown role 'okay'");
	expect_error(state, "roles:\n  ok: { fg: pink }\n",
		     "2:13: unknown colour 'pink' (black, red, green, yellow, blue, magenta, cyan, "
		     "white, their bright- forms, default, or 0-255)");
	expect_error(state, "roles:\n  ok: { bg: 256 }\n",
		     "2:13: unknown colour '256' (black, red, green, yellow, blue, magenta, cyan, "
		     "white, their bright- forms, default, or 0-255)");
	expect_error(state, "roles:\n  ok: { fg: -1 }\n",
		     "2:13: unknown colour '-1' (black, red, green, yellow, blue, magenta, cyan, "
		     "white, their bright- forms, default, or 0-255)");
	expect_error(state, "roles:\n  crit:\n    attrs: [bold, shiny]\n",
		     "3:19: unknown attribute 'shiny' (bold, dim, underline, reverse, italic, blink)");
	expect_error(state, "roles:\n  crit: { attrs: { bold: true } }\n",
		     "2:18: attrs must be a list of attribute names");
	expect_error(state, "roles:\n  crit: { fgcolour: red }\n",
		     "2:11: unknown key 'fgcolour' in a role (fg, bg, attrs)");
	expect_error(state, "roles: [ok]\n", "1:8: roles must be a mapping of role names to styles");
	expect_error(state, "roles:\n  ok: green\n",
		     "2:7: a role must be a mapping like { fg: red, bg: default, attrs: [bold] }");
	expect_error(state, "- a\n- b\n", "1:1: a theme must be a mapping of settings");
	expect_error(state, "name: x\ncolours: {}\n", "2:1: unknown setting 'colours' (known: name, mono, roles)");
	expect_error(state, "mono: maybe\n", "1:7: mono must be true or false, not 'maybe'");
	expect_error(state, "nmae: x\n", "1:1: unknown setting 'nmae'; did you mean 'name'?");
	expect_error(state, "mono: true\nroles:\n  ok: { fg: green }\n",
		     "3:13: a mono theme uses attributes only (no colours)");
	expect_error(state, "name: [a]\n", "1:7: name needs a single value: the theme's name as shown");
	expect_error(state, "name: \"a\\e[31m\"\n", "1:7: name contains control characters");
}

/* Every problem at once; the roles without one apply. */
static void test_theme_every_problem(void **state)
{
	char *path = tu_join(*state, "t.yaml");
	struct schema_diags d = {0};
	struct theme t, def;
	char want[1100];
	int ok = theme_role_parse("ok"), crit = theme_role_parse("crit");

	theme_builtin_default(&def);
	tu_write_file(path, "nmae: x\nroles:\n  ok: { fg: pink, bg: 300 }\n  crit: { fg: red }\n"
			    "  \"o\\e[2Jk\": {}\n");
	theme_load_diags(path, &t, &d);
	assert_int_equal(d.n, 4);
	snprintf(want, sizeof want, "%s:1:1: unknown setting 'nmae'; did you mean 'name'?", path);
	assert_string_equal(d.v[0].msg, want);
	assert_non_null(strstr(d.v[1].msg, ":3:13: unknown colour 'pink'"));
	assert_non_null(strstr(d.v[2].msg, ":3:23: unknown colour '300'"));
	snprintf(want, sizeof want, "%s:5:3: unknown role 'ok'", path);
	assert_string_equal(d.v[3].msg, want);
	assert_int_equal(t.role[crit].fg, 1); /* COLOR_RED */
	assert_memory_equal(&t.role[ok], &def.role[ok], sizeof t.role[ok]);
	schema_diags_free(&d);
	free(path);
}

static void test_missing_file(void **state)
{
	char *path = tu_join(*state, "nope.yaml");
	char want[1100];
	struct theme t, def;
	struct err e = {{0}};

	theme_builtin_default(&def);
	assert_int_equal(theme_load_file(path, &t, &e), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(e.msg, want);
	assert_memory_equal(&t, &def, sizeof t);
	free(path);
}

static void test_yaml_limits(void **state)
{
	char *deep = calloc(1, 200);
	char *big = malloc(1024 * 1024 + 2);
	char *path = NULL;
	char want[1100];
	struct ydoc doc = {0};
	struct err e = {{0}};

	memset(deep, '[', 70);
	assert_int_equal(ydoc_load_string("deep.yaml", deep, 70, &doc, &e), -1);
	assert_string_equal(e.msg, "deep.yaml:1:65: nested deeper than 64 levels");
	assert_null(doc.root);
	assert_null(doc.file);

	memset(big, '#', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\0';
	path = write_tmp(state, "big.yaml", big);
	assert_int_equal(ydoc_load(path, &doc, &e), -1);
	snprintf(want, sizeof want, "%s: too large (more than 1048576 bytes)", path);
	assert_string_equal(e.msg, want);
	free(path);

	assert_int_equal(ydoc_load_string("big", big, 1024 * 1024 + 1, &doc, &e), -1);
	assert_string_equal(e.msg, "big: too large (1048577 bytes; the limit is 1048576)");

	/* exactly at the limit is fine: one big comment */
	assert_int_equal(ydoc_load_string("ok", big, 1024 * 1024, &doc, &e), 0);
	assert_null(doc.root);
	ydoc_free(&doc);

	assert_int_equal(ydoc_load(*state, &doc, &e), -1); /* a folder */
	snprintf(want, sizeof want, "%s: Is a directory", (char *)*state);
	assert_string_equal(e.msg, want);
	free(big);
	free(deep);
}

static void test_yaml_tree(void **state)
{
	const char *text = "---\nhost: web-01\nports: [22, 443]\nnested:\n  key: \"v\"\n";
	struct ydoc doc = {0};
	struct ynode *n = NULL;
	struct err e = {{0}};

	(void)state;
	assert_int_equal(ydoc_load_string("mem.yaml", text, strlen(text), &doc, &e), 0);
	assert_string_equal(doc.file, "mem.yaml");
	assert_int_equal(doc.root->kind, YNODE_MAP);
	assert_int_equal(doc.root->line, 2);
	assert_int_equal(doc.root->col, 1);
	assert_int_equal(doc.root->n, 6);
	n = ynode_get(doc.root, "host");
	assert_int_equal(n->kind, YNODE_SCALAR);
	assert_string_equal(n->value, "web-01");
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 7);
	n = ynode_get(doc.root, "ports");
	assert_int_equal(n->kind, YNODE_SEQ);
	assert_int_equal(n->n, 2);
	assert_string_equal(n->kids[1]->value, "443");
	assert_int_equal(n->kids[1]->col, 13);
	n = ynode_get(ynode_get(doc.root, "nested"), "key");
	assert_string_equal(n->value, "v");
	assert_int_equal(n->line, 5);
	assert_int_equal(n->col, 8);
	assert_null(ynode_get(doc.root, "absent"));
	assert_null(ynode_get(n, "key")); /* not a map */
	assert_int_equal(ydoc_error(&doc, n, &e, "bad %s", "value"), -1);
	assert_string_equal(e.msg, "mem.yaml:5:8: bad value");
	ydoc_free(&doc);
	assert_null(doc.root);

	/* "---" alone and an empty string are empty documents */
	assert_int_equal(ydoc_load_string("e", "---\n", 4, &doc, &e), 0);
	assert_null(doc.root);
	ydoc_free(&doc);
	assert_int_equal(ydoc_load_string("e", "", 0, &doc, &e), 0);
	assert_null(doc.root);
	ydoc_free(&doc);
	/* a quoted empty string is a value, not an empty document */
	assert_int_equal(ydoc_load_string("e", "''", 2, &doc, &e), 0);
	assert_non_null(doc.root);
	assert_string_equal(doc.root->value, "");
	ydoc_free(&doc);
}

static void test_find(void **state)
{
	char *a = tu_join(*state, "a");
	char *b = tu_join(*state, "b");
	char *p = NULL;
	char out[1024], want[1200];
	const char *dirs[] = {a, b, NULL};
	struct err e = {{0}};

	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	p = tu_join(b, "dusk.yaml");
	tu_write_file(p, "name: dusk\n");
	free(p);
	p = tu_join(a, "dawn.yaml");
	tu_write_file(p, "name: dawn\n");
	free(p);
	p = tu_join(b, "dawn.yaml");
	tu_write_file(p, "name: other\n");
	free(p);

	assert_int_equal(theme_find("dusk", dirs, out, sizeof out, &e), 0);
	snprintf(want, sizeof want, "%s/dusk.yaml", b);
	assert_string_equal(out, want);
	/* first folder wins */
	assert_int_equal(theme_find("dawn", dirs, out, sizeof out, &e), 0);
	snprintf(want, sizeof want, "%s/dawn.yaml", a);
	assert_string_equal(out, want);

	/* a path */
	snprintf(want, sizeof want, "%s/dusk.yaml", b);
	assert_int_equal(theme_find(want, dirs, out, sizeof out, &e), 0);
	assert_string_equal(out, want);
	p = tu_join(b, "gone.yaml");
	assert_int_equal(theme_find(p, dirs, out, sizeof out, &e), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", p);
	assert_string_equal(e.msg, want);
	free(p);

	/* not found */
	assert_int_equal(theme_find("noon", dirs, out, sizeof out, &e), -1);
	snprintf(want, sizeof want, "theme 'noon' not found (no noon.yaml in %s, %s)", a, b);
	assert_string_equal(e.msg, want);
	assert_string_equal(out, "");
	assert_int_equal(theme_find("noon", NULL, out, sizeof out, &e), -1);
	assert_string_equal(e.msg, "theme 'noon' not found (no theme folders to search)");

	/* traversal and odd names are refused before touching the disk */
	assert_int_equal(theme_find("../x", dirs, out, sizeof out, &e), -1);
	assert_string_equal(e.msg, "theme '../x': a theme path must end in .yaml");
	assert_int_equal(theme_find("a/../../etc/passwd", dirs, out, sizeof out, &e), -1);
	assert_string_equal(e.msg, "theme 'a/../../etc/passwd': a theme path must end in .yaml");
	assert_int_equal(theme_find("..", dirs, out, sizeof out, &e), -1);
	assert_string_equal(e.msg, "theme '..': a theme name may only contain letters, digits, "
				   "'.', '_' and '-' and may not start with '.'");
	assert_int_equal(theme_find(".dusk", dirs, out, sizeof out, &e), -1);
	assert_int_equal(theme_find("du sk", dirs, out, sizeof out, &e), -1);
	assert_int_equal(theme_find("dusk\n", dirs, out, sizeof out, &e), -1);
	assert_int_equal(theme_find("", dirs, out, sizeof out, &e), -1);
	assert_string_equal(e.msg, "empty theme name");
	assert_int_equal(theme_find(NULL, dirs, out, sizeof out, &e), -1);

	/* a result that does not fit is not found rather than cut short */
	assert_int_equal(theme_find("dusk", dirs, out, 8, &e), -1);

	/* shipped themes are found by name in the source tree */
	p = tu_srcpath("themes");
	dirs[0] = p;
	dirs[1] = NULL;
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++)
		assert_int_equal(theme_find(shipped[i], dirs, out, sizeof out, &e), 0);
	free(p);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_shipped_themes),
		cmocka_unit_test_setup_teardown(test_load_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_mono_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_theme_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_theme_every_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_limits, setup, teardown),
		cmocka_unit_test(test_yaml_tree),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
