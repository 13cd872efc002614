#!/bin/sh
# Calendar expansion: opsdeck (libical) beside python-dateutil on the same 500 rules
# over one year. usage: BENCH_CALENDAR=bench/bench_calendar sh bench/calendar.sh [ROUNDS]
set -eu
bin=${BENCH_CALENDAR:-bench/bench_calendar}
rounds=${1:-20}
rules=$(mktemp)
trap 'rm -f "$rules"' EXIT
"$bin" "$rounds" --rules "$rules"
python3 - "$rules" "$rounds" <<'PY'
import sys, time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from dateutil.rrule import rrulestr
rules = [l.split(" ", 2) for l in open(sys.argv[1]).read().splitlines()]
lo = datetime(2027, 1, 1, tzinfo=timezone.utc); hi = datetime(2028, 1, 1, tzinfo=timezone.utc)
times = []; n = 0
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); n = 0
    for zone, start, rule in rules:
        tz = ZoneInfo(zone)
        dt = datetime.strptime(start, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        for occ in rrulestr(rule, dtstart=dt):
            u = occ.astimezone(timezone.utc)
            if u >= hi: break
            if u >= lo: n += 1
    times.append((time.perf_counter() - t0) * 1e3)
times.sort()
print("  python-dateutil:    median %.2f ms  p99 %.2f ms  (%d rounds, %d occurrences)" % (
    times[len(times) // 2], times[min(len(times) - 1, len(times) * 99 // 100)], len(times), n))
PY
