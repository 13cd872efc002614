/*
 * bench_log: the measuring half of `make bench` (bench/run.sh is the other half).
 * Fills shift-log databases with deterministic, realistic entries through the real
 * core API, and times appends, searches and scrolled pages with CLOCK_MONOTONIC.
 * Every subcommand prints one line of key=value figures; it never judges them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "clock.h"
#include "err.h"
#include "shiftlog.h"
#include "store.h"

/* Bump when gen_row changes: run.sh rebuilds a cached database made by another version. */
#define GEN_VERSION 1
#define BATCH 10000
#define PAGE_ROWS 50
/* 2024-01-01T00:00:00Z: entries are spread one a minute from here. */
#define TS_BASE_MS INT64_C(1704067200000)
/* Stored in place of a chain hash where a peer measurement skips hashing. */
#define FAKE_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- time, statistics, memory ---- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof ru);
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss; /* Linux reports kilobytes */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats {
	double median, p99, mean, min, max;
};

/* Sorts v in place and summarises it; p99 is the nearest-rank percentile. */
static struct stats summarise(double *v, size_t n)
{
	struct stats s = { 0, 0, 0, 0, 0 };
	double sum = 0;
	size_t rank;

	if (n == 0)
		return s;
	qsort(v, n, sizeof *v, cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	rank = (99 * n + 99) / 100; /* ceil(0.99 n) */
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p99 = v[(rank ? rank : 1) - 1];
	s.mean = sum / (double)n;
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

static void print_stats(const char *prefix, const struct stats *s)
{
	printf("%smedian_ms=%.3f %sp99_ms=%.3f %smean_ms=%.3f %smin_ms=%.3f %smax_ms=%.3f",
	       prefix, s->median, prefix, s->p99, prefix, s->mean, prefix, s->min, prefix, s->max);
}

static bool parse_count(const char *s, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

/* ---- deterministic rows ---- */

struct row {
	int64_t ts_ms;
	int64_t corrects; /* 0: none */
	const char *category;
	const char *severity;
	bool has_host;
	char host[16];
	char text[640];
};

struct rng {
	uint64_t s;
};

/* splitmix64: each row is a function of its id alone, so peers can rebuild it. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

#define PICK(r, arr) ((arr)[rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

static const char *const procs[] = { "nginx", "postgres", "redis", "java", "node", "haproxy",
				     "sshd", "systemd-journald", "prometheus", "kafka" };
static const char *const mounts[] = { "/var", "/var/log", "/srv", "/home", "/tmp", "/data" };
static const char *const reasons[] = { "config change", "memory leak", "upstream timeouts",
				       "certificate rotation", "kernel update", "502 errors",
				       "stuck workers", "a full queue" };
static const char *const people[] = { "ana", "bruno", "chloé", "dmitri", "eun-ji", "farid",
				      "greta", "hiro", "zoë", "łukasz" };
static const char *const runbooks[] = { "rb-disk-cleanup", "rb-pg-failover", "rb-nginx-restart",
					"rb-cert-rotate", "rb-oom", "rb-deploy-rollback" };
#define N_TAILS 8 /* trailing clauses, chosen in gen_row */

/* Appends printf output to buf at *len, never past cap. */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < cap - 1 ? *len + (size_t)n : cap - 1;
}

/*
 * Builds entry `id`: a timestamp about a minute after the previous one, a host for
 * most entries, text from operator-style templates (a few in French, German,
 * Japanese and Chinese), and 0-3 trailing clauses. "segfault" is rare (about 1 in
 * 10,000 entries) so a rare-word search has a known small answer.
 */
static void gen_row(int64_t id, struct row *w)
{
	struct rng r = { (uint64_t)id * UINT64_C(0x2545F4914F6CDD1D) ^ UINT64_C(0x6f70736465636b) };
	char h2[16];
	size_t len = 0;
	unsigned roll, sev, tmpl, ntails;
	const size_t cap = sizeof w->text;

	memset(w, 0, sizeof *w);
	w->ts_ms = TS_BASE_MS + id * 60000 + (int64_t)rng_below(&r, 30000);
	switch (rng_below(&r, 10)) {
	case 0: snprintf(w->host, sizeof w->host, "db%02u", 1 + rng_below(&r, 12)); break;
	case 1: snprintf(w->host, sizeof w->host, "lb%02u", 1 + rng_below(&r, 4)); break;
	default: snprintf(w->host, sizeof w->host, "web%02u", 1 + rng_below(&r, 99));
	}
	snprintf(h2, sizeof h2, "web%02u", 1 + rng_below(&r, 99));
	w->has_host = rng_below(&r, 100) < 85;

	sev = rng_below(&r, 100);
	w->severity = sev < 70 ? "info" : sev < 88 ? "notice" : sev < 97 ? "warning" : "critical";

	roll = rng_below(&r, 100000);
	tmpl = roll < 10 ? 99 : rng_below(&r, 20);
	switch (tmpl) {
	case 0: case 1:
		w->category = "alarm";
		add(w->text, cap, &len, "%s: disk %s at %u%% used, rotated logs", w->host,
		    PICK(&r, mounts), 70 + rng_below(&r, 30));
		break;
	case 2:
		w->category = "action";
		add(w->text, cap, &len, "%s: disk full on %s, cleaned %u GB of old journals",
		    w->host, PICK(&r, mounts), 1 + rng_below(&r, 80));
		break;
	case 3: case 4:
		w->category = "action";
		add(w->text, cap, &len, "restarted nginx on %s after %s", w->host, PICK(&r, reasons));
		break;
	case 5:
		w->category = "alarm";
		add(w->text, cap, &len, "nginx %u errors spiking on %s, upstream %s slow",
		    500 + rng_below(&r, 5), w->host, h2);
		break;
	case 6:
		w->category = "action";
		add(w->text, cap, &len, "postgres failover from db%02u to db%02u completed in %us",
		    1 + rng_below(&r, 12), 1 + rng_below(&r, 12), 2 + rng_below(&r, 60));
		break;
	case 7:
		w->category = "alarm";
		add(w->text, cap, &len, "postgres replication lag %us on %s", 1 + rng_below(&r, 900),
		    w->host);
		break;
	case 8: case 9:
		w->category = "note";
		add(w->text, cap, &len, "load average %u.%02u on %s, %s using %u%% CPU",
		    1 + rng_below(&r, 40), rng_below(&r, 100), w->host, PICK(&r, procs),
		    5 + rng_below(&r, 95));
		break;
	case 10:
		w->category = "alarm";
		add(w->text, cap, &len, "memory pressure on %s: %s RSS %u MB, oom-killer idle",
		    w->host, PICK(&r, procs), 200 + rng_below(&r, 30000));
		break;
	case 11:
		w->category = "action";
		add(w->text, cap, &len, "rotated certificates on lb%02u, expiry 2026-%02u-%02u",
		    1 + rng_below(&r, 4), 1 + rng_below(&r, 12), 1 + rng_below(&r, 28));
		break;
	case 12:
		w->category = "action";
		add(w->text, cap, &len, "deployed release 4.%u.%u to %s, smoke tests passed",
		    rng_below(&r, 30), rng_below(&r, 20), w->host);
		break;
	case 13:
		w->category = "action";
		add(w->text, cap, &len, "rollback of release 4.%u.%u on %s: health check failed",
		    rng_below(&r, 30), rng_below(&r, 20), w->host);
		break;
	case 14:
		w->category = "system";
		add(w->text, cap, &len, "backup of db%02u finished, %u GB in %u min",
		    1 + rng_below(&r, 12), 10 + rng_below(&r, 500), 3 + rng_below(&r, 120));
		break;
	case 15:
		w->category = "note";
		add(w->text, cap, &len, "Mise à jour du noyau terminée sur %s, redémarrage prévu à "
		    "%02u h", w->host, rng_below(&r, 24));
		break;
	case 16:
		w->category = "note";
		add(w->text, cap, &len, "Überprüfung der Festplatte auf %s abgeschlossen, Größe "
		    "%u GB", w->host, 100 + rng_below(&r, 900));
		break;
	case 17:
		w->category = "alarm";
		if (rng_below(&r, 2))
			add(w->text, cap, &len, "%s のディスク使用率が %u%% に達しました", w->host,
			    80 + rng_below(&r, 20));
		else
			add(w->text, cap, &len, "%s 磁盘空间不足，已清理日志", w->host);
		break;
	case 18:
		w->category = "alarm";
		add(w->text, cap, &len, "paged on-call: %s unreachable, ping loss %u%%", w->host,
		    10 + rng_below(&r, 90));
		break;
	case 19:
		w->category = "note";
		add(w->text, cap, &len, "%u open incidents at shift change, watch %s and %s",
		    rng_below(&r, 9), w->host, h2);
		break;
	default:
		w->category = "alarm";
		add(w->text, cap, &len, "kernel segfault in %s on %s, core dumped to /var/crash",
		    PICK(&r, procs), w->host);
	}
	ntails = rng_below(&r, 4);
	for (unsigned i = 0; i < ntails; i++) {
		unsigned t = rng_below(&r, N_TAILS);

		add(w->text, cap, &len, "; ");
		switch (t) {
		case 0: add(w->text, cap, &len, "no customer impact"); break;
		case 1: add(w->text, cap, &len, "monitoring"); break;
		case 2: add(w->text, cap, &len, "ticket OPS-%u", 1000 + rng_below(&r, 90000)); break;
		case 3: add(w->text, cap, &len, "see runbook %s", PICK(&r, runbooks)); break;
		case 4: add(w->text, cap, &len, "will check again at %02u:%02u", rng_below(&r, 24),
			    rng_below(&r, 60)); break;
		case 5: add(w->text, cap, &len, "cc %s", PICK(&r, people)); break;
		case 6: add(w->text, cap, &len, "graphs attached to the incident"); break;
		default: add(w->text, cap, &len, "nothing else in the logs");
		}
	}
	/* About 1 in 300 entries corrects one of the 50 before it. */
	if (id > 60 && rng_below(&r, 300) == 0) {
		w->corrects = id - 1 - (int64_t)rng_below(&r, 50);
		w->category = "correction";
		len = 0;
		add(w->text, cap, &len, "correction: the host was %s, not %s", h2, w->host);
	}
}

/* ---- opening ---- */

static struct store *open_or_die(const char *path)
{
	struct store *st = NULL;
	struct err e = { { 0 } };

	if (store_open(path, &st, &e)) {
		fprintf(stderr, "bench_log: %s\n", e.msg);
		exit(1);
	}
	return st;
}

/* Highest id of table (log_entries or log_plain); 0 when empty. */
static int64_t max_id(struct store *st, const char *table)
{
	char sql[128];
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) FROM %s", table);
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ---- appending ---- */

/*
 * Appends entries first..last through shiftlog_append, BATCH per transaction,
 * with the clock pinned to each entry's timestamp. Returns 0 or -1.
 */
static int append_range(struct store *st, int64_t first, int64_t last, bool progress)
{
	struct err e = { { 0 } };
	struct row w;
	int64_t done = 0;
	int rc = -1;

	for (int64_t id = first; id <= last; id++) {
		struct shiftlog_new n;

		gen_row(id, &w);
		memset(&n, 0, sizeof n);
		n.category = w.category;
		n.severity = w.severity;
		n.text = w.text;
		n.host = w.has_host ? w.host : NULL;
		n.corrects = w.corrects;
		clock_pin(w.ts_ms);
		if (done % BATCH == 0 && store_begin(st, &e))
			goto out;
		if (shiftlog_append(st, &n, NULL, &e))
			goto out;
		done++;
		if ((done % BATCH == 0 || id == last) && store_commit(st, &e))
			goto out;
		if (progress && done % 100000 == 0)
			fprintf(stderr, "bench_log: %" PRId64 " entries\n", id);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_log: append: %s\n", e.msg);
	store_rollback(st);
	clock_unpin();
	return rc;
}

static void print_rate(const char *what, int64_t n, int64_t us)
{
	double secs = (double)us / 1e6;

	printf("op=%s n=%" PRId64 " secs=%.3f rate=%.0f us_per_entry=%.2f rss_kb=%ld\n", what, n,
	       secs, secs > 0 ? (double)n / secs : 0, n ? (double)us / (double)n : 0, peak_rss_kb());
}

/* fill DB N: extends DB to N entries (the first one a shift start). */
static int cmd_fill(const char *db, long n)
{
	struct store *st = open_or_die(db);
	struct err e = { { 0 } };
	int64_t have, t0;
	int rc = 1;

	have = max_id(st, "log_entries");
	if (have == 0) {
		/* One open shift, so entries carry a shift id as real ones do. */
		clock_pin(TS_BASE_MS);
		if (shiftlog_shift_start(st, NULL, &e)) {
			fprintf(stderr, "bench_log: %s\n", e.msg);
			goto out;
		}
		clock_unpin();
		have = 1;
	}
	t0 = mono_us();
	if (have < n && append_range(st, have + 1, n, true))
		goto out;
	print_rate("fill", n > have ? n - have : 0, mono_us() - t0);
	rc = 0;
out:
	store_close(&st);
	return rc;
}

/* append-rate DB N: appends N more entries through shiftlog_append. */
static int cmd_append_rate(const char *db, long n)
{
	struct store *st = open_or_die(db);
	int64_t first = max_id(st, "log_entries") + 1;
	int64_t t0 = mono_us();
	int rc = 1;

	if (append_range(st, first, first + n - 1, false))
		goto out;
	print_rate("append", n, mono_us() - t0);
	rc = 0;
out:
	store_close(&st);
	return rc;
}

static const char PLAIN_SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS log_plain ("
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, operator TEXT NOT NULL,"
	"  shift_id INTEGER, category TEXT NOT NULL, severity TEXT NOT NULL,"
	"  text TEXT NOT NULL, host TEXT, incident_id INTEGER, window_id INTEGER,"
	"  run_id INTEGER, corrects INTEGER, hash TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS plain_ts ON log_plain(ts);"
	"CREATE INDEX IF NOT EXISTS plain_category ON log_plain(category, id);"
	"CREATE INDEX IF NOT EXISTS plain_corrects ON log_plain(corrects) WHERE corrects IS NOT NULL;";

/*
 * Inserts entries first..last with one prepared INSERT into table, BATCH per
 * transaction: the same rows as append_range, with a fixed hash and no chain work.
 */
static int insert_range(struct store *st, const char *table, int64_t first, int64_t last)
{
	char sql[256];
	struct err e = { { 0 } };
	sqlite3_stmt *s = NULL;
	struct row w;
	int64_t done = 0;
	int rc = -1;

	snprintf(sql, sizeof sql,
		 "INSERT INTO %s(id, ts, operator, shift_id, category, severity, text, host,"
		 " corrects, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", table);
	if (!(s = store_prepare(st, sql, &e)))
		goto out;
	for (int64_t id = first; id <= last; id++) {
		gen_row(id, &w);
		if (done % BATCH == 0 && store_begin(st, &e))
			goto out;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, w.ts_ms);
		sqlite3_bind_text(s, 3, shiftlog_operator(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, 1);
		sqlite3_bind_text(s, 5, w.category, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, w.severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, w.text, -1, SQLITE_STATIC);
		if (w.has_host)
			sqlite3_bind_text(s, 8, w.host, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 8);
		if (w.corrects)
			sqlite3_bind_int64(s, 9, w.corrects);
		else
			sqlite3_bind_null(s, 9);
		sqlite3_bind_text(s, 10, FAKE_HASH, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			err_set(&e, "%s", sqlite3_errmsg(store_db(st)));
			goto out;
		}
		done++;
		if ((done % BATCH == 0 || id == last) && store_commit(st, &e))
			goto out;
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_log: insert into %s: %s\n", table, e.msg);
	store_rollback(st);
	sqlite3_finalize(s);
	return rc;
}

/*
 * raw-rate DB N: the same rows INSERTed straight into log_entries (indexes, the FTS
 * trigger and FTS5 all run; hashing, the predecessor and shift look-ups do not).
 * It breaks the chain, so run.sh uses it only on a scratch copy.
 */
static int cmd_raw_rate(const char *db, long n)
{
	struct store *st = open_or_die(db);
	int64_t first = max_id(st, "log_entries") + 1;
	int64_t t0 = mono_us();
	int rc = 1;

	if (insert_range(st, "log_entries", first, first + n - 1))
		goto out;
	print_rate("raw", n, mono_us() - t0);
	rc = 0;
out:
	store_close(&st);
	return rc;
}

/*
 * plain-rate DB N: the peer. A table with log_entries' columns and indexes but no
 * FTS and no triggers, first filled (untimed) with a copy of log_entries so it is as
 * big, then N of the same rows timed.
 */
static int cmd_plain_rate(const char *db, long n)
{
	struct store *st = open_or_die(db);
	struct err e = { { 0 } };
	int64_t first, t0;
	int rc = 1;

	if (store_exec(st, PLAIN_SCHEMA, &e))
		goto fail;
	if (max_id(st, "log_plain") == 0) {
		t0 = mono_us();
		if (store_exec(st, "INSERT INTO log_plain SELECT * FROM log_entries", &e))
			goto fail;
		fprintf(stderr, "bench_log: copied log_entries into log_plain in %.1f s\n",
			(double)(mono_us() - t0) / 1e6);
	}
	first = max_id(st, "log_plain") + 1;
	t0 = mono_us();
	if (insert_range(st, "log_plain", first, first + n - 1))
		goto out;
	print_rate("plain", n, mono_us() - t0);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_log: %s\n", e.msg);
out:
	store_close(&st);
	return rc;
}

/* hash-rate N: shiftlog_hash alone over N generated rows (no database). */
static int cmd_hash_rate(long n)
{
	struct shiftlog_entry x;
	struct row w;
	char prev[SHIFTLOG_HASH_HEX] = "";
	int64_t t0 = mono_us();

	for (long i = 1; i <= n; i++) {
		gen_row(i, &w);
		memset(&x, 0, sizeof x);
		x.id = i;
		x.ts_ms = w.ts_ms;
		x.operator_name = (char *)shiftlog_operator();
		x.shift_id = 1;
		x.category = (char *)w.category;
		x.severity = (char *)w.severity;
		x.text = w.text;
		x.host = w.has_host ? w.host : NULL;
		x.corrects = w.corrects;
		shiftlog_hash(&x, prev, x.hash);
		memcpy(prev, x.hash, sizeof prev);
	}
	print_rate("hash", n, mono_us() - t0);
	return 0;
}

/* gen-rate N: gen_row alone, to subtract the generator's own cost from the rates. */
static int cmd_gen_rate(long n)
{
	struct row w;
	size_t bytes = 0;
	int64_t t0 = mono_us();

	for (long i = 1; i <= n; i++) {
		gen_row(i, &w);
		bytes += strlen(w.text);
	}
	print_rate("gen", n, mono_us() - t0);
	printf("op=gen avg_text_bytes=%.1f\n", (double)bytes / (double)n);
	return 0;
}

/* ---- reading ---- */

struct page_acc {
	int rows;
	int64_t last_id;
	size_t bytes; /* touch the text, as drawing would */
};

static int on_row(const struct shiftlog_entry *x, void *ud)
{
	struct page_acc *a = ud;

	a->rows++;
	a->last_id = x->id;
	a->bytes += strlen(x->text);
	return 0;
}

/* Fills f from a filter kind: all, match, category, severity, host. */
static int make_filter(const char *kind, const char *value, struct shiftlog_filter *f)
{
	memset(f, 0, sizeof *f);
	if (strcmp(kind, "all") == 0)
		return 0;
	if (strcmp(kind, "match") == 0)
		f->match = value;
	else if (strcmp(kind, "category") == 0)
		f->category = value;
	else if (strcmp(kind, "severity") == 0)
		f->min_severity = value;
	else if (strcmp(kind, "host") == 0)
		f->host = value;
	else
		return -1;
	return 0;
}

/*
 * Times reps calls of shiftlog_page. With scroll, each call continues older from
 * the last row of the one before (wrapping to the newest at the end), as the Log
 * view does while scrolling; without, every call asks for the newest page.
 */
static int time_pages(const char *db, const char *kind, const char *value, long reps,
		      bool scroll)
{
	struct store *st = open_or_die(db);
	struct shiftlog_filter f;
	struct err e = { { 0 } };
	struct page_acc acc;
	struct stats s;
	double *ms = NULL;
	double first_ms = 0;
	int64_t anchor = 0, t0;
	long rows = 0;
	int rc = 1;

	if (make_filter(kind, value, &f)) {
		fprintf(stderr, "bench_log: unknown filter kind '%s'\n", kind);
		goto out;
	}
	if (!(ms = calloc((size_t)reps, sizeof *ms)))
		goto out;
	/* The first call (prepare, cold cache pages) is reported on its own. */
	for (long i = -1; i < reps; i++) {
		memset(&acc, 0, sizeof acc);
		t0 = mono_us();
		if (shiftlog_page(st, &f, SHIFTLOG_OLDER, anchor, PAGE_ROWS, on_row, &acc, &e) < 0) {
			fprintf(stderr, "bench_log: %s\n", e.msg);
			goto out;
		}
		if (i < 0)
			first_ms = (double)(mono_us() - t0) / 1e3;
		else
			ms[i] = (double)(mono_us() - t0) / 1e3;
		if (i >= 0)
			rows += acc.rows;
		if (scroll)
			anchor = acc.rows == PAGE_ROWS ? acc.last_id : 0;
	}
	s = summarise(ms, (size_t)reps);
	printf("op=%s kind=%s reps=%ld rows_per_page=%.1f first_ms=%.3f ", scroll ? "scroll" : "page",
	       kind, reps, (double)rows / (double)reps, first_ms);
	print_stats("", &s);
	printf(" rss_kb=%ld\n", peak_rss_kb());
	rc = 0;
out:
	free(ms);
	store_close(&st);
	return rc;
}

/* Catches the one statement shiftlog_page prepares, bound values filled in. */
static int trace_cb(unsigned type, void *ud, void *p, void *x)
{
	char **out = ud;
	char *sql = NULL;

	/* FTS5 runs its own statements on shadow tables, all qualified with 'main'. */
	if (type != SQLITE_TRACE_STMT || *out || strstr((const char *)x, "'main'."))
		return 0;
	sql = sqlite3_expanded_sql(p);
	if (sql) {
		*out = strdup(sql);
		sqlite3_free(sql);
	}
	return 0;
}

/* sql DB KIND VALUE: prints the SQL the console runs for that newest page, one line. */
static int cmd_sql(const char *db, const char *kind, const char *value)
{
	struct store *st = open_or_die(db);
	struct shiftlog_filter f;
	struct err e = { { 0 } };
	struct page_acc acc;
	char *sql = NULL;
	int rc = 1;

	memset(&acc, 0, sizeof acc);
	if (make_filter(kind, value, &f))
		goto out;
	sqlite3_trace_v2(store_db(st), SQLITE_TRACE_STMT, trace_cb, &sql);
	if (shiftlog_page(st, &f, SHIFTLOG_OLDER, 0, PAGE_ROWS, on_row, &acc, &e) < 0) {
		fprintf(stderr, "bench_log: %s\n", e.msg);
		goto out;
	}
	sqlite3_trace_v2(store_db(st), 0, NULL, NULL);
	if (!sql)
		goto out;
	for (char *p = sql; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("%s;\n", sql);
	rc = 0;
out:
	free(sql);
	store_close(&st);
	return rc;
}

/* ---- the cache check ---- */

/*
 * info DB: entries and a digest of the schema, read without store_open so an old
 * file is looked at, never migrated.
 */
static int cmd_info(const char *db)
{
	static const char q[] = "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
				" WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name";
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int64_t entries = -1;
	int version = -1;
	int rc = 1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (!(md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto out;
	if (sqlite3_prepare_v2(h, q, -1, &s, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int c = 0; c < 4; c++) {
			const unsigned char *t = sqlite3_column_text(s, c);

			EVP_DigestUpdate(md, t ? (const char *)t : "", t ? strlen((const char *)t) : 0);
			EVP_DigestUpdate(md, "\n", 1);
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	EVP_DigestFinal_ex(md, dig, &dlen);
	if (sqlite3_prepare_v2(h, "SELECT max(version) FROM schema_version", -1, &s, NULL) ==
		    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(h, "SELECT coalesce(max(id), 0) FROM log_entries", -1, &s, NULL) ==
		    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		entries = sqlite3_column_int64(s, 0);
	printf("gen=%d schema_version=%d entries=%" PRId64 " schema_sha256=", GEN_VERSION, version,
	       entries);
	for (unsigned i = 0; i < dlen && i < 8; i++)
		printf("%02x", dig[i]);
	printf("\n");
	rc = 0;
out:
	sqlite3_finalize(s);
	EVP_MD_CTX_free(md);
	sqlite3_close(h);
	return rc;
}

/* ---- processes ---- */

/* launch FILE CMD...: writes "<monotonic us> <pid>" to FILE, then becomes CMD. */
static int cmd_launch(const char *file, char **argv)
{
	FILE *f = fopen(file, "w");

	if (!f) {
		perror(file);
		return 1;
	}
	fprintf(f, "%" PRId64 " %ld\n", mono_us(), (long)getpid());
	fclose(f);
	execvp(argv[0], argv);
	perror(argv[0]);
	return 127;
}

/* Runs argv once with stdin from in and stdout to out (NULL: /dev/null). */
static int run_once(char **argv, const char *in, const char *out, double *ms, long *rss_kb)
{
	struct rusage ru;
	int status = 0;
	int64_t t0 = mono_us();
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fi = open(in ? in : "/dev/null", O_RDONLY);
		int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fi < 0 || fo < 0)
			_exit(126);
		dup2(fi, 0);
		dup2(fo, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	memset(&ru, 0, sizeof ru);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*ms = (double)(mono_us() - t0) / 1e3;
	*rss_kb = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * exec REPS [-i IN] [-o OUT] -- CMD...: runs CMD REPS times, reporting wall time
 * (fork to reaped) and the largest peak RSS of any run.
 */
static int cmd_exec(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	double *ms = NULL;
	struct stats s;
	long reps = 0, rss = 0, max_rss = 0;
	int fails = 0, last = 0, i = 1;
	int rc = 1;

	if (argc < 3 || !parse_count(argv[0], &reps))
		goto out;
	for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			goto out;
		if (strcmp(argv[i], "-i") == 0)
			in = argv[i + 1];
		else if (strcmp(argv[i], "-o") == 0)
			out = argv[i + 1];
		else
			goto out;
	}
	if (i + 1 >= argc || !(ms = calloc((size_t)reps, sizeof *ms)))
		goto out;
	for (long r = 0; r < reps; r++) {
		last = run_once(argv + i + 1, in, out, &ms[r], &rss);
		if (last != 0)
			fails++;
		if (rss > max_rss)
			max_rss = rss;
	}
	s = summarise(ms, (size_t)reps);
	printf("op=exec reps=%ld fails=%d last_status=%d ", reps, fails, last);
	print_stats("", &s);
	printf(" rss_kb=%ld\n", max_rss);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "usage: bench_log exec REPS [-i IN] [-o OUT] -- CMD [ARGS...]\n");
	free(ms);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_log now\n"
		"       bench_log launch FILE CMD [ARGS...]\n"
		"       bench_log info DB\n"
		"       bench_log fill DB N\n"
		"       bench_log append-rate|raw-rate|plain-rate DB N\n"
		"       bench_log hash-rate|gen-rate N\n"
		"       bench_log search DB QUERY REPS\n"
		"       bench_log page|scroll DB all|category|severity|host|match VALUE REPS\n"
		"       bench_log sql DB all|category|severity|host|match VALUE\n"
		"       bench_log exec REPS [-i IN] [-o OUT] -- CMD [ARGS...]\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	long n = 0;

	/* Output goes to files and pipes; keep each line whole. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "now") == 0) {
		printf("%" PRId64 "\n", mono_us());
		return 0;
	}
	if (strcmp(cmd, "launch") == 0 && argc >= 4)
		return cmd_launch(argv[2], argv + 3);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 2, argv + 2);
	if (strcmp(cmd, "info") == 0 && argc == 3)
		return cmd_info(argv[2]);
	if (strcmp(cmd, "sql") == 0 && argc == 5)
		return cmd_sql(argv[2], argv[3], argv[4]);
	if ((strcmp(cmd, "hash-rate") == 0 || strcmp(cmd, "gen-rate") == 0) && argc == 3 &&
	    parse_count(argv[2], &n))
		return cmd[0] == 'h' ? cmd_hash_rate(n) : cmd_gen_rate(n);
	if (argc == 4 && parse_count(argv[3], &n)) {
		if (strcmp(cmd, "fill") == 0)
			return cmd_fill(argv[2], n);
		if (strcmp(cmd, "append-rate") == 0)
			return cmd_append_rate(argv[2], n);
		if (strcmp(cmd, "raw-rate") == 0)
			return cmd_raw_rate(argv[2], n);
		if (strcmp(cmd, "plain-rate") == 0)
			return cmd_plain_rate(argv[2], n);
	}
	if (strcmp(cmd, "search") == 0 && argc == 5 && parse_count(argv[4], &n))
		return time_pages(argv[2], "match", argv[3], n, false);
	if ((strcmp(cmd, "page") == 0 || strcmp(cmd, "scroll") == 0) && argc == 6 &&
	    parse_count(argv[5], &n))
		return time_pages(argv[2], argv[3], argv[4], n, cmd[0] == 's');
	usage();
	return 2;
}
