/*
 * keymap: named actions, their default keys, and users' remapping in keys.yaml.
 *
 * The UI declares a table of actions (name, context, default keys, help text);
 * help and the key-hint line are generated from it. Keys are encoded as ints
 * independent of curses: a Unicode code point for a printable key, 1..26 for
 * Ctrl-A..Ctrl-Z, and KEYM_* for the special keys. Key names in files: "q", "?",
 * "C-l", "Enter", "Esc", "Tab", "S-Tab", "Space", "Backspace", "Delete", "Up",
 * "Down", "Left", "Right", "Home", "End", "PageUp", "PageDown", "F1".."F12".
 *
 * keys.yaml maps action names to a key or a list of keys, replacing the defaults:
 *
 *   quit: q
 *   log.search: ["/", "C-f"]
 *
 * A key may be bound once per context, and a key bound in "global" may not be
 * reused by any view context; a clashing binding is reported and not applied.
 */
#ifndef OPSDECK_KEYMAP_H
#define OPSDECK_KEYMAP_H

#include <stddef.h>

#include "err.h"
#include "schema.h"

enum {
	KEYM_NONE = 0,
	KEYM_SPECIAL = 0x200000, /* above every Unicode code point */
	KEYM_UP,
	KEYM_DOWN,
	KEYM_LEFT,
	KEYM_RIGHT,
	KEYM_HOME,
	KEYM_END,
	KEYM_PAGEUP,
	KEYM_PAGEDOWN,
	KEYM_ENTER,
	KEYM_ESC,
	KEYM_TAB,
	KEYM_BTAB,
	KEYM_BACKSPACE,
	KEYM_DELETE,
	KEYM_INSERT,
	KEYM_RESIZE,
	KEYM_F0, /* KEYM_F0 + n is Fn, 1..12 */
	KEYM_F12 = KEYM_F0 + 12,
};

#define KEYMAP_MAX_KEYS 4

struct keymap_action {
	const char *name;     /* "quit", "log.search" */
	const char *context;  /* "global" or a view name ("log") */
	const char *defaults; /* space-separated key names */
	const char *help;     /* one line for ? and the hint bar */
};

struct keymap;

/*
 * Builds a keymap from a table of n actions (the table must outlive the keymap)
 * with their default keys. Returns NULL with e set if a default key name is
 * malformed or defaults clash (a programming error, caught by tests).
 * The caller owns the result; free with keymap_free.
 */
struct keymap *keymap_new(const struct keymap_action *actions, size_t n, struct err *e);

void keymap_free(struct keymap **km);

/*
 * Applies keys.yaml at path. A missing file is not an error (returns 0).
 * Returns 0 when everything applied; -1 with e holding the first problem as
 * "file:line:col: message" (unknown action, bad key name, clash, malformed
 * YAML). Bindings without a problem are applied even when another one fails.
 * *n_problems (may be NULL) counts every problem found.
 */
int keymap_load_file(struct keymap *km, const char *path, int *n_problems, struct err *e);

/* As keymap_load_file, with every problem added to d. 0, or -1 when there is one. */
int keymap_load_diags(struct keymap *km, const char *path, struct schema_diags *d);

/*
 * keys.yaml's schema, from km's action table: one entry per action (its default
 * keys and help). *entries is the caller's (free); s points into it. 0 or -1.
 */
int keymap_schema_build(const struct keymap *km, struct schema *s, struct schema_entry **entries);

/*
 * The action bound to key in context (falling back to "global"), as an index
 * into the table, or -1.
 */
int keymap_lookup(const struct keymap *km, const char *context, int key);

/* Keys bound to action idx; writes up to max keys into keys and returns the count. */
size_t keymap_keys(const struct keymap *km, size_t idx, int *keys, size_t max);

/* Action index by name, or -1. */
int keymap_find(const struct keymap *km, const char *name);

/* The table given to keymap_new, and its size. */
const struct keymap_action *keymap_actions(const struct keymap *km, size_t *n);

/* Parses a key name; returns KEYM_NONE when it is not one. */
int keymap_parse_key(const char *name);

/* Writes a key's display name ("q", "C-l", "PageDown") into buf; returns buf. */
const char *keymap_key_name(int key, char *buf, size_t len);

#endif
