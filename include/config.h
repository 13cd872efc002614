/*
 * config: config.yaml in the config folder, read through the table in
 * core/config.c (config_schema; README's table is generated from it by
 * `opsdeck config schema --markdown`). A missing file means defaults. Every
 * problem is a "file:line:col: message"; a bad setting keeps its default and the
 * good ones beside it stay. A bad setting that chooses hosts or keys (inventory,
 * known_hosts, ssh_config), or a file that cannot be read at all, is fatal:
 * opsdeck refuses to run rather than use the default in its place.
 *
 *   theme: default
 *   inventory: ~/ops/inventory.yaml
 *   known_hosts: ~/.ssh/known_hosts
 *   witness:
 *     every: 15m
 *     command: [logger, -t, opsdeck]
 *     files: [{ host: w1, path: /var/log/opsdeck.chain }]
 */
#ifndef OPSDECK_CONFIG_H
#define OPSDECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup.h"
#include "err.h"
#include "retention.h"
#include "schema.h"

#define CONFIG_WITNESS_MAX_FILES 8

/* A file on a witness host that each new chain head is appended to. */
struct config_witness_file {
	char host[256]; /* an inventory host name */
	char path[1024]; /* on that host */
};

/* witness: where chain heads go (read by the shift log's witness module). */
struct config_witness {
	bool set;			/* the witness key is present */
	int64_t every_ms;		/* how often a new head is sent */
	struct schema_argv command;	/* n == 0: none; argv, no shell */
	struct schema_argv verify_command; /* n == 0: none; prints the heads the witness holds */
	struct config_witness_file files[CONFIG_WITNESS_MAX_FILES];
	size_t n_files;
};

struct config {
	char theme[256];
	bool clock_seconds;
	int data_poll_ms; /* 100..10000 */
	char inventory[4096];   /* "" unset */
	char known_hosts[4096]; /* "" unset */
	char ssh_config[4096];  /* "" unset; "none" reads none */
	int max_handshakes;
	int connect_timeout_s;
	int command_timeout_s;
	int output_cap_kib;
	struct config_witness witness;
	struct backup_config backup;       /* read by core/backup.c's own reader */
	struct retention_config retention; /* read by core/retention.c's own reader */
};

/* The table of config.yaml's settings. */
extern const struct schema config_schema;

/* Fills c with defaults. */
void config_defaults(struct config *c);

/*
 * Loads path over the defaults, adding every problem to d (the caller frees it
 * with schema_diags_free). A missing file adds none. Valid settings are kept
 * whatever else is wrong; d->n_fatal > 0 means opsdeck must not run with c.
 */
void config_load_diags(const char *path, struct config *c, struct schema_diags *d);

/*
 * As config_load_diags for a caller with one message line. Returns 0, or -1 with
 * e set to the first problem (and how many more); c keeps every valid setting.
 */
int config_load(const char *path, struct config *c, struct err *e);

#endif
