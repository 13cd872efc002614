# Sourced by the shell tests: a private temporary world (HOME, XDG folders, TZ),
# the binaries under test, and small assertion helpers. Removed on exit.
# $OPSDECK is the release binary; $OPSDECK_TEST the test-only one (same program,
# plus a clock tests can pin and move and a loop-turn counter: tests/README.md).
: "${OPSDECK_BIN:?OPSDECK_BIN must name the built opsdeck binary}"
: "${OPSDECK_TEST_BIN:=$(dirname "$OPSDECK_BIN")/tests/opsdeck-test}"
[ -x "$OPSDECK_TEST_BIN" ] || { echo "# not ok - no test binary at $OPSDECK_TEST_BIN (make tests/opsdeck-test)"; exit 1; }
: "${LSAN_OPTIONS:=suppressions=${OPSDECK_TOP_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/tests/lsan.supp}"
export LSAN_OPTIONS
T=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-sh.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_DATA_HOME=$T/home/.local/share
export TZ=UTC LC_ALL=C.UTF-8
unset OPSDECK_DB OPSDECK_CONFIG_DIR OPSDECK_NOW_MS OPSDECK_TEST_CLOCK OPSDECK_TEST_TURNS NO_COLOR
mkdir -p "$HOME"
OPSDECK=$OPSDECK_BIN
OPSDECK_TEST=$OPSDECK_TEST_BIN

# test_clock pin MS | offset MS | real: sets the clock of every test binary that
# runs with OPSDECK_TEST_CLOCK=$TEST_CLOCK, running ones included (they notice at
# their next reading). Written whole, then renamed: never seen half-written.
TEST_CLOCK=$T/test-clock
test_clock() {
	printf '%s\n' "$*" >"$TEST_CLOCK.new" && mv -f "$TEST_CLOCK.new" "$TEST_CLOCK"
}
passed=0

ok() { passed=$((passed + 1)); echo "# ok - $*"; }
fail() { echo "# not ok - $*" >&2; exit 1; }

# expect_fail MESSAGE CMD...: CMD must exit non-zero and say MESSAGE on stderr.
expect_fail() {
	local want=$1 out rc=0
	shift
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' exited 0, expected failure"
	case "$out" in
	*"$want"*) ;;
	*) fail "'$*' said '$out', expected '$want'" ;;
	esac
}
