#define _GNU_SOURCE /* ppoll */
/*
 * cli_fleet: `opsdeck hosts` (one probe round, Nagios-style exit code) and
 * `opsdeck exec PATTERN -- COMMAND` (a command on many hosts, output grouped by
 * identical result like clush -b). Both run the console's engine in a small loop
 * of their own and honour host-key checking; key and auth events go to the log.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "fleet.h"
#include "fleetlog.h"
#include "hostcond.h"
#include "hostpattern.h"
#include "inventory.h"
#include "json.h"
#include "monitor.h"
#include "shiftlog.h"
#include "text.h"

/* What both commands set up: the inventory subset, its fleet, the store for events. */
struct fleet_cli {
	const struct cli_ctx *c;
	struct inventory inv;     /* all hosts, as loaded */
	struct inventory sub;     /* the matching hosts (borrowed from inv) */
	struct fleet *fleet;
	struct store *st;
	const char *accept_keys;  /* --accept-keys FILE */
	int log_failed;           /* shift-log writes that failed (reported once) */
};

struct fleet_flags {
	const char *inventory, *known_hosts, *filter, *accept_keys;
	int json;
	int timeout_s, connect_timeout_s, parallel;
};

enum { OPT_INVENTORY = 1000, OPT_KNOWN_HOSTS, OPT_JSON, OPT_FILTER, OPT_TIMEOUT,
       OPT_CONNECT_TIMEOUT, OPT_PARALLEL, OPT_ACCEPT_KEYS, OPT_HELP };

static const struct option fleet_options[] = {
	{ "inventory", required_argument, NULL, OPT_INVENTORY },
	{ "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "accept-keys", required_argument, NULL, OPT_ACCEPT_KEYS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char hosts_usage[] =
	"hosts [--filter PATTERN] [--json] [--inventory FILE] [--known-hosts FILE]\n"
	"                [--timeout SEC] [--connect-timeout SEC] [--parallel N] [--accept-keys FILE]\n"
	"Connects, runs one probe round and prints each host's state and figures.\n"
	"--timeout SEC is the whole command's deadline: a host whose round has not\n"
	"finished by then is shown as timeout.\n"
	"Exit 0 all OK, 1 any WARNING or UNKNOWN probe, 2 any CRITICAL, unreachable or\n"
	"key problem, else 3 (UNKNOWN) when a host timed out or opsdeck could not tell.\n";

static const char exec_usage[] =
	"exec PATTERN [--inventory FILE] [--known-hosts FILE] [--timeout SEC]\n"
	"                [--connect-timeout SEC] [--parallel N] [--accept-keys FILE] -- COMMAND...\n"
	"Runs COMMAND on every host whose name, group, tag or environment matches PATTERN\n"
	"(a shell glob), in parallel; prints the output grouped by identical result and a\n"
	"per-host exit summary. Exit 0 when every host ran it with status 0, 1 when some\n"
	"exited non-zero, 2 when some could not run it, 130 when interrupted.\n"
	"One argument after -- is sent as written: a command line for the remote shell,\n"
	"as with ssh (exec web -- 'ls /tmp | wc -l'). Two or more are each shell-quoted,\n"
	"so they arrive as these arguments (exec web -- printf '%s\\n' \"a b\" prints a b).\n"
	"--timeout SEC is the whole command's deadline: a host not finished by then is\n"
	"reported as timeout. Ctrl-C signals the remote commands (TERM), closes their\n"
	"channels and logs. The shift log gets \"exec started\" (pattern, hosts, the whole\n"
	"command) before anything is sent, and \"exec finished\" after.\n";

static int parse_seconds(const char *s, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 86400)
		return -1;
	*out = (int)v;
	return 0;
}

static void fleet_flags_init(const struct cli_ctx *c, struct fleet_flags *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->timeout_s = c->cfg->command_timeout_s;
	fl->connect_timeout_s = c->cfg->connect_timeout_s;
	fl->parallel = c->cfg->max_handshakes;
}

/* Parses flags over fl; returns 0, 1 for --help (printed), -1 on error (printed). */
static int parse_fleet_flags(const struct cli_ctx *c, const char *cmd, const char *usage,
			     int argc, char **argv, struct fleet_flags *fl)
{
	int opt;

	optind = 0; /* reset glibc's scan state (main stopped at the command) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", fleet_options, NULL)) != -1) {
		switch (opt) {
		case OPT_INVENTORY: fl->inventory = optarg; break;
		case OPT_KNOWN_HOSTS: fl->known_hosts = optarg; break;
		case OPT_JSON: fl->json = 1; break;
		case OPT_FILTER: fl->filter = optarg; break;
		case OPT_ACCEPT_KEYS: fl->accept_keys = optarg; break;
		case OPT_TIMEOUT:
		case OPT_CONNECT_TIMEOUT:
		case OPT_PARALLEL:
			if (parse_seconds(optarg, opt == OPT_TIMEOUT ? &fl->timeout_s :
					  opt == OPT_CONNECT_TIMEOUT ? &fl->connect_timeout_s :
					  &fl->parallel)) {
				fprintf(stderr, "%s %s: %s needs a positive number\n", c->prog, cmd,
					argv[optind - 1]);
				return -1;
			}
			break;
		case OPT_HELP:
			printf("usage: %s %s", c->prog, usage);
			return 1;
		default:
			fprintf(stderr, "%s %s: %s option '%s'\n", c->prog, cmd,
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

static void on_fleet_event(void *ud, size_t host, enum fleet_event ev, const char *detail)
{
	struct fleet_cli *fc = ud;
	struct err e = { { 0 } };

	if (ev == FLEET_EV_STATE || !fc->st)
		return;
	if (fleetlog_event(fc->st, fc->sub.hosts[host].name, ev, detail, &e) && !fc->log_failed++)
		fprintf(stderr, "%s: shift log: %s\n", fc->c->prog, e.msg);
}

/* Loads the inventory, keeps the hosts matching pattern, builds the fleet. */
static int fleet_cli_open(struct fleet_cli *fc, const struct cli_ctx *c,
			  const struct fleet_flags *fl, const char *pattern, struct err *e)
{
	struct fleet_opts o = { 0 };
	long limit;
	struct hostpattern *hp = NULL;

	memset(fc, 0, sizeof *fc);
	fc->c = c;
	fc->accept_keys = fl->accept_keys;
	if (inventory_load(fl->inventory ? fl->inventory : c->paths->inventory_file, &fc->inv, e))
		return -1;
	fc->sub = fc->inv;
	fc->sub.hosts = calloc(fc->inv.n_hosts ? fc->inv.n_hosts : 1, sizeof *fc->sub.hosts);
	if (!fc->sub.hosts) {
		err_set(e, "out of memory");
		return -1;
	}
	fc->sub.n_hosts = 0;
	/* One pattern grammar everywhere (include/hostpattern.h). */
	if (pattern && !(hp = hostpattern_compile(pattern, e)))
		return -1;
	for (size_t i = 0; i < fc->inv.n_hosts; i++)
		if (!hp || hostpattern_match(hp, &fc->inv.hosts[i]))
			fc->sub.hosts[fc->sub.n_hosts++] = fc->inv.hosts[i];
	hostpattern_free(&hp);
	if (fc->sub.n_hosts == 0) {
		err_set(e, "no host in %s matches '%s'", fc->inv.file ? fc->inv.file : "the inventory",
			pattern ? pattern : "*");
		return -1;
	}
	/* The log is the audit trail; without it, key decisions would go unrecorded. */
	if (cli_open_store(c->paths, &fc->st, e))
		return -1;
	o.known_hosts = fl->known_hosts ? fl->known_hosts : c->paths->known_hosts;
	o.ssh_config = c->paths->ssh_config;
	o.max_handshakes = fl->parallel;
	o.connect_timeout_ms = fl->connect_timeout_s * 1000;
	o.auth_timeout_ms = fl->connect_timeout_s * 1000;
	o.command_timeout_ms = fl->timeout_s * 1000;
	o.output_cap = (size_t)c->cfg->output_cap_kib * 1024;
	fc->fleet = fleet_new(&o, on_fleet_event, fc, e);
	if (!fc->fleet)
		return -1;
	for (size_t i = 0; i < fc->sub.n_hosts; i++)
		if (fleet_add(fc->fleet, &fc->sub.hosts[i], e) < 0)
			return -1;
	limit = fleet_raise_fd_limit();
	if (limit >= 0 && fleet_fds_needed(fc->fleet) > limit)
		fprintf(stderr, "%s: %zu hosts need about %ld file descriptors, but the limit is "
			"%ld (RLIMIT_NOFILE, raised to its hard limit): hosts past it will fail with "
			"\"%s\"\n", c->prog, fc->sub.n_hosts, fleet_fds_needed(fc->fleet), limit,
			strerror(EMFILE));
	return 0;
}

static void fleet_cli_close(struct fleet_cli *fc)
{
	fleet_free(&fc->fleet);
	store_close(&fc->st);
	free(fc->sub.hosts);
	inventory_free(&fc->inv);
}

/* Set by SIGINT/SIGTERM; the loop looks at it (nothing else happens in the handler). */
static volatile sig_atomic_t cli_fleet_signal;
static sigset_t cli_fleet_waitmask; /* the mask ppoll waits with: the signals open */

static void cli_fleet_on_signal(int sig)
{
	cli_fleet_signal = sig;
}

/*
 * Catches SIGINT and SIGTERM as a flag. They stay blocked except while the loop
 * waits in ppoll, so one that comes just before the wait still ends it at once.
 */
static void cli_fleet_catch_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cli_fleet_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &cli_fleet_waitmask);
}

/* Runs the fleet until idle (returns true), the deadline or a signal (false). */
static bool run_loop(struct fleet *f, int64_t deadline)
{
	size_t cap = fleet_count(f) + 1;
	struct pollfd *fds = calloc(cap, sizeof *fds);
	bool idle = false;

	while (fds && !cli_fleet_signal) {
		int64_t now = clock_mono_ms();
		int64_t next = -1, wait = 1000;
		struct timespec ts;
		size_t n;

		if (!fleet_busy(f)) {
			idle = true;
			break;
		}
		if (now >= deadline)
			break;
		n = fleet_pollfds(f, fds, cap);
		next = fleet_next_deadline(f);
		if (next >= 0)
			wait = next <= now ? 0 : next - now;
		if (wait > deadline - now)
			wait = deadline - now;
		if (wait > 1000)
			wait = 1000;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		if (ppoll(fds, n, &ts, &cli_fleet_waitmask) < 0 && errno != EINTR)
			break;
		fleet_dispatch(f, fds, n);
	}
	free(fds);
	return idle;
}

/*
 * Ends what is still running with why: each remote command gets SIGTERM (over
 * SSH), then grace_ms to report its end, then its channel is closed.
 */
static void cli_fleet_stop_all(struct fleet *f, const char *why, int grace_ms)
{
	sig_atomic_t sig = cli_fleet_signal;

	fleet_cancel_all(f, "TERM", why, grace_ms);
	if (grace_ms > 0) {
		cli_fleet_signal = 0; /* a second Ctrl-C ends the grace at once */
		(void)run_loop(f, clock_mono_ms() + grace_ms + 500);
		if (!cli_fleet_signal)
			cli_fleet_signal = sig;
	}
	fleet_cancel_all(f, NULL, why, 0);
}

/*
 * Connects every host, then applies --accept-keys to hosts waiting on a key, so
 * a batch of expected fingerprints is accepted before any command runs.
 */
static void connect_all(struct fleet_cli *fc, int64_t deadline)
{
	struct err e = { { 0 } };
	int accepted;

	for (size_t i = 0; i < fleet_count(fc->fleet); i++)
		fleet_connect(fc->fleet, i);
	if (!run_loop(fc->fleet, deadline) || !fc->accept_keys)
		return;
	accepted = fleet_accept_keys_from(fc->fleet, fc->accept_keys, &e);
	if (accepted < 0)
		fprintf(stderr, "%s: %s\n", fc->c->prog, e.msg);
	else if (accepted > 0)
		(void)run_loop(fc->fleet, deadline);
}

/* ---- hosts ---- */

static int exit_for(enum monitor_host s)
{
	static const int codes[] = {
		[MON_PENDING] = 1, [MON_OK] = 0, [MON_DEGRADED] = 1, [MON_CRITICAL] = 2,
		[MON_UNREACHABLE] = 2, [MON_KEY_PROBLEM] = 2, [MON_AUTH_FAILED] = 2,
		[MON_DISABLED] = 0,
	};

	return (unsigned)s < sizeof codes / sizeof codes[0] ? codes[s] : 2;
}

/* The error a command gets when the command's overall deadline passes. */
#define CLI_FLEET_TIMEOUT "timeout"

/* True when host's round did not finish before the deadline (or a Ctrl-C). */
static bool cli_fleet_host_late(struct monitor *m, size_t i)
{
	const struct monitor_probe *p = NULL;
	size_t n = monitor_probes(m, i, &p);

	for (size_t k = 0; k < n; k++)
		if (!p[k].have && (strcmp(p[k].error, CLI_FLEET_TIMEOUT) == 0 ||
				   strcmp(p[k].error, "interrupted") == 0))
			return true;
	return false;
}

/* The host's state as everything else in opsdeck says it (include/hostcond.h). */
static enum monitor_host cli_fleet_host_state(struct fleet_cli *fc, struct monitor *m, size_t i)
{
	struct hostcond c;

	hostcond_get(fc->fleet, m, i < fc->sub.n_hosts ? &fc->sub.hosts[i] : NULL, i, NULL, 0,
		     clock_now_ms(), &c);
	return c.state;
}

static void print_host_text(struct fleet_cli *fc, struct monitor *m, size_t i)
{
	const struct monitor_probe *p = NULL;
	size_t n = monitor_probes(m, i, &p);
	struct fleet_status st;
	enum monitor_host hs = cli_fleet_host_state(fc, m, i);
	bool late = cli_fleet_host_late(m, i);

	fleet_status(fc->fleet, i, &st);
	printf("%-24s %-11s", st.name, late ? CLI_FLEET_TIMEOUT : monitor_host_name(hs));
	if (!late && (hs == MON_UNREACHABLE || hs == MON_KEY_PROBLEM || hs == MON_AUTH_FAILED ||
		      hs == MON_DISABLED)) {
		printf(" %s\n", st.last_error ? st.last_error : fleet_state_name(st.state));
		return;
	}
	if (st.latency_ms >= 0)
		printf(" %4" PRId64 " ms", st.latency_ms);
	printf("\n");
	for (size_t k = 0; k < n; k++) {
		if (p[k].have)
			printf("    %-14s %-9s %s\n", p[k].name, probe_state_name(p[k].result.state),
			       p[k].result.summary);
		else
			printf("    %-14s %-9s %s\n", p[k].name, "-",
			       p[k].error[0] ? p[k].error : "no result");
	}
}

static void print_host_json(struct fleet_cli *fc, struct monitor *m, size_t i, int first)
{
	const struct monitor_probe *p = NULL;
	size_t n = monitor_probes(m, i, &p);
	struct fleet_status st;

	fleet_status(fc->fleet, i, &st);
	fputs(first ? "\n  {" : ",\n  {", stdout);
	json_put_key(stdout, "name", 1);
	json_put_string(stdout, st.name);
	json_put_key(stdout, "state", 0);
	json_put_string(stdout, cli_fleet_host_late(m, i) ? CLI_FLEET_TIMEOUT :
			monitor_host_name(cli_fleet_host_state(fc, m, i)));
	json_put_key(stdout, "session", 0);
	json_put_string(stdout, fleet_state_name(st.state));
	json_put_key(stdout, "address", 0);
	json_put_string(stdout, st.address);
	json_put_key(stdout, "port", 0);
	json_put_int(stdout, st.port, 0);
	json_put_key(stdout, "user", 0);
	json_put_string(stdout, st.user);
	json_put_key(stdout, "fingerprint", 0);
	json_put_string(stdout, st.fingerprint);
	json_put_key(stdout, "error", 0);
	json_put_string(stdout, st.last_error);
	json_put_key(stdout, "latency_ms", 0);
	json_put_int(stdout, st.latency_ms, st.latency_ms < 0);
	json_put_key(stdout, "probes", 0);
	putc('[', stdout);
	for (size_t k = 0; k < n; k++) {
		fputs(k ? ",{" : "{", stdout);
		json_put_key(stdout, "name", 1);
		json_put_string(stdout, p[k].name);
		json_put_key(stdout, "state", 0);
		json_put_string(stdout, p[k].have ? probe_state_name(p[k].result.state) : NULL);
		json_put_key(stdout, "summary", 0);
		json_put_string(stdout, p[k].have ? p[k].result.summary : NULL);
		json_put_key(stdout, "value", 0);
		if (p[k].have && !isnan(p[k].result.value))
			printf("%.6g", p[k].result.value);
		else
			fputs("null", stdout);
		json_put_key(stdout, "error", 0);
		json_put_string(stdout, p[k].error[0] ? p[k].error : NULL);
		json_put_key(stdout, "metrics", 0);
		putc('{', stdout);
		for (size_t j = 0; p[k].have && j < p[k].result.n_metrics; j++) {
			json_put_key(stdout, p[k].result.metrics[j].label, j == 0);
			if (isnan(p[k].result.metrics[j].value))
				fputs("null", stdout);
			else
				printf("%.6g", p[k].result.metrics[j].value);
		}
		fputs("}}", stdout);
	}
	fputs("]}", stdout);
}

int cli_hosts(const struct cli_ctx *c, int argc, char **argv)
{
	struct fleet_flags fl;
	struct fleet_cli fc;
	struct monitor *m = NULL;
	struct err e = { { 0 } };
	int64_t deadline;
	bool late = false;
	int rc = 3;
	int r;

	memset(&fc, 0, sizeof fc);
	fleet_flags_init(c, &fl);
	r = parse_fleet_flags(c, "hosts", hosts_usage, argc, argv, &fl);
	if (r)
		return r > 0 ? 0 : 3;
	if (optind < argc) {
		fprintf(stderr, "%s hosts: unexpected argument '%s' (use --filter)\n", c->prog,
			argv[optind]);
		return 3;
	}
	cli_fleet_catch_signals();
	/* --timeout is the whole command's deadline, connecting included. */
	deadline = clock_mono_ms() + (int64_t)fl.timeout_s * 1000;
	if (fleet_cli_open(&fc, c, &fl, fl.filter, &e))
		goto fail;
	m = monitor_new(fc.fleet, &fc.sub, &e);
	if (!m)
		goto fail;
	connect_all(&fc, deadline);
	monitor_run_now(m, SIZE_MAX);
	if (!run_loop(fc.fleet, deadline))
		cli_fleet_stop_all(fc.fleet, cli_fleet_signal ? "interrupted" : CLI_FLEET_TIMEOUT, 0);
	if (monitor_flush(m, fc.st, &e) < 0)
		fprintf(stderr, "%s hosts: samples not saved: %s\n", c->prog, e.msg);
	rc = 0;
	if (fl.json)
		putc('[', stdout);
	for (size_t i = 0; i < fleet_count(fc.fleet); i++) {
		int x = exit_for(cli_fleet_host_state(&fc, m, i));

		if (fl.json)
			print_host_json(&fc, m, i, i == 0);
		else
			print_host_text(&fc, m, i);
		if (cli_fleet_host_late(m, i))
			late = true;
		else
			rc = x > rc ? x : rc;
	}
	if (fl.json)
		fputs("\n]\n", stdout);
	/* A host that could not tell in time is UNKNOWN, unless another is CRITICAL. */
	if (late && rc < 2)
		rc = 3;
	goto out;
fail:
	/* Nagios UNKNOWN: opsdeck itself could not tell. */
	fprintf(stderr, "%s hosts: %s\n", c->prog, e.msg);
	rc = 3;
out:
	/* What was printed reaches the caller even if teardown went wrong. */
	if (fflush(stdout) != 0 && rc < 3)
		rc = 3;
	/* The fleet goes first: freeing it delivers the monitor's unfinished probe runs,
	 * which write into the monitor. */
	fleet_free(&fc.fleet);
	monitor_free(&m);
	fleet_cli_close(&fc);
	return rc;
}

/* ---- exec ---- */

struct exec_result {
	char *out;       /* sanitised output, malloc'd */
	int exit_status; /* -1: did not run */
	char *error;     /* why it did not run, malloc'd */
	bool truncated;
	bool done;
};

static void exec_done(void *ud, size_t host, const struct fleet_result *r)
{
	struct exec_result *res = &((struct exec_result *)ud)[host];

	res->done = true;
	res->out = strdup(r->out ? r->out : "");
	res->exit_status = r->exit_status;
	res->truncated = r->truncated;
	if (r->error && r->exit_status < 0)
		res->error = strdup(r->error);
}

/* Prints the hosts in group (indices into results) as "a,b,c (n)". */
static void print_names(struct fleet_cli *fc, const size_t *idx, size_t n)
{
	for (size_t k = 0; k < n; k++)
		printf("%s%s", k ? "," : "", fc->sub.hosts[idx[k]].name);
	printf(" (%zu)", n);
}

/* Groups hosts whose output (and whether they ran) is identical, clush -b style. */
static void print_grouped(struct fleet_cli *fc, struct exec_result *res, size_t n)
{
	size_t *idx = calloc(n ? n : 1, sizeof *idx);
	bool *used = calloc(n ? n : 1, sizeof *used);

	if (!idx || !used)
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t g = 0;

		if (used[i] || res[i].error)
			continue;
		for (size_t j = i; j < n; j++) {
			if (used[j] || res[j].error || strcmp(res[i].out, res[j].out) != 0)
				continue;
			used[j] = true;
			idx[g++] = j;
		}
		printf("---------------\n");
		print_names(fc, idx, g);
		printf("\n---------------\n%s", res[i].out);
		if (res[i].out[0] && res[i].out[strlen(res[i].out) - 1] != '\n')
			putchar('\n');
		if (res[i].truncated)
			printf("[output cut at the capture limit]\n");
	}
out:
	free(idx);
	free(used);
}

/* The exit summary: hosts grouped by exit status, then by why they did not run. */
static int print_summary(struct fleet_cli *fc, struct exec_result *res, size_t n)
{
	size_t *idx = calloc(n ? n : 1, sizeof *idx);
	bool *used = calloc(n ? n : 1, sizeof *used);
	int rc = 0;

	if (!idx || !used) {
		rc = 2;
		goto out;
	}
	printf("===============\n");
	for (size_t i = 0; i < n; i++) {
		size_t g = 0;

		if (used[i])
			continue;
		for (size_t j = i; j < n; j++) {
			bool same = res[i].error ? (res[j].error && !strcmp(res[i].error, res[j].error)) :
						   (!res[j].error && res[j].exit_status == res[i].exit_status);

			if (!used[j] && same) {
				used[j] = true;
				idx[g++] = j;
			}
		}
		if (res[i].error)
			printf("failed: %s: ", res[i].error);
		else
			printf("exit %d: ", res[i].exit_status);
		print_names(fc, idx, g);
		putchar('\n');
		if (res[i].error)
			rc = 2;
		else if (res[i].exit_status != 0 && rc < 1)
			rc = 1;
	}
out:
	free(idx);
	free(used);
	return rc;
}

/* A word the remote shell reads as itself needs no quotes (keeps the log readable). */
static bool cli_exec_word_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_./:,@%+", *s))
			return false;
	return true;
}

/*
 * The command line sent to each host, malloc'd. One argument is sent as written
 * (a command line for the remote shell, as with ssh); two or more are each
 * single-quoted for the shell, so they arrive as these arguments.
 */
static char *cli_exec_command(int argc, char **argv)
{
	size_t len = 1;
	char *s = NULL, *o = NULL;

	if (argc == 1)
		return strdup(argv[0]);
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 4 + 3; /* ' becomes '\'' */
	s = malloc(len);
	if (!s)
		return NULL;
	o = s;
	for (int i = 0; i < argc; i++) {
		if (i)
			*o++ = ' ';
		if (cli_exec_word_plain(argv[i])) {
			o = stpcpy(o, argv[i]);
			continue;
		}
		*o++ = '\'';
		for (const char *p = argv[i]; *p; p++)
			o = *p == '\'' ? stpcpy(o, "'\\''") : (*o = *p, o + 1);
		*o++ = '\'';
	}
	*o = '\0';
	return s;
}

/* "exec finished" with each failing host's exit code or reason. */
static void cli_exec_log_finished(struct fleet_cli *fc, int64_t started_id, struct exec_result *res,
			      size_t n, bool interrupted)
{
	struct fleetlog_exec_host *h = calloc(n ? n : 1, sizeof *h);
	struct err e = { { 0 } };

	if (!h) {
		fprintf(stderr, "%s exec: shift log: out of memory\n", fc->c->prog);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		h[i].name = fc->sub.hosts[i].name;
		h[i].exit_status = res[i].exit_status;
		h[i].error = res[i].error;
	}
	if (fleetlog_exec_finished(fc->st, started_id, h, n, interrupted, &e))
		fprintf(stderr, "%s exec: shift log: %s\n", fc->c->prog, e.msg);
	free(h);
}

int cli_exec(const struct cli_ctx *c, int argc, char **argv)
{
	struct fleet_flags fl;
	struct fleet_cli fc;
	struct exec_result *res = NULL;
	const char **names = NULL;
	struct fleetlog_exec audit = { 0 };
	struct err e = { { 0 } };
	const char *pattern = NULL;
	char *command = NULL;
	int64_t deadline, started_id = 0;
	bool interrupted = false;
	int rc = 2;
	int dd = -1;
	int r;

	memset(&fc, 0, sizeof fc);
	fleet_flags_init(c, &fl);
	/* Flags and PATTERN come before "--", in any order; the command after it. */
	for (int i = 1; i < argc && dd < 0; i++)
		if (strcmp(argv[i], "--") == 0)
			dd = i;
	r = parse_fleet_flags(c, "exec", exec_usage, dd < 0 ? argc : dd, argv, &fl);
	if (r)
		return r > 0 ? 0 : 2;
	if (dd < 0 || dd == argc - 1 || dd - optind != 1) {
		fprintf(stderr, "usage: %s %s", c->prog, exec_usage);
		return 2;
	}
	pattern = argv[optind];
	command = cli_exec_command(argc - dd - 1, argv + dd + 1);
	if (!command) {
		err_set(&e, "out of memory");
		goto fail;
	}
	cli_fleet_catch_signals();
	/* --timeout is the whole command's deadline, connecting included. */
	deadline = clock_mono_ms() + (int64_t)fl.timeout_s * 1000;
	if (fleet_cli_open(&fc, c, &fl, pattern, &e))
		goto fail;
	res = calloc(fc.sub.n_hosts, sizeof *res);
	names = calloc(fc.sub.n_hosts, sizeof *names);
	if (!res || !names) {
		err_set(&e, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < fc.sub.n_hosts; i++)
		names[i] = fc.sub.hosts[i].name;
	/* The audit entry comes before anything is sent: no entry, no command. */
	audit.pattern = pattern;
	audit.hosts = names;
	audit.n_hosts = fc.sub.n_hosts;
	audit.command = command;
	audit.data_dir = c->paths->data_dir;
	if (fleetlog_exec_started(fc.st, &audit, &started_id, &e)) {
		fprintf(stderr, "%s exec: shift log: %s (nothing was run)\n", c->prog, e.msg);
		rc = 2;
		goto out;
	}
	if (fl.accept_keys)
		connect_all(&fc, deadline);
	for (size_t i = 0; i < fc.sub.n_hosts; i++)
		if (fleet_run(fc.fleet, i, command, fl.timeout_s * 1000, exec_done, res, &e))
			goto fail;
	if (!run_loop(fc.fleet, deadline)) {
		interrupted = cli_fleet_signal != 0;
		/* Ctrl-C: the remote commands get SIGTERM and a moment to end. */
		cli_fleet_stop_all(fc.fleet, interrupted ? "interrupted" : CLI_FLEET_TIMEOUT,
			 interrupted ? 2000 : 0);
	}
	for (size_t i = 0; i < fc.sub.n_hosts; i++)
		if (!res[i].done && !res[i].error)
			res[i].error = strdup(CLI_FLEET_TIMEOUT);
	print_grouped(&fc, res, fc.sub.n_hosts);
	rc = print_summary(&fc, res, fc.sub.n_hosts);
	if (fflush(stdout) != 0)
		rc = 2;
	cli_exec_log_finished(&fc, started_id, res, fc.sub.n_hosts, interrupted);
	if (interrupted)
		rc = 130;
	goto out;
fail:
	fprintf(stderr, "%s exec: %s\n", c->prog, e.msg);
	rc = 2;
out:
	fflush(stdout);
	/* Unfinished commands are failed by fleet_free, which still writes into res. */
	fleet_free(&fc.fleet);
	for (size_t i = 0; res && i < fc.sub.n_hosts; i++) {
		free(res[i].out);
		free(res[i].error);
	}
	free(res);
	free(names);
	free(command);
	fleet_cli_close(&fc);
	return rc;
}
