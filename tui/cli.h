/*
 * cli: the command-line subcommands (one table in main.c, one file per family).
 * Each gets argv[0] = its own name (as getopt expects) and returns the exit code.
 */
#ifndef OPSDECK_CLI_H
#define OPSDECK_CLI_H

#include "config.h"
#include "paths.h"
#include "store.h"

struct cli_ctx {
	const struct paths *paths;  /* with config.yaml's file settings applied */
	const struct config *cfg;   /* config.yaml (defaults where it is absent or broken) */
	const char *prog; /* argv[0] for messages */
};

/*
 * Opens the store at paths->db_file. When it lives in the default data folder,
 * that folder is made 0700 first. On success *st is the caller's (store_close).
 */
int cli_open_store(const struct paths *paths, struct store **st, struct err *e);

/* The whole program (global options, a command or the console); main calls it. */
int opsdeck_main(int argc, char **argv);
/*
 * Opens the store at paths->db_file for a reading command (store_open_read):
 * nothing is created or changed. A warning (file open to others) goes to stderr.
 */
int cli_open_store_read(const struct paths *paths, struct store **st, struct err *e);

int cli_log(const struct cli_ctx *c, int argc, char **argv);
int cli_shift(const struct cli_ctx *c, int argc, char **argv);
int cli_hosts(const struct cli_ctx *c, int argc, char **argv);
int cli_exec(const struct cli_ctx *c, int argc, char **argv);
int cli_paths(const struct cli_ctx *c, int argc, char **argv);
int cli_incident(const struct cli_ctx *c, int argc, char **argv);
int cli_inventory(const struct cli_ctx *c, int argc, char **argv);
int cli_config(const struct cli_ctx *c, int argc, char **argv);

/*
 * Loads config.yaml into cfg (valid settings kept, bad ones at their defaults)
 * and prints its problems to stderr, each as "prog: file:line:col: message":
 * all of them for a command, only fatal ones for the console (command NULL),
 * which shows the rest on its message line. Returns -1 when opsdeck must not
 * run (a setting that chooses hosts or keys is bad) unless command is "config".
 */
int cli_config_report(const char *prog, const char *path, struct config *cfg, const char *command);
int cli_backup(const struct cli_ctx *c, int argc, char **argv);
int cli_restore(const struct cli_ctx *c, int argc, char **argv);
int cli_prune(const struct cli_ctx *c, int argc, char **argv);
int cli_calendar(const struct cli_ctx *c, int argc, char **argv);

#endif
