#!/bin/sh
# Starts the console on the bundled demo workspace: a fresh database and config in a
# temporary folder, seeded with a short shift log. It never touches the user's own
# database or config. OPSDECK_BIN names the binary (set by `make demo`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSDECK_BIN:-$here/../../opsdeck}
ws=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-demo.XXXXXX")
chmod 700 "$ws"
cp -R "$here/config" "$ws/config"
export OPSDECK_CONFIG_DIR="$ws/config" OPSDECK_DB="$ws/opsdeck.db"
"$bin" shift start >/dev/null
grep -v '^#' "$here/seed.tsv" | while IFS="	" read -r cat sev host text; do
	if [ "$host" = "-" ]; then
		"$bin" log add --category "$cat" --severity "$sev" -- "$text" >/dev/null
	else
		"$bin" log add --category "$cat" --severity "$sev" --host "$host" -- "$text" >/dev/null
	fi
done
echo "opsdeck demo workspace: $ws (database $OPSDECK_DB)"
echo "In another terminal: OPSDECK_DB=$OPSDECK_DB $bin log add 'hello from the CLI'"
exec "$bin"
