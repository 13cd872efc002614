/* Unit tests for core/hostcond: the one host condition (state and maintenance reasons). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hostcond.h"
#include "testutil.h"

static void test_state_session_before_probes(void **state)
{
	struct fleet_status up = {.state = FLEET_UP};
	struct fleet_status down = {.state = FLEET_DOWN, .failures = 2};
	struct fleet_status first_try = {.state = FLEET_CONNECTING, .failures = 0};

	(void)state;
	assert_int_equal(hostcond_state(MON_OK, &up), MON_OK);
	assert_int_equal(hostcond_state(MON_CRITICAL, &up), MON_CRITICAL);
	/* Old results while the session is gone: unreachable, not ok. */
	assert_int_equal(hostcond_state(MON_OK, &down), MON_UNREACHABLE);
	assert_int_equal(hostcond_state(MON_DEGRADED, &down), MON_UNREACHABLE);
	assert_int_equal(hostcond_state(MON_PENDING, &down), MON_UNREACHABLE);
	/* A key or auth problem says more than "unreachable": kept. */
	assert_int_equal(hostcond_state(MON_KEY_PROBLEM, &down), MON_KEY_PROBLEM);
	assert_int_equal(hostcond_state(MON_AUTH_FAILED, &down), MON_AUTH_FAILED);
	assert_int_equal(hostcond_state(MON_DISABLED, &down), MON_DISABLED);
	/* Still connecting for the first time: pending. */
	assert_int_equal(hostcond_state(MON_PENDING, &first_try), MON_PENDING);
	assert_int_equal(hostcond_state(MON_OK, NULL), MON_OK);
}

struct fake_window {
	const char *host;
	int64_t start, end;
	const char *what;
	int asked;
};

static bool fake_in_maint(void *ctx, const char *host, int64_t now, int64_t *until, const char **what)
{
	struct fake_window *w = ctx;

	w->asked++;
	if (strcmp(host, w->host) != 0 || now < w->start || now >= w->end)
		return false;
	*until = w->end;
	*what = w->what;
	return true;
}

static void test_maintenance_reasons(void **state)
{
	char name[] = "web01";
	struct inventory_host h = {.name = name, .lifecycle = INV_ACTIVE};
	struct fake_window win = {.host = "web01", .start = 1000, .end = 5000, .what = "window #4"};
	struct fake_window run = {.host = "web01", .start = 2000, .end = 9000, .what = "run #7"};
	struct hostcond_source src[] = {
		{HOSTCOND_MAINT_WINDOW, fake_in_maint, &win},
		{HOSTCOND_MAINT_RUNBOOK, fake_in_maint, &run},
	};
	struct hostcond c;

	(void)state;
	/* No fleet: pending, not in maintenance. */
	hostcond_get(NULL, NULL, &h, 0, src, 2, 500, &c);
	assert_int_equal(c.state, MON_PENDING);
	assert_int_equal(c.maint, 0);
	assert_false(hostcond_suppressed(&c));

	hostcond_get(NULL, NULL, &h, 0, src, 2, 1500, &c);
	assert_int_equal(c.maint, HOSTCOND_MAINT_WINDOW);
	assert_int_equal(c.maint_until_ms, 5000);
	assert_string_equal(c.maint_what, "window #4");
	assert_true(hostcond_suppressed(&c));

	/* Two reasons: both bits, the first one's text, the later end. */
	hostcond_get(NULL, NULL, &h, 0, src, 2, 3000, &c);
	assert_int_equal(c.maint, HOSTCOND_MAINT_WINDOW | HOSTCOND_MAINT_RUNBOOK);
	assert_int_equal(c.maint_until_ms, 9000);
	assert_string_equal(c.maint_what, "window #4");

	/* The inventory's lifecycle is open-ended: it keeps the end open. */
	h.lifecycle = INV_MAINTENANCE;
	hostcond_get(NULL, NULL, &h, 0, src, 2, 3000, &c);
	assert_int_equal(c.maint, HOSTCOND_MAINT_LIFECYCLE | HOSTCOND_MAINT_WINDOW |
				  HOSTCOND_MAINT_RUNBOOK);
	assert_int_equal(c.maint_until_ms, 0);
	assert_string_equal(c.maint_what, "inventory lifecycle");

	/* Another host: no source answers for it. */
	h.lifecycle = INV_ACTIVE;
	name[4] = '2';
	hostcond_get(NULL, NULL, &h, 0, src, 2, 3000, &c);
	assert_int_equal(c.maint, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_session_before_probes),
		cmocka_unit_test(test_maintenance_reasons),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
