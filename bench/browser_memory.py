"""Benchmark: memory of a crawl that renders 1,000 pages in headless Chromium.

A local server (a thread of this process, 127.0.0.1) serves the generated site
of tests/gensite.py: listing pages of 50 links each, paged with rel="next", and
N article pages whose three comments a script inserts after load. A spider with ``browser = True``
crawls it twice in the same invocation, as a subprocess each time:

(a) with the browser context replaced every 100 pages (the default), and
(b) with one context for the whole crawl (the baseline scrapy-playwright
    users complain about).

Every second the resident memory (RSS) of the crawler process and the
proportional memory (PSS, shared pages split) of all its Chromium processes are
read from /proc. Printed: memory after the first 20% of pages and at the end
(median over the last 10%), growth per 100 pages, and the ratio of end to
early memory, for both runs. "Flat" means the end/early ratio stays near 1.

    python bench/browser_memory.py [--pages 1000] [--context-pages 100]

Politeness settings (download delay, AutoThrottle) are off in this benchmark only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
from tests.gensite import PER_LISTING, GeneratedSite  # noqa: E402  (the site the tests crawl, too)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them (Chromium's
    many processes share most of their memory; summing their RSS would count it many times)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines = (entry / "status").read_text().splitlines()
                ppid = int(next(line for line in lines if line.startswith("PPid:")).split()[1])
            except (FileNotFoundError, ProcessLookupError, StopIteration, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run(origin: str, pages: int, context_pages: int, workdir: Path) -> list[tuple[float, int, int, int]]:
    """One crawl; samples of (seconds, items written, crawler RSS kB, browser RSS kB)."""
    out = workdir / f"out-{context_pages}.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env.update(CORPUS_OUTPUT_DIR=str(workdir), CORPUS_STATE_FILE=str(workdir / f"state-{context_pages}.sqlite"))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "bench-browser", "-a", f"base_url={origin}", "-a", "scope=all",
           "-a", "mode=backfill", "-a", f"max_pages={pages // PER_LISTING + 2}", "-a", "incremental=false",
           "-O", str(out), "-s", "SPIDER_MODULES=bench.browser_site", "-s", "DOWNLOAD_DELAY=0",
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False", "-s", "CONCURRENT_REQUESTS=8",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", f"CORPUS_BROWSER_CONTEXT_PAGES={context_pages}",
           "-s", "LOG_LEVEL=INFO"]
    began = time.monotonic()
    log = (workdir / f"crawl-{context_pages}.log").open("w")
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    samples = []
    while process.poll() is None:
        time.sleep(1.0)
        items = sum(1 for _ in out.open()) if out.exists() else 0
        browser = sum(pss_kb(p) for p in descendants(process.pid))
        samples.append((time.monotonic() - began, items, rss_kb(process.pid), browser))
    log.close()
    stderr = (workdir / f"crawl-{context_pages}.log").read_text()
    if process.returncode != 0:
        raise SystemExit(f"crawl failed ({process.returncode}):\n{stderr[-3000:]}")
    # what went wrong, from the crawl's final stats
    for key in ("log_count/ERROR", "playwright/browser_count", "playwright/context_count", "corpus/errors/"):
        found = re.findall(rf"'({re.escape(key)}[^']*)': (\d+)", stderr)
        if found:
            print(f"  [{context_pages}] " + ", ".join(f"{k}={v}" for k, v in found))
    errors = [line for line in stderr.splitlines() if " ERROR: " in line][:3]
    for line in errors:
        print(f"  [{context_pages}] {line[:200]}")
    return samples


def summary(name: str, samples: list[tuple[float, int, int, int]], pages: int) -> None:
    articles = [(t, n // 4, crawler, browser) for t, n, crawler, browser in samples]  # article + 3 comments
    early = next((s for s in articles if s[1] >= pages * 0.2), articles[0])
    end = max(articles, key=lambda s: s[1])
    late = [s for s in articles if s[1] >= pages * 0.9] or [end]
    crawler_end = sorted(s[2] for s in late)[len(late) // 2]  # medians over the last 10% of pages
    browser_end = sorted(s[3] for s in late)[len(late) // 2]
    span = max(1, end[1] - early[1])
    print(f"{name:<34} {early[2] / 1024:8.0f} {crawler_end / 1024:8.0f} {crawler_end / max(1, early[2]):6.2f}"
          f" {(crawler_end - early[2]) / 1024 / span * 100:8.1f}"
          f" {early[3] / 1024:9.0f} {browser_end / 1024:9.0f} {browser_end / max(1, early[3]):6.2f}"
          f" {end[1]:6d} {end[0]:6.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--context-pages", type=int, default=100)
    args = ap.parse_args()
    site = GeneratedSite(args.pages, scripted_comments=3).__enter__()
    origin = site.base_url
    print(f"site: {args.pages} article pages (+{args.pages // PER_LISTING} listings) at {origin}, "
          "rendered in headless Chromium; politeness settings off for this benchmark")
    with tempfile.TemporaryDirectory(prefix="corpus-bench-") as tmp:
        runs = [(f"context replaced every {args.context_pages} pages", args.context_pages),
                ("one context for the whole crawl", 10**9)]
        results = [(name, run(origin, args.pages, n, Path(tmp))) for name, n in runs]
    site.__exit__(None, None, None)
    print(f"{'':<34} {'crawler RSS MB':>17} {'end/':>6} {'MB per':>8} {'Chromium PSS MB':>19} {'end/':>6}"
          f" {'pages':>6} {'secs':>6}")
    print(f"{'run':<34} {'at 20%':>8} {'at end':>8} {'20%':>6} {'100 pg':>8} {'at 20%':>9} {'at end':>9}"
          f" {'20%':>6} {'':>6} {'':>6}")
    for name, samples in results:
        summary(name, samples, args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
