/*
 * yamlutil: builds a small positioned tree from libyaml's event stream, refusing
 * what a hostile file could use against us (aliases, deep nesting, huge input,
 * duplicate keys), so every loader can report "file:line:col: message".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "yamlutil.h"

#define YDOC_MAX_BYTES (1024u * 1024u) /* config-sized files; more is a mistake or an attack */
#define YDOC_MAX_DEPTH 64

/* One open collection while building. cap is the kids array's allocated size. */
struct yframe {
	struct ynode *node;
	size_t cap;
};

struct ybuild {
	const char *name;
	const unsigned char *text;
	size_t len;
	struct ynode *root;
	bool have_doc;  /* a document has started; a second one is an error */
	struct yframe stack[YDOC_MAX_DEPTH];
	size_t depth;
	struct err *e;
};

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	ynode_free(doc->root);
	free(doc->file);
	doc->root = NULL;
	doc->file = NULL;
}

/* Sets e to "name:line:col: msg" with a 0-based libyaml mark. Returns -1. */
static int mark_error(const char *name, yaml_mark_t m, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int mark_error(const char *name, yaml_mark_t m, struct err *e, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(e, "%s:%zu:%zu: %s", name, m.line + 1, m.column + 1, msg);
	return -1;
}

/*
 * libyaml's reader errors carry only a byte offset; turn it into a mark
 * (columns count characters, as libyaml's own marks do).
 */
static yaml_mark_t mark_from_offset(const unsigned char *text, size_t len, size_t off)
{
	yaml_mark_t m = {0, 0, 0};

	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if ((text[i] & 0xC0) != 0x80) {
			m.column++;
		}
	}
	m.index = off;
	return m;
}

static int parser_error(struct ybuild *b, const yaml_parser_t *p)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "malformed YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		err_set(b->e, "%s: out of memory", b->name);
		return -1;
	}
	if (p->error == YAML_READER_ERROR)
		m = mark_from_offset(b->text, b->len, p->problem_offset);
	if (p->context)
		return mark_error(b->name, m, b->e, "%s %s", problem, p->context);
	return mark_error(b->name, m, b->e, "%s", problem);
}

static struct ynode *node_new(enum ynode_kind kind, yaml_mark_t m)
{
	struct ynode *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (int)m.line + 1;
	n->col = (int)m.column + 1;
	return n;
}

static int oom(struct ybuild *b)
{
	err_set(b->e, "%s: out of memory", b->name);
	return -1;
}

/*
 * Hands n to its parent (or makes it the root). Takes ownership of n either way:
 * on error it is freed.
 */
static int attach(struct ybuild *b, struct ynode *n, yaml_mark_t m)
{
	struct yframe *f = NULL;
	struct ynode *parent = NULL;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	parent = f->node;
	if (parent->kind == YNODE_MAP && parent->n % 2 == 0) {
		/* n is a key */
		if (n->kind != YNODE_SCALAR) {
			ynode_free(n);
			return mark_error(b->name, m, b->e, "mapping keys must be scalars");
		}
		for (size_t i = 0; i < parent->n; i += 2) {
			if (strcmp(parent->kids[i]->value, n->value) == 0) {
				int rc = mark_error(b->name, m, b->e, "duplicate key '%s' (first at line %d)",
						    n->value, parent->kids[i]->line);
				ynode_free(n);
				return rc;
			}
		}
	}
	if (parent->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct ynode **k = realloc(parent->kids, cap * sizeof *k);

		if (!k) {
			ynode_free(n);
			return oom(b);
		}
		parent->kids = k;
		f->cap = cap;
	}
	parent->kids[parent->n++] = n;
	return 0;
}

/* Handles one event; sets *done at the end of the stream. */
static int on_event(struct ybuild *b, const yaml_event_t *ev, bool *done)
{
	struct ynode *n = NULL;
	const yaml_char_t *anchor = NULL;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->have_doc)
			return mark_error(b->name, ev->start_mark, b->e,
					  "only one YAML document is allowed per file");
		b->have_doc = true;
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_ALIAS_EVENT:
		return mark_error(b->name, ev->start_mark, b->e, "aliases (*%s) are not allowed",
				  (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct yframe *f = &b->stack[--b->depth];
		struct ynode **k = NULL;

		/* give back the growth slack */
		if (f->node->n && f->node->n < f->cap) {
			k = realloc(f->node->kids, f->node->n * sizeof *k);
			if (k)
				f->node->kids = k;
		}
		return 0;
	}
	default:
		return 0; /* stream start, document end */
	}
	if (anchor)
		return mark_error(b->name, ev->start_mark, b->e, "anchors (&%s) are not allowed",
				  (const char *)anchor);

	if (ev->type == YAML_SCALAR_EVENT) {
		size_t len = ev->data.scalar.length;

		if (memchr(ev->data.scalar.value, '\0', len))
			return mark_error(b->name, ev->start_mark, b->e,
					  "NUL characters are not allowed");
		n = node_new(YNODE_SCALAR, ev->start_mark);
		if (!n)
			return oom(b);
		n->value = strndup((const char *)ev->data.scalar.value, len);
		if (!n->value) {
			ynode_free(n);
			return oom(b);
		}
		/* An empty plain root scalar is an empty document ("---" alone). */
		if (b->depth == 0 && len == 0 && ev->data.scalar.plain_implicit) {
			ynode_free(n);
			return 0;
		}
		return attach(b, n, ev->start_mark);
	}

	if (b->depth == YDOC_MAX_DEPTH)
		return mark_error(b->name, ev->start_mark, b->e, "nested deeper than %d levels",
				  YDOC_MAX_DEPTH);
	n = node_new(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ, ev->start_mark);
	if (!n)
		return oom(b);
	if (attach(b, n, ev->start_mark) < 0)
		return -1;
	b->stack[b->depth].node = n;
	b->stack[b->depth].cap = 0;
	b->depth++;
	return 0;
}

int ydoc_load_string(const char *name, const char *text, size_t len, struct ydoc *doc,
		     struct err *e)
{
	struct ybuild b = {0};
	yaml_parser_t parser;
	bool parser_ok = false, done = false;
	int rc = -1;

	doc->file = NULL;
	doc->root = NULL;
	if (!name)
		name = "<string>";
	b.name = name;
	b.text = (const unsigned char *)(text ? text : "");
	b.len = text ? len : 0;
	b.e = e;
	if (b.len > YDOC_MAX_BYTES) {
		err_set(e, "%s: too large (%zu bytes; the limit is %u)", name, b.len, YDOC_MAX_BYTES);
		goto out;
	}
	doc->file = strdup(name);
	if (!doc->file) {
		oom(&b);
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		oom(&b);
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, b.text, b.len);
	while (!done) {
		yaml_event_t ev;
		int erc = 0;

		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&b, &parser);
			goto out;
		}
		erc = on_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (erc < 0)
			goto out;
	}
	doc->root = b.root;
	b.root = NULL;
	rc = 0;
out:
	if (parser_ok)
		yaml_parser_delete(&parser);
	ynode_free(b.root); /* a partial tree after an error; every node hangs off the root */
	if (rc < 0) {
		free(doc->file);
		doc->file = NULL;
	}
	return rc;
}

/* Reads at most YDOC_MAX_BYTES + 1 bytes of path into a new buffer the caller frees. */
static int read_file(const char *path, char **text, size_t *len, struct err *e)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	*text = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (!f) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(YDOC_MAX_BYTES + 1);
	if (!buf) {
		err_set(e, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, YDOC_MAX_BYTES + 1, f);
	if (ferror(f)) {
		err_set(e, "%s: %s", path, strerror(errno ? errno : EIO));
		goto out;
	}
	if (n > YDOC_MAX_BYTES) {
		err_set(e, "%s: too large (more than %u bytes)", path, YDOC_MAX_BYTES);
		goto out;
	}
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

int ydoc_load(const char *path, struct ydoc *doc, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	doc->file = NULL;
	doc->root = NULL;
	errno = 0;
	if (read_file(path, &text, &len, e) < 0)
		goto out;
	rc = ydoc_load_string(path, text, len, doc, e);
out:
	free(text);
	return rc;
}

struct ynode *ynode_get(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YNODE_MAP || !key)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->value, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

int ydoc_error(const struct ydoc *doc, const struct ynode *n, struct err *e, const char *fmt, ...)
{
	const char *file = doc && doc->file ? doc->file : "<yaml>";
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		err_set(e, "%s:%d:%d: %s", file, n->line, n->col, msg);
	else
		err_set(e, "%s: %s", file, msg); /* no node: the document as a whole */
	return -1;
}
