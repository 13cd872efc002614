/*
 * fleetlog: the fleet's events that belong in the shift log (host keys seen,
 * accepted, rejected or changed; authentication refused), written by the OS user.
 */
#ifndef OPSDECK_FLEETLOG_H
#define OPSDECK_FLEETLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fleet.h"
#include "store.h"

/*
 * Appends the shift-log entry for ev on host (nothing for plain state changes).
 * Returns 0 (also when nothing was due), or -1 with e set.
 */
int fleetlog_event(struct store *st, const char *host, enum fleet_event ev, const char *detail,
		   struct err *e);

/* ---- exec audit (for `opsdeck exec` and the console's ad-hoc commands) ---- */

/* Longest command the "exec started" entry holds as it is (bytes). */
#define FLEETLOG_COMMAND_MAX 4096

struct fleetlog_exec {
	const char *pattern;       /* as typed; NULL: "*" */
	const char *const *hosts;  /* the resolved host names */
	size_t n_hosts;
	const char *command;       /* exactly the text sent to each host */
	const char *data_dir;      /* where a long command is kept: <data_dir>/exec/ */
};

/*
 * Appends "exec started on N hosts (pattern 'P': a, b): COMMAND" before anything
 * is sent. A command longer than FLEETLOG_COMMAND_MAX, or one the log could not
 * show unchanged (controls, invalid UTF-8), is written whole to
 * <data_dir>/exec/<sha256>.txt (0600) and the entry gives its size, SHA-256 and
 * that path instead: never cut. Sets *id_out (may be NULL). 0, or -1 with e set.
 */
int fleetlog_exec_started(struct store *st, const struct fleetlog_exec *x, int64_t *id_out,
			  struct err *e);

/* One host's end, for "exec finished". */
struct fleetlog_exec_host {
	const char *name;
	int exit_status;   /* when error is NULL */
	const char *error; /* NULL: it ran to its end; else why not ("timeout", ...) */
};

/*
 * Appends "exec finished (started in #ID)[: interrupted]: N hosts, K exit 0;
 * failing: a exit 3, b (timeout)", severity warning when any failed or it was
 * interrupted. 0, or -1 with e set.
 */
int fleetlog_exec_finished(struct store *st, int64_t started_id,
			   const struct fleetlog_exec_host *hosts, size_t n_hosts, bool interrupted,
			   struct err *e);

#endif
