/*
 * view: the class every screen of the console implements (htop's Panel/PanelClass).
 *
 * A view is a struct whose first member is struct view; its class is a table of
 * function pointers. Handlers never draw: they change state and return flags, and
 * the loop redraws once per pass. Views draw only inside the rectangle they are
 * given, padding every row they own. A new screen is its own files exporting one
 * struct view_class, which declares the view's actions, plus one line in
 * view_registry (views.c).
 */
#ifndef OPSDECK_TUI_VIEW_H
#define OPSDECK_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ui.h"

struct app;

/* What a handler did; the loop ORs them together and acts after the pass. */
enum view_flags {
	VIEW_UNHANDLED = 0,
	VIEW_HANDLED = 1u << 0, /* the key or action was used */
	VIEW_REDRAW = 1u << 1,  /* the view's area must be drawn again */
	VIEW_REDRAW_ALL = 1u << 2, /* the whole screen (top bar, hints) must be drawn */
	VIEW_QUIT = 1u << 3,    /* leave the loop */
	VIEW_MORE = 1u << 4,    /* on_idle has work left: poll again without sleeping */
};

/*
 * An action a view declares: its name in keys.yaml ("log.search"), default keys
 * (space-separated key names), the line `?` shows, and the hint-line label (NULL:
 * not in the hint line). The view's on_action receives its index in the table.
 */
struct view_action {
	const char *name;
	const char *keys;
	const char *help;
	const char *hint;
};

/* Index 0 of every view's action table is reserved: on_action receives
 * VIEW_ACT_BACK for the global "back" (Esc). A view's own actions start at
 * VIEW_ACT_FIRST. */
enum { VIEW_ACT_BACK = 0, VIEW_ACT_FIRST = 1 };

struct view_class;

struct view {
	const struct view_class *cls;
	struct app *app; /* borrowed; outlives the view */
};

struct view_class {
	const char *name;  /* keymap context and actions prefix ("log") */
	const char *title; /* tab label ("Log") */
	/* Allocates the view (caller frees with destroy). NULL with e set on failure. */
	struct view *(*create)(struct app *a, struct err *e);
	void (*destroy)(struct view *v);
	/* Draws into r (on stdscr); called only when the screen is big enough. */
	void (*draw)(struct view *v, const struct ui_rect *r);
	/* The view's actions (index 0 unused: VIEW_ACT_BACK) and their count. */
	const struct view_action *actions;
	size_t n_actions;
	/* The view shows seconds (SLA countdowns): while it has the focus the loop
	 * redraws it every second, not only every minute. */
	bool tick_seconds;
	/* The view shows the fleet's live state: while it has the focus it is
	 * redrawn with every fleet frame. */
	bool fleet_frames;
	/* One of the view's actions (an index into actions), or VIEW_ACT_BACK. */
	unsigned (*on_action)(struct view *v, int action);
	/* A key bound to no action (may be NULL). */
	unsigned (*on_key)(struct view *v, int key);
	/* The view's area changed (also called once before the first draw). */
	unsigned (*on_resize)(struct view *v, int rows, int cols);
	/* The database changed (another process, or this one's own write). */
	unsigned (*on_data_changed)(struct view *v);
	/* Keymap context whose actions `?` lists (may be NULL: use name). */
	const char *(*help_context)(const struct view *v);
	/* One line `?` shows under the view's keys: what its marks mean (may be NULL). */
	const char *legend;
	/* Deferred work (cache fills) for the focused view, run before the loop
	 * sleeps and after keys were answered (may be NULL). Returns flags. */
	unsigned (*on_idle)(struct view *v);
};

/* The views the console shows, in tab order (defined in views.c). */
extern const struct view_class *const view_registry[];
extern const size_t view_registry_n;
/* The view the console opens on when there is no inventory (no hosts to show). */
extern const struct view_class *const view_home_without_fleet;

/* The Log view (view_log.c). */
extern const struct view_class view_log_class;

/* The Hosts view and its host detail (view_hosts.c, view_host.c). */
extern const struct view_class view_hosts_class;

/* The incident queue and an incident's detail (view_incidents.c). */
extern const struct view_class view_incidents_class;

#endif
