#!/usr/bin/env bash
# The `opsdeck incident` contract: new prints the id, list/show (text and JSON),
# the lifecycle verbs, illegal transitions and bad usage exit non-zero and leave
# the database as it was, notes/assign/escalate/link/problems, the shift log
# mirrors every change, report figures on fixed data (pinned clock), post-mortem
# to a file, incidents.yaml errors, and hostile text never printed raw.
set -eu  # no pipefail: `grep -q` closing a pipe early is not a failure
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"

db=$XDG_DATA_HOME/opsdeck/opsdeck.db
dump() { sqlite3 "$db" .dump; }
# unchanged CMD...: CMD must fail and leave every table as it was.
unchanged() {
	local before after
	before=$(dump)
	"$@"
	after=$(dump)
	[ "$before" = "$after" ] || fail "'$*' changed the database"
}
# Every command runs on the test binary, whose clock stands where `at` puts it.
OPSDECK=$OPSDECK_TEST
export OPSDECK_TEST_CLOCK=$TEST_CLOCK
T0=1768046400000 # 2026-01-10T12:00:00Z
at() { test_clock pin $((T0 + $1 * 60000)); } # minutes after T0

$OPSDECK paths | grep -q "^incidents .*/opsdeck/incidents.yaml" || fail "paths lacks incidents"
$OPSDECK incident --help | grep -q 'incident new --title T --severity SEV1..SEV4' || fail "help"
ok "paths and help"

at 0
id=$($OPSDECK incident new --title "disk full on web01" --severity SEV2 --host web01 --host web02 \
	--class capacity --impact "checkout slow" --priority P2 --description "/var at 99%")
[ "$id" = 1 ] || fail "new printed '$id'"
[ "$($OPSDECK incident new --title "db01 down" --severity 1 --host db01)" = 2 ] || fail "second id"
ok "incident new prints the id"

expect_fail "needs --title and --severity" $OPSDECK incident new --title x
expect_fail "unknown severity 'SEV5'" $OPSDECK incident new --title x --severity SEV5
expect_fail "unknown class 'gossip'" $OPSDECK incident new --title x --severity 2 --class gossip
expect_fail "does not apply" $OPSDECK incident ack 1 --json
expect_fail "unknown action 'frob'" $OPSDECK incident frob
expect_fail "usage:" $OPSDECK incident show
rc=0; $OPSDECK incident new --title x 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "bad usage exit $rc, want 2"
ok "bad usage: message, exit 2"

list=$($OPSDECK incident list)
[ "$(echo "$list" | wc -l)" = 2 ] || fail "list lines"
echo "$list" | head -1 | grep -q '^#2 .* SEV1 triage .* ack 5m 00s left .* db01  db01 down$' || fail "list order/format: $list"
echo "$list" | grep -q 'web01+1  disk full on web01' || fail "list hosts"
$OPSDECK incident list --json | grep -q '"id":1,"title":"disk full on web01","severity":"SEV2","priority":2,"state":"triage","classification":"capacity"' || fail "list json"
[ "$($OPSDECK incident list --severity SEV2 | wc -l)" = 1 ] || fail "--severity"
[ "$($OPSDECK incident list --host db01 | wc -l)" = 1 ] || fail "--host"
[ "$($OPSDECK incident list --state closed | wc -l)" = 0 ] || fail "--state closed"
expect_fail "unknown state 'done'" $OPSDECK incident list --state done
ok "incident list: queue order, text, --json, filters"

# Illegal transitions: non-zero, a message naming the legal ones, nothing written.
at 1
unchanged expect_fail "incident #1 is triage: cannot resolve it (from triage: activate, cancel, merge)" \
	$OPSDECK incident resolve 1 --note "too early"
unchanged expect_fail "cannot mitigate it" $OPSDECK incident mitigate 1
unchanged expect_fail "cannot close it" $OPSDECK incident close 1
unchanged expect_fail "no incident #9" $OPSDECK incident ack 9
unchanged expect_fail "resolving needs a resolution note" $OPSDECK incident resolve 1
unchanged expect_fail "cancelling needs --reason" $OPSDECK incident cancel 1
ok "illegal transitions refused, database unchanged"

$OPSDECK incident ack 1 | grep -q '^incident #1 acknowledged$' || fail "ack"
unchanged expect_fail "already acknowledged" $OPSDECK incident ack 1
at 2
$OPSDECK incident activate 1 | grep -q '^incident #1 active$' || fail "activate"
$OPSDECK incident note 1 rotated the logs, "still 95%" | grep -q 'noted' || fail "note"
$OPSDECK incident assign 1 --to bob | grep -q 'assigned' || fail "assign"
$OPSDECK incident escalate 1 --reason "need storage team" | grep -q 'escalated to L2 (secondary)' || fail "escalate"
at 10
$OPSDECK incident mitigate 1 >/dev/null
at 30
$OPSDECK incident resolve 1 --note "moved logs to /srv" | grep -q 'resolved' || fail "resolve"
# A clock before the last event is refused.
at 20
unchanged expect_fail "before incident #1's last event" $OPSDECK incident close 1
at 31
$OPSDECK incident close 1 | grep -q 'closed' || fail "close"
unchanged expect_fail "none: closed is final" $OPSDECK incident reopen 1
ok "ack, activate, note, assign, escalate, mitigate, resolve, close"

show=$($OPSDECK incident show 1)
echo "$show" | grep -q '^state     closed$' || fail "show state"
echo "$show" | grep -q '^resolve   due 2026-01-10 16:00:00, met$' || fail "show resolve SLA: $show"
me=$(id -un)
echo "$show" | grep -q "^responders on-call, $me, bob, secondary$" || fail "show responders (the acknowledger took it on): $show"
echo "$show" | grep -q 'note: rotated the logs, still 95%' || fail "show note"
echo "$show" | grep -q '2026-01-10 12:30:00  .*  resolved: moved logs to /srv' || fail "show timeline"
$OPSDECK incident show 1 --json | grep -q '"timeline":\[' || fail "show json timeline"
$OPSDECK incident show 1 --json | grep -q '"kind":"escalated"' || fail "show json event"
# Every change is in the shift log too, for this incident.
# 10: opened, acknowledged, assigned (the acknowledger), activated, note, assigned, escalated,
# mitigated, resolved, closed.
[ "$($OPSDECK log list | grep -c 'Incident #1 ')" = 10 ] || fail "shift log entries"
$OPSDECK log list --category alarm | grep -q 'Incident #1 .*escalated L1 -> L2' || fail "escalation alarm"
ok "show (text, json) and the shift log"

# Cancel, merge, problems, link.
at 40
$OPSDECK incident new --title "web02 disk" --severity 2 --host web02 >/dev/null  # 3
$OPSDECK incident new --title "noise" --severity 4 >/dev/null                  # 4
$OPSDECK incident cancel 4 --reason "test alert" | grep -q cancelled || fail "cancel"
$OPSDECK incident merge 3 --into 2 | grep -q merged || fail "merge"
$OPSDECK incident show 2 | grep -q '^hosts     db01, web02$' || fail "merge hosts"
pid=$($OPSDECK incident problem new --title "no log rotation" --type corrective --incident 1 \
	--criticality performance --size "3 hosts" --cost "1 day" --time "1 week")
[ "$pid" = 1 ] || fail "problem new printed '$pid'"
expect_fail "unknown problem type 'fix'" $OPSDECK incident problem new --title x --type fix
$OPSDECK incident link 2 --problem 1 | grep -q 'linked to problem #1' || fail "link"
unchanged expect_fail "already linked" $OPSDECK incident link 2 --problem 1
unchanged expect_fail "cannot become resolved" $OPSDECK incident problem set 1 --status resolved
$OPSDECK incident problem set 1 --status investigating --root-cause "logrotate missing" >/dev/null
$OPSDECK incident problem show 1 | grep -q '^incidents 1, 2$' || fail "problem show"
$OPSDECK incident problem list | grep -q '^#1 .*corrective  investigating' || fail "problem list"
$OPSDECK incident problem list --json | grep -q '"root_cause":"logrotate missing"' || fail "problem json"
$OPSDECK incident classify 2 --class external | grep -q 'classified external' || fail "classify"
ok "cancel, merge, classify, problems and links"

# SLA breaches and escalation from `incident check` (the console's timer), once.
# Incident 2 (SEV1, opened at +0) was never acknowledged: 5 min ack target, 15 min at L1.
at 41
out=$($OPSDECK incident check)
echo "$out" | grep -q '^incident #2 SEV1: acknowledge SLA breached: db01 down$' || fail "check breach"
echo "$out" | grep -q '^1 SLA breach, 1 escalation$' || fail "check counts: $out"
$OPSDECK incident check | grep -q '^0 SLA breaches, 0 escalations$' || fail "check twice"
$OPSDECK incident show 2 | grep -q '^level     L2 (secondary)' || fail "level after check"
at 56 # L2 waits 30 min from +41
$OPSDECK incident check | grep -q '^0 SLA breaches, 0 escalations$' || fail "L2 timeout"
ok "incident check: breaches once, escalation after the timeout"

# Report on fixed data: incidents 1..4 were opened at +0, +0, +40, +40 minutes.
at 60
rep=$($OPSDECK incident report --since 2026-01-10Z --until 2026-01-11Z --json)
echo "$rep" | grep -q '"total":4,"by_severity":{"SEV1":1,"SEV2":2,"SEV3":0,"SEV4":1}' || fail "report counts: $rep"
echo "$rep" | grep -q '"capacity":1,.*"external":1' || fail "report classes"
echo "$rep" | grep -q '"mtta_ms":{"n":1,"median":60000,"p90":60000' || fail "report mtta"
echo "$rep" | grep -q '"mttr_ms":{"n":1,"median":1800000,"p90":1800000' || fail "report mttr"
echo "$rep" | grep -q '"sla_breaches":{"acknowledge":1,"resolve":0}' || fail "report breaches"
$OPSDECK incident report --since 2026-01-10Z --until 2026-01-11Z | grep -q '^MTTR        1  30m 00s' || fail "report text"
expect_fail "is not a time" $OPSDECK incident report --since yesterdayish
ok "report: counts, MTTA and MTTR median and p90 on fixed data"

# Post-mortem to a file.
$OPSDECK incident postmortem 1 --output "$T/pm.md" 2>/dev/null
grep -q '^# Post-mortem draft: incident #1: disk full on web01$' "$T/pm.md" || fail "pm title"
for h in '## Summary' '## Impact' '## Classification' '## Timeline' '## Linked problems' '## Open actions'; do
	grep -qx "$h" "$T/pm.md" || fail "pm lacks $h"
done
grep -q '^| 2026-01-10 12:02:00 | .* | note: rotated the logs, still 95% |$' "$T/pm.md" || fail "pm timeline"
grep -q '^- \[ \] Problem #1 (investigating): no log rotation$' "$T/pm.md" || fail "pm actions"
ok "postmortem --output writes the markdown draft"

# Hostile text in titles and notes never comes back raw.
evil=$(printf 'evil \033]0;pwned\007\033[2J\033[31mred\233 end')
hid=$($OPSDECK incident new --title "$evil" --severity 3 --host "$(printf 'h\033[1mx')")
$OPSDECK incident note "$hid" "$evil" >/dev/null
$OPSDECK incident postmortem "$hid" --output "$T/evil.md" 2>/dev/null
for out in "$($OPSDECK incident list)" "$($OPSDECK incident list --json)" \
	   "$($OPSDECK incident show "$hid")" "$($OPSDECK incident show "$hid" --json)" \
	   "$($OPSDECK incident postmortem "$hid")" "$(cat "$T/evil.md")" "$($OPSDECK log list)"; do
	if printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\033\007\233]')"; then
		fail "control characters in output"
	fi
done
$OPSDECK incident show "$hid" | grep -q '^title     evil red. end$' || fail "sanitised title"
ok "escape sequences stripped from every output"

# incidents.yaml: settings apply; errors name file:line:col and change nothing.
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
printf 'severities:\n  SEV1: { name: Outage, ack: 2m, resolve: 30m }\n' >"$XDG_CONFIG_HOME/opsdeck/incidents.yaml"
nid=$($OPSDECK incident new --title "configured" --severity SEV1)
$OPSDECK incident show "$nid" | grep -q '^incident  #[0-9]*  SEV1 (Outage)$' || fail "config name"
$OPSDECK incident show "$nid" | grep -q '^ack SLA   due 2026-01-10 13:02:00' || fail "config ack target"
printf 'severities:\n  SEV1:\n    ack: soon\n' >"$XDG_CONFIG_HOME/opsdeck/incidents.yaml"
unchanged expect_fail "incidents.yaml:3:10: ack must be a duration" $OPSDECK incident new --title x --severity 1
rm "$XDG_CONFIG_HOME/opsdeck/incidents.yaml"
ok "incidents.yaml applies, and errors name file:line:col"

# Several ids: each in its own transaction, one line per id, exit 1 when any was refused.
at 40
a1=$($OPSDECK incident new --title "bulk a" --severity SEV3)
a2=$($OPSDECK incident new --title "bulk b" --severity SEV3)
a3=$($OPSDECK incident new --title "bulk c" --severity SEV3)
at 41
$OPSDECK incident ack "$a1" >/dev/null
rc=0; out=$($OPSDECK incident ack "$a1" "$a2" "$a3" 2>"$T/bulk.err") || rc=$?
[ "$rc" = 1 ] || fail "ack with one refused id should exit 1, not $rc"
[ "$(echo "$out" | grep -c 'acknowledged$')" = 2 ] || fail "ack: one line per id done: $out"
grep -q "#$a1 was already acknowledged" "$T/bulk.err" || fail "ack: the refused id named"
$OPSDECK incident show "$a2" | grep -q "^assignee  $me$" || fail "acknowledging assigns to the acknowledger"
$OPSDECK incident assign "$a2" "$a3" alice | grep -c assigned | grep -q 2 || fail "assign ID... USER"
$OPSDECK incident show "$a3" | grep -q '^assignee  alice$' || fail "assign positional user"
unchanged expect_fail "merge needs --into ID" $OPSDECK incident merge "$a2" "$a3"
$OPSDECK incident merge "$a2" "$a3" --into "$a1" | grep -c 'merged$' | grep -q 2 || fail "merge 2 3 --into 1"
$OPSDECK incident edit "$a1" --title "bulk: one cause" | grep -q 'retitled' || fail "edit --title"
$OPSDECK incident show "$a1" | grep -q '^title     bulk: one cause$' || fail "new title shown"
$OPSDECK incident show "$a1" | grep -q 'retitled (was: bulk a)' || fail "retitled event"
unchanged expect_fail "usage: opsdeck incident edit ID --title T" $OPSDECK incident edit "$a1" "$a2" --title x
ok "several ids per verb, assign ID USER, merge --into, edit --title"

# Resolving an active incident records the mitigation with it; from triage it is refused.
at 42
$OPSDECK incident activate "$a1" >/dev/null
$OPSDECK incident resolve "$a1" --note "root cause fixed" | grep -q 'resolved$' || fail "resolve from active"
tl=$($OPSDECK incident show "$a1")
echo "$tl" | grep -q 'mitigated: recorded with the resolution' || fail "implied mitigation in the timeline: $tl"
echo "$tl" | grep -q 'resolved: root cause fixed' || fail "resolution in the timeline"
t4=$($OPSDECK incident new --title "still triage" --severity SEV4)
unchanged expect_fail "cannot resolve it (from triage" $OPSDECK incident resolve "$t4" --note x
ok "resolve from active records the mitigation; from triage still refused"

# A post-mortem never overwrites a file without --force.
echo keep >"$T/pm.md"
expect_fail "pm.md exists: use --force" $OPSDECK incident postmortem "$a1" --output "$T/pm.md"
[ "$(cat "$T/pm.md")" = keep ] || fail "postmortem overwrote a file"
$OPSDECK incident postmortem "$a1" --output "$T/pm.md" --force 2>/dev/null
grep -q '^# Post-mortem draft' "$T/pm.md" || fail "postmortem --force"
ok "postmortem --output refuses an existing file without --force"

$OPSDECK log verify | grep -q '^ok: ' || fail "shift log chain"
echo "$passed passed, 0 failed"
