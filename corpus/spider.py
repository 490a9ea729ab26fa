"""The Scrapy glue every outlet spider shares: requests in, items out.

An outlet spider (``spiders/<outlet>.py``) only says where articles are (feeds, sections,
topics, sitemaps, the article URL pattern) and how to read its pages (its
:class:`~corpus.extract.OutletParser`). The work is done elsewhere, without Scrapy:
arguments (:mod:`corpus.crawlargs`), discovery (:mod:`corpus.discovery`), the incremental
filter (:mod:`corpus.state`), article building (:mod:`corpus.build`) and comment pages
(:mod:`corpus.commentpages`); stats names live in :mod:`corpus.stats`.

``mode=recent`` reads feeds, news sitemaps and section fronts; ``mode=backfill`` pages through
listings until the teasers are older than ``since`` and reads the sitemaps, within ``max_pages``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import TextResponse

from corpus import discovery
from corpus import stats as names
from corpus.build import read_article
from corpus.commentpages import CommentPages
from corpus.config import CrawlSettings
from corpus.crawlargs import CrawlArgs, validate_args
from corpus.done import errback_output
from corpus.extract import OutletParser, Page
from corpus.extract.page import page_text
from corpus.normalize.dates import parse_date
from corpus.normalize.urls import canonicalize_url, url_id
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
    article_path: ClassVar[re.Pattern[str]] = re.compile(r"^/[^/]+/[^/]+$")
    deny_path: ClassVar[re.Pattern[str] | None] = None
    parser: ClassVar[type[OutletParser]] = OutletParser
    extra_args: ClassVar[tuple[str, ...]] = ()
    revisit_days: ClassVar[float | None] = None  # None: the CORPUS_REVISIT_DAYS setting
    # pages that need a browser (corpus/browser.py): False, True, "listings" or "meta"
    browser: ClassVar[bool | str] = False
    consent_click: ClassVar[str | None] = None  # CSS of a consent button clicked in the browser
    consent_cookies: ClassVar[dict[str, str]] = {}  # cookies that record consent, sent with every request
    browser_wait_for: ClassVar[str | None] = None  # CSS of content scripts insert, waited for

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
        self.mode, self.scope = self.args.mode, self.args.scope
        self.article_urls = discovery.ArticleUrls(self.domain, self.article_path, self.deny_path)
        self.comment_pages = CommentPages(self)
        self._warned: set[str] = set()

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

    # --- discovery ----------------------------------------------------------------------------
    @cached_property
    def seen(self) -> SeenFilter | None:
        """The incremental filter (``None`` when the crawl fetches every article link)."""
        settings = self.crawler.settings
        if not (self.args.incremental and self.config.incremental):
            return None
        from corpus.search.config import EsConfig
        from corpus.state import local_state
        from corpus.topics import default_tagger

        days = self.revisit_days if self.revisit_days is not None else self.config.revisit_days
        # the identity of this crawl's scope: articles another scope dropped are fetched again
        scope = None if self.scope == "all" else default_tagger(self.config.topic_terms_file or None).digest
        return SeenFilter(days, es=EsConfig.from_settings(settings), local=local_state(settings),
                          stats=self.crawler.stats, scope=scope)

    def article_requests(self, urls: list[str], source: str, page_url: str, setting: str,
                         meta: dict[str, dict[str, Any]] | None = None) -> Iterator[scrapy.Request]:
        """Requests for the article links of one page: capped by ``setting``, minus what the corpus has."""
        limit = getattr(self.config, setting.removeprefix("CORPUS_").lower())
        urls, left = discovery.cap(list(dict.fromkeys(urls)), limit)
        if left:
            self.crawler.stats.inc_value(names.LINKS_CAPPED, left)
            logger.warning("%s %s lists %d article links; following the first %d (%s), %d left out",
                           source, page_url, len(urls) + left, len(urls), setting, left)
        wanted = None
        if self.seen is not None and urls:
            ids = [url_id(canonicalize_url(self.unbase(self._article_url(u)))) for u in urls]
            wanted_ids = self.seen.wanted(ids)  # one lookup for the page
            wanted = {u for u, i in zip(urls, ids, strict=True) if i in wanted_ids}
        for url in urls:
            if wanted is None or url in wanted:
                yield scrapy.Request(self._article_url(url), callback=self.parse_article, errback=self.on_error,
                                     meta=(meta or {}).get(url, {}), priority=1)

    @staticmethod
    def _article_url(url: str) -> str:
        """Query and fragment dropped: "?page=1#comments" is a comment page, "#comments" noise."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def parse_feed(self, response: Any) -> Iterator[scrapy.Request]:
        """RSS 2.0 or Atom feed -> article requests."""
        self.crawler.stats.inc_value(names.PAGE_FEED)
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value(names.FEED_NOT_TEXT)
            logger.error("feed %s is not text, skipped", response.url)
            return
        links = discovery.feed_links(response)
        articles = [url for url in links if self.is_article_url(url)]
        if len(links) > len(articles):
            self.crawler.stats.inc_value(names.LINKS_NOT_ARTICLE, len(links) - len(articles))
        logger.info("feed %s: %d article links of %d", response.url, len(articles), len(links))
        yield from self.article_requests(articles, "feed", response.url, "CORPUS_MAX_LINKS_PER_PAGE")

    def parse_listing(self, response: Any, page_no: int | None = None) -> Iterator[scrapy.Request]:
        """Section or topic page -> article requests, and the next page in backfill mode."""
        stats = self.crawler.stats
        stats.inc_value(names.PAGE_LISTING)
        links = [url for url in discovery.page_links(response) if self.is_article_url(url)]
        yield from self.article_requests(links, "listing", response.url, "CORPUS_MAX_LINKS_PER_PAGE")
        if not links:
            stats.inc_value(names.LISTING_EMPTY)
            logger.warning("listing %s yielded no article links: its URL or the article URL pattern of %s "
                           "may be outdated", response.url, self.name)
        if page_no is None:  # recent mode: the front page only
            logger.info("listing %s: %d article links", response.url, len(links))
            return
        listing = discovery.read_listing(Page(response.url, response.text), self.parser)
        stop = discovery.listing_stop(listing, page_no, self.args.max_pages, self.args.since)
        if stop == "since":
            stats.inc_value(names.LISTING_STOPPED_SINCE)
            stop = f"teasers older than since={self.args.since}"
        elif stop == "max_pages":
            stats.inc_value(names.LISTING_STOPPED_MAX_PAGES)
            stop = f"max_pages={self.args.max_pages} reached"
            if self.args.since:  # the backfill does not reach back as far as it was asked to
                stats.inc_value(names.LISTING_SHORT_OF_SINCE)
                logger.warning("listing %s stopped at max_pages=%d before reaching since=%s (newest teaser of its "
                               "last page: %s); raise max_pages to go further back", response.url,
                               self.args.max_pages, self.args.since, listing.newest or "undated")
        logger.info("listing %s (page %d): %d article links, newest teaser %s%s", response.url, page_no, len(links),
                    listing.newest or "undated", f"; stop: {stop}" if stop else "")
        if stop is None and listing.next_url:
            yield self._request(listing.next_url, self.parse_listing, 5, page_no=page_no + 1)

    def parse_sitemap(self, response: Any, depth: int = 0, page_no: int | None = None) -> Iterator[scrapy.Request]:
        """XML (news) sitemap or index -> article requests in the date window (``since`` in backfill,
        the last ``days`` days in recent mode; undated entries kept). Children of indexes share one budget
        per crawl (``max_pages``), nested to ``CORPUS_SITEMAP_MAX_DEPTH``. (``page_no``: what requests an
        earlier version queued in a JOBDIR carry; such a child counts as depth 1.)"""
        depth = 1 if page_no is not None and not depth else depth
        stats = self.crawler.stats
        stats.inc_value(names.PAGE_SITEMAP)
        sitemap = discovery.read_sitemap(response)
        if not sitemap.kind:
            logger.error("sitemap %s could not be read: %s", response.url, sitemap.error)
            stats.inc_value(names.SITEMAP_INVALID)
            return
        oldest = self.args.since if self.mode == "backfill" else self.today() - timedelta(days=self.args.days)
        if sitemap.kind == "sitemapindex":
            children = self.sitemap_budget.children(sitemap, response.url, depth, oldest, self.rebase)
            if children.too_deep:
                stats.inc_value(names.SITEMAP_TOO_DEEP, children.too_deep)
                self._warn_once("too_deep", "sitemap index %s is nested deeper than CORPUS_SITEMAP_MAX_DEPTH=%d; "
                                "its %d child sitemaps (and those of any deeper index) are not read", response.url,
                                self.sitemap_budget.max_depth, children.too_deep)
            if children.over_budget:
                stats.inc_value(names.SITEMAP_STOPPED_BUDGET, children.over_budget)
                self._warn_once("budget", "sitemap budget of %d files reached (max_pages); %d child sitemaps of %s "
                                "and any later index are not read (raise max_pages to read them)",
                                self.args.max_pages, children.over_budget, response.url)
            for url in children.take:
                yield self._request(url, self.parse_sitemap, 0, depth=depth + 1)
            return
        found = discovery.sitemap_links(sitemap, response.url, oldest, self.is_article_url, self.rebase)
        if found.older:
            stats.inc_value(names.SITEMAP_OLDER_THAN_WINDOW, found.older)
        yield from self.article_requests(list(found.links), "sitemap", response.url, "CORPUS_MAX_SITEMAP_LINKS",
                                         meta=found.links)
        logger.info("sitemap %s: %d article links of %d entries", response.url, len(found.links),
                    len(sitemap.entries))

    @cached_property
    def sitemap_budget(self) -> discovery.SitemapBudget:
        return discovery.SitemapBudget(self.args.max_pages, self.config.sitemap_max_depth)

    @cached_property
    def config(self) -> CrawlSettings:
        """The crawl's ``CORPUS_*`` settings, typed."""
        return CrawlSettings.from_settings(self.crawler.settings)

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        """A warning the first time, debug lines after (the stats count every case)."""
        logger.log(logging.DEBUG if key in self._warned else logging.WARNING, message, *args)
        self._warned.add(key)

    # --- articles, comments, errors -------------------------------------------------------------
    def parse_article(self, response: Any) -> Iterator[Any]:
        """Article page -> the :class:`~corpus.items.Article`, then its comments (all comment pages)."""
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value(names.NOT_HTML)
            logger.warning("not an HTML page, skipped: %s (%s)", response.url,
                           (response.headers.get("Content-Type") or b"?").decode("latin-1"))
            return
        stats.inc_value(names.PAGE_ARTICLE)
        text, problem = page_text(response.body, response.text, response.encoding)
        if problem in ("empty", "binary"):
            stats.inc_value(names.unreadable(problem))
            served = (response.headers.get("Content-Type") or b"?").decode("latin-1")
            logger.warning("%s skipped: %s", response.url,
                           "empty page" if problem == "empty" else f"binary content served as {served}")
            return
        if problem:
            stats.inc_value(names.encoding_repaired(problem))
            logger.info("%s: declared encoding was wrong, read as %s", response.url, problem)
        page = Page(response.url, text)
        read = read_article(page, self.parser, outlet=self.name, outlet_name=self.outlet_name, own_url=self.unbase,
                            hints=response.request.meta if response.request is not None else {},
                            crawl_run=run_name(self.crawler))
        for field_name, layer in read.extraction.layers.items():
            stats.inc_value(names.extracted(field_name, layer))
        for field_name in read.extraction.errors:
            stats.inc_value(names.extracted(field_name, "error"))
        if page.errors:
            stats.inc_value(names.PAGE_ERRORS, len(page.errors))
        article = read.article
        if self.mode == "backfill" and self.args.since and article.published_raw:
            published = parse_date(article.published_raw)
            if published is not None and discovery.as_date(published.value) < self.args.since:
                stats.inc_value(names.SKIPPED_OLDER_THAN_SINCE)
                return
        yield from self.comment_pages.start(read.comments, article, response)

    def parse_comment_page(self, response: Any, article: Any, comments: list[Any], pages: int,
                           visited: tuple[str, ...] = ()) -> Iterator[Any]:
        yield from self.comment_pages.page(response, article, comments, pages, visited)

    def comment_page_failed(self, failure: Any) -> Iterator[Any]:
        return errback_output(self.crawler, failure.request, self.comment_pages.failed(failure))

    _comment_page_failed = comment_page_failed  # the errback's name in requests an earlier version queued

    def on_error(self, failure: Any) -> Iterator[Any]:
        """Log a failed request in one line (no traceback) and count it by kind; it has no output."""
        self._count_failure(failure)
        return errback_output(self.crawler, failure.request, None)

    def _count_failure(self, failure: Any) -> None:
        request, stats = failure.request, self.crawler.stats
        response = getattr(failure.value, "response", None)
        if response is not None:  # HttpError: the server answered, with an error status
            stats.inc_value(names.http_error(response.status))
            logger.warning("HTTP %s for %s", response.status, request.url)
            return
        message = failure.getErrorMessage()
        if "larger than download max size" in message:  # DOWNLOAD_MAXSIZE: a page no article has
            stats.inc_value(names.TOO_LARGE)
            logger.error("skipped %s: larger than DOWNLOAD_MAXSIZE (%d bytes)", request.url,
                         self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            return
        stats.inc_value(names.download_error(failure.type.__name__))
        logger.error("could not fetch %s: %s", request.url, message)

    def unwritten(self) -> tuple[int, int]:
        """Articles waiting for a comment page, and the items they would write with their comments."""
        return self.comment_pages.unwritten()

    def closed(self, reason: str) -> None:
        held, items = self.unwritten()
        if held:  # a stopped crawl: their comment pages were still queued
            self.crawler.stats.set_value(names.COMMENTS_HELD_AT_CLOSE, held)
            self.crawler.stats.set_value(names.COMMENTS_HELD_ITEMS_AT_CLOSE, items)
            logger.warning(
                "%d articles (%d items with their comments) were waiting for a comment page when the crawl "
                "stopped (%s) and were not written%s", held, items, reason,
                "; the same JOBDIR picks them up" if self.crawler.settings.get("JOBDIR") else
                "; run with -s JOBDIR=... to continue a stopped crawl where it was")
        if "seen" in self.__dict__ and self.seen is not None:
            self.seen.close()
