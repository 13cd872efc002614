#!/usr/bin/env bash
# A quiet build: ./configure says nothing on stderr (a new user reads any of it as
# an error) and leaves no conftest files behind, although the source tree has a
# folder named core/ that autoconf's clean-up of core dumps (`rm -f core ...`)
# meets after every check and in its exit trap. The generated configure runs once,
# in a scratch copy of what it needs (--no-create: the checks and the trap, not
# config.status), so the test is cheap and touches no build folder.
set -eu
src=${OPSDECK_TOP_SRCDIR:?OPSDECK_TOP_SRCDIR must name the source tree}
T=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-quiet.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
ok() { passed=$((passed + 1)); echo "# ok - $*"; }
fail() { echo "# not ok - $*" >&2; exit 1; }

[ -x "$src/configure" ] || fail "$src/configure is missing: run autoreconf -fi"
mkdir -p "$T/src/core"
cp "$src/configure" "$src/Makefile.in" "$src/build-config.h.in" "$T/src/"
cp -R "$src/build-aux" "$T/src/"
cp "$src/core/store.c" "$T/src/core/" # AC_CONFIG_SRCDIR
(cd "$T/src" && ./configure --quiet --no-create >"$T/out" 2>"$T/err") ||
	fail "configure failed: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "configure wrote to stderr: $(head -n 5 "$T/err")"
ok "configure in a tree with a core/ folder prints nothing on stderr"
[ -f "$T/src/core/store.c" ] || fail "configure removed the core/ folder"
left=$(cd "$T/src" && ls -d conftest* confdefs.h 2>/dev/null || true)
[ -z "$left" ] || fail "configure left behind: $left"
ok "configure cleans up its conftest files and keeps core/"
# A core dump named core (a file) is still removed: configure's rm spares only a
# folder. Its rm function is run by itself here (a second configure costs seconds).
sed -n '/^rm ()$/,/^}$/p' "$src/configure" >"$T/rm.sh"
[ -s "$T/rm.sh" ] || fail "configure has no rm function"
mkdir -p "$T/dump" && : >"$T/dump/core" && : >"$T/dump/conftest.c"
(cd "$T/dump" && . "$T/rm.sh" && rm -f core conftest.c) || fail "rm -f core failed"
[ ! -e "$T/dump/core" ] && [ ! -e "$T/dump/conftest.c" ] || fail "a file named core was kept"
(cd "$T/src" && . "$T/rm.sh" && rm -f core nothing.o && [ -d core ]) || fail "rm removed core/"
ok "a file named core is still removed; a folder named core is left alone"
echo "$passed passed, 0 failed"
