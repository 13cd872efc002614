/*
 * test_config: defaults, a good config.yaml, and every way one can be wrong,
 * each reported with its exact line and column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* By path: a bare "config.h" would find autoconf's header in the build folder first. */
#include "config.h"
#include "paths.h"
#include "testutil.h"

struct fixture {
	char *dir;
	char *path; /* dir/config.yaml */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->dir = tu_tmpdir();
	f->path = tu_join(f->dir, "config.yaml");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Loads yaml as config.yaml into c, which starts as garbage so defaults must be set. */
static int load(struct fixture *f, const char *yaml, struct config *c, struct err *e)
{
	tu_write_file(f->path, yaml);
	memset(c, 0x5A, sizeof *c);
	return config_load(f->path, c, e);
}

/* Expects yaml to fail with exactly "path:msg". */
static void expect_error(struct fixture *f, const char *yaml, const char *msg)
{
	struct config c;
	struct err e = {{0}};
	char want[1200];

	assert_int_equal(load(f, yaml, &c, &e), -1);
	snprintf(want, sizeof want, "%s:%s", f->path, msg);
	assert_string_equal(e.msg, want);
}

static void assert_defaults(const struct config *c)
{
	assert_string_equal(c->theme, "default");
	assert_false(c->clock_seconds);
	assert_int_equal(c->data_poll_ms, 500);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0x5A, sizeof c);
	config_defaults(&c);
	assert_defaults(&c);
}

static void test_missing_and_empty(void **state)
{
	struct fixture *f = *state;
	char *missing = tu_join(f->dir, "nope.yaml");
	struct config c;
	struct err e = {{0}};

	memset(&c, 0x5A, sizeof c);
	assert_int_equal(config_load(missing, &c, &e), 0);
	assert_defaults(&c);
	assert_int_equal(load(f, "", &c, &e), 0);
	assert_defaults(&c);
	assert_int_equal(load(f, "# comments only\n---\n", &c, &e), 0);
	assert_defaults(&c);
	free(missing);
}

static void test_good_file(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct err e = {{0}};

	assert_int_equal(load(f, "# opsdeck\ntheme: high-contrast\nclock_seconds: true\ndata_poll_ms: 250\n",
			      &c, &e), 0);
	assert_string_equal(c.theme, "high-contrast");
	assert_true(c.clock_seconds);
	assert_int_equal(c.data_poll_ms, 250);

	/* a subset keeps the other defaults; a theme may be a path */
	assert_int_equal(load(f, "theme: \"/home/op/my theme.yaml\"\n", &c, &e), 0);
	assert_string_equal(c.theme, "/home/op/my theme.yaml");
	assert_false(c.clock_seconds);
	assert_int_equal(c.data_poll_ms, 500);
}

static void test_fleet_settings(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct paths p;
	struct err e = {{0}};

	assert_int_equal(load(f, "inventory: ~/ops/hosts.yaml\nknown_hosts: /etc/opsdeck/known\n"
				 "ssh_config: none\nmax_handshakes: 200\nconnect_timeout_s: 3\n"
				 "command_timeout_s: 120\noutput_cap_kib: 256\n", &c, &e), 0);
	assert_int_equal(c.max_handshakes, 200);
	assert_int_equal(c.connect_timeout_s, 3);
	assert_int_equal(c.command_timeout_s, 120);
	assert_int_equal(c.output_cap_kib, 256);
	setenv("HOME", "/home/op", 1);
	unsetenv("OPSDECK_CONFIG_DIR");
	assert_int_equal(paths_resolve(&p, NULL, &e), 0);
	assert_string_equal(p.inventory_file, "/home/op/.config/opsdeck/inventory.yaml");
	assert_string_equal(p.ssh_config, "/home/op/.ssh/config");
	assert_int_equal(paths_apply_config(&p, &c, &e), 0);
	assert_string_equal(p.inventory_file, "/home/op/ops/hosts.yaml"); /* ~/ expanded */
	assert_string_equal(p.known_hosts, "/etc/opsdeck/known");
	assert_string_equal(p.ssh_config, ""); /* none: read no ssh config */
	expect_error(f, "max_handshakes: 0\n", "1:17: max_handshakes must be from 1 to 1024, not 0");
	expect_error(f, "inventory: \"\"\n", "1:12: inventory must not be empty");
}

static void test_bools(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{"clock_seconds: true\n", true}, {"clock_seconds: false\n", false},
		{"clock_seconds: yes\n", true}, {"clock_seconds: no\n", false},
		{"clock_seconds: True\n", true}, {"clock_seconds: NO\n", false},
	};
	struct fixture *f = *state;
	struct config c;
	struct err e = {{0}};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(load(f, cases[i].text, &c, &e), 0);
		assert_int_equal(c.clock_seconds, cases[i].value);
	}
	expect_error(f, "clock_seconds: maybe\n", "1:16: clock_seconds must be true or false, not 'maybe'");
	expect_error(f, "clock_seconds: 1\n", "1:16: clock_seconds must be true or false, not '1'");
	expect_error(f, "clock_seconds:\n", "1:15: clock_seconds must be true or false, not ''");
}

static void test_ints(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct err e = {{0}};

	assert_int_equal(load(f, "data_poll_ms: 100\n", &c, &e), 0);
	assert_int_equal(c.data_poll_ms, 100);
	assert_int_equal(load(f, "data_poll_ms: 10000\n", &c, &e), 0);
	assert_int_equal(c.data_poll_ms, 10000);
	expect_error(f, "data_poll_ms: 99\n", "1:15: data_poll_ms must be from 100 to 10000, not 99");
	expect_error(f, "data_poll_ms: 10001\n", "1:15: data_poll_ms must be from 100 to 10000, not 10001");
	expect_error(f, "data_poll_ms: -5\n", "1:15: data_poll_ms must be from 100 to 10000, not -5");
	expect_error(f, "data_poll_ms: 99999999999999999999999\n",
		     "1:15: data_poll_ms must be from 100 to 10000, not 99999999999999999999999");
	expect_error(f, "data_poll_ms: fast\n", "1:15: data_poll_ms must be a whole number, not 'fast'");
	expect_error(f, "data_poll_ms: 250ms\n", "1:15: data_poll_ms must be a whole number, not '250ms'");
	expect_error(f, "data_poll_ms: 0x200\n", "1:15: data_poll_ms must be a whole number, not '0x200'");
	expect_error(f, "data_poll_ms: 2.5e2\n", "1:15: data_poll_ms must be a whole number, not '2.5e2'");
	expect_error(f, "data_poll_ms: \" 250\"\n", "1:15: data_poll_ms must be a whole number, not ' 250'");
}

static void test_unknown_key(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct err e = {{0}};
	char want[1200];

	assert_int_equal(load(f, "theme: light\ncolour: red\nclock_seconds: yes\n", &c, &e), -1);
	snprintf(want, sizeof want, "%s:2:1: unknown setting 'colour' (known: theme, clock_seconds, data_poll_ms, inventory, "
		 "known_hosts, ssh_config, max_handshakes, connect_timeout_s, command_timeout_s, output_cap_kib)",
		 f->path);
	assert_string_equal(e.msg, want);
	/* what came before the error applies; what came after keeps its default */
	assert_string_equal(c.theme, "light");
	assert_false(c.clock_seconds);
	assert_int_equal(c.data_poll_ms, 500);
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;
	char long_theme[400];

	expect_error(f, "theme: ''\n", "1:8: theme must not be empty");
	expect_error(f, "theme: [a, b]\n", "1:8: theme needs a single value: "
					   "a theme name from the themes folders, or a path to a .yaml file");
	expect_error(f, "data_poll_ms: {ms: 5}\n", "1:15: data_poll_ms needs a single value: "
						  "how often the console looks for other writers, in milliseconds");
	snprintf(long_theme, sizeof long_theme, "theme: %0300d\n", 7);
	expect_error(f, long_theme, "1:8: theme is longer than 255 bytes");
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "theme: light\nclock_seconds: [true\n",
		     "3:1: did not find expected ',' or ']' while parsing a flow sequence");
	expect_error(f, "theme: light\n  data_poll_ms: 5\n", "2:15: mapping values are not allowed in this context");
	expect_error(f, "theme: a\ntheme: b\n", "2:1: duplicate key 'theme' (first at line 1)");
	expect_error(f, "theme: *x\n", "1:8: aliases (*x) are not allowed");
	expect_error(f, "just words\n", "1:1: config must be a mapping of settings");
	expect_error(f, "- theme\n", "1:1: config must be a mapping of settings");
}

static void test_unreadable(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct err e = {{0}};
	char want[1200];

	/* a folder where the file should be: an error, not defaults */
	assert_int_equal(config_load(f->dir, &c, &e), -1);
	snprintf(want, sizeof want, "%s: Is a directory", f->dir);
	assert_string_equal(e.msg, want);
	assert_defaults(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_missing_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
