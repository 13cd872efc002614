/*
 * theme: the built-in default and mono themes, and theme files that map semantic
 * roles to colours. Every name (role, colour, attribute) lives in one table so
 * the parser, the error messages and the docs agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "schema.h"
#include "text.h"
#include "theme.h"
#include "yamlutil.h"

/* Indexed by enum theme_role. */
static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NORMAL] = "normal",
	[ROLE_OK] = "ok",
	[ROLE_WARN] = "warn",
	[ROLE_CRIT] = "crit",
	[ROLE_UNKNOWN] = "unknown",
	[ROLE_MAINTENANCE] = "maintenance",
	[ROLE_FREEZE] = "freeze",
	[ROLE_SELECTED] = "selected",
	[ROLE_HEADER] = "header",
	[ROLE_TAB] = "tab",
	[ROLE_TAB_ACTIVE] = "tab-active",
	[ROLE_STATUS] = "status",
	[ROLE_MESSAGE] = "message",
	[ROLE_ERROR] = "error",
	[ROLE_DIM] = "dim",
	[ROLE_ACCENT] = "accent",
	[ROLE_BORDER] = "border",
};

static const struct {
	const char *name;
	short color;
} color_names[] = {
	{"default", THEME_COLOR_DEFAULT},
	{"black", 0}, {"red", 1}, {"green", 2}, {"yellow", 3},
	{"blue", 4}, {"magenta", 5}, {"cyan", 6}, {"white", 7},
	{"bright-black", 8}, {"bright-red", 9}, {"bright-green", 10}, {"bright-yellow", 11},
	{"bright-blue", 12}, {"bright-magenta", 13}, {"bright-cyan", 14}, {"bright-white", 15},
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{"bold", THEME_BOLD}, {"dim", THEME_DIM}, {"underline", THEME_UNDERLINE},
	{"reverse", THEME_REVERSE}, {"italic", THEME_ITALIC}, {"blink", THEME_BLINK},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define D THEME_COLOR_DEFAULT

/* The built-in colour theme: readable on dark and light terminals alike. */
static const struct theme_style builtin_default[ROLE__COUNT] = {
	[ROLE_NORMAL] = {D, D, 0},
	[ROLE_OK] = {2, D, 0},
	[ROLE_WARN] = {3, D, THEME_BOLD},
	[ROLE_CRIT] = {15, 1, THEME_BOLD},
	[ROLE_UNKNOWN] = {5, D, 0},
	[ROLE_MAINTENANCE] = {6, D, 0},
	[ROLE_FREEZE] = {15, 4, THEME_BOLD},
	[ROLE_SELECTED] = {0, 6, 0},
	[ROLE_HEADER] = {D, D, THEME_BOLD | THEME_UNDERLINE},
	[ROLE_TAB] = {7, 4, 0},
	[ROLE_TAB_ACTIVE] = {0, 6, THEME_BOLD},
	[ROLE_STATUS] = {7, 4, 0},
	[ROLE_MESSAGE] = {D, D, 0},
	[ROLE_ERROR] = {1, D, THEME_BOLD},
	[ROLE_DIM] = {D, D, THEME_DIM},
	[ROLE_ACCENT] = {6, D, THEME_BOLD},
	[ROLE_BORDER] = {4, D, 0},
};

/* The built-in monochrome theme: attributes alone keep states apart. */
static const struct theme_style builtin_mono[ROLE__COUNT] = {
	[ROLE_NORMAL] = {D, D, 0},
	[ROLE_OK] = {D, D, 0},
	[ROLE_WARN] = {D, D, THEME_BOLD},
	[ROLE_CRIT] = {D, D, THEME_BOLD | THEME_REVERSE},
	[ROLE_UNKNOWN] = {D, D, THEME_UNDERLINE},
	[ROLE_MAINTENANCE] = {D, D, THEME_DIM},
	[ROLE_FREEZE] = {D, D, THEME_BOLD | THEME_UNDERLINE},
	[ROLE_SELECTED] = {D, D, THEME_REVERSE},
	[ROLE_HEADER] = {D, D, THEME_BOLD},
	[ROLE_TAB] = {D, D, 0},
	[ROLE_TAB_ACTIVE] = {D, D, THEME_BOLD | THEME_REVERSE},
	[ROLE_STATUS] = {D, D, THEME_REVERSE},
	[ROLE_MESSAGE] = {D, D, 0},
	[ROLE_ERROR] = {D, D, THEME_BOLD},
	[ROLE_DIM] = {D, D, THEME_DIM},
	[ROLE_ACCENT] = {D, D, THEME_UNDERLINE},
	[ROLE_BORDER] = {D, D, THEME_DIM},
};

#undef D

const char *theme_role_name(enum theme_role r)
{
	if ((int)r < 0 || r >= ROLE__COUNT)
		return "?";
	return role_names[r];
}

int theme_role_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < ROLE__COUNT; i++)
		if (strcmp(role_names[i], name) == 0)
			return i;
	return -1;
}

void theme_builtin_default(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	t->mono = false;
	memcpy(t->role, builtin_default, sizeof t->role);
}

void theme_builtin_mono(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "mono");
	t->mono = true;
	memcpy(t->role, builtin_mono, sizeof t->role);
}

/* ---- theme files ---- */

static int parse_color(const struct ydoc *doc, const struct ynode *n, short *out, struct err *e)
{
	const char *v = NULL;
	char *end = NULL;
	long num = 0;

	if (n->kind != YNODE_SCALAR)
		return ydoc_error(doc, n, e, "a colour must be a name or a number 0-255");
	v = n->value;
	for (size_t i = 0; i < N_ELEMS(color_names); i++) {
		if (strcmp(color_names[i].name, v) == 0) {
			*out = color_names[i].color;
			return 0;
		}
	}
	if (v[0] >= '0' && v[0] <= '9') {
		errno = 0;
		num = strtol(v, &end, 10);
		if (errno == 0 && *end == '\0' && num >= 0 && num <= 255) {
			*out = (short)num;
			return 0;
		}
	}
	return ydoc_error(doc, n, e,
			  "unknown colour '%s' (black, red, green, yellow, blue, magenta, cyan, "
			  "white, their bright- forms, default, or 0-255)", v);
}

static int parse_attr(const struct ydoc *doc, const struct ynode *n, unsigned *attrs, struct err *e)
{
	if (n->kind != YNODE_SCALAR)
		return ydoc_error(doc, n, e, "an attribute must be a name");
	for (size_t i = 0; i < N_ELEMS(attr_names); i++) {
		if (strcmp(attr_names[i].name, n->value) == 0) {
			*attrs |= attr_names[i].bit;
			return 0;
		}
	}
	return ydoc_error(doc, n, e,
			  "unknown attribute '%s' (bold, dim, underline, reverse, italic, blink)",
			  n->value);
}

/* attrs: one name or a list of names. */
static int parse_attrs(const struct ydoc *doc, const struct ynode *n, unsigned *attrs, struct err *e)
{
	*attrs = 0;
	if (n->kind == YNODE_SCALAR)
		return parse_attr(doc, n, attrs, e);
	if (n->kind != YNODE_SEQ)
		return ydoc_error(doc, n, e, "attrs must be a list of attribute names");
	for (size_t i = 0; i < n->n; i++)
		if (parse_attr(doc, n->kids[i], attrs, e) < 0)
			return -1;
	return 0;
}

/*
 * One role's style. A role entry is complete: fields it leaves out mean the
 * terminal's default colour and no attributes, so styles never half-inherit.
 */
static int parse_style(const struct ydoc *doc, const struct ynode *n, bool mono,
		       struct theme_style *st, struct schema_diags *d)
{
	struct theme_style s = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0};
	struct err e = {{0}};
	int bad = 0;

	if (n->kind != YNODE_MAP) {
		ydoc_error(doc, n, &e, "a role must be a mapping like { fg: red, bg: default, attrs: [bold] }");
		schema_diags_add(d, false, e.msg);
		return -1;
	}
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		int rc = 0;

		if (strcmp(k->value, "fg") == 0 || strcmp(k->value, "bg") == 0) {
			short *c = k->value[0] == 'f' ? &s.fg : &s.bg;

			rc = parse_color(doc, v, c, &e);
			if (rc == 0 && mono && *c != THEME_COLOR_DEFAULT)
				rc = ydoc_error(doc, v, &e, "a mono theme uses attributes only (no colours)");
		} else if (strcmp(k->value, "attrs") == 0) {
			rc = parse_attrs(doc, v, &s.attrs, &e);
		} else {
			rc = ydoc_error(doc, k, &e, "unknown key '%s' in a role (fg, bg, attrs)", k->value);
		}
		if (rc < 0) {
			schema_diags_add(d, false, e.msg);
			bad = -1;
		}
	}
	if (bad)
		return -1; /* the role keeps its built-in style */
	*st = s;
	return 0;
}

/* The file's base name without ".yaml", for themes that do not name themselves. */
static void name_from_path(const char *path, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/');
	size_t len = 0;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	snprintf(out, outlen, "%.*s", (int)len, base);
}

/* What the table reads; roles wait until mono is known. */
struct theme_file {
	char name[64];
	bool mono;
	const struct ynode *roles;
};

static void theme_read_roles(const struct schema_entry *se, const struct ydoc *doc,
			     const struct ynode *v, void *target, struct schema_diags *d, void *ctx)
{
	(void)se;
	(void)doc;
	(void)d;
	(void)ctx;
	((struct theme_file *)target)->roles = v;
}

static const struct schema_entry theme_entries[] = {
	{ .name = "name", .type = SCHEMA_STRING, offsetof(struct theme_file, name),
	  sizeof(((struct theme_file *)0)->name), .def_doc = "the file's name",
	  .help = "the theme's name as shown" },
	{ .name = "mono", .type = SCHEMA_BOOL, offsetof(struct theme_file, mono), 0,
	  .def = "false", .help = "attributes only, no colours" },
	{ .name = "roles", .type = SCHEMA_MAP, .read = theme_read_roles,
	  .type_doc = "map of role to {fg, bg, attrs}", .def_doc = "the built-in default",
	  .help = "each screen role's colours and attributes" },
};

const struct schema theme_schema = { "a theme", theme_entries,
				     sizeof theme_entries / sizeof theme_entries[0] };

static void parse_theme(const struct ydoc *doc, const char *path, struct theme *t,
			struct schema_diags *d)
{
	struct theme_file tf;
	const struct ynode *roles = NULL;

	memset(&tf, 0, sizeof tf);
	schema_defaults(&theme_schema, &tf);
	schema_apply(&theme_schema, doc, doc->root, &tf, d, NULL);
	/* A mono file starts from the mono built-in so roles it leaves out stay colourless. */
	if (tf.mono)
		theme_builtin_mono(t);
	else
		theme_builtin_default(t);
	if (tf.name[0])
		snprintf(t->name, sizeof t->name, "%s", tf.name);
	else
		name_from_path(path, t->name, sizeof t->name);

	roles = tf.roles;
	if (!roles)
		return;
	if (roles->kind != YNODE_MAP) {
		schema_diag_at(d, false, doc, roles, "roles must be a mapping of role names to styles");
		return;
	}
	for (size_t i = 0; i + 1 < roles->n; i += 2) {
		const struct ynode *k = roles->kids[i];
		int r = theme_role_parse(k->value);

		if (r < 0) {
			schema_diag_at(d, false, doc, k, "unknown role '%s'", k->value);
			continue;
		}
		parse_style(doc, roles->kids[i + 1], tf.mono, &t->role[r], d);
	}
}

void theme_load_diags(const char *path, struct theme *t, struct schema_diags *d)
{
	struct ydoc doc = {0};
	struct err e = {{0}};

	theme_builtin_default(t);
	if (ydoc_load_flags(path, YDOC_KEEP_GOING, &doc, &e) < 0) {
		schema_diags_add(d, false, e.msg);
		goto out;
	}
	schema_doc_problems(&doc, d, false);
	parse_theme(&doc, path, t, d);
out:
	ydoc_free(&doc);
}

int theme_load_file(const char *path, struct theme *t, struct err *e)
{
	struct schema_diags d = {0};
	struct theme tmp;
	int rc = 0;

	theme_load_diags(path, &tmp, &d);
	rc = schema_diags_to_err(&d, e);
	schema_diags_free(&d);
	if (rc == 0)
		*t = tmp;
	else
		theme_builtin_default(t);
	return rc;
}

/* Theme names are file names in a themes folder: no separators, no hidden files. */
static bool valid_theme_name(const char *name)
{
	if (!name[0] || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
		if (!ok)
			return false;
	}
	return true;
}

static bool has_yaml_suffix(const char *s)
{
	size_t len = strlen(s);

	return (len > 5 && strcmp(s + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(s + len - 4, ".yml") == 0);
}

/* "a, b, c" for messages; truncated to fit. Returns buf. */
static const char *dir_list(const char *const *dirs, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; dirs && dirs[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", dirs[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

int theme_find(const char *name, const char *const *dirs, char *out, size_t outlen,
	       struct err *e)
{
	char where[512];

	if (!name || !name[0]) {
		err_set(e, "empty theme name");
		return -1;
	}
	if (outlen)
		out[0] = '\0';

	/*
	 * A path must say so: a '/' and a .yaml ending. "../x" is neither a name nor
	 * such a path, so it cannot reach outside the themes folders by accident.
	 */
	if (strchr(name, '/')) {
		if (!has_yaml_suffix(name)) {
			err_set(e, "theme '%s': a theme path must end in .yaml", name);
			return -1;
		}
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen) {
			err_set(e, "theme '%s': path too long", name);
			return -1;
		}
		if (access(out, R_OK) != 0) {
			err_set(e, "%s: %s", name, strerror(errno));
			out[0] = '\0';
			return -1;
		}
		return 0;
	}
	if (!valid_theme_name(name)) {
		err_set(e, "theme '%s': a theme name may only contain letters, digits, '.', '_' and '-'"
			   " and may not start with '.'", name);
		return -1;
	}
	for (size_t i = 0; dirs && dirs[i]; i++) {
		int len = snprintf(out, outlen, "%s/%s.yaml", dirs[i], name);

		if (len < 0 || (size_t)len >= outlen)
			continue;
		if (access(out, R_OK) == 0)
			return 0;
	}
	if (outlen)
		out[0] = '\0';
	if (!dirs || !dirs[0])
		err_set(e, "theme '%s' not found (no theme folders to search)", name);
	else
		err_set(e, "theme '%s' not found (no %s.yaml in %s)", name, name,
			dir_list(dirs, where, sizeof where));
	return -1;
}
