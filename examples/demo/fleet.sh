#!/bin/sh
# The demo's private fleet: eight real OpenSSH sshd processes on loopback, started
# with the test fixture (tests/sshd-fixture.sh) in WORKSPACE/fleet, so the console
# has hosts to watch without touching any real machine or the user's ~/.ssh.
#
#   examples/demo/fleet.sh start WORKSPACE    start the hosts, write the files below
#   examples/demo/fleet.sh stop WORKSPACE     stop them (by pid; files stay)
#   examples/demo/fleet.sh status WORKSPACE   each host's address, fingerprint, up/down
#
# Files in WORKSPACE/fleet: inventory.yaml (web01..web04, db01, db02, lb01, cache01
# with groups web/db/lb/cache and environment demo), known_hosts, fingerprints,
# ssh_config (ssh -F it, e.g. `ssh -F WORKSPACE/fleet/ssh_config web01`), and each
# host's sshd log in NAME/sshd.log. cache01's key is left out of known_hosts on
# purpose: the console shows its fingerprint and asks the operator to accept it,
# which is what start prints it for.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixture=$here/../../tests/sshd-fixture.sh
names="web01 web02 web03 web04 db01 db02 lb01 cache01"
unknown=cache01

usage() {
	sed -n 's/^#   \(examples\/demo\/fleet\.sh .*\)/\1/p' "$0" >&2
	exit 2
}

[ "$#" = 2 ] || usage
[ -f "$fixture" ] || { echo "fleet.sh: $fixture is missing" >&2; exit 1; }
command -v bash >/dev/null 2>&1 || { echo "fleet.sh: the fixture needs bash" >&2; exit 1; }
ws=$2
fleet=$ws/fleet

# host_attrs NAME: the inventory lines that make the demo fleet look like one.
host_attrs() {
	case "$1" in
	web*) printf '    groups: [web, frontend]\n    tags: [nginx]\n    criticality: high\n' ;;
	db*) printf '    groups: [db]\n    tags: [postgres]\n    criticality: critical\n' ;;
	lb*) printf '    groups: [lb, frontend]\n    tags: [haproxy]\n    criticality: high\n' ;;
	cache*) printf '    groups: [cache]\n    tags: [redis]\n    criticality: medium\n' ;;
	esac
}

write_inventory() {
	user=$(id -un)
	{
		echo "# opsdeck demo fleet: real sshd processes on loopback (examples/demo/fleet.sh)."
		echo "# $unknown's host key is not in known_hosts: accept it in the console after"
		echo "# comparing its fingerprint with $fleet/fingerprints."
		echo "hosts:"
		while read -r name addr port; do
			printf '  - name: %s\n    address: %s\n    port: %s\n    user: "%s"\n' \
				"$name" "$addr" "$port" "$user"
			printf '    identity_file: "%s"\n    environment: demo\n' "$fleet/client/id_ed25519"
			host_attrs "$name"
		done <"$fleet/hosts.list"
		echo "thresholds:"
		echo "  - { probe: disk, warn: 80, crit: 90 }"
		echo "  - { probe: disk, group: db, warn: 70, crit: 85 }"
	} >"$fleet/inventory.yaml.tmp"
	mv -f "$fleet/inventory.yaml.tmp" "$fleet/inventory.yaml"
}

# forget_key NAME: drops NAME's entry from known_hosts (the fixture writes them all).
forget_key() {
	line=$(grep "^$1 " "$fleet/hosts.list")
	addr=$(echo "$line" | cut -d' ' -f2)
	port=$(echo "$line" | cut -d' ' -f3)
	if [ "$port" = 22 ]; then hp=$addr; else hp="[$addr]:$port"; fi
	grep -v -F "$hp " "$fleet/known_hosts" >"$fleet/known_hosts.tmp" || true
	mv -f "$fleet/known_hosts.tmp" "$fleet/known_hosts"
}

case "$1" in
start)
	mkdir -p "$ws"
	n=$(echo "$names" | wc -w)
	# The fixture cleans up after its own failures; this trap after ours.
	trap 'bash "$fixture" stop "$fleet" >/dev/null 2>&1' EXIT
	SSHD_FIXTURE_NAMES=$names bash "$fixture" start "$fleet" "$n" >/dev/null
	write_inventory
	forget_key "$unknown"
	trap - EXIT
	echo "opsdeck demo fleet: $n sshd hosts on loopback, files in $fleet"
	bash "$fixture" status "$fleet" | while read -r name hp fp st; do
		note=""
		[ "$name" != "$unknown" ] || note="  (not in known_hosts: accept it in the console)"
		printf '  %-8s %-22s %s %s%s\n' "$name" "$hp" "$fp" "$st" "$note"
	done
	echo "Stop it with: $0 stop $ws"
	;;
stop) bash "$fixture" stop "$fleet" ;;
status) bash "$fixture" status "$fleet" ;;
*) usage ;;
esac
