#!/bin/sh
# Runs after automake's test harness (Makefile.am: check-local). For each test it
# reads the harness's result (tests/NAME.trs) and log (tests/NAME.log): shows the
# last 60 lines of the log of every test that did not pass, the slowest tests and
# the suite's wall time (from the first test's start, stamped by tests/timed.sh),
# and ends with the line "N passed, N failed". Exits 1 when a test failed or has no
# result (it did not run), so it carries make check's verdict.
#   summary.sh TEST...
set -u
passed=0
failed=0
failed_names=""
times=""   # "SECONDS NAME" lines
first=""   # the earliest start
for t in "$@"; do
	base=${t%.sh}
	name=${t##*/}
	result=$(sed -n 's/^:test-result: *//p' "$base.trs" 2>/dev/null | head -n 1)
	secs=$(sed -n 's/^# wall: \([0-9]*\) s$/\1/p' "$base.log" 2>/dev/null | tail -n 1)
	[ -n "$secs" ] && times="$times$secs $name
"
	began=$(sed -n 's/^# start: \([0-9]*\)$/\1/p' "$base.log" 2>/dev/null | head -n 1)
	[ -n "$began" ] && { [ -z "$first" ] || [ "$began" -lt "$first" ]; } && first=$began
	case "$result" in
	PASS | SKIP | XFAIL) passed=$((passed + 1)) ;;
	*)
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "---- $base.log: ${result:-no result, the test did not run} (last 60 lines) ----"
		tail -n 60 "$base.log" 2>/dev/null
		echo "----"
		;;
	esac
done
[ "$failed" -gt 0 ] && echo "failed:$failed_names"
slowest=$(printf '%s' "$times" | sort -rn | head -n 5 | awk '{ printf "%s%s %ss", sep, $2, $1; sep = ", " }')
[ -n "$slowest" ] && echo "slowest: $slowest"
[ -n "$first" ] && echo "wall time: $(( $(date +%s) - first )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
