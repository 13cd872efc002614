/*
 * shiftlog: the operators' shift log, the audit trail of everything opsdeck does.
 *
 * Entries are append-only (triggers refuse UPDATE and DELETE); a mistake is fixed
 * by a correction entry that references the one it corrects. Each entry stores
 * SHA-256 over its own canonical content and the previous entry's hash, so
 * shiftlog_verify finds the first entry that was changed, removed or reordered.
 * The operator is always the OS user (getpwuid), never a typed name. Text is
 * sanitised (core/text) before it is stored, and again whenever it is shown.
 */
#ifndef OPSDECK_SHIFTLOG_H
#define OPSDECK_SHIFTLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "store.h"

#define SHIFTLOG_HASH_HEX 65 /* 64 hex digits and a NUL */

/* Categories and severities are fixed vocabularies (validated on append). */
extern const char *const shiftlog_categories[]; /* NULL-terminated */
extern const char *const shiftlog_severities[]; /* NULL-terminated, ascending */

bool shiftlog_category_valid(const char *c);
/* Returns the rank of a severity (0 = info ...), or -1 if unknown. */
int shiftlog_severity_rank(const char *s);

/* One log entry as read back. Strings are owned by the struct. */
struct shiftlog_entry {
	int64_t id;
	int64_t ts_ms;       /* UTC ms since the epoch */
	char *operator_name; /* OS user */
	int64_t shift_id;    /* 0 when no shift was open */
	char *category;
	char *severity;
	char *text;
	char *host;          /* NULL when none */
	int64_t incident_id; /* 0 when none */
	int64_t window_id;   /* 0 when none */
	int64_t run_id;      /* 0 when none */
	int64_t corrects;    /* id of the corrected entry, 0 when none */
	int64_t n_corrections; /* how many entries correct this one */
	char hash[SHIFTLOG_HASH_HEX];
};

/* Frees the strings inside e and zeroes it. */
void shiftlog_entry_clear(struct shiftlog_entry *e);

/* What a caller supplies to append. NULL or 0 means "none" / default. */
struct shiftlog_new {
	const char *category; /* default "note" */
	const char *severity; /* default "info" */
	const char *text;     /* required, non-empty after sanitising */
	const char *host;
	int64_t incident_id;
	int64_t window_id;
	int64_t run_id;
	int64_t corrects; /* must name an existing entry; category becomes "correction" */
};

/*
 * Appends one entry by the current OS user, linked to that user's open shift.
 * Commits before returning unless the caller already holds a transaction
 * (store_begin), in which case it joins it. Sets *id_out (may be NULL).
 * Returns 0, or -1 with e set (bad category or severity, empty text, unknown
 * corrected entry, database error); nothing is written on failure.
 */
int shiftlog_append(struct store *st, const struct shiftlog_new *n, int64_t *id_out,
		    struct err *e);

/* The OS user name (getpwuid(geteuid())), or "uid<N>". Static storage. */
const char *shiftlog_operator(void);

/* ---- queries: viewport-sized, never the whole log ---- */

struct shiftlog_filter {
	int64_t since_ms; /* 0: no lower bound (inclusive) */
	int64_t until_ms; /* 0: no upper bound (exclusive) */
	const char *category;     /* NULL: any */
	const char *min_severity; /* NULL: any; otherwise this rank or higher */
	const char *match;        /* NULL: any; text as typed over text and host: each word
				   * must appear (shiftlog_search_query); "fts:" + an FTS5 query */
	const char *host;         /* NULL: any */
	int64_t corrects;         /* nonzero: only corrections of this entry */
	int64_t min_id;           /* nonzero: only entries with id >= min_id */
	int64_t max_id;           /* nonzero: only entries with id <= max_id */
};

/* Direction of a keyset page relative to an anchor id. */
enum shiftlog_dir {
	SHIFTLOG_OLDER, /* id < anchor (anchor 0: from the newest), newest first */
	SHIFTLOG_NEWER, /* id > anchor (anchor 0: from the oldest), oldest first */
};

typedef int (*shiftlog_row_fn)(const struct shiftlog_entry *row, void *ud);

/*
 * The FTS5 query for a search as a person types it: each word a phrase ("..."
 * with inner quotes doubled), all of them required, so 10.0.0.5, /var/log,
 * lb-02, can't or AND are plain text. Text that starts with "fts:" is passed on
 * as FTS5 syntax (OR, NOT, prefix*, NEAR). The caller frees; NULL on no memory.
 */
char *shiftlog_search_query(const char *typed);

/*
 * Calls fn for up to limit entries that pass f, starting next to anchor in the
 * given direction (keyset pagination: cost depends on limit, not on the log's
 * size). fn returning non-zero stops the walk. The row is only valid during the
 * call. Returns the number of rows visited, or -1 with e set (for example a
 * malformed search query).
 */
int shiftlog_page(struct store *st, const struct shiftlog_filter *f, enum shiftlog_dir dir,
		  int64_t anchor, int limit, shiftlog_row_fn fn, void *ud, struct err *e);

/* Reads one entry by id into out (caller clears it). 0, or -1 with e set if absent. */
int shiftlog_get(struct store *st, int64_t id, struct shiftlog_entry *out, struct err *e);

/* Highest entry id, 0 when empty. */
int64_t shiftlog_last_id(struct store *st);

/* ---- integrity ---- */

struct shiftlog_verify_result {
	int64_t checked;  /* entries read */
	int64_t first_bad; /* id of the first entry that fails, -1 when the search index
			    * fails as a whole, 0 when everything matches */
	char reason[256];  /* why first_bad failed */
	char notes[160];   /* a check that could not run fully (read-only file), or "" */
	/* The chain head when everything matched (head_id 0: empty or failed). */
	int64_t head_id;
	int64_t head_ts_ms;
	char head_hash[SHIFTLOG_HASH_HEX];
	char head_operator[64];
};

/*
 * Walks the whole chain in id order and checks every entry: the stored type of
 * every hashed column (ts an integer, text columns text without a NUL, the hash
 * 64 bytes), its hash, no gap in the ids, time never going backwards (equal is
 * fine), then the search index (every entry present; FTS5's integrity check
 * unless the file is read-only). Joins the caller's transaction if one is open.
 * Returns 0 when the walk ran (check r->first_bad for the verdict), -1 with e set
 * on a database error.
 */
int shiftlog_verify(struct store *st, struct shiftlog_verify_result *r, struct err *e);

/* An anchor: an entry id and the chain hash it must have, "ID:HASH". */
struct shiftlog_anchor {
	int64_t id;
	char hash[SHIFTLOG_HASH_HEX];
};

/*
 * Parses a whole anchor line: "ID:HASH" ("#ID:HASH" too) or a handover's
 * "Log chain head: #ID sha256 HASH" (HASH: 64 lowercase hex digits). Returns 0,
 * or -1 with *col the 1-based column where it went wrong.
 */
int shiftlog_anchor_parse(const char *s, struct shiftlog_anchor *a, int *col);

/* Finds the first "ID:HASH" token in line (a witness record). true when found. */
bool shiftlog_anchor_find(const char *line, struct shiftlog_anchor *a);

/*
 * Checks one anchor against the database: 0 when entry a->id exists with hash
 * a->hash, 1 when it does not (why says which: a different hash, or the log ends
 * before it), -1 with e set on a database error.
 */
int shiftlog_anchor_check(struct store *st, const struct shiftlog_anchor *a, char *why,
			  size_t len, struct err *e);

/*
 * Writes the end of a handover report to out: "Log entries: N (chain verified)",
 * "Previous handover anchor: ID:HASH" (or "none"), and last "Log chain head: #ID
 * sha256 HASH". Fills entry_text with what the handover entry records ("chain head
 * ID:HASH, N entries"; "" for an empty log). Call only on a verified chain.
 */
int shiftlog_handover_trailer(struct store *st, FILE *out, char *entry_text, size_t len,
			      struct err *e);

/* Writes the hex SHA-256 chain hash of entry x given prev_hex ("" for the first). */
void shiftlog_hash(const struct shiftlog_entry *x, const char *prev_hex,
		   char out[SHIFTLOG_HASH_HEX]);

/* ---- export ---- */

enum shiftlog_format { SHIFTLOG_JSON, SHIFTLOG_CSV, SHIFTLOG_MARKDOWN, SHIFTLOG_TEXT };

/*
 * Writes s to out with Markdown's special characters backslash-escaped (table
 * pipes, emphasis, code, HTML, and link and image syntax: [ ] ( ) ! < >), so
 * log text cannot become a link or an image in an export or a handover. s must
 * already be sanitised; newlines are left as they are.
 */
void shiftlog_md_escape(FILE *out, const char *s);

/* Parses "json", "csv", "markdown" (or "md"), "text". -1 when unknown. */
int shiftlog_format_parse(const char *name);

/*
 * Writes every entry passing f, oldest first, to out in the given format. All
 * text is sanitised on the way out. Returns the number of entries, or -1 with e set.
 */
int64_t shiftlog_export(struct store *st, const struct shiftlog_filter *f,
			enum shiftlog_format fmt, FILE *out, struct err *e);

/* ---- shifts ---- */

struct shiftlog_shift {
	int64_t id;
	char operator_name[64];
	int64_t started_ms;
	int64_t handover_ms; /* 0 until handed over */
	int64_t ended_ms;    /* 0 while open */
};

/*
 * The current OS user's open shift. Returns 1 and fills out when there is one,
 * 0 when none, -1 with e set on error.
 */
int shiftlog_shift_current(struct store *st, struct shiftlog_shift *out, struct err *e);

/* Starts a shift for the OS user (error if one is already open) and logs it. */
int shiftlog_shift_start(struct store *st, int64_t *id_out, struct err *e);

/*
 * Writes the handover report for the user's open shift to out (markdown: entries
 * of the shift grouped by category, alarms and corrections first, counts, then
 * shiftlog_handover_trailer's anchor lines), logs a handover entry (recording the
 * chain head it printed) and marks the shift handed over. The chain is verified
 * first under the write lock: on a broken chain nothing is printed or recorded
 * and e names the first bad entry. The shift stays open until shiftlog_shift_end.
 * Error if no shift is open.
 */
int shiftlog_shift_handover(struct store *st, FILE *out, struct err *e);

/* Ends the user's open shift and logs it. Error if none is open. */
int shiftlog_shift_end(struct store *st, struct err *e);

#endif
