/*
 * Tests of core/fleet against real OpenSSH sshd processes on loopback, started and
 * stopped by tests/sshd-fixture.sh: sessions and commands, host keys (unknown,
 * accepted, rejected, changed), authentication failure, a host killed mid-session
 * and brought back, a listener that never speaks, hostile output, exit codes, and
 * the monitor re-running a probe on its interval without waking the loop between.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fleet.h"
#include "inventory.h"
#include "monitor.h"
#include "testutil.h"

#define N_HOSTS 4

struct fx_host {
	char name[32], addr[64];
	int port;
};

static char *fx_dir;      /* the fixture's folder */
static char *fx_script;   /* tests/sshd-fixture.sh */
static struct fx_host fx_hosts[N_HOSTS];
static char *fx_identity; /* the client key the fixture authorises */
static char *fx_known;    /* the fixture's known_hosts (every host) */

/* Runs the fixture with a printf-style argument string; returns its exit status. */
static int fixture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fixture(const char *fmt, ...)
{
	char args[512], cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "bash '%s' %s >>'%s/fixture.out' 2>&1", fx_script, args, fx_dir);
	return system(cmd);
}

/* The whole of path as a malloc'd string the caller frees; NULL if it cannot be read. */
static char *fx_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	if (!f)
		return NULL;
	buf = calloc(1, 65536); /* known_hosts and keys here are a few hundred bytes */
	if (buf && fread(buf, 1, 65535, f) == 65535) {
		free(buf); /* too big to be one of this test's files */
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int group_setup(void **state)
{
	char *list = NULL;
	FILE *f = NULL;

	(void)state;
	fx_dir = tu_tmpdir();
	fx_script = tu_srcpath("tests/sshd-fixture.sh");
	if (fixture("start '%s' %d", fx_dir, N_HOSTS) != 0) {
		fprintf(stderr, "sshd fixture failed to start; see %s/fixture.out\n", fx_dir);
		return -1;
	}
	list = tu_join(fx_dir, "hosts.list");
	f = fopen(list, "r");
	free(list);
	if (!f)
		return -1;
	for (int i = 0; i < N_HOSTS; i++)
		if (fscanf(f, "%31s %63s %d", fx_hosts[i].name, fx_hosts[i].addr, &fx_hosts[i].port) != 3)
			return -1;
	fclose(f);
	fx_identity = tu_join(fx_dir, "client/id_ed25519");
	fx_known = tu_join(fx_dir, "known_hosts");
	/* Only the keys the tests name: no agent, no ~/.ssh. */
	unsetenv("SSH_AUTH_SOCK");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fixture("stop '%s'", fx_dir);
	tu_rmrf(fx_dir);
	free(fx_dir);
	free(fx_script);
	free(fx_identity);
	free(fx_known);
	return 0;
}

/* ---- a tiny loop and result collector ---- */

struct got {
	int n;
	size_t host[16];
	int exit_status[16];
	char *out[16];
	char *error[16];
	bool truncated[16];
	size_t len[16];
	int events[16][8]; /* per host, count per fleet_event */
	int connecting[16]; /* times each host entered CONNECTING */
	int max_shaking;   /* most hosts connecting at once */
	int shaking;
};

static void on_done(void *ud, size_t host, const struct fleet_result *r)
{
	struct got *g = ud;

	g->host[g->n] = host;
	g->exit_status[g->n] = r->exit_status;
	g->out[g->n] = strdup(r->out);
	g->error[g->n] = r->error ? strdup(r->error) : NULL;
	g->truncated[g->n] = r->truncated;
	g->len[g->n] = r->out_len;
	g->n++;
}

static void on_event(void *ud, size_t host, enum fleet_event ev, const char *detail)
{
	struct got *g = ud;

	g->events[host][ev]++;
	if (ev == FLEET_EV_STATE && strcmp(detail, "connecting") == 0) {
		g->connecting[host]++;
		if (++g->shaking > g->max_shaking)
			g->max_shaking = g->shaking;
	} else if (ev == FLEET_EV_STATE && g->shaking > 0 &&
		   (strcmp(detail, "up") == 0 || strcmp(detail, "down") == 0 ||
		    strstr(detail, "key") || strstr(detail, "KEY") || strstr(detail, "auth failed"))) {
		g->shaking--;
	}
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->out[i]);
		free(g->error[i]);
	}
	memset(g, 0, sizeof *g);
}

static long loop_turns; /* poll() calls made by run_until */

/* Polls until cond(f) is true or ms pass; returns whether it became true. */
static bool run_until(struct fleet *f, bool (*cond)(struct fleet *, void *), void *arg, int ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (clock_mono_ms() < end) {
		loop_turns++;
		struct pollfd fds[32];
		size_t n = fleet_pollfds(f, fds, 32);
		int64_t dl = fleet_next_deadline(f);
		int64_t now = clock_mono_ms();
		int t = 50;

		if (cond(f, arg))
			return true;
		if (dl >= 0 && dl - now < t)
			t = dl <= now ? 0 : (int)(dl - now);
		poll(fds, n, t);
		fleet_dispatch(f, fds, n);
	}
	if (cond(f, arg))
		return true;
	/* Say where each host is stuck: the assertion alone would not. */
	for (size_t i = 0; i < fleet_count(f); i++) {
		struct fleet_status st;

		fleet_status(f, i, &st);
		fprintf(stderr, "  %s: %s, %zu pending, error: %s\n", st.name,
			fleet_state_name(st.state), fleet_pending(f, i),
			st.last_error ? st.last_error : "-");
	}
	return false;
}

static bool idle(struct fleet *f, void *arg)
{
	(void)arg;
	return !fleet_busy(f);
}

struct want_state {
	size_t host;
	enum fleet_state state;
};

static bool in_state(struct fleet *f, void *arg)
{
	struct want_state *w = arg;
	struct fleet_status st;

	fleet_status(f, w->host, &st);
	return st.state == w->state;
}

static int budget_us; /* dispatch budget for make_fleet (0: none) */

static struct fleet *make_fleet(struct got *g, const char *known_hosts, int max_handshakes)
{
	struct fleet_opts o = {
		.dispatch_budget_us = budget_us,
		.known_hosts = known_hosts, .ssh_config = "", .max_handshakes = max_handshakes,
		.connect_timeout_ms = 5000, .auth_timeout_ms = 5000, .command_timeout_ms = 20000,
		.output_cap = 65536, .backoff_min_ms = 200, .backoff_max_ms = 400,
	};
	struct err e = { { 0 } };
	struct fleet *f = fleet_new(&o, on_event, g, &e);

	assert_non_null(f);
	for (int i = 0; i < N_HOSTS; i++) {
		struct inventory_host h = { .name = fx_hosts[i].name, .address = fx_hosts[i].addr,
					    .port = fx_hosts[i].port, .identity_file = fx_identity };

		assert_int_equal(fleet_add(f, &h, &e), i);
	}
	return f;
}

/* ---- tests ---- */

static void test_commands_on_every_host(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };
	struct fleet_status st;

	(void)state;
	for (int i = 0; i < N_HOSTS; i++)
		assert_int_equal(fleet_run(f, (size_t)i, "echo hello-$((20+22))", 0, on_done, &g, &e), 0);
	assert_int_equal(g.n, 0); /* never called inside fleet_run */
	assert_true(run_until(f, idle, NULL, 20000));
	assert_int_equal(g.n, N_HOSTS);
	for (int i = 0; i < N_HOSTS; i++) {
		assert_null(g.error[i]);
		assert_int_equal(g.exit_status[i], 0);
		assert_string_equal(g.out[i], "hello-42\n");
	}
	fleet_status(f, 0, &st);
	assert_int_equal(st.state, FLEET_UP);
	assert_true(st.latency_ms >= 0);
	assert_true(st.last_ok_ms > 0);
	assert_non_null(st.fingerprint);
	assert_true(strncmp(st.fingerprint, "SHA256:", 7) == 0);

	/* Persistent session: more commands, no new connection. */
	for (int k = 0; k < 3; k++)
		assert_int_equal(fleet_run(f, 0, "true", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 20000));
	assert_int_equal(g.n, N_HOSTS + 3);
	assert_int_equal(g.connecting[0], 1);
	fleet_free(&f);
	got_free(&g);
}

static void test_exit_codes_and_signals(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };

	(void)state;
	assert_int_equal(fleet_run(f, 1, "exit 2", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "echo out; echo err >&2; exit 3", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "kill -9 $$", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "sleep 5", 300, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "echo still-up", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 20000));
	assert_int_equal(g.n, 5);
	assert_int_equal(g.exit_status[0], 2);
	assert_null(g.error[0]);
	assert_int_equal(g.exit_status[1], 3);
	assert_non_null(strstr(g.out[1], "out\n"));
	assert_non_null(strstr(g.out[1], "err\n"));
	assert_int_equal(g.exit_status[2], -1);
	assert_non_null(g.error[2]);
	assert_non_null(strstr(g.error[2], "KILL"));
	assert_int_equal(g.exit_status[3], -1);
	assert_string_equal(g.error[3], "timed out after 300 ms");
	/* A timed-out command costs its channel, not the session. */
	assert_string_equal(g.out[4], "still-up\n");
	assert_int_equal(g.connecting[1], 1);
	fleet_free(&f);
	got_free(&g);
}

static void test_hostile_output_capped_and_sanitised(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };

	(void)state;
	/* Escapes, invalid UTF-8, then 10 MB. */
	assert_int_equal(fleet_run(f, 2, "printf 'a\\033]0;pwned\\007b\\033[2J\\033[31mc\\377\\300d\\n'; "
				      "head -c 10000000 /dev/zero | tr '\\0' x", 60000, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 60000));
	assert_int_equal(g.n, 1);
	if (g.error[0])
		fail_msg("10 MB command failed: %s", g.error[0]);
	assert_int_equal(g.exit_status[0], 0);
	assert_true(g.truncated[0]);
	assert_true(g.len[0] <= 65536 + 16);
	assert_true(strncmp(g.out[0], "abc\xef\xbf\xbd\xef\xbf\xbd" "d\nxxx", 14) == 0);
	assert_null(strchr(g.out[0], '\033'));
	assert_null(strchr(g.out[0], '\007'));
	fleet_free(&f);
	got_free(&g);
}

static void test_unknown_key_reject_then_accept(void **state)
{
	struct got g = { 0 };
	/* A known_hosts that does not exist yet: accepting creates it, private. */
	char *known = tu_join(fx_dir, "known_new");
	struct fleet *f = make_fleet(&g, known, 64);
	struct err e = { { 0 } };
	struct want_state w = { 3, FLEET_KEY_UNKNOWN };
	struct fleet_status st;
	char fpfile[300], want_fp[128] = "";
	char *fps = tu_join(fx_dir, "fingerprints");
	FILE *in = fopen(fps, "r");
	struct stat sb;

	(void)state;
	assert_non_null(in);
	while (fscanf(in, "%127s", want_fp) == 1)
		if (strcmp(want_fp, fx_hosts[3].name) == 0 && fscanf(in, "%127s", want_fp) == 1)
			break;
	fclose(in);
	assert_int_equal(fleet_run(f, 3, "true", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, in_state, &w, 10000));
	assert_true(run_until(f, idle, NULL, 5000));
	/* The command is refused, the fingerprint shown, the operator asked. */
	assert_int_equal(g.n, 1);
	assert_non_null(strstr(g.error[0], "host key unknown"));
	fleet_status(f, 3, &st);
	assert_string_equal(st.fingerprint, want_fp);
	assert_int_equal(g.events[3][FLEET_EV_KEY_UNKNOWN], 1);

	assert_int_equal(fleet_reject_key(f, 3, &e), 0);
	fleet_status(f, 3, &st);
	assert_int_equal(st.state, FLEET_KEY_REJECTED);
	assert_int_equal(g.events[3][FLEET_EV_KEY_REJECTED], 1);
	assert_int_equal(fleet_accept_key(f, 3, &e), -1); /* nothing waiting now */

	fleet_connect(f, 3);
	assert_true(run_until(f, in_state, &w, 10000));
	/* Accept from a file of expected fingerprints. */
	snprintf(fpfile, sizeof fpfile, "%s/expected", fx_dir);
	{
		FILE *out = fopen(fpfile, "w");

		assert_non_null(out);
		fprintf(out, "# expected keys\n%s %s\n", fx_hosts[3].name, want_fp);
		fclose(out);
	}
	assert_int_equal(fleet_accept_keys_from(f, fpfile, &e), 1);
	assert_int_equal(g.events[3][FLEET_EV_KEY_ACCEPTED], 1);
	w.state = FLEET_UP;
	assert_true(run_until(f, in_state, &w, 10000));
	assert_int_equal(stat(known, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	{
		/* One line: the accepted host's key, exactly the key its sshd serves. */
		char pubpath[300], want[1024], ktype[64] = "", kb64[512] = "";
		char *pub = NULL, *kh = fx_read_file(known);

		snprintf(pubpath, sizeof pubpath, "%s/%s/ssh_host_ed25519_key.pub", fx_dir,
			 fx_hosts[3].name);
		pub = fx_read_file(pubpath);
		assert_non_null(pub);
		assert_int_equal(sscanf(pub, "%63s %511s", ktype, kb64), 2);
		snprintf(want, sizeof want, "[%s]:%d %s %s\n", fx_hosts[3].addr, fx_hosts[3].port,
			 ktype, kb64);
		assert_non_null(kh);
		assert_string_equal(kh, want);
		free(pub);
		free(kh);
	}
	assert_int_equal(fleet_run(f, 3, "echo accepted", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 10000));
	assert_string_equal(g.out[1], "accepted\n");
	fleet_free(&f);
	got_free(&g);
	free(known);
	free(fps);
}

static void test_wrong_client_key_is_auth_failed(void **state)
{
	struct got g = { 0 };
	struct fleet_opts o = { .known_hosts = fx_known, .ssh_config = "" };
	struct err e = { { 0 } };
	struct fleet *f = fleet_new(&o, on_event, &g, &e);
	char *wrong = tu_join(fx_dir, "wrong_key");
	char cmd[600];
	struct inventory_host h = { .name = fx_hosts[0].name, .address = fx_hosts[0].addr,
				    .port = fx_hosts[0].port, .identity_file = wrong };
	struct fleet_status st;

	(void)state;
	snprintf(cmd, sizeof cmd, "ssh-keygen -q -t ed25519 -N '' -f '%s'", wrong);
	assert_int_equal(system(cmd), 0);
	assert_non_null(f);
	assert_int_equal(fleet_add(f, &h, &e), 0);
	assert_int_equal(fleet_run(f, 0, "true", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 15000));
	fleet_status(f, 0, &st);
	assert_int_equal(st.state, FLEET_AUTH_FAILED);
	assert_non_null(strstr(st.last_error, "authentication refused"));
	assert_non_null(strstr(st.last_error, "publickey"));
	assert_int_equal(g.events[0][FLEET_EV_AUTH_FAILED], 1);
	assert_non_null(strstr(g.error[0], "authentication refused"));
	fleet_free(&f);
	got_free(&g);
	free(wrong);
}

static void test_changed_key_refused(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };
	struct fleet_status st;
	char *before = fx_read_file(fx_known), *after = NULL;

	(void)state;
	assert_non_null(before);
	assert_non_null(strchr(before, '\n'));
	assert_int_equal(fixture("rekey '%s' %s", fx_dir, fx_hosts[2].name), 0);
	assert_int_equal(fleet_run(f, 2, "true", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 15000));
	fleet_status(f, 2, &st);
	assert_int_equal(st.state, FLEET_KEY_CHANGED);
	assert_int_equal(g.events[2][FLEET_EV_KEY_CHANGED], 1);
	assert_non_null(strstr(g.error[0], "host key changed"));
	/* Never accepted, not even by the operator's accept action. */
	assert_int_equal(fleet_accept_key(f, 2, &e), -1);
	/* known_hosts is untouched: same bytes, the old key still trusted. */
	after = fx_read_file(fx_known);
	assert_non_null(after);
	assert_string_equal(after, before);
	fleet_free(&f);
	got_free(&g);
	free(before);
	free(after);
}

static void test_killed_mid_session_then_back(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };
	struct want_state w = { 1, FLEET_DOWN };
	int64_t t0;

	(void)state;
	assert_int_equal(fleet_run(f, 1, "sleep 30", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 0, "echo other", 0, on_done, &g, &e), 0);
	{
		struct want_state up = { 1, FLEET_UP };

		assert_true(run_until(f, in_state, &up, 10000));
	}
	assert_int_equal(fixture("kill '%s' %s", fx_dir, fx_hosts[1].name), 0);
	/* From the kill done, not from starting the fixture's script (seconds of bash on
	 * a busy machine, beside another test): the fleet's own notice is timed. */
	t0 = clock_mono_ms();
	assert_true(run_until(f, in_state, &w, 5000));
	/* Noticed from the socket, well inside the command's 20 s timeout. */
	assert_true(clock_mono_ms() - t0 < 4000);
	assert_true(run_until(f, idle, NULL, 5000));
	assert_int_equal(g.n, 2);
	{
		int k = g.host[0] == 1 ? 0 : 1; /* the sleep, cut off */

		assert_int_equal(g.host[k], 1);
		assert_int_equal(g.exit_status[k], -1);
		assert_non_null(g.error[k]);
	}

	/* It reconnects by itself (backoff) once sshd is back. */
	assert_int_equal(fixture("restart '%s' %s", fx_dir, fx_hosts[1].name), 0);
	w.state = FLEET_UP;
	assert_true(run_until(f, in_state, &w, 15000));
	assert_int_equal(fleet_run(f, 1, "echo back", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 10000));
	assert_string_equal(g.out[2], "back\n");
	fleet_free(&f);
	got_free(&g);
}

static void test_silent_listener_costs_only_its_row(void **state)
{
	struct got g = { 0 };
	struct fleet_opts o = { .known_hosts = fx_known, .ssh_config = "", .connect_timeout_ms = 1500 };
	struct err e = { { 0 } };
	struct fleet *f = fleet_new(&o, on_event, &g, &e);
	char *portfile = tu_join(fx_dir, "silent.port");
	char cmd[700];
	int port = 0;
	FILE *in = NULL;
	struct inventory_host silent = { .name = "silent", .address = "127.0.0.1",
					 .identity_file = fx_identity };
	struct inventory_host good = { .name = fx_hosts[0].name, .address = fx_hosts[0].addr,
				       .port = fx_hosts[0].port, .identity_file = fx_identity };
	struct fleet_status st;
	int64_t t0;

	(void)state;
	snprintf(cmd, sizeof cmd, "bash '%s' silent '%s' > '%s'", fx_script, fx_dir, portfile);
	assert_int_equal(system(cmd), 0);
	in = fopen(portfile, "r");
	assert_non_null(in);
	assert_int_equal(fscanf(in, "%d", &port), 1);
	fclose(in);
	silent.port = port;
	assert_int_equal(fleet_add(f, &silent, &e), 0);
	assert_int_equal(fleet_add(f, &good, &e), 1);
	t0 = clock_mono_ms();
	assert_int_equal(fleet_run(f, 0, "true", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "echo fine", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 10000));
	/* The good host answered first, long before the silent one timed out. */
	assert_int_equal(g.n, 2);
	assert_string_equal(g.out[0], "fine\n");
	assert_non_null(strstr(g.error[1], "connect timed out after 1500 ms"));
	assert_true(clock_mono_ms() - t0 >= 1500);
	fleet_status(f, 0, &st);
	assert_int_equal(st.state, FLEET_DOWN);
	assert_true(st.next_retry_mono > 0);
	fleet_free(&f);
	got_free(&g);
	free(portfile);
}

static void test_handshakes_are_bounded(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 1);
	struct err e = { { 0 } };

	(void)state;
	for (int i = 0; i < N_HOSTS - 1; i++) /* host 3's key may be unknown after another test */
		assert_int_equal(fleet_run(f, (size_t)i, "echo x", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 20000));
	assert_int_equal(g.n, N_HOSTS - 1);
	assert_int_equal(g.max_shaking, 1);
	fleet_free(&f);
	got_free(&g);
}

static void test_ssh_config_precedence(void **state)
{
	struct got g = { 0 };
	char *cfg = tu_join(fx_dir, "ssh_config_test");
	struct fleet_opts o = { .known_hosts = fx_known, .ssh_config = cfg };
	struct err e = { { 0 } };
	struct fleet *f = NULL;
	FILE *out = fopen(cfg, "w");
	/* alias-a: everything from ssh config. alias-b: config says port 1, inventory wins. */
	struct inventory_host a = { .name = "alias-a" };
	struct inventory_host b = { .name = "alias-b", .port = fx_hosts[1].port };
	struct fleet_status st;

	(void)state;
	assert_non_null(out);
	fprintf(out, "Host alias-a\n  HostName %s\n  Port %d\n  IdentityFile %s\n\n"
		     "Host alias-b\n  HostName %s\n  Port 1\n  IdentityFile %s\n",
		fx_hosts[0].addr, fx_hosts[0].port, fx_identity, fx_hosts[1].addr, fx_identity);
	fclose(out);
	f = fleet_new(&o, on_event, &g, &e);
	assert_non_null(f);
	assert_int_equal(fleet_add(f, &a, &e), 0);
	assert_int_equal(fleet_add(f, &b, &e), 1);
	assert_int_equal(fleet_run(f, 0, "echo a", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "echo b", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 15000));
	assert_int_equal(g.n, 2);
	for (int i = 0; i < 2; i++)
		if (g.error[i])
			fail_msg("host %zu: %s", g.host[i], g.error[i]);
	fleet_status(f, 0, &st);
	assert_string_equal(st.address, fx_hosts[0].addr);
	assert_int_equal(st.port, fx_hosts[0].port);
	fleet_status(f, 1, &st);
	assert_string_equal(st.address, fx_hosts[1].addr);
	assert_int_equal(st.port, fx_hosts[1].port);
	fleet_free(&f);
	got_free(&g);
	free(cfg);
}

static void test_names_resolve_without_blocking(void **state)
{
	struct got g = { 0 };
	struct fleet_opts o = { .known_hosts = fx_known, .ssh_config = "", .connect_timeout_ms = 3000 };
	struct err e = { { 0 } };
	struct fleet *f = fleet_new(&o, on_event, &g, &e);
	/* .invalid never resolves (RFC 6761); port 1 on localhost refuses. */
	struct inventory_host bad_name = { .name = "opsdeck-test.invalid", .port = 22 };
	struct inventory_host refused = { .name = "localhost", .port = 1 };
	struct inventory_host good = { .name = fx_hosts[0].name, .address = fx_hosts[0].addr,
				       .port = fx_hosts[0].port, .identity_file = fx_identity };

	(void)state;
	assert_non_null(f);
	assert_int_equal(fleet_add(f, &bad_name, &e), 0);
	assert_int_equal(fleet_add(f, &refused, &e), 1);
	assert_int_equal(fleet_add(f, &good, &e), 2);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(fleet_run(f, i, "echo ok", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 10000));
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++) {
		if (g.host[i] == 2)
			assert_string_equal(g.out[i], "ok\n");
		else if (g.host[i] == 1)
			assert_non_null(strstr(g.error[i], "Connection refused"));
		else /* no answer from DNS, or a fast NXDOMAIN: either way only this row waits */
			assert_true(strstr(g.error[i], "resolve opsdeck-test.invalid") ||
				    strstr(g.error[i], "connect timed out"));
	}
	fleet_free(&f);
	got_free(&g);
}

static void test_budgeted_dispatch_finishes_everything(void **state)
{
	struct got g = { 0 };
	struct fleet *f = NULL;
	struct err e = { { 0 } };

	(void)state;
	budget_us = 1; /* every dispatch stops after one host: resume must be fair */
	f = make_fleet(&g, fx_known, 64);
	budget_us = 0;
	for (int i = 0; i < N_HOSTS - 1; i++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(fleet_run(f, (size_t)i, "echo sliced", 0, on_done, &g, &e), 0);
	assert_true(run_until(f, idle, NULL, 30000));
	assert_int_equal(g.n, 3 * (N_HOSTS - 1));
	for (int i = 0; i < g.n; i++)
		assert_string_equal(g.out[i], "sliced\n");
	fleet_free(&f);
	got_free(&g);
}

static void test_idle_sessions_do_not_wake_the_loop(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };

	(void)state;
	/* Host 0 finishes at once and sits idle while host 1 works for a second:
	 * the loop must sleep in poll, not wake for the idle session over and over. */
	assert_int_equal(fleet_run(f, 0, "true", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 1, "sleep 1", 0, on_done, &g, &e), 0);
	loop_turns = 0;
	assert_true(run_until(f, idle, NULL, 15000));
	assert_int_equal(g.n, 2);
	/* A handful of wake-ups per event; a busy loop makes tens of thousands. */
	if (loop_turns > 300)
		fail_msg("the loop woke %ld times for two commands", loop_turns);
	fleet_free(&f);
	got_free(&g);
}

/*
 * The monitor re-runs a probe on its interval through the same loop, and between
 * due times its deadline lets the loop sleep (its tick is then a comparison).
 */
static void test_monitor_probes_on_interval(void **state)
{
	char *path = tu_join(fx_dir, "monitor-inventory.yaml");
	char yaml[1024];
	struct inventory inv;
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct monitor *m = NULL;
	struct err e = { { 0 } };
	const struct monitor_probe *p = NULL;
	int64_t end = 0, seen = 0;
	long turns = 0;
	int runs = 0;

	(void)state;
	memset(&inv, 0, sizeof inv);
	/* Host 0 of the fixture with one custom probe every second. */
	snprintf(yaml, sizeof yaml,
		 "hosts:\n  - name: %s\n    address: %s\n    port: %d\n    identity_file: %s\n"
		 "    probes: [tick]\nprobes:\n  - name: tick\n    command: echo 'TICK OK | n=1'\n"
		 "    interval: 1\n",
		 fx_hosts[0].name, fx_hosts[0].addr, fx_hosts[0].port, fx_identity);
	tu_write_file(path, yaml);
	assert_int_equal(inventory_load(path, &inv, &e), 0);
	fleet_free(&f);
	f = make_fleet(&g, fx_known, 64); /* host 0 of the fleet is the inventory's only host */
	m = monitor_new(f, &inv, &e);
	assert_non_null(m);
	end = clock_mono_ms() + 3300;
	while (clock_mono_ms() < end) {
		struct pollfd fds[32];
		size_t n = fleet_pollfds(f, fds, 32);
		int64_t now = clock_mono_ms(), t = end - now;
		int64_t dl[2] = { fleet_next_deadline(f), monitor_next_deadline(m) };

		for (int i = 0; i < 2; i++)
			if (dl[i] >= 0 && dl[i] - now < t)
				t = dl[i] <= now ? 0 : dl[i] - now;
		poll(fds, n, (int)t);
		fleet_dispatch(f, fds, n);
		monitor_tick(m);
		turns++;
		assert_int_equal(monitor_probes(m, 0, &p), 1);
		if (p[0].have && p[0].last_ms != seen) {
			seen = p[0].last_ms;
			runs++;
			assert_int_equal(p[0].result.state, PROBE_OK);
			/* Idle until the next run: the deadline is about a second out. */
			if (!p[0].running) {
				int64_t wait = monitor_next_deadline(m) - clock_mono_ms();
				assert_true(wait > 500 && wait <= 1000);
			}
		}
	}
	/* At 0, 1, 2 and 3 s; the first waits for the connection. */
	if (runs < 3 || runs > 4)
		fail_msg("the probe ran %d times in 3.3 s (interval 1 s)", runs);
	if (turns > 400)
		fail_msg("the loop turned %ld times for %d probe runs", turns, runs);
	/* The fleet first: a probe still running reports into the monitor as it goes. */
	fleet_free(&f);
	monitor_free(&m);
	inventory_free(&inv);
	got_free(&g);
	free(path);
}

/* Issue 15: a known_hosts that cannot be read refuses the host with that error. */
static void test_unreadable_known_hosts_refuses(void **state)
{
	struct got g = { 0 };
	char *dir = tu_join(fx_dir, "kh-is-a-dir");
	struct fleet *f = NULL;
	struct want_state w = { 0, FLEET_KEY_REJECTED };
	struct fleet_status st;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	f = make_fleet(&g, dir, 64);
	fleet_connect(f, 0);
	assert_true(run_until(f, in_state, &w, 20000));
	fleet_status(f, 0, &st);
	assert_non_null(st.last_error);
	assert_non_null(strstr(st.last_error, "not a regular file; host refused"));
	/* Never "unknown": that would let a changed key be accepted. */
	assert_int_equal(g.events[0][FLEET_EV_KEY_UNKNOWN], 0);
	fleet_free(&f);
	got_free(&g);
	rmdir(dir);
	free(dir);
}

/* Issue 15: fleet_cancel_all ends every command (queued or connecting) with why, at once. */
static void test_cancel_all(void **state)
{
	struct got g = { 0 };
	struct fleet *f = make_fleet(&g, fx_known, 64);
	struct err e = { { 0 } };

	(void)state;
	for (int i = 0; i < N_HOSTS; i++)
		assert_int_equal(fleet_run(f, (size_t)i, "sleep 30", 0, on_done, &g, &e), 0);
	assert_int_equal(fleet_run(f, 0, "echo never", 0, on_done, &g, &e), 0);
	fleet_dispatch(f, NULL, 0); /* connects start */
	assert_true(fleet_busy(f));
	fleet_cancel_all(f, "TERM", "interrupted", 0);
	assert_int_equal(g.n, N_HOSTS + 1);
	for (int i = 0; i < g.n; i++)
		assert_string_equal(g.error[i], "interrupted");
	assert_false(fleet_busy(f));
	fleet_free(&f); /* nothing left to deliver: g is not written again */
	assert_int_equal(g.n, N_HOSTS + 1);
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_probes_on_interval),
		cmocka_unit_test(test_commands_on_every_host),
		cmocka_unit_test(test_exit_codes_and_signals),
		cmocka_unit_test(test_hostile_output_capped_and_sanitised),
		cmocka_unit_test(test_unknown_key_reject_then_accept),
		cmocka_unit_test(test_wrong_client_key_is_auth_failed),
		cmocka_unit_test(test_handshakes_are_bounded),
		cmocka_unit_test(test_budgeted_dispatch_finishes_everything),
		cmocka_unit_test(test_idle_sessions_do_not_wake_the_loop),
		cmocka_unit_test(test_ssh_config_precedence),
		cmocka_unit_test(test_names_resolve_without_blocking),
		cmocka_unit_test(test_silent_listener_costs_only_its_row),
		cmocka_unit_test(test_killed_mid_session_then_back),
		cmocka_unit_test(test_changed_key_refused),
		cmocka_unit_test(test_unreadable_known_hosts_refuses),
		cmocka_unit_test(test_cancel_all),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
