#!/usr/bin/env bash
# Tamper test: someone edits the shift log with the sqlite3 shell. The triggers stop
# a plain UPDATE; dropping them first works, but `opsdeck log verify` then fails
# (exit 1) and names the entry that was changed. Then the harder cases: bytes the
# hash does not cover (a NUL, a REAL ts, a BLOB), entries removed from search, time
# going backwards, entries cut off the end (anchors), a handover on a broken chain,
# and a full recomputation of the chain (witnesses).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
# Databases the sqlite3 shell makes here are private, as opsdeck's own are.
umask 077
db=$T/tamper.db
export OPSDECK_DB=$db

for i in $(seq 1 30); do $OPSDECK log add "entry number $i" >/dev/null; done
$OPSDECK log verify | grep -q '^ok: 30 entries verified' || fail "clean log does not verify"
ok "30 entries verify"
sqlite3 "$db" ".backup '$T/clean30.db'"

if sqlite3 "$db" "UPDATE log_entries SET text = 'nothing happened' WHERE id = 17" 2>/dev/null; then
	fail "UPDATE was allowed"
fi
if sqlite3 "$db" "DELETE FROM log_entries WHERE id = 17" 2>/dev/null; then
	fail "DELETE was allowed"
fi
$OPSDECK log verify >/dev/null || fail "refused edits still broke the chain"
ok "triggers refuse UPDATE and DELETE"

sqlite3 "$db" "DROP TRIGGER log_no_update; UPDATE log_entries SET text = 'nothing happened' WHERE id = 17;"
rc=0
out=$($OPSDECK log verify) || rc=$?
[ "$rc" = 1 ] || fail "verify exit $rc after tampering, want 1"
echo "$out" | grep -q '^first bad entry: #17$' || fail "verify did not name #17: $out"
echo "$out" | grep -q 'FAILED: entry #17 does not match' || fail "verify reason: $out"
ok "edited entry #17: verify exits 1 and names it"

# Removing an entry leaves a gap that the next entry reveals.
db2=$T/tamper2.db
for i in 1 2 3 4 5; do OPSDECK_DB=$db2 $OPSDECK log add "row $i" >/dev/null; done
sqlite3 "$db2" "DROP TRIGGER log_no_delete; DELETE FROM log_entries WHERE id = 3;"
rc=0
out=$(OPSDECK_DB=$db2 $OPSDECK log verify) || rc=$?
[ "$rc" = 1 ] || fail "verify exit $rc after deletion"
echo "$out" | grep -q '^first bad entry: #4$' || fail "deletion not found at #4: $out"
ok "deleted entry #3: verify exits 1 and names #4 (the gap)"

# rechain DB TEXT_EXPR TS_EXPR: what an attacker with the sqlite3 shell and sha256sum
# does: rewrite text and ts by SQL, recompute every hash (doc/shiftlog-format.md), and
# rebuild the search index, so the plain chain verifies again.
rechain() {
	local db=$1 id ts op sh cat sev text host inc win run cor prev='' h sql='' LC_ALL=C
	sqlite3 "$db" "DROP TRIGGER IF EXISTS log_no_update;
		UPDATE log_entries SET text = $2, ts = $3;"
	while IFS=$'\t' read -r id ts op sh cat sev text host inc win run cor; do
		h=$({ rechain_f opsdeck-log-v1; rechain_f "$id"; rechain_f "$ts"; rechain_f "$op"
		      rechain_f "$sh"; rechain_f "$cat"; rechain_f "$sev"; rechain_f "$text"
		      rechain_f "$host"; rechain_f "$inc"; rechain_f "$win"; rechain_f "$run"
		      rechain_f "$cor"; rechain_f "$prev"; } | sha256sum | cut -c1-64)
		sql+="UPDATE log_entries SET hash = '$h' WHERE id = $id;"
		prev=$h
	done < <(sqlite3 -separator $'\t' -nullvalue '\N' "$db" \
		"SELECT id, ts, operator, coalesce(shift_id, 0), category, severity, text, host,
		 coalesce(incident_id, 0), coalesce(window_id, 0), coalesce(run_id, 0),
		 coalesce(corrects, 0) FROM log_entries ORDER BY id")
	sqlite3 "$db" "$sql INSERT INTO log_fts(log_fts) VALUES('rebuild');"
}
rechain_f() { if [ "$1" = '\N' ]; then printf -- '-;'; else printf '%s:%s;' "${#1}" "$1"; fi; }

# expect_bad DB ID REASON: verify exits 1, names #ID and says REASON.
expect_bad() {
	local rc=0 out
	out=$(OPSDECK_DB=$1 $OPSDECK log verify) || rc=$?
	[ "$rc" = 1 ] || fail "verify exit $rc on $1, want 1: $out"
	echo "$out" | grep -q "^first bad entry: #$2\$" || fail "verify did not name #$2: $out"
	echo "$out" | grep -q "$3" || fail "verify reason is not '$3': $out"
}

# fresh NAME N: a new database $T/NAME.db holding the first N of the 30 clean entries
# (a copy: the binary under test runs under ASan and the machine may be busy).
fresh() {
	local db=$T/$1.db trig
	sqlite3 "$T/clean30.db" ".backup '$db'"
	trig=$(sqlite3 "$db" "SELECT sql FROM sqlite_master WHERE name = 'log_no_delete'")
	sqlite3 "$db" "DROP TRIGGER log_no_delete; DELETE FROM log_entries WHERE id > $2;
		INSERT INTO log_fts(log_fts) VALUES('rebuild'); $trig;"
	echo "$db"
}

# A NUL and text after it: the C string stops at the NUL, so the hash covered only
# the part before it.
db=$(fresh nul 8)
sqlite3 "$db" "DROP TRIGGER log_no_update;
	UPDATE log_entries SET text = CAST(CAST(text AS BLOB) || X'00' || CAST('; rm -rf /' AS BLOB) AS TEXT)
	WHERE id = 5;"
[ "$(sqlite3 "$db" "SELECT length(CAST(text AS BLOB)) FROM log_entries WHERE id = 5")" -gt 15 ] ||
	fail "the NUL was not stored"
expect_bad "$db" 5 'NUL byte in text'
ok "a NUL and hidden text in #5: verify names it"

db=$(fresh blob 8)
sqlite3 "$db" "DROP TRIGGER log_no_update;
	UPDATE log_entries SET operator = CAST(operator AS BLOB) WHERE id = 3;"
expect_bad "$db" 3 'stores operator as a blob'
ok "operator stored as a BLOB in #3: verify names it"

# ts as a real number (or text): the hash saw the integer it converts to.
db=$(fresh real 8)
sqlite3 "$db" "DROP TRIGGER log_no_update; UPDATE log_entries SET ts = ts + 0.75 WHERE id = 6;"
expect_bad "$db" 6 'stores ts as a real number'
db=$(fresh tstext 8)
sqlite3 "$db" "DROP TRIGGER log_no_update;
	UPDATE log_entries SET ts = CAST(ts AS TEXT) || ' (forged)' WHERE id = 2;"
expect_bad "$db" 2 'stores ts as text'
ok "ts stored as REAL (#6) or text (#2): verify names it"

# An entry removed from the search index: `log search` no longer finds it.
db=$(fresh fts 8)
sqlite3 "$db" "INSERT INTO log_fts(log_fts, rowid, text, host)
	VALUES('delete', 7, 'entry number 7', NULL);"
if OPSDECK_DB=$db $OPSDECK log search '"number 7"' | grep -q 'number 7'; then
	fail "the FTS delete did not hide #7"
fi
expect_bad "$db" 7 'missing from the search index'
db=$(fresh fts2 8)
sqlite3 "$db" "INSERT INTO log_fts(log_fts, rowid, text, host)
	VALUES('delete', 4, 'entry number 4', NULL);
	INSERT INTO log_fts(rowid, text, host) VALUES (4, 'entry', NULL);"
rc=0
out=$(OPSDECK_DB=$db $OPSDECK log verify) || rc=$?
[ "$rc" = 1 ] || fail "edited search index: exit $rc: $out"
echo "$out" | grep -q 'search index does not match' || fail "edited search index: $out"
ok "an entry removed from search (#7), an index edited (#4): verify fails"

# Time going backwards, with the chain recomputed around it.
db=$(fresh time 12)
rechain "$db" text "CASE WHEN id = 10 THEN ts - 3600000 ELSE ts END"
expect_bad "$db" 10 'time went backwards'
ok "#10 an hour older than #9 (chain recomputed): verify names it"

# Anchors: the tail cut off (no recomputation needed), and a full recomputation.
db=$(fresh anchor 30)
export OPSDECK_DB=$db
head30=$($OPSDECK log verify | sed -n 's/.*chain head #\([0-9]*\) sha256 \([0-9a-f]*\)$/\1:\2/p')
[ -n "$head30" ] || fail "no chain head"
h12=$(sqlite3 "$db" "SELECT id || ':' || hash FROM log_entries WHERE id = 12")
$OPSDECK log verify --anchor "$h12" --anchor "$head30" | grep -q '^ok: 2 anchors match$' ||
	fail "anchors of an intact log do not match"
printf '# handovers\n\n%s\n  Log chain head: #%s sha256 %s\n' "$h12" "${head30%%:*}" \
	"${head30#*:}" >"$T/anchors"
$OPSDECK log verify --anchors "$T/anchors" | grep -q '^ok: 2 anchors match$' || fail "anchors file"
sqlite3 "$db" "DROP TRIGGER log_no_delete; DELETE FROM log_entries WHERE id > 25;
	INSERT INTO log_fts(log_fts) VALUES('rebuild');"
$OPSDECK log verify | grep -q '^ok: 25 entries verified' || fail "a cut tail should pass plain verify"
rc=0
out=$($OPSDECK log verify --anchor "$head30") || rc=$?
[ "$rc" = 1 ] || fail "--anchor after truncation: exit $rc, want 1"
echo "$out" | grep -q "FAILED: anchor $head30: the log ends at #25, before entry #30" ||
	fail "--anchor did not name the anchor: $out"
rc=0
out=$($OPSDECK log verify --anchors "$T/anchors") || rc=$?
[ "$rc" = 1 ] || fail "--anchors after truncation: exit $rc, want 1"
echo "$out" | grep -q "anchors:4): the log ends at #25" || fail "--anchors after truncation: $out"
ok "entries cut off the end: --anchor and --anchors (a handover line) exit 1 naming the anchor"

rechain "$db" "replace(text, 'number 3', 'number three')" ts
$OPSDECK log verify | grep -q '^ok: 25 entries verified' || fail "a recomputed chain should pass plain verify"
rc=0
out=$($OPSDECK log verify --anchor "$h12") || rc=$?
[ "$rc" = 1 ] || fail "--anchor after a rewrite: exit $rc"
echo "$out" | grep -q "^first bad entry: #12$" || fail "--anchor after a rewrite: $out"
ok "a recomputed chain: --anchor #12 exits 1"

printf '12:%s\n\n# ok\n25:abc\n' "${h12#*:}" >"$T/bad-anchors"
rc=0
err=$($OPSDECK log verify --anchors "$T/bad-anchors" 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] || fail "malformed anchors file: exit $rc, want 2"
want="$T/bad-anchors:4:4: not an anchor: want ID:HASH (HASH: 64 lowercase hex digits)"
want+=" or a handover's \"Log chain head: #ID sha256 HASH\" line"
[ "$err" = "$want" ] || fail "malformed anchors file message: $err"
expect_fail "column 3" $OPSDECK log verify --anchor 5:xyz
ok "a malformed anchor: FILE:LINE:COL, exit 2"

# Handover: verifies first; records the previous handover's anchor and the count.
db=$T/handover.db
export OPSDECK_DB=$db
$OPSDECK shift start >/dev/null
$OPSDECK log add "checked the backups" >/dev/null
first=$($OPSDECK shift handover) || fail "handover on a clean chain"
echo "$first" | grep -q '^Previous handover anchor: none$' || fail "first handover: $first"
echo "$first" | grep -q '^Log entries: 2 (chain verified)$' || fail "first handover count: $first"
echo "$first" | tail -n 1 | grep -qE '^Log chain head: #2 sha256 [0-9a-f]{64}$' ||
	fail "last line of the handover: $first"
a1=$(echo "$first" | tail -n 1 | sed 's/^Log chain head: #\([0-9]*\) sha256 /\1:/')
$OPSDECK log add "second shift note" >/dev/null
second=$($OPSDECK shift handover) || fail "second handover"
echo "$second" | grep -q "^Previous handover anchor: $a1\$" || fail "second handover lacks $a1: $second"
echo "$second" | grep -q '^Log entries: 4 (chain verified)$' || fail "second handover count: $second"
{ echo "$first" | tail -n 1; echo "$second" | tail -n 1; } >"$T/handovers"
$OPSDECK log verify --anchors "$T/handovers" | grep -q '^ok: 2 anchors match$' ||
	fail "handover lines as anchors"
ok "handover: previous anchor, entry count, last line is the chain head"

sqlite3 "$db" "DROP TRIGGER log_no_update; UPDATE log_entries SET text = 'nothing' WHERE id = 2;"
rc=0
out=$($OPSDECK shift handover 2>"$T/err") || rc=$?
[ "$rc" = 1 ] || fail "handover on a broken chain: exit $rc"
if echo "$out" | grep -q 'Log chain head'; then fail "handover printed a head on a broken chain"; fi
grep -q 'the log chain is broken: entry #2 does not match' "$T/err" ||
	fail "handover error: $(cat "$T/err")"
[ "$(sqlite3 "$db" "SELECT count(*) FROM log_entries WHERE category = 'handover'")" = 2 ] ||
	fail "a handover was recorded on a broken chain"
ok "handover on a broken chain: no head, names #2, exit 1, nothing recorded"

# Witnesses: a command witness appending to a local file, read back by cat.
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
printf '%s\n' 'witness:' '  every: 15m' \
	"  command: [sh, -c, 'cat >> \"\$0\"', '$T/witness.txt']" \
	"  verify_command: [cat, '$T/witness.txt']" >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
db=$(fresh witness 10)
export OPSDECK_DB=$db
line=$($OPSDECK log witness) || fail "log witness"
echo "$line" | grep -qE '^10:[0-9a-f]{64} [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [^ ]+$' ||
	fail "record: $line"
[ "$(cat "$T/witness.txt")" = "$line" ] || fail "witness file: $(cat "$T/witness.txt")"
$OPSDECK shift start >/dev/null
$OPSDECK log add "a later entry" >/dev/null
$OPSDECK shift handover >/dev/null || fail "handover with a witness"
[ "$(wc -l <"$T/witness.txt")" = 2 ] || fail "the handover sent no head: $(cat "$T/witness.txt")"
grep -q '^13:' "$T/witness.txt" || fail "handover head not witnessed: $(cat "$T/witness.txt")"
$OPSDECK log verify --witness | grep -q '^ok: 2 witness records match$' ||
	fail "witness verify on a clean log"
ok "log witness and shift handover append ID:HASH TS OPERATOR to the witness"

rechain "$db" "replace(text, 'number 3', 'number three')" ts
$OPSDECK log verify | grep -q '^ok: 13 entries verified' || fail "a full rewrite should pass plain verify"
rc=0
out=$($OPSDECK log verify --witness) || rc=$?
[ "$rc" = 1 ] || fail "--witness after a full rewrite: exit $rc, want 1: $out"
echo "$out" | grep -q '^first bad entry: #10$' || fail "--witness did not name #10: $out"
echo "$out" | grep -q 'entry #10 has another hash' || fail "--witness reason: $out"
ok "a full rewrite passes plain verify and fails --witness at #10"

mv "$T/witness.txt" "$T/witness.gone"
rc=0
$OPSDECK log verify --witness >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "--witness with an unreadable witness: exit $rc, want 3"
: >"$T/witness.txt"
rc=0
$OPSDECK log verify --witness >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "--witness with an emptied witness: exit $rc, want 1"
ok "an unreadable witness exits 3, an emptied one 1"
# Fields read from an edited database (category, severity, operator, host, hash) are
# sanitised on the way out, as the text is: no escape sequence reaches a terminal.
db3=$T/tamper3.db
OPSDECK_DB=$db3 $OPSDECK log add --host web01 "plain entry" >/dev/null
evil="char(27) || ']52;c;cHduZWQ=' || char(7) || char(27) || '[2J' || char(155) || '31m'"
sqlite3 "$db3" "DROP TRIGGER log_no_update; UPDATE log_entries SET category = 'note' || $evil,
	severity = 'info' || $evil, operator = 'root' || $evil, host = 'web01' || $evil,
	hash = 'ab' || $evil WHERE id = 1;"
for cmd in "log list" "log show 1" "log search plain" "log export --format csv" \
	   "log export --format markdown" "log export --format json" "log show 1 --json"; do
	# shellcheck disable=SC2086
	out=$(OPSDECK_DB=$db3 $OPSDECK $cmd 2>&1) || fail "'$cmd' failed: $out"
	if printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\033\007]\|\302\233')"; then
		fail "'$cmd' printed a control character from a tampered field"
	fi
	printf '%s' "$out" | grep -q 'web01' || fail "'$cmd' lost the host"
done
OPSDECK_DB=$db3 $OPSDECK log show 1 | grep -q '^category  note$' || fail "show: category"
ok "tampered category, severity, operator, host, hash: sanitised in list, show, csv, markdown, json"
echo "$passed passed, 0 failed"
