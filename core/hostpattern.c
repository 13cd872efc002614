/* hostpattern: see include/hostpattern.h. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "hostpattern.h"
#include "mem.h"

enum hostpattern_op { HP_UNION, HP_AND, HP_NOT };
enum hostpattern_kind { HP_GLOB, HP_ALL, HP_UNGROUPED, HP_GROUP };

struct hostpattern_term {
	enum hostpattern_op op;
	enum hostpattern_kind kind;
	char *arg; /* the glob, or the group glob; NULL for all and ungrouped */
};

struct hostpattern {
	struct hostpattern_term *terms;
	size_t n, cap;
	bool any_union; /* false: start from all */
};

void hostpattern_free(struct hostpattern **pp)
{
	struct hostpattern *p = pp ? *pp : NULL;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->terms[i].arg);
	free(p->terms);
	free(p);
	*pp = NULL;
}

/* Adds the term in s[0..len). -1 with e set. */
static int hostpattern_add(struct hostpattern *p, const char *s, size_t len, const char *whole,
			   struct err *e)
{
	struct hostpattern_term t = {HP_UNION, HP_GLOB, NULL};
	struct hostpattern_term *grown = NULL;

	if (len && (s[0] == '&' || s[0] == '!')) {
		t.op = s[0] == '&' ? HP_AND : HP_NOT;
		s++;
		len--;
	}
	if (len == 0) {
		err_set(e, "host pattern '%s': an empty term", whole);
		return -1;
	}
	if ((len == 3 && memcmp(s, "all", 3) == 0) || (len == 1 && s[0] == '*')) {
		t.kind = HP_ALL;
	} else if (len == 9 && memcmp(s, "ungrouped", 9) == 0) {
		t.kind = HP_UNGROUPED;
	} else {
		if (s[0] == '@') {
			t.kind = HP_GROUP;
			s++;
			len--;
			if (len == 0) {
				err_set(e, "host pattern '%s': '@' needs a group name", whole);
				return -1;
			}
		}
		if (!(t.arg = strndup(s, len))) {
			err_set(e, "out of memory");
			return -1;
		}
	}
	if (!(grown = mem_grow(p->terms, &p->cap, p->n, sizeof *grown))) {
		free(t.arg);
		err_set(e, "out of memory");
		return -1;
	}
	p->terms = grown;
	p->terms[p->n++] = t;
	p->any_union |= t.op == HP_UNION;
	return 0;
}

struct hostpattern *hostpattern_compile(const char *text, struct err *e)
{
	struct hostpattern *p = NULL;
	const char *s = text;

	if (!text || !*text) {
		err_set(e, "an empty host pattern");
		return NULL;
	}
	if (!(p = calloc(1, sizeof *p))) {
		err_set(e, "out of memory");
		return NULL;
	}
	for (;;) {
		size_t len = strcspn(s, ":,");

		if (hostpattern_add(p, s, len, text, e) < 0) {
			hostpattern_free(&p);
			return NULL;
		}
		if (!s[len])
			break;
		s += len + 1;
	}
	return p;
}

static bool hostpattern_in_list(char *const *v, const char *glob)
{
	for (size_t i = 0; v && v[i]; i++)
		if (fnmatch(glob, v[i], 0) == 0)
			return true;
	return false;
}

static bool hostpattern_term_match(const struct hostpattern_term *t, const struct inventory_host *h)
{
	switch (t->kind) {
	case HP_ALL:
		return true;
	case HP_UNGROUPED:
		return !h->groups || !h->groups[0];
	case HP_GROUP:
		return hostpattern_in_list(h->groups, t->arg);
	case HP_GLOB:
	default:
		return inventory_match(h, t->arg);
	}
}

bool hostpattern_match(const struct hostpattern *p, const struct inventory_host *h)
{
	bool in = !p->any_union;

	for (size_t i = 0; i < p->n && !in; i++)
		if (p->terms[i].op == HP_UNION && hostpattern_term_match(&p->terms[i], h))
			in = true;
	for (size_t i = 0; i < p->n && in; i++) {
		if (p->terms[i].op == HP_AND && !hostpattern_term_match(&p->terms[i], h))
			in = false;
		else if (p->terms[i].op == HP_NOT && hostpattern_term_match(&p->terms[i], h))
			in = false;
	}
	return in;
}

int hostpattern_select(const struct inventory *inv, const char *text, size_t **idx, size_t *n,
		       struct err *e)
{
	struct hostpattern *p = hostpattern_compile(text, e);
	size_t *v = NULL;
	size_t k = 0;

	*idx = NULL;
	*n = 0;
	if (!p)
		return -1;
	if (inv->n_hosts && !(v = calloc(inv->n_hosts, sizeof *v))) {
		hostpattern_free(&p);
		err_set(e, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < inv->n_hosts; i++)
		if (hostpattern_match(p, &inv->hosts[i]))
			v[k++] = i;
	hostpattern_free(&p);
	*idx = v;
	*n = k;
	return 0;
}
