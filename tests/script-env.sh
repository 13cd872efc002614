# Sourced by the shell tests: a private temporary world (HOME, XDG folders, TZ),
# the binary under test, and small assertion helpers. Removed on exit.
: "${OPSDECK_BIN:?OPSDECK_BIN must name the built opsdeck binary}"
: "${LSAN_OPTIONS:=suppressions=${OPSDECK_TOP_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/tests/lsan.supp}"
export LSAN_OPTIONS
T=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-sh.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_DATA_HOME=$T/home/.local/share
export TZ=UTC LC_ALL=C.UTF-8
unset OPSDECK_DB OPSDECK_CONFIG_DIR OPSDECK_NOW_MS NO_COLOR
mkdir -p "$HOME"
OPSDECK=$OPSDECK_BIN
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
