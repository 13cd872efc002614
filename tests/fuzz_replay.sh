#!/usr/bin/env bash
# Every fuzz target (FUZZ_TARGETS in Makefile.am, built with the driver's main() and
# the normal flags: ASan/UBSan when configured) replays every seed corpus in
# tests/fuzz/corpus/, its own first: no crash, no sanitiser report, no leak. Every
# tests/fuzz/fuzz_*.c must be listed, and every target must have a corpus.
set -eu
src=${OPSDECK_TOP_SRCDIR:?OPSDECK_TOP_SRCDIR must name the source tree}
build=${OPSDECK_TOP_BUILDDIR:?OPSDECK_TOP_BUILDDIR must name the build tree}
targets=${FUZZ_TARGETS:?FUZZ_TARGETS must list the fuzz targets (Makefile.am)}
passed=0
ok() { passed=$((passed + 1)); echo "# ok - $*"; }
fail() { echo "# not ok - $*" >&2; exit 1; }

for c in "$src"/tests/fuzz/fuzz_*.c; do
	t=tests/fuzz/$(basename "$c" .c)
	case " $targets " in
	*" $t "*) ;;
	*) fail "$c is not in FUZZ_TARGETS (add 'FUZZ_TARGETS += $t' to Makefile.am)" ;;
	esac
done
ok "every tests/fuzz/fuzz_*.c is a target"

corpora=()
for t in $targets; do
	name=${t##*/fuzz_}
	[ -d "$src/tests/fuzz/corpus/$name" ] || fail "$t has no seed corpus (tests/fuzz/corpus/$name/)"
	corpora+=("$src/tests/fuzz/corpus/$name")
done
for t in $targets; do
	name=${t##*/fuzz_}
	others=()
	for d in "${corpora[@]}"; do [ "$d" = "$src/tests/fuzz/corpus/$name" ] || others+=("$d"); done
	out=$("$build/$t" "$src/tests/fuzz/corpus/$name" "${others[@]}" 2>&1) ||
		fail "$t crashed on a corpus input:
$out"
	ok "$name: $(sed -n 's/.*: \([0-9]* inputs replayed\)$/\1/p' <<<"$out")"
done
echo "$passed passed, 0 failed"
