/*
 * view_log: the shift log as a scrolling table. It holds only a few screens of
 * rows around the viewport and walks the log with keyset pages (shiftlog_page
 * around anchor ids), so a million entries scroll as fast as ten: moving inside
 * the buffer costs no query, leaving it costs one page. Also: filters, the entry
 * detail with its corrections, and writing a correction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "clock.h"
#include "shiftlog.h"
#include "text.h"
#include "view.h"

enum {
	LOG_ACT_UP = VIEW_ACT_FIRST,
	LOG_ACT_DOWN,
	LOG_ACT_PAGE_UP,
	LOG_ACT_PAGE_DOWN,
	LOG_ACT_TOP,
	LOG_ACT_BOTTOM,
	LOG_ACT_DETAIL,
	LOG_ACT_SEARCH,
	LOG_ACT_CATEGORY,
	LOG_ACT_SEVERITY,
	LOG_ACT_SINCE,
	LOG_ACT_CLEAR,
	LOG_ACT_CORRECT,
	LOG_ACT__COUNT
};

/* One entry as the table shows it: every string sanitised once, at load. */
struct log_row {
	int64_t id;
	int64_t corrects;
	int64_t n_corrections;
	enum theme_role sev_role;
	char time[24]; /* local "YYYY-MM-DD HH:MM:SS" */
	char *severity, *category, *operator_name, *host, *text;
};

/* The open detail overlay: logical lines (sanitised), wrapped when drawn. */
struct log_detail {
	int64_t id;
	char **lines;
	int n, cap;
	int scroll; /* first wrapped line shown */
};

/* What the person filters by; a shiftlog_filter is built from it for each query. */
struct log_filter {
	char match[PROMPT_MAX]; /* FTS5 query */
	char category[32];
	char min_severity[16];
	int64_t since_ms;
	char since_text[64]; /* since_ms as shown in the header */
};

struct log_view {
	struct view base;
	struct log_filter flt;
	/* Rows buf[0..nbuf) in ascending id order; buf[top] is the first row on screen. */
	struct log_row *buf;
	int nbuf, cap;
	int top, cur;
	bool at_oldest, at_newest; /* nothing matches beyond buf[0] / buf[nbuf-1] */
	bool follow;               /* the cursor rides the newest entry */
	bool loaded;
	int page; /* table rows on screen */
	int cols;
	struct log_detail *detail;
	int64_t correct_id; /* the entry a correction prompt is for */
};

static const struct {
	const char *name;
	enum theme_role role;
} sev_roles[] = {
	{"info", ROLE_NORMAL},
	{"notice", ROLE_ACCENT},
	{"warning", ROLE_WARN},
	{"critical", ROLE_CRIT},
};

static enum theme_role severity_role(const char *sev)
{
	for (size_t i = 0; i < sizeof sev_roles / sizeof sev_roles[0]; i++)
		if (sev && strcmp(sev, sev_roles[i].name) == 0)
			return sev_roles[i].role;
	return ROLE_UNKNOWN;
}

/* ---- rows ---- */

static void row_clear(struct log_row *r)
{
	free(r->severity);
	free(r->category);
	free(r->operator_name);
	free(r->host);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* Fills r from x (strings sanitised, newlines as spaces). -1 when memory runs out. */
static int row_from_entry(struct log_row *r, const struct shiftlog_entry *x)
{
	char *text = NULL;

	memset(r, 0, sizeof *r);
	r->id = x->id;
	r->corrects = x->corrects;
	r->n_corrections = x->n_corrections;
	r->sev_role = severity_role(x->severity);
	clock_format_local(x->ts_ms, r->time, sizeof r->time);
	r->severity = text_sanitize_str(x->severity, 0);
	r->category = text_sanitize_str(x->category, 0);
	r->operator_name = text_sanitize_str(x->operator_name, 0);
	r->host = text_sanitize_str(x->host, 0);
	text = text_sanitize_str(x->text, 0);
	if (text && x->corrects) {
		size_t len = strlen(text) + 40;
		r->text = malloc(len);
		if (r->text)
			snprintf(r->text, len, "[corrects #%lld] %s", (long long)x->corrects, text);
		free(text);
	} else {
		r->text = text;
	}
	if (!r->severity || !r->category || !r->operator_name || !r->host || !r->text) {
		row_clear(r);
		return -1;
	}
	return 0;
}

/* ---- keyset paging ---- */

static void build_filter(const struct log_filter *lf, struct shiftlog_filter *f)
{
	memset(f, 0, sizeof *f);
	f->match = lf->match[0] ? lf->match : NULL;
	f->category = lf->category[0] ? lf->category : NULL;
	f->min_severity = lf->min_severity[0] ? lf->min_severity : NULL;
	f->since_ms = lf->since_ms;
}

struct fetch {
	struct log_row *rows;
	int n, max;
	bool oom;
};

static int fetch_row(const struct shiftlog_entry *x, void *ud)
{
	struct fetch *fe = ud;

	if (fe->n >= fe->max)
		return 1;
	if (row_from_entry(&fe->rows[fe->n], x) < 0) {
		fe->oom = true;
		return 1;
	}
	fe->n++;
	return 0;
}

/*
 * Reads up to limit rows next to anchor into a new array in ascending id order.
 * Returns the count (and *out, owned by the caller) or -1 after showing the error.
 */
static int fetch(struct log_view *lv, enum shiftlog_dir dir, int64_t anchor, int limit,
		 struct log_row **out, struct err *e)
{
	struct shiftlog_filter f;
	struct fetch fe = {NULL, 0, limit, false};
	int rc = -1;

	*out = NULL;
	build_filter(&lv->flt, &f);
	fe.rows = calloc((size_t)(limit > 0 ? limit : 1), sizeof *fe.rows);
	if (!fe.rows) {
		err_set(e, "out of memory");
		return -1;
	}
	if (shiftlog_page(app_store(lv->base.app), &f, dir, anchor, limit, fetch_row, &fe, e) < 0)
		goto out;
	if (fe.oom) {
		err_set(e, "out of memory");
		goto out;
	}
	if (dir == SHIFTLOG_OLDER) /* pages come newest first */
		for (int i = 0, j = fe.n - 1; i < j; i++, j--) {
			struct log_row t = fe.rows[i];
			fe.rows[i] = fe.rows[j];
			fe.rows[j] = t;
		}
	*out = fe.rows;
	fe.rows = NULL;
	rc = fe.n;
out:
	if (fe.rows) {
		for (int i = 0; i < fe.n; i++)
			row_clear(&fe.rows[i]);
		free(fe.rows);
	}
	return rc;
}

static void buf_clear(struct log_view *lv)
{
	for (int i = 0; i < lv->nbuf; i++)
		row_clear(&lv->buf[i]);
	lv->nbuf = lv->top = lv->cur = 0;
}

static int buf_reserve(struct log_view *lv, int need)
{
	struct log_row *nb = NULL;
	int cap = lv->cap ? lv->cap : 64;

	if (need <= lv->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	nb = realloc(lv->buf, (size_t)cap * sizeof *nb);
	if (!nb)
		return -1;
	lv->buf = nb;
	lv->cap = cap;
	return 0;
}

/* Takes ownership of rows[0..n) (ascending) and frees the array. */
static int buf_insert(struct log_view *lv, struct log_row *rows, int n, bool at_front)
{
	if (n <= 0) {
		free(rows);
		return 0;
	}
	if (buf_reserve(lv, lv->nbuf + n) < 0) {
		for (int i = 0; i < n; i++)
			row_clear(&rows[i]);
		free(rows);
		return -1;
	}
	if (at_front) {
		memmove(lv->buf + n, lv->buf, (size_t)lv->nbuf * sizeof *lv->buf);
		memcpy(lv->buf, rows, (size_t)n * sizeof *rows);
		lv->top += n;
		lv->cur += n;
	} else {
		memcpy(lv->buf + lv->nbuf, rows, (size_t)n * sizeof *rows);
	}
	lv->nbuf += n;
	free(rows);
	return 0;
}

/* Keeps about one screen either side of the viewport; the rest is read again if needed. */
static void buf_trim(struct log_view *lv)
{
	int lo = lv->top - lv->page;
	int hi = lv->top + 2 * lv->page;

	if (lv->nbuf <= 4 * lv->page)
		return;
	if (lo > 0) {
		for (int i = 0; i < lo; i++)
			row_clear(&lv->buf[i]);
		memmove(lv->buf, lv->buf + lo, (size_t)(lv->nbuf - lo) * sizeof *lv->buf);
		lv->nbuf -= lo;
		lv->top -= lo;
		lv->cur -= lo;
		hi -= lo;
		lv->at_oldest = false;
	}
	if (hi < lv->nbuf) {
		for (int i = hi; i < lv->nbuf; i++)
			row_clear(&lv->buf[i]);
		lv->nbuf = hi;
		lv->at_newest = false;
	}
}

static void show_error(struct log_view *lv, const struct err *e)
{
	app_message(lv->base.app, ROLE_ERROR, "%s", e->msg);
}

/* Reads one page beyond the newest buffered row. Returns rows added, -1 on error. */
static int extend_newer(struct log_view *lv)
{
	struct log_row *rows = NULL;
	struct err e = {{0}};
	int64_t anchor = lv->nbuf ? lv->buf[lv->nbuf - 1].id : 0;
	int n = 0;

	if (lv->at_newest)
		return 0;
	n = fetch(lv, SHIFTLOG_NEWER, anchor, lv->page, &rows, &e);
	if (n < 0) {
		show_error(lv, &e);
		return -1;
	}
	if (n < lv->page)
		lv->at_newest = true;
	return buf_insert(lv, rows, n, false) < 0 ? -1 : n;
}

/* Reads one page before the oldest buffered row. Returns rows added, -1 on error. */
static int extend_older(struct log_view *lv)
{
	struct log_row *rows = NULL;
	struct err e = {{0}};
	int n = 0;

	if (lv->at_oldest || lv->nbuf == 0)
		return 0;
	n = fetch(lv, SHIFTLOG_OLDER, lv->buf[0].id, lv->page, &rows, &e);
	if (n < 0) {
		show_error(lv, &e);
		return -1;
	}
	if (n < lv->page)
		lv->at_oldest = true;
	return buf_insert(lv, rows, n, true) < 0 ? -1 : n;
}

/* Keeps the cursor on screen and the screen full, then trims the buffer. */
static void settle(struct log_view *lv)
{
	if (lv->cur >= lv->nbuf)
		lv->cur = lv->nbuf - 1;
	if (lv->cur < 0)
		lv->cur = 0;
	if (lv->cur < lv->top)
		lv->top = lv->cur;
	if (lv->cur >= lv->top + lv->page)
		lv->top = lv->cur - lv->page + 1;
	while (lv->top + lv->page > lv->nbuf && !lv->at_newest)
		if (extend_newer(lv) <= 0)
			break;
	/* At the end of the log, fill the screen from above rather than leave a gap. */
	if (lv->top + lv->page > lv->nbuf) {
		int want = lv->nbuf - lv->page;
		while (want < 0 && !lv->at_oldest) {
			int k = extend_older(lv);
			if (k <= 0)
				break;
			want += k;
		}
		lv->top = want > 0 ? want : 0;
	}
	lv->follow = lv->at_newest && lv->cur == lv->nbuf - 1;
	buf_trim(lv);
}

/*
 * Replaces the buffer with the newest page (dir OLDER) or the oldest page (NEWER)
 * under the current filter. Returns 0, or -1 with e set (the buffer is unchanged).
 */
static int load_end(struct log_view *lv, bool newest, struct err *e)
{
	struct log_row *rows = NULL;
	int n = fetch(lv, newest ? SHIFTLOG_OLDER : SHIFTLOG_NEWER, 0, lv->page, &rows, e);

	if (n < 0)
		return -1;
	buf_clear(lv);
	if (buf_insert(lv, rows, n, false) < 0) {
		err_set(e, "out of memory");
		return -1;
	}
	lv->at_newest = newest || n < lv->page;
	lv->at_oldest = !newest || n < lv->page;
	lv->cur = newest ? n - 1 : 0;
	lv->top = newest ? n - lv->page : 0;
	if (lv->top < 0)
		lv->top = 0;
	settle(lv);
	return 0;
}

/* Reloads the rows around the viewport, keeping the top row and the selection. */
static void reload_in_place(struct log_view *lv)
{
	struct log_row *rows = NULL;
	struct err e = {{0}};
	int64_t top_id = lv->nbuf ? lv->buf[lv->top].id : 0;
	int64_t cur_id = lv->nbuf ? lv->buf[lv->cur].id : 0;
	int n = 0;

	if (!top_id) {
		if (load_end(lv, true, &e) < 0)
			show_error(lv, &e);
		return;
	}
	/* Rows from top_id on (ids are never reused), then a page before it. */
	n = fetch(lv, SHIFTLOG_NEWER, top_id - 1, 2 * lv->page, &rows, &e);
	if (n < 0) {
		show_error(lv, &e);
		return;
	}
	buf_clear(lv);
	if (buf_insert(lv, rows, n, false) < 0)
		return;
	lv->at_newest = n < 2 * lv->page;
	lv->at_oldest = false;
	if (extend_older(lv) < 0)
		return;
	for (int i = 0; i < lv->nbuf; i++) {
		if (lv->buf[i].id == top_id)
			lv->top = i;
		if (lv->buf[i].id == cur_id)
			lv->cur = i;
	}
	settle(lv);
}

/* Moves the selection by delta rows; a page move scrolls the view with it. */
static unsigned move_sel(struct log_view *lv, int delta, bool page)
{
	int want = lv->cur + delta;

	if (lv->nbuf == 0)
		return VIEW_HANDLED;
	while (want >= lv->nbuf && !lv->at_newest)
		if (extend_newer(lv) <= 0)
			break;
	while (want < 0 && !lv->at_oldest) {
		int k = extend_older(lv);
		if (k <= 0)
			break;
		want += k;
	}
	if (page)
		lv->top += want - lv->cur;
	if (lv->top < 0)
		lv->top = 0;
	lv->cur = want;
	settle(lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

/* ---- detail overlay ---- */

static void detail_free(struct log_detail **dp)
{
	struct log_detail *d = *dp;

	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	free(d);
	*dp = NULL;
}

static void detail_add(struct log_detail *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one logical line; silently short on memory (the overlay is informative). */
static void detail_add(struct log_detail *d, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int len = 0;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (d->n == d->cap && d->cap > 100000))
		return;
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 32;
		char **nl = realloc(d->lines, (size_t)cap * sizeof *nl);
		if (!nl)
			return;
		d->lines = nl;
		d->cap = cap;
	}
	line = malloc((size_t)len + 1);
	if (!line)
		return;
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	d->lines[d->n++] = line;
}

/* Adds "label" + text, one logical line per line of text (newlines kept). */
static void detail_add_text(struct log_detail *d, const char *label, const char *raw)
{
	char *clean = text_sanitize_str(raw, TEXT_KEEP_NEWLINES);
	char *save = NULL;
	bool first = true;

	if (!clean)
		return;
	for (char *ln = strtok_r(clean, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		detail_add(d, "%-11s %s", first ? label : "", ln);
		first = false;
	}
	if (first)
		detail_add(d, "%-11s", label);
	free(clean);
}

static void detail_add_when(struct log_detail *d, const char *label, int64_t ms)
{
	char local[32], utc[32];

	clock_format_local(ms, local, sizeof local);
	clock_format_utc(ms, utc, sizeof utc);
	detail_add(d, "%-11s %s local, %s", label, local, utc);
}

struct corr_walk {
	struct log_detail *d;
};

static int detail_correction(const struct shiftlog_entry *x, void *ud)
{
	struct corr_walk *w = ud;
	char when[32];
	char *op = text_sanitize_str(x->operator_name, 0);
	char *text = text_sanitize_str(x->text, 0);

	clock_format_local(x->ts_ms, when, sizeof when);
	detail_add(w->d, "  #%lld  %s  %s: %s", (long long)x->id, when, op ? op : "",
		   text ? text : "");
	free(op);
	free(text);
	return 0;
}

#define DETAIL_MAX_CORRECTIONS 50

static struct log_detail *detail_load(struct log_view *lv, int64_t id, struct err *e)
{
	struct store *st = app_store(lv->base.app);
	struct shiftlog_entry x;
	struct shiftlog_entry orig;
	struct shiftlog_filter f;
	struct corr_walk w = {NULL};
	struct log_detail *d = NULL;
	char *s = NULL;

	memset(&x, 0, sizeof x);
	memset(&orig, 0, sizeof orig);
	if (shiftlog_get(st, id, &x, e) < 0)
		return NULL;
	d = calloc(1, sizeof *d);
	if (!d) {
		err_set(e, "out of memory");
		goto out;
	}
	d->id = id;
	detail_add(d, "Entry #%lld", (long long)x.id);
	detail_add_when(d, "Time", x.ts_ms);
	detail_add_text(d, "Operator", x.operator_name);
	if (x.shift_id)
		detail_add(d, "%-11s #%lld", "Shift", (long long)x.shift_id);
	else
		detail_add(d, "%-11s none", "Shift");
	detail_add_text(d, "Category", x.category);
	detail_add_text(d, "Severity", x.severity);
	detail_add_text(d, "Host", x.host ? x.host : "-");
	if (x.incident_id)
		detail_add(d, "%-11s #%lld", "Incident", (long long)x.incident_id);
	if (x.window_id)
		detail_add(d, "%-11s #%lld", "Window", (long long)x.window_id);
	if (x.run_id)
		detail_add(d, "%-11s #%lld", "Run", (long long)x.run_id);
	s = text_sanitize_str(x.hash, 0);
	detail_add(d, "%-11s %s", "Hash", s ? s : "");
	free(s);
	detail_add(d, "%s", "");
	detail_add_text(d, "Text", x.text);
	if (x.corrects) {
		detail_add(d, "%s", "");
		if (shiftlog_get(st, x.corrects, &orig, e) == 0) {
			char *t = text_sanitize_str(orig.text, 0);
			char when[32];
			clock_format_local(orig.ts_ms, when, sizeof when);
			detail_add(d, "Corrects #%lld (%s): %s", (long long)x.corrects, when,
				   t ? t : "");
			free(t);
		} else {
			detail_add(d, "Corrects #%lld (not readable: %s)", (long long)x.corrects,
				   e->msg);
		}
	}
	detail_add(d, "%s", "");
	detail_add(d, "Corrections: %lld", (long long)x.n_corrections);
	if (x.n_corrections > 0) {
		memset(&f, 0, sizeof f);
		f.corrects = id;
		w.d = d;
		if (shiftlog_page(st, &f, SHIFTLOG_NEWER, 0, DETAIL_MAX_CORRECTIONS,
				  detail_correction, &w, e) < 0)
			detail_add(d, "  (not readable: %s)", e->msg);
		else if (x.n_corrections > DETAIL_MAX_CORRECTIONS)
			detail_add(d, "  ... and %lld more",
				   (long long)(x.n_corrections - DETAIL_MAX_CORRECTIONS));
	}
	err_clear(e);
out:
	shiftlog_entry_clear(&x);
	shiftlog_entry_clear(&orig);
	return d;
}

/* Wrapped lines of the detail at width w, written to fn (NULL: just count). */
static int detail_walk(const struct log_detail *d, int w,
		       void (*fn)(void *ud, int idx, const char *s, size_t n), void *ud)
{
	int idx = 0;

	for (int i = 0; i < d->n; i++) {
		const char *p = d->lines[i];
		if (!*p) {
			if (fn)
				fn(ud, idx, p, 0);
			idx++;
			continue;
		}
		while (*p) {
			size_t skip = 0;
			size_t n = ui_wrap(p, w, &skip);
			if (fn)
				fn(ud, idx, p, n);
			idx++;
			p += n + skip;
		}
	}
	return idx;
}

struct detail_paint {
	const struct ui_rect *r;
	int first; /* first wrapped line shown */
	int rows;
};

static void detail_paint_line(void *ud, int idx, const char *s, size_t n)
{
	struct detail_paint *dp = ud;
	char line[4096];
	int row = idx - dp->first;

	if (row < 0 || row >= dp->rows)
		return;
	snprintf(line, sizeof line, " %.*s", (int)n, s);
	ui_put(dp->r->y + 1 + row, dp->r->x, dp->r->w, line,
	       colors_attr(idx == 0 ? ROLE_ACCENT : ROLE_NORMAL) | (idx == 0 ? A_BOLD : 0));
}

static void detail_draw(struct log_view *lv, const struct ui_rect *r)
{
	struct log_detail *d = lv->detail;
	int rows = r->h - 1;
	int total = detail_walk(d, r->w - 2, NULL, NULL);
	struct detail_paint dp = {r, 0, rows};

	if (d->scroll > total - rows)
		d->scroll = total - rows;
	if (d->scroll < 0)
		d->scroll = 0;
	dp.first = d->scroll;
	ui_put(r->y, r->x, r->w, " Entry detail (Esc closes, c corrects)", colors_attr(ROLE_HEADER));
	for (int i = 0; i < rows; i++)
		ui_fill(r->y + 1 + i, r->x, r->w, colors_attr(ROLE_NORMAL));
	detail_walk(d, r->w - 2, detail_paint_line, &dp);
}

/* ---- drawing the table ---- */

struct log_layout {
	int min_cols;                          /* narrowest screen this layout suits */
	int time_w, sev_w, cat_w, op_w, host_w; /* 0 drops the column */
	int time_off;                          /* where the shown part of "YYYY-MM-DD HH:MM:SS" starts */
};

/* Widest first; the text column takes whatever is left. */
static const struct log_layout layouts[] = {
	{98, 19, 8, 10, 10, 14, 0},
	{81, 14, 8, 10, 8, 10, 5},
	{57, 14, 8, 10, 0, 0, 5},
	{0, 8, 8, 0, 0, 0, 11},
};

static const struct log_layout *layout_for(int cols)
{
	size_t i = 0;

	while (i + 1 < sizeof layouts / sizeof layouts[0] && cols < layouts[i].min_cols)
		i++;
	return &layouts[i];
}

static int put_col(int y, int x, int w, const char *s, attr_t a, int right)
{
	if (w <= 0 || x >= right)
		return x;
	if (x + w > right)
		w = right - x;
	ui_put(y, x, w, s, a);
	if (x + w < right)
		ui_put(y, x + w, 1, " ", a);
	return x + w + 1;
}

static void draw_row(const struct log_row *row, const struct log_layout *L, int y,
		     const struct ui_rect *r, bool selected)
{
	attr_t base = colors_attr(selected ? ROLE_SELECTED : ROLE_NORMAL);
	attr_t dim = selected ? base : colors_attr(ROLE_DIM);
	int right = r->x + r->w;
	int x = r->x;
	const char *mark = row->corrects ? "C" : row->n_corrections ? "*" : " ";

	x = put_col(y, x, 1, mark, selected ? base : colors_attr(ROLE_ACCENT), right);
	x = put_col(y, x, L->time_w, row->time + L->time_off, dim, right);
	x = put_col(y, x, L->sev_w, row->severity, selected ? base : colors_attr(row->sev_role),
		    right);
	x = put_col(y, x, L->cat_w, row->category, base, right);
	x = put_col(y, x, L->op_w, row->operator_name, base, right);
	x = put_col(y, x, L->host_w, row->host[0] ? row->host : "-", base, right);
	if (x < right)
		ui_put(y, x, right - x, row->text, base);
}

static void draw_headings(const struct log_layout *L, int y, const struct ui_rect *r)
{
	attr_t a = colors_attr(ROLE_DIM) | A_UNDERLINE;
	int right = r->x + r->w;
	int x = r->x;

	x = put_col(y, x, 1, " ", a, right);
	x = put_col(y, x, L->time_w, "Time", a, right);
	x = put_col(y, x, L->sev_w, "Severity", a, right);
	x = put_col(y, x, L->cat_w, "Category", a, right);
	x = put_col(y, x, L->op_w, "Operator", a, right);
	x = put_col(y, x, L->host_w, "Host", a, right);
	if (x < right)
		ui_put(y, x, right - x, "Text", a);
}

/* "search "disk" | category alarm | severity >= warning | since ..." or "all entries". */
static void filter_text(const struct log_filter *lf, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (lf->match[0])
		o += (size_t)snprintf(buf + o, len - o, "search \"%s\" | ", lf->match);
	if (lf->category[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "category %s | ", lf->category);
	if (lf->min_severity[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "severity >= %s | ", lf->min_severity);
	if (lf->since_ms && o < len)
		o += (size_t)snprintf(buf + o, len - o, "since %s | ", lf->since_text);
	if (o >= 3 && o < len)
		buf[o - 3] = '\0';
	else if (o == 0)
		snprintf(buf, len, "all entries");
}

static bool filtered(const struct log_filter *lf)
{
	return lf->match[0] || lf->category[0] || lf->min_severity[0] || lf->since_ms;
}

static void log_draw(struct view *v, const struct ui_rect *r)
{
	struct log_view *lv = (struct log_view *)v;
	const struct log_layout *L = layout_for(r->w);
	char filt[PROMPT_MAX + 200];
	char head[PROMPT_MAX + 300];
	char pos[64] = "";
	int pw = 0;

	if (lv->detail) {
		detail_draw(lv, r);
		return;
	}
	filter_text(&lv->flt, filt, sizeof filt);
	snprintf(head, sizeof head, " Log: %s", filt);
	if (lv->nbuf)
		snprintf(pos, sizeof pos, " #%lld%s ", (long long)lv->buf[lv->cur].id,
			 lv->follow ? " (newest)" : "");
	pw = text_width(pos);
	if (pw > r->w / 2)
		pw = 0;
	ui_put(r->y, r->x, r->w - pw, head,
	       colors_attr(filtered(&lv->flt) ? ROLE_ACCENT : ROLE_HEADER) | A_BOLD);
	if (pw)
		ui_put(r->y, r->x + r->w - pw, pw, pos, colors_attr(ROLE_HEADER));
	draw_headings(L, r->y + 1, r);
	for (int i = 0; i < r->h - 2; i++) {
		int idx = lv->top + i;
		int y = r->y + 2 + i;

		if (idx < lv->nbuf)
			draw_row(&lv->buf[idx], L, y, r, idx == lv->cur);
		else if (i == 0 && lv->nbuf == 0)
			ui_put(y, r->x, r->w,
			       filtered(&lv->flt) ? "  No entries match the filter (x clears it)." :
					      "  The shift log is empty. Press n to write a note.",
			       colors_attr(ROLE_DIM));
		else
			ui_fill(y, r->x, r->w, colors_attr(ROLE_NORMAL));
	}
}

/* ---- filters ---- */

/*
 * Applies a filter change: set(lv->flt, text), then reload from the newest entry.
 * On error (a malformed FTS5 query) the old filter comes back and the error is
 * shown. Returns 0 or -1.
 */
static int change_filter(struct log_view *lv, void (*set)(struct log_filter *, const char *),
			 const char *text)
{
	struct log_filter before = lv->flt;
	struct err e = {{0}};
	char filt[PROMPT_MAX + 200];

	set(&lv->flt, text);
	if (load_end(lv, true, &e) < 0) {
		lv->flt = before;
		app_message(lv->base.app, ROLE_ERROR, "%s", e.msg);
		return -1;
	}
	filter_text(&lv->flt, filt, sizeof filt);
	app_message(lv->base.app, ROLE_MESSAGE, "Showing %s", filt);
	return 0;
}

static const char *trim(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	snprintf(buf, len, "%s", s);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}

static void set_match(struct log_filter *lf, const char *t)
{
	snprintf(lf->match, sizeof lf->match, "%s", t);
}

static void set_category(struct log_filter *lf, const char *t)
{
	snprintf(lf->category, sizeof lf->category, "%s", t);
}

static void set_severity(struct log_filter *lf, const char *t)
{
	snprintf(lf->min_severity, sizeof lf->min_severity, "%s", t);
}

static void set_since(struct log_filter *lf, const char *t)
{
	int64_t ms = 0;

	lf->since_ms = (*t && clock_parse(t, &ms) == 0) ? ms : 0;
	/* Show the absolute time: "-2h" would mean something else an hour later. */
	if (lf->since_ms)
		clock_format_local(lf->since_ms, lf->since_text, sizeof lf->since_text);
	else
		lf->since_text[0] = '\0';
}

static int search_submit(void *ud, const char *text)
{
	char t[PROMPT_MAX];

	return change_filter(ud, set_match, trim(text, t, sizeof t)) < 0 ? -1 : 0;
}

static int category_submit(void *ud, const char *text)
{
	struct log_view *lv = ud;
	char t[64];

	trim(text, t, sizeof t);
	if (*t && !shiftlog_category_valid(t)) {
		char all[256] = "";
		for (size_t i = 0; shiftlog_categories[i]; i++)
			snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? ", " : "",
				 shiftlog_categories[i]);
		app_message(lv->base.app, ROLE_ERROR, "unknown category '%s' (one of: %s)", t, all);
		return -1;
	}
	return change_filter(lv, set_category, t) < 0 ? -1 : 0;
}

static int severity_submit(void *ud, const char *text)
{
	struct log_view *lv = ud;
	char t[64];

	trim(text, t, sizeof t);
	if (*t && shiftlog_severity_rank(t) < 0) {
		app_message(lv->base.app, ROLE_ERROR,
			    "unknown severity '%s' (one of: info, notice, warning, critical)", t);
		return -1;
	}
	return change_filter(lv, set_severity, t) < 0 ? -1 : 0;
}

static int since_submit(void *ud, const char *text)
{
	struct log_view *lv = ud;
	char t[64];
	int64_t ms = 0;

	trim(text, t, sizeof t);
	if (*t && clock_parse(t, &ms) < 0) {
		app_message(lv->base.app, ROLE_ERROR,
			    "not a time: '%s' (try -30m, -2h, -7d, 2026-11-20 08:00)", t);
		return -1;
	}
	return change_filter(lv, set_since, t) < 0 ? -1 : 0;
}

static int correct_submit(void *ud, const char *text)
{
	struct log_view *lv = ud;
	struct shiftlog_new n = {.category = "correction", .text = text, .corrects = lv->correct_id};
	struct err e = {{0}};
	int64_t id = 0;

	if (strspn(text, " ") == strlen(text)) {
		app_message(lv->base.app, ROLE_MESSAGE, "Empty correction not saved");
		return 0;
	}
	if (shiftlog_append(app_store(lv->base.app), &n, &id, &e) < 0) {
		app_message(lv->base.app, ROLE_ERROR, "Correction not saved: %s", e.msg);
		return -1;
	}
	app_message(lv->base.app, ROLE_MESSAGE, "Saved correction #%lld to #%lld", (long long)id,
		    (long long)lv->correct_id);
	app_data_changed(lv->base.app);
	return 0;
}

/* ---- actions ---- */

typedef unsigned (*log_action_fn)(struct log_view *lv);

static unsigned act_up(struct log_view *lv)
{
	return move_sel(lv, -1, false);
}

static unsigned act_down(struct log_view *lv)
{
	return move_sel(lv, 1, false);
}

static unsigned act_page_up(struct log_view *lv)
{
	return move_sel(lv, -lv->page, true);
}

static unsigned act_page_down(struct log_view *lv)
{
	return move_sel(lv, lv->page, true);
}

static unsigned act_end(struct log_view *lv, bool newest)
{
	struct err e = {{0}};

	if (load_end(lv, newest, &e) < 0)
		show_error(lv, &e);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_top(struct log_view *lv)
{
	return act_end(lv, false);
}

static unsigned act_bottom(struct log_view *lv)
{
	return act_end(lv, true);
}

static unsigned open_detail(struct log_view *lv, int64_t id)
{
	struct err e = {{0}};
	struct log_detail *d = detail_load(lv, id, &e);

	if (!d) {
		show_error(lv, &e);
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	detail_free(&lv->detail);
	lv->detail = d;
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_detail(struct log_view *lv)
{
	if (lv->nbuf == 0)
		return VIEW_HANDLED;
	return open_detail(lv, lv->buf[lv->cur].id);
}

static unsigned act_search(struct log_view *lv)
{
	app_prompt_line(lv->base.app, "Search (FTS5, empty clears):", lv->flt.match, search_submit,
			lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_category(struct log_view *lv)
{
	app_prompt_line(lv->base.app, "Category (note, action, alarm, ...; empty clears):",
			lv->flt.category, category_submit, lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_severity(struct log_view *lv)
{
	app_prompt_line(lv->base.app, "Minimum severity (info, notice, warning, critical):",
			lv->flt.min_severity, severity_submit, lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_since(struct log_view *lv)
{
	app_prompt_line(lv->base.app, "Since (-2h, -7d, 2026-11-20 08:00; empty clears):",
			lv->flt.since_text, since_submit, lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_clear(struct log_view *lv)
{
	struct err e = {{0}};

	memset(&lv->flt, 0, sizeof lv->flt);
	if (load_end(lv, true, &e) < 0)
		show_error(lv, &e);
	else
		app_message(lv->base.app, ROLE_MESSAGE, "Filters cleared");
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_correct(struct log_view *lv)
{
	char label[64];

	if (lv->detail)
		lv->correct_id = lv->detail->id;
	else if (lv->nbuf)
		lv->correct_id = lv->buf[lv->cur].id;
	else
		return VIEW_HANDLED;
	snprintf(label, sizeof label, "Correct #%lld:", (long long)lv->correct_id);
	app_prompt_line(lv->base.app, label, NULL, correct_submit, lv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_back(struct log_view *lv)
{
	return VIEW_HANDLED;
}

static const log_action_fn table_actions[LOG_ACT__COUNT] = {
	[LOG_ACT_UP] = act_up,
	[LOG_ACT_DOWN] = act_down,
	[LOG_ACT_PAGE_UP] = act_page_up,
	[LOG_ACT_PAGE_DOWN] = act_page_down,
	[LOG_ACT_TOP] = act_top,
	[LOG_ACT_BOTTOM] = act_bottom,
	[LOG_ACT_DETAIL] = act_detail,
	[LOG_ACT_SEARCH] = act_search,
	[LOG_ACT_CATEGORY] = act_category,
	[LOG_ACT_SEVERITY] = act_severity,
	[LOG_ACT_SINCE] = act_since,
	[LOG_ACT_CLEAR] = act_clear,
	[LOG_ACT_CORRECT] = act_correct,
	[VIEW_ACT_BACK] = act_back,
};

/* In the detail overlay the movement keys scroll it; Enter and Esc close it. */
static unsigned detail_action(struct log_view *lv, int action)
{
	static const enum ui_move moves[LOG_ACT__COUNT] = {
		[LOG_ACT_UP] = UI_MOVE_UP,		[LOG_ACT_DOWN] = UI_MOVE_DOWN,
		[LOG_ACT_PAGE_UP] = UI_MOVE_PAGE_UP,	[LOG_ACT_PAGE_DOWN] = UI_MOVE_PAGE_DOWN,
		[LOG_ACT_TOP] = UI_MOVE_TOP,		[LOG_ACT_BOTTOM] = UI_MOVE_BOTTOM,
	};
	struct log_detail *d = lv->detail;

	if (action >= 0 && action < LOG_ACT__COUNT && ui_scroll(&d->scroll, moves[action], lv->page))
		return VIEW_HANDLED | VIEW_REDRAW;
	switch (action) {
	case VIEW_ACT_BACK:
	case LOG_ACT_DETAIL:
		detail_free(&lv->detail);
		break;
	case LOG_ACT_CORRECT:
		return act_correct(lv);
	default:
		return VIEW_HANDLED; /* filters wait until the detail is closed */
	}
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned log_on_action(struct view *v, int action)
{
	struct log_view *lv = (struct log_view *)v;

	if (action < 0 || action >= LOG_ACT__COUNT)
		return VIEW_UNHANDLED;
	if (lv->detail)
		return detail_action(lv, action);
	return table_actions[action] ? table_actions[action](lv) : VIEW_UNHANDLED;
}

static unsigned log_on_resize(struct view *v, int rows, int cols)
{
	struct log_view *lv = (struct log_view *)v;
	struct err e = {{0}};

	lv->page = rows - 2 > 1 ? rows - 2 : 1;
	lv->cols = cols;
	if (!lv->loaded || lv->follow) {
		lv->loaded = true;
		if (load_end(lv, true, &e) < 0)
			show_error(lv, &e);
	} else {
		settle(lv);
	}
	return VIEW_REDRAW;
}

static unsigned log_on_data_changed(struct view *v)
{
	struct log_view *lv = (struct log_view *)v;
	struct err e = {{0}};

	if (!lv->loaded)
		return VIEW_UNHANDLED;
	if (lv->follow || lv->nbuf == 0) {
		if (load_end(lv, true, &e) < 0)
			show_error(lv, &e);
	} else {
		reload_in_place(lv);
	}
	if (lv->detail) {
		/* New corrections may reference the open entry. */
		int scroll = lv->detail->scroll;
		struct log_detail *d = detail_load(lv, lv->detail->id, &e);
		if (d) {
			d->scroll = scroll;
			detail_free(&lv->detail);
			lv->detail = d;
		}
	}
	return VIEW_REDRAW;
}

static struct view *log_create(struct app *a, struct err *e)
{
	struct log_view *lv = calloc(1, sizeof *lv);

	if (!lv) {
		err_set(e, "out of memory");
		return NULL;
	}
	lv->base.cls = &view_log_class;
	lv->base.app = a;
	lv->page = 1;
	return &lv->base;
}

static void log_destroy(struct view *v)
{
	struct log_view *lv = (struct log_view *)v;

	if (!lv)
		return;
	buf_clear(lv);
	free(lv->buf);
	detail_free(&lv->detail);
	free(lv);
}

/* The view's actions: keys.yaml names, default keys, help, hint label. */
static const struct view_action log_actions[LOG_ACT__COUNT] = {
	[LOG_ACT_UP] = {"log.up", "Up k",
		"Move the selection up one entry",
		NULL},
	[LOG_ACT_DOWN] = {"log.down", "Down j",
		"Move the selection down one entry",
		NULL},
	[LOG_ACT_PAGE_UP] = {"log.page-up", "PageUp C-b",
		"Scroll up one screen",
		NULL},
	[LOG_ACT_PAGE_DOWN] = {"log.page-down", "PageDown Space",
		"Scroll down one screen",
		NULL},
	[LOG_ACT_TOP] = {"log.top", "Home g",
		"Go to the oldest entry",
		NULL},
	[LOG_ACT_BOTTOM] = {"log.bottom", "End G",
		"Go to the newest entry and follow new ones",
		NULL},
	[LOG_ACT_DETAIL] = {"log.detail", "Enter",
		"Open the selected entry: all fields, hash and corrections",
		"detail"},
	[LOG_ACT_SEARCH] = {"log.search", "/",
		"Search the words as typed (fts: for FTS5 syntax; empty clears)",
		"search"},
	[LOG_ACT_CATEGORY] = {"log.filter-category", "f",
		"Filter by category (empty clears)",
		"category"},
	[LOG_ACT_SEVERITY] = {"log.filter-severity", "s",
		"Show this severity and above (empty clears)",
		"severity"},
	[LOG_ACT_SINCE] = {"log.filter-since", "t",
		"Show entries since a time: -2h, -7d, 2026-11-20 08:00 (empty clears)",
		"since"},
	[LOG_ACT_CLEAR] = {"log.clear-filters", "x",
		"Clear search and every filter",
		"clear"},
	[LOG_ACT_CORRECT] = {"log.correct", "c",
		"Write a correction to the selected entry (entries are never edited)",
		"correct"},
};

const struct view_class view_log_class = {
	.name = "log",
	.title = "Log",
	.create = log_create,
	.destroy = log_destroy,
	.draw = log_draw,
	.actions = log_actions,
	.n_actions = LOG_ACT__COUNT,
	.on_action = log_on_action,
	.on_key = NULL,
	.on_resize = log_on_resize,
	.on_data_changed = log_on_data_changed,
	.help_context = NULL,
	.legend = "Marks: C = a correction, * = corrected (Enter shows the corrections)",
};
