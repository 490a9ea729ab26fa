"""One record per crawl run: to ``corpus-crawls`` in Elasticsearch, or to a local JSON Lines log.

At spider close the record holds: spider, arguments and mode, host, start, end,
duration, finish reason, whether the crawl failed (see :mod:`corpus.health`), its
``status`` in the scheduler's words (:func:`run_status`: ``ok``, ``failed``, ``stopped``;
under ``corpus schedule`` the scheduler's own status, which also knows ``timeout``, replaces it),
items scraped/dropped/indexed/failed/dead-lettered, requests, responses,
errors, drops by reason, the extraction layers per field, all stats, and the
outlet's health (:mod:`corpus.outlethealth`): judged against the outlet's earlier
runs, a fall marks the run ``degraded`` with its reasons.
Without Elasticsearch (or when it cannot take the record) it is appended to
``<CORPUS_OUTPUT_DIR>/crawls.jsonl``, so no run goes unrecorded.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from corpus.config import CrawlSettings
from corpus.health import FAILED_KEY
from corpus.outlethealth import judge
from corpus.paths import data_dir
from corpus.search.config import EsConfig

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
DEGRADED_KEY = "corpus/health/degraded"  # measures that fell (corpus/outlethealth.py)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# finish reasons of a crawl that ended as it should (anything else is a failed crawl)
CLEAN_REASONS = ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout")


def run_status(reason: str, failed: bool) -> str:
    """A run's ``status`` in the vocabulary of ``corpus schedule`` (corpus/schedule.py), for any crawl.

    ``stopped``: ended by a signal (Ctrl-C, SIGTERM: Scrapy's finish reason ``shutdown``);
    ``failed``: any other failure; ``ok`` otherwise. ``timeout`` only the scheduler can tell
    (it sent the signal), and under the scheduler its status replaces this one.
    """
    if reason == "shutdown":
        return "stopped"
    return "failed" if failed else "ok"


def build_record(spider: Any, stats: dict[str, Any], reason: str) -> dict[str, Any]:
    """The crawl record from the final stats."""
    start, end = stats.get("start_time"), stats.get("finish_time")
    extraction: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith("corpus/extract/"):
            _, _, field_name, layer = key.split("/", 3)
            extraction.setdefault(field_name, {})[layer] = value
    args = getattr(spider, "args", None)
    health = getattr(spider, "health", None)
    failed = bool(stats.get(FAILED_KEY)) or reason not in CLEAN_REASONS
    return {
        "id": uuid.uuid4().hex,
        "spider": spider.name,
        "arguments": args.model_dump(mode="json") if args is not None else {},
        "mode": getattr(args, "mode", None),
        "host": socket.gethostname(),
        "start": _iso(start),
        "end": _iso(end),
        "duration_seconds": stats.get("elapsed_time_seconds"),
        "finish_reason": reason,
        "failed": failed,
        "status": run_status(reason, failed),
        "failure": stats.get(FAILED_KEY),
        "items_scraped": stats.get("item_scraped_count", 0),
        "items_dropped": stats.get("item_dropped_count", 0),
        "items_indexed": stats.get("corpus/es/indexed", 0),
        "items_failed": stats.get("corpus/es/failed", 0),
        "items_deadlettered": stats.get("corpus/es/deadlettered", 0),
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        # the web archive this crawl wrote (corpus/archive): bytes on disk, records, files
        "archive_bytes": stats.get("corpus/archive/bytes", 0),
        "archive_records": stats.get("corpus/archive/records", 0),
        "drops": {k.removeprefix("corpus/dropped/"): v for k, v in stats.items() if k.startswith("corpus/dropped/")},
        "extraction": extraction,
        "stats": {k: _iso(v) for k, v in stats.items()},
        **({"health": health.summary(), "degraded": False, "degraded_reasons": []} if health is not None else {}),
    }


class CrawlRecord:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = EsConfig.from_settings(crawler.settings)
        config = CrawlSettings.from_settings(crawler.settings)
        self.log_path = data_dir(config.output_dir) / "crawls.jsonl"
        # under `corpus schedule`: the scheduler's run id, job, and where it collects the record
        self.run_id = config.run_id or None
        self.job = config.job or None
        record_file = config.record_file
        self.record_file = Path(record_file) if record_file else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecord:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_time", datetime.now().astimezone())
        record = build_record(spider, stats, reason)
        if "health" in record:
            await self.judge(record)
        if self.run_id:
            record["id"] = self.run_id
        if self.job:
            record["job"] = self.job
        if self.record_file is not None:  # the scheduler adds the exit status and stores it
            self.record_file.parent.mkdir(parents=True, exist_ok=True)
            self.record_file.write_text(json.dumps(record, ensure_ascii=False, default=str), "utf-8")
            return
        await store_record(record, self.config, self.log_path)


    async def judge(self, record: dict[str, Any]) -> None:
        """Compare the run's health with the outlet's earlier runs: a fall marks it degraded, with one WARNING."""
        limits = CrawlSettings.from_settings(self.crawler.settings).thresholds()
        history = await earlier_health(record["spider"], record.get("mode"), self.config, self.log_path, limits.runs)
        reasons = judge(record["health"], history, limits)
        if reasons:
            record["degraded"], record["degraded_reasons"] = True, reasons
            self.crawler.stats.set_value(DEGRADED_KEY, len(reasons))
            logger.warning("outlet %s degraded in this run: %s (corpus doctor %s shows what the spider does now)",
                           record["spider"], "; ".join(reasons), record["spider"])


async def earlier_health(spider: str, mode: str | None, config: EsConfig, log_path: Path,
                         limit: int) -> list[dict[str, Any]]:
    """The ``health`` of the spider's earlier runs in ``mode``, newest first: from ``corpus-crawls``, and
    from the local log (runs recorded there when Elasticsearch was off or down)."""
    found: list[tuple[str, dict[str, Any]]] = []
    if config.enabled:
        found += await _es_health(spider, mode, config, limit)
    if log_path.exists():
        with log_path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("spider") == spider and record.get("mode") == mode \
                        and isinstance(record.get("health"), dict) and not record.get("failed"):
                    found.append((str(record.get("start") or ""), record["health"]))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [health for _, health in found[:limit]]


async def _es_health(spider: str, mode: str | None, config: EsConfig, limit: int) -> list[tuple[str, dict]]:
    from elasticsearch import AsyncElasticsearch

    client = AsyncElasticsearch(**config.client_kwargs())
    try:
        filters: list[dict[str, Any]] = [{"term": {"spider": spider}}, {"term": {"failed": False}},
                                         {"exists": {"field": "health.fetched"}}]
        if mode:
            filters.append({"term": {"mode": mode}})
        answer = await client.options(ignore_status=404).search(
            index=config.alias("crawls"), size=limit, sort=[{"start": "desc"}], source_includes=["start", "health"],
            query={"bool": {"filter": filters}})
        return [(str(hit["_source"].get("start") or ""), hit["_source"]["health"])
                for hit in answer.get("hits", {}).get("hits", [])]
    except Exception as exc:  # no history is no alarm on rates, never a failed crawl
        logger.info("earlier runs of %s not read from Elasticsearch (%s: %s)", spider, type(exc).__name__, exc)
        return []
    finally:
        await client.close()


async def store_record(record: dict[str, Any], config: EsConfig, log_path: Path) -> None:
    """Index a run record into ``corpus-crawls``; on any failure, or without Elasticsearch, append it
    to the local JSON Lines log: no run goes unrecorded."""
    if config.enabled and await _to_elasticsearch(record, config):
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    logger.info("Crawl record written to %s", log_path)


async def _to_elasticsearch(record: dict[str, Any], config: EsConfig) -> bool:
    from elasticsearch import AsyncElasticsearch

    from corpus.search.setup import setup

    client = AsyncElasticsearch(**config.client_kwargs())
    try:
        await setup(client, config)
        await client.index(index=config.alias("crawls"), id=record["id"], document=record,
                           require_alias=True, refresh="wait_for")
    except Exception as exc:  # any failure: fall back to the local log, never lose the record
        logger.warning("Crawl record not indexed (%s: %s); writing it locally", type(exc).__name__, exc)
        return False
    finally:
        await client.close()
    logger.info("Crawl record %s indexed into %s", record["id"], config.alias("crawls"))
    return True
