/*
 * autoincident: turns the fleet's and the monitor's state into incident signals
 * (incident_observe). It remembers, per host, what it last reported, so a signal
 * goes out only when something changes (a probe turns CRITICAL or back to OK, a
 * host goes unreachable past its grace period or comes back, a host key changes
 * or is trusted again), never on every round. No curses: the console feeds it.
 */
#ifndef OPSDECK_AUTOINCIDENT_H
#define OPSDECK_AUTOINCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "incident.h"
#include "probe.h"
#include "store.h"

/* A host is unreachable (a problem) after this many failed connects in a row ... */
#define AUTOINCIDENT_GRACE_FAILURES 2
/* ... or after failing for this long, whichever comes first. */
#define AUTOINCIDENT_GRACE_MS (60 * 1000LL)

/* What the console knows of a host's connection now. */
enum autoincident_reach {
	AUTOINCIDENT_UP,      /* session open */
	AUTOINCIDENT_FAILING, /* connecting failed / lost, retrying */
	AUTOINCIDENT_KEY_CHANGED,
	AUTOINCIDENT_OTHER,   /* connecting, key unknown, auth, idle: no opinion */
};

struct autoincident;

/* A tracker for n_hosts hosts (index = fleet index). Caller owns it. NULL on OOM. */
struct autoincident *autoincident_new(size_t n_hosts);
void autoincident_free(struct autoincident **ai);

/*
 * A batch: the signals sent between _begin and _end share one transaction,
 * opened at the first of them and committed by _end, so a mass outage costs one
 * sync to disk rather than one per host. When a signal or the commit fails,
 * nothing of the batch is stored (later signals of the batch fail at once), _end
 * returns -1 with e set, and the batch's changes are sent again on the next
 * calls. The callback has already seen the ones that went through by then.
 */
void autoincident_batch_begin(struct autoincident *ai);
int autoincident_batch_end(struct autoincident *ai, struct store *st, struct err *e);

/*
 * The console's scan of every host, run a slice per turn of its loop. The state
 * of the scan lives in the tracker, so there is no scan under way without one:
 * a NULL tracker (no inventory) is never pending and asking it is a no-op, so
 * the loop never busy-waits on a scan that cannot run.
 *
 * _request asks for a pass (during one: another full pass after it); _pending is
 * true while a pass is owed; _next is the host the pass resumes at; _progress
 * records where a slice stopped (next >= n_hosts: the pass is done).
 */
void autoincident_scan_request(struct autoincident *ai);
bool autoincident_scan_pending(const struct autoincident *ai);
size_t autoincident_scan_next(const struct autoincident *ai);
void autoincident_scan_progress(struct autoincident *ai, size_t next);

/* Called with each signal sent and its outcome (for messages and alerts); may be NULL. */
typedef void (*autoincident_fn)(void *ud, const struct incident_signal *sig,
				enum incident_observed what, int64_t id);

/*
 * Connection state of host (name: borrowed during the call) at now (wall ms),
 * failures = consecutive failed connects. Sends "name/ssh" (unreachable) and
 * "name/hostkey" (changed key) problems and recoveries as they change.
 * Returns signals sent, or -1 with e set (the change is tried again next call).
 */
int autoincident_reach(struct autoincident *ai, struct store *st,
		       const struct incident_config *cfg, size_t host, const char *name,
		       enum autoincident_reach reach, int failures, int64_t now,
		       autoincident_fn fn, void *ud, struct err *e);

/*
 * Latest result of probe on host: CRITICAL sends a "name/probe" problem, OK after
 * a problem sends its recovery; WARNING and UNKNOWN change nothing. summary (may
 * be NULL) goes to the timeline. Returns signals sent, or -1 with e set.
 */
int autoincident_probe(struct autoincident *ai, struct store *st,
		       const struct incident_config *cfg, size_t host, const char *name,
		       const char *probe, enum probe_state state, const char *summary,
		       autoincident_fn fn, void *ud, struct err *e);

#endif
