"""One crawl's discovery: what feeds, listings and sitemaps list, counted and logged.

The readers of :mod:`corpus.discovery` say what a response lists; :class:`LinkFinder`
applies the crawl's arguments and settings to it (the ``since`` and ``days`` windows,
``max_pages``, the link caps), asks the incremental filter which articles the corpus still
needs, and writes the crawl's stats and log lines. It returns URLs, never requests: the
spider (:mod:`corpus.spider`) turns them into requests. Needs only a stats collector (Scrapy's,
or any object with ``inc_value``), no running crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from corpus import discovery
from corpus import stats as names
from corpus.config import CrawlSettings
from corpus.crawlargs import CrawlArgs
from corpus.extract import OutletParser, Page
from corpus.normalize.urls import canonicalize_url, url_id
from corpus.outlethealth import OutletHealth
from corpus.state import SeenFilter

logger = logging.getLogger(__name__)

# (url, request meta) of an article to fetch
Link = tuple[str, dict[str, Any]]
SOURCE = "corpus_source"  # request meta: the feed, sitemap or listing page that listed the article


def article_url(url: str) -> str:
    """Query and fragment dropped: "?page=1#comments" is a comment page, "#comments" noise."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class LinkFinder:
    def __init__(self, *, name: str, args: CrawlArgs, config: CrawlSettings, stats: Any,
                 parser: type[OutletParser], urls: discovery.ArticleUrls,
                 rebase: Callable[[str], str], unbase: Callable[[str], str],
                 today: Callable[[], date], seen: Callable[[], SeenFilter | None],
                 health: OutletHealth | None = None) -> None:
        self.name, self.args, self.config, self.stats, self.parser = name, args, config, stats, parser
        self.urls, self.rebase, self.unbase, self.today = urls, rebase, unbase, today
        self._seen = seen  # made on first use: the crawl's settings are known by then
        self.health = health if health is not None else OutletHealth()
        self.sitemap_budget = discovery.SitemapBudget(args.max_pages, config.sitemap_max_depth)
        self._warned: set[str] = set()

    def articles(self, urls: list[str], source: str, page_url: str, setting: str,
                 meta: dict[str, dict[str, Any]] | None = None) -> list[Link]:
        """The article links of one page to fetch: capped by ``setting``, minus what the corpus has."""
        limit = getattr(self.config, setting.removeprefix("CORPUS_").lower())
        urls, left = discovery.cap(list(dict.fromkeys(urls)), limit)
        if left:
            self.stats.inc_value(names.LINKS_CAPPED, left)
            logger.warning("%s %s lists %d article links; following the first %d (%s), %d left out",
                           source, page_url, len(urls) + left, len(urls), setting, left)
        seen = self._seen()
        if seen is not None and urls:
            ids = [url_id(canonicalize_url(self.unbase(article_url(u)))) for u in urls]
            wanted = seen.wanted(ids)  # one lookup for the page
            urls = [u for u, i in zip(urls, ids, strict=True) if i in wanted]
        # the page that listed each link travels with its request: the crawl's health counts per source
        return [(article_url(url), {**(meta or {}).get(url, {}), SOURCE: page_url}) for url in urls]

    def feed(self, response: Any) -> list[Link]:
        """RSS 2.0 or Atom feed -> the articles to fetch: every link it lists is a candidate (the page decides)."""
        self.stats.inc_value(names.PAGE_FEED)
        if not isinstance(response, TextResponse):
            self.stats.inc_value(names.FEED_NOT_TEXT)
            logger.error("feed %s is not text, skipped", response.url)
            return []
        links = discovery.feed_links(response)
        articles = [url for url in links if self.urls.listed(url)]
        self.health.listed(response.url, "feed", len(links), len(articles))
        if len(links) > len(articles):
            self.stats.inc_value(names.LINKS_NOT_ARTICLE, len(links) - len(articles))
        logger.info("feed %s: %d article links of %d", response.url, len(articles), len(links))
        return self.articles(articles, "feed", response.url, "CORPUS_MAX_LINKS_PER_PAGE")

    def listing(self, response: Any, page_no: int | None) -> tuple[list[Link], str | None]:
        """Section or topic page -> the articles to fetch, and the next page (backfill, until it stops)."""
        links = [url for url in discovery.page_links(response) if self.urls(url)]
        self.stats.inc_value(names.PAGE_LISTING)
        self.health.listed(response.url, "listing", len(links), len(links))
        articles = self.articles(links, "listing", response.url, "CORPUS_MAX_LINKS_PER_PAGE")
        if not links:
            self.stats.inc_value(names.LISTING_EMPTY)
            logger.warning("listing %s yielded no article links: its URL or the article URL pattern of %s "
                           "may be outdated", response.url, self.name)
        if page_no is None:  # recent mode: the front page only
            logger.info("listing %s: %d article links", response.url, len(links))
            return articles, None
        listing = discovery.read_listing(Page(response.url, response.text), self.parser)
        stop = discovery.listing_stop(listing, page_no, self.args.max_pages, self.args.since)
        if stop == "since":
            self.stats.inc_value(names.LISTING_STOPPED_SINCE)
            stop = f"teasers older than since={self.args.since}"
        elif stop == "max_pages":
            self.stats.inc_value(names.LISTING_STOPPED_MAX_PAGES)
            stop = f"max_pages={self.args.max_pages} reached"
            if self.args.since:  # the backfill does not reach back as far as it was asked to
                self.stats.inc_value(names.LISTING_SHORT_OF_SINCE)
                logger.warning("listing %s stopped at max_pages=%d before reaching since=%s (newest teaser of its "
                               "last page: %s); raise max_pages to go further back", response.url,
                               self.args.max_pages, self.args.since, listing.newest or "undated")
        logger.info("listing %s (page %d): %d article links, newest teaser %s%s", response.url, page_no, len(links),
                    listing.newest or "undated", f"; stop: {stop}" if stop else "")
        return articles, (listing.next_url if stop is None else None)

    def sitemap(self, response: Any, depth: int) -> tuple[list[str], list[Link]]:
        """XML (news) sitemap or index -> child sitemaps to read, and the articles to fetch.

        Entries in the date window only (``since`` in backfill, the last ``days`` days in recent
        mode; undated entries kept). Children of indexes share one budget per crawl
        (``max_pages``), nested to ``CORPUS_SITEMAP_MAX_DEPTH``.
        """
        self.stats.inc_value(names.PAGE_SITEMAP)
        sitemap = discovery.read_sitemap(response)
        if not sitemap.kind:
            logger.error("sitemap %s could not be read: %s", response.url, sitemap.error)
            self.stats.inc_value(names.SITEMAP_INVALID)
            return [], []
        oldest = self.args.since if self.args.mode == "backfill" else self.today() - timedelta(days=self.args.days)
        if sitemap.kind == "sitemapindex":
            children = self.sitemap_budget.children(sitemap, response.url, depth, oldest, self.rebase)
            if children.too_deep:
                self.stats.inc_value(names.SITEMAP_TOO_DEEP, children.too_deep)
                self._warn_once("too_deep", "sitemap index %s is nested deeper than CORPUS_SITEMAP_MAX_DEPTH=%d; "
                                "its %d child sitemaps (and those of any deeper index) are not read", response.url,
                                self.sitemap_budget.max_depth, children.too_deep)
            if children.over_budget:
                self.stats.inc_value(names.SITEMAP_STOPPED_BUDGET, children.over_budget)
                self._warn_once("budget", "sitemap budget of %d files reached (max_pages); %d child sitemaps of %s "
                                "and any later index are not read (raise max_pages to read them)",
                                self.args.max_pages, children.over_budget, response.url)
            return list(children.take), []
        found = discovery.sitemap_links(sitemap, response.url, oldest, self.urls, self.rebase, self.urls.listed)
        news = any(entry.news_title or entry.news_published for entry in sitemap.entries)
        self.health.listed(response.url, "news_sitemap" if news else "sitemap", len(sitemap.entries) - found.older,
                           len(found.links))
        if found.older:
            self.stats.inc_value(names.SITEMAP_OLDER_THAN_WINDOW, found.older)
        articles = self.articles(list(found.links), "sitemap", response.url, "CORPUS_MAX_SITEMAP_LINKS",
                                 meta=found.links)
        logger.info("sitemap %s: %d article links of %d entries", response.url, len(found.links),
                    len(sitemap.entries))
        return [], articles

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        """A warning the first time, debug lines after (the stats count every case)."""
        logger.log(logging.DEBUG if key in self._warned else logging.WARNING, message, *args)
        self._warned.add(key)
