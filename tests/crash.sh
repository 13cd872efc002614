#!/usr/bin/env bash
# Crash test: `opsdeck log add` killed with SIGKILL at random points. Every entry
# whose command exited 0 (it printed its id: acknowledged) must be in the log, and
# the chain must verify. Two writers race to also kill in the middle of contention.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
export OPSDECK_DB=$T/crash.db
$OPSDECK log add "before the storm" >/dev/null
acked=$T/acked
: > "$acked"
rounds=${CRASH_ROUNDS:-120}
killed=0
RANDOM=4242 # reproducible kill points

for r in $(seq 1 "$rounds"); do
	# Two concurrent writers; one of them is killed after 0-60 ms (a process lives ~20-100 ms).
	$OPSDECK log add "crash-$r-a" >/dev/null 2>&1 & a=$!
	$OPSDECK log add "crash-$r-b" >/dev/null 2>&1 & b=$!
	sleep "0.$(printf '%03d' $((RANDOM % 60)))"
	if [ $((RANDOM % 2)) = 0 ]; then victim=$a; else victim=$b; fi
	kill -9 "$victim" 2>/dev/null || true
	rc=0; wait "$a" || rc=$?
	[ "$rc" = 0 ] && echo "crash-$r-a" >> "$acked"
	[ "$rc" = 137 ] && killed=$((killed + 1))
	rc=0; wait "$b" || rc=$?
	[ "$rc" = 0 ] && echo "crash-$r-b" >> "$acked"
	[ "$rc" = 137 ] && killed=$((killed + 1))
done
[ "$killed" -gt 0 ] || fail "no process was killed mid-write; the test proved nothing"
present=$T/present
$OPSDECK log search crash | awk '{print $NF}' | sort > "$present"
missing=$(sort "$acked" | comm -23 - "$present")
[ -z "$missing" ] || fail "acknowledged entries lost: $missing"
ok "$(wc -l < "$acked") acknowledged entries all present ($killed writers killed mid-run)"
out=$($OPSDECK log verify) || fail "chain broken after kills: $out"
ok "chain verifies: $out"
echo "$passed passed, 0 failed"
