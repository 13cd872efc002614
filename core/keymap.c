/*
 * keymap: named actions bound to keys, the key-name table shared by parsing and
 * display, and keys.yaml remapping with clash checks (one key per context, and
 * nothing a view binds may shadow a global key).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "keymap.h"
#include "text.h"
#include "yamlutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define CTRL_A 1
#define CTRL_Z 26

struct binding {
	int keys[KEYMAP_MAX_KEYS];
	size_t n;
};

struct keymap {
	const struct keymap_action *actions; /* borrowed; outlives the keymap */
	size_t n;
	struct binding *b; /* n entries, parallel to actions */
};

/*
 * Named keys. The first row for a key is its display name; later rows are
 * aliases accepted when parsing. Multi-character names match case-insensitively.
 */
static const struct {
	const char *name;
	int key;
	bool bindable; /* false: display only (a resize is not a key a person presses) */
} key_names[] = {
	{"Enter", KEYM_ENTER, true},
	{"Return", KEYM_ENTER, true},
	{"Esc", KEYM_ESC, true},
	{"Escape", KEYM_ESC, true},
	{"Tab", KEYM_TAB, true},
	{"S-Tab", KEYM_BTAB, true},
	{"BackTab", KEYM_BTAB, true},
	{"Space", ' ', true},
	{"Backspace", KEYM_BACKSPACE, true},
	{"Delete", KEYM_DELETE, true},
	{"Del", KEYM_DELETE, true},
	{"Insert", KEYM_INSERT, true},
	{"Up", KEYM_UP, true},
	{"Down", KEYM_DOWN, true},
	{"Left", KEYM_LEFT, true},
	{"Right", KEYM_RIGHT, true},
	{"Home", KEYM_HOME, true},
	{"End", KEYM_END, true},
	{"PageUp", KEYM_PAGEUP, true},
	{"PgUp", KEYM_PAGEUP, true},
	{"PageDown", KEYM_PAGEDOWN, true},
	{"PgDn", KEYM_PAGEDOWN, true},
	{"Resize", KEYM_RESIZE, false},
};

static const char *action_context(const struct keymap_action *a)
{
	return a->context ? a->context : "global";
}

static bool is_global(const char *ctx)
{
	return strcmp(ctx, "global") == 0;
}

/* ---- key names ---- */

int keymap_parse_key(const char *name)
{
	size_t len = 0;
	unsigned cp = 0;

	if (!name || !name[0])
		return KEYM_NONE;
	len = strlen(name);
	for (size_t i = 0; i < N_ELEMS(key_names); i++)
		if (key_names[i].bindable && strcasecmp(key_names[i].name, name) == 0)
			return key_names[i].key;
	/* F1..F12 */
	if ((name[0] == 'F' || name[0] == 'f') && len >= 2 && len <= 3 && name[1] >= '1' &&
	    name[1] <= '9' && (len == 2 || (name[2] >= '0' && name[2] <= '9'))) {
		int n = atoi(name + 1);

		return n >= 1 && n <= 12 ? KEYM_F0 + n : KEYM_NONE;
	}
	/* C-a..C-z (C-A means the same: terminals cannot tell them apart) */
	if (len == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-') {
		char c = name[2];

		if (c >= 'a' && c <= 'z')
			return CTRL_A + (c - 'a');
		if (c >= 'A' && c <= 'Z')
			return CTRL_A + (c - 'A');
		return KEYM_NONE;
	}
	/* one printable character, ' ' included */
	if (text_utf8_decode(name, len, &cp) == len && cp >= 0x20 && cp != 0x7F &&
	    !(cp >= 0x80 && cp <= 0x9F) && text_is_clean(name, len, 0))
		return (int)cp;
	return KEYM_NONE;
}

const char *keymap_key_name(int key, char *buf, size_t len)
{
	char enc[5] = {0};

	if (!buf || len == 0)
		return buf;
	for (size_t i = 0; i < N_ELEMS(key_names); i++) {
		if (key_names[i].key == key) {
			snprintf(buf, len, "%s", key_names[i].name);
			return buf;
		}
	}
	if (key >= KEYM_F0 + 1 && key <= KEYM_F12)
		snprintf(buf, len, "F%d", key - KEYM_F0);
	else if (key >= CTRL_A && key <= CTRL_Z)
		snprintf(buf, len, "C-%c", 'a' + (key - CTRL_A));
	else if (key > 0x20 && key <= 0x10FFFF && key != 0x7F && !(key >= 0x80 && key <= 0x9F) &&
		 !(key >= 0xD800 && key <= 0xDFFF)) {
		enc[text_utf8_encode((unsigned)key, enc)] = '\0';
		snprintf(buf, len, "%s", enc);
	} else {
		snprintf(buf, len, "<%#x>", (unsigned)key);
	}
	return buf;
}

/* ---- bindings ---- */

static bool binding_has(const struct binding *b, int key)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->keys[i] == key)
			return true;
	return false;
}

/*
 * The action (other than self) whose binding of key would clash with self's:
 * same context, or either side global. Returns its index or -1.
 */
static int find_clash(const struct keymap *km, size_t self, int key)
{
	const char *ctx = action_context(&km->actions[self]);

	for (size_t i = 0; i < km->n; i++) {
		const char *other = action_context(&km->actions[i]);

		if (i == self || !binding_has(&km->b[i], key))
			continue;
		if (strcmp(ctx, other) == 0 || is_global(ctx) || is_global(other))
			return (int)i;
	}
	return -1;
}

static void clash_message(const struct keymap *km, size_t self, int other, int key,
			  char *msg, size_t len)
{
	char kn[32];

	snprintf(msg, len, "key '%s' for '%s' (%s) is already bound to '%s' (%s)",
		 keymap_key_name(key, kn, sizeof kn), km->actions[self].name,
		 action_context(&km->actions[self]), km->actions[other].name,
		 action_context(&km->actions[other]));
}

void keymap_free(struct keymap **km)
{
	if (!km || !*km)
		return;
	free((*km)->b);
	free(*km);
	*km = NULL;
}

/* Parses an action's space-separated default key names into b. */
static int parse_defaults(const struct keymap_action *a, struct binding *b, struct err *e)
{
	const char *p = a->defaults ? a->defaults : "";

	b->n = 0;
	while (*p) {
		char name[32];
		size_t len = strcspn(p, " ");
		int key = KEYM_NONE;

		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof name) {
			err_set(e, "action '%s': default key name '%.*s' is too long", a->name, (int)len, p);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		key = keymap_parse_key(name);
		if (key == KEYM_NONE) {
			err_set(e, "action '%s': unknown default key name '%s'", a->name, name);
			return -1;
		}
		if (binding_has(b, key))
			continue;
		if (b->n == KEYMAP_MAX_KEYS) {
			err_set(e, "action '%s': more than %d default keys", a->name, KEYMAP_MAX_KEYS);
			return -1;
		}
		b->keys[b->n++] = key;
	}
	return 0;
}

struct keymap *keymap_new(const struct keymap_action *actions, size_t n, struct err *e)
{
	struct keymap *km = NULL;
	char msg[512];

	km = calloc(1, sizeof *km);
	if (!km)
		goto oom;
	km->actions = actions;
	km->n = n;
	km->b = calloc(n ? n : 1, sizeof *km->b);
	if (!km->b)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if (!actions[i].name || !actions[i].name[0]) {
			err_set(e, "action %zu has no name", i);
			goto fail;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(actions[i].name, actions[j].name) == 0) {
				err_set(e, "action '%s' is declared twice", actions[i].name);
				goto fail;
			}
		}
		if (parse_defaults(&actions[i], &km->b[i], e) < 0)
			goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < km->b[i].n; k++) {
			int other = find_clash(km, i, km->b[i].keys[k]);

			if (other >= 0) {
				clash_message(km, i, other, km->b[i].keys[k], msg, sizeof msg);
				err_set(e, "default %s", msg);
				goto fail;
			}
		}
	}
	return km;
oom:
	err_set(e, "out of memory");
fail:
	keymap_free(&km);
	return NULL;
}

/* ---- keys.yaml ---- */

/* One entry of keys.yaml, checked and ready to bind. */
struct remap {
	size_t action;
	size_t asked; /* keys the file listed, good or bad */
	const struct ynode *items[KEYMAP_MAX_KEYS]; /* the scalar node of each key */
	int keys[KEYMAP_MAX_KEYS];
	size_t n;
};

/* Where problems go: a count and the first as e, and every one in d when d is set. */
struct keymap_report {
	int count;
	struct err *e;
	struct schema_diags *d;
};

/* Counts a problem; the first one becomes e. Always returns -1. */
static int problem(const struct ydoc *doc, const struct ynode *n, struct keymap_report *r,
		   const char *msg)
{
	if (r->count++ == 0)
		ydoc_error(doc, n, r->e, "%s", msg);
	if (r->d)
		schema_diag_at(r->d, false, doc, n, "%s", msg);
	return -1;
}

int keymap_schema_build(const struct keymap *km, struct schema *s, struct schema_entry **entries)
{
	struct schema_entry *v = calloc(km->n ? km->n : 1, sizeof *v);

	*entries = v;
	if (!v)
		return -1;
	for (size_t i = 0; i < km->n; i++)
		v[i] = (struct schema_entry){ .name = km->actions[i].name, .type = SCHEMA_LIST,
					      .def = km->actions[i].defaults,
					      .help = km->actions[i].help,
					      .type_doc = "key or list of keys" };
	*s = (struct schema){ "keys.yaml", v, km->n };
	return 0;
}

/* Checks one "action: keys" pair into r. Returns -1 (already counted) when it is unusable. */
static int check_entry(const struct keymap *km, const struct ydoc *doc, const struct ynode *k,
		       const struct ynode *v, struct remap *r, struct keymap_report *rep)
{
	char msg[512];
	int idx = keymap_find(km, k->value);
	const struct ynode *const *items = NULL;
	size_t nitems = 0;

	if (idx < 0) {
		const struct schema_entry *near = NULL;
		struct schema_entry *entries = NULL;
		struct schema sc;

		if (keymap_schema_build(km, &sc, &entries) == 0)
			near = schema_suggest(&sc, k->value);
		if (near)
			snprintf(msg, sizeof msg, "unknown action '%s'; did you mean '%s'?", k->value,
				 near->name);
		else
			snprintf(msg, sizeof msg, "unknown action '%s'", k->value);
		free(entries);
		return problem(doc, k, rep, msg);
	}
	if (v->kind == YNODE_SCALAR) {
		items = (const struct ynode *const *)&v;
		nitems = 1;
	} else if (v->kind == YNODE_SEQ) {
		items = (const struct ynode *const *)v->kids;
		nitems = v->n;
	} else {
		snprintf(msg, sizeof msg, "'%s' needs a key name or a list of key names", k->value);
		return problem(doc, v, rep, msg);
	}
	if (nitems > KEYMAP_MAX_KEYS) {
		snprintf(msg, sizeof msg, "'%s' has %zu keys; at most %d are allowed", k->value,
			 nitems, KEYMAP_MAX_KEYS);
		return problem(doc, v, rep, msg);
	}
	r->action = (size_t)idx;
	r->asked = nitems;
	r->n = 0;
	/* A bad key name is skipped on its own; the entry's other keys still count. */
	for (size_t i = 0; i < nitems; i++) {
		const struct ynode *it = items[i];
		int key = it->kind == YNODE_SCALAR ? keymap_parse_key(it->value) : KEYM_NONE;

		if (key == KEYM_NONE) {
			if (it->kind == YNODE_SCALAR)
				snprintf(msg, sizeof msg, "unknown key name '%s'", it->value);
			else
				snprintf(msg, sizeof msg, "a key must be a name such as q, C-l or PageDown");
			problem(doc, it, rep, msg);
			continue;
		}
		r->items[r->n] = it;
		r->keys[r->n++] = key;
	}
	return 0;
}

static int keymap_load(struct keymap *km, const char *path, struct keymap_report *rep)
{
	struct ydoc doc = {0};
	struct remap *rm = NULL;
	size_t nrm = 0;
	char msg[512];
	struct err le = {{0}};

	if (access(path, F_OK) != 0 && errno == ENOENT)
		goto out; /* no keys.yaml: the defaults stand */
	if (ydoc_load_flags(path, YDOC_KEEP_GOING, &doc, &le) < 0) {
		if (rep->count++ == 0)
			err_set(rep->e, "%s", le.msg);
		if (rep->d)
			schema_diags_add(rep->d, false, le.msg);
		goto out;
	}
	/* a repeated action: the first stands, the repeat is a problem */
	for (size_t i = 0; i < doc.n_problems; i++) {
		if (rep->count++ == 0)
			err_set(rep->e, "%s", doc.problems[i].msg);
		if (rep->d)
			schema_diags_add(rep->d, false, doc.problems[i].msg);
	}
	if (!doc.root)
		goto out;
	if (doc.root->kind != YNODE_MAP) {
		problem(&doc, doc.root, rep, "keys.yaml must map action names to keys");
		goto out;
	}
	rm = calloc(doc.root->n / 2 + 1, sizeof *rm);
	if (!rm) {
		err_set(&le, "%s: out of memory", path);
		if (rep->count++ == 0)
			err_set(rep->e, "%s", le.msg);
		if (rep->d)
			schema_diags_add(rep->d, true, le.msg);
		goto out;
	}
	/* Entries with an unknown action or a bad value are skipped whole; their defaults stand. */
	for (size_t i = 0; i + 1 < doc.root->n; i += 2)
		if (check_entry(km, &doc, doc.root->kids[i], doc.root->kids[i + 1], &rm[nrm],
				rep) == 0)
			nrm++;

	/*
	 * Every listed action gives up its defaults before any key is bound, so two
	 * actions can swap keys whatever their order in the file. Then each key is
	 * bound unless it clashes with what is bound by then.
	 */
	for (size_t i = 0; i < nrm; i++)
		km->b[rm[i].action].n = 0;
	for (size_t i = 0; i < nrm; i++) {
		struct binding *b = &km->b[rm[i].action];

		for (size_t k = 0; k < rm[i].n; k++) {
			int other = find_clash(km, rm[i].action, rm[i].keys[k]);

			if (other >= 0) {
				clash_message(km, rm[i].action, other, rm[i].keys[k], msg, sizeof msg);
				problem(&doc, rm[i].items[k], rep, msg);
			} else if (!binding_has(b, rm[i].keys[k])) {
				b->keys[b->n++] = rm[i].keys[k];
			}
		}
	}
	/*
	 * An action that asked for keys but got none would become unreachable; it
	 * gets back whichever of its defaults are still free.
	 */
	for (size_t i = 0; i < nrm; i++) {
		struct binding *b = &km->b[rm[i].action];
		struct binding def = {{0}, 0};
		struct err ignored;

		if (rm[i].asked == 0 || b->n > 0)
			continue;
		if (parse_defaults(&km->actions[rm[i].action], &def, &ignored) < 0)
			continue;
		for (size_t k = 0; k < def.n; k++)
			if (find_clash(km, rm[i].action, def.keys[k]) < 0)
				b->keys[b->n++] = def.keys[k];
	}
out:
	free(rm);
	ydoc_free(&doc);
	return rep->count ? -1 : 0;
}

int keymap_load_file(struct keymap *km, const char *path, int *n_problems, struct err *e)
{
	struct keymap_report rep = { 0, e, NULL };
	int rc = keymap_load(km, path, &rep);

	if (n_problems)
		*n_problems = rep.count;
	return rc;
}

int keymap_load_diags(struct keymap *km, const char *path, struct schema_diags *d)
{
	struct err e = {{0}};
	struct keymap_report rep = { 0, &e, d };

	return keymap_load(km, path, &rep);
}

int keymap_lookup(const struct keymap *km, const char *context, int key)
{
	const char *pass[2] = {context ? context : "global", "global"};

	if (!km || key == KEYM_NONE)
		return -1;
	for (size_t p = 0; p < 2; p++) {
		if (p == 1 && is_global(pass[0]))
			break;
		for (size_t i = 0; i < km->n; i++)
			if (strcmp(action_context(&km->actions[i]), pass[p]) == 0 &&
			    binding_has(&km->b[i], key))
				return (int)i;
	}
	return -1;
}

size_t keymap_keys(const struct keymap *km, size_t idx, int *keys, size_t max)
{
	size_t n = 0;

	if (!km || idx >= km->n)
		return 0;
	for (n = 0; n < km->b[idx].n && n < max; n++)
		keys[n] = km->b[idx].keys[n];
	return n;
}

int keymap_find(const struct keymap *km, const char *name)
{
	if (!km || !name)
		return -1;
	for (size_t i = 0; i < km->n; i++)
		if (strcmp(km->actions[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct keymap_action *keymap_actions(const struct keymap *km, size_t *n)
{
	if (n)
		*n = km ? km->n : 0;
	return km ? km->actions : NULL;
}
