/*
 * probe_builtin: the built-in probes, each one POSIX sh command and one parser:
 * load, memory, disk, failed units, pending and security updates, reboot; and
 * the thresholds, which default to the built-in probes' own.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe.h"
#include "probe_internal.h"
#include "text.h"

/* ---- built-in probes ---- */

/*
 * Every command is one line of POSIX sh wrapped in sh -c '...' so it runs the
 * same under any login shell (bash, zsh, fish, tcsh). Inside: no single quotes,
 * no '!' (csh history), no newlines. Output is normalised on the host where the
 * raw form is large or varies (updates, reboot), so parsers stay small.
 */

static const char LOAD_CMD[] =
	"sh -c 'cat /proc/loadavg /proc/uptime; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc'";

static const char MEMORY_CMD[] = "cat /proc/meminfo";

/* -x where GNU df has it (probed on "/" first: BusyBox df has no -x); the parser
 * filters pseudo filesystems again for the fallback. */
static const char DISK_CMD[] =
	"sh -c 'LC_ALL=C; export LC_ALL; if df -P -k -x tmpfs / >/dev/null 2>&1; then "
	"df -P -k -x tmpfs -x devtmpfs -x squashfs -x overlay -x proc -x sysfs; "
	"else df -P -k; fi'";

static const char FAILED_UNITS_CMD[] =
	"sh -c 'if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then "
	"systemctl --failed --plain --no-legend --no-pager 2>&1; "
	"echo \"opsdeck-systemctl-rc $?\"; else echo opsdeck-no-systemd; fi'";

/*
 * Prints "opsdeck-updates PM PENDING SECURITY", "opsdeck-updates-error PM EXIT
 * FIRST-ERROR-LINE" or "opsdeck-updates none". apt: Inst lines of a simulated
 * upgrade, security when an origin in the parentheses ends in -security. dnf (or
 * yum): package lines of check-update (exit 100 means updates), security as the
 * distinct packages of updateinfo list --security.
 */
static const char UPDATES_CMD[] =
	"sh -c 'LC_ALL=C; export LC_ALL; "
	"if command -v apt-get >/dev/null 2>&1; then "
	"{ apt-get -s -o Debug::NoLocking=true upgrade 2>&1; echo \"opsdeck-rc $?\"; } | "
	"awk -v tag=opsdeck-updates -v err=opsdeck-updates-error -v pm=apt \""
	"/^opsdeck-rc /{rc=\\$2; next}; "
	"/^E: / && ne++ == 0 {e=\\$0}; "
	"/^Inst /{n++; if (tolower(\\$0) ~ /[(].*-security/) s++}; "
	"END{if (rc == 0) print tag, pm, n+0, s+0; else print err, pm, rc, e}\"; "
	"elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then "
	"pm=dnf; command -v dnf >/dev/null 2>&1 || pm=yum; "
	"{ $pm -q check-update 2>&1; echo \"opsdeck-rc $?\"; "
	"$pm -q updateinfo list --security 2>&1; echo \"opsdeck-rc2 $?\"; } | "
	"awk -v tag=opsdeck-updates -v err=opsdeck-updates-error -v pm=$pm \""
	"/^opsdeck-rc /{rc=\\$2; sec=1; next}; "
	"/^opsdeck-rc2 /{rc2=\\$2; next}; "
	"/^E(rror)?: / && ne++ == 0 {e=\\$0}; "
	"sec == 0 && /^Obsoleting/ {obs=1}; "
	"sec == 0 && obs == 0 && /^[^ \\t]/ && \\$1 ~ /^[^:]+[.][A-Za-z0-9_]+\\$/ {n++}; "
	"sec == 1 && NF >= 3 && seen[\\$3]++ == 0 {s++}; "
	"END{if (rc == 0 || rc == 100) {if (rc2 == 0) print tag, pm, n+0, s+0; "
	"else print err, pm, rc2, e} else print err, pm, rc, e}\"; "
	"else echo opsdeck-updates none; fi'";

/* Prints "opsdeck-reboot required [HOW]" (then "opsdeck-reboot-pkg NAME" lines),
 * "opsdeck-reboot no", or "opsdeck-reboot unknown [WHY]". */
static const char REBOOT_CMD[] =
	"sh -c 'if [ -f /var/run/reboot-required ]; then echo opsdeck-reboot required; "
	"sort -u /var/run/reboot-required.pkgs 2>/dev/null | head -n 8 | "
	"sed \"s/^/opsdeck-reboot-pkg /\"; "
	"elif command -v needs-restarting >/dev/null 2>&1; then "
	"needs-restarting -r >/dev/null 2>&1; rc=$?; "
	"if [ $rc -eq 1 ]; then echo opsdeck-reboot required needs-restarting; "
	"elif [ $rc -eq 0 ]; then echo opsdeck-reboot no; "
	"else echo opsdeck-reboot unknown needs-restarting exit $rc; fi; "
	"elif [ -d /var/lib/dpkg ]; then echo opsdeck-reboot no; "
	"else echo opsdeck-reboot unknown; fi'";

/* The first non-empty line of text, for summaries of output we could not read. */
static void first_line(const char *out, size_t len, char *buf, size_t cap)
{
	size_t i = 0, j;

	while (i < len && probe_is_blank(out[i]))
		i++;
	for (j = i; j < len && out[j] != '\n'; j++)
		;
	probe_copy_utf8(buf, cap, out + i, j - i);
}

/* --- load --- */

/* No host has been up this long (about 3,000 years): a larger or negative figure
 * is the host's garbage, and converting it to an integer would be undefined. */
#define UPTIME_MAX_S 1e11

/* Uptime as "12d 3h", "5h 2m" or "7m"; "?" for a figure no host can have. */
static void fmt_uptime(char *buf, size_t cap, double s)
{
	int64_t t = 0, d = 0, h = 0, m = 0;

	if (!(s >= 0 && s <= UPTIME_MAX_S)) { /* NaN too */
		snprintf(buf, cap, "?");
		return;
	}
	t = (int64_t)s;
	d = t / 86400;
	h = t % 86400 / 3600;
	m = t % 3600 / 60;
	if (d > 0)
		snprintf(buf, cap, "%" PRId64 "d %" PRId64 "h", d, h);
	else if (h > 0)
		snprintf(buf, cap, "%" PRId64 "h %" PRId64 "m", h, m);
	else
		snprintf(buf, cap, "%" PRId64 "m", m);
}

static int parse_load(const char *out, size_t len, int exit_status,
		      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "load");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[8] = { NULL };
	double load[3] = { NAN, NAN, NAN };
	double up = NAN, cpus = NAN, x, y;
	char ups[32] = "";
	char first[128];
	bool have_load = false;

	probe_result_init(r);
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	/* Lines are told apart by shape, so stray stderr lines do no harm. */
	while ((line = probe_next_line(&cur)) != NULL) {
		size_t n = probe_split_fields(line, f, 8, false);

		if (n == 5 && !have_load && strchr(f[3], '/') && probe_parse_number(f[0], &load[0]) &&
		    probe_parse_number(f[1], &load[1]) && probe_parse_number(f[2], &load[2]))
			have_load = true;
		else if (n == 2 && isnan(up) && probe_parse_number(f[0], &x) && probe_parse_number(f[1], &y))
			up = x;
		else if (n == 1 && isnan(cpus) && probe_parse_number(f[0], &x) && x >= 1 && x < 1e6 &&
			 x == (double)(int64_t)x)
			cpus = x;
	}
	if (!have_load) {
		first_line(out, len, first, sizeof first);
		probe_set_summaryf(r, "no load average in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	r->value = load[0] / (isnan(cpus) ? 1 : cpus);
	r->state = probe_classify(r->value, &l);
	probe_add_metric(r, "load1", load[0], "", l.warn * (isnan(cpus) ? 1 : cpus),
		   l.crit * (isnan(cpus) ? 1 : cpus), 0, NAN);
	probe_add_metric(r, "load5", load[1], "", NAN, NAN, 0, NAN);
	probe_add_metric(r, "load15", load[2], "", NAN, NAN, 0, NAN);
	if (!isnan(up)) {
		probe_add_metric(r, "uptime_s", up, "s", NAN, NAN, 0, NAN);
		fmt_uptime(ups, sizeof ups, up);
	}
	if (!isnan(cpus))
		probe_add_metric(r, "cpus", cpus, "", NAN, NAN, 1, NAN);
	if (isnan(cpus))
		probe_set_summaryf(r, "load %.2f %.2f %.2f (CPU count unknown)%s%s", load[0], load[1],
			     load[2], *ups ? ", up " : "", ups);
	else
		probe_set_summaryf(r, "load %.2f %.2f %.2f (%.0f CPU%s)%s%s", load[0], load[1], load[2],
			     cpus, cpus == 1 ? "" : "s", *ups ? ", up " : "", ups);
out:
	free(buf);
	return 0;
}

/* --- memory --- */

enum { MI_TOTAL, MI_AVAILABLE, MI_FREE, MI_BUFFERS, MI_CACHED, MI_SWAP_TOTAL, MI_SWAP_FREE, MI_N };

static const char *const meminfo_keys[MI_N] = {
	[MI_TOTAL] = "MemTotal",     [MI_AVAILABLE] = "MemAvailable", [MI_FREE] = "MemFree",
	[MI_BUFFERS] = "Buffers",    [MI_CACHED] = "Cached",          [MI_SWAP_TOTAL] = "SwapTotal",
	[MI_SWAP_FREE] = "SwapFree",
};

static const char *const byte_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

/* Bytes for a person: "512 B", "15.5 GiB". */
static void fmt_bytes(char *buf, size_t cap, double b)
{
	size_t u = 0;

	while (b >= 1024 && u + 1 < sizeof byte_units / sizeof byte_units[0]) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%.0f B", b);
	else
		snprintf(buf, cap, "%.1f %s", b, byte_units[u]);
}

static int parse_memory(const char *out, size_t len, int exit_status,
			const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "memory");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	double v[MI_N];
	double total, avail, used, pct, swap_used, swap_pct = NAN;
	char size[32];
	char swap[32] = "no swap";
	char first[128];

	probe_result_init(r);
	for (size_t i = 0; i < MI_N; i++)
		v[i] = NAN;
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	/* "MemTotal:       16303456 kB" */
	while ((line = probe_next_line(&cur)) != NULL) {
		size_t n = probe_split_fields(line, f, 4, false);
		size_t klen;
		double x;

		if (n < 2 || (klen = strlen(f[0])) < 2 || f[0][klen - 1] != ':')
			continue;
		f[0][klen - 1] = '\0';
		for (size_t i = 0; i < MI_N; i++)
			if (strcmp(f[0], meminfo_keys[i]) == 0 && probe_parse_number(f[1], &x) && x >= 0)
				v[i] = x * (n > 2 && strcmp(f[2], "kB") == 0 ? 1024 : 1);
	}
	total = v[MI_TOTAL];
	avail = v[MI_AVAILABLE];
	/* Kernels before 3.14 have no MemAvailable: estimate it the old way. */
	if (isnan(avail) && !isnan(v[MI_FREE]))
		avail = v[MI_FREE] + (isnan(v[MI_BUFFERS]) ? 0 : v[MI_BUFFERS]) +
			(isnan(v[MI_CACHED]) ? 0 : v[MI_CACHED]);
	if (isnan(total) || total <= 0 || isnan(avail)) {
		first_line(out, len, first, sizeof first);
		probe_set_summaryf(r, "no MemTotal/MemAvailable in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	if (avail > total)
		avail = total;
	used = total - avail;
	pct = used * 100 / total;
	r->value = pct;
	r->state = probe_classify(pct, &l);
	probe_add_metric(r, "mem_used_pct", pct, "%", l.warn, l.crit, 0, 100);
	probe_add_metric(r, "mem_total", total, "B", NAN, NAN, 0, NAN);
	probe_add_metric(r, "mem_available", avail, "B", NAN, NAN, 0, total);
	probe_add_metric(r, "mem_used", used, "B", NAN, NAN, 0, total);
	if (!isnan(v[MI_SWAP_TOTAL]) && v[MI_SWAP_TOTAL] > 0 && !isnan(v[MI_SWAP_FREE])) {
		swap_used = v[MI_SWAP_TOTAL] - v[MI_SWAP_FREE];
		if (swap_used < 0)
			swap_used = 0;
		swap_pct = swap_used * 100 / v[MI_SWAP_TOTAL];
		probe_add_metric(r, "swap_used_pct", swap_pct, "%", NAN, NAN, 0, 100);
		probe_add_metric(r, "swap_total", v[MI_SWAP_TOTAL], "B", NAN, NAN, 0, NAN);
		probe_add_metric(r, "swap_used", swap_used, "B", NAN, NAN, 0, v[MI_SWAP_TOTAL]);
		snprintf(swap, sizeof swap, "swap %.0f%%", swap_pct);
	}
	fmt_bytes(size, sizeof size, total);
	probe_set_summaryf(r, "mem %.0f%% of %s, %s", pct, size, swap);
out:
	free(buf);
	return 0;
}

/* --- disk --- */

/* Filesystems that are not disks, by df's first column (for df without -x). */
static const char *const pseudo_fs[] = { "tmpfs",  "devtmpfs", "udev",    "overlay", "squashfs",
					 "proc",   "sysfs",    "none",    "shm",     "devfs",
					 "cgroup", "cgroup2",  "efivarfs", NULL };

/* Mount points that are never disks worth watching (snaps are always 100%). */
static const char *const pseudo_mount_prefix[] = { "/proc/", "/sys/", "/snap/",
						   "/var/lib/snapd/snap/", NULL };

struct mount_use {
	char mount[64];
	double pct;
	size_t order; /* position in df's output, for a stable sort */
};

static int mount_cmp(const void *a, const void *b)
{
	const struct mount_use *x = a, *y = b;

	if (x->pct != y->pct)
		return x->pct < y->pct ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool disk_skip(const char *fs, const char *mount)
{
	for (size_t i = 0; pseudo_fs[i]; i++)
		if (strcmp(fs, pseudo_fs[i]) == 0)
			return true;
	if (strcmp(mount, "/proc") == 0 || strcmp(mount, "/sys") == 0)
		return true;
	for (size_t i = 0; pseudo_mount_prefix[i]; i++)
		if (strncmp(mount, pseudo_mount_prefix[i], strlen(pseudo_mount_prefix[i])) == 0)
			return true;
	return false;
}

/*
 * One df -P line: "FS BLOCKS USED AVAIL CAP% MOUNT". The mount point is all that
 * follows the fifth field, so it may hold spaces. false for the header, errors
 * and pseudo filesystems.
 */
static bool disk_line(char *line, struct mount_use *mu)
{
	char *f[5] = { NULL };
	char *p = line;
	double blocks, used, avail, pct;
	size_t n = 0, cl;

	while (n < 5) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return false;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (!*p)
			return false;
		*p++ = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	cl = strlen(f[4]);
	if (!*p || cl < 2 || f[4][cl - 1] != '%')
		return false;
	f[4][cl - 1] = '\0';
	if (!probe_parse_number(f[1], &blocks) || !probe_parse_number(f[2], &used) ||
	    !probe_parse_number(f[3], &avail) || !probe_parse_number(f[4], &pct))
		return false;
	/* Zero-size filesystems are pseudo ones df lists anyway. */
	if (blocks <= 0 || disk_skip(f[0], p))
		return false;
	probe_copy_utf8(mu->mount, sizeof mu->mount, p, strlen(p));
	mu->pct = pct;
	return true;
}

static int parse_disk(const char *out, size_t len, int exit_status,
		      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "disk");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	struct mount_use *mu = NULL;
	size_t n = 0, cap = 0, shown = 0;
	char list[200] = "";
	char item[96];
	char first[128];

	probe_result_init(r);
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = probe_next_line(&cur)) != NULL) {
		struct mount_use m;
		bool dup = false;

		if (!disk_line(line, &m))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(mu[i].mount, m.mount) == 0;
		if (dup)
			continue;
		if (n == cap) {
			struct mount_use *nm = mem_grow(mu, &cap, n, sizeof *nm);

			if (!nm) {
				probe_set_summaryf(r, "out of memory");
				goto out;
			}
			mu = nm;
		}
		m.order = n;
		mu[n++] = m;
	}
	if (n == 0) {
		first_line(out, len, first, sizeof first);
		probe_set_summaryf(r, "no disks in the df output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
		goto out;
	}
	qsort(mu, n, sizeof *mu, mount_cmp);
	r->value = mu[0].pct;
	r->state = probe_classify(r->value, &l);
	for (size_t i = 0; i < n && i < PROBE_MAX_METRICS; i++)
		probe_add_metric(r, mu[i].mount, mu[i].pct, "%", l.warn, l.crit, 0, 100);
	/* The first item always fits (a mount is at most 63 bytes); leave room for
	 * ", +N more". */
	for (shown = 0; shown < n; shown++) {
		snprintf(item, sizeof item, "%s %.0f%%", mu[shown].mount, mu[shown].pct);
		if (!probe_list_add(list, sizeof list - 16, item))
			break;
	}
	if (shown < n)
		probe_set_summaryf(r, "%s, +%zu more", list, n - shown);
	else
		probe_set_summaryf(r, "%s", list);
out:
	free(mu);
	free(buf);
	return 0;
}

/* --- failed units --- */

static const char *const unit_types[] = { ".service", ".socket", ".device", ".mount",
					  ".automount", ".swap", ".target", ".path",
					  ".timer", ".slice", ".scope", NULL };

static bool unit_name(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; unit_types[i]; i++) {
		size_t t = strlen(unit_types[i]);

		if (n > t && strcmp(s + n - t, unit_types[i]) == 0)
			return true;
	}
	return false;
}

static int parse_failed_units(const char *out, size_t len, int exit_status,
			      const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "failed-units");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[3] = { NULL };
	char list[200] = "";
	size_t count = 0, listed = 0;
	int rc = 0;
	double x;
	char whole[128];
	char other[128] = "";

	probe_result_init(r);
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = probe_next_line(&cur)) != NULL) {
		size_t n;

		if (strstr(line, "opsdeck-no-systemd") == line ||
		    strstr(line, "has not been booted with systemd")) {
			probe_set_summaryf(r, "no systemd on this host (systemctl missing or not PID 1)");
			goto out;
		}
		probe_copy_utf8(whole, sizeof whole, line, strlen(line));
		n = probe_split_fields(line, f, 3, false);
		if (n == 2 && strcmp(f[0], "opsdeck-systemctl-rc") == 0 && probe_parse_number(f[1], &x)) {
			rc = (int)x;
			continue;
		}
		/* "nginx.service loaded failed failed ..."; older systemd adds a bullet. */
		if (n >= 2 && (strcmp(f[0], "\xe2\x97\x8f") == 0 || strcmp(f[0], "*") == 0))
			memmove(f, f + 1, --n * sizeof f[0]);
		if (n >= 1 && unit_name(f[0])) {
			count++;
			if (probe_list_add(list, sizeof list - 16, f[0]))
				listed++;
		} else if (n >= 1 && !*other) {
			memcpy(other, whole, sizeof other);
		}
	}
	if (rc != 0) {
		probe_set_summaryf(r, "systemctl --failed exited %d%s%s", rc, *other ? ": " : "", other);
		goto out;
	}
	r->value = (double)count;
	r->state = probe_classify(r->value, &l);
	probe_add_metric(r, "failed", r->value, "", l.warn, l.crit, 0, NAN);
	if (count == 0)
		probe_set_summaryf(r, "no failed units");
	else if (listed < count)
		probe_set_summaryf(r, "%zu failed: %s, +%zu more", count, list, count - listed);
	else
		probe_set_summaryf(r, "%zu failed: %s", count, list);
out:
	free(buf);
	return 0;
}

/* --- updates --- */

static int parse_updates(const char *out, size_t len, int exit_status,
			 const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "updates");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	double pending, security, rc;
	char first[128];

	probe_result_init(r);
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = probe_next_line(&cur)) != NULL) {
		size_t n;

		if (strncmp(line, "opsdeck-updates", 15) != 0)
			continue;
		n = probe_split_fields(line, f, 4, true);
		if (n == 2 && strcmp(f[0], "opsdeck-updates") == 0 && strcmp(f[1], "none") == 0) {
			probe_set_summaryf(r, "no apt-get, dnf or yum on this host");
			goto out;
		}
		if (n >= 3 && strcmp(f[0], "opsdeck-updates-error") == 0 && probe_parse_number(f[2], &rc)) {
			probe_set_summaryf(r, "%s exited %.0f%s%s", f[1], rc, n > 3 ? ": " : "",
				     n > 3 ? f[3] : "");
			goto out;
		}
		if (n == 4 && strcmp(f[0], "opsdeck-updates") == 0 &&
		    probe_parse_number(f[2], &pending) && probe_parse_number(f[3], &security) &&
		    pending >= 0 && security >= 0) {
			r->value = security;
			r->state = probe_classify(security, &l);
			probe_add_metric(r, "pending", pending, "", NAN, NAN, 0, NAN);
			probe_add_metric(r, "security", security, "", l.warn, l.crit, 0, NAN);
			if (pending == 0 && security == 0)
				probe_set_summaryf(r, "no pending updates (%s)", f[1]);
			else
				probe_set_summaryf(r, "%.0f pending, %.0f security (%s)", pending,
					     security, f[1]);
			goto out;
		}
	}
	first_line(out, len, first, sizeof first);
	probe_set_summaryf(r, "no update counts in the output (exit %d)%s%s", exit_status,
		     *first ? ": " : "", first);
out:
	free(buf);
	return 0;
}

/* --- reboot --- */

static int parse_reboot(const char *out, size_t len, int exit_status,
			const struct probe_limits *lim, struct probe_result *r)
{
	struct probe_limits l = probe_limits_resolve(lim, "reboot");
	char *buf = probe_dup_text(out, len);
	char *cur = buf;
	char *line = NULL;
	char *f[4] = { NULL };
	char pkgs[160] = "";
	bool more = false;
	char how[64] = "";
	char first[128];
	int verdict = -1; /* 1 required, 0 not, -1 no answer, 2 cannot tell */

	probe_result_init(r);
	if (!buf) {
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	while ((line = probe_next_line(&cur)) != NULL) {
		char *rest = NULL;
		size_t n;

		if (strncmp(line, "opsdeck-reboot-pkg ", 19) == 0) {
			rest = line + 19;
			rest += strspn(rest, " \t");
			if (*rest && !probe_list_add(pkgs, sizeof pkgs - 8, rest))
				more = true;
			continue;
		}
		if (strncmp(line, "opsdeck-reboot ", 15) != 0 || verdict >= 0)
			continue;
		rest = line + 15;
		n = probe_split_fields(rest, f, 2, true);
		if (n == 0)
			continue;
		if (strcmp(f[0], "required") == 0)
			verdict = 1;
		else if (strcmp(f[0], "no") == 0)
			verdict = 0;
		else if (strcmp(f[0], "unknown") == 0)
			verdict = 2;
		else
			continue;
		if (n == 2)
			probe_copy_utf8(how, sizeof how, f[1], strlen(f[1]));
	}
	switch (verdict) {
	case 1:
	case 0:
		r->value = verdict;
		r->state = probe_classify(r->value, &l);
		probe_add_metric(r, "reboot_required", r->value, "", l.warn, l.crit, 0, 1);
		if (verdict == 0)
			probe_set_summaryf(r, "no reboot required");
		else if (*pkgs)
			probe_set_summaryf(r, "reboot required (%s%s)", pkgs, more ? ", ..." : "");
		else if (*how)
			probe_set_summaryf(r, "reboot required (%s)", how);
		else
			probe_set_summaryf(r, "reboot required");
		break;
	case 2:
		probe_set_summaryf(r, "cannot tell whether a reboot is required: %s",
			     *how ? how : "no /var/run/reboot-required or needs-restarting");
		break;
	default:
		first_line(out, len, first, sizeof first);
		probe_set_summaryf(r, "no reboot answer in the output (exit %d)%s%s", exit_status,
			     *first ? ": " : "", first);
	}
out:
	free(buf);
	return 0;
}

/* --- the table --- */

const struct probe_def probe_builtins[] = {
	{ "load", LOAD_CMD, 60, 10, 1.5, 3.0, "/cpu", parse_load },
	{ "memory", MEMORY_CMD, 60, 10, 90, 95, "%", parse_memory },
	{ "disk", DISK_CMD, 300, 20, 85, 95, "%", parse_disk },
	{ "failed-units", FAILED_UNITS_CMD, 120, 15, 1, 3, "", parse_failed_units },
	/* Main figure: security updates. A pending-only host stays OK. */
	{ "updates", UPDATES_CMD, 3600, 180, 1, 10, "", parse_updates },
	/* Main figure: 1 when a reboot is required; warn at 1, no critical. */
	{ "reboot", REBOOT_CMD, 900, 30, 1, NAN, "", parse_reboot },
};

const size_t probe_builtins_n = sizeof probe_builtins / sizeof probe_builtins[0];

/* Cheap everywhere and meaningful on any Linux host; the rest are opt-in. */
const char *const probe_default_set[] = { "load", "memory", "disk", NULL };

const struct probe_def *probe_builtin(const char *name)
{
	for (size_t i = 0; name && i < probe_builtins_n; i++)
		if (strcmp(probe_builtins[i].name, name) == 0)
			return &probe_builtins[i];
	return NULL;
}

/* ---- thresholds: the inventory's, over the built-in defaults ---- */

/* The probe's limits with NANs replaced by the built-in defaults. */
struct probe_limits probe_limits_resolve(const struct probe_limits *lim, const char *probe)
{
	const struct probe_def *d = probe_builtin(probe);
	struct probe_limits l = { d ? d->warn : NAN, d ? d->crit : NAN };

	if (lim && !isnan(lim->warn))
		l.warn = lim->warn;
	if (lim && !isnan(lim->crit))
		l.crit = lim->crit;
	return l;
}


static bool host_in_group(const struct inventory_host *h, const char *group)
{
	for (size_t i = 0; h && h->groups && h->groups[i]; i++)
		if (strcmp(h->groups[i], group) == 0)
			return true;
	return false;
}

struct probe_limits probe_limits_for(const struct inventory *inv, const struct inventory_host *h,
				     const char *probe)
{
	struct probe_limits all = { NAN, NAN }, grp = { NAN, NAN }, dflt = { NAN, NAN };
	const struct probe_def *d = probe_builtin(probe);
	struct probe_limits out;

	if (d) {
		dflt.warn = d->warn;
		dflt.crit = d->crit;
	}
	/* A custom probe's own thresholds are its defaults. */
	for (size_t i = 0; inv && probe && i < inv->n_probes; i++) {
		if (inv->probes[i].name && strcmp(inv->probes[i].name, probe) == 0) {
			dflt.warn = inv->probes[i].warn;
			dflt.crit = inv->probes[i].crit;
		}
	}
	/* Field by field, so { warn: 70 } after { warn: 80, crit: 90 } keeps crit 90. */
	for (size_t i = 0; inv && probe && i < inv->n_thresholds; i++) {
		const struct inventory_threshold *t = &inv->thresholds[i];
		struct probe_limits *to = NULL;

		if (!t->probe || strcmp(t->probe, probe) != 0)
			continue;
		if (!t->group)
			to = &all;
		else if (host_in_group(h, t->group))
			to = &grp;
		else
			continue;
		if (!isnan(t->warn))
			to->warn = t->warn;
		if (!isnan(t->crit))
			to->crit = t->crit;
	}
	out.warn = !isnan(grp.warn) ? grp.warn : !isnan(all.warn) ? all.warn : dflt.warn;
	out.crit = !isnan(grp.crit) ? grp.crit : !isnan(all.crit) ? all.crit : dflt.crit;
	return out;
}

