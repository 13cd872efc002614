/*
 * app: the console's one loop. poll() waits on the terminal and a signal
 * self-pipe with a timeout set by the next timer (clock tick, data_version poll);
 * keys go to the prompt, the help overlay, the global action table or the focused
 * view, whose handlers return flags; one redraw pass and one doupdate() follow.
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
#include "clock.h"
#include "config.h"
#include "keymap.h"
#include "shiftlog.h"
#include "text.h"
#include "view.h"

/* Tab order. Later views (Hosts, Incidents, ...) add one line each. */
const struct view_class *const view_registry[] = {
	&view_log_class,
};
const size_t view_registry_n = sizeof view_registry / sizeof view_registry[0];

#define APP_MAX_VIEWS 16

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
	SCREEN *screen;
	FILE *bench;
	int64_t bench_key_us; /* when the first key since the last frame was read */
	bool drew_first;
};

/* ---- signals: handlers only write the signal number to a pipe ---- */

static int sig_pipe[2] = {-1, -1};
static const int app_signals[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT};
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

/* ---- services for views ---- */

struct store *app_store(struct app *a)
{
	return a->st;
}

const struct config *app_config(const struct app *a)
{
	return &a->cfg;
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

void app_prompt_confirm(struct app *a, const char *question, prompt_yesno_fn fn, void *ud)
{
	prompt_open_confirm(&a->prompt, question, fn, ud);
	a->dirty |= DIRTY_BOTTOM;
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

void app_data_changed(struct app *a)
{
	load_shift(a);
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
	struct ui_top t = {a->operator_name, a->shift, clock_now_ms(), a->cfg.clock_seconds};

	ui_draw_top(0, a->cols, &t);
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
		const char *ev = !a->drew_first ? "first-frame" :
				 a->frame_event ? a->frame_event : "redraw";

		if (a->drew_first && a->bench_key_us && strcmp(ev, "key") == 0)
			fprintf(a->bench, "%lld key %lld\n", (long long)mono_us(),
				(long long)a->bench_key_us);
		else
			fprintf(a->bench, "%lld %s\n", (long long)mono_us(), ev);
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
	return v->cls->on_action(v, ACT_BACK);
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
static const app_action_fn global_actions[ACT__COUNT] = {
	[ACT_QUIT] = act_quit,	       [ACT_HELP] = act_help,	  [ACT_NOTE] = act_note,
	[ACT_BACK] = act_back,	       [ACT_REDRAW] = act_redraw, [ACT_TAB_NEXT] = act_tab_next,
	[ACT_TAB_PREV] = act_tab_prev,
};

static unsigned app_key(struct app *a, int key)
{
	struct view *v = a->views[a->focus];
	int act = -1;

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
	if (act < 0 || act >= ACT__COUNT)
		return v->cls->on_key && !a->help.open ? v->cls->on_key(v, key) : VIEW_UNHANDLED;
	if (global_actions[act])
		return global_actions[act](a);
	if (a->help.open)
		return VIEW_HANDLED; /* the view is covered; its keys wait */
	return v->cls->on_action(v, act);
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
		if (a->bench && !a->bench_key_us)
			a->bench_key_us = mono_us();
		f = app_key(a, key);
		a->dirty |= flags_to_dirty(f);
		if (f & VIEW_QUIT)
			a->quit = true;
		frame_reason(a, key == KEYM_RESIZE ? "resize" : "key");
	}
}

/* SIGWINCH, SIGTERM, SIGHUP, SIGINT arrive here as bytes from the pipe. */
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

static void run_timers(struct app *a)
{
	int64_t now = clock_mono_ms();
	int64_t wall = clock_now_ms();
	int64_t shown = a->cfg.clock_seconds ? wall / 1000 : wall / 60000;

	if (now >= a->next_poll_mono) {
		a->next_poll_mono = now + a->cfg.data_poll_ms;
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
}

static int next_timeout(const struct app *a)
{
	int64_t wait = a->next_poll_mono - clock_mono_ms();
	int64_t to_tick = 1000 - clock_now_ms() % 1000;

	if (to_tick < wait)
		wait = to_tick;
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
	int n = 0;

	a->km = keymap_new(actions_table, ACT__COUNT, e);
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
	return 0;
}

static void app_free(struct app *a)
{
	for (size_t i = 0; i < a->nviews; i++)
		a->views[i]->cls->destroy(a->views[i]);
	a->nviews = 0;
	if (a->screen) {
		endwin();
		delscreen(a->screen);
		a->screen = NULL;
	}
	keymap_free(&a->km);
	if (a->bench)
		fclose(a->bench);
	a->bench = NULL;
}

int app_run(const struct app_opts *o)
{
	struct app *a = NULL;
	struct err e = {{0}};
	const char *bench = getenv("OPSDECK_BENCH_FRAMES");
	char *op = NULL;
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
	if (signals_install(&e) < 0 || screen_start(a, &e) < 0 || create_views(a, &e) < 0)
		goto out;
	a->next_poll_mono = clock_mono_ms() + a->cfg.data_poll_ms;
	store_changed(a->st); /* start the data_version baseline now */
	app_resize(a);
	a->shown_clock = -1;
	run_timers(a);
	app_draw(a);

	while (!a->quit) {
		struct pollfd fds[2] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = sig_pipe[0], .events = POLLIN},
		};

		if (poll(fds, 2, next_timeout(a)) < 0 && errno != EINTR) {
			err_set(&e, "poll: %s", strerror(errno));
			goto out;
		}
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* the terminal went away: nothing left to draw on */
		drain_signals(a);
		drain_input(a);
		if (a->quit)
			break;
		run_timers(a);
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
