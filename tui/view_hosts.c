/*
 * view_hosts: the fleet as a live table. A row model (one item per host) is
 * refreshed from the fleet and the monitor only when the app's hosts serial
 * moves; the visible order (filter, sort, grouping) is rebuilt from it; each
 * screen row remembers a hash of what it shows, so a redraw writes only the rows
 * that changed. Sparklines are read from the store in on_idle, for visible rows,
 * at most once a minute per host: drawing never runs SQL.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "clock.h"
#include "fleet.h"
#include "inventory.h"
#include "monitor.h"
#include "probe.h"
#include "text.h"
#include "view.h"
#include "view_host.h"

#define SPARK_W 12                  /* cells: five minutes each */
#define SPARK_SPAN_MS (3600 * 1000LL)
#define SPARK_REFRESH_MS 60000      /* per host, and only while visible */
#define SPARK_EMPTY_RETRY_MS 5000   /* an empty sparkline, once the host has answered */
#define SPARK_FETCH_PER_PASS 2      /* history reads per idle pass (keys come first) */
#define SPARK_MAX_POINTS 256
#define NAME_MIN_W 8

/* A host's condition as the table names it; the order is the state sort: worst first. */
enum hstate {
	HS_KEY_CHANGED,
	HS_AUTH_FAILED,
	HS_UNREACHABLE,
	HS_CRITICAL,
	HS_KEY_REJECTED,
	HS_KEY_UNKNOWN,
	HS_DEGRADED,
	HS_PENDING,
	HS_OK,
	HS_DISABLED,
	HS__COUNT
};

static const struct {
	const char *name;
	enum theme_role role;
} hstates[HS__COUNT] = {
	[HS_KEY_CHANGED] = {"KEY CHANGED", ROLE_CRIT}, [HS_AUTH_FAILED] = {"auth failed", ROLE_CRIT},
	[HS_UNREACHABLE] = {"unreachable", ROLE_CRIT}, [HS_CRITICAL] = {"critical", ROLE_CRIT},
	[HS_KEY_REJECTED] = {"key rejected", ROLE_CRIT}, [HS_KEY_UNKNOWN] = {"key unknown", ROLE_WARN},
	[HS_DEGRADED] = {"degraded", ROLE_WARN},	 [HS_PENDING] = {"pending", ROLE_UNKNOWN},
	[HS_OK] = {"ok", ROLE_OK},			 [HS_DISABLED] = {"disabled", ROLE_DIM},
};

/* Session states that name the host's condition on their own; the rest ask the monitor. */
static const struct {
	enum fleet_state fs;
	enum hstate hs;
} by_session[] = {
	{FLEET_KEY_CHANGED, HS_KEY_CHANGED}, {FLEET_KEY_UNKNOWN, HS_KEY_UNKNOWN},
	{FLEET_KEY_REJECTED, HS_KEY_REJECTED}, {FLEET_AUTH_FAILED, HS_AUTH_FAILED},
	{FLEET_DISABLED, HS_DISABLED},
};

static const enum hstate by_monitor[] = {
	[MON_PENDING] = HS_PENDING,	    [MON_OK] = HS_OK,
	[MON_DEGRADED] = HS_DEGRADED,	    [MON_CRITICAL] = HS_CRITICAL,
	[MON_UNREACHABLE] = HS_UNREACHABLE, [MON_KEY_PROBLEM] = HS_KEY_UNKNOWN,
	[MON_AUTH_FAILED] = HS_AUTH_FAILED, [MON_DISABLED] = HS_DISABLED,
};

/* The figures a row shows, and where each comes from. */
enum fig { FIG_LOAD, FIG_MEM, FIG_DISK, FIG_UPD, FIG_SEC, FIG__COUNT };

static const struct {
	const char *probe;
	const char *metric; /* NULL: the probe's main figure */
} figs[FIG__COUNT] = {
	[FIG_LOAD] = {"load", NULL},	     [FIG_MEM] = {"memory", NULL},
	[FIG_DISK] = {"disk", NULL},	     [FIG_UPD] = {"updates", "pending"},
	[FIG_SEC] = {"updates", "security"},
};

/* One host as the table shows it. */
struct hosts_item {
	char *name, *group; /* sanitised once; group "" when the host has none */
	const struct inventory_host *ih;
	enum hstate state;
	double fig[FIG__COUNT]; /* NAN: no figure */
	enum probe_state fig_state[FIG__COUNT];
	int64_t last_ok_ms, latency_ms;
	char spark[SPARK_W * 3 + 1];
	int64_t spark_ms; /* wall clock of the last history read; 0 never */
};

/* A screen line of the table: a host, or a group heading (item < 0). */
struct hosts_line {
	int item;       /* index into items, or -1 for a heading */
	int first;      /* heading: an item of the group (for its name) */
	int n, n_bad;   /* heading: hosts in the group, and how many are not ok */
};

/*
 * What a screen row shows. The inputs of a host row are compared first: a key
 * that moves the cursor then composes only the two rows whose selection moved,
 * not every row (formatting the figures is most of a frame). The hash of the
 * composed text catches the rest (headings, a figure that came back the same).
 */
struct row_inputs {
	int line_item;        /* the item shown, or -1 for a heading or a blank row */
	bool selected;
	unsigned long serial; /* of the items when it was composed */
	int64_t spark_ms;
	int64_t seen_min;     /* minutes since last seen: "Seen" counts in minutes */
};

struct drawn_row {
	uint64_t hash;
	struct row_inputs in;
};

struct hosts_view;

typedef int (*hosts_cmp_fn)(const struct hosts_item *a, const struct hosts_item *b, int fig);
struct hosts_column;
typedef enum theme_role (*hosts_cell_fn)(const struct hosts_column *col,
					 const struct hosts_item *it, int64_t now, char *buf,
					 size_t len);

struct hosts_column {
	const char *title;
	int width;         /* 0: the name column, which takes the room left */
	int drop;          /* narrow screens drop the highest first; 0 never */
	bool right;        /* numbers are right-aligned */
	bool desc;         /* sorts highest first (before r reverses it) */
	int fig;           /* FIG_* for figure columns, -1 otherwise */
	int prec;          /* the figure's decimals */
	const char *unit;  /* after the figure ("%") */
	hosts_cmp_fn cmp;  /* NULL: not a sort key */
	hosts_cell_fn cell;
};

struct hosts_view {
	struct view base;
	struct hosts_item *items;
	size_t n;
	struct host_run **runs; /* one slot per host: its last ad-hoc command */
	struct hosts_line *lines;
	size_t nlines;
	size_t *order, *scratch;
	unsigned long serial; /* app_hosts_serial the items were refreshed at */
	bool fresh;           /* items refreshed at least once */
	bool lines_stale;
	int sort_col;
	bool reverse;
	bool grouped;
	char filter[PROMPT_MAX];
	char pattern[PROMPT_MAX + 4]; /* filter as a glob ("*web*" for "web") */
	int cur, top, page, cols;
	int sel_item; /* the selected host, kept across re-sorts; -1 none */
	struct drawn_row *drawn; /* per screen row: what it shows */
	int ndrawn;
	bool rows_valid; /* drawn[] describes the screen */
	int layout_w;    /* the width shown[] was computed for */
	bool shown[16];  /* columns that fit */
	int name_w;
	bool utf8;
	struct host_detail *detail;
};

/* ---- cells and comparators ---- */

static int cmp_num(double a, double b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_state(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	(void)fig;
	return (int)a->state - (int)b->state;
}

static int cmp_name(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	(void)fig;
	return strcmp(a->name, b->name);
}

/* Hosts without a group go last. */
static int cmp_group(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	(void)fig;
	if (!a->group[0] != !b->group[0])
		return a->group[0] ? -1 : 1;
	return strcmp(a->group, b->group);
}

static int cmp_fig(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	return cmp_num(a->fig[fig], b->fig[fig]);
}

static int cmp_seen(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	(void)fig;
	return cmp_num((double)a->last_ok_ms, (double)b->last_ok_ms);
}

static int cmp_latency(const struct hosts_item *a, const struct hosts_item *b, int fig)
{
	(void)fig;
	return cmp_num((double)a->latency_ms, (double)b->latency_ms);
}

static enum theme_role cell_state(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	(void)col, (void)now;
	snprintf(buf, len, "%s", hstates[it->state].name);
	return hstates[it->state].role;
}

static enum theme_role cell_name(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	(void)col, (void)now;
	snprintf(buf, len, "%s", it->name);
	return ROLE_NORMAL;
}

static enum theme_role cell_group(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	(void)col, (void)now;
	snprintf(buf, len, "%s", it->group[0] ? it->group : "-");
	return ROLE_DIM;
}

/* Figures of a host that cannot be reached now are old: dimmed. */
static bool stale(const struct hosts_item *it)
{
	return it->state != HS_OK && it->state != HS_DEGRADED && it->state != HS_CRITICAL &&
	       it->state != HS_PENDING;
}

static enum theme_role cell_fig(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	static const enum theme_role roles[] = {
		[PROBE_OK] = ROLE_NORMAL, [PROBE_WARNING] = ROLE_WARN,
		[PROBE_CRITICAL] = ROLE_CRIT, [PROBE_UNKNOWN] = ROLE_UNKNOWN,
	};
	int fig = col->fig;
	double v = it->fig[fig];

	(void)now;
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return ROLE_DIM;
	}
	/* Fewer decimals before a cut: a load of 106.25 shows as "106", not "106.2". */
	for (int prec = col->prec; prec >= 0; prec--)
		if (snprintf(buf, len, "%.*f%s", prec, v, col->unit) <= col->width)
			break;
	if (stale(it))
		return ROLE_DIM;
	/* Security updates pending are the one figure that is never just informative. */
	if (fig == FIG_SEC)
		return v > 0 ? ROLE_CRIT : ROLE_NORMAL;
	return (unsigned)it->fig_state[fig] < sizeof roles / sizeof roles[0] ?
		       roles[it->fig_state[fig]] : ROLE_UNKNOWN;
}

static enum theme_role cell_spark(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	(void)col, (void)now;
	snprintf(buf, len, "%s", it->spark);
	return ROLE_ACCENT;
}

/* "now", "5m", "3h", "2d"; "-" never. Minutes, so a row changes at most once a minute. */
static enum theme_role cell_seen(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	int64_t s = (now - it->last_ok_ms) / 1000;

	(void)col;
	if (it->last_ok_ms <= 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "now");
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	return s >= 300 ? ROLE_WARN : ROLE_DIM;
}

static enum theme_role cell_latency(const struct hosts_column *col, const struct hosts_item *it,
				  int64_t now, char *buf, size_t len)
{
	(void)col, (void)now;
	if (it->latency_ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lldms", (long long)it->latency_ms);
	return ROLE_DIM;
}

/* The table's columns, left to right; s cycles through the sortable ones. */
static const struct hosts_column columns[] = {
	{"State", 12, 0, false, false, -1, 0, "", cmp_state, cell_state},
	{"Name", 0, 0, false, false, -1, 0, "", cmp_name, cell_name},
	{"Group", 10, 5, false, false, -1, 0, "", cmp_group, cell_group},
	{"Load", 5, 1, true, true, FIG_LOAD, 2, "", cmp_fig, cell_fig},
	{"Load 1h", SPARK_W, 6, false, false, -1, 0, "", NULL, cell_spark},
	{"Mem", 4, 2, true, true, FIG_MEM, 0, "%", cmp_fig, cell_fig},
	{"Disk", 4, 3, true, true, FIG_DISK, 0, "%", cmp_fig, cell_fig},
	{"Upd", 4, 7, true, true, FIG_UPD, 0, "", cmp_fig, cell_fig},
	{"Sec", 3, 4, true, true, FIG_SEC, 0, "", cmp_fig, cell_fig},
	{"Seen", 4, 8, true, false, -1, 0, "", cmp_seen, cell_seen},
	{"Lat", 6, 9, true, false, -1, 0, "", cmp_latency, cell_latency},
};
#define NCOLS (sizeof columns / sizeof columns[0])
#define COL_NAME 1

/* ---- the row model ---- */

static enum hstate classify(struct app *a, size_t i, const struct fleet_status *st)
{
	enum monitor_host ms;

	for (size_t k = 0; k < sizeof by_session / sizeof by_session[0]; k++)
		if (by_session[k].fs == st->state)
			return by_session[k].hs;
	ms = app_host_state(a, i);
	return (unsigned)ms < sizeof by_monitor / sizeof by_monitor[0] ? by_monitor[ms] : HS_PENDING;
}

static double metric(const struct probe_result *r, const char *label)
{
	for (size_t i = 0; i < r->n_metrics; i++)
		if (strcmp(r->metrics[i].label, label) == 0)
			return r->metrics[i].value;
	return NAN;
}

static void refresh_item(struct hosts_view *hv, size_t i)
{
	struct app *a = hv->base.app;
	struct hosts_item *it = &hv->items[i];
	const struct monitor_probe *p = NULL;
	size_t np = monitor_probes(app_monitor(a), i, &p);
	struct fleet_status st;

	fleet_status(app_fleet(a), i, &st);
	it->state = classify(a, i, &st);
	it->last_ok_ms = st.last_ok_ms;
	it->latency_ms = st.latency_ms;
	for (int f = 0; f < FIG__COUNT; f++) {
		it->fig[f] = NAN;
		it->fig_state[f] = PROBE_OK;
		for (size_t k = 0; k < np; k++) {
			if (!p[k].have || strcmp(p[k].name, figs[f].probe) != 0)
				continue;
			it->fig[f] = figs[f].metric ? metric(&p[k].result, figs[f].metric) :
						      p[k].result.value;
			it->fig_state[f] = p[k].result.state;
		}
	}
}

/* Brings the items up to date with the fleet when something changed. */
static void sync_items(struct hosts_view *hv)
{
	unsigned long serial = app_hosts_serial(hv->base.app);

	if (hv->fresh && serial == hv->serial)
		return;
	for (size_t i = 0; i < hv->n; i++)
		refresh_item(hv, i);
	hv->serial = serial;
	hv->fresh = true;
	hv->lines_stale = true; /* figures moved: the order may too */
}

static bool item_matches(const struct hosts_view *hv, const struct hosts_item *it)
{
	if (!hv->pattern[0])
		return true;
	return inventory_match(it->ih, hv->pattern) ||
	       fnmatch(hv->pattern, hstates[it->state].name, FNM_CASEFOLD) == 0;
}

static int item_cmp(const struct hosts_view *hv, size_t ia, size_t ib)
{
	const struct hosts_item *a = &hv->items[ia], *b = &hv->items[ib];
	const struct hosts_column *c = &columns[hv->sort_col];
	int r = 0;

	if (hv->grouped && (r = cmp_group(a, b, -1)) != 0)
		return r;
	/* Hosts without the figure go last whichever way the column sorts. */
	if (c->fig >= 0 && isnan(a->fig[c->fig]) != isnan(b->fig[c->fig]))
		return isnan(a->fig[c->fig]) ? 1 : -1;
	r = c->cmp(a, b, c->fig);
	if (c->desc != hv->reverse)
		r = -r;
	return r ? r : strcmp(a->name, b->name);
}

/* Stable merge sort of v[0..n) (scratch holds n): qsort has no context argument. */
static void msort(const struct hosts_view *hv, size_t *v, size_t *scratch, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	msort(hv, v, scratch, mid);
	msort(hv, v + mid, scratch, n - mid);
	while (i < mid && j < n)
		scratch[k++] = item_cmp(hv, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		scratch[k++] = v[i++];
	while (j < n)
		scratch[k++] = v[j++];
	memcpy(v, scratch, n * sizeof *v);
}

/* Moves the cursor off a heading, in direction dir (then the other way). */
static void skip_heading(struct hosts_view *hv, int dir)
{
	int c = hv->cur;

	while (c >= 0 && c < (int)hv->nlines && hv->lines[c].item < 0)
		c += dir;
	if (c < 0 || c >= (int)hv->nlines)
		for (c = hv->cur; c >= 0 && c < (int)hv->nlines && hv->lines[c].item < 0;)
			c -= dir;
	if (c >= 0 && c < (int)hv->nlines)
		hv->cur = c;
}

/* Keeps the cursor on screen and remembers which host it is on. */
static void settle(struct hosts_view *hv)
{
	if (hv->cur >= (int)hv->nlines)
		hv->cur = (int)hv->nlines - 1;
	if (hv->cur < 0)
		hv->cur = 0;
	if (hv->cur < hv->top)
		hv->top = hv->cur;
	if (hv->cur >= hv->top + hv->page)
		hv->top = hv->cur - hv->page + 1;
	if (hv->top + hv->page > (int)hv->nlines)
		hv->top = (int)hv->nlines - hv->page;
	if (hv->top < 0)
		hv->top = 0;
	/* A group heading above the first host stays in view. */
	if (hv->top == 1 && hv->cur < hv->page && hv->lines && hv->lines[0].item < 0)
		hv->top = 0;
	if (hv->nlines && hv->lines[hv->cur].item >= 0)
		hv->sel_item = hv->lines[hv->cur].item;
}

/* Rebuilds the visible order: filter, sort, group headings; the selection stays on its host. */
static void rebuild_lines(struct hosts_view *hv)
{
	size_t k = 0, nl = 0, head = 0;

	hv->lines_stale = false;
	for (size_t i = 0; i < hv->n; i++)
		if (item_matches(hv, &hv->items[i]))
			hv->order[k++] = i;
	msort(hv, hv->order, hv->scratch, k);
	for (size_t i = 0; i < k; i++) {
		const struct hosts_item *it = &hv->items[hv->order[i]];

		if (hv->grouped &&
		    (i == 0 || strcmp(it->group, hv->items[hv->order[i - 1]].group) != 0)) {
			head = nl;
			hv->lines[nl++] = (struct hosts_line){-1, (int)hv->order[i], 0, 0};
		}
		if (hv->grouped) {
			hv->lines[head].n++;
			hv->lines[head].n_bad += it->state != HS_OK;
		}
		hv->lines[nl++] = (struct hosts_line){(int)hv->order[i], 0, 0, 0};
	}
	hv->nlines = nl;
	for (size_t i = 0; i < nl; i++)
		if (hv->lines[i].item >= 0 && hv->lines[i].item == hv->sel_item) {
			hv->cur = (int)i;
			break;
		}
	skip_heading(hv, 1);
	settle(hv);
}

static void sync(struct hosts_view *hv)
{
	if (!app_fleet(hv->base.app))
		return;
	sync_items(hv);
	if (hv->lines_stale)
		rebuild_lines(hv);
}

/* ---- drawing ---- */

/* Chooses the columns that fit cols, dropping the least important first. */
static void layout(struct hosts_view *hv, int cols)
{
	int need = 0;

	hv->layout_w = cols;
	for (size_t c = 0; c < NCOLS; c++)
		hv->shown[c] = true;
	for (;;) {
		int worst = -1;

		need = NAME_MIN_W;
		for (size_t c = 0; c < NCOLS; c++)
			if (hv->shown[c] && columns[c].width)
				need += columns[c].width + 1;
		if (need <= cols)
			break;
		for (size_t c = 0; c < NCOLS; c++)
			if (hv->shown[c] && columns[c].drop &&
			    (worst < 0 || columns[c].drop > columns[worst].drop))
				worst = (int)c;
		if (worst < 0)
			break;
		hv->shown[worst] = false;
	}
	hv->name_w = cols - (need - NAME_MIN_W);
	if (hv->name_w > 28)
		hv->name_w = 28; /* the rest stays blank rather than push numbers far right */
	if (hv->name_w < 1)
		hv->name_w = 1;
}

static int col_width(const struct hosts_view *hv, size_t c)
{
	return columns[c].width ? columns[c].width : hv->name_w;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* One table row composed before drawing, so an unchanged row can be skipped. */
struct row_cells {
	char text[NCOLS][160];
	enum theme_role role[NCOLS];
};

static uint64_t compose(const struct hosts_view *hv, const struct hosts_item *it, int64_t now,
			bool selected, struct row_cells *rc)
{
	uint64_t h = 14695981039346656037ULL;

	h = fnv(h, &selected, sizeof selected);
	for (size_t c = 0; c < NCOLS; c++) {
		char raw[160];

		if (!hv->shown[c])
			continue;
		rc->role[c] = columns[c].cell(&columns[c], it, now, raw, sizeof raw);
		if (columns[c].right)
			snprintf(rc->text[c], sizeof rc->text[c], "%*s", col_width(hv, c), raw);
		else
			snprintf(rc->text[c], sizeof rc->text[c], "%s", raw);
		h = fnv(h, rc->text[c], strlen(rc->text[c]) + 1);
		h = fnv(h, &rc->role[c], sizeof rc->role[c]);
	}
	return h;
}

static bool same_inputs(const struct row_inputs *a, const struct row_inputs *b)
{
	return a->line_item == b->line_item && a->selected == b->selected &&
	       a->serial == b->serial && a->spark_ms == b->spark_ms && a->seen_min == b->seen_min;
}

static void draw_cells(const struct hosts_view *hv, const struct row_cells *rc, int y,
		       const struct ui_rect *r, bool selected)
{
	attr_t sel = colors_attr(ROLE_SELECTED);
	int right = r->x + r->w;
	int x = r->x;

	for (size_t c = 0; c < NCOLS && x < right; c++) {
		int w = col_width(hv, c);
		attr_t a = selected ? sel : colors_attr(rc->role[c]);

		if (!hv->shown[c])
			continue;
		if (c == 0 && !selected)
			a |= A_BOLD;
		if (x + w > right)
			w = right - x;
		ui_put(y, x, w, rc->text[c], a);
		x += w;
		if (x < right)
			ui_put(y, x++, 1, " ", selected ? sel : colors_attr(ROLE_NORMAL));
	}
	if (x < right)
		ui_fill(y, x, right - x, selected ? sel : colors_attr(ROLE_NORMAL));
}

static uint64_t draw_heading_line(const struct hosts_view *hv, const struct hosts_line *l, int y,
				  const struct ui_rect *r, bool draw)
{
	const struct hosts_item *it = &hv->items[l->first];
	char text[256];
	uint64_t h = 7;

	snprintf(text, sizeof text, "%s %s: %d host%s%s", hv->utf8 ? "\u25be" : "-",
		 it->group[0] ? it->group : "(no group)", l->n, l->n == 1 ? "" : "s",
		 l->n_bad ? "" : ", all ok");
	if (l->n_bad)
		snprintf(text + strlen(text), sizeof text - strlen(text), ", %d not ok", l->n_bad);
	h = fnv(h, text, strlen(text));
	if (draw)
		ui_put(y, r->x, r->w, text,
		       colors_attr(l->n_bad ? ROLE_WARN : ROLE_ACCENT) | A_BOLD);
	return h;
}

static void draw_headings(const struct hosts_view *hv, int y, const struct ui_rect *r)
{
	attr_t a = colors_attr(ROLE_DIM) | A_UNDERLINE;
	int right = r->x + r->w;
	int x = r->x;

	for (size_t c = 0; c < NCOLS && x < right; c++) {
		int w = col_width(hv, c);
		char t[64];

		if (!hv->shown[c])
			continue;
		if (x + w > right)
			w = right - x;
		if (columns[c].right)
			snprintf(t, sizeof t, "%*s", w, columns[c].title);
		else
			snprintf(t, sizeof t, "%s", columns[c].title);
		ui_put(y, x, w, t, (int)c == hv->sort_col ? (a | A_BOLD | A_REVERSE) : a);
		x += w;
		if (x < right)
			ui_put(y, x++, 1, " ", a);
	}
	if (x < right)
		ui_put(y, x, right - x, "", a);
}

static void draw_title(const struct hosts_view *hv, const struct ui_rect *r)
{
	size_t hosts = 0;
	char t[PROMPT_MAX + 200];
	size_t o = 0;

	for (size_t i = 0; i < hv->nlines; i++)
		hosts += hv->lines[i].item >= 0;
	o = (size_t)snprintf(t, sizeof t, " Hosts: %zu", hosts);
	if (hosts != hv->n)
		o += (size_t)snprintf(t + o, sizeof t - o, " of %zu", hv->n);
	if (o < sizeof t)
		o += (size_t)snprintf(t + o, sizeof t - o, " | sort %s %s", columns[hv->sort_col].title,
				      columns[hv->sort_col].desc != hv->reverse ?
					      (hv->utf8 ? "\u2193" : "desc") :
					      (hv->utf8 ? "\u2191" : "asc"));
	if (hv->grouped && o < sizeof t)
		o += (size_t)snprintf(t + o, sizeof t - o, " | by group");
	if (hv->filter[0] && o < sizeof t)
		snprintf(t + o, sizeof t - o, " | filter \"%s\"", hv->filter);
	ui_put(r->y, r->x, r->w, t, colors_attr(hv->filter[0] ? ROLE_ACCENT : ROLE_HEADER) | A_BOLD);
}

static void draw_empty(struct hosts_view *hv, const struct ui_rect *r, const char *msg)
{
	ui_put(r->y + 2, r->x, r->w, msg, colors_attr(ROLE_DIM));
	for (int i = 1; i < r->h - 2; i++)
		ui_fill(r->y + 2 + i, r->x, r->w, colors_attr(ROLE_NORMAL));
	hv->rows_valid = false;
}

static void hosts_draw(struct view *v, const struct ui_rect *r)
{
	struct hosts_view *hv = (struct hosts_view *)v;
	bool all = !hv->rows_valid || app_frame_cleared(v->app);
	int64_t now = clock_now_ms();
	char msg[PATHS_MAX + 100];

	if (hv->detail) {
		view_host_draw(hv->detail, r);
		hv->rows_valid = false;
		return;
	}
	if (!app_fleet(v->app)) {
		ui_put(r->y, r->x, r->w, " Hosts", colors_attr(ROLE_HEADER) | A_BOLD);
		ui_fill(r->y + 1, r->x, r->w, colors_attr(ROLE_NORMAL));
		snprintf(msg, sizeof msg, "  No hosts: no inventory loaded from %s",
			 app_inventory_path(v->app));
		draw_empty(hv, r, msg);
		return;
	}
	sync(hv);
	if (hv->layout_w != r->w) {
		layout(hv, r->w);
		all = true;
	}
	draw_title(hv, r);
	draw_headings(hv, r->y + 1, r);
	if (hv->nlines == 0) {
		draw_empty(hv, r, hv->filter[0] ? "  No host matches the filter (/ then Enter clears it)."
						: "  The inventory lists no hosts.");
		return;
	}
	for (int i = 0; i < r->h - 2; i++) {
		int idx = hv->top + i;
		int y = r->y + 2 + i;
		struct drawn_row *d = i < hv->ndrawn ? &hv->drawn[i] : NULL;
		uint64_t h = 1;

		if (!d) /* no room to remember it (out of memory): always draw */
			all = true;

		if (idx < (int)hv->nlines && hv->lines[idx].item >= 0) {
			const struct hosts_item *it = &hv->items[hv->lines[idx].item];
			struct row_inputs in = {hv->lines[idx].item, idx == hv->cur, hv->serial,
						it->spark_ms,
						it->last_ok_ms > 0 ? (now - it->last_ok_ms) / 60000 : -1};
			struct row_cells rc;

			if (!all && d && same_inputs(&in, &d->in))
				continue;
			h = compose(hv, it, now, in.selected, &rc);
			if (all || h != d->hash)
				draw_cells(hv, &rc, y, r, in.selected);
			if (d)
				*d = (struct drawn_row){h, in};
			continue;
		}
		if (idx < (int)hv->nlines) {
			h = draw_heading_line(hv, &hv->lines[idx], y, r, false);
			if (all || h != d->hash)
				draw_heading_line(hv, &hv->lines[idx], y, r, true);
		} else if (all || d->hash != h) {
			ui_fill(y, r->x, r->w, colors_attr(ROLE_NORMAL));
		}
		if (d)
			*d = (struct drawn_row){h, {.line_item = -1}};
	}
	hv->rows_valid = true;
}

/* ---- actions ---- */

typedef unsigned (*hosts_action_fn)(struct hosts_view *hv);

static unsigned move_to(struct hosts_view *hv, int want, int dir, bool page)
{
	sync(hv);
	if (hv->nlines == 0)
		return VIEW_HANDLED;
	if (want < 0)
		want = 0;
	if (want >= (int)hv->nlines)
		want = (int)hv->nlines - 1;
	if (page)
		hv->top += want - hv->cur;
	hv->cur = want;
	skip_heading(hv, dir);
	settle(hv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_up(struct hosts_view *hv)
{
	return move_to(hv, hv->cur - 1, -1, false);
}

static unsigned act_down(struct hosts_view *hv)
{
	return move_to(hv, hv->cur + 1, 1, false);
}

static unsigned act_page_up(struct hosts_view *hv)
{
	return move_to(hv, hv->cur - hv->page, -1, true);
}

static unsigned act_page_down(struct hosts_view *hv)
{
	return move_to(hv, hv->cur + hv->page, 1, true);
}

static unsigned act_top(struct hosts_view *hv)
{
	return move_to(hv, 0, 1, false);
}

static unsigned act_bottom(struct hosts_view *hv)
{
	return move_to(hv, (int)hv->nlines - 1, -1, false);
}

/* The host under the cursor, or -1. */
static int selected(struct hosts_view *hv)
{
	sync(hv);
	if (hv->nlines == 0 || hv->cur < 0 || hv->cur >= (int)hv->nlines)
		return -1;
	return hv->lines[hv->cur].item;
}

static unsigned act_detail(struct hosts_view *hv)
{
	int it = selected(hv);

	if (it < 0)
		return VIEW_HANDLED;
	hv->detail = view_host_open(hv->base.app, (size_t)it, &hv->runs[it]);
	if (!hv->detail)
		app_message(hv->base.app, ROLE_ERROR, "out of memory");
	return VIEW_HANDLED | VIEW_REDRAW;
}

/* Key decisions and commands are made in the detail, where the facts are. */
static unsigned in_detail(struct hosts_view *hv, int action)
{
	act_detail(hv);
	return hv->detail ? view_host_action(hv->detail, action) : VIEW_HANDLED;
}

static unsigned act_accept(struct hosts_view *hv)
{
	return in_detail(hv, HOSTS_ACT_ACCEPT_KEY);
}

static unsigned act_reject(struct hosts_view *hv)
{
	return in_detail(hv, HOSTS_ACT_REJECT_KEY);
}

static unsigned act_run(struct hosts_view *hv)
{
	return in_detail(hv, HOSTS_ACT_RUN);
}

static unsigned act_reconnect(struct hosts_view *hv)
{
	int it = selected(hv);

	if (it < 0)
		return VIEW_HANDLED;
	return view_host_reconnect(hv->base.app, (size_t)it);
}

static unsigned act_sort(struct hosts_view *hv)
{
	do
		hv->sort_col = (hv->sort_col + 1) % (int)NCOLS;
	while (!columns[hv->sort_col].cmp);
	hv->reverse = false;
	hv->lines_stale = true;
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_reverse(struct hosts_view *hv)
{
	hv->reverse = !hv->reverse;
	hv->lines_stale = true;
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_group(struct hosts_view *hv)
{
	hv->grouped = !hv->grouped;
	hv->lines_stale = true;
	app_message(hv->base.app, ROLE_MESSAGE, hv->grouped ? "Grouped by first group" :
							      "Not grouped");
	return VIEW_HANDLED | VIEW_REDRAW;
}

static int filter_submit(void *ud, const char *text)
{
	struct hosts_view *hv = ud;
	size_t b = strspn(text, " ");
	size_t n = strlen(text + b);

	while (n > 0 && text[b + n - 1] == ' ')
		n--;
	snprintf(hv->filter, sizeof hv->filter, "%.*s", (int)n, text + b);
	/* A plain word matches inside names ("web" finds web01); a glob is taken as is. */
	if (hv->filter[0] && !strpbrk(hv->filter, "*?["))
		snprintf(hv->pattern, sizeof hv->pattern, "*%s*", hv->filter);
	else
		snprintf(hv->pattern, sizeof hv->pattern, "%s", hv->filter);
	hv->lines_stale = true;
	hv->top = 0;
	if (hv->filter[0])
		app_message(hv->base.app, ROLE_MESSAGE, "Filter: %s (name, group, tag, environment "
			    "or state)", hv->filter);
	else
		app_message(hv->base.app, ROLE_MESSAGE, "Filter cleared");
	return 0;
}

static unsigned act_filter(struct hosts_view *hv)
{
	app_prompt_line(hv->base.app, "Filter hosts (name, group, tag, state; glob; empty clears):",
			hv->filter, filter_submit, hv);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static unsigned act_back(struct hosts_view *hv)
{
	(void)hv;
	return VIEW_HANDLED;
}

static const hosts_action_fn table_actions[HOSTS_ACT__COUNT] = {
	[HOSTS_ACT_UP] = act_up,
	[HOSTS_ACT_DOWN] = act_down,
	[HOSTS_ACT_PAGE_UP] = act_page_up,
	[HOSTS_ACT_PAGE_DOWN] = act_page_down,
	[HOSTS_ACT_TOP] = act_top,
	[HOSTS_ACT_BOTTOM] = act_bottom,
	[HOSTS_ACT_DETAIL] = act_detail,
	[HOSTS_ACT_SORT] = act_sort,
	[HOSTS_ACT_REVERSE] = act_reverse,
	[HOSTS_ACT_FILTER] = act_filter,
	[HOSTS_ACT_GROUP] = act_group,
	[HOSTS_ACT_RECONNECT] = act_reconnect,
	[HOSTS_ACT_ACCEPT_KEY] = act_accept,
	[HOSTS_ACT_REJECT_KEY] = act_reject,
	[HOSTS_ACT_RUN] = act_run,
	[VIEW_ACT_BACK] = act_back,
};

static unsigned hosts_on_action(struct view *v, int action)
{
	struct hosts_view *hv = (struct hosts_view *)v;

	if (action < 0 || action >= HOSTS_ACT__COUNT)
		return VIEW_UNHANDLED;
	if (hv->detail && (action == VIEW_ACT_BACK || action == HOSTS_ACT_DETAIL)) {
		view_host_close(&hv->detail);
		hv->rows_valid = false;
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	if (hv->detail)
		return view_host_action(hv->detail, action);
	if (!app_fleet(v->app))
		return action == VIEW_ACT_BACK ? VIEW_HANDLED : VIEW_UNHANDLED;
	return table_actions[action] ? table_actions[action](hv) : VIEW_UNHANDLED;
}

static unsigned hosts_on_resize(struct view *v, int rows, int cols)
{
	struct hosts_view *hv = (struct hosts_view *)v;
	int want = rows - 2 > 1 ? rows - 2 : 1;

	if (want > hv->ndrawn) {
		struct drawn_row *nd = realloc(hv->drawn, (size_t)want * sizeof *nd);
		if (nd) {
			hv->drawn = nd;
			hv->ndrawn = want;
		}
	}
	hv->page = want;
	hv->cols = cols;
	hv->rows_valid = false;
	hv->layout_w = 0;
	sync(hv);
	settle(hv);
	return VIEW_REDRAW;
}

/*
 * A sparkline is read again after a minute; an empty one sooner once the host has
 * answered since (its first samples are a flush away), so a fresh console does not
 * wait a minute for its first lines.
 */
static bool spark_due(const struct hosts_item *it, int64_t now)
{
	int64_t age = now - it->spark_ms;

	if (!it->spark_ms || age < 0 || age >= SPARK_REFRESH_MS)
		return true;
	return it->spark[strspn(it->spark, " ")] == '\0' && it->last_ok_ms > it->spark_ms &&
	       age >= SPARK_EMPTY_RETRY_MS;
}

/* Reads the load history of visible rows whose sparkline is due. */
static unsigned hosts_on_idle(struct view *v)
{
	struct hosts_view *hv = (struct hosts_view *)v;
	struct probe_point *pts = NULL;
	int64_t now = clock_now_ms();
	int fetched = 0;
	unsigned flags = 0;

	if (hv->detail)
		return view_host_idle(hv->detail);
	if (!app_fleet(v->app))
		return 0;
	for (int i = 0; i < hv->page && hv->top + i < (int)hv->nlines; i++) {
		int item = hv->lines[hv->top + i].item;
		struct hosts_item *it = item >= 0 ? &hv->items[item] : NULL;
		struct err e = {{0}};
		int n = 0;

		if (!it || !spark_due(it, now))
			continue;
		if (fetched == SPARK_FETCH_PER_PASS) {
			flags |= VIEW_MORE; /* the rest after the next look at the keys */
			break;
		}
		if (!pts && !(pts = malloc(SPARK_MAX_POINTS * sizeof *pts)))
			break;
		it->spark_ms = now;
		n = probe_history(app_store(v->app), it->ih->name, "load", now - SPARK_SPAN_MS, pts,
				  SPARK_MAX_POINTS, &e);
		view_host_sparkline(pts, n > 0 ? n : 0, now - SPARK_SPAN_MS, now + 1, SPARK_W, 1.0,
				    hv->utf8, it->spark, sizeof it->spark);
		fetched++;
		flags = VIEW_REDRAW;
	}
	free(pts);
	return flags;
}

static struct view *hosts_create(struct app *a, struct err *e)
{
	struct hosts_view *hv = calloc(1, sizeof *hv);
	const struct inventory *inv = app_inventory(a);
	struct fleet *f = app_fleet(a);

	if (!hv)
		goto oom;
	hv->base.cls = &view_hosts_class;
	hv->base.app = a;
	hv->page = 1;
	hv->sort_col = COL_NAME;
	hv->sel_item = -1;
	hv->utf8 = view_host_utf8();
	hv->n = f && inv ? fleet_count(f) : 0;
	if (!hv->n)
		return &hv->base;
	hv->items = calloc(hv->n, sizeof *hv->items);
	hv->runs = calloc(hv->n, sizeof *hv->runs);
	hv->lines = calloc(2 * hv->n, sizeof *hv->lines);
	hv->order = calloc(hv->n, sizeof *hv->order);
	hv->scratch = calloc(hv->n, sizeof *hv->scratch);
	if (!hv->items || !hv->runs || !hv->lines || !hv->order || !hv->scratch)
		goto oom;
	for (size_t i = 0; i < hv->n; i++) {
		struct hosts_item *it = &hv->items[i];

		it->ih = &inv->hosts[i];
		it->name = text_sanitize_str(it->ih->name, 0);
		it->group = text_sanitize_str(it->ih->groups ? it->ih->groups[0] : NULL, 0);
		if (!it->name || !it->group)
			goto oom;
	}
	return &hv->base;
oom:
	err_set(e, "out of memory");
	if (hv)
		view_hosts_class.destroy(&hv->base);
	return NULL;
}

static void hosts_destroy(struct view *v)
{
	struct hosts_view *hv = (struct hosts_view *)v;

	if (!hv)
		return;
	view_host_close(&hv->detail);
	for (size_t i = 0; hv->items && i < hv->n; i++) {
		free(hv->items[i].name);
		free(hv->items[i].group);
	}
	for (size_t i = 0; hv->runs && i < hv->n; i++)
		view_host_run_free(&hv->runs[i]);
	free(hv->items);
	free(hv->runs);
	free(hv->lines);
	free(hv->order);
	free(hv->scratch);
	free(hv->drawn);
	free(hv);
}

/* The view's actions: keys.yaml names, default keys, help, hint label. */
static const struct view_action hosts_actions[HOSTS_ACT__COUNT] = {
	[HOSTS_ACT_UP] = {"hosts.up", "Up k",
		"Move the selection up one host (scrolls the detail)",
		NULL},
	[HOSTS_ACT_DOWN] = {"hosts.down", "Down j",
		"Move the selection down one host (scrolls the detail)",
		NULL},
	[HOSTS_ACT_PAGE_UP] = {"hosts.page-up", "PageUp C-b",
		"Scroll up one screen",
		NULL},
	[HOSTS_ACT_PAGE_DOWN] = {"hosts.page-down", "PageDown Space",
		"Scroll down one screen",
		NULL},
	[HOSTS_ACT_TOP] = {"hosts.top", "Home g",
		"Go to the first host",
		NULL},
	[HOSTS_ACT_BOTTOM] = {"hosts.bottom", "End G",
		"Go to the last host",
		NULL},
	[HOSTS_ACT_DETAIL] = {"hosts.detail", "Enter",
		"Open the selected host: connection, probe output, history, actions",
		"detail"},
	[HOSTS_ACT_SORT] = {"hosts.sort", "s",
		"Sort by the next column",
		"sort"},
	[HOSTS_ACT_REVERSE] = {"hosts.reverse", "r",
		"Reverse the sort order",
		NULL},
	[HOSTS_ACT_FILTER] = {"hosts.filter", "/",
		"Filter by name, group, tag, environment or state (glob; empty clears)",
		"filter"},
	[HOSTS_ACT_GROUP] = {"hosts.group", "t",
		"Group the hosts by their first group, or not",
		"group"},
	[HOSTS_ACT_RECONNECT] = {"hosts.reconnect", "c",
		"Connect the selected host now (resets its retry backoff)",
		"connect"},
	[HOSTS_ACT_ACCEPT_KEY] = {"hosts.accept-key", "a",
		"Accept the host's unknown key after checking its SHA256 fingerprint",
		"accept key"},
	[HOSTS_ACT_REJECT_KEY] = {"hosts.reject-key", "d",
		"Reject the host's unknown key (it stays refused until reconnect)",
		NULL},
	[HOSTS_ACT_RUN] = {"hosts.run", "e !",
		"Run a command on the selected host (asks to confirm; logged)",
		"run"},
};

const struct view_class view_hosts_class = {
	.name = "hosts",
	.title = "Hosts",
	.create = hosts_create,
	.destroy = hosts_destroy,
	.draw = hosts_draw,
	.actions = hosts_actions,
	.n_actions = HOSTS_ACT__COUNT,
	.fleet_frames = true,
	.on_action = hosts_on_action,
	.on_key = NULL,
	.on_resize = hosts_on_resize,
	.on_data_changed = NULL,
	.help_context = NULL,
	.legend = "States, worst first: KEY CHANGED, auth failed, unreachable, critical, key "
		  "rejected, key unknown, degraded, pending, ok, disabled. Load is per CPU.",
	.on_idle = hosts_on_idle,
};
