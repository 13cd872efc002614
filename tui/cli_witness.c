/*
 * cli_witness: `opsdeck log verify` with anchors and witnesses, and `opsdeck log
 * witness`. Everything printed here comes from the database as hex, ids and our
 * own messages, or goes through the sanitiser (witness reasons quote config text).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_witness.h"
#include "shiftlog.h"
#include "text.h"
#include "witness.h"

/* Prints s sanitised (it may quote config or witness bytes). */
static void cliw_put(FILE *out, const char *prefix, const char *s)
{
	char *clean = text_sanitize_str(s, 0);

	fprintf(out, "%s%s\n", prefix, clean ? clean : "(out of memory)");
	free(clean);
}

static void cliw_ssh(const struct cli_ctx *c, struct witness_ssh *ssh)
{
	memset(ssh, 0, sizeof *ssh);
	ssh->inventory = c->paths->inventory_file;
	ssh->known_hosts = c->paths->known_hosts;
	ssh->ssh_config = c->paths->ssh_config;
	ssh->timeout_ms = c->cfg->connect_timeout_s * 1000 + c->cfg->command_timeout_s * 1000;
}

/* Checks one anchor; 0 match, 1 mismatch (printed), -1 error. where: "" or " (FILE:LINE)". */
static int cliw_anchor(struct store *st, const struct shiftlog_anchor *a, const char *where,
		       struct err *e)
{
	char why[400];
	char line[600];
	int r = shiftlog_anchor_check(st, a, why, sizeof why, e);

	if (r > 0) {
		snprintf(line, sizeof line, "anchor %" PRId64 ":%s%s: %s", a->id, a->hash, where, why);
		cliw_put(stdout, "FAILED: ", line);
		printf("first bad entry: #%" PRId64 "\n", a->id);
	}
	return r;
}

/* One anchor read from a file, with where it came from. */
struct cliw_file_anchor {
	struct shiftlog_anchor a;
	int line;
};

/*
 * Reads every anchor in path first (a malformed line is a usage error, whatever
 * the log holds), then checks them in file order. Returns 0 all match (*n counts
 * them), 1 a mismatch, 2 a malformed or unreadable file (message on stderr),
 * -1 with e set on a database error.
 */
static int cliw_anchors_file(struct store *st, const char *path, int64_t *n, struct err *e)
{
	FILE *f = fopen(path, "r");
	struct cliw_file_anchor *list = NULL;
	size_t count = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int lineno = 0;
	int rc = 0;

	if (!f) {
		char msg[4200];

		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		cliw_put(stderr, "opsdeck log verify: ", msg);
		return 2;
	}
	while ((len = getline(&line, &lcap, f)) >= 0) {
		struct shiftlog_anchor a;
		size_t lead;
		int col = 0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		lead = strspn(line, " \t");
		if (line[lead] == '\0' || line[lead] == '#')
			continue;
		if ((size_t)len != strlen(line) || shiftlog_anchor_parse(line + lead, &a, &col)) {
			char msg[4096 + 200];

			snprintf(msg, sizeof msg, "%s:%d:%d: not an anchor: want ID:HASH (HASH: 64 "
				 "lowercase hex digits) or a handover's \"Log chain head: #ID sha256 "
				 "HASH\" line", path, lineno,
				 (size_t)len != strlen(line) ? (int)strlen(line) + 1 : (int)lead + col);
			cliw_put(stderr, "", msg);
			rc = 2;
			goto out;
		}
		if (count == cap) {
			struct cliw_file_anchor *nl = NULL;

			cap = cap ? cap * 2 : 16;
			if (!(nl = realloc(list, cap * sizeof *list))) {
				err_set(e, "out of memory");
				rc = -1;
				goto out;
			}
			list = nl;
		}
		list[count].a = a;
		list[count++].line = lineno;
	}
	if (ferror(f)) {
		err_set(e, "%s: read error", path);
		rc = -1;
		goto out;
	}
	if (count == 0) {
		char msg[4200];

		snprintf(msg, sizeof msg, "%s: no anchors in the file", path);
		cliw_put(stderr, "opsdeck log verify: ", msg);
		rc = 2;
		goto out;
	}
	for (size_t i = 0; i < count && rc == 0; i++) {
		char where[64 + 4096];

		snprintf(where, sizeof where, " (%s:%d)", path, list[i].line);
		rc = cliw_anchor(st, &list[i].a, where, e);
		if (rc == 0)
			(*n)++;
	}
out:
	free(list);
	free(line);
	fclose(f);
	return rc;
}

int cli_log_verify(const struct cli_ctx *c, struct store *st, const struct cli_verify_opts *o,
		   struct err *e)
{
	struct shiftlog_verify_result r;
	struct shiftlog_anchor parsed[CLI_VERIFY_MAX_ANCHORS];
	struct witness_config w = { 0 };
	struct witness_verify_result wr;
	struct witness_ssh ssh;
	int64_t n_anchors = 0;
	int rc = -1;
	int x;

	/* Bad arguments first: a typo in an anchor must not look like a verdict. */
	for (int i = 0; i < o->n_anchor; i++) {
		int col = 0;

		if (shiftlog_anchor_parse(o->anchor[i], &parsed[i], &col)) {
			char msg[300];

			snprintf(msg, sizeof msg, "--anchor '%.120s': column %d: want ID:HASH (HASH: "
				 "64 lowercase hex digits)", o->anchor[i], col);
			cliw_put(stderr, "opsdeck log verify: ", msg);
			return 2;
		}
	}
	if (o->witness && witness_config_load(c->paths->config_file, &w, e)) {
		cliw_put(stderr, "opsdeck log verify: ", e->msg);
		return 2;
	}
	if (shiftlog_verify(st, &r, e))
		goto out;
	if (r.notes[0])
		cliw_put(stderr, "opsdeck log verify: note: ", r.notes);
	if (r.first_bad) {
		printf("FAILED: %s\n", r.reason);
		if (r.first_bad > 0)
			printf("first bad entry: #%" PRId64 "\n", r.first_bad);
		rc = 1;
		goto out;
	}
	for (int i = 0; i < o->n_anchor; i++) {
		if ((x = cliw_anchor(st, &parsed[i], "", e)) != 0) {
			rc = x;
			goto out;
		}
		n_anchors++;
	}
	if (o->anchors_file && (x = cliw_anchors_file(st, o->anchors_file, &n_anchors, e))) {
		rc = x;
		goto out;
	}
	if (o->witness) {
		cliw_ssh(c, &ssh);
		x = witness_verify(&w, &ssh, st, &wr, e);
		if (x == 3) {
			cliw_put(stdout, "FAILED: witness unreachable: ", e->msg);
			rc = 3;
			goto out;
		}
		if (x < 0) {
			cliw_put(stderr, "opsdeck log verify: ", e->msg);
			rc = 2;
			goto out;
		}
		if (wr.first_bad) {
			cliw_put(stdout, "FAILED: ", wr.reason);
			if (wr.first_bad > 0)
				printf("first bad entry: #%" PRId64 "\n", wr.first_bad);
			rc = 1;
			goto out;
		}
	}
	printf("ok: %" PRId64 " entries verified", r.checked);
	if (r.head_id)
		printf(", chain head #%" PRId64 " sha256 %s", r.head_id, r.head_hash);
	printf("\n");
	if (o->n_anchor || o->anchors_file)
		printf("ok: %" PRId64 " anchors match\n", n_anchors);
	if (o->witness)
		printf("ok: %" PRId64 " witness records match\n", wr.records);
	rc = 0;
out:
	witness_config_free(&w);
	return rc;
}

int cli_log_witness(const struct cli_ctx *c, struct store *st, struct err *e)
{
	struct witness_config w = { 0 };
	struct witness_state s = { 0 };
	struct witness_ssh ssh;
	char line[WITNESS_LINE_MAX] = "";
	int rc = 2;

	if (witness_config_load(c->paths->config_file, &w, e)) {
		cliw_put(stderr, "opsdeck log witness: ", e->msg);
		goto out;
	}
	if (!witness_configured(&w)) {
		fprintf(stderr, "opsdeck log witness: no witness configured (witness: {command: "
				"[...], files: [{host, path}]} in %s)\n", c->paths->config_file);
		goto out;
	}
	cliw_ssh(c, &ssh);
	if (witness_send(&w, &ssh, &s, st, true, line, e)) {
		cliw_put(stderr, "opsdeck log witness: ", e->msg);
		rc = line[0] ? 3 : 1; /* no line: the chain was broken or empty */
		goto out;
	}
	printf("%s\n", line);
	rc = 0;
out:
	witness_config_free(&w);
	return rc;
}

void cli_witness_after_handover(const struct cli_ctx *c, struct store *st)
{
	struct witness_config w = { 0 };
	struct witness_state s = { 0 };
	struct witness_ssh ssh;
	struct err e = { { 0 } };

	if (witness_config_load(c->paths->config_file, &w, &e)) {
		cliw_put(stderr, "opsdeck shift handover: warning: witness not sent: ", e.msg);
		return;
	}
	cliw_ssh(c, &ssh);
	if (witness_configured(&w) && witness_send(&w, &ssh, &s, st, true, NULL, &e))
		cliw_put(stderr, "opsdeck shift handover: warning: witness: ", e.msg);
	witness_config_free(&w);
}
