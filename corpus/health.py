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

from corpus.config import CrawlSettings

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
        if not CrawlSettings.from_settings(crawler.settings).health_enabled:
            raise NotConfigured("CORPUS_HEALTH_ENABLED is False")
        ext = cls(crawler)
        network_filter = NetworkErrorFilter()
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper"):
            logging.getLogger(name).addFilter(network_filter)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        self.stats.inc_value(f"corpus/written/{getattr(item, 'item_type', type(item).__name__.lower())}")

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
        unwritten = spider.unwritten() if hasattr(spider, "unwritten") else (0, 0)
        for level, line in summary(spider.name, stats, reason, unwritten, getattr(spider, "args", None)):
            logger.log(level, "%s", line)


def _sum(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix) and v}


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def summary(name: str, stats: dict[str, Any], reason: str, unwritten: tuple[int, int] = (0, 0),
            args: Any = None) -> list[tuple[int, str]]:
    """The end-of-crawl summary: every count a person needs to trust the run, as (log level, line).

    What was written and dropped; what was fetched; what was skipped on purpose (known articles,
    older than ``since``); what makes the run incomplete (listings cut by ``max_pages`` before
    ``since``, capped links and sitemaps, items and requests left when the crawl was stopped);
    errors; and which extraction layer filled each field.
    """
    lines: list[tuple[int, str]] = []
    written = _sum(stats, "corpus/written/")
    lines.append((logging.INFO, (
        f"Crawl {name} finished ({reason}): {_plural(stats.get('item_scraped_count', 0), 'item')} written "
        f"({_plural(written.get('article', 0), 'article')}, {_plural(written.get('comment', 0), 'comment')}); "
        f"dropped: {', '.join(f'{k}={v}' for k, v in _sum(stats, 'corpus/dropped/').items()) or 'none'}")))
    pages = _sum(stats, "corpus/pages/")
    lines.append((logging.INFO, (
        "  fetched: " + (", ".join(f"{v:,} {k}" for k, v in pages.items()) or "no page")
        + f"; {_plural(stats.get('corpus/comments/found', 0), 'comment')} found")))
    seen = _sum(stats, "corpus/seen/")
    skipped = []
    if seen.get("skipped"):
        skipped.append(f"{_plural(seen['skipped'], 'link')} to articles the corpus has (incremental)")
    older = stats.get("corpus/skipped/older_than_since", 0) + stats.get("corpus/sitemap/older_than_window", 0)
    if older:
        since = getattr(args, "since", None)
        skipped.append(f"{_plural(older, 'article')} older than {f'since={since}' if since else 'the window'}")
    if skipped or seen:
        checked = ", ".join(f"{v:,} {k}" for k, v in seen.items() if k != "skipped")
        lines.append((logging.INFO, "  skipped: " + ("; ".join(skipped) or "nothing")
                      + (f" (links checked: {checked})" if checked else "")))
    incomplete = []
    short = stats.get("corpus/listing/short_of_since", 0)
    if short:
        incomplete.append(f"{_plural(short, 'listing')} stopped at max_pages={getattr(args, 'max_pages', '?')} "
                          f"before reaching since={getattr(args, 'since', '?')}")
    elif stats.get("corpus/listing/stopped_max_pages"):
        incomplete.append(f"{_plural(stats['corpus/listing/stopped_max_pages'], 'listing')} stopped at "
                          f"max_pages={getattr(args, 'max_pages', '?')}")
    for key, what in (("corpus/links/capped", "links left out of pages with too many"),
                      ("corpus/sitemap/stopped_budget", "child sitemaps not read (max_pages budget)"),
                      ("corpus/sitemap/too_deep", "child sitemaps nested too deep"),
                      ("corpus/comments/stopped_max_pages", "articles with more comment pages than max_comment_pages"),
                      ("corpus/comments/capped", "articles with more comments than CORPUS_MAX_COMMENTS")):
        if stats.get(key):
            incomplete.append(f"{stats[key]:,} {what}")
    held_articles, held_items = unwritten
    if held_articles:
        incomplete.append(f"{_plural(held_articles, 'article')} ({_plural(held_items, 'item')} with their comments) "
                          "waiting for a comment page when the crawl stopped, not written")
    left = stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0)
    if reason != "finished" and left > 0:
        incomplete.append(f"{_plural(left, 'request')} queued but not fetched")
    if incomplete:
        lines.append((logging.WARNING, "  incomplete: " + "; ".join(incomplete)))
    errors = _sum(stats, "corpus/errors/")
    if errors:
        lines.append((logging.WARNING, "  errors: " + ", ".join(f"{k}={v:,}" for k, v in errors.items())))
    if stats.get("corpus/es/indexed") or stats.get("corpus/es/deadlettered"):
        lines.append((logging.INFO, f"  Elasticsearch: {stats.get('corpus/es/indexed', 0):,} indexed, "
                                    f"{stats.get('corpus/es/deadlettered', 0):,} to the dead-letter file"))
    layers: dict[str, list[str]] = {}
    for key, value in sorted(stats.items()):
        if key.startswith("corpus/extract/"):
            _, _, field_name, layer = key.split("/", 3)
            layers.setdefault(field_name, []).append(f"{layer}={value}")
    if layers:
        lines.append((logging.INFO, "Extraction layers: " + "; ".join(
            f"{f}: {' '.join(v)}" for f, v in sorted(layers.items()))))
    return lines
