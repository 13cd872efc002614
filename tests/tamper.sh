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
echo "$passed passed, 0 failed"
