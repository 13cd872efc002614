/*
 * actions: the flat table of named actions (tmux's options table, calcurse's
 * keydef[]), assembled from the shell's global actions and each view class's own.
 */
#include <stdlib.h>

#include "actions.h"
#include "view.h"

static const struct view_action global_actions[ACT__GLOBAL] = {
	[ACT_QUIT] = {"quit", "q", "Quit opsdeck (asks for confirmation)", "quit"},
	[ACT_HELP] = {"help", "? F1", "Show or hide this help", "help"},
	[ACT_NOTE] = {"note", "n", "Write a quick note to the shift log from any view", "note"},
	[ACT_BACK] = {"back", "Esc", "Close the overlay, detail or prompt", NULL},
	[ACT_REDRAW] = {"redraw", "C-l", "Redraw the whole screen", NULL},
	[ACT_TAB_NEXT] = {"tab-next", "Tab", "Focus the next view", NULL},
	[ACT_TAB_PREV] = {"tab-prev", "S-Tab", "Focus the previous view", NULL},
};

/* The flat table and, per entry, its hint, owner class and id within the owner. */
static struct keymap_action *table;
static const char **hints;
static const struct view_class **owners;
static int *locals;
static size_t ntable;

static void actions_add(const struct view_action *a, const char *context,
			const struct view_class *owner, int local)
{
	table[ntable] = (struct keymap_action){a->name, context, a->keys, a->help};
	hints[ntable] = a->hint;
	owners[ntable] = owner;
	locals[ntable] = local;
	ntable++;
}

int actions_build(const struct view_class *const *classes, size_t n, struct err *e)
{
	size_t cap = ACT__GLOBAL;

	actions_free();
	for (size_t c = 0; c < n; c++)
		cap += classes[c]->n_actions;
	table = calloc(cap, sizeof *table);
	hints = calloc(cap, sizeof *hints);
	owners = calloc(cap, sizeof *owners);
	locals = calloc(cap, sizeof *locals);
	if (!table || !hints || !owners || !locals) {
		actions_free();
		err_set(e, "out of memory");
		return -1;
	}
	for (int i = 0; i < ACT__GLOBAL; i++)
		actions_add(&global_actions[i], "global", NULL, i);
	/* Entry VIEW_ACT_BACK of a class is the global "back", delivered to it. */
	for (size_t c = 0; c < n; c++)
		for (size_t i = VIEW_ACT_FIRST; i < classes[c]->n_actions; i++)
			if (classes[c]->actions[i].name)
				actions_add(&classes[c]->actions[i], classes[c]->name, classes[c],
					    (int)i);
	return 0;
}

void actions_free(void)
{
	free(table);
	free(hints);
	free(owners);
	free(locals);
	table = NULL;
	hints = NULL;
	owners = NULL;
	locals = NULL;
	ntable = 0;
}

struct keymap *actions_keymap_new(struct err *e)
{
	if (actions_build(view_registry, view_registry_n, e) < 0)
		return NULL;
	return keymap_new(table, ntable, e);
}

const struct keymap_action *actions_table(size_t *n)
{
	*n = ntable;
	return table;
}

const char *actions_hint(int id)
{
	return id >= 0 && (size_t)id < ntable ? hints[id] : NULL;
}

const struct view_class *actions_owner(int id, int *local)
{
	if (id < ACT__GLOBAL || (size_t)id >= ntable)
		return NULL;
	*local = locals[id];
	return owners[id];
}

const char *actions_key_label(const struct keymap *km, int id, char *buf, size_t len)
{
	int keys[KEYMAP_MAX_KEYS];
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (id < 0 || (size_t)id >= ntable)
		return buf;
	n = keymap_keys(km, (size_t)id, keys, KEYMAP_MAX_KEYS);
	if (n > 0)
		keymap_key_name(keys[0], buf, len);
	return buf;
}
