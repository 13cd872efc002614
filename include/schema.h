/*
 * schema: one table per YAML file (tmux's options table is the model). Each entry
 * names a setting, its type and bounds, its default as it would be written in the
 * file, and a line of help. The same table reads the file (every problem becomes a
 * "file:line:col: message", and a bad setting keeps its default while the good
 * ones beside it stay), answers "did you mean", and writes the README's settings
 * tables (schema_markdown).
 *
 * Storage by type, at entry->offset in the caller's struct:
 *   SCHEMA_BOOL bool, SCHEMA_INT int, SCHEMA_DURATION int64_t milliseconds,
 *   SCHEMA_STRING and SCHEMA_PATH char[entry->size], SCHEMA_ENUM int (a choice's
 *   value), SCHEMA_ARGV struct schema_argv, SCHEMA_MAP with a sub-schema: its own
 *   struct at offset; SCHEMA_MAP/SCHEMA_LIST with a reader: the reader decides.
 */
#ifndef OPSDECK_SCHEMA_H
#define OPSDECK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "yamlutil.h"

enum schema_type {
	SCHEMA_BOOL,
	SCHEMA_INT,
	SCHEMA_DURATION,
	SCHEMA_STRING,
	SCHEMA_PATH,
	SCHEMA_ENUM,
	SCHEMA_ARGV,
	SCHEMA_LIST,
	SCHEMA_MAP,
};

enum schema_flags {
	/* Chooses hosts, keys or the database: a bad value (or a typo close to this
	 * name) refuses to run instead of falling back to the default. */
	SCHEMA_CRITICAL = 1u << 0,
	/* Left out of the documentation table (an alias kept for old files). */
	SCHEMA_HIDDEN = 1u << 1,
};

#define SCHEMA_ARGV_MAX 32
#define SCHEMA_ARG_LEN 256

/* A command as argv (no shell). arg[0..n) are NUL-terminated. */
struct schema_argv {
	size_t n;
	char arg[SCHEMA_ARGV_MAX][SCHEMA_ARG_LEN];
};

struct schema_choice {
	const char *name; /* matched without regard to case */
	int value;
};

/* One problem; fatal when it is in a SCHEMA_CRITICAL setting or the file is unreadable. */
struct schema_diag {
	char *msg; /* "file:line:col: message", sanitised */
	bool fatal;
};

struct schema_diags {
	struct schema_diag *v;
	size_t n, cap;
	size_t n_fatal;
};

struct schema_entry;
struct schema;

/*
 * Reads node v (of any kind) for entry se into target (the struct the schema
 * describes), adding every problem to d. ctx is schema_apply's.
 */
typedef void (*schema_read_fn)(const struct schema_entry *se, const struct ydoc *doc,
			       const struct ynode *v, void *target, struct schema_diags *d,
			       void *ctx);

struct schema_entry {
	const char *name;
	enum schema_type type;
	size_t offset;		/* into the target struct */
	size_t size;		/* STRING/PATH: the buffer's size */
	long long min, max;	/* INT: bounds; DURATION: bounds in ms */
	const char *def;	/* the default as written in the file; NULL: none */
	const char *help;
	const struct schema_choice *choices; /* ENUM: the names; PATH: words taken as is */
	size_t n_choices;
	unsigned flags;		/* SCHEMA_* */
	const struct schema *sub; /* MAP: the fields of the map (target at offset) */
	schema_read_fn read;	/* LIST/MAP without sub: its own reader */
	const char *type_doc;	/* the type as the documentation shows it; NULL: from type */
	const char *def_doc;	/* the default as the documentation shows it when def is NULL */
};

struct schema {
	const char *what; /* "config.yaml", "a witness file entry": used in messages */
	const struct schema_entry *entries;
	size_t n;
};

/* Sets every entry with a default to it (and empties strings without one). */
void schema_defaults(const struct schema *s, void *target);

/*
 * Reads map node m over target: each key through its entry, unknown keys with
 * "did you mean" when one is close. Adds every problem to d; a setting with a
 * problem keeps what it had. m NULL is an empty map.
 */
void schema_apply(const struct schema *s, const struct ydoc *doc, const struct ynode *m,
		  void *target, struct schema_diags *d, void *ctx);

/* Adds the tree's own problems (duplicate keys left out) as diagnostics. */
void schema_doc_problems(const struct ydoc *doc, struct schema_diags *d, bool fatal);

/* Finds an entry by name; NULL when unknown. */
const struct schema_entry *schema_find(const struct schema *s, const char *name);

/* The closest entry name within a small edit distance, or NULL. */
const struct schema_entry *schema_suggest(const struct schema *s, const char *name);

/* Parses "90s", "15m", "4h", "3d", "1w" or plain seconds into ms. 0 or -1. */
int schema_duration_parse(const char *s, int64_t *ms);

/* Writes the table of s as Markdown: | Setting | Type | Default | Description |. */
void schema_markdown(const struct schema *s, FILE *out);

/* Adds a copy of msg (sanitised) to d. Never fails: out of memory is counted
 * as a fatal problem with a fixed message. */
void schema_diags_add(struct schema_diags *d, bool fatal, const char *msg);

/* Adds "file:line:col: <fmt>" for node n of doc (n NULL: "file: <fmt>"). */
void schema_diag_at(struct schema_diags *d, bool fatal, const struct ydoc *doc,
		    const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Frees the messages; d is empty and reusable afterwards. */
void schema_diags_free(struct schema_diags *d);

/*
 * For callers with one message line: sets e to the first problem, followed by
 * "(and N more: opsdeck config check lists them)" when there are more. Returns 0
 * when d is empty (e untouched), else -1.
 */
int schema_diags_to_err(const struct schema_diags *d, struct err *e);

#endif
