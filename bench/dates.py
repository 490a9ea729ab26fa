"""Benchmark: the German date fast path against dateparser, on the same strings, in one run.

Generates date strings in the shapes German outlets print (fixed seed), parses
each with the fast path alone and with dateparser alone (the same
preparation, the same reference time), and prints strings/s for both, the
speed ratio, and the agreement: wherever both give a value, the values
(instant and precision) must be equal. Exit status 1 when they disagree or
the fast path is less than 20x faster.

    python bench/dates.py [--n 3000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta

from corpus.normalize.dates import BERLIN, parse_date

MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]
ABBREV = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."]
WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
WEEKDAY_NAMES = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]

SHAPES = [
    lambda t: f"{WEEKDAYS[t.weekday()]}., {t.day}. {MONTHS[t.month - 1]} {t.year} - {t:%H:%M}",
    lambda t: f"am {t.day}. {MONTHS[t.month - 1]} {t.year}",
    lambda t: f"VON FELIX LILL am {t.day}. {MONTHS[t.month - 1]} {t.year}",
    lambda t: f"{t:%d.%m.%Y}, {t:%H.%M} Uhr",
    lambda t: f"Stand: {t:%d.%m.%Y %H:%M} Uhr",
    lambda t: f"Aktualisiert am {t.day}. {MONTHS[t.month - 1]} {t.year}, {t:%H:%M} Uhr",
    lambda t: f"Veröffentlicht am {t:%d.%m.%Y}",
    lambda t: f"{WEEKDAYS[t.weekday()]} {t:%d.%m.%y} | {t:%H:%M}",
    lambda t: f"{t.day}. {MONTHS[t.month - 1]} {t.year}, {t.hour} Uhr",
    lambda t: f"{t.day}. {ABBREV[t.month - 1]} {t.year}",
    lambda t: f"{MONTHS[t.month - 1]} {t.year}",
    lambda t: f"{WEEKDAY_NAMES[t.weekday()]}, {t.day}. {MONTHS[t.month - 1]} {t.year}",
    lambda t: f"{t:%Y-%m-%dT%H:%M:%S}+01:00",
    lambda t: f"{t:%Y-%m-%d}",
]
RELATIVE = ["vor {n} Stunden", "vor {n} Minuten", "vor {n} Tagen", "gestern, {hh}:{mm} Uhr", "heute", "vorgestern"]


def make_strings(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    start = datetime(2015, 1, 1)
    strings = []
    for i in range(n):
        moment = start + timedelta(minutes=rng.randrange(0, 11 * 365 * 24 * 60))
        if i % 10 == 9:
            template = rng.choice(RELATIVE)
            strings.append(template.format(n=rng.randint(2, 23), hh=f"{rng.randint(0, 23):02d}",
                                           mm=f"{rng.randint(0, 59):02d}"))
        else:
            strings.append(rng.choice(SHAPES)(moment))
    return strings


def timed(strings: list[str], reference: datetime, engine: str) -> tuple[float, list]:
    began = time.perf_counter()
    values = [parse_date(s, reference, engine=engine) for s in strings]  # type: ignore[arg-type]
    return time.perf_counter() - began, values


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    reference = datetime(2026, 5, 20, 12, 0, tzinfo=BERLIN)
    strings = make_strings(args.n, args.seed)
    parse_date("1. Januar 2024", reference, engine="slow")  # load dateparser's language data first

    fast_s, fast = timed(strings, reference, "fast")
    slow_s, slow = timed(strings, reference, "slow")
    auto_s, auto = timed(strings, reference, "auto")

    both = [(s, f, d) for s, f, d in zip(strings, fast, slow, strict=True) if f and d]
    disagree = [(s, f.isoformat(), d.isoformat()) for s, f, d in both if f.isoformat() != d.isoformat()]
    fast_only = sum(1 for f, d in zip(fast, slow, strict=True) if f and not d)
    slow_only = sum(1 for f, d in zip(fast, slow, strict=True) if d and not f)
    ratio = slow_s / fast_s
    n = len(strings)
    print(f"strings: {n} ({len(SHAPES)} printed shapes + {len(RELATIVE)} relative forms, seed {args.seed})")
    print(f"fast path:  {n / fast_s:12,.0f} strings/s  ({sum(1 for v in fast if v)} parsed)")
    print(f"dateparser: {n / slow_s:12,.0f} strings/s  ({sum(1 for v in slow if v)} parsed)")
    print(f"auto:       {n / auto_s:12,.0f} strings/s  ({sum(1 for v in auto if v)} parsed)")
    print(f"speed ratio fast/dateparser: {ratio:.1f}x (target >= 20x)")
    print(f"agreement: {len(both) - len(disagree)}/{len(both)} equal where both give a value; "
          f"fast only {fast_only}, dateparser only {slow_only}")
    for text, f, d in disagree[:10]:
        print(f"  DISAGREE {text!r}: fast {f}  dateparser {d}")
    return 0 if not disagree and ratio >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
