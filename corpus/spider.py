"""The Scrapy glue every outlet spider shares: requests in, items out.

An outlet spider (``spiders/<outlet>.py``) only says where articles are (feeds, sections,
topics, sitemaps, the article URL pattern) and how to read its pages (its
:class:`~corpus.extract.OutletParser`). The work is done elsewhere, without Scrapy:
arguments (:mod:`corpus.crawlargs`), discovery (:mod:`corpus.discovery` reads, and
:mod:`corpus.finder` decides what to follow), the incremental filter (:mod:`corpus.state`),
responses and failures (:mod:`corpus.responses`), article building (:mod:`corpus.build`)
and comment pages (:mod:`corpus.commentpages`); stats names live in :mod:`corpus.stats`.

``mode=recent`` reads feeds, news sitemaps and section fronts; ``mode=backfill`` pages through
listings until the teasers are older than ``since`` and reads the sitemaps, within ``max_pages``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy

from corpus import discovery, wayback
from corpus import stats as names
from corpus.archive.middleware import PAGE_ROLE, archived
from corpus.build import fetched_time, read_article
from corpus.commentpages import CommentPages
from corpus.config import CrawlSettings
from corpus.crawlargs import CrawlArgs, validate_args
from corpus.done import errback_output
from corpus.extract import OutletParser, Page
from corpus.finder import SOURCE, Link, LinkFinder, article_url
from corpus.items import Comment
from corpus.outlethealth import OutletHealth
from corpus.responses import article_page, count_extraction, count_failure, judge_page
from corpus.runs import run_name
from corpus.state import SeenFilter
from corpus.tz import BERLIN

logger = logging.getLogger(__name__)


class OutletSpider(scrapy.Spider):
    """Base class of the outlet spiders; see the module docstring."""

    name: str
    outlet_name: ClassVar[str] = ""
    base_url: ClassVar[str] = ""  # e.g. "https://www.cicero.de"
    feeds: ClassVar[tuple[str, ...]] = ()  # RSS/Atom paths for mode=recent
    sections: ClassVar[tuple[str, ...]] = ()  # section fronts (recent) and listings (backfill)
    sitemaps: ClassVar[tuple[str, ...]] = ()  # XML sitemaps (or indexes) for backfill
    news_sitemaps: ClassVar[tuple[str, ...]] = ()  # Google news sitemaps for mode=recent
    topics: ClassVar[tuple[str, ...]] = ()  # topic/tag pages (Nordkorea, China ...) for backfill
    # links on listings, topic pages and plain sitemaps must have this shape (matched against the
    # decoded path, umlauts folded: corpus.discovery.ArticleUrls); what feeds list need not
    article_path: ClassVar[re.Pattern[str]] = re.compile(r"^/[^/]+/[^/]+$")
    # paths that are never articles, each with the reason (the README lists them): pattern -> reason
    deny: ClassVar[dict[str, str]] = {}
    deny_path: ClassVar[re.Pattern[str] | None] = None  # the deny patterns in one (set from deny)
    parser: ClassVar[type[OutletParser]] = OutletParser
    extra_args: ClassVar[tuple[str, ...]] = ()
    revisit_days: ClassVar[float | None] = None  # None: the CORPUS_REVISIT_DAYS setting
    # pages that need a browser (corpus/browser.py): False, True, "listings" or "meta"
    browser: ClassVar[bool | str] = False
    consent_click: ClassVar[str | None] = None  # CSS of a consent button clicked in the browser
    consent_cookies: ClassVar[dict[str, str]] = {}  # cookies that record consent, sent with every request
    browser_wait_for: ClassVar[str | None] = None  # CSS of content scripts insert, waited for

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "deny" in cls.__dict__:
            cls.deny_path = re.compile("|".join(f"(?:{pattern})" for pattern in cls.deny)) if cls.deny else None

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if settings.get("CORPUS_REDIS_URL"):  # a frontier shared with other workers (corpus/distributed.py)
            from corpus.distributed import redis_settings

            settings.setdict(redis_settings(settings), priority="spider")
        if cls.browser:  # scrapy-playwright's handlers only for crawls that may render pages
            from corpus.browser import BrowserUnavailable, playwright_settings

            try:
                settings.setdict(playwright_settings(settings), priority="spider")
            except BrowserUnavailable as exc:
                logger.error("spider %s: %s", cls.name, exc)

    @classmethod
    def check_args(cls, kwargs: dict[str, Any]) -> CrawlArgs:
        """Validate spider arguments before a crawl starts (raises ``ValueError``)."""
        return validate_args(cls, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = validate_args(type(self), kwargs)
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k not in CrawlArgs.model_fields})
        self.origin = self.args.base_url or self.base_url
        # the site's domain without "www.", so feeds on sub-domains (rss.dw.com) are allowed too
        self.domain = (urlsplit(self.origin).hostname or "").removeprefix("www.")
        self.allowed_domains = [self.domain]
        if self.args.mode == "wayback":  # the captures come from the Wayback Machine's host
            self.allowed_domains.append(urlsplit(self.args.wayback_url).hostname or "")
        self.mode, self.scope = self.args.mode, self.args.scope
        self.article_urls = discovery.ArticleUrls(self.domain, self.article_path, self.deny)
        self.comment_pages = CommentPages(self)
        self.health = OutletHealth()  # this crawl's counts for its outlet (the crawl record keeps them)

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on the crawled origin."""
        return urljoin(self.origin + "/", path)

    def is_article_url(self, url: str) -> bool:
        return self.article_urls(url)

    def rebase(self, url: str) -> str:
        """Map the outlet's own absolute URLs onto ``base_url`` when crawling a mirror."""
        return self.origin + url[len(self.base_url):] if self.origin != self.base_url and \
            url.startswith(self.base_url) else url

    def unbase(self, url: str) -> str:
        """Map a URL on ``base_url`` back onto the outlet's own origin."""
        return self.base_url + url[len(self.origin):] if self.origin != self.base_url and \
            url.startswith(self.origin) else url

    def today(self) -> date:
        """Today in Berlin: the end of the ``days`` window of news sitemaps."""
        return datetime.now(BERLIN).date()

    def _request(self, url: str, callback: Any, priority: int, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, priority=priority,
                              cb_kwargs=cb_kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.mode == "wayback":
            for prefix in wayback.prefixes(self):
                yield self._request(self._cdx(prefix), self.parse_cdx, 5, prefix=prefix)
            return
        if self.mode == "recent":
            for path in self.feeds:
                yield self._request(self.url(path), self.parse_feed, 10)
            for path in self.news_sitemaps:
                yield self._request(self.url(path), self.parse_sitemap, 10)
            for path in self.sections:
                yield self._request(self.url(path), self.parse_listing, 5)
            return
        if "listings" in self.args.sources:
            for path in (*self.sections, *self.topics, *self.args.listings):
                yield self._request(self.url(path), self.parse_listing, 5, page_no=0)
        if "sitemap" in self.args.sources:
            for path in self.sitemaps:
                yield self._request(self.url(path), self.parse_sitemap, 5)

    # --- discovery (corpus/finder.py) ---------------------------------------------------------
    @cached_property
    def config(self) -> CrawlSettings:
        """The crawl's ``CORPUS_*`` settings, typed."""
        return CrawlSettings.from_settings(self.crawler.settings)

    @cached_property
    def finder(self) -> LinkFinder:
        return LinkFinder(name=self.name, args=self.args, config=self.config, stats=self.crawler.stats,
                          parser=self.parser, urls=self.article_urls, rebase=self.rebase,
                          unbase=self.unbase, today=lambda: self.today(), seen=lambda: self.seen,
                          health=self.health)

    @cached_property
    def seen(self) -> SeenFilter | None:
        """The incremental filter (``None`` when the crawl fetches every article link)."""
        if not (self.args.incremental and self.config.incremental):
            return None
        return SeenFilter.for_crawl(self.crawler.settings, self.crawler.stats, self.revisit_days, self.scope)

    def _articles(self, links: list[Link]) -> Iterator[scrapy.Request]:
        for url, meta in links:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 meta={**meta, PAGE_ROLE: "article"}, priority=1)

    def parse_feed(self, response: Any) -> Iterator[scrapy.Request]:
        """RSS 2.0 or Atom feed -> article requests."""
        yield from self._articles(self.finder.feed(response))

    def parse_listing(self, response: Any, page_no: int | None = None) -> Iterator[scrapy.Request]:
        """Section or topic page -> article requests, and the next page in backfill mode."""
        articles, next_url = self.finder.listing(response, page_no)
        yield from self._articles(articles)
        if next_url and page_no is not None:
            yield self._request(next_url, self.parse_listing, 5, page_no=page_no + 1)

    def parse_sitemap(self, response: Any, depth: int = 0, page_no: int | None = None) -> Iterator[scrapy.Request]:
        """XML (news) sitemap or index -> child sitemaps and article requests. (``page_no``: what requests an
        earlier version queued in a JOBDIR carry; such a child counts as depth 1.)"""
        depth = 1 if page_no is not None and not depth else depth
        children, articles = self.finder.sitemap(response, depth)
        for url in children:
            yield self._request(url, self.parse_sitemap, 0, depth=depth + 1)
        yield from self._articles(articles)

    # --- the Wayback Machine (corpus/wayback.py) ------------------------------------------------
    def _cdx(self, prefix: str, resume_key: str | None = None) -> str:
        return wayback.cdx_url(self.args.wayback_url, prefix, self.args.since or self.today(), self.args.until,
                               resume_key)

    def parse_cdx(self, response: Any, prefix: str) -> Iterator[scrapy.Request]:
        """One page of the CDX API's captures under ``prefix`` -> the article captures, and the next page."""
        try:
            captures, resume_key = wayback.parse_cdx(response.body)
        except ValueError as exc:
            self.crawler.stats.inc_value(names.WAYBACK_BAD_CDX)
            logger.error("CDX answer for %s unreadable: %s", prefix, exc)
            return
        self.crawler.stats.inc_value(names.WAYBACK_CAPTURES, len(captures))
        candidates = {c.original: c for c in captures if self.is_article_url(c.original)}
        links = self.finder.articles(list(candidates), "wayback", response.url, "CORPUS_MAX_LINKS_PER_PAGE")
        by_page = {article_url(url): capture for url, capture in candidates.items()}
        for url, meta in links:
            capture = by_page.get(url)
            if capture is not None:
                yield scrapy.Request(wayback.capture_url(self.args.wayback_url, capture.timestamp, capture.original),
                                     callback=self.parse_article, errback=self.on_error,
                                     meta={**meta, PAGE_ROLE: "article"}, priority=1)
        if resume_key:
            yield self._request(self._cdx(prefix, resume_key), self.parse_cdx, 5, prefix=prefix)

    # --- articles, comments, errors -------------------------------------------------------------
    def parse_article(self, response: Any) -> Iterator[Any]:
        """Article page -> the :class:`~corpus.items.Article`, then its comments (all comment pages).
        A page that is no article (:mod:`corpus.pagekind`) is counted, not written."""
        page = article_page(response, self.crawler.stats)
        if page is None:
            return
        where = archived(response)
        capture = wayback.parse_capture_url(response.url) if self.mode == "wayback" else None
        crawled_at = capture.captured_at if capture else fetched_time((where or {}).get("fetched_at"))
        if capture is not None:  # the outlet's page as archive.org captured it: read at its own URL
            page = Page(capture.original, page.html)
            where = {**(where or {}), "capture_url": response.url, "captured_at": capture.captured_at}
        read = read_article(page, self.parser, outlet=self.name, outlet_name=self.outlet_name, own_url=self.unbase,
                            hints=response.request.meta if response.request is not None else {},
                            crawled_at=crawled_at, crawl_run=run_name(self.crawler))
        source = response.meta.get(SOURCE) if response.request is not None else None
        if not judge_page(page, read, self.is_article_url(page.url), source, self.health, self.crawler.stats):
            return
        count_extraction(read, page, self.crawler.stats)
        read.article.archive = where
        if self.mode == "backfill" and discovery.older_than(read.article.published_raw, self.args.since):
            self.crawler.stats.inc_value(names.SKIPPED_OLDER_THAN_SINCE)
            return
        if capture is None:
            yield from self.comment_pages.start(read.comments, read.article, response)
            return
        read.article.source = "wayback"
        for item in self.comment_pages.start(read.comments, read.article, response):
            if isinstance(item, Comment):  # the comments the captured page shows, from the same capture
                item.source, item.archive, item.crawled_at = "wayback", where, capture.captured_at
            yield item

    def parse_comment_page(self, response: Any, article: Any, comments: list[Any], pages: int,
                           visited: tuple[str, ...] = ()) -> Iterator[Any]:
        yield from self.comment_pages.page(response, article, comments, pages, visited)

    def comment_page_failed(self, failure: Any) -> Iterator[Any]:
        return errback_output(self.crawler, failure.request, self.comment_pages.failed(failure))

    _comment_page_failed = comment_page_failed  # the errback's name in requests an earlier version queued

    def on_error(self, failure: Any) -> Iterator[Any]:
        """Log a failed request in one line (no traceback) and count it by kind; it has no output."""
        count_failure(failure, self.crawler.stats, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        return errback_output(self.crawler, failure.request, None)

    def unwritten(self) -> tuple[int, int]:
        """Articles waiting for a comment page, and the items they would write with their comments."""
        return self.comment_pages.unwritten()

    def closed(self, reason: str) -> None:
        self.comment_pages.report_at_close(reason, resumable=bool(self.crawler.settings.get("JOBDIR")))
        if "seen" in self.__dict__ and self.seen is not None:
            self.seen.close()
