/*
 * view_host: one host in detail, shown inside the Hosts view (Enter on a row):
 * connection facts, every probe's last output and history, and the operator's
 * actions on it (reconnect, accept or reject its key, run a command). Also the
 * sparkline widget both views draw history with.
 */
#ifndef OPSDECK_TUI_VIEW_HOST_H
#define OPSDECK_TUI_VIEW_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"
#include "ui.h"
#include "view.h"

struct app;

/* The Hosts view's actions (view_hosts.c declares them; the detail handles them too). */
enum hosts_action {
	HOSTS_ACT_UP = VIEW_ACT_FIRST,
	HOSTS_ACT_DOWN,
	HOSTS_ACT_PAGE_UP,
	HOSTS_ACT_PAGE_DOWN,
	HOSTS_ACT_TOP,
	HOSTS_ACT_BOTTOM,
	HOSTS_ACT_DETAIL,
	HOSTS_ACT_SORT,
	HOSTS_ACT_REVERSE,
	HOSTS_ACT_FILTER,
	HOSTS_ACT_GROUP,
	HOSTS_ACT_RECONNECT,
	HOSTS_ACT_ACCEPT_KEY,
	HOSTS_ACT_REJECT_KEY,
	HOSTS_ACT_RUN,
	HOSTS_ACT__COUNT
};

/*
 * An ad-hoc command on one host and its result. The Hosts view keeps one slot
 * per host (the last command run there) and frees them after fleet_free, when no
 * completion can arrive any more.
 */
struct host_run;

void view_host_run_free(struct host_run **r);

struct host_detail;

/*
 * Opens the detail of host. slot is the Hosts view's run slot for that host
 * (borrowed; it outlives the detail). Returns NULL when memory runs out; the
 * caller owns the result and frees it with view_host_close.
 */
struct host_detail *view_host_open(struct app *a, size_t host, struct host_run **slot);

void view_host_close(struct host_detail **d);

size_t view_host_host(const struct host_detail *d);

/* Draws the detail into r (header row, then the scrolled body). */
void view_host_draw(struct host_detail *d, const struct ui_rect *r);

/*
 * Handles a "hosts" action while the detail is open (scrolling, reconnect, key
 * decisions, run). Back and detail (closing) are the caller's. Returns view flags.
 */
unsigned view_host_action(struct host_detail *d, int action);

/* Connects host now (resetting its backoff), or probes it now when it is up. */
unsigned view_host_reconnect(struct app *a, size_t host);

/* Deferred work: reads the probes' history (at most once a minute). Returns flags. */
unsigned view_host_idle(struct host_detail *d);

/*
 * Renders pts (oldest first) as a sparkline of width cells covering
 * [since_ms, until_ms): each cell is the average of its points, scaled to the
 * larger of the highest value and floor_hi; a cell without points is a space.
 * Block characters (U+2581..U+2588) when utf8, else ASCII. out gets at least
 * width * 3 + 1 bytes.
 */
void view_host_sparkline(const struct probe_point *pts, int n, int64_t since_ms, int64_t until_ms,
			 int width, double floor_hi, bool utf8, char *out, size_t len);

/* True when the locale's character set is UTF-8 (sparklines, arrows). */
bool view_host_utf8(void);

#endif
