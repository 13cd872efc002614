/*
 * witness: copies of the shift log's chain head kept outside the database, so a
 * rewrite of the whole chain (which `log verify` alone cannot see) shows.
 *
 * config.yaml:
 *   witness:
 *     every: 15m                      # how often the console sends a new head (s, m, h)
 *     command: [logger, -t, opsdeck]  # argv, no shell: gets the line on stdin
 *     verify_command: [cat, /var/log/opsdeck-witness]   # prints what it recorded
 *     files:                          # appended to over the fleet's SSH
 *       - {host: logkeeper, path: /var/lib/opsdeck/witness}
 *
 * A record is one line "ID:HASH TS OPERATOR\n": the chain head's entry id, its
 * chain hash (64 lowercase hex), its time (UTC, YYYY-MM-DDTHH:MM:SSZ) and the
 * operator who sent it. Reading back, each line's first "ID:HASH" token counts
 * (so syslog prefixes are fine); lines without one are skipped.
 */
#ifndef OPSDECK_WITNESS_H
#define OPSDECK_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "shiftlog.h"
#include "store.h"

#define WITNESS_LINE_MAX 256 /* a record line and its NUL */

struct witness_file {
	char *host; /* an inventory host name */
	char *path; /* on that host; shell-quoted when used */
};

struct witness_config {
	int64_t every_ms;      /* 0: no periodic sends */
	char **command;        /* NULL-terminated argv, NULL when none */
	char **verify_command; /* NULL-terminated argv, NULL when none */
	struct witness_file *files;
	size_t n_files;
};

/* How file witnesses are reached: the fleet's own settings. */
struct witness_ssh {
	const char *inventory;   /* inventory.yaml that names the witness hosts */
	const char *known_hosts; /* NULL: the fleet default */
	const char *ssh_config;  /* NULL: the fleet default; "" none */
	int timeout_ms;          /* per witness, connect included (0: 30 s) */
};

/* When a head was last sent (the console keeps one; zero it to start). */
struct witness_state {
	int64_t last_sent_ms;
	int64_t last_id;
	char last_hash[SHIFTLOG_HASH_HEX];
};

/*
 * Reads the `witness` key of config_path into w (zeroed first; free with
 * witness_config_free). A missing file or key leaves w empty and returns 0.
 * Returns -1 with e = "file:line:col: message" for a bad value.
 */
int witness_config_load(const char *config_path, struct witness_config *w, struct err *e);

void witness_config_free(struct witness_config *w);

/* True when at least one witness (command or file) is configured. */
bool witness_configured(const struct witness_config *w);

/* True when the console should send now: every is set and has passed since the last send. */
bool witness_due(const struct witness_config *w, const struct witness_state *s, int64_t now_ms);

/*
 * Verifies the chain, then sends its head's record to every witness (the command
 * gets it on stdin; each file gets it appended with `printf '%s\n' LINE >> PATH`
 * over SSH). Without force, a head already sent (s) is not sent again. The line
 * sent is copied to line_out (may be NULL; WITNESS_LINE_MAX bytes). Returns 0 when
 * sent everywhere, 1 when there was nothing new, -1 with e set when the chain is
 * broken (nothing sent) or a witness failed (the others were still tried).
 */
int witness_send(const struct witness_config *w, const struct witness_ssh *ssh,
		 struct witness_state *s, struct store *st, bool force, char *line_out,
		 struct err *e);

struct witness_verify_result {
	int64_t records;   /* records read from all witnesses */
	int64_t first_bad; /* lowest entry id where a witness and the log disagree, 0 none */
	char reason[400];  /* which witness and why */
};

/*
 * Reads back every witness (verify_command's stdout; each file over SSH) and
 * checks every record against the log. Returns 0 when the walk ran (see
 * r->first_bad; a witness with no records counts as disagreeing), 3 with e set
 * when a witness cannot be read (it did not run, failed, or its host did not
 * answer), -1 with e set for anything else (no verify_command with a command
 * witness, a database error).
 */
int witness_verify(const struct witness_config *w, const struct witness_ssh *ssh,
		   struct store *st, struct witness_verify_result *r, struct err *e);

#endif
