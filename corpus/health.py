"""Crawl health: an end-of-crawl summary, a failure verdict, and quiet drop logging.

:class:`CrawlHealth` (setting ``CORPUS_HEALTH_ENABLED``) logs at spider close
what the crawl produced: items by type, drops by reason, and which extraction
layer filled each field (``corpus/extract/<field>/<layer>``), so a broken
selector is visible as a shift from ``selector`` to ``generic``/``missing``.
When not one page could be fetched (no network, wrong ``base_url``) it logs
one clear error and records ``corpus/health/failed`` in the stats; the
``crawl`` command (corpus/commands/crawl.py) turns that into exit status 1.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.logformatter import LogFormatter, LogFormatterResult

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FAILED_KEY = "corpus/health/failed"


class QuietLogFormatter(LogFormatter):
    """Log a dropped item as its reason and URL instead of the whole item."""

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        url = getattr(item, "url", None) or getattr(item, "article_url", None)
        kind = getattr(item, "item_type", type(item).__name__)
        ident = getattr(item, "id", None)
        result["msg"] = "Dropped %(kind)s %(ident)s: %(exception)s <%(url)s>"
        result["args"] = {"kind": kind, "ident": ident or "", "exception": exception, "url": url}
        return result


NETWORK_ERRORS = (
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError,
    DownloadTimeoutError, ResponseDataLossError, ConnectionError, TimeoutError,
)


class NetworkErrorFilter(logging.Filter):
    """Drop the traceback from log records about network errors.

    "Connection refused" or "DNS lookup failed" is the whole story; a
    40-line traceback per request only hides it. The message itself stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


def crawl_failure(stats: dict[str, Any]) -> str | None:
    """Why a finished crawl counts as failed, or ``None`` when it did not fail."""
    return stats.get(FAILED_KEY)


class CrawlHealth:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealth:
        if not crawler.settings.getbool("CORPUS_HEALTH_ENABLED"):
            raise NotConfigured("CORPUS_HEALTH_ENABLED is False")
        ext = cls(crawler)
        network_filter = NetworkErrorFilter()
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper"):
            logging.getLogger(name).addFilter(network_filter)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.stats.get_stats()
        pages = sum(v for k, v in stats.items() if k.startswith("corpus/pages/"))
        if pages == 0 and reason != "shutdown":
            errors = {
                k.rsplit("/", 1)[-1]: v
                for k, v in stats.items()
                if k.startswith("downloader/exception_type_count/")
            }
            statuses = {
                k.rsplit("/", 1)[-1]: v
                for k, v in stats.items()
                if k.startswith("downloader/response_status_count/")
            }
            detail = ", ".join(f"{n}x {e}" for e, n in errors.items()) or "no download errors"
            if statuses:
                detail += "; HTTP status " + ", ".join(f"{n}x {s}" for s, n in statuses.items())
            message = (
                f"no page of {spider.name} could be fetched from {getattr(spider, 'origin', '?')} "
                f"({detail}). Check the network connection, a proxy, or the base_url argument."
            )
            self.stats.set_value(FAILED_KEY, message)
            logger.error("Crawl failed: %s", message)
        self._summary(spider.name, stats, reason)

    def _summary(self, name: str, stats: dict[str, Any], reason: str) -> None:
        scraped = stats.get("item_scraped_count", 0)
        drops = {k.removeprefix("corpus/dropped/"): v for k, v in stats.items()
                 if k.startswith("corpus/dropped/")}
        layers: dict[str, list[str]] = {}
        for key, value in sorted(stats.items()):
            if key.startswith("corpus/extract/"):
                _, _, field_name, layer = key.split("/", 3)
                layers.setdefault(field_name, []).append(f"{layer}={value}")
        logger.info(
            "Crawl %s finished (%s): %d items written, %d articles and %d comments found; dropped: %s",
            name, reason, scraped, stats.get("corpus/pages/article", 0),
            stats.get("corpus/comments/found", 0),
            ", ".join(f"{k}={v}" for k, v in sorted(drops.items())) or "none",
        )
        if layers:
            logger.info(
                "Extraction layers: %s",
                "; ".join(f"{f}: {' '.join(v)}" for f, v in sorted(layers.items())),
            )
