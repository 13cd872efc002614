#!/bin/bash
# `opsdeck hosts` and `opsdeck exec` against a real loopback fleet (tests/sshd-fixture.sh):
# probe rounds and Nagios-style exit codes, JSON, host keys (unknown, batch accept from
# fingerprints, changed = refused and alarmed in the shift log), grouped exec output
# (clush -b style) and exit summary, hostile output, Ansible inventories, bad input.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=script-env.sh
. "$here/script-env.sh"
# shellcheck source=sshd-fixture.sh
. "$here/sshd-fixture.sh"
F=$T/fleet
trap 'sshd_fixture stop "$F" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
unset SSH_AUTH_SOCK
sshd_fixture start "$F" 3 >"$T/start.out" 2>&1 || fail "fixture: $(cat "$T/start.out")"

# The console's config points at the fleet; h03's key is not known yet.
export OPSDECK_CONFIG_DIR=$T/config
mkdir -p "$OPSDECK_CONFIG_DIR"
h03=$(awk '$1 == "h03" { print "[" $2 "]:" $3 }' "$F/hosts.list")
grep -vF "$h03 " "$F/known_hosts" > "$T/known_hosts"
# The probes read this machine, whose load and disk the test does not control:
# thresholds no real figure reaches keep the exit codes about keys and reachability.
cp "$F/inventory.yaml" "$T/inventory.yaml"
cat >> "$T/inventory.yaml" <<YML
thresholds:
  - { probe: load, warn: 1000000, crit: 1000000 }
  - { probe: memory, warn: 101, crit: 101 }
  - { probe: disk, warn: 101, crit: 101 }
YML
cat > "$OPSDECK_CONFIG_DIR/config.yaml" <<CONF
inventory: $T/inventory.yaml
known_hosts: $T/known_hosts
ssh_config: none
connect_timeout_s: 5
CONF

rc=0; out=$($OPSDECK hosts 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "hosts with an unknown key exited $rc, want 2: $out"
echo "$out" | grep -q '^h03 .*key problem .*host key unknown: SHA256:' || fail "h03 not shown as key problem: $out"
echo "$out" | grep -Eq '^h01 +(ok|degraded|critical) ' || fail "h01 has no probe state: $out"
echo "$out" | grep -Eq '^    load +(OK|WARNING|CRITICAL) +load [0-9.]+' || fail "no load figures: $out"
echo "$out" | grep -Eq '^    memory +[A-Z]+ +mem [0-9]+%' || fail "no memory figures: $out"
$OPSDECK log list --host h03 | grep -q 'host key unknown: SHA256:' || fail "unknown key not logged"
ok "hosts: probe round, figures, unknown key shown and logged, exit 2"

rc=0; out=$($OPSDECK hosts --accept-keys "$F/fingerprints" 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "hosts after accepting exited $rc, want 0: $out"
echo "$out" | grep -q 'key problem' && fail "a key problem is left: $out"
grep -qF "$h03 " "$T/known_hosts" || fail "accepted key not written to known_hosts"
$OPSDECK log list --host h03 --category action | grep -q 'host key SHA256:.* accepted' || fail "acceptance not logged"
ok "hosts --accept-keys: expected fingerprints accepted, written, logged"

json=$($OPSDECK hosts --json --filter h01) || fail "hosts --json failed"
echo "$json" | grep -q '"name":"h01"' || fail "json: $json"
echo "$json" | grep -q '"probes":\[{"name":"load","state":"[A-Z]*"' || fail "json probes: $json"
echo "$json" | grep -q '"fingerprint":"SHA256:' || fail "json fingerprint: $json"
[ "$(echo "$json" | grep -c '"name":"h0')" = 1 ] || fail "--filter h01 returned others"
ok "hosts --json --filter"

out=$($OPSDECK exec 'h*' -- echo same) || fail "exec echo failed: $out"
echo "$out" | grep -qx 'h01,h02,h03 (3)' || fail "identical output not grouped: $out"
echo "$out" | grep -qx 'exit 0: h01,h02,h03 (3)' || fail "exit summary: $out"
out=$($OPSDECK exec 'h*' -- 'echo $SSH_CONNECTION | cut -d" " -f3') || fail "exec per-host failed"
[ "$(echo "$out" | grep -c '^---------------$')" = 6 ] || fail "different outputs not in 3 groups: $out"
ok "exec groups identical output (clush -b) and summarises exits"

rc=0; out=$($OPSDECK exec h01 -- 'echo partial; exit 3') || rc=$?
[ "$rc" = 1 ] || fail "exec exit 3 gave $rc"
echo "$out" | grep -qx 'exit 3: h01 (1)' || fail "exit 3 summary: $out"
rc=0; out=$($OPSDECK exec h02 -- "printf 'x\\033]0;pwned\\007\\033[31my\\377z\\n'") || rc=$?
[ "$rc" = 0 ] || fail "hostile exec exited $rc"
if printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\033\007]')"; then fail "escapes reached stdout"; fi
echo "$out" | grep -q '^xy.z$' || fail "sanitised output: $out"
$OPSDECK log list --category action | grep -q "exec on 1 host: echo partial; exit 3 (exit 0: 0, non-zero: 1" || fail "exec not logged"
ok "exec: non-zero exit code, hostile output sanitised, logged"

sshd_fixture rekey "$F" h02 >/dev/null
rc=0; out=$($OPSDECK exec 'h*' -- true) || rc=$?
[ "$rc" = 2 ] || fail "exec with a changed key exited $rc"
echo "$out" | grep -q '^failed: host key changed: .*refused: h02 (1)$' || fail "changed key summary: $out"
$OPSDECK log list --category alarm --severity critical | grep -q '\[h02\] HOST KEY CHANGED' || fail "no alarm in the log"
ok "changed host key: refused, exit 2, critical alarm in the shift log"

cat > "$T/ansible.yml" <<YML
all:
  vars:
    ansible_user: $(id -un)
    ansible_ssh_private_key_file: $F/client/id_ed25519
  children:
    web:
      hosts:
$(awk '$1 != "h02" { printf "        %s:\n          ansible_host: %s\n          ansible_port: %s\n", $1, $2, $3 }' "$F/hosts.list")
YML
out=$($OPSDECK exec web --inventory "$T/ansible.yml" -- echo ansible) || fail "exec on an Ansible inventory: $out"
echo "$out" | grep -qx 'h01,h03 (2)' || fail "ansible group: $out"
ok "an Ansible inventory works as it is (group pattern)"

# Custom probes speak the Nagios plugin protocol: exit code -> state, perfdata -> figures.
nagios_inventory() { # $1 = the plugin's exit code
	cat <<YML
hosts:
$(awk '$1 == "h01" { printf "  - name: %s\n    address: %s\n    port: %s\n    probes: [check-disk]\n", $1, $2, $3 }' "$F/hosts.list")
    identity_file: $F/client/id_ed25519
probes:
  - name: check-disk
    command: "echo 'DISK STATE - free space: / 100 MB (10%);| /=900MB;800;950;0;1000'; exit $1"
YML
}
for code in 0 1 2 3; do
	nagios_inventory "$code" > "$T/nagios.yaml"
	rc=0; json=$($OPSDECK hosts --json --inventory "$T/nagios.yaml") || rc=$?
	want=$code; [ "$code" = 3 ] && want=1 # UNKNOWN makes the host degraded
	[ "$rc" = "$want" ] || fail "plugin exit $code: hosts exited $rc, want $want: $json"
	state=$(echo "$json" | sed -n 's/.*"name":"check-disk","state":"\([A-Z]*\)".*/\1/p')
	case $code in 0) w=OK ;; 1) w=WARNING ;; 2) w=CRITICAL ;; 3) w=UNKNOWN ;; esac
	[ "$state" = "$w" ] || fail "plugin exit $code: state '$state', want $w"
	echo "$json" | grep -q '"metrics":{"/":900}' || fail "perfdata not read: $json"
done
ok "Nagios plugin exit codes 0-3 and perfdata through a real host"

expect_fail "no host in" $OPSDECK exec 'nomatch*' -- true
printf 'hosts:\n  - name: a\n    port: 99999\n' > "$T/bad.yaml"
expect_fail "bad.yaml:3:11:" $OPSDECK hosts --inventory "$T/bad.yaml"
expect_fail "usage:" $OPSDECK exec 'h*' true
expect_fail "needs a positive number" $OPSDECK hosts --timeout 0
ok "bad input: clear errors, non-zero exit"
echo "$passed passed, 0 failed"
