/*
 * Unit tests for core/probe: the built-in parsers on canned real-world output,
 * the built-in commands run by /bin/sh against fake package managers, Nagios
 * plugin output and perfdata, thresholds, and samples with their hourly roll-up.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "probe.h"
#include "text.h"
#include "testutil.h"

#define H0 1699999200000LL /* 2023-11-14T22:00:00Z, the start of an hour */
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* ---- helpers ---- */

static void parse_with(const char *probe, const char *out, int status,
		       const struct probe_limits *lim, struct probe_result *r)
{
	const struct probe_def *d = probe_builtin(probe);

	assert_non_null(d);
	assert_int_equal(d->parse(out, strlen(out), status, lim, r), 0);
	assert_true(text_is_clean(r->summary, strlen(r->summary), 0));
}

static const struct probe_metric *metric(const struct probe_result *r, const char *label)
{
	for (size_t i = 0; i < r->n_metrics; i++)
		if (strcmp(r->metrics[i].label, label) == 0)
			return &r->metrics[i];
	fail_msg("no metric '%s'", label);
	return NULL;
}

static void assert_nan(double v)
{
	assert_true(isnan(v));
}

static void assert_near(double a, double b)
{
	if (fabs(a - b) > 1e-9 * (fabs(b) > 1 ? fabs(b) : 1))
		fail_msg("%.12g != %.12g", a, b);
}

/* Runs cmd with /bin/sh (stderr into stdout, like the fleet); returns its output. */
static char *run_sh(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int st;

	assert_non_null(p);
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	buf[n] = '\0';
	st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

/* ---- states and thresholds ---- */

static void test_states(void **state)
{
	(void)state;
	assert_string_equal(probe_state_name(PROBE_OK), "OK");
	assert_string_equal(probe_state_name(PROBE_WARNING), "WARNING");
	assert_string_equal(probe_state_name(PROBE_CRITICAL), "CRITICAL");
	assert_string_equal(probe_state_name(PROBE_UNKNOWN), "UNKNOWN");
	assert_string_equal(probe_state_name((enum probe_state)7), "UNKNOWN");

	assert_int_equal(probe_worst(PROBE_OK, PROBE_OK), PROBE_OK);
	assert_int_equal(probe_worst(PROBE_OK, PROBE_UNKNOWN), PROBE_UNKNOWN);
	assert_int_equal(probe_worst(PROBE_UNKNOWN, PROBE_WARNING), PROBE_WARNING);
	assert_int_equal(probe_worst(PROBE_WARNING, PROBE_UNKNOWN), PROBE_WARNING);
	assert_int_equal(probe_worst(PROBE_CRITICAL, PROBE_WARNING), PROBE_CRITICAL);
	assert_int_equal(probe_worst(PROBE_UNKNOWN, PROBE_CRITICAL), PROBE_CRITICAL);
	assert_int_equal(probe_worst(PROBE_OK, (enum probe_state)9), PROBE_UNKNOWN);
}

static void test_classify(void **state)
{
	struct probe_limits up = { 80, 90 }, down = { 20, 10 }, warn_only = { 5, NAN };
	struct probe_limits none = { NAN, NAN };

	(void)state;
	assert_int_equal(probe_classify(79.9, &up), PROBE_OK);
	assert_int_equal(probe_classify(80, &up), PROBE_WARNING);
	assert_int_equal(probe_classify(90, &up), PROBE_CRITICAL);
	assert_int_equal(probe_classify(NAN, &up), PROBE_OK);
	assert_int_equal(probe_classify(25, &down), PROBE_OK);
	assert_int_equal(probe_classify(20, &down), PROBE_WARNING);
	assert_int_equal(probe_classify(3, &down), PROBE_CRITICAL);
	assert_int_equal(probe_classify(1000, &warn_only), PROBE_WARNING);
	assert_int_equal(probe_classify(1000, &none), PROBE_OK);
	assert_int_equal(probe_classify(1000, NULL), PROBE_OK);
}

static void test_limits_for(void **state)
{
	char *db_groups[] = { "web", "db", NULL };
	char *web_groups[] = { "web", NULL };
	char *no_groups[] = { NULL };
	struct inventory_host db = { .name = "db01", .groups = db_groups };
	struct inventory_host web = { .name = "web01", .groups = web_groups };
	struct inventory_host bare = { .name = "bare", .groups = no_groups };
	struct inventory_threshold th[] = {
		{ .probe = "disk", .group = NULL, .warn = 80, .crit = 90 },
		{ .probe = "disk", .group = "db", .warn = 70, .crit = 85 },
		{ .probe = "disk", .group = NULL, .warn = 75, .crit = NAN }, /* later wins, warn only */
		{ .probe = "disk", .group = "db", .warn = NAN, .crit = 80 },
		{ .probe = "memory", .group = "web", .warn = 50, .crit = 60 },
		{ .probe = "http", .group = NULL, .warn = NAN, .crit = 2 },
	};
	struct inventory_probe custom[] = {
		{ .name = "http", .command = "check_http", .warn = 0.5, .crit = 1 },
		{ .name = "plain", .command = "check_x", .warn = NAN, .crit = NAN },
	};
	struct inventory inv = { .thresholds = th, .n_thresholds = sizeof th / sizeof th[0],
				 .probes = custom, .n_probes = 2 };
	struct probe_limits l;

	(void)state;
	/* Group entries beat probe-wide ones; among equals the later field wins. */
	l = probe_limits_for(&inv, &db, "disk");
	assert_near(l.warn, 70);
	assert_near(l.crit, 80);
	l = probe_limits_for(&inv, &web, "disk");
	assert_near(l.warn, 75);
	assert_near(l.crit, 90);
	l = probe_limits_for(&inv, &bare, "disk");
	assert_near(l.warn, 75);
	assert_near(l.crit, 90);
	l = probe_limits_for(&inv, NULL, "disk");
	assert_near(l.warn, 75);
	/* db is also in web: the web group entry applies to it. */
	l = probe_limits_for(&inv, &db, "memory");
	assert_near(l.warn, 50);
	assert_near(l.crit, 60);
	l = probe_limits_for(&inv, &bare, "memory");
	assert_near(l.warn, 90);
	assert_near(l.crit, 95);
	/* No thresholds: the built-in defaults. */
	l = probe_limits_for(&inv, &web, "load");
	assert_near(l.warn, 1.5);
	assert_near(l.crit, 3.0);
	l = probe_limits_for(NULL, NULL, "reboot");
	assert_near(l.warn, 1);
	assert_nan(l.crit);
	/* Custom probes: their own thresholds, overridden by the thresholds list. */
	l = probe_limits_for(&inv, &web, "http");
	assert_near(l.warn, 0.5);
	assert_near(l.crit, 2);
	l = probe_limits_for(&inv, &web, "plain");
	assert_nan(l.warn);
	assert_nan(l.crit);
	l = probe_limits_for(&inv, &web, "nope");
	assert_nan(l.warn);
	assert_nan(l.crit);
}

/* ---- the table ---- */

static void test_builtins_table(void **state)
{
	static const char *const names[] = { "load", "memory", "disk", "failed-units", "updates",
					     "reboot" };

	(void)state;
	assert_int_equal(probe_builtins_n, 6);
	for (size_t i = 0; i < 6; i++) {
		const struct probe_def *d = probe_builtin(names[i]);
		const char *c = NULL;

		assert_non_null(d);
		assert_string_equal(d->name, names[i]);
		assert_non_null(d->parse);
		assert_non_null(d->unit);
		assert_true(d->interval_s > 0 && d->timeout_s > 0 && d->timeout_s < d->interval_s);
		/* One line any login shell passes to sh unchanged: no newline, no '!'
		 * (csh history), and single quotes only around the sh -c script. */
		c = d->command;
		assert_null(strchr(c, '\n'));
		assert_null(strchr(c, '!'));
		if (strchr(c, '\'')) {
			assert_true(strncmp(c, "sh -c '", 7) == 0);
			assert_true(strchr(c + 7, '\'') == c + strlen(c) - 1);
		}
	}
	assert_null(probe_builtin("nope"));
	assert_null(probe_builtin(NULL));
	for (size_t i = 0; probe_default_set[i]; i++)
		assert_non_null(probe_builtin(probe_default_set[i]));
}

/* ---- load ---- */

static void test_load(void **state)
{
	struct probe_result r;
	struct probe_limits tight = { 0.05, NAN };

	(void)state;
	parse_with("load", "0.42 0.38 0.30 1/234 5678\n1054321.12 4012345.67\n4\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_near(r.value, 0.105);
	assert_string_equal(r.summary, "load 0.42 0.38 0.30 (4 CPUs), up 12d 4h");
	assert_int_equal(r.n_metrics, 5);
	assert_near(metric(&r, "load1")->value, 0.42);
	assert_near(metric(&r, "load1")->warn, 6.0); /* 1.5 per CPU x 4 */
	assert_near(metric(&r, "load1")->crit, 12.0);
	assert_near(metric(&r, "load5")->value, 0.38);
	assert_near(metric(&r, "load15")->value, 0.30);
	assert_near(metric(&r, "uptime_s")->value, 1054321.12);
	assert_string_equal(metric(&r, "uptime_s")->uom, "s");
	assert_near(metric(&r, "cpus")->value, 4);

	/* Per CPU: 7.0 on 4 CPUs is 1.75, over the 1.5 default. */
	parse_with("load", "7.00 5.10 3.00 9/900 4242\n4000.5 100.0\n4\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "load 7.00 5.10 3.00 (4 CPUs), up 1h 6m");
	parse_with("load", "13.00 5.10 3.00 9/900 4242\n4000.5 100.0\n4\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	parse_with("load", "0.42 0.38 0.30 1/234 5678\n420 100\n1\n", 0, &tight, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "load 0.42 0.38 0.30 (1 CPU), up 7m");

	/* An uptime no host can have (found by fuzz_nagios: converting it to an integer
	 * was undefined behaviour) is shown as unknown; the load still counts. */
	parse_with("load", "0.42 0.38 0.30 1/234 5678\n1.2e109 1\n1\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "load 0.42 0.38 0.30 (1 CPU), up ?");
	parse_with("load", "0.42 0.38 0.30 1/234 5678\n-5 1\n1\n", 0, NULL, &r);
	assert_string_equal(r.summary, "load 0.42 0.38 0.30 (1 CPU), up ?");

	/* No CPU count (neither getconf nor nproc): per CPU as if one. */
	parse_with("load", "0.50 0.40 0.30 1/99 17\n90000 1\nsh: 1: nproc: not found\n", 127,
		   NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_near(r.value, 0.5);
	assert_string_equal(r.summary, "load 0.50 0.40 0.30 (CPU count unknown), up 1d 1h");

	/* CRLF line ends, and no newline at the very end. */
	parse_with("load", "0.42 0.38 0.30 1/234 5678\r\n1054321.12 4012345.67\r\n4", 0, NULL, &r);
	assert_string_equal(r.summary, "load 0.42 0.38 0.30 (4 CPUs), up 12d 4h");

	parse_with("load", "cat: /proc/loadavg: No such file or directory\n", 1, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_nan(r.value);
	assert_string_equal(r.summary, "no load average in the output (exit 1): "
				       "cat: /proc/loadavg: No such file or directory");
	parse_with("load", "", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
}

/* ---- memory ---- */

static const char MEMINFO[] =
	"MemTotal:       16303456 kB\n"
	"MemFree:         1234567 kB\n"
	"MemAvailable:    6032280 kB\n"
	"Buffers:          345678 kB\n"
	"Cached:          4567890 kB\n"
	"SwapCached:        12345 kB\n"
	"Active:          8765432 kB\n"
	"Inactive:        4321098 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2055204 kB\n"
	"Dirty:               404 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n";

static void test_memory(void **state)
{
	struct probe_result r;
	struct probe_limits low = { 50, 60 };

	(void)state;
	parse_with("memory", MEMINFO, 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_near(r.value, (16303456.0 - 6032280.0) * 100 / 16303456.0);
	assert_string_equal(r.summary, "mem 63% of 15.5 GiB, swap 2%");
	assert_near(metric(&r, "mem_total")->value, 16303456.0 * 1024);
	assert_string_equal(metric(&r, "mem_total")->uom, "B");
	assert_near(metric(&r, "mem_available")->value, 6032280.0 * 1024);
	assert_near(metric(&r, "mem_used")->value, (16303456.0 - 6032280.0) * 1024);
	assert_near(metric(&r, "mem_used_pct")->warn, 90);
	assert_near(metric(&r, "mem_used_pct")->crit, 95);
	assert_near(metric(&r, "swap_total")->value, 2097148.0 * 1024);
	assert_near(metric(&r, "swap_used")->value, (2097148.0 - 2055204.0) * 1024);
	assert_near(metric(&r, "swap_used_pct")->value, (2097148.0 - 2055204.0) * 100 / 2097148.0);

	parse_with("memory", MEMINFO, 0, &low, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);

	/* No swap; nearly full. */
	parse_with("memory", "MemTotal: 1000000 kB\nMemAvailable: 40000 kB\nSwapTotal: 0 kB\n"
			     "SwapFree: 0 kB\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	assert_near(r.value, 96);
	assert_string_equal(r.summary, "mem 96% of 976.6 MiB, no swap");

	/* Before Linux 3.14 there is no MemAvailable: free + buffers + cached. */
	parse_with("memory", "MemTotal: 2048000 kB\nMemFree: 100000 kB\nBuffers: 50000 kB\n"
			     "Cached: 24720 kB\nSwapTotal: 0 kB\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_near(r.value, 91.46875);
	assert_string_equal(r.summary, "mem 91% of 2.0 GiB, no swap");

	parse_with("memory", "cat: /proc/meminfo: Permission denied\n", 1, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "no MemTotal/MemAvailable in the output (exit 1): "
				       "cat: /proc/meminfo: Permission denied");
}

/* ---- disk ---- */

static const char DF_OUT[] =
	"Filesystem     1024-blocks      Used Available Capacity Mounted on\n"
	"udev               8128204         0   8128204       0% /dev\n"
	"tmpfs              1630348      2076   1628272       1% /run\n"
	"/dev/nvme0n1p2   490617784 186000000 279617784      40% /\n"
	"tmpfs              8151728    154212   7997516       2% /dev/shm\n"
	"/dev/nvme0n1p1      523248      6220    517028       2% /boot/efi\n"
	"/dev/sdb1        961302540 874785312  86517228      91% /var\n"
	"/dev/loop3           56832     56832         0     100% /snap/core18/2796\n"
	"overlay           49245636  30000000  19245636      61% /var/lib/docker/overlay2/abc/merged\n"
	"/dev/sdc1        976284600 488142300 488142300      50% /mnt/My  Disk\n"
	"proc                     0         0         0        - /proc/sys/fs/binfmt_misc\n"
	"df: /run/user/1000/doc: Operation not permitted\n";

static void test_disk(void **state)
{
	struct probe_result r;
	struct probe_limits lim = { 95, 99 };

	(void)state;
	parse_with("disk", DF_OUT, 1, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_near(r.value, 91);
	/* Fullest first; the mount with two spaces kept whole. */
	assert_string_equal(r.summary, "/var 91%, /mnt/My  Disk 50%, / 40%, /boot/efi 2%");
	assert_int_equal(r.n_metrics, 4);
	assert_string_equal(r.metrics[0].label, "/var");
	assert_string_equal(r.metrics[1].label, "/mnt/My  Disk");
	assert_near(r.metrics[1].value, 50);
	assert_string_equal(r.metrics[1].uom, "%");
	assert_near(r.metrics[1].warn, 85);
	assert_near(r.metrics[1].crit, 95);
	assert_near(r.metrics[1].min, 0);
	assert_near(r.metrics[1].max, 100);
	assert_string_equal(r.metrics[2].label, "/");
	assert_string_equal(r.metrics[3].label, "/boot/efi");

	parse_with("disk", DF_OUT, 0, &lim, &r);
	assert_int_equal(r.state, PROBE_OK);
	lim.warn = 30;
	lim.crit = 90;
	parse_with("disk", DF_OUT, 0, &lim, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);

	/* Equally full mounts keep df's order. */
	parse_with("disk", "/dev/sda1 100 50 50 50% /b\n/dev/sda2 100 50 50 50% /a\n"
			   "/dev/sda3 100 60 40 60% /c\n/dev/sda3 100 60 40 60% /c\n", 0, NULL, &r);
	assert_string_equal(r.summary, "/c 60%, /b 50%, /a 50%");

	parse_with("disk", "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
			   "overlay 100 50 50 50% /\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "no disks in the df output (exit 0): "
				       "Filesystem 1024-blocks Used Available Capacity Mounted on");
}

static void test_disk_many_mounts(void **state)
{
	char out[8192] = "Filesystem 1024-blocks Used Available Capacity Mounted on\n";
	struct probe_result r;

	(void)state;
	for (int i = 0; i < 40; i++) {
		char line[128];

		snprintf(line, sizeof line, "/dev/vd%c%d 1000 %d %d %d%% /srv/data%02d\n",
			 'a' + i % 26, i, 10 + i, 990 - i, 1 + i, i);
		strcat(out, line);
	}
	parse_with("disk", out, 0, NULL, &r);
	assert_int_equal(r.n_metrics, PROBE_MAX_METRICS);
	assert_string_equal(r.metrics[0].label, "/srv/data39");
	assert_near(r.value, 40);
	assert_int_equal(r.state, PROBE_OK);
	assert_true(strncmp(r.summary, "/srv/data39 40%, /srv/data38 39%", 32) == 0);
	assert_non_null(strstr(r.summary, " more"));
	assert_true(strlen(r.summary) < sizeof r.summary);
}

/* ---- failed units ---- */

static void test_failed_units(void **state)
{
	struct probe_result r;

	(void)state;
	parse_with("failed-units",
		   "nginx.service      loaded failed failed A high performance web server and a "
		   "reverse proxy server\n"
		   "backup.timer       loaded failed failed Nightly backup\n"
		   "opsdeck-systemctl-rc 0\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_near(r.value, 2);
	assert_string_equal(r.summary, "2 failed: nginx.service, backup.timer");
	assert_near(metric(&r, "failed")->value, 2);

	parse_with("failed-units", "opsdeck-systemctl-rc 0\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_near(r.value, 0);
	assert_string_equal(r.summary, "no failed units");

	/* Older systemd prints a bullet before each unit. */
	parse_with("failed-units",
		   "\xe2\x97\x8f a.service loaded failed failed A\n"
		   "\xe2\x97\x8f b.mount loaded failed failed B\n"
		   "\xe2\x97\x8f systemd-c@x.service loaded failed failed C\n"
		   "opsdeck-systemctl-rc 0\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	assert_string_equal(r.summary, "3 failed: a.service, b.mount, systemd-c@x.service");

	/* Many: the summary lists what fits and counts the rest. */
	{
		char out[4096] = "";

		for (int i = 0; i < 30; i++) {
			char line[96];

			snprintf(line, sizeof line, "worker-%02d.service loaded failed failed W\n", i);
			strcat(out, line);
		}
		parse_with("failed-units", out, 0, NULL, &r);
		assert_near(r.value, 30);
		assert_true(strncmp(r.summary, "30 failed: worker-00.service, ", 30) == 0);
		assert_non_null(strstr(r.summary, " more"));
	}

	/* A host without systemd. */
	parse_with("failed-units", "opsdeck-no-systemd\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_nan(r.value);
	assert_string_equal(r.summary, "no systemd on this host (systemctl missing or not PID 1)");
	parse_with("failed-units",
		   "System has not been booted with systemd as init system (PID 1). Can't "
		   "operate.\nFailed to connect to bus: Host is down\nopsdeck-systemctl-rc 1\n",
		   0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "no systemd on this host (systemctl missing or not PID 1)");

	parse_with("failed-units", "Failed to list units: Access denied\nopsdeck-systemctl-rc 1\n",
		   0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary,
			    "systemctl --failed exited 1: Failed to list units: Access denied");
}

/* ---- updates ---- */

static void test_updates_parse(void **state)
{
	struct probe_result r;

	(void)state;
	parse_with("updates", "opsdeck-updates apt 12 3\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_near(r.value, 3);
	assert_string_equal(r.summary, "12 pending, 3 security (apt)");
	assert_near(metric(&r, "pending")->value, 12);
	assert_near(metric(&r, "security")->value, 3);

	parse_with("updates", "opsdeck-updates dnf 7 0\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "7 pending, 0 security (dnf)");
	parse_with("updates", "opsdeck-updates apt 0 0\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "no pending updates (apt)");
	parse_with("updates", "opsdeck-updates apt 40 12\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);

	parse_with("updates", "opsdeck-updates none\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "no apt-get, dnf or yum on this host");
	parse_with("updates", "opsdeck-updates-error apt 100 E: Could not open lock file\n", 0,
		   NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "apt exited 100: E: Could not open lock file");
	parse_with("updates", "sh: 1: awk: not found\n", 127, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary,
			    "no update counts in the output (exit 127): sh: 1: awk: not found");
}

/* A folder of fake tools for running the real built-in commands. */
struct fakebin {
	char *dir;
	char *bin;
};

static void fake_link(struct fakebin *fb, const char *tool)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/local/bin", NULL };
	char *to = tu_join(fb->bin, tool);

	for (size_t i = 0; dirs[i]; i++) {
		char *from = tu_join(dirs[i], tool);
		bool ok = access(from, X_OK) == 0 && symlink(from, to) == 0;

		free(from);
		if (ok) {
			free(to);
			return;
		}
	}
	fail_msg("no %s on this machine", tool);
}

/* A fake tool: prints the file named after it (and the first word of its arguments,
 * for dnf) and exits with the code given. */
static void fake_tool(struct fakebin *fb, const char *name, const char *script)
{
	char *path = tu_join(fb->bin, name);

	tu_write_file(path, script);
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
}

static void fake_data(struct fakebin *fb, const char *name, const char *content)
{
	char *path = tu_join(fb->dir, name);

	tu_write_file(path, content);
	free(path);
}

static void fakebin_init(struct fakebin *fb)
{
	fb->dir = tu_tmpdir();
	fb->bin = tu_join(fb->dir, "bin");
	assert_int_equal(mkdir(fb->bin, 0700), 0);
	fake_link(fb, "sh");
	fake_link(fb, "awk");
}

static void fakebin_free(struct fakebin *fb)
{
	tu_rmrf(fb->dir);
	free(fb->dir);
	free(fb->bin);
}

/* Runs probe's built-in command with only the fake tools on PATH and parses it. */
static void run_builtin(struct fakebin *fb, const char *probe, struct probe_result *r,
			char **raw)
{
	const struct probe_def *d = probe_builtin(probe);
	char *cmd = NULL;
	char *out = NULL;
	int status = 0;

	assert_non_null(d);
	assert_true(asprintf(&cmd, "PATH=%s; export PATH; cd %s; exec 2>&1; %s", fb->bin, fb->dir,
			     d->command) > 0);
	out = run_sh(cmd, &status);
	parse_with(probe, out, status, NULL, r);
	if (raw)
		*raw = out;
	else
		free(out);
	free(cmd);
}

/* Catting files with shell built-ins only, so the fakes need no coreutils. */
#define CAT_FN "emit() { while IFS= read -r l; do printf '%s\\n' \"$l\"; done < \"$1\"; }\n"

static const char APT_SIMULATE[] =
	"NOTE: This is only a simulation!\n"
	"      apt-get needs root privileges for real execution.\n"
	"      Keep also in mind that locking is deactivated,\n"
	"      so don't depend on the relevance to the real current situation!\n"
	"Reading package lists...\n"
	"Building dependency tree...\n"
	"Reading state information...\n"
	"Calculating upgrade...\n"
	"The following packages have been kept back:\n"
	"  linux-generic linux-headers-generic linux-image-generic\n"
	"The following packages will be upgraded:\n"
	"  libc6 libssl3 openssl tzdata ubuntu-security-status vim vim-common\n"
	"7 upgraded, 0 newly installed, 0 to remove and 3 not upgraded.\n"
	"Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, "
	"Ubuntu:22.04/jammy-security [amd64])\n"
	"Inst openssl [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, "
	"Ubuntu:22.04/jammy-security [amd64])\n"
	"Inst tzdata [2023c-0ubuntu0.22.04.2] (2024a-0ubuntu0.22.04 Ubuntu:22.04/jammy-updates [all])\n"
	"Inst ubuntu-security-status [1:0.1] (1:0.2 Ubuntu:22.04/jammy-updates [all])\n"
	"Inst vim-common [2:8.2.3995-1ubuntu2.13] (2:8.2.3995-1ubuntu2.15 "
	"Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [all]) [vim:amd64 ]\n"
	"Inst vim [2:8.2.3995-1ubuntu2.13] (2:8.2.3995-1ubuntu2.15 Ubuntu:22.04/jammy-updates "
	"[amd64])\n"
	"Inst libc6 [2.36-9+deb12u3] (2.36-9+deb12u4 Debian-Security:12/stable-security [amd64])\n"
	"Conf libssl3 (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security "
	"[amd64])\n"
	"Conf openssl (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security "
	"[amd64])\n"
	"Conf tzdata (2024a-0ubuntu0.22.04 Ubuntu:22.04/jammy-updates [all])\n"
	"Conf vim-common (2:8.2.3995-1ubuntu2.15 Ubuntu:22.04/jammy-updates, "
	"Ubuntu:22.04/jammy-security [all])\n"
	"Conf vim (2:8.2.3995-1ubuntu2.15 Ubuntu:22.04/jammy-updates [amd64])\n"
	"Conf libc6 (2.36-9+deb12u4 Debian-Security:12/stable-security [amd64])\n";

static void test_updates_apt_command(void **state)
{
	struct fakebin fb;
	struct probe_result r;
	char *raw = NULL;

	(void)state;
	fakebin_init(&fb);
	fake_data(&fb, "apt.txt", APT_SIMULATE);
	fake_tool(&fb, "apt-get", "#!/bin/sh\n" CAT_FN "emit apt.txt\nexit 0\n");
	run_builtin(&fb, "updates", &r, &raw);
	assert_string_equal(raw, "opsdeck-updates apt 7 4\n");
	free(raw);
	/* libssl3, openssl, vim-common, libc6; not the package named *-security-*. */
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "7 pending, 4 security (apt)");

	/* apt-get failing: its first error line, UNKNOWN. */
	fake_data(&fb, "apt.txt", "Reading package lists...\n"
				  "E: Could not open lock file /var/lib/dpkg/lock-frontend - open "
				  "(13: Permission denied)\n"
				  "E: Unable to acquire the dpkg frontend lock\n");
	fake_tool(&fb, "apt-get", "#!/bin/sh\n" CAT_FN "emit apt.txt\nexit 100\n");
	run_builtin(&fb, "updates", &r, NULL);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "apt exited 100: E: Could not open lock file "
				       "/var/lib/dpkg/lock-frontend - open (13: Permission denied)");
	fakebin_free(&fb);
}

static const char DNF_CHECK_UPDATE[] =
	"\n"
	"NetworkManager.x86_64                1:1.42.2-8.el9_3              baseos\n"
	"kernel.x86_64                        5.14.0-362.18.1.el9_3         baseos\n"
	"openssl-libs.x86_64                  1:3.0.7-25.el9_3              baseos\n"
	"python3-some-extremely-long-package-name-that-wraps.noarch\n"
	"                                     1.2.3-4.el9                   appstream\n"
	"vim-minimal.x86_64                   2:8.2.2637-20.el9_1           baseos\n"
	"Security: kernel-core-5.14.0-362.13.1.el9_3.x86_64 is an installed security update\n"
	"Obsoleting Packages\n"
	"grub2-tools.x86_64                   1:2.06-70.el9_3.2             baseos\n"
	"    grub2-tools.x86_64               1:2.06-61.el9                 @baseos\n";

static const char DNF_SECURITY[] =
	"RHSA-2024:0310 Important/Sec.  openssl-libs-1:3.0.7-25.el9_3.x86_64\n"
	"RHSA-2024:0448 Important/Sec.  kernel-5.14.0-362.18.1.el9_3.x86_64\n"
	"RHSA-2024:0448 Important/Sec.  kernel-core-5.14.0-362.18.1.el9_3.x86_64\n"
	"RHSA-2024:0500 Moderate/Sec.   openssl-libs-1:3.0.7-25.el9_3.x86_64\n";

static const char DNF_FAKE[] =
	"#!/bin/sh\n" CAT_FN
	"case \"$*\" in\n"
	"*check-update*) emit check.txt; exit 100;;\n"
	"*updateinfo*) emit security.txt; exit 0;;\n"
	"esac\n"
	"exit 2\n";

static void test_updates_dnf_command(void **state)
{
	struct fakebin fb;
	struct probe_result r;
	char *raw = NULL;

	(void)state;
	fakebin_init(&fb);
	fake_data(&fb, "check.txt", DNF_CHECK_UPDATE);
	fake_data(&fb, "security.txt", DNF_SECURITY);
	fake_tool(&fb, "dnf", DNF_FAKE);
	run_builtin(&fb, "updates", &r, &raw);
	/* Five packages (one wrapped), three distinct ones in security advisories. */
	assert_string_equal(raw, "opsdeck-updates dnf 5 3\n");
	free(raw);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "5 pending, 3 security (dnf)");

	/* Nothing to update: exit 0 and no lines. */
	fake_data(&fb, "check.txt", "\n");
	fake_data(&fb, "security.txt", "");
	fake_tool(&fb, "dnf", "#!/bin/sh\nexit 0\n");
	run_builtin(&fb, "updates", &r, NULL);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "no pending updates (dnf)");

	/* Repositories unreachable: exit 1. */
	fake_data(&fb, "check.txt",
		  "Error: Failed to download metadata for repo 'baseos': Cannot download "
		  "repomd.xml\n");
	fake_tool(&fb, "dnf", "#!/bin/sh\n" CAT_FN "emit check.txt\nexit 1\n");
	run_builtin(&fb, "updates", &r, NULL);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "dnf exited 1: Error: Failed to download metadata for repo "
				       "'baseos': Cannot download repomd.xml");

	/* yum only (CentOS 7): same protocol. */
	fake_data(&fb, "check.txt", DNF_CHECK_UPDATE);
	fake_data(&fb, "security.txt", "");
	{
		char *dnf = tu_join(fb.bin, "dnf");

		unlink(dnf);
		free(dnf);
	}
	fake_tool(&fb, "yum", DNF_FAKE);
	run_builtin(&fb, "updates", &r, NULL);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "5 pending, 0 security (yum)");
	fakebin_free(&fb);
}

static void test_updates_no_package_manager(void **state)
{
	struct fakebin fb;
	struct probe_result r;

	(void)state;
	fakebin_init(&fb);
	run_builtin(&fb, "updates", &r, NULL);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "no apt-get, dnf or yum on this host");
	fakebin_free(&fb);
}

/* ---- reboot ---- */

static void test_reboot(void **state)
{
	struct probe_result r;
	struct probe_limits crit = { NAN, 1 };

	(void)state;
	parse_with("reboot", "opsdeck-reboot required\n"
			     "opsdeck-reboot-pkg libc6\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-18-amd64\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_near(r.value, 1);
	assert_string_equal(r.summary, "reboot required (libc6, linux-image-6.1.0-18-amd64)");
	parse_with("reboot", "opsdeck-reboot required\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-18-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-20-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-21-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-22-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-23-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-25-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-26-amd64\n"
			     "opsdeck-reboot-pkg linux-image-6.1.0-27-amd64\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_true(strncmp(r.summary, "reboot required (linux-image-6.1.0-18-amd64, ", 45) == 0);
	assert_string_equal(r.summary + strlen(r.summary) - 6, ", ...)");
	parse_with("reboot", "opsdeck-reboot required needs-restarting\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "reboot required (needs-restarting)");
	parse_with("reboot", "opsdeck-reboot required\n", 0, &crit, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	assert_string_equal(r.summary, "reboot required");

	parse_with("reboot", "opsdeck-reboot no\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_near(r.value, 0);
	assert_string_equal(r.summary, "no reboot required");
	assert_near(metric(&r, "reboot_required")->value, 0);

	parse_with("reboot", "opsdeck-reboot unknown\n", 0, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary, "cannot tell whether a reboot is required: "
				       "no /var/run/reboot-required or needs-restarting");
	parse_with("reboot", "opsdeck-reboot unknown needs-restarting exit 2\n", 0, NULL, &r);
	assert_string_equal(r.summary, "cannot tell whether a reboot is required: "
				       "needs-restarting exit 2");
	parse_with("reboot", "sh: 1: [: missing ]\n", 2, NULL, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.summary,
			    "no reboot answer in the output (exit 2): sh: 1: [: missing ]");
}

/* The RHEL branch of the real command, with a fake needs-restarting. */
static void test_reboot_command(void **state)
{
	struct fakebin fb;
	struct probe_result r;

	(void)state;
	if (access("/var/run/reboot-required", F_OK) == 0)
		skip(); /* this machine takes the Debian branch first */
	fakebin_init(&fb);
	fake_tool(&fb, "needs-restarting", "#!/bin/sh\necho 'Reboot is required'\nexit 1\n");
	run_builtin(&fb, "reboot", &r, NULL);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "reboot required (needs-restarting)");
	fake_tool(&fb, "needs-restarting", "#!/bin/sh\nexit 0\n");
	run_builtin(&fb, "reboot", &r, NULL);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "no reboot required");
	fakebin_free(&fb);
}

/* The local commands run for real: they must at least be valid sh whose output
 * the parsers recognise. */
static void test_builtins_run_here(void **state)
{
	static const char *const probes[] = { "load", "memory", "disk", "failed-units", "reboot" };
	struct probe_result r;

	(void)state;
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		const struct probe_def *d = probe_builtin(probes[i]);
		char *cmd = NULL;
		char *out = NULL;
		int status = 0;

		assert_true(asprintf(&cmd, "exec 2>&1; %s", d->command) > 0);
		out = run_sh(cmd, &status);
		parse_with(probes[i], out, status, NULL, &r);
		if (r.state == PROBE_UNKNOWN)
			print_message("%s here: %s\n", probes[i], r.summary);
		if (strcmp(probes[i], "load") == 0 || strcmp(probes[i], "memory") == 0)
			assert_int_not_equal(r.state, PROBE_UNKNOWN);
		if (strcmp(probes[i], "failed-units") == 0 && r.state == PROBE_UNKNOWN)
			assert_non_null(strstr(r.summary, "systemd"));
		if (strcmp(probes[i], "reboot") == 0)
			assert_null(strstr(r.summary, "no reboot answer"));
		free(out);
		free(cmd);
	}
}

/* ---- Nagios plugin output ---- */

static void nagios(const char *out, int status, struct probe_result *r)
{
	assert_int_equal(probe_parse_nagios(out, strlen(out), status, r), 0);
	assert_true(text_is_clean(r->summary, strlen(r->summary), 0));
}

static void test_nagios_exit_codes(void **state)
{
	static const struct {
		int status;
		enum probe_state want;
		const char *summary;
	} cases[] = {
		{ 0, PROBE_OK, "fine" },
		{ 1, PROBE_WARNING, "fine" },
		{ 2, PROBE_CRITICAL, "fine" },
		{ 3, PROBE_UNKNOWN, "fine" },
		{ 4, PROBE_UNKNOWN, "(exit 4) fine" },
		{ 127, PROBE_UNKNOWN, "(exit 127) fine" },
		{ -1, PROBE_UNKNOWN, "(no exit status) fine" },
	};
	struct probe_result r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		nagios("fine\n", cases[i].status, &r);
		assert_int_equal(r.state, cases[i].want);
		assert_string_equal(r.summary, cases[i].summary);
		assert_int_equal(r.n_metrics, 0);
		assert_nan(r.value);
	}
	nagios("", 0, &r);
	assert_string_equal(r.summary, "no output");
	assert_int_equal(probe_parse_nagios(NULL, 0, 2, &r), 0);
	assert_int_equal(r.state, PROBE_CRITICAL);
	assert_string_equal(r.summary, "no output");
	nagios("sh: 1: check_nope: not found\n", 127, &r);
	assert_string_equal(r.summary, "(exit 127) sh: 1: check_nope: not found");
}

static void test_nagios_monitoring_plugins(void **state)
{
	struct probe_result r;
	const struct probe_metric *m = NULL;

	(void)state;
	nagios("DISK OK - free space: / 3326 MB (56% inode=99%);| /=2643MB;5948;5958;0;5968\n", 0,
	       &r);
	assert_int_equal(r.state, PROBE_OK);
	assert_string_equal(r.summary, "DISK OK - free space: / 3326 MB (56% inode=99%);");
	assert_int_equal(r.n_metrics, 1);
	m = &r.metrics[0];
	assert_string_equal(m->label, "/");
	assert_near(m->value, 2643);
	assert_string_equal(m->uom, "MB");
	assert_near(m->warn, 5948);
	assert_near(m->crit, 5958);
	assert_near(m->min, 0);
	assert_near(m->max, 5968);
	assert_near(r.value, 2643);

	nagios("OK - load average: 0.08, 0.06, 0.01|load1=0.080;15.000;30.000;0; "
	       "load5=0.060;10.000;25.000;0; load15=0.010;5.000;20.000;0; \n", 0, &r);
	assert_string_equal(r.summary, "OK - load average: 0.08, 0.06, 0.01");
	assert_int_equal(r.n_metrics, 3);
	assert_string_equal(r.metrics[0].label, "load1");
	assert_near(r.metrics[0].value, 0.08);
	assert_string_equal(r.metrics[0].uom, "");
	assert_near(r.metrics[0].warn, 15);
	assert_near(r.metrics[0].crit, 30);
	assert_near(r.metrics[0].min, 0);
	assert_nan(r.metrics[0].max);
	assert_string_equal(r.metrics[2].label, "load15");
	assert_near(r.metrics[2].value, 0.01);
	assert_near(r.metrics[2].crit, 20);

	nagios("PROCS OK: 99 processes | procs=99;;;0;\n", 0, &r);
	assert_string_equal(r.summary, "PROCS OK: 99 processes");
	assert_int_equal(r.n_metrics, 1);
	assert_near(r.metrics[0].value, 99);
	assert_nan(r.metrics[0].warn);
	assert_nan(r.metrics[0].crit);
	assert_near(r.metrics[0].min, 0);
	assert_nan(r.metrics[0].max);

	nagios("HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.001 second response time "
	       "|time=0.000713s;;;0.000000;10.000000 size=612B;;;0\n", 0, &r);
	assert_int_equal(r.n_metrics, 2);
	assert_near(r.metrics[0].value, 0.000713);
	assert_string_equal(r.metrics[0].uom, "s");
	assert_near(r.metrics[0].max, 10);
	assert_string_equal(r.metrics[1].uom, "B");
	assert_near(r.metrics[1].value, 612);
}

static void test_nagios_long_output(void **state)
{
	struct probe_result r;

	(void)state;
	/* The plugin guidelines' own example: perfdata continues after a later '|'. */
	nagios("DISK OK - free space: / 3326 MB (56% inode=99%); | /=2643MB;5948;5958;0;5968\n"
	       "/ 15272 MB (77% inode=96%);\n"
	       "/boot 68 MB (69% inode=99%);\n"
	       "/home 69357 MB (27% inode=99%);| /boot=68MB;88;93;0;98\n"
	       "/home=69357MB;253404;253409;0;253414\n"
	       "/var/log=818MB;970;975;0;980\n", 1, &r);
	assert_int_equal(r.state, PROBE_WARNING);
	assert_string_equal(r.summary, "DISK OK - free space: / 3326 MB (56% inode=99%);");
	assert_int_equal(r.n_metrics, 4);
	assert_string_equal(r.metrics[0].label, "/");
	assert_string_equal(r.metrics[1].label, "/boot");
	assert_near(r.metrics[1].max, 98);
	assert_string_equal(r.metrics[2].label, "/home");
	assert_near(r.metrics[2].value, 69357);
	assert_string_equal(r.metrics[3].label, "/var/log");
	assert_near(r.metrics[3].crit, 975);

	/* Long text without any perfdata; a first line without perfdata but later some. */
	nagios("WARNING - 2 jobs late\njob a: 3h\njob b: 5h\n", 1, &r);
	assert_string_equal(r.summary, "WARNING - 2 jobs late");
	assert_int_equal(r.n_metrics, 0);
	nagios("OK - all good\nmore detail | late=0;1;2\nnext=4\n", 0, &r);
	assert_string_equal(r.summary, "OK - all good");
	assert_int_equal(r.n_metrics, 2);
	assert_string_equal(r.metrics[1].label, "next");
	/* CRLF from a plugin on the far side of NRPE. */
	nagios("OK - fine | a=1\r\n", 0, &r);
	assert_string_equal(r.summary, "OK - fine");
	assert_near(r.metrics[0].value, 1);
}

static void test_perfdata(void **state)
{
	struct probe_metric m[PROBE_MAX_METRICS];
	size_t n;

	(void)state;
	/* Quoted labels with spaces, '=' and an escaped quote. */
	n = probe_parse_perfdata("'/var/lib/my data'=42%;80;90 'it''s = here'=1 ''''=2c", m,
				 PROBE_MAX_METRICS);
	assert_int_equal(n, 3);
	assert_string_equal(m[0].label, "/var/lib/my data");
	assert_near(m[0].value, 42);
	assert_string_equal(m[0].uom, "%");
	assert_near(m[0].warn, 80);
	assert_near(m[0].crit, 90);
	assert_nan(m[0].min);
	assert_nan(m[0].max);
	assert_string_equal(m[1].label, "it's = here");
	assert_string_equal(m[2].label, "'");
	assert_string_equal(m[2].uom, "c");

	/* Every guideline unit, and one of our own kept as text. */
	n = probe_parse_perfdata("a=1s b=2ms c=3us d=4% e=5B f=6KB g=7MB h=8GB i=9TB j=10c "
				 "k=41.5\xc2\xb0" "C l=-3.25dBm", m, PROBE_MAX_METRICS);
	assert_int_equal(n, 12);
	{
		static const char *const uoms[] = { "s", "ms", "us", "%", "B", "KB", "MB", "GB",
						    "TB", "c" };

		for (size_t i = 0; i < 10; i++) {
			assert_string_equal(m[i].uom, uoms[i]);
			assert_near(m[i].value, (double)(i + 1));
			assert_true(probe_uom_known(m[i].uom));
		}
	}
	assert_string_equal(m[10].uom, "\xc2\xb0" "C");
	assert_near(m[10].value, 41.5);
	assert_false(probe_uom_known(m[10].uom));
	assert_near(m[11].value, -3.25);
	assert_string_equal(m[11].uom, "dBm");

	/* Ranges keep their end, or their start when open-ended. */
	n = probe_parse_perfdata("r1=5;10:20;@5:30 r2=5;~:5;10: r3=5;@~:;@-10:-5 r4=5;0:;:7", m,
				 PROBE_MAX_METRICS);
	assert_int_equal(n, 4);
	assert_near(m[0].warn, 20);
	assert_near(m[0].crit, 30);
	assert_near(m[1].warn, 5);
	assert_near(m[1].crit, 10);
	assert_nan(m[2].warn);
	assert_near(m[2].crit, -5);
	assert_near(m[3].warn, 0);
	assert_near(m[3].crit, 7);

	/* Missing fields, U, extra fields, comma decimals, exponents. */
	n = probe_parse_perfdata("x=5 y=5;; z=U;1;2 w=1;2;3;4;5;6;7 t=0,5s e=1.5e-05s", m,
				 PROBE_MAX_METRICS);
	assert_int_equal(n, 6);
	assert_near(m[0].value, 5);
	assert_nan(m[0].warn);
	assert_nan(m[0].crit);
	assert_nan(m[1].warn);
	assert_nan(m[2].value);
	assert_near(m[2].crit, 2);
	assert_near(m[3].max, 5);
	assert_near(m[4].value, 0.5);
	assert_string_equal(m[4].uom, "s");
	assert_near(m[5].value, 1.5e-05);
	assert_string_equal(m[5].uom, "s");

	/* Garbage is skipped; the good items around it are kept. */
	n = probe_parse_perfdata("=5 noequals a= ok1=1 b=abc c=1.2.3 d=5;x; e=5;1:2:3 f=--3 "
				 "g=nan h=inf i=0x10 j=5;;;zero ok2=2 'open=5",
				 m, PROBE_MAX_METRICS);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].label, "ok1");
	assert_string_equal(m[1].label, "ok2");
	assert_int_equal(probe_parse_perfdata("", m, PROBE_MAX_METRICS), 0);
	assert_int_equal(probe_parse_perfdata(NULL, m, PROBE_MAX_METRICS), 0);
	assert_int_equal(probe_parse_perfdata("|||| ;;; '''", m, PROBE_MAX_METRICS), 0);
	assert_int_equal(probe_parse_perfdata("a=1 b=2 c=3", m, 2), 2);
}

static void test_nagios_limits_and_sanitising(void **state)
{
	char out[2048];
	char big[1024];
	struct probe_result r;
	size_t n = 0;

	(void)state;
	/* More perfdata than fits: the first PROBE_MAX_METRICS. */
	n = (size_t)snprintf(out, sizeof out, "OK |");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, " m%d=%d", i, i);
	nagios(out, 0, &r);
	assert_int_equal(r.n_metrics, PROBE_MAX_METRICS);
	assert_string_equal(r.metrics[31].label, "m31");

	/* Escapes from a hostile plugin are gone from the summary. */
	nagios("OK \x1b]0;pwned\x07" "done \x1b[31mred\x1b[0m | a=1\n", 0, &r);
	assert_string_equal(r.summary, "OK done red");

	/* A long summary is cut at a character boundary with an ellipsis. */
	n = 0;
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\xc3\xa9"); /* é, 2 bytes */
	nagios(big, 0, &r);
	assert_true(strlen(r.summary) <= sizeof r.summary - 1);
	assert_true(strlen(r.summary) > 240);
	assert_string_equal(r.summary + strlen(r.summary) - 3, "\xe2\x80\xa6");
	assert_true(text_is_clean(r.summary, strlen(r.summary), 0));

	/* A label longer than the field is cut at a character boundary too. */
	n = (size_t)snprintf(out, sizeof out, "OK | '");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "\xc3\xa9");
	snprintf(out + n, sizeof out - n, "'=1");
	nagios(out, 0, &r);
	assert_int_equal(r.n_metrics, 1);
	assert_int_equal(strlen(r.metrics[0].label), 62);
}

/* ---- samples ---- */

struct fx {
	char *dir;
	char *db;
	struct store *st;
};

static int setup_store(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { { 0 } };

	f->dir = tu_tmpdir();
	f->db = tu_join(f->dir, "probe.db");
	if (store_open(f->db, &f->st, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	clock_pin(H0 + 13 * MIN_MS);
	*state = f;
	return 0;
}

static int teardown_store(void **state)
{
	struct fx *f = *state;

	store_close(&f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	clock_unpin();
	return 0;
}

static int64_t count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *s = store_prepare(st, sql, NULL);
	int64_t v = -1;

	assert_non_null(s);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void store_one(struct store *st, const char *host, int64_t ts, enum probe_state s,
		      double v)
{
	struct probe_result r;
	struct err e = { { 0 } };

	memset(&r, 0, sizeof r);
	r.state = s;
	r.value = v;
	snprintf(r.summary, sizeof r.summary, "v=%g", v);
	if (probe_sample_store(st, host, "load", ts, &r, &e) != 0)
		fail_msg("store: %s", e.msg);
}

struct hourly {
	int64_t n, nv;
	double vmin, vmax, vavg;
	int worst;
};

static bool hourly_row(struct store *st, const char *host, int64_t hour, struct hourly *h)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT n, nv, vmin, vmax, vavg, worst FROM "
					    "samples_hourly WHERE host = ? AND probe = 'load' "
					    "AND hour = ?", NULL);
	bool found = false;

	assert_non_null(s);
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, hour);
	if (sqlite3_step(s) == SQLITE_ROW) {
		h->n = sqlite3_column_int64(s, 0);
		h->nv = sqlite3_column_int64(s, 1);
		h->vmin = sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2);
		h->vmax = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3);
		h->vavg = sqlite3_column_type(s, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 4);
		h->worst = sqlite3_column_int(s, 5);
		found = true;
	}
	sqlite3_finalize(s);
	return found;
}

static void test_migration(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };

	/* Later migrations add other tables; what matters here is that the samples
	 * tables are there at the latest version, and that reopening applies nothing. */
	assert_true(store_schema_latest() >= 2);
	assert_int_equal(store_schema_version(f->st), store_schema_latest());
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM sqlite_master WHERE name IN "
					   "('samples', 'samples_hourly', 'samples_host_probe_ts')"),
			 3);
	store_close(&f->st);
	assert_int_equal(store_open(f->db, &f->st, &e), 0);
	assert_int_equal(store_schema_version(f->st), store_schema_latest());
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM schema_version"),
			 store_schema_latest());
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM sqlite_master WHERE name IN "
					   "('samples', 'samples_hourly', 'samples_host_probe_ts')"),
			 3);
}

static void test_samples_store_and_history(void **state)
{
	struct fx *f = *state;
	struct probe_point pts[16];
	struct probe_result r;
	struct err e = { { 0 } };
	int n;

	store_one(f->st, "web01", H0 + 10 * MIN_MS, PROBE_WARNING, 3.0);
	store_one(f->st, "web01", H0, PROBE_OK, 1.0);
	store_one(f->st, "web01", H0 + 20 * MIN_MS, PROBE_UNKNOWN, NAN);
	store_one(f->st, "db01", H0 + 5 * MIN_MS, PROBE_OK, 10.0);
	n = probe_history(f->st, "web01", "load", 0, pts, 16, &e);
	assert_int_equal(n, 3);
	assert_int_equal(pts[0].ts_ms, H0);
	assert_near(pts[0].value, 1.0);
	assert_int_equal(pts[0].state, PROBE_OK);
	assert_int_equal(pts[1].ts_ms, H0 + 10 * MIN_MS);
	assert_int_equal(pts[1].state, PROBE_WARNING);
	assert_nan(pts[2].value);
	assert_int_equal(pts[2].state, PROBE_UNKNOWN);
	/* since and max: the newest max points, oldest first. */
	assert_int_equal(probe_history(f->st, "web01", "load", H0 + MIN_MS, pts, 16, &e), 2);
	assert_int_equal(pts[0].ts_ms, H0 + 10 * MIN_MS);
	assert_int_equal(probe_history(f->st, "web01", "load", 0, pts, 1, &e), 1);
	assert_int_equal(pts[0].ts_ms, H0 + 20 * MIN_MS);
	assert_int_equal(probe_history(f->st, "web01", "disk", 0, pts, 16, &e), 0);
	assert_int_equal(probe_history(f->st, "web01", "load", 0, NULL, 0, &e), 0);
	/* The summary is stored as given. */
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples WHERE summary = 'v=3'"),
			 1);

	/* Inside the caller's transaction: rolled back with it. */
	assert_int_equal(store_begin(f->st, &e), 0);
	store_one(f->st, "web01", H0 + 30 * MIN_MS, PROBE_OK, 2.0);
	store_rollback(f->st);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples"), 4);

	memset(&r, 0, sizeof r);
	assert_int_equal(probe_sample_store(f->st, "", "load", H0, &r, &e), -1);
	assert_int_equal(probe_sample_store(f->st, "web01", NULL, H0, &r, &e), -1);
}

static void test_prune_rollup(void **state)
{
	struct fx *f = *state;
	struct probe_point pts[16];
	struct hourly h;
	struct err e = { { 0 } };
	int64_t now;

	/* Hour H0: 1, 3 (WARNING), none (UNKNOWN), 2. Hour H0+1h: 4 (CRITICAL), 6. */
	store_one(f->st, "web01", H0, PROBE_OK, 1.0);
	store_one(f->st, "web01", H0 + 10 * MIN_MS, PROBE_WARNING, 3.0);
	store_one(f->st, "web01", H0 + 20 * MIN_MS, PROBE_UNKNOWN, NAN);
	store_one(f->st, "web01", H0 + 30 * MIN_MS, PROBE_OK, 2.0);
	store_one(f->st, "web01", H0 + 65 * MIN_MS, PROBE_CRITICAL, 4.0);
	store_one(f->st, "web01", H0 + 100 * MIN_MS, PROBE_OK, 6.0);
	store_one(f->st, "db01", H0 + 5 * MIN_MS, PROBE_OK, 10.0);

	/* Keep one hour of raw samples: the cut-off (H0+85m) falls inside hour H0+1h. */
	now = H0 + 145 * MIN_MS;
	clock_pin(now);
	assert_int_equal(probe_prune(f->st, now, HOUR_MS, 30 * DAY_MS, &e), 6);
	assert_true(hourly_row(f->st, "web01", H0, &h));
	assert_int_equal(h.n, 4);
	assert_int_equal(h.nv, 3);
	assert_near(h.vmin, 1.0);
	assert_near(h.vmax, 3.0);
	assert_near(h.vavg, 2.0);
	assert_int_equal(h.worst, PROBE_WARNING); /* UNKNOWN ranks below WARNING */
	assert_true(hourly_row(f->st, "web01", H0 + HOUR_MS, &h));
	assert_int_equal(h.n, 1);
	assert_near(h.vavg, 4.0);
	assert_int_equal(h.worst, PROBE_CRITICAL);
	assert_true(hourly_row(f->st, "db01", H0, &h));
	assert_int_equal(h.n, 1);
	assert_near(h.vavg, 10.0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples"), 1);
	assert_false(store_in_txn(f->st));

	/* Idempotent. */
	assert_int_equal(probe_prune(f->st, now, HOUR_MS, 30 * DAY_MS, &e), 0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples_hourly"), 3);
	assert_true(hourly_row(f->st, "web01", H0, &h));
	assert_int_equal(h.n, 4);

	/* History: hourly points before, raw where kept. */
	assert_int_equal(probe_history(f->st, "web01", "load", 0, pts, 16, &e), 3);
	assert_int_equal(pts[0].ts_ms, H0);
	assert_near(pts[0].value, 2.0);
	assert_int_equal(pts[0].state, PROBE_WARNING);
	assert_int_equal(pts[1].ts_ms, H0 + HOUR_MS);
	assert_near(pts[1].value, 4.0);
	assert_int_equal(pts[1].state, PROBE_CRITICAL);
	assert_int_equal(pts[2].ts_ms, H0 + 100 * MIN_MS);
	assert_near(pts[2].value, 6.0);

	/* More in hour H0+1h (9 UNKNOWN, one without a value) and a late one in H0
	 * (0.5 CRITICAL): both hours merge into their existing rows. */
	store_one(f->st, "web01", H0 + 110 * MIN_MS, PROBE_UNKNOWN, 9.0);
	store_one(f->st, "web01", H0 + 115 * MIN_MS, PROBE_OK, NAN);
	store_one(f->st, "web01", H0 + 50 * MIN_MS, PROBE_CRITICAL, 0.5);
	now = H0 + 3 * HOUR_MS;
	clock_pin(now);
	assert_int_equal(probe_prune(f->st, now, HOUR_MS, 30 * DAY_MS, &e), 4);
	assert_true(hourly_row(f->st, "web01", H0, &h));
	assert_int_equal(h.n, 5);
	assert_int_equal(h.nv, 4);
	assert_near(h.vmin, 0.5);
	assert_near(h.vmax, 3.0);
	assert_near(h.vavg, (2.0 * 3 + 0.5) / 4); /* 1.625 */
	assert_int_equal(h.worst, PROBE_CRITICAL);
	assert_true(hourly_row(f->st, "web01", H0 + HOUR_MS, &h));
	assert_int_equal(h.n, 4);
	assert_int_equal(h.nv, 3);
	assert_near(h.vmin, 4.0);
	assert_near(h.vmax, 9.0);
	assert_near(h.vavg, 19.0 / 3); /* (4 x 1 + 7.5 x 2) / 3 */
	assert_int_equal(h.worst, PROBE_CRITICAL);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples"), 0);

	/* An hour of nothing but value-less samples keeps a NULL average. */
	store_one(f->st, "web01", H0 + 3 * HOUR_MS + MIN_MS, PROBE_UNKNOWN, NAN);
	store_one(f->st, "web01", H0 + 3 * HOUR_MS + 2 * MIN_MS, PROBE_UNKNOWN, NAN);
	now = H0 + 5 * HOUR_MS;
	assert_int_equal(probe_prune(f->st, now, HOUR_MS, 30 * DAY_MS, &e), 2);
	assert_true(hourly_row(f->st, "web01", H0 + 3 * HOUR_MS, &h));
	assert_int_equal(h.n, 2);
	assert_int_equal(h.nv, 0);
	assert_nan(h.vavg);
	assert_nan(h.vmin);
	assert_int_equal(h.worst, PROBE_UNKNOWN);
	assert_int_equal(probe_history(f->st, "web01", "load", 0, pts, 16, &e), 3);
	assert_nan(pts[2].value);
	assert_int_equal(pts[2].state, PROBE_UNKNOWN);

	/* Hourly retention: rows whose whole hour is before now - 30 days go. */
	now = H0 + 2 * HOUR_MS + 30 * DAY_MS;
	assert_int_equal(probe_prune(f->st, now, HOUR_MS, 30 * DAY_MS, &e), 3);
	assert_false(hourly_row(f->st, "web01", H0, &h));
	assert_false(hourly_row(f->st, "web01", H0 + HOUR_MS, &h));
	assert_false(hourly_row(f->st, "db01", H0, &h));
	assert_true(hourly_row(f->st, "web01", H0 + 3 * HOUR_MS, &h));
	/* hourly_keep <= 0 keeps them forever. */
	assert_int_equal(probe_prune(f->st, now + 365 * DAY_MS, HOUR_MS, 0, &e), 0);
	assert_true(hourly_row(f->st, "web01", H0 + 3 * HOUR_MS, &h));
	assert_int_equal(probe_prune(f->st, now, -1, 0, &e), -1);
}

static void test_samples_sql_errors(void **state)
{
	struct fx *f = *state;
	struct probe_point pts[4];
	struct probe_result r;
	struct err e = { { 0 } };

	memset(&r, 0, sizeof r);
	assert_int_equal(probe_history(f->st, NULL, "load", 0, pts, 4, &e), -1);
	store_one(f->st, "web01", H0, PROBE_OK, 1.0);
	/* A broken hourly table: the prune fails whole, nothing is deleted. */
	assert_int_equal(store_exec(f->st, "DROP TABLE samples_hourly", &e), 0);
	assert_int_equal(probe_prune(f->st, H0 + 2 * HOUR_MS, HOUR_MS, 0, &e), -1);
	assert_non_null(strstr(e.msg, "samples_hourly"));
	assert_false(store_in_txn(f->st));
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples"), 1);
	assert_int_equal(probe_history(f->st, "web01", "load", 0, pts, 4, &e), -1);
	assert_int_equal(store_exec(f->st, "DROP TABLE samples", &e), 0);
	assert_int_equal(probe_sample_store(f->st, "web01", "load", H0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "samples"));
}

static void test_prune_in_callers_txn(void **state)
{
	struct fx *f = *state;
	struct err e = { { 0 } };

	store_one(f->st, "web01", H0, PROBE_OK, 1.0);
	assert_int_equal(store_begin(f->st, &e), 0);
	assert_int_equal(probe_prune(f->st, H0 + 2 * HOUR_MS, HOUR_MS, 0, &e), 1);
	assert_true(store_in_txn(f->st));
	store_rollback(f->st);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples"), 1);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM samples_hourly"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_limits_for),
		cmocka_unit_test(test_builtins_table),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_disk_many_mounts),
		cmocka_unit_test(test_failed_units),
		cmocka_unit_test(test_updates_parse),
		cmocka_unit_test(test_updates_apt_command),
		cmocka_unit_test(test_updates_dnf_command),
		cmocka_unit_test(test_updates_no_package_manager),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_reboot_command),
		cmocka_unit_test(test_builtins_run_here),
		cmocka_unit_test(test_nagios_exit_codes),
		cmocka_unit_test(test_nagios_monitoring_plugins),
		cmocka_unit_test(test_nagios_long_output),
		cmocka_unit_test(test_perfdata),
		cmocka_unit_test(test_nagios_limits_and_sanitising),
		cmocka_unit_test_setup_teardown(test_migration, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_samples_store_and_history, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_prune_rollup, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_prune_in_callers_txn, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_samples_sql_errors, setup_store,
						teardown_store),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
