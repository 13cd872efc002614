/*
 * backup: consistent copies of the database, their verification, and restore.
 *
 * A backup is taken with SQLite's online backup API, in chunks, while consoles
 * keep writing. The copy is written to a temporary file beside its destination,
 * verified (PRAGMA integrity_check and the shift log's hash chain), sealed (mode,
 * fsync, SHA-256) and only then given its name, so a file with a backup's name
 * is always a verified one. The backup is recorded in the source's shift log.
 * A restore copies a verified file into place atomically and keeps the database
 * it replaces.
 *
 * config.yaml:
 *   backup:
 *     dir: ~/ops/backups   # default: backups/ beside the database (made 0700)
 *     keep: 7              # generations kept in dir (1..1000)
 */
#ifndef OPSDECK_BACKUP_H
#define OPSDECK_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "shiftlog.h"
#include "store.h"
#include "yamlutil.h"

#define BACKUP_PATH_MAX 4096
#define BACKUP_KEEP_DEFAULT 7

struct backup_config {
	char dir[BACKUP_PATH_MAX]; /* "" = backups/ beside the database */
	int keep;                  /* generations kept in dir */
};

void backup_config_defaults(struct backup_config *c);

/*
 * Reads the `backup` map from a parsed config.yaml (doc->root may be NULL; an
 * absent key keeps the defaults). "~/" in dir expands to home. Unknown keys and
 * bad values: -1 with e = "file:line:col: message".
 */
int backup_config_read(const struct ydoc *doc, const char *home, struct backup_config *c,
		       struct err *e);

/* What a verified database holds. */
struct backup_check {
	int64_t entries;                /* shift-log entries (the last id) */
	int64_t head_id;                /* 0 when the log is empty */
	char head[SHIFTLOG_HASH_HEX];   /* the chain head's hash, "" when empty */
};

/*
 * Verifies the database file at path: PRAGMA integrity_check and the shift log's
 * hash chain (shiftlog_verify). Opens it with store_open, so the file must be one
 * opsdeck may open for writing (a temporary copy, or the restored database).
 * Returns 0 when it verifies, -1 with the reason in e otherwise.
 */
int backup_verify_file(const char *path, struct backup_check *out, struct err *e);

struct backup_opts {
	const char *output;              /* NULL: a new generation in cfg->dir */
	bool force;                      /* --output: replace an existing file */
	const struct backup_config *cfg;
};

struct backup_info {
	char path[BACKUP_PATH_MAX];
	int64_t size;
	char sha256[SHIFTLOG_HASH_HEX];
	struct backup_check check;
	int removed;                     /* older generations removed */
	int64_t log_id;                  /* the backup's shift-log entry */
};

/*
 * Backs up the open store src as o describes, verifies the copy, logs it in src's
 * shift log and (generations only) removes generations beyond cfg->keep. Fills
 * out. Returns 0, or -1 with e set; on failure no file with the final name is
 * left behind (an --output file that existed is untouched unless the copy was
 * already in place, which the message then says).
 */
int backup_run(struct store *src, const struct backup_opts *o, struct backup_info *out,
	       struct err *e);

struct restore_opts {
	const char *from;   /* the backup file */
	const char *target; /* the database to restore into */
	bool force;         /* replace an existing target */
};

struct restore_info {
	char replaced[BACKUP_PATH_MAX]; /* where the old database was kept, "" when none */
	char sha256[SHIFTLOG_HASH_HEX]; /* of the backup file as read */
	struct backup_check check;      /* of the restored database, before its restore entry */
	int64_t log_id;                 /* the restore entry in the restored database */
};

/*
 * Restores o->from into o->target: refuses a copy that fails verification, a
 * target that exists without force, and a target another process holds open
 * (even with force: its uncheckpointed writes would be lost). Keeps the old file
 * as TARGET.replaced-YYYYMMDDTHHMMSSZ (same inode, so same mode; checkpointed
 * first, or with its -wal moved beside it when SQLite cannot checkpoint it), puts
 * the copy in place with rename, verifies the result and logs a restore entry.
 * Returns 0, or -1 with e set (the target is untouched unless e says otherwise).
 */
int backup_restore(const struct restore_opts *o, struct restore_info *out, struct err *e);

/*
 * The pid of a process holding the WAL database at path open (SQLite's shared
 * lock on its -shm file), 0 when none is seen, -1 when it cannot be told.
 */
long backup_holder_pid(const char *path);

#endif
