"""Reprocessing the web archive on every core: ``corpus reprocess`` with 1 and 2 workers, and ``corpus extract``.

The real pages of ../shared/eval (dev and intl: 215 article pages of 200 publishers) are
archived as a crawl archives them (:class:`corpus.archive.ArchiveWriter`: request, response
gzip-encoded as news sites serve pages, and the metadata record of an article page), at
their real URLs, once per crawl run in ``--copies`` files (a page archived by several crawls
is read once per crawl). The same pages are also saved as HTML files for ``corpus extract
--batch -``.

Each command runs as a user runs it (its own process, start-up included), in turns, best of
``--rounds``; each reprocess starts from an empty data directory. The start-up (about 1.5 s:
imports, the parsers and terms loaded, the first pages read before the workers fork) does
not divide among workers, so the archive holds enough pages (six crawls' worth, 1,290) for
the figure to say how the reading of pages scales, as it does on a real archive. Printed: pages per second
of each, and the two ratios the project holds itself to: ``--workers 2`` against
``--workers 1`` (at least 1.8 on two cores) and ``--workers 1`` against ``corpus extract
--batch`` on the same pages (at least 0.8).

    python bench/reprocess.py [--copies 6] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import timed_corpus  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
TARGETS = {"workers2_over_workers1": 1.8, "workers1_over_extract": 0.8}


class _Headers(dict):  # what the writer reads of Scrapy's Headers: items() of lists
    def items(self):  # type: ignore[override]
        return [(k, [v]) for k, v in dict.items(self)]


def build(workdir: Path, copies: int) -> tuple[Path, Path, int]:
    """The archive folder, the ``corpus extract --batch`` input, and the number of article pages in all."""
    from corpus.archive.writer import ArchiveWriter
    from corpus.extract.article import read_html
    from corpus.runs import new_run_name

    pages: list[tuple[str, str]] = []
    for name in ("dev", "intl"):
        truth = EVAL / name / "truth.jsonl"
        for line in truth.read_text("utf-8").splitlines():
            record = json.loads(line)
            pages.append((record["url"], read_html(EVAL / name / record["file"])))
    archive, html = workdir / "archive", workdir / "html"
    html.mkdir(parents=True)
    batch = workdir / "batch.jsonl"
    with open(batch, "w", encoding="utf-8") as manifest:
        for copy in range(copies):
            for number, (url, text) in enumerate(pages):
                file = html / f"{copy}-{number}.html"
                file.write_text(text, "utf-8")
                manifest.write(json.dumps({"file": str(file), "url": url}) + "\n")
    for copy in range(copies):
        writer = ArchiveWriter(archive, f"bench{copy}", info={
            "isPartOf": "", "corpus-outlet-base-url": "", "corpus-fetched-base-url": "",
            "corpus-crawl-run": new_run_name(), "corpus-comments": "true"})
        for url, text in pages:
            body = gzip.compress(text.encode("utf-8"), 6)
            response = SimpleNamespace(status=200, body=body, protocol="HTTP/1.1", ip_address=None, headers=_Headers({
                b"Content-Type": b"text/html; charset=utf-8", b"Content-Encoding": b"gzip"}))
            request = SimpleNamespace(method="GET", body=b"", headers=_Headers({b"Accept-Encoding": b"gzip"}))
            writer.write_exchange(url, request, response, metadata={"role": "article"})
        writer.close()
    return archive, batch, len(pages) * copies


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=6, help="crawls of the eval pages in the archive (default 6)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each command, in turns; the best counts")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if not (EVAL / "dev" / "truth.jsonl").is_file():
        raise SystemExit(f"the evaluation pages are not there: {EVAL}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-reprocess-"))
    try:
        archive, batch, pages = build(workdir, args.copies)
        size = sum(p.stat().st_size for p in archive.iterdir())
        def reprocess(workers: int) -> tuple[float, str]:
            data = workdir / f"data-{workers}"
            return timed_corpus(["reprocess", str(archive), "--workers", str(workers), "--no-progress", "-o",
                                 str(data / "out.jsonl")], data)

        commands: dict[str, Any] = {
            "corpus extract --batch -": lambda: timed_corpus(["extract", "--batch", "-"], workdir / "data-x", batch),
            "corpus reprocess --workers 1": lambda: reprocess(1),
            "corpus reprocess --workers 2": lambda: reprocess(2),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        summary = ""
        for _ in range(args.rounds):
            for name, command in commands.items():
                seconds, printed = command()
                times[name].append(seconds)
                summary = printed if name.startswith("corpus reprocess") else summary
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    best = {name: min(values) for name, values in times.items()}
    ratios = {
        "workers2_over_workers1": best["corpus reprocess --workers 1"] / best["corpus reprocess --workers 2"],
        "workers1_over_extract": best["corpus extract --batch -"] / best["corpus reprocess --workers 1"],
    }
    figures = {"pages": pages, "archive_bytes": size, "cores": os.cpu_count(),
               "seconds": best, "all_seconds": times, "ratios": ratios, "targets": TARGETS}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{pages} archived article pages ({args.copies} crawls of the {pages // args.copies} eval pages), "
          f"{size / 2**20:.1f} MiB of WARC; {os.cpu_count()} cores; best of {args.rounds} runs, start-up included")
    print()
    print("| command | seconds | pages/s |")
    print("|---|---|---|")
    for name, seconds in best.items():
        print(f"| `{name}` | {seconds:.2f} | {pages / seconds:.1f} |")
    print()
    print("| ratio | value | target |")
    print("|---|---|---|")
    print(f"| workers 2 / workers 1 | {ratios['workers2_over_workers1']:.2f} | "
          f">= {TARGETS['workers2_over_workers1']} |")
    print(f"| workers 1 / extract --batch | {ratios['workers1_over_extract']:.2f} | >= "
          f"{TARGETS['workers1_over_extract']} |")
    print()
    print("What each reprocess wrote (most eval pages are not about the region: light records):")
    print("```")
    print(summary.strip())
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
