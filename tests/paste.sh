#!/usr/bin/env bash
# Pasted text never answers a question or triggers an action (bracketed paste:
# tmux's `paste-buffer -p` marks a paste when the console asked for it): a pasted
# "y" + newline at the quit question or at "run this command?" does not confirm,
# a pasted "qy" does not quit; a paste into the note prompt stays there as text
# (line breaks become spaces, nothing is submitted). The command to run is shown
# whole, wrapped, before the question. Paste mode comes back after Ctrl-Z and fg.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/sshd-fixture.sh" # defines sshd_fixture CMD ...

export OPSDECK_DB=$T/ops.db
unset SSH_AUTH_SOCK
F=$T/fleet
paste_cleanup() {
	sshd_fixture stop "$F" >/dev/null 2>&1 || true
	lib_cleanup
}
trap paste_cleanup EXIT

# paste TEXT: TEXT (printf format) pasted into the console as a terminal would.
paste() {
	tmx set-buffer -b opsdeck-test -- "$(printf "$1")"
	tmx paste-buffer -p -d -b opsdeck-test -t console
}
# paste_nl TEXT: TEXT and a line break (command substitution would drop it).
paste_nl() {
	tmx set-buffer -b opsdeck-test -- "$1
"
	tmx paste-buffer -p -d -b opsdeck-test -t console
}

console_start 100 30
wait_text "3:Log"

# ---- a paste at a question ----
keys q
wait_text "Quit opsdeck? (y/n)"
paste_nl "y"
wait_text "Paste ignored: answer the question with a key"
console_running || fail "a pasted 'y' and newline quit the console"
on_screen "Quit opsdeck? (y/n)" || fail "the question went away after a paste"
keys n
wait_gone "Quit opsdeck? (y/n)"
ok "a pasted y and newline does not answer the quit question"

# A paste that carries its own end marker: what follows it is still pasted.
keys q
wait_text "Quit opsdeck? (y/n)"
tmx set-buffer -b opsdeck-test -- "$(printf 'x\033[201~y')"
tmx paste-buffer -p -d -b opsdeck-test -t console
wait_text "Paste ignored: answer the question with a key"
console_running || fail "a 'y' after an end marker inside a paste quit the console"
on_screen "Quit opsdeck? (y/n)" || fail "the question went away after a paste"
keys n
wait_gone "Quit opsdeck? (y/n)"
ok "an end marker inside a paste does not let the rest answer"

# ---- a paste with no prompt open ----
paste "qy" # the message differs from the question's: it is this paste's
wait_text "Paste ignored: only a text prompt takes pasted text"
on_screen "Quit opsdeck?" && fail "a pasted q asked to quit"
console_running || fail "a pasted 'qy' quit the console"
ok "a paste with no prompt open triggers no action"

# ---- a paste into the note prompt is text ----
keys n
wait_text "Note:"
paste_nl "first line
second line"
wait_text "Note: first line second line"
on_screen "Saved #" && fail "a pasted newline submitted the note"
keys Enter
wait_text "Saved #"
"$OPSDECK" log list --json | grep -q '"text":"first line second line"' ||
	fail "note text: $("$OPSDECK" log list --json)"
ok "a paste into the note prompt stays text, line breaks as spaces"

# ---- Ctrl-Z and fg: bracketed paste again ----
pid=$(cat "$CONSOLE_PID")
keys C-z
deadline=$((SECONDS + WAIT_SECS))
until [ "$(ps -o stat= -p "$pid" | cut -c1)" = T ]; do
	[ "$SECONDS" -le "$deadline" ] || fail "Ctrl-Z did not stop the console"
	sleep 0.1
done
kill -CONT "$pid"
keys q
wait_text "Quit opsdeck? (y/n)"
paste_nl "y"
wait_text "Paste ignored: answer the question with a key"
console_running || fail "after Ctrl-Z and fg a pasted 'y' quit the console"
keys n
wait_gone "Quit opsdeck? (y/n)"
ok "after Ctrl-Z and fg a paste still never answers"
console_quit

# ---- an ad-hoc command: shown whole, and a paste does not run it ----
sshd_fixture start "$F" 1 >"$T/fixture.out" 2>&1 || fail "fixture start: $(cat "$T/fixture.out")"
cat >>"$F/inventory.yaml" <<EOF
thresholds:
  - { probe: load, warn: 1000000, crit: 1000000 }
  - { probe: memory, warn: 101, crit: 101 }
  - { probe: disk, warn: 101, crit: 101 }
EOF
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
cat >"$XDG_CONFIG_HOME/opsdeck/config.yaml" <<EOF
inventory: $F/inventory.yaml
known_hosts: $F/known_hosts
ssh_config: none
EOF
console_start 100 30
wait_re "^ok +h01 " 60
keys Enter
wait_text "h01"
cmd="echo START-MARK"
for i in $(seq 1 40); do cmd="$cmd word$i"; done
cmd="$cmd; touch $T/ran END-MARK"
keys e
wait_text "Run on h01:"
type_text "$cmd"
keys Enter
wait_text "Run the command above on h01? (y/n)"
# Every word of it is on screen, in order, over lines of at most 98 columns.
shown=$(pane | grep -E '^  (echo START-MARK|word|.*END-MARK)' | sed 's/^  //; s/ *$//' | tr '\n' ' ' | sed 's/ $//')
[ "$shown" = "$cmd" ] || fail "the command shown was '$shown', not '$cmd'"
[ "$(pane | grep -cE '^  (echo START-MARK|word)')" -ge 3 ] || fail "the command was not wrapped"
paste_nl "y"
wait_text "Paste ignored: answer the question with a key"
on_screen "Running on h01" && fail "a pasted y ran the command"
on_screen "Run the command above on h01? (y/n)" || fail "the question went away after a paste"
keys n
wait_text "Not run"
[ ! -e "$T/ran" ] || fail "the command ran"
ok "the whole command is shown wrapped; a pasted y does not run it"
console_quit

echo "$passed passed"
