"""The downloader middleware that archives every exchange of a crawl (``CORPUS_ARCHIVE``, on by default).

It sits next to the download handler (priority 950): it sees each response as it arrived,
before redirects, retries and content decoding, so feeds, sitemaps, listings, article and
comment pages, redirects and error answers are all kept. Pages the browser rendered are
archived as their rendered HTML (:meth:`corpus.archive.ArchiveWriter.write_exchange`).
The response's place in the archive is put into the request's ``meta["archive"]``, where
the spider finds it for the items it builds from the page.

What reading the archive again (``corpus reprocess``) needs beyond the bytes is archived too:
each file's ``warcinfo`` names the outlet (``isPartOf``), its base URL and the one the pages
were fetched from, the crawl run and whether comments were read; an article or comment page
(request meta ``page_role``) is followed by a ``metadata`` record of JSON with its role, the
news sitemap's date and title for the article, and for a comment page the record id of its
article's page.

Counted in the crawl's stats: ``corpus/archive/records``, ``corpus/archive/bytes``,
``corpus/archive/files``; an archive that cannot be written is an error in the log and
``corpus/archive/failed`` (the crawl goes on: the items are still written).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from corpus.archive.writer import ArchiveWriter
from corpus.config import CrawlSettings
from corpus.paths import data_dir
from corpus.runs import run_name

logger = logging.getLogger(__name__)

META_KEY = "archive"
PAGE_ROLE = "page_role"  # request meta: "article" or "comments" (the page's metadata record says so)
ARTICLE_RECORD = "article_record"  # request meta of a comment page: the record id of its article's page
HINTS = ("sitemap_published", "sitemap_title")  # request meta an article page is read with


def archived(response: Any) -> dict[str, Any] | None:
    """Where a response is in the web archive (what the middleware put in its request's meta), if anywhere."""
    request = getattr(response, "request", None)
    value = request.meta.get(META_KEY) if request is not None else None
    return dict(value) if isinstance(value, dict) else None


def archive_dir(settings: CrawlSettings | None = None) -> str:
    """``CORPUS_ARCHIVE_DIR``, else ``<CORPUS_OUTPUT_DIR>/archive`` (of ``settings``, else the environment's)."""
    settings = settings or CrawlSettings.from_settings(None)
    return settings.archive_dir or str(data_dir(settings.output_dir or None) / "archive")


class ArchiveMiddleware:
    def __init__(self, crawler: Any) -> None:
        config = CrawlSettings.from_settings(crawler.settings)
        if not config.archive:
            raise NotConfigured("CORPUS_ARCHIVE is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = archive_dir(config)
        self.max_bytes = config.archive_max_bytes
        self.compression = config.archive_compression
        self.writer: ArchiveWriter | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        # what reading the archive again needs: the outlet, and the address the pages were fetched
        # from when a crawl ran against a mirror (-a base_url), to map them back to the outlet's own
        info = {"operator": "corpus-crawler", "isPartOf": spider.name, "description": f"scrapy crawl {spider.name}",
                "corpus-outlet-base-url": getattr(type(spider), "base_url", "") or "",
                "corpus-fetched-base-url": getattr(spider, "origin", "") or "",
                "corpus-crawl-run": run_name(self.crawler),
                "corpus-comments": "true" if getattr(getattr(spider, "args", None), "comments", True) else "false"}
        self.writer = ArchiveWriter(self.directory, spider.name, self.max_bytes, info, self.compression)
        logger.info("archiving every exchange as WARC 1.1 under %s", self.directory)

    def spider_closed(self, spider: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.stats.set_value("corpus/archive/files", len(self.writer.files))
            self.stats.set_value("corpus/archive/bytes", self.writer.bytes_written)
            self.stats.set_value("corpus/archive/dir", self.directory)

    def process_response(self, request: Any, response: Any) -> Any:
        if self.writer is None:
            return response
        rendered = bool(request.meta.get("playwright"))
        try:
            provenance = self.writer.write_exchange(response.url, request, response, rendered=rendered,
                                                    metadata=_metadata(request.meta))
        except OSError as exc:  # a full disk, a permission: the crawl goes on, the loss is loud
            self.stats.inc_value("corpus/archive/failed")
            logger.error("could not archive %s: %s", response.url, exc)
            return response
        request.meta[META_KEY] = provenance.as_dict()
        self.stats.inc_value("corpus/archive/records")
        self.stats.set_value("corpus/archive/bytes", self.writer.bytes_written)
        return response


def _metadata(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The metadata record of an article or comment page (``None`` for other pages)."""
    role = meta.get(PAGE_ROLE)
    if role not in ("article", "comments"):
        return None
    record: dict[str, Any] = {"role": role}
    record.update({key: meta[key] for key in HINTS if meta.get(key)})
    if role == "comments" and meta.get(ARTICLE_RECORD):
        record["article_record"] = meta[ARTICLE_RECORD]
    return record
