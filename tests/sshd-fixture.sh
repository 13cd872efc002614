#!/usr/bin/env bash
# sshd-fixture.sh: a private fleet of real OpenSSH sshd processes on loopback, for
# opsdeck's tests and the demo (the way libssh's own tests run sshd: a generated
# sshd_config with its own host keys and PidFile, StrictModes no, started with an
# absolute path and -f, stopped by pid). Everything it writes is inside DIR.
#
#   sshd-fixture.sh start DIR N [BASEPORT]  start N hosts h01..hNN (names: $SSHD_FIXTURE_NAMES)
#   sshd-fixture.sh stop DIR                stop every sshd and silent listener started in DIR
#   sshd-fixture.sh kill DIR NAME           SIGKILL NAME's sshd and its sessions (a crash)
#   sshd-fixture.sh restart DIR NAME        start NAME again: same address, port and host key
#   sshd-fixture.sh rekey DIR NAME          new host key for NAME, restart; prints "NAME SHA256:..."
#   sshd-fixture.sh silent DIR [PORT]       a TCP listener on 127.0.0.1 that never speaks; prints its port
#   sshd-fixture.sh hostile DIR MODE        a hostile server (tests/hostile_sshd: banner, disconnect,
#                                           kick or signal) on 127.0.0.1; prints its port, writes
#                                           DIR/hostile-MODE.known (its known_hosts line)
#   sshd-fixture.sh status DIR              "NAME ADDR:PORT SHA256:... up|down" per host
#
# Or source it (bash) and call `sshd_fixture start DIR 3` etc.; $SSHD_FIXTURE is its path.
# Each call runs in its own bash, so `set -e` holds inside it whatever the caller does.
#
# Hosts listen on 127.0.0.(10+i) with one port (any 127/8 address works on Linux
# loopback); when those addresses cannot be bound, or SSHD_FIXTURE_MODE=port, all
# listen on 127.0.0.1 with one port each. Without BASEPORT the port is random in
# 10000-29999 (below Linux's ephemeral range) and a port found in use is replaced.
# start prints which it used. Every sshd has its own ed25519 host key and accepts the
# one client key DIR/client/id_ed25519 (no passphrase) for the current user.
#
# start writes in DIR:
#   inventory.yaml   opsdeck inventory: name, address, port, user, identity_file
#   known_hosts      every host key, as [addr]:port (OpenSSH and libssh read it)
#   fingerprints     "NAME SHA256:..." lines (ssh-keygen -l)
#   ssh_config       Host entries for OpenSSH peers: ssh -F DIR/ssh_config h01
#   hosts.txt        user@addr:port per line (pssh -h)
#   hosts.list       "NAME ADDR PORT" per line (the fixture's own record)
#   client/          the client key pair id_ed25519, id_ed25519.pub
#   authorized_keys  the client's public key (every sshd's AuthorizedKeysFile)
#   NAME/            sshd_config, ssh_host_ed25519_key(.pub), fingerprint, sshd.pid, sshd.log
# rekey changes NAME/ files only: known_hosts and fingerprints keep the trusted old key.
#
# As root, sshd needs the privilege separation user `sshd` and the folder /run/sshd
# (both from the openssh-server package); the fixture creates /run/sshd when missing,
# the one thing it writes outside DIR. As any other user sshd runs unprivileged and
# only that user can log in, which is all the tests need.
#
# Environment: SSHD_FIXTURE_NAMES (N names instead of h01..), SSHD_FIXTURE_MODE
# (addr|port), SSHD_FIXTURE_SSHD (absolute sshd path, default /usr/sbin/sshd),
# SSHD_FIXTURE_TIMEOUT (seconds to wait for one sshd, default 10), SILENT_LISTENER
# (the tests/silent_listener binary; else looked up via OPSDECK_TOP_BUILDDIR, beside
# this script, or compiled into DIR with $CC).

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	# Sourced: define the entry point only, leave the caller's shell options alone.
	SSHD_FIXTURE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
	sshd_fixture() { bash "$SSHD_FIXTURE" "$@"; }
	return 0
fi

set -eu

fx_here=$(cd "$(dirname "$0")" && pwd)
fx_sshd=${SSHD_FIXTURE_SSHD:-/usr/sbin/sshd}
fx_timeout=${SSHD_FIXTURE_TIMEOUT:-10}
fx_starting=0
fx_penalties=
fx_noaddr=0
DIR=

fx_say() { echo "sshd-fixture: $*"; }

fx_die() {
	echo "sshd-fixture: $*" >&2
	exit 1
}

# Called on exit: a start that failed halfway stops whatever it had started.
fx_on_exit() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ "$fx_starting" = 1 ]; then
		fx_starting=0
		fx_stop_all >/dev/null 2>&1 || true
		echo "sshd-fixture: start failed; stopped what it had started in $DIR" >&2
	fi
	exit "$rc"
}
trap fx_on_exit EXIT

# fx_setdir DIR [create]: sets DIR to the absolute folder; paths go into sshd_config
# and ssh_config unquoted, and sshd expands % in some of them, hence the check.
fx_setdir() {
	[ -n "$1" ] || fx_die "DIR is empty"
	case "$1" in
	*[[:space:]\"\'%#\\]*) fx_die "'$1': DIR must not contain blanks, quotes, % or #" ;;
	esac
	# A folder it creates is private (it holds a private key); an existing one stays as is.
	if [ "${2-}" = create ] && [ ! -d "$1" ]; then
		mkdir -p -- "$(dirname -- "$1")"
		mkdir -m 700 -- "$1"
	fi
	[ -d "$1" ] || fx_die "$1: no such folder"
	DIR=$(cd -- "$1" && pwd)
	case "$DIR" in
	*[[:space:]\"\'%#\\]*) fx_die "'$DIR': DIR must not contain blanks, quotes, % or #" ;;
	esac
}

fx_check_name() {
	case "$1" in
	client | silent-* | "" | .* | *[!A-Za-z0-9._-]*) fx_die "bad host name '$1'" ;;
	esac
}

# ---- processes, from /proc (no procps needed) ----

declare -A fx_kids=() # ppid -> " pid pid ..."
declare -A fx_args=() # pid -> its command line, arguments joined by blanks

fx_scan() {
	local d p line rest ppid IFS=' '
	local -a a
	fx_kids=()
	fx_args=()
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		{ read -r line <"$d/stat"; } 2>/dev/null || continue
		rest=${line##*) } # comm may hold spaces and parentheses
		ppid=${rest#* }
		ppid=${ppid%% *}
		fx_kids[$ppid]="${fx_kids[$ppid]-} $p"
		{ mapfile -d '' -t a <"$d/cmdline"; } 2>/dev/null || continue
		fx_args[$p]="${a[*]-}"
	done
}

# fx_alive PID: true while PID runs (a zombie is as good as gone).
fx_alive() {
	local line rest
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	[ "${rest%% *}" != Z ]
}

# fx_with_arg ARG: pids (from the last fx_scan) whose command line has the word ARG.
# A word, not an argument: sshd's listener rewrites its argv into one proctitle
# string ("sshd: /usr/sbin/sshd -f CONFIG ... [listener] ..."); DIR has no blanks.
fx_with_arg() {
	local p
	for p in "${!fx_args[@]}"; do
		case " ${fx_args[$p]} " in
		*" $1 "*) echo "$p" ;;
		esac
	done
}

# fx_tree PID...: the pids and all their descendants (from the last fx_scan).
fx_tree() {
	local -a queue=("$@")
	local p k
	while [ "${#queue[@]}" -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		echo "$p"
		for k in ${fx_kids[$p]-}; do queue+=("$k"); done
	done
}

# fx_owned PIDFILE ARG: the pids that are ours for this pid file: the pid in it when its
# command line names ARG (pid files can be stale and pids reused), plus any process
# naming ARG that has not written its pid file yet. Needs fx_scan.
fx_owned() {
	local pid=""
	if [ -s "$1" ]; then read -r pid <"$1" || true; fi
	case "$pid" in
	"" | *[!0-9]*) ;;
	*) case " ${fx_args[$pid]-} " in *" $2 "*) echo "$pid" ;; esac ;;
	esac
	fx_with_arg "$2"
}

# fx_signal_wait SIG PID...: signals them, waits up to 2 s, KILLs what is left, waits 1 s more.
fx_signal_wait() {
	local sig=$1 p left i
	shift
	[ "$#" -gt 0 ] || return 0
	kill "-$sig" "$@" 2>/dev/null || true
	for i in $(seq 60); do
		left=""
		for p in "$@"; do fx_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		# shellcheck disable=SC2086 # $left is a list of pids
		if [ "$i" = 40 ]; then kill -KILL $left 2>/dev/null || true; fi
		sleep 0.05
	done
	echo "sshd-fixture: still running after SIGKILL:$left" >&2
	return 1
}

# fx_host_pids NAME: NAME's sshd and its sessions (the listener's descendants).
fx_host_pids() {
	local -a roots
	mapfile -t roots < <(fx_owned "$DIR/$1/sshd.pid" "$DIR/$1/sshd_config" | sort -u)
	[ "${#roots[@]}" -gt 0 ] || return 0
	fx_tree "${roots[@]}" | sort -u
}

fx_stop_all() {
	local h f
	local -a pids=()
	fx_scan
	for h in "$DIR"/*/sshd_config; do
		[ -e "$h" ] || continue
		h=${h%/sshd_config}
		mapfile -t -O "${#pids[@]}" pids < <(fx_host_pids "${h##*/}")
	done
	for f in "$DIR"/silent-*.pid "$DIR"/hostile-*.pid; do
		[ -e "$f" ] || continue
		mapfile -t -O "${#pids[@]}" pids < <(fx_owned "$f" "$f")
	done
	[ "${#pids[@]}" -gt 0 ] || return 0
	mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -u)
	fx_signal_wait TERM "${pids[@]}"
}

# ---- sshd ----

# PerSourcePenalties (OpenSSH 9.8+) would lock out a test's clients after a few
# killed or failed sessions; older sshd rejects the keyword.
fx_penalties_line() {
	local v maj min
	v=$("$fx_sshd" -V 2>&1 || true)
	v=${v#*OpenSSH_}
	maj=${v%%.*}
	min=${v#*.}
	min=${min%%[!0-9]*}
	case "$maj$min" in
	"" | *[!0-9]*) return 0 ;;
	esac
	if [ $((maj * 100 + min)) -ge 908 ]; then echo "PerSourcePenalties no"; fi
}

fx_write_config() {
	local name=$1 addr=$2 port=$3 h=$DIR/$1
	echo "$addr $port" >"$h/endpoint"
	cat >"$h/sshd_config" <<EOF
# Generated by sshd-fixture.sh for $name; run as: $fx_sshd -f $h/sshd_config -E $h/sshd.log
ListenAddress $addr:$port
AddressFamily inet
HostKey $h/ssh_host_ed25519_key
PidFile $h/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
AuthorizedPrincipalsFile none
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin prohibit-password
UsePAM no
UseDNS no
LogLevel VERBOSE
LoginGraceTime 30
MaxStartups 1000:30:2000
MaxSessions 100
MaxAuthTries 20
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
# Sessions get an empty HOME, so the login shell reads no start-up files of the
# user running the tests (a .bashrc that runs pyenv costs each command ~100 ms).
SetEnv HOME=$DIR/home
$fx_penalties
EOF
	mkdir -p "$DIR/home"
}

fx_keygen() {
	local h=$DIR/$1
	rm -f "$h/ssh_host_ed25519_key" "$h/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$h/ssh_host_ed25519_key" </dev/null >/dev/null
	ssh-keygen -l -f "$h/ssh_host_ed25519_key.pub" | { read -r _ fp _ && echo "$fp"; } >"$h/fingerprint"
}

# fx_launch NAME: starts NAME's sshd from its config. sshd forks into the background
# itself; config and key errors make it exit non-zero here, bind errors come later
# (fx_probe). Records the log size so fx_probe reads only this run's messages.
fx_launch() {
	local h=$DIR/$1
	rm -f "$h/sshd.pid"
	touch "$h/sshd.log"
	wc -c <"$h/sshd.log" >"$h/log.offset"
	"$fx_sshd" -f "$h/sshd_config" -E "$h/sshd.log" </dev/null >/dev/null 2>&1 ||
		fx_die "$1: $fx_sshd failed to start:$(printf '\n'; fx_log_tail "$1" 2>&1)"
}

# fx_probe NAME: up, wait, inuse (port taken), noaddr (address not bindable) or dead.
fx_probe() {
	local h=$DIR/$1 pid="" addr port news
	if [ -s "$h/sshd.pid" ]; then
		# sshd writes its pid file after binding; the connect proves clients can reach it.
		read -r pid <"$h/sshd.pid" || true
		read -r addr port <"$h/endpoint"
		if [ -n "$pid" ] && fx_alive "$pid" && (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then
			echo up
			return 0
		fi
	fi
	news=$(tail -c "+$(($(cat "$h/log.offset") + 1))" "$h/sshd.log")
	case "$news" in
	*"Address already in use"*) echo inuse ;;
	*"Cannot assign requested address"*) echo noaddr ;;
	*"Cannot bind any address"* | *fatal* | *"exiting"*) echo dead ;;
	*) echo wait ;;
	esac
}

# fx_log_tail NAME: the last lines sshd logged since fx_launch, on stderr.
fx_log_tail() {
	local h=$DIR/$1 off=0
	[ -s "$h/log.offset" ] && read -r off <"$h/log.offset"
	tail -c "+$((off + 1))" "$h/sshd.log" 2>/dev/null | tail -n 20 | sed 's/^/  | /' >&2 || true
}

fx_rand_port() { echo $((10000 + (RANDOM * 32768 + RANDOM) % 20000)); }

# fx_wait_up [--retry] NAME...: until every NAME answers; exits on errors and timeout.
# With --retry a host whose port is taken moves to a random free one (start without
# BASEPORT). Sets fx_noaddr=1 and returns when an address cannot be bound, so that
# start can fall back to ports.
fx_wait_up() {
	local retry=0 name st addr port tries=0
	local -a pending
	fx_noaddr=0
	if [ "$1" = --retry ]; then
		retry=1
		shift
	fi
	pending=("$@")
	local deadline=$((SECONDS + fx_timeout))
	while [ "${#pending[@]}" -gt 0 ]; do
		local -a still=()
		for name in "${pending[@]}"; do
			st=$(fx_probe "$name")
			case "$st" in
			up) ;;
			wait) still+=("$name") ;;
			inuse)
				read -r addr port <"$DIR/$name/endpoint"
				tries=$((tries + 1))
				if [ "$retry" = 0 ] || [ "$tries" -gt 20 ]; then
					echo "sshd-fixture: $name: $addr:$port is in use (give another BASEPORT):" >&2
					fx_log_tail "$name"
					exit 1
				fi
				fx_write_config "$name" "$addr" "$(fx_rand_port)"
				fx_launch "$name"
				still+=("$name")
				;;
			noaddr)
				fx_noaddr=1
				return 0
				;;
			*)
				echo "sshd-fixture: $name: sshd exited:" >&2
				fx_log_tail "$name"
				exit 1
				;;
			esac
		done
		pending=("${still[@]+"${still[@]}"}")
		[ "${#pending[@]}" -gt 0 ] || break
		if [ "$SECONDS" -gt "$deadline" ]; then
			echo "sshd-fixture: timed out after ${fx_timeout}s waiting for: ${pending[*]}" >&2
			for name in "${pending[@]}"; do
				echo "sshd-fixture: $DIR/$name/sshd.log:" >&2
				fx_log_tail "$name"
			done
			exit 1
		fi
		sleep 0.02
	done
}

# The privilege separation checks sshd does as root, with a pointer to the fix.
fx_root_prereqs() {
	[ "$(id -u)" = 0 ] || return 0
	getent passwd sshd >/dev/null ||
		fx_die "running as root needs the 'sshd' user (package openssh-server; tools/install-deps)"
	if [ ! -d /run/sshd ]; then
		# The one path outside DIR: sshd chroots its pre-auth child there.
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
}

fx_write_files() {
	local user=$1 name addr port hp fp ktype kb64
	local inv=$DIR/inventory.yaml kh=$DIR/known_hosts fps=$DIR/fingerprints
	local cfg=$DIR/ssh_config txt=$DIR/hosts.txt
	{
		echo "# opsdeck inventory written by sshd-fixture.sh: loopback sshd hosts in $DIR"
		echo "hosts:"
	} >"$inv.tmp"
	: >"$kh.tmp"
	echo "# NAME and the SHA256 fingerprint of its ed25519 host key (sshd-fixture.sh)" >"$fps.tmp"
	echo "# ssh -F $cfg NAME (written by sshd-fixture.sh)" >"$cfg.tmp"
	: >"$txt.tmp"
	while read -r name addr port; do
		if [ "$port" = 22 ]; then hp=$addr; else hp="[$addr]:$port"; fi
		read -r fp <"$DIR/$name/fingerprint"
		read -r ktype kb64 _ <"$DIR/$name/ssh_host_ed25519_key.pub"
		cat >>"$inv.tmp" <<EOF
  - name: $name
    address: $addr
    port: $port
    user: "$user"
    identity_file: "$DIR/client/id_ed25519"
EOF
		echo "$hp $ktype $kb64" >>"$kh.tmp"
		echo "$name $fp" >>"$fps.tmp"
		printf 'Host %s\n\tHostName %s\n\tPort %s\n' "$name" "$addr" "$port" >>"$cfg.tmp"
		echo "$user@$addr:$port" >>"$txt.tmp"
	done <"$DIR/hosts.list"
	# Host * last: ssh takes the first value it finds for each option.
	cat >>"$cfg.tmp" <<EOF
Host *
	User $user
	IdentityFile $DIR/client/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $DIR/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	UpdateHostKeys no
EOF
	for f in "$inv" "$kh" "$fps" "$cfg" "$txt"; do mv -f "$f.tmp" "$f"; done
}

# ---- commands ----

cmd_start() {
	case "$#" in 2 | 3) ;; *) fx_die "usage: start DIR N [BASEPORT]" ;; esac
	local n=$2 base=${3-} mode=${SSHD_FIXTURE_MODE:-addr} user i name addr port retry
	local -a names
	case "$n" in "" | *[!0-9]* | 0) fx_die "N must be a positive number, not '$n'" ;; esac
	case "$base" in *[!0-9]*) fx_die "BASEPORT must be a number, not '$base'" ;; esac
	case "$fx_sshd" in /*) ;; *) fx_die "SSHD_FIXTURE_SSHD must be an absolute path (sshd re-executes itself)" ;; esac
	[ -x "$fx_sshd" ] || fx_die "$fx_sshd not found: install openssh-server (tools/install-deps)"
	command -v ssh-keygen >/dev/null || fx_die "ssh-keygen not found: install openssh-client (tools/install-deps)"
	user=$(id -un)
	case "$user" in *[\"\\[:space:]]*) fx_die "user name '$user' cannot go into the inventory" ;; esac
	if [ -n "${SSHD_FIXTURE_NAMES-}" ]; then
		read -r -a names <<<"$SSHD_FIXTURE_NAMES"
		[ "${#names[@]}" = "$n" ] || fx_die "N is $n but SSHD_FIXTURE_NAMES has ${#names[@]} names"
	else
		names=()
		for ((i = 1; i <= n; i++)); do names+=("$(printf 'h%02d' "$i")"); done
	fi
	for name in "${names[@]}"; do fx_check_name "$name"; done
	[ "$(printf '%s\n' "${names[@]}" | sort -u | wc -l)" = "$n" ] || fx_die "duplicate host names"
	fx_setdir "$1" create
	[ ! -e "$DIR/hosts.list" ] || fx_die "$DIR already holds a fleet: stop it and use a new folder"
	fx_root_prereqs
	fx_starting=1
	fx_penalties=$(fx_penalties_line)

	# Keys first (the client's, then one per host) so that sshd starts right away.
	mkdir -p "$DIR/client"
	ssh-keygen -q -t ed25519 -N '' -C opsdeck-fixture-client -f "$DIR/client/id_ed25519" </dev/null >/dev/null
	cp "$DIR/client/id_ed25519.pub" "$DIR/authorized_keys"
	for name in "${names[@]}"; do
		mkdir -p "$DIR/$name"
		fx_keygen "$name"
	done

	[ "$mode" = addr ] || [ "$mode" = port ] || fx_die "SSHD_FIXTURE_MODE must be addr or port"
	[ "$mode" = port ] || [ "$n" -le 240 ] || mode=port # 127.0.0.10..250
	retry=0
	if [ -z "$base" ]; then
		retry=1
		base=$(fx_rand_port)
		[ "$mode" = addr ] || base=$((10000 + (base - 10000) % (20000 - n)))
	fi
	[ $((base + n)) -le 65535 ] || fx_die "BASEPORT $base leaves no room for $n ports"
	local -a rflag=()
	[ "$retry" = 0 ] || rflag=(--retry)

	# The first host tells whether 127.0.0.x addresses can be bound here.
	if [ "$mode" = addr ]; then
		fx_write_config "${names[0]}" 127.0.0.10 "$base"
		fx_launch "${names[0]}"
		fx_wait_up "${rflag[@]}" "${names[0]}"
		if [ "$fx_noaddr" = 1 ]; then
			fx_say "127.0.0.10 cannot be bound here; using 127.0.0.1 with one port per host"
			mode=port
		else
			read -r _ base <"$DIR/${names[0]}/endpoint" # the others follow if it moved
		fi
	fi
	i=0
	for name in "${names[@]}"; do
		if [ "$mode" = addr ]; then
			[ "$i" = 0 ] || fx_write_config "$name" "127.0.0.$((10 + i))" "$base"
		else
			fx_write_config "$name" 127.0.0.1 "$((base + i))"
		fi
		if [ "$mode" != addr ] || [ "$i" != 0 ]; then fx_launch "$name"; fi
		i=$((i + 1))
	done
	fx_wait_up "${rflag[@]}" "${names[@]}"
	[ "$fx_noaddr" = 0 ] || fx_die "cannot bind the loopback addresses:$(printf '\n'; fx_log_tail "${names[0]}" 2>&1)"

	for name in "${names[@]}"; do
		read -r addr port <"$DIR/$name/endpoint"
		echo "$name $addr $port"
	done >"$DIR/hosts.list"
	fx_write_files "$user"
	fx_starting=0

	local first last ports
	read -r _ first _ <"$DIR/hosts.list"
	last=$(tail -n 1 "$DIR/hosts.list" | cut -d' ' -f2)
	ports=$(cut -d' ' -f3 "$DIR/hosts.list" | sort -un | tr '\n' ' ')
	if [ "$mode" = addr ]; then
		fx_say "$n hosts ${names[0]}..${names[n - 1]} on $first..$last (one address each), port ${ports% }"
	else
		fx_say "$n hosts ${names[0]}..${names[n - 1]} on 127.0.0.1 (one port each), ports ${ports% }"
	fi
}

cmd_stop() {
	[ "$#" = 1 ] || fx_die "usage: stop DIR"
	[ -d "$1" ] || return 0 # nothing was started
	fx_setdir "$1"
	fx_stop_all
}

fx_need_host() {
	[ "$#" = 2 ] || fx_die "usage: $fx_cmd DIR NAME"
	fx_setdir "$1"
	fx_check_name "$2"
	[ -f "$DIR/$2/sshd_config" ] || fx_die "$2: no such host in $DIR"
}

cmd_kill() {
	fx_need_host "$@"
	local -a pids
	fx_scan
	mapfile -t pids < <(fx_host_pids "$2")
	[ "${#pids[@]}" -gt 0 ] || fx_die "$2: sshd is not running"
	fx_signal_wait KILL "${pids[@]}"
	rm -f "$DIR/$2/sshd.pid" # stale now; sshd removes it only on a clean exit
}

# fx_stop_host NAME: TERM NAME's sshd and sessions, if running.
fx_stop_host() {
	local -a pids
	fx_scan
	mapfile -t pids < <(fx_host_pids "$1")
	[ "${#pids[@]}" = 0 ] || fx_signal_wait TERM "${pids[@]}"
}

cmd_restart() {
	fx_need_host "$@"
	fx_stop_host "$2"
	fx_root_prereqs
	fx_launch "$2"
	fx_wait_up "$2"
	[ "$fx_noaddr" = 0 ] || fx_die "$2: its address cannot be bound"
}

cmd_rekey() {
	fx_need_host "$@"
	fx_stop_host "$2"
	fx_keygen "$2"
	fx_root_prereqs
	fx_launch "$2"
	fx_wait_up "$2"
	[ "$fx_noaddr" = 0 ] || fx_die "$2: its address cannot be bound"
	echo "$2 $(cat "$DIR/$2/fingerprint")"
}

# The silent_listener binary: given, built by make check, or compiled here on demand.
fx_silent_bin() {
	local b
	for b in "${SILENT_LISTENER-}" "${OPSDECK_TOP_BUILDDIR:+$OPSDECK_TOP_BUILDDIR/tests/silent_listener}" \
		"$fx_here/silent_listener" "$DIR/silent_listener"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	[ -f "$fx_here/silent_listener.c" ] || fx_die "silent_listener not built (make check builds it)"
	"${CC:-cc}" -std=c11 -D_DEFAULT_SOURCE -O -o "$DIR/silent_listener" "$fx_here/silent_listener.c" ||
		fx_die "could not compile $fx_here/silent_listener.c"
	echo "$DIR/silent_listener"
}

cmd_silent() {
	case "$#" in 1 | 2) ;; *) fx_die "usage: silent DIR [PORT]" ;; esac
	local port=${2:-0} bin pidf out pid
	case "$port" in "" | *[!0-9]*) fx_die "PORT must be a number, not '$port'" ;; esac
	fx_setdir "$1" create
	bin=$(fx_silent_bin)
	pidf=$DIR/silent-$$.pid
	out=$DIR/silent-$$.out
	rm -f "$pidf"
	# Its pid file appears once it listens; stop finds it by that file.
	"$bin" 127.0.0.1 "$port" "$pidf" </dev/null >"$out" 2>&1 &
	pid=$!
	local deadline=$((SECONDS + fx_timeout))
	until [ -s "$pidf" ]; do
		if ! fx_alive "$pid" || [ "$SECONDS" -gt "$deadline" ]; then
			kill "$pid" 2>/dev/null || true
			fx_die "silent listener on 127.0.0.1:$port did not start: $(cat "$out")"
		fi
		sleep 0.02
	done
	read -r port <"$out"
	echo "$port"
}

# The hostile_sshd binary: given, built by make check, or compiled here on demand.
fx_hostile_bin() {
	local b
	for b in "${HOSTILE_SSHD-}" "${OPSDECK_TOP_BUILDDIR:+$OPSDECK_TOP_BUILDDIR/tests/hostile_sshd}" \
		"$fx_here/hostile_sshd" "$DIR/hostile_sshd"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	[ -f "$fx_here/hostile_sshd.c" ] || fx_die "hostile_sshd not built (make check builds it)"
	"${CC:-cc}" -std=c11 -D_DEFAULT_SOURCE -O -o "$DIR/hostile_sshd" "$fx_here/hostile_sshd.c" -lssh ||
		fx_die "could not compile $fx_here/hostile_sshd.c"
	echo "$DIR/hostile_sshd"
}

# The review's repro servers: escapes in the banner, in DISCONNECT, in an exit signal.
cmd_hostile() {
	[ "$#" = 2 ] || fx_die "usage: hostile DIR banner|disconnect|kick|signal"
	local mode=$2 bin pidf out pid port
	case "$mode" in banner | disconnect | kick | signal) ;; *) fx_die "unknown hostile mode '$mode'" ;; esac
	fx_setdir "$1" create
	bin=$(fx_hostile_bin)
	[ -f "$DIR/hostile_key" ] || ssh-keygen -q -t ed25519 -N '' -C hostile -f "$DIR/hostile_key" >/dev/null
	pidf=$DIR/hostile-$mode.pid
	out=$DIR/hostile-$mode.out
	rm -f "$pidf"
	"$bin" "$mode" "$DIR/hostile_key" "$pidf" </dev/null >"$out" 2>&1 &
	pid=$!
	local deadline=$((SECONDS + fx_timeout))
	until [ -s "$pidf" ]; do
		if ! fx_alive "$pid" || [ "$SECONDS" -gt "$deadline" ]; then
			kill "$pid" 2>/dev/null || true
			fx_die "hostile server ($mode) did not start: $(cat "$out")"
		fi
		sleep 0.02
	done
	read -r port <"$out"
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$DIR/hostile_key.pub")" >"$DIR/hostile-$mode.known"
	echo "$port"
}

cmd_status() {
	[ "$#" = 1 ] || fx_die "usage: status DIR"
	fx_setdir "$1"
	[ -f "$DIR/hosts.list" ] || fx_die "$DIR: no fleet started there"
	local name addr port st
	fx_scan
	while read -r name addr port; do
		if [ -n "$(fx_owned "$DIR/$name/sshd.pid" "$DIR/$name/sshd_config")" ]; then st=up; else st=down; fi
		echo "$name $addr:$port $(cat "$DIR/$name/fingerprint") $st"
	done <"$DIR/hosts.list"
}

fx_usage() {
	sed -n 's/^#   \(sshd-fixture\.sh .*\)/\1/p' "$0" >&2
	exit 2
}

[ "$#" -ge 1 ] || fx_usage
fx_cmd=$1
shift
case "$fx_cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
kill) cmd_kill "$@" ;;
restart) cmd_restart "$@" ;;
rekey) cmd_rekey "$@" ;;
silent) cmd_silent "$@" ;;
hostile) cmd_hostile "$@" ;;
status) cmd_status "$@" ;;
*) fx_usage ;;
esac
