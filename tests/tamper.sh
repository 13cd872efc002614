#!/usr/bin/env bash
# Tamper test: someone edits the shift log with the sqlite3 shell. The triggers stop
# a plain UPDATE; dropping them first works, but `opsdeck log verify` then fails
# (exit 1) and names the entry that was changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
db=$T/tamper.db
export OPSDECK_DB=$db

for i in $(seq 1 30); do $OPSDECK log add "entry number $i" >/dev/null; done
$OPSDECK log verify | grep -q '^ok: 30 entries verified' || fail "clean log does not verify"
ok "30 entries verify"

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
