# Sourced by script tests that drive the real console in tmux (tmux's own tests
# work the same way): the private world of script-env.sh (temporary HOME and XDG
# folders, TZ, locale, removed on exit), a tmux server on a private socket, and
# helpers to start the console, type, wait for text with a timeout and read its
# exit code. Failures print the pane and the console's stderr.
#
#   . "$here/lib.sh"
#   console_start 100 30 [opsdeck arguments...]
#   wait_text "2:Log"; keys n; type_text "hello"; keys Enter; wait_text "Saved #"
#   keys q; wait_text "Quit opsdeck?"; keys y; wait_exit; [ "$EXIT_RC" = 0 ]
lib_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OPSDECK_TOP_SRCDIR:=$(cd "$lib_here/.." && pwd)}"
export OPSDECK_TOP_SRCDIR
. "$lib_here/script-env.sh"
# Same settings make check exports (Makefile.am), so a script also runs alone under ASan.
: "${ASAN_OPTIONS:=abort_on_error=0:detect_leaks=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

# Polling timeouts are generous: CI runs the binary under ASan on two cores.
WAIT_SECS=${WAIT_SECS:-10}
TMUX_SOCK=opsdeck-test-$$
CONSOLE_RC=$T/console.rc
CONSOLE_ERR=$T/console.err
CONSOLE_PID=$T/console.pid

command -v tmux >/dev/null 2>&1 || { echo "# not ok - tmux is not installed (tools/install-deps)"; exit 1; }

tmx() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

lib_cleanup() {
	tmx kill-server >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap lib_cleanup EXIT

# The visible pane as text (-e: with attribute escapes as tmux stored them).
pane() { tmx capture-pane -p -t console "$@" 2>/dev/null || true; }

# Replaces script-env.sh's fail: show what the console looked like and said.
fail() {
	echo "# not ok - $*"
	echo "---- pane ----"
	pane
	echo "---- console stderr ----"
	cat "$CONSOLE_ERR" 2>/dev/null || true
	echo "----"
	exit 1
}

# console_start COLS ROWS [ARGS...]: a fresh tmux server running the console. The
# console's pid goes to $CONSOLE_PID, its exit code to $CONSOLE_RC, stderr to $CONSOLE_ERR.
console_start() {
	local cols=$1 rows=$2 cmd=""
	shift 2
	tmx kill-server >/dev/null 2>&1 || true
	rm -f "$CONSOLE_RC" "$CONSOLE_PID"
	: >"$CONSOLE_ERR"
	cmd=$(printf '%q ' "$OPSDECK" "$@")
	# sh execs the console so the pid it writes is the console's own.
	tmx new-session -d -s console -x "$cols" -y "$rows" \
		"TERM=xterm-256color sh -c 'echo \$\$ > \"\$0\"; exec \"\$@\"' $(printf %q "$CONSOLE_PID") $cmd 2>>$(printf %q "$CONSOLE_ERR"); echo \$? > $(printf %q "$CONSOLE_RC")"
}

keys() { tmx send-keys -t console "$@"; }
type_text() { tmx send-keys -t console -l "$1"; }

# wait_text TEXT [SECS]: until TEXT (fixed string) is on screen.
wait_text() {
	local deadline=$((SECONDS + ${2:-$WAIT_SECS}))
	while [ "$SECONDS" -le "$deadline" ]; do
		pane | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "timed out waiting for '$1' on screen"
}

# wait_re REGEX [SECS]: until an extended regex matches a screen line.
wait_re() {
	local deadline=$((SECONDS + ${2:-$WAIT_SECS}))
	while [ "$SECONDS" -le "$deadline" ]; do
		pane | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	fail "timed out waiting for /$1/ on screen"
}

# wait_gone TEXT [SECS]: until TEXT is no longer on screen.
wait_gone() {
	local deadline=$((SECONDS + ${2:-$WAIT_SECS}))
	while [ "$SECONDS" -le "$deadline" ]; do
		pane | grep -qF -- "$1" || return 0
		sleep 0.1
	done
	fail "'$1' still on screen"
}

# on_screen TEXT: true when TEXT is visible now.
on_screen() { pane | grep -qF -- "$1"; }

# wait_exit [SECS]: waits for the console to exit and sets EXIT_RC to its code.
EXIT_RC=
wait_exit() {
	local deadline=$((SECONDS + ${1:-$WAIT_SECS}))
	while [ "$SECONDS" -le "$deadline" ]; do
		if [ -s "$CONSOLE_RC" ]; then
			EXIT_RC=$(cat "$CONSOLE_RC")
			return 0
		fi
		sleep 0.1
	done
	fail "the console did not exit"
}

# console_running: true while the console process is alive.
console_running() { [ ! -s "$CONSOLE_RC" ] && [ -s "$CONSOLE_PID" ] && kill -0 "$(cat "$CONSOLE_PID")" 2>/dev/null; }

# sanitizer_clean: no ASan/UBSan/LSan report in the console's stderr.
sanitizer_clean() {
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$CONSOLE_ERR"
}

# console_quit: q, y, and the console must exit 0 with a clean stderr.
console_quit() {
	keys q
	wait_text "Quit opsdeck? (y/n)"
	keys y
	wait_exit
	[ "$EXIT_RC" = 0 ] || fail "console exited $EXIT_RC after q y"
	sanitizer_clean || fail "sanitizer report on exit"
}
