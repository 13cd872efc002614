/*
 * cli_config: `opsdeck config check` reads every settings file and prints every
 * problem as "file:line:col: message" (exit 1 when there is one, else one "ok"
 * line per file); `opsdeck config schema [--markdown] [FILE]` prints a file's
 * settings table (the README's tables are this output). Also config_report, how
 * main reads config.yaml before any command runs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "calendar/calendar.h"
#include "cli.h"
#include "incident_config.h"
#include "inventory.h"
#include "keymap.h"
#include "schema.h"
#include "text.h"
#include "theme.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

int cli_config_report(const char *prog, const char *path, struct config *cfg, const char *command)
{
	struct schema_diags d = {0};
	int rc = 0;

	config_load_diags(path, cfg, &d);
	if (command && strcmp(command, "config") == 0)
		goto out; /* config check reports them itself */
	for (size_t i = 0; i < d.n; i++)
		if (command || d.v[i].fatal) /* the console shows the rest on its message line */
			fprintf(stderr, "%s: %s\n", prog, d.v[i].msg);
	if (d.n_fatal) {
		fprintf(stderr, "%s: not running: config.yaml has a bad setting that chooses hosts or "
			"keys, and its default could be the wrong one (see %s config check)\n", prog,
			prog);
		rc = -1;
	} else if (d.n && command) {
		fprintf(stderr, "%s: the setting%s above use%s %s default%s\n", prog,
			d.n > 1 ? "s" : "", d.n > 1 ? "" : "s", d.n > 1 ? "their" : "its",
			d.n > 1 ? "s" : "");
	}
out:
	schema_diags_free(&d);
	return rc;
}

/* ---- config check ---- */

/* One file's check: every problem into d; what into a short "ok" note. */
struct config_file_check {
	const char *label;
	void (*check)(const struct cli_ctx *c, const char *path, struct schema_diags *d,
		      char *note, size_t len);
};

static bool cli_config_absent(const char *path, char *note, size_t len)
{
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		snprintf(note, len, "absent, defaults");
		return true;
	}
	return false;
}

static void cli_config_check_config(const struct cli_ctx *c, const char *path,
				    struct schema_diags *d, char *note, size_t len)
{
	struct config cfg;

	(void)c;
	if (cli_config_absent(path, note, len))
		return;
	config_load_diags(path, &cfg, d);
	snprintf(note, len, "%zu settings known", config_schema.n);
}

static void cli_config_check_keys(const struct cli_ctx *c, const char *path,
				  struct schema_diags *d, char *note, size_t len)
{
	struct err e = {{0}};
	struct keymap *km = NULL;
	size_t n = 0;

	(void)c;
	if (cli_config_absent(path, note, len))
		return;
	km = actions_keymap_new(&e);
	if (!km) {
		schema_diags_add(d, false, e.msg);
		return;
	}
	keymap_load_diags(km, path, d);
	keymap_free(&km);
	actions_table(&n);
	actions_free();
	snprintf(note, len, "%zu actions", n);
}

static void cli_config_check_incidents(const struct cli_ctx *c, const char *path,
				       struct schema_diags *d, char *note, size_t len)
{
	struct incident_config ic;

	(void)c;
	if (cli_config_absent(path, note, len))
		return;
	incident_config_load_diags(path, &ic, d);
	snprintf(note, len, "%zu escalation level%s", ic.n_levels, ic.n_levels == 1 ? "" : "s");
}

static void cli_config_check_inventory(const struct cli_ctx *c, const char *path,
				       struct schema_diags *d, char *note, size_t len)
{
	struct inventory inv;

	(void)c;
	memset(&inv, 0, sizeof inv);
	if (cli_config_absent(path, note, len))
		return;
	if (inventory_load_diags(path, &inv, d) == 0)
		snprintf(note, len, "%zu host%s", inv.n_hosts, inv.n_hosts == 1 ? "" : "s");
	inventory_free(&inv);
}

static void cli_config_check_theme(const struct cli_ctx *c, const char *name,
				   struct schema_diags *d, char *note, size_t len)
{
	const struct paths *p = c->paths;
	const char *const dirs[] = { p->user_themes_dir, p->system_themes_dir,
				     p->source_themes_dir, NULL };
	char path[PATHS_MAX] = "";
	struct err e = {{0}};
	struct theme t;

	if (theme_find(name, dirs, path, sizeof path, &e) < 0) {
		if (strcmp(name, "default") == 0) {
			snprintf(note, len, "built in");
			return;
		}
		schema_diags_add(d, false, e.msg);
		return;
	}
	theme_load_diags(path, &t, d);
	snprintf(note, len, "%s", path);
}

/*
 * The YAML files of a folder of the config (calendars/, runbooks/): each checked by
 * load (NULL: no loader yet, so listed, not checked). Returns the problems found.
 */
static size_t cli_config_check_dir(const char *dir, const char *what,
				   int (*load)(const char *path, struct err *e))
{
	DIR *dh = opendir(dir);
	struct dirent *de = NULL;
	size_t problems = 0;

	if (!dh)
		return 0;
	while ((de = readdir(dh)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[PATHS_MAX + 300];
		struct err e = {{0}};
		char *name = NULL;

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		name = text_sanitize_str(de->d_name, 0);
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (!load) {
			printf("%s/%s: not checked: the %s loader is not yet available\n", dir,
			       name ? name : "?", what);
		} else if (load(path, &e) < 0) {
			printf("%s\n", e.msg); /* file:line:col: message, sanitised by the loader */
			problems++;
		} else {
			printf("%s/%s: ok (a %s)\n", dir, name ? name : "?", what);
		}
		free(name);
	}
	closedir(dh);
	return problems;
}

static int cli_config_load_calendar(const char *path, struct err *e)
{
	struct calendar cal;
	int rc = 0;

	memset(&cal, 0, sizeof cal);
	rc = calendar_yaml_load(path, &cal, e);
	calendar_clear(&cal);
	return rc;
}

/* Prints every problem of every file; 1 when there is one, else 0. */
static int cli_config_check(const struct cli_ctx *c)
{
	const struct paths *p = c->paths;
	const struct {
		const char *path;
		void (*check)(const struct cli_ctx *c, const char *path, struct schema_diags *d,
			      char *note, size_t len);
	} files[] = {
		{ p->config_file, cli_config_check_config },
		{ p->keys_file, cli_config_check_keys },
		{ p->incidents_file, cli_config_check_incidents },
		{ p->inventory_file, cli_config_check_inventory },
		{ c->cfg->theme[0] ? c->cfg->theme : "default", cli_config_check_theme },
	};
	static const struct {
		const char *dir, *what;
		int (*load)(const char *path, struct err *e);
	} dirs[] = {
		{ "calendars", "calendar", cli_config_load_calendar },
		{ "runbooks", "runbook", NULL },
	};
	size_t total = 0;

	for (size_t i = 0; i < N_ELEMS(files); i++) {
		struct schema_diags d = {0};
		char note[PATHS_MAX + 64] = "";
		char *shown = text_sanitize_str(files[i].path, 0);

		files[i].check(c, files[i].path, &d, note, sizeof note);
		for (size_t j = 0; j < d.n; j++)
			printf("%s\n", d.v[j].msg);
		if (!d.n)
			printf("%s: ok (%s)\n", shown ? shown : "?", note);
		total += d.n;
		free(shown);
		schema_diags_free(&d);
	}
	for (size_t i = 0; i < N_ELEMS(dirs); i++) {
		char dir[PATHS_MAX + 16];

		snprintf(dir, sizeof dir, "%s/%s", p->config_dir, dirs[i].dir);
		total += cli_config_check_dir(dir, dirs[i].what, dirs[i].load);
	}
	if (total)
		printf("%zu problem%s\n", total, total == 1 ? "" : "s");
	return total ? 1 : 0;
}

/* ---- config schema ---- */

static const struct {
	const char *file;
	const struct schema *schema;
} cli_config_schemas[] = {
	{ "config.yaml", &config_schema },
	{ "incidents.yaml", &incident_config_schema },
	{ "keys.yaml", NULL }, /* built from the console's action table */
	{ "theme", &theme_schema },
	{ "inventory", &inventory_schema },
};

/* Plain text: one line per setting. */
static void cli_config_schema_text(const struct schema *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct schema_entry *se = &s->entries[i];

		if (se->flags & SCHEMA_HIDDEN)
			continue;
		printf("%-18s %s%s\n", se->name, se->help,
		       se->flags & SCHEMA_CRITICAL ? " (a bad value stops opsdeck)" : "");
	}
}

static int cli_config_schema(const struct cli_ctx *c, int argc, char **argv)
{
	const char *file = "config.yaml";
	bool markdown = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--markdown") == 0)
			markdown = true;
		else
			file = argv[i];
	}
	for (size_t i = 0; i < N_ELEMS(cli_config_schemas); i++) {
		const struct schema *s = cli_config_schemas[i].schema;
		struct schema keys;
		struct schema_entry *entries = NULL;
		struct keymap *km = NULL;
		struct err e = {{0}};

		if (strcmp(cli_config_schemas[i].file, file) != 0)
			continue;
		if (!s) {
			km = actions_keymap_new(&e);
			if (!km || keymap_schema_build(km, &keys, &entries) < 0) {
				fprintf(stderr, "%s config schema: %s\n", c->prog,
					km ? "out of memory" : e.msg);
				keymap_free(&km);
				return 1;
			}
			s = &keys;
		}
		if (markdown)
			schema_markdown(s, stdout);
		else
			cli_config_schema_text(s);
		free(entries);
		keymap_free(&km);
		actions_free();
		return 0;
	}
	fprintf(stderr, "%s config schema: unknown file '%s' (known: config.yaml, incidents.yaml, "
		"keys.yaml, theme, inventory)\n", c->prog, file);
	return 2;
}

static void cli_config_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s config check\n"
		"       %s config schema [--markdown] [config.yaml|incidents.yaml|keys.yaml|theme|inventory]\n\n"
		"check   reads config.yaml, keys.yaml, incidents.yaml, the inventory and the selected\n"
		"        theme and prints every problem as file:line:col: message; exit 1 when\n"
		"        there is one, else one ok line per file and exit 0\n"
		"schema  the settings of a file: name, type, default, help\n",
		prog, prog);
}

int cli_config(const struct cli_ctx *c, int argc, char **argv)
{
	if (argc < 2) {
		cli_config_usage(stderr, c->prog);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_config_usage(stdout, c->prog);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0) {
		if (argc > 2) {
			fprintf(stderr, "%s config check: unexpected argument '%s'\n", c->prog,
				argv[2]);
			return 2;
		}
		return cli_config_check(c);
	}
	if (strcmp(argv[1], "schema") == 0)
		return cli_config_schema(c, argc, argv);
	fprintf(stderr, "%s config: unknown action '%s' (check, schema)\n", c->prog, argv[1]);
	return 2;
}
