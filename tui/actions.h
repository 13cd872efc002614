/*
 * actions: the one table of named actions the console understands.
 *
 * Each action has a name ("log.search"), a keymap context ("global" or a view's
 * name), default keys, a help line and a short hint label. Keys are resolved by
 * core/keymap (so users can remap them in keys.yaml); `?` help and the hint line
 * are generated from this table and the live bindings, never written by hand.
 * Handlers live with their owner: app.c for "global", each view for its context,
 * each as a table indexed by enum action_id.
 */
#ifndef OPSDECK_TUI_ACTIONS_H
#define OPSDECK_TUI_ACTIONS_H

#include <stddef.h>

#include "keymap.h"

/* Indexes into actions_table; the order is fixed by designated initialisers. */
enum action_id {
	/* global */
	ACT_QUIT,
	ACT_HELP,
	ACT_NOTE,
	ACT_BACK,
	ACT_REDRAW,
	ACT_TAB_NEXT,
	ACT_TAB_PREV,
	/* log view */
	ACT_LOG_UP,
	ACT_LOG_DOWN,
	ACT_LOG_PAGE_UP,
	ACT_LOG_PAGE_DOWN,
	ACT_LOG_TOP,
	ACT_LOG_BOTTOM,
	ACT_LOG_DETAIL,
	ACT_LOG_SEARCH,
	ACT_LOG_CATEGORY,
	ACT_LOG_SEVERITY,
	ACT_LOG_SINCE,
	ACT_LOG_CLEAR,
	ACT_LOG_CORRECT,
	/* hosts view and host detail */
	ACT_HOSTS_UP,
	ACT_HOSTS_DOWN,
	ACT_HOSTS_PAGE_UP,
	ACT_HOSTS_PAGE_DOWN,
	ACT_HOSTS_TOP,
	ACT_HOSTS_BOTTOM,
	ACT_HOSTS_DETAIL,
	ACT_HOSTS_SORT,
	ACT_HOSTS_REVERSE,
	ACT_HOSTS_FILTER,
	ACT_HOSTS_GROUP,
	ACT_HOSTS_RECONNECT,
	ACT_HOSTS_ACCEPT_KEY,
	ACT_HOSTS_REJECT_KEY,
	ACT_HOSTS_RUN,
	/* incidents view and its detail */
	ACT_INC_UP,
	ACT_INC_DOWN,
	ACT_INC_PAGE_UP,
	ACT_INC_PAGE_DOWN,
	ACT_INC_TOP,
	ACT_INC_BOTTOM,
	ACT_INC_DETAIL,
	ACT_INC_SEARCH,
	ACT_INC_SEVERITY,
	ACT_INC_STATE,
	ACT_INC_CLEAR,
	ACT_INC_ACK,
	ACT_INC_ACTIVATE,
	ACT_INC_ESCALATE,
	ACT_INC_MITIGATE,
	ACT_INC_RESOLVE,
	ACT_INC_CREATE,
	ACT_INC_ANNOTATE,
	ACT__COUNT
};

/* The table given to keymap_new (ACT__COUNT entries, static storage). */
extern const struct keymap_action actions_table[ACT__COUNT];

/* Short label for the hint line ("search"), or NULL when the action is not hinted. */
const char *actions_hint(int id);

/*
 * Writes the first key bound to action id as a display name into buf ("/",
 * "PageDown"); an empty string when the user left it unbound. Returns buf.
 */
const char *actions_key_label(const struct keymap *km, int id, char *buf, size_t len);

#endif
