#!/usr/bin/env bash
# The command-line contract: every subcommand and flag the issue names, their
# output formats, exit codes on bad input (and nothing written), private files,
# a newer database refused untouched, and concurrent writers keeping one chain.
set -eu  # no pipefail: `grep -q` closing a pipe early is not a failure
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"

# --help, --version, paths
$OPSDECK --help | grep -q 'usage: opsdeck'
$OPSDECK --version | grep -Eq '^opsdeck [0-9]+\.[0-9]+'
ok "--help and --version"

# Every command, as `opsdeck --help` lists them: COMMAND --help prints its usage on
# stdout and exits 0 (a command added later is checked too).
cmds=$($OPSDECK --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || fail "--help lists too few commands: $cmds"
for cmd in $cmds; do
	rc=0; out=$($OPSDECK "$cmd" --help 2>"$T/help.err") || rc=$?
	[ "$rc" = 0 ] || fail "$cmd --help exited $rc: $(cat "$T/help.err")"
	echo "$out" | grep -qi 'usage' || fail "$cmd --help printed no usage on stdout: $out"
done
ok "every command's --help: usage on stdout, exit 0"
paths=$($OPSDECK paths)
for label in config-dir config keys themes-user data-dir database known-hosts; do
	echo "$paths" | grep -q "^$label " || fail "paths lacks $label"
done
echo "$paths" | grep -q "^database .*$XDG_DATA_HOME/opsdeck/opsdeck.db" || fail "paths: wrong default db"
OPSDECK_DB=$T/other.db $OPSDECK paths | grep -q "^database .*$T/other.db" || fail "OPSDECK_DB ignored"
$OPSDECK --db "$T/flag.db" paths | grep -q "^database .*$T/flag.db" || fail "--db ignored"
ok "paths lists every file, honours --db and OPSDECK_DB"

# The default data folder becomes private even if it existed with looser modes.
mkdir -p "$XDG_DATA_HOME/opsdeck" && chmod 0755 "$XDG_DATA_HOME/opsdeck"
(umask 022 && $OPSDECK log add "first entry" >/dev/null)
[ "$(stat -c %a "$XDG_DATA_HOME/opsdeck")" = 700 ] || fail "data folder not 0700"
[ "$(stat -c %a "$XDG_DATA_HOME/opsdeck/opsdeck.db")" = 600 ] || fail "database not 0600"
ok "data folder 0700 and database 0600 under umask 022"

# log add prints the new id; flags may follow the text.
id=$($OPSDECK log add "disk full on web01" --severity warning --host web01)
[ "$id" = 2 ] || fail "log add printed '$id', want 2"
$OPSDECK log add --category action "rotated logs" >/dev/null
cid=$($OPSDECK log add --corrects 2 "it was web02, not web01")
ok "log add with category, severity, host, corrects"

# Bad input: clear message, non-zero exit, nothing written.
before=$($OPSDECK log list | wc -l)
expect_fail "unknown severity 'loud'" $OPSDECK log add x --severity loud
expect_fail "unknown category 'gossip'" $OPSDECK log add x --category gossip
expect_fail "empty log text" $OPSDECK log add "   "
expect_fail "no log entry #99 to correct" $OPSDECK log add x --corrects 99
expect_fail "usage:" $OPSDECK log add
expect_fail "unknown option" $OPSDECK log list --bogus
expect_fail "does not apply" $OPSDECK log verify --json
expect_fail "is not a time" $OPSDECK log list --since yesterdayish
expect_fail "unknown format 'xml'" $OPSDECK log export --format xml
expect_fail "bad search query" $OPSDECK log search --fts '"unterminated'
expect_fail "bad search query" $OPSDECK log search 'fts:"unterminated'
expect_fail "unknown command 'frobnicate'" $OPSDECK frobnicate
[ "$($OPSDECK log list | wc -l)" = "$before" ] || fail "bad input wrote something"
ok "bad input: message, non-zero exit, nothing written"

# list, filters, JSON
$OPSDECK log list | grep -q '#2 .*warning .*\[web01\] disk full on web01  \[corrected\]' || fail "list text"
[ "$($OPSDECK log list --category action | wc -l)" = 1 ] || fail "--category"
[ "$($OPSDECK log list --severity warning | wc -l)" = 1 ] || fail "--severity"
[ "$($OPSDECK log list --host web01 | wc -l)" = 1 ] || fail "--host"
[ "$($OPSDECK log list --since -1h | wc -l)" = 4 ] || fail "--since -1h"
[ "$($OPSDECK log list --until 2000-01-01 | wc -l)" = 0 ] || fail "--until"
[ "$($OPSDECK log list --limit 2 | head -1 | cut -c1-3)" = "#3 " ] || fail "--limit keeps the newest"
json=$($OPSDECK log list --json)
echo "$json" | head -1 | grep -q '^\[' || fail "json array"
echo "$json" | grep -q '"id":4,.*"category":"correction".*"corrects":2' || fail "json correction"
ok "log list: text, --json, --category/--severity/--host/--since/--until/--limit"

# search, show, export
$OPSDECK log search disk | grep -q 'disk full' || fail "search"
[ "$($OPSDECK log search --fts 'web02 OR rotated' | wc -l)" = 2 ] || fail "search --fts OR"
[ "$($OPSDECK log search 'fts:web02 OR rotated' | wc -l)" = 2 ] || fail "search fts: OR"
[ "$($OPSDECK log search 'web02 OR rotated' | wc -l)" = 0 ] || fail "as typed, OR is a word"
$OPSDECK log search '"unterminated' >/dev/null || fail "as typed, a quote is no syntax error"
$OPSDECK log search disk --json | grep -q '"host":"web01"' || fail "search --json"
show=$($OPSDECK log show 2)
echo "$show" | grep -q '^corrections:' || fail "show lists corrections"
echo "$show" | grep -q "(corrects #2) it was web02" || fail "show correction text"
$OPSDECK log show "$cid" | grep -q '^corrects  #2' || fail "show corrects"
$OPSDECK log show 2 --json | grep -q '^{"entry":\[' || fail "show --json"
$OPSDECK log export --format csv | head -1 | grep -q '^id,time,operator,shift,category,severity,text,host' || fail "csv header"
$OPSDECK log export --format csv | grep -q '^4,.*,correction,info,"it was web02, not web01",' || fail "csv quoting"
$OPSDECK log export --format markdown | grep -q '^| 2 | .* | warning | web01 | disk full on web01 |$' || fail "markdown"
$OPSDECK log export --format json | grep -c '"hash":"[0-9a-f]\{64\}"' | grep -q '^4$' || fail "json export"
ok "log search, show (with corrections), export json|csv|markdown"

# Hostile text never comes back raw, in any format.
$OPSDECK log add "$(printf 'evil \033]0;pwned\007\033[2J\033[31mred\233 end')" >/dev/null
for out in "$($OPSDECK log list)" "$($OPSDECK log export --format json)" \
	   "$($OPSDECK log export --format csv)" "$($OPSDECK log export --format markdown)"; do
	if printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\033\007\233]')"; then
		fail "control characters in output"
	fi
done
$OPSDECK log list | grep -q 'evil red. end' || fail "sanitised text"
ok "escape sequences stripped from every output"

# Shifts
expect_fail "no open shift" $OPSDECK shift end
$OPSDECK shift start | grep -q '^shift #1 started for ' || fail "shift start"
expect_fail "already has shift #1 open" $OPSDECK shift start
$OPSDECK shift status | grep -q 'shift #1 open since' || fail "shift status"
$OPSDECK log add --category alarm --severity critical "db01 down" >/dev/null
report=$($OPSDECK shift handover)
echo "$report" | grep -q '^# Shift handover: shift #1' || fail "handover title"
echo "$report" | grep -q 'db01 down' || fail "handover alarm"
echo "$report" | grep -q '^Log chain head: #[0-9]* sha256 [0-9a-f]\{64\}$' || fail "handover chain head"
$OPSDECK log list --category handover | grep -q 'Shift #1 handed over by' || fail "handover logged"
$OPSDECK shift end | grep -q 'shift ended' || fail "shift end"
$OPSDECK shift status | grep -q 'no open shift' || fail "status after end"
expect_fail "unknown action 'pause'" $OPSDECK shift pause
ok "shift start, status, handover, end"

# Concurrent writers: four processes, one unbroken chain.
for w in 1 2 3 4; do
	( for i in $(seq 1 15); do $OPSDECK log add "writer $w entry $i" >/dev/null; done ) &
done
wait
[ "$($OPSDECK log search writer | wc -l)" = 60 ] || fail "concurrent appends lost"
$OPSDECK log verify | grep -q '^ok: ' || fail "chain broken by concurrent writers"
ok "four concurrent writers: 60 entries, chain verifies"

# A relative time too far back is a range error, not an overflow (UBSan aborts on one).
expect_fail "--since '-99999999999999d' is out of range" $OPSDECK log list --since -99999999999999d
expect_fail "--until '-99999999999999999999d' is out of range" $OPSDECK log list --until -99999999999999999999d
expect_fail "is not a time" $OPSDECK log list --since -5x
ok "--since -99999999999999d: out of range, no overflow"

# log add whose id cannot be printed fails (the caller would otherwise lose the id).
rc=0
err=$($OPSDECK --db "$T/full-stdout.db" log add "to a full stdout" 2>&1 >/dev/full) || rc=$?
[ "$rc" != 0 ] || fail "log add >/dev/full exited 0"
case "$err" in *"entry #1 was written, but its id could not be printed"*) ;; *) fail "log add >/dev/full said '$err'" ;; esac
ok "log add >/dev/full exits non-zero and says the entry was written"

# CSV exports neutralise formulas (OWASP: a leading quote, quoted cell), in every field.
inj=$T/inject.db
$OPSDECK --db "$inj" log add '=HYPERLINK("http://evil.example/","click")' >/dev/null
$OPSDECK --db "$inj" log add '@SUM(1+1)' >/dev/null
$OPSDECK --db "$inj" log add '+1' >/dev/null
$OPSDECK --db "$inj" log add -- '-2+3' >/dev/null
sqlite3 "$inj" "DROP TRIGGER log_no_update; UPDATE log_entries SET operator = '=cmd|'' /C calc''!A0' WHERE id = 4;"
csv=$($OPSDECK --db "$inj" log export --format csv)
echo "$csv" | grep -qF ",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\"," || fail "csv: = not neutralised: $csv"
echo "$csv" | grep -qF ",\"'@SUM(1+1)\"," || fail "csv: @ not neutralised"
echo "$csv" | grep -qF ",\"'+1\"," || fail "csv: + not neutralised"
echo "$csv" | grep -qF ",\"'-2+3\"," || fail "csv: - not neutralised"
echo "$csv" | grep -q "^4,[^,]*,\"'=cmd|' /C calc'!A0\"," || fail "csv: operator formula not neutralised"
if echo "$csv" | grep -q ',[=+@-]'; then fail "a csv cell starts with a formula character"; fi
ok "csv export: cells starting with = + - @ get a leading quote"

# Markdown exports and the handover escape link and image syntax from log text.
md=$T/md.db
$OPSDECK --db "$md" shift start >/dev/null
$OPSDECK --db "$md" log add --host web01 '![x](http://evil.example/p.png) [click](http://evil.example/) <http://evil.example/>' >/dev/null
want='\!\[x\]\(http://evil.example/p.png\) \[click\]\(http://evil.example/\) \<http://evil.example/\>'
$OPSDECK --db "$md" log export --format markdown | grep -qF "$want" || fail "markdown export: link syntax not escaped"
$OPSDECK --db "$md" shift handover | grep -qF "$want" || fail "handover: link syntax not escaped"
ok "markdown export and handover escape [ ] ( ) ! < >"

# A database from a newer opsdeck is refused and left as it was.
sqlite3 "$T/future.db" "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL); INSERT INTO schema_version VALUES (999, 0);"
sum=$(sha256sum < "$T/future.db")
expect_fail "newer than this opsdeck supports" $OPSDECK --db "$T/future.db" log list
[ "$(sha256sum < "$T/future.db")" = "$sum" ] || fail "newer database was modified"
ok "newer schema refused, file unchanged"

echo "$passed passed, 0 failed"
