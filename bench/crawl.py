"""Benchmark: pages/s of the ``cicero`` crawl against a bare Scrapy spider fetching the same pages.

A local HTTP server (bench/site.py, its own process on 127.0.0.1) serves a
generated Cicero site: N article pages (default 5,000) built from the Cicero
fixtures with varied text, dates, authors and reader comments (paged), the four
section listings the spider pages through, and the sitemap. Then, in this one
invocation, each as its own ``scrapy crawl`` process (a clean reactor) with the
same concurrency and download settings:

(a) a bare spider that requests exactly the URLs a complete backfill fetches
    (listing pages, sitemap, articles, comment pages; the list comes from the
    site's generator) and does nothing with the responses: the limit;
(b) ``scrapy crawl cicero -a mode=backfill`` with the project's settings and all
    pipelines, writing the project's default JSON Lines output, no Elasticsearch;
(c) the same, also indexing into Elasticsearch (``ELASTICSEARCH_URL`` if set,
    else the test node, started with tests/es-node/es.sh and stopped again if this
    script started it), into indices of their own (``CORPUS_ES_PREFIX``), removed after.

(d) with ``--real`` (or ``--variants d``): a crawl of the real pages of ../shared/eval
    (bench/evalsite.py: 215 article pages of 200 publishers and their sitemap) with
    the project's generic parser and all pipelines, against extraction alone
    (:func:`corpus.extract.article.extract_article`) on the same pages in this
    process: how much the crawl costs over the extraction it runs, in CPU time per
    page from the first article to the last, the best of ``--rounds`` (3) of each run in
    turns (target: at most 1.4x the extraction's; the wall-time ratio is printed too, but
    on a shared 2-core machine it also measures the site's process and other load).

pages/s = ``response_received_count / elapsed_time_seconds`` from each crawl's
final stats (spider open to close, including the last Elasticsearch flush), the
same measure for all three. Printed: pages, seconds, pages/s and items per
variant, and b/a and c/a against the targets (b/a >= 0.7, c/a >= 0.6). Checked:
every variant fetched exactly the site's page set (the site counts what it
served), the cicero crawls wrote N articles and every comment, and the index
holds them; a mismatch is printed and makes the exit status 1.

Politeness settings (robots.txt, download delay, AutoThrottle, two requests per
site) are turned off in this benchmark only, and it says so.

    python bench/crawl.py [--pages 5000] [--concurrency 16] [--json]
    python bench/crawl.py --pages 1000 --profile b     # (b) under cProfile: the project's top functions
    python bench/crawl.py --variants d                 # (d) only: the real pages

``--json`` prints one JSON document on stdout (the rest goes to stderr).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if __name__ == "__main__" and importlib.util.find_spec("scrapy") is None and VENV_PYTHON.exists():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # run with the project's virtualenv
sys.path.insert(0, str(ROOT))

import scrapy  # noqa: E402

from corpus.spider import OutletSpider  # noqa: E402

TARGETS = {"b/a": 0.7, "c/a": 0.6}
REAL_TARGET = 1.4  # (d): the crawl's time per page at most this many times the extraction's
PROJECT_DIRS = tuple(str(ROOT / d) + os.sep for d in ("corpus", "spiders", "pipelines"))
OUT = sys.stdout


def say(*args: Any) -> None:
    print(*args, file=OUT, flush=True)


class BareSpider(scrapy.Spider):
    """(a): requests every URL of ``urls_file`` and does nothing with the responses."""

    name = "bench-bare"

    def __init__(self, urls_file: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls_file = urls_file

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in Path(self.urls_file).read_text().split():
            yield scrapy.Request(url, callback=self.ignore)

    def ignore(self, response: Any) -> None:
        return None


class ItemTimes:
    """An extension for (d): the wall and CPU time from the first article out of the pipelines to the last,
    into the crawl's stats (``bench/items``, ``bench/items_seconds``, ``bench/items_cpu_seconds``), so
    that the crawl's cost per page leaves its start-up out, as extraction alone does (modules and data
    loaded on first use)."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.first: float | None = None
        self.last = 0.0
        self.first_cpu = self.last_cpu = 0.0
        self.count = 0
        crawler.signals.connect(self.item_scraped, signal=scrapy.signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=scrapy.signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ItemTimes:
        return cls(crawler)

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.first is None:
            self.first, self.first_cpu = now, cpu
        self.last, self.last_cpu = now, cpu
        self.count += 1

    def spider_closed(self, spider: Any) -> None:
        if self.first is not None:
            self.stats.set_value("bench/items", self.count)
            self.stats.set_value("bench/items_seconds", round(self.last - self.first, 4))
            self.stats.set_value("bench/items_cpu_seconds", round(self.last_cpu - self.first_cpu, 4))


class EvalSpider(OutletSpider):
    """(d): the real pages of bench/evalsite.py, read by the generic parser (``-a base_url=<the site>``)."""

    # the site's own address replaces base_url (``-a base_url``); the sitemap lists the pages at it
    name, outlet_name, base_url = "bench-eval", "Eval pages", "https://eval.invalid"
    sitemaps = ("/sitemap.xml",)
    article_path = re.compile(r"^/(?:dev|intl)/[\w-]+$")


# --- the site process -------------------------------------------------------------------------

class Site:
    """bench/site.py in its own process."""

    def __init__(self, python: str, pages: int, extra: list[str] | None = None, module: str = "bench.site") -> None:
        size = ["--pages", str(pages)] if module == "bench.site" else []
        cmd = [python, "-m", module, *size, "--port", "0", *(extra or [])]
        self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.process.kill()
            raise SystemExit(f"the site did not start (printed {line!r})")
        self.base_url = line
        self.manifest: dict[str, Any] = self._get("manifest")

    def _get(self, what: str) -> Any:
        with urllib.request.urlopen(f"{self.base_url}/_bench/{what}", timeout=60) as response:
            return json.load(response)

    def served(self) -> dict[str, int]:
        return self._get("served")

    def reset(self) -> None:
        self._get("reset")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def expected_paths(manifest: dict[str, Any], sources: tuple[str, ...]) -> list[str]:
    paths = manifest["paths"]
    return [p for source in sources for p in paths[source]]


def compare_served(served: dict[str, int], expected: list[str]) -> dict[str, Any]:
    """What a crawl fetched against what it should have: missing, unexpected and repeated paths."""
    want = set(expected)
    missing = sorted(want - set(served))
    unexpected = sorted(set(served) - want)
    repeated = sorted(p for p, n in served.items() if n > 1)
    return {"served": sum(served.values()), "distinct": len(served), "expected": len(want),
            "missing": len(missing), "unexpected": len(unexpected), "repeated": len(repeated),
            "examples": (missing[:3] + unexpected[:3] + repeated[:3]),
            "ok": not (missing or unexpected or repeated)}


# --- one crawl --------------------------------------------------------------------------------

def parse_stats(log: str) -> dict[str, Any]:
    """The numbers (and finish_reason) of the last "Dumping Scrapy stats" block of a crawl log."""
    start = log.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    block = log[start:]
    end = block.find("}\n")
    block = block[: end + 1] if end >= 0 else block
    stats: dict[str, Any] = {k: float(v) if "." in v else int(v)
                             for k, v in re.findall(r"'([^']+)': (-?\d+(?:\.\d+)?)\b(?![-:])", block)}
    reason = re.search(r"'finish_reason': '([^']*)'", block)
    if reason:
        stats["finish_reason"] = reason.group(1)
    return stats


def run_crawl(python: str, args: list[str], env: dict[str, str], log_path: Path,
              profile: Path | None = None) -> tuple[int, float, float]:
    """Run ``scrapy crawl <args>``; (exit code, wall seconds, CPU seconds of the crawl process)."""
    cmd = [python, *(["-m", "cProfile", "-o", str(profile)] if profile else []), "-m", "scrapy", "crawl", *args]
    began = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.monotonic() - began, usage.ru_utime + usage.ru_stime


def count_items(folder: Path) -> dict[str, int]:
    """Articles (and distinct article ids) and comments in the JSON Lines files under ``folder``."""
    counts = {"articles": 0, "comments": 0, "article_ids": 0}
    ids = set()
    for path in folder.rglob("*.jsonl"):
        if path.parent.name == "deadletter" or "deadletter" in path.parts:
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line)
                kind = item.get("item_type")
                if kind == "article":
                    counts["articles"] += 1
                    ids.add(item.get("id"))
                elif kind == "comment":
                    counts["comments"] += 1
    counts["article_ids"] = len(ids)
    return counts


# --- Elasticsearch ----------------------------------------------------------------------------

def es_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=5):
            return True
    except Exception:
        return False


def start_es() -> tuple[str | None, bool, str]:
    """(url, started by us, why not) of the Elasticsearch node for (c)."""
    url = os.environ.get("ELASTICSEARCH_URL") or os.environ.get("CORPUS_ES_HOSTS")
    if url:
        return url, False, ""
    url = f"http://127.0.0.1:{os.environ.get('ES_PORT', '9200')}"
    if es_answers(url):
        return url, False, ""  # a node someone else started: used, and left running
    say(f"starting the Elasticsearch test node (tests/es-node/es.sh up) at {url} ...")
    try:
        result = subprocess.run([str(ROOT / "tests" / "es-node" / "es.sh"), "up"], cwd=ROOT, capture_output=True,
                                text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, False, f"es.sh up failed: {exc}"
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return None, False, "es.sh up failed: " + " | ".join(tail)
    return url, True, ""


def stop_es() -> None:
    subprocess.run([str(ROOT / "tests" / "es-node" / "es.sh"), "down"], cwd=ROOT, capture_output=True, timeout=300)


def es_client(env: dict[str, str]) -> Any:
    from elasticsearch import Elasticsearch

    from corpus.search.config import EsConfig

    config = EsConfig.from_env(env)
    return config, Elasticsearch(**config.client_kwargs())


def es_counts(env: dict[str, str]) -> dict[str, int]:
    config, client = es_client(env)
    with client:
        counts = {}
        for kind in ("articles", "comments"):
            alias = config.alias(kind)
            try:
                client.indices.refresh(index=alias)
                counts[kind] = int(client.count(index=alias)["count"])
            except Exception as exc:  # no such index: nothing was indexed
                say(f"  count of {alias} failed: {type(exc).__name__}: {exc}")
                counts[kind] = 0
        return counts


def es_cleanup(env: dict[str, str]) -> None:
    """Remove the benchmark's indices and templates (by name: wildcard deletes may be refused)."""
    config, client = es_client(env)
    with client:
        try:
            for index in client.indices.get(index=f"{config.prefix}-*"):
                client.indices.delete(index=index)
            templates = client.indices.get_index_template(name=f"{config.prefix}-*")["index_templates"]
            for template in templates:
                client.indices.delete_index_template(name=template["name"])
        except Exception as exc:
            say(f"  cleanup of {config.prefix}-* failed: {type(exc).__name__}: {exc}")


# --- profile ----------------------------------------------------------------------------------

def profile_tables(path: Path, top: int = 25) -> dict[str, list[dict[str, Any]]]:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        project = filename.startswith(PROJECT_DIRS)
        where = os.path.relpath(filename, ROOT) if project else filename.replace(sys.prefix, "<venv>")
        rows.append({"function": f"{where}:{line}({func})", "calls": calls, "tottime": round(tottime, 3),
                     "cumtime": round(cumtime, 3), "project": project})
    ours = [r for r in rows if r["project"]]
    return {
        "project_by_cumtime": sorted(ours, key=lambda r: -r["cumtime"])[:top],
        "project_by_tottime": sorted(ours, key=lambda r: -r["tottime"])[:top],
        "all_by_tottime": sorted(rows, key=lambda r: -r["tottime"])[:15],
    }


def print_profile(tables: dict[str, list[dict[str, Any]]]) -> None:
    titles = {"project_by_cumtime": "project functions by cumulative time",
              "project_by_tottime": "project functions by own time (tottime)",
              "all_by_tottime": "all functions (libraries too) by own time"}
    for key, title in titles.items():
        say(f"\n{title}:")
        say(f"{'calls':>9} {'tottime':>8} {'cumtime':>8}  function")
        for row in tables[key]:
            say(f"{row['calls']:>9} {row['tottime']:>8.2f} {row['cumtime']:>8.2f}  {row['function']}")


# --- main -------------------------------------------------------------------------------------

VARIANTS = {
    "a": "(a) bare spider (the limit)",
    "b": "(b) cicero, pipelines, JSON Lines",
    "c": "(c) cicero, pipelines, JSON Lines + ES",
    "d": "(d) real pages, pipelines, JSON Lines",
}


def real_pages(python: str, common: list[str], base_env: dict[str, str], workdir: Path,
               rounds: int = 3) -> dict[str, Any]:
    """(d): crawl the real pages of ../shared/eval and time extraction alone on the same pages, in turns,
    ``rounds`` times; the best round of each is compared (the machine's other load only ever slows one)."""
    from corpus.extract.article import extract_article, read_html
    from corpus.normalize.dates import parse_date

    eval_dir = ROOT.parent / "shared" / "eval"
    if not (eval_dir / "dev" / "truth.jsonl").exists():
        say(f"(d) skipped: no eval pages at {eval_dir}")
        return {"skipped": f"no eval pages at {eval_dir}", "checks_failed": []}
    site = Site(python, 0, module="bench.evalsite")
    manifest = site.manifest
    articles = manifest["paths"]["articles"]
    say(f"{VARIANTS['d']}: site {site.base_url} serves {len(articles)} real article pages and their sitemap; "
        f"{rounds} rounds of a crawl, then extraction alone on the same pages at the same URLs")
    pages_html = [(site.base_url + path, read_html(eval_dir / manifest["pages"][path])) for path in articles]
    extract_article(pages_html[0][1], pages_html[0][0])  # one-time loading is start-up, not per-page cost
    parse_date("1. Januar 2024", engine="slow")
    failed: list[str] = []
    crawls: list[dict[str, Any]] = []
    extractions: list[dict[str, float]] = []
    try:
        for round_ in range(1, rounds + 1):
            out_dir = workdir / f"d{round_}"
            out_dir.mkdir()
            env = dict(base_env, CORPUS_OUTPUT_DIR=str(out_dir), CORPUS_ES_DEADLETTER_DIR=str(out_dir / "deadletter"),
                       CORPUS_STATE_FILE=str(out_dir / "state.sqlite"))
            crawl_args = ["bench-eval", "-a", f"base_url={site.base_url}", "-a", "mode=backfill", "-a",
                          f"since={manifest['since']}", "-a", "scope=all", "-s", "SPIDER_MODULES=bench.crawl",
                          "-s", 'EXTENSIONS={"bench.crawl.ItemTimes": 0}', *common]
            site.reset()
            log_path = workdir / f"d{round_}.log"
            code, wall, cpu = run_crawl(python, crawl_args, env, log_path)
            log = log_path.read_text(errors="replace")
            stats = parse_stats(log)
            check = compare_served(site.served(), ["/sitemap.xml", *articles])
            items = count_items(out_dir)
            if code != 0 or not stats:
                failed.append(f"d: crawl {round_} exited {code}")
                say("  last lines of the log:\n  " + "\n  ".join(log.strip().splitlines()[-15:]))
            if not check["ok"]:
                failed.append(f"d: crawl {round_} fetched pages that differ from the site's ({check})")
            if items["articles"] != len(articles):
                failed.append(f"d: crawl {round_} wrote {items['articles']} articles of {len(articles)} pages")
            # from the first article to the last: the crawl's start-up (modules and data loaded on first
            # use, as extraction alone's untimed first call does) left out
            written, span = int(stats.get("bench/items", 0)), float(stats.get("bench/items_seconds", 0.0))
            span_cpu = float(stats.get("bench/items_cpu_seconds", 0.0))
            crawl = {"exit_code": code, "pages": int(stats.get("response_received_count", 0)),
                     "archive_bytes": int(stats.get("corpus/archive/bytes", 0)),
                     "seconds": round(float(stats.get("elapsed_time_seconds", 0.0)), 2), "wall_seconds": round(wall, 2),
                     "crawler_cpu_seconds": round(cpu, 2), "items": items, "served": check,
                     "pages_per_s": round((written - 1) / span, 1) if span > 0 else 0.0,
                     "cpu_ms_per_page": round(span_cpu / (written - 1) * 1000, 2) if written > 1 else 0.0}
            crawls.append(crawl)
            began, began_cpu = time.perf_counter(), time.process_time()
            for url, html in pages_html:
                extract_article(html, url)
            seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - began_cpu
            extraction = {"pages_per_s": round(len(pages_html) / seconds, 1),
                          "cpu_ms_per_page": round(cpu_seconds / len(pages_html) * 1000, 2)}
            extractions.append(extraction)
            say(f"  round {round_}: crawl {crawl['pages']} pages, wrote {items['articles']} articles, "
                f"{crawl['pages_per_s']} pages/s, {crawl['cpu_ms_per_page']} ms CPU a page (first to last article); "
                f"extraction alone {extraction['pages_per_s']} pages/s, {extraction['cpu_ms_per_page']} ms CPU a page")
    finally:
        site.stop()
    best_crawl = min(c["cpu_ms_per_page"] or float("inf") for c in crawls)
    best_extraction = min(e["cpu_ms_per_page"] for e in extractions)
    cost = best_crawl / best_extraction if best_extraction else float("inf")
    wall_cost = max(e["pages_per_s"] for e in extractions) / max(c["pages_per_s"] or 1e-9 for c in crawls)
    verdict = cost <= REAL_TARGET
    say(f"best of {rounds}: CPU per page crawl {best_crawl:.1f} ms, extraction alone {best_extraction:.1f} ms; "
        f"wall time crawl / extraction = {wall_cost:.2f} (on 2 shared cores it also measures the site's process)")
    say(f"crawl / extraction CPU per page = {cost:.2f}  (target <= {REAL_TARGET}: {'PASS' if verdict else 'FAIL'})")
    archived = crawls[-1]["archive_bytes"]
    if archived:
        say(f"web archive: {archived / 2**20:.1f} MiB for {len(articles)} article pages and their sitemap = "
            f"{archived / len(articles) * 1000 / 2**20:.0f} MiB per 1,000 articles (WARC, gzip level of "
            "CORPUS_ARCHIVE_COMPRESSION)")
    return {"label": VARIANTS["d"], "pages": len(articles), "rounds": crawls, "extraction": extractions,
            "crawl_cpu_ms_per_page": best_crawl, "extraction_cpu_ms_per_page": best_extraction,
            "archive_bytes_per_article": round(crawls[-1]["archive_bytes"] / len(articles)),
            "wall_cost_over_extraction": round(wall_cost, 3), "crawl_cost_over_extraction": round(cost, 3),
            "target": REAL_TARGET, "pass": verdict, "checks_failed": failed}


def main() -> int:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--pages", type=int, default=5000, help="article pages of the site (default 5000)")
    ap.add_argument("--concurrency", type=int, default=16,
                    help="CONCURRENT_REQUESTS and CONCURRENT_REQUESTS_PER_DOMAIN of every variant (default 16)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    ap.add_argument("--profile", choices=("b", "c"),
                    help="run only this variant, under cProfile, and print the project's top functions")
    ap.add_argument("--profile-out", type=Path, help="where to keep the .prof file (default: the temp directory)")
    ap.add_argument("--variants", default="abc", help="which variants to run (default abc; d: the real pages)")
    ap.add_argument("--real", action="store_true", help="also run (d), the crawl of the real pages of ../shared/eval")
    ap.add_argument("--rounds", type=int, default=3, help="(d): crawls and extraction runs, in turns (default 3)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="an extra Scrapy setting for every variant (repeatable), e.g. --set CONCURRENT_ITEMS=16")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, outputs)")
    args = ap.parse_args()
    if args.json:
        OUT = sys.stderr
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    variants = args.profile or "".join(v for v in "abcd" if v in args.variants + ("d" if args.real else ""))
    common = ["-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
              "-s", f"CONCURRENT_REQUESTS={args.concurrency}",
              "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
              "-s", "HTTPCACHE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]
    for setting in args.set:
        common += ["-s", setting]
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS", "CORPUS_ES_PREFIX", "CORPUS_LOG_LEVEL")}
    if variants == "d":
        workdir = Path(tempfile.mkdtemp(prefix="corpus-bench-crawl-"))
        real = real_pages(python, common, base_env, workdir, args.rounds)
        if args.json:
            print(json.dumps({"variants": {"d": real}, "concurrency": args.concurrency}, indent=2, default=str))
        if args.keep or real["checks_failed"]:
            say(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        return 1 if real["checks_failed"] else 0

    workdir = Path(tempfile.mkdtemp(prefix="corpus-bench-crawl-"))
    say(f"generating the site: {args.pages} article pages from the Cicero fixtures ...")
    site = Site(python, args.pages)
    manifest = site.manifest
    paths = manifest["paths"]
    sources = ("listings", "sitemap", "articles", "comment_pages")
    expected = expected_paths(manifest, sources)
    say(f"site {site.base_url}: {manifest['articles']} articles with {manifest['comments']} comments; "
        f"{len(paths['listings'])} listing pages, {len(paths['comment_pages'])} comment pages, sitemap: "
        f"{len(expected)} pages a complete backfill fetches")
    say(f"politeness off in this benchmark only: ROBOTSTXT_OBEY=False, DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, "
        f"CONCURRENT_REQUESTS=CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency} (project: 2 per site, 1 s delay, "
        "AutoThrottle), HTTPCACHE_ENABLED=False")
    load = os.getloadavg()
    say(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "(other processes share them: figures vary between runs)")

    if args.set:
        say(f"extra settings for every variant: {', '.join(args.set)}")
    cicero = ["cicero", "-a", f"base_url={site.base_url}", "-a", "mode=backfill", "-a", f"since={manifest['since']}",
              "-a", f"max_pages={manifest['max_pages']}"]
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join(site.base_url + p for p in expected) + "\n")

    results: dict[str, Any] = {}
    es_url, es_started, es_skip = None, False, ""
    failed_checks: list[str] = []
    profile_path: Path | None = None
    try:
        if "c" in variants:
            es_url, es_started, es_skip = start_es()
            if es_url is None:
                say(f"(c) skipped: {es_skip}")
        for key in variants.replace("d", ""):
            if key == "c" and es_url is None:
                results[key] = {"skipped": es_skip}
                continue
            out_dir = workdir / key
            out_dir.mkdir()
            env = dict(base_env, CORPUS_OUTPUT_DIR=str(out_dir), CORPUS_ES_DEADLETTER_DIR=str(out_dir / "deadletter"),
                       CORPUS_STATE_FILE=str(out_dir / "state.sqlite"))
            if key == "a":
                crawl_args = ["bench-bare", "-a", f"urls_file={urls_file}", "-s", "SPIDER_MODULES=bench.crawl",
                              # no items, so no pipelines; the health check counts outlet pages only (it would
                              # call a crawl without any a failure)
                              "-s", "ITEM_PIPELINES={}", "-s", "CORPUS_HEALTH_ENABLED=False", *common]
            else:
                crawl_args = [*cicero, *common]
            if key == "c":
                env.update(ELASTICSEARCH_URL=es_url or "", CORPUS_ES_PREFIX=f"bench-crawl-{uuid.uuid4().hex[:8]}")
            if args.profile:
                profile_path = args.profile_out.resolve() if args.profile_out else workdir / f"{key}.prof"
            say(f"{VARIANTS[key]}: crawling{' under cProfile' if profile_path else ''} ...")
            site.reset()
            cpu_before = site.cpu_seconds()
            code, wall, cpu = run_crawl(python, crawl_args, env, workdir / f"{key}.log", profile_path)
            server_cpu = site.cpu_seconds() - cpu_before
            log = (workdir / f"{key}.log").read_text(errors="replace")
            stats = parse_stats(log)
            check = compare_served(site.served(), expected)
            pages = int(stats.get("response_received_count", 0))
            seconds = float(stats.get("elapsed_time_seconds", 0.0))
            result: dict[str, Any] = {
                "label": VARIANTS[key], "exit_code": code, "pages": pages, "seconds": round(seconds, 2),
                "pages_per_s": round(pages / seconds, 1) if seconds else 0.0, "wall_seconds": round(wall, 2),
                "crawler_cpu_seconds": round(cpu, 2), "server_cpu_seconds": round(server_cpu, 2),
                "errors": int(stats.get("log_count/ERROR", 0)), "finish_reason": stats.get("finish_reason"),
                "served": check,
            }
            if code != 0 or not stats:
                failed_checks.append(f"{key}: crawl exited {code}")
                say("  last lines of the log:\n  " + "\n  ".join(log.strip().splitlines()[-15:]))
            if not check["ok"]:
                failed_checks.append(f"{key}: fetched pages differ from the site's ({check})")
            if key != "a":
                items = count_items(out_dir)
                result["items"] = items
                result["dropped"] = int(stats.get("item_dropped_count", 0))
                result["out_of_scope"] = int(stats.get("corpus/dropped/article/out_of_scope", 0))
                if items["articles"] != manifest["articles"] or items["article_ids"] != manifest["articles"]:
                    failed_checks.append(f"{key}: wrote {items['articles']} articles ({items['article_ids']} "
                                         f"distinct), the site has {manifest['articles']}")
                if items["comments"] != manifest["comments"]:
                    failed_checks.append(f"{key}: wrote {items['comments']} comments, the site has "
                                         f"{manifest['comments']}")
            if key == "c":
                result["es"] = es_counts(env)
                result["es"].update({k.rsplit("/", 1)[1]: int(v) for k, v in stats.items()
                                     if k.startswith("corpus/es/") and isinstance(v, int) and k.count("/") == 2})
                if result["es"]["articles"] != manifest["articles"] or result["es"]["comments"] != manifest["comments"]:
                    failed_checks.append(f"c: the index holds {result['es']['articles']} articles and "
                                         f"{result['es']['comments']} comments, the site has {manifest['articles']} "
                                         f"and {manifest['comments']}")
                es_cleanup(env)
            results[key] = result
            items_text = ""
            if "items" in result:
                items_text = f", wrote {result['items']['articles']} articles + {result['items']['comments']} comments"
            if "es" in result:
                items_text += f", index holds {result['es']['articles']} + {result['es']['comments']}"
            say(f"  {pages} pages in {seconds:.1f} s = {result['pages_per_s']} pages/s{items_text}; "
                f"fetched the site's page set: {'yes' if check['ok'] else 'NO'}")
    finally:
        site.stop()
        if es_started:
            say("stopping the Elasticsearch node this benchmark started (es.sh down)")
            stop_es()

    ratios = {}
    for key in ("b", "c"):
        a, x = results.get("a", {}), results.get(key, {})
        if a.get("pages_per_s") and x.get("pages_per_s"):
            ratios[f"{key}/a"] = round(x["pages_per_s"] / a["pages_per_s"], 3)

    say("")
    say(f"{args.pages} articles, concurrency {args.concurrency}; pages/s = response_received_count / "
        "elapsed_time_seconds")
    say(f"{'variant':<40} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'articles':>9} {'comments':>9}"
        f" {'crawler CPU s':>13} {'server CPU s':>12}")
    for key in variants.replace("d", ""):
        r = results.get(key, {})
        if "skipped" in r:
            say(f"{VARIANTS[key]:<40} skipped: {r['skipped']}")
            continue
        items = r.get("items", {})
        say(f"{VARIANTS[key]:<40} {r['pages']:>6} {r['seconds']:>8.1f} {r['pages_per_s']:>8.1f}"
            f" {items.get('articles', '-'):>9} {items.get('comments', '-'):>9}"
            f" {r['crawler_cpu_seconds']:>13.1f} {r['server_cpu_seconds']:>12.1f}")
    verdicts = {}
    for name, target in TARGETS.items():
        if name in ratios:
            verdicts[name] = ratios[name] >= target
            say(f"{name} = {ratios[name]:.2f}  (target >= {target}: {'PASS' if verdicts[name] else 'FAIL'})")
    if args.profile and profile_path is not None:
        if profile_path.exists():
            tables = profile_tables(profile_path)
            results[args.profile]["profile"] = tables
            say(f"\n{VARIANTS[args.profile]} under cProfile (slower than without it; only the crawl process's main "
                f"thread); profile: {profile_path}")
            print_profile(tables)
        else:
            failed_checks.append("no profile was written")
    for problem in failed_checks:
        say(f"CHECK FAILED: {problem}")
    if not failed_checks:
        say(f"checks: every crawl fetched the site's {len(expected)} pages once; the cicero crawls wrote "
            f"{manifest['articles']} articles and {manifest['comments']} comments"
            + (", the index holds them" if "c" in results and "es" in results["c"] else ""))
    if "d" in variants:
        say("")
        results["d"] = real_pages(python, common, base_env, workdir, args.rounds)
        failed_checks += results["d"]["checks_failed"]
    if args.json:
        print(json.dumps({
            "pages": args.pages, "concurrency": args.concurrency, "site": {k: v for k, v in manifest.items()
                                                                            if k != "paths"},
            "politeness": "off in the benchmark: ROBOTSTXT_OBEY=False, DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, "
                          f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
            "extra_settings": args.set, "loadavg": load, "variants": results, "ratios": ratios, "targets": TARGETS,
            "pass": verdicts, "checks_failed": failed_checks,
        }, indent=2, default=str))
    if args.keep or failed_checks:
        say(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
