/*
 * backup: online backup, verification, generations and restore of the database.
 *
 * Every file is first written under a temporary name in its destination folder
 * (mkstemp: O_EXCL, never through a link), verified, given its mode with fchmod on
 * its own descriptor, fsync-ed, and only then linked or renamed to its name; the
 * folder is fsync-ed after. So a name never points at an unverified copy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backup.h"
#include "clock.h"

#define BACKUP_CHUNK_PAGES 256  /* pages per backup step: one short read transaction */
#define BACKUP_MAX_RESTARTS 3   /* then the rest in one step (WAL: writers go on) */
#define BACKUP_GEN_PREFIX "opsdeck-"
#define BACKUP_GEN_SUFFIX ".db"
#define BACKUP_STAMP_LEN 16     /* YYYYMMDDTHHMMSSZ */

void backup_config_defaults(struct backup_config *c)
{
	c->dir[0] = '\0';
	c->keep = BACKUP_KEEP_DEFAULT;
}

int backup_config_read(const struct ydoc *doc, const char *home, struct backup_config *c,
		       struct err *e)
{
	const struct ynode *m = doc->root ? ynode_get(doc->root, "backup") : NULL;

	if (!m)
		return 0;
	if (m->kind != YNODE_MAP)
		return ydoc_error(doc, m, e, "backup: expected a map {dir: PATH, keep: 7}");
	for (size_t i = 0; i < m->n / 2; i++) {
		const struct ynode *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		char *end = NULL;
		long n;
		int len;

		if (k->kind != YNODE_SCALAR)
			return ydoc_error(doc, k, e, "backup: unknown key (dir, keep)");
		if (v->kind != YNODE_SCALAR || !*v->value)
			return ydoc_error(doc, v, e, "backup.%s: expected a value", k->value);
		if (strcmp(k->value, "dir") == 0) {
			if (strncmp(v->value, "~/", 2) == 0)
				len = snprintf(c->dir, sizeof c->dir, "%s/%s", home ? home : "",
					       v->value + 2);
			else
				len = snprintf(c->dir, sizeof c->dir, "%s", v->value);
			if (len < 0 || (size_t)len >= sizeof c->dir)
				return ydoc_error(doc, v, e, "backup.dir: path too long");
		} else if (strcmp(k->value, "keep") == 0) {
			errno = 0;
			n = strtol(v->value, &end, 10);
			if (errno || *end || n < 1 || n > 1000)
				return ydoc_error(doc, v, e,
						  "backup.keep: expected a number of generations 1..1000");
			c->keep = (int)n;
		} else {
			return ydoc_error(doc, k, e, "backup: unknown key (dir, keep)");
		}
	}
	return 0;
}

/* ---- small file helpers ---- */

/* Puts before and after around e's message (through a copy: it is an argument). */
static void backup_err_wrap(struct err *e, const char *before, const char *after)
{
	char msg[sizeof e->msg];

	if (!e)
		return;
	snprintf(msg, sizeof msg, "%s", e->msg);
	err_set(e, "%s%.900s%s", before, msg, after);
}

/* Writes the folder part of path into dir ("." when there is none). -1 if too long. */
static int backup_dirname(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(dir, len, ".");
	else if (slash == path)
		n = snprintf(dir, len, "/");
	else
		n = snprintf(dir, len, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Creates dir and missing parents 0700; never changes the mode of one that exists. */
static int backup_mkdirs(const char *dir, struct err *e)
{
	char buf[BACKUP_PATH_MAX];
	struct stat sb;

	if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
		err_set(e, "%s: path too long", dir);
		return -1;
	}
	for (char *s = buf + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			err_set(e, "%s: %s", buf, strerror(errno));
			return -1;
		}
		*s = c;
		if (!c)
			break;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		err_set(e, "%s: not a folder", dir);
		return -1;
	}
	return 0;
}

/* fsyncs a folder so a rename or link in it is durable. */
static int backup_sync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		err_set(e, "%s: fsync: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Makes a new empty file "DIR/.opsdeck-WHAT-XXXXXX" with mode (O_EXCL by
 * mkstemp, the mode set on the descriptor). Its path goes to out.
 */
static int backup_mktemp(const char *dir, const char *what, mode_t mode, char *out, size_t len,
			 struct err *e)
{
	int fd;

	if (snprintf(out, len, "%s/.opsdeck-%s-XXXXXX", dir, what) >= (int)len) {
		err_set(e, "%s: path too long", dir);
		return -1;
	}
	fd = mkstemp(out);
	if (fd < 0) {
		err_set(e, "%s: cannot create a file: %s", dir, strerror(errno));
		out[0] = '\0';
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		err_set(e, "%s: %s", out, strerror(errno));
		close(fd);
		unlink(out);
		out[0] = '\0';
		return -1;
	}
	return fd;
}

/* Removes a temporary database and whatever SQLite left beside it. */
static void backup_unlink_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char buf[BACKUP_PATH_MAX + 16];

	if (!path || !*path)
		return;
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", path, suffix[i]);
		unlink(buf);
	}
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static void backup_hex(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Reads in to its end, hashing what it reads (SHA-256, as hex) and, when out >= 0,
 * writing it there too; *size gets the bytes read (may be NULL). name is in/out's
 * file for messages. 0, or -1 with e set.
 */
static int backup_stream(int in, int out, const char *name, int64_t *size,
			 char hex[SHIFTLOG_HASH_HEX], struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int64_t total = 0;
	ssize_t n = 0;
	int rc = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err_set(e, "SHA-256 unavailable");
		goto out;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += n;
		for (ssize_t off = 0; out >= 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				err_set(e, "writing the copy of %s: %s", name, strerror(errno));
				goto out;
			}
			off += w;
		}
	}
	if (n < 0) {
		err_set(e, "%s: %s", name, strerror(errno));
		goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		err_set(e, "SHA-256 failed");
		goto out;
	}
	backup_hex(md, mdlen, hex);
	if (size)
		*size = total;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * Seals a finished temporary file: opens it without following a link, sets
 * mode on the descriptor (store_open may have made it 0600), fsyncs it and
 * reads its size and SHA-256.
 */
static int backup_seal(const char *path, mode_t mode, int64_t *size, char hex[SHIFTLOG_HASH_HEX],
		       struct err *e)
{
	struct stat sb;
	int fd = -1;
	int rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		err_set(e, "%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	if ((sb.st_mode & 07777) != mode && fchmod(fd, mode) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (backup_stream(fd, -1, path, size, hex, e))
		goto out;
	if (fsync(fd) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The mode a copy of the file at path gets: the owner's and group's read and
 * write bits of the original (0600 or 0660), never anything for others. */
static mode_t backup_copy_mode(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return 0600;
	return (sb.st_mode & 0060) ? 0660 : 0600;
}

/* "YYYYMMDDTHHMMSSZ" for ms (UTC). */
static void backup_stamp(int64_t ms, char out[BACKUP_STAMP_LEN + 1])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, BACKUP_STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- verification ---- */

/* PRAGMA integrity_check: 0 when it says "ok", -1 with its first complaint. */
static int backup_integrity(struct store *st, struct err *e)
{
	sqlite3_stmt *s = store_prepare(st, "PRAGMA integrity_check", e);
	int rc = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		err_set(e, "%s: integrity check: %s", store_path(st), sqlite3_errmsg(store_db(st)));
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		err_set(e, "%s: integrity check failed: %s", store_path(st),
			(const char *)sqlite3_column_text(s, 0));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Integrity and chain of an open store; fills out. */
static int backup_verify_store(struct store *st, struct backup_check *out, struct err *e)
{
	struct shiftlog_verify_result r;
	struct shiftlog_entry head;

	memset(out, 0, sizeof *out);
	if (backup_integrity(st, e) || shiftlog_verify(st, &r, e))
		return -1;
	if (r.first_bad) {
		err_set(e, "%s: the shift log's chain is broken at entry #%" PRId64 ": %s",
			store_path(st), r.first_bad, r.reason);
		return -1;
	}
	out->entries = shiftlog_last_id(st);
	if (out->entries > 0) {
		memset(&head, 0, sizeof head);
		if (shiftlog_get(st, out->entries, &head, e))
			return -1;
		out->head_id = head.id;
		snprintf(out->head, sizeof out->head, "%s", head.hash);
		shiftlog_entry_clear(&head);
	}
	return 0;
}

int backup_verify_file(const char *path, struct backup_check *out, struct err *e)
{
	struct store *st = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_open(path, &st, e))
		return -1;
	rc = backup_verify_store(st, out, e);
	store_close(&st);
	return rc;
}

/* ---- backup ---- */

/*
 * Copies src into the empty file at dest with the online backup API: a chunk of
 * pages per step, each a short read transaction. A write from another connection
 * restarts the copy; after a few restarts the rest is copied in one step, which
 * in WAL mode holds one read snapshot and does not block writers.
 */
static int backup_copy(struct store *src, const char *dest, struct err *e)
{
	sqlite3 *db = NULL;
	sqlite3_backup *b = NULL;
	int chunk = BACKUP_CHUNK_PAGES, restarts = 0, prev = -1;
	int rc = -1;
	int r;

	if (sqlite3_open_v2(dest, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		err_set(e, "%s: %s", dest, db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	b = sqlite3_backup_init(db, "main", store_db(src), "main");
	if (!b) {
		err_set(e, "%s: backup: %s", dest, sqlite3_errmsg(db));
		goto out;
	}
	for (;;) {
		r = sqlite3_backup_step(b, chunk);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_OK && r != SQLITE_BUSY && r != SQLITE_LOCKED) {
			err_set(e, "%s: backup: %s", dest, sqlite3_errstr(r));
			goto out;
		}
		if (prev >= 0 && sqlite3_backup_remaining(b) > prev && ++restarts >= BACKUP_MAX_RESTARTS)
			chunk = -1;
		prev = sqlite3_backup_remaining(b);
		if (r != SQLITE_OK)
			sqlite3_sleep(5);
	}
	r = sqlite3_backup_finish(b);
	b = NULL;
	if (r != SQLITE_OK) {
		err_set(e, "%s: backup: %s", dest, sqlite3_errstr(r));
		goto out;
	}
	rc = 0;
out:
	if (b)
		sqlite3_backup_finish(b);
	if (sqlite3_close(db) != SQLITE_OK && rc == 0) {
		err_set(e, "%s: close: %s", dest, sqlite3_errmsg(db));
		rc = -1;
	}
	return rc;
}

/* True for "opsdeck-YYYYMMDDTHHMMSSZ.db". */
static int backup_is_generation(const char *name)
{
	static const char shape[] = "DDDDDDDDTDDDDDDZ";
	size_t np = strlen(BACKUP_GEN_PREFIX);

	if (strncmp(name, BACKUP_GEN_PREFIX, np) != 0 ||
	    strcmp(name + np + BACKUP_STAMP_LEN, BACKUP_GEN_SUFFIX) != 0 ||
	    strlen(name) != np + BACKUP_STAMP_LEN + strlen(BACKUP_GEN_SUFFIX))
		return 0;
	for (size_t i = 0; i < BACKUP_STAMP_LEN; i++) {
		char c = name[np + i];

		if (shape[i] == 'D' ? (c < '0' || c > '9') : c != shape[i])
			return 0;
	}
	return 1;
}

static int backup_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Removes generations in dir beyond the newest keep (names sort by time), never
 * the one named mine (with a clock set back, older-looking names can be newer).
 */
static int backup_prune_generations(const char *dir, int keep, const char *mine, int *removed,
				    struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	int rc = -1;

	*removed = 0;
	if (!d) {
		err_set(e, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!backup_is_generation(de->d_name) || strcmp(de->d_name, mine) == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(names, cap * sizeof *names))) {
				err_set(e, "out of memory");
				goto out;
			}
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name))) {
			err_set(e, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, backup_name_cmp);
	/* The generation just written (not in names) is one of the keep. */
	for (size_t i = 0; i + (size_t)keep <= n; i++) {
		if (unlinkat(dirfd(d), names[i], 0) != 0) {
			err_set(e, "%s/%s: %s", dir, names[i], strerror(errno));
			goto out;
		}
		(*removed)++;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* Where generations go: cfg->dir, or backups/ beside the database. */
static int backup_gen_dir(struct store *src, const struct backup_config *cfg, char *dir,
			  size_t len, struct err *e)
{
	char dbdir[BACKUP_PATH_MAX];

	if (cfg && cfg->dir[0]) {
		if (snprintf(dir, len, "%s", cfg->dir) >= (int)len)
			goto toolong;
		return 0;
	}
	if (backup_dirname(store_path(src), dbdir, sizeof dbdir) ||
	    snprintf(dir, len, "%s/backups", dbdir) >= (int)len)
		goto toolong;
	return 0;
toolong:
	err_set(e, "backup folder: path too long");
	return -1;
}

/*
 * Gives the sealed temporary file its name: rename over an existing file when
 * replace is set, otherwise link (which fails if the name exists) and unlink.
 */
static int backup_publish(const char *tmp, const char *final, int replace, struct err *e)
{
	if (replace) {
		if (rename(tmp, final) != 0) {
			err_set(e, "%s: %s", final, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (link(tmp, final) != 0) {
		if (errno == EEXIST)
			err_set(e, "%s exists: not replaced (--force replaces it)", final);
		else
			err_set(e, "%s: %s", final, strerror(errno));
		return -1;
	}
	unlink(tmp);
	return 0;
}

/* Waits until the wall clock's second changes (at most about a second). */
static void backup_next_second(void)
{
	int64_t start = clock_now_ms() / 1000;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 60 && clock_now_ms() / 1000 == start; i++)
		nanosleep(&ts, NULL);
}

int backup_run(struct store *src, const struct backup_opts *o, struct backup_info *out,
	       struct err *e)
{
	char dir[BACKUP_PATH_MAX], tmp[BACKUP_PATH_MAX] = "", stamp[BACKUP_STAMP_LEN + 1];
	char text[BACKUP_PATH_MAX + 512];
	struct shiftlog_new n = { .category = "system", .severity = "info", .text = text };
	mode_t mode = backup_copy_mode(store_path(src));
	int64_t before;
	int fd = -1;
	int rc = -1;
	int published = 0;

	memset(out, 0, sizeof *out);
	if (store_in_txn(src)) {
		err_set(e, "a backup cannot run inside a transaction");
		return -1;
	}
	if (o->output) {
		if (backup_dirname(o->output, dir, sizeof dir)) {
			err_set(e, "%s: path too long", o->output);
			return -1;
		}
		if (!o->force && access(o->output, F_OK) == 0) {
			err_set(e, "%s exists: not replaced (--force replaces it)", o->output);
			return -1;
		}
	} else if (backup_gen_dir(src, o->cfg, dir, sizeof dir, e) || backup_mkdirs(dir, e)) {
		return -1;
	}
	before = shiftlog_last_id(src);
	if ((fd = backup_mktemp(dir, "backup", mode, tmp, sizeof tmp, e)) < 0)
		goto out;
	close(fd);
	if (backup_copy(src, tmp, e))
		goto out;
	if (backup_verify_file(tmp, &out->check, e)) {
		backup_err_wrap(e, "the copy does not verify, nothing kept: ", "");
		goto out;
	}
	if (out->check.entries < before) {
		err_set(e, "the copy holds %" PRId64 " entries, the log had %" PRId64
			   " before: nothing kept", out->check.entries, before);
		goto out;
	}
	/* store_open removes the copy's -wal and -shm when it closes; any left are stale. */
	if (backup_seal(tmp, mode, &out->size, out->sha256, e))
		goto out;
	if (o->output) {
		if (snprintf(out->path, sizeof out->path, "%s", o->output) >= (int)sizeof out->path) {
			err_set(e, "%s: path too long", o->output);
			goto out;
		}
		if (backup_publish(tmp, out->path, o->force, e))
			goto out;
	} else {
		/* One generation a second: a second backup within it waits for the next. */
		for (int tries = 0;; tries++) {
			backup_stamp(clock_now_ms(), stamp);
			if (snprintf(out->path, sizeof out->path, "%s/" BACKUP_GEN_PREFIX "%s"
				     BACKUP_GEN_SUFFIX, dir, stamp) >= (int)sizeof out->path) {
				err_set(e, "%s: path too long", dir);
				goto out;
			}
			if (backup_publish(tmp, out->path, 0, e) == 0)
				break;
			if (access(out->path, F_OK) != 0 || tries == 2)
				goto out;
			backup_next_second();
		}
	}
	published = 1;
	tmp[0] = '\0';
	if (backup_sync_dir(dir, e))
		goto out;
	if (!o->output &&
	    backup_prune_generations(dir, o->cfg ? o->cfg->keep : BACKUP_KEEP_DEFAULT,
				     strrchr(out->path, '/') + 1, &out->removed, e))
		goto out;
	snprintf(text, sizeof text,
		 "backup: %s (%" PRId64 " bytes, sha256 %s); holds %" PRId64
		 " entries, chain head #%" PRId64 " %s%s",
		 out->path, out->size, out->sha256, out->check.entries, out->check.head_id,
		 out->check.head[0] ? out->check.head : "(empty log)",
		 out->removed ? "; older generations removed" : "");
	if (out->removed)
		snprintf(text + strlen(text), sizeof text - strlen(text), ": %d", out->removed);
	if (shiftlog_append(src, &n, &out->log_id, e))
		goto out;
	rc = 0;
out:
	if (rc != 0 && published) {
		snprintf(text, sizeof text, " (the verified copy is in place: %s)", out->path);
		backup_err_wrap(e, "", text);
	}
	backup_unlink_db(tmp);
	return rc;
}

/* ---- restore ---- */

long backup_holder_pid(const char *path)
{
	char shm[BACKUP_PATH_MAX + 8];
	/* SQLite's unix VFS: every connection holds a shared lock on byte 128 of -shm
	 * (the "DMS" slot) while it has the WAL index mapped. */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1 };
	int fd;

	if (snprintf(shm, sizeof shm, "%s-shm", path) >= (int)sizeof shm)
		return -1;
	fd = open(shm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	/* Closing fd drops this process's locks on the file: only call this while the
	 * process holds no connection to the database. */
	if (fcntl(fd, F_GETLK, &fl) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return fl.l_type == F_UNLCK ? 0 : (long)(fl.l_pid > 0 ? fl.l_pid : 1);
}

/* Copies the file at from into fd (a fresh temporary), hashing what it reads. */
static int backup_copy_file(const char *from, int fd, char hex[SHIFTLOG_HASH_HEX], struct err *e)
{
	struct stat sb;
	int in = -1;
	int rc = -1;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) != 0) {
		err_set(e, "%s: %s", from, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(e, "%s: not a regular file", from);
		goto out;
	}
	if (backup_stream(in, fd, from, NULL, hex, e))
		goto out;
	if (fsync(fd) != 0) {
		err_set(e, "writing the copy of %s: %s", from, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	return rc;
}

/* Size of path, 0 when it does not exist, -1 on another error. */
static int64_t backup_file_size(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	return (int64_t)sb.st_size;
}

/*
 * Readies the live target for replacement: checkpoints it through SQLite (as the
 * last connection, SQLite then removes its -wal and -shm itself), then refuses
 * when another process holds it open. A target SQLite cannot checkpoint (a
 * broken file: the reason to restore) goes on; backup_detach_wal keeps its WAL.
 */
static int backup_quiesce(const char *target, struct err *e)
{
	sqlite3 *db = NULL;
	long pid;

	if (sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	if ((pid = backup_holder_pid(target)) != 0) {
		if (pid > 0)
			err_set(e, "%s is open in another process (pid %ld): close its consoles first",
				target, pid);
		else
			err_set(e, "%s: cannot tell whether another process has it open: not replaced",
				target);
		return -1;
	}
	return 0;
}

/*
 * Clears the target's -wal and -shm before the copy takes its name, so the
 * restored file never meets the old database's WAL. A non-empty -wal (writes
 * that could not be checkpointed) moves to REPLACED-wal, beside the database it
 * belongs to; with no holder, -shm is only a cache and is removed.
 */
static int backup_detach_wal(const char *target, const char *replaced, struct err *e)
{
	char wal[BACKUP_PATH_MAX + 8], shm[BACKUP_PATH_MAX + 8], keep[BACKUP_PATH_MAX + 8];
	int64_t size;

	snprintf(wal, sizeof wal, "%s-wal", target);
	snprintf(shm, sizeof shm, "%s-shm", target);
	snprintf(keep, sizeof keep, "%s-wal", replaced);
	size = backup_file_size(wal);
	if (size < 0 || (size > 0 && rename(wal, keep) != 0)) {
		err_set(e, "%s: keeping its write-ahead log: %s", target, strerror(errno));
		return -1;
	}
	if ((unlink(wal) != 0 && errno != ENOENT) || (unlink(shm) != 0 && errno != ENOENT)) {
		err_set(e, "%s: removing its -wal/-shm: %s", target, strerror(errno));
		return -1;
	}
	return 0;
}

int backup_restore(const struct restore_opts *o, struct restore_info *out, struct err *e)
{
	char dir[BACKUP_PATH_MAX], tmp[BACKUP_PATH_MAX] = "", stamp[BACKUP_STAMP_LEN + 1];
	char wal[BACKUP_PATH_MAX + 8];
	char text[2 * BACKUP_PATH_MAX + 512];
	struct shiftlog_new n = { .category = "system", .severity = "notice", .text = text };
	struct backup_check tmpcheck;
	struct store *st = NULL;
	struct stat sb;
	mode_t mode = 0600;
	int exists = 0;
	int fd = -1;
	long pid;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (lstat(o->target, &sb) == 0) {
		if (S_ISLNK(sb.st_mode) || !S_ISREG(sb.st_mode)) {
			err_set(e, "%s: not a regular file (a link is never replaced)", o->target);
			return -1;
		}
		exists = 1;
		mode = backup_copy_mode(o->target);
	} else if (errno != ENOENT) {
		err_set(e, "%s: %s", o->target, strerror(errno));
		return -1;
	}
	pid = exists ? backup_holder_pid(o->target) : 0;
	if (exists && !o->force) {
		err_set(e, "%s exists (a live database%s): --force replaces it and keeps it as "
			   "%s.replaced-TIMESTAMP", o->target,
			pid > 0 ? ", open in another process now" : "", o->target);
		return -1;
	}
	if (pid != 0) {
		err_set(e, "%s is open in another process (pid %ld): close its consoles first",
			o->target, pid);
		return -1;
	}
	snprintf(wal, sizeof wal, "%s-wal", o->from);
	if (backup_file_size(wal) > 0) {
		err_set(e, "%s has a write-ahead log (%s): it is a live database, not a closed "
			   "copy; make one with: opsdeck --db %s backup", o->from, wal, o->from);
		return -1;
	}
	if (backup_dirname(o->target, dir, sizeof dir)) {
		err_set(e, "%s: path too long", o->target);
		return -1;
	}
	if (backup_mkdirs(dir, e))
		return -1;
	if ((fd = backup_mktemp(dir, "restore", mode, tmp, sizeof tmp, e)) < 0)
		goto out;
	if (backup_copy_file(o->from, fd, out->sha256, e))
		goto out;
	close(fd);
	fd = -1;
	if (backup_verify_file(tmp, &tmpcheck, e)) {
		snprintf(text, sizeof text, "%s fails verification, not restored: ", o->from);
		backup_err_wrap(e, text, "");
		goto out;
	}
	if (backup_seal(tmp, mode, &(int64_t){ 0 }, (char[SHIFTLOG_HASH_HEX]){ 0 }, e))
		goto out;
	if (exists) {
		if (backup_quiesce(o->target, e))
			goto out;
		/* A second name for the old inode: the target never goes missing. One
		 * name a second: a restore within the same second waits for the next. */
		for (int tries = 0;; tries++) {
			backup_stamp(clock_now_ms(), stamp);
			if (snprintf(out->replaced, sizeof out->replaced, "%s.replaced-%s",
				     o->target, stamp) >= (int)sizeof out->replaced) {
				err_set(e, "%s: path too long", o->target);
				out->replaced[0] = '\0';
				goto out;
			}
			if (link(o->target, out->replaced) == 0)
				break;
			if (errno != EEXIST || tries == 2) {
				err_set(e, "%s: keeping the replaced database: %s", out->replaced,
					strerror(errno));
				out->replaced[0] = '\0';
				goto out;
			}
			backup_next_second();
		}
		if (backup_detach_wal(o->target, out->replaced, e))
			goto out;
	}
	if (rename(tmp, o->target) != 0) {
		err_set(e, "%s: %s", o->target, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (backup_sync_dir(dir, e))
		goto out;
	if (store_open(o->target, &st, e) || backup_verify_store(st, &out->check, e)) {
		backup_err_wrap(e, "the restored database does not verify: ", "");
		goto out;
	}
	snprintf(text, sizeof text,
		 "restore: %s from %s (sha256 %s); holds %" PRId64 " entries, chain head #%" PRId64
		 " %s%s%s",
		 o->target, o->from, out->sha256, out->check.entries, out->check.head_id,
		 out->check.head[0] ? out->check.head : "(empty log)",
		 out->replaced[0] ? "; the replaced database is kept as " : "", out->replaced);
	if (shiftlog_append(st, &n, &out->log_id, e))
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	store_close(&st);
	backup_unlink_db(tmp);
	return rc;
}
