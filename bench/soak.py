"""Soak: crawls through a fault proxy that delays and refuses bulk requests at random; nothing may be lost.

Each run crawls the generated site (tests/gensite.py, Cicero markup: articles with reader
comments) with ``scrapy crawl gensite-comments`` into a real Elasticsearch node, through a
proxy (tests/esproxy.py) that holds every ``_bulk`` request for a random time (some longer than
the client's timeout, so requests are given up and retried while the node still writes them)
and refuses some with 503 or 429; the periodic flush (every second) is inside a slow request most of
the time, also when the crawl ends. After the run the index and the dead-letter files are read
back and compared with the crawl's JSON Lines output:

    index ∪ dead-letter = output, exactly (no item missing, none extra)

One line per run (items, indexed, dead-lettered, both, bulk requests, refused, seconds), then
PASS or FAIL; the exit status is 1 when any run lost or invented an item.

    python bench/soak.py [--runs 3] [--articles 150] [--comments 2] [--seed 15]

Elasticsearch: ``ELASTICSEARCH_URL``, else the test node (tests/es-node/es.sh, started and
stopped again if this script started it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.crawl import start_es, stop_es  # noqa: E402
from tests.esproxy import EsProxy  # noqa: E402
from tests.gensite import GeneratedSite  # noqa: E402


@dataclass
class Run:
    written: int
    indexed: int
    deadlettered: int
    both: int
    missing: list[str]
    extra: list[str]
    bulks: int
    refused: int
    seconds: float
    returncode: int
    log_tail: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.missing and not self.extra and self.written > 0


TIMEOUT = 5.0  # the client's timeout per request (CORPUS_ES_TIMEOUT)


class Faults:
    """What the proxy does to each bulk request (seeded, so runs repeat): a refusal (503 or 429) with
    probability ``refuse``; else a hold longer than the client's timeout with probability ``stall`` (the
    client gives up and retries while the node still writes); else a hold of 1 to ``max_delay`` seconds.
    The first ``refuse_first`` requests are refused whatever the dice say (a node down at the start)."""

    def __init__(self, seed: int, refuse: float, stall: float, max_delay: float, refuse_first: int = 0) -> None:
        self.random = random.Random(seed)
        self.refuse, self.stall, self.max_delay = refuse, stall, max_delay
        self.refuse_first = refuse_first
        self.lock = threading.Lock()

    def __call__(self, number: int, body: bytes) -> float | tuple[str, int]:
        with self.lock:
            if number <= self.refuse_first:
                return ("status", 503)
            roll = self.random.random()
            if roll < self.refuse:
                return ("status", self.random.choice((503, 429)))
            if roll < self.refuse + self.stall:
                return TIMEOUT + 1
            return self.random.uniform(1, self.max_delay)


def keys(items: list[dict]) -> set[str]:
    """``item_type:id`` of the items (a dead-letter file's story updates are changes to items, not items)."""
    return {f"{i['item_type']}:{i['id']}" for i in items if i.get("item_type") != "story_update"}


def one_run(es_url: str, seed: int, articles: int, comments: int, refuse: float, stall: float, max_delay: float,
            retries: int, work: Path, refuse_first: int = 0) -> Run:
    from elasticsearch import Elasticsearch

    prefix = f"soak-{uuid.uuid4().hex[:8]}"
    out, dead = work / f"{prefix}.jsonl", work / f"{prefix}-dead"
    es = Elasticsearch(es_url, request_timeout=60)
    started = time.monotonic()
    try:
        with GeneratedSite(articles, comments=comments, article_delay=0.1) as site, \
                EsProxy(es_url, on_bulk=Faults(seed, refuse, stall, max_delay, refuse_first)) as proxy:
            env = {**os.environ, "ELASTICSEARCH_URL": proxy.url, "CORPUS_OUTPUT_DIR": str(work / "data"),
                   "CORPUS_ES_DEADLETTER_DIR": str(dead), "CORPUS_STATE_FILE": str(work / f"{prefix}.sqlite")}
            result = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "gensite-comments", "-a", f"base_url={site.base_url}",
                 "-a", "mode=backfill", "-a", "scope=all", "-a", "incremental=false", "-O", str(out),
                 "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False",
                 "-s", f"CORPUS_ES_PREFIX={prefix}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "CORPUS_ES_FLUSH_INTERVAL=1",
                 "-s", f"CORPUS_ES_TIMEOUT={TIMEOUT}", "-s", f"CORPUS_ES_MAX_RETRIES={retries}",
                 "-s", "CORPUS_ES_RETRY_BACKOFF=0.2", "-s", "CORPUS_ES_OUTAGE_PAUSE=1"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            seconds = time.monotonic() - started
            bulks, refused = proxy.bulk_calls, proxy.refused
        written = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
        es.indices.refresh(index=f"{prefix}-articles,{prefix}-comments", ignore_unavailable=True)
        indexed: set[str] = set()
        for kind in ("articles", "comments"):
            if es.indices.exists_alias(name=f"{prefix}-{kind}"):
                hits = es.search(index=f"{prefix}-{kind}", size=10_000, query={"match_all": {}},
                                 source=["item_type"])["hits"]["hits"]
                indexed |= {f"{h['_source']['item_type']}:{h['_id']}" for h in hits}
        deadlettered = keys([json.loads(line) for f in dead.rglob("*.jsonl")
                             for line in f.read_text("utf-8").splitlines()])
        expected = keys(written)
        stored = indexed | deadlettered
        return Run(len(expected), len(indexed), len(deadlettered), len(indexed & deadlettered),
                   sorted(expected - stored), sorted(stored - expected), bulks, refused, seconds,
                   result.returncode, "\n".join(line for line in result.stderr.splitlines()
                                                 if "corpus/es/" in line or "[pipelines.elasticsearch]" in line
                                                 or "[corpus.search" in line)[-3000:])
    finally:
        es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        for kind in ("articles", "comments", "crawls", "articles-history"):
            es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{kind}")
        es.close()


def soak(es_url: str, runs: int = 3, articles: int = 150, comments: int = 2, seed: int = 15,
         refuse: float = 0.15, stall: float = 0.1, max_delay: float = 3.0, retries: int = 3,
         refuse_first: int = 0, say=print) -> list[Run]:
    results = []
    with tempfile.TemporaryDirectory(prefix="corpus-soak-") as tmp:
        for number in range(runs):
            run = one_run(es_url, seed + number, articles, comments, refuse, stall, max_delay, retries, Path(tmp),
                          refuse_first)
            results.append(run)
            say(f"run {number + 1}: {run.written} items written, {run.indexed} indexed, {run.deadlettered} "
                f"dead-lettered ({run.both} in both), {run.bulks} bulk requests of which {run.refused} refused, "
                f"{run.seconds:.1f} s: {'PASS' if run.ok else 'FAIL'}")
            if not run.ok:
                say(f"  exit status {run.returncode}; missing {run.missing[:10]}; extra {run.extra[:10]}")
                say("  " + run.log_tail.replace("\n", "\n  "))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="crawls in a row (default 3)")
    ap.add_argument("--articles", type=int, default=150, help="articles of the site (default 150)")
    ap.add_argument("--comments", type=int, default=2, help="reader comments per article (default 2)")
    ap.add_argument("--seed", type=int, default=15, help="seed of the first run's faults (default 15)")
    ap.add_argument("--refuse", type=float, default=0.15, help="share of bulk requests refused (default 0.15)")
    ap.add_argument("--stall", type=float, default=0.1,
                    help=f"share of bulk requests held past the client's timeout ({TIMEOUT:.0f} s; default 0.1)")
    ap.add_argument("--max-delay", type=float, default=3.0, help="longest ordinary hold, s (default 3)")
    ap.add_argument("--retries", type=int, default=3, help="CORPUS_ES_MAX_RETRIES of the crawls (default 3)")
    args = ap.parse_args()
    url, started, why = start_es()
    if url is None:
        print(f"no Elasticsearch: {why}", file=sys.stderr)
        return 2
    try:
        print(f"soak: {args.runs} crawls of {args.articles} articles with {args.comments} comments each; of the bulk "
              f"requests {args.refuse:.0%} refused with 503/429, {args.stall:.0%} held past the client's timeout "
              f"({TIMEOUT:.0f} s), the rest held 1-{args.max_delay:.0f} s; flush every second")
        results = soak(url, args.runs, args.articles, args.comments, args.seed, args.refuse, args.stall,
                       args.max_delay, args.retries)
    finally:
        if started:
            stop_es()
    passed = sum(r.ok for r in results)
    print(f"{passed} of {len(results)} runs: index ∪ dead-letter = output, exactly")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
