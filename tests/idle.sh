#!/usr/bin/env bash
# An idle console sleeps: at most 2 wake-ups a second (the 500 ms data poll, the
# clock's tick falling on one of them), without an inventory (where a scan for
# automatic incidents that could never run kept it spinning at 85-98% CPU) and
# with one whose host is up and probed. The test binary counts its loop turns
# (OPSDECK_TEST_TURNS); this bounds a behaviour, it is not a benchmark.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/sshd-fixture.sh" # defines sshd_fixture CMD ...

export OPSDECK_DB=$T/ops.db
unset SSH_AUTH_SOCK
F=$T/fleet
idle_cleanup() {
	sshd_fixture stop "$F" >/dev/null 2>&1 || true
	lib_cleanup
}
trap idle_cleanup EXIT

TURNS=$T/turns
export OPSDECK_TEST_TURNS=$TURNS
turns() { local v; v=$(cat "$TURNS" 2>/dev/null) || true; echo "${v:-0}"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_turns_settle: until the count stands still for a moment (start-up done).
wait_turns_settle() {
	local deadline=$((SECONDS + WAIT_SECS)) a b
	while [ "$SECONDS" -le "$deadline" ]; do
		a=$(turns)
		sleep 0.2
		b=$(turns)
		[ "$a" -gt 0 ] && [ $((b - a)) -le 1 ] && return 0
	done
	fail "the console never settled: $a then $b loop turns in 0.2 s"
}

# idle_rate WHAT: counts turns over ~3 s of idling: at most 2 a second, +2 for
# the window's edges (a window of 3 s holds up to 7 points of a 500 ms grid).
idle_rate() {
	local c0 c1 t0 t1 ms allowed
	c0=$(turns)
	t0=$(now_ms)
	sleep 3 # the measurement window, not a wait for a condition
	c1=$(turns)
	t1=$(now_ms)
	ms=$((t1 - t0))
	allowed=$((2 * ms / 1000 + 2))
	console_running || fail "$1: the console exited"
	[ $((c1 - c0)) -le "$allowed" ] ||
		fail "$1: $((c1 - c0)) wake-ups in $ms ms while idle (at most $allowed)"
	ok "$1: $((c1 - c0)) wake-ups in $ms ms while idle"
}

# ---- without an inventory (the Log view) ----
OPSDECK=$OPSDECK_TEST console_start 100 30
wait_text "3:Log"
wait_turns_settle
idle_rate "no inventory"
# The Incidents view's countdowns tick every second: still 2 a second at most.
keys BTab
wait_text "Incidents: open"
wait_turns_settle
idle_rate "no inventory, Incidents view"
console_quit

# ---- with an inventory: one host, up and probed ----
sshd_fixture start "$F" 1 >"$T/fixture.out" 2>&1 || fail "fixture start: $(cat "$T/fixture.out")"
cat >>"$F/inventory.yaml" <<EOF
thresholds:
  - { probe: load, warn: 1000000, crit: 1000000 }
  - { probe: memory, warn: 101, crit: 101 }
  - { probe: disk, warn: 101, crit: 101 }
EOF
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
cat >"$XDG_CONFIG_HOME/opsdeck/config.yaml" <<EOF
inventory: $F/inventory.yaml
known_hosts: $F/known_hosts
ssh_config: none
EOF
OPSDECK=$OPSDECK_TEST console_start 100 30
wait_text "hosts 1 1 ok" 60
wait_turns_settle
idle_rate "one host up"
console_quit

echo "$passed passed"
