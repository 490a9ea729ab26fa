"""Benchmark: indexing through the crawl's Elasticsearch pipeline against a raw ``helpers.bulk``.

Both write the same N article documents (generated, German text of article
length) into fresh indices with the same mapping on the same node, in one
run; the baseline is elasticsearch-py's ``helpers.bulk`` with the same chunk
size, the candidate is ``ElasticsearchPipeline.process_item`` for every item
(item -> dict, buffering, create-or-merge logic, dead-letter bookkeeping).
Prints docs/s for both and the ratio (target >= 0.8).

    ELASTICSEARCH_URL=http://127.0.0.1:9200 python bench/index.py [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid

from elasticsearch import AsyncElasticsearch, Elasticsearch, helpers
from scrapy import Spider
from scrapy.utils.test import get_crawler

from corpus.items import Article
from corpus.normalize.urls import content_hash, url_id
from corpus.search.config import EsConfig
from corpus.search.documents import to_document
from corpus.search.setup import setup
from pipelines.elasticsearch import ElasticsearchPipeline

WORDS = ("Nordkorea Russland China Pjöngjang Moskau Peking Regierung Sanktionen Raketen Gipfel "
         "Außenminister Handel Grenze Armee Wirtschaft Bündnis Waffen Gespräche Kreml Seoul").split()


def make_items(n: int, seed: int = 3) -> list[Article]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        url = f"https://www.cicero.de/aussenpolitik/bench-{i}"
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(8))
        title = " ".join(rng.choice(WORDS) for _ in range(7))
        items.append(Article(
            id=url_id(url), url=url, canonical_url=url, outlet="cicero", outlet_name="Cicero",
            title=title, teaser=" ".join(rng.choice(WORDS) for _ in range(25)), body=body,
            authors=["Felix Lill"], published_at="2024-03-12T16:45:00+01:00", published_precision="minute",
            crawled_at="2026-11-27T10:00:00+01:00", countries=["KP", "RU"], pairs=["KP-RU"],
            in_scope=True, topic_score=12.0, word_count=480, content_hash=content_hash(title, body),
        ))
    return items


async def prepare(config: EsConfig) -> None:
    async with AsyncElasticsearch(**config.client_kwargs()) as client:
        await setup(client, config)


def raw_bulk(url: str, prefix: str, items: list[Article], chunk: int) -> float:
    from itemadapter import ItemAdapter

    client = Elasticsearch(url, request_timeout=120)
    alias = f"{prefix}-articles"
    # the baseline gets the same documents, ready-made; converting them is not timed
    actions = [{"_op_type": "create", "_index": alias, "_id": it.id, "_source": to_document(ItemAdapter(it).asdict())}
               for it in items]
    began = time.perf_counter()
    ok, errors = helpers.bulk(client, actions, chunk_size=chunk, refresh=False)
    elapsed = time.perf_counter() - began
    assert ok == len(items) and not errors, errors
    client.close()
    return elapsed


async def through_pipeline(url: str, prefix: str, items: list[Article], chunk: int, deadletter_dir: str) -> float:
    crawler = get_crawler(Spider, {
        "CORPUS_ES_HOSTS": url, "CORPUS_ES_PREFIX": prefix, "CORPUS_ES_CHUNK_SIZE": chunk,
        "CORPUS_ES_FLUSH_INTERVAL": 3600, "CORPUS_ES_DEADLETTER_DIR": deadletter_dir,
    })
    crawler.spider = Spider(name="bench")
    pipeline = ElasticsearchPipeline.from_crawler(crawler)
    await pipeline.open_spider()
    began = time.perf_counter()
    for item in items:
        await pipeline.process_item(item)
    await pipeline.close_spider()
    elapsed = time.perf_counter() - began
    assert pipeline.indexer is not None and pipeline.indexer.indexed == len(items), pipeline.indexer.failed
    return elapsed


def count(url: str, index: str) -> int:
    client = Elasticsearch(url)
    client.indices.refresh(index=index)
    value = client.count(index=index)["count"]
    client.close()
    return value


def cleanup(url: str, prefixes: list[str]) -> None:
    client = Elasticsearch(url)
    for prefix in prefixes:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        for kind in ("articles", "comments", "crawls"):
            client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{kind}")
    client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=500)
    args = ap.parse_args()
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        print("set ELASTICSEARCH_URL (make es-up starts a local node)", file=sys.stderr)
        return 2
    items = make_items(args.n)
    run = uuid.uuid4().hex[:6]
    raw_prefix, pipe_prefix = f"benchraw-{run}", f"benchpipe-{run}"
    try:
        for prefix in (raw_prefix, pipe_prefix):
            asyncio.run(prepare(EsConfig(hosts=[url], prefix=prefix)))
        with tempfile.TemporaryDirectory() as tmp:
            raw_s = raw_bulk(url, raw_prefix, items, args.chunk)
            pipe_s = asyncio.run(through_pipeline(url, pipe_prefix, items, args.chunk, tmp))
        counts = (count(url, f"{raw_prefix}-articles"), count(url, f"{pipe_prefix}-articles"))
    finally:
        cleanup(url, [raw_prefix, pipe_prefix])
    ratio = raw_s / pipe_s
    print(f"documents: {args.n} articles (~3.5 kB of text each), chunk size {args.chunk}, node {url}")
    print(f"raw helpers.bulk:        {args.n / raw_s:10,.0f} docs/s  ({raw_s:.1f}s, {counts[0]} in index)")
    print(f"ElasticsearchPipeline:   {args.n / pipe_s:10,.0f} docs/s  ({pipe_s:.1f}s, {counts[1]} in index)")
    print(f"ratio pipeline/raw: {ratio:.2f} (target >= 0.8)")
    return 0 if ratio >= 0.8 and counts == (args.n, args.n) else 1


if __name__ == "__main__":
    sys.exit(main())
