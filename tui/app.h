/*
 * app: the console: one loop, one thread (see ../shared/DESIGN.md).
 *
 * app_run owns the terminal from start to finish: it loads config, theme and
 * keys, draws the shell (top bar, tabs, the focused view, hint and message line)
 * and runs the poll loop until the operator quits. main opens the store and
 * resolves paths; app_run borrows both.
 *
 * Views reach the loop's services through the app_* functions below; none of
 * them blocks or draws (they mark what must be drawn).
 *
 * Benchmark hook: when OPSDECK_BENCH_FRAMES names a file, the loop appends one
 * line "<CLOCK_MONOTONIC microseconds> <event>\n" after every doupdate(), where
 * event is "first-frame" for the first frame, "key" for a frame that follows
 * input, and "tick", "data", "resize" or "signal" otherwise. A "key" line has a
 * third field: when the first key drawn by that frame was read, so key-to-frame
 * is the console's own latency. Off (one getenv at start) when unset.
 */
#ifndef OPSDECK_APP_H
#define OPSDECK_APP_H

#include "paths.h"
#include "store.h"
#include "theme.h"
#include "ui.h"

struct config;

struct app_opts {
	const struct paths *paths; /* resolved paths (borrowed) */
	struct store *store;       /* open store (borrowed) */
	const char *theme;         /* --theme NAME|PATH, or NULL for config/default */
};

/* Runs the console; returns the process exit code (0 after quit, SIGTERM or SIGHUP). */
int app_run(const struct app_opts *o);

struct app;

/* The store the console was started with (borrowed from main). */
struct store *app_store(struct app *a);

/* The loaded configuration. */
const struct config *app_config(const struct app *a);

/* Sets the message line (printf-style; the text is sanitised when drawn). */
void app_message(struct app *a, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Opens the modal line prompt / yes-no question (replacing any open one). */
void app_prompt_line(struct app *a, const char *label, const char *initial, prompt_line_fn fn,
		     void *ud);
void app_prompt_confirm(struct app *a, const char *question, prompt_yesno_fn fn, void *ud);

/*
 * Tells every view and the top bar that the database changed. Call after this
 * process wrote: store_changed only reports other connections' commits.
 */
void app_data_changed(struct app *a);

#endif
