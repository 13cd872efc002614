/*
 * cli_witness: the integrity side of `opsdeck log`: `log verify [--anchor ID:HASH]...
 * [--anchors FILE] [--witness]` and `log witness`. Called from cli_log.c's verb table.
 */
#ifndef OPSDECK_CLI_WITNESS_H
#define OPSDECK_CLI_WITNESS_H

#include "cli.h"
#include "err.h"
#include "store.h"

#define CLI_VERIFY_MAX_ANCHORS 32

struct cli_verify_opts {
	const char *anchor[CLI_VERIFY_MAX_ANCHORS]; /* --anchor values, as given */
	int n_anchor;
	const char *anchors_file; /* --anchors FILE, or NULL */
	int witness;              /* --witness */
};

/*
 * `log verify`: the chain, then each anchor, then the witnesses. Prints the
 * verdict on stdout. Returns the exit code: 0 all match, 1 a mismatch (named),
 * 2 a malformed anchor or anchors file (FILE:LINE:COL: message on stderr) or a
 * bad witness config, 3 a witness could not be read; -1 with e set on a database
 * error.
 */
int cli_log_verify(const struct cli_ctx *c, struct store *st, const struct cli_verify_opts *o,
		   struct err *e);

/*
 * `log witness`: sends the verified chain head to every configured witness now
 * and prints the record sent. Returns 0, 1 (broken chain: nothing sent), 2 (no
 * witness configured or a bad config), 3 (a witness failed); -1 with e set.
 */
int cli_log_witness(const struct cli_ctx *c, struct store *st, struct err *e);

/*
 * After a handover: sends the head to the witnesses when any are configured.
 * Problems are warnings on stderr (the handover is already recorded).
 */
void cli_witness_after_handover(const struct cli_ctx *c, struct store *st);

#endif
