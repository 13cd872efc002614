/*
 * inventory: opsdeck's inventory.yaml or an Ansible YAML inventory, read into one
 * list of hosts. Every value goes through a table of fields (type, bounds, names),
 * name ranges expand before hosts are added, and each mistake comes back as
 * "file:line:col: message".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "mem.h"
#include "schema.h"
#include "text.h"
#include "yamlutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RANGES 16 /* brackets in one name pattern */
#define MAX_NAME 255  /* bytes in one host name, as DNS allows */

/* ---- names ---- */

/* Indexed by enum inventory_lifecycle. */
static const char *const lifecycle_names[] = {
	[INV_ACTIVE] = "active",
	[INV_MAINTENANCE] = "maintenance",
	[INV_DECOMMISSIONED] = "decommissioned",
};

/* Indexed by enum inventory_criticality. UNSET has no spelling in files: leaving the
 * key out says it. */
static const char *const criticality_names[] = {
	[INV_CRIT_UNSET] = NULL,
	[INV_CRIT_LOW] = "low",
	[INV_CRIT_MEDIUM] = "medium",
	[INV_CRIT_HIGH] = "high",
	[INV_CRIT_CRITICAL] = "critical",
};

/* Enum fields are stored through an int. */
_Static_assert(sizeof(enum inventory_lifecycle) == sizeof(int), "enum size");
_Static_assert(sizeof(enum inventory_criticality) == sizeof(int), "enum size");

const char *inventory_lifecycle_name(enum inventory_lifecycle l)
{
	if ((unsigned)l >= N_ELEMS(lifecycle_names))
		return "?";
	return lifecycle_names[l];
}

const char *inventory_criticality_name(enum inventory_criticality c)
{
	if (c == INV_CRIT_UNSET)
		return "unset";
	if ((unsigned)c >= N_ELEMS(criticality_names))
		return "?";
	return criticality_names[c];
}

/* A user's value made fit for a message: short, and without control bytes that
 * would reach a terminal. */
struct shown {
	char s[72];
};

static struct shown show(const char *v)
{
	struct shown out = {{0}};
	const unsigned char *p = (const unsigned char *)(v ? v : "");
	size_t o = 0;

	while (*p && o < 60) {
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) { /* a C1 control */
			out.s[o++] = '?';
			p += 2;
			continue;
		}
		out.s[o++] = (*p < 0x20 || *p == 0x7F) ? '?' : (char)*p;
		p++;
	}
	if (*p) {
		if ((*p & 0xC0) == 0x80) { /* cut inside a character: drop its start too */
			while (o > 0 && ((unsigned char)out.s[o - 1] & 0xC0) == 0x80)
				o--;
			if (o > 0 && ((unsigned char)out.s[o - 1] & 0xC0) == 0xC0)
				o--;
		}
		memcpy(out.s + o, "...", 4);
	}
	return out;
}

/* ---- string vectors ---- */

void inventory_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Appends a copy of s to *v (a new vector when *v is NULL). Returns -1 when memory
 * runs out, leaving *v as it was. */
static int strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	char *copy = strdup(s);
	char **nv = NULL;

	if (!copy)
		return -1;
	nv = realloc(*v, (n + 2) * sizeof *nv);
	if (!nv) {
		free(copy);
		return -1;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

/* Sets *out to a copy of v; NULL stays NULL unless empty_if_null. The caller owns
 * the copy. Returns -1 when memory runs out (*out is then NULL). */
static int strv_dup(char *const *v, bool empty_if_null, char ***out)
{
	char **copy = NULL;
	size_t n = strv_len(v);

	*out = NULL;
	if (!v && !empty_if_null)
		return 0;
	copy = calloc(n + 1, sizeof *copy);
	if (!copy)
		return -1;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(v[i]);
		if (!copy[i]) {
			inventory_strv_free(copy);
			return -1;
		}
	}
	*out = copy;
	return 0;
}

/* ---- name ranges ---- */

struct range {
	size_t lit_at, lit_len; /* the literal text before the bracket */
	long lo, step;
	size_t count;
	int width; /* zero padding; 0 for none */
	bool alpha;
};

struct pattern {
	struct range r[MAX_RANGES];
	size_t n;
	size_t tail_at; /* literal text after the last bracket */
	size_t total;   /* names it makes */
};

/* One bound: up to 9 digits or a single ASCII letter. */
static bool parse_bound(const char *s, size_t len, long *v, bool *alpha)
{
	long n = 0;

	if (len == 1 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
		*v = s[0];
		*alpha = true;
		return true;
	}
	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	*alpha = false;
	return true;
}

/* Parses the bracket s[0..len) ("01:20", "a:f", "1:20:2") into r. */
static int parse_range(const char *s, size_t len, struct range *r, char *why, size_t whylen)
{
	const char *c1 = memchr(s, ':', len);
	const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s)) : NULL;
	const char *end = s + len;
	long hi = 0, step = 1;
	bool lo_alpha = false, hi_alpha = false, step_alpha = false;

	if (!c1 || (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1))))
		goto malformed;
	if (!parse_bound(s, (size_t)(c1 - s), &r->lo, &lo_alpha) ||
	    !parse_bound(c1 + 1, (size_t)((c2 ? c2 : end) - c1 - 1), &hi, &hi_alpha))
		goto malformed;
	if (c2 && (!parse_bound(c2 + 1, (size_t)(end - c2 - 1), &step, &step_alpha) || step_alpha))
		goto malformed;
	/* letters pair with letters of the same case: [a:Z] would run through punctuation */
	if (lo_alpha != hi_alpha || (lo_alpha && (r->lo >= 'a') != (hi >= 'a')))
		goto malformed;
	if (step == 0) {
		snprintf(why, whylen, "range [%.*s] has a step of 0", (int)len, s);
		return -1;
	}
	if (hi < r->lo) {
		snprintf(why, whylen, "range [%.*s] is reversed", (int)len, s);
		return -1;
	}
	r->alpha = lo_alpha;
	r->step = step;
	r->count = (size_t)((hi - r->lo) / step) + 1;
	/* "01" pads to two digits; "1" and "0" do not pad */
	r->width = (!lo_alpha && s[0] == '0' && c1 - s > 1) ? (int)(c1 - s) : 0;
	return 0;
malformed:
	snprintf(why, whylen, "malformed range [%.*s] (use [01:20], [a:f] or [1:20:2])",
		 (int)(len > 40 ? 40 : len), s);
	return -1;
}

/* Splits s into literals and ranges. Returns -1 with why set for a bad pattern. */
static int pattern_parse(const char *s, struct pattern *p, char *why, size_t whylen)
{
	size_t at = 0, max_len = 0;

	memset(p, 0, sizeof *p);
	p->total = 1;
	for (;;) {
		size_t open = at + strcspn(s + at, "[]");
		const char *close = NULL;
		struct range *r = NULL;
		int digits = 0;

		if (s[open] == ']') {
			snprintf(why, whylen, "']' without '['");
			return -1;
		}
		if (s[open] == '\0') {
			p->tail_at = at;
			max_len += open - at;
			break;
		}
		close = strchr(s + open + 1, ']');
		if (!close) {
			snprintf(why, whylen, "unclosed '['");
			return -1;
		}
		if (p->n == MAX_RANGES) {
			snprintf(why, whylen, "more than %d ranges", MAX_RANGES);
			return -1;
		}
		r = &p->r[p->n++];
		r->lit_at = at;
		r->lit_len = open - at;
		if (parse_range(s + open + 1, (size_t)(close - s) - open - 1, r, why, whylen) < 0)
			return -1;
		if (r->count > INVENTORY_MAX_HOSTS / p->total) {
			snprintf(why, whylen, "expands to more than %d names", INVENTORY_MAX_HOSTS);
			return -1;
		}
		p->total *= r->count;
		digits = snprintf(NULL, 0, "%ld", r->lo + (long)(r->count - 1) * r->step);
		max_len += r->lit_len + (size_t)(r->alpha ? 1 : (r->width > digits ? r->width : digits));
		at = (size_t)(close - s) + 1;
	}
	if (max_len > MAX_NAME) {
		snprintf(why, whylen, "names would be longer than %d bytes", MAX_NAME);
		return -1;
	}
	return 0;
}

/* Makes p's names; NULL when memory runs out. The caller frees with inventory_strv_free. */
static char **pattern_expand(const char *s, const struct pattern *p)
{
	char **out = calloc(p->total + 1, sizeof *out);
	size_t idx[MAX_RANGES] = {0};
	char buf[MAX_NAME + 1];

	if (!out)
		return NULL;
	for (size_t k = 0; k < p->total; k++) {
		size_t used = 0;

		for (size_t i = 0; i < p->n; i++) {
			const struct range *r = &p->r[i];
			long v = r->lo + (long)idx[i] * r->step;

			memcpy(buf + used, s + r->lit_at, r->lit_len);
			used += r->lit_len;
			if (r->alpha)
				buf[used++] = (char)v;
			else
				used += (size_t)snprintf(buf + used, sizeof buf - used, "%0*ld", r->width, v);
		}
		snprintf(buf + used, sizeof buf - used, "%s", s + p->tail_at);
		out[k] = strdup(buf);
		if (!out[k]) {
			inventory_strv_free(out);
			return NULL;
		}
		/* an odometer: the last bracket turns fastest, as Ansible orders them */
		for (size_t i = p->n; i-- > 0;) {
			if (++idx[i] < p->r[i].count)
				break;
			idx[i] = 0;
		}
	}
	return out;
}

char **inventory_expand(const char *pattern, struct err *e)
{
	struct pattern p;
	char why[256];
	char **v = NULL;

	if (!pattern) {
		err_set(e, "no name pattern");
		return NULL;
	}
	if (pattern_parse(pattern, &p, why, sizeof why) < 0) {
		err_set(e, "'%s': %s", show(pattern).s, why);
		return NULL;
	}
	v = pattern_expand(pattern, &p);
	if (!v)
		err_set(e, "'%s': out of memory", show(pattern).s);
	return v;
}

/* ---- a name -> index table (open addressing; names are borrowed) ---- */

struct name_slot {
	const char *name;
	size_t idx;
};

struct name_index {
	struct name_slot *slots;
	size_t cap, used; /* cap: a power of two, kept at least twice used */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static struct name_slot *index_slot(const struct name_index *x, const char *name)
{
	size_t i = (size_t)name_hash(name) & (x->cap - 1);

	while (x->slots[i].name && strcmp(x->slots[i].name, name) != 0)
		i = (i + 1) & (x->cap - 1);
	return &x->slots[i];
}

static bool index_find(const struct name_index *x, const char *name, size_t *idx)
{
	const struct name_slot *s = NULL;

	if (x->cap == 0)
		return false;
	s = index_slot(x, name);
	if (!s->name)
		return false;
	*idx = s->idx;
	return true;
}

/* Maps name (which must outlive the index) to idx. Returns -1 when memory runs out. */
static int index_put(struct name_index *x, const char *name, size_t idx)
{
	struct name_slot *s = NULL;

	if ((x->used + 1) * 2 > x->cap) {
		struct name_index bigger = {NULL, x->cap ? x->cap * 2 : 64, x->used};

		bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
		if (!bigger.slots)
			return -1;
		for (size_t i = 0; i < x->cap; i++)
			if (x->slots[i].name)
				*index_slot(&bigger, x->slots[i].name) = x->slots[i];
		free(x->slots);
		*x = bigger;
	}
	s = index_slot(x, name);
	if (!s->name)
		x->used++;
	s->name = name;
	s->idx = idx;
	return 0;
}

static void index_free(struct name_index *x)
{
	free(x->slots);
	memset(x, 0, sizeof *x);
}

/* ---- hosts ---- */

static void host_clear(struct inventory_host *h)
{
	free(h->name);
	free(h->address);
	free(h->user);
	free(h->identity_file);
	inventory_strv_free(h->groups);
	inventory_strv_free(h->tags);
	free(h->environment);
	inventory_strv_free(h->probes);
	memset(h, 0, sizeof *h);
}

static int dup_str(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -1;
}

/* Fills dst (owned by the caller, cleared with host_clear) with a deep copy of src's
 * settings, or with none when src is NULL. groups and tags are never NULL after. */
static int host_copy(struct inventory_host *dst, const struct inventory_host *src)
{
	static const struct inventory_host none = {0};

	memset(dst, 0, sizeof *dst);
	if (!src)
		src = &none;
	dst->port = src->port;
	dst->criticality = src->criticality;
	dst->lifecycle = src->lifecycle;
	dst->line = src->line;
	dst->col = src->col;
	if (dup_str(src->name, &dst->name) < 0 || dup_str(src->address, &dst->address) < 0 ||
	    dup_str(src->user, &dst->user) < 0 ||
	    dup_str(src->identity_file, &dst->identity_file) < 0 ||
	    dup_str(src->environment, &dst->environment) < 0 ||
	    strv_dup(src->groups, true, &dst->groups) < 0 ||
	    strv_dup(src->tags, true, &dst->tags) < 0 ||
	    strv_dup(src->probes, false, &dst->probes) < 0) {
		host_clear(dst);
		return -1;
	}
	return 0;
}

/* ---- the loader ---- */

struct loader {
	const struct ydoc *doc;
	struct err *e;
	struct schema_diags *d; /* inventory_load_diags: collect and go on to the next entry */
	bool failed;            /* a problem was collected */
	struct inventory *inv;
	size_t cap_hosts, cap_probes, cap_thresholds;
	struct name_index hosts;  /* name -> index in inv->hosts */
	struct name_index probes; /* custom probe name -> index in inv->probes */
	struct inventory_host defaults; /* opsdeck defaults: every entry starts from a copy */
};

static int oom(struct loader *L)
{
	err_set(L->e, "%s: out of memory", L->doc->file);
	return -1;
}

/* YAML's null: an empty value, ~ or null. */
static bool is_null(const struct ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (!n)
		return true;
	if (n->kind != YNODE_SCALAR)
		return false;
	for (size_t i = 0; i < N_ELEMS(nulls); i++)
		if (strcmp(n->value, nulls[i]) == 0)
			return true;
	return false;
}

/* Built-in probe names are lowercase words with dashes; others must be defined. */
static bool probe_known(const struct loader *L, const char *name)
{
	size_t idx = 0;

	if (*name && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(name))
		return true;
	return index_find(&L->probes, name, &idx);
}

/*
 * Appends a host named name, defined at node at, starting from tmpl's settings
 * (NULL: none). Sets *idx to its index. A name already present is the caller's
 * business (see host_get).
 */
static int host_append(struct loader *L, const struct ynode *at, const char *name,
		       const struct inventory_host *tmpl, size_t *idx)
{
	struct inventory *inv = L->inv;
	struct inventory_host h = {0};
	struct inventory_host *arr = NULL;
	int rc = -1;

	if (inv->n_hosts == INVENTORY_MAX_HOSTS) {
		ydoc_error(L->doc, at, L->e, "more than %d hosts", INVENTORY_MAX_HOSTS);
		goto out;
	}
	if (host_copy(&h, tmpl) < 0) {
		oom(L);
		goto out;
	}
	free(h.name);
	h.name = strdup(name);
	arr = h.name ? mem_grow(inv->hosts, &L->cap_hosts, inv->n_hosts, sizeof *inv->hosts) : NULL;
	if (!arr) {
		oom(L);
		goto out;
	}
	inv->hosts = arr;
	if (index_put(&L->hosts, h.name, inv->n_hosts) < 0) {
		oom(L);
		goto out;
	}
	h.line = at->line;
	h.col = at->col;
	inv->hosts[inv->n_hosts] = h;
	memset(&h, 0, sizeof h); /* the inventory owns it now */
	*idx = inv->n_hosts++;
	rc = 0;
out:
	host_clear(&h);
	return rc;
}

/* ---- fields: one table per kind of entry, one setter per type ---- */

enum ftype {
	F_TOKEN, F_TEXT, F_PATH, F_INT, F_NUMBER, F_ENUM, F_LIST, F_PROBE, F_PROBES, F__COUNT
};

struct field {
	const char *key;
	enum ftype type;
	size_t offset;            /* into the entry's struct */
	const char *label;        /* the value (for lists: one item) in messages */
	long min, max;            /* F_INT bounds */
	const char *const *names; /* F_ENUM: names by value; NULL entries have none */
	size_t n_names;
	bool in_defaults;         /* opsdeck: may be given under defaults */
};

#define HOST_AT(m) .offset = offsetof(struct inventory_host, m)
#define PROBE_AT(m) .offset = offsetof(struct inventory_probe, m)
#define THRESH_AT(m) .offset = offsetof(struct inventory_threshold, m)
#define ENUM_OF(t) .names = (t), .n_names = N_ELEMS(t)

/* opsdeck host entries and defaults. "name" is read first, apart: it may be a range. */
static const struct field host_fields[] = {
	{.key = "name", .type = F_TOKEN, HOST_AT(name), .label = "host name"},
	{.key = "address", .type = F_TOKEN, HOST_AT(address), .label = "address"},
	{.key = "port", .type = F_INT, HOST_AT(port), .label = "port", .min = 1, .max = 65535,
	 .in_defaults = true},
	{.key = "user", .type = F_TOKEN, HOST_AT(user), .label = "user", .in_defaults = true},
	{.key = "groups", .type = F_LIST, HOST_AT(groups), .label = "group", .in_defaults = true},
	{.key = "tags", .type = F_LIST, HOST_AT(tags), .label = "tag", .in_defaults = true},
	{.key = "environment", .type = F_TEXT, HOST_AT(environment), .label = "environment",
	 .in_defaults = true},
	{.key = "criticality", .type = F_ENUM, HOST_AT(criticality), .label = "criticality",
	 ENUM_OF(criticality_names), .in_defaults = true},
	{.key = "lifecycle", .type = F_ENUM, HOST_AT(lifecycle), .label = "lifecycle",
	 ENUM_OF(lifecycle_names), .in_defaults = true},
	{.key = "identity_file", .type = F_PATH, HOST_AT(identity_file), .label = "identity_file",
	 .in_defaults = true},
	{.key = "probes", .type = F_PROBES, HOST_AT(probes), .label = "probe", .in_defaults = true},
};

/* Ansible host variables opsdeck reads; everything else is Ansible's. */
static const struct field ansible_fields[] = {
	{.key = "ansible_host", .type = F_TOKEN, HOST_AT(address), .label = "ansible_host"},
	{.key = "ansible_port", .type = F_INT, HOST_AT(port), .label = "ansible_port", .min = 1,
	 .max = 65535},
	{.key = "ansible_user", .type = F_TOKEN, HOST_AT(user), .label = "ansible_user"},
	{.key = "ansible_ssh_private_key_file", .type = F_PATH, HOST_AT(identity_file),
	 .label = "ansible_ssh_private_key_file"},
	{.key = "opsdeck_tags", .type = F_LIST, HOST_AT(tags), .label = "tag"},
	{.key = "opsdeck_environment", .type = F_TEXT, HOST_AT(environment),
	 .label = "opsdeck_environment"},
	{.key = "opsdeck_criticality", .type = F_ENUM, HOST_AT(criticality),
	 .label = "opsdeck_criticality", ENUM_OF(criticality_names)},
	{.key = "opsdeck_lifecycle", .type = F_ENUM, HOST_AT(lifecycle), .label = "opsdeck_lifecycle",
	 ENUM_OF(lifecycle_names)},
	{.key = "opsdeck_probes", .type = F_PROBES, HOST_AT(probes), .label = "probe"},
};

static const struct field probe_fields[] = {
	{.key = "name", .type = F_TOKEN, PROBE_AT(name), .label = "probe name"},
	{.key = "command", .type = F_TEXT, PROBE_AT(command), .label = "command"},
	{.key = "interval", .type = F_INT, PROBE_AT(interval_s), .label = "interval", .min = 1,
	 .max = 86400},
	{.key = "timeout", .type = F_INT, PROBE_AT(timeout_s), .label = "timeout", .min = 1,
	 .max = 3600},
	{.key = "warn", .type = F_NUMBER, PROBE_AT(warn), .label = "warn"},
	{.key = "crit", .type = F_NUMBER, PROBE_AT(crit), .label = "crit"},
};

static const struct field threshold_fields[] = {
	{.key = "probe", .type = F_PROBE, THRESH_AT(probe), .label = "probe"},
	{.key = "group", .type = F_TOKEN, THRESH_AT(group), .label = "group"},
	{.key = "warn", .type = F_NUMBER, THRESH_AT(warn), .label = "warn"},
	{.key = "crit", .type = F_NUMBER, THRESH_AT(crit), .label = "crit"},
};

#undef HOST_AT
#undef PROBE_AT
#undef THRESH_AT
#undef ENUM_OF

static char **str_at(const struct field *f, void *obj)
{
	return (char **)((char *)obj + f->offset);
}

static char ***strv_at(const struct field *f, void *obj)
{
	return (char ***)((char *)obj + f->offset);
}

/* Checks a scalar string: present, not a template, clean; token: no spaces either. */
static int check_string(struct loader *L, const char *what, const struct ynode *v, bool token)
{
	const char *s = v->value;

	if (*s == '\0')
		return ydoc_error(L->doc, v, L->e, "%s must not be empty", what);
	if (strstr(s, "{{") || strstr(s, "{%"))
		return ydoc_error(L->doc, v, L->e, "%s '%s' is a template; opsdeck does not expand Jinja",
				  what, show(s).s);
	if (!text_is_clean(s, strlen(s), 0))
		return ydoc_error(L->doc, v, L->e, "%s '%s' contains %scontrol characters", what,
				  show(s).s, token ? "whitespace or " : "");
	if (token && strchr(s, ' '))
		return ydoc_error(L->doc, v, L->e, "%s '%s' contains whitespace or control characters",
				  what, show(s).s);
	return 0;
}

static int need_scalar(struct loader *L, const struct field *f, const struct ynode *v)
{
	if (v->kind != YNODE_SCALAR)
		return ydoc_error(L->doc, v, L->e, "%s needs a single value", f->key);
	return 0;
}

/* Replaces the string at f in obj with a copy of s. */
static int put_str(struct loader *L, const struct field *f, void *obj, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return oom(L);
	free(*str_at(f, obj));
	*str_at(f, obj) = copy;
	return 0;
}

static int set_token(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	if (need_scalar(L, f, v) < 0 || check_string(L, f->label, v, true) < 0)
		return -1;
	return put_str(L, f, obj, v->value);
}

static int set_text(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	if (need_scalar(L, f, v) < 0 || check_string(L, f->label, v, false) < 0)
		return -1;
	return put_str(L, f, obj, v->value);
}

/* A text value where a leading "~" or "~/" means $HOME (ssh's own rule for paths). */
static int set_path(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	const char *s = v->value, *home = NULL;
	const struct passwd *pw = NULL;
	char *full = NULL;
	size_t hl = 0;

	if (set_text(L, f, v, obj) < 0)
		return -1;
	if (s[0] != '~' || (s[1] != '\0' && s[1] != '/'))
		return 0;
	home = getenv("HOME");
	if ((!home || !*home) && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (!home || !*home)
		return 0; /* nowhere to expand to: ssh will say so */
	hl = strlen(home);
	if (hl > 1 && home[hl - 1] == '/')
		hl--;
	if (asprintf(&full, "%.*s%s", (int)hl, home, s + 1) < 0)
		return oom(L);
	free(*str_at(f, obj));
	*str_at(f, obj) = full;
	return 0;
}

static int set_int(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	const char *s = v->value;
	char *end = NULL;
	long n = 0;
	int val = 0;

	if (need_scalar(L, f, v) < 0)
		return -1;
	/* digits only: strtol alone would take " 12", "0x10" and "12abc" */
	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return ydoc_error(L->doc, v, L->e, "%s must be a whole number, not '%s'", f->label,
				  show(s).s);
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0')
		return ydoc_error(L->doc, v, L->e, "%s must be a whole number, not '%s'", f->label,
				  show(s).s);
	if (errno == ERANGE || n < f->min || n > f->max)
		return ydoc_error(L->doc, v, L->e, "%s must be from %ld to %ld, not %s", f->label, f->min,
				  f->max, show(s).s);
	val = (int)n;
	memcpy((char *)obj + f->offset, &val, sizeof val);
	return 0;
}

static int set_number(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	const char *s = v->value;
	char *end = NULL;
	double d = 0;

	if (need_scalar(L, f, v) < 0)
		return -1;
	/* plain decimals: strtod alone would take " 1", "0x1p3", "inf" and "nan" */
	if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return ydoc_error(L->doc, v, L->e, "%s must be a number, not '%s'", f->label, show(s).s);
	d = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(d))
		return ydoc_error(L->doc, v, L->e, "%s must be a number, not '%s'", f->label, show(s).s);
	memcpy((char *)obj + f->offset, &d, sizeof d);
	return 0;
}

static int set_enum(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	char known[256];
	size_t used = 0;

	if (need_scalar(L, f, v) < 0)
		return -1;
	known[0] = '\0';
	for (size_t i = 0; i < f->n_names; i++) {
		int val = (int)i;

		if (!f->names[i])
			continue;
		if (strcmp(f->names[i], v->value) == 0) {
			memcpy((char *)obj + f->offset, &val, sizeof val);
			return 0;
		}
		if (used < sizeof known)
			used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
						 used ? ", " : "", f->names[i]);
	}
	return ydoc_error(L->doc, v, L->e, "%s must be one of %s, not '%s'", f->label, known,
			  show(v->value).s);
}

static int check_probe(struct loader *L, const struct ynode *v)
{
	if (probe_known(L, v->value))
		return 0;
	return ydoc_error(L->doc, v, L->e,
			  "probe '%s' is not defined under probes (built-in names use only a-z, 0-9 and '-')",
			  show(v->value).s);
}

static int set_probe(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	if (need_scalar(L, f, v) < 0 || check_string(L, f->label, v, true) < 0 ||
	    check_probe(L, v) < 0)
		return -1;
	return put_str(L, f, obj, v->value);
}

/* A list of names (F_LIST, F_PROBES). Repeats are dropped; the list replaces any earlier one. */
static int set_list(struct loader *L, const struct field *f, const struct ynode *v, void *obj)
{
	char **list = NULL;
	int rc = -1;

	if (v->kind != YNODE_SEQ) {
		ydoc_error(L->doc, v, L->e, "%s must be a list of names", f->key);
		goto out;
	}
	if (f->type == F_PROBES && v->n > INVENTORY_MAX_PROBES) {
		ydoc_error(L->doc, v, L->e, "%s lists more than %d probes", f->key, INVENTORY_MAX_PROBES);
		goto out;
	}
	list = calloc(1, sizeof *list);
	if (!list) {
		oom(L);
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->kids[i];

		if (item->kind != YNODE_SCALAR) {
			ydoc_error(L->doc, item, L->e, "%s must be a list of names", f->key);
			goto out;
		}
		if (check_string(L, f->label, item, true) < 0)
			goto out;
		if (f->type == F_PROBES && check_probe(L, item) < 0)
			goto out;
		if (!strv_has(list, item->value) && strv_push(&list, item->value) < 0) {
			oom(L);
			goto out;
		}
	}
	inventory_strv_free(*strv_at(f, obj));
	*strv_at(f, obj) = list;
	list = NULL;
	rc = 0;
out:
	inventory_strv_free(list);
	return rc;
}

/* Indexed by enum ftype. */
static int (*const setters[F__COUNT])(struct loader *, const struct field *, const struct ynode *,
				      void *) = {
	[F_TOKEN] = set_token, [F_TEXT] = set_text, [F_PATH] = set_path,
	[F_INT] = set_int, [F_NUMBER] = set_number, [F_ENUM] = set_enum,
	[F_LIST] = set_list, [F_PROBE] = set_probe, [F_PROBES] = set_list,
};

static const struct field *field_find(const struct field *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

/*
 * Applies every key of map m to obj through table t. what names the entry in
 * messages ("host", "probe"); skip is a key read elsewhere; defaults limits the
 * keys to those that may have a default.
 */
static int apply_fields(struct loader *L, const struct field *t, size_t nt, const struct ynode *m,
			void *obj, const char *what, const char *skip, bool defaults)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		const struct field *f = field_find(t, nt, k->value);

		if (f && skip && strcmp(f->key, skip) == 0)
			continue;
		if (f && defaults && !f->in_defaults)
			return ydoc_error(L->doc, k, L->e, "%s cannot have a default", f->key);
		if (!f) {
			char known[512];
			size_t used = 0;

			known[0] = '\0';
			for (size_t j = 0; j < nt && used < sizeof known; j++)
				if (!defaults || t[j].in_defaults)
					used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
								 used ? ", " : "", t[j].key);
			return ydoc_error(L->doc, k, L->e, "unknown %s setting '%s' (known: %s)", what,
					  show(k->value).s, known);
		}
		if (setters[f->type](L, f, v, obj) < 0)
			return -1;
	}
	return 0;
}

/* Expands the name pattern in scalar n into *names (the caller frees), errors at n. */
static int expand_at(struct loader *L, const struct ynode *n, const char *pattern, char ***names)
{
	struct pattern p;
	char why[256];

	*names = NULL;
	if (pattern_parse(pattern, &p, why, sizeof why) < 0)
		return ydoc_error(L->doc, n, L->e, "host name '%s': %s", show(pattern).s, why);
	*names = pattern_expand(pattern, &p);
	return *names ? 0 : oom(L);
}

/* ---- opsdeck format ---- */

static int ops_defaults(struct loader *L, const struct ynode *m)
{
	return apply_fields(L, host_fields, N_ELEMS(host_fields), m, &L->defaults, "host", NULL, true);
}

static int ops_host(struct loader *L, const struct ynode *entry)
{
	const struct field *nf = field_find(host_fields, N_ELEMS(host_fields), "name");
	const struct ynode *name = NULL;
	struct inventory_host h = {0};
	char **names = NULL;
	size_t idx = 0;
	int rc = -1;

	if (entry->kind != YNODE_MAP) {
		ydoc_error(L->doc, entry, L->e, "a host entry must be a mapping with at least a name");
		goto out;
	}
	name = ynode_get(entry, "name");
	if (!name) {
		ydoc_error(L->doc, entry, L->e, "host entry has no name");
		goto out;
	}
	if (need_scalar(L, nf, name) < 0 || check_string(L, nf->label, name, true) < 0 ||
	    expand_at(L, name, name->value, &names) < 0)
		goto out;
	if (host_copy(&h, &L->defaults) < 0) {
		oom(L);
		goto out;
	}
	if (apply_fields(L, host_fields, N_ELEMS(host_fields), entry, &h, "host", "name", false) < 0)
		goto out;
	for (size_t i = 0; names[i]; i++) {
		if (index_find(&L->hosts, names[i], &idx)) {
			ydoc_error(L->doc, name, L->e, "duplicate host '%s' (first at line %d)",
				   show(names[i]).s, L->inv->hosts[idx].line);
			goto out;
		}
		if (host_append(L, name, names[i], &h, &idx) < 0)
			goto out;
	}
	rc = 0;
out:
	host_clear(&h);
	inventory_strv_free(names);
	return rc;
}

static int ops_probe(struct loader *L, const struct ynode *entry)
{
	struct inventory *inv = L->inv;
	struct inventory_probe p = {.warn = NAN, .crit = NAN};
	struct inventory_probe *arr = NULL;
	size_t idx = 0;
	int rc = -1;

	if (entry->kind != YNODE_MAP) {
		ydoc_error(L->doc, entry, L->e, "a probe must be a mapping with a name and a command");
		goto out;
	}
	if (apply_fields(L, probe_fields, N_ELEMS(probe_fields), entry, &p, "probe", NULL, false) < 0)
		goto out;
	if (!p.name) {
		ydoc_error(L->doc, entry, L->e, "probe has no name");
		goto out;
	}
	if (!p.command) {
		ydoc_error(L->doc, entry, L->e, "probe '%s' has no command", show(p.name).s);
		goto out;
	}
	if (index_find(&L->probes, p.name, &idx)) {
		ydoc_error(L->doc, ynode_get(entry, "name"), L->e, "duplicate probe '%s' (first at line %d)",
			   show(p.name).s, inv->probes[idx].line);
		goto out;
	}
	arr = mem_grow(inv->probes, &L->cap_probes, inv->n_probes, sizeof *inv->probes);
	if (!arr) {
		oom(L);
		goto out;
	}
	inv->probes = arr;
	if (index_put(&L->probes, p.name, inv->n_probes) < 0) {
		oom(L);
		goto out;
	}
	p.line = entry->line;
	p.col = entry->col;
	inv->probes[inv->n_probes++] = p;
	memset(&p, 0, sizeof p); /* the inventory owns it now */
	rc = 0;
out:
	free(p.name);
	free(p.command);
	return rc;
}

static int ops_threshold(struct loader *L, const struct ynode *entry)
{
	struct inventory *inv = L->inv;
	struct inventory_threshold t = {.warn = NAN, .crit = NAN};
	struct inventory_threshold *arr = NULL;
	int rc = -1;

	if (entry->kind != YNODE_MAP) {
		ydoc_error(L->doc, entry, L->e,
			   "a threshold must be a mapping such as {probe: disk, warn: 80, crit: 90}");
		goto out;
	}
	if (apply_fields(L, threshold_fields, N_ELEMS(threshold_fields), entry, &t, "threshold", NULL,
			 false) < 0)
		goto out;
	if (!t.probe) {
		ydoc_error(L->doc, entry, L->e, "threshold has no probe");
		goto out;
	}
	if (isnan(t.warn) && isnan(t.crit)) {
		ydoc_error(L->doc, entry, L->e, "threshold for '%s' sets neither warn nor crit",
			   show(t.probe).s);
		goto out;
	}
	arr = mem_grow(inv->thresholds, &L->cap_thresholds, inv->n_thresholds, sizeof *inv->thresholds);
	if (!arr) {
		oom(L);
		goto out;
	}
	inv->thresholds = arr;
	t.line = entry->line;
	t.col = entry->col;
	inv->thresholds[inv->n_thresholds++] = t;
	memset(&t, 0, sizeof t); /* the inventory owns it now */
	rc = 0;
out:
	free(t.probe);
	free(t.group);
	return rc;
}

/* Top-level sections, in the order they are read: custom probes before the hosts and
 * thresholds that name them, defaults before the hosts they apply to. */
static const struct {
	const char *key;
	enum ynode_kind kind;
	const char *shape;
	int (*read)(struct loader *, const struct ynode *); /* per item for lists */
} ops_sections[] = {
	{"probes", YNODE_SEQ, "a list of probe definitions", ops_probe},
	{"defaults", YNODE_MAP, "a mapping of host settings", ops_defaults},
	{"hosts", YNODE_SEQ, "a list of host entries", ops_host},
	{"thresholds", YNODE_SEQ, "a list of thresholds", ops_threshold},
};

/*
 * A problem in one entry: when collecting (L->d), it is kept and reading goes on
 * with the next entry, so one pass names every bad entry; else it ends the load.
 * Returns -1 to stop, 0 to go on.
 */
static int ops_problem(struct loader *L)
{
	if (!L->d)
		return -1;
	schema_diags_add(L->d, true, L->e->msg);
	L->failed = true;
	return 0;
}

static int ops_load(struct loader *L, const struct ynode *root)
{
	for (size_t i = 0; i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i];
		bool known = false;

		for (size_t s = 0; s < N_ELEMS(ops_sections); s++)
			known = known || strcmp(ops_sections[s].key, k->value) == 0;
		if (known)
			continue;
		if (L->d) { /* inventory_load_diags reported it through the schema table */
			L->failed = true;
			continue;
		}
		return ydoc_error(L->doc, k, L->e, "unknown top-level key '%s' (known: defaults, "
				  "hosts, thresholds, probes)", show(k->value).s);
	}
	for (size_t s = 0; s < N_ELEMS(ops_sections); s++) {
		const struct ynode *n = ynode_get(root, ops_sections[s].key);

		if (is_null(n))
			continue;
		if (n->kind != ops_sections[s].kind) {
			ydoc_error(L->doc, n, L->e, "%s must be %s", ops_sections[s].key,
				   ops_sections[s].shape);
			if (ops_problem(L) < 0)
				return -1;
			continue;
		}
		if (n->kind == YNODE_MAP) {
			if (ops_sections[s].read(L, n) < 0 && ops_problem(L) < 0)
				return -1;
			continue;
		}
		for (size_t i = 0; i < n->n; i++)
			if (ops_sections[s].read(L, n->kids[i]) < 0 && ops_problem(L) < 0)
				return -1;
	}
	return L->failed ? -1 : 0;
}

/* ---- Ansible format ---- */

/* Index lists and node lists that only grow. */
struct idxv {
	size_t *v;
	size_t n, cap;
};

struct nodev {
	const struct ynode **v;
	size_t n, cap;
};

struct agroup {
	const char *name;       /* in the document */
	const struct ynode *at; /* where it was first named as a child, else defined */
	struct idxv parents, kids;
	struct nodev vars;      /* its vars mappings, in file order */
	int depth;              /* Ansible's: all 0, top-level 1, a child one below its deepest parent */
};

struct ahost {
	struct idxv groups;     /* direct groups */
	struct nodev vars;      /* the host's own vars mappings, in file order */
	int key_port;           /* "name:port" in a host key; 0: none */
};

struct aload {
	struct loader *L;
	struct agroup *groups;
	size_t n_groups, cap_groups;
	struct name_index by_name;
	struct ahost *hosts; /* parallel to L->inv->hosts */
	size_t cap_hosts;
};

static int idxv_add(struct idxv *x, size_t i)
{
	size_t *p = NULL;

	for (size_t j = 0; j < x->n; j++)
		if (x->v[j] == i)
			return 0;
	p = mem_grow(x->v, &x->cap, x->n, sizeof *x->v);
	if (!p)
		return -1;
	x->v = p;
	x->v[x->n++] = i;
	return 0;
}

static int nodev_add(struct nodev *x, const struct ynode *n)
{
	const struct ynode **p = mem_grow(x->v, &x->cap, x->n, sizeof *x->v);

	if (!p)
		return -1;
	x->v = p;
	x->v[x->n++] = n;
	return 0;
}

static void aload_free(struct aload *A)
{
	for (size_t i = 0; i < A->n_groups; i++) {
		free(A->groups[i].parents.v);
		free(A->groups[i].kids.v);
		free(A->groups[i].vars.v);
	}
	for (size_t i = 0; A->hosts && i < A->L->inv->n_hosts; i++) {
		free(A->hosts[i].groups.v);
		free(A->hosts[i].vars.v);
	}
	free(A->groups);
	free(A->hosts);
	index_free(&A->by_name);
}

/* Checks a vars mapping's opsdeck variables now, so mistakes show in any group, used or not. */
static int ans_check_vars(struct aload *A, const struct ynode *m)
{
	struct inventory_host scratch = {0};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i + 1 < m->n; i += 2) {
		const struct field *f = field_find(ansible_fields, N_ELEMS(ansible_fields),
						   m->kids[i]->value);

		if (f)
			rc = setters[f->type](A->L, f, m->kids[i + 1], &scratch);
	}
	host_clear(&scratch);
	return rc;
}

static int ans_group_id(struct aload *A, const struct ynode *key, size_t *gi)
{
	struct agroup *arr = NULL;

	if (check_string(A->L, "group name", key, true) < 0)
		return -1;
	if (index_find(&A->by_name, key->value, gi))
		return 0;
	arr = mem_grow(A->groups, &A->cap_groups, A->n_groups, sizeof *A->groups);
	if (!arr)
		return oom(A->L);
	A->groups = arr;
	if (index_put(&A->by_name, key->value, A->n_groups) < 0)
		return oom(A->L);
	memset(&A->groups[A->n_groups], 0, sizeof *A->groups);
	A->groups[A->n_groups].name = key->value;
	A->groups[A->n_groups].at = key;
	*gi = A->n_groups++;
	return 0;
}

/*
 * Splits "name:port" (one ':' outside brackets, digits after) into name (malloc'd,
 * the caller frees) and *port (0 when none).
 */
static int ans_split_key(struct aload *A, const struct ynode *k, char **name, int *port)
{
	const char *s = k->value, *colon = NULL;
	int depth = 0, colons = 0;
	long n = 0;

	*name = NULL;
	*port = 0;
	for (const char *p = s; *p; p++) {
		depth += (*p == '[') - (*p == ']');
		if (*p == ':' && depth == 0) {
			colons++;
			colon = p;
		}
	}
	if (colons != 1) { /* none, or an IPv6 address */
		*name = strdup(s);
		return *name ? 0 : oom(A->L);
	}
	if (colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || (n = strtol(colon + 1, NULL, 10)) < 1 || n > 65535)
		return ydoc_error(A->L->doc, k, A->L->e,
				  "host '%s': the port after ':' must be from 1 to 65535", show(s).s);
	*port = (int)n;
	*name = strndup(s, (size_t)(colon - s));
	return *name ? 0 : oom(A->L);
}

/* Finds or adds the host name (first seen at at); keeps A->hosts parallel. */
static int ans_host_id(struct aload *A, const struct ynode *at, const char *name, size_t *hi)
{
	struct inventory *inv = A->L->inv;
	struct ahost *arr = NULL;

	if (index_find(&A->L->hosts, name, hi))
		return 0;
	arr = mem_grow(A->hosts, &A->cap_hosts, inv->n_hosts, sizeof *A->hosts);
	if (!arr)
		return oom(A->L);
	A->hosts = arr;
	memset(&A->hosts[inv->n_hosts], 0, sizeof *A->hosts);
	return host_append(A->L, at, name, NULL, hi);
}

/* hosts: {pattern: null or vars, ...} of group gi. */
static int ans_hosts(struct aload *A, size_t gi, const struct ynode *m)
{
	char *pattern = NULL;
	char **names = NULL;
	int rc = -1;

	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		int port = 0;

		free(pattern);
		inventory_strv_free(names);
		pattern = NULL;
		names = NULL;
		if (check_string(A->L, "host name", k, true) < 0 ||
		    ans_split_key(A, k, &pattern, &port) < 0 || expand_at(A->L, k, pattern, &names) < 0)
			goto out;
		if (!is_null(v) && v->kind != YNODE_MAP) {
			ydoc_error(A->L->doc, v, A->L->e,
				   "host '%s' must map to its variables or be empty", show(k->value).s);
			goto out;
		}
		if (!is_null(v) && ans_check_vars(A, v) < 0)
			goto out;
		for (size_t j = 0; names[j]; j++) {
			size_t hi = 0;
			struct ahost *h = NULL;

			if (ans_host_id(A, k, names[j], &hi) < 0)
				goto out;
			h = &A->hosts[hi];
			if (idxv_add(&h->groups, gi) < 0 || (!is_null(v) && nodev_add(&h->vars, v) < 0)) {
				oom(A->L);
				goto out;
			}
			if (port)
				h->key_port = port;
		}
	}
	rc = 0;
out:
	free(pattern);
	inventory_strv_free(names);
	return rc;
}

static int ans_vars(struct aload *A, size_t gi, const struct ynode *m)
{
	if (ans_check_vars(A, m) < 0)
		return -1;
	return nodev_add(&A->groups[gi].vars, m) < 0 ? oom(A->L) : 0;
}

static int ans_group(struct aload *A, const struct ynode *key, const struct ynode *val, size_t *gi);

static int ans_children(struct aload *A, size_t gi, const struct ynode *m)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];
		size_t ci = 0;

		if (strcmp(k->value, "all") == 0)
			return ydoc_error(A->L->doc, k, A->L->e, "'all' cannot be a child group");
		if (ans_group(A, k, m->kids[i + 1], &ci) < 0)
			return -1;
		if (!A->groups[ci].parents.n)
			A->groups[ci].at = k; /* loops are reported where a group became a child */
		if (idxv_add(&A->groups[gi].kids, ci) < 0 || idxv_add(&A->groups[ci].parents, gi) < 0)
			return oom(A->L);
	}
	return 0;
}

/* The keys of a group, all mappings (or empty). */
static const struct {
	const char *key;
	int (*read)(struct aload *, size_t, const struct ynode *);
} ans_sections[] = {
	{"hosts", ans_hosts},
	{"vars", ans_vars},
	{"children", ans_children},
};

static int ans_group(struct aload *A, const struct ynode *key, const struct ynode *val, size_t *gi)
{
	const struct ydoc *doc = A->L->doc;

	if (ans_group_id(A, key, gi) < 0)
		return -1;
	if (is_null(val))
		return 0;
	if (val->kind != YNODE_MAP)
		return ydoc_error(doc, val, A->L->e,
				  "group '%s' must be a mapping of hosts, vars and children",
				  show(key->value).s);
	for (size_t i = 0; i + 1 < val->n; i += 2) {
		const struct ynode *k = val->kids[i], *v = val->kids[i + 1];
		size_t s = 0;

		while (s < N_ELEMS(ans_sections) && strcmp(ans_sections[s].key, k->value) != 0)
			s++;
		if (s == N_ELEMS(ans_sections))
			return ydoc_error(doc, k, A->L->e,
					  "unknown key '%s' in group '%s' (known: hosts, vars, children)",
					  show(k->value).s, show(key->value).s);
		if (is_null(v))
			continue;
		if (v->kind != YNODE_MAP)
			return ydoc_error(doc, v, A->L->e, "%s of group '%s' must be a mapping",
					  ans_sections[s].key, show(key->value).s);
		if (ans_sections[s].read(A, *gi, v) < 0)
			return -1;
	}
	return 0;
}

/* Depths in topological order (Kahn); a group left over sits on a loop. */
static int ans_depths(struct aload *A)
{
	size_t *indeg = calloc(A->n_groups + 1, sizeof *indeg);
	size_t *queue = calloc(A->n_groups + 1, sizeof *queue);
	size_t head = 0, tail = 0;
	int rc = -1;

	if (!indeg || !queue) {
		oom(A->L);
		goto out;
	}
	for (size_t g = 0; g < A->n_groups; g++) {
		indeg[g] = A->groups[g].parents.n;
		A->groups[g].depth = strcmp(A->groups[g].name, "all") == 0 ? 0 : 1;
		if (indeg[g] == 0)
			queue[tail++] = g;
	}
	while (head < tail) {
		const struct agroup *p = &A->groups[queue[head++]];

		for (size_t i = 0; i < p->kids.n; i++) {
			struct agroup *c = &A->groups[p->kids.v[i]];

			if (c->depth < p->depth + 1)
				c->depth = p->depth + 1;
			if (--indeg[p->kids.v[i]] == 0)
				queue[tail++] = p->kids.v[i];
		}
	}
	for (size_t g = 0; g < A->n_groups; g++) {
		if (indeg[g]) {
			ydoc_error(A->L->doc, A->groups[g].at, A->L->e,
				   "group '%s' is its own ancestor (a loop through children)",
				   show(A->groups[g].name).s);
			goto out;
		}
	}
	rc = 0;
out:
	free(indeg);
	free(queue);
	return rc;
}

struct aref {
	int depth;
	const char *name;
	size_t gi;
};

/* Ansible's order for group vars: shallow before deep, then by name; later wins. */
static int aref_by_depth(const void *a, const void *b)
{
	const struct aref *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Group lists follow the file: the order groups first appear in. */
static int aref_by_index(const void *a, const void *b)
{
	const struct aref *x = a, *y = b;

	return (x->gi > y->gi) - (x->gi < y->gi);
}

/* The last value of key in the vars mappings of v. */
static const struct ynode *last_var(const struct nodev *v, const char *key, const struct ynode *n)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *x = ynode_get(v->v[i], key);

		if (x)
			n = x;
	}
	return n;
}

/*
 * Fills host hi from its groups (direct and inherited) and vars. refs and mark are
 * scratch of n_groups + 1 entries; mark holds hi + 1 for groups already taken.
 */
static int ans_resolve(struct aload *A, size_t hi, struct aref *refs, size_t *mark)
{
	struct inventory_host *h = &A->L->inv->hosts[hi];
	const struct ahost *ah = &A->hosts[hi];
	size_t n = 0, all = 0;

	/* every group the host is in, through any chain of parents */
	for (size_t i = 0; i < ah->groups.n; i++) {
		if (mark[ah->groups.v[i]] != hi + 1) {
			mark[ah->groups.v[i]] = hi + 1;
			refs[n++].gi = ah->groups.v[i];
		}
	}
	if (index_find(&A->by_name, "all", &all) && mark[all] != hi + 1) {
		mark[all] = hi + 1;
		refs[n++].gi = all;
	}
	for (size_t i = 0; i < n; i++) {
		const struct agroup *g = &A->groups[refs[i].gi];

		refs[i].depth = g->depth;
		refs[i].name = g->name;
		for (size_t j = 0; j < g->parents.n; j++) {
			if (mark[g->parents.v[j]] != hi + 1) {
				mark[g->parents.v[j]] = hi + 1;
				refs[n++].gi = g->parents.v[j];
			}
		}
	}

	qsort(refs, n, sizeof *refs, aref_by_depth);
	for (size_t f = 0; f < N_ELEMS(ansible_fields); f++) {
		const struct field *fd = &ansible_fields[f];
		const struct ynode *v = NULL;

		for (size_t i = 0; i < n; i++)
			v = last_var(&A->groups[refs[i].gi].vars, fd->key, v);
		/* a port in the host key is a host var, below the host's explicit ones */
		if (fd->offset == offsetof(struct inventory_host, port) && ah->key_port) {
			h->port = ah->key_port;
			v = NULL;
		}
		v = last_var(&ah->vars, fd->key, v);
		/* values were checked as they were read: only memory can fail here */
		if (v && setters[fd->type](A->L, fd, v, h) < 0)
			return -1;
	}

	qsort(refs, n, sizeof *refs, aref_by_index);
	for (size_t i = 0; i < n; i++) {
		const char *name = A->groups[refs[i].gi].name;

		if (strcmp(name, "all") != 0 && strcmp(name, "ungrouped") != 0 &&
		    strv_push(&h->groups, name) < 0)
			return oom(A->L);
	}
	return 0;
}

/* Keeps the group tree for those who show it (`inventory list --json`). */
static int ans_export_groups(struct aload *A)
{
	struct inventory *inv = A->L->inv;

	inv->groups = calloc(A->n_groups ? A->n_groups : 1, sizeof *inv->groups);
	if (!inv->groups)
		return oom(A->L);
	for (size_t gi = 0; gi < A->n_groups; gi++) {
		const struct agroup *g = &A->groups[gi];
		struct inventory_group *out = NULL;
		size_t k = 0;

		if (strcmp(g->name, "all") == 0)
			continue;
		out = &inv->groups[inv->n_groups++];
		out->name = strdup(g->name);
		out->children = calloc(g->kids.n + 1, sizeof *out->children);
		if (!out->name || !out->children)
			return oom(A->L);
		for (size_t c = 0; c < g->kids.n; c++)
			if (!(out->children[k++] = strdup(A->groups[g->kids.v[c]].name)))
				return oom(A->L);
	}
	return 0;
}

static int ans_load(struct loader *L, const struct ynode *root)
{
	struct aload A = {.L = L};
	struct aref *refs = NULL;
	size_t *mark = NULL;
	int rc = -1;

	for (size_t i = 0; i + 1 < root->n; i += 2) {
		size_t gi = 0;

		if (ans_group(&A, root->kids[i], root->kids[i + 1], &gi) < 0)
			goto out;
	}
	if (ans_depths(&A) < 0)
		goto out;
	refs = calloc(A.n_groups + 1, sizeof *refs);
	mark = calloc(A.n_groups + 1, sizeof *mark);
	if (!refs || !mark) {
		oom(L);
		goto out;
	}
	for (size_t hi = 0; hi < L->inv->n_hosts; hi++)
		if (ans_resolve(&A, hi, refs, mark) < 0)
			goto out;
	if (ans_export_groups(&A) < 0)
		goto out;
	rc = 0;
out:
	free(refs);
	free(mark);
	aload_free(&A);
	return rc;
}

/* ---- public ---- */

/* opsdeck's when any of its list sections is a list: an Ansible group never is one. */
static bool is_opsdeck(const struct ynode *root)
{
	static const char *const lists[] = {"hosts", "thresholds", "probes"};

	for (size_t i = 0; i < N_ELEMS(lists); i++) {
		const struct ynode *n = ynode_get(root, lists[i]);

		if (n && n->kind == YNODE_SEQ)
			return true;
	}
	return false;
}

/* The loader; with d set, an opsdeck inventory's problems are collected entry by entry. */
static int inventory_load_impl(const char *path, struct inventory *inv, struct err *e,
			       struct schema_diags *d)
{
	struct ydoc doc = {0};
	struct loader L = {.doc = &doc, .e = e, .d = d, .inv = inv};
	int rc = -1;

	memset(inv, 0, sizeof *inv);
	if (ydoc_load(path, &doc, e) < 0)
		goto out;
	inv->file = strdup(path);
	if (!inv->file) {
		oom(&L);
		goto out;
	}
	if (!doc.root) {
		rc = 0; /* an empty file: no hosts yet */
		goto out;
	}
	if (doc.root->kind != YNODE_MAP) {
		ydoc_error(&doc, doc.root, e, "an inventory must be a mapping: opsdeck's hosts, "
			   "defaults, thresholds and probes, or Ansible groups");
		goto out;
	}
	rc = is_opsdeck(doc.root) ? ops_load(&L, doc.root) : ans_load(&L, doc.root);
	if (rc < 0 && d && L.failed)
		err_clear(e); /* every problem is in d already */
out:
	index_free(&L.hosts);
	index_free(&L.probes);
	host_clear(&L.defaults);
	ydoc_free(&doc);
	if (rc < 0)
		inventory_free(inv);
	return rc;
}

/* The sections have their own readers (ops_sections); the table names them for
 * "did you mean", `config check` and the documentation. */
static void inventory_schema_skip(const struct schema_entry *se, const struct ydoc *doc,
				  const struct ynode *v, void *target, struct schema_diags *d,
				  void *ctx)
{
	(void)se;
	(void)doc;
	(void)v;
	(void)target;
	(void)d;
	(void)ctx;
}

static const struct schema_entry inventory_entries[] = {
	{ .name = "defaults", .type = SCHEMA_MAP, .read = inventory_schema_skip,
	  .type_doc = "map of host settings", .help = "settings every host starts from" },
	{ .name = "hosts", .type = SCHEMA_LIST, .read = inventory_schema_skip,
	  .type_doc = "list of host entries", .help = "the hosts: name, address, port, user, "
	  "groups, tags, probes, ..." },
	{ .name = "thresholds", .type = SCHEMA_LIST, .read = inventory_schema_skip,
	  .type_doc = "list of {probe, group, warn, crit}",
	  .help = "warning and critical levels per probe, for all hosts or a group" },
	{ .name = "probes", .type = SCHEMA_LIST, .read = inventory_schema_skip,
	  .type_doc = "list of probe definitions",
	  .help = "custom probes: name, command, interval, timeout, warn, crit" },
};

const struct schema inventory_schema = { "an inventory", inventory_entries,
					 N_ELEMS(inventory_entries) };

int inventory_load_diags(const char *path, struct inventory *inv, struct schema_diags *d)
{
	struct ydoc doc = {0};
	struct err e = {{0}};
	size_t before = d->n;
	int rc = -1;

	memset(inv, 0, sizeof *inv);
	/* An inventory chooses hosts: each of its problems is fatal. First every
	 * top-level key of an opsdeck inventory, then the loader's own first problem. */
	if (ydoc_load_flags(path, YDOC_KEEP_GOING, &doc, &e) < 0) {
		schema_diags_add(d, true, e.msg);
		goto out;
	}
	schema_doc_problems(&doc, d, true);
	if (doc.root && doc.root->kind == YNODE_MAP && is_opsdeck(doc.root)) {
		struct schema_diags top = {0};

		schema_apply(&inventory_schema, &doc, doc.root, NULL, &top, NULL);
		for (size_t i = 0; i < top.n; i++)
			schema_diags_add(d, true, top.v[i].msg);
		schema_diags_free(&top);
	}
	rc = inventory_load_impl(path, inv, &e, d);
	/* a problem the loader did not collect (malformed file, an Ansible inventory) */
	if (rc < 0 && e.msg[0]) {
		bool seen = false; /* a repeated key: reported from the tree above */

		for (size_t i = before; i < d->n; i++)
			seen = seen || strcmp(d->v[i].msg, e.msg) == 0;
		if (!seen)
			schema_diags_add(d, true, e.msg);
	}
	if (d->n > before)
		rc = -1;
out:
	ydoc_free(&doc);
	return rc;
}

int inventory_load(const char *path, struct inventory *inv, struct err *e)
{
	return inventory_load_impl(path, inv, e, NULL);
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_hosts; i++)
		host_clear(&inv->hosts[i]);
	for (size_t i = 0; i < inv->n_probes; i++) {
		free(inv->probes[i].name);
		free(inv->probes[i].command);
	}
	for (size_t i = 0; i < inv->n_thresholds; i++) {
		free(inv->thresholds[i].probe);
		free(inv->thresholds[i].group);
	}
	for (size_t i = 0; i < inv->n_groups; i++) {
		free(inv->groups[i].name);
		inventory_strv_free(inv->groups[i].children);
	}
	free(inv->groups);
	free(inv->hosts);
	free(inv->probes);
	free(inv->thresholds);
	free(inv->file);
	memset(inv, 0, sizeof *inv);
}

const struct inventory_host *inventory_find(const struct inventory *inv, const char *name)
{
	if (!inv || !name)
		return NULL;
	for (size_t i = 0; i < inv->n_hosts; i++)
		if (strcmp(inv->hosts[i].name, name) == 0)
			return &inv->hosts[i];
	return NULL;
}

bool inventory_match(const struct inventory_host *h, const char *pattern)
{
	if (!h || !pattern)
		return false;
	if (h->name && fnmatch(pattern, h->name, 0) == 0)
		return true;
	for (size_t i = 0; h->groups && h->groups[i]; i++)
		if (fnmatch(pattern, h->groups[i], 0) == 0)
			return true;
	for (size_t i = 0; h->tags && h->tags[i]; i++)
		if (fnmatch(pattern, h->tags[i], 0) == 0)
			return true;
	return h->environment && fnmatch(pattern, h->environment, 0) == 0;
}
