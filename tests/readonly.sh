#!/usr/bin/env bash
# Files and folders opsdeck does not own (issue 15, Medium 9 and 10, Low "full disk"):
# links on the way to the database, a read-only database, a read-only folder, an
# archived copy whose WAL has content, a file open to others, a full disk and a
# file size limit. Reading commands change nothing; writing refuses what it must
# not change, with a message; nothing is lost.
# Read-only folders and a full disk need a private mount namespace (unshare -Urm):
# those parts are skipped, and said so, where the kernel does not allow one.
set -eu  # no pipefail: `grep -q` closing a pipe early is not a failure
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
export OPSDECK T

# file_state PATH...: mode and digest of each file, to compare before and after.
file_state() {
	for f in "$@"; do printf '%s %s\n' "$(stat -c %a "$f")" "$(sha256sum < "$f")"; done
}

# reads DB: every reading command on DB must succeed (stdout to $T/reads.out).
reads() {
	local db=$1
	: >"$T/reads.out"
	for cmd in "log list" "log search entry" "log show 1" "log verify" "log export --format csv" \
		   "log export --format markdown" "log export --format json" "incident list" \
		   "incident show 1" "incident report"; do
		# shellcheck disable=SC2086
		$OPSDECK --db "$db" $cmd >>"$T/reads.out" 2>"$T/reads.err" ||
			fail "'$cmd' on $db failed: $(cat "$T/reads.err")"
	done
}

# a database with three entries and an incident
make_db() {
	for i in 1 2 3; do $OPSDECK --db "$1" log add "entry $i" >/dev/null; done
	$OPSDECK --db "$1" incident new --title "disk" --severity SEV3 >/dev/null
}

can_ns=0
if unshare -Urm true 2>/dev/null; then can_ns=1; fi
# in_ns SCRIPT: runs SCRIPT with bash -eu in a private mount namespace.
in_ns() { unshare -Urm bash -eu -c "$1"; }
# ro_mount DIR (inside in_ns): DIR becomes read-only, as on read-only media.
RO_MOUNT='ro_mount() { mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"; }'

# ---- Medium 9: links on the way are fine; the database file itself may not be one ----
mkdir -p "$T/elsewhere/share" "$HOME/.local"
chmod 0755 "$T/elsewhere/share"
ln -s "$T/elsewhere/share" "$HOME/.local/share"
id=$($OPSDECK log add "through a linked share") || fail "log add through a linked ~/.local/share"
[ "$id" = 1 ] || fail "log add printed '$id'"
$OPSDECK log list | grep -q 'through a linked share' || fail "list through a linked share"
[ "$(stat -c %a "$T/elsewhere/share")" = 755 ] || fail "the link's target folder changed mode"
[ "$(stat -c %a "$T/elsewhere/share/opsdeck")" = 700 ] || fail "the data folder opsdeck made is not 0700"
ok "a symlinked ~/.local/share: the database opens, the linked folder keeps its mode"

mkdir -p "$T/xdg2" "$T/shared-data"
chmod 0750 "$T/shared-data"
ln -s "$T/shared-data" "$T/xdg2/opsdeck"
XDG_DATA_HOME=$T/xdg2 $OPSDECK log add "data folder is a link" >/dev/null ||
	fail "log add with a linked data folder"
[ "$(stat -c %a "$T/shared-data")" = 750 ] || fail "chmod went through the data folder's link"
ok "a linked data folder: no mode changed through the link"

$OPSDECK --db "$T/real.db" log add "real" >/dev/null
ln -s "$T/real.db" "$T/link.db"
before=$(file_state "$T/real.db")
expect_fail "link.db is a symbolic link" $OPSDECK --db "$T/link.db" log add x
expect_fail "link.db is a symbolic link" $OPSDECK --db "$T/link.db" log list
[ "$(file_state "$T/real.db")" = "$before" ] || fail "the link's target changed"
ok "the database file itself a link: refused for writing and reading, target untouched"

# ---- Medium 10: a read-only database stays read-only ----
mkdir "$T/ro"
db=$T/ro/opsdeck.db
make_db "$db"
chmod 0444 "$db"
before=$(file_state "$db")
$OPSDECK --db "$db" log verify 2>"$T/err" | grep -q "^ok: 4 entries verified" || fail "verify on 0444"
grep -q 'open to others (mode 0444)' "$T/err" || fail "no warning for a file open to others"
reads "$db"
grep -q 'entry 3' "$T/reads.out" || fail "reads on 0444 lack entry 3"
[ "$(file_state "$db")" = "$before" ] || fail "a reading command changed the 0444 database"
[ "$(ls "$T/ro")" = opsdeck.db ] || fail "a reading command left files: $(ls "$T/ro")"
out=$($OPSDECK --db "$db" log add x 2>"$T/err")  && fail "log add wrote to a 0444 database"
[ -z "$out" ] || fail "log add printed '$out'"
grep -q 'is read-only (mode 0444)' "$T/err" || fail "log add on 0444 said '$(cat "$T/err")'"
[ "$(file_state "$db")" = "$before" ] || fail "log add changed the 0444 database"
ok "0444: verify and every reading command work and change nothing; log add refuses"

# ---- Medium 10: writing refuses a personal database open to others ----
chmod 0644 "$db"
expect_fail "is too open (mode 0644): others can read it" $OPSDECK --db "$db" log add x
$OPSDECK --db "$db" log list 2>"$T/err" | grep -q 'entry 1' || fail "read of 0644"
grep -q 'open to others (mode 0644)' "$T/err" || fail "no warning reading 0644"
chmod 0606 "$db"
expect_fail "is too open (mode 0606): others can change it" $OPSDECK --db "$db" log add x
chmod 0660 "$db"
$OPSDECK --db "$db" log add "the group shares it" >/dev/null 2>"$T/err" || fail "0660 refused"
grep -q 'open to others (mode 0660)' "$T/err" || fail "no warning writing 0660"
chmod 0640 "$db"
$OPSDECK --db "$db" log add "group may read" >/dev/null 2>"$T/err" || fail "0640 refused"
grep -q 'open to others (mode 0640)' "$T/err" || fail "no warning writing 0640"
[ "$(stat -c %a "$db")" = 640 ] || fail "mode of 0640 changed"
ok "writing refuses 0644 and 0606 (message), opens 0660 and 0640 with a warning; modes unchanged"

# ---- a nearly full disk: a clear message, nothing lost (RLIMIT_FSIZE) ----
db=$T/fsize.db
make_db "$db"
n_before=$($OPSDECK --db "$db" log list | wc -l)
big=$(head -c 60000 /dev/zero | tr '\0' x)
for limit in 40 16; do # 40 KiB: the -shm fits, the WAL does not; 16 KiB: not even the -shm
	rc=0
	out=$(ulimit -f "$limit" && exec $OPSDECK --db "$db" log add "$big" 2>"$T/err") || rc=$?
	[ "$rc" = 1 ] || fail "log add under ulimit -f $limit exited $rc: $(cat "$T/err")"
	[ -z "$out" ] || fail "log add under ulimit -f $limit printed an id '$out'"
	grep -q 'the disk is full' "$T/err" || fail "ulimit -f $limit said '$(cat "$T/err")'"
done
$OPSDECK --db "$db" log verify | grep -q "^ok: $n_before entries verified" || fail "verify after a full disk"
[ "$($OPSDECK --db "$db" log list | wc -l)" = "$n_before" ] || fail "entries changed"
ok "log add over the file size limit: exit 1, 'the disk is full', no id; the log verifies"

if [ "$can_ns" = 0 ]; then
	echo "# skip - read-only folder, archived WAL and full disk: no mount namespace (unshare -Urm)"
	echo "$passed passed, 0 failed"
	exit 0
fi

# ---- Medium 10: a database in a read-only folder (read-only media) is readable ----
mkdir "$T/media"
make_db "$T/media/opsdeck.db"
before=$(file_state "$T/media/opsdeck.db")
in_ns "$RO_MOUNT"'
	ro_mount "$T/media"
	db=$T/media/opsdeck.db
	for cmd in "log list" "log search entry" "log show 1" "log verify" "log export --format csv" \
		   "incident list" "incident show 1" "incident report"; do
		$OPSDECK --db "$db" $cmd >"$T/ns.out" 2>"$T/ns.err" || { echo "$cmd: $(cat "$T/ns.err")" >&2; exit 1; }
	done
	$OPSDECK --db "$db" log verify | grep -q "^ok: 4 entries verified"
	if $OPSDECK --db "$db" log add x >"$T/ns.out" 2>"$T/ns.err"; then echo "log add wrote" >&2; exit 1; fi
	[ ! -s "$T/ns.out" ]
' || fail "reading in a read-only folder"
[ "$(file_state "$T/media/opsdeck.db")" = "$before" ] || fail "the database on read-only media changed"
[ "$(ls "$T/media")" = opsdeck.db ] || fail "files appeared on read-only media: $(ls "$T/media")"
ok "a read-only folder: every reading command works; log add fails; nothing created"

# ---- an archived copy whose WAL has content (no -shm), in a read-only folder ----
live=$T/live.db
$OPSDECK --db "$live" log add "checkpointed entry" >/dev/null
mkfifo "$T/holder.in"
# A reader holds the database open, so the writers below leave their entries in the WAL.
sqlite3 "$live" <"$T/holder.in" >"$T/holder.out" &
holder=$!
exec 7>"$T/holder.in"
echo "SELECT 'held', count(*) FROM log_entries;" >&7
deadline=$((SECONDS + 20))
until grep -q held "$T/holder.out"; do
	[ "$SECONDS" -le "$deadline" ] || fail "the holder did not open the database"
	sleep 0.05
done
for i in 1 2 3; do $OPSDECK --db "$live" log add "wal entry $i" >/dev/null; done
[ -s "$live-wal" ] || fail "no WAL content to archive"
mkdir "$T/archive"
cp "$live" "$T/archive/opsdeck.db"
cp "$live-wal" "$T/archive/opsdeck.db-wal"
echo .quit >&7
exec 7>&-
wait "$holder"
before=$(file_state "$T/archive/opsdeck.db" "$T/archive/opsdeck.db-wal")
in_ns "$RO_MOUNT"'
	ro_mount "$T/archive"
	db=$T/archive/opsdeck.db
	$OPSDECK --db "$db" log list >"$T/ns.out"
	grep -q "wal entry 3" "$T/ns.out" || { echo "WAL entries not seen: $(cat "$T/ns.out")" >&2; exit 1; }
	$OPSDECK --db "$db" log verify | grep -q "^ok: 4 entries verified"
' || fail "reading an archived copy whose WAL has content"
[ "$(file_state "$T/archive/opsdeck.db" "$T/archive/opsdeck.db-wal")" = "$before" ] || fail "archive changed"
[ "$(ls "$T/archive" | tr '\n' ' ')" = "opsdeck.db opsdeck.db-wal " ] || fail "files appeared: $(ls "$T/archive")"
ok "an archived copy with WAL content, read-only folder: the WAL's entries are read, nothing changes"

# ---- a completely full disk: reading commands work, no -shm; writing says the disk is full ----
mkdir "$T/full"
make_db "$T/seed.db"
in_ns '
	mount -t tmpfs -o size=1m tmpfs "$T/full"
	cp "$T/seed.db" "$T/full/opsdeck.db"
	dd if=/dev/zero of="$T/full/fill" bs=4096 >/dev/null 2>&1 || true
	db=$T/full/opsdeck.db
	for cmd in "log list" "log verify" "log export --format json" "incident list" "incident report"; do
		$OPSDECK --db "$db" $cmd >"$T/ns.out" 2>"$T/ns.err" || { echo "$cmd: $(cat "$T/ns.err")" >&2; exit 1; }
	done
	[ "$(ls "$T/full" | tr "\n" " ")" = "fill opsdeck.db " ] || { echo "files: $(ls "$T/full")" >&2; exit 1; }
	rc=0
	$OPSDECK --db "$db" log add "one more" >"$T/ns.out" 2>"$T/ns.err" || rc=$?
	[ "$rc" = 1 ] || { echo "log add on a full disk exited $rc" >&2; exit 1; }
	[ ! -s "$T/ns.out" ] || { echo "log add printed an id" >&2; exit 1; }
	grep -q "the disk is full" "$T/ns.err" || { echo "log add said: $(cat "$T/ns.err")" >&2; exit 1; }
	rm "$T/full/fill"
	$OPSDECK --db "$db" log verify | grep -q "^ok: 4 entries verified"
' || fail "a full disk"
ok "a full disk: reading commands work and make no -shm; log add says the disk is full; nothing lost"

echo "$passed passed, 0 failed"
