/* cli_shift: `opsdeck shift start|handover|end|status` for the OS user's shift. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "cli.h"
#include "cli_witness.h"
#include "shiftlog.h"

static int shift_status(struct store *st, struct err *e)
{
	struct shiftlog_shift sh;
	char started[32];
	int r = shiftlog_shift_current(st, &sh, e);

	if (r < 0)
		return -1;
	if (r == 0) {
		printf("%s: no open shift\n", shiftlog_operator());
		return 0;
	}
	clock_format_local(sh.started_ms, started, sizeof started);
	printf("%s: shift #%" PRId64 " open since %s%s\n", sh.operator_name, sh.id, started,
	       sh.handover_ms ? " (handed over)" : "");
	return 0;
}

int cli_shift(const struct cli_ctx *c, int argc, char **argv)
{
	struct store *st = NULL;
	struct err e = { { 0 } };
	const char *verb = argc > 1 ? argv[1] : NULL; /* argv[0] is "shift" */
	int64_t id = 0;
	int rc = 1;

	if (!verb || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fprintf(verb ? stdout : stderr,
			"usage: %s shift start      start your shift\n"
			"       %s shift handover   print the handover report and record it\n"
			"       %s shift end        end your shift\n"
			"       %s shift status     show your open shift\n",
			c->prog, c->prog, c->prog, c->prog);
		return verb ? 0 : 2;
	}
	if (argc > 2) {
		fprintf(stderr, "%s shift %s: unexpected argument '%s'\n", c->prog, verb, argv[2]);
		return 2;
	}
	if (strcmp(verb, "start") && strcmp(verb, "handover") && strcmp(verb, "end") &&
	    strcmp(verb, "status")) {
		fprintf(stderr, "%s shift: unknown action '%s' (start, handover, end, status)\n",
			c->prog, verb);
		return 2;
	}
	if (cli_open_store(c->paths, &st, &e))
		goto out;
	if (strcmp(verb, "start") == 0) {
		if (shiftlog_shift_start(st, &id, &e))
			goto out;
		printf("shift #%" PRId64 " started for %s\n", id, shiftlog_operator());
	} else if (strcmp(verb, "handover") == 0) {
		if (shiftlog_shift_handover(st, stdout, &e))
			goto out;
		/* After the report: a witness that fails is a warning, not a lost handover. */
		cli_witness_after_handover(c, st);
	} else if (strcmp(verb, "end") == 0) {
		if (shiftlog_shift_end(st, &e))
			goto out;
		printf("shift ended for %s\n", shiftlog_operator());
	} else if (shift_status(st, &e)) {
		goto out;
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "%s shift %s: %s\n", c->prog, verb, e.msg);
	store_close(&st);
	return rc;
}
