/*
 * schema: reads a YAML map through a table of settings (include/schema.h). Each
 * problem is collected, never returned early, so a file's every mistake is
 * reported at once and the settings beside a mistake are kept.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "text.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define SCHEMA_MIN_MS 60000LL
#define SCHEMA_HOUR_MS (60 * SCHEMA_MIN_MS)

static const char schema_oom_msg[] = "out of memory while collecting problems";

/* ---- diagnostics ---- */

void schema_diags_add(struct schema_diags *d, bool fatal, const char *msg)
{
	char *clean = text_sanitize_str(msg, 0);

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct schema_diag *v = realloc(d->v, cap * sizeof *v);

		if (!v) {
			free(clean);
			clean = NULL;
			/* reuse the last slot, so the caller still learns something went wrong */
			if (!d->n)
				return;
			free(d->v[d->n - 1].msg);
			d->n--;
		} else {
			d->v = v;
			d->cap = cap;
		}
	}
	if (!clean) {
		clean = strdup(schema_oom_msg);
		fatal = true;
	}
	d->v[d->n++] = (struct schema_diag){.msg = clean, .fatal = fatal};
	if (fatal)
		d->n_fatal++;
}

void schema_diag_at(struct schema_diags *d, bool fatal, const struct ydoc *doc,
		    const struct ynode *n, const char *fmt, ...)
{
	char msg[768];
	struct err e = {{0}};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ydoc_error(doc, n, &e, "%s", msg); /* "file:line:col: msg", sanitised */
	schema_diags_add(d, fatal, e.msg);
}

void schema_diags_free(struct schema_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	*d = (struct schema_diags){0};
}

int schema_diags_to_err(const struct schema_diags *d, struct err *e)
{
	if (!d->n)
		return 0;
	if (d->n == 1)
		err_set(e, "%s", d->v[0].msg ? d->v[0].msg : schema_oom_msg);
	else
		err_set(e, "%s (and %zu more: opsdeck config check lists them)",
			d->v[0].msg ? d->v[0].msg : schema_oom_msg, d->n - 1);
	return -1;
}

void schema_doc_problems(const struct ydoc *doc, struct schema_diags *d, bool fatal)
{
	for (size_t i = 0; doc && i < doc->n_problems; i++)
		schema_diags_add(d, fatal, doc->problems[i].msg);
}

/* ---- values ---- */

int schema_duration_parse(const char *s, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', SCHEMA_MIN_MS }, { 'h', SCHEMA_HOUR_MS },
		      { 'd', 24 * SCHEMA_HOUR_MS }, { 'w', 7 * 24 * SCHEMA_HOUR_MS } };
	char *end = NULL;
	long long n;

	if (!s || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n < 0 || n > 100LL * 365 * 24 * 3600)
		return -1;
	if (*end == '\0') {
		*ms = (int64_t)n * 1000;
		return 0;
	}
	if (end[1] != '\0')
		return -1;
	for (size_t i = 0; i < N_ELEMS(units); i++) {
		if (units[i].unit == *end) {
			*ms = (int64_t)n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

static void *schema_at(const struct schema_entry *se, void *target)
{
	return (char *)target + se->offset;
}

/*
 * Setters for scalar types: read text s into target, or write why (the part of
 * the message after the setting's name) and return -1 leaving target alone.
 */
typedef int (*schema_set_fn)(const struct schema_entry *se, const char *s, void *target,
			     char *why, size_t len);

static const struct {
	const char *name;
	bool value;
} schema_bools[] = { { "true", true }, { "false", false }, { "yes", true }, { "no", false },
		     { "on", true }, { "off", false } };

static int schema_set_bool(const struct schema_entry *se, const char *s, void *target, char *why,
			   size_t len)
{
	for (size_t i = 0; i < N_ELEMS(schema_bools); i++) {
		if (strcasecmp(schema_bools[i].name, s) == 0) {
			*(bool *)schema_at(se, target) = schema_bools[i].value;
			return 0;
		}
	}
	snprintf(why, len, "must be true or false, not '%s'", s);
	return -1;
}

static int schema_set_int(const struct schema_entry *se, const char *s, void *target, char *why,
			  size_t len)
{
	char *end = NULL;
	long long n = 0;

	/* digits only: strtoll alone would take " 12", "0x10" and "12abc" */
	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))) {
		snprintf(why, len, "must be a whole number, not '%s'", s);
		return -1;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0') {
		snprintf(why, len, "must be a whole number, not '%s'", s);
		return -1;
	}
	if (errno == ERANGE || n < se->min || n > se->max) {
		snprintf(why, len, "must be from %lld to %lld, not %s", se->min, se->max, s);
		return -1;
	}
	*(int *)schema_at(se, target) = (int)n;
	return 0;
}

static int schema_set_duration(const struct schema_entry *se, const char *s, void *target,
			       char *why, size_t len)
{
	int64_t ms = 0;

	if (schema_duration_parse(s, &ms) < 0) {
		snprintf(why, len, "must be a duration such as 90s, 15m, 4h or 3d, not '%s'", s);
		return -1;
	}
	if (ms < se->min || ms > se->max) {
		snprintf(why, len, "must be from %llds to %llds, not %s", se->min / 1000,
			 se->max / 1000, s);
		return -1;
	}
	*(int64_t *)schema_at(se, target) = ms;
	return 0;
}

static int schema_set_string(const struct schema_entry *se, const char *s, void *target,
			     char *why, size_t len)
{
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(why, len, "must not be empty");
		return -1;
	}
	if (n >= se->size) {
		snprintf(why, len, "is longer than %zu bytes", se->size - 1);
		return -1;
	}
	if (!text_is_clean(s, n, 0)) {
		snprintf(why, len, "contains control characters");
		return -1;
	}
	memcpy(schema_at(se, target), s, n + 1);
	return 0;
}

/* A file path: "~/..." is the home folder; "~user" forms are not expanded, so refused. */
static int schema_set_path(const struct schema_entry *se, const char *s, void *target, char *why,
			   size_t len)
{
	for (size_t i = 0; i < se->n_choices; i++)
		if (strcmp(s, se->choices[i].name) == 0)
			return schema_set_string(se, s, target, why, len);
	if (s[0] == '~' && s[1] != '/') {
		snprintf(why, len, "must start with ~/ or be a plain path, not '%s'", s);
		return -1;
	}
	if (s[0] && s[strlen(s) - 1] == '/') {
		snprintf(why, len, "names a folder, not a file: '%s'", s);
		return -1;
	}
	return schema_set_string(se, s, target, why, len);
}

/* "a, b or c" from a choice list, into buf. Returns buf. */
static const char *schema_choice_list(const struct schema_entry *se, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < se->n_choices && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == se->n_choices ? " or " : ", ";
		int n = snprintf(buf + used, len - used, "%s%s", sep, se->choices[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

static int schema_set_enum(const struct schema_entry *se, const char *s, void *target, char *why,
			   size_t len)
{
	char names[256];

	for (size_t i = 0; i < se->n_choices; i++) {
		if (strcasecmp(s, se->choices[i].name) == 0) {
			*(int *)schema_at(se, target) = se->choices[i].value;
			return 0;
		}
	}
	snprintf(why, len, "must be %s, not '%s'", schema_choice_list(se, names, sizeof names), s);
	return -1;
}

/* Indexed by enum schema_type; NULL for types that are not one scalar. */
static const schema_set_fn schema_setters[] = {
	[SCHEMA_BOOL] = schema_set_bool,
	[SCHEMA_INT] = schema_set_int,
	[SCHEMA_DURATION] = schema_set_duration,
	[SCHEMA_STRING] = schema_set_string,
	[SCHEMA_PATH] = schema_set_path,
	[SCHEMA_ENUM] = schema_set_enum,
	[SCHEMA_ARGV] = NULL,
	[SCHEMA_LIST] = NULL,
	[SCHEMA_MAP] = NULL,
};

/* A list of strings into a struct schema_argv; all or nothing. */
static void schema_read_argv(const struct schema_entry *se, const struct ydoc *doc,
			     const struct ynode *v, void *target, struct schema_diags *d)
{
	struct schema_argv *out = schema_at(se, target);
	bool fatal = se->flags & SCHEMA_CRITICAL;
	bool bad = false;

	if (v->kind != YNODE_SEQ || v->n == 0) {
		schema_diag_at(d, fatal, doc, v, "%s must be a list like [program, arg, ...]",
			       se->name);
		return;
	}
	if (v->n > SCHEMA_ARGV_MAX) {
		schema_diag_at(d, fatal, doc, v->kids[SCHEMA_ARGV_MAX], "%s has more than %d words",
			       se->name, SCHEMA_ARGV_MAX);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *w = v->kids[i];

		if (w->kind != YNODE_SCALAR || !w->value[0] || strlen(w->value) >= SCHEMA_ARG_LEN) {
			schema_diag_at(d, fatal, doc, w,
				       "%s: each word must be text of 1 to %d bytes", se->name,
				       SCHEMA_ARG_LEN - 1);
			bad = true;
		}
	}
	if (bad)
		return;
	out->n = v->n;
	for (size_t i = 0; i < v->n; i++)
		snprintf(out->arg[i], sizeof out->arg[i], "%s", v->kids[i]->value);
}

void schema_defaults(const struct schema *s, void *target)
{
	char why[256];

	for (size_t i = 0; i < s->n; i++) {
		const struct schema_entry *se = &s->entries[i];
		schema_set_fn set = schema_setters[se->type];

		if (se->type == SCHEMA_STRING || se->type == SCHEMA_PATH)
			memset(schema_at(se, target), 0, se->size);
		if (se->type == SCHEMA_ARGV)
			memset(schema_at(se, target), 0, sizeof(struct schema_argv));
		if (se->type == SCHEMA_MAP && se->sub)
			schema_defaults(se->sub, schema_at(se, target));
		/* a default that does not read is a bug in the table; tests load every table */
		if (set && se->def && se->def[0])
			(void)set(se, se->def, target, why, sizeof why);
	}
}

const struct schema_entry *schema_find(const struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->entries[i].name, name) == 0)
			return &s->entries[i];
	return NULL;
}

/* Optimal string alignment distance (a swap of neighbours counts 1), capped at 9. */
static size_t schema_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[34][34];

	if (la > 32 || lb > 32)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const struct schema_entry *schema_suggest(const struct schema *s, const char *name)
{
	const struct schema_entry *best = NULL;
	size_t best_d = 0, len = strlen(name);
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

	for (size_t i = 0; i < s->n; i++) {
		size_t dist = 0;

		if (s->entries[i].flags & SCHEMA_HIDDEN)
			continue;
		dist = schema_distance(name, s->entries[i].name);
		/* a case slip is always a typo */
		if (strcasecmp(name, s->entries[i].name) == 0)
			dist = 1;
		if (dist <= limit && (!best || dist < best_d)) {
			best = &s->entries[i];
			best_d = dist;
		}
	}
	return best;
}

/* "a, b, c" of the visible entry names, into buf. Returns buf. */
static const char *schema_key_list(const struct schema *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && used < len; i++) {
		int n = 0;

		if (s->entries[i].flags & SCHEMA_HIDDEN)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s->entries[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

static void schema_apply_one(const struct schema_entry *se, const struct ydoc *doc,
			     const struct ynode *v, void *target, struct schema_diags *d, void *ctx)
{
	bool fatal = se->flags & SCHEMA_CRITICAL;
	schema_set_fn set = schema_setters[se->type];
	char why[512];

	if (se->read) {
		se->read(se, doc, v, target, d, ctx);
		return;
	}
	if (se->type == SCHEMA_ARGV) {
		schema_read_argv(se, doc, v, target, d);
		return;
	}
	if (se->type == SCHEMA_MAP && se->sub) {
		if (v->kind != YNODE_MAP) {
			schema_diag_at(d, fatal, doc, v, "%s must be a mapping: %s", se->name,
				       se->help);
			return;
		}
		schema_apply(se->sub, doc, v, schema_at(se, target), d, ctx);
		return;
	}
	if (!set)
		return; /* a table entry without a reader: nothing to read */
	if (v->kind != YNODE_SCALAR) {
		schema_diag_at(d, fatal, doc, v, "%s needs a single value: %s", se->name, se->help);
		return;
	}
	if (set(se, v->value, target, why, sizeof why) < 0)
		schema_diag_at(d, fatal, doc, v, "%s %s", se->name, why);
}

void schema_apply(const struct schema *s, const struct ydoc *doc, const struct ynode *m,
		  void *target, struct schema_diags *d, void *ctx)
{
	if (!m)
		return;
	if (m->kind != YNODE_MAP) {
		bool fatal = false;

		for (size_t i = 0; i < s->n; i++)
			fatal = fatal || (s->entries[i].flags & SCHEMA_CRITICAL);
		schema_diag_at(d, fatal, doc, m, "%s must be a mapping of settings", s->what);
		return;
	}
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		const struct schema_entry *se = schema_find(s, k->value);
		const struct schema_entry *near = NULL;
		char known[512];

		if (se) {
			schema_apply_one(se, doc, v, target, d, ctx);
			continue;
		}
		{
			/* compare what the person sees: escapes in the key are not part of it */
			char *seen = text_sanitize_str(k->value, 0);

			near = schema_suggest(s, seen ? seen : k->value);
			free(seen);
		}
		if (near)
			/* a near miss of a setting that chooses hosts or keys is as bad as a bad value */
			schema_diag_at(d, near->flags & SCHEMA_CRITICAL, doc, k,
				       "unknown setting '%s'; did you mean '%s'?", k->value,
				       near->name);
		else
			schema_diag_at(d, false, doc, k, "unknown setting '%s' (known: %s)",
				       k->value, schema_key_list(s, known, sizeof known));
	}
}

/* ---- documentation ---- */

/* The type column: "int 100..10000", "duration 1s..10m", "bell, flash or none". */
static void schema_type_text(const struct schema_entry *se, char *buf, size_t len)
{
	static const char *const names[] = {
		[SCHEMA_BOOL] = "bool", [SCHEMA_INT] = "int", [SCHEMA_DURATION] = "duration",
		[SCHEMA_STRING] = "string", [SCHEMA_PATH] = "path", [SCHEMA_ENUM] = "enum",
		[SCHEMA_ARGV] = "argv list", [SCHEMA_LIST] = "list", [SCHEMA_MAP] = "map",
	};
	char choices[256];

	if (se->type_doc)
		snprintf(buf, len, "%s", se->type_doc);
	else if (se->type == SCHEMA_INT)
		snprintf(buf, len, "int %lld..%lld", se->min, se->max);
	else if (se->type == SCHEMA_DURATION)
		snprintf(buf, len, "duration %llds..%llds", se->min / 1000, se->max / 1000);
	else if (se->type == SCHEMA_ENUM)
		snprintf(buf, len, "%s", schema_choice_list(se, choices, sizeof choices));
	else if (se->type == SCHEMA_PATH && se->n_choices)
		snprintf(buf, len, "path or %s", schema_choice_list(se, choices, sizeof choices));
	else
		snprintf(buf, len, "%s", names[se->type]);
}

/* Writes s with '|' escaped, for a Markdown table cell. */
static void schema_md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* One row per entry; a map with a sub-schema adds a row per field, "map.field". */
static void schema_md_rows(const struct schema *s, const char *prefix, FILE *out)
{
	char type[300], name[128];

	for (size_t i = 0; i < s->n; i++) {
		const struct schema_entry *se = &s->entries[i];

		if (se->flags & SCHEMA_HIDDEN)
			continue;
		snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
			 se->name);
		schema_type_text(se, type, sizeof type);
		fprintf(out, "| `%s` | ", name);
		schema_md_cell(out, type);
		fprintf(out, " | ");
		if (se->def && se->def[0]) {
			fputc('`', out);
			schema_md_cell(out, se->def);
			fputc('`', out);
		} else {
			schema_md_cell(out, se->def_doc ? se->def_doc : "(none)");
		}
		fprintf(out, " | ");
		schema_md_cell(out, se->help);
		if (se->flags & SCHEMA_CRITICAL)
			fputs(" (a bad value stops opsdeck)", out);
		fprintf(out, " |\n");
		if (se->type == SCHEMA_MAP && se->sub && !prefix)
			schema_md_rows(se->sub, se->name, out);
	}
}

void schema_markdown(const struct schema *s, FILE *out)
{
	fprintf(out, "| Setting | Type | Default | Description |\n");
	fprintf(out, "|---|---|---|---|\n");
	schema_md_rows(s, NULL, out);
}
