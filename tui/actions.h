/*
 * actions: the console's named actions, assembled from their owners.
 *
 * The shell owns a few global actions (quit, help, note, back, redraw, tabs);
 * every view declares its own in its class (struct view_action: name, default
 * keys, help line, hint label), handled by its on_action. At start-up
 * actions_build joins them into one flat table for core/keymap (so keys.yaml can
 * remap any of them and is checked against every name), and `?` help and the
 * hint line are generated from that table and the live bindings. Adding a view
 * adds its actions without touching this file.
 */
#ifndef OPSDECK_TUI_ACTIONS_H
#define OPSDECK_TUI_ACTIONS_H

#include <stddef.h>

#include "err.h"
#include "keymap.h"

struct view_class;

/* The shell's own actions: the first entries of the flat table, in this order. */
enum action_global {
	ACT_QUIT,
	ACT_HELP,
	ACT_NOTE,
	ACT_BACK,
	ACT_REDRAW,
	ACT_TAB_NEXT,
	ACT_TAB_PREV,
	ACT__GLOBAL
};

/*
 * Builds the flat table: the global actions, then each class's actions (context:
 * the class's name). Must be called once before the other functions; the table
 * lives until actions_free. -1 with e set when memory runs out.
 */
int actions_build(const struct view_class *const *classes, size_t n, struct err *e);
void actions_free(void);

/* A keymap over every registered view's actions and the globals (actions_build on
 * view_registry, then keymap_new). The caller owns it (keymap_free); the table
 * lives until actions_free. NULL with e set. */
struct keymap *actions_keymap_new(struct err *e);

/* The flat table for keymap_new, and its size. */
const struct keymap_action *actions_table(size_t *n);

/* Short label for the hint line ("search"), or NULL when the action is not hinted. */
const char *actions_hint(int id);

/* The class that owns flat action id and its id within the class (the index in
 * its actions table); NULL for a global action or a bad id. */
const struct view_class *actions_owner(int id, int *local);

/*
 * Writes the first key bound to action id as a display name into buf ("/",
 * "PageDown"); an empty string when the user left it unbound. Returns buf.
 */
const char *actions_key_label(const struct keymap *km, int id, char *buf, size_t len);

#endif
