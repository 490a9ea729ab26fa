"""Benchmark: memory of a backfill that discovers 100,000 article URLs, without and with JOBDIR.

A local HTTP server (bench/site.py ``--empty``, its own process on 127.0.0.1)
serves the generated Cicero site with N article pages (default 100,000) whose
body is empty, listed 500 to a page on the four section listings. The real
``cicero`` spider crawls it in backfill mode from the listings (``-a
sources=listings``): listing pages outrank articles, so the listings are read
well ahead of the articles and the frontier grows to nearly N queued requests,
as in a long backfill. Every article is fetched (and skipped as an empty page,
which keeps the run short). The crawl runs twice, each time as its own ``scrapy
crawl`` process with the same settings:

(1) without JOBDIR: the queue in memory;
(2) with JOBDIR (a fresh directory): the queue on disk.

Measured, per run:

* peak RSS of the crawl process: ``VmHWM`` from ``/proc/self/status`` read in
  the process at spider close (and the highest ``VmRSS`` the parent saw, polled
  every 0.25 s), with the RSS at spider open for comparison;
* the scheduler's queue: the largest number of queued requests (polled every
  0.5 s by an extension loaded into the crawl, bench.memory.FrontierProbe) and
  the memory the scheduler object holds at that moment: a deep ``sys.getsizeof``
  walk of its object graph (requests, headers, meta, containers; not the spider,
  crawler or classes they point to), large containers extrapolated from a random
  sample of 300 entries, so an estimate; with JOBDIR, the size of the JOBDIR on disk;
* Scrapy's request fingerprint cache at that moment (``scrapy.utils.request``:
  one entry per live request, so per queued request without JOBDIR);
* the duplicate filter at the close (when it holds every fingerprint): entries
  and the same deep size;
* the spider's incremental "seen" cache (one entry per article link), the same way.

Target: peak RSS under 500 MB with JOBDIR (PASS/FAIL printed). Politeness
settings (robots.txt, download delay, AutoThrottle, two requests per site) are
off in this benchmark only.

    python bench/memory.py [--urls 100000] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if __name__ == "__main__" and importlib.util.find_spec("scrapy") is None and VENV_PYTHON.exists():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # run with the project's virtualenv
sys.path.insert(0, str(ROOT))

from scrapy import signals  # noqa: E402
from scrapy.exceptions import NotConfigured  # noqa: E402

from bench import crawl as crawl_bench  # noqa: E402

PER_LISTING = 500
TARGET_MB = 500
OUT = sys.stdout


def say(*args: Any) -> None:
    print(*args, file=OUT, flush=True)


def proc_status(pid: int | str, field: str) -> int:
    """A ``/proc/<pid>/status`` field in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# --- in the crawl process: the probe ------------------------------------------------------------

_ATOMS = (type, ModuleType, FunctionType, BuiltinFunctionType, CodeType, logging.Logger, logging.LoggerAdapter)
_SKIP = (bool, *_ATOMS)
_CONTAINERS = (list, tuple, deque, set, frozenset, dict)


def deep_size(root: Any, exclude: set[int], sample: int = 300) -> int:
    """Bytes of ``root`` and everything it references, except ``exclude`` (ids) and shared objects
    (classes, functions, modules, loggers, cached small ints); a bound method counts alone, not its
    instance. Containers larger than ``2 * sample`` are extrapolated from ``sample`` random entries."""
    seen = set(exclude)
    total = 0.0
    stack: list[tuple[Any, float]] = [(root, 1.0)]
    rng = random.Random(1)
    while stack:
        obj, weight = stack.pop()
        if (id(obj) in seen or obj is None or isinstance(obj, _SKIP)
                or (type(obj) is int and -5 <= obj <= 256)):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj) * weight
        if isinstance(obj, MethodType | str | bytes | int | float):
            continue
        if isinstance(obj, _CONTAINERS) and len(obj) > 2 * sample:
            entries = _snapshot(obj)
            factor = weight * len(entries) / sample
            for entry in rng.sample(entries, sample):
                if isinstance(obj, dict):
                    stack.append((entry[0], factor))
                    stack.append((entry[1], factor))
                else:
                    stack.append((entry, factor))
            continue
        stack.extend((ref, weight) for ref in gc.get_referents(obj))
    return int(total)


def _snapshot(container: Any) -> list[Any]:
    """The entries of a container that weak references may shrink while it is copied."""
    for _ in range(10):
        try:
            return list(container.items()) if isinstance(container, dict) else list(container)
        except RuntimeError:  # "changed size during iteration": a weakly referenced key died
            continue
    return []


class FrontierProbe:
    """Scrapy extension: the scheduler's queue and memory while the crawl runs, written to
    ``BENCH_PROBE_FILE`` (JSON) at spider close. Not configured without that setting."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.path = Path(crawler.settings["BENCH_PROBE_FILE"])
        self.jobdir = crawler.settings.get("JOBDIR")
        self.scheduler: Any = None
        self.max_queued = 0
        self.measured_at = 0
        self.peak: dict[str, Any] = {}
        self.rss_open_kb = 0
        self.started = 0.0
        self.timeline: list[tuple[float, int, int, int]] = []  # (seconds, queued, RSS kB, responses)
        self.errors: list[str] = []
        self.loop: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierProbe:
        if not crawler.settings.get("BENCH_PROBE_FILE"):
            raise NotConfigured
        return cls(crawler)

    def _exclude(self) -> set[int]:
        crawler = self.crawler
        # what the scheduler points to but does not own (the downloader holds the requests in flight)
        shared = [crawler, crawler.spider, crawler.engine, crawler.stats, crawler.settings, crawler.signals,
                  *vars(crawler).values(), *vars(crawler.spider).values(), *vars(crawler.engine).values()]
        exclude = {id(x) for x in shared}
        seen_filter = vars(crawler.spider).get("_seen")
        if seen_filter is not None:
            exclude.discard(id(seen_filter))
        return exclude

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.rss_open_kb = proc_status("self", "VmRSS")
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=False)

    def tick(self) -> None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if scheduler is None:
            return
        self.scheduler = scheduler
        queued = len(scheduler)
        self.max_queued = max(self.max_queued, queued)
        responses = self.crawler.stats.get_value("response_received_count", 0)
        self.timeline.append((round(time.monotonic() - self.started, 1), queued, proc_status("self", "VmRSS"),
                              responses))
        if queued >= 1000 and queued >= self.measured_at * 1.1:  # a new high: measure (about 25 times to 100k)
            try:
                self.peak = self.measure(queued)
            except Exception as exc:  # a failed measurement must not stop the polling (nor the crawl)
                self.errors.append(repr(exc))
            self.measured_at = queued

    def measure(self, queued: int) -> dict[str, Any]:
        gc.disable()  # no collection (and no weakref callbacks emptying caches) while the graph is walked
        try:
            return self._measure(queued)
        finally:
            gc.enable()

    def _measure(self, queued: int) -> dict[str, Any]:
        began = time.monotonic()
        exclude = self._exclude()
        scheduler = self.scheduler
        df = getattr(scheduler, "df", None)
        result: dict[str, Any] = {
            "queued": queued,
            "scheduler_bytes": deep_size(scheduler, exclude | {id(df)}),
            "rss_kb": proc_status("self", "VmRSS"),
        }
        # Scrapy's fingerprint cache: one entry per live request (a queued one included), weakly keyed
        cache = getattr(sys.modules.get("scrapy.utils.request"), "_fingerprint_cache", None)
        if cache is not None:
            result["fingerprint_cache_entries"] = len(cache)
            result["fingerprint_cache_bytes"] = deep_size(cache, exclude)
        if self.jobdir:
            result["jobdir_bytes"] = dir_size(Path(self.jobdir))
        result["seconds"] = round(time.monotonic() - began, 3)
        return result

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        gc.disable()
        exclude = self._exclude()
        df = getattr(self.scheduler, "df", None)
        fingerprints = getattr(df, "_fingerprints", None)
        seen_filter = vars(spider).get("_seen")
        cache = getattr(seen_filter, "cache", None)
        report = {
            "scheduler_class": f"{type(self.scheduler).__module__}.{type(self.scheduler).__qualname__}",
            "dupefilter_class": f"{type(df).__module__}.{type(df).__qualname__}" if df is not None else None,
            "max_queued": self.max_queued,
            "peak": self.peak,
            "dupefilter_entries": len(fingerprints) if fingerprints is not None else None,
            "dupefilter_bytes": deep_size(df, exclude) if df is not None else 0,
            "seen_cache_entries": len(cache) if cache is not None else None,
            "seen_cache_bytes": deep_size(cache, exclude) if cache is not None else 0,
            "rss_open_kb": self.rss_open_kb,
            "rss_close_kb": proc_status("self", "VmRSS"),
            "hwm_kb": proc_status("self", "VmHWM"),
            "jobdir_bytes_close": dir_size(Path(self.jobdir)) if self.jobdir else None,
            "timeline": self.timeline,
            "probe_errors": self.errors,
        }
        gc.enable()
        self.path.write_text(json.dumps(report, indent=1))


# --- the parent ---------------------------------------------------------------------------------

class Site(crawl_bench.Site):
    """bench/site.py in its own process, serving empty article pages behind long listings."""

    def __init__(self, python: str, urls: int) -> None:
        super().__init__(python, urls, ["--empty", "--per-listing", str(PER_LISTING)])

    def get(self, what: str) -> Any:
        return self._get(what)


def extensions_with_probe() -> str:
    """The project's EXTENSIONS plus the probe, as a -s value (a -s EXTENSIONS replaces the whole dict)."""
    from corpus import settings as project

    return json.dumps({**getattr(project, "EXTENSIONS", {}), "bench.memory.FrontierProbe": 900})


def run(python: str, site: Site, name: str, jobdir: Path | None, workdir: Path, concurrency: int) -> dict[str, Any]:
    out = workdir / name
    out.mkdir()
    probe_file = out / "probe.json"
    manifest = site.manifest
    env = {k: v for k, v in os.environ.items()
           if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS", "CORPUS_LOG_LEVEL")}
    env.update(CORPUS_OUTPUT_DIR=str(out), CORPUS_STATE_FILE=str(out / "state.sqlite"))
    cmd = [python, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={site.base_url}", "-a", "mode=backfill",
           "-a", "sources=listings", "-a", f"max_pages={manifest['max_pages']}",
           "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
           "-s", "HTTPCACHE_ENABLED=False", "-s", "LOG_LEVEL=INFO", "-s", f"EXTENSIONS={extensions_with_probe()}",
           "-s", f"BENCH_PROBE_FILE={probe_file}"]
    if jobdir is not None:
        cmd += ["-s", f"JOBDIR={jobdir}"]
    site.get("reset")
    began = time.monotonic()
    log_path = out / "crawl.log"
    max_rss = 0
    with log_path.open("w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def poll() -> None:
            nonlocal max_rss
            while not stop.is_set():
                max_rss = max(max_rss, proc_status(process.pid, "VmRSS"))
                stop.wait(0.25)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = process.wait()
        stop.set()
        poller.join()
    wall = time.monotonic() - began
    log = log_path.read_text(errors="replace")
    served = site.get("served")
    expected = set(manifest["paths"]["listings"]) | set(manifest["paths"]["articles"])
    missing, unexpected = expected - set(served), set(served) - expected
    repeated = [p for p, n in served.items() if n > 1]
    result: dict[str, Any] = {"run": name, "exit_code": code, "wall_seconds": round(wall, 1),
                              "parent_max_rss_kb": max_rss, "fetched": sum(served.values()),
                              "expected": len(expected), "missing": len(missing), "unexpected": len(unexpected),
                              "repeated": len(repeated), "log": str(log_path)}
    if probe_file.exists():
        result.update(json.loads(probe_file.read_text()))
    else:
        result["problem"] = "the probe wrote nothing; last log lines:\n" + "\n".join(log.strip().splitlines()[-15:])
    return result


def mb(kb_or_bytes: float | None, unit: str = "kb") -> str:
    if kb_or_bytes is None:
        return "-"
    return f"{kb_or_bytes / (1024 if unit == 'kb' else 1024 * 1024):.1f}"


def main() -> int:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--urls", type=int, default=100_000, help="article URLs to discover and fetch (default 100000)")
    ap.add_argument("--concurrency", type=int, default=16,
                    help="CONCURRENT_REQUESTS and CONCURRENT_REQUESTS_PER_DOMAIN (default 16)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, JOBDIR)")
    args = ap.parse_args()
    if args.json:
        OUT = sys.stderr
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    workdir = Path(tempfile.mkdtemp(prefix="corpus-bench-memory-"))
    say(f"generating the site: {args.urls} empty article pages, {PER_LISTING} links per listing page ...")
    site = Site(python, args.urls)
    listings = len(site.manifest["paths"]["listings"])
    say(f"site {site.base_url}: {args.urls} article URLs on {listings} listing pages (4 sections, "
        f"max_pages={site.manifest['max_pages']})")
    say(f"politeness off in this benchmark only: ROBOTSTXT_OBEY=False, DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, "
        f"CONCURRENT_REQUESTS=CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}")
    results = []
    try:
        for name, jobdir in (("without JOBDIR", None), ("with JOBDIR", workdir / "jobdir")):
            say(f"crawl {name} ...")
            result = run(python, site, name, jobdir, workdir, args.concurrency)
            results.append(result)
            if "problem" in result:
                say(f"  {result['problem']}")
            else:
                say(f"  {result['fetched']} pages in {result['wall_seconds']} s, peak RSS {mb(result['hwm_kb'])} MB, "
                    f"queue peak {result['max_queued']} requests")
    finally:
        site.stop()

    say("")
    say(f"{args.urls} article URLs; scheduler {results[0].get('scheduler_class')} / "
        f"{results[-1].get('scheduler_class')}; MB = 2^20 bytes; queue and filter sizes are estimates (see --help)")
    say(f"{'run':<16} {'peak RSS':>9} {'RSS at':>7} {'queue':>8} {'queue mem':>10} {'JOBDIR':>8} {'dupefilter':>10}"
        f" {'dupefilter':>10} {'seen cache':>10} {'fetched':>8} {'secs':>6}")
    say(f"{'':<16} {'MB':>9} {'open MB':>7} {'peak':>8} {'MB (est.)':>10} {'disk MB':>8} {'entries':>10}"
        f" {'MB (est.)':>10} {'MB (est.)':>10} {'':>8} {'':>6}")
    failed = []
    for r in results:
        if "problem" in r:
            say(f"{r['run']:<16} failed (exit {r['exit_code']}), see {r['log']}")
            failed.append(f"{r['run']}: the crawl failed")
            continue
        peak = r.get("peak") or {}
        say(f"{r['run']:<16} {mb(r['hwm_kb']):>9} {mb(r['rss_open_kb']):>7} {r['max_queued']:>8}"
            f" {mb(peak.get('scheduler_bytes'), 'b'):>10} {mb(peak.get('jobdir_bytes'), 'b'):>8}"
            f" {str(r['dupefilter_entries'] if r['dupefilter_entries'] is not None else '-'):>10}"
            f" {mb(r['dupefilter_bytes'], 'b'):>10} {mb(r['seen_cache_bytes'], 'b'):>10}"
            f" {r['fetched']:>8} {r['wall_seconds']:>6.0f}")
        if r["missing"] or r["unexpected"] or r["repeated"] or r["exit_code"]:
            failed.append(f"{r['run']}: exit {r['exit_code']}, fetched {r['fetched']} of {r['expected']} pages "
                          f"({r['missing']} missing, {r['unexpected']} unexpected, {r['repeated']} fetched twice)")
    for r in results:
        peak = r.get("peak") or {}
        if not peak:
            continue
        on_disk = f", JOBDIR {mb(peak['jobdir_bytes'], 'b')} MB on disk" if "jobdir_bytes" in peak else ""
        unused = "; unused: this scheduler keeps the seen requests in the JOBDIR" if (
            on_disk and not r["dupefilter_entries"]) else ""
        if r.get("timeline"):
            top = max(r["timeline"], key=lambda sample: sample[2])
            say(f"{r['run']}: RSS was highest ({mb(top[2])} MB, polled) {top[0]:.0f} s into the crawl of "
                f"{r['timeline'][-1][0]:.0f} s, after {top[3]} responses, with {top[1]} requests queued")
        say(f"{r['run']}: at the queue's peak ({peak['queued']} requests) RSS {mb(peak['rss_kb'])} MB; scheduler "
            f"~{mb(peak['scheduler_bytes'], 'b')} MB, Scrapy's fingerprint cache "
            f"~{mb(peak.get('fingerprint_cache_bytes'), 'b')} MB ({peak.get('fingerprint_cache_entries', '-')} "
            f"entries){on_disk}; at the close the duplicate filter held {r['dupefilter_entries']} fingerprints "
            f"(~{mb(r['dupefilter_bytes'], 'b')} MB{unused}), the seen cache {r['seen_cache_entries']} ids "
            f"(~{mb(r['seen_cache_bytes'], 'b')} MB)")
    verdict = None
    with_jobdir = results[-1]
    if "hwm_kb" in with_jobdir:
        verdict = with_jobdir["hwm_kb"] / 1024 < TARGET_MB
        say(f"target: peak RSS with JOBDIR < {TARGET_MB} MB: {mb(with_jobdir['hwm_kb'])} MB, "
            f"{'PASS' if verdict else 'FAIL'}")
    for r in results:
        if r.get("probe_errors"):
            failed.append(f"{r['run']}: {len(r['probe_errors'])} measurements failed ({r['probe_errors'][0]})")
    for problem in failed:
        say(f"CHECK FAILED: {problem}")
    if args.json:
        print(json.dumps({"urls": args.urls, "per_listing": PER_LISTING, "concurrency": args.concurrency,
                          "runs": results, "target_mb": TARGET_MB, "pass": verdict, "checks_failed": failed},
                         indent=2))
    if args.keep or failed:
        say(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
