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
#include "incident_config.h"
#include "inventory.h"
#include "paths.h"
#include "schema.h"
#include "theme.h"
#include "testutil.h"
#include "yamlutil.h"

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
		 "known_hosts, ssh_config, max_handshakes, connect_timeout_s, command_timeout_s, output_cap_kib, backup, retention, witness)",
		 f->path);
	assert_string_equal(e.msg, want);
	/* an unknown key drops nothing: the settings before and after it apply */
	assert_string_equal(c.theme, "light");
	assert_true(c.clock_seconds);
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
	expect_error(f, "just words\n", "1:1: config.yaml must be a mapping of settings");
	expect_error(f, "- theme\n", "1:1: config.yaml must be a mapping of settings");
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


/* Loads yaml with every problem; d is the caller's (schema_diags_free). */
static void load_diags(struct fixture *f, const char *yaml, struct config *c,
		       struct schema_diags *d)
{
	tu_write_file(f->path, yaml);
	memset(c, 0x5A, sizeof *c);
	*d = (struct schema_diags){0};
	config_load_diags(f->path, c, d);
}

/* Asserts d->v[i] is exactly "path:msg". */
static void assert_diag(struct fixture *f, const struct schema_diags *d, size_t i, const char *msg)
{
	char want[1200];

	assert_true(i < d->n);
	snprintf(want, sizeof want, "%s:%s", f->path, msg);
	assert_string_equal(d->v[i].msg, want);
}

/* Two typos and a bad value: three messages, and the good settings beside them stay. */
static void test_every_problem_kept_settings(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct schema_diags d;

	load_diags(f, "theme: light\n"
		      "clock_secnds: yes\n"
		      "inventory: /srv/ops/hosts.yaml\n"
		      "data_poll_ms: fast\n"
		      "max_handshakes: 8\n"
		      "outptu_cap_kib: 9\n"
		      "known_hosts: /srv/ops/known_hosts\n", &c, &d);
	assert_int_equal(d.n, 3);
	assert_diag(f, &d, 0, "2:1: unknown setting 'clock_secnds'; did you mean 'clock_seconds'?");
	assert_diag(f, &d, 1, "4:15: data_poll_ms must be a whole number, not 'fast'");
	assert_diag(f, &d, 2, "6:1: unknown setting 'outptu_cap_kib'; did you mean 'output_cap_kib'?");
	assert_int_equal(d.n_fatal, 0);
	assert_string_equal(c.theme, "light");
	assert_string_equal(c.inventory, "/srv/ops/hosts.yaml");
	assert_string_equal(c.known_hosts, "/srv/ops/known_hosts");
	assert_int_equal(c.max_handshakes, 8);
	assert_int_equal(c.data_poll_ms, 500); /* the bad one: its default */
	assert_int_equal(c.output_cap_kib, 64);
	schema_diags_free(&d);
}

/* A setting that chooses hosts or keys refuses to run when it is bad or mistyped. */
static void test_critical_settings(void **state)
{
	static const struct {
		const char *yaml;
		const char *msg;
	} cases[] = {
		{ "theme: light\nknown_hosts: [a, b]\n", "2:14: known_hosts needs a single value" },
		{ "known_hosts: ~bob/known\n", "1:14: known_hosts must start with ~/ or be a plain path" },
		{ "known_host: /srv/known\n", "1:1: unknown setting 'known_host'; did you mean 'known_hosts'?" },
		{ "inventory: \"\"\n", "1:12: inventory must not be empty" },
		{ "inventory: /srv/\n", "1:12: inventory names a folder, not a file" },
		{ "Inventory: /srv/hosts.yaml\n", "1:1: unknown setting 'Inventory'; did you mean 'inventory'?" },
		{ "ssh_config: {a: 1}\n", "1:13: ssh_config needs a single value" },
		{ "known_hosts: /a\nknown_hosts: /b\n", "2:1: duplicate key 'known_hosts' (first at line 1)" },
		{ "theme: light\nknown_hosts: [a\n", "3:1: did not find expected ',' or ']'" },
		{ "- inventory\n", "1:1: config.yaml must be a mapping of settings" },
	};
	struct fixture *f = *state;
	struct config c;
	struct schema_diags d;
	char want[1200];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		load_diags(f, cases[i].yaml, &c, &d);
		assert_int_equal(d.n, 1);
		snprintf(want, sizeof want, "%s:%s", f->path, cases[i].msg);
		if (strncmp(d.v[0].msg, want, strlen(want)) != 0)
			fail_msg("case %zu: '%s' does not start with '%s'", i, d.v[0].msg, want);
		assert_int_equal(d.n_fatal, 1);
		assert_true(d.v[0].fatal);
		schema_diags_free(&d);
	}
	/* ssh_config: none is a word, not a path; a bad theme is not fatal */
	load_diags(f, "ssh_config: none\ntheme: \"\"\n", &c, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.n_fatal, 0);
	assert_string_equal(c.ssh_config, "none");
	schema_diags_free(&d);
}

/* File bytes in a message go through the sanitiser: no escape reaches the terminal. */
static void test_message_sanitised(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct schema_diags d;
	struct err e = {{0}};

	load_diags(f, "\"col\\e]52;c;aGVsbG8=\\aour\": red\ntheme: \"x\\e[2J\"\n"
		      "data_poll_ms: \"\\e[31mfast\"\n", &c, &d);
	assert_int_equal(d.n, 3);
	for (size_t i = 0; i < d.n; i++) {
		assert_null(strchr(d.v[i].msg, '\033'));
		assert_null(strchr(d.v[i].msg, '\a'));
	}
	assert_diag(f, &d, 0, "1:1: unknown setting 'colour' (known: theme, clock_seconds, data_poll_ms, "
			      "inventory, known_hosts, ssh_config, max_handshakes, connect_timeout_s, "
			      "command_timeout_s, output_cap_kib, backup, retention, witness)");
	assert_diag(f, &d, 1, "2:8: theme contains control characters");
	assert_diag(f, &d, 2, "3:15: data_poll_ms must be a whole number, not 'fast'");
	schema_diags_free(&d);
	/* the tree's own errors too */
	{
		const char *dup = "\"a\\e[31mb\": 1\n\"a\\e[31mb\": 2\n";

		assert_int_equal(ydoc_load_string("k.yaml", dup, strlen(dup), &(struct ydoc){0}, &e), -1);
	}
	assert_string_equal(e.msg, "k.yaml:2:1: duplicate key 'ab' (first at line 1)");
}

static void test_witness(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct schema_diags d;

	load_diags(f, "witness:\n"
		      "  every: 30m\n"
		      "  command: [logger, -t, opsdeck-chain]\n"
		      "  verify_command: [ssh, w1, cat, /var/log/chain]\n"
		      "  files:\n"
		      "    - { host: w1, path: /var/log/opsdeck.chain }\n"
		      "    - { host: w2 }\n", &c, &d);
	assert_int_equal(d.n, 1);
	assert_diag(f, &d, 0, "7:7: a witness file needs a host and a path");
	assert_true(c.witness.set);
	assert_int_equal(c.witness.every_ms, 30 * 60 * 1000);
	assert_int_equal(c.witness.command.n, 3);
	assert_string_equal(c.witness.command.arg[2], "opsdeck-chain");
	assert_int_equal(c.witness.verify_command.n, 4);
	assert_int_equal(c.witness.n_files, 1);
	assert_string_equal(c.witness.files[0].host, "w1");
	assert_string_equal(c.witness.files[0].path, "/var/log/opsdeck.chain");
	schema_diags_free(&d);

	load_diags(f, "witness: { evry: 1m, every: 5s, command: logger }\n", &c, &d);
	assert_int_equal(d.n, 3);
	assert_diag(f, &d, 0, "1:12: unknown setting 'evry'; did you mean 'every'?");
	assert_diag(f, &d, 1, "1:29: every must be from 60s to 604800s, not 5s");
	assert_diag(f, &d, 2, "1:42: command must be a list like [program, arg, ...]");
	assert_int_equal(c.witness.every_ms, 15 * 60 * 1000); /* the default */
	assert_int_equal(c.witness.command.n, 0);
	schema_diags_free(&d);

	config_defaults(&c);
	assert_false(c.witness.set);
	assert_int_equal(c.witness.every_ms, 15 * 60 * 1000);
}

/* The duplicate-key check is a hash set: 100,000 keys load at once, and a repeat is named. */
static void test_yaml_many_keys(void **state)
{
	const size_t n = 100000;
	size_t cap = n * 12 + 64, used = 0;
	char *text = malloc(cap);
	struct ydoc doc = {0};
	struct err e = {{0}};

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, "k%05zu: 1\n", i);
	assert_int_equal(ydoc_load_string("big.yaml", text, used, &doc, &e), 0);
	assert_int_equal(doc.root->n, 2 * n);
	ydoc_free(&doc);

	/* the same keys with the first repeated at the end */
	used -= 10;
	used += (size_t)snprintf(text + used, cap - used, "k00000: 2\n");
	assert_int_equal(ydoc_load_string("big.yaml", text, used, &doc, &e), -1);
	assert_string_equal(e.msg, "big.yaml:100000:1: duplicate key 'k00000' (first at line 1)");
	/* keeping going: it loads, the first value stays, the repeat is reported */
	assert_int_equal(ydoc_load_string_flags("big.yaml", text, used, YDOC_KEEP_GOING, &doc, &e), 0);
	assert_int_equal(doc.root->n, 2 * (n - 1));
	assert_string_equal(ynode_get(doc.root, "k00000")->value, "1");
	assert_int_equal(doc.n_problems, 1);
	assert_string_equal(doc.problems[0].msg,
			    "big.yaml:100000:1: duplicate key 'k00000' (first at line 1)");
	ydoc_free(&doc);

	/* a repeated key whose value is a nested map is left out whole */
	{
		const char *nested = "a: 1\nb: {x: [1, {y: 2}]}\nb: {z: 3}\nc: 4\n";

		assert_int_equal(ydoc_load_string_flags("n.yaml", nested, strlen(nested),
							YDOC_KEEP_GOING, &doc, &e), 0);
	}
	assert_int_equal(doc.root->n, 6);
	assert_non_null(ynode_get(ynode_get(doc.root, "b"), "x"));
	assert_string_equal(ynode_get(doc.root, "c")->value, "4");
	ydoc_free(&doc);
	free(text);
}

/* Every default in the table reads back as the documented value. */
static void test_schema_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0x5A, sizeof c);
	config_defaults(&c);
	assert_defaults(&c);
	assert_string_equal(c.inventory, "");
	assert_int_equal(c.max_handshakes, 64);
	assert_int_equal(c.connect_timeout_s, 10);
	assert_int_equal(c.command_timeout_s, 30);
	assert_int_equal(c.output_cap_kib, 64);
	assert_non_null(schema_find(&config_schema, "witness"));
	/* each table's written defaults read back without a problem */
	{
		const struct schema *const tables[] = { &config_schema, &incident_config_schema,
							&theme_schema };

		for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
			for (size_t i = 0; i < tables[t]->n; i++) {
				const struct schema_entry *se = &tables[t]->entries[i];
				char text[512];
				struct ydoc doc = {0};
				struct err e = {{0}};
				struct schema_diags d = {0};
				union {
					struct config c;
					struct incident_config ic;
					char theme[512];
				} target;

				if (!se->def || se->type >= SCHEMA_ARGV)
					continue;
				snprintf(text, sizeof text, "%s: \"%s\"\n", se->name, se->def);
				assert_int_equal(ydoc_load_string("t.yaml", text, strlen(text), &doc,
								  &e), 0);
				memset(&target, 0, sizeof target);
				schema_apply(tables[t], &doc, doc.root, &target, &d, NULL);
				if (d.n)
					fail_msg("%s: %s", tables[t]->what, d.v[0].msg);
				ydoc_free(&doc);
			}
		}
	}
	assert_null(schema_suggest(&config_schema, "colour"));
	assert_string_equal(schema_suggest(&config_schema, "thme")->name, "theme");
}

/* incidents.yaml: every problem at once; its good settings stay. */
static void test_incidents_every_problem(void **state)
{
	struct fixture *f = *state;
	char *path = tu_join(f->dir, "incidents.yaml");
	struct incident_config ic;
	struct schema_diags d = {0};
	char want[1200];

	tu_write_file(path, "alert: loud\n"
			    "alert_severity: SEV3\n"
			    "flapping: { window: 1x, changes: 7 }\n"
			    "severities:\n  SEV1: { ack: soon, name: Outage }\n  SEV9: {}\n"
			    "pagr: yes\n");
	incident_config_load_diags(path, &ic, &d);
	assert_int_equal(d.n, 5);
	snprintf(want, sizeof want, "%s:1:8: alert must be bell, flash or none, not 'loud'", path);
	assert_string_equal(d.v[0].msg, want);
	snprintf(want, sizeof want, "%s:3:21: window must be a duration such as 90s, 15m, 4h or 3d, "
		 "not '1x'", path);
	assert_string_equal(d.v[1].msg, want);
	snprintf(want, sizeof want, "%s:5:16: ack must be a duration such as 90s, 15m, 4h or 3d, "
		 "not 'soon'", path);
	assert_string_equal(d.v[2].msg, want);
	snprintf(want, sizeof want, "%s:6:3: unknown severity 'SEV9' (known: SEV1, SEV2, SEV3, SEV4)",
		 path);
	assert_string_equal(d.v[3].msg, want);
	snprintf(want, sizeof want, "%s:7:1: unknown setting 'pagr' (known: severities, escalation, "
		 "flapping, alert, alert_severity)", path);
	assert_string_equal(d.v[4].msg, want);
	assert_int_equal(ic.alert, INCIDENT_ALERT_BELL);     /* the bad one: default */
	assert_int_equal(ic.alert_severity, 3);               /* beside it: kept */
	assert_int_equal(ic.flap_changes, 7);
	assert_int_equal(ic.flap_window_ms, 10 * 60 * 1000);
	assert_string_equal(ic.sev[0].name, "Outage");
	assert_int_equal(ic.sev[0].ack_ms, 5 * 60 * 1000);
	schema_diags_free(&d);
	free(path);
}

/* The inventory: every bad entry named (fatal: it chooses hosts), names sanitised. */
static void test_inventory_every_problem(void **state)
{
	struct fixture *f = *state;
	char *path = tu_join(f->dir, "inventory.yaml");
	struct inventory inv;
	struct schema_diags d = {0};
	struct err e = {{0}};
	char want[1200];

	tu_write_file(path, "\"ho\\e]0;x\\astz\": []\n"
			    "hosts:\n  - { name: a, port: 99999 }\n  - { name: \"b\\e[31mx\" }\n"
			    "  - { name: c }\n  - { name: d, groups: [x, {y: 1}] }\n");
	assert_int_equal(inventory_load_diags(path, &inv, &d), -1);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.n_fatal, 4);
	for (size_t i = 0; i < d.n; i++)
		assert_null(strchr(d.v[i].msg, '\033'));
	snprintf(want, sizeof want, "%s:1:1: unknown setting 'hostz'; did you mean 'hosts'?", path);
	assert_string_equal(d.v[0].msg, want);
	snprintf(want, sizeof want, "%s:3:22: port must be from 1 to 65535, not 99999", path);
	assert_string_equal(d.v[1].msg, want);
	assert_non_null(strstr(d.v[2].msg, ":4:13: host name 'b"));
	assert_non_null(strstr(d.v[3].msg, ":6:28: groups must be a list of names"));
	inventory_free(&inv);
	schema_diags_free(&d);
	/* inventory_load itself: the first problem, sanitised too */
	assert_int_equal(inventory_load(path, &inv, &e), -1);
	snprintf(want, sizeof want, "%s:1:1: unknown top-level key 'ho?]0;x?stz' (known: defaults, hosts, "
		 "thresholds, probes)", path);
	assert_string_equal(e.msg, want);
	inventory_free(&inv);
	free(path);
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
		cmocka_unit_test_setup_teardown(test_every_problem_kept_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_critical_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_sanitised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_witness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incidents_every_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_every_problem, setup, teardown),
		cmocka_unit_test(test_yaml_many_keys),
		cmocka_unit_test(test_schema_defaults),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
