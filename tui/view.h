/*
 * view: the class every screen of the console implements (htop's Panel/PanelClass).
 *
 * A view is a struct whose first member is struct view; its class is a table of
 * function pointers. Handlers never draw: they change state and return flags, and
 * the loop redraws once per pass. Views draw only inside the rectangle they are
 * given, padding every row they own. A new screen is one new file exporting one
 * struct view_class, plus a line in view_registry (app.c) and its actions in
 * actions.c.
 */
#ifndef OPSDECK_TUI_VIEW_H
#define OPSDECK_TUI_VIEW_H

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
	/* An action from actions_table whose context is this view's, or "back". */
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

/* The views the console shows, in tab order (defined in app.c). */
extern const struct view_class *const view_registry[];
extern const size_t view_registry_n;

/* The Log view (view_log.c). */
extern const struct view_class view_log_class;

/* The Hosts view and its host detail (view_hosts.c, view_host.c). */
extern const struct view_class view_hosts_class;

/* The incident queue and an incident's detail (view_incidents.c). */
extern const struct view_class view_incidents_class;

#endif
