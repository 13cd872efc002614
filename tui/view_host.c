/*
 * view_host: the host detail inside the Hosts view. Its lines are rebuilt from
 * the fleet and the monitor only when the app's hosts serial moves, and wrapped
 * when drawn. Host output arrives sanitised from the fleet and reaches the
 * screen through ui_put (text_fit); key decisions and commands ask first and
 * are logged (keys by the fleet's event callback, commands here).
 */
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "clock.h"
#include "fleet.h"
#include "fleetlog.h"
#include "inventory.h"
#include "monitor.h"
#include "paths.h"
#include "shiftlog.h"
#include "text.h"
#include "view.h"
#include "view_host.h"

#define HIST_W 24              /* history cells per probe: 2.5 minutes each */
#define HIST_SPAN_MS (3600 * 1000LL)
#define HIST_REFRESH_MS 60000  /* history is read at most once a minute */
#define HIST_EMPTY_RETRY_MS 5000
#define HIST_MAX_POINTS 512

struct host_run {
	struct app *app;
	size_t host;
	char *host_name; /* as in the inventory (the log's host field) */
	char *command;   /* as typed */
	bool running;
	int exit_status;
	char *out;       /* sanitised by the fleet, copied */
	char *error;     /* why it did not finish; NULL when it did */
	bool truncated;
	int64_t elapsed_ms;
	int64_t started_id; /* the "exec started" entry, written before it was sent */
};

/* One logical line of the detail; wrapped when drawn. */
struct dline {
	char *text;
	enum theme_role role;
	bool bold;
};

struct hist {
	char probe[64];
	char spark[HIST_W * 3 + 1];
};

struct host_detail {
	struct app *app;
	size_t host;
	struct host_run **slot;
	struct dline *lines;
	int n, cap;
	unsigned long serial; /* app_hosts_serial at the last build */
	bool built;
	int scroll; /* first wrapped line shown */
	int page;
	bool utf8;
	struct hist hist[INVENTORY_MAX_PROBES];
	size_t n_hist;
	int64_t hist_ms; /* wall clock of the last history read; 0 never */
	char pending[PROMPT_MAX]; /* the command waiting for its confirmation */
};

/* ---- sparklines ---- */

bool view_host_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0;
}

void view_host_sparkline(const struct probe_point *pts, int n, int64_t since_ms, int64_t until_ms,
			 int width, double floor_hi, bool utf8, char *out, size_t len)
{
	static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char ascii[8] = {'_', '.', '-', '~', '=', '+', '*', '#'};
	double sum[64], hi = floor_hi;
	int cnt[64];
	int64_t span = until_ms - since_ms;
	size_t o = 0;

	if (width > 64)
		width = 64;
	if (len)
		out[0] = '\0';
	if (width <= 0 || span <= 0 || len < (size_t)width * 3 + 1)
		return;
	memset(sum, 0, sizeof sum);
	memset(cnt, 0, sizeof cnt);
	for (int i = 0; i < n; i++) {
		int b = 0;

		if (isnan(pts[i].value) || pts[i].ts_ms < since_ms || pts[i].ts_ms >= until_ms)
			continue;
		b = (int)((pts[i].ts_ms - since_ms) * width / span);
		sum[b] += pts[i].value;
		cnt[b]++;
	}
	for (int b = 0; b < width; b++)
		if (cnt[b] && sum[b] / cnt[b] > hi)
			hi = sum[b] / cnt[b];
	for (int b = 0; b < width; b++) {
		int lvl = 0;

		if (!cnt[b]) {
			out[o++] = ' ';
			continue;
		}
		if (hi > 0) {
			double v = sum[b] / cnt[b];
			lvl = (int)(v / hi * 7.0 + 0.5);
			lvl = lvl < 0 ? 0 : lvl > 7 ? 7 : lvl;
		}
		if (utf8) {
			memcpy(out + o, blocks[lvl], 3);
			o += 3;
		} else {
			out[o++] = ascii[lvl];
		}
	}
	out[o] = '\0';
}

/* ---- runs ---- */

void view_host_run_free(struct host_run **rp)
{
	struct host_run *r = rp ? *rp : NULL;

	if (!r)
		return;
	free(r->host_name);
	free(r->command);
	free(r->out);
	free(r->error);
	free(r);
	*rp = NULL;
}

/* "exec finished" for a finished (or abandoned) command, by the OS user: the same
 * audit as `opsdeck exec`, which wrote "exec started" before the command was sent. */
static void run_log(struct host_run *run)
{
	struct fleetlog_exec_host h = {.name = run->host_name, .exit_status = run->exit_status,
				       .error = run->error};
	struct err e = {{0}};

	if (fleetlog_exec_finished(app_store(run->app), run->started_id, &h, 1, false, &e) < 0) {
		app_message(run->app, ROLE_ERROR, "Command on %s not logged: %s", run->host_name,
			    e.msg);
		return;
	}
	app_data_changed(run->app);
}

/* Called by the fleet exactly once; the slot keeps the result for the detail. */
static void run_done(void *ud, size_t host, const struct fleet_result *r)
{
	struct host_run *run = ud;

	(void)host;
	run->running = false;
	run->exit_status = r->exit_status;
	run->out = strdup(r->out ? r->out : "");
	run->truncated = r->truncated;
	run->elapsed_ms = r->elapsed_ms;
	if (r->exit_status < 0)
		run->error = strdup(r->error ? r->error : "no exit status");
	run_log(run);
	if (run->error)
		app_message(run->app, ROLE_ERROR, "%s: `%s` did not finish: %s", run->host_name,
			    run->command, run->error);
	else
		app_message(run->app, run->exit_status ? ROLE_WARN : ROLE_MESSAGE,
			    "%s: `%s` exited %d (logged)", run->host_name, run->command,
			    run->exit_status);
	app_hosts_touch(run->app);
}

/* ---- building the lines ---- */

static void lines_clear(struct host_detail *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->lines[i].text);
	d->n = 0;
}

static void add(struct host_detail *d, enum theme_role role, bool bold, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends one logical line (sanitised); silently short on memory, as the detail informs. */
static void add(struct host_detail *d, enum theme_role role, bool bold, const char *fmt, ...)
{
	va_list ap;
	char *raw = NULL;
	int len = 0;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (d->n == d->cap && d->cap > 200000))
		return;
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 64;
		struct dline *nl = realloc(d->lines, (size_t)cap * sizeof *nl);
		if (!nl)
			return;
		d->lines = nl;
		d->cap = cap;
	}
	raw = malloc((size_t)len + 1);
	if (!raw)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, (size_t)len + 1, fmt, ap);
	va_end(ap);
	d->lines[d->n].text = text_sanitize_str(raw, 0);
	free(raw);
	if (!d->lines[d->n].text)
		return;
	d->lines[d->n].role = role;
	d->lines[d->n].bold = bold;
	d->n++;
}

/* Adds text (already sanitised, newlines kept) one line per line, indented. */
static void add_output(struct host_detail *d, const char *text)
{
	const char *p = text ? text : "";
	int shown = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		add(d, ROLE_NORMAL, false, "    %.*s", (int)len, p);
		shown++;
		p += len + (nl ? 1 : 0);
	}
	if (!shown)
		add(d, ROLE_DIM, false, "    (no output)");
}

/* "3m ago", "2h ago", "never". */
static void ago(int64_t then_ms, char *buf, size_t len)
{
	int64_t s = then_ms > 0 ? (clock_now_ms() - then_ms) / 1000 : -1;

	if (s < 0)
		snprintf(buf, len, "%s", then_ms > 0 ? "just now" : "never");
	else if (s < 60)
		snprintf(buf, len, "%llds ago", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm ago", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd ago", (long long)(s / 86400));
}

static void join(char *const *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; v && v[i] && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", v[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static enum theme_role probe_role(enum probe_state s)
{
	static const enum theme_role roles[] = {
		[PROBE_OK] = ROLE_OK, [PROBE_WARNING] = ROLE_WARN,
		[PROBE_CRITICAL] = ROLE_CRIT, [PROBE_UNKNOWN] = ROLE_UNKNOWN,
	};

	return (unsigned)s < sizeof roles / sizeof roles[0] ? roles[s] : ROLE_UNKNOWN;
}

static const char *hist_for(const struct host_detail *d, const char *probe)
{
	for (size_t i = 0; i < d->n_hist; i++)
		if (strcmp(d->hist[i].probe, probe) == 0)
			return d->hist[i].spark;
	return "";
}

static void build_facts(struct host_detail *d, const struct fleet_status *st,
			const struct inventory_host *ih)
{
	static const struct {
		enum monitor_host s;
		enum theme_role role;
	} roles[] = {
		{MON_OK, ROLE_OK}, {MON_DEGRADED, ROLE_WARN}, {MON_CRITICAL, ROLE_CRIT},
		{MON_UNREACHABLE, ROLE_CRIT}, {MON_KEY_PROBLEM, ROLE_CRIT},
		{MON_AUTH_FAILED, ROLE_CRIT}, {MON_PENDING, ROLE_UNKNOWN}, {MON_DISABLED, ROLE_DIM},
	};
	enum monitor_host hs = app_host_state(d->app, d->host);
	enum theme_role role = ROLE_NORMAL;
	char when[32], groups[512], tags[512];

	const char *name = monitor_host_name(hs);

	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].s == hs)
			role = roles[i].role;
	/* "key problem" says less than the session's own state does. */
	if (hs == MON_KEY_PROBLEM)
		name = st->state == FLEET_KEY_CHANGED ? "KEY CHANGED" : fleet_state_name(st->state);
	add(d, role, true, "%-12s %s (session %s)", "State", name, fleet_state_name(st->state));
	add(d, ROLE_NORMAL, false, "%-12s %s port %d", "Address", st->address ? st->address : "?",
	    st->port);
	add(d, ROLE_NORMAL, false, "%-12s %s", "User", st->user ? st->user : "(default)");
	add(d, ROLE_NORMAL, false, "%-12s %s", "Key", st->fingerprint ? st->fingerprint : "(not seen yet)");
	ago(st->last_ok_ms, when, sizeof when);
	if (st->latency_ms >= 0)
		add(d, ROLE_NORMAL, false, "%-12s last command %s, %lld ms", "Seen", when,
		    (long long)st->latency_ms);
	else
		add(d, ROLE_NORMAL, false, "%-12s %s", "Seen", when);
	add(d, st->last_error ? ROLE_WARN : ROLE_NORMAL, false, "%-12s %s", "Last error",
	    st->last_error ? st->last_error : "-");
	if (st->state == FLEET_DOWN && st->next_retry_mono > 0) {
		int64_t in = st->next_retry_mono - clock_mono_ms();
		add(d, ROLE_NORMAL, false, "%-12s %d in a row; next retry in %llds", "Failures",
		    st->failures, (long long)(in > 0 ? (in + 999) / 1000 : 0));
	} else {
		add(d, ROLE_NORMAL, false, "%-12s %d in a row", "Failures", st->failures);
	}
	join(ih ? ih->groups : NULL, groups, sizeof groups);
	join(ih ? ih->tags : NULL, tags, sizeof tags);
	add(d, ROLE_NORMAL, false, "%-12s %s; tags %s", "Groups", groups, tags);
	if (ih)
		add(d, ROLE_NORMAL, false, "%-12s %s; criticality %s; %s", "Environment",
		    ih->environment ? ih->environment : "-",
		    inventory_criticality_name(ih->criticality),
		    inventory_lifecycle_name(ih->lifecycle));
	if (st->state == FLEET_KEY_UNKNOWN)
		add(d, ROLE_WARN, true, "Host key unknown: %s. Check it, then a accepts or d rejects.",
		    st->fingerprint ? st->fingerprint : "?");
	else if (st->state == FLEET_KEY_CHANGED)
		add(d, ROLE_CRIT, true, "HOST KEY CHANGED: the server offers %s, known_hosts has "
		    "another. Refused. If the change is expected, remove the old key from "
		    "known_hosts, then c reconnects.", st->fingerprint ? st->fingerprint : "?");
}

static void build_run(struct host_detail *d)
{
	const struct host_run *run = *d->slot;

	if (!run)
		return;
	add(d, ROLE_NORMAL, false, "%s", "");
	if (run->running)
		add(d, ROLE_ACCENT, true, "Command `%s`: running...", run->command);
	else if (run->error)
		add(d, ROLE_CRIT, true, "Command `%s`: did not finish: %s", run->command, run->error);
	else
		add(d, run->exit_status ? ROLE_WARN : ROLE_OK, true, "Command `%s`: exit %d in %lld ms%s",
		    run->command, run->exit_status, (long long)run->elapsed_ms,
		    run->truncated ? " (output cut at the capture limit)" : "");
	if (!run->running)
		add_output(d, run->out);
}

static void build_probes(struct host_detail *d)
{
	const struct monitor_probe *p = NULL;
	size_t n = monitor_probes(app_monitor(d->app), d->host, &p);
	char when[32];

	add(d, ROLE_NORMAL, false, "%s", "");
	add(d, ROLE_ACCENT, true, "Probes (history: the last hour)");
	for (size_t k = 0; k < n; k++) {
		if (p[k].have)
			add(d, probe_role(p[k].result.state), false, "  %-14s %-9s %-*s %s", p[k].name,
			    probe_state_name(p[k].result.state), HIST_W, hist_for(d, p[k].name),
			    p[k].result.summary);
		else
			add(d, ROLE_DIM, false, "  %-14s %-9s %-*s %s", p[k].name,
			    p[k].running ? "running" : "-", HIST_W, hist_for(d, p[k].name),
			    p[k].error[0] ? p[k].error : "no result yet");
	}
	for (size_t k = 0; k < n; k++) {
		if (!p[k].have)
			continue;
		clock_format_local(p[k].last_ms, when, sizeof when);
		add(d, ROLE_NORMAL, false, "%s", "");
		add(d, probe_role(p[k].result.state), true, "-- %s: %s at %s%s%s", p[k].name,
		    probe_state_name(p[k].result.state), when, p[k].error[0] ? "; last run: " : "",
		    p[k].error);
		add_output(d, p[k].output);
	}
}

/* Rebuilds the lines from the fleet and the monitor. */
static void build(struct host_detail *d)
{
	struct fleet *f = app_fleet(d->app);
	const struct inventory *inv = app_inventory(d->app);
	struct fleet_status st;

	lines_clear(d);
	d->serial = app_hosts_serial(d->app);
	d->built = true;
	if (!f || d->host >= fleet_count(f))
		return;
	fleet_status(f, d->host, &st);
	build_facts(d, &st, inv && d->host < inv->n_hosts ? &inv->hosts[d->host] : NULL);
	build_run(d);
	build_probes(d);
}

/* ---- public ---- */

struct host_detail *view_host_open(struct app *a, size_t host, struct host_run **slot)
{
	struct host_detail *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->app = a;
	d->host = host;
	d->slot = slot;
	d->page = 1;
	d->utf8 = view_host_utf8();
	return d;
}

void view_host_close(struct host_detail **dp)
{
	struct host_detail *d = dp ? *dp : NULL;

	if (!d)
		return;
	lines_clear(d);
	free(d->lines);
	free(d);
	*dp = NULL;
}

size_t view_host_host(const struct host_detail *d)
{
	return d->host;
}

/* Wrapped lines at width w, each given to fn (NULL: just count). */
static int walk(const struct host_detail *d, int w,
		void (*fn)(void *ud, int idx, const struct dline *l, const char *s, size_t n),
		void *ud)
{
	int idx = 0;

	for (int i = 0; i < d->n; i++) {
		const char *p = d->lines[i].text;

		if (!*p) {
			if (fn)
				fn(ud, idx, &d->lines[i], p, 0);
			idx++;
			continue;
		}
		while (*p) {
			size_t skip = 0;
			size_t n = ui_wrap(p, w, &skip);
			if (fn)
				fn(ud, idx, &d->lines[i], p, n);
			idx++;
			p += n + skip;
		}
	}
	return idx;
}

struct paint {
	const struct ui_rect *r;
	int first, rows;
};

static void paint_line(void *ud, int idx, const struct dline *l, const char *s, size_t n)
{
	struct paint *pp = ud;
	char line[4096];
	int row = idx - pp->first;

	if (row < 0 || row >= pp->rows)
		return;
	snprintf(line, sizeof line, " %.*s", (int)n, s);
	ui_put(pp->r->y + 1 + row, pp->r->x, pp->r->w, line,
	       colors_attr(l->role) | (l->bold ? A_BOLD : 0));
}

void view_host_draw(struct host_detail *d, const struct ui_rect *r)
{
	struct fleet *f = app_fleet(d->app);
	struct fleet_status st;
	struct paint pp = {r, 0, r->h - 1};
	char head[512];
	int total = 0;

	if (!d->built || d->serial != app_hosts_serial(d->app))
		build(d);
	d->page = pp.rows > 1 ? pp.rows : 1;
	total = walk(d, r->w - 2, NULL, NULL);
	if (d->scroll > total - pp.rows)
		d->scroll = total - pp.rows;
	if (d->scroll < 0)
		d->scroll = 0;
	pp.first = d->scroll;
	memset(&st, 0, sizeof st);
	if (f && d->host < fleet_count(f))
		fleet_status(f, d->host, &st);
	snprintf(head, sizeof head, " Host %s (Esc back, c connect, e run, a/d key)",
		 st.name ? st.name : "?");
	ui_put(r->y, r->x, r->w, head, colors_attr(ROLE_HEADER) | A_BOLD);
	for (int i = 0; i < pp.rows; i++)
		ui_fill(r->y + 1 + i, r->x, r->w, colors_attr(ROLE_NORMAL));
	walk(d, r->w - 2, paint_line, &pp);
}

/* ---- actions ---- */

static const char *host_name(struct host_detail *d)
{
	struct fleet_status st;

	fleet_status(app_fleet(d->app), d->host, &st);
	return st.name;
}

static void accept_answer(void *ud, bool yes)
{
	struct host_detail *d = ud;
	struct err e = {{0}};

	if (!yes) {
		app_message(d->app, ROLE_MESSAGE, "Key of %s not accepted (still waiting)",
			    host_name(d));
		return;
	}
	/* The fleet's event callback logs the acceptance and says so. */
	if (fleet_accept_key(app_fleet(d->app), d->host, &e) < 0)
		app_message(d->app, ROLE_ERROR, "%s", e.msg);
	else
		monitor_run_now(app_monitor(d->app), d->host); /* figures now, not in a minute */
	app_hosts_touch(d->app);
}

static void reject_answer(void *ud, bool yes)
{
	struct host_detail *d = ud;
	struct err e = {{0}};

	if (!yes) {
		app_message(d->app, ROLE_MESSAGE, "Key of %s not rejected (still waiting)",
			    host_name(d));
		return;
	}
	if (fleet_reject_key(app_fleet(d->app), d->host, &e) < 0)
		app_message(d->app, ROLE_ERROR, "%s", e.msg);
	app_hosts_touch(d->app);
}

/* Asks about the host's unknown key, showing its fingerprint in full. */
static unsigned ask_key(struct host_detail *d, bool accept)
{
	struct fleet_status st;
	char q[160];

	fleet_status(app_fleet(d->app), d->host, &st);
	if (st.state != FLEET_KEY_UNKNOWN) {
		app_message(d->app, ROLE_MESSAGE, "%s is not waiting for a key decision (%s)", st.name,
			    fleet_state_name(st.state));
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	snprintf(q, sizeof q, "%s key %s of %s? (y/n)", accept ? "Accept" : "Reject",
		 st.fingerprint ? st.fingerprint : "?", st.name);
	app_prompt_confirm(d->app, q, accept ? accept_answer : reject_answer, d);
	return VIEW_HANDLED | VIEW_REDRAW;
}

static void run_answer(void *ud, bool yes)
{
	struct host_detail *d = ud;
	struct host_run *run = NULL;
	struct err e = {{0}};

	if (!yes) {
		app_message(d->app, ROLE_MESSAGE, "Not run");
		return;
	}
	view_host_run_free(d->slot);
	run = calloc(1, sizeof *run);
	if (run) {
		run->app = d->app;
		run->host = d->host;
		run->host_name = strdup(host_name(d));
		run->command = strdup(d->pending);
		run->running = true;
	}
	if (!run || !run->host_name || !run->command) {
		view_host_run_free(&run);
		app_message(d->app, ROLE_ERROR, "out of memory");
		return;
	}
	/* The audit entry first: a command that cannot be logged is not sent. */
	{
		const char *names[1] = {run->host_name};
		struct fleetlog_exec x = {.pattern = run->host_name, .hosts = names, .n_hosts = 1,
					  .command = run->command,
					  .data_dir = app_paths(d->app)->data_dir};

		if (fleetlog_exec_started(app_store(d->app), &x, &run->started_id, &e) < 0) {
			app_message(d->app, ROLE_ERROR, "Not run (the audit entry failed): %s", e.msg);
			view_host_run_free(&run);
			return;
		}
	}
	if (fleet_run(app_fleet(d->app), d->host, run->command, 0, run_done, run, &e) < 0) {
		struct fleetlog_exec_host h = {.name = run->host_name, .exit_status = -1,
					       .error = e.msg};
		struct err le = {{0}};

		app_message(d->app, ROLE_ERROR, "Not run: %s", e.msg);
		fleetlog_exec_finished(app_store(d->app), run->started_id, &h, 1, false, &le);
		view_host_run_free(&run);
		return;
	}
	*d->slot = run; /* the fleet calls run_done once; the slot outlives the fleet */
	app_message(d->app, ROLE_MESSAGE, "Running on %s...", run->host_name);
	app_hosts_touch(d->app);
}

static int run_submit(void *ud, const char *text)
{
	struct host_detail *d = ud;
	char q[160];

	if (strspn(text, " ") == strlen(text)) {
		app_message(d->app, ROLE_MESSAGE, "No command given");
		return 0;
	}
	snprintf(d->pending, sizeof d->pending, "%s", text);
	/* The whole command, wrapped above the question: what runs is what is read. */
	snprintf(q, sizeof q, "Run the command above on %s? (y/n)", host_name(d));
	app_prompt_confirm_detail(d->app, q, d->pending, run_answer, d);
	return 0;
}

static unsigned act_run(struct host_detail *d)
{
	char label[96];

	if (*d->slot && (*d->slot)->running) {
		app_message(d->app, ROLE_MESSAGE, "A command is still running on %s", host_name(d));
		return VIEW_HANDLED | VIEW_REDRAW;
	}
	snprintf(label, sizeof label, "Run on %s:", host_name(d));
	app_prompt_line(d->app, label, NULL, run_submit, d);
	return VIEW_HANDLED | VIEW_REDRAW;
}

unsigned view_host_reconnect(struct app *a, size_t host)
{
	struct fleet_status st;

	fleet_status(app_fleet(a), host, &st);
	if (st.state == FLEET_UP) {
		/* Connected already: the useful "now" is a fresh probe round. */
		monitor_run_now(app_monitor(a), host);
		app_message(a, ROLE_MESSAGE, "%s is connected: probing it now", st.name);
	} else if (st.state == FLEET_DISABLED) {
		app_message(a, ROLE_MESSAGE, "%s is disabled (decommissioned)", st.name);
	} else {
		fleet_connect(app_fleet(a), host);
		monitor_run_now(app_monitor(a), host);
		app_message(a, ROLE_MESSAGE, "Connecting %s...", st.name);
	}
	app_hosts_touch(a);
	return VIEW_HANDLED | VIEW_REDRAW;
}

unsigned view_host_action(struct host_detail *d, int action)
{
	static const enum ui_move moves[HOSTS_ACT__COUNT] = {
		[HOSTS_ACT_UP] = UI_MOVE_UP,		  [HOSTS_ACT_DOWN] = UI_MOVE_DOWN,
		[HOSTS_ACT_PAGE_UP] = UI_MOVE_PAGE_UP,	  [HOSTS_ACT_PAGE_DOWN] = UI_MOVE_PAGE_DOWN,
		[HOSTS_ACT_TOP] = UI_MOVE_TOP,		  [HOSTS_ACT_BOTTOM] = UI_MOVE_BOTTOM,
	};

	if (action >= 0 && action < HOSTS_ACT__COUNT && ui_scroll(&d->scroll, moves[action], d->page))
		return VIEW_HANDLED | VIEW_REDRAW;
	switch (action) {
	case HOSTS_ACT_RECONNECT:
		return view_host_reconnect(d->app, d->host);
	case HOSTS_ACT_ACCEPT_KEY:
		return ask_key(d, true);
	case HOSTS_ACT_REJECT_KEY:
		return ask_key(d, false);
	case HOSTS_ACT_RUN:
		return act_run(d);
	default:
		return VIEW_HANDLED; /* table keys wait until the detail is closed */
	}
}

unsigned view_host_idle(struct host_detail *d)
{
	struct store *st = app_store(d->app);
	const struct monitor_probe *p = NULL;
	size_t n = monitor_probes(app_monitor(d->app), d->host, &p);
	struct probe_point *pts = NULL;
	struct fleet_status fs;
	int64_t now = clock_now_ms();

	/* Nothing yet: the first samples are a flush away, so look again sooner. */
	if (d->hist_ms && now >= d->hist_ms &&
	    now - d->hist_ms < (d->n_hist ? HIST_REFRESH_MS : HIST_EMPTY_RETRY_MS))
		return 0;
	d->hist_ms = now;
	pts = malloc(HIST_MAX_POINTS * sizeof *pts);
	if (!pts)
		return 0;
	fleet_status(app_fleet(d->app), d->host, &fs);
	d->n_hist = 0;
	for (size_t k = 0; k < n && d->n_hist < INVENTORY_MAX_PROBES; k++) {
		struct hist *h = &d->hist[d->n_hist];
		struct err e = {{0}};
		int got = probe_history(st, fs.name, p[k].name, now - HIST_SPAN_MS, pts,
					HIST_MAX_POINTS, &e);
		const char *unit = p[k].def ? p[k].def->unit : "";

		if (got <= 0)
			continue;
		snprintf(h->probe, sizeof h->probe, "%s", p[k].name);
		view_host_sparkline(pts, got, now - HIST_SPAN_MS, now + 1, HIST_W,
				    strcmp(unit, "%") == 0 ? 100 : strcmp(unit, "/cpu") == 0 ? 1 : 0,
				    d->utf8, h->spark, sizeof h->spark);
		/* A probe without numbers has nothing to draw. */
		if (strspn(h->spark, " ") != strlen(h->spark))
			d->n_hist++;
	}
	free(pts);
	d->built = false;
	return VIEW_REDRAW;
}
