#!/bin/sh
# bench/incident.sh: `make bench-incidents`. Builds a fresh store of 100,000
# incidents and 1,000,000 timeline events in a temporary folder and prints the
# Incidents view's core calls as median/p99 (bench_incident). Figures only.
# Environment: BENCH_INCIDENT (the binary), INCIDENTS, EVENTS, REPS.
set -eu
: "${BENCH_INCIDENT:?BENCH_INCIDENT must name the bench_incident binary}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-bench-inc.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "incident queue: ${INCIDENTS:-100000} incidents, ${EVENTS:-1000000} events (goal: <= 20 ms each)"
"$BENCH_INCIDENT" "$dir/inc.db" "${INCIDENTS:-100000}" "${EVENTS:-1000000}" "${REPS:-300}"
