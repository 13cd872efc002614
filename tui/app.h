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
 * input, and "tick", "data", "fleet" (hosts changed), "resize" or "signal"
 * otherwise. A "key" line has two more fields: when the first key drawn by that
 * frame was read, and the frame's number n; the frame's output is followed by
 * "ESC ] 7777 ; opsdeck-key-end n BEL", an OSC terminals ignore, so a benchmark
 * acting as the terminal (bench/bench_console) sees when the frame arrived. Off
 * (one getenv at start) when unset.
 */
#ifndef OPSDECK_APP_H
#define OPSDECK_APP_H

#include "incident_config.h"
#include "monitor.h"
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
/* The resolved paths (borrowed, for the app's life). */
const struct paths *app_paths(const struct app *a);

/* The loaded configuration. */
const struct config *app_config(const struct app *a);

/* incidents.yaml (SLA targets, escalation, alerts), loaded at start. */
const struct incident_config *app_incident_config(const struct app *a);

/* Sets the message line (printf-style; the text is sanitised when drawn). */
void app_message(struct app *a, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Opens the modal line prompt / yes-no question (replacing any open one). */
void app_prompt_line(struct app *a, const char *label, const char *initial, prompt_line_fn fn,
		     void *ud);
void app_prompt_confirm(struct app *a, const char *question, prompt_yesno_fn fn, void *ud);
/* A question about detail (a command to run), shown whole and wrapped above it.
 * Both kinds of question throw away typed-ahead keys first; pasted text never
 * answers them (bracketed paste). */
void app_prompt_confirm_detail(struct app *a, const char *question, const char *detail,
			       prompt_yesno_fn fn, void *ud);

/*
 * Tells every view and the top bar that the database changed. Call after this
 * process wrote: store_changed only reports other connections' commits.
 */
void app_data_changed(struct app *a);

/*
 * The fleet, its probe monitor and the inventory they were built from; NULL when
 * no inventory was loaded (missing or malformed). Host i of the fleet is host i
 * of the inventory and of the monitor. All are the app's; views borrow them.
 */
struct fleet *app_fleet(struct app *a);
struct monitor *app_monitor(struct app *a);
const struct inventory *app_inventory(const struct app *a);

/* The inventory file the console looked for (shown when there is none). */
const char *app_inventory_path(const struct app *a);

/*
 * Moves when host states or probe results changed, at most every few hundred ms
 * (the fleet frame) or at once after app_hosts_touch; views keep the value they
 * last drew and rebuild their model when it moves.
 */
unsigned long app_hosts_serial(const struct app *a);

/* Tells the loop that host data changed outside the fleet's callbacks (a view
 * acted on the fleet): the top-bar counters and the views are refreshed. */
void app_hosts_touch(struct app *a);

/*
 * A host's condition for counters and colours: the monitor's, except that a host
 * that keeps failing to connect is unreachable while it retries (the monitor
 * still holds its old results). MON_PENDING without a fleet.
 */
enum monitor_host app_host_state(struct app *a, size_t host);

/*
 * Test hook: fn (NULL: none, the default) is called once per turn of the loop
 * with the turns so far, so a test can count wake-ups. Only the test-only
 * binary's main wrapper sets it.
 */
typedef void (*app_turn_fn)(unsigned long turns);
void app_set_turn_hook(app_turn_fn fn);

/* True while the frame being drawn started from an erased screen: a view that
 * skips unchanged rows must draw them all. */
bool app_frame_cleared(const struct app *a);

#endif
