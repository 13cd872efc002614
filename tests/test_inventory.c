/*
 * test_inventory: opsdeck and Ansible inventories, name ranges, defaults and var
 * inheritance, and every way a file can be wrong, each with its exact
 * "file:line:col:" prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "testutil.h"

struct fixture {
	char *dir;
	char *path; /* dir/inventory.yaml */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->dir = tu_tmpdir();
	f->path = tu_join(f->dir, "inventory.yaml");
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

/* Loads yaml into inv and fails the test, showing why, unless it loads. */
static void load_ok(struct fixture *f, const char *yaml, struct inventory *inv)
{
	struct err e = {{0}};

	tu_write_file(f->path, yaml);
	if (inventory_load(f->path, inv, &e) != 0) {
		print_error("inventory_load: %s\n", e.msg);
		fail();
	}
}

/* Expects yaml to fail with exactly "path:msg" and to leave the inventory empty. */
static void expect_error(struct fixture *f, const char *yaml, const char *msg)
{
	struct inventory inv;
	struct err e = {{0}};
	char want[1200];

	tu_write_file(f->path, yaml);
	memset(&inv, 0x5A, sizeof inv);
	assert_int_equal(inventory_load(f->path, &inv, &e), -1);
	snprintf(want, sizeof want, "%s:%s", f->path, msg);
	assert_string_equal(e.msg, want);
	assert_null(inv.hosts);
	assert_int_equal(inv.n_hosts, 0);
	assert_null(inv.file);
	inventory_free(&inv);
}

/* Asserts v holds exactly the strings given, then NULL. */
static void assert_strv(char **v, ...)
{
	va_list ap;
	const char *want = NULL;
	size_t i = 0;

	assert_non_null(v);
	va_start(ap, v);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want);
		i++;
	}
	va_end(ap);
	assert_null(v[i]);
}

static const struct inventory_host *host(const struct inventory *inv, const char *name)
{
	const struct inventory_host *h = inventory_find(inv, name);

	if (!h) {
		print_error("no host '%s'\n", name);
		fail();
	}
	return h;
}

/* ---- opsdeck format ---- */

static const char full_yaml[] =
	"# opsdeck inventory\n"                                              /* 1 */
	"defaults:\n"                                                        /* 2 */
	"  user: ops\n"                                                      /* 3 */
	"  port: 2200\n"                                                     /* 4 */
	"  probes: [load, memory]\n"                                         /* 5 */
	"  tags: [managed]\n"                                                /* 6 */
	"hosts:\n"                                                           /* 7 */
	"  - name: web01.example.org\n"                                      /* 8 */
	"    address: 10.0.0.5\n"                                            /* 9 */
	"    port: 22\n"                                                     /* 10 */
	"    user: deploy\n"                                                 /* 11 */
	"    groups: [web, frontend]\n"                                      /* 12 */
	"    tags: [nginx, tls, nginx]\n"                                    /* 13 */
	"    environment: production eu\n"                                   /* 14 */
	"    criticality: high\n"                                            /* 15 */
	"    lifecycle: maintenance\n"                                       /* 16 */
	"    identity_file: ~/.ssh/id_ed25519\n"                             /* 17 */
	"    probes: [load, memory, disk, failed-units, updates, reboot, Check_HTTP]\n" /* 18 */
	"  - name: db1\n"                                                    /* 19 */
	"  - {name: db2, criticality: critical, lifecycle: decommissioned, probes: []}\n" /* 20 */
	"thresholds:\n"                                                      /* 21 */
	"  - { probe: disk, warn: 80, crit: 90 }\n"                          /* 22 */
	"  - { probe: disk, group: db, warn: 70.5, crit: 85 }\n"             /* 23 */
	"  - { probe: Check_HTTP, crit: -1e1 }\n"                            /* 24 */
	"probes:\n"                                                          /* 25 */
	"  - name: Check_HTTP\n"                                             /* 26 */
	"    command: /usr/lib/nagios/plugins/check_http -H localhost\n"    /* 27 */
	"    interval: 60\n"                                                 /* 28 */
	"    timeout: 10\n"                                                  /* 29 */
	"    warn: 0.5\n"                                                    /* 30 */
	"    crit: 2\n"                                                      /* 31 */
	"  - {name: ping, command: /bin/true}\n";                            /* 32 */

static void test_opsdeck_full(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;
	const struct inventory_host *h = NULL;

	load_ok(f, full_yaml, &inv);
	assert_string_equal(inv.file, f->path);
	assert_int_equal(inv.n_hosts, 3);

	h = &inv.hosts[0];
	assert_string_equal(h->name, "web01.example.org");
	assert_string_equal(h->address, "10.0.0.5");
	assert_int_equal(h->port, 22);
	assert_string_equal(h->user, "deploy");
	assert_strv(h->groups, "web", "frontend", NULL);
	assert_strv(h->tags, "nginx", "tls", NULL); /* repeats dropped; the default replaced */
	assert_string_equal(h->environment, "production eu");
	assert_int_equal(h->criticality, INV_CRIT_HIGH);
	assert_int_equal(h->lifecycle, INV_MAINTENANCE);
	assert_string_equal(h->identity_file, "/home/tester/.ssh/id_ed25519");
	assert_strv(h->probes, "load", "memory", "disk", "failed-units", "updates", "reboot",
		    "Check_HTTP", NULL);
	assert_int_equal(h->line, 8);
	assert_int_equal(h->col, 11);

	/* defaults fill what an entry leaves out */
	h = &inv.hosts[1];
	assert_string_equal(h->name, "db1");
	assert_null(h->address);
	assert_int_equal(h->port, 2200);
	assert_string_equal(h->user, "ops");
	assert_strv(h->groups, NULL);
	assert_strv(h->tags, "managed", NULL);
	assert_null(h->environment);
	assert_int_equal(h->criticality, INV_CRIT_UNSET);
	assert_int_equal(h->lifecycle, INV_ACTIVE);
	assert_null(h->identity_file);
	assert_strv(h->probes, "load", "memory", NULL);
	assert_int_equal(h->line, 19);
	assert_int_equal(h->col, 11);

	/* an empty probe list is no probes, not the default set */
	h = &inv.hosts[2];
	assert_string_equal(h->name, "db2");
	assert_int_equal(h->criticality, INV_CRIT_CRITICAL);
	assert_int_equal(h->lifecycle, INV_DECOMMISSIONED);
	assert_strv(h->probes, NULL);
	assert_int_equal(h->line, 20);
	assert_int_equal(h->col, 12);

	assert_int_equal(inv.n_probes, 2);
	assert_string_equal(inv.probes[0].name, "Check_HTTP");
	assert_string_equal(inv.probes[0].command, "/usr/lib/nagios/plugins/check_http -H localhost");
	assert_int_equal(inv.probes[0].interval_s, 60);
	assert_int_equal(inv.probes[0].timeout_s, 10);
	assert_true(inv.probes[0].warn == 0.5);
	assert_true(inv.probes[0].crit == 2.0);
	assert_int_equal(inv.probes[0].line, 26);
	assert_int_equal(inv.probes[0].col, 5);
	assert_string_equal(inv.probes[1].name, "ping");
	assert_string_equal(inv.probes[1].command, "/bin/true");
	assert_int_equal(inv.probes[1].interval_s, 0);
	assert_int_equal(inv.probes[1].timeout_s, 0);
	assert_true(isnan(inv.probes[1].warn));
	assert_true(isnan(inv.probes[1].crit));
	assert_int_equal(inv.probes[1].line, 32);
	assert_int_equal(inv.probes[1].col, 5);

	inventory_free(&inv);
	assert_null(inv.hosts);
	assert_int_equal(inv.n_hosts, 0);
	inventory_free(&inv); /* twice is harmless */
}

static void test_thresholds(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;

	load_ok(f, full_yaml, &inv);
	assert_int_equal(inv.n_thresholds, 3);
	assert_string_equal(inv.thresholds[0].probe, "disk");
	assert_null(inv.thresholds[0].group);
	assert_true(inv.thresholds[0].warn == 80.0);
	assert_true(inv.thresholds[0].crit == 90.0);
	assert_int_equal(inv.thresholds[0].line, 22);
	assert_int_equal(inv.thresholds[0].col, 5);
	assert_string_equal(inv.thresholds[1].probe, "disk");
	assert_string_equal(inv.thresholds[1].group, "db");
	assert_true(inv.thresholds[1].warn == 70.5);
	assert_true(inv.thresholds[1].crit == 85.0);
	assert_int_equal(inv.thresholds[1].line, 23);
	assert_string_equal(inv.thresholds[2].probe, "Check_HTTP");
	assert_true(isnan(inv.thresholds[2].warn));
	assert_true(inv.thresholds[2].crit == -10.0);
	inventory_free(&inv);
}

static void test_defaults_and_empty(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;
	struct err e = {{0}};
	char *missing = tu_join(f->dir, "nope.yaml");
	char want[1200];

	/* list sections alone make it opsdeck's; lists replace defaults, other keys keep them */
	load_ok(f, "defaults: {groups: [all-web], lifecycle: maintenance, identity_file: ~}\n"
		   "hosts:\n  - {name: a, groups: [x]}\n  - name: b\n", &inv);
	assert_int_equal(inv.n_hosts, 2);
	assert_strv(inv.hosts[0].groups, "x", NULL);
	assert_strv(inv.hosts[1].groups, "all-web", NULL);
	assert_int_equal(inv.hosts[0].lifecycle, INV_MAINTENANCE);
	assert_string_equal(inv.hosts[1].identity_file, "/home/tester");
	assert_null(inv.hosts[0].probes);
	inventory_free(&inv);

	/* "~user" is not ours to expand */
	load_ok(f, "hosts:\n  - {name: a, identity_file: ~other/key}\n", &inv);
	assert_string_equal(inv.hosts[0].identity_file, "~other/key");
	inventory_free(&inv);

	load_ok(f, "", &inv);
	assert_int_equal(inv.n_hosts, 0);
	assert_string_equal(inv.file, f->path);
	inventory_free(&inv);

	load_ok(f, "thresholds: []\nhosts:\n", &inv);
	assert_int_equal(inv.n_hosts, 0);
	inventory_free(&inv);

	assert_int_equal(inventory_load(missing, &inv, &e), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", missing);
	assert_string_equal(e.msg, want);
	free(missing);
}

/* ---- ranges ---- */

static void expand_ok(const char *pattern, ...)
{
	struct err e = {{0}};
	char **v = inventory_expand(pattern, &e);
	va_list ap;
	const char *want = NULL;
	size_t i = 0;

	if (!v) {
		print_error("inventory_expand(%s): %s\n", pattern, e.msg);
		fail();
	}
	va_start(ap, pattern);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want);
		i++;
	}
	va_end(ap);
	assert_null(v[i]);
	inventory_strv_free(v);
}

static void expand_err(const char *pattern, const char *msg)
{
	struct err e = {{0}};

	assert_null(inventory_expand(pattern, &e));
	assert_string_equal(e.msg, msg);
}

static void test_expand(void **state)
{
	struct err e = {{0}};
	char **v = NULL;
	size_t n = 0;

	(void)state;
	expand_ok("plain.example.org", "plain.example.org", NULL);
	expand_ok("web[01:03].example.org", "web01.example.org", "web02.example.org",
		  "web03.example.org", NULL);
	expand_ok("n[8:11]", "n8", "n9", "n10", "n11", NULL);
	expand_ok("n[08:11]", "n08", "n09", "n10", "n11", NULL);
	expand_ok("n[001:2]", "n001", "n002", NULL);
	expand_ok("n[0:2]", "n0", "n1", "n2", NULL);
	expand_ok("db[a:c]", "dba", "dbb", "dbc", NULL);
	expand_ok("db[X:Z]", "dbX", "dbY", "dbZ", NULL);
	expand_ok("db[a:e:2]", "dba", "dbc", "dbe", NULL);
	expand_ok("web[01:10:4]", "web01", "web05", "web09", NULL);
	expand_ok("[5:5]", "5", NULL);
	expand_ok("r[1:2]n[a:b].dc", "r1na.dc", "r1nb.dc", "r2na.dc", "r2nb.dc", NULL);

	/* exactly the cap is fine */
	v = inventory_expand("h[1:100]-[1:100]", &e);
	assert_non_null(v);
	while (v[n])
		n++;
	assert_int_equal(n, 10000);
	assert_string_equal(v[0], "h1-1");
	assert_string_equal(v[9999], "h100-100");
	inventory_strv_free(v);

	expand_err("web[05:01]", "'web[05:01]': range [05:01] is reversed");
	expand_err("web[c:a]", "'web[c:a]': range [c:a] is reversed");
	expand_err("n[1:10001]", "'n[1:10001]': expands to more than 10000 names");
	expand_err("h[1:100][1:101]", "'h[1:100][1:101]': expands to more than 10000 names");
	expand_err("n[1:9:0]", "'n[1:9:0]': range [1:9:0] has a step of 0");
	expand_err("web[1-3]", "'web[1-3]': malformed range [1-3] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[]", "'web[]': malformed range [] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[1:]", "'web[1:]': malformed range [1:] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[a:3]", "'web[a:3]': malformed range [a:3] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[a:Z]", "'web[a:Z]': malformed range [a:Z] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[aa:b]", "'web[aa:b]': malformed range [aa:b] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[1:2:3:4]",
		   "'web[1:2:3:4]': malformed range [1:2:3:4] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[1:3:x]", "'web[1:3:x]': malformed range [1:3:x] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[1:9999999999]",
		   "'web[1:9999999999]': malformed range [1:9999999999] (use [01:20], [a:f] or [1:20:2])");
	expand_err("web[1:3", "'web[1:3': unclosed '['");
	expand_err("web]1", "'web]1': ']' without '['");
	expand_err("[1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1]",
		   "'[1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1][1:1]...': "
		   "more than 16 ranges");
	expand_err(NULL, "no name pattern");
}

static void test_expand_long_names(void **state)
{
	char pattern[300], want[300];
	struct err e = {{0}};
	char **v = NULL;

	(void)state;
	memset(pattern, 'a', 251);
	memcpy(pattern + 251, "[1:9]", 6); /* 252 bytes: fine */
	v = inventory_expand(pattern, &e);
	assert_non_null(v);
	assert_int_equal(strlen(v[0]), 252);
	inventory_strv_free(v);

	memcpy(pattern + 251, "[1:10000]", 10); /* up to 256 bytes: too long */
	assert_null(inventory_expand(pattern, &e));
	/* messages show the first 60 bytes of a long value */
	snprintf(want, sizeof want, "'%.60s...': names would be longer than 255 bytes", pattern);
	assert_string_equal(e.msg, want);
}

static void test_ranges_in_files(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;

	load_ok(f, "hosts:\n  - {name: 'web[01:02].example.org', port: 2222}\n  - name: db[a:b]\n",
		&inv);
	assert_int_equal(inv.n_hosts, 4);
	assert_string_equal(inv.hosts[0].name, "web01.example.org");
	assert_string_equal(inv.hosts[1].name, "web02.example.org");
	assert_int_equal(inv.hosts[1].port, 2222);
	assert_int_equal(inv.hosts[1].line, 2);
	assert_int_equal(inv.hosts[1].col, 12);
	assert_string_equal(inv.hosts[2].name, "dba");
	assert_string_equal(inv.hosts[3].name, "dbb");
	assert_int_equal(inv.hosts[3].line, 3);
	inventory_free(&inv);

	expect_error(f, "hosts:\n  - name: web[05:01]\n",
		     "2:11: host name 'web[05:01]': range [05:01] is reversed");
	expect_error(f, "hosts:\n  - name: n[1:10001]\n",
		     "2:11: host name 'n[1:10001]': expands to more than 10000 names");
	expect_error(f, "hosts:\n  - name: web[1-3]\n",
		     "2:11: host name 'web[1-3]': malformed range [1-3] (use [01:20], [a:f] or [1:20:2])");
	/* the whole inventory has the same cap */
	expect_error(f, "hosts:\n  - name: a[1:10000]\n  - name: b\n",
		     "3:11: more than 10000 hosts");
	expect_error(f, "web:\n  hosts:\n    web[3:1]:\n",
		     "3:5: host name 'web[3:1]': range [3:1] is reversed");
}

/* ---- Ansible format ---- */

static const char ansible_yaml[] =
	"all:\n"                                            /* 1 */
	"  vars:\n"                                         /* 2 */
	"    ansible_user: deploy\n"                        /* 3 */
	"    opsdeck_environment: production\n"             /* 4 */
	"  children:\n"                                     /* 5 */
	"    web:\n"                                        /* 6 */
	"      hosts:\n"                                    /* 7 */
	"        web[01:03].example.org: null\n"            /* 8 */
	"        web04.example.org:\n"                      /* 9 */
	"          ansible_user: www\n"                     /* 10 */
	"    db:\n"                                         /* 11 */
	"      hosts:\n"                                    /* 12 */
	"        db1:\n"                                    /* 13 */
	"          ansible_host: 10.0.0.5\n"                /* 14 */
	"          ansible_port: 2222\n"                    /* 15 */
	"          ansible_ssh_private_key_file: ~/.ssh/db_key\n" /* 16 */
	"          opsdeck_criticality: critical\n"         /* 17 */
	"          opsdeck_tags: [postgres, primary]\n"     /* 18 */
	"        db2:5433:\n"                               /* 19 */
	"        db3:5433:\n"                               /* 20 */
	"          ansible_port: 5434\n"                    /* 21 */
	"      vars:\n"                                     /* 22 */
	"        ansible_user: postgres\n"                  /* 23 */
	"        opsdeck_lifecycle: maintenance\n"          /* 24 */
	"        ansible_port: 6000\n"                      /* 25 */
	"    prod:\n"                                       /* 26 */
	"      children:\n"                                 /* 27 */
	"        web:\n"                                    /* 28 */
	"        db: ~\n"                                   /* 29 */
	"      vars:\n"                                     /* 30 */
	"        ansible_user: produser\n"                  /* 31 */
	"        opsdeck_probes: [load, disk]\n"            /* 32 */
	"        some_other_var: {any: [thing]}\n"          /* 33 */
	"  hosts:\n"                                        /* 34 */
	"    bastion.example.org:\n";                       /* 35 */

static void test_ansible(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;
	const struct inventory_host *h = NULL;
	static const char *const order[] = {
		"web01.example.org", "web02.example.org", "web03.example.org", "web04.example.org",
		"db1", "db2", "db3", "bastion.example.org",
	};

	load_ok(f, ansible_yaml, &inv);
	assert_int_equal(inv.n_hosts, 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(inv.hosts[i].name, order[i]);
	assert_int_equal(inv.n_thresholds, 0);
	assert_int_equal(inv.n_probes, 0);

	/* web is a child of all and of prod: prod's vars are nearer than all's */
	h = host(&inv, "web02.example.org");
	assert_string_equal(h->user, "produser");
	assert_null(h->address);
	assert_int_equal(h->port, 0);
	assert_strv(h->groups, "web", "prod", NULL);
	assert_strv(h->tags, NULL);
	assert_string_equal(h->environment, "production");
	assert_int_equal(h->criticality, INV_CRIT_UNSET);
	assert_int_equal(h->lifecycle, INV_ACTIVE);
	assert_null(h->identity_file);
	assert_strv(h->probes, "load", "disk", NULL);
	assert_int_equal(h->line, 8);
	assert_int_equal(h->col, 9);

	/* the host's own vars win */
	h = host(&inv, "web04.example.org");
	assert_string_equal(h->user, "www");
	assert_int_equal(h->line, 9);

	h = host(&inv, "db1");
	assert_string_equal(h->address, "10.0.0.5");
	assert_int_equal(h->port, 2222);
	assert_string_equal(h->user, "postgres"); /* db (depth 2) over prod (1) over all (0) */
	assert_string_equal(h->identity_file, "/home/tester/.ssh/db_key");
	assert_int_equal(h->criticality, INV_CRIT_CRITICAL);
	assert_int_equal(h->lifecycle, INV_MAINTENANCE);
	assert_strv(h->tags, "postgres", "primary", NULL);
	assert_strv(h->groups, "db", "prod", NULL);
	assert_int_equal(h->line, 13);
	assert_int_equal(h->col, 9);

	/* a port in the key beats group vars; the host's explicit ansible_port beats it */
	h = host(&inv, "db2");
	assert_int_equal(h->port, 5433);
	assert_string_equal(h->user, "postgres");
	h = host(&inv, "db3");
	assert_int_equal(h->port, 5434);

	/* in all only: no groups, all's vars */
	h = host(&inv, "bastion.example.org");
	assert_string_equal(h->user, "deploy");
	assert_strv(h->groups, NULL);
	assert_null(h->probes);
	assert_int_equal(h->lifecycle, INV_ACTIVE);
	inventory_free(&inv);
}

static void test_ansible_two_groups(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;
	const struct inventory_host *h = NULL;

	load_ok(f,
		"web:\n"
		"  hosts:\n"
		"    app1:\n"
		"      ansible_port: 2201\n"
		"  vars:\n"
		"    ansible_user: webuser\n"
		"    opsdeck_environment: staging\n"
		"api:\n"
		"  hosts:\n"
		"    app1:\n"
		"      ansible_user: me\n"
		"    app2:\n"
		"  vars:\n"
		"    ansible_user: apiuser\n"
		"    opsdeck_environment: prod\n"
		"ungrouped:\n"
		"  hosts:\n"
		"    lone:\n"
		"empty:\n",
		&inv);
	assert_int_equal(inv.n_hosts, 3);
	h = &inv.hosts[0];
	assert_string_equal(h->name, "app1");
	assert_strv(h->groups, "web", "api", NULL);
	assert_int_equal(h->port, 2201);  /* host vars merge across its entries */
	assert_string_equal(h->user, "me");
	/* same depth: Ansible orders by name, so web's value comes last and wins */
	assert_string_equal(h->environment, "staging");
	assert_int_equal(h->line, 3);
	h = &inv.hosts[1];
	assert_string_equal(h->name, "app2");
	assert_strv(h->groups, "api", NULL);
	assert_string_equal(h->user, "apiuser");
	assert_string_equal(h->environment, "prod");
	h = &inv.hosts[2];
	assert_string_equal(h->name, "lone");
	assert_strv(h->groups, NULL);
	inventory_free(&inv);
}

static void test_ansible_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "all:\n  hosts:\n    db1:\n      ansible_port: 70000\n",
		     "4:21: ansible_port must be from 1 to 65535, not 70000");
	expect_error(f, "all:\n  hosts:\n    db1:\n      ansible_port: ssh\n",
		     "4:21: ansible_port must be a whole number, not 'ssh'");
	/* checked even in a group that no host uses */
	expect_error(f, "idle:\n  vars:\n    opsdeck_lifecycle: retired\n",
		     "3:24: opsdeck_lifecycle must be one of active, maintenance, decommissioned, "
		     "not 'retired'");
	expect_error(f, "all:\n  vars:\n    ansible_host: \"{{ inventory_hostname }}\"\n",
		     "3:19: ansible_host '{{ inventory_hostname }}' is a template; "
		     "opsdeck does not expand Jinja");
	expect_error(f, "all:\n  vars:\n    opsdeck_probes: [Disk]\n",
		     "3:22: probe 'Disk' is not defined under probes "
		     "(built-in names use only a-z, 0-9 and '-')");
	expect_error(f, "all:\n  vars:\n    opsdeck_tags: web\n",
		     "3:19: opsdeck_tags must be a list of names");
	expect_error(f, "all:\n  vars:\n    ansible_user: [a]\n",
		     "3:19: ansible_user needs a single value");
	expect_error(f, "all:\n  host:\n    a:\n",
		     "2:3: unknown key 'host' in group 'all' (known: hosts, vars, children)");
	expect_error(f, "web: [a]\n",
		     "1:6: group 'web' must be a mapping of hosts, vars and children");
	expect_error(f, "web:\n  hosts:\n    a: 5\n",
		     "3:8: host 'a' must map to its variables or be empty");
	expect_error(f, "web:\n  hosts: [a, b]\n", "2:10: hosts of group 'web' must be a mapping");
	expect_error(f, "web:\n  vars: x\n", "2:9: vars of group 'web' must be a mapping");
	expect_error(f, "a:\n  children:\n    b:\n      children:\n        a:\n",
		     "5:9: group 'a' is its own ancestor (a loop through children)");
	expect_error(f, "a:\n  children:\n    a:\n",
		     "3:5: group 'a' is its own ancestor (a loop through children)");
	expect_error(f, "web:\n  children:\n    all:\n", "3:5: 'all' cannot be a child group");
	expect_error(f, "web:\n  hosts:\n    db1:99999:\n",
		     "3:5: host 'db1:99999': the port after ':' must be from 1 to 65535");
	expect_error(f, "web:\n  hosts:\n    'db1:':\n",
		     "3:5: host 'db1:': the port after ':' must be from 1 to 65535");
	expect_error(f, "\"web servers\":\n  hosts:\n",
		     "1:1: group name 'web servers' contains whitespace or control characters");
	expect_error(f, "web:\n  hosts:\n    \"a b\":\n",
		     "3:5: host name 'a b' contains whitespace or control characters");
	/* an opsdeck-looking file without lists is read as Ansible, and says so */
	expect_error(f, "defaults:\n  user: ops\n",
		     "2:3: unknown key 'user' in group 'defaults' (known: hosts, vars, children)");
}

/* ---- validation ---- */

static void test_opsdeck_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "hosts:\n  - name: a\n    prot: 22\n",
		     "3:5: unknown host setting 'prot' (known: name, address, port, user, groups, tags, "
		     "environment, criticality, lifecycle, identity_file, probes)");
	expect_error(f, "defaults: {name: x}\nhosts: []\n", "1:12: name cannot have a default");
	expect_error(f, "defaults: {colour: x}\nhosts: []\n",
		     "1:12: unknown host setting 'colour' (known: port, user, groups, tags, "
		     "environment, criticality, lifecycle, identity_file, probes)");
	expect_error(f, "hosts:\n  - name: a\n    port: 0\n",
		     "3:11: port must be from 1 to 65535, not 0");
	expect_error(f, "hosts:\n  - name: a\n    port: 65536\n",
		     "3:11: port must be from 1 to 65535, not 65536");
	expect_error(f, "hosts:\n  - name: a\n    port: ssh\n",
		     "3:11: port must be a whole number, not 'ssh'");
	expect_error(f, "hosts:\n  - name: a\n    port: 22x\n",
		     "3:11: port must be a whole number, not '22x'");
	expect_error(f, "hosts:\n  - {name: a, port: [1]}\n", "2:21: port needs a single value");
	expect_error(f, "hosts:\n  - {name: a, criticality: urgent}\n",
		     "2:28: criticality must be one of low, medium, high, critical, not 'urgent'");
	expect_error(f, "hosts:\n  - {name: a, lifecycle: retired}\n",
		     "2:26: lifecycle must be one of active, maintenance, decommissioned, not 'retired'");
	expect_error(f, "hosts:\n  - name: web02\n  - name: web[01:03]\n",
		     "3:11: duplicate host 'web02' (first at line 2)");
	expect_error(f, "hosts:\n  - web01\n",
		     "2:5: a host entry must be a mapping with at least a name");
	expect_error(f, "hosts:\n  - address: x\n", "2:5: host entry has no name");
	expect_error(f, "hosts:\n  - name: [a]\n", "2:11: name needs a single value");
	expect_error(f, "hosts:\n  - name: ''\n", "2:11: host name must not be empty");
	expect_error(f, "defaults: [a]\nhosts: []\n",
		     "1:11: defaults must be a mapping of host settings");
	expect_error(f, "thresholds: []\nhosts: {a: 1}\n",
		     "2:8: hosts must be a list of host entries");
	expect_error(f, "hosts:\n  - name: \"web 01\"\n",
		     "2:11: host name 'web 01' contains whitespace or control characters");
	expect_error(f, "hosts:\n  - name: \"web\\t01\"\n",
		     "2:11: host name 'web?01' contains whitespace or control characters");
	expect_error(f, "hosts:\n  - name: \"web\\e[31m\"\n",
		     "2:11: host name 'web?[31m' contains whitespace or control characters");
	expect_error(f, "hosts:\n  - {name: a, user: 'b c'}\n",
		     "2:21: user 'b c' contains whitespace or control characters");
	expect_error(f, "hosts:\n  - {name: a, environment: \"x\\ny\"}\n",
		     "2:28: environment 'x?y' contains control characters");
	expect_error(f, "hosts:\n  - {name: a, groups: web}\n",
		     "2:23: groups must be a list of names");
	expect_error(f, "hosts:\n  - {name: a, tags: [[x]]}\n",
		     "2:22: tags must be a list of names");
	expect_error(f, "hosts:\n  - name: a\n    probes: [load, Check_HTTP]\n",
		     "3:20: probe 'Check_HTTP' is not defined under probes "
		     "(built-in names use only a-z, 0-9 and '-')");
	expect_error(f, "hosts:\n  - name: a\n    probes: [load, 'dis k']\n",
		     "3:20: probe 'dis k' contains whitespace or control characters");
	expect_error(f, "hosts: []\nhostz: []\n",
		     "2:1: unknown top-level key 'hostz' (known: defaults, hosts, thresholds, probes)");
	expect_error(f, "- a\n", "1:1: an inventory must be a mapping: opsdeck's hosts, defaults, "
				 "thresholds and probes, or Ansible groups");
	expect_error(f, "just words\n", "1:1: an inventory must be a mapping: opsdeck's hosts, defaults, "
					"thresholds and probes, or Ansible groups");

	expect_error(f, "thresholds:\n  - {probe: disk, critical: 5}\n",
		     "2:19: unknown threshold setting 'critical' (known: probe, group, warn, crit)");
	expect_error(f, "thresholds:\n  - {warn: 5}\n", "2:5: threshold has no probe");
	expect_error(f, "thresholds:\n  - {probe: disk, warn: high}\n",
		     "2:25: warn must be a number, not 'high'");
	expect_error(f, "thresholds:\n  - {probe: disk, warn: 0x10}\n",
		     "2:25: warn must be a number, not '0x10'");
	expect_error(f, "thresholds:\n  - {probe: disk, warn: 1e999}\n",
		     "2:25: warn must be a number, not '1e999'");
	expect_error(f, "thresholds:\n  - {probe: disk}\n",
		     "2:5: threshold for 'disk' sets neither warn nor crit");
	expect_error(f, "thresholds:\n  - disk\n",
		     "2:5: a threshold must be a mapping such as {probe: disk, warn: 80, crit: 90}");
	expect_error(f, "thresholds:\n  - {probe: Disk, warn: 1}\n",
		     "2:13: probe 'Disk' is not defined under probes (built-in names use only a-z, 0-9 and '-')");

	expect_error(f, "probes:\n  - {name: http}\n", "2:5: probe 'http' has no command");
	expect_error(f, "probes:\n  - {command: x}\n", "2:5: probe has no name");
	expect_error(f, "probes:\n  - {name: http, command: a}\n  - {name: http, command: b}\n",
		     "3:12: duplicate probe 'http' (first at line 2)");
	expect_error(f, "probes:\n  - {name: h, command: c, interval: 0}\n",
		     "2:37: interval must be from 1 to 86400, not 0");
	expect_error(f, "probes:\n  - {name: h, command: c, timeout: 3601}\n",
		     "2:36: timeout must be from 1 to 3600, not 3601");
	expect_error(f, "probes:\n  - {name: h, cmd: c}\n",
		     "2:15: unknown probe setting 'cmd' (known: name, command, interval, timeout, warn, crit)");
	expect_error(f, "probes:\n  - h\n",
		     "2:5: a probe must be a mapping with a name and a command");
	expect_error(f, "probes: {h: 1}\nhosts: []\n",
		     "1:9: probes must be a list of probe definitions");
}

static void test_too_many_probes(void **state)
{
	struct fixture *f = *state;
	char yaml[1024];
	size_t n = (size_t)snprintf(yaml, sizeof yaml, "hosts:\n  - name: a\n    probes: [");

	for (int i = 0; i <= INVENTORY_MAX_PROBES; i++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "%sp%d", i ? ", " : "", i);
	snprintf(yaml + n, sizeof yaml - n, "]\n");
	expect_error(f, yaml, "3:13: probes lists more than 32 probes");
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "hosts:\n  - name: [a\n",
		     "3:1: did not find expected ',' or ']' while parsing a flow sequence");
	expect_error(f, "hosts: []\nhosts: []\n", "2:1: duplicate key 'hosts' (first at line 1)");
	expect_error(f, "hosts:\n  - &h {name: a}\n", "2:5: anchors (&h) are not allowed");
}

/* ---- lookups ---- */

static void test_match_and_find(void **state)
{
	struct fixture *f = *state;
	struct inventory inv;
	const struct inventory_host *h = NULL;

	load_ok(f, full_yaml, &inv);
	h = inventory_find(&inv, "web01.example.org");
	assert_ptr_equal(h, &inv.hosts[0]);
	assert_ptr_equal(inventory_find(&inv, "db2"), &inv.hosts[2]);
	assert_null(inventory_find(&inv, "web01"));
	assert_null(inventory_find(&inv, NULL));
	assert_null(inventory_find(NULL, "db1"));

	assert_true(inventory_match(h, "web*"));           /* name */
	assert_true(inventory_match(h, "*.example.org"));
	assert_true(inventory_match(h, "frontend"));       /* a group */
	assert_true(inventory_match(h, "ngin?"));          /* a tag */
	assert_true(inventory_match(h, "production*"));    /* environment */
	assert_true(inventory_match(h, "*"));
	assert_false(inventory_match(h, "maintenance"));   /* lifecycle is not matched */
	assert_false(inventory_match(h, "WEB*"));
	assert_false(inventory_match(h, "db*"));
	assert_false(inventory_match(h, NULL));
	assert_false(inventory_match(NULL, "*"));
	h = inventory_find(&inv, "db1");
	assert_true(inventory_match(h, "managed"));
	assert_false(inventory_match(h, "production*"));
	inventory_free(&inv);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(inventory_lifecycle_name(INV_ACTIVE), "active");
	assert_string_equal(inventory_lifecycle_name(INV_MAINTENANCE), "maintenance");
	assert_string_equal(inventory_lifecycle_name(INV_DECOMMISSIONED), "decommissioned");
	assert_string_equal(inventory_lifecycle_name((enum inventory_lifecycle)7), "?");
	assert_string_equal(inventory_criticality_name(INV_CRIT_UNSET), "unset");
	assert_string_equal(inventory_criticality_name(INV_CRIT_LOW), "low");
	assert_string_equal(inventory_criticality_name(INV_CRIT_MEDIUM), "medium");
	assert_string_equal(inventory_criticality_name(INV_CRIT_HIGH), "high");
	assert_string_equal(inventory_criticality_name(INV_CRIT_CRITICAL), "critical");
	assert_string_equal(inventory_criticality_name((enum inventory_criticality)9), "?");
}

/* ---- the shipped examples ---- */

static void test_examples(void **state)
{
	char *ops = tu_srcpath("examples/inventory.yaml");
	char *ans = tu_srcpath("examples/ansible-hosts.yml");
	struct inventory inv;
	struct err e = {{0}};
	const struct inventory_host *h = NULL;

	(void)state;
	if (inventory_load(ops, &inv, &e) != 0) {
		print_error("%s\n", e.msg);
		fail();
	}
	assert_int_equal(inv.n_hosts, 9);
	h = host(&inv, "web03.example.org");
	assert_strv(h->groups, "web", "frontend", NULL);
	assert_int_equal(inv.n_probes, 1);
	assert_int_equal(inv.n_thresholds, 3);
	inventory_free(&inv);

	if (inventory_load(ans, &inv, &e) != 0) {
		print_error("%s\n", e.msg);
		fail();
	}
	assert_int_equal(inv.n_hosts, 7);
	h = host(&inv, "db01.example.org");
	assert_string_equal(h->user, "postgres");
	assert_strv(h->groups, "production", "db", NULL);
	inventory_free(&inv);
	free(ops);
	free(ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_opsdeck_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_and_empty, setup, teardown),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_long_names),
		cmocka_unit_test_setup_teardown(test_ranges_in_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ansible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ansible_two_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ansible_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opsdeck_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_and_find, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_examples),
	};

	tu_init(NULL);
	setenv("HOME", "/home/tester", 1); /* identity_file's ~ */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
