/*
 * yamlutil: a small document tree over libyaml with positions, so every loader
 * (config, themes, keys, and later inventory and runbooks) reports errors as
 * "file:line:col: message" (1-based line and column).
 */
#ifndef OPSDECK_YAMLUTIL_H
#define OPSDECK_YAMLUTIL_H

#include <stddef.h>

#include "err.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_kind kind;
	int line, col;      /* 1-based */
	char *value;        /* scalar text (YNODE_SCALAR) */
	size_t n;           /* children: map keys/values in pairs, or sequence items */
	struct ynode **kids; /* MAP: kids[2i] key, kids[2i+1] value */
};

/* Something the tree left out under YDOC_KEEP_GOING (today: a duplicate key). */
struct ydoc_problem {
	char *msg;   /* "file:line:col: message", sanitised */
	char *key;   /* the key left out */
	size_t depth; /* 1: a key of the root map */
};

struct ydoc {
	char *file;       /* the path given to ydoc_load */
	struct ynode *root; /* NULL for an empty document */
	struct ydoc_problem *problems; /* YDOC_KEEP_GOING only */
	size_t n_problems;
};

enum ydoc_flags {
	/* A duplicate key is recorded in doc->problems (the first one is kept, the
	 * later key and its value are left out) instead of failing the load. */
	YDOC_KEEP_GOING = 1u << 0,
};

/*
 * Loads path into a new tree. Returns 0 and fills doc (free with ydoc_free), or
 * -1 with e = "file:line:col: message" for unreadable or malformed YAML. Anchors
 * and aliases are refused (they make loops and billion-laughs documents).
 */
int ydoc_load(const char *path, struct ydoc *doc, struct err *e);

/* As ydoc_load, from memory; name is used in messages. */
int ydoc_load_string(const char *name, const char *text, size_t len, struct ydoc *doc,
		     struct err *e);

/* As ydoc_load and ydoc_load_string with YDOC_* flags. */
int ydoc_load_flags(const char *path, unsigned flags, struct ydoc *doc, struct err *e);
int ydoc_load_string_flags(const char *name, const char *text, size_t len, unsigned flags,
			   struct ydoc *doc, struct err *e);

/* Appends copies of msg and key to doc->problems. 0, or -1 when memory runs out. */
int ydoc_add_problem(struct ydoc *doc, const char *msg, const char *key, size_t depth);

void ydoc_free(struct ydoc *doc);

/* Looks up key in a map node; NULL when absent or when m is not a map. */
struct ynode *ynode_get(const struct ynode *m, const char *key);

/*
 * Sets e to "file:line:col: <fmt...>" for node n, the message passed through the
 * sanitiser (it may quote file bytes). Always returns -1.
 */
int ydoc_error(const struct ydoc *doc, const struct ynode *n, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
