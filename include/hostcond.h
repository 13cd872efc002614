/*
 * hostcond: the one answer to "what state is this host in". The Hosts view, the
 * top bar, the command line (`hosts`) and automatic incidents all ask here, so a
 * host is never "down" in one place and "ok" in another.
 *
 * A condition has two parts: the host's state (its connection, then its probes:
 * a host whose session is gone is unreachable, whatever its last results said)
 * and the reasons it is in maintenance. Reasons come from the inventory
 * (`lifecycle: maintenance`) and from sources registered by capabilities (a
 * maintenance window in progress, a runbook batch running on the host), so this
 * module names none of them.
 */
#ifndef OPSDECK_HOSTCOND_H
#define OPSDECK_HOSTCOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet.h"
#include "inventory.h"
#include "monitor.h"

/* Why a host is in maintenance (bits). */
enum {
	HOSTCOND_MAINT_LIFECYCLE = 1u << 0, /* inventory lifecycle: maintenance */
	HOSTCOND_MAINT_WINDOW = 1u << 1,    /* a maintenance window occurrence in progress */
	HOSTCOND_MAINT_RUNBOOK = 1u << 2,   /* a runbook batch is working on it */
};

/*
 * A source of maintenance: answers for one host at now (wall ms). On true it may set
 * *until_ms (when that reason ends; 0 when open-ended) and *what (a short text the
 * source owns, e.g. "window #4 kernel patch"). reason is its bit above.
 */
struct hostcond_source {
	unsigned reason;
	bool (*in_maintenance)(void *ctx, const char *host, int64_t now_ms, int64_t *until_ms,
			       const char **what);
	void *ctx;
};

struct hostcond {
	enum monitor_host state; /* connection, then probes */
	unsigned maint;          /* HOSTCOND_MAINT_* bits; 0: not in maintenance */
	int64_t maint_until_ms;  /* the latest end among the reasons with one; 0 unknown */
	const char *maint_what;  /* the first reason's text (owned by its source or static) */
};

/*
 * The state from its two inputs: probes (monitor_host_state) and the session
 * (fleet_status). Between retries the monitor still holds the old results, so a
 * host whose session failed is unreachable, not ok.
 */
enum monitor_host hostcond_state(enum monitor_host probes, const struct fleet_status *fs);

/*
 * Fills out for host i (h is its inventory entry) at now: its state, and every
 * maintenance reason from the inventory and from sources[0..nsources).
 * f and m may be NULL (no fleet: the state is pending).
 */
void hostcond_get(const struct fleet *f, const struct monitor *m, const struct inventory_host *h,
		  size_t i, const struct hostcond_source *sources, size_t nsources, int64_t now_ms,
		  struct hostcond *out);

/* True when problems of this host open no incident now (it is in maintenance). */
bool hostcond_suppressed(const struct hostcond *c);

#endif
