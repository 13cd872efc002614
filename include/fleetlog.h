/*
 * fleetlog: the fleet's events that belong in the shift log (host keys seen,
 * accepted, rejected or changed; authentication refused), written by the OS user.
 */
#ifndef OPSDECK_FLEETLOG_H
#define OPSDECK_FLEETLOG_H

#include "err.h"
#include "fleet.h"
#include "store.h"

/*
 * Appends the shift-log entry for ev on host (nothing for plain state changes).
 * Returns 0 (also when nothing was due), or -1 with e set.
 */
int fleetlog_event(struct store *st, const char *host, enum fleet_event ev, const char *detail,
		   struct err *e);

#endif
