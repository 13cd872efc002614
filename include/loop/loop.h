/*
 * loop: the one event loop of every opsdeck process that waits on something
 * (the console, `hosts`, `exec`, and next `runbook run`). Modelled on redis's
 * ae: small and explicit.
 *
 * - Descriptors are registered, changed and removed through calls; the loop
 *   keeps them in epoll, so a turn costs what is ready, not what is registered
 *   (the fleet registers one socket per host: 2,000 at scale).
 * - A service is a table entry (struct loop_service): its timer deadline, a
 *   tick when that deadline is reached, a hook before the loop sleeps, a stop.
 *   The fleet, the monitor, automatic incidents, incident timers and the
 *   console itself are services; the loop names none of them.
 * - "Data changed" is a flag (loop_changed) that any handler may raise; the
 *   loop hands it once to every before_sleep hook, then clears it, so twenty
 *   changes in one turn cost one reload.
 * - Signals arrive through a signalfd as ordinary events: nothing runs in a
 *   signal handler.
 *
 * Everything runs on one thread. Callbacks may register, change and remove
 * descriptors and services' state freely, including the descriptor whose event
 * is being dispatched.
 */
#ifndef OPSDECK_LOOP_H
#define OPSDECK_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct loop;

/*
 * Events are poll(2)'s: POLLIN, POLLOUT asked for; POLLERR and POLLHUP are
 * reported whether asked or not. revents is what happened.
 */
typedef void (*loop_fd_fn)(void *arg, int fd, unsigned revents);

typedef void (*loop_signal_fn)(void *arg, int signo);

struct loop_service {
	const char *name;
	/* Monotonic ms (clock_mono_ms) at which tick has work; -1 for none. NULL: none. */
	int64_t (*deadline)(void *ctx);
	/* Called in every turn in which now >= deadline(ctx). */
	void (*tick)(void *ctx, int64_t now_mono);
	/* Called once per turn just before the loop sleeps; changed says whether
	 * loop_changed was called since the last time. */
	void (*before_sleep)(void *ctx, bool changed);
	/* Called by loop_free, in reverse order of registration. */
	void (*stop)(void *ctx);
};

/* A new loop with no descriptor and no service. Caller owns it (loop_free). */
struct loop *loop_new(struct err *e);

/* Stops every service (reverse order), closes the epoll and signal descriptors,
 * frees the loop and clears *l. Registered descriptors are not closed: they are
 * their owners'. Safe with NULL and *l == NULL. */
void loop_free(struct loop **l);

/* Registers fd for events (POLLIN|POLLOUT). -1 with e set when fd is already
 * registered or epoll refuses it. */
int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg, struct err *e);

/* Changes the events fd waits for; a no-op when they are the same (cheap enough to
 * call every turn). -1 when fd is not registered. */
int loop_fd_mod(struct loop *l, int fd, unsigned events);

/* Removes fd (before its owner closes it). Pending events of fd in the current
 * turn are dropped. A no-op for an fd that is not registered. */
void loop_fd_del(struct loop *l, int fd);

/* Adds a service; ctx is passed to each of its hooks and stays the caller's.
 * svc must outlive the loop (a static table entry). -1 with e set on no memory. */
int loop_service_add(struct loop *l, const struct loop_service *svc, void *ctx, struct err *e);

/* Removes the service registered with ctx (its stop hook is not called). */
void loop_service_del(struct loop *l, const struct loop_service *svc, void *ctx);

/*
 * Delivers signo as an event: it is blocked for the whole process and read from
 * a signalfd. Children the process starts inherit the blocked mask: unblock in
 * the child (posix_spawnattr_setsigmask). -1 with e set.
 */
int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg, struct err *e);

/* Data changed: the next before_sleep hooks see changed == true. */
void loop_changed(struct loop *l);

/* Asks loop_run to return after the current turn. */
void loop_stop(struct loop *l);

/* True after loop_stop, until loop_run starts again. */
bool loop_stopping(const struct loop *l);

/*
 * One turn: the ticks that are due, the before_sleep hooks, then a wait of at most
 * max_wait_ms (-1: until a descriptor, a signal or the earliest deadline) and the
 * dispatch of what is ready. Returns 0, or -1 with e set when epoll fails.
 */
int loop_run_once(struct loop *l, int max_wait_ms, struct err *e);

/* Turns until loop_stop. Returns 0, or -1 with e set. */
int loop_run(struct loop *l, struct err *e);

/* Turns taken so far: a test of idleness reads it (an idle console wakes at most
 * about once a second for its clock). */
uint64_t loop_turns(const struct loop *l);

#endif
