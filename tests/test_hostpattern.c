/* Unit tests for core/hostpattern: Ansible's and ClusterShell's host patterns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostpattern.h"
#include "testutil.h"

static char *web_groups[] = {"web", NULL};
static char *webprod_groups[] = {"web", "prod", NULL};
static char *db_groups[] = {"db", "prod", NULL};
static char *no_groups[] = {NULL};
static char *edge_tags[] = {"edge", NULL};

static struct inventory_host hosts[] = {
	{.name = "web01", .groups = webprod_groups, .tags = no_groups},
	{.name = "web02", .groups = web_groups, .tags = edge_tags},
	{.name = "web03", .groups = webprod_groups, .tags = no_groups},
	{.name = "db1", .groups = db_groups, .tags = no_groups, .environment = "staging"},
	{.name = "lonely", .groups = no_groups, .tags = no_groups},
	{.name = "webmail", .groups = NULL, .tags = NULL},
};
static const struct inventory inv = {.hosts = hosts, .n_hosts = sizeof hosts / sizeof hosts[0]};

/* The selected names, space-separated. */
static const char *sel(const char *pattern)
{
	static char out[1100];
	struct err e = {{0}};
	size_t *idx = NULL, n = 0;

	out[0] = '\0';
	if (hostpattern_select(&inv, pattern, &idx, &n, &e) < 0) {
		snprintf(out, sizeof out, "ERROR %s", e.msg);
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, hosts[idx[i]].name);
	}
	free(idx);
	return out;
}

static void test_globs_and_implicit_groups(void **state)
{
	(void)state;
	assert_string_equal(sel("web0*"), "web01 web02 web03");
	assert_string_equal(sel("web*"), "web01 web02 web03 webmail"); /* names and groups */
	assert_string_equal(sel("all"), "web01 web02 web03 db1 lonely webmail");
	assert_string_equal(sel("*"), "web01 web02 web03 db1 lonely webmail");
	assert_string_equal(sel("ungrouped"), "lonely webmail");
	assert_string_equal(sel("edge"), "web02");    /* a tag */
	assert_string_equal(sel("staging"), "db1");   /* the environment */
	assert_string_equal(sel("nothing"), "");
}

static void test_group_at(void **state)
{
	(void)state;
	assert_string_equal(sel("@web"), "web01 web02 web03");
	assert_string_equal(sel("@we*"), "web01 web02 web03");
	assert_string_equal(sel("@webmail"), ""); /* a host name, not a group */
}

static void test_union_intersection_exclusion(void **state)
{
	(void)state;
	assert_string_equal(sel("web:db"), "web01 web02 web03 db1");
	assert_string_equal(sel("db,web"), "web01 web02 web03 db1"); /* inventory order */
	assert_string_equal(sel("web:&prod"), "web01 web03");
	assert_string_equal(sel("web:!web03"), "web01 web02");
	assert_string_equal(sel("web:&prod:!web01"), "web03");
	/* The order of terms does not matter: plain first, then &, then !. */
	assert_string_equal(sel("!web01:web:&prod"), "web03");
	/* No plain term: start from all. */
	assert_string_equal(sel("!web*"), "db1 lonely");
	assert_string_equal(sel("&prod"), "web01 web03 db1");
}

static void test_bad_patterns(void **state)
{
	(void)state;
	assert_string_equal(sel(""), "ERROR an empty host pattern");
	assert_string_equal(sel("web:"), "ERROR host pattern 'web:': an empty term");
	assert_string_equal(sel("web:!"), "ERROR host pattern 'web:!': an empty term");
	assert_string_equal(sel("@"), "ERROR host pattern '@': '@' needs a group name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_globs_and_implicit_groups),
		cmocka_unit_test(test_group_at),
		cmocka_unit_test(test_union_intersection_exclusion),
		cmocka_unit_test(test_bad_patterns),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
