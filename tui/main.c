/*
 * main: opsdeck's entry point. Global options, then either a subcommand from the
 * table below (for scripts and cron) or, with none, the console. opsdeck_main is
 * the whole program; main only calls it, so the test-only binary (built with
 * OPSDECK_TEST_MAIN, tests/opsdeck_test.c) can wrap it with its test clock.
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "fleet.h"
#include "paths.h"
#include "shiftlog.h"
#include "store.h"

static const struct command {
	const char *name;
	int (*run)(const struct cli_ctx *c, int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "log", cli_log, "log add|list|search|show|export|verify|witness ...   the shift log" },
	{ "shift", cli_shift, "shift start|handover|end|status            your shift" },
	{ "hosts", cli_hosts, "hosts [--filter PATTERN] [--json]            one probe round over the fleet" },
	{ "exec", cli_exec, "exec PATTERN -- COMMAND                    a command on many hosts" },
	{ "incident", cli_incident, "incident new|list|show|ack|resolve|problem|report|... incidents and problems" },
	{ "inventory", cli_inventory, "inventory list [PATTERN] [--json]          the resolved hosts (ansible-inventory's JSON)" },
	{ "backup", cli_backup, "backup [--output FILE [--force]]           a verified copy of the database" },
	{ "restore", cli_restore, "restore FILE [--db PATH] [--force]         put a verified backup in place" },
	{ "prune", cli_prune, "prune                                      apply retention to probe history" },
	{ "calendar", cli_calendar, "calendar import|export|list|remove|occurrences ...  business calendars" },
	{ "paths", cli_paths, "paths                                      every file opsdeck reads or writes" },
	{ "config", cli_config, "config check|schema [--markdown]           check every settings file; the settings table" },
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [--db PATH] [--theme NAME|FILE]             start the console\n"
		"       %s [--db PATH] COMMAND [ARGS]                   run one command\n\n"
		"commands:\n", prog, prog);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %s\n", commands[i].usage);
	fprintf(out,
		"\noptions:\n"
		"  --db PATH       database file (default $XDG_DATA_HOME/opsdeck/opsdeck.db,\n"
		"                  or $OPSDECK_DB)\n"
		"  --theme NAME    colour theme: default, light, high-contrast, mono, or a file\n"
		"  -h, --help      this help; COMMAND --help for a command's own\n"
		"  -V, --version   print the version\n\n"
		"environment: OPSDECK_DB, OPSDECK_CONFIG_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, NO_COLOR\n");
}

int opsdeck_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "theme", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "opsdeck";
	const char *db = NULL;
	const char *theme = NULL;
	struct paths paths;
	struct config cfg;
	struct err e = { { 0 } };
	struct store *st = NULL;
	struct app_opts ao;
	int c;
	int rc = 2;

	setlocale(LC_ALL, "");
	/* Once, at start: later, with descriptors used up, getpwuid fails (entries signed uid0). */
	(void)shiftlog_operator();
	(void)fleet_raise_fd_limit();
	/* "+": stop at the first non-option, so subcommands parse their own flags. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't': theme = optarg; break;
		case 'h': usage(stdout, prog); return 0;
		case 'V': printf("opsdeck %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr, prog); return 2;
		}
	}
	if (paths_resolve(&paths, db, &e)) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		return 1;
	}
	/* Where the fleet's files are comes from config.yaml too: a bad setting keeps
	 * its default, but one that chooses hosts or keys stops everything except
	 * `config` (which is how to find out what is wrong). */
	if (cli_config_report(prog, paths.config_file, &cfg,
			  optind < argc ? argv[optind] : NULL) != 0)
		return 1;
	if (paths_apply_config(&paths, &cfg, &e)) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		return 1;
	}
	if (optind < argc) {
		const struct cli_ctx ctx = { .paths = &paths, .cfg = &cfg, .prog = prog };

		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
			/* Each command gets argv[0] = its own name, as getopt expects. */
			if (strcmp(argv[optind], commands[i].name) == 0)
				return commands[i].run(&ctx, argc - optind, argv + optind);
		}
		fprintf(stderr, "%s: unknown command '%s' (see %s --help)\n", prog, argv[optind], prog);
		return 2;
	}
	if (cli_open_store(&paths, &st, &e)) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		return 1;
	}
	memset(&ao, 0, sizeof ao);
	ao.paths = &paths;
	ao.store = st;
	ao.theme = theme;
	rc = app_run(&ao);
	store_close(&st);
	return rc;
}

#ifndef OPSDECK_TEST_MAIN
int main(int argc, char **argv)
{
	return opsdeck_main(argc, argv);
}
#endif
