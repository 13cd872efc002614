#!/usr/bin/env bash
# Settings files: `opsdeck config check` lists every problem of every file
# (file:line:col) and exits 1, or one ok line per file and 0; a bad setting keeps
# its default and the others stay; a bad setting that chooses hosts or keys stops
# every command and the console, with the message.
set -eu  # no pipefail: `grep -q` closing a pipe early is not a failure
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"

C=$XDG_CONFIG_HOME/opsdeck
mkdir -p "$C"

# ---- nothing configured: ok lines, exit 0 ----
rc=0; out=$($OPSDECK config check 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "config check with no files exited $rc: $out"
for f in config.yaml keys.yaml incidents.yaml inventory.yaml; do
	echo "$out" | grep -q "^$C/$f: ok " || fail "no ok line for $f: $out"
done
echo "$out" | grep -q '^default: ok ' || fail "no ok line for the theme: $out"
ok "config check: one ok line per file, exit 0"

# ---- a good set of files: still ok ----
cat >"$C/config.yaml" <<EOF
theme: light
inventory: $T/inventory.yaml
witness: { every: 30m, command: [logger, -t, opsdeck] }
EOF
printf 'hosts:\n  - { name: web01, address: 127.0.0.1 }\n' >"$T/inventory.yaml"
printf 'quit: Q\n' >"$C/keys.yaml"
printf 'alert: flash\n' >"$C/incidents.yaml"
rc=0; out=$($OPSDECK config check 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "config check with good files exited $rc: $out"
echo "$out" | grep -q "^$T/inventory.yaml: ok (1 host)" || fail "inventory not checked: $out"
echo "$out" | grep -q '^light: ok ' || fail "selected theme not checked: $out"
ok "config check: good files are ok"

# ---- two typos and a bad value: three messages; the rest of the file stays ----
cat >"$C/config.yaml" <<EOF
theme: light
clock_secnds: yes
inventory: $T/inventory.yaml
data_poll_ms: fast
outptu_cap_kib: 9
EOF
printf 'quti: x\nhelp: [F1, Bogus]\n' >"$C/keys.yaml"
printf 'alert: loud\nflapping: { window: 1x, changes: 0 }\n' >"$C/incidents.yaml"
printf 'hostz: []\nthreshold: []\nhosts: []\n' >"$T/inventory.yaml"
mkdir -p "$C/themes" "$C/runbooks" "$C/calendars"
printf 'name: x\nroles:\n  ok: { fg: pink }\n  crit: { bg: 999 }\n' >"$C/themes/light.yaml"
printf 'steps: []\n' >"$C/runbooks/restart.yaml"
printf 'name: close\nkind: freez\nevents: []\n' >"$C/calendars/close.yaml"
cp "$OPSDECK_TOP_SRCDIR/examples/calendars/payroll.yaml" "$C/calendars/"
rc=0; out=$($OPSDECK config check 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "config check with problems exited $rc, want 1: $out"
for want in \
	"$C/config.yaml:2:1: unknown setting 'clock_secnds'; did you mean 'clock_seconds'?" \
	"$C/config.yaml:4:15: data_poll_ms must be a whole number, not 'fast'" \
	"$C/config.yaml:5:1: unknown setting 'outptu_cap_kib'; did you mean 'output_cap_kib'?" \
	"$C/keys.yaml:1:1: unknown action 'quti'; did you mean 'quit'?" \
	"$C/keys.yaml:2:12: unknown key name 'Bogus'" \
	"$C/incidents.yaml:1:8: alert must be bell, flash or none, not 'loud'" \
	"$C/incidents.yaml:2:21: window must be a duration" \
	"$C/incidents.yaml:2:34: changes must be from 1 to 1000, not 0" \
	"$T/inventory.yaml:1:1: unknown setting 'hostz'; did you mean 'hosts'?" \
	"$T/inventory.yaml:2:1: unknown setting 'threshold'; did you mean 'thresholds'?" \
	"$C/themes/light.yaml:3:13: unknown colour 'pink'" \
	"$C/themes/light.yaml:4:15: unknown colour '999'" \
	"$C/runbooks/restart.yaml: not checked: the runbook loader is not yet available" \
	"$C/calendars/close.yaml:2:7: kind is freeze, caution, peak or info" \
	"$C/calendars/payroll.yaml: ok (a calendar)" \
	"13 problems"; do
	echo "$out" | grep -qF -- "$want" || fail "config check lacks '$want': $out"
done
echo "$out" | grep -q 'more' && fail "config check summarised instead of listing: $out"
ok "config check: every problem of every file as file:line:col, exit 1"

# a command goes on with the good settings and says which ones use defaults
printf 'theme: light\nclock_secnds: yes\nconnect_timeout_s: 3\nknown_hosts: %s\n' "$T/kh" >"$C/config.yaml"
rm -f "$C/keys.yaml" "$C/incidents.yaml"
rc=0; err=$($OPSDECK paths 2>&1 >"$T/paths.out") || rc=$?
[ "$rc" = 0 ] || fail "paths with a typo in config.yaml exited $rc: $err"
echo "$err" | grep -qF "opsdeck: $C/config.yaml:2:1: unknown setting 'clock_secnds'" || fail "typo not reported: $err"
grep -q "^known-hosts *$T/kh " "$T/paths.out" || fail "known_hosts beside the typo was dropped: $(cat "$T/paths.out")"
ok "a typo is reported; the settings beside it stay (known_hosts kept)"

# ---- a bad setting that chooses hosts or keys: nothing runs ----
refuses() { # refuses CONFIG-TEXT MESSAGE
	printf '%s' "$1" >"$C/config.yaml"
	local rc=0 err
	err=$($OPSDECK hosts 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 1 ] || fail "hosts with '$1' exited $rc, want 1: $err"
	echo "$err" | grep -qF -- "$2" || fail "hosts with '$1' said '$err', want '$2'"
	echo "$err" | grep -q 'not running' || fail "no refusal for '$1': $err"
	rc=0
	err=$(TERM=xterm $OPSDECK </dev/null 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 1 ] || fail "console with '$1' exited $rc, want 1: $err"
	echo "$err" | grep -qF -- "$2" || fail "console with '$1' said '$err', want '$2'"
}
refuses "theme: light
known_hosts: [a, b]
" "$C/config.yaml:2:14: known_hosts needs a single value"
refuses "known_host: $T/kh
" "$C/config.yaml:1:1: unknown setting 'known_host'; did you mean 'known_hosts'?"
refuses "inventory: ~ops/hosts.yaml
" "$C/config.yaml:1:12: inventory must start with ~/ or be a plain path"
refuses "ssh_config: ''
" "$C/config.yaml:1:13: ssh_config must not be empty"
refuses "theme: light
inventory: [
" "$C/config.yaml:3:1: did not find expected node content"
rc=0; $OPSDECK log add "still writes?" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "log add ran with a broken config.yaml (exit $rc)"
# config check still runs, and names the problem
rc=0; out=$($OPSDECK config check 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "config check exited $rc: $out"
echo "$out" | grep -qF "$C/config.yaml:3:1: did not find expected node content" || fail "check: $out"
ok "a bad inventory/known_hosts/ssh_config setting stops hosts and the console with file:line:col"

# ---- config schema ----
$OPSDECK config schema --markdown | grep -q '^| `known_hosts` | path | ~/.ssh/known_hosts |' ||
	fail "config schema --markdown: $($OPSDECK config schema --markdown)"
$OPSDECK config schema incidents.yaml --markdown | grep -q '^| `alert` | bell, flash or none | `bell` |' ||
	fail "incidents schema"
$OPSDECK config schema keys.yaml | grep -q '^quit ' || fail "keys schema"
expect_fail "unknown file 'nope.yaml'" $OPSDECK config schema nope.yaml
expect_fail "unknown action 'frob'" $OPSDECK config frob
ok "config schema prints each file's table"

echo "$passed passed"
