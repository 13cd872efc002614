/*
 * shiftlog: the operators' append-only, hash-chained shift log, and shifts.
 *
 * Chain: hash(n) = SHA-256(canonical(entry n) || hash(n-1)), hex encoded. The
 * canonical form length-prefixes every field, so no two different entries share
 * one. Appends take the write lock first (BEGIN IMMEDIATE) so two processes can
 * never both chain onto the same predecessor.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "clock.h"
#include "shiftlog.h"
#include "store_sql.h"
#include "text.h"

const char *const shiftlog_categories[] = {
	"note", "action", "alarm", "handover", "correction", "shift", "system", NULL,
};

const char *const shiftlog_severities[] = {
	"info", "notice", "warning", "critical", NULL,
};

/* Column list shared by every query that fills a struct shiftlog_entry. */
#define ENTRY_COLUMNS                                                                      \
	"e.id, e.ts, e.operator, e.shift_id, e.category, e.severity, e.text, e.host, "     \
	"e.incident_id, e.window_id, e.run_id, e.corrects, e.hash, "                       \
	"(SELECT count(*) FROM log_entries c WHERE c.corrects = e.id)"

bool shiftlog_category_valid(const char *c)
{
	for (size_t i = 0; c && shiftlog_categories[i]; i++)
		if (strcmp(c, shiftlog_categories[i]) == 0)
			return true;
	return false;
}

int shiftlog_severity_rank(const char *s)
{
	for (int i = 0; s && shiftlog_severities[i]; i++)
		if (strcmp(s, shiftlog_severities[i]) == 0)
			return i;
	return -1;
}

const char *shiftlog_operator(void)
{
	static char name[64];
	struct passwd *pw = NULL;

	if (name[0])
		return name;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(name, sizeof name, "%s", pw->pw_name);
	else
		snprintf(name, sizeof name, "uid%u", (unsigned)geteuid());
	return name;
}

void shiftlog_entry_clear(struct shiftlog_entry *x)
{
	free(x->operator_name);
	free(x->category);
	free(x->severity);
	free(x->text);
	free(x->host);
	memset(x, 0, sizeof *x);
}

/* ---- hashing ---- */

struct hashbuf {
	unsigned char *p;
	size_t len, cap;
};

static int hb_put(struct hashbuf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 512;
		unsigned char *np = NULL;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* A field as "<len>:<bytes>;" (NULL as "-;"), so field boundaries are unambiguous. */
static int hb_field(struct hashbuf *b, const char *s)
{
	char num[32];
	int n;

	if (!s)
		return hb_put(b, "-;", 2);
	n = snprintf(num, sizeof num, "%zu:", strlen(s));
	return hb_put(b, num, (size_t)n) || hb_put(b, s, strlen(s)) || hb_put(b, ";", 1);
}

static int hb_int(struct hashbuf *b, int64_t v)
{
	char num[32];

	snprintf(num, sizeof num, "%" PRId64, v);
	return hb_field(b, num);
}

void shiftlog_hash(const struct shiftlog_entry *x, const char *prev_hex,
		   char out[SHIFTLOG_HASH_HEX])
{
	static const char hex[] = "0123456789abcdef";
	struct hashbuf b = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int bad = 0;

	bad |= hb_field(&b, "opsdeck-log-v1");
	bad |= hb_int(&b, x->id);
	bad |= hb_int(&b, x->ts_ms);
	bad |= hb_field(&b, x->operator_name);
	bad |= hb_int(&b, x->shift_id);
	bad |= hb_field(&b, x->category);
	bad |= hb_field(&b, x->severity);
	bad |= hb_field(&b, x->text);
	bad |= hb_field(&b, x->host);
	bad |= hb_int(&b, x->incident_id);
	bad |= hb_int(&b, x->window_id);
	bad |= hb_int(&b, x->run_id);
	bad |= hb_int(&b, x->corrects);
	bad |= hb_field(&b, prev_hex ? prev_hex : "");
	if (bad || !EVP_Digest(b.p, b.len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		/* Out of memory: a hash that can never verify, rather than a wrong one. */
		memset(out, 'x', SHIFTLOG_HASH_HEX - 1);
		out[SHIFTLOG_HASH_HEX - 1] = '\0';
		free(b.p);
		return;
	}
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	free(b.p);
}

/* ---- rows ---- */

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

/* Fills x from a row of ENTRY_COLUMNS starting at column 0. x owns the strings. */
static int row_to_entry(sqlite3_stmt *s, struct shiftlog_entry *x)
{
	const unsigned char *h = NULL;

	memset(x, 0, sizeof *x);
	x->id = sqlite3_column_int64(s, 0);
	x->ts_ms = sqlite3_column_int64(s, 1);
	x->operator_name = col_dup(s, 2);
	x->shift_id = sqlite3_column_int64(s, 3);
	x->category = col_dup(s, 4);
	x->severity = col_dup(s, 5);
	x->text = col_dup(s, 6);
	x->host = col_dup(s, 7);
	x->incident_id = sqlite3_column_int64(s, 8);
	x->window_id = sqlite3_column_int64(s, 9);
	x->run_id = sqlite3_column_int64(s, 10);
	x->corrects = sqlite3_column_int64(s, 11);
	h = sqlite3_column_text(s, 12);
	snprintf(x->hash, sizeof x->hash, "%s", h ? (const char *)h : "");
	x->n_corrections = sqlite3_column_int64(s, 13);
	if (!x->operator_name || !x->category || !x->severity || !x->text ||
	    (sqlite3_column_type(s, 7) != SQLITE_NULL && !x->host)) {
		shiftlog_entry_clear(x);
		return -1;
	}
	return 0;
}

static void bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* ---- shifts ---- */

static const char SQL_OPEN_SHIFT[] =
	"SELECT id, operator, started_at, coalesce(handover_at, 0) FROM shifts "
	"WHERE operator = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1";

int shiftlog_shift_current(struct store *st, struct shiftlog_shift *out, struct err *e)
{
	sqlite3_stmt *s = store_stmt(st, SQL_OPEN_SHIFT, e);
	int rc = -1;

	if (!s)
		return -1;
	memset(out, 0, sizeof *out);
	sqlite3_bind_text(s, 1, shiftlog_operator(), -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		out->id = sqlite3_column_int64(s, 0);
		snprintf(out->operator_name, sizeof out->operator_name, "%s",
			 (const char *)sqlite3_column_text(s, 1));
		out->started_ms = sqlite3_column_int64(s, 2);
		out->handover_ms = sqlite3_column_int64(s, 3);
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	}
	store_stmt_done(s);
	return rc;
}

/* ---- append ---- */

static const char SQL_LAST[] = "SELECT id, hash, ts FROM log_entries ORDER BY id DESC LIMIT 1";
static const char SQL_EXISTS[] = "SELECT 1 FROM log_entries WHERE id = ?";
static const char SQL_INSERT[] =
	"INSERT INTO log_entries(id, ts, operator, shift_id, category, severity, text, host,"
	" incident_id, window_id, run_id, corrects, hash)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* Does the work of shiftlog_append inside an open transaction. */
static int append_locked(struct store *st, struct shiftlog_entry *x, struct err *e)
{
	sqlite3_stmt *s = NULL;
	char prev[SHIFTLOG_HASH_HEX] = "";
	struct shiftlog_shift sh;
	int rc = -1;
	int r;

	if (!(s = store_stmt(st, SQL_LAST, e)))
		goto out;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		x->id = sqlite3_column_int64(s, 0) + 1;
		snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(s, 1));
		/* Time never goes backwards along the chain (verify checks it): after a
		 * clock step back, an entry takes its predecessor's time. */
		if (x->ts_ms < sqlite3_column_int64(s, 2))
			x->ts_ms = sqlite3_column_int64(s, 2);
	} else if (r == SQLITE_DONE) {
		x->id = 1;
	} else {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	store_stmt_done(s);
	if (x->corrects) {
		if (!(s = store_stmt(st, SQL_EXISTS, e)))
			goto out;
		sqlite3_bind_int64(s, 1, x->corrects);
		if (sqlite3_step(s) != SQLITE_ROW) {
			err_set(e, "no log entry #%" PRId64 " to correct", x->corrects);
			goto out;
		}
		store_stmt_done(s);
	}
	r = shiftlog_shift_current(st, &sh, e);
	if (r < 0)
		goto out;
	x->shift_id = r ? sh.id : 0;
	shiftlog_hash(x, prev, x->hash);

	if (!(s = store_stmt(st, SQL_INSERT, e)))
		goto out;
	sqlite3_bind_int64(s, 1, x->id);
	sqlite3_bind_int64(s, 2, x->ts_ms);
	sqlite3_bind_text(s, 3, x->operator_name, -1, SQLITE_STATIC);
	bind_opt_int(s, 4, x->shift_id);
	sqlite3_bind_text(s, 5, x->category, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, x->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, x->text, -1, SQLITE_STATIC);
	bind_opt_text(s, 8, x->host);
	bind_opt_int(s, 9, x->incident_id);
	bind_opt_int(s, 10, x->window_id);
	bind_opt_int(s, 11, x->run_id);
	bind_opt_int(s, 12, x->corrects);
	sqlite3_bind_text(s, 13, x->hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	rc = 0;
out:
	store_stmt_done(s);
	return rc;
}

int shiftlog_append(struct store *st, const struct shiftlog_new *n, int64_t *id_out,
		    struct err *e)
{
	struct shiftlog_entry x;
	bool own_txn = !store_in_txn(st);
	const char *category = n->category ? n->category : "note";
	const char *severity = n->severity ? n->severity : "info";
	int rc = -1;

	memset(&x, 0, sizeof x);
	if (n->corrects)
		category = "correction";
	if (!shiftlog_category_valid(category)) {
		err_set(e, "unknown category '%.64s' (one of: note, action, alarm, handover, "
			   "correction, shift, system)", category);
		goto out;
	}
	if (shiftlog_severity_rank(severity) < 0) {
		err_set(e, "unknown severity '%.64s' (one of: info, notice, warning, critical)",
			severity);
		goto out;
	}
	if (n->corrects < 0 || n->incident_id < 0 || n->window_id < 0 || n->run_id < 0) {
		err_set(e, "references must be positive ids");
		goto out;
	}
	/* Sanitise at the boundary, so the stored and hashed text is already safe. */
	x.text = text_sanitize_str(n->text, TEXT_KEEP_NEWLINES);
	x.host = n->host && *n->host ? text_sanitize_str(n->host, 0) : NULL;
	x.operator_name = strdup(shiftlog_operator());
	x.category = strdup(category);
	x.severity = strdup(severity);
	if (!x.text || !x.operator_name || !x.category || !x.severity ||
	    (n->host && *n->host && !x.host)) {
		err_set(e, "out of memory");
		goto out;
	}
	if (x.text[strspn(x.text, " \t\n")] == '\0') {
		err_set(e, "empty log text");
		goto out;
	}
	x.ts_ms = clock_now_ms();
	x.incident_id = n->incident_id;
	x.window_id = n->window_id;
	x.run_id = n->run_id;
	x.corrects = n->corrects;

	if (own_txn && store_begin(st, e))
		goto out;
	if (append_locked(st, &x, e)) {
		if (own_txn)
			store_rollback(st);
		goto out;
	}
	/* The commit is the acknowledgement: only after it does the caller hear "saved". */
	if (own_txn && store_commit(st, e))
		goto out;
	if (id_out)
		*id_out = x.id;
	rc = 0;
out:
	shiftlog_entry_clear(&x);
	return rc;
}

/* ---- queries ---- */

int64_t shiftlog_last_id(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQL_LAST, NULL);
	int64_t id = 0;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	return id;
}

int shiftlog_get(struct store *st, int64_t id, struct shiftlog_entry *out, struct err *e)
{
	static const char sql[] = "SELECT " ENTRY_COLUMNS " FROM log_entries e WHERE e.id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, e);
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (row_to_entry(s, out) == 0)
			rc = 0;
		else
			err_set(e, "out of memory");
		break;
	case SQLITE_DONE:
		err_set(e, "no log entry #%" PRId64, id);
		break;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	}
	store_stmt_done(s);
	return rc;
}

char *shiftlog_search_query(const char *typed)
{
	const char *p = typed ? typed : "";
	size_t cap = 3 * strlen(p) + 1, used = 0;
	char *q = NULL;

	if (strncmp(p, "fts:", 4) == 0)
		return strdup(p + 4);
	if (!(q = malloc(cap)))
		return NULL;
	q[0] = '\0';
	/* Each word becomes a phrase ("..." with inner quotes doubled), all required:
	 * an address, a path, a version, a hyphenated name or "AND" is plain text.
	 * A word ending in * keeps its meaning: the words that start with it. */
	while (*(p += strspn(p, " \t\n"))) {
		size_t n = strcspn(p, " \t\n");
		bool prefix = n > 1 && p[n - 1] == '*';

		if (used)
			q[used++] = ' ';
		q[used++] = '"';
		for (size_t k = 0; k < n - prefix; k++) {
			if (p[k] == '"')
				q[used++] = '"';
			q[used++] = p[k];
		}
		q[used++] = '"';
		if (prefix)
			q[used++] = '*';
		q[used] = '\0';
		p += n;
	}
	return q;
}

/* Adds " AND <id_col><cond>" with one value: a condition on the walk's id column. */
static void page_id_cond(struct store_sql *q, const char *id_col, const char *cond,
			 struct store_val v)
{
	store_sql_cat(q, " AND ");
	store_sql_cat(q, id_col);
	store_sql_cat(q, cond);
	store_sql_val(q, v);
}

/*
 * Builds and prepares the page query for f. Only fixed SQL fragments are joined;
 * every value is bound. With a text match the walk runs over the FTS index in
 * rowid order, so LIMIT stops it early instead of collecting every match.
 */
static sqlite3_stmt *prepare_page(struct store *st, const struct shiftlog_filter *f,
				  enum shiftlog_dir dir, int64_t anchor, int limit, struct err *e)
{
	struct store_sql q;
	sqlite3_stmt *s = NULL;
	struct store_val sev[8];
	size_t nsev = 0;
	char *match = NULL;
	bool fts = f->match && *f->match;
	const char *id_col = fts ? "f.rowid" : "e.id";
	int min_rank = f->min_severity ? shiftlog_severity_rank(f->min_severity) : 0;

	if (f->min_severity && min_rank < 0) {
		err_set(e, "unknown severity '%.64s' (one of: info, notice, warning, critical)",
			f->min_severity);
		return NULL;
	}
	if (f->category && !shiftlog_category_valid(f->category)) {
		err_set(e, "unknown category '%.64s'", f->category);
		return NULL;
	}
	if (fts && !(match = shiftlog_search_query(f->match))) {
		err_set(e, "out of memory");
		return NULL;
	}
	store_sql_init(&q, "SELECT " ENTRY_COLUMNS);
	if (fts) {
		store_sql_cat(&q, " FROM log_fts f JOIN log_entries e ON e.id = f.rowid"
				  " WHERE log_fts MATCH ?");
		store_sql_val(&q, STORE_TEXT(match));
	} else {
		store_sql_cat(&q, " FROM log_entries e WHERE 1");
	}
	if (anchor > 0)
		page_id_cond(&q, id_col, dir == SHIFTLOG_OLDER ? " < ?" : " > ?", STORE_INT(anchor));
	if (f->min_id)
		page_id_cond(&q, id_col, " >= ?", STORE_INT(f->min_id));
	if (f->max_id)
		page_id_cond(&q, id_col, " <= ?", STORE_INT(f->max_id));
	/*
	 * Time bounds also become id bounds (the smallest id at or after since, the
	 * largest before until, each one index probe), so a keyset walk stops at
	 * the edge of the window instead of scanning the rest of the log. They are
	 * exact even if the clock once went backwards: min/max run over matching rows.
	 */
	if (f->since_ms) {
		store_sql_and(&q, "e.ts >= ?", STORE_INT(f->since_ms));
		page_id_cond(&q, id_col, " >= (SELECT min(id) FROM log_entries WHERE ts >= ?)",
			     STORE_INT(f->since_ms));
	}
	if (f->until_ms) {
		store_sql_and(&q, "e.ts < ?", STORE_INT(f->until_ms));
		page_id_cond(&q, id_col, " <= (SELECT max(id) FROM log_entries WHERE ts < ?)",
			     STORE_INT(f->until_ms));
	}
	if (f->category)
		store_sql_and(&q, "e.category = ?", STORE_TEXT(f->category));
	if (f->host)
		store_sql_and(&q, "e.host = ?", STORE_TEXT(f->host));
	if (f->corrects)
		store_sql_and(&q, "e.corrects = ?", STORE_INT(f->corrects));
	if (min_rank > 0) {
		for (int r = min_rank; shiftlog_severities[r] && nsev < 8; r++)
			sev[nsev++] = STORE_TEXT(shiftlog_severities[r]);
		store_sql_in(&q, "e.severity", sev, nsev);
	}
	store_sql_cat(&q, " ORDER BY ");
	store_sql_cat(&q, id_col);
	store_sql_cat(&q, dir == SHIFTLOG_OLDER ? " DESC LIMIT ?" : " ASC LIMIT ?");
	store_sql_val(&q, STORE_INT(limit));
	s = store_sql_prepare(st, &q, e);
	free(match); /* bound as a copy */
	return s;
}

/* FTS5 reports query syntax problems as generic errors; say what the person can fix. */
static void page_error(struct store *st, const struct shiftlog_filter *f, struct err *e)
{
	const char *msg = sqlite3_errmsg(store_db(st));

	if (f->match && *f->match)
		err_set(e, "bad search query '%.200s': %s", f->match, msg);
	else
		err_set(e, "%s: %s", store_path(st), msg);
}

int shiftlog_page(struct store *st, const struct shiftlog_filter *f, enum shiftlog_dir dir,
		  int64_t anchor, int limit, shiftlog_row_fn fn, void *ud, struct err *e)
{
	static const struct shiftlog_filter none;
	sqlite3_stmt *s = NULL;
	struct shiftlog_entry x;
	int n = 0;
	int r;

	if (!f)
		f = &none;
	if (limit <= 0)
		return 0;
	s = prepare_page(st, f, dir, anchor, limit, e);
	if (!s) {
		if (f->match && *f->match)
			page_error(st, f, e);
		return -1;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_to_entry(s, &x)) {
			err_set(e, "out of memory");
			n = -1;
			goto out;
		}
		n++;
		r = fn(&x, ud);
		shiftlog_entry_clear(&x);
		if (r)
			goto out;
	}
	if (r != SQLITE_DONE) {
		page_error(st, f, e);
		n = -1;
	}
out:
	sqlite3_finalize(s);
	return n;
}

/* ---- verify ---- */

/*
 * The stored type of every hashed column. The hash is computed over values as the
 * C API converts them (a REAL ts to an integer, text up to its first NUL), so a
 * value of another type, or text with a NUL in it, could hide bytes the hash does
 * not cover: verify refuses both instead of converting.
 */
static const struct {
	int col;
	const char *name;
	int type;      /* SQLITE_INTEGER or SQLITE_TEXT */
	bool nullable; /* a NULL is allowed (an optional reference or host) */
} verify_cols[] = {
	{ 0, "id", SQLITE_INTEGER, false },      { 1, "ts", SQLITE_INTEGER, false },
	{ 2, "operator", SQLITE_TEXT, false },   { 3, "shift_id", SQLITE_INTEGER, true },
	{ 4, "category", SQLITE_TEXT, false },   { 5, "severity", SQLITE_TEXT, false },
	{ 6, "text", SQLITE_TEXT, false },       { 7, "host", SQLITE_TEXT, true },
	{ 8, "incident_id", SQLITE_INTEGER, true }, { 9, "window_id", SQLITE_INTEGER, true },
	{ 10, "run_id", SQLITE_INTEGER, true },  { 11, "corrects", SQLITE_INTEGER, true },
	{ 12, "hash", SQLITE_TEXT, false },
};

static const char *verify_type_name(int t)
{
	static const char *const names[] = {
		[SQLITE_INTEGER] = "an integer", [SQLITE_FLOAT] = "a real number",
		[SQLITE_TEXT] = "text",          [SQLITE_BLOB] = "a blob",
		[SQLITE_NULL] = "NULL",
	};

	return t > 0 && t <= SQLITE_NULL ? names[t] : "unknown";
}

/*
 * Checks the stored form of the current row against verify_cols before anything
 * converts it. Returns 0, or -1 with why filled.
 */
static int verify_row_types(sqlite3_stmt *s, int64_t id, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof verify_cols / sizeof verify_cols[0]; i++) {
		int c = verify_cols[i].col;
		int t = sqlite3_column_type(s, c);

		if (t == SQLITE_NULL && verify_cols[i].nullable)
			continue;
		if (t != verify_cols[i].type) {
			snprintf(why, len, "entry #%" PRId64 " stores %s as %s, not %s: bytes the "
				 "hash does not cover", id, verify_cols[i].name, verify_type_name(t),
				 verify_type_name(verify_cols[i].type));
			return -1;
		}
		if (t == SQLITE_TEXT) {
			const unsigned char *p = sqlite3_column_text(s, c);
			int n = sqlite3_column_bytes(s, c);

			if (p && memchr(p, '\0', (size_t)n)) {
				snprintf(why, len, "entry #%" PRId64 " has a NUL byte in %s: bytes the "
					 "hash does not cover", id, verify_cols[i].name);
				return -1;
			}
			if (c == 12 && n != SHIFTLOG_HASH_HEX - 1) {
				snprintf(why, len, "entry #%" PRId64 " has a hash of %d bytes, not 64",
					 id, n);
				return -1;
			}
		} else if (verify_cols[i].nullable && sqlite3_column_int64(s, c) <= 0) {
			/* 0 and NULL hash alike; append stores NULL, so 0 is not ours. */
			snprintf(why, len, "entry #%" PRId64 " has %s %" PRId64 " (a reference is a "
				 "positive id or NULL)", id, verify_cols[i].name,
				 (int64_t)sqlite3_column_int64(s, c));
			return -1;
		}
	}
	return 0;
}

/*
 * The search index must hold every entry: removing one from log_fts hides it from
 * `log search` without touching the chain. verify_fts_rows is a cheap check, in the
 * walk's snapshot, that works on a read-only file: every entry has its row in the
 * index's docsize table.
 */
static int verify_fts_rows(struct store *st, struct shiftlog_verify_result *res, struct err *e)
{
	static const char missing[] =
		"SELECT e.id FROM log_entries e WHERE NOT EXISTS"
		" (SELECT 1 FROM log_fts_docsize d WHERE d.id = e.id) ORDER BY e.id LIMIT 1";
	sqlite3_stmt *s = NULL;
	int r;

	if (!(s = store_prepare(st, missing, e)))
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		res->first_bad = sqlite3_column_int64(s, 0);
		snprintf(res->reason, sizeof res->reason,
			 "entry #%" PRId64 " is missing from the search index (removed from "
			 "log_fts)", res->first_bad);
	}
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return 0;
}

/*
 * FTS5's own integrity check of the index against the content table
 * (store_fts_check: on a read-only store it runs on a copy in memory). It is a
 * write statement: run outside the walk's read transaction (upgrading that one
 * could fail on a newer snapshot), or inside the caller's write transaction.
 */
static int verify_fts_index(struct store *st, struct shiftlog_verify_result *res,
			    struct err *e)
{
	struct err fe = { { 0 } };
	int r = store_fts_check(st, "log_fts", &fe);

	if (r == 0)
		return 0;
	if (r == 1) {
		snprintf(res->notes, sizeof res->notes,
			 "read-only file over 64 MiB: the search index was checked for missing "
			 "entries only");
		return 0;
	}
	/* FTS5 reports a mismatch as corruption; anything else is an error of the check. */
	if (strstr(fe.msg, "malformed")) {
		res->first_bad = -1;
		snprintf(res->reason, sizeof res->reason,
			 "the search index does not match the log (log_fts was edited)");
		return 0;
	}
	err_set(e, "search index check: %s", fe.msg);
	return -1;
}

int shiftlog_verify(struct store *st, struct shiftlog_verify_result *res, struct err *e)
{
	/* No correction count here: verify reads each row once, in order. */
	static const char sql[] =
		"SELECT e.id, e.ts, e.operator, e.shift_id, e.category, e.severity, e.text, e.host,"
		" e.incident_id, e.window_id, e.run_id, e.corrects, e.hash, 0"
		" FROM log_entries e ORDER BY e.id";
	sqlite3_stmt *s = NULL;
	struct shiftlog_entry x;
	char prev[SHIFTLOG_HASH_HEX] = "";
	char want[SHIFTLOG_HASH_HEX];
	int64_t prev_id = 0, prev_ts = INT64_MIN;
	bool own_txn = !store_in_txn(st);
	int rc = -1;
	int r;

	memset(res, 0, sizeof *res);
	/* One read transaction: the walk sees a single consistent snapshot. */
	if (own_txn && store_exec(st, "BEGIN", e))
		return -1;
	if (!(s = store_prepare(st, sql, e)))
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		res->checked++;
		if (verify_row_types(s, id, res->reason, sizeof res->reason)) {
			res->first_bad = id;
			break;
		}
		if (row_to_entry(s, &x)) {
			err_set(e, "out of memory");
			goto out;
		}
		shiftlog_hash(&x, prev, want);
		if (x.id != prev_id + 1) {
			res->first_bad = x.id;
			snprintf(res->reason, sizeof res->reason,
				 "entry #%" PRId64 " follows #%" PRId64 ": entries are missing",
				 x.id, prev_id);
		} else if (strcmp(want, x.hash) != 0) {
			res->first_bad = x.id;
			snprintf(res->reason, sizeof res->reason,
				 "entry #%" PRId64 " does not match its hash: its content, or the "
				 "entry before it, was changed", x.id);
		} else if (x.ts_ms < prev_ts) {
			res->first_bad = x.id;
			snprintf(res->reason, sizeof res->reason,
				 "entry #%" PRId64 " is older than entry #%" PRId64 ": time went "
				 "backwards", x.id, prev_id);
		}
		snprintf(prev, sizeof prev, "%s", x.hash);
		prev_id = x.id;
		prev_ts = x.ts_ms;
		if (!res->first_bad) {
			res->head_id = x.id;
			res->head_ts_ms = x.ts_ms;
			snprintf(res->head_hash, sizeof res->head_hash, "%s", x.hash);
			snprintf(res->head_operator, sizeof res->head_operator, "%s", x.operator_name);
		}
		shiftlog_entry_clear(&x);
		if (res->first_bad)
			break;
	}
	if (!res->first_bad && r != SQLITE_DONE) {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (!res->first_bad && verify_fts_rows(st, res, e))
		goto out;
	if (own_txn) {
		sqlite3_exec(store_db(st), "COMMIT", NULL, NULL, NULL);
		own_txn = false;
	}
	if (!res->first_bad && verify_fts_index(st, res, e))
		goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	if (own_txn)
		sqlite3_exec(store_db(st), "COMMIT", NULL, NULL, NULL);
	if (res->first_bad)
		res->head_id = 0, res->head_hash[0] = '\0';
	return rc;
}

/* ---- anchors ---- */

static bool anchor_is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Reads "ID:HASH" (ID may start with '#') at p; returns the bytes used, or 0. */
static size_t anchor_scan(const char *p, struct shiftlog_anchor *a)
{
	const char *q = p;
	int64_t id = 0;

	if (*q == '#')
		q++;
	if (*q < '1' || *q > '9')
		return 0;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (id > (INT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (*q - '0');
	}
	if (*q != ':' || strlen(q + 1) < SHIFTLOG_HASH_HEX - 1 ||
	    !anchor_is_hex(q + 1, SHIFTLOG_HASH_HEX - 1))
		return 0;
	q += 1 + SHIFTLOG_HASH_HEX - 1;
	a->id = id;
	memcpy(a->hash, q - (SHIFTLOG_HASH_HEX - 1), SHIFTLOG_HASH_HEX - 1);
	a->hash[SHIFTLOG_HASH_HEX - 1] = '\0';
	return (size_t)(q - p);
}

int shiftlog_anchor_parse(const char *s, struct shiftlog_anchor *a, int *col)
{
	static const char head[] = "Log chain head: #";
	const char *p = s;
	size_t n;

	memset(a, 0, sizeof *a);
	*col = 1;
	if (strncmp(p, head, sizeof head - 2) == 0) {
		/* "Log chain head: #ID sha256 HASH", as a handover report ends. */
		char buf[32 + SHIFTLOG_HASH_HEX];
		const char *sp = NULL;
		int idlen;

		p += sizeof head - 2;
		if (*p != '#') {
			*col = (int)(p - s) + 1;
			return -1;
		}
		sp = strstr(p, " sha256 ");
		idlen = sp ? (int)(sp - p) : 0;
		if (!sp || idlen > 20) {
			*col = (int)(p - s) + 1;
			return -1;
		}
		snprintf(buf, sizeof buf, "%.*s:%.64s", idlen, p, sp + 8);
		if (anchor_scan(buf, a) != strlen(buf) || strlen(sp + 8) != SHIFTLOG_HASH_HEX - 1) {
			*col = (int)(sp + 8 - s) + 1;
			return -1;
		}
		return 0;
	}
	n = anchor_scan(p, a);
	if (n == 0 || p[n] != '\0') {
		/* Point at the first byte that does not fit "ID:HASH". */
		const char *q = p + (*p == '#');

		q += strspn(q, "0123456789");
		if (q > p + (*p == '#') && *q == ':') {
			const char *h = ++q;

			q += strspn(q, "0123456789abcdef");
			if (*q == '\0' && q - h < SHIFTLOG_HASH_HEX - 1)
				q = h; /* too short: point at the hash */
			else if (q - h > SHIFTLOG_HASH_HEX - 1)
				q = h + SHIFTLOG_HASH_HEX - 1;
		}
		*col = (int)(q - s) + 1;
		return -1;
	}
	return 0;
}

bool shiftlog_anchor_find(const char *line, struct shiftlog_anchor *a)
{
	for (const char *p = line; *p; p++) {
		size_t n;

		if (p != line && p[-1] != ' ' && p[-1] != '\t' && p[-1] != ':')
			continue;
		n = anchor_scan(p, a);
		if (n && (p[n] == '\0' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n' ||
			  p[n] == ','))
			return true;
	}
	return false;
}

int shiftlog_anchor_check(struct store *st, const struct shiftlog_anchor *a, char *why,
			  size_t len, struct err *e)
{
	static const char sql[] = "SELECT hash FROM log_entries WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, e);
	int rc = -1;
	int r;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 0);

		rc = h && strcmp((const char *)h, a->hash) == 0 ? 0 : 1;
		if (rc)
			snprintf(why, len, "entry #%" PRId64 " has another hash (the log was "
				 "rewritten)", a->id);
	} else if (r == SQLITE_DONE) {
		rc = 1;
		snprintf(why, len, "the log ends at #%" PRId64 ", before entry #%" PRId64
			 " (entries were cut off the end)", shiftlog_last_id(st), a->id);
	} else {
		err_set(e, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	}
	store_stmt_done(s);
	return rc;
}

/* ---- handover anchors ---- */

int shiftlog_handover_trailer(struct store *st, FILE *out, char *entry_text, size_t len,
			      struct err *e)
{
	static const char sql[] =
		"SELECT text FROM log_entries WHERE category = 'handover' ORDER BY id DESC LIMIT 1";
	struct shiftlog_anchor prev = { 0 };
	struct shiftlog_entry head;
	sqlite3_stmt *s = store_stmt(st, sql, e);
	int64_t head_id = shiftlog_last_id(st);
	bool have_prev = false;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		have_prev = t && (t = strstr(t, "chain head ")) &&
			    shiftlog_anchor_find(t + strlen("chain head "), &prev);
	}
	store_stmt_done(s);
	fprintf(out, "Log entries: %" PRId64 " (chain verified)\n", head_id);
	if (have_prev)
		fprintf(out, "Previous handover anchor: %" PRId64 ":%s\n", prev.id, prev.hash);
	else
		fprintf(out, "Previous handover anchor: none\n");
	entry_text[0] = '\0';
	if (head_id <= 0) {
		fprintf(out, "Log chain head: none (the log is empty)\n");
		return 0;
	}
	if (shiftlog_get(st, head_id, &head, e))
		return -1;
	/* Anchors the chain outside the database: keep this line with the report. */
	fprintf(out, "Log chain head: #%" PRId64 " sha256 %s\n", head_id, head.hash);
	snprintf(entry_text, len, "chain head %" PRId64 ":%s, %" PRId64 " entries", head_id,
		 head.hash, head_id);
	shiftlog_entry_clear(&head);
	return 0;
}

/* ---- shifts: start, handover, end ---- */

/* Logs a shift-category entry inside the caller's transaction. */
static int log_shift_event(struct store *st, const char *category, const char *text,
			   struct err *e)
{
	struct shiftlog_new n = { .category = category, .severity = "notice", .text = text };

	return shiftlog_append(st, &n, NULL, e);
}

int shiftlog_shift_start(struct store *st, int64_t *id_out, struct err *e)
{
	static const char sql[] = "INSERT INTO shifts(operator, started_at) VALUES (?, ?)";
	struct shiftlog_shift cur;
	sqlite3_stmt *s = NULL;
	char text[160];
	int64_t id = 0;
	int r;

	if (store_begin(st, e))
		return -1;
	r = shiftlog_shift_current(st, &cur, e);
	if (r < 0)
		goto fail;
	if (r > 0) {
		err_set(e, "%s already has shift #%" PRId64 " open: end it first "
			   "(opsdeck shift end)", shiftlog_operator(), cur.id);
		goto fail;
	}
	if (!(s = store_stmt(st, sql, e)))
		goto fail;
	sqlite3_bind_text(s, 1, shiftlog_operator(), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, clock_now_ms());
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	store_stmt_done(s);
	id = sqlite3_last_insert_rowid(store_db(st));
	snprintf(text, sizeof text, "Shift #%" PRId64 " started by %s", id, shiftlog_operator());
	if (log_shift_event(st, "shift", text, e) || store_commit(st, e))
		goto fail;
	if (id_out)
		*id_out = id;
	return 0;
fail:
	store_stmt_done(s);
	store_rollback(st);
	return -1;
}

int shiftlog_shift_end(struct store *st, struct err *e)
{
	static const char sql[] = "UPDATE shifts SET ended_at = ? WHERE id = ?";
	struct shiftlog_shift cur;
	sqlite3_stmt *s = NULL;
	char text[160];
	int r;

	if (store_begin(st, e))
		return -1;
	r = shiftlog_shift_current(st, &cur, e);
	if (r < 0)
		goto fail;
	if (r == 0) {
		err_set(e, "%s has no open shift (opsdeck shift start)", shiftlog_operator());
		goto fail;
	}
	snprintf(text, sizeof text, "Shift #%" PRId64 " ended by %s", cur.id, shiftlog_operator());
	/* Log first, while the shift is still open, so the entry belongs to it. */
	if (log_shift_event(st, "shift", text, e))
		goto fail;
	if (!(s = store_stmt(st, sql, e)))
		goto fail;
	sqlite3_bind_int64(s, 1, clock_now_ms());
	sqlite3_bind_int64(s, 2, cur.id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	store_stmt_done(s);
	return store_commit(st, e);
fail:
	store_stmt_done(s);
	store_rollback(st);
	return -1;
}
