#!/bin/sh
# Starts the console on the bundled demo workspace: a fresh database and config in a
# temporary folder, seeded with a short shift log, and a private fleet of eight real
# sshd processes on loopback (examples/demo/fleet.sh). It never touches the user's
# own database, config or ~/.ssh. The fleet stops when the console exits.
# OPSDECK_BIN names the binary (set by `make demo`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSDECK_BIN:-$here/../../opsdeck}
ws=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-demo.XXXXXX")
chmod 700 "$ws"
cp -R "$here/config" "$ws/config"
export OPSDECK_CONFIG_DIR="$ws/config" OPSDECK_DB="$ws/opsdeck.db"

"$here/fleet.sh" start "$ws"
trap '"$here/fleet.sh" stop "$ws" >/dev/null 2>&1 || true' EXIT INT TERM HUP
# The demo's hosts, host keys and no ssh config of the user's: all inside the workspace.
cat >> "$ws/config/config.yaml" <<CONF
inventory: $ws/fleet/inventory.yaml
known_hosts: $ws/fleet/known_hosts
ssh_config: none
connect_timeout_s: 5
CONF

"$bin" shift start >/dev/null
grep -v '^#' "$here/seed.tsv" | while IFS="	" read -r cat sev host text; do
	if [ "$host" = "-" ]; then
		"$bin" log add --category "$cat" --severity "$sev" -- "$text" >/dev/null
	else
		"$bin" log add --category "$cat" --severity "$sev" --host "$host" -- "$text" >/dev/null
	fi
done
echo "opsdeck demo workspace: $ws (database $OPSDECK_DB)"
echo "In another terminal: OPSDECK_DB=$OPSDECK_DB OPSDECK_CONFIG_DIR=$ws/config $bin hosts"
"$bin"
