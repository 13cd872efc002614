/*
 * yamlutil: builds a small positioned tree from libyaml's event stream, refusing
 * what a hostile file could use against us (aliases, deep nesting, huge input,
 * duplicate keys), so every loader can report "file:line:col: message".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "text.h"
#include "yamlutil.h"

#define YDOC_MAX_BYTES (1024u * 1024u) /* config-sized files; more is a mistake or an attack */
#define YDOC_MAX_DEPTH 64

/*
 * One open collection while building. cap is the kids array's allocated size.
 * A map also keeps a hash set of its keys (slots hold key index + 1, 0 = empty),
 * so the duplicate check costs one probe per key, not a scan of the keys so far.
 */
struct yframe {
	struct ynode *node;
	size_t cap;
	size_t *slots;
	size_t n_slots; /* a power of two, or 0 */
};

struct ybuild {
	const char *name;
	const unsigned char *text;
	size_t len;
	struct ynode *root;
	bool have_doc;  /* a document has started; a second one is an error */
	struct yframe stack[YDOC_MAX_DEPTH];
	size_t depth;
	unsigned flags;      /* YDOC_* */
	bool skipping;       /* dropping the value of a duplicate key (YDOC_KEEP_GOING) */
	size_t skip_depth;   /* collections open inside the dropped value */
	struct ydoc *doc;    /* where YDOC_KEEP_GOING problems go */
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
	for (size_t i = 0; i < doc->n_problems; i++) {
		free(doc->problems[i].msg);
		free(doc->problems[i].key);
	}
	free(doc->problems);
	doc->root = NULL;
	doc->file = NULL;
	doc->problems = NULL;
	doc->n_problems = 0;
}

/* Sets e to "prefix: msg", msg passed through the sanitiser (it may quote file bytes). */
static void ydoc_set_clean(struct err *e, const char *prefix, const char *msg)
{
	char *clean = text_sanitize_str(msg, 0);

	err_set(e, "%s: %s", prefix, clean ? clean : "(out of memory)");
	free(clean);
}

/* Sets e to "name:line:col: msg" with a 0-based libyaml mark. Returns -1. */
static int mark_error(const char *name, yaml_mark_t m, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int mark_error(const char *name, yaml_mark_t m, struct err *e, const char *fmt, ...)
{
	char msg[768], where[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(where, sizeof where, "%s:%zu:%zu", name, m.line + 1, m.column + 1);
	ydoc_set_clean(e, where, msg);
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

/* FNV-1a: short keys, no adversary gain beyond the 1 MiB input limit. */
static size_t keyset_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

/* Doubles f's key set (load at most a half), rehashing the keys so far. 0 or -1. */
static int keyset_grow(struct yframe *f)
{
	size_t n_slots = f->n_slots ? f->n_slots * 2 : 16;
	size_t *slots = calloc(n_slots, sizeof *slots);

	if (!slots)
		return -1;
	for (size_t i = 0; i < f->n_slots; i++) {
		size_t at = 0;

		if (!f->slots[i])
			continue;
		at = keyset_hash(f->node->kids[f->slots[i] - 1]->value) & (n_slots - 1);
		while (slots[at])
			at = (at + 1) & (n_slots - 1);
		slots[at] = f->slots[i];
	}
	free(f->slots);
	f->slots = slots;
	f->n_slots = n_slots;
	return 0;
}

/*
 * Adds key (to become kids[idx] of f's map) to f's key set, or sets *first to the
 * earlier key with the same text (and adds nothing). 0, or -1 when memory runs out.
 */
static int keyset_add(struct ybuild *b, struct yframe *f, const char *key, size_t idx,
		      const struct ynode **first)
{
	size_t at = 0;

	(void)b;
	*first = NULL;
	if ((idx / 2 + 1) * 2 > f->n_slots && keyset_grow(f) < 0)
		return -1;
	at = keyset_hash(key) & (f->n_slots - 1);
	while (f->slots[at]) {
		const struct ynode *k = f->node->kids[f->slots[at] - 1];

		if (strcmp(k->value, key) == 0) {
			*first = k;
			return 0;
		}
		at = (at + 1) & (f->n_slots - 1);
	}
	f->slots[at] = idx + 1;
	return 0;
}

static void frame_release(struct yframe *f)
{
	free(f->slots);
	f->slots = NULL;
	f->n_slots = 0;
}

int ydoc_add_problem(struct ydoc *doc, const char *msg, const char *key, size_t depth)
{
	struct ydoc_problem *v = NULL;
	char *m = NULL, *k = NULL;

	if (!doc)
		return -1;
	m = strdup(msg);
	k = strdup(key ? key : "");
	v = m && k ? realloc(doc->problems, (doc->n_problems + 1) * sizeof *v) : NULL;
	if (!v) {
		free(m);
		free(k);
		return -1;
	}
	v[doc->n_problems++] = (struct ydoc_problem){.msg = m, .key = k, .depth = depth};
	doc->problems = v;
	return 0;
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
		const struct ynode *first = NULL;

		if (keyset_add(b, f, n->value, parent->n, &first) < 0) {
			ynode_free(n);
			return oom(b);
		}
		if (first) {
			struct err de = {{0}};
			int rc = mark_error(b->name, m, &de, "duplicate key '%s' (first at line %d)",
					    n->value, first->line);

			if (!(b->flags & YDOC_KEEP_GOING)) {
				ynode_free(n);
				err_set(b->e, "%s", de.msg);
				return rc;
			}
			/* keep the first; skip this key and the value that follows */
			rc = ydoc_add_problem(b->doc, de.msg, n->value, b->depth);
			ynode_free(n);
			if (rc < 0)
				return oom(b);
			b->skip_depth = 0;
			b->skipping = true;
			return 0;
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
		struct yframe *f = NULL;
		struct ynode **k = NULL;

		if (b->skipping) {
			if (--b->skip_depth == 0)
				b->skipping = false;
			return 0;
		}
		f = &b->stack[--b->depth];
		frame_release(f);

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
	if (b->skipping) {
		/* the dropped value of a duplicate key: a scalar, or a collection to its end */
		if (ev->type != YAML_SCALAR_EVENT)
			b->skip_depth++;
		else if (b->skip_depth == 0)
			b->skipping = false;
		return 0;
	}

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
	b->stack[b->depth] = (struct yframe){.node = n};
	b->depth++;
	return 0;
}

int ydoc_load_string(const char *name, const char *text, size_t len, struct ydoc *doc,
		     struct err *e)
{
	return ydoc_load_string_flags(name, text, len, 0, doc, e);
}

int ydoc_load_string_flags(const char *name, const char *text, size_t len, unsigned flags,
			   struct ydoc *doc, struct err *e)
{
	struct ybuild b = {0};
	yaml_parser_t parser;
	bool parser_ok = false, done = false;
	int rc = -1;

	*doc = (struct ydoc){0};
	b.flags = flags;
	b.doc = doc;
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
	for (size_t i = 0; i < b.depth; i++)
		frame_release(&b.stack[i]);
	if (rc < 0)
		ydoc_free(doc);
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
	return ydoc_load_flags(path, 0, doc, e);
}

int ydoc_load_flags(const char *path, unsigned flags, struct ydoc *doc, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	*doc = (struct ydoc){0};
	errno = 0;
	if (read_file(path, &text, &len, e) < 0)
		goto out;
	rc = ydoc_load_string_flags(path, text, len, flags, doc, e);
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
	char msg[768], where[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		snprintf(where, sizeof where, "%s:%d:%d", file, n->line, n->col);
	else
		snprintf(where, sizeof where, "%s", file); /* no node: the document as a whole */
	ydoc_set_clean(e, where, msg);
	return -1;
}
