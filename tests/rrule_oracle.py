#!/usr/bin/env python3
"""rrule_oracle: a second RRULE engine (python-dateutil) for tests/test_calendar.c.

usage: rrule_oracle.py ZONE DTSTART RRULE FROM TO
       rrule_oracle.py --batch FILE      (one "ZONE DTSTART RRULE FROM TO" case a line)
  DTSTART is wall time YYYYMMDDTHHMMSS in ZONE; FROM and TO are UTC YYYYMMDDTHHMMSSZ.
Prints the UTC start (YYYY-MM-DDTHH:MM:SSZ) of every occurrence with FROM <= start < TO;
in batch mode each case's lines end with a line "--".
Wall times become instants by PEP 495 with fold=0, which is RFC 5545's rule: a time
in a gap takes the offset before the gap, a time in a fold is its first instance.
"""
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def expand(zone, dtstart, rule, frm, to):
    tz = ZoneInfo(zone)
    start = datetime.strptime(dtstart, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
    lo = datetime.strptime(frm, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    hi = datetime.strptime(to, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    for n, occ in enumerate(rrulestr(rule, dtstart=start)):
        utc = occ.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
        if utc >= hi or n > 200000:
            break
        if utc >= lo:
            print(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))


def main():
    if sys.argv[1] == "--batch":
        with open(sys.argv[2]) as f:
            for line in f:
                if line.strip():
                    expand(*line.split())
                    print("--")
    else:
        expand(*sys.argv[1:6])


if __name__ == "__main__":
    main()
