/*
 * theme: semantic colour roles and the YAML theme files that map them to colours.
 *
 * Views never name a colour; they name a role (ok, warn, crit, ...). A theme file
 * maps roles to fg/bg colours and attributes:
 *
 *   name: default
 *   roles:
 *     crit: { fg: white, bg: red, attrs: [bold] }
 *
 * Colours are black, red, green, yellow, blue, magenta, cyan, white, their
 * "bright-" forms, "default", or a number 0-255. Roles a file leaves out keep the
 * built-in default's style. The mono theme uses attributes only.
 */
#ifndef OPSDECK_THEME_H
#define OPSDECK_THEME_H

#include <stdbool.h>

#include "err.h"
#include "schema.h"

enum theme_role {
	ROLE_NORMAL,
	ROLE_OK,
	ROLE_WARN,
	ROLE_CRIT,
	ROLE_UNKNOWN,
	ROLE_MAINTENANCE,
	ROLE_FREEZE,
	ROLE_SELECTED,
	ROLE_HEADER,
	ROLE_TAB,
	ROLE_TAB_ACTIVE,
	ROLE_STATUS,
	ROLE_MESSAGE,
	ROLE_ERROR,
	ROLE_DIM,
	ROLE_ACCENT,
	ROLE_BORDER,
	ROLE__COUNT
};

enum theme_attr {
	THEME_BOLD = 1u << 0,
	THEME_DIM = 1u << 1,
	THEME_UNDERLINE = 1u << 2,
	THEME_REVERSE = 1u << 3,
	THEME_ITALIC = 1u << 4,
	THEME_BLINK = 1u << 5,
};

#define THEME_COLOR_DEFAULT (-1)

struct theme_style {
	short fg, bg;   /* THEME_COLOR_DEFAULT or 0-255 */
	unsigned attrs; /* enum theme_attr bits */
};

struct theme {
	char name[64];
	bool mono; /* attributes only; no colour pairs */
	struct theme_style role[ROLE__COUNT];
};

/* The role's name as used in theme files ("ok", "tab-active", ...). */
const char *theme_role_name(enum theme_role r);

/* Role by name, or -1. */
int theme_role_parse(const char *name);

/* Fills t with the built-in default (colour) theme. */
void theme_builtin_default(struct theme *t);

/* Fills t with the built-in monochrome theme (attributes only). */
void theme_builtin_mono(struct theme *t);

/*
 * Loads a theme file over the built-in default. Returns 0, or -1 with
 * e = "file:line:col: message" and t left as the built-in default.
 */
int theme_load_file(const char *path, struct theme *t, struct err *e);

/* A theme file's top-level settings. */
extern const struct schema theme_schema;

/*
 * Loads a theme file over the built-in default with every problem added to d;
 * a bad role keeps its built-in style and the others apply.
 */
void theme_load_diags(const char *path, struct theme *t, struct schema_diags *d);

/*
 * Finds the file for theme name: "<dir>/<name>.yaml" for each dir in dirs
 * (NULL-terminated), first match wins. name may also be a path containing '/'.
 * Returns 0 and writes the path to out, or -1 with e set.
 */
int theme_find(const char *name, const char *const *dirs, char *out, size_t outlen,
	       struct err *e);

#endif
