#!/usr/bin/env bash
# fleet.sh: the fleet part of `make bench` (issue #3). Starts one loopback fleet of real
# sshd (tests/sshd-fixture.sh) and measures, on the same hosts in the same run, opsdeck
# against pssh, ssh and OpenSSH ControlMaster: cold rounds, steady rounds on open
# sessions, client CPU and memory, and the console's key-to-frame during a connect storm.
# Figures only, never pass/fail. Needs BENCH_FLEET and OPSDECK_BIN; see bench/README.md.
# shellcheck disable=SC2016 # backticks in single quotes are markdown
set -u

: "${BENCH_FLEET:?set BENCH_FLEET to the built bench/bench_fleet}"
: "${OPSDECK_BIN:?set OPSDECK_BIN to the built opsdeck}"
here=$(cd "$(dirname "$0")" && pwd)
out=${BENCH_OUT:-$here/out}
fixture=$here/../tests/sshd-fixture.sh
sizes=${BENCH_FLEET_SIZES:-50 100 200 500}
par=${BENCH_FLEET_PARALLEL:-100}
reps=${BENCH_FLEET_REPS:-3}
reps_big=${BENCH_FLEET_REPS_BIG:-2}
rounds=${BENCH_FLEET_ROUNDS:-20}
cm_rounds=${BENCH_FLEET_CM_ROUNDS:-5}
keys_n=${BENCH_FLEET_KEYS:-200}
cmd=true

max=0
for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done

mkdir -p "$out" || exit 1
# Short: ControlPath sockets live in here and a unix socket path has 108 bytes.
tmp=$(mktemp -d /tmp/odfleet.XXXXXX) || exit 1
fx=$tmp/fx
rows=$tmp/rows
console_pid=
harness_pid=
host_cgroup=
masters=0

say() { printf 'bench fleet: %s\n' "$*" >&2; }
loud() { printf '\nbench fleet: *** %s ***\n\n' "$*" >&2; }

# Cleanup on any exit: the console and its terminal (bench_console), the ControlMaster sessions
# (ssh -O exit, then by pid: they daemonise), the fixture's sshds, the scratch folder.
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$console_pid" ]; then kill -TERM "$console_pid" 2>/dev/null; fi
	if [ -n "$harness_pid" ]; then kill -TERM "$harness_pid" 2>/dev/null; fi
	if [ "$masters" = 1 ]; then
		cm_stop
		# shellcheck disable=SC2046 # a list of pids
		kill -TERM $(cm_pids) 2>/dev/null
	fi
	[ -f "$fx/hosts.list" ] && bash "$fixture" stop "$fx" >/dev/null 2>&1
	if [ -n "$host_cgroup" ]; then # empty once the sshds are gone
		i=0
		until rmdir "$host_cgroup" 2>/dev/null || [ "$i" -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Nothing here may read or write the user's own config, keys, agent or data.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
export XDG_STATE_HOME="$tmp/home/.local/state" XDG_CACHE_HOME="$tmp/home/.cache"
export LC_ALL=C.UTF-8
unset OPSDECK_DB OPSDECK_CONFIG_DIR OPSDECK_NOW_MS NO_COLOR SSH_AUTH_SOCK PSSH_OPTIONS
mkdir -p "$XDG_CONFIG_HOME/opsdeck" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME"

kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$rows"; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
secs() { awk -v m="$1" 'BEGIN { printf "%.2f s", m / 1000 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

# median FILE: the median of the numbers in FILE (one a line); "-" when empty.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# stats FILE: "median p99 count" of the numbers in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		r = int(0.99 * NR); if (r < 0.99 * NR) r++; if (r < 1) r = 1
		printf "%.3f %.3f %d\n", m, v[r], NR }'
}

for t in parallel-ssh ssh; do
	command -v "$t" >/dev/null || { say "$t not installed (tools/install-deps installs it): fleet part skipped"; exit 0; }
done
[ -x "$OPSDECK_BIN" ] || { say "no opsdeck at $OPSDECK_BIN: fleet part skipped"; exit 0; }

# ---- the fleet ----

# Real hosts do their side of SSH on their own CPUs and never take one from the
# client. Here the "hosts" share this machine, so (BENCH_HOSTS):
# - weight (the default where a cpu cgroup can be made): the hosts' sshds run in a
#   cgroup of the lowest CPU weight. They may use every CPU, but only what the
#   clients leave idle: a client runs as if the hosts were elsewhere, and the hosts
#   still get all the spare CPU of the machine for their side of the handshakes.
# - pin (the default otherwise, with 2 or more CPUs): the hosts on the last CPU and
#   every client on the others; the one host CPU is then the floor of a cold round.
# - share: hosts and clients share every CPU at equal weight (each sshd session is
#   its own scheduler autogroup, so 100 key exchanges take the clients' CPU time).
# BENCH_PIN=0 means share and BENCH_PIN=1 means pin (the older switch).
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
hosts_mode=${BENCH_HOSTS:-}
case "${BENCH_PIN:-}" in 0) hosts_mode=${hosts_mode:-share} ;; 1) hosts_mode=${hosts_mode:-pin} ;; esac
pin_hosts=""
host_cgroup=""
if [ -z "$hosts_mode" ] || [ "$hosts_mode" = weight ]; then
	# cgroup v1 cpu controller (cpu.shares 2 of 1024), else v2 (cpu.weight 1 of 100).
	for cg in /sys/fs/cgroup/cpu /sys/fs/cgroup; do
		[ -w "$cg" ] || continue
		if [ -e "$cg/cpu.shares" ] || grep -qw cpu "$cg/cgroup.subtree_control" 2>/dev/null; then
			d="$cg/opsdeck-bench-hosts-$$"
			if mkdir "$d" 2>/dev/null; then
				if { [ -e "$d/cpu.shares" ] && echo 2 >"$d/cpu.shares"; } 2>/dev/null ||
					{ [ -e "$d/cpu.weight" ] && echo 1 >"$d/cpu.weight"; } 2>/dev/null; then
					host_cgroup=$d
					break
				fi
				rmdir "$d" 2>/dev/null
			fi
		fi
	done
	if [ -n "$host_cgroup" ]; then
		hosts_mode=weight
	elif [ "$hosts_mode" = weight ]; then
		say "BENCH_HOSTS=weight: no cpu cgroup can be made here (needs root); pinning instead"
		hosts_mode=pin
	else
		hosts_mode=pin
	fi
fi
if [ "$hosts_mode" = pin ] && { [ "$ncpu" -lt 2 ] || ! command -v taskset >/dev/null; }; then
	hosts_mode=share
fi
case $hosts_mode in
weight)
	pinning="hosts at the lowest CPU weight (cgroup $host_cgroup), sharing every CPU with the clients" ;;
pin)
	pin_hosts="taskset -c $((ncpu - 1))"
	taskset -p -c "0-$((ncpu - 2))" $$ >/dev/null
	pinning="hosts on CPU $((ncpu - 1)), clients on CPU 0-$((ncpu - 2))" ;;
*)
	hosts_mode=share
	pinning="hosts and clients share every CPU at equal weight" ;;
esac

# Every fixture host runs commands as this user, through its login shell. bash reads
# ~/.bashrc for commands sent over ssh, and all the hosts share one home here, so one
# heavy rc file (pyenv rehash takes a global lock) would serialise the whole fleet and
# bench the rc file. SHLVL=1 makes bash skip it; every client meets the same hosts.
sshd_bin=${SSHD_FIXTURE_SSHD:-/usr/sbin/sshd}
mkdir -p "$tmp/bin"
# The wrapper puts each fixture sshd (and so every session it forks) in its place.
{
	printf '#!/bin/sh\n'
	[ -n "$host_cgroup" ] && printf 'echo $$ >%s/cgroup.procs || exit 1\n' "$host_cgroup"
	printf 'exec %s %s -o "SetEnv SHLVL=1" "$@"\n' "$pin_hosts" "$sshd_bin"
} >"$tmp/bin/sshd"
chmod +x "$tmp/bin/sshd"
say "starting $max sshd (tests/sshd-fixture.sh)"
t0=$(date +%s)
if ! SSHD_FIXTURE_SSHD=$tmp/bin/sshd bash "$fixture" start "$fx" "$max" >"$tmp/fixture.out" 2>&1; then
	loud "the fixture did not start: $(tail -n 5 "$tmp/fixture.out")"
	exit 1
fi
if [ "$(cut -d' ' -f2 "$fx/hosts.list" | sort -u | wc -l)" = 1 ]; then
	mode="one address, one port per host"
else
	mode="one loopback address per host"
fi
row fleet "fixture: $max loopback sshd ($("$sshd_bin" -V 2>&1 | head -n 1 | cut -d, -f1)), started in $(($(date +%s) - t0)) s" \
	"$mode; remote shell without rc files (SetEnv SHLVL=1)"
row fleet "command, handshake limit" "\`$cmd\`; opsdeck --parallel $par, pssh -p $par"
row fleet "CPUs" "$pinning"

# Per size: an opsdeck inventory, a pssh host file and a host name list (first N hosts).
for n in $sizes; do
	awk -v n="$n" -v id="$fx/client/id_ed25519" 'BEGIN { print "hosts:" } NR <= n {
		printf "  - name: %s\n    address: %s\n    port: %s\n    identity_file: \"%s\"\n", $1, $2, $3, id }' \
		"$fx/hosts.list" >"$tmp/inv-$n.yaml"
	head -n "$n" "$fx/hosts.txt" >"$tmp/hosts-$n.txt"
	head -n "$n" "$fx/hosts.list" | cut -d' ' -f1 >"$tmp/names-$n"
done
printf 'ssh_config: none\nknown_hosts: %s/known_hosts\n' "$fx" >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
cfg=$fx/ssh_config

# check N LABEL OK: a run that did not succeed on every host is shouted about, and
# its figure is marked (a benchmark of failures is worthless).
check() {
	if [ "$3" != "$1" ]; then
		loud "$2: only $3 of $1 hosts succeeded"
		printf ' FAILED on %s of %s hosts' "$(($1 - ${3:-0}))" "$1"
	fi
}

# ---- 1. cold rounds ----

# cold_* N: one run; append "wall_ms cpu_ms" to $tmp/cold-KIND-N; print the ok count.
cold_opsdeck() {
	l=$("$BENCH_FLEET" run -o "$tmp/o.out" -- "$OPSDECK_BIN" exec 'h*' --inventory "$tmp/inv-$1.yaml" \
		--parallel "$par" -- "$cmd")
	echo "$(kv "$l" wall_ms) $(kv "$l" cpu_ms) $(kv "$l" maxrss_kb)" >>"$tmp/cold-opsdeck-$1"
	# Only "exit 0: h01,...,hNN (N)" counts; "failed: ..." and other exits do not.
	sed -n 's/^exit 0: .* (\([0-9]*\))$/\1/p' "$tmp/o.out" | awk '{ s += $1 } END { print s + 0 }'
}
cold_pssh() { # N KIND [pssh options]
	c_n=$1 c_kind=$2
	shift 2
	l=$("$BENCH_FLEET" run -o "$tmp/o.out" -- parallel-ssh -p "$par" -h "$tmp/hosts-$c_n.txt" \
		-x "-F $cfg" "$@" "$cmd")
	echo "$(kv "$l" wall_ms) $(kv "$l" cpu_ms) $(kv "$l" maxrss_kb)" >>"$tmp/cold-$c_kind-$c_n"
	grep -c '\[SUCCESS\]' "$tmp/o.out"
}
cold_seq() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	l=$("$BENCH_FLEET" run -o "$tmp/o.out" -- sh -c \
		'while read -r h; do ssh -F "$1" "$h" "$2" </dev/null && echo "ok $h" || echo "FAIL $h"; done <"$3"' \
		sh "$cfg" "$cmd" "$tmp/names-$1")
	echo "$(kv "$l" wall_ms) $(kv "$l" cpu_ms) $(kv "$l" maxrss_kb)" >>"$tmp/cold-seq-$1"
	grep -c '^ok ' "$tmp/o.out"
}

# col FILE K: the median of column K of FILE.
col() { awk -v k="$2" '{ print $k }' "$1" >"$tmp/col" && median "$tmp/col"; }

for n in $sizes; do
	r=$reps
	[ "$n" -ge 200 ] && r=$reps_big
	say "cold rounds, $n hosts ($r runs each, sequential ssh once)"
	fails_o='' fails_d='' fails_c='' fails_s=''
	i=0
	# Interleaved, so that a slow moment of the machine hits every client alike.
	while [ "$i" -lt "$r" ]; do
		fails_o=$fails_o$(check "$n" "opsdeck exec, $n hosts" "$(cold_opsdeck "$n")")
		fails_d=$fails_d$(check "$n" "pssh default, $n hosts" "$(cold_pssh "$n" pssh)")
		fails_c=$fails_c$(check "$n" "pssh curve25519, $n hosts" \
			"$(cold_pssh "$n" curve -O KexAlgorithms=curve25519-sha256)")
		i=$((i + 1))
	done
	fails_s=$(check "$n" "sequential ssh, $n hosts" "$(cold_seq "$n")")
	o=$(col "$tmp/cold-opsdeck-$n" 1) d=$(col "$tmp/cold-pssh-$n" 1)
	c=$(col "$tmp/cold-curve-$n" 1) s=$(col "$tmp/cold-seq-$n" 1)
	row "cold $n" "opsdeck exec 'h*' --parallel $par -- $cmd (median of $r)" \
		"$(secs "$o"), client CPU $(secs "$(col "$tmp/cold-opsdeck-$n" 2)"), peak RSS $(mb "$(col "$tmp/cold-opsdeck-$n" 3)")$fails_o"
	row "cold $n" "parallel-ssh -p $par, default options (median of $r)" \
		"$(secs "$d"), client CPU $(secs "$(col "$tmp/cold-pssh-$n" 2)")$fails_d"
	row "cold $n" "parallel-ssh -p $par, KexAlgorithms=curve25519-sha256 (median of $r)" \
		"$(secs "$c"), client CPU $(secs "$(col "$tmp/cold-curve-$n" 2)")$fails_c"
	row "cold $n" "ssh, one host after another (1 run)" \
		"$(secs "$s"), client CPU $(secs "$(col "$tmp/cold-seq-$n" 2)")$fails_s"
	row "cold $n" "ratio opsdeck / pssh default" "$(calc "$o / $d")x" "<= 0.25x"
	row "cold $n" "ratio opsdeck / pssh curve25519" "$(calc "$o / $c")x" "<= 0.8x"
done

# ---- 2. steady rounds on open sessions ----

cm_pids() { "$BENCH_FLEET" procs "$fx/cm-" | sed -n 's/.* pids=//p' | tr ',' ' ' | sed 's/^-$//'; }
cm_stop() {
	xargs -P 20 -I{} ssh -F "$cfg" -o "ControlPath=$fx/cm-%h-%p" -O exit {} \
		<"$tmp/names-$max" >/dev/null 2>&1
}

say "steady rounds: opsdeck (bench_fleet)"
for n in $sizes; do
	r=$rounds
	[ "$n" -ge 500 ] && r=$((rounds / 2 > 0 ? rounds / 2 : 1))
	l=$("$BENCH_FLEET" fleet "$fx" "$n" "$r" "$par" "$cmd" 2>"$tmp/fleet.err")
	[ -s "$tmp/fleet.err" ] && cat "$tmp/fleet.err" >&2
	printf '%s\n' "$l" >"$tmp/fleet-$n"
	check "$((n * (r + 1)))" "bench_fleet, $n hosts" "$(kv "$l" ok)" >"$tmp/fleet-fail-$n"
done

say "steady rounds: ControlMaster + pssh (starting $max masters)"
masters=1
t0=$(date +%s)
xargs -P 20 -I{} ssh -F "$cfg" -o ControlMaster=yes -o "ControlPath=$fx/cm-%h-%p" \
	-o ControlPersist=600 -N -f {} <"$tmp/names-$max" >"$tmp/cm-start.out" 2>&1
p=$("$BENCH_FLEET" procs "$fx/cm-")
[ "$(kv "$p" count)" = "$max" ] ||
	loud "only $(kv "$p" count) of $max ControlMaster sessions started: $(head -n 3 "$tmp/cm-start.out")"
row steady "peer: $(kv "$p" count) OpenSSH ControlMaster sessions (ssh -N -f), started in $(($(date +%s) - t0)) s" \
	"rounds: parallel-ssh -p $par -x '-o ControlPath=... -o ControlMaster=no'"
cm_pss=$(kv "$p" pss_kb) cm_rss=$(kv "$p" rss_kb)
for n in $sizes; do
	: >"$tmp/cm-ms"
	: >"$tmp/cm-cpu"
	f=''
	m0=$(kv "$("$BENCH_FLEET" procs "$fx/cm-")" cpu_ms)
	i=0
	while [ "$i" -lt "$cm_rounds" ]; do
		l=$("$BENCH_FLEET" run -o "$tmp/o.out" -- parallel-ssh -p "$par" -h "$tmp/hosts-$n.txt" \
			-x "-F $cfg -o ControlPath=$fx/cm-%h-%p -o ControlMaster=no" "$cmd")
		f=$f$(check "$n" "ControlMaster + pssh, $n hosts" "$(grep -c '\[SUCCESS\]' "$tmp/o.out")")
		kv "$l" wall_ms >>"$tmp/cm-ms"
		kv "$l" cpu_ms >>"$tmp/cm-cpu"
		i=$((i + 1))
	done
	m1=$(kv "$("$BENCH_FLEET" procs "$fx/cm-")" cpu_ms)
	cmm=$(median "$tmp/cm-ms")
	l=$(cat "$tmp/fleet-$n")
	row "steady $n" "opsdeck engine: $(kv "$l" rounds) rounds on $n open sessions (bench_fleet)" \
		"median $(kv "$l" median_ms) ms, p99 $(kv "$l" p99_ms) ms; client CPU $(kv "$l" cpu_median_ms) ms/round$(cat "$tmp/fleet-fail-$n")"
	row "steady $n" "ControlMaster + parallel-ssh: $cm_rounds rounds (median)" \
		"$cmm ms; client CPU $(median "$tmp/cm-cpu") ms/round (pssh, mux clients) + $(calc "($m1 - $m0) / $cm_rounds" 1) (masters)$f"
	row "steady $n" "ratio opsdeck / ControlMaster + pssh" "$(calc "$(kv "$l" median_ms) / $cmm")x" "<= 0.35x"
	row "steady $n" "  opsdeck engine's own cold round (connect + run, no CLI)" \
		"$(secs "$(kv "$l" cold_ms)"), client CPU $(secs "$(kv "$l" cold_cpu_ms)")"
	# How long one fleet_dispatch keeps the loop from poll (a key waits that long),
	# and how much of it is the engine's CPU rather than waiting for a core.
	row "steady $n" "  longest fleet_dispatch: cold round | steady rounds" \
		"wall $(kv "$l" cold_dispatch_max_ms) ms (CPU $(kv "$l" cold_dispatch_cpu_max_ms), blocked $(kv "$l" cold_dispatch_blocked_max_ms)) | wall $(kv "$l" steady_dispatch_max_ms) ms (CPU $(kv "$l" steady_dispatch_cpu_max_ms), blocked $(kv "$l" steady_dispatch_blocked_max_ms))"
done
cm_stop
sleep 0.5
left=$(cm_pids)
# shellcheck disable=SC2086 # a list of pids
[ -z "$left" ] || kill -TERM $left 2>/dev/null
masters=0

# ---- 3. client memory ----

say "memory"
base=
for n in $sizes; do
	l=$(cat "$tmp/fleet-$n")
	row memory "opsdeck engine, $n hosts up: (VmHWM - VmHWM before connecting) / $n" \
		"$(kv "$l" kb_per_host) KiB/host (VmHWM $(mb "$(kv "$l" hwm0_kb)") -> $(mb "$(kv "$l" hwm_kb)"))" \
		"<= 100 KiB/host"
	[ -z "$base" ] && base=$n
done
if [ "$base" != "$max" ]; then
	row memory "  marginal: (VmHWM at $max - VmHWM at $base) / $((max - base))" \
		"$(calc "($(kv "$(cat "$tmp/fleet-$max")" hwm_kb) - $(kv "$(cat "$tmp/fleet-$base")" hwm_kb)) / ($max - $base)" 1) KiB/host"
fi
row memory "opsdeck exec peak RSS (ru_maxrss), $max hosts" "$(mb "$(col "$tmp/cold-opsdeck-$max" 3)")"
# Sampling the process tree costs CPU, so this is a run of its own, untimed.
l=$("$BENCH_FLEET" run -m -o "$tmp/o.out" -- parallel-ssh -p "$par" -h "$tmp/hosts-$max.txt" -x "-F $cfg" "$cmd")
f=$(check "$max" "pssh memory run" "$(grep -c '\[SUCCESS\]' "$tmp/o.out")")
row memory "parallel-ssh -p $par, $max hosts, whole tree sampled every 20 ms: peak sum" \
	"Rss $(mb "$(kv "$l" tree_rss_kb)"), Pss $(mb "$(kv "$l" tree_pss_kb)")$f"
row memory "ControlMaster: $max masters held open, sum" \
	"Rss $(mb "$cm_rss"), Pss $(mb "$cm_pss") = $(calc "$cm_pss / $max" 1) KiB/host (Pss)"

# ---- 4. the console during a connect storm ----

frames=$tmp/frames

# The console runs on a pseudo-terminal that bench_console owns: it types the keys
# and notes when each key frame's last byte arrives (tui/app.h, the benchmark hook).
console_part() {
	local harness kill_at
	if [ "${BENCH_SKIP_CONSOLE:-0}" = 1 ]; then
		row console "key to frame during a $max-host connect storm" "skipped: BENCH_SKIP_CONSOLE=1"
		return
	fi
	if [ ! -x "${BENCH_CONSOLE:-}" ]; then
		row console "key to frame during a $max-host connect storm" "skipped: BENCH_CONSOLE not built"
		return
	fi
	printf 'ssh_config: none\nknown_hosts: %s/known_hosts\ninventory: %s\nmax_handshakes: %s\n' \
		"$fx" "$tmp/inv-$max.yaml" "$par" >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
	: >"$frames"
	rm -f "$tmp/console.pid" "$tmp/keys.done"
	# Spread the keys over the time a cold round of $max took, so they land in the storm.
	gap=$(awk -v ms="$(col "$tmp/cold-opsdeck-$max" 1)" -v k="$keys_n" \
		'BEGIN { g = int(ms / k); if (g < 10) g = 10; print g }')
	TERM=xterm-256color OPSDECK_DB="$tmp/console.db" OPSDECK_BENCH_FRAMES="$frames" \
		"$BENCH_CONSOLE" -o "$tmp/term" -p "$tmp/console.pid" -d "$tmp/keys.done" \
		-k "$keys_n" -g "$gap" -s 0 -- "$OPSDECK_BIN" >"$tmp/harness.out" 2>&1 &
	harness=$!
	harness_pid=$harness
	i=0
	until [ -s "$tmp/console.pid" ] || [ "$i" -ge 1000 ]; do sleep 0.01; i=$((i + 1)); done
	console_pid=$(cat "$tmp/console.pid" 2>/dev/null)
	until grep -q ' first-frame' "$frames" 2>/dev/null || [ "$i" -ge 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	if [ -z "$console_pid" ] || ! grep -q ' first-frame' "$frames"; then
		row console "key to frame during the storm" "skipped: the console drew no frame in 10 s"
		return
	fi
	socks() { find "/proc/$console_pid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
	s0=$(socks)
	read -r on0 wait0 _ <"/proc/$console_pid/schedstat"
	t0=$("$BENCH_FLEET" now)
	i=0
	kill_at=$(((keys_n * gap / 1000 + 60) * 100))
	until [ -e "$tmp/keys.done" ] || [ "$i" -ge "$kill_at" ]; do sleep 0.01; i=$((i + 1)); done
	t1=$("$BENCH_FLEET" now)
	read -r on1 wait1 _ <"/proc/$console_pid/schedstat"
	s1=$(socks)
	sleep 0.2
	# Then let the storm end, to see that every host came up.
	i=0
	while [ "$(socks)" -lt "$max" ] && [ "$i" -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	s2=$(socks)
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$console_pid/status")
	kill -TERM "$console_pid" 2>/dev/null
	i=0
	while kill -0 "$harness" 2>/dev/null && [ "$i" -lt 300 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	console_pid=
	harness_pid=

	cp "$frames" "$out/fleet-frames.txt" # kept for a second look
	cp "$tmp/term" "$out/fleet-terminal.txt"
	# Three views of one key frame: the console's read of the key to the end of its
	# doupdate(); that read to the frame's last byte at the terminal; and the key
	# typed to that byte (this adds the wait for the console's loop and a CPU).
	awk '$2 == "key" && NF >= 4 { printf "%.3f\n", ($1 - $3) / 1000 }' "$frames" >"$tmp/k2d"
	# A frame's last byte: the bytes just before its mark if they came after the key
	# was read (else the frame wrote nothing new), or the mark itself.
	awk 'NR == FNR { if ($2 == "frame") { mk[$3] = $1; lb[$3] = $4 } next }
	     $2 == "key" && NF >= 4 && ($4 in mk) {
		t = lb[$4] >= $3 ? lb[$4] : mk[$4]; printf "%.3f\n", (t - $3) / 1000 }' \
		"$tmp/term" "$frames" >"$tmp/k2t"
	awk 'FNR == 1 { f++ }
	     f == 1 { if ($2 == "key" && NF >= 4) { n++; rd[n] = $3; seq[n] = $4 } next }
	     f == 2 { if ($2 == "frame") { mk[$3] = $1; lb[$3] = $4 } next }
	     $2 == "key" { while (j < n && rd[j + 1] < $1) j++
			   if (j < n && (seq[j + 1] in mk)) {
				s = seq[j + 1]; t = lb[s] >= rd[j + 1] ? lb[s] : mk[s]
				printf "%.3f\n", (t - $1) / 1000 } }' \
		"$frames" "$tmp/term" "$tmp/term" >"$tmp/t2t"
	read -r dm dp _ <<<"$(stats "$tmp/k2d")"
	read -r km kp kc <<<"$(stats "$tmp/k2t")"
	read -r tm tp tc <<<"$(stats "$tmp/t2t")"
	if [ "$kc" = 0 ]; then
		row console "key to frame during the storm" "skipped: no key frame reached the terminal"
		return
	fi
	row console "key to frame, $max-host connect storm: key read -> frame at the terminal" \
		"median $km, p99 $kp ms ($kc key frames, $keys_n keys)" "<= 5 ms"
	row console "  key read -> the console's doupdate() returns (its own clock)" \
		"median $dm, p99 $dp ms"
	row console "  key typed -> frame at the terminal (adds the wait for the loop and a CPU)" \
		"median $tm, p99 $tp ms ($tc keys)"
	row console "  keys typed over $(calc "($t1 - $t0) / 1e6" 2) s, one per $gap ms, max_handshakes $par" \
		"sessions open $s0 -> $s1 of $max; $s2 of $max open afterwards"
	# The fixture's sshds may share these cores (each session its own autogroup): time
	# the console was runnable but waiting for a core is the machine's, not the console's.
	row console "  console while keys went in: on a core | runnable, waiting for a core" \
		"$(calc "($on1 - $on0) / 1e9" 2) s | $(calc "($wait1 - $wait0) / 1e9" 2) s"
	[ "$s2" = "$max" ] || loud "console: only $s2 of $max sessions open after the storm"
	row console "console peak RSS (VmHWM), $max hosts" "$(mb "${hwm:-0}")"
}
say "console: key to frame during a $max-host connect storm"
console_part

# ---- the table ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
header="$(date -u +%Y-%m-%dT%H:%MZ), $ncpu CPUs ($cpu), $(ssh -V 2>&1 | cut -d, -f1), parallel-ssh $(parallel-ssh --version 2>&1)"

awk -F '\t' -v h="$header" 'BEGIN { print "opsdeck bench: fleet  " h; print "" }
	$1 != last { printf "[%s]\n", $1; last = $1 }
	{ printf "  %-78s %s%s\n", $2, $3, ($4 != "" ? "   (goal " $4 ")" : "") }' "$rows"

# results.md: the log part's file with this section replaced (or the section alone).
{
	[ -f "$out/results.md" ] && sed '/^## Fleet (issue #3)/,$d' "$out/results.md"
	printf '## Fleet (issue #3)\n\n%s\n\n' "$header"
	printf '| section | figure | value | goal |\n| --- | --- | --- | --- |\n'
	awk -F '\t' '{ gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$rows"
} >"$tmp/results.md" && mv "$tmp/results.md" "$out/results.md"
say "wrote $out/results.md"
