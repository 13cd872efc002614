/*
 * bench_fleet: the measuring half of the fleet part of `make bench` (bench/fleet.sh
 * drives it). Times fleet rounds through the real engine against the loopback sshd
 * fixture, and measures peer commands (pssh, ssh) as whole process trees: wall time,
 * CPU, peak memory. Every subcommand prints one line of key=value figures, no verdicts.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fleet.h"
#include "inventory.h"

/* Past this, a round is declared failed: the fixture answers in well under a second. */
#define ROUND_LIMIT_MS 120000
/* Error lines printed per round; the counts say how many there were in all. */
#define MAX_SHOWN 5

/* ---- time, CPU, memory ---- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

/* User + system CPU of this process so far, in ms. */
/* This thread's CPU time in us: how much of a slow dispatch was work, not waiting. */
static int64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* This thread's time waiting for a core so far (schedstat), in us; 0 when unknown. */
static int64_t run_delay_us(void)
{
	unsigned long long on = 0, wait = 0;
	FILE *in = fopen("/proc/thread-self/schedstat", "re");

	if (!in)
		return 0;
	if (fscanf(in, "%llu %llu", &on, &wait) != 2)
		wait = 0;
	fclose(in);
	return (int64_t)(wait / 1000);
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof ru);
	getrusage(RUSAGE_SELF, &ru);
	return tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
}

/* A "Key:   123 kB" figure from /proc/PID/<file>; -1 when absent (process gone). */
static long proc_kb(const char *pid, const char *file, const char *key)
{
	char path[300], line[256];
	size_t klen = strlen(key);
	FILE *in = NULL;
	long v = -1;

	snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
	in = fopen(path, "re");
	if (!in)
		return -1;
	while (fgets(line, sizeof line, in)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(in);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and nearest-rank p99 of v (sorted in place). */
static void median_p99(double *v, size_t n, double *median, double *p99)
{
	size_t rank = (99 * n + 99) / 100;

	*median = *p99 = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof *v, cmp_double);
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*p99 = v[(rank ? rank : 1) - 1];
}

static bool parse_count(const char *s, long *out, bool zero_ok)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < (zero_ok ? 0 : 1))
		return false;
	*out = v;
	return true;
}

/* ---- fleet rounds through the engine ---- */

struct bench {
	struct fleet *f;
	char **names;
	size_t n;
	size_t done, ok, failed;
	int shown;
	const char *phase;
	double *busy;        /* ms per dispatch (time away from poll), this round */
	double *busy_cpu;    /* the CPU ms of each */
	double *busy_off;    /* wall - CPU - time runnable: blocked in a system call */
	size_t n_busy, cap_busy;
};

static void on_done(void *ud, size_t host, const struct fleet_result *r)
{
	struct bench *b = ud;

	b->done++;
	if (!r->error && r->exit_status == 0) {
		b->ok++;
		return;
	}
	b->failed++;
	/* A benchmark of failures is worthless: say so loudly, on stderr. */
	if (b->shown++ < MAX_SHOWN)
		fprintf(stderr, "bench_fleet: FAILED %s on %s: %s (exit %d)\n", b->phase,
			b->names[host], r->error ? r->error : "non-zero exit", r->exit_status);
}

/* The console's loop in miniature: poll the sessions, sleep until the next deadline. */
static void run_until_done(struct bench *b, struct pollfd *fds, int64_t limit_us)
{
	while (b->done < b->n && mono_us() < limit_us) {
		size_t nf = fleet_pollfds(b->f, fds, b->n);
		int64_t next = fleet_next_deadline(b->f);
		int64_t now = mono_us() / 1000;
		int timeout = 1000;

		if (next >= 0)
			timeout = next <= now ? 0 : (int)(next - now < 1000 ? next - now : 1000);
		int64_t t0, c0, w0;

		if (poll(fds, nf, timeout) < 0 && errno != EINTR)
			break;
		t0 = mono_us();
		c0 = thread_cpu_us();
		w0 = run_delay_us();
		fleet_dispatch(b->f, fds, nf);
		/* A console's key waits this long when it arrives just after poll returned. */
		if (b->n_busy == b->cap_busy) {
			size_t cap = b->cap_busy ? b->cap_busy * 2 : 4096;
			double *nb = realloc(b->busy, cap * sizeof *nb);
			double *nc = nb ? realloc(b->busy_cpu, cap * sizeof *nc) : NULL;
			double *no = nc ? realloc(b->busy_off, cap * sizeof *no) : NULL;

			if (nb)
				b->busy = nb;
			if (nc)
				b->busy_cpu = nc;
			if (!no)
				continue;
			b->busy_off = no;
			b->cap_busy = cap;
		}
		b->busy_cpu[b->n_busy] = (double)(thread_cpu_us() - c0) / 1e3;
		b->busy[b->n_busy] = (double)(mono_us() - t0) / 1e3;
		b->busy_off[b->n_busy] = b->busy[b->n_busy] - b->busy_cpu[b->n_busy] -
					 (double)(run_delay_us() - w0) / 1e3;
		b->n_busy++;
	}
}

/* p99 and max of the dispatch times of the last round: wall, CPU, blocked. */
static void busy_stats(struct bench *b, double v[6])
{
	double med = 0;

	median_p99(b->busy_off, b->n_busy, &med, &v[4]);
	v[5] = b->n_busy ? b->busy_off[b->n_busy - 1] : 0;
	median_p99(b->busy, b->n_busy, &med, &v[0]);
	v[1] = b->n_busy ? b->busy[b->n_busy - 1] : 0;
	median_p99(b->busy_cpu, b->n_busy, &med, &v[2]);
	v[3] = b->n_busy ? b->busy_cpu[b->n_busy - 1] : 0;
}

/* One round of command on every host; wall and CPU ms into *ms, *cpu. -1 when any failed. */
static int round_all(struct bench *b, struct pollfd *fds, const char *command, const char *phase,
		     double *ms, double *cpu)
{
	struct err e = { { 0 } };
	double c0 = self_cpu_ms();
	int64_t t0 = mono_us();

	b->done = b->ok = b->failed = 0;
	b->shown = 0;
	b->phase = phase;
	b->n_busy = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (fleet_run(b->f, i, command, 0, on_done, b, &e)) {
			fprintf(stderr, "bench_fleet: fleet_run: %s\n", e.msg);
			return -1;
		}
	}
	run_until_done(b, fds, t0 + (int64_t)ROUND_LIMIT_MS * 1000);
	*ms = (double)(mono_us() - t0) / 1e3;
	*cpu = self_cpu_ms() - c0;
	if (b->done < b->n) {
		fprintf(stderr, "bench_fleet: FAILED %s: %zu of %zu hosts had not answered after %d s\n",
			phase, b->n - b->done, b->n, ROUND_LIMIT_MS / 1000);
		b->failed += b->n - b->done;
	}
	return b->failed ? -1 : 0;
}

/* Reads up to n "NAME ADDR PORT" lines of DIR/hosts.list into hosts (strings malloc'd). */
static size_t read_hosts(const char *dir, size_t n, struct inventory_host *hosts,
			 const char *identity)
{
	char path[4096], line[512];
	size_t got = 0;
	FILE *in = NULL;

	snprintf(path, sizeof path, "%s/hosts.list", dir);
	in = fopen(path, "re");
	if (!in) {
		perror(path);
		return 0;
	}
	while (got < n && fgets(line, sizeof line, in)) {
		char name[256], addr[256];
		int port = 0;

		if (sscanf(line, "%255s %255s %d", name, addr, &port) != 3)
			continue;
		memset(&hosts[got], 0, sizeof hosts[got]);
		hosts[got].name = strdup(name);
		hosts[got].address = strdup(addr);
		hosts[got].port = port;
		/* user left unset: libssh takes the current user, as the fixture expects */
		hosts[got].identity_file = strdup(identity);
		if (!hosts[got].name || !hosts[got].address || !hosts[got].identity_file)
			break;
		got++;
	}
	fclose(in);
	return got;
}

/*
 * fleet DIR N ROUNDS PARALLEL COMMAND: the first N hosts of DIR's fixture. One cold
 * round (connect and run from nothing, in this process), then ROUNDS rounds on the
 * open sessions. Memory: VmHWM before any session, after the cold round and at the end.
 */
static int cmd_fleet(const char *dir, long n, long rounds, long parallel, const char *command)
{
	struct inventory_host *hosts = calloc((size_t)n, sizeof *hosts);
	struct pollfd *fds = calloc((size_t)n, sizeof *fds);
	double *ms = calloc((size_t)(rounds ? rounds : 1), sizeof *ms);
	double *cpu = calloc((size_t)(rounds ? rounds : 1), sizeof *cpu);
	struct bench b = { 0 };
	struct fleet_opts o = { 0 };
	struct err e = { { 0 } };
	char kh[4096], id[4096];
	double cold_ms = 0, cold_cpu = 0, med = 0, p99 = 0, cmed = 0, cp99 = 0, mx = 0, mn = 0;
	double cold_busy[6] = { 0 }, steady_busy[6] = { 0 };
	size_t ok = 0, failed = 0, got = 0;
	long hwm0 = 0, rss0 = 0, hwm_up = 0, rss_up = 0, hwm_end = 0;
	int cold_rc = 0, rc = 1;

	if (!hosts || !fds || !ms || !cpu)
		goto out;
	snprintf(kh, sizeof kh, "%s/known_hosts", dir);
	snprintf(id, sizeof id, "%s/client/id_ed25519", dir);
	got = read_hosts(dir, (size_t)n, hosts, id);
	if (got != (size_t)n) {
		fprintf(stderr, "bench_fleet: %s/hosts.list has %zu usable hosts, %ld wanted\n", dir,
			got, n);
		goto out;
	}
	o.known_hosts = kh;
	o.ssh_config = ""; /* the fixture's inventory is complete; the user's config stays out */
	o.max_handshakes = (int)parallel;
	b.f = fleet_new(&o, NULL, NULL, &e);
	if (!b.f) {
		fprintf(stderr, "bench_fleet: %s\n", e.msg);
		goto out;
	}
	b.n = (size_t)n;
	b.names = calloc(b.n, sizeof *b.names);
	if (!b.names)
		goto out;
	for (size_t i = 0; i < b.n; i++) {
		if (fleet_add(b.f, &hosts[i], &e) < 0) {
			fprintf(stderr, "bench_fleet: %s\n", e.msg);
			goto out;
		}
		b.names[i] = hosts[i].name;
	}
	hwm0 = proc_kb("self", "status", "VmHWM");
	rss0 = proc_kb("self", "status", "VmRSS");

	cold_rc = round_all(&b, fds, command, "cold round", &cold_ms, &cold_cpu);
	ok += b.ok;
	failed += b.failed;
	busy_stats(&b, cold_busy);
	hwm_up = proc_kb("self", "status", "VmHWM");
	rss_up = proc_kb("self", "status", "VmRSS");
	for (long r = 0; r < rounds && cold_rc == 0; r++) {
		double v[6] = { 0 };

		round_all(&b, fds, command, "steady round", &ms[r], &cpu[r]);
		ok += b.ok;
		failed += b.failed;
		busy_stats(&b, v);
		for (int k = 0; k < 6; k++)
			steady_busy[k] = v[k] > steady_busy[k] ? v[k] : steady_busy[k];
	}
	hwm_end = proc_kb("self", "status", "VmHWM");
	if (rounds > 0 && cold_rc == 0) {
		median_p99(ms, (size_t)rounds, &med, &p99);
		mn = ms[0];
		mx = ms[rounds - 1];
		median_p99(cpu, (size_t)rounds, &cmed, &cp99);
	}
	printf("op=fleet hosts=%ld parallel=%ld command=%s cold_ms=%.1f cold_cpu_ms=%.1f "
	       "rounds=%ld median_ms=%.1f p99_ms=%.1f min_ms=%.1f max_ms=%.1f cpu_median_ms=%.1f "
	       "cpu_p99_ms=%.1f ok=%zu fail=%zu hwm0_kb=%ld rss0_kb=%ld hwm_up_kb=%ld "
	       "rss_up_kb=%ld hwm_kb=%ld kb_per_host=%.1f up_kb_per_host=%.1f "
	       "cold_dispatch_p99_ms=%.1f cold_dispatch_max_ms=%.1f cold_dispatch_cpu_p99_ms=%.1f "
	       "cold_dispatch_cpu_max_ms=%.1f steady_dispatch_p99_ms=%.1f steady_dispatch_max_ms=%.1f "
	       "steady_dispatch_cpu_p99_ms=%.1f steady_dispatch_cpu_max_ms=%.1f "
	       "cold_dispatch_blocked_max_ms=%.1f steady_dispatch_blocked_max_ms=%.1f\n",
	       n, parallel, command, cold_ms, cold_cpu, cold_rc ? 0 : rounds, med, p99, mn, mx,
	       cmed, cp99, ok, failed, hwm0, rss0, hwm_up, rss_up, hwm_end,
	       (double)(hwm_end - hwm0) / (double)n, (double)(rss_up - rss0) / (double)n, cold_busy[0],
	       cold_busy[1], cold_busy[2], cold_busy[3], steady_busy[0], steady_busy[1], steady_busy[2],
	       steady_busy[3], cold_busy[5], steady_busy[5]);
	rc = failed ? 3 : 0;
out:
	fleet_free(&b.f);
	for (size_t i = 0; hosts && i < got; i++) {
		free(hosts[i].name);
		free(hosts[i].address);
		free(hosts[i].identity_file);
	}
	free(b.names);
	free(b.busy);
	free(b.busy_cpu);
	free(b.busy_off);
	free(hosts);
	free(fds);
	free(ms);
	free(cpu);
	return rc;
}

/* ---- process trees ---- */

/*
 * The processes of this machine as pid -> parent, from /proc. Kept as a flat list:
 * a few thousand entries at most (the fixture's sshds and their sessions).
 */
struct proc_list {
	pid_t *pid, *ppid;
	size_t n, cap;
};

static void procs_scan(struct proc_list *pl)
{
	DIR *d = opendir("/proc");
	struct dirent *de = NULL;

	pl->n = 0;
	while (d && (de = readdir(d))) {
		char path[300], buf[512];
		const char *rp = NULL;
		ssize_t len;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		rp = strrchr(buf, ')'); /* comm may hold blanks and parentheses */
		if (!rp || strlen(rp) < 5)
			continue;
		if (pl->n == pl->cap) {
			size_t cap = pl->cap ? pl->cap * 2 : 1024;
			pid_t *np = realloc(pl->pid, cap * sizeof *np);
			pid_t *npp = np ? realloc(pl->ppid, cap * sizeof *npp) : NULL;

			if (np)
				pl->pid = np;
			if (!np || !npp)
				break;
			pl->ppid = npp;
			pl->cap = cap;
		}
		pl->pid[pl->n] = (pid_t)atol(de->d_name);
		pl->ppid[pl->n] = (pid_t)atol(rp + 4); /* ") S PPID" */
		pl->n++;
	}
	if (d)
		closedir(d);
}

/* Sum of Rss and Pss (kB) over root and its descendants, from smaps_rollup. */
static void tree_memory(struct proc_list *pl, pid_t root, long *rss, long *pss)
{
	pid_t *queue = NULL;
	size_t head = 0, tail = 0;

	*rss = *pss = 0;
	procs_scan(pl);
	queue = calloc(pl->n + 1, sizeof *queue);
	if (!queue)
		return;
	queue[tail++] = root;
	while (head < tail) {
		pid_t p = queue[head++];
		char ps[24];
		long r, s;

		snprintf(ps, sizeof ps, "%ld", (long)p);
		r = proc_kb(ps, "smaps_rollup", "Rss");
		s = proc_kb(ps, "smaps_rollup", "Pss");
		*rss += r > 0 ? r : 0;
		*pss += s > 0 ? s : 0;
		for (size_t i = 0; i < pl->n && tail <= pl->n; i++)
			if (pl->ppid[i] == p && pl->pid[i] != p)
				queue[tail++] = pl->pid[i];
	}
	free(queue);
}

/*
 * run [-o OUT] [-m] -- CMD...: runs CMD once with stdout (and stderr) to OUT. CPU is
 * CMD's and every descendant it waited for (wait4). -m samples the tree's summed Rss
 * and Pss every 20 ms: that costs CPU, so timed runs go without it.
 */
static int cmd_run(int argc, char **argv)
{
	const char *out = NULL;
	bool sample = false;
	struct proc_list pl = { 0 };
	struct rusage ru;
	long peak_rss = 0, peak_pss = 0;
	int status = 0, i = 0;
	int64_t t0;
	pid_t pid;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "-m") == 0)
			sample = true;
		else
			break;
	}
	if (i + 1 >= argc || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: bench_fleet run [-o OUT] [-m] -- CMD [ARGS...]\n");
		return 2;
	}
	argv += i + 1;
	fflush(stdout);
	t0 = mono_us();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		int fi = open("/dev/null", O_RDONLY);
		int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fi < 0 || fo < 0)
			_exit(126);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fo, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	memset(&ru, 0, sizeof ru);
	for (;;) {
		pid_t w = wait4(pid, &status, sample ? WNOHANG : 0, &ru);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("wait4");
			free(pl.pid);
			free(pl.ppid);
			return 2;
		}
		if (sample) {
			struct timespec nap = { 0, 20 * 1000 * 1000 };
			long r = 0, s = 0;

			tree_memory(&pl, pid, &r, &s);
			peak_rss = r > peak_rss ? r : peak_rss;
			peak_pss = s > peak_pss ? s : peak_pss;
			nanosleep(&nap, NULL);
		}
	}
	printf("op=run status=%d wall_ms=%.1f cpu_ms=%.1f user_ms=%.1f sys_ms=%.1f maxrss_kb=%ld",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       (double)(mono_us() - t0) / 1e3, tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime),
	       tv_ms(&ru.ru_utime), tv_ms(&ru.ru_stime), ru.ru_maxrss);
	if (sample)
		printf(" tree_rss_kb=%ld tree_pss_kb=%ld", peak_rss, peak_pss);
	printf("\n");
	free(pl.pid);
	free(pl.ppid);
	return 0;
}

/* True when /proc/PID/cmdline (arguments joined by blanks) contains needle. */
static bool cmdline_has(const char *pid, const char *needle)
{
	char path[300], buf[4096];
	ssize_t len;
	int fd;

	snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return false;
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * CPU time of pid in ms from /proc/PID/schedstat (nanoseconds on the CPU), else
 * fallback. The stat ticks are 10 ms: a master's share of one round is far less.
 */
static double sched_ms(const char *pid, double fallback)
{
	char path[300];
	unsigned long long ns = 0;
	FILE *in = NULL;
	int got;

	snprintf(path, sizeof path, "/proc/%s/schedstat", pid);
	in = fopen(path, "re");
	if (!in)
		return fallback;
	got = fscanf(in, "%llu", &ns);
	fclose(in);
	return got == 1 ? (double)ns / 1e6 : fallback;
}

/*
 * procs STRING: the processes whose command line contains STRING (the ControlMaster
 * sessions, which daemonise and so belong to no tree): their count, summed CPU so
 * far, Rss and Pss, and their pids (for the caller's cleanup).
 */
static int cmd_procs(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *de = NULL;
	long ticks = sysconf(_SC_CLK_TCK);
	double cpu = 0;
	long rss = 0, pss = 0, count = 0;
	char pids[65536] = "";
	size_t plen = 0;

	while (d && (de = readdir(d))) {
		char path[300], buf[1024];
		const char *rp = NULL;
		unsigned long ut = 0, st = 0;
		ssize_t len;
		long r, s;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]) || atol(de->d_name) == (long)getpid() ||
		    !cmdline_has(de->d_name, needle))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		rp = strrchr(buf, ')');
		/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
		if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				  &ut, &st) != 2)
			continue;
		cpu += sched_ms(de->d_name, (double)(ut + st) * 1000.0 / (double)ticks);
		r = proc_kb(de->d_name, "smaps_rollup", "Rss");
		s = proc_kb(de->d_name, "smaps_rollup", "Pss");
		rss += r > 0 ? r : 0;
		pss += s > 0 ? s : 0;
		count++;
		if (plen + strlen(de->d_name) + 2 < sizeof pids)
			plen += (size_t)snprintf(pids + plen, sizeof pids - plen, "%s%s",
						 plen ? "," : "", de->d_name);
	}
	if (d)
		closedir(d);
	printf("op=procs count=%ld cpu_ms=%.1f rss_kb=%ld pss_kb=%ld pids=%s\n", count, cpu, rss, pss,
	       plen ? pids : "-");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_fleet now\n"
		"       bench_fleet fleet DIR N ROUNDS PARALLEL COMMAND\n"
		"       bench_fleet run [-o OUT] [-m] -- CMD [ARGS...]\n"
		"       bench_fleet procs STRING\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	long n = 0, rounds = 0, parallel = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A peer closing its pipe early must not kill the measurement. */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "now") == 0 && argc == 2) {
		printf("%" PRId64 "\n", mono_us());
		return 0;
	}
	if (strcmp(cmd, "fleet") == 0 && argc == 7 && parse_count(argv[3], &n, false) &&
	    parse_count(argv[4], &rounds, true) && parse_count(argv[5], &parallel, false))
		return cmd_fleet(argv[2], n, rounds, parallel, argv[6]);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(cmd, "procs") == 0 && argc == 3)
		return cmd_procs(argv[2]);
	usage();
	return 2;
}
