#!/usr/bin/env bash
# The console end to end: the real binary in a private tmux server, driven with
# keys and read back with capture-pane. Covers the shell (top bar, tabs, hints),
# a quick note with accents and CJK, live updates from a second process, search
# (and a malformed query), the entry detail and a correction, resizing down to
# 40x12 and below, help, the quit confirmation, hostile text, NO_COLOR, the
# benchmark hook, SIGTERM, a malformed theme and a keys.yaml clash.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# A zone without tzdata, nine hours from UTC, so the two clocks differ.
export TZ=JST-9
export OPSDECK_DB=$T/ops.db
me=$(id -un)

# Display column (0-based) where TEXT starts on the screen line holding it; wide
# (East Asian W/F) characters count two, as the terminal draws them.
column_of() {
	pane | perl -CSD -Mutf8 -ne '
		BEGIN { $want = shift; utf8::decode($want) }
		if ((my $i = index($_, $want)) >= 0) {
			my $pre = substr($_, 0, $i);
			my $wide = () = $pre =~ /[\p{Ea=W}\p{Ea=F}]/g;
			print length($pre) + $wide, "\n";
			exit;
		}' "$1"
}

# wait_pos ID [newest]: the Log header's position shows the selected entry #ID.
wait_pos() {
	if [ "${2:-}" = newest ]; then
		wait_re "^ Log: .* #$1 \(newest\) *\$"
	else
		wait_re "^ Log: .* #$1 *\$"
	fi
}

# ---- start on an empty database ----
console_start 100 30
wait_text "The shift log is empty"
top=$(pane | sed -n 1p)
case "$top" in *"$me"*"no shift"*UTC*) ;; *) fail "top bar lacks operator, shift or clocks: $top" ;; esac
pane | sed -n 2p | grep -q '1:Hosts.*2:Incidents.*3:Log' || fail "tab row lacks Hosts, Incidents, Log"
pane | sed -n 29p | grep -q '? help' || fail "hint line lacks '? help'"
pane | sed -n 29p | grep -q '/ search' || fail "hint line lacks '/ search'"
ok "console starts on an empty database: top bar ($me, no shift, local and UTC clocks), tabs, hints"

# ---- a quick note with accents and CJK, saved before the prompt closes ----
note="Café déjà vu 東京サーバー kiwi42"
keys n
wait_text "Note:"
type_text "$note"
keys Enter
wait_text "Saved #1"
wait_text "$note"
on_screen "Note:" && fail "the note prompt stayed open"
ok "n writes a note (accents, CJK) and shows Saved #1"

# ---- another process writes; the console shows it without a restart ----
$OPSDECK log add --severity warning --host web01 "second process entry" >/dev/null
start=$SECONDS
wait_text "second process entry" 5
ok "an entry from another process appears in $((SECONDS - start))s"

# Columns stay aligned whatever the width of the characters before them.
$OPSDECK log add --host "東京-db1" "aligned-cjk" >/dev/null
$OPSDECK log add --host "web02" "aligned-ascii" >/dev/null
wait_text "aligned-ascii"
wait_text "aligned-cjk"
c1=$(column_of "aligned-cjk")
c2=$(column_of "aligned-ascii")
[ -n "$c1" ] && [ "$c1" = "$c2" ] || fail "text column misaligned after a CJK host: $c1 vs $c2"
ok "a CJK host keeps the text column aligned (column $c1)"

# ---- hostile text: no escape reaches the terminal ----
title_before=$(tmx display -p -t console '#{pane_title}')
$OPSDECK log add "hostile-start$(printf '\033]0;pwned\007\033[31m')hostile-end" >/dev/null
wait_text "hostile-starthostile-end"
[ "$(tmx display -p -t console '#{pane_title}')" = "$title_before" ] || fail "pane title changed"
pane -e | grep -F 'hostile-start' | grep -qF "$(printf '\033[31m')hostile-end" &&
	fail "an injected colour reached the screen"
ok "hostile escapes are shown as plain text (title unchanged, no injected colour)"

# ---- search: a match, then a malformed query reported on the message line ----
keys /
wait_text "Search"
type_text "second"
keys Enter
wait_text 'search "second"'
wait_text "second process entry"
on_screen "kiwi42" && fail "search still shows non-matching entries"
ok "/ searches the words as typed and the header shows the filter"
keys /
wait_text "Search"
keys C-u
type_text 'fts:"unbalanced'
keys Enter
wait_text "bad search query"
keys Escape
wait_gone "Search ("
console_running || fail "a malformed query ended the console"
keys x
wait_text "Filters cleared"
wait_text "kiwi42"
ok "a malformed query shows an error and the console keeps running; x clears"

# ---- detail and correction of the selected (newest) entry ----
keys Enter
wait_text "Entry detail"
wait_text "Hash"
keys c
wait_re "Correct #[0-9]+:"
type_text "typo fixed by e2e"
keys Enter
wait_text "Saved correction"
wait_re "#[0-9]+ .*typo fixed by e2e"
keys Escape
wait_gone "Entry detail"
wait_text "[corrects #"
ok "Enter opens the detail (hash, corrections); c writes a correction"

# ---- resize: 40x12 still laid out, 30x10 too small, then back ----
tmx resize-window -t console -x 40 -y 12
wait_re '^ *Time +Severity'
on_screen "Terminal too small" && fail "40x12 reported as too small"
rows=$(pane | wc -l)
[ "$rows" -le 12 ] || fail "40x12 drew $rows rows"
pane | sed -n 1p | grep -q UTC || fail "40x12 top bar lacks the UTC clock"
pane | grep -q '? help' || fail "40x12 lacks the hint line"
ok "40x12 keeps the layout (top bar, table, hints)"
tmx resize-window -t console -x 30 -y 10
wait_text "Terminal too small"
on_screen "Severity" && fail "30x10 still draws the table"
ok "30x10 shows only the too-small notice"
tmx resize-window -t console -x 100 -y 30
wait_text "Category"
wait_text "kiwi42"
ok "back to 100x30 redraws the full layout"

# ---- help generated from the action table ----
keys '?'
wait_text "log.search"
for name in quit note log.filter-category log.correct; do
	on_screen "$name" || fail "help lacks $name"
done
keys Escape
wait_gone "log.search"
ok "? shows help with action names; Esc closes it"

# ---- quit asks first ----
keys q
wait_text "Quit opsdeck? (y/n)"
keys n
wait_gone "Quit opsdeck?"
# Still answering keys after n (a console that quit would show no help).
keys '?'
wait_text "log.search"
keys Escape
wait_gone "log.search"
console_running || fail "q n ended the console"
ok "q then n keeps the console running"
console_quit
ok "q then y quits with exit code 0 and no sanitizer report"

# ---- the note is in the database for the CLI ----
$OPSDECK log list --json | grep -qF "$note" || fail "log list --json lacks the note"
$OPSDECK log search kiwi42 | grep -qF "kiwi42" || fail "log search lacks the note"
ok "the CLI sees the note (log list --json, log search)"

# ---- NO_COLOR: attributes only; scrolling; the benchmark hook; SIGTERM ----
last=$($OPSDECK log list --json | grep -oE '"id": *[0-9]+' | grep -oE '[0-9]+' | sort -n | tail -1)
[ -n "$last" ] || fail "cannot read the last id from log list --json"
for i in $(seq 1 40); do $OPSDECK log add "filler $i" >/dev/null; done
last=$((last + 40))
export NO_COLOR=1 OPSDECK_BENCH_FRAMES=$T/frames
console_start 100 30
# The terminal's raw stream, to see the benchmark hook's key-frame marks.
tmx pipe-pane -O -t console "cat >>'$T/raw'"
wait_text "filler 40"
wait_pos "$last" newest
on_screen "hostile-starthostile-end" && fail "the console did not start at the newest entries"
keys g
wait_pos 1
wait_text "$note"
keys j j j j j
wait_pos 6
keys G
wait_pos "$last" newest
keys PageUp # 24 table rows in 100x30
wait_pos $((last - 24))
keys Up
wait_pos $((last - 25))
keys PageDown
wait_pos $((last - 1))
keys Down
wait_pos "$last" newest
ok "scrolling: starts at the newest, Home, Down, End, PageUp, Up, PageDown"
$OPSDECK log add "follow me" >/dev/null
wait_pos $((last + 1)) newest
wait_text "follow me"
keys k
wait_pos "$last"
# A taller window leaves room below the newest entry, so the arrival shows once the
# console has seen it; the cursor must not have moved by then.
tmx resize-window -t console -x 100 -y 80
wait_re ' filler 1$'
$OPSDECK log add "arrives below" >/dev/null
wait_text "arrives below"
wait_pos "$last"
tmx resize-window -t console -x 100 -y 30
wait_gone "$note"
ok "at the newest entry the view follows new ones; above it, the view stays put"
if pane -e | grep -qE $'\033\\[([0-9;]*;)?(3[0-7]|9[0-7]|4[0-7]|10[0-7]|38|48)[;m]'; then
	fail "NO_COLOR screen contains colour sequences"
fi
ok "NO_COLOR draws without colours"
grep -qE '^[0-9]+ first-frame$' "$T/frames" || fail "benchmark hook: no first-frame line"
grep -qE '^[0-9]+ key [0-9]+ [0-9]+$' "$T/frames" ||
	fail "benchmark hook: no key line (with the key's read time and frame number)"
last_key=$(awk '$2 == "key" { n = $4 } END { print n + 0 }' "$T/frames")
i=0
until grep -qa "]7777;opsdeck-key-end $last_key"$'\a' "$T/raw" 2>/dev/null || [ "$i" -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -qa "]7777;opsdeck-key-end $last_key"$'\a' "$T/raw" ||
	fail "benchmark hook: key frame $last_key not followed by its mark on the terminal"
ok "OPSDECK_BENCH_FRAMES records first-frame and key frames"
# An idle console draws nothing: at most the clock's minute and a data poll.
n0=$(wc -l <"$T/frames")
sleep 2.5 # on purpose: the time that passes is the test
n1=$(wc -l <"$T/frames")
[ $((n1 - n0)) -le 2 ] || fail "idle console drew $((n1 - n0)) frames in 2.5 s (a redraw loop)"
ok "an idle console draws no frames"
kill -TERM "$(cat "$CONSOLE_PID")"
wait_exit
[ "$EXIT_RC" = 0 ] || fail "SIGTERM: exit code $EXIT_RC"
sanitizer_clean || fail "sanitizer report after SIGTERM"
ok "SIGTERM shuts down cleanly (exit 0)"
unset NO_COLOR OPSDECK_BENCH_FRAMES

# ---- a malformed theme: file:line:col on screen, built-in default used ----
mkdir -p "$XDG_CONFIG_HOME/opsdeck/themes"
printf 'name: bad\nroles:\n  crit: { fg: not-a-colour }\n' >"$XDG_CONFIG_HOME/opsdeck/themes/bad.yaml"
console_start 100 30 --theme bad
wait_re 'bad\.yaml:[0-9]+:[0-9]+: '
wait_text "arrives below"
ok "a malformed theme shows file:line:col and the console starts"
console_quit

# ---- keys.yaml problems and a bad config: reported, the console still starts ----
printf 'log.search: q\nlog.top: n\n' >"$XDG_CONFIG_HOME/opsdeck/keys.yaml"
printf 'data_poll_ms: often\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
console_start 300 30
wait_re 'keys\.yaml:1:[0-9]+: '
wait_text "(+1 more key problem)"
wait_re 'config\.yaml:1:[0-9]+: '
wait_text "arrives below"
ok "a keys.yaml clash and a bad config are reported on the message line"
console_quit # q is still quit: the clashing binding was not applied
ok "the clashing key kept its default meaning"

echo "$passed passed"
