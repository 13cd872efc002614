#!/usr/bin/env bash
# The `opsdeck calendar` contract: import (and re-import reporting what changed),
# export to a file or stdout (--force for an existing file), list (text and JSON,
# YAML calendars beside imported ones), remove, occurrences (sorted, JSON fields,
# the DST gap note, --since/--until aliases), and malformed .ics / YAML refused
# with file:line:col and a non-zero exit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"
top=${OPSDECK_TOP_SRCDIR:-$here/..}
export TZ=Europe/Berlin
cal=$XDG_CONFIG_HOME/opsdeck/calendars
mkdir -p "$cal"
cp "$top"/examples/calendars/*.yaml "$cal/"

out=$($OPSDECK calendar import "$top/examples/calendars/public-holidays.ics" --name holidays --kind info)
[ "$out" = "imported calendar 'holidays' (info): 5 events" ] || fail "import said '$out'"
ok "import"

list=$($OPSDECK calendar list)
echo "$list" | grep -q '^holidays  info  import  5 events  Europe/Berlin' || fail "list: $list"
echo "$list" | grep -q '^month-end-close  caution  yaml  1 events  Europe/Berlin' || fail "list yaml: $list"
$OPSDECK calendar list --json | grep -q '"name":"holidays","kind":"info","source":"import"' || fail "list json"
ok "list shows YAML and imported calendars"

occ=$($OPSDECK calendar occurrences --from 2027-03-01 --to 2027-04-01 --json)
echo "$occ" | grep -q '{"calendar":"month-end-close","kind":"caution","source":"yaml","summary":"Month-end close",.*"start":"2027-03-29T00:00:00+02:00","end":"2027-03-30T00:00:00+02:00","start_utc":"2027-03-28T22:00:00Z","end_utc":"2027-03-29T22:00:00Z","zone":"Europe/Berlin","all_day":true' || fail "occurrences json: $occ"
starts=$(echo "$occ" | grep -o '"start_utc":"[^"]*"')
[ "$starts" = "$(echo "$starts" | sort)" ] || fail "not sorted by start"
[ "$($OPSDECK calendar occurrences --since 2027-03-01 --until 2027-04-01 --json)" = "$occ" ] || fail "--since/--until"
$OPSDECK calendar occurrences --from 2027-01-01 --to 2027-12-31 --name holidays | grep -q '^2027-12-25T00:00:00+01:00  2027-12-27T00:00:00+01:00  info     holidays  Christmas  (all day)$' || fail "text occurrences"
ok "occurrences: sorted, JSON fields, aliases, --name"

cat > "$cal/gap.yaml" <<'YAML'
name: gap
kind: freeze
zone: Europe/Berlin
events:
  - summary: Night patch
    start: 2027-03-28 02:30
    duration: 1h
YAML
g=$($OPSDECK calendar occurrences --from 2027-03-27 --to 2027-03-29 --name gap --json)
echo "$g" | grep -q '"start":"2027-03-28T03:30:00+02:00".*"start_utc":"2027-03-28T01:30:00Z".*"dst":"gap","note":"DST gap: 02:30 does not exist on 2027-03-28 in Europe/Berlin' || fail "gap: $g"
$OPSDECK calendar occurrences --from 2027-03-27 --to 2027-03-29 --name gap | grep -q '^    DST gap:' || fail "gap note in text"
ok "a DST gap is flagged with a note"

f=$T/h.ics
$OPSDECK calendar export holidays --output "$f"
expect_fail "exists: use --force" $OPSDECK calendar export holidays --output "$f"
$OPSDECK calendar export holidays --output "$f" --force
$OPSDECK calendar export --all --output - | grep -q 'X-WR-CALNAME:month-end-close' || fail "export --all to stdout"
before=$($OPSDECK calendar occurrences --from 2027-01-01 --to 2030-01-01 --name holidays --json)
sed -i 's/SUMMARY:Christmas/SUMMARY:Xmas/' "$f"
out=$($OPSDECK calendar import "$f" --name holidays --kind info)
echo "$out" | grep -q "^replaced calendar 'holidays' (info): 0 added, 0 removed, 1 changed, 4 unchanged" || fail "re-import: $out"
echo "$out" | grep -q '^  ~ Xmas$' || fail "re-import lines: $out"
after=$($OPSDECK calendar occurrences --from 2027-01-01 --to 2030-01-01 --name holidays --json)
[ "$before" = "$(echo "$after" | sed 's/"Xmas"/"Christmas"/g')" ] || fail "round trip changed occurrences"
ok "export, --force, re-import reports the change, round trip keeps the occurrences"

for bad in "$top"/tests/corpus/ics/*.ics; do
	rc=0
	msg=$($OPSDECK calendar import "$bad" --name bad --kind freeze 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 1 ] || fail "$bad: exit $rc"
	echo "$msg" | grep -Eq "$bad:[0-9]+:[0-9]+: " || fail "$bad: '$msg'"
done
$OPSDECK calendar list | grep -q '^bad' && fail "a bad import was stored"
ok "malformed .ics: file:line:col, exit 1, nothing stored"

printf 'name: broken\nkind: freeze\nevents:\n  - summary: x\n    start: 2027-02-30\n' >"$cal/broken.yaml"
expect_fail "broken.yaml:5:12: '2027-02-30' is not a valid date" $OPSDECK calendar occurrences --from 2027-01-01 --to 2027-02-01
rm "$cal/broken.yaml"
ok "malformed YAML: file:line:col"

expect_fail "comes from" $OPSDECK calendar remove gap
$OPSDECK calendar remove holidays | grep -q "removed calendar 'holidays'" || fail "remove"
expect_fail "no imported calendar named 'holidays'" $OPSDECK calendar remove holidays
expect_fail "unknown kind 'frozen'" $OPSDECK calendar import "$f" --name x --kind frozen
expect_fail "does not apply" $OPSDECK calendar list --force
ok "remove, bad usage"
echo "$passed passed, 0 failed"
