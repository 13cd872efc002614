/*
 * inventory: the managed hosts, from opsdeck's inventory.yaml or an Ansible YAML
 * inventory (all/hosts/vars/children, ansible_host, ansible_port, ansible_user),
 * loaded as they are. Name ranges such as web[01:20].example.org expand. Errors
 * are "file:line:col: message".
 *
 * opsdeck format:
 *
 *   defaults: { user: ops, port: 22, probes: [load, memory, disk] }
 *   hosts:
 *     - name: web[01:03].example.org
 *       address: 10.0.0.5          # optional; default: the name
 *       port: 22
 *       user: ops
 *       groups: [web, frontend]
 *       tags: [nginx]
 *       environment: production
 *       criticality: high         # low, medium, high, critical
 *       lifecycle: active         # active, maintenance, decommissioned
 *       identity_file: ~/.ssh/id_ed25519
 *       probes: [load, memory, disk, failed-units, updates, reboot]
 *   thresholds:                   # per probe, optionally per group; later entries win
 *     - { probe: disk, warn: 80, crit: 90 }
 *     - { probe: disk, group: db, warn: 70, crit: 85 }
 *   probes:                       # custom Nagios-style probes, see probe.h
 *     - name: http
 *       command: /usr/lib/nagios/plugins/check_http -H localhost
 *       interval: 60
 *       timeout: 10
 *
 * defaults apply to every host entry; a host's own value replaces the default (lists
 * are replaced, not merged). name and address have no default. identity_file may
 * start with ~ for $HOME. Probe names must be defined under probes: or look like a
 * built-in (a-z, 0-9 and '-'). The file is opsdeck's when hosts, thresholds or
 * probes is a list at the top level; otherwise it is read as Ansible YAML.
 *
 * Ansible format, as Ansible reads it: top-level groups (all, or any group) with
 * hosts (a mapping; values null or the host's vars), vars and children. A host's
 * groups are every group it belongs to, directly or through children, except all
 * and ungrouped. Vars are inherited: all, then parents before children (by depth,
 * then name), then the host's own vars win. A host key may carry a port
 * ("db1:2222"). Variables read:
 *
 *   ansible_host -> address            ansible_port -> port
 *   ansible_user -> user               ansible_ssh_private_key_file -> identity_file
 *   opsdeck_environment, opsdeck_criticality, opsdeck_lifecycle (names as above),
 *   opsdeck_tags and opsdeck_probes (lists)
 *
 * Ansible inventories have no thresholds or custom probes; Jinja templates in
 * these variables are refused rather than guessed at.
 *
 * Values left out stay unset (0 / NULL) so that ~/.ssh/config can supply them:
 * inventory values override ssh config, which overrides libssh's defaults. The
 * fleet applies that precedence when it sets up each session.
 */
#ifndef OPSDECK_INVENTORY_H
#define OPSDECK_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "schema.h"

enum inventory_lifecycle { INV_ACTIVE, INV_MAINTENANCE, INV_DECOMMISSIONED };
enum inventory_criticality { INV_CRIT_UNSET, INV_CRIT_LOW, INV_CRIT_MEDIUM, INV_CRIT_HIGH,
			     INV_CRIT_CRITICAL };

#define INVENTORY_MAX_PROBES 32
#define INVENTORY_MAX_HOSTS 10000 /* per range pattern, and for the whole inventory */

struct inventory_host {
	char *name;          /* unique; the row label and the ssh config "Host" alias */
	char *address;       /* NULL: use name (after ssh config HostName) */
	int port;            /* 0: unset */
	char *user;          /* NULL: unset */
	char *identity_file; /* NULL: unset (agent and ssh config / default keys) */
	char **groups;       /* NULL-terminated (may be empty) */
	char **tags;         /* NULL-terminated (may be empty) */
	char *environment;   /* NULL: unset */
	enum inventory_criticality criticality;
	enum inventory_lifecycle lifecycle;
	char **probes;       /* NULL-terminated probe names; NULL: the default set */
	int line, col;       /* where the host was defined */
};

/* A custom probe definition (Nagios plugin protocol), by name. */
struct inventory_probe {
	char *name;
	char *command;
	int interval_s; /* 0: default */
	int timeout_s;  /* 0: default */
	double warn, crit; /* thresholds on the first perfdata value; NAN when unset */
	int line, col;
};

/* thresholds: [{probe: disk, group: db, warn: 80, crit: 90}, ...]; group NULL = all. */
struct inventory_threshold {
	char *probe;
	char *group;
	double warn, crit; /* NAN when unset */
	int line, col;
};

/* A group of an Ansible inventory and its child groups (opsdeck's own format has
 * groups only as names on hosts, so it has no entries here). */
struct inventory_group {
	char *name;
	char **children; /* NULL-terminated (may be empty) */
};

struct inventory {
	struct inventory_group *groups; /* Ansible inventories: every group but all */
	size_t n_groups;
	struct inventory_threshold *thresholds;
	size_t n_thresholds;
	struct inventory_host *hosts;
	size_t n_hosts;
	struct inventory_probe *probes;
	size_t n_probes;
	char *file;
};

/*
 * Loads path (opsdeck or Ansible YAML; detected from the top-level keys).
 * Returns 0 and fills inv (free with inventory_free), or -1 with
 * e = "file:line:col: message". Duplicate host names are an error in opsdeck
 * files; in Ansible ones a host listed in several groups is one host. An empty
 * file is an empty inventory. On failure inv is left empty (freeing it is harmless).
 */
int inventory_load(const char *path, struct inventory *inv, struct err *e);

/* The top-level keys of an opsdeck inventory (sections with their own readers). */
extern const struct schema inventory_schema;

/*
 * As inventory_load, with its problems added to d (all fatal: an inventory
 * chooses hosts): every unknown top-level key with "did you mean", a repeated
 * key, then the loader's first problem inside the sections. 0 or -1.
 */
int inventory_load_diags(const char *path, struct inventory *inv, struct schema_diags *d);

void inventory_free(struct inventory *inv);

/*
 * Expands one range pattern: "web[01:03].x" -> web01.x web02.x web03.x (zero
 * padding follows the first bound), "db[a:c]" -> dba dbb dbc; several brackets
 * multiply. Returns a NULL-terminated malloc'd array of malloc'd strings
 * (free with inventory_strv_free), or NULL with e set (bad range, more than
 * 10000 names).
 */
char **inventory_expand(const char *pattern, struct err *e);

void inventory_strv_free(char **v);

/* Finds a host by name; NULL when absent. */
const struct inventory_host *inventory_find(const struct inventory *inv, const char *name);

/* True when the host's name, a group, a tag or its environment matches the
 * shell glob pattern (fnmatch). */
bool inventory_match(const struct inventory_host *h, const char *pattern);

const char *inventory_lifecycle_name(enum inventory_lifecycle l);
const char *inventory_criticality_name(enum inventory_criticality c);

#endif
