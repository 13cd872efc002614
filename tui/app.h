/*
 * app: the console: one loop, one thread (see ../shared/DESIGN.md).
 *
 * app_run owns the terminal from start to finish: it loads config, theme and
 * keys, draws the shell (top bar, tabs, the focused view, hint and message line)
 * and runs the poll loop until the operator quits. main opens the store and
 * resolves paths; app_run borrows both.
 */
#ifndef OPSDECK_APP_H
#define OPSDECK_APP_H

#include "paths.h"
#include "store.h"

struct app_opts {
	const struct paths *paths; /* resolved paths (borrowed) */
	struct store *store;       /* open store (borrowed) */
	const char *theme;         /* --theme NAME|PATH, or NULL for config/default */
};

/* Runs the console; returns the process exit code. */
int app_run(const struct app_opts *o);

#endif
