#!/usr/bin/env bash
# The Incidents view end to end: the real console in tmux. Create an incident with
# keys, acknowledge, escalate with a reason, activate, mitigate and resolve with a
# note (checked with `incident show --json`); an illegal transition shows the core's
# message and changes nothing; a hostile title from the CLI reaches the screen
# without its escapes; a new SEV1 rings the bell. Then a real sshd host whose custom
# probe turns CRITICAL opens an incident on its own, annotated when it recovers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/sshd-fixture.sh"

export OPSDECK_DB=$T/ops.db
unset SSH_AUTH_SOCK
SLOW=${SLOW_SECS:-60}
F=$T/fleet

inc_cleanup() {
	sshd_fixture stop "$F" >/dev/null 2>&1 || true
	lib_cleanup
}
trap inc_cleanup EXIT

mkdir -p "$XDG_CONFIG_HOME/opsdeck"
cat >"$XDG_CONFIG_HOME/opsdeck/incidents.yaml" <<EOF
alert: bell
alert_severity: SEV2
EOF

# json_field ID FIELD: a scalar of `incident show ID --json` (null as null).
json_field() {
	$OPSDECK incident show "$1" --json | tr -d '\n' |
		sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[a-z0-9-]*\).*/\1/p" | head -1
}

# prompt_answer LABEL TEXT: answers the open line prompt.
prompt_answer() {
	wait_text "$1"
	keys C-u
	[ -z "$2" ] || type_text "$2"
	keys Enter
	wait_gone "$1"
}

# ---- no inventory: the console opens on the Log; S-Tab goes to Incidents ----
console_start 140 30
wait_text "3:Log"
pane | sed -n 2p | grep -q '1:Hosts.*2:Incidents.*3:Log' || fail "tabs are not Hosts, Incidents, Log"
keys BTab
wait_text "No open incidents"
ok "the Incidents tab sits between Hosts and Log"

# ---- create with keys ----
keys c
prompt_answer "New incident title:" "web outage"
prompt_answer "Severity (SEV1..SEV4):" "SEV3"
wait_text "Opened #1 (SEV3)"
wait_re '#1 +SEV3 +triage\* .*web outage'
pane | sed -n 1p | grep -q '1 SEV3' || fail "top bar lacks '1 SEV3': $(pane | sed -n 1p)"
[ "$(json_field 1 state)" = '"triage"' ] || fail "#1 not in triage"
ok "c asks for a title and a severity and opens #1; the top bar counts it"

# ---- an illegal transition: the core's message, nothing changed ----
before=$($OPSDECK incident show 1 --json)
keys m
wait_text "#1: incident #1 is triage: cannot mitigate it"
[ "$($OPSDECK incident show 1 --json)" = "$before" ] || fail "an illegal transition changed #1"
ok "m on a triage incident shows the core's message and changes nothing"

# ---- acknowledge, escalate with a reason ----
keys a
wait_text "#1 acknowledged"
[ "$(json_field 1 acked_at)" != null ] || fail "#1 not acknowledged"
wait_re '#1 +SEV3 +triage +'
keys e
prompt_answer "Escalation reason for #1:" "db team needed"
wait_text "#1 escalated"
[ "$(json_field 1 level)" = 2 ] || fail "#1 not at level 2: $(json_field 1 level)"
$OPSDECK incident show 1 --json | grep -q 'db team needed' || fail "escalation reason not on the timeline"
ok "a acknowledges; e escalates with the reason typed"

# ---- activate, mitigate, resolve with a note ----
keys A
wait_text "#1 activated"
keys m
wait_text "#1 mitigated"
keys r
prompt_answer "Resolution note for #1:" "restarted the pool"
wait_text "#1 resolved"
[ "$(json_field 1 state)" = '"resolved"' ] || fail "#1 not resolved"
[ "$(json_field 1 resolution)" = '"restarted the pool"' ] || fail "resolution note: $(json_field 1 resolution)"
wait_text "No open incidents"
$OPSDECK log list | grep -q 'restarted the pool' || fail "the resolution is not in the shift log"
ok "A, m, r resolve #1 with its note (shown by incident show --json, logged)"

# ---- filters and the detail with its timeline ----
keys f
prompt_answer "States (open, all" "all"
wait_re '#1 +SEV3 +resolved'
keys Enter
wait_text "Incident detail"
wait_text "Incident #1  web outage"
wait_re 'escalated .*db team needed'
wait_re 'mitigated -> resolved'
keys Escape
wait_gone "Incident detail"
keys x
wait_text "No open incidents"
ok "f all shows resolved incidents; Enter opens the detail with the timeline"

# ---- hostile title via the CLI: shown clean ----
title_before=$(tmx display -p -t console '#{pane_title}')
$OPSDECK incident new --title $'\e]2;PWNED\a\e[31mRED\e[0m title\e[2J' --severity SEV4 >/dev/null
wait_re '#2 +SEV4 .*RED title'
[ "$(tmx display -p -t console '#{pane_title}')" = "$title_before" ] || fail "pane title changed"
pane -e | grep -qF $'\e[31mRED' && fail "injected colour reached the screen"
on_screen "PWNED" && fail "OSC text reached the screen"
ok "a hostile title is shown without its escape effects"

# ---- a new SEV1 rings the bell (incidents.yaml: alert: bell) ----
tmx set -g monitor-bell on
tmx set -g bell-action any
tmx new-window -d -t console # the bell flag is kept for windows not in view
tmx select-window -t console:1
$OPSDECK incident new --title "db down" --severity SEV1 >/dev/null
deadline=$((SECONDS + WAIT_SECS))
until [ "$(tmx display -p -t console:0 '#{window_bell_flag}')" = 1 ]; do
	[ "$SECONDS" -le "$deadline" ] || fail "no bell for a new SEV1"
	sleep 0.1
done
tmx select-window -t console:0
tmx kill-window -t console:1
wait_re '#3 +SEV1 .*db down'
pane | sed -n 1p | grep -q '1 SEV1' || fail "top bar lacks '1 SEV1'"
ok "a new SEV1 (opened by the CLI) rings the terminal bell"

console_quit
ok "q y quits with exit 0 and no sanitizer report"

# ---- an automatic incident from a real sshd host ----
sshd_fixture start "$F" 1 >"$T/fixture.out" 2>&1 || fail "fixture start: $(cat "$T/fixture.out")"
echo 0 >"$T/state"
read -r _ h_addr h_port < <(grep '^h01 ' "$F/hosts.list")
cat >"$T/inventory.yaml" <<EOF
hosts:
  - name: h01
    address: $h_addr
    port: $h_port
    user: "$(id -un)"
    identity_file: "$F/client/id_ed25519"
    probes: [app]
probes:
  - name: app
    command: "echo 'APP state'; echo >>$T/rounds; exit \$(cat $T/state)"
    interval: 1
EOF
cat >"$XDG_CONFIG_HOME/opsdeck/config.yaml" <<EOF
inventory: $T/inventory.yaml
known_hosts: $F/known_hosts
ssh_config: none
connect_timeout_s: 2
EOF
console_start 140 30
wait_re '^ok +h01 ' "$SLOW"
echo 2 >"$T/state"
deadline=$((SECONDS + SLOW))
until $OPSDECK incident list --json | grep -q '"title":"h01: app critical"'; do
	[ "$SECONDS" -le "$deadline" ] || fail "no incident for h01/app"
	sleep 0.3
done
id=$($OPSDECK incident list --json | tr -d '\n' | sed -n 's/.*"id":\([0-9]*\),"title":"h01: app critical".*/\1/p')
[ "$(json_field "$id" dedup_key)" = '"h01/app"' ] || fail "dedup key: $(json_field "$id" dedup_key)"
[ "$(json_field "$id" source)" = '"probe"' ] || fail "source: $(json_field "$id" source)"
# More rounds, still critical: no more events. Each round starts after the last one
# was handled, so once three more have started, two more critical results were seen.
r0=$(wc -l <"$T/rounds")
deadline=$((SECONDS + SLOW))
until [ "$(wc -l <"$T/rounds")" -ge $((r0 + 3)) ]; do
	[ "$SECONDS" -le "$deadline" ] || fail "the probe stopped running after the incident opened"
	sleep 0.1
done
[ "$(json_field "$id" repeat_count)" = 1 ] || fail "repeated on every round"
ok "a probe turning CRITICAL on a real host opens one incident keyed h01/app"

echo 0 >"$T/state"
deadline=$((SECONDS + SLOW))
until $OPSDECK incident show "$id" --json | grep -q '"kind":"recovered"'; do
	[ "$SECONDS" -le "$deadline" ] || fail "no recovery on #$id"
	sleep 0.3
done
ok "back to OK annotates #$id as recovered"
console_quit
echo "$passed passed"
