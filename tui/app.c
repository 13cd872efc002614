/*
 * app: the console's one loop. poll() waits on the terminal, a signal self-pipe
 * and every SSH session of the fleet, with a timeout set by the next timer (clock
 * tick, data_version poll, fleet and probe deadlines); keys go to the prompt, the
 * help overlay, the global action table or the focused view, whose handlers
 * return flags. Keys are answered (drawn) before the fleet's work is done, so a
 * connect storm never delays a frame; one redraw pass and one doupdate() follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "app.h"
#include "autoincident.h"
#include "clock.h"
#include "config.h"
#include "fleet.h"
#include "fleetlog.h"
#include "hostcond.h"
#include "incident.h"
#include "inventory.h"
#include "keymap.h"
#include "monitor.h"
#include "probe.h"
#include "shiftlog.h"
#include "text.h"
#include "view.h"

#define APP_MAX_VIEWS 16

/* Fleet-driven redraws at most this often; keys always draw at once. */
#define HOSTS_DRAW_MS 200
/* Samples are committed at most this often (one transaction each). */
#define FLUSH_MS 1000
/* Probe history retention: raw samples 48 h, hourly roll-ups 35 days. */
#define PRUNE_EVERY_MS (3600 * 1000LL)
#define RAW_KEEP_MS (48 * 3600 * 1000LL)
#define HOURLY_KEEP_MS (35 * 24 * 3600 * 1000LL)
/* SLA breaches, escalation timeouts and host grace periods are checked this often. */
#define INCIDENT_CHECK_MS 5000
/* A scan for automatic incidents stops after this long and goes on in the next
 * turn of the loop, so a mass outage opening hundreds does not hold up keys. */
#define AUTOINCIDENT_SLICE_US 1000

/* Parts of the screen that must be drawn again. */
enum {
	DIRTY_TOP = 1u << 0,
	DIRTY_VIEW = 1u << 1,
	DIRTY_BOTTOM = 1u << 2, /* hint or prompt row, and the message line */
	DIRTY_CLEAR = 1u << 3,  /* erase first (resize, overlay closed) */
	DIRTY_ALL = DIRTY_TOP | DIRTY_VIEW | DIRTY_BOTTOM | DIRTY_CLEAR,
};

struct app {
	const struct app_opts *opts;
	struct store *st;
	struct config cfg;
	struct theme theme;
	struct keymap *km;
	struct view *views[APP_MAX_VIEWS];
	size_t nviews;
	size_t focus;
	struct prompt prompt;
	struct help help;
	char msg[1024];
	enum theme_role msg_role;
	int n_start_problems;
	char operator_name[64];
	char shift[96];
	int rows, cols;
	unsigned dirty;
	const char *frame_event; /* why the next frame is drawn (benchmark hook) */
	int64_t next_poll_mono;
	int64_t shown_clock; /* the clock value (s or min) on screen */
	bool quit;
	bool pasting;       /* between the terminal's paste markers: text, never keys */
	bool paste_tail;    /* a paste ended in this read: what came with it is pasted too */
	bool paste_dropped; /* this paste had keys no prompt could take as text */
	SCREEN *screen;
	FILE *bench;
	int64_t bench_key_us; /* when the first key since the last frame was read */
	unsigned long bench_seq; /* key frames so far (their terminal markers) */
	bool drew_first;
	bool cleared; /* this frame started from erase() */
	/* The fleet (NULL without an inventory); host i is inv.hosts[i]. */
	struct inventory inv;
	bool have_inv;
	struct fleet *fleet;
	struct monitor *mon;
	struct pollfd *fds; /* terminal, signal pipe, then the fleet's sessions */
	size_t fds_cap;
	/* Host data the views may show: moved by the throttled fleet frame, so a key
	 * during a storm redraws from the model it has instead of rebuilding it. */
	unsigned long hosts_serial;
	bool hosts_changed;    /* since the last fleet-driven redraw */
	bool log_written;      /* fleet events went to the shift log */
	bool samples_pending;  /* the monitor has results not yet flushed */
	int64_t next_hosts_draw_mono;
	int64_t next_flush_mono;
	int64_t next_prune_mono;
	bool idle_more; /* the focused view's on_idle has work left */
	bool ai_sent;    /* incidents written since the views were last told */
	struct ui_count counts[16];
	size_t n_counts;
	/* Incidents: the rules, open counts per severity for the top bar and alerts. */
	struct incident_config inc_cfg;
	int64_t inc_open[INCIDENT_N_SEV];
	bool inc_counted; /* inc_open holds a baseline (no alert for what was open at start) */
	struct autoincident *autoinc; /* NULL without a fleet */
	int64_t next_incident_check_mono;
	int64_t drawn_sec; /* the second a view that ticks in seconds shows */
};

/* ---- signals: handlers only write the signal number to a pipe ---- */

static int sig_pipe[2] = {-1, -1};
static const int app_signals[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGTSTP};
static struct sigaction saved_actions[sizeof app_signals / sizeof app_signals[0]];

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &b, 1) < 0) {
		/* Pipe full: a byte for this signal is already pending. */
	}
	errno = saved;
}

static int signals_install(struct err *e)
{
	struct sigaction sa;

	if (pipe(sig_pipe) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof app_signals / sizeof app_signals[0]; i++)
		sigaction(app_signals[i], &sa, &saved_actions[i]);
	return 0;
}

static void signals_remove(void)
{
	for (size_t i = 0; i < sizeof app_signals / sizeof app_signals[0]; i++)
		sigaction(app_signals[i], &saved_actions[i], NULL);
	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		sig_pipe[i] = -1;
	}
}

/* ---- test hook: loop turns (set only by the test binary) ---- */

static app_turn_fn turn_hook;

void app_set_turn_hook(app_turn_fn fn)
{
	turn_hook = fn;
}

/* ---- services for views ---- */

struct store *app_store(struct app *a)
{
	return a->st;
}

const struct paths *app_paths(const struct app *a)
{
	return a->opts->paths;
}

const struct config *app_config(const struct app *a)
{
	return &a->cfg;
}

const struct incident_config *app_incident_config(const struct app *a)
{
	return &a->inc_cfg;
}

struct fleet *app_fleet(struct app *a)
{
	return a->fleet;
}

struct monitor *app_monitor(struct app *a)
{
	return a->mon;
}

const struct inventory *app_inventory(const struct app *a)
{
	return a->fleet ? &a->inv : NULL;
}

const char *app_inventory_path(const struct app *a)
{
	return a->opts->paths->inventory_file;
}

unsigned long app_hosts_serial(const struct app *a)
{
	return a->hosts_serial;
}

void app_hosts_touch(struct app *a)
{
	a->hosts_changed = true;
	a->hosts_serial++;
}

bool app_frame_cleared(const struct app *a)
{
	return a->cleared;
}

enum monitor_host app_host_state(struct app *a, size_t host)
{
	struct hostcond c;

	hostcond_get(a->fleet, a->mon, host < a->inv.n_hosts ? &a->inv.hosts[host] : NULL, host,
		     NULL, 0, clock_now_ms(), &c);
	return c.state;
}

void app_message(struct app *a, enum theme_role role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_role = role;
	a->dirty |= DIRTY_BOTTOM;
}

void app_prompt_line(struct app *a, const char *label, const char *initial, prompt_line_fn fn,
		     void *ud)
{
	prompt_open_line(&a->prompt, label, initial, fn, ud);
	a->dirty |= DIRTY_BOTTOM;
}

/*
 * Typed-ahead keys must not answer a question asked after they were typed: they
 * are thrown away. Not during a paste: its end marker would go with them, and
 * the rest of the paste would then count as keys.
 */
static void app_flush_typeahead(struct app *a)
{
	if (a->screen && !a->pasting)
		flushinp();
}

void app_prompt_confirm(struct app *a, const char *question, prompt_yesno_fn fn, void *ud)
{
	app_flush_typeahead(a);
	prompt_open_confirm(&a->prompt, question, fn, ud);
	a->dirty |= DIRTY_BOTTOM;
}

void app_prompt_confirm_detail(struct app *a, const char *question, const char *detail,
			       prompt_yesno_fn fn, void *ud)
{
	app_flush_typeahead(a);
	prompt_open_confirm_detail(&a->prompt, question, detail, fn, ud);
	a->dirty |= DIRTY_ALL; /* the detail covers part of the view */
}

static void load_shift(struct app *a)
{
	struct shiftlog_shift sh;
	struct err e = {{0}};
	char when[32] = "";

	switch (shiftlog_shift_current(a->st, &sh, &e)) {
	case 1:
		clock_format_local(sh.started_ms, when, sizeof when);
		snprintf(a->shift, sizeof a->shift, "shift #%lld since %.5s", (long long)sh.id,
			 when + 11);
		break;
	case 0:
		snprintf(a->shift, sizeof a->shift, "no shift");
		break;
	default:
		snprintf(a->shift, sizeof a->shift, "shift unknown");
		break;
	}
}

static unsigned flags_to_dirty(unsigned f)
{
	unsigned d = 0;

	if (f & VIEW_REDRAW)
		d |= DIRTY_VIEW | DIRTY_BOTTOM;
	if (f & VIEW_REDRAW_ALL)
		d |= DIRTY_ALL;
	return d;
}

static void count_incidents(struct app *a);

void app_data_changed(struct app *a)
{
	load_shift(a);
	count_incidents(a);
	a->dirty |= DIRTY_TOP;
	for (size_t i = 0; i < a->nviews; i++)
		if (a->views[i]->cls->on_data_changed)
			a->dirty |= flags_to_dirty(a->views[i]->cls->on_data_changed(a->views[i]));
}

/* ---- layout ---- */

static bool too_small(const struct app *a)
{
	return a->rows < UI_MIN_ROWS || a->cols < UI_MIN_COLS;
}

/* Rows 0-1 are the top bar and tabs; the last two are hints and messages. */
static struct ui_rect view_rect(const struct app *a)
{
	struct ui_rect r = {2, 0, a->rows - 4, a->cols};
	return r;
}

static void app_resize(struct app *a)
{
	struct ui_rect r;

	getmaxyx(stdscr, a->rows, a->cols);
	r = view_rect(a);
	if (!too_small(a))
		for (size_t i = 0; i < a->nviews; i++)
			a->views[i]->cls->on_resize(a->views[i], r.h, r.w);
	a->dirty |= DIRTY_ALL;
}

static const char *help_context(const struct app *a)
{
	const struct view *v = a->views[a->focus];

	return v->cls->help_context ? v->cls->help_context(v) : v->cls->name;
}

/* ---- drawing: one pass, one doupdate ---- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void draw_top(struct app *a)
{
	struct ui_top t = {a->operator_name, a->shift, clock_now_ms(), a->cfg.clock_seconds,
			   a->counts, a->n_counts};

	ui_draw_top(0, a->cols, &t);
}

/*
 * Benchmark hook: a key frame is followed by a numbered OSC terminals ignore, so
 * a benchmark acting as the terminal knows which bytes were the frame and when
 * its last byte reached it, even if the console loses its CPU the moment it
 * writes. Written directly: ncurses has flushed. Nothing before the frame, so the
 * frame itself goes out as it would without the hook.
 */
static void bench_mark(struct app *a)
{
	char osc[64];
	int n = snprintf(osc, sizeof osc, "\033]7777;opsdeck-key-end %lu\a", a->bench_seq);

	if (write(STDOUT_FILENO, osc, (size_t)n) < 0) {
		/* a benchmark mark lost; the frame itself is not affected */
	}
}

static void app_draw(struct app *a)
{
	struct view *v = a->views[a->focus];
	struct ui_rect r = view_rect(a);

	if (!a->dirty)
		return;
	if (too_small(a)) {
		ui_draw_too_small(a->rows, a->cols);
		curs_set(0);
		goto out;
	}
	a->cleared = (a->dirty & DIRTY_CLEAR) != 0;
	if (a->dirty & DIRTY_CLEAR)
		erase();
	if (a->dirty & DIRTY_TOP)
		draw_top(a);
	if (a->dirty & DIRTY_CLEAR) {
		const char *titles[APP_MAX_VIEWS];
		for (size_t i = 0; i < a->nviews; i++)
			titles[i] = a->views[i]->cls->title;
		ui_draw_tabs(1, a->cols, titles, a->nviews, a->focus);
	}
	if (a->dirty & DIRTY_VIEW) {
		if (a->help.open)
			help_draw(&a->help, a->km, help_context(a), v->cls->legend, &r);
		else
			v->cls->draw(v, &r);
	}
	/* The prompt is drawn last whenever it is open: it owns the cursor. */
	if ((a->dirty & DIRTY_BOTTOM) || prompt_active(&a->prompt)) {
		ui_draw_message(a->rows - 1, a->cols, a->msg, a->msg_role);
		if (prompt_active(&a->prompt)) {
			curs_set(1);
			prompt_draw(&a->prompt, a->rows - 2, a->cols);
		} else {
			curs_set(0);
			ui_draw_hints(a->rows - 2, a->cols, a->km, a->help.open ? "global" :
								     v->cls->name);
		}
	}
out:
	wnoutrefresh(stdscr);
	doupdate();
	a->dirty = 0;
	if (a->bench) { /* the benchmark hook described in app.h */
		int64_t done_us = mono_us();
		const char *ev = !a->drew_first ? "first-frame" :
				 a->frame_event ? a->frame_event : "redraw";

		if (a->drew_first && a->bench_key_us && strcmp(ev, "key") == 0) {
			a->bench_seq++;
			bench_mark(a);
			fprintf(a->bench, "%lld key %lld %lu\n", (long long)done_us,
				(long long)a->bench_key_us, a->bench_seq);
		} else {
			fprintf(a->bench, "%lld %s\n", (long long)done_us, ev);
		}
		fflush(a->bench);
		a->bench_key_us = 0;
	}
	a->drew_first = true;
	a->frame_event = NULL;
}

/* Keeps the most specific reason: a key beats a tick. */
static void frame_reason(struct app *a, const char *why)
{
	if (!a->frame_event || strcmp(why, "key") == 0)
		a->frame_event = why;
}

/* ---- the fleet: inventory, sessions, probes ---- */

static void start_problem(struct app *a, const char *msg);

/* What the message line says when a fleet event was logged. */
static const struct {
	enum fleet_event ev;
	enum theme_role role;
	const char *before, *after; /* around the event's detail */
} event_messages[] = {
	{FLEET_EV_KEY_UNKNOWN, ROLE_WARN, "host key unknown: ", " (Enter, then a accepts)"},
	{FLEET_EV_KEY_CHANGED, ROLE_CRIT, "HOST KEY CHANGED: server offers ", "; refused"},
	{FLEET_EV_KEY_ACCEPTED, ROLE_MESSAGE, "host key ", " accepted (logged)"},
	{FLEET_EV_KEY_REJECTED, ROLE_MESSAGE, "host key ", " rejected (logged)"},
	{FLEET_EV_AUTH_FAILED, ROLE_WARN, "authentication failed: ", ""},
};

/*
 * Key and auth events go to the shift log before they are shown (fleetlog_event
 * commits); a failed write is shown, never dropped. Runs inside fleet_dispatch
 * and fleet_accept_key/fleet_reject_key, so it only records and marks.
 */
static void on_fleet_event(void *ud, size_t host, enum fleet_event ev, const char *detail)
{
	struct app *a = ud;
	struct err e = {{0}};
	const char *name = host < a->inv.n_hosts ? a->inv.hosts[host].name : "?";

	a->hosts_changed = true;
	if (ev == FLEET_EV_STATE)
		return;
	if (fleetlog_event(a->st, name, ev, detail, &e) < 0) {
		app_message(a, ROLE_ERROR, "Shift log: %s: %s", name, e.msg);
		return;
	}
	a->log_written = true;
	for (size_t i = 0; i < sizeof event_messages / sizeof event_messages[0]; i++)
		if (event_messages[i].ev == ev)
			app_message(a, event_messages[i].role, "%s: %s%s%s", name,
				    event_messages[i].before, detail ? detail : "?",
				    event_messages[i].after);
}

/* Top-bar counters, in order; "hosts N" comes first, zero counts are left out. */
static const struct {
	enum monitor_host state;
	const char *label;
	enum theme_role role;
} count_defs[] = {
	{MON_OK, "ok", ROLE_OK},	      {MON_DEGRADED, "degr", ROLE_WARN},
	{MON_CRITICAL, "crit", ROLE_CRIT},    {MON_UNREACHABLE, "down", ROLE_CRIT},
	{MON_KEY_PROBLEM, "key", ROLE_CRIT},  {MON_AUTH_FAILED, "auth", ROLE_CRIT},
	{MON_PENDING, "pend", ROLE_UNKNOWN},
};

static void count_hosts(struct app *a)
{
	size_t n[MON_DISABLED + 1] = {0};
	size_t total = a->fleet ? fleet_count(a->fleet) : 0;

	a->n_counts = 0;
	if (!a->fleet)
		goto incidents;
	for (size_t i = 0; i < total; i++) {
		enum monitor_host s = app_host_state(a, i);
		if ((unsigned)s <= MON_DISABLED)
			n[s]++;
	}
	snprintf(a->counts[0].text, sizeof a->counts[0].text, "hosts %zu", total);
	a->counts[0].role = ROLE_HEADER;
	a->n_counts = 1;
	for (size_t i = 0; i < sizeof count_defs / sizeof count_defs[0]; i++) {
		struct ui_count *c = &a->counts[a->n_counts];

		if (!n[count_defs[i].state] && count_defs[i].state != MON_OK)
			continue;
		snprintf(c->text, sizeof c->text, "%zu %s", n[count_defs[i].state],
			 count_defs[i].label);
		c->role = count_defs[i].role;
		a->n_counts++;
	}
incidents:
	/* Open incidents per severity ("2 SEV1"), zero counts left out. */
	for (int i = 0; i < INCIDENT_N_SEV && a->n_counts < sizeof a->counts / sizeof a->counts[0];
	     i++) {
		static const enum theme_role roles[INCIDENT_N_SEV] = {ROLE_CRIT, ROLE_WARN, ROLE_ACCENT,
								      ROLE_NORMAL};
		struct ui_count *c = &a->counts[a->n_counts];

		if (!a->inc_open[i])
			continue;
		snprintf(c->text, sizeof c->text, "%lld SEV%d", (long long)a->inc_open[i], i + 1);
		c->role = roles[i];
		a->n_counts++;
	}
}

/*
 * Reads the open incidents per severity. More open incidents of an alerting
 * severity than last time means a new one (opened here, by the CLI or the
 * monitor): the terminal bell or a flash, as incidents.yaml says.
 */
static void count_incidents(struct app *a)
{
	int64_t n[INCIDENT_N_SEV] = {0};
	struct err e = {{0}};
	bool alert = false;

	if (incident_open_counts(a->st, n, &e) < 0) {
		app_message(a, ROLE_ERROR, "Incident counts: %s", e.msg);
		return;
	}
	for (int i = 0; i < INCIDENT_N_SEV; i++)
		if (a->inc_counted && i < a->inc_cfg.alert_severity && n[i] > a->inc_open[i])
			alert = true;
	memcpy(a->inc_open, n, sizeof n);
	a->inc_counted = true;
	if (alert && a->screen) {
		if (a->inc_cfg.alert == INCIDENT_ALERT_BELL)
			beep();
		else if (a->inc_cfg.alert == INCIDENT_ALERT_FLASH)
			flash();
	}
	count_hosts(a);
}

/*
 * Loads the inventory (when the file exists) and builds the fleet and its monitor.
 * Problems go to the message line; the console then runs without host data.
 */
static void start_fleet(struct app *a)
{
	const struct paths *p = a->opts->paths;
	struct fleet_opts fo;
	struct err e = {{0}};

	if (access(p->inventory_file, F_OK) != 0)
		return; /* no inventory: the Hosts view says where it looked */
	if (inventory_load(p->inventory_file, &a->inv, &e) < 0) {
		start_problem(a, e.msg);
		return;
	}
	a->have_inv = true;
	memset(&fo, 0, sizeof fo);
	fo.known_hosts = p->known_hosts[0] ? p->known_hosts : NULL;
	fo.ssh_config = p->ssh_config; /* "" reads none */
	fo.max_handshakes = a->cfg.max_handshakes;
	fo.connect_timeout_ms = a->cfg.connect_timeout_s * 1000;
	fo.auth_timeout_ms = a->cfg.connect_timeout_s * 1000;
	fo.command_timeout_ms = a->cfg.command_timeout_s * 1000;
	fo.output_cap = (size_t)a->cfg.output_cap_kib * 1024;
	/* Keys are answered between slices of a connect storm (key-to-frame goal 5 ms). */
	fo.dispatch_budget_us = 3000;
	a->fleet = fleet_new(&fo, on_fleet_event, a, &e);
	if (!a->fleet)
		goto fail;
	for (size_t i = 0; i < a->inv.n_hosts; i++)
		if (fleet_add(a->fleet, &a->inv.hosts[i], &e) < 0)
			goto fail;
	a->mon = monitor_new(a->fleet, &a->inv, &e);
	if (!a->mon)
		goto fail;
	a->autoinc = autoincident_new(a->inv.n_hosts);
	if (!a->autoinc) {
		err_set(&e, "out of memory");
		goto fail;
	}
	/* Hosts connect (max_handshakes at a time) even when they list no probes. */
	for (size_t i = 0; i < a->inv.n_hosts; i++)
		fleet_connect(a->fleet, i);
	a->next_prune_mono = clock_mono_ms() + 60 * 1000; /* not during start-up */
	a->hosts_changed = true;
	return;
fail:
	start_problem(a, e.msg);
	autoincident_free(&a->autoinc);
	monitor_free(&a->mon);
	fleet_free(&a->fleet);
}

/* The poll set: terminal, signal pipe, then every session. Returns the fleet's count. */
static size_t build_pollfds(struct app *a)
{
	size_t need = 2 + (a->fleet ? fleet_count(a->fleet) : 0);

	if (need > a->fds_cap) {
		struct pollfd *nf = realloc(a->fds, need * sizeof *nf);
		if (nf) { /* else the fleet gets the room there is; timers still move it */
			a->fds = nf;
			a->fds_cap = need;
		}
	}
	a->fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	a->fds[1] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
	return a->fleet ? fleet_pollfds(a->fleet, a->fds + 2, a->fds_cap - 2) : 0;
}

/* Advances the sessions that are ready or due, then queues the probes that are due. */
static void fleet_work(struct app *a, size_t nf)
{
	if (!a->fleet)
		return;
	fleet_dispatch(a->fleet, a->fds + 2, nf);
	monitor_tick(a->mon);
	if (monitor_changed(a->mon)) {
		a->hosts_changed = true;
		a->samples_pending = true;
	}
	if (a->log_written) {
		a->log_written = false;
		app_data_changed(a);
	}
}

/* What a host's connection means for automatic incidents. */
static const enum autoincident_reach reach_of[] = {
	[FLEET_IDLE] = AUTOINCIDENT_OTHER,	     [FLEET_CONNECTING] = AUTOINCIDENT_OTHER,
	[FLEET_KEY_UNKNOWN] = AUTOINCIDENT_OTHER,    [FLEET_KEY_CHANGED] = AUTOINCIDENT_KEY_CHANGED,
	[FLEET_KEY_REJECTED] = AUTOINCIDENT_OTHER,   [FLEET_AUTH] = AUTOINCIDENT_OTHER,
	[FLEET_AUTH_FAILED] = AUTOINCIDENT_OTHER,    [FLEET_UP] = AUTOINCIDENT_UP,
	[FLEET_DOWN] = AUTOINCIDENT_FAILING,	     [FLEET_DISABLED] = AUTOINCIDENT_OTHER,
};

static void on_autoincident(void *ud, const struct incident_signal *sig,
			    enum incident_observed what, int64_t id)
{
	struct app *a = ud;

	if (what == INCIDENT_OBS_OPENED)
		app_message(a, sig->severity <= 2 ? ROLE_CRIT : ROLE_WARN, "Incident #%lld opened: %s",
			    (long long)id, sig->title);
}

/* Asks for a scan for automatic incidents; it runs a slice per turn of the loop.
 * Without a fleet there is no tracker and nothing is asked for. */
static void autoincident_request(struct app *a)
{
	autoincident_scan_request(a->autoinc);
}

/*
 * Feeds the fleet's and the monitor's state to the automatic incidents; they
 * write only on changes. A retrying host counts as failing (its grace period
 * runs on); probe results count only while the session is up (else stale).
 * One slice of the scan under way: it stops once it has sent something and its
 * time is up, and the next turn of the loop goes on from there.
 */
static void autoincident_scan(struct app *a)
{
	int64_t now = clock_now_ms();
	int64_t stop_us = mono_us() + AUTOINCIDENT_SLICE_US;
	size_t n = a->fleet ? fleet_count(a->fleet) : 0;
	size_t i = 0;
	struct err e = {{0}};
	int sent = 0;

	if (!autoincident_scan_pending(a->autoinc))
		return;
	i = autoincident_scan_next(a->autoinc);
	autoincident_batch_begin(a->autoinc); /* one commit for this slice of the scan */
	for (; i < n; i++) {
		const struct monitor_probe *p = NULL;
		struct fleet_status fs;
		enum autoincident_reach r = AUTOINCIDENT_OTHER;
		size_t np = 0;
		int rc = 0;

		if (sent && mono_us() >= stop_us)
			break; /* the rest in the next turn of the loop */
		fleet_status(a->fleet, i, &fs);
		if ((size_t)fs.state < sizeof reach_of / sizeof reach_of[0])
			r = reach_of[fs.state];
		if (fs.state == FLEET_CONNECTING && fs.failures > 0)
			r = AUTOINCIDENT_FAILING;
		rc = autoincident_reach(a->autoinc, a->st, &a->inc_cfg, i, a->inv.hosts[i].name, r,
					fs.failures, now, on_autoincident, a, &e);
		sent += rc > 0 ? rc : 0;
		if (rc < 0)
			app_message(a, ROLE_ERROR, "Incident for %s: %s", a->inv.hosts[i].name, e.msg);
		if (fs.state != FLEET_UP)
			continue;
		np = monitor_probes(a->mon, i, &p);
		for (size_t k = 0; k < np; k++) {
			if (!p[k].have)
				continue;
			rc = autoincident_probe(a->autoinc, a->st, &a->inc_cfg, i,
						a->inv.hosts[i].name, p[k].name, p[k].result.state,
						p[k].result.summary, on_autoincident, a, &e);
			sent += rc > 0 ? rc : 0;
			if (rc < 0)
				app_message(a, ROLE_ERROR, "Incident for %s/%s: %s",
					    a->inv.hosts[i].name, p[k].name, e.msg);
		}
	}
	autoincident_scan_progress(a->autoinc, i); /* i >= n: a whole pass */
	if (autoincident_batch_end(a->autoinc, a->st, &e) < 0) {
		app_message(a, ROLE_ERROR, "Automatic incidents not saved (tried again): %s", e.msg);
		sent = 0;
	}
	/* The views hear of it with the next fleet frame, or now at the end of a pass:
	 * a mass outage would otherwise reload them after every slice. */
	a->ai_sent |= sent > 0;
	if (a->ai_sent && !autoincident_scan_pending(a->autoinc)) {
		a->ai_sent = false;
		app_data_changed(a);
	}
}

/* Every INCIDENT_CHECK_MS: SLA breaches, escalation timeouts, host grace periods. */
static void incident_timers(struct app *a)
{
	int64_t now = clock_now_ms();
	struct err e = {{0}};
	int n = 0, k = 0;

	if ((n = incident_sla_check(a->st, &a->inc_cfg, now, NULL, NULL, &e)) < 0)
		app_message(a, ROLE_ERROR, "SLA check: %s", e.msg);
	if ((k = incident_escalation_check(a->st, &a->inc_cfg, now, &e)) < 0)
		app_message(a, ROLE_ERROR, "Escalation check: %s", e.msg);
	if (n > 0 || k > 0) {
		app_data_changed(a);
		frame_reason(a, "data");
	}
	autoincident_request(a); /* grace periods run out with nothing else changing */
}

/* Fleet-driven redraws, throttled: a storm of results costs a few frames a second. */
static void fleet_timers(struct app *a, int64_t now)
{
	if (!a->hosts_changed || now < a->next_hosts_draw_mono)
		return;
	a->hosts_changed = false;
	a->hosts_serial++;
	autoincident_request(a);
	if (a->ai_sent) { /* a long scan's incidents so far */
		a->ai_sent = false;
		app_data_changed(a);
	}
	a->next_hosts_draw_mono = now + HOSTS_DRAW_MS;
	count_hosts(a);
	a->dirty |= DIRTY_TOP;
	if (a->views[a->focus]->cls->fleet_frames)
		a->dirty |= DIRTY_VIEW;
	frame_reason(a, "fleet");
}

/* Before the loop sleeps: the round's samples in one transaction, hourly pruning,
 * and the focused view's deferred work. */
static void before_sleep(struct app *a)
{
	int64_t now = clock_mono_ms();
	struct view *v = a->views[a->focus];
	struct err e = {{0}};

	a->idle_more = false;
	if (a->mon && a->samples_pending && now >= a->next_flush_mono) {
		a->samples_pending = false;
		a->next_flush_mono = now + FLUSH_MS;
		if (monitor_flush(a->mon, a->st, &e) < 0) {
			app_message(a, ROLE_ERROR, "Probe samples not saved: %s", e.msg);
			a->samples_pending = true; /* kept in memory; tried again */
		}
	}
	if (a->mon && now >= a->next_prune_mono) {
		a->next_prune_mono = now + PRUNE_EVERY_MS;
		if (probe_prune(a->st, clock_now_ms(), RAW_KEEP_MS, HOURLY_KEEP_MS, &e) < 0)
			app_message(a, ROLE_ERROR, "Probe history not pruned: %s", e.msg);
	}
	if (v->cls->on_idle && !a->help.open && !too_small(a)) {
		unsigned f = v->cls->on_idle(v);
		a->dirty |= flags_to_dirty(f);
		a->idle_more = (f & VIEW_MORE) != 0;
	}
}


/* ---- global actions ---- */

static void quit_answer(void *ud, bool yes)
{
	struct app *a = ud;

	if (yes)
		a->quit = true;
}

static int note_submit(void *ud, const char *text)
{
	struct app *a = ud;
	struct shiftlog_new n = {.category = "note", .text = text};
	struct err e = {{0}};
	int64_t id = 0;

	if (strspn(text, " ") == strlen(text)) {
		app_message(a, ROLE_MESSAGE, "Empty note not saved");
		return 0;
	}
	/* shiftlog_append commits before it returns: the note is on disk before we say so. */
	if (shiftlog_append(a->st, &n, &id, &e) < 0) {
		app_message(a, ROLE_ERROR, "Note not saved: %s", e.msg);
		return -1; /* keep the text so the person can retry or Esc */
	}
	app_message(a, ROLE_MESSAGE, "Saved #%lld", (long long)id);
	app_data_changed(a);
	return 0;
}

static unsigned act_quit(struct app *a)
{
	app_prompt_confirm(a, "Quit opsdeck? (y/n)", quit_answer, a);
	return VIEW_HANDLED;
}

static unsigned act_help(struct app *a)
{
	a->help.open = !a->help.open;
	a->help.scroll = 0;
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

static unsigned act_note(struct app *a)
{
	app_prompt_line(a, "Note:", NULL, note_submit, a);
	return VIEW_HANDLED;
}

static unsigned act_back(struct app *a)
{
	struct view *v = a->views[a->focus];

	if (a->help.open) {
		a->help.open = false;
		return VIEW_HANDLED | VIEW_REDRAW_ALL;
	}
	return v->cls->on_action(v, VIEW_ACT_BACK);
}

static unsigned act_redraw(struct app *a)
{
	clearok(curscr, TRUE);
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

static unsigned act_tab_next(struct app *a)
{
	a->focus = (a->focus + 1) % a->nviews;
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

static unsigned act_tab_prev(struct app *a)
{
	a->focus = (a->focus + a->nviews - 1) % a->nviews;
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

typedef unsigned (*app_action_fn)(struct app *a);

/* Handlers of the "global" actions; the view handles the rest of the table. */
static const app_action_fn global_actions[ACT__GLOBAL] = {
	[ACT_QUIT] = act_quit,	       [ACT_HELP] = act_help,	  [ACT_NOTE] = act_note,
	[ACT_BACK] = act_back,	       [ACT_REDRAW] = act_redraw, [ACT_TAB_NEXT] = act_tab_next,
	[ACT_TAB_PREV] = act_tab_prev,
};

static unsigned app_key(struct app *a, int key)
{
	struct view *v = a->views[a->focus];
	int act = -1, local = 0;

	if (key == KEYM_RESIZE) {
		app_resize(a);
		return VIEW_REDRAW_ALL;
	}
	if (prompt_active(&a->prompt))
		return prompt_key(&a->prompt, key);
	act = keymap_lookup(a->km, v->cls->name, key);
	if (too_small(a)) /* nothing to see: only quitting makes sense */
		return act == ACT_QUIT ? act_quit(a) : VIEW_UNHANDLED;
	if (a->help.open) {
		unsigned f = help_key(&a->help, key, help_context(a), v->cls->legend, view_rect(a).h);
		if (f)
			return f;
	}
	if (act < 0)
		return v->cls->on_key && !a->help.open ? v->cls->on_key(v, key) : VIEW_UNHANDLED;
	if (act < ACT__GLOBAL)
		return global_actions[act](a);
	if (a->help.open)
		return VIEW_HANDLED; /* the view is covered; its keys wait */
	if (actions_owner(act, &local) != v->cls)
		return VIEW_UNHANDLED;
	return v->cls->on_action(v, local);
}

/*
 * A key inside a paste: text for an open line prompt, nothing else. A paste
 * never answers a question, triggers an action or moves a view.
 */
static unsigned app_paste_key(struct app *a, int key)
{
	unsigned f = prompt_paste_key(&a->prompt, key);

	if (f == VIEW_UNHANDLED)
		a->paste_dropped = true;
	return f;
}

/*
 * The paste markers. A paste's text may itself hold an end marker (followed by
 * "y" and a line break, say): so what arrives in the same read as the end is
 * taken as pasted too, up to the moment the input runs dry (app_paste_done).
 */
static void app_paste_marker(struct app *a, int key)
{
	frame_reason(a, "key");
	if (key == UI_PASTE_BEGIN) {
		if (!a->paste_tail)
			a->paste_dropped = false;
		a->pasting = true;
		return;
	}
	a->pasting = false;
	a->paste_tail = true;
	prompt_paste_end(&a->prompt);
}

/* The input ran dry: a paste that ended is over; say so if any of it was ignored. */
static void app_paste_done(struct app *a)
{
	if (!a->paste_tail)
		return;
	a->paste_tail = false;
	prompt_paste_end(&a->prompt);
	if (a->paste_dropped)
		app_message(a, ROLE_WARN, "Paste ignored: %s",
			    a->prompt.kind == PROMPT_CONFIRM ? "answer the question with a key" :
							       "only a text prompt takes pasted text");
	a->paste_dropped = false;
}

static void drain_input(struct app *a)
{
	wint_t wch = 0;
	int rc = 0;

	while (!a->quit && (rc = wget_wch(stdscr, &wch)) != ERR) {
		int key = input_translate(rc, wch);
		unsigned f = 0;

		if (key == KEYM_NONE)
			continue;
		if (key == UI_PASTE_BEGIN || key == UI_PASTE_END) {
			app_paste_marker(a, key);
			continue;
		}
		if ((a->pasting || a->paste_tail) && key != KEYM_RESIZE) {
			a->dirty |= flags_to_dirty(app_paste_key(a, key));
			frame_reason(a, "key");
			continue;
		}
		if (a->bench && !a->bench_key_us)
			a->bench_key_us = mono_us();
		f = app_key(a, key);
		a->dirty |= flags_to_dirty(f);
		if (f & VIEW_QUIT)
			a->quit = true;
		frame_reason(a, key == KEYM_RESIZE ? "resize" : "key");
	}
	if (rc == ERR)
		app_paste_done(a);
}

/*
 * Ctrl-Z: the terminal goes back to the shell as it found it (bracketed paste
 * off, curses' modes undone), the process stops, and on fg everything is put
 * back and drawn whole. (Handled here, so ncurses installs no handler of its own.)
 */
static void app_suspend(struct app *a)
{
	input_paste_mode(false);
	endwin();
	a->pasting = a->paste_tail = false;
	kill(getpid(), SIGSTOP);
	/* Continued. */
	input_paste_mode(true);
	clearok(curscr, TRUE);
	a->dirty |= DIRTY_ALL;
}

/* SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGTSTP arrive here as bytes from the pipe. */
static void drain_signals(struct app *a)
{
	unsigned char buf[64];
	ssize_t n = 0;

	while ((n = read(sig_pipe[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			struct winsize ws;

			switch (buf[i]) {
			case SIGWINCH:
				if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
				    ws.ws_col > 0)
					resizeterm(ws.ws_row, ws.ws_col);
				app_resize(a);
				frame_reason(a, "resize");
				break;
			case SIGTSTP:
				app_suspend(a);
				frame_reason(a, "signal");
				break;
			case SIGINT:
				/* Ctrl-C asks like q does; a second one while asking quits. */
				if (a->prompt.kind == PROMPT_CONFIRM && a->prompt.on_yesno == quit_answer)
					a->quit = true;
				else
					act_quit(a);
				frame_reason(a, "signal");
				break;
			default: /* SIGTERM, SIGHUP: clean shutdown */
				a->quit = true;
				break;
			}
		}
	}
}

/*
 * Wall ms until what the screen shows of the time changes: the next second when
 * seconds are on screen (the clock with seconds, the Incidents view's SLA
 * countdowns), else the next minute. An idle loop wakes only for what it draws.
 */
static int64_t app_time_to_tick(const struct app *a, int64_t wall)
{
	bool seconds = a->cfg.clock_seconds ||
		       (a->nviews && a->views[a->focus]->cls == &view_incidents_class);
	int64_t unit = seconds ? 1000 : 60000;
	int64_t r = wall % unit;

	return unit - (r < 0 ? r + unit : r);
}

/*
 * When the next data_version poll is due (mono ms): on the wall clock's grid of
 * data_poll_ms, so with the default 500 ms it falls on the second the clock
 * ticks at and one wake-up does both (1 ms late, so the tick is seen in that
 * wake-up). Never sooner than half an interval: a pinned test clock sits still.
 */
static int64_t app_next_poll_due(const struct app *a, int64_t mono, int64_t wall)
{
	int64_t p = a->cfg.data_poll_ms;
	int64_t r = wall % p;
	int64_t wait = p - (r < 0 ? r + p : r);

	if (wait < p / 2)
		wait += p;
	return mono + wait + 1;
}

static void run_timers(struct app *a)
{
	int64_t now = clock_mono_ms();
	int64_t wall = clock_now_ms();
	int64_t shown = a->cfg.clock_seconds ? wall / 1000 : wall / 60000;

	if (now >= a->next_poll_mono) {
		a->next_poll_mono = app_next_poll_due(a, now, wall);
		if (store_changed(a->st)) {
			app_data_changed(a);
			frame_reason(a, "data");
		}
	}
	if (shown != a->shown_clock) {
		a->shown_clock = shown;
		a->dirty |= DIRTY_TOP;
		frame_reason(a, "tick");
	}
	/* SLA countdowns run in seconds. */
	if (a->views[a->focus]->cls->tick_seconds && wall / 1000 != a->drawn_sec) {
		a->drawn_sec = wall / 1000;
		a->dirty |= DIRTY_VIEW;
		frame_reason(a, "tick");
	}
	if (now >= a->next_incident_check_mono) {
		a->next_incident_check_mono = now + INCIDENT_CHECK_MS;
		incident_timers(a);
	}
	fleet_timers(a, now);
	autoincident_scan(a); /* a slice of the scan under way, if any */
}

/* The earliest of the fleet's timers, as a wait from now (ms); -1 for none. */
static int64_t fleet_wait(const struct app *a, int64_t now)
{
	int64_t t[5] = {-1, -1, -1, -1, -1};
	int64_t best = -1;

	if (!a->fleet)
		return -1;
	t[0] = fleet_next_deadline(a->fleet);
	t[1] = monitor_next_deadline(a->mon);
	t[2] = a->hosts_changed ? a->next_hosts_draw_mono : -1;
	t[3] = a->samples_pending ? a->next_flush_mono : -1;
	t[4] = a->next_prune_mono;
	for (int i = 0; i < 5; i++)
		if (t[i] >= 0 && (best < 0 || t[i] < best))
			best = t[i];
	return best < 0 ? -1 : best - now;
}

static int next_timeout(const struct app *a)
{
	int64_t now = clock_mono_ms();
	int64_t wait = a->next_poll_mono - now;
	int64_t to_tick = app_time_to_tick(a, clock_now_ms());
	int64_t fw = fleet_wait(a, now);

	if (to_tick < wait)
		wait = to_tick;
	if (fw >= 0 && fw < wait)
		wait = fw;
	if (a->idle_more || autoincident_scan_pending(a->autoinc))
		wait = 0;
	return wait < 0 ? 0 : (int)wait;
}

/* ---- start-up: config, theme, keys; problems go to the message line ---- */

static void start_problem(struct app *a, const char *msg)
{
	size_t len = strlen(a->msg);

	if (a->n_start_problems++ == 0)
		snprintf(a->msg, sizeof a->msg, "%s", msg);
	else if (len < sizeof a->msg - 4)
		snprintf(a->msg + len, sizeof a->msg - len, "  |  %s", msg);
	a->msg_role = ROLE_ERROR;
}

static void load_config(struct app *a)
{
	struct err e = {{0}};

	config_defaults(&a->cfg);
	if (config_load(a->opts->paths->config_file, &a->cfg, &e) < 0)
		start_problem(a, e.msg);
	if (a->cfg.data_poll_ms < 100 || a->cfg.data_poll_ms > 10000)
		a->cfg.data_poll_ms = 500;
	if (incident_config_load(a->opts->paths->incidents_file, &a->inc_cfg, &e) < 0)
		start_problem(a, e.msg); /* the defaults stand in */
}

static void load_theme(struct app *a)
{
	const struct paths *p = a->opts->paths;
	const char *const dirs[] = {p->user_themes_dir, p->system_themes_dir,
				    p->source_themes_dir, NULL};
	const char *name = a->opts->theme ? a->opts->theme :
			   a->cfg.theme[0] ? a->cfg.theme : "default";
	char path[PATHS_MAX] = "";
	struct err e = {{0}};

	theme_builtin_default(&a->theme);
	if (theme_find(name, dirs, path, sizeof path, &e) < 0) {
		/* The built-in default needs no file; any other name must exist. */
		if (strcmp(name, "default") != 0)
			start_problem(a, e.msg);
		return;
	}
	if (theme_load_file(path, &a->theme, &e) < 0) {
		start_problem(a, e.msg);
		theme_builtin_default(&a->theme);
	}
}

/* Returns -1 only when the built-in table itself is broken (a programming error). */
static int load_keys(struct app *a, struct err *e)
{
	struct err ke = {{0}};
	const struct keymap_action *table = NULL;
	size_t ntable = 0;
	int n = 0;

	if (actions_build(view_registry, view_registry_n, e) < 0)
		return -1;
	table = actions_table(&ntable);
	a->km = keymap_new(table, ntable, e);
	if (!a->km)
		return -1;
	if (keymap_load_file(a->km, a->opts->paths->keys_file, &n, &ke) < 0) {
		char msg[1100];
		if (n > 1)
			snprintf(msg, sizeof msg, "%s (+%d more key problem%s)", ke.msg, n - 1,
				 n > 2 ? "s" : "");
		else
			snprintf(msg, sizeof msg, "%s", ke.msg);
		start_problem(a, msg);
	}
	return 0;
}

static int screen_start(struct app *a, struct err *e)
{
	a->screen = newterm(NULL, stdout, stdin);
	if (!a->screen) {
		err_set(e, "cannot start the terminal (is TERM set?)");
		return -1;
	}
	set_term(a->screen);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	input_paste_mode(true); /* pasted text arrives marked: never taken for keys */
	if (colors_want_mono())
		theme_builtin_mono(&a->theme);
	colors_apply(&a->theme);
	return 0;
}

static int create_views(struct app *a, struct err *e)
{
	for (size_t i = 0; i < view_registry_n && i < APP_MAX_VIEWS; i++) {
		struct view *v = view_registry[i]->create(a, e);
		if (!v)
			return -1;
		a->views[a->nviews++] = v;
	}
	/* Without an inventory there are no hosts to look at: open on the Log. */
	for (size_t i = 0; !a->fleet && i < a->nviews; i++)
		if (a->views[i]->cls == view_home_without_fleet)
			a->focus = i;
	return 0;
}

static void app_free(struct app *a)
{
	struct err e = {{0}};

	if (a->mon && monitor_flush(a->mon, a->st, &e) < 0)
		fprintf(stderr, "opsdeck: probe samples not saved: %s\n", e.msg);
	/* First: unfinished commands report to the monitor and the views, still alive. */
	fleet_free(&a->fleet);
	monitor_free(&a->mon);
	autoincident_free(&a->autoinc);
	for (size_t i = 0; i < a->nviews; i++)
		a->views[i]->cls->destroy(a->views[i]);
	a->nviews = 0;
	if (a->screen) {
		input_paste_mode(false);
		endwin();
		delscreen(a->screen);
		a->screen = NULL;
	}
	keymap_free(&a->km);
	actions_free();
	if (a->bench)
		fclose(a->bench);
	a->bench = NULL;
	if (a->have_inv)
		inventory_free(&a->inv);
	a->have_inv = false;
	free(a->fds);
	a->fds = NULL;
}

int app_run(const struct app_opts *o)
{
	struct app *a = NULL;
	struct err e = {{0}};
	const char *bench = getenv("OPSDECK_BENCH_FRAMES");
	char *op = NULL;
	unsigned long turns = 0;
	int rc = 1;

	setlocale(LC_ALL, "");
	a = calloc(1, sizeof *a);
	if (!a) {
		fprintf(stderr, "opsdeck: out of memory\n");
		return 1;
	}
	a->opts = o;
	a->st = o->store;
	if (bench && *bench)
		a->bench = fopen(bench, "ae");
	load_config(a);
	load_theme(a);
	if (load_keys(a, &e) < 0)
		goto out;
	op = text_sanitize_str(shiftlog_operator(), 0);
	snprintf(a->operator_name, sizeof a->operator_name, "%s", op ? op : "?");
	free(op);
	load_shift(a);
	a->fds = calloc(2, sizeof *a->fds);
	if (!a->fds) {
		err_set(&e, "out of memory");
		goto out;
	}
	a->fds_cap = 2;
	start_fleet(a);
	count_incidents(a); /* the baseline for alerts; also the host counters */
	if (signals_install(&e) < 0 || screen_start(a, &e) < 0 || create_views(a, &e) < 0)
		goto out;
	a->next_poll_mono = app_next_poll_due(a, clock_mono_ms(), clock_now_ms());
	store_changed(a->st); /* start the data_version baseline now */
	app_resize(a);
	a->shown_clock = -1;
	run_timers(a);
	app_draw(a);

	while (!a->quit) {
		size_t nf = build_pollfds(a);

		if (poll(a->fds, 2 + nf, next_timeout(a)) < 0 && errno != EINTR) {
			err_set(&e, "poll: %s", strerror(errno));
			goto out;
		}
		if (turn_hook)
			turn_hook(++turns);
		if (a->fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* the terminal went away: nothing left to draw on */
		drain_signals(a);
		drain_input(a);
		if (a->quit)
			break;
		/* Answer the person first; the fleet's work waits for this frame. */
		if (a->dirty && a->frame_event)
			app_draw(a);
		fleet_work(a, nf);
		run_timers(a);
		before_sleep(a);
		app_draw(a);
	}
	rc = 0;
out:
	app_free(a);
	signals_remove();
	if (rc != 0)
		fprintf(stderr, "opsdeck: %s\n", e.msg);
	free(a);
	return rc;
}
