/* Unit tests for core/loop: descriptors, services, the changed flag, signals, idleness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "loop/loop.h"
#include "testutil.h"

struct seen {
	int calls;
	int last_fd;
	unsigned last_ev;
	struct loop *l;
	int other_fd; /* removed by the callback, when >= 0 */
};

static void on_fd(void *arg, int fd, unsigned revents)
{
	struct seen *s = arg;
	char buf[64];

	s->calls++;
	s->last_fd = fd;
	s->last_ev = revents;
	if (revents & POLLIN)
		(void)!read(fd, buf, sizeof buf);
	if (s->other_fd >= 0)
		loop_fd_del(s->l, s->other_fd);
}

static void test_fd_read_write_and_mod(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);
	struct seen s = {.other_fd = -1};
	int p[2];

	(void)state;
	assert_non_null(l);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], POLLIN, on_fd, &s, &e), 0);
	assert_int_equal(loop_fd_add(l, p[0], POLLIN, on_fd, &s, &e), -1); /* twice refused */
	assert_non_null(strstr(e.msg, "already registered"));

	/* Nothing to read: the turn times out and calls nothing. */
	assert_int_equal(loop_run_once(l, 0, &e), 0);
	assert_int_equal(s.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1000, &e), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last_fd, p[0]);
	assert_true(s.last_ev & POLLIN);

	/* The write end, asked for POLLOUT after a mod, is ready at once. */
	assert_int_equal(loop_fd_add(l, p[1], 0, on_fd, &s, &e), 0);
	assert_int_equal(loop_run_once(l, 0, &e), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(loop_fd_mod(l, p[1], POLLOUT), 0);
	assert_int_equal(loop_fd_mod(l, p[1], POLLOUT), 0); /* same events: a no-op */
	assert_int_equal(loop_run_once(l, 1000, &e), 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.last_fd, p[1]);
	assert_true(s.last_ev & POLLOUT);
	assert_int_equal(loop_fd_mod(l, 12345, POLLIN), -1); /* not registered */

	loop_fd_del(l, p[0]);
	loop_fd_del(l, p[1]);
	loop_fd_del(l, p[1]); /* twice: a no-op */
	close(p[0]);
	close(p[1]);
	loop_free(&l);
	assert_null(l);
}

/* A callback that removes another ready descriptor: that one's event is dropped. */
static void test_del_during_dispatch(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);
	struct seen a = {.other_fd = -1}, b = {.other_fd = -1};
	int p[2], q[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	a.l = b.l = l;
	a.other_fd = q[0];
	b.other_fd = p[0];
	assert_int_equal(loop_fd_add(l, p[0], POLLIN, on_fd, &a, &e), 0);
	assert_int_equal(loop_fd_add(l, q[0], POLLIN, on_fd, &b, &e), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 1000, &e), 0);
	/* Whichever ran first removed the other. */
	assert_int_equal(a.calls + b.calls, 1);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	loop_free(&l);
}

struct svc_state {
	int64_t due;     /* -1 none */
	int64_t period;  /* re-arms by this much after a tick */
	int ticks;
	int sleeps;
	int changed_seen;
	int stopped;
	struct loop *l;
	bool change_on_tick;
};

static int64_t svc_deadline(void *ctx)
{
	return ((struct svc_state *)ctx)->due;
}

static void svc_tick(void *ctx, int64_t now)
{
	struct svc_state *s = ctx;

	s->ticks++;
	s->due = s->period > 0 ? now + s->period : -1;
	if (s->change_on_tick) {
		loop_changed(s->l);
		loop_changed(s->l); /* twice in a turn: one reload */
	}
}

static void svc_before_sleep(void *ctx, bool changed)
{
	struct svc_state *s = ctx;

	s->sleeps++;
	s->changed_seen += changed;
}

static void svc_stop(void *ctx)
{
	((struct svc_state *)ctx)->stopped++;
}

static const struct loop_service svc_class = {
	.name = "test",
	.deadline = svc_deadline,
	.tick = svc_tick,
	.before_sleep = svc_before_sleep,
	.stop = svc_stop,
};

static void test_service_deadline_tick_and_changed(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);
	struct svc_state s = {.due = -1};
	struct svc_state other = {.due = -1};
	int64_t t0 = 0;

	(void)state;
	s.l = l;
	assert_int_equal(loop_service_add(l, &svc_class, &s, &e), 0);
	assert_int_equal(loop_service_add(l, &svc_class, &other, &e), 0);

	/* A deadline 50 ms ahead: one turn without max wait sleeps until it, then ticks. */
	t0 = clock_mono_ms();
	s.due = t0 + 50;
	s.change_on_tick = true;
	assert_int_equal(loop_run_once(l, -1, &e), 0); /* sleeps until the deadline */
	assert_true(clock_mono_ms() >= t0 + 50);
	assert_int_equal(s.ticks, 0);
	assert_int_equal(loop_run_once(l, 0, &e), 0); /* the tick is due now */
	assert_int_equal(s.ticks, 1);
	assert_int_equal(other.ticks, 0);
	/* Both services saw the change once, in the turn of the tick. */
	assert_int_equal(s.changed_seen, 1);
	assert_int_equal(other.changed_seen, 1);
	assert_int_equal(loop_run_once(l, 0, &e), 0);
	assert_int_equal(s.changed_seen, 1); /* cleared after one before_sleep */
	assert_int_equal(s.sleeps, 3);

	loop_service_del(l, &svc_class, &other);
	loop_free(&l);
	assert_int_equal(s.stopped, 1);
	assert_int_equal(other.stopped, 0); /* removed: not stopped by the loop */
}

/* An idle loop with a 1 s service period wakes about once a second, not more. */
static void test_idle_turns(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);
	struct svc_state s = {.period = 200};
	int64_t end = 0;

	(void)state;
	s.due = clock_mono_ms() + 200;
	assert_int_equal(loop_service_add(l, &svc_class, &s, &e), 0);
	end = clock_mono_ms() + 1000;
	while (clock_mono_ms() < end)
		assert_int_equal(loop_run_once(l, -1, &e), 0);
	/* 200 ms period over 1 s: about 5 ticks; a spinning loop turns thousands of times. */
	assert_in_range(s.ticks, 3, 6);
	assert_in_range(loop_turns(l), 3, 12);
	loop_free(&l);
}

static void on_sig(void *arg, int signo)
{
	*(int *)arg = signo;
}

static void test_signal_is_an_event(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);
	int got = 0;

	(void)state;
	assert_int_equal(loop_signal(l, SIGUSR1, on_sig, &got, &e), 0);
	assert_int_equal(loop_signal(l, SIGUSR2, on_sig, &got, &e), 0);
	raise(SIGUSR2); /* blocked: waits in the signalfd, no handler runs */
	assert_int_equal(got, 0);
	assert_int_equal(loop_run_once(l, 1000, &e), 0);
	assert_int_equal(got, SIGUSR2);
	loop_free(&l);
}

static void test_stop(void **state)
{
	struct err e = {{0}};
	struct loop *l = loop_new(&e);

	(void)state;
	assert_false(loop_stopping(l));
	loop_stop(l);
	assert_true(loop_stopping(l));
	/* A stopping loop does not sleep, whatever the wait. */
	assert_int_equal(loop_run_once(l, 60000, &e), 0);
	loop_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_read_write_and_mod),
		cmocka_unit_test(test_del_during_dispatch),
		cmocka_unit_test(test_service_deadline_tick_and_changed),
		cmocka_unit_test(test_idle_turns),
		cmocka_unit_test(test_signal_is_an_event),
		cmocka_unit_test(test_stop),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
