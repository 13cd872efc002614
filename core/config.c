/*
 * config: config.yaml read through one table of keys (name, type, bounds, help),
 * so validation, messages and documentation come from the same place.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* By path: a bare "config.h" would find autoconf's header in the build folder first. */
#include "config.h"
#include "yamlutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum config_type { CFG_STRING, CFG_BOOL, CFG_INT };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset; /* into struct config */
	size_t size;   /* CFG_STRING: the buffer's size */
	long min, max; /* CFG_INT bounds */
	const char *help;
};

static const struct config_key config_keys[] = {
	{"theme", CFG_STRING, offsetof(struct config, theme), sizeof(((struct config *)0)->theme), 0, 0,
	 "a theme name from the themes folders, or a path to a .yaml file"},
	{"clock_seconds", CFG_BOOL, offsetof(struct config, clock_seconds), 0, 0, 0,
	 "show seconds in the top-bar clocks"},
	{"data_poll_ms", CFG_INT, offsetof(struct config, data_poll_ms), 0, 100, 10000,
	 "how often the console looks for other writers, in milliseconds"},
	{"inventory", CFG_STRING, offsetof(struct config, inventory),
	 sizeof(((struct config *)0)->inventory), 0, 0, "the inventory file (opsdeck or Ansible YAML)"},
	{"known_hosts", CFG_STRING, offsetof(struct config, known_hosts),
	 sizeof(((struct config *)0)->known_hosts), 0, 0, "the known_hosts file host keys are checked against"},
	{"ssh_config", CFG_STRING, offsetof(struct config, ssh_config),
	 sizeof(((struct config *)0)->ssh_config), 0, 0, "the ssh config file to read, or none"},
	{"max_handshakes", CFG_INT, offsetof(struct config, max_handshakes), 0, 1, 1024,
	 "SSH handshakes in flight at once"},
	{"connect_timeout_s", CFG_INT, offsetof(struct config, connect_timeout_s), 0, 1, 600,
	 "seconds a host has to connect and authenticate"},
	{"command_timeout_s", CFG_INT, offsetof(struct config, command_timeout_s), 0, 1, 3600,
	 "seconds a command may run by default"},
	{"output_cap_kib", CFG_INT, offsetof(struct config, output_cap_kib), 0, 1, 16384,
	 "KiB of output kept per command"},
};

static const struct {
	const char *name;
	bool value;
} bool_names[] = {{"true", true}, {"false", false}, {"yes", true}, {"no", false}};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->theme, sizeof c->theme, "default");
	c->clock_seconds = false;
	c->data_poll_ms = 500;
	c->max_handshakes = 64;
	c->connect_timeout_s = 10;
	c->command_timeout_s = 30;
	c->output_cap_kib = 64;
}

static int set_string(const struct ydoc *doc, const struct ynode *v, const struct config_key *k,
		      struct config *c, struct err *e)
{
	char *dst = (char *)c + k->offset;

	if (v->value[0] == '\0')
		return ydoc_error(doc, v, e, "%s must not be empty", k->name);
	if (strlen(v->value) >= k->size)
		return ydoc_error(doc, v, e, "%s is longer than %zu bytes", k->name, k->size - 1);
	snprintf(dst, k->size, "%s", v->value);
	return 0;
}

static int set_bool(const struct ydoc *doc, const struct ynode *v, const struct config_key *k,
		    struct config *c, struct err *e)
{
	bool *dst = (bool *)((char *)c + k->offset);

	for (size_t i = 0; i < N_ELEMS(bool_names); i++) {
		if (strcasecmp(bool_names[i].name, v->value) == 0) {
			*dst = bool_names[i].value;
			return 0;
		}
	}
	return ydoc_error(doc, v, e, "%s must be true or false, not '%s'", k->name, v->value);
}

static int set_int(const struct ydoc *doc, const struct ynode *v, const struct config_key *k,
		   struct config *c, struct err *e)
{
	int *dst = (int *)((char *)c + k->offset);
	const char *s = v->value;
	char *end = NULL;
	long n = 0;

	/* digits only: strtol alone would take " 12", "0x10" and "12abc" */
	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return ydoc_error(doc, v, e, "%s must be a whole number, not '%s'", k->name, s);
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0')
		return ydoc_error(doc, v, e, "%s must be a whole number, not '%s'", k->name, s);
	if (errno == ERANGE || n < k->min || n > k->max)
		return ydoc_error(doc, v, e, "%s must be from %ld to %ld, not %s", k->name, k->min,
				  k->max, s);
	*dst = (int)n;
	return 0;
}

/* Indexed by enum config_type. */
static int (*const setters[])(const struct ydoc *, const struct ynode *, const struct config_key *,
			      struct config *, struct err *) = {
	[CFG_STRING] = set_string,
	[CFG_BOOL] = set_bool,
	[CFG_INT] = set_int,
};

static const struct config_key *find_key(const char *name)
{
	for (size_t i = 0; i < N_ELEMS(config_keys); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* "theme, clock_seconds, ..." for messages. Returns buf. */
static const char *key_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_ELEMS(config_keys) && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", config_keys[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

int config_load(const char *path, struct config *c, struct err *e)
{
	struct ydoc doc = {NULL, NULL};
	const struct ynode *root = NULL;
	int rc = -1;

	config_defaults(c);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0; /* no config.yaml: defaults */
	if (ydoc_load(path, &doc, e) < 0)
		goto out;
	root = doc.root;
	if (root && root->kind != YNODE_MAP) {
		ydoc_error(&doc, root, e, "config must be a mapping of settings");
		goto out;
	}
	/* Settings apply in file order; after an error, the rest keep their defaults. */
	for (size_t i = 0; root && i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i], *v = root->kids[i + 1];
		const struct config_key *ck = find_key(k->value);

		if (strcmp(k->value, "witness") == 0)
			continue; /* a mapping of its own, read by core/witness.c */
		if (!ck) {
			char known[256];

			ydoc_error(&doc, k, e, "unknown setting '%s' (known: %s)", k->value,
				   key_list(known, sizeof known));
			goto out;
		}
		if (v->kind != YNODE_SCALAR) {
			ydoc_error(&doc, v, e, "%s needs a single value: %s", ck->name, ck->help);
			goto out;
		}
		if (setters[ck->type](&doc, v, ck, c, e) < 0)
			goto out;
	}
	rc = 0;
out:
	ydoc_free(&doc);
	return rc;
}
