"""Reading CC-NEWS: records and megabytes a second of ``corpus backfill ccnews``, with 1 and 2 workers.

A local data host (tests/ccnews_site.py: Common Crawl's layout, CC-NEWS's record format) serves
one month of ``--files`` WARC files, each of ``--records`` response records: the real eval
pages (../shared/eval) at their real URLs, most of them of sites the project does not crawl
(as in CC-NEWS, where the outlets are a small share), some of its outlets, plus redirects and
records that are not HTML. The backfill streams them over HTTP as it streams Common Crawl's
files, reads every record's headers and the outlets' pages in full (page judgement, parser,
pipelines) and writes JSON Lines.

Each run is a process of its own, from an empty data directory; the runs go in turns, best of
``--rounds``. The same command on a month without files, in the same turns, measures the
start-up (imports, parsers and terms loaded, the workers forked, the listing read), which no
number of workers divides. Printed: the whole command's seconds, the start-up, and the reading
itself: records/s and MB/s (compressed bytes of the files) from the command's time less the
start-up, and 2 workers against 1 for both (target for the reading: at least 1.8 on two cores).

    python bench/ccnews.py [--files 4] [--records 2500] [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import timed_corpus  # noqa: E402

TARGET = 1.8


def build(root: Path, files: int, records: int) -> tuple[list[str], int, int]:
    """The month's files: their paths, their bytes, and the outlets' pages among the records."""
    from tests.ccnews_site import Capture, _page, _truth, other_pages, outlet_pages, write_listing, write_warc

    outlets, others = outlet_pages(), other_pages()
    foreign = [Capture(r["url"], _page(r)) for r in _truth("dev")]  # every eval page, most not the outlets'
    names = [f"CC-NEWS-20230907{n:06d}-{n:05d}.warc.gz" for n in range(files)]
    paths = write_listing(root, 2023, 9, names)
    write_listing(root, 2023, 8, [])  # a month without files: the start-up alone
    chooser = random.Random(7)
    outlet_count = 0
    for n, path in enumerate(paths):
        captures = []
        for number in range(records):
            if number % 50 == 0:  # about 2% of the records: an outlet's page, at a URL of its own
                page = outlets[(number // 50 + n) % len(outlets)]
                captures.append(Capture(f"{page.url}?r={n}-{number}", page.body))
                outlet_count += 1
            elif number % 50 == 25:
                captures.append(others[number % len(others)])
            else:
                page = chooser.choice(foreign)
                captures.append(Capture(f"https://example-{number % 97}.org/{n}/{number}", page.body))
        write_warc(root / path, captures)
    size = sum((root / path).stat().st_size for path in paths)
    return paths, size, outlet_count


def run(workers: int, host_url: str, data: Path, month: str = "2023-09") -> tuple[float, str]:
    return timed_corpus(["backfill", "ccnews", "--from", month, "--to", month, "--base-url", host_url, "--workers",
                         str(workers), "--no-progress"], data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=4, help="WARC files in the month (default 4)")
    ap.add_argument("--records", type=int, default=2500, help="response records a file (default 2500)")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each, in turns; the best counts (default 2)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    from tests.ccnews_site import EVAL, DataHost

    if not (EVAL / "dev" / "truth.jsonl").is_file():
        raise SystemExit(f"the evaluation pages are not there: {EVAL}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ccnews-"))
    try:
        paths, size, outlet_pages = build(workdir / "cc", args.files, args.records)
        records = args.files * args.records
        times: dict[int, list[float]] = {1: [], 2: []}
        startup: dict[int, list[float]] = {1: [], 2: []}
        summary = ""
        with DataHost(workdir / "cc") as host:
            for _ in range(args.rounds):
                for workers in (1, 2):
                    startup[workers].append(run(workers, host.url, workdir / "data-0", "2023-08")[0])
                    elapsed, summary = run(workers, host.url, workdir / f"data-{workers}")
                    times[workers].append(elapsed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    best = {workers: min(values) for workers, values in times.items()}
    start = {workers: min(values) for workers, values in startup.items()}
    reading = {workers: best[workers] - start[workers] for workers in best}
    ratio = reading[1] / reading[2]
    figures = {"files": args.files, "records": records, "bytes": size, "outlet_pages": outlet_pages,
               "seconds": best, "startup_seconds": start, "reading_seconds": reading, "all_seconds": times,
               "ratio": ratio, "command_ratio": best[1] / best[2], "target": TARGET, "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"one month of {args.files} CC-NEWS-like files: {records} response records, {size / 2**20:.0f} MiB "
          f"gzipped, {outlet_pages} of them the outlets' pages; {os.cpu_count()} cores; best of {args.rounds} runs, "
          "streamed over HTTP from a local data host")
    print()
    print("| workers | command s | start-up s | reading s | records/s | MB/s (compressed) |")
    print("|---|---|---|---|---|---|")
    for workers, seconds in best.items():
        print(f"| {workers} | {seconds:.2f} | {start[workers]:.2f} | {reading[workers]:.2f} | "
              f"{records / reading[workers]:,.0f} | {size / 1e6 / reading[workers]:.1f} |")
    print()
    print(f"reading, 2 workers / 1 worker: {ratio:.2f} (target >= {TARGET}: {'PASS' if ratio >= TARGET else 'FAIL'}); "
          f"the whole command: {best[1] / best[2]:.2f}")
    print()
    print("What the backfill wrote:")
    print("```")
    print(summary.strip())
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
