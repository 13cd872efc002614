/* cli_paths: `opsdeck paths` prints every file opsdeck reads or writes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_paths(const struct cli_ctx *c, int argc, char **argv)
{
	const struct paths *p = c->paths;
	const struct {
		const char *label;
		const char *path;
		const char *use;
	} rows[] = {
		{ "config-dir", p->config_dir, "read" },
		{ "config", p->config_file, "read" },
		{ "keys", p->keys_file, "read" },
		{ "inventory", p->inventory_file, "read" },
		{ "incidents", p->incidents_file, "read (SLA targets, escalation)" },
		{ "themes-user", p->user_themes_dir, "read" },
		{ "themes-system", p->system_themes_dir, "read" },
		{ "themes-source", p->source_themes_dir, "read" },
		{ "data-dir", p->data_dir, "read+write, 0700" },
		{ "database", p->db_file, "read+write, 0600" },
		{ "database-wal", NULL, "read+write, 0600" },
		{ "database-shm", NULL, "read+write, 0600" },
		{ "ssh-dir", p->ssh_dir, "read (identity files)" },
		{ "ssh-config", p->ssh_config, "read" },
		{ "known-hosts", p->known_hosts, "read+write (accepted host keys)" },
	};

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s paths\nPrints every file and folder opsdeck reads or writes.\n",
		       c->prog);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "%s paths: unexpected argument '%s'\n", c->prog, argv[1]);
		return 2;
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *path = rows[i].path;
		const char *mark = "";

		if (!path) {
			printf("%-14s %s%s  (%s)\n", rows[i].label, p->db_file,
			       strcmp(rows[i].label, "database-wal") == 0 ? "-wal" : "-shm", rows[i].use);
			continue;
		}
		if (access(path, F_OK) != 0)
			mark = " [absent]";
		printf("%-14s %s  (%s)%s\n", rows[i].label, path, rows[i].use, mark);
	}
	return 0;
}
