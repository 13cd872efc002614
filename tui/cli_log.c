/*
 * cli_log: `opsdeck log ...`, the shift log for scripts and people at a shell.
 * One table of verbs; each verb parses its own flags with getopt_long.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_witness.h"
#include "clock.h"
#include "shiftlog.h"
#include "text.h"

/* Options shared by the verbs; each verb accepts the subset in its option string. */
struct log_args {
	const char *category, *severity, *host, *format, *since, *until;
	int64_t corrects;
	long limit;
	int json;
	int fts; /* --fts: the query is FTS5 syntax */
	int n_rest;
	char **rest;
	struct cli_verify_opts verify; /* --anchor, --anchors, --witness */
};

enum { OPT_SINCE = 1000, OPT_UNTIL, OPT_FORMAT, OPT_JSON, OPT_CORRECTS, OPT_LIMIT, OPT_HELP,
       OPT_ANCHOR, OPT_ANCHORS, OPT_WITNESS, OPT_FTS };

static const struct option log_options[] = {
	{ "category", required_argument, NULL, 'c' },
	{ "severity", required_argument, NULL, 's' },
	{ "host", required_argument, NULL, 'H' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "corrects", required_argument, NULL, OPT_CORRECTS },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "fts", no_argument, NULL, OPT_FTS },
	{ "anchor", required_argument, NULL, OPT_ANCHOR },
	{ "anchors", required_argument, NULL, OPT_ANCHORS },
	{ "witness", no_argument, NULL, OPT_WITNESS },
	{ NULL, 0, NULL, 0 },
};

struct verb {
	const char *name;
	int (*run)(const struct cli_ctx *c, struct store *st, struct log_args *a, struct err *e);
	const char *allowed; /* long option names this verb takes, space separated */
	int min_rest, max_rest; /* positional arguments */
	const char *usage;
};

static int parse_id(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (s && *s == '#')
		s++;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || !s || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* Parses --since/--until into *ms; -1 with e set ("out of range" or "not a time"). */
static int log_parse_time(const char *flag, const char *text, int64_t *ms, struct err *e)
{
	errno = 0;
	if (clock_parse(text, ms) == 0)
		return 0;
	if (errno == ERANGE)
		err_set(e, "%s '%.100s' is out of range (the time would be before or after what"
			   " opsdeck can represent)", flag, text);
	else
		err_set(e, "%s '%.100s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z], -2h, -7d, now)",
			flag, text);
	return -1;
}

/* Fills the filter's bounds from --since/--until/--category/--severity/--host. */
static int fill_filter(const struct log_args *a, struct shiftlog_filter *f, struct err *e)
{
	memset(f, 0, sizeof *f);
	if (a->since && log_parse_time("--since", a->since, &f->since_ms, e))
		return -1;
	if (a->until && log_parse_time("--until", a->until, &f->until_ms, e))
		return -1;
	if (a->category && !shiftlog_category_valid(a->category)) {
		err_set(e, "unknown category '%.64s' (one of: note, action, alarm, handover, "
			   "correction, shift, system)", a->category);
		return -1;
	}
	if (a->severity && shiftlog_severity_rank(a->severity) < 0) {
		err_set(e, "unknown severity '%.64s' (one of: info, notice, warning, critical)",
			a->severity);
		return -1;
	}
	f->category = a->category;
	f->min_severity = a->severity;
	f->host = a->host;
	return 0;
}

static int note_min_id(const struct shiftlog_entry *x, void *ud)
{
	*(int64_t *)ud = x->id;
	return 0;
}

/* Writes the entries passing f; with a limit, only the newest `limit` of them. */
static int print_entries(struct store *st, struct shiftlog_filter *f, long limit,
			 enum shiftlog_format fmt, struct err *e)
{
	if (limit > 0) {
		int64_t oldest = 0;
		int n = shiftlog_page(st, f, SHIFTLOG_OLDER, 0, (int)limit, note_min_id, &oldest, e);

		if (n < 0)
			return -1;
		if (n == 0)
			oldest = shiftlog_last_id(st) + 1; /* nothing matches: print an empty set */
		f->min_id = oldest;
	}
	return shiftlog_export(st, f, fmt, stdout, e) < 0 ? -1 : 0;
}

static int verb_add(const struct cli_ctx *c, struct store *st, struct log_args *a, struct err *e)
{
	struct shiftlog_new n = { .category = a->category, .severity = a->severity,
				  .host = a->host, .corrects = a->corrects };
	char *text = NULL;
	size_t len = 0;
	int64_t id = 0;
	int rc = -1;

	/* The words after the flags are the text, as a shell user would expect. */
	for (int i = 0; i < a->n_rest; i++)
		len += strlen(a->rest[i]) + 1;
	if (!(text = calloc(1, len + 1))) {
		err_set(e, "out of memory");
		goto out;
	}
	for (int i = 0; i < a->n_rest; i++) {
		if (i)
			strcat(text, " ");
		strcat(text, a->rest[i]);
	}
	n.text = text;
	if (shiftlog_append(st, &n, &id, e))
		goto out;
	/* Printed only after the commit inside shiftlog_append. A caller that cannot
	 * read the id (stdout full or closed) must not see success. */
	printf("%" PRId64 "\n", id);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		err_set(e, "entry #%" PRId64 " was written, but its id could not be printed: %s", id,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

static int verb_list(const struct cli_ctx *c, struct store *st, struct log_args *a, struct err *e)
{
	struct shiftlog_filter f;

	if (fill_filter(a, &f, e))
		return -1;
	return print_entries(st, &f, a->limit, a->json ? SHIFTLOG_JSON : SHIFTLOG_TEXT, e);
}

static int verb_search(const struct cli_ctx *c, struct store *st, struct log_args *a,
		       struct err *e)
{
	struct shiftlog_filter f;
	char *fts = NULL;
	size_t len = 0;
	int rc = -1;

	if (fill_filter(a, &f, e))
		return -1;
	f.match = a->rest[0];
	/* --fts is the CLI's spelling of the "fts:" prefix. */
	if (a->fts && strncmp(f.match, "fts:", 4) != 0) {
		len = strlen(f.match) + 5;
		if (!(fts = malloc(len))) {
			err_set(e, "out of memory");
			return -1;
		}
		snprintf(fts, len, "fts:%s", f.match);
		f.match = fts;
	}
	rc = print_entries(st, &f, a->limit, a->json ? SHIFTLOG_JSON : SHIFTLOG_TEXT, e);
	free(fts);
	return rc;
}

static int verb_export(const struct cli_ctx *c, struct store *st, struct log_args *a,
		       struct err *e)
{
	struct shiftlog_filter f;
	int fmt = shiftlog_format_parse(a->format ? a->format : "json");

	if (fmt < 0) {
		err_set(e, "unknown format '%.64s' (json, csv, markdown)", a->format);
		return -1;
	}
	if (fill_filter(a, &f, e))
		return -1;
	return print_entries(st, &f, a->limit, (enum shiftlog_format)fmt, e);
}

/* One "label     value" line of log show, the value sanitised to one line. */
static void log_put_clean(const char *label, const char *value)
{
	char *clean = text_sanitize_str(value, 0);

	printf("%-9s %s\n", label, clean ? clean : "?");
	free(clean);
}

static int verb_show(const struct cli_ctx *c, struct store *st, struct log_args *a,
		     struct err *e)
{
	struct shiftlog_filter one = { 0 };
	struct shiftlog_filter corr = { 0 };
	struct shiftlog_entry x;
	char local[32], utc[40];
	char *text = NULL;
	int64_t id = 0;

	if (parse_id(a->rest[0], &id)) {
		err_set(e, "'%.64s' is not an entry id", a->rest[0]);
		return -1;
	}
	if (shiftlog_get(st, id, &x, e))
		return -1;
	corr.corrects = id;
	if (a->json) {
		/* One array: the entry, then every entry that corrects it. */
		one.min_id = one.max_id = id;
		shiftlog_entry_clear(&x);
		fputs("{\"entry\":", stdout);
		if (shiftlog_export(st, &one, SHIFTLOG_JSON, stdout, e) < 0)
			return -1;
		fputs(",\"corrections\":", stdout);
		if (shiftlog_export(st, &corr, SHIFTLOG_JSON, stdout, e) < 0)
			return -1;
		fputs("}\n", stdout);
		return 0;
	}
	clock_format_local(x.ts_ms, local, sizeof local);
	clock_format_utc(x.ts_ms, utc, sizeof utc);
	text = text_sanitize_str(x.text, TEXT_KEEP_NEWLINES);
	printf("entry     #%" PRId64 "\ntime      %s (%s)\n", x.id, local, utc);
	/* Every field read from the file goes through the sanitiser, as the text does. */
	log_put_clean("operator", x.operator_name);
	if (x.shift_id)
		printf("shift     #%" PRId64 "\n", x.shift_id);
	log_put_clean("category", x.category);
	log_put_clean("severity", x.severity);
	if (x.host)
		log_put_clean("host", x.host);
	if (x.corrects)
		printf("corrects  #%" PRId64 "\n", x.corrects);
	log_put_clean("hash", x.hash);
	printf("\n%s\n", text ? text : "");
	free(text);
	if (x.n_corrections) {
		printf("\ncorrections:\n");
		if (shiftlog_export(st, &corr, SHIFTLOG_TEXT, stdout, e) < 0) {
			shiftlog_entry_clear(&x);
			return -1;
		}
	}
	shiftlog_entry_clear(&x);
	return 0;
}

static int verb_verify(const struct cli_ctx *c, struct store *st, struct log_args *a,
		       struct err *e)
{
	return cli_log_verify(c, st, &a->verify, e);
}

static int verb_witness(const struct cli_ctx *c, struct store *st, struct log_args *a,
			struct err *e)
{
	(void)a;
	return cli_log_witness(c, st, e);
}

static const struct verb verbs[] = {
	{ "add", verb_add, "category severity host corrects", 1, -1,
	  "log add TEXT... [--category C] [--severity S] [--host H] [--corrects ID]" },
	{ "list", verb_list, "category severity host since until json limit", 0, 0,
	  "log list [--since T] [--until T] [--category C] [--severity S] [--host H] [--limit N] [--json]" },
	{ "search", verb_search, "category severity host since until json limit fts", 1, 1,
	  "log search TEXT [--fts] [--since T] [--until T] [--category C] [--limit N] [--json]" },
	{ "show", verb_show, "json", 1, 1, "log show ID [--json]" },
	{ "export", verb_export, "format category severity host since until limit", 0, 0,
	  "log export --format json|csv|markdown [--since T] [--until T] [--category C]" },
	{ "verify", verb_verify, "anchor anchors witness", 0, 0,
	  "log verify [--anchor ID:HASH]... [--anchors FILE] [--witness]" },
	{ "witness", verb_witness, "", 0, 0, "log witness" },
};

static void log_usage(FILE *out, const char *prog)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "%s %s %s\n", i ? "      " : "usage:", prog, verbs[i].usage);
	fprintf(out, "\ncategories: note action alarm handover correction shift system\n"
		     "severities: info notice warning critical\n"
		     "times: YYYY-MM-DD[ HH:MM[:SS]] (local) or ...Z (UTC), -30m, -2h, -7d, now\n"
		     "search: the words as typed, all of them (10.0.0.5, /var/log, lb-02 are plain text;\n"
		     "        word* for words that start so); --fts or a leading fts: for SQLite FTS5\n"
		     "        syntax (\"phrases\", prefix*, AND/OR/NOT, host:NAME)\n");
}

/* True when the verb accepts the long option name. */
static int allowed(const struct verb *v, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = v->allowed; (p = strstr(p, name)); p += n)
		if ((p == v->allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static int parse_args(const struct cli_ctx *c, const struct verb *v, int argc, char **argv,
		      struct log_args *a)
{
	int opt, idx;
	char *end = NULL;

	memset(a, 0, sizeof *a);
	optind = 0; /* 0, not 1: glibc then resets its permutation state from main's "+" scan */
	opterr = 0;
	/* argv[0] is the verb, as getopt expects a program name there. */
	while ((idx = -1, opt = getopt_long(argc, argv, ":", log_options, &idx)) != -1) {
		const char *name = idx >= 0 ? log_options[idx].name : NULL;

		if (opt == '?' || opt == ':') {
			fprintf(stderr, "%s log %s: %s option '%s'\n", c->prog, v->name,
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return -1;
		}
		if (opt == OPT_HELP) {
			log_usage(stdout, c->prog);
			return 1;
		}
		if (!name || !allowed(v, name)) {
			fprintf(stderr, "%s log %s: option --%s does not apply here\n", c->prog,
				v->name, name ? name : "?");
			return -1;
		}
		switch (opt) {
		case 'c': a->category = optarg; break;
		case 's': a->severity = optarg; break;
		case 'H': a->host = optarg; break;
		case OPT_SINCE: a->since = optarg; break;
		case OPT_UNTIL: a->until = optarg; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_FTS: a->fts = 1; break;
		case OPT_ANCHOR:
			if (a->verify.n_anchor >= CLI_VERIFY_MAX_ANCHORS) {
				fprintf(stderr, "%s log %s: at most %d --anchor (use --anchors FILE)\n",
					c->prog, v->name, CLI_VERIFY_MAX_ANCHORS);
				return -1;
			}
			a->verify.anchor[a->verify.n_anchor++] = optarg;
			break;
		case OPT_ANCHORS: a->verify.anchors_file = optarg; break;
		case OPT_WITNESS: a->verify.witness = 1; break;
		case OPT_CORRECTS:
			if (parse_id(optarg, &a->corrects)) {
				fprintf(stderr, "%s log %s: --corrects needs an entry id\n", c->prog,
					v->name);
				return -1;
			}
			break;
		case OPT_LIMIT:
			errno = 0;
			a->limit = strtol(optarg, &end, 10);
			if (errno || *end || a->limit <= 0 || a->limit > 1000000000L) {
				fprintf(stderr, "%s log %s: --limit needs a positive number\n", c->prog,
					v->name);
				return -1;
			}
			break;
		}
	}
	a->rest = argv + optind;
	a->n_rest = argc - optind;
	if (a->n_rest < v->min_rest || (v->max_rest >= 0 && a->n_rest > v->max_rest)) {
		fprintf(stderr, "usage: %s %s\n", c->prog, v->usage);
		return -1;
	}
	return 0;
}

int cli_log(const struct cli_ctx *c, int argc, char **argv)
{
	const struct verb *v = NULL;
	struct log_args a;
	struct store *st = NULL;
	struct err e = { { 0 } };
	int rc = 2;
	int r;

	/* argv[0] is "log"; from here on the verb plays that part for getopt. */
	argc--;
	argv++;
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		log_usage(argc < 1 ? stderr : stdout, c->prog);
		return argc < 1 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(argv[0], verbs[i].name) == 0)
			v = &verbs[i];
	if (!v) {
		fprintf(stderr, "%s log: unknown action '%s' (see %s log --help)\n", c->prog,
			argv[0], c->prog);
		return 2;
	}
	r = parse_args(c, v, argc, argv, &a);
	if (r)
		return r > 0 ? 0 : 2;
	/* Every verb but add only reads: a read-only open, which changes nothing. */
	if ((v->run == verb_add ? cli_open_store : cli_open_store_read)(c->paths, &st, &e)) {
		fprintf(stderr, "%s log %s: %s\n", c->prog, v->name, e.msg);
		return 1;
	}
	r = v->run(c, st, &a, &e);
	if (r < 0)
		fprintf(stderr, "%s log %s: %s\n", c->prog, v->name, e.msg);
	rc = r < 0 ? 1 : r;
	store_close(&st);
	return rc;
}
