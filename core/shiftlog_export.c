/*
 * shiftlog_export: the shift log written out for people and scripts (JSON, CSV,
 * Markdown, plain text) and the generated shift handover report. All text is
 * sanitised again on the way out: the file may have been edited by other tools.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "shiftlog.h"
#include "text.h"

int shiftlog_format_parse(const char *name)
{
	static const struct {
		const char *name;
		enum shiftlog_format fmt;
	} formats[] = {
		{ "json", SHIFTLOG_JSON }, { "csv", SHIFTLOG_CSV },   { "markdown", SHIFTLOG_MARKDOWN },
		{ "md", SHIFTLOG_MARKDOWN }, { "text", SHIFTLOG_TEXT },
	};

	for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(name, formats[i].name) == 0)
			return (int)formats[i].fmt;
	return -1;
}

/*
 * Sanitised copies of every string field of an entry, for one row of output: the
 * file may have been edited by other tools, so category, severity and hash are
 * no more trusted than the text.
 */
struct clean {
	char *text, *host, *op, *category, *severity, *hash;
};

/* Fills c from x; the single-line form (flags 0) is for tables. -1 on OOM. */
static int clean_fill(struct clean *c, const struct shiftlog_entry *x, unsigned flags)
{
	c->text = text_sanitize_str(x->text, flags);
	c->host = x->host ? text_sanitize_str(x->host, 0) : NULL;
	c->op = text_sanitize_str(x->operator_name, 0);
	c->category = text_sanitize_str(x->category, 0);
	c->severity = text_sanitize_str(x->severity, 0);
	c->hash = text_sanitize_str(x->hash, 0);
	return (!c->text || !c->op || (x->host && !c->host) || !c->category || !c->severity ||
		!c->hash) ? -1 : 0;
}

static void clean_free(struct clean *c)
{
	free(c->text);
	free(c->host);
	free(c->op);
	free(c->category);
	free(c->severity);
	free(c->hash);
	memset(c, 0, sizeof *c);
}

/*
 * One CSV cell. A cell a spreadsheet would take for a formula (starting with =,
 * +, -, @, TAB or CR) gets a leading single quote and is quoted (OWASP's CSV
 * injection advice), so opening the export never runs anything.
 */
static void put_csv(FILE *out, const char *s)
{
	bool formula = s && *s && strchr("=+-@\t\r", *s);

	if (!s)
		return;
	if (!formula && !strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	if (formula)
		putc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', out);
		putc(*s, out);
	}
	putc('"', out);
}

void shiftlog_md_escape(FILE *out, const char *s)
{
	/* Table pipes, emphasis, code, HTML and autolinks, and link and image syntax. */
	static const char special[] = "|\\`*_<>[]()!";

	for (; s && *s; s++) {
		if (strchr(special, *s))
			putc('\\', out);
		putc(*s, out);
	}
}

static void put_md(FILE *out, const char *s)
{
	shiftlog_md_escape(out, s);
}

struct export_ctx {
	FILE *out;
	enum shiftlog_format fmt;
	int64_t n;
	int64_t last_id; /* keyset anchor for the next page */
	int failed;
	void *ud; /* for walkers other than export_row */
};

static int export_row(const struct shiftlog_entry *x, void *ud)
{
	struct export_ctx *c = ud;
	struct clean cl = { 0 };
	char utc[40], local[32];

	c->last_id = x->id;
	if (clean_fill(&cl, x, c->fmt == SHIFTLOG_JSON || c->fmt == SHIFTLOG_CSV ?
					TEXT_KEEP_NEWLINES : 0)) {
		clean_free(&cl);
		c->failed = 1;
		return 1;
	}
	clock_format_utc(x->ts_ms, utc, sizeof utc);
	clock_format_local(x->ts_ms, local, sizeof local);
	switch (c->fmt) {
	case SHIFTLOG_JSON:
		fputs(c->n ? ",\n  {" : "\n  {", c->out);
		json_put_key(c->out, "id", 1);
		json_put_int(c->out, x->id, 0);
		json_put_key(c->out, "time", 0);
		json_put_string(c->out, utc);
		json_put_key(c->out, "ts_ms", 0);
		json_put_int(c->out, x->ts_ms, 0);
		json_put_key(c->out, "operator", 0);
		json_put_string(c->out, cl.op);
		json_put_key(c->out, "shift", 0);
		json_put_int(c->out, x->shift_id, !x->shift_id);
		json_put_key(c->out, "category", 0);
		json_put_string(c->out, cl.category);
		json_put_key(c->out, "severity", 0);
		json_put_string(c->out, cl.severity);
		json_put_key(c->out, "text", 0);
		json_put_string(c->out, cl.text);
		json_put_key(c->out, "host", 0);
		json_put_string(c->out, cl.host);
		json_put_key(c->out, "incident", 0);
		json_put_int(c->out, x->incident_id, !x->incident_id);
		json_put_key(c->out, "window", 0);
		json_put_int(c->out, x->window_id, !x->window_id);
		json_put_key(c->out, "run", 0);
		json_put_int(c->out, x->run_id, !x->run_id);
		json_put_key(c->out, "corrects", 0);
		json_put_int(c->out, x->corrects, !x->corrects);
		json_put_key(c->out, "corrections", 0);
		json_put_int(c->out, x->n_corrections, 0);
		json_put_key(c->out, "hash", 0);
		json_put_string(c->out, cl.hash);
		putc('}', c->out);
		break;
	case SHIFTLOG_CSV:
		fprintf(c->out, "%" PRId64 ",%s,", x->id, utc);
		put_csv(c->out, cl.op);
		fprintf(c->out, ",%" PRId64 ",", x->shift_id);
		put_csv(c->out, cl.category);
		putc(',', c->out);
		put_csv(c->out, cl.severity);
		putc(',', c->out);
		put_csv(c->out, cl.text);
		putc(',', c->out);
		put_csv(c->out, cl.host);
		fprintf(c->out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",", x->incident_id,
			x->window_id, x->run_id, x->corrects);
		put_csv(c->out, cl.hash);
		fputs("\r\n", c->out);
		break;
	case SHIFTLOG_MARKDOWN:
		fprintf(c->out, "| %" PRId64 " | %s | ", x->id, local);
		put_md(c->out, cl.op);
		fputs(" | ", c->out);
		put_md(c->out, cl.category);
		fputs(" | ", c->out);
		put_md(c->out, cl.severity);
		fputs(" | ", c->out);
		put_md(c->out, cl.host ? cl.host : "");
		fputs(" | ", c->out);
		if (x->corrects)
			fprintf(c->out, "(corrects #%" PRId64 ") ", x->corrects);
		put_md(c->out, cl.text);
		fputs(" |\n", c->out);
		break;
	case SHIFTLOG_TEXT:
		fprintf(c->out, "#%-6" PRId64 " %s  %-8s %-10s %-10s %s%s%s", x->id, local,
			cl.severity, cl.category, cl.op, cl.host ? "[" : "", cl.host ? cl.host : "",
			cl.host ? "] " : "");
		if (x->corrects)
			fprintf(c->out, "(corrects #%" PRId64 ") ", x->corrects);
		fprintf(c->out, "%s%s\n", cl.text, x->n_corrections ? "  [corrected]" : "");
		break;
	}
	c->n++;
	clean_free(&cl);
	return 0;
}

/* Walks every entry passing f, oldest first, a page at a time. fn must set c->last_id. */
static int64_t walk_all(struct store *st, const struct shiftlog_filter *f, shiftlog_row_fn fn,
			struct export_ctx *c, struct err *e)
{
	enum { PAGE = 512 };

	for (;;) {
		int got = shiftlog_page(st, f, SHIFTLOG_NEWER, c->last_id, PAGE, fn, c, e);

		if (got < 0)
			return -1;
		if (c->failed) {
			err_set(e, "out of memory");
			return -1;
		}
		if (got < PAGE)
			return c->n;
	}
}

int64_t shiftlog_export(struct store *st, const struct shiftlog_filter *f,
			enum shiftlog_format fmt, FILE *out, struct err *e)
{
	struct export_ctx c = { .out = out, .fmt = fmt };
	int64_t n;

	switch (fmt) {
	case SHIFTLOG_JSON:
		fputs("[", out);
		break;
	case SHIFTLOG_CSV:
		fputs("id,time,operator,shift,category,severity,text,host,incident,window,run,"
		      "corrects,hash\r\n", out);
		break;
	case SHIFTLOG_MARKDOWN:
		fputs("| # | time | operator | category | severity | host | text |\n"
		      "|---|---|---|---|---|---|---|\n", out);
		break;
	case SHIFTLOG_TEXT:
		break;
	}
	/* A read transaction, so a long export sees one snapshot while others append. */
	if (!store_in_txn(st) && store_exec(st, "BEGIN", e))
		return -1;
	n = walk_all(st, f, export_row, &c, e);
	sqlite3_exec(store_db(st), "COMMIT", NULL, NULL, NULL);
	if (n < 0)
		return -1;
	if (fmt == SHIFTLOG_JSON)
		fputs(c.n ? "\n]\n" : "]\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		err_set(e, "write error");
		return -1;
	}
	return n;
}

/* ---- handover ---- */

/* The report groups a shift's entries; each group is one markdown section. */
static const struct {
	const char *title;
	const char *categories[4];
	int min_rank; /* entries of other categories at this severity or above also go here */
} handover_sections[] = {
	{ "Alarms and critical entries", { "alarm", NULL }, 3 },
	{ "Actions taken", { "action", NULL }, 99 },
	{ "Notes", { "note", "system", NULL }, 99 },
	{ "Corrections", { "correction", NULL }, 99 },
};

#define N_SECTIONS (sizeof handover_sections / sizeof handover_sections[0])

/* Which section an entry belongs to, or -1 (shift and handover entries are left out). */
static int section_of(const struct shiftlog_entry *x)
{
	int rank = shiftlog_severity_rank(x->severity);

	for (size_t s = 0; s < N_SECTIONS; s++) {
		for (size_t k = 0; handover_sections[s].categories[k]; k++)
			if (strcmp(x->category, handover_sections[s].categories[k]) == 0)
				return (int)s;
		if (rank >= handover_sections[s].min_rank && strcmp(x->category, "shift") != 0 &&
		    strcmp(x->category, "handover") != 0)
			return (int)s;
	}
	return -1;
}

struct handover_ctx {
	FILE *sec[N_SECTIONS];
	char *buf[N_SECTIONS];
	size_t len[N_SECTIONS];
	int64_t count[N_SECTIONS];
	int64_t total;
};

static int handover_row(const struct shiftlog_entry *x, void *ud)
{
	struct export_ctx *c = ud;
	struct handover_ctx *h = c->ud;
	struct clean cl = { 0 };
	char local[32];
	int s = section_of(x);

	c->last_id = x->id;
	c->n++;
	if (s < 0)
		return 0;
	if (clean_fill(&cl, x, 0)) {
		clean_free(&cl);
		c->failed = 1;
		return 1;
	}
	clock_format_local(x->ts_ms, local, sizeof local);
	/* Our own brackets stay (no link: nothing can define "[severity]" in the escaped
	 * text); what comes from the database is escaped. */
	fprintf(h->sec[s], "- %s #%" PRId64 " [", local, x->id);
	put_md(h->sec[s], cl.severity);
	fputs("] ", h->sec[s]);
	if (cl.host) {
		fputc('(', h->sec[s]);
		put_md(h->sec[s], cl.host);
		fputs(") ", h->sec[s]);
	}
	if (x->corrects)
		fprintf(h->sec[s], "corrects #%" PRId64 ": ", x->corrects);
	put_md(h->sec[s], cl.text);
	fprintf(h->sec[s], "%s\n", x->n_corrections ? " *(corrected, see below)*" : "");
	h->count[s]++;
	h->total++;
	clean_free(&cl);
	return 0;
}

/* Sanitised and Markdown-escaped (a name read from the database). */
static void handover_md_clean(FILE *out, const char *s)
{
	char *c = text_sanitize_str(s, 0);

	shiftlog_md_escape(out, c ? c : "?");
	free(c);
}

/* Writes the report for shift sh into out (a memory stream). */
static int write_handover(struct store *st, const struct shiftlog_shift *sh, FILE *out,
			  char *anchor, size_t anchor_len, struct err *e)
{
	struct shiftlog_filter f = { .since_ms = sh->started_ms };
	struct handover_ctx h;
	struct export_ctx c = { .ud = &h };
	char start_local[32], start_utc[40], now_local[32];
	int rc = -1;

	memset(&h, 0, sizeof h);
	for (size_t s = 0; s < N_SECTIONS; s++)
		if (!(h.sec[s] = open_memstream(&h.buf[s], &h.len[s]))) {
			err_set(e, "out of memory");
			goto out;
		}
	if (walk_all(st, &f, handover_row, &c, e) < 0)
		goto out;
	clock_format_local(sh->started_ms, start_local, sizeof start_local);
	clock_format_utc(sh->started_ms, start_utc, sizeof start_utc);
	clock_format_local(clock_now_ms(), now_local, sizeof now_local);
	fprintf(out, "# Shift handover: shift #%" PRId64 ", ", sh->id);
	handover_md_clean(out, sh->operator_name);
	fputs("\n\n", out);
	fprintf(out, "- Started: %s (%s)\n- Handed over: %s\n", start_local, start_utc, now_local);
	fprintf(out, "- Entries: %" PRId64, h.total);
	for (size_t s = 0; s < N_SECTIONS; s++)
		fprintf(out, ", %s: %" PRId64, handover_sections[s].title, h.count[s]);
	fputs("\n\n", out);
	for (size_t s = 0; s < N_SECTIONS; s++) {
		fflush(h.sec[s]);
		fprintf(out, "## %s\n\n%s\n", handover_sections[s].title,
			h.len[s] ? h.buf[s] : "- none\n");
	}
	if (shiftlog_handover_trailer(st, out, anchor, anchor_len, e))
		goto out;
	rc = 0;
out:
	for (size_t s = 0; s < N_SECTIONS; s++) {
		if (h.sec[s])
			fclose(h.sec[s]);
		free(h.buf[s]);
	}
	return rc;
}

int shiftlog_shift_handover(struct store *st, FILE *out, struct err *e)
{
	static const char sql[] = "UPDATE shifts SET handover_at = ? WHERE id = ?";
	struct shiftlog_shift sh;
	struct shiftlog_new n = { .category = "handover", .severity = "notice" };
	sqlite3_stmt *s = NULL;
	FILE *mem = NULL;
	char *report = NULL;
	size_t report_len = 0;
	struct shiftlog_verify_result vr;
	char anchor[200];
	char text[400];
	int r;

	if (store_begin(st, e))
		return -1;
	r = shiftlog_shift_current(st, &sh, e);
	if (r < 0)
		goto fail;
	if (r == 0) {
		err_set(e, "%s has no open shift to hand over (opsdeck shift start)",
			shiftlog_operator());
		goto fail;
	}
	/* Verified under the write lock, so the head printed is the head checked. */
	if (shiftlog_verify(st, &vr, e))
		goto fail;
	if (vr.first_bad) {
		err_set(e, "the log chain is broken: %s; no handover recorded and no chain head "
			   "printed (see opsdeck log verify)", vr.reason);
		goto fail;
	}
	if (!(mem = open_memstream(&report, &report_len))) {
		err_set(e, "out of memory");
		goto fail;
	}
	if (write_handover(st, &sh, mem, anchor, sizeof anchor, e))
		goto fail;
	fclose(mem);
	mem = NULL;
	snprintf(text, sizeof text, "Shift #%" PRId64 " handed over by %s%s%s", sh.id,
		 sh.operator_name, *anchor ? "; " : "", anchor);
	n.text = text;
	if (shiftlog_append(st, &n, NULL, e))
		goto fail;
	if (!(s = store_stmt(st, sql, e)))
		goto fail;
	sqlite3_bind_int64(s, 1, clock_now_ms());
	sqlite3_bind_int64(s, 2, sh.id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto fail;
	}
	store_stmt_done(s);
	s = NULL;
	if (store_commit(st, e))
		goto fail;
	/* Printed only once the handover is recorded. */
	fwrite(report, 1, report_len, out);
	free(report);
	return fflush(out) == 0 ? 0 : -1;
fail:
	store_stmt_done(s);
	if (mem)
		fclose(mem);
	free(report);
	store_rollback(st);
	return -1;
}
