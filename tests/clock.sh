#!/usr/bin/env bash
# The clock: the release binary takes "now" from the system only (OPSDECK_NOW_MS
# and the test clock file change nothing: no backdated log entry); the test-only
# binary's clock can be pinned, offset, and moved while a console runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

T0=1768046400000 # 2026-01-10T12:00:00Z
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# ts_of ID: the stored ts_ms of log entry ID.
ts_of() { "$OPSDECK" log show "$1" --json | sed -n 's/.*"ts_ms":\([0-9-]*\).*/\1/p'; }

# ---- the release binary ----
test_clock pin $T0
before=$(now_ms)
id=$(OPSDECK_NOW_MS=$T0 OPSDECK_TEST_CLOCK=$TEST_CLOCK "$OPSDECK" log add --category note "release binary")
after=$(now_ms)
ts=$(ts_of "$id")
[ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ] ||
	fail "release binary stored ts $ts for a note written between $before and $after (OPSDECK_NOW_MS=$T0)"
id=$(OPSDECK_NOW_MS=$T0 "$OPSDECK" incident new --title "release incident" --severity SEV3)
"$OPSDECK" incident show "$id" --json | grep -q "\"opened_at\":\"$(date -u +%Y-)" ||
	fail "release binary opened an incident at the injected time: $("$OPSDECK" incident show "$id" --json)"
ok "the release binary ignores OPSDECK_NOW_MS and the test clock"

# ---- the test binary, one command at a time ----
# A log of its own: the chain refuses times before the entries above (they are now).
export OPSDECK_DB=$T/test-binary.db
id=$(OPSDECK_NOW_MS=$T0 "$OPSDECK_TEST" log add --category note "now ms")
[ "$(ts_of "$id")" = "$T0" ] || fail "OPSDECK_NOW_MS: ts $(ts_of "$id"), want $T0"
test_clock pin $((T0 + 5000))
id=$(OPSDECK_TEST_CLOCK=$TEST_CLOCK "$OPSDECK_TEST" log add --category note "pinned")
[ "$(ts_of "$id")" = $((T0 + 5000)) ] || fail "pin: ts $(ts_of "$id"), want $((T0 + 5000))"
day=86400000
test_clock offset -$((3 * day))
before=$(now_ms)
id=$(OPSDECK_TEST_CLOCK=$TEST_CLOCK "$OPSDECK_TEST" log add --category note "offset")
after=$(now_ms)
ts=$(ts_of "$id")
[ "$ts" -ge $((before - 3 * day)) ] && [ "$ts" -le $((after - 3 * day)) ] ||
	fail "offset -3d: ts $ts not within [$((before - 3 * day)), $((after - 3 * day))]"
test_clock real
id=$(OPSDECK_TEST_CLOCK=$TEST_CLOCK "$OPSDECK_TEST" log add --category note "real")
[ "$(ts_of "$id")" -ge "$after" ] || fail "real: ts $(ts_of "$id") before $after"
test_clock "pin soon"
expect_fail "expected 'pin MS', 'offset MS' or 'real'" \
	env OPSDECK_TEST_CLOCK="$TEST_CLOCK" "$OPSDECK_TEST" log add --category note "bad clock"
ok "the test binary: OPSDECK_NOW_MS, pin, offset, real, and a bad control file"

# ---- the test binary's clock moved while a console runs ----
export OPSDECK_DB=$T/console.db
export OPSDECK_TEST_CLOCK=$TEST_CLOCK
test_clock pin $T0
OPSDECK=$OPSDECK_TEST console_start 100 30
wait_text "2026-01-10 12:00  UTC 12:00"
test_clock pin $((T0 + 90 * 60000))
wait_text "2026-01-10 13:30  UTC 13:30"
ok "pinned, then moved: the top bar follows"
# An offset runs with real time: a year back is still today's hour and minute.
test_clock offset -$((365 * day))
wait_text "$(date -u -d '-365 days' +%Y-%m-%d) "
# An SLA countdown in the Incidents view moves with the clock too.
test_clock pin $T0
OPSDECK_TEST_CLOCK=$TEST_CLOCK "$OPSDECK_TEST" incident new --title "clock sla" --severity SEV1 >/dev/null
keys BTab
wait_re "clock sla"
wait_text "ack 5m 00s "
test_clock pin $((T0 + 61000))
wait_text "ack 3m 59s "
ok "offset, and an SLA countdown moved while the console runs"
console_quit

echo "$passed passed"
