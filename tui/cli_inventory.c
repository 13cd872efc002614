/*
 * cli_inventory: `opsdeck inventory list [PATTERN] [--json]`: the resolved hosts,
 * with where each connection value came from; --json in the shape of
 * `ansible-inventory --list`, so existing tooling reads it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hostpattern.h"
#include "inventory.h"
#include "json.h"
#include "sshcfg.h"
#include "text.h"

struct inv_list {
	struct inventory inv;
	size_t *sel;
	size_t nsel;
	struct sshcfg_host *res; /* per selected host */
};

static void inv_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s inventory list [PATTERN] [--json] [--inventory FILE]\n"
		"Prints the hosts PATTERN selects (default all) with their address, port, user,\n"
		"groups and tags, and where each connection value came from (inventory, ssh\n"
		"config, default). --json is ansible-inventory --list's shape (_meta.hostvars\n"
		"with Ansible's variable names plus opsdeck_sources; groups with hosts).\n"
		"PATTERN: web*, all, ungrouped, @group, web:db (union), web:&prod, web:!web03.\n",
		prog);
}

/* Writes v (NULL-terminated) as a JSON array of strings. */
static void inv_json_strv(FILE *out, char *const *v)
{
	fputc('[', out);
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			fputs(", ", out);
		json_put_string(out, v[i]);
	}
	fputc(']', out);
}

static int inv_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, unique group names of the selected hosts ("ungrouped" for none).
 * The strings are the inventory's; the caller frees the array. */
static const char **inv_groups(const struct inv_list *l, size_t *n)
{
	size_t cap = 1, k = 0;
	const char **v = NULL;

	for (size_t i = 0; i < l->nsel; i++)
		for (char **g = l->inv.hosts[l->sel[i]].groups; g && *g; g++)
			cap++;
	if (!(v = calloc(cap, sizeof *v)))
		return NULL;
	for (size_t i = 0; i < l->nsel; i++) {
		const struct inventory_host *h = &l->inv.hosts[l->sel[i]];

		if (!h->groups || !h->groups[0])
			v[k++] = "ungrouped";
		for (char **g = h->groups; g && *g; g++)
			v[k++] = *g;
	}
	qsort(v, k, sizeof *v, inv_cmp_str);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || strcmp(v[*n - 1], v[i]) != 0)
			v[(*n)++] = v[i];
	return v;
}

static bool inv_in_group(const struct inventory_host *h, const char *g)
{
	if (strcmp(g, "ungrouped") == 0)
		return !h->groups || !h->groups[0];
	for (char **p = h->groups; p && *p; p++)
		if (strcmp(*p, g) == 0)
			return true;
	return false;
}

static void inv_json_hostvars(FILE *out, const char *file, const struct inventory_host *h,
			      const struct sshcfg_host *r)
{
	char at[4200];

	fputs("{", out);
	json_put_key(out, "ansible_host", 1);
	json_put_string(out, r->address);
	json_put_key(out, "ansible_port", 0);
	json_put_int(out, r->port, 0);
	json_put_key(out, "ansible_user", 0);
	json_put_string(out, r->user);
	if (h->identity_file) {
		json_put_key(out, "ansible_ssh_private_key_file", 0);
		json_put_string(out, h->identity_file);
	}
	json_put_key(out, "opsdeck_groups", 0);
	inv_json_strv(out, h->groups);
	json_put_key(out, "opsdeck_tags", 0);
	inv_json_strv(out, h->tags);
	json_put_key(out, "opsdeck_environment", 0);
	json_put_string(out, h->environment);
	json_put_key(out, "opsdeck_criticality", 0);
	json_put_string(out, inventory_criticality_name(h->criticality));
	json_put_key(out, "opsdeck_lifecycle", 0);
	json_put_string(out, inventory_lifecycle_name(h->lifecycle));
	json_put_key(out, "opsdeck_sources", 0);
	fputs("{", out);
	json_put_key(out, "ansible_host", 1);
	json_put_string(out, sshcfg_source_name(r->address_from));
	json_put_key(out, "ansible_port", 0);
	json_put_string(out, sshcfg_source_name(r->port_from));
	json_put_key(out, "ansible_user", 0);
	json_put_string(out, sshcfg_source_name(r->user_from));
	json_put_key(out, "defined_at", 0);
	snprintf(at, sizeof at, "%s:%d:%d", file ? file : "?", h->line, h->col);
	json_put_string(out, at);
	fputs("}}", out);
}

/* The child groups of group name (an Ansible inventory's tree), or NULL. */
static char *const *inv_children(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->n_groups; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return inv->groups[i].children;
	return NULL;
}

/* True when name is a child of some group among groups[0..n). */
static bool inv_is_child(const struct inventory *inv, const char **groups, size_t n,
			 const char *name)
{
	for (size_t g = 0; g < n; g++)
		for (char *const *c = inv_children(inv, groups[g]); c && *c; c++)
			if (strcmp(*c, name) == 0)
				return true;
	return false;
}

/* A host belongs to a group directly unless it is in one of its children (hosts'
 * group lists hold every ancestor; Ansible lists a host under its own group). */
static bool inv_direct(const struct inventory *inv, const struct inventory_host *h,
		       const char *group)
{
	if (!inv_in_group(h, group))
		return false;
	for (char *const *c = inv_children(inv, group); c && *c; c++)
		if (inv_in_group(h, *c))
			return false;
	return true;
}

/* Writes names[0..n) that pass keep (NULL: all) as a JSON array. */
static void inv_json_names(const char **names, size_t n, const struct inventory *inv,
			   const char **all, size_t nall)
{
	bool first = true;

	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		if (all && inv_is_child(inv, all, nall, names[i]))
			continue;
		if (!first)
			fputs(", ", stdout);
		json_put_string(stdout, names[i]);
		first = false;
	}
	fputc(']', stdout);
}

static int inv_print_json(const struct inv_list *l)
{
	size_t ng = 0;
	const char **groups = inv_groups(l, &ng);

	if (!groups)
		return -1;
	fputs("{\n  \"_meta\": {\"hostvars\": {", stdout);
	for (size_t i = 0; i < l->nsel; i++) {
		const struct inventory_host *h = &l->inv.hosts[l->sel[i]];

		fputs(i ? ",\n    " : "\n    ", stdout);
		json_put_string(stdout, h->name);
		fputs(": ", stdout);
		inv_json_hostvars(stdout, l->inv.file, h, &l->res[i]);
	}
	/* all's children: the groups no other listed group has as a child. */
	fputs("\n  }},\n  \"all\": {\"children\": ", stdout);
	inv_json_names(groups, ng, &l->inv, groups, ng);
	fputs("}", stdout);
	for (size_t g = 0; g < ng; g++) {
		char *const *kids = inv_children(&l->inv, groups[g]);
		bool first = true;

		fputs(",\n  ", stdout);
		json_put_string(stdout, groups[g]);
		fputs(": {\"hosts\": [", stdout);
		for (size_t i = 0; i < l->nsel; i++) {
			const struct inventory_host *h = &l->inv.hosts[l->sel[i]];

			if (!inv_direct(&l->inv, h, groups[g]))
				continue;
			if (!first)
				fputs(", ", stdout);
			json_put_string(stdout, h->name);
			first = false;
		}
		fputc(']', stdout);
		if (kids && *kids) {
			size_t nk = 0;

			while (kids[nk])
				nk++;
			fputs(", \"children\": ", stdout);
			inv_json_names((const char **)kids, nk, &l->inv, NULL, 0);
		}
		fputs("}", stdout);
	}
	fputs("\n}\n", stdout);
	free(groups);
	return 0;
}

/* Sanitises buf in place: names come from a file and go to a terminal. */
static void inv_clean(char *buf, size_t len)
{
	char *c = text_sanitize_str(buf, 0);

	snprintf(buf, len, "%s", c ? c : "?");
	free(c);
}

/* Joins v with "," into buf (sanitised). */
static const char *inv_join(char *const *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; v && v[i] && o + 1 < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? "," : "", v[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	inv_clean(buf, len);
	return o ? buf : "-";
}

static void inv_print_text(const struct inv_list *l)
{
	printf("%-20s %-28s %-18s %-22s %-16s %s\n", "HOST", "ADDRESS", "PORT", "USER", "GROUPS",
	       "TAGS");
	for (size_t i = 0; i < l->nsel; i++) {
		const struct inventory_host *h = &l->inv.hosts[l->sel[i]];
		const struct sshcfg_host *r = &l->res[i];
		char name[256], addr[300], port[64], user[200], groups[256], tags[256];

		snprintf(name, sizeof name, "%s", h->name);
		inv_clean(name, sizeof name);
		snprintf(addr, sizeof addr, "%s (%s)", r->address, sshcfg_source_name(r->address_from));
		inv_clean(addr, sizeof addr);
		snprintf(port, sizeof port, "%d (%s)", r->port, sshcfg_source_name(r->port_from));
		snprintf(user, sizeof user, "%s (%s)", r->user, sshcfg_source_name(r->user_from));
		inv_clean(user, sizeof user);
		printf("%-20s %-28s %-18s %-22s %-16s %s\n", name, addr, port, user,
		       inv_join(h->groups, groups, sizeof groups), inv_join(h->tags, tags, sizeof tags));
	}
}

static int inv_list(const struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"inventory", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct inv_list l;
	struct err e = {{0}};
	const char *file = NULL, *pattern = "all";
	bool json = false;
	int ch, rc = 2;

	memset(&l, 0, sizeof l);
	optind = 0; /* 0: getopt starts afresh (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'i': file = optarg; break;
		case 'h': inv_usage(stdout, c->prog); return 0;
		default: inv_usage(stderr, c->prog); return 2;
		}
	}
	if (optind < argc)
		pattern = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s inventory list: unexpected argument '%s'\n", c->prog, argv[optind]);
		return 2;
	}
	if (inventory_load(file ? file : c->paths->inventory_file, &l.inv, &e) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, e.msg);
		rc = 1;
		goto out;
	}
	if (hostpattern_select(&l.inv, pattern, &l.sel, &l.nsel, &e) < 0) {
		fprintf(stderr, "%s inventory list: %s\n", c->prog, e.msg);
		goto out;
	}
	if (l.nsel && !(l.res = calloc(l.nsel, sizeof *l.res))) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < l.nsel; i++) {
		if (sshcfg_resolve(&l.inv.hosts[l.sel[i]], c->paths->ssh_config, &l.res[i], &e) < 0) {
			fprintf(stderr, "%s: %s\n", c->prog, e.msg);
			rc = 1;
			goto out;
		}
	}
	if (json) {
		if (inv_print_json(&l) < 0) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			rc = 1;
			goto out;
		}
	} else {
		inv_print_text(&l);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	for (size_t i = 0; l.res && i < l.nsel; i++)
		sshcfg_host_clear(&l.res[i]);
	free(l.res);
	free(l.sel);
	inventory_free(&l.inv);
	return rc;
}

int cli_inventory(const struct cli_ctx *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		inv_usage(argc < 2 ? stderr : stdout, c->prog);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "list") == 0)
		return inv_list(c, argc - 1, argv + 1);
	fprintf(stderr, "%s inventory: unknown verb '%s' (see %s inventory --help)\n", c->prog,
		argv[1], c->prog);
	return 2;
}
