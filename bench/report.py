"""Run every benchmark and write their figures to bench/results.md (what `make bench` does).

Each benchmark runs as its own process, one after the other (never two at once:
they measure time and memory on the same cores). What each prints on stdout
goes into the report verbatim, with its command, exit status and duration; the
progress they log on stderr is shown only when one fails.

Sizes are chosen to finish in under ten minutes on two cores; change them with
``--pages`` (the crawl benchmark's site) and ``--urls`` (the frontier benchmark).

    python bench/report.py [--pages 2000] [--urls 20000] [--out bench/results.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "dev"


def benchmarks(pages: int, urls: int) -> list[tuple[str, list[str], str | None]]:
    """(title, command, reason it is skipped or None)."""
    python = sys.executable
    return [
        ("Crawl throughput: bare Scrapy (a), cicero to JSON Lines (b), cicero to Elasticsearch (c)",
         [python, "bench/crawl.py", "--pages", str(pages)], None),
        ("Frontier memory: a backfill of many URLs without and with JOBDIR",
         [python, "bench/memory.py", "--urls", str(urls)], None),
        ("Extraction on real pages (../shared/eval: dev, intl, both) against trafilatura and newspaper4k",
         [python, "bench/extraction.py"], None if EVAL.is_dir() else f"the evaluation set {EVAL} is not there"),
        ("Crawl of the real pages (d) against extraction alone on the same pages",
         [python, "bench/crawl.py", "--variants", "d"],
         None if EVAL.is_dir() else f"the evaluation set {EVAL} is not there"),
        ("Reprocessing the web archive: corpus reprocess with 1 and 2 workers against corpus extract --batch",
         [python, "bench/reprocess.py", "--copies", "6", "--rounds", "3"],
         None if EVAL.is_dir() else f"the evaluation set {EVAL} is not there"),
        ("Reading CC-NEWS: corpus backfill ccnews with 1 and 2 workers over a local data host",
         [python, "bench/ccnews.py"], None if EVAL.is_dir() else f"the evaluation set {EVAL} is not there"),
        ("Scope and entities: precision and recall on the labelled sets, tagging and entity matching per core",
         [python, "bench/scope.py"], None),
        ("Near-duplicate stories: pair precision and recall on the labelled set (real texts and agency-style copies)",
         [python, "bench/stories.py"], None if EVAL.is_dir() else f"the evaluation set {EVAL} is not there"),
        ("German dates: the fast path against dateparser",
         [python, "bench/dates.py"], None),
        ("Soak: three crawls through random bulk faults (index ∪ dead-letter = output)",
         [python, "bench/soak.py"], None),
    ]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="article pages of the crawl benchmark (default 2000)")
    ap.add_argument("--urls", type=int, default=20_000, help="URLs of the frontier benchmark (default 20000)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    ap.add_argument("--only", metavar="SCRIPT",
                    help="run only the benchmarks of bench/SCRIPT.py and replace their sections in --out (each "
                    "says when and at which commit it ran again)")
    args = ap.parse_args()

    began = time.monotonic()
    sections: list[str] = []
    failed: list[str] = []
    chosen = [b for b in benchmarks(args.pages, args.urls)
              if not args.only or Path(b[1][1]).stem == args.only.removesuffix(".py")]
    if not chosen:
        raise SystemExit(f"--only {args.only}: no such benchmark")
    for title, command, skipped in chosen:
        shown = " ".join(["python", *command[1:]])
        if skipped:
            print(f"bench: skipped {shown}: {skipped}", file=sys.stderr)
            sections.append(f"## {title}\n\n`{shown}`: not run, {skipped}.\n")
            continue
        print(f"bench: {shown} ...", file=sys.stderr, flush=True)
        start = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.monotonic() - start
        print(f"bench: {shown}: exit {result.returncode} after {seconds:.0f} s", file=sys.stderr, flush=True)
        again = (f", run again alone on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {git_commit()}"
                 if args.only else "")
        text = f"## {title}\n\n`{shown}` (exit status {result.returncode}, {seconds:.0f} s{again})\n\n```\n"
        text += result.stdout.rstrip() + "\n```\n"
        if result.returncode != 0:
            failed.append(shown)
            text += "\nLast lines of its log:\n\n```\n" + "\n".join(result.stderr.splitlines()[-30:]) + "\n```\n"
        sections.append(text)

    if args.only:
        text = args.out.read_text("utf-8")
        for section in sections:
            title = section.split("\n", 1)[0]
            if title + "\n" not in text:  # a benchmark new since the last make bench: added at the end
                text = text.rstrip("\n") + "\n\n" + section
                continue
            start = text.index(title + "\n")
            end = text.find("\n## ", start + 1)
            text = text[:start] + section + (text[end + 1:] if end > 0 else "")
        args.out.write_text(text, encoding="utf-8")
        print(f"bench: replaced {len(sections)} section(s) of {args.out}", file=sys.stderr)
        return 1 if failed else 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` (bench/report.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {git_commit()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average before the end "
        f"{load[0]:.1f}; {time.monotonic() - began:.0f} s in all.\n\n"
        "Each benchmark ran alone, in its own process; its figures are ratios against a baseline measured in "
        "the same run. An exit status other than 0 means one of its checks failed (see its output); "
        "targets missed are marked FAIL in the output.\n\n"
    )
    args.out.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"bench: wrote {args.out}" + (f"; not passing: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
