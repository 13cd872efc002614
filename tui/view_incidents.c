/*
 * view_incidents: the incident queue (severity, then age) as one screen of rows
 * read with incident_page keyset cursors (never the whole queue), its filters,
 * the responder's actions through the core (each logged there), and the detail
 * with the incident's timeline read a page at a time as it is scrolled.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "clock.h"
#include "incident.h"
#include "text.h"
#include "view.h"

enum {
	INC_ACT_UP = VIEW_ACT_FIRST,
	INC_ACT_DOWN,
	INC_ACT_PAGE_UP,
	INC_ACT_PAGE_DOWN,
	INC_ACT_TOP,
	INC_ACT_BOTTOM,
	INC_ACT_DETAIL,
	INC_ACT_SEARCH,
	INC_ACT_SEVERITY,
	INC_ACT_STATE,
	INC_ACT_CLEAR,
	INC_ACT_ACK,
	INC_ACT_ACTIVATE,
	INC_ACT_ESCALATE,
	INC_ACT_MITIGATE,
	INC_ACT_RESOLVE,
	INC_ACT_CREATE,
	INC_ACT_ANNOTATE,
	INC_ACT__COUNT
};

#define INC_EVENTS_PAGE 200 /* timeline events read per step of the detail */

/* One queue row. inc's title, first_host and assignee are sanitised copies owned
 * here; its other strings are NULL, so incident_clear frees exactly those. */
struct inc_row {
	struct incident inc;
};

/* The open detail: logical lines (sanitised), and where the timeline stopped. */
struct inc_detail {
	int64_t id;
	char **lines;
	int n, cap;
	int scroll;
	int64_t last_event; /* id of the last timeline event read */
	bool events_done;
};

struct inc_filter {
	unsigned states; /* 0: open */
	int severity;    /* 0: any */
	char match[PROMPT_MAX];
	char states_text[128];
};

struct inc_view {
	struct view base;
	struct inc_filter flt;
	struct incident_cursor start; /* just before rows[0]; all zero: the queue's start */
	struct inc_row *rows;         /* owned, n of them, queue order */
	int n;
	int sel;
	int page;
	bool loaded;
	struct inc_detail *detail;
	int64_t target;      /* the incident a prompt is for */
	int pending;         /* the action a prompt is for */
	char new_title[PROMPT_MAX]; /* create: the title while the severity is asked */
};

/* ---- rows ---- */

static void row_clear(struct inc_row *r)
{
	incident_clear(&r->inc);
	memset(r, 0, sizeof *r);
}

static void rows_free(struct inc_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		row_clear(&rows[i]);
	free(rows);
}

struct fetch {
	struct inc_row *rows;
	int n, max;
	bool oom;
};

static int fetch_row(const struct incident *x, void *ud)
{
	struct fetch *fe = ud;
	struct inc_row *r = NULL;

	if (fe->n >= fe->max)
		return 1;
	r = &fe->rows[fe->n];
	r->inc = *x;
	/* Borrowed pointers from the callback must not survive it. */
	r->inc.title = r->inc.description = r->inc.impact = r->inc.assignee = NULL;
	r->inc.dedup_key = r->inc.resolution = r->inc.cancel_reason = NULL;
	r->inc.hosts = r->inc.responders = r->inc.first_host = r->inc.opened_by = NULL;
	r->inc.title = text_sanitize_str(x->title, 0);
	r->inc.first_host = text_sanitize_str(x->first_host, 0);
	r->inc.assignee = text_sanitize_str(x->assignee, 0);
	fe->n++;
	if (!r->inc.title || !r->inc.first_host || !r->inc.assignee) {
		fe->oom = true;
		return 1;
	}
	return 0;
}

static void build_filter(const struct inc_filter *lf, struct incident_filter *f)
{
	incident_filter_init(f);
	f->states = lf->states;
	f->severity = lf->severity;
	f->match = lf->match[0] ? lf->match : NULL;
}

/*
 * Up to limit rows next to cur (NULL: from the start / the end), in queue order.
 * Returns a new array (caller owns, *n rows) or NULL with e set.
 */
static struct inc_row *fetch(struct inc_view *iv, const struct incident_cursor *cur,
			     enum incident_dir dir, int limit, int *n, struct err *e)
{
	struct incident_filter f;
	struct fetch fe = {NULL, 0, limit, false};

	*n = 0;
	build_filter(&iv->flt, &f);
	fe.rows = calloc((size_t)(limit > 0 ? limit : 1), sizeof *fe.rows);
	if (!fe.rows) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (incident_page(app_store(iv->base.app), &f, cur, dir, limit, fetch_row, &fe, e) < 0)
		goto fail;
	if (fe.oom) {
		err_set(e, "out of memory");
		goto fail;
	}
	if (dir == INCIDENT_BACKWARD) /* pages come in reverse queue order */
		for (int i = 0, j = fe.n - 1; i < j; i++, j--) {
			struct inc_row t = fe.rows[i];
			fe.rows[i] = fe.rows[j];
			fe.rows[j] = t;
		}
	*n = fe.n;
	return fe.rows;
fail:
	rows_free(fe.rows, fe.n);
	return NULL;
}

/* The cursor just before row r: the next forward page starts with r itself. */
static struct incident_cursor cursor_before(const struct incident *r)
{
	struct incident_cursor c = incident_cursor_of(r);

	if (c.id > 1) {
		c.id--;
	} else { /* id 0 would mean "the start": step back in time instead */
		c.opened_at--;
		c.id = INT64_MAX;
	}
	return c;
}

static void show_error(struct inc_view *iv, const struct err *e)
{
	app_message(iv->base.app, ROLE_ERROR, "%s", e->msg);
}

/* Replaces the screen's rows with the page after start. 0, or -1 (shown; unchanged). */
static int load_from(struct inc_view *iv, struct incident_cursor start)
{
	struct err e = {{0}};
	int n = 0;
	struct inc_row *rows = fetch(iv, &start, INCIDENT_FORWARD, iv->page, &n, &e);

	if (!rows) {
		show_error(iv, &e);
		return -1;
	}
	rows_free(iv->rows, iv->n);
	iv->rows = rows;
	iv->n = n;
	iv->start = start;
	if (iv->sel >= n)
		iv->sel = n - 1;
	if (iv->sel < 0)
		iv->sel = 0;
	return 0;
}

/* How many rows lie next to the screen's first (BACKWARD) or last row, up to limit;
 * *first gets the farthest one's "before" cursor. -1 on error (shown). */
static int peek(struct inc_view *iv, enum incident_dir dir, int limit,
		struct incident_cursor *first)
{
	struct err e = {{0}};
	struct incident_cursor c = {0, 0, 0};
	struct inc_row *rows = NULL;
	int n = 0;

	if (iv->n)
		c = incident_cursor_of(&iv->rows[dir == INCIDENT_BACKWARD ? 0 : iv->n - 1].inc);
	else if (dir == INCIDENT_FORWARD)
		return 0;
	rows = fetch(iv, &c, dir, limit, &n, &e);
	if (!rows) {
		show_error(iv, &e);
		return -1;
	}
	if (n && first)
		*first = cursor_before(&rows[0].inc);
	rows_free(rows, n);
	return n;
}

/* Reloads the screen in place, keeping the selected incident when it is still there. */
static void reload(struct inc_view *iv)
{
	int64_t sel_id = iv->n ? iv->rows[iv->sel].inc.id : 0;
	struct incident_cursor c = {0, 0, 0};

	if (load_from(iv, iv->start) < 0)
		return;
	/* The rows at the end went away (resolved): show the last page instead. */
	if (iv->n < iv->page && iv->start.id && peek(iv, INCIDENT_BACKWARD, iv->page - iv->n, &c) > 0)
		load_from(iv, c);
	for (int i = 0; i < iv->n; i++)
		if (iv->rows[i].inc.id == sel_id)
			iv->sel = i;
}

/* ---- moving ---- */

static unsigned move_down(struct inc_view *iv, int by)
{
	if (iv->sel + by < iv->n) {
		iv->sel += by;
	} else if (iv->n && peek(iv, INCIDENT_FORWARD, 1, NULL) > 0) {
		int keep = by == 1 ? iv->n - 1 : 0;
		struct incident_cursor c = by == 1 ? incident_cursor_of(&iv->rows[0].inc) :
						     incident_cursor_of(&iv->rows[iv->n - 1].inc);
		if (load_from(iv, c) == 0)
			iv->sel = keep < iv->n ? keep : iv->n - 1;
	} else {
		iv->sel = iv->n ? iv->n - 1 : 0;
	}
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned move_up(struct inc_view *iv, int by)
{
	struct incident_cursor c = {0, 0, 0};

	if (iv->sel - by >= 0) {
		iv->sel -= by;
	} else if (peek(iv, INCIDENT_BACKWARD, by, &c) > 0) {
		if (load_from(iv, c) == 0)
			iv->sel = by == 1 ? 0 : iv->sel;
	} else {
		iv->sel = 0;
	}
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_up(struct inc_view *iv)
{
	return move_up(iv, 1);
}

static unsigned act_down(struct inc_view *iv)
{
	return move_down(iv, 1);
}

static unsigned act_page_up(struct inc_view *iv)
{
	return move_up(iv, iv->page);
}

static unsigned act_page_down(struct inc_view *iv)
{
	return move_down(iv, iv->page);
}

static unsigned act_top(struct inc_view *iv)
{
	struct incident_cursor zero = {0, 0, 0};

	iv->sel = 0;
	load_from(iv, zero);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_bottom(struct inc_view *iv)
{
	struct err e = {{0}};
	struct incident_cursor c = {0, 0, 0};
	int n = 0;
	struct inc_row *rows = fetch(iv, NULL, INCIDENT_BACKWARD, iv->page, &n, &e);

	if (!rows) {
		show_error(iv, &e);
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	if (n)
		c = cursor_before(&rows[0].inc);
	rows_free(rows, n);
	if (load_from(iv, c) == 0)
		iv->sel = iv->n - 1;
	return VIEW_HANDLED | VIEW_REDRAW;
}

/* ---- the detail and its timeline ---- */

static void detail_free(struct inc_detail **dp)
{
	struct inc_detail *d = *dp;

	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	free(d);
	*dp = NULL;
}

static void detail_add(struct inc_detail *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one line, sanitised; silently short on memory (the detail is informative). */
static void detail_add(struct inc_detail *d, const char *fmt, ...)
{
	va_list ap;
	char raw[2048];

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 64;
		char **nl = realloc(d->lines, (size_t)cap * sizeof *nl);
		if (!nl)
			return;
		d->lines = nl;
		d->cap = cap;
	}
	if ((d->lines[d->n] = text_sanitize_str(raw, 0)))
		d->n++;
}

static int detail_event(const struct incident_event *ev, void *ud)
{
	struct inc_detail *d = ud;
	char when[32];

	clock_format_local(ev->ts, when, sizeof when);
	if (ev->from_state)
		detail_add(d, "  %s  %-10s %-10s %s -> %s  %s", when, ev->actor ? ev->actor : "?",
			   ev->kind, ev->from_state, ev->to_state ? ev->to_state : "?",
			   ev->text ? ev->text : "");
	else
		detail_add(d, "  %s  %-10s %-10s %s", when, ev->actor ? ev->actor : "?", ev->kind,
			   ev->text ? ev->text : "");
	d->last_event = ev->id;
	return 0;
}

/* Reads the next page of the timeline into d. 0, or -1 with e set. */
static int detail_more(struct inc_view *iv, struct inc_detail *d, struct err *e)
{
	int n = 0;

	if (d->events_done)
		return 0;
	n = incident_events(app_store(iv->base.app), d->id, d->last_event, INC_EVENTS_PAGE,
			    detail_event, d, e);
	if (n < 0)
		return -1;
	d->events_done = n < INC_EVENTS_PAGE;
	return 0;
}

static struct inc_detail *detail_load(struct inc_view *iv, int64_t id, struct err *e)
{
	const struct incident_config *cfg = app_incident_config(iv->base.app);
	struct incident inc;
	struct inc_detail *d = NULL;
	char ack[32], res[32];
	bool run = false;
	int64_t now = clock_now_ms();

	memset(&inc, 0, sizeof inc);
	if (incident_get(app_store(iv->base.app), id, &inc, e) < 0)
		return NULL;
	d = calloc(1, sizeof *d);
	if (!d) {
		err_set(e, "out of memory");
		goto out;
	}
	d->id = id;
	detail_add(d, "Incident #%lld  %s", (long long)inc.id, inc.title ? inc.title : "");
	detail_add(d, "Severity   SEV%d (%s)   State %s   Level %d%s", inc.severity,
		   cfg->sev[inc.severity - 1].name, incident_state_name(inc.state), inc.level,
		   inc.flapping ? "   FLAPPING" : "");
	detail_add(d, "Source     %s   Class %s   Repeats %lld", incident_source_name(inc.source),
		   incident_class_label(inc.classification), (long long)inc.repeat_count);
	detail_add(d, "Hosts      %s", inc.hosts && *inc.hosts ? inc.hosts : "-");
	detail_add(d, "Assignee   %s   Responders %s", inc.assignee ? inc.assignee : "-",
		   inc.responders ? inc.responders : "-");
	incident_duration_format(incident_sla_left(&inc, INCIDENT_CLOCK_ACK, now, &run), ack,
				 sizeof ack);
	incident_duration_format(incident_sla_left(&inc, INCIDENT_CLOCK_RESOLVE, now, &run), res,
				 sizeof res);
	detail_add(d, "SLA        ack %s %s   resolve %s %s", ack,
		   inc.ack_sla[0] ? inc.ack_sla : "running", res,
		   inc.resolve_sla[0] ? inc.resolve_sla : "running");
	if (inc.description)
		detail_add(d, "About      %s", inc.description);
	if (inc.resolution)
		detail_add(d, "Resolution %s", inc.resolution);
	detail_add(d, "%s", "");
	detail_add(d, "Timeline");
	if (detail_more(iv, d, e) < 0) {
		detail_add(d, "  (not readable: %s)", e->msg);
		err_clear(e);
	}
out:
	incident_clear(&inc);
	return d;
}

static void detail_draw(struct inc_view *iv, const struct ui_rect *r)
{
	struct inc_detail *d = iv->detail;
	int rows = r->h - 1;
	struct err e = {{0}};
	char cell[4096];

	/* Scrolled to the end: read the next page of the timeline. */
	while (!d->events_done && d->scroll + rows >= d->n)
		if (detail_more(iv, d, &e) < 0) {
			show_error(iv, &e);
			break;
		}
	if (d->scroll > d->n - rows)
		d->scroll = d->n - rows;
	if (d->scroll < 0)
		d->scroll = 0;
	ui_put(r->y, r->x, r->w,
	       " Incident detail (Esc closes; a ack, A activate, e escalate, m mitigate, r resolve, o note)",
	       colors_attr(ROLE_HEADER));
	for (int i = 0; i < rows; i++) {
		int idx = d->scroll + i;
		if (idx < d->n) {
			text_fit(cell, sizeof cell, d->lines[idx], r->w - 1, true);
			ui_put(r->y + 1 + i, r->x + 1, r->w - 1, cell,
			       colors_attr(idx == 0 ? ROLE_ACCENT : ROLE_NORMAL) | (idx == 0 ? A_BOLD : 0));
			ui_put(r->y + 1 + i, r->x, 1, " ", colors_attr(ROLE_NORMAL));
		} else {
			ui_fill(r->y + 1 + i, r->x, r->w, colors_attr(ROLE_NORMAL));
		}
	}
}

static unsigned open_detail(struct inc_view *iv, int64_t id)
{
	struct err e = {{0}};
	struct inc_detail *d = detail_load(iv, id, &e);

	if (!d) {
		show_error(iv, &e);
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	detail_free(&iv->detail);
	iv->detail = d;
	return VIEW_HANDLED | VIEW_REDRAW;
}

/* ---- the table: one row of this table per column ---- */

static const enum theme_role sev_roles[INCIDENT_N_SEV] = {ROLE_CRIT, ROLE_WARN, ROLE_ACCENT,
							   ROLE_NORMAL};

typedef enum theme_role (*inc_cell_fn)(const struct incident *inc, int64_t now, char *buf,
				       size_t len);

static enum theme_role cell_id(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	(void)now;
	snprintf(buf, len, "#%lld", (long long)inc->id);
	return ROLE_DIM;
}

static enum theme_role cell_sev(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	(void)now;
	snprintf(buf, len, "SEV%d", inc->severity);
	return inc->severity >= 1 && inc->severity <= INCIDENT_N_SEV ? sev_roles[inc->severity - 1] :
								       ROLE_UNKNOWN;
}

static enum theme_role cell_state(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	(void)now;
	snprintf(buf, len, "%s%s", incident_state_name(inc->state), inc->acked_at ? "" : "*");
	return inc->state == INCIDENT_TRIAGE ? ROLE_WARN : ROLE_NORMAL;
}

static enum theme_role cell_age(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	incident_duration_format(now - inc->opened_at, buf, len);
	return ROLE_NORMAL;
}

/* The clock that is running: ack until acknowledged, then resolve. */
static enum theme_role cell_sla(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	static const struct {
		enum incident_clock clock;
		const char *label;
	} clocks[] = {{INCIDENT_CLOCK_ACK, "ack"}, {INCIDENT_CLOCK_RESOLVE, "res"}};
	char d[32];

	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		bool running = false;
		int64_t left = incident_sla_left(inc, clocks[i].clock, now, &running);
		if (!running)
			continue;
		incident_duration_format(left, d, sizeof d);
		snprintf(buf, len, "%s %s", clocks[i].label, d);
		return left < 0 ? ROLE_CRIT : ROLE_NORMAL;
	}
	snprintf(buf, len, "-");
	return ROLE_DIM;
}

static enum theme_role cell_title(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	(void)now;
	snprintf(buf, len, "%s%s", inc->flapping ? "~ " : "", inc->title ? inc->title : "");
	return ROLE_NORMAL;
}

static enum theme_role cell_host(const struct incident *inc, int64_t now, char *buf, size_t len)
{
	(void)now;
	if (inc->n_hosts > 1)
		snprintf(buf, len, "%s +%lld", inc->first_host, (long long)(inc->n_hosts - 1));
	else
		snprintf(buf, len, "%s", inc->first_host && *inc->first_host ? inc->first_host : "-");
	return ROLE_NORMAL;
}

static enum theme_role cell_assignee(const struct incident *inc, int64_t now, char *buf,
				     size_t len)
{
	(void)now;
	snprintf(buf, len, "%s", inc->assignee && *inc->assignee ? inc->assignee : "-");
	return ROLE_NORMAL;
}

static const struct inc_col {
	const char *head;
	int width;    /* 0: takes what the others leave */
	int min_cols; /* the column is shown from this screen width on */
	inc_cell_fn cell;
} columns[] = {
	{"Id", 8, 0, cell_id},
	{"Sev", 4, 0, cell_sev},
	{"State", 10, 0, cell_state},
	{"Age", 8, 60, cell_age},
	{"SLA", 13, 50, cell_sla},
	{"Title", 0, 0, cell_title},
	{"Host", 14, 100, cell_host},
	{"Assignee", 10, 90, cell_assignee},
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

/* The width of the flexible column at screen width w. */
static int flex_width(int w)
{
	int used = 0;

	for (size_t i = 0; i < N_COLUMNS; i++)
		if (columns[i].width && w >= columns[i].min_cols)
			used += columns[i].width + 1;
	return w - used - 1 > 8 ? w - used - 1 : 8;
}

/* Draws one line of cells; row NULL draws the headings. */
static void draw_line(const struct inc_row *row, int y, const struct ui_rect *r, bool selected,
		      int64_t now)
{
	int right = r->x + r->w;
	int x = r->x;
	int flex = flex_width(r->w);
	char text[PROMPT_MAX + 64], cell[PROMPT_MAX + 64];

	for (size_t i = 0; i < N_COLUMNS && x < right; i++) {
		const struct inc_col *c = &columns[i];
		int w = c->width ? c->width : flex;
		enum theme_role role = ROLE_DIM;
		attr_t a = 0;

		if (r->w < c->min_cols)
			continue;
		if (x + w > right)
			w = right - x;
		if (row)
			role = c->cell(&row->inc, now, text, sizeof text);
		else
			snprintf(text, sizeof text, "%s", c->head);
		a = row ? colors_attr(selected ? ROLE_SELECTED : role) :
			  colors_attr(ROLE_DIM) | A_UNDERLINE;
		text_fit(cell, sizeof cell, text, w, true);
		ui_put(y, x, w, cell, a);
		x += w;
		if (x < right)
			ui_put(y, x++, 1, " ", row && selected ? colors_attr(ROLE_SELECTED) : a);
	}
	if (x < right)
		ui_fill(y, x, right - x, colors_attr(selected ? ROLE_SELECTED : ROLE_NORMAL));
}

static void filter_text(const struct inc_filter *f, char *buf, size_t len)
{
	char sev[16] = "";

	if (f->severity)
		snprintf(sev, sizeof sev, " | SEV%d", f->severity);
	snprintf(buf, len, "%s%s%s%s%s", f->states ? f->states_text : "open", sev,
		 f->match[0] ? " | \"" : "", f->match, f->match[0] ? "\"" : "");
}

static bool filtered(const struct inc_filter *f)
{
	return f->states || f->severity || f->match[0];
}

static void inc_draw(struct view *v, const struct ui_rect *r)
{
	struct inc_view *iv = (struct inc_view *)v;
	char filt[PROMPT_MAX + 200], head[PROMPT_MAX + 300], clean[PROMPT_MAX + 300];
	char *s = NULL;
	int64_t now = clock_now_ms();

	if (iv->detail) {
		detail_draw(iv, r);
		return;
	}
	filter_text(&iv->flt, filt, sizeof filt);
	snprintf(head, sizeof head, " Incidents: %s", filt);
	s = text_sanitize_str(head, 0); /* the filter text is what a person typed */
	text_fit(clean, sizeof clean, s ? s : "", r->w, true);
	free(s);
	ui_put(r->y, r->x, r->w, clean,
	       colors_attr(filtered(&iv->flt) ? ROLE_ACCENT : ROLE_HEADER) | A_BOLD);
	draw_line(NULL, r->y + 1, r, false, now);
	for (int i = 0; i < r->h - 2; i++) {
		int y = r->y + 2 + i;
		if (i < iv->n)
			draw_line(&iv->rows[i], y, r, i == iv->sel, now);
		else if (i == 0)
			ui_put(y, r->x, r->w,
			       filtered(&iv->flt) ? "  No incidents match the filter (x clears it)." :
						    "  No open incidents. Press c to open one.",
			       colors_attr(ROLE_DIM));
		else
			ui_fill(y, r->x, r->w, colors_attr(ROLE_NORMAL));
	}
}

/* ---- filters ---- */

static void trim(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	snprintf(buf, len, "%s", s);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

/* Applies a filter change and goes to the top; the old filter comes back on error. */
static int refilter(struct inc_view *iv, const struct inc_filter *before)
{
	struct incident_cursor zero = {0, 0, 0};
	char filt[PROMPT_MAX + 200];

	iv->sel = 0;
	if (load_from(iv, zero) < 0) {
		iv->flt = *before;
		return -1;
	}
	filter_text(&iv->flt, filt, sizeof filt);
	app_message(iv->base.app, ROLE_MESSAGE, "Showing %s", filt);
	return 0;
}

static int search_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;
	struct inc_filter before = iv->flt;

	trim(text, iv->flt.match, sizeof iv->flt.match);
	return refilter(iv, &before) < 0 ? -1 : 0;
}

static int severity_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;
	struct inc_filter before = iv->flt;
	char t[64];
	int sev = 0;

	trim(text, t, sizeof t);
	if (*t && (sev = incident_severity_parse(t)) < 0) {
		app_message(iv->base.app, ROLE_ERROR, "unknown severity '%s' (SEV1..SEV4)", t);
		return -1;
	}
	iv->flt.severity = sev;
	return refilter(iv, &before) < 0 ? -1 : 0;
}

/* "open", "all" or a comma list of state names. */
static int state_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;
	struct inc_filter before = iv->flt;
	char t[128], *save = NULL;
	unsigned mask = 0;

	trim(text, t, sizeof t);
	snprintf(iv->flt.states_text, sizeof iv->flt.states_text, "%s", t);
	if (!*t || strcmp(t, "open") == 0) {
		mask = 0;
	} else if (strcmp(t, "all") == 0) {
		mask = INCIDENT_ALL_MASK;
	} else {
		for (char *w = strtok_r(t, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
			int s = incident_state_parse(w);
			if (s < 0) {
				app_message(iv->base.app, ROLE_ERROR,
					    "unknown state '%s' (open, all, triage, active, "
					    "mitigated, resolved, closed, cancelled, merged)",
					    w);
				iv->flt = before;
				return -1;
			}
			mask |= INCIDENT_MASK(s);
		}
	}
	iv->flt.states = mask;
	return refilter(iv, &before) < 0 ? -1 : 0;
}

static unsigned act_search(struct inc_view *iv)
{
	app_prompt_line(iv->base.app, "Filter titles (empty clears):", iv->flt.match, search_submit,
			iv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_severity(struct inc_view *iv)
{
	app_prompt_line(iv->base.app, "Severity (SEV1..SEV4; empty: all):", NULL, severity_submit,
			iv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_state(struct inc_view *iv)
{
	app_prompt_line(iv->base.app, "States (open, all, triage,active,...):",
			iv->flt.states ? iv->flt.states_text : "open", state_submit, iv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_clear(struct inc_view *iv)
{
	struct inc_filter before = iv->flt;

	memset(&iv->flt, 0, sizeof iv->flt);
	refilter(iv, &before);
	return VIEW_HANDLED | VIEW_REDRAW;
}

/* ---- the responder's actions: each one core call, which logs it ---- */

typedef int (*inc_op_fn)(struct inc_view *iv, int64_t id, const char *text, struct err *e);

static int op_ack(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	(void)text;
	return incident_ack(app_store(iv->base.app), id, e);
}

static int op_activate(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	return incident_apply(app_store(iv->base.app), id, INCIDENT_ACT_ACTIVATE, text, 0, e);
}

static int op_mitigate(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	return incident_apply(app_store(iv->base.app), id, INCIDENT_ACT_MITIGATE, text, 0, e);
}

static int op_resolve(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	return incident_apply(app_store(iv->base.app), id, INCIDENT_ACT_RESOLVE, text, 0, e);
}

static int op_escalate(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	return incident_escalate(app_store(iv->base.app), app_incident_config(iv->base.app), id,
				 text, e);
}

static int op_note(struct inc_view *iv, int64_t id, const char *text, struct err *e)
{
	if (!text) {
		err_set(e, "empty note not saved");
		return -1;
	}
	return incident_note(app_store(iv->base.app), id, text, e);
}

/* Actions on the selected incident; prompt NULL acts at once. */
static const struct inc_op {
	const char *prompt; /* the label, before " #id:" */
	inc_op_fn run;
	const char *done;
} ops[INC_ACT__COUNT] = {
	[INC_ACT_ACK] = {NULL, op_ack, "acknowledged"},
	[INC_ACT_ACTIVATE] = {NULL, op_activate, "activated"},
	[INC_ACT_MITIGATE] = {NULL, op_mitigate, "mitigated"},
	[INC_ACT_RESOLVE] = {"Resolution note for", op_resolve, "resolved"},
	[INC_ACT_ESCALATE] = {"Escalation reason for", op_escalate, "escalated"},
	[INC_ACT_ANNOTATE] = {"Note on", op_note, "annotated"},
};

/* Runs ops[action] on id; the core's message (an illegal transition) goes to the
 * message line and nothing changed. */
static void run_op(struct inc_view *iv, int action, int64_t id, const char *text)
{
	struct err e = {{0}};
	char t[PROMPT_MAX];

	trim(text ? text : "", t, sizeof t);
	if (ops[action].run(iv, id, t[0] ? t : NULL, &e) < 0) {
		app_message(iv->base.app, ROLE_ERROR, "#%lld: %s", (long long)id, e.msg);
		return;
	}
	app_message(iv->base.app, ROLE_MESSAGE, "#%lld %s", (long long)id, ops[action].done);
	app_data_changed(iv->base.app); /* reloads this view, its detail and the counters */
}

static int op_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;

	run_op(iv, iv->pending, iv->target, text);
	return 0;
}

static unsigned start_op(struct inc_view *iv, int action)
{
	char label[128];

	if (iv->detail)
		iv->target = iv->detail->id;
	else if (iv->n)
		iv->target = iv->rows[iv->sel].inc.id;
	else
		return VIEW_HANDLED;
	iv->pending = action;
	if (!ops[action].prompt) {
		run_op(iv, action, iv->target, NULL);
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	snprintf(label, sizeof label, "%s #%lld:", ops[action].prompt, (long long)iv->target);
	app_prompt_line(iv->base.app, label, NULL, op_submit, iv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static int create_severity_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;
	struct incident_new n;
	struct err e = {{0}};
	int64_t id = 0;
	char t[64];
	int sev = 0;

	trim(text, t, sizeof t);
	if ((sev = incident_severity_parse(t)) < 0) {
		app_message(iv->base.app, ROLE_ERROR, "unknown severity '%s' (SEV1..SEV4)", t);
		return -1; /* keep the prompt: fix and Enter again */
	}
	memset(&n, 0, sizeof n);
	n.title = iv->new_title;
	n.severity = sev;
	n.source = INCIDENT_SRC_OPERATOR;
	if (incident_create(app_store(iv->base.app), app_incident_config(iv->base.app), &n, &id,
			    &e) < 0) {
		app_message(iv->base.app, ROLE_ERROR, "Incident not opened: %s", e.msg);
		return 0;
	}
	app_message(iv->base.app, ROLE_MESSAGE, "Opened #%lld (SEV%d)", (long long)id, sev);
	app_data_changed(iv->base.app);
	return 0;
}

static int create_title_submit(void *ud, const char *text)
{
	struct inc_view *iv = ud;

	trim(text, iv->new_title, sizeof iv->new_title);
	if (!iv->new_title[0]) {
		app_message(iv->base.app, ROLE_MESSAGE, "No title: nothing opened");
		return 0;
	}
	app_prompt_line(iv->base.app, "Severity (SEV1..SEV4):", "SEV3", create_severity_submit, iv);
	return 0;
}

static unsigned act_create(struct inc_view *iv)
{
	app_prompt_line(iv->base.app, "New incident title:", NULL, create_title_submit, iv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_detail(struct inc_view *iv)
{
	return iv->n ? open_detail(iv, iv->rows[iv->sel].inc.id) : VIEW_HANDLED;
}

static unsigned act_back(struct inc_view *iv)
{
	(void)iv;
	return VIEW_HANDLED;
}

typedef unsigned (*inc_action_fn)(struct inc_view *iv);

static const inc_action_fn table_actions[INC_ACT__COUNT] = {
	[INC_ACT_UP] = act_up,
	[INC_ACT_DOWN] = act_down,
	[INC_ACT_PAGE_UP] = act_page_up,
	[INC_ACT_PAGE_DOWN] = act_page_down,
	[INC_ACT_TOP] = act_top,
	[INC_ACT_BOTTOM] = act_bottom,
	[INC_ACT_DETAIL] = act_detail,
	[INC_ACT_SEARCH] = act_search,
	[INC_ACT_SEVERITY] = act_severity,
	[INC_ACT_STATE] = act_state,
	[INC_ACT_CLEAR] = act_clear,
	[INC_ACT_CREATE] = act_create,
	[VIEW_ACT_BACK] = act_back,
};

/* How the movement actions scroll the detail. */
static const enum ui_move detail_moves[INC_ACT__COUNT] = {
	[INC_ACT_UP] = UI_MOVE_UP,	       [INC_ACT_DOWN] = UI_MOVE_DOWN,
	[INC_ACT_PAGE_UP] = UI_MOVE_PAGE_UP,   [INC_ACT_PAGE_DOWN] = UI_MOVE_PAGE_DOWN,
	[INC_ACT_TOP] = UI_MOVE_TOP,	       [INC_ACT_BOTTOM] = UI_MOVE_BOTTOM,
};

static unsigned detail_action(struct inc_view *iv, int action)
{
	if (ops[action].run)
		return start_op(iv, action);
	if (action == VIEW_ACT_BACK || action == INC_ACT_DETAIL) {
		detail_free(&iv->detail);
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	if (!ui_scroll(&iv->detail->scroll, detail_moves[action], iv->page))
		return VIEW_HANDLED; /* filters wait until the detail is closed */
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned inc_on_action(struct view *v, int action)
{
	struct inc_view *iv = (struct inc_view *)v;

	if (action < 0 || action >= INC_ACT__COUNT)
		return VIEW_UNHANDLED;
	if (iv->detail)
		return detail_action(iv, action);
	if (ops[action].run)
		return start_op(iv, action);
	return table_actions[action] ? table_actions[action](iv) : VIEW_UNHANDLED;
}

static unsigned inc_on_resize(struct view *v, int rows, int cols)
{
	struct inc_view *iv = (struct inc_view *)v;

	(void)cols;
	iv->page = rows - 2 > 1 ? rows - 2 : 1;
	iv->loaded = true;
	reload(iv);
	return VIEW_REDRAW;
}

static unsigned inc_on_data_changed(struct view *v)
{
	struct inc_view *iv = (struct inc_view *)v;
	struct err e = {{0}};

	if (!iv->loaded)
		return VIEW_UNHANDLED;
	reload(iv);
	if (iv->detail) {
		int scroll = iv->detail->scroll;
		struct inc_detail *d = detail_load(iv, iv->detail->id, &e);
		if (d) {
			d->scroll = scroll;
			detail_free(&iv->detail);
			iv->detail = d;
		}
	}
	return VIEW_REDRAW;
}

static struct view *inc_create(struct app *a, struct err *e)
{
	struct inc_view *iv = calloc(1, sizeof *iv);

	if (!iv) {
		err_set(e, "out of memory");
		return NULL;
	}
	iv->base.cls = &view_incidents_class;
	iv->base.app = a;
	iv->page = 1;
	return &iv->base;
}

static void inc_destroy(struct view *v)
{
	struct inc_view *iv = (struct inc_view *)v;

	if (!iv)
		return;
	rows_free(iv->rows, iv->n);
	detail_free(&iv->detail);
	free(iv);
}

/* The view's actions: keys.yaml names, default keys, help, hint label. */
static const struct view_action incident_actions[INC_ACT__COUNT] = {
	[INC_ACT_UP] = {"incidents.up", "Up k",
		"Move the selection up (scrolls the detail)",
		NULL},
	[INC_ACT_DOWN] = {"incidents.down", "Down j",
		"Move the selection down (scrolls the detail)",
		NULL},
	[INC_ACT_PAGE_UP] = {"incidents.page-up", "PageUp C-b",
		"Scroll up one screen",
		NULL},
	[INC_ACT_PAGE_DOWN] = {"incidents.page-down", "PageDown Space",
		"Scroll down one screen",
		NULL},
	[INC_ACT_TOP] = {"incidents.top", "Home g",
		"Go to the top of the queue",
		NULL},
	[INC_ACT_BOTTOM] = {"incidents.bottom", "End G",
		"Go to the end of the queue",
		NULL},
	[INC_ACT_DETAIL] = {"incidents.detail", "Enter",
		"Open the selected incident with its timeline",
		"detail"},
	[INC_ACT_SEARCH] = {"incidents.search", "/",
		"Filter by text in the title (empty clears)",
		"filter"},
	[INC_ACT_SEVERITY] = {"incidents.filter-severity", "s",
		"Show one severity: SEV1..SEV4 (empty clears)",
		NULL},
	[INC_ACT_STATE] = {"incidents.filter-state", "f",
		"Show states: open, all, or a list like triage,active (empty: open)",
		NULL},
	[INC_ACT_CLEAR] = {"incidents.clear-filters", "x",
		"Clear the filters (open incidents, every severity)",
		NULL},
	[INC_ACT_ACK] = {"incidents.ack", "a",
		"Acknowledge the incident (stops the ack SLA)",
		"ack"},
	[INC_ACT_ACTIVATE] = {"incidents.activate", "A",
		"Activate: take the incident on (triage -> active)",
		NULL},
	[INC_ACT_ESCALATE] = {"incidents.escalate", "e",
		"Escalate one level (asks for the reason)",
		"escalate"},
	[INC_ACT_MITIGATE] = {"incidents.mitigate", "m",
		"Mark mitigated: the impact stopped (active -> mitigated)",
		"mitigate"},
	[INC_ACT_RESOLVE] = {"incidents.resolve", "r",
		"Resolve (asks for the resolution note; mitigated -> resolved)",
		"resolve"},
	[INC_ACT_CREATE] = {"incidents.create", "c",
		"Open a new incident (asks for the title, then the severity)",
		"new"},
	[INC_ACT_ANNOTATE] = {"incidents.annotate", "o",
		"Add a note to the incident's timeline",
		"note"},
};

const struct view_class view_incidents_class = {
	.name = "incidents",
	.title = "Incidents",
	.create = inc_create,
	.destroy = inc_destroy,
	.draw = inc_draw,
	.actions = incident_actions,
	.n_actions = INC_ACT__COUNT,
	.tick_seconds = true,
	.on_action = inc_on_action,
	.on_key = NULL,
	.on_resize = inc_on_resize,
	.on_data_changed = inc_on_data_changed,
	.help_context = NULL,
	.legend = "State* = not yet acknowledged; SLA: the running clock (ack, then res), red when "
		  "breached; ~ = flapping",
};
