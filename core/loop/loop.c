/*
 * loop: epoll underneath, a table of services on top (see include/loop/loop.h).
 *
 * Descriptors live in a table indexed by fd. Each registration gets a new
 * generation number, which travels in the epoll event's data together with the
 * fd: an event for an fd that was removed, or removed and registered again, by
 * an earlier callback of the same turn is recognised and dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "loop/loop.h"
#include "mem.h"

/* Events taken from the kernel per wait; more are left for the next turn. */
#define LOOP_BATCH 256

struct loop_fd {
	loop_fd_fn fn;
	void *arg;
	unsigned events;
	uint32_t gen; /* 0: not registered */
};

struct loop_svc {
	const struct loop_service *svc;
	void *ctx;
};

struct loop_sig {
	int signo;
	loop_signal_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	struct loop_fd *fds;
	size_t fds_cap;
	uint32_t next_gen;
	struct loop_svc *svcs;
	size_t nsvcs, svcs_cap;
	int sigfd;
	sigset_t sigmask;
	struct loop_sig *sigs;
	size_t nsigs, sigs_cap;
	bool changed;
	bool stop;
	uint64_t turns;
};

static uint32_t loop_to_epoll(unsigned events)
{
	return (events & POLLIN ? EPOLLIN : 0u) | (events & POLLOUT ? EPOLLOUT : 0u);
}

static unsigned loop_from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? POLLIN : 0u) | (ev & EPOLLOUT ? POLLOUT : 0u) |
	       (ev & EPOLLERR ? POLLERR : 0u) | (ev & EPOLLHUP ? POLLHUP : 0u);
}

struct loop *loop_new(struct err *e)
{
	struct loop *l = calloc(1, sizeof *l);

	if (!l) {
		err_set(e, "loop: out of memory");
		return NULL;
	}
	l->sigfd = -1;
	l->next_gen = 1;
	sigemptyset(&l->sigmask);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err_set(e, "loop: epoll_create1: %s", strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop **lp)
{
	struct loop *l = lp ? *lp : NULL;

	if (!l)
		return;
	for (size_t i = l->nsvcs; i-- > 0;)
		if (l->svcs[i].svc->stop)
			l->svcs[i].svc->stop(l->svcs[i].ctx);
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	close(l->epfd);
	free(l->fds);
	free(l->svcs);
	free(l->sigs);
	free(l);
	*lp = NULL;
}

static struct loop_fd *loop_slot(struct loop *l, int fd)
{
	return fd >= 0 && (size_t)fd < l->fds_cap && l->fds[fd].gen ? &l->fds[fd] : NULL;
}

static int loop_epoll_ctl(struct loop *l, int op, int fd, unsigned events, uint32_t gen)
{
	struct epoll_event ev = {.events = loop_to_epoll(events),
				 .data.u64 = (uint64_t)gen << 32 | (uint32_t)fd};

	return epoll_ctl(l->epfd, op, fd, &ev);
}

int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg, struct err *e)
{
	uint32_t gen = 0;

	if (fd < 0 || !fn) {
		err_set(e, "loop: bad descriptor %d", fd);
		return -1;
	}
	if (loop_slot(l, fd)) {
		err_set(e, "loop: descriptor %d is already registered", fd);
		return -1;
	}
	if ((size_t)fd >= l->fds_cap) {
		size_t old = l->fds_cap;
		struct loop_fd *t = mem_grow(l->fds, &l->fds_cap, (size_t)fd, sizeof *t);

		if (!t) {
			err_set(e, "loop: out of memory");
			return -1;
		}
		memset(t + old, 0, (l->fds_cap - old) * sizeof *t); /* gen 0: free */
		l->fds = t;
	}
	gen = l->next_gen++;
	if (!l->next_gen)
		l->next_gen = 1; /* 0 means "free" */
	if (loop_epoll_ctl(l, EPOLL_CTL_ADD, fd, events, gen) < 0) {
		err_set(e, "loop: epoll_ctl(add %d): %s", fd, strerror(errno));
		return -1;
	}
	l->fds[fd] = (struct loop_fd){.fn = fn, .arg = arg, .events = events, .gen = gen};
	return 0;
}

int loop_fd_mod(struct loop *l, int fd, unsigned events)
{
	struct loop_fd *s = loop_slot(l, fd);

	if (!s)
		return -1;
	if (s->events == events)
		return 0;
	if (loop_epoll_ctl(l, EPOLL_CTL_MOD, fd, events, s->gen) < 0)
		return -1;
	s->events = events;
	return 0;
}

void loop_fd_del(struct loop *l, int fd)
{
	struct loop_fd *s = loop_slot(l, fd);

	if (!s)
		return;
	/* Fails harmlessly when the owner closed fd first: the kernel dropped it. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*s = (struct loop_fd){0};
}

int loop_service_add(struct loop *l, const struct loop_service *svc, void *ctx, struct err *e)
{
	struct loop_svc *t = mem_grow(l->svcs, &l->svcs_cap, l->nsvcs, sizeof *t);

	if (!t) {
		err_set(e, "loop: out of memory");
		return -1;
	}
	l->svcs = t;
	l->svcs[l->nsvcs++] = (struct loop_svc){.svc = svc, .ctx = ctx};
	return 0;
}

void loop_service_del(struct loop *l, const struct loop_service *svc, void *ctx)
{
	for (size_t i = 0; i < l->nsvcs; i++) {
		if (l->svcs[i].svc == svc && l->svcs[i].ctx == ctx) {
			memmove(&l->svcs[i], &l->svcs[i + 1], (l->nsvcs - i - 1) * sizeof *l->svcs);
			l->nsvcs--;
			return;
		}
	}
}

/* Reads every pending signal and hands each to its handler. */
static void loop_on_signalfd(void *arg, int fd, unsigned revents)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		for (size_t i = 0; i < l->nsigs; i++)
			if (l->sigs[i].signo == (int)si.ssi_signo)
				l->sigs[i].fn(l->sigs[i].arg, (int)si.ssi_signo);
}

int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg, struct err *e)
{
	sigset_t one;
	int fd = -1;
	struct loop_sig *t = mem_grow(l->sigs, &l->sigs_cap, l->nsigs, sizeof *t);

	if (!t) {
		err_set(e, "loop: out of memory");
		return -1;
	}
	l->sigs = t;
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0) {
		err_set(e, "loop: sigprocmask: %s", strerror(errno));
		return -1;
	}
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		err_set(e, "loop: signalfd: %s", strerror(errno));
		return -1;
	}
	if (l->sigfd < 0) {
		l->sigfd = fd;
		if (loop_fd_add(l, fd, POLLIN, loop_on_signalfd, l, e) < 0)
			return -1;
	}
	l->sigs[l->nsigs++] = (struct loop_sig){.signo = signo, .fn = fn, .arg = arg};
	return 0;
}

void loop_changed(struct loop *l)
{
	l->changed = true;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

bool loop_stopping(const struct loop *l)
{
	return l->stop;
}

uint64_t loop_turns(const struct loop *l)
{
	return l->turns;
}

/* Runs the due ticks; returns the earliest deadline still ahead (-1 none). */
static int64_t loop_ticks(struct loop *l, int64_t now)
{
	int64_t best = -1;

	for (size_t i = 0; i < l->nsvcs; i++) {
		const struct loop_svc *s = &l->svcs[i];
		int64_t d = s->svc->deadline ? s->svc->deadline(s->ctx) : -1;

		if (d >= 0 && d <= now && s->svc->tick)
			s->svc->tick(s->ctx, now);
	}
	/* Deadlines again, after the ticks moved them. */
	for (size_t i = 0; i < l->nsvcs; i++) {
		const struct loop_svc *s = &l->svcs[i];
		int64_t d = s->svc->deadline ? s->svc->deadline(s->ctx) : -1;

		if (d >= 0 && (best < 0 || d < best))
			best = d;
	}
	return best;
}

static void loop_before_sleep(struct loop *l)
{
	bool changed = l->changed;

	l->changed = false;
	for (size_t i = 0; i < l->nsvcs; i++)
		if (l->svcs[i].svc->before_sleep)
			l->svcs[i].svc->before_sleep(l->svcs[i].ctx, changed);
}

static void loop_dispatch(struct loop *l, const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct loop_fd *s = loop_slot(l, fd);

		if (!s || s->gen != gen)
			continue; /* removed (or replaced) earlier in this turn */
		s->fn(s->arg, fd, loop_from_epoll(evs[i].events));
	}
}

int loop_run_once(struct loop *l, int max_wait_ms, struct err *e)
{
	struct epoll_event evs[LOOP_BATCH];
	int64_t now = clock_mono_ms();
	int64_t deadline = loop_ticks(l, now);
	int64_t wait = -1;
	int n = 0;

	loop_before_sleep(l);
	if (l->changed)
		wait = 0; /* a hook changed data again: go round at once */
	else if (deadline >= 0)
		wait = deadline > now ? deadline - now : 0;
	if (max_wait_ms >= 0 && (wait < 0 || wait > max_wait_ms))
		wait = max_wait_ms;
	if (l->stop)
		wait = 0;
	n = epoll_wait(l->epfd, evs, LOOP_BATCH, wait > INT32_MAX ? INT32_MAX : (int)wait);
	l->turns++;
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		err_set(e, "loop: epoll_wait: %s", strerror(errno));
		return -1;
	}
	loop_dispatch(l, evs, n);
	return 0;
}

int loop_run(struct loop *l, struct err *e)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1, e) < 0)
			return -1;
	return 0;
}
