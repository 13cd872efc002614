#!/bin/sh
# The harness's log compiler (Makefile.am: LOG_COMPILER, SH_LOG_COMPILER): runs one
# test between two lines of its log, "# start: EPOCH-SECONDS" and "# wall: N s",
# which tests/summary.sh reads, and exits with the test's own status (77 skip and
# 99 hard error included).
#   timed.sh [bash] TEST
start=$(date +%s)
echo "# start: $start"
"$@"
rc=$?
echo "# wall: $(( $(date +%s) - start )) s"
exit $rc
