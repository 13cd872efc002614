/*
 * cli_backup: `opsdeck backup`, `opsdeck restore` and `opsdeck prune`.
 *
 * The `backup` and `retention` settings of config.yaml are read here from the
 * file itself (core/backup.c and core/retention.c read their own maps), so they
 * work whatever the general config loader knows about.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "clock.h"
#include "retention.h"
#include "text.h"
#include "yamlutil.h"

/* Prints one line through the sanitiser: paths and messages can hold any bytes. */
static void cli_backup_say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cli_backup_say(FILE *out, const char *fmt, ...)
{
	char buf[3 * 4096];
	char *clean = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	clean = text_sanitize_str(buf, 0);
	fprintf(out, "%s\n", clean ? clean : "(out of memory)");
	free(clean);
}

/* Reads config.yaml's backup and retention maps (defaults when absent). */
static int cli_backup_settings(const struct cli_ctx *c, struct backup_config *b,
			       struct retention_config *r, struct err *e)
{
	struct ydoc doc = { 0 };
	int rc = -1;

	backup_config_defaults(b);
	retention_config_defaults(r);
	if (access(c->paths->config_file, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (ydoc_load(c->paths->config_file, &doc, e) < 0)
		return -1;
	if (doc.root && doc.root->kind != YNODE_MAP) {
		ydoc_error(&doc, doc.root, e, "expected a map of settings");
		goto out;
	}
	if (backup_config_read(&doc, getenv("HOME"), b, e) || retention_config_read(&doc, r, e))
		goto out;
	rc = 0;
out:
	ydoc_free(&doc);
	return rc;
}

struct cli_backup_args {
	const char *output;
	const char *db;
	bool force;
	bool help;
};

/* Parses the options a command allows ("output force", "db force", ""); positional
 * arguments are left in argv[optind..]. -1 after a message on a bad option. */
static int cli_backup_parse(const struct cli_ctx *c, const char *cmd, const char *allowed,
			    int argc, char **argv, struct cli_backup_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, idx;

	memset(a, 0, sizeof *a);
	optind = 0; /* 0: glibc resets its state from main's "+" scan */
	opterr = 0;
	while ((idx = -1, opt = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
		const char *name = idx >= 0 ? opts[idx].name : NULL;

		if (opt == '?' || opt == ':' ||
		    (name && strcmp(name, "help") != 0 && !strstr(allowed, name))) {
			fprintf(stderr, "%s %s: %s option '%s'\n", c->prog, cmd,
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return -1;
		}
		switch (opt) {
		case 'o': a->output = optarg; break;
		case 'd': a->db = optarg; break;
		case 'f': a->force = true; break;
		case 'h': a->help = true; break;
		default: break;
		}
	}
	return 0;
}

int cli_backup(const struct cli_ctx *c, int argc, char **argv)
{
	struct cli_backup_args a;
	struct backup_config bc;
	struct retention_config rc_unused;
	struct backup_opts o;
	struct backup_info info;
	struct store *st = NULL;
	struct err e = { { 0 } };
	int rc = 1;

	if (cli_backup_parse(c, "backup", "output force", argc, argv, &a) || optind < argc) {
		if (optind < argc && !a.help)
			fprintf(stderr, "%s backup: unexpected argument '%s'\n", c->prog, argv[optind]);
		fprintf(stderr, "usage: %s backup [--output FILE [--force]]\n", c->prog);
		return 2;
	}
	if (a.help) {
		printf("usage: %s backup [--output FILE [--force]]\n"
		       "Copies the database while consoles write (SQLite online backup), verifies\n"
		       "the copy (integrity check and the shift log's chain), records it in the\n"
		       "log and prints \"SHA256  PATH\" (sha256sum -c reads it).\n"
		       "Without --output: a new generation opsdeck-YYYYMMDDTHHMMSSZ.db in backup.dir\n"
		       "(default backups/ beside the database), keeping backup.keep (default 7).\n"
		       "--output FILE writes exactly there; --force replaces an existing FILE.\n",
		       c->prog);
		return 0;
	}
	if (a.force && !a.output) {
		fprintf(stderr, "%s backup: --force applies to --output only\n", c->prog);
		return 2;
	}
	if (cli_backup_settings(c, &bc, &rc_unused, &e)) {
		cli_backup_say(stderr, "%s backup: %s", c->prog, e.msg);
		return 1;
	}
	if (cli_open_store(c->paths, &st, &e)) {
		cli_backup_say(stderr, "%s backup: %s", c->prog, e.msg);
		return 1;
	}
	o = (struct backup_opts){ .output = a.output, .force = a.force, .cfg = &bc };
	if (backup_run(st, &o, &info, &e)) {
		cli_backup_say(stderr, "%s backup: %s", c->prog, e.msg);
		goto out;
	}
	cli_backup_say(stdout, "%s  %s", info.sha256, info.path);
	rc = 0;
out:
	store_close(&st);
	return rc;
}

int cli_restore(const struct cli_ctx *c, int argc, char **argv)
{
	struct cli_backup_args a;
	struct restore_opts o;
	struct restore_info info;
	struct err e = { { 0 } };

	if (cli_backup_parse(c, "restore", "db force", argc, argv, &a) ||
	    (!a.help && optind != argc - 1)) {
		if (optind < argc - 1)
			fprintf(stderr, "%s restore: unexpected argument '%s'\n", c->prog,
				argv[optind + 1]);
		fprintf(stderr, "usage: %s restore FILE [--db PATH] [--force]\n", c->prog);
		return 2;
	}
	if (a.help) {
		printf("usage: %s restore FILE [--db PATH] [--force]\n"
		       "Verifies FILE (integrity check and the shift log's chain) and copies it into\n"
		       "place as the database (--db PATH, default the usual database). An existing\n"
		       "database is replaced only with --force, and kept as PATH.replaced-TIMESTAMP;\n"
		       "one that another process has open is never replaced. The restored database\n"
		       "is verified and gets a restore entry in its log.\n", c->prog);
		return 0;
	}
	o = (struct restore_opts){ .from = argv[optind],
				   .target = a.db ? a.db : c->paths->db_file,
				   .force = a.force };
	if (backup_restore(&o, &info, &e)) {
		cli_backup_say(stderr, "%s restore: %s", c->prog, e.msg);
		return 1;
	}
	cli_backup_say(stdout, "restored %s from %s (sha256 %s)", o.target, o.from, info.sha256);
	cli_backup_say(stdout, "verified: %" PRId64 " entries, chain head #%" PRId64 " %s",
		       info.check.entries, info.check.head_id,
		       info.check.head[0] ? info.check.head : "(empty log)");
	if (info.replaced[0])
		cli_backup_say(stdout, "replaced database kept as %s", info.replaced);
	cli_backup_say(stdout, "logged as entry #%" PRId64, info.log_id);
	return 0;
}

int cli_prune(const struct cli_ctx *c, int argc, char **argv)
{
	struct cli_backup_args a;
	struct backup_config bc_unused;
	struct retention_config rc;
	struct retention_result r;
	struct store *st = NULL;
	struct err e = { { 0 } };
	int code = 1;

	if (cli_backup_parse(c, "prune", "", argc, argv, &a) || optind < argc) {
		if (optind < argc && !a.help)
			fprintf(stderr, "%s prune: unexpected argument '%s'\n", c->prog, argv[optind]);
		fprintf(stderr, "usage: %s prune\n", c->prog);
		return 2;
	}
	if (a.help) {
		printf("usage: %s prune\n"
		       "Applies config.yaml's retention (default {samples: 30d, outputs: 7d}):\n"
		       "deletes probe samples older than retention.samples and clears the probe\n"
		       "output kept with samples older than retention.outputs, in small batches,\n"
		       "and logs what it removed. The shift log is never pruned.\n", c->prog);
		return 0;
	}
	if (cli_backup_settings(c, &bc_unused, &rc, &e) || cli_open_store(c->paths, &st, &e)) {
		cli_backup_say(stderr, "%s prune: %s", c->prog, e.msg);
		return 1;
	}
	if (retention_run(st, &rc, clock_now_ms(), 0, &r, &e)) {
		cli_backup_say(stderr, "%s prune: %s", c->prog, e.msg);
		goto out;
	}
	printf("removed %" PRId64 " samples and %" PRId64 " hourly roll-ups, cleared %" PRId64
	       " probe outputs (log entry #%" PRId64 ")\n", r.samples, r.hourly, r.outputs, r.log_id);
	code = 0;
out:
	store_close(&st);
	return code;
}
