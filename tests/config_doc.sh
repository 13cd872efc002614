#!/usr/bin/env bash
# The README's settings tables are the schema's: each section between the
# "BEGIN <file> settings" and "END <file> settings" markers must equal
# `opsdeck config schema <file> --markdown`. To update the README after a change to a
# table, paste that command's output between the markers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
readme=${OPSDECK_TOP_SRCDIR:-$here/..}/README.md

for file in config.yaml incidents.yaml; do
	awk -v f="$file" '
		index($0, "<!-- END " f " settings") == 1 { on = 0 }
		on { print }
		index($0, "<!-- BEGIN " f " settings") == 1 { on = 1; seen = 1 }
		END { if (!seen) exit 3 }' "$readme" >"$T/readme.md" ||
		fail "README.md has no '<!-- BEGIN $file settings' marker"
	$OPSDECK config schema "$file" --markdown >"$T/schema.md" || fail "config schema $file failed"
	[ -s "$T/schema.md" ] || fail "config schema $file printed nothing"
	diff -u "$T/readme.md" "$T/schema.md" >"$T/diff" ||
		fail "README.md's $file table differs from the schema (run: opsdeck config schema $file --markdown):
$(cat "$T/diff")"
	ok "README.md's $file table is the schema's"
done

echo "$passed passed"
