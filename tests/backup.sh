#!/usr/bin/env bash
# Backup, restore and retention from the command line: a backup taken while
# another process writes verifies and holds a count between before and after; it
# is logged; generations are kept to N; modes are kept; a tampered or broken copy
# is refused by restore; restore refuses to overwrite without --force, refuses a
# database another process holds open, keeps the replaced one, verifies and logs;
# prune deletes old samples, never log entries, and logs how many.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
umask 022
db=$T/live.db
export OPSDECK_DB=$db
maxid() { sqlite3 -cmd ".timeout 5000" "$1" "SELECT coalesce(max(id), 0) FROM log_entries"; }
entries() { $OPSDECK --db "$1" log verify | sed -n 's/^ok: \([0-9]*\) entries verified.*/\1/p'; }

for i in 1 2 3; do $OPSDECK log add "entry $i" >/dev/null; done
# Enough pages that the copy takes many steps while the writer commits.
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
	INSERT INTO samples(host, probe, ts, state, value, summary)
	SELECT 'web' || (i % 50), 'load', $(date +%s)000 - i * 1000, 0, 0.5, printf('%.200c', 'x') FROM n;"

# 1. Backup while another process writes log entries in a loop.
( while :; do $OPSDECK log add "written during the backup" >/dev/null || exit 1; done ) &
writer=$!
start=$(maxid "$db")
for _ in $(seq 1 1200); do [ "$(maxid "$db")" -ge $((start + 3)) ] && break; sleep 0.05; done
[ "$(maxid "$db")" -ge $((start + 3)) ] || fail "the writer wrote nothing"
before=$(maxid "$db")
out=$($OPSDECK backup --output "$T/during.db")
after=$(maxid "$db")
kill "$writer"; wait "$writer" 2>/dev/null || true
echo "$out" | grep -Eq "^[0-9a-f]{64}  $T/during.db\$" || fail "backup printed '$out'"
(cd "$T" && echo "$out" | sha256sum -c --quiet -) || fail "printed digest does not match the file"
n=$(entries "$T/during.db")
[ -n "$n" ] && [ "$n" -ge "$before" ] && [ "$n" -le "$after" ] ||
	fail "copy holds '$n' entries, want $before..$after"
[ "$(sqlite3 "$T/during.db" "PRAGMA integrity_check")" = ok ] || fail "copy integrity"
ok "backup during writes verifies, holds $n entries ($before..$after), digest printed"

# 2. The backup entry in the log: path, size, digest, chain head.
digest=${out%% *}
size=$(stat -c %s "$T/during.db")
$OPSDECK log list --category system | grep -q "backup: $T/during.db ($size bytes, sha256 $digest); holds [0-9]* entries, chain head #[0-9]* [0-9a-f]\{64\}" ||
	fail "no backup entry: $($OPSDECK log list --category system)"
ok "backup logged with path, size, digest and chain head"

# --output refuses an existing file unless --force.
sum=$(sha256sum "$T/during.db")
expect_fail "exists: not replaced" $OPSDECK backup --output "$T/during.db"
[ "$(sha256sum "$T/during.db")" = "$sum" ] || fail "refused backup changed the file"
$OPSDECK backup --output "$T/during.db" --force >/dev/null
[ "$(sha256sum "$T/during.db")" != "$sum" ] || fail "--force did not replace"
expect_fail "unknown option" $OPSDECK backup --bogus
expect_fail "--force applies to --output only" $OPSDECK backup --force
ok "--output refuses an existing file, --force replaces it"

# 3. Generations kept to N (config), in backups/ beside the database, 0700 / 0600.
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
printf 'backup: {keep: 2}\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
bdir=$T/backups
mkdir -m 0700 "$bdir"
for d in 20200101 20200102 20200103; do : >"$bdir/opsdeck-${d}T000000Z.db"; done
: >"$bdir/keep-me.txt"
g1=$($OPSDECK backup 2>/dev/null | cut -d' ' -f3)
g2=$($OPSDECK backup 2>/dev/null | cut -d' ' -f3)
[ "$g1" != "$g2" ] || fail "two backups, one name: $g1"
case "$g2" in "$bdir"/opsdeck-[0-9]*T[0-9]*Z.db) ;; *) fail "generation name $g2" ;; esac
[ "$(ls "$bdir" | grep -c '^opsdeck-')" = 2 ] || fail "generations: $(ls "$bdir")"
[ -e "$g1" ] && [ -e "$g2" ] && [ -e "$bdir/keep-me.txt" ] || fail "wrong files removed: $(ls "$bdir")"
ok "generations kept to 2, oldest removed, other files left alone"
[ "$(stat -c %a "$g2")" = 600 ] && [ "$(stat -c %a "$T/during.db")" = 600 ] || fail "copy mode"
cp "$g2" "$T/gen.db" && g2=$T/gen.db
rm -rf "$bdir"
$OPSDECK backup >/dev/null
[ "$(stat -c %a "$bdir")" = 700 ] || fail "new backup folder mode $(stat -c %a "$bdir")"
ok "copies 0600, a new backup folder 0700 (umask 022)"
printf 'backup: {keep: lots}\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
expect_fail "config.yaml:1:16: backup.keep" $OPSDECK backup
rm "$XDG_CONFIG_HOME/opsdeck/config.yaml"
ok "a bad backup setting: file:line:col and exit 1"

# 4. A tampered copy and a broken file are refused by restore; nothing is left behind.
cp "$T/during.db" "$T/tampered.db"
sqlite3 "$T/tampered.db" "DROP TRIGGER log_no_update; UPDATE log_entries SET text = 'nothing happened' WHERE id = 2;"
mkdir "$T/r"
expect_fail "fails verification, not restored" $OPSDECK restore "$T/tampered.db" --db "$T/r/new.db"
expect_fail "chain is broken at entry #2" $OPSDECK restore "$T/tampered.db" --db "$T/r/new.db"
head -c 8192 /dev/urandom >"$T/garbage.db"
expect_fail "fails verification" $OPSDECK restore "$T/garbage.db" --db "$T/r/new.db"
[ -z "$(ls -A "$T/r")" ] || fail "refused restore left files: $(ls -A "$T/r")"
ok "tampered and broken copies refused, nothing written"

# 5. Restore into a new place; then over a live database only with --force.
out=$($OPSDECK restore "$T/during.db" --db "$T/r/new.db")
echo "$out" | grep -q "^restored $T/r/new.db from $T/during.db (sha256 $(sha256sum "$T/during.db" | cut -d' ' -f1))" ||
	fail "restore said: $out"
$OPSDECK --db "$T/r/new.db" log verify >/dev/null || fail "restored database does not verify"
$OPSDECK --db "$T/r/new.db" log list --category system | grep -q "restore: $T/r/new.db from $T/during.db" ||
	fail "no restore entry"
[ "$(stat -c %a "$T/r/new.db")" = 600 ] || fail "restored mode"
ok "restored database verifies and has its restore entry"

$OPSDECK --db "$T/r/new.db" log add "written after the restore" >/dev/null
sum=$(sha256sum <"$T/r/new.db")
expect_fail "exists (a live database): --force replaces it" $OPSDECK restore "$g2" --db "$T/r/new.db"
[ "$(sha256sum <"$T/r/new.db")" = "$sum" ] || fail "refused restore changed the database"
ok "restore refuses to overwrite without --force"

# A database another process holds open is never replaced, even with --force.
mkfifo "$T/fifo"
sqlite3 "$T/r/new.db" <"$T/fifo" >/dev/null &
holder=$!
exec 3>"$T/fifo"
echo "SELECT count(*) FROM log_entries;" >&3
for _ in $(seq 1 500); do
	[ -e "$T/r/new.db-shm" ] && [ -n "$(ls -l /proc/$holder/fd 2>/dev/null | grep new.db-shm)" ] && break
	sleep 0.01
done
expect_fail "is open in another process (pid $holder)" $OPSDECK restore "$g2" --db "$T/r/new.db" --force
exec 3>&-
wait "$holder" || true
[ "$(sha256sum <"$T/r/new.db")" = "$sum" ] || fail "held database was changed"
ok "a database open in another process is not replaced"

chmod 0600 "$T/r/new.db"
out=$($OPSDECK restore "$g2" --db "$T/r/new.db" --force)
kept=$(echo "$out" | sed -n 's/^replaced database kept as //p')
case "$kept" in "$T/r/new.db.replaced-"[0-9]*T[0-9]*Z) ;; *) fail "kept as '$kept': $out" ;; esac
[ "$(sha256sum <"$kept")" = "$sum" ] || fail "the replaced database is not the old one"
[ "$(stat -c %a "$kept")" = 600 ] || fail "replaced mode"
$OPSDECK --db "$kept" log list | grep -q "written after the restore" || fail "replaced lost its entries"
$OPSDECK --db "$T/r/new.db" log verify >/dev/null || fail "restored database does not verify"
$OPSDECK --db "$T/r/new.db" log list | grep -q "written after the restore" && fail "old entry in the restored database"
$OPSDECK --db "$T/r/new.db" log list --category system | grep -q "restore: .*the replaced database is kept as $kept" ||
	fail "restore entry does not name the replaced database"
ls -A "$T/r" | grep -q '^\.opsdeck-' && fail "temporary files left: $(ls -A "$T/r")"
ok "restore --force keeps the replaced database (same bytes, mode), verifies, logs"

# A broken live database (the reason to restore) is replaced with --force and kept.
head -c 16384 /dev/urandom >"$T/r/broken.db"
bsum=$(sha256sum <"$T/r/broken.db")
out=$($OPSDECK restore "$g2" --db "$T/r/broken.db" --force)
kept=$(echo "$out" | sed -n 's/^replaced database kept as //p')
[ "$(sha256sum <"$kept")" = "$bsum" ] || fail "broken database not kept as it was"
$OPSDECK --db "$T/r/broken.db" log verify >/dev/null || fail "restore over a broken database"
ok "a broken database is replaced with --force and kept byte for byte"

# A database whose last writes are only in its -wal (its writer died): restore
# folds them into the kept copy, and the restored file never meets that WAL.
$OPSDECK --db "$T/r/src.db" log add "checkpointed" >/dev/null
mkfifo "$T/fifo2"
sqlite3 "$T/r/src.db" <"$T/fifo2" >/dev/null &
holder=$!
exec 4>"$T/fifo2"
echo "PRAGMA wal_autocheckpoint = 0; INSERT INTO samples(host, probe, ts, state, summary) VALUES ('h', 'p', 1, 0, 'only in the wal');" >&4
for _ in $(seq 1 500); do [ -s "$T/r/src.db-wal" ] && break; sleep 0.01; done
[ -s "$T/r/src.db-wal" ] || fail "no -wal to test with"
cp "$T/r/src.db" "$T/r/crashed.db" && cp "$T/r/src.db-wal" "$T/r/crashed.db-wal"
exec 4>&-
wait "$holder" || true
out=$($OPSDECK restore "$g2" --db "$T/r/crashed.db" --force)
kept=$(echo "$out" | sed -n 's/^replaced database kept as //p')
[ "$(sqlite3 "$kept" "SELECT summary FROM samples WHERE host = 'h'")" = "only in the wal" ] ||
	fail "the old database's WAL writes were lost"
[ "$(sqlite3 "$T/r/crashed.db" "SELECT count(*) FROM samples WHERE host = 'h'")" = 0 ] ||
	fail "the restored database holds the old WAL's rows"
$OPSDECK --db "$T/r/crashed.db" log verify >/dev/null || fail "restored database after a crashed one"
ok "restore keeps the old database's WAL writes with it, the new file starts clean"

# 6. Retention: old samples go, log entries never; one entry says how many.
printf 'retention:\n  samples: 30d\n  outputs: 7d\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
rdb=$T/ret.db
for i in 1 2 3; do $OPSDECK --db "$rdb" log add "kept $i" >/dev/null; done
now=$(date +%s)000
sqlite3 "$rdb" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
	INSERT INTO samples(host, probe, ts, state, summary) SELECT 'web01', 'load', $now - 40 * 86400000 - i, 0, 'old' FROM n;
	INSERT INTO samples(host, probe, ts, state, summary) VALUES ('web01', 'load', $now - 10 * 86400000, 0, 'stale'),
	 ('web01', 'load', $now - 3600000, 0, 'fresh');"
logs=$(maxid "$rdb")
out=$($OPSDECK --db "$rdb" prune)
echo "$out" | grep -q "^removed 2500 samples and 0 hourly roll-ups, cleared 1 probe outputs" || fail "prune said: $out"
[ "$(sqlite3 "$rdb" "SELECT count(*) FROM samples")" = 2 ] || fail "samples left"
[ "$(sqlite3 "$rdb" "SELECT summary FROM samples WHERE summary IS NOT NULL")" = fresh ] || fail "outputs"
[ "$(sqlite3 "$rdb" "SELECT count(*) FROM log_entries")" = $((logs + 1)) ] || fail "log entries changed"
$OPSDECK --db "$rdb" log list --category system | grep -q "retention: removed 2500 probe samples and 0 hourly roll-ups older than 30d, cleared 1 probe outputs older than 7d" ||
	fail "no retention entry"
$OPSDECK --db "$rdb" log verify >/dev/null || fail "chain after prune"
ok "prune deletes old samples in batches, clears old outputs, keeps the log, logs counts"
printf 'retention: {samples: 1x}\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
expect_fail "config.yaml:1:22: retention.samples" $OPSDECK --db "$rdb" prune
ok "a bad retention setting: file:line:col and exit 1"
echo "$passed passed, 0 failed"
