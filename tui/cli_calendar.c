/*
 * cli_calendar: `opsdeck calendar import|export|list|remove|occurrences`, the
 * business-cycle calendars for scripts and people at a shell. Calendars come from
 * calendars/NAME.yaml in the config folder and from imported .ics files (the store).
 * Exit codes: 0 done, 1 refused or failed (nothing changed), 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar/calendar.h"
#include "calendar/calendar_store.h"
#include "cli.h"
#include "clock.h"
#include "json.h"
#include "text.h"

struct cal_args {
	const char *name, *kind, *output, *from, *to;
	int all, force, json;
	int n_rest;
	char **rest;
};

enum { CAL_OPT_NAME = 1000, CAL_OPT_KIND, CAL_OPT_OUTPUT, CAL_OPT_FROM, CAL_OPT_TO, CAL_OPT_ALL,
       CAL_OPT_FORCE, CAL_OPT_JSON, CAL_OPT_HELP };

static const struct option cal_options[] = {
	{ "name", required_argument, NULL, CAL_OPT_NAME },
	{ "kind", required_argument, NULL, CAL_OPT_KIND },
	{ "output", required_argument, NULL, CAL_OPT_OUTPUT },
	{ "from", required_argument, NULL, CAL_OPT_FROM },
	{ "since", required_argument, NULL, CAL_OPT_FROM },
	{ "to", required_argument, NULL, CAL_OPT_TO },
	{ "until", required_argument, NULL, CAL_OPT_TO },
	{ "all", no_argument, NULL, CAL_OPT_ALL },
	{ "force", no_argument, NULL, CAL_OPT_FORCE },
	{ "json", no_argument, NULL, CAL_OPT_JSON },
	{ "help", no_argument, NULL, CAL_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct cal_run {
	const struct cli_ctx *c;
	struct store *st;
	struct calendar_set set; /* YAML first, then imported */
	size_t n_yaml;
};

struct cal_verb {
	const char *name;
	int (*run)(struct cal_run *r, struct cal_args *a, struct err *e);
	const char *allowed; /* long option names, space separated ("from" stands for since too) */
	int min_rest, max_rest;
	const char *usage;
};

/* Prints s sanitised for a terminal. */
static void cal_put_clean(FILE *out, const char *s)
{
	char *c = text_sanitize_str(s, 0);

	fputs(c ? c : "", out);
	free(c);
}

static void cal_json_clean(FILE *out, const char *key, const char *s, int first)
{
	char *c = s ? text_sanitize_str(s, TEXT_KEEP_NEWLINES) : NULL;

	json_put_key(out, key, first);
	json_put_string(out, c);
	free(c);
}

/* Loads calendars/NAME.yaml and the imported calendars into r->set. */
static int cal_load_all(struct cal_run *r, struct err *e)
{
	char dir[PATHS_MAX + 16];

	snprintf(dir, sizeof dir, "%s/calendars", r->c->paths->config_dir);
	if (calendar_yaml_load_dir(dir, &r->set, e) < 0)
		return -1;
	r->n_yaml = r->set.n;
	return calendar_store_load(r->st, &r->set, e);
}

static int cal_import(struct cal_run *r, struct cal_args *a, struct err *e)
{
	struct calendar c;
	struct calendar_diff d;
	const struct calendar *same = NULL;
	int kind = a->kind ? calendar_kind_parse(a->kind) : -1;
	int rc = -1;

	memset(&c, 0, sizeof c);
	memset(&d, 0, sizeof d);
	if (!a->name || !a->kind) {
		err_set(e, "import needs --name NAME and --kind freeze|caution|peak|info");
		return -2;
	}
	if (kind < 0) {
		err_set(e, "unknown kind '%.32s' (freeze, caution, peak, info)", a->kind);
		return -2;
	}
	if (!*a->name || strlen(a->name) > 64 || !text_is_clean(a->name, strlen(a->name), 0)) {
		err_set(e, "--name is a short printable name");
		return -2;
	}
	if (cal_load_all(r, e) < 0)
		return -1;
	same = calendar_set_find(&r->set, a->name);
	if (same && strcmp(same->source, "yaml") == 0) {
		err_set(e, "calendar '%s' is defined in %s: choose another --name", a->name, same->file);
		return -1;
	}
	if (calendar_ics_load(a->rest[0], &c, e) < 0)
		goto out;
	c.name = strdup(a->name);
	c.kind = (enum calendar_kind)kind;
	c.source = strdup("import");
	c.file = strdup(a->rest[0]);
	if (!c.name || !c.source || !c.file) {
		err_set(e, "out of memory");
		goto out;
	}
	if (calendar_store_import(r->st, &c, &d, e) < 0)
		goto out;
	if (!d.replaced) {
		printf("imported calendar '%s' (%s): %zu events\n", c.name, calendar_kind_name(c.kind),
		       c.n_events);
	} else {
		printf("replaced calendar '%s' (%s): %zu added, %zu removed, %zu changed, %zu unchanged\n",
		       c.name, calendar_kind_name(c.kind), d.added, d.removed, d.changed, d.unchanged);
		for (size_t i = 0; i < d.n_lines; i++) {
			fputs("  ", stdout);
			cal_put_clean(stdout, d.lines[i]);
			fputc('\n', stdout);
		}
	}
	rc = 0;
out:
	calendar_diff_clear(&d);
	calendar_clear(&c);
	return rc;
}

static int cal_export(struct cal_run *r, struct cal_args *a, struct err *e)
{
	FILE *out = NULL;
	int fd = -1;
	int rc = -1;
	const struct calendar *one = NULL;

	if (!a->output || (a->all == (a->n_rest == 1))) {
		err_set(e, "export needs NAME or --all, and --output FILE ('-' for stdout)");
		return -2;
	}
	if (cal_load_all(r, e) < 0)
		return -1;
	if (!a->all && !(one = calendar_set_find(&r->set, a->rest[0]))) {
		err_set(e, "no calendar named '%.64s' (see calendar list)", a->rest[0]);
		return -1;
	}
	if (strcmp(a->output, "-") == 0) {
		out = stdout;
	} else {
		fd = open(a->output, O_WRONLY | O_CREAT | O_CLOEXEC | (a->force ? O_TRUNC : O_EXCL),
			  0644);
		if (fd < 0) {
			if (errno == EEXIST)
				err_set(e, "%s exists: use --force to overwrite it", a->output);
			else
				err_set(e, "%s: %s", a->output, strerror(errno));
			return -1;
		}
		out = fdopen(fd, "w");
		if (!out) {
			close(fd);
			err_set(e, "%s: %s", a->output, strerror(errno));
			return -1;
		}
	}
	for (size_t i = 0; i < r->set.n; i++) {
		if (one && one != &r->set.cals[i])
			continue;
		if (calendar_ics_write(&r->set.cals[i], out, e) < 0)
			goto out;
	}
	rc = 0;
out:
	if (out != stdout && fclose(out) != 0 && rc == 0) {
		err_set(e, "%s: %s", a->output, strerror(errno));
		rc = -1;
	}
	if (out == stdout)
		fflush(stdout);
	return rc;
}

static int cal_list(struct cal_run *r, struct cal_args *a, struct err *e)
{
	if (cal_load_all(r, e) < 0)
		return -1;
	if (a->json)
		fputs("[", stdout);
	for (size_t i = 0; i < r->set.n; i++) {
		const struct calendar *c = &r->set.cals[i];

		if (a->json) {
			fputs(i ? ",\n{" : "\n{", stdout);
			cal_json_clean(stdout, "name", c->name, 1);
			cal_json_clean(stdout, "kind", calendar_kind_name(c->kind), 0);
			cal_json_clean(stdout, "source", c->source, 0);
			cal_json_clean(stdout, "file", c->file, 0);
			cal_json_clean(stdout, "zone", c->zone, 0);
			json_put_key(stdout, "events", 0);
			json_put_int(stdout, (int64_t)c->n_events, 0);
			fputs("}", stdout);
			continue;
		}
		cal_put_clean(stdout, c->name);
		printf("  %s  %s  %zu events  %s  ", calendar_kind_name(c->kind), c->source,
		       c->n_events, c->zone);
		cal_put_clean(stdout, c->file);
		fputc('\n', stdout);
	}
	if (a->json)
		fputs(r->set.n ? "\n]\n" : "]\n", stdout);
	return 0;
}

static int cal_remove(struct cal_run *r, struct cal_args *a, struct err *e)
{
	const struct calendar *c = NULL;
	int x;

	if (cal_load_all(r, e) < 0)
		return -1;
	c = calendar_set_find(&r->set, a->rest[0]);
	if (c && strcmp(c->source, "yaml") == 0) {
		err_set(e, "calendar '%s' comes from %s: edit or delete that file", c->name, c->file);
		return -1;
	}
	x = calendar_store_remove(r->st, a->rest[0], e);
	if (x < 0)
		return -1;
	if (x > 0) {
		err_set(e, "no imported calendar named '%.64s'", a->rest[0]);
		return -1;
	}
	printf("removed calendar '%s'\n", a->rest[0]);
	return 0;
}

static void cal_print_occ(const struct calendar_occurrence *o, bool json, bool first)
{
	char start[40], end[40], su[32], eu[32], note[512];

	calendar_format_offset(o->start_ms, o->start_off_s, start, sizeof start);
	calendar_format_offset(o->end_ms, o->end_off_s, end, sizeof end);
	calendar_format_utc(o->start_ms, su, sizeof su);
	calendar_format_utc(o->end_ms, eu, sizeof eu);
	calendar_occurrence_note(o, note, sizeof note);
	if (!json) {
		printf("%s  %s  %-7s  ", start, end, calendar_kind_name(o->cal->kind));
		cal_put_clean(stdout, o->cal->name);
		fputs("  ", stdout);
		cal_put_clean(stdout, o->ev->summary);
		if (o->ev->all_day)
			fputs("  (all day)", stdout);
		fputc('\n', stdout);
		if (note[0])
			printf("    %s\n", note);
		return;
	}
	fputs(first ? "\n{" : ",\n{", stdout);
	cal_json_clean(stdout, "calendar", o->cal->name, 1);
	cal_json_clean(stdout, "kind", calendar_kind_name(o->cal->kind), 0);
	cal_json_clean(stdout, "source", o->cal->source, 0);
	cal_json_clean(stdout, "summary", o->ev->summary, 0);
	cal_json_clean(stdout, "uid", o->ev->uid, 0);
	cal_json_clean(stdout, "start", start, 0);
	cal_json_clean(stdout, "end", end, 0);
	cal_json_clean(stdout, "start_utc", su, 0);
	cal_json_clean(stdout, "end_utc", eu, 0);
	cal_json_clean(stdout, "zone", o->ev->zone, 0);
	json_put_key(stdout, "all_day", 0);
	fputs(o->ev->all_day ? "true" : "false", stdout);
	cal_json_clean(stdout, "dst", (o->flags & CALENDAR_OCC_GAP) ? "gap"
				       : (o->flags & CALENDAR_OCC_FOLD) ? "fold" : NULL, 0);
	cal_json_clean(stdout, "note", note[0] ? note : NULL, 0);
	fputs("}", stdout);
}

static int cal_occurrences(struct cal_run *r, struct cal_args *a, struct err *e)
{
	int64_t from = 0, to = 0;
	struct calendar_occurrence *occ = NULL;
	size_t n = 0;

	if (a->from ? clock_parse(a->from, &from) < 0 : (from = clock_now_ms(), 0)) {
		err_set(e, "--from '%.64s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z], -7d, now)", a->from);
		return -2;
	}
	if (a->to ? clock_parse(a->to, &to) < 0 : (to = from + 30LL * 86400000, 0)) {
		err_set(e, "--to '%.64s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z], -7d, now)", a->to);
		return -2;
	}
	if (to <= from) {
		err_set(e, "--to must be after --from");
		return -2;
	}
	if (to - from > 3660LL * 86400000) {
		err_set(e, "the range is longer than ten years");
		return -2;
	}
	if (cal_load_all(r, e) < 0)
		return -1;
	if (a->name && !calendar_set_find(&r->set, a->name)) {
		err_set(e, "no calendar named '%.64s' (see calendar list)", a->name);
		return -1;
	}
	if (calendar_occurrences(&r->set, a->name, from, to, &occ, &n, e) < 0)
		return -1;
	if (a->json)
		fputs("[", stdout);
	for (size_t i = 0; i < n; i++)
		cal_print_occ(&occ[i], a->json, i == 0);
	if (a->json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	free(occ);
	return 0;
}

static const struct cal_verb cal_verbs[] = {
	{ "import", cal_import, "name kind", 1, 1,
	  "calendar import FILE.ics --name NAME --kind freeze|caution|peak|info" },
	{ "export", cal_export, "all output force", 0, 1,
	  "calendar export NAME|--all --output FILE|- [--force]" },
	{ "list", cal_list, "json", 0, 0, "calendar list [--json]" },
	{ "remove", cal_remove, "", 1, 1, "calendar remove NAME" },
	{ "occurrences", cal_occurrences, "from to name json", 0, 0,
	  "calendar occurrences --from T --to T [--name NAME] [--json]   (--since/--until too;"
	  " default: now to 30 days on)" },
};

static void cal_usage(FILE *out, const char *prog)
{
	for (size_t i = 0; i < sizeof cal_verbs / sizeof cal_verbs[0]; i++)
		fprintf(out, "%s %s %s\n", i ? "      " : "usage:", prog, cal_verbs[i].usage);
	fprintf(out, "\ncalendars: calendars/NAME.yaml in the config folder (opsdeck paths) and imported"
		     " .ics files\ntimes: YYYY-MM-DD[ HH:MM[:SS]] (local) or ...Z (UTC), -7d, now\n");
}

static int cal_allowed(const struct cal_verb *v, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = v->allowed; (p = strstr(p, name)); p += n)
		if ((p == v->allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* 0, 1 for --help (done), -1 for bad usage (message printed). */
static int cal_parse(const struct cli_ctx *c, const struct cal_verb *v, int argc, char **argv,
		     struct cal_args *a)
{
	int opt, idx;

	memset(a, 0, sizeof *a);
	optind = 0;
	opterr = 0;
	while ((idx = -1, opt = getopt_long(argc, argv, ":", cal_options, &idx)) != -1) {
		const char *name = idx >= 0 ? cal_options[idx].name : NULL;
		const char *canon = opt == CAL_OPT_FROM ? "from" : opt == CAL_OPT_TO ? "to" : name;

		if (opt == '?' || opt == ':') {
			fprintf(stderr, "%s calendar %s: %s option '%s'\n", c->prog, v->name,
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return -1;
		}
		if (opt == CAL_OPT_HELP) {
			printf("usage: %s %s\n", c->prog, v->usage);
			return 1;
		}
		if (!canon || !cal_allowed(v, canon)) {
			fprintf(stderr, "%s calendar %s: option --%s does not apply here\n", c->prog,
				v->name, name ? name : "?");
			return -1;
		}
		switch (opt) {
		case CAL_OPT_NAME: a->name = optarg; break;
		case CAL_OPT_KIND: a->kind = optarg; break;
		case CAL_OPT_OUTPUT: a->output = optarg; break;
		case CAL_OPT_FROM: a->from = optarg; break;
		case CAL_OPT_TO: a->to = optarg; break;
		case CAL_OPT_ALL: a->all = 1; break;
		case CAL_OPT_FORCE: a->force = 1; break;
		case CAL_OPT_JSON: a->json = 1; break;
		}
	}
	a->rest = argv + optind;
	a->n_rest = argc - optind;
	if (a->n_rest < v->min_rest || a->n_rest > v->max_rest) {
		fprintf(stderr, "usage: %s %s\n", c->prog, v->usage);
		return -1;
	}
	return 0;
}

int cli_calendar(const struct cli_ctx *c, int argc, char **argv)
{
	const struct cal_verb *v = NULL;
	struct cal_args a;
	struct cal_run run;
	struct err e = { { 0 } };
	int r;

	argc--;
	argv++;
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		cal_usage(argc < 1 ? stderr : stdout, c->prog);
		return argc < 1 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof cal_verbs / sizeof cal_verbs[0]; i++)
		if (strcmp(argv[0], cal_verbs[i].name) == 0)
			v = &cal_verbs[i];
	if (!v) {
		fprintf(stderr, "%s calendar: unknown action '%s' (see %s calendar --help)\n", c->prog,
			argv[0], c->prog);
		return 2;
	}
	r = cal_parse(c, v, argc, argv, &a);
	if (r)
		return r > 0 ? 0 : 2;
	memset(&run, 0, sizeof run);
	run.c = c;
	if (cli_open_store(c->paths, &run.st, &e)) {
		fprintf(stderr, "%s calendar %s: %s\n", c->prog, v->name, e.msg);
		return 1;
	}
	r = v->run(&run, &a, &e);
	if (r < 0) {
		/* A message of several lines (one per broken file) keeps its lines. */
		char *clean = text_sanitize_str(e.msg, TEXT_KEEP_NEWLINES);

		fprintf(stderr, "%s calendar %s: %s\n", c->prog, v->name, clean ? clean : e.msg);
		free(clean);
	}
	calendar_set_clear(&run.set);
	store_close(&run.st);
	return r == -2 ? 2 : (r < 0 ? 1 : 0);
}
