/*
 * fleet: libssh sessions to the managed hosts, driven by the caller's poll loop.
 *
 * One loop, no threads: fleet_pollfds adds each session's socket with the events
 * libssh wants (ssh_get_poll_flags), fleet_dispatch advances the state machines of
 * the hosts whose fds are ready or whose deadlines passed, and fleet_next_deadline
 * says how long the loop may sleep. Nothing here ever waits on the network.
 *
 * Per host: connect (a bounded number of handshakes in flight) -> host key check
 * against known_hosts -> auth (ssh-agent, then identity files) -> UP, with one
 * persistent session; each command opens a channel on it. Errors and timeouts put
 * the host DOWN and schedule a reconnect with exponential backoff and jitter.
 *
 * Host keys are never accepted silently: an unknown key parks the host in
 * KEY_UNKNOWN (fingerprint shown) until fleet_accept_key or fleet_reject_key; a
 * changed key refuses the connection (KEY_CHANGED) and raises an event.
 */
#ifndef OPSDECK_FLEET_H
#define OPSDECK_FLEET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "inventory.h"

enum fleet_state {
	FLEET_IDLE,         /* not connected, nothing asked of it yet */
	FLEET_CONNECTING,   /* TCP and SSH handshake */
	FLEET_KEY_UNKNOWN,  /* waiting for an operator to accept or reject the key */
	FLEET_KEY_CHANGED,  /* refused: the key differs from known_hosts */
	FLEET_KEY_REJECTED, /* an operator rejected the key */
	FLEET_AUTH,         /* authenticating */
	FLEET_AUTH_FAILED,  /* the server refused every key; last_error has its reason */
	FLEET_UP,           /* authenticated session open */
	FLEET_DOWN,         /* connection failed or lost; reconnect scheduled */
	FLEET_DISABLED,     /* decommissioned or never to be contacted */
};

const char *fleet_state_name(enum fleet_state s); /* "up", "key unknown", ... */

struct fleet_opts {
	const char *known_hosts;   /* NULL: ~/.ssh/known_hosts */
	const char *ssh_config;    /* NULL: ~/.ssh/config; "" to read none */
	int max_handshakes;        /* concurrent connects in flight (default 64) */
	int connect_timeout_ms;    /* TCP + SSH handshake (default 10000) */
	int auth_timeout_ms;       /* (default 10000) */
	int command_timeout_ms;    /* default per command (default 30000) */
	size_t output_cap;         /* bytes kept per command (default 65536) */
	int backoff_min_ms;        /* first reconnect delay (default 1000) */
	int backoff_max_ms;        /* cap (default 60000) */
	int dispatch_budget_us;    /* fleet_dispatch returns after about this long and
				    * resumes where it stopped on the next call, so a
				    * console can answer keys in a connect storm (0: no limit) */
};

/* What happened, for the caller to log (shift log) or show. */
enum fleet_event {
	FLEET_EV_STATE,        /* state changed */
	FLEET_EV_KEY_UNKNOWN,  /* detail: fingerprint */
	FLEET_EV_KEY_CHANGED,  /* detail: new fingerprint (an alarm) */
	FLEET_EV_KEY_ACCEPTED, /* detail: fingerprint */
	FLEET_EV_KEY_REJECTED, /* detail: fingerprint */
	FLEET_EV_AUTH_FAILED,  /* detail: server's reason */
};

typedef void (*fleet_event_fn)(void *ud, size_t host, enum fleet_event ev, const char *detail);

/* A finished command. Memory is the fleet's, valid during the callback only. */
struct fleet_result {
	int exit_status;   /* -1 when the command did not finish (see error) */
	const char *out;   /* stdout and stderr as they arrived, sanitised (newlines, tabs kept) */
	size_t out_len;
	bool truncated;    /* output went past output_cap */
	const char *error; /* NULL on success; else why (timeout, connection lost, ...) */
	int64_t elapsed_ms;
};

typedef void (*fleet_done_fn)(void *ud, size_t host, const struct fleet_result *r);

/* A host's status, for views. Strings are the fleet's, valid until the next dispatch. */
struct fleet_status {
	enum fleet_state state;
	const char *name;
	const char *address;     /* effective, after ssh config */
	int port;
	const char *user;
	const char *fingerprint; /* SHA256:... of the server key, NULL until seen */
	const char *last_error;  /* NULL when none */
	int64_t last_ok_ms;      /* wall clock of the last successful command, 0 never */
	int64_t latency_ms;      /* last command's round trip, -1 unknown */
	int64_t next_retry_mono; /* when DOWN: when it reconnects */
	int failures;            /* consecutive */
};

struct fleet;

/* Creates an empty fleet (NULL opts: defaults). Caller owns it (fleet_free). */
struct fleet *fleet_new(const struct fleet_opts *o, fleet_event_fn ev, void *ev_ud, struct err *e);

void fleet_free(struct fleet **f);

/* Descriptors a fleet needs besides one socket per host. */
#define FLEET_FD_RESERVE 32

/*
 * Raises RLIMIT_NOFILE's soft limit to the hard limit (fleet_new does it too) and
 * returns the soft limit now (LONG_MAX: unlimited; -1: unknown).
 */
long fleet_raise_fd_limit(void);

/* Descriptors f needs with every host connected (compare with fleet_raise_fd_limit). */
long fleet_fds_needed(const struct fleet *f);

/* Adds a host (copied; the inventory may go). Returns its index, or -1 with e set. */
int fleet_add(struct fleet *f, const struct inventory_host *h, struct err *e);

size_t fleet_count(const struct fleet *f);

void fleet_status(const struct fleet *f, size_t host, struct fleet_status *out);

/*
 * Queues command on host; connects first if needed. done is called exactly once
 * (from fleet_dispatch or fleet_free). timeout_ms 0: the default. Returns 0, or
 * -1 with e set (bad host index, out of memory).
 */
int fleet_run(struct fleet *f, size_t host, const char *command, int timeout_ms,
	      fleet_done_fn done, void *ud, struct err *e);

/*
 * Fails every queued or running command on every host with why (their done
 * callbacks run before this returns, except as below) and abandons connects
 * still under way. signal (an SSH signal name without "SIG", e.g. "TERM"; NULL
 * for none) is first sent to each command already running, so the remote process
 * ends too. With grace_ms > 0 such a signalled command stays running until the
 * host reports its end or grace_ms pass (keep dispatching meanwhile), then ends
 * with error why; with 0 its channel is closed at once. For a command's overall
 * deadline ("timeout") or an operator's Ctrl-C ("interrupted").
 */
void fleet_cancel_all(struct fleet *f, const char *signal, const char *why, int grace_ms);

/* Commands queued or running on host. */
size_t fleet_pending(const struct fleet *f, size_t host);

/* Connects host now if it is idle or down (resets its backoff). */
void fleet_connect(struct fleet *f, size_t host);

/* Closes host's session (commands on it fail with "disconnected"). */
void fleet_disconnect(struct fleet *f, size_t host);

/*
 * The operator accepts host's unknown key: appends it to known_hosts (creating
 * the file 0600 and its folder 0700), raises FLEET_EV_KEY_ACCEPTED and goes on
 * connecting. -1 with e set when the host is not waiting on a key.
 */
int fleet_accept_key(struct fleet *f, size_t host, struct err *e);

/* The operator rejects it: the host stays KEY_REJECTED until fleet_connect. */
int fleet_reject_key(struct fleet *f, size_t host, struct err *e);

/*
 * Accepts, for every host in KEY_UNKNOWN, a key whose fingerprint is listed in
 * path (lines "NAME SHA256:..." or "SHA256:..."; # comments). Returns the number
 * accepted, or -1 with e set.
 */
int fleet_accept_keys_from(struct fleet *f, const char *path, struct err *e);

/* ---- the loop ---- */

/* Appends each active session's fd and events to fds (up to max); returns how many. */
size_t fleet_pollfds(struct fleet *f, struct pollfd *fds, size_t max);

/*
 * Advances every host whose fd in fds has events, and every host whose deadline
 * passed (now from clock_mono_ms). fds/n are the entries fleet_pollfds added,
 * after poll(). Safe with n == 0 (timers only).
 */
void fleet_dispatch(struct fleet *f, const struct pollfd *fds, size_t n);

/* The earliest monotonic ms at which fleet_dispatch has timer work; -1 for none.
 * "Now" when the last dispatch ran out of budget with work left. */
int64_t fleet_next_deadline(const struct fleet *f);

/* True while any host has a command queued or running, or a connect in flight. */
bool fleet_busy(const struct fleet *f);

#endif
