#!/bin/bash
# The sshd fixture that the fleet tests stand on (tests/sshd-fixture.sh), checked with
# OpenSSH's own client: three real sshd hosts on loopback, logins with strict host
# key checking against the generated known_hosts, a changed host key (rekey), a crash
# mid-session (kill) and restart, the silent listener, and a stop that leaves no
# process behind. Run by make check (OPSDECK_BIN etc. set); prints "# ok - ..." per
# check and "N passed, 0 failed".
# shellcheck source-path=SCRIPTDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=script-env.sh
. "$here/script-env.sh"
# shellcheck source=sshd-fixture.sh
. "$here/sshd-fixture.sh" # defines sshd_fixture CMD ...
F=$T/fleet
trap 'sshd_fixture stop "$F" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
unset SSH_AUTH_SOCK # only the fixture's client key, never an agent's
command -v ssh >/dev/null 2>&1 || fail "ssh is not installed (tools/install-deps)"
command -v ssh-keyscan >/dev/null 2>&1 || fail "ssh-keyscan is not installed (tools/install-deps)"

sshopts=(-F "$F/ssh_config" -o BatchMode=yes -o ConnectTimeout=5)

# procs_in TEXT: pids whose command line contains TEXT (from /proc: no procps needed).
procs_in() {
	local d IFS=' '
	local -a a
	for d in /proc/[0-9]*; do
		{ mapfile -d '' -t a <"$d/cmdline"; } 2>/dev/null || continue
		case "${a[*]-}" in *"$1"*) echo "${d#/proc/}" ;; esac
	done
}

# served_fp ADDR PORT: the fingerprint of the ed25519 key the server presents.
served_fp() {
	ssh-keyscan -T 3 -t ed25519 -p "$2" "$1" 2>/dev/null | ssh-keygen -l -f - | awk '{ print $2; exit }'
}

# ---- start ----
start=$SECONDS
sshd_fixture start "$F" 3 >"$T/start.out" 2>&1 || fail "start: $(cat "$T/start.out")"
# Generous: make check runs two tests at a time, on cores other work may share (9 s
# was seen); a start that hangs still fails.
[ $((SECONDS - start)) -le 20 ] || fail "start of 3 hosts took $((SECONDS - start)) s"
grep -q '3 hosts h01..h03 on ' "$T/start.out" || fail "start said: $(cat "$T/start.out")"
for f in inventory.yaml known_hosts fingerprints ssh_config hosts.txt client/id_ed25519; do
	[ -s "$F/$f" ] || fail "start did not write $f"
done
[ "$(grep -c '^  - name: h0[123]$' "$F/inventory.yaml")" = 3 ] || fail "inventory: $(cat "$F/inventory.yaml")"
[ "$(cut -d' ' -f3 "$F/known_hosts" | sort -u | wc -l)" = 3 ] || fail "host keys are not distinct"
[ "$(sshd_fixture status "$F" | grep -c ' up$')" = 3 ] || fail "status: $(sshd_fixture status "$F")"
ok "start: 3 sshd hosts ($(sed 's/^sshd-fixture: //' "$T/start.out")), each with its own host key"

# ---- logins with strict host key checking ----
while read -r name addr port; do
	out=$(ssh "${sshopts[@]}" "$name" 'echo "$SSH_CONNECTION"' 2>&1) || fail "ssh $name: $out"
	case "$out" in *" $addr $port") ;; *) fail "ssh $name reached '$out', not $addr $port" ;; esac
	grep -qxF "$name $(served_fp "$addr" "$port")" "$F/fingerprints" || fail "$name: served key not in fingerprints"
done <"$F/hosts.list"
ok "ssh -F ssh_config logs in to every host with StrictHostKeyChecking=yes; fingerprints match the served keys"

read -r target <"$F/hosts.txt"
user=${target%@*}
hp=${target#*@}
out=$(ssh -o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes -i "$F/client/id_ed25519" \
	-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$F/known_hosts" -o GlobalKnownHostsFile=/dev/null \
	-p "${hp##*:}" -l "$user" "${hp%:*}" true 2>&1) || fail "ssh to $target from hosts.txt: $out"
ok "hosts.txt entries ($target) with the client key and known_hosts work without ssh_config"

# ---- a changed host key ----
read -r _ addr port < <(grep '^h02 ' "$F/hosts.list")
old=$(grep '^h02 ' "$F/fingerprints")
new=$(sshd_fixture rekey "$F" h02) || fail "rekey h02"
[ "$new" != "$old" ] || fail "rekey kept the fingerprint $old"
[ "$new" = "h02 $(served_fp "$addr" "$port")" ] || fail "rekey printed '$new', server has another key"
if out=$(ssh "${sshopts[@]}" h02 true 2>&1); then fail "strict checking accepted h02's new key"; fi
case "$out" in *"Host key verification failed"*) ;; *) fail "ssh h02 after rekey said: $out" ;; esac
ssh "${sshopts[@]}" h01 true || fail "h01 broke when h02 was rekeyed"
[ "$(grep '^h02 ' "$F/fingerprints")" = "$old" ] || fail "rekey rewrote the trusted fingerprints"
ok "rekey h02: new key served ($new), strict checking refuses it, others unaffected"

# ---- a crash mid-session, then restart ----
ssh "${sshopts[@]}" h03 'echo started; exec sleep 60' >"$T/session.out" 2>&1 &
session=$!
deadline=$((SECONDS + 10))
until grep -q started "$T/session.out"; do
	[ "$SECONDS" -le "$deadline" ] || fail "the h03 session did not start: $(cat "$T/session.out")"
	sleep 0.05
done
sshd_fixture kill "$F" h03 || fail "kill h03"
deadline=$((SECONDS + 5))
while kill -0 "$session" 2>/dev/null; do
	[ "$SECONDS" -le "$deadline" ] || fail "the h03 session outlived its sshd"
	sleep 0.05
done
rc=0
wait "$session" || rc=$?
[ "$rc" -ne 0 ] || fail "the h03 session ended with 0 after its sshd was killed"
if out=$(ssh "${sshopts[@]}" h03 true 2>&1); then fail "h03 answered after kill"; fi
case "$out" in *"Connection refused"*) ;; *) fail "ssh h03 after kill said: $out" ;; esac
ok "kill h03 drops its open session (ssh exit $rc) and refuses new ones"

sshd_fixture restart "$F" h03 || fail "restart h03"
out=$(ssh "${sshopts[@]}" h03 'echo back') || fail "ssh h03 after restart: $out"
[ "$out" = back ] || fail "h03 after restart said '$out'"
ok "restart h03: same address, port and host key (strict login works)"

# ---- the silent listener ----
sport=$(sshd_fixture silent "$F") || fail "silent"
exec 3<>"/dev/tcp/127.0.0.1/$sport" || fail "the silent listener did not accept"
if read -r -t 1 line <&3; then fail "the silent listener said '$line'"; fi
exec 3>&-
start=$SECONDS
if out=$(ssh -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=yes \
	-o UserKnownHostsFile="$F/known_hosts" -p "$sport" 127.0.0.1 true 2>&1); then
	fail "ssh to the silent listener succeeded"
fi
case "$out" in *"timed out"*) ;; *) fail "ssh to the silent listener said: $out" ;; esac
[ $((SECONDS - start)) -le 6 ] || fail "ConnectTimeout=2 took $((SECONDS - start)) s"
ok "silent listener on 127.0.0.1:$sport accepts, says nothing; ssh times out ($(head -n 1 <<<"$out"))"

# ---- stop ----
[ -n "$(procs_in "$F")" ] || fail "no fixture process found before stop"
sshd_fixture stop "$F" || fail "stop"
left=$(procs_in "$F")
[ -z "$left" ] || fail "still running after stop: $left"
[ -s "$F/h01/sshd.log" ] || fail "stop removed h01/sshd.log"
[ -s "$F/known_hosts" ] || fail "stop removed known_hosts"
sshd_fixture stop "$F" || fail "a second stop failed"
ok "stop ends every sshd and the silent listener, keeps the files, and may be repeated"

echo "$passed passed, 0 failed"
