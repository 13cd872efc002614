/*
 * config: config.yaml read through one schema table (name, type, bounds, default,
 * help), so validation, messages and the README's table come from one place.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* By path: a bare "config.h" would find autoconf's header in the build folder first. */
#include "../include/config.h"
#include "yamlutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define CONFIG_FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define WITNESS_FIELD(f) offsetof(struct config_witness, f), sizeof(((struct config_witness *)0)->f)
#define WFILE_FIELD(f) \
	offsetof(struct config_witness_file, f), sizeof(((struct config_witness_file *)0)->f)

static const struct schema_choice config_path_words[] = { { "none", 0 } };

static const struct schema_entry config_wfile_entries[] = {
	{ .name = "host", .type = SCHEMA_STRING, WFILE_FIELD(host),
	  .help = "an inventory host that keeps a copy of the chain heads" },
	{ .name = "path", .type = SCHEMA_STRING, WFILE_FIELD(path),
	  .help = "the file on that host the heads are appended to" },
};

static const struct schema config_wfile_schema = {
	"a witness file", config_wfile_entries, N_ELEMS(config_wfile_entries)
};

/* files: [{host, path}, ...]; an entry missing either is left out with a message. */
static void config_read_wfiles(const struct schema_entry *se, const struct ydoc *doc,
			       const struct ynode *v, void *target, struct schema_diags *d,
			       void *ctx)
{
	struct config_witness *w = target;

	(void)ctx;
	w->n_files = 0;
	if (v->kind != YNODE_SEQ) {
		schema_diag_at(d, false, doc, v, "%s must be a list of {host, path}", se->name);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct config_witness_file f;
		size_t before = d->n;

		memset(&f, 0, sizeof f);
		if (w->n_files == CONFIG_WITNESS_MAX_FILES) {
			schema_diag_at(d, false, doc, v->kids[i], "at most %d witness files",
				       CONFIG_WITNESS_MAX_FILES);
			break;
		}
		if (v->kids[i]->kind != YNODE_MAP) {
			schema_diag_at(d, false, doc, v->kids[i],
				       "a witness file must be a mapping {host, path}");
			continue;
		}
		schema_apply(&config_wfile_schema, doc, v->kids[i], &f, d, ctx);
		if (d->n == before && (!f.host[0] || !f.path[0]))
			schema_diag_at(d, false, doc, v->kids[i], "a witness file needs a host and a path");
		if (d->n == before)
			w->files[w->n_files++] = f;
	}
}

/* backup and retention have readers of their own (core/backup.c, core/retention.c);
 * the table names them, so they are known settings, documented and checked here. */
static void config_read_backup(const struct schema_entry *se, const struct ydoc *doc,
			       const struct ynode *v, void *target, struct schema_diags *d,
			       void *ctx)
{
	struct err e = {{0}};
	const char *home = getenv("HOME");

	(void)se;
	(void)v;
	(void)ctx;
	if (backup_config_read(doc, home ? home : "", target, &e) < 0) {
		backup_config_defaults(target);
		schema_diags_add(d, false, e.msg);
	}
}

static void config_read_retention(const struct schema_entry *se, const struct ydoc *doc,
				  const struct ynode *v, void *target, struct schema_diags *d,
				  void *ctx)
{
	struct err e = {{0}};

	(void)se;
	(void)v;
	(void)ctx;
	if (retention_config_read(doc, target, &e) < 0) {
		retention_config_defaults(target);
		schema_diags_add(d, false, e.msg);
	}
}

static const struct schema_entry config_witness_entries[] = {
	{ .name = "every", .type = SCHEMA_DURATION, WITNESS_FIELD(every_ms), .min = 60000,
	  .max = 7LL * 24 * 3600 * 1000, .def = "15m",
	  .help = "how often the newest chain head is sent (and at every handover)" },
	{ .name = "command", .type = SCHEMA_ARGV, WITNESS_FIELD(command),
	  .help = "a command (argv, no shell) given each chain head, e.g. [logger, -t, opsdeck]" },
	{ .name = "verify_command", .type = SCHEMA_ARGV, WITNESS_FIELD(verify_command),
	  .help = "a command (argv, no shell) that prints the heads the witness holds" },
	{ .name = "files", .type = SCHEMA_LIST, WITNESS_FIELD(files), .read = config_read_wfiles,
	  .type_doc = "list of {host, path}",
	  .help = "files on witness hosts the heads are appended to, over SSH" },
};

static const struct schema config_witness_schema = {
	"witness", config_witness_entries, N_ELEMS(config_witness_entries)
};

static const struct schema_entry config_entries[] = {
	{ .name = "theme", .type = SCHEMA_STRING, CONFIG_FIELD(theme), .def = "default",
	  .help = "a theme name from the themes folders, or a path to a .yaml file" },
	{ .name = "clock_seconds", .type = SCHEMA_BOOL, CONFIG_FIELD(clock_seconds), .def = "false",
	  .help = "show seconds in the top-bar clocks" },
	{ .name = "data_poll_ms", .type = SCHEMA_INT, CONFIG_FIELD(data_poll_ms), .min = 100,
	  .max = 10000, .def = "500",
	  .help = "how often the console looks for other writers, in milliseconds" },
	{ .name = "inventory", .type = SCHEMA_PATH, CONFIG_FIELD(inventory),
	  .flags = SCHEMA_CRITICAL, .def_doc = "inventory.yaml in the config folder",
	  .help = "the inventory file (opsdeck or Ansible YAML)" },
	{ .name = "known_hosts", .type = SCHEMA_PATH, CONFIG_FIELD(known_hosts),
	  .flags = SCHEMA_CRITICAL, .def_doc = "~/.ssh/known_hosts",
	  .help = "the known_hosts file host keys are checked against and accepted keys go to" },
	{ .name = "ssh_config", .type = SCHEMA_PATH, CONFIG_FIELD(ssh_config),
	  .flags = SCHEMA_CRITICAL, .choices = config_path_words,
	  .n_choices = N_ELEMS(config_path_words), .def_doc = "~/.ssh/config",
	  .help = "the ssh config file to read, or none" },
	{ .name = "max_handshakes", .type = SCHEMA_INT, CONFIG_FIELD(max_handshakes), .min = 1,
	  .max = 1024, .def = "64", .help = "SSH handshakes in flight at once" },
	{ .name = "connect_timeout_s", .type = SCHEMA_INT, CONFIG_FIELD(connect_timeout_s),
	  .min = 1, .max = 600, .def = "10",
	  .help = "seconds a host has to connect and authenticate" },
	{ .name = "command_timeout_s", .type = SCHEMA_INT, CONFIG_FIELD(command_timeout_s),
	  .min = 1, .max = 3600, .def = "30", .help = "seconds a command may run by default" },
	{ .name = "output_cap_kib", .type = SCHEMA_INT, CONFIG_FIELD(output_cap_kib), .min = 1,
	  .max = 16384, .def = "64", .help = "KiB of output kept per command" },
	{ .name = "backup", .type = SCHEMA_MAP, CONFIG_FIELD(backup), .read = config_read_backup,
	  .type_doc = "map {dir, keep}", .def_doc = "{dir: backups/ beside the database, keep: 7}",
	  .help = "where `opsdeck backup` keeps its generations, and how many" },
	{ .name = "retention", .type = SCHEMA_MAP, CONFIG_FIELD(retention),
	  .read = config_read_retention, .type_doc = "map {samples, outputs}",
	  .def_doc = "{samples: 30d, outputs: 7d}",
	  .help = "how long `opsdeck prune` keeps probe samples and outputs (or forever)" },
	{ .name = "witness", .type = SCHEMA_MAP, CONFIG_FIELD(witness),
	  .sub = &config_witness_schema, .type_doc = "map {every, command, verify_command, files}",
	  .def_doc = "no witness",
	  .help = "where each new shift-log chain head is sent, so a rewrite of the database "
		  "shows (fields below)" },
};

const struct schema config_schema = { "config.yaml", config_entries, N_ELEMS(config_entries) };

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	schema_defaults(&config_schema, c);
	backup_config_defaults(&c->backup);
	retention_config_defaults(&c->retention);
}

void config_load_diags(const char *path, struct config *c, struct schema_diags *d)
{
	struct ydoc doc = {0};
	struct err e = {{0}};
	const struct ynode *w = NULL;

	config_defaults(c);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return; /* no config.yaml: defaults */
	if (ydoc_load_flags(path, YDOC_KEEP_GOING, &doc, &e) < 0) {
		/* nothing can be read, so nothing says where the hosts and keys are */
		schema_diags_add(d, true, e.msg);
		goto out;
	}
	for (size_t i = 0; i < doc.n_problems; i++) {
		const struct schema_entry *se = schema_find(&config_schema, doc.problems[i].key);

		/* two values for a critical setting: no telling which was meant */
		schema_diags_add(d, doc.problems[i].depth == 1 && se &&
				 (se->flags & SCHEMA_CRITICAL), doc.problems[i].msg);
	}
	schema_apply(&config_schema, &doc, doc.root, c, d, NULL);
	w = ynode_get(doc.root, "witness");
	c->witness.set = w != NULL;
out:
	ydoc_free(&doc);
}

int config_load(const char *path, struct config *c, struct err *e)
{
	struct schema_diags d = {0};
	int rc = 0;

	config_load_diags(path, c, &d);
	rc = schema_diags_to_err(&d, e);
	schema_diags_free(&d);
	return rc;
}
