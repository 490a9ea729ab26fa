"""The shared base of every outlet spider: discovery, article building, comments.

An outlet spider (``spiders/<outlet>.py``) only says *where* articles are
(feeds, section fronts, listings, sitemaps, which URLs are articles) and *how*
to read its pages (an :class:`~corpus.extract.OutletParser` subclass). This
module does the rest:

* discovery by ``mode``: ``recent`` reads the feeds and section fronts;
  ``backfill`` pages through listings (``?page=N``) until the teasers are
  older than ``since``, and reads the XML sitemap, both bounded by
  ``max_pages``;
* article pages -> :class:`~corpus.items.Article` with raw byline and dates
  (the pipelines normalise them) and the extraction layer of every field,
  counted in the crawl stats under ``corpus/extract/<field>/<layer>``;
* reader comments -> :class:`~corpus.items.Comment`, following comment
  pagination; the article is emitted first, its comments after it.

Spider arguments are validated by :class:`CrawlArgs` (``scrapy crawl cicero -a
mode=backfill -a since=2023-01-01``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urljoin, urlsplit

import scrapy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scrapy.http import TextResponse

from corpus import __version__
from corpus.extract import OutletParser, Page, extract
from corpus.extract.navigation import CommentReader, listing_dates, next_listing_page
from corpus.extract.page import page_text
from corpus.items import Article, Comment
from corpus.normalize.dates import BERLIN, parse_date
from corpus.normalize.text import clean_text
from corpus.normalize.urls import bounded_id, canonicalize_url, content_hash, url_id
from corpus.runs import run_name
from corpus.search.config import EsConfig
from corpus.sitemaps import parse_sitemap
from corpus.state import SeenFilter, local_state

if TYPE_CHECKING:
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Never articles, whatever the outlet: files, feeds and technical paths.
_FILE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|mp[34]|xml|rss|json|zip|css|js)$", re.I)


Source = Literal["listings", "sitemap"]
_ALL_SOURCES: tuple[Source, ...] = ("listings", "sitemap")


class CrawlArgs(BaseModel):
    """Spider arguments (``-a name=value``), validated before the crawl starts."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["recent", "backfill"] = Field(
        "recent", description="recent: feeds and section fronts; backfill: listings and sitemap"
    )
    since: date | None = Field(
        None, description="backfill: stop paging listings at teasers older than this (YYYY-MM-DD, or "
        "30d for 30 days before today, as scheduled backfills use it)"
    )
    max_pages: int = Field(
        50, ge=1, le=100_000, description="at most this many pages per listing (backfill), and this many "
        "child sitemaps of sitemap indexes in all"
    )
    scope: Literal["in", "all"] = Field(
        "in", description="in: keep only Korea–Russia–China articles; all: keep everything"
    )
    sources: list[Source] = Field(
        default_factory=lambda: list(_ALL_SOURCES),
        description="backfill: discovery sources, comma-separated",
    )
    listings: list[str] = Field(
        default_factory=list,
        description="backfill: extra listing paths (topic/tag pages), comma-separated",
    )
    days: int = Field(3, ge=1, le=365, description="recent: news sitemap entries published in the last N days")
    incremental: bool = Field(
        True, description="skip articles the corpus already has, except those published within the "
        "outlet's revisit window (CORPUS_REVISIT_DAYS)"
    )
    comments: bool = Field(True, description="collect reader comments")
    max_comment_pages: int = Field(50, ge=1, description="comment pages followed per article")
    base_url: str | None = Field(
        None, description="origin to crawl instead of the outlet's (a mirror or a local copy)"
    )

    @field_validator("sources", "listings", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("since", mode="before")
    @classmethod
    def _relative_since(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{1,4}d", value.strip()):
            return datetime.now(BERLIN).date() - timedelta(days=int(value.strip()[:-1]))
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http(s) origin such as https://www.cicero.de")
        return f"{parts.scheme}://{parts.netloc}"


def validate_args(spider_cls: type[OutletSpider], kwargs: dict[str, Any]) -> CrawlArgs:
    """Validate spider arguments; raise ``ValueError`` with a readable message."""
    known = {k: v for k, v in kwargs.items() if k in CrawlArgs.model_fields}
    # names with a leading underscore come from tools such as scrapyd (_job)
    unknown = sorted(k for k in set(kwargs) - set(known) - set(spider_cls.extra_args) if k[:1] != "_")
    if unknown:
        raise ValueError(
            f"unknown argument(s) for spider {spider_cls.name!r}: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(CrawlArgs.model_fields))}"
        )
    try:
        return CrawlArgs(**known)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"invalid argument for spider {spider_cls.name!r}: {problems}") from None


class OutletSpider(scrapy.Spider):
    """Base class of the outlet spiders; see the module docstring."""

    # --- what an outlet declares -------------------------------------------------
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
    # articles published this many days back are fetched again (edits, new comments);
    # None: the CORPUS_REVISIT_DAYS setting
    revisit_days: ClassVar[float | None] = None
    # pages that need a browser (see corpus/browser.py): False, True (listing, article and
    # comment pages), "listings", or "meta" (only requests with meta browser=True)
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
        self.host = urlsplit(self.origin).hostname or ""
        # the site's domain without "www.", so feeds on sub-domains (rss.dw.com) are allowed too
        self.domain = self.host.removeprefix("www.")
        self.allowed_domains = [self.domain]
        self.mode = self.args.mode
        self.scope = self.args.scope

    # --- discovery -----------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on the crawled origin."""
        return urljoin(self.origin + "/", path)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.mode == "recent":
            for path in self.feeds:
                yield scrapy.Request(self.url(path), callback=self.parse_feed, errback=self.on_error,
                                     priority=10)
            for path in self.news_sitemaps:
                yield scrapy.Request(self.url(path), callback=self.parse_sitemap, errback=self.on_error,
                                     priority=10)
            for path in self.sections:
                yield scrapy.Request(self.url(path), callback=self.parse_listing, errback=self.on_error,
                                     priority=5)
            return
        if "listings" in self.args.sources:
            for path in (*self.sections, *self.topics, *self.args.listings):
                yield scrapy.Request(
                    self.url(path), callback=self.parse_listing, errback=self.on_error, priority=5,
                    cb_kwargs={"page_no": 0},
                )
        if "sitemap" in self.args.sources:
            for path in self.sitemaps:
                yield scrapy.Request(self.url(path), callback=self.parse_sitemap, errback=self.on_error,
                                     priority=5)

    def is_article_url(self, url: str) -> bool:
        """True for links to article pages on the crawled origin (not shop, author, feed ...)."""
        parts = urlsplit(url)
        # articles live on the site's own host (with or without www.), not on shop. or rss. hosts
        host = (parts.hostname or "").removeprefix("www.")
        if parts.scheme not in ("http", "https") or host != self.domain:
            return False
        path = parts.path.rstrip("/") or "/"
        if _FILE_EXTENSION.search(path):
            return False
        if self.deny_path is not None and self.deny_path.search(path):
            return False
        return bool(self.article_path.match(path))

    @property
    def seen(self) -> SeenFilter | None:
        """The incremental filter (``None`` when the crawl fetches every article link)."""
        if "_seen" not in self.__dict__:
            settings = self.crawler.settings
            self._seen: SeenFilter | None = None
            if self.args.incremental and settings.getbool("CORPUS_INCREMENTAL", True):
                es = EsConfig.from_settings(settings)
                days = self.revisit_days
                if days is None:
                    days = settings.getfloat("CORPUS_REVISIT_DAYS", 3)
                from corpus.topics import default_tagger

                # the identity of this crawl's scope: articles another scope dropped are fetched again
                scope = None if self.scope == "all" else default_tagger(
                    settings.get("CORPUS_TOPIC_TERMS_FILE") or None).digest
                self._seen = SeenFilter(days, es=es, local=local_state(settings), stats=self.crawler.stats,
                                        scope=scope)
        return self._seen

    def article_requests(self, urls: list[str], meta: dict[str, dict[str, Any]] | None = None
                         ) -> Iterator[scrapy.Request]:
        """Requests for the article links of one page, minus what the corpus already has (one lookup).

        ``meta`` gives request meta per URL (a news sitemap's date and title)."""
        meta = meta or {}
        requests = [self.article_request(url, **meta.get(url, {})) for url in dict.fromkeys(urls)]
        if self.seen is None or not requests:
            yield from requests
            return
        ids = [url_id(canonicalize_url(self.unbase(r.url))) for r in requests]
        wanted = self.seen.wanted(ids)
        for request, article_id in zip(requests, ids, strict=True):
            if article_id in wanted:
                yield request

    def unwritten(self) -> tuple[int, int]:
        """Articles waiting for a comment page, and the items they would write with their comments."""
        held = self.__dict__.get("_held_articles") or {}
        return len(held), sum(held.values())

    def closed(self, reason: str) -> None:
        held = self.__dict__.get("_held_articles")
        if held:  # a stopped crawl: their comment pages were still queued
            self.crawler.stats.set_value("corpus/comments/held_at_close", len(held))
            self.crawler.stats.set_value("corpus/comments/held_items_at_close", sum(held.values()))
            logger.warning(
                "%d articles (%d items with their comments) were waiting for a comment page when the crawl "
                "stopped (%s) and were not written%s", len(held), sum(held.values()), reason,
                "; the same JOBDIR picks them up" if self.crawler.settings.get("JOBDIR") else
                "; run with -s JOBDIR=... to continue a stopped crawl where it was")
        seen = self.__dict__.get("_seen")
        if seen is not None:
            seen.close()

    def article_request(self, url: str, **meta: Any) -> scrapy.Request:
        # Drop query and fragment: "?page=1#comments" is a comment page, "#comments" noise.
        parts = urlsplit(url)
        clean = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return scrapy.Request(clean, callback=self.parse_article, errback=self.on_error, meta=meta,
                              priority=1)

    def on_error(self, failure: Any) -> None:
        """Log a failed request in one line (no traceback) and count it by kind."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        if response is not None:  # HttpError: the server answered, with an error status
            self.crawler.stats.inc_value(f"corpus/errors/http/{response.status}")
            logger.warning("HTTP %s for %s", response.status, request.url)
            return
        message = failure.getErrorMessage()
        if "larger than download max size" in message:  # DOWNLOAD_MAXSIZE: a page no article has
            self.crawler.stats.inc_value("corpus/errors/too_large")
            logger.error("skipped %s: larger than DOWNLOAD_MAXSIZE (%d bytes)", request.url,
                         self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            return
        self.crawler.stats.inc_value(f"corpus/errors/download/{failure.type.__name__}")
        logger.error("could not fetch %s: %s", request.url, message)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """RSS 2.0 or Atom feed -> article requests."""
        self.crawler.stats.inc_value("corpus/pages/feed")
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("corpus/errors/feed_not_text")
            logger.error("feed %s is not text, skipped", response.url)
            return
        response.selector.remove_namespaces()
        links = response.xpath("//item/link/text() | //entry/link/@href").getall()
        articles = []
        for link in links:
            url = urljoin(response.url, link.strip())
            if self.is_article_url(url):
                articles.append(url)
            else:
                self.crawler.stats.inc_value("corpus/links/not_article")
        logger.info("feed %s: %d article links of %d", response.url, len(articles), len(links))
        articles = self._cap(list(dict.fromkeys(articles)), "feed", response.url, "CORPUS_MAX_LINKS_PER_PAGE")
        yield from self.article_requests(articles)

    def parse_listing(self, response: Response, page_no: int | None = None) -> Iterator[scrapy.Request]:
        """Section or topic page -> article requests, and the next page in backfill mode."""
        self.crawler.stats.inc_value("corpus/pages/listing")
        links: dict[str, None] = {}
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if url not in links and self.is_article_url(url):
                links[url] = None
        found = len(links)
        yield from self.article_requests(self._cap(list(links), "listing", response.url, "CORPUS_MAX_LINKS_PER_PAGE"))
        if found == 0:
            self.crawler.stats.inc_value("corpus/listing/empty")
            logger.warning("listing %s yielded no article links: its URL or the article URL pattern of %s "
                           "may be outdated", response.url, self.name)
        if page_no is None:  # recent mode: the front page only
            logger.info("listing %s: %d article links", response.url, found)
            return
        page = Page(response.url, response.text)
        dates = [d for d in (parse_date(t) for t in listing_dates(page, self.parser)) if d is not None]
        newest = max((_as_date(d.value) for d in dates), default=None)
        next_url = next_listing_page(page, self.parser)
        stop = None
        if next_url is None:
            stop = "no next page"
        elif self.args.since and newest is not None and newest < self.args.since:
            stop = f"teasers older than since={self.args.since}"
            self.crawler.stats.inc_value("corpus/listing/stopped_since")
        elif page_no + 1 >= self.args.max_pages:
            stop = f"max_pages={self.args.max_pages} reached"
            self.crawler.stats.inc_value("corpus/listing/stopped_max_pages")
            if self.args.since:  # the backfill does not reach back as far as it was asked to
                self.crawler.stats.inc_value("corpus/listing/short_of_since")
                logger.warning("listing %s stopped at max_pages=%d before reaching since=%s (newest teaser of its "
                               "last page: %s); raise max_pages to go further back", response.url,
                               self.args.max_pages, self.args.since, newest or "undated")
        logger.info(
            "listing %s (page %d): %d article links, newest teaser %s%s",
            response.url, page_no, found, newest or "undated", f"; stop: {stop}" if stop else "",
        )
        if stop is None and next_url is not None:
            yield scrapy.Request(
                response.urljoin(next_url), callback=self.parse_listing, errback=self.on_error,
                priority=5, cb_kwargs={"page_no": page_no + 1},
            )

    def parse_sitemap(self, response: Response, depth: int = 0, page_no: int | None = None
                      ) -> Iterator[scrapy.Request]:
        """XML (news) sitemap or sitemap index -> article requests within the date window.

        The window is ``since`` in backfill mode and the last ``days`` days in recent mode;
        entries without a date are kept. Child sitemaps of an index share one budget per crawl
        (``max_pages``) and are followed to ``CORPUS_SITEMAP_MAX_DEPTH`` levels of nesting;
        a sitemap's article links are capped at ``CORPUS_MAX_SITEMAP_LINKS``. (``page_no`` is
        what requests queued in a JOBDIR by an earlier version carry: such a child counts as depth 1.)
        """
        if page_no is not None and not depth:
            depth = 1
        self.crawler.stats.inc_value("corpus/pages/sitemap")
        sitemap = parse_sitemap(response.body)
        if not sitemap.kind:
            logger.error("sitemap %s could not be read: %s", response.url, sitemap.error)
            self.crawler.stats.inc_value("corpus/errors/sitemap_invalid")
            return
        oldest = self.args.since if self.mode == "backfill" else self.today() - timedelta(days=self.args.days)
        if sitemap.kind == "sitemapindex":
            yield from self._child_sitemaps(response, sitemap.entries, depth, oldest)
            return
        articles: dict[str, dict[str, Any]] = {}
        for entry in sitemap.entries:
            loc = self.rebase(urljoin(response.url, entry.loc))
            published = parse_date(entry.date)
            if oldest and published is not None and _as_date(published.value) < oldest:
                self.crawler.stats.inc_value("corpus/sitemap/older_than_window")
                continue
            if self.is_article_url(loc) and loc not in articles:
                # a news sitemap's date and title stand in when the page itself lacks them
                articles[loc] = {"sitemap_published": entry.date, "sitemap_title": entry.news_title}
        found = self._cap(list(articles), "sitemap", response.url, "CORPUS_MAX_SITEMAP_LINKS")
        yield from self.article_requests(found, meta=articles)
        logger.info("sitemap %s: %d article links of %d entries", response.url, len(articles), len(sitemap.entries))

    def _child_sitemaps(self, response: Response, entries: list[Any], depth: int, oldest: date | None
                        ) -> Iterator[scrapy.Request]:
        """The child sitemaps of an index worth reading, newest first, within the crawl's budget and depth."""
        children: list[tuple[str, date | None]] = []
        for entry in entries:
            lastmod = parse_date(entry.lastmod)
            modified = _as_date(lastmod.value) if lastmod is not None else None
            if oldest and modified is not None and modified < oldest:
                continue  # a child sitemap not touched since the window began
            children.append((self.rebase(urljoin(response.url, entry.loc)), modified))
        if not children:
            return
        stats = self.crawler.stats
        max_depth = self.crawler.settings.getint("CORPUS_SITEMAP_MAX_DEPTH", 2)
        if depth + 1 > max_depth:
            stats.inc_value("corpus/sitemap/too_deep", len(children))
            self._warn_once("too_deep", "sitemap index %s is nested deeper than CORPUS_SITEMAP_MAX_DEPTH=%d; its %d "
                            "child sitemaps (and those of any deeper index) are not read", response.url, max_depth,
                            len(children))
            return
        # newest first (stable: undated ones keep their order, after the dated), so that a short
        # budget reads the most recent part of the archive
        children.sort(key=lambda child: (child[1] is not None, child[1] or date.min), reverse=True)
        used = self.__dict__.get("_sitemaps_requested", 0)
        take = children[:max(0, self.args.max_pages - used)]
        if len(take) < len(children):
            left = len(children) - len(take)
            stats.inc_value("corpus/sitemap/stopped_budget", left)
            self._warn_once("budget", "sitemap budget of %d files reached (max_pages); %d child sitemaps of %s and "
                            "any later index are not read (raise max_pages to read them)", self.args.max_pages, left,
                            response.url)
        self._sitemaps_requested = used + len(take)
        for loc, _ in take:
            yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.on_error,
                                 cb_kwargs={"depth": depth + 1})

    def _cap(self, links: list[str], source: str, url: str, setting: str) -> list[str]:
        """At most the setting's number of links from one page; a warning names the page and what was left out."""
        limit = self.crawler.settings.getint(setting)
        if limit <= 0 or len(links) <= limit:
            return links
        left = len(links) - limit
        self.crawler.stats.inc_value("corpus/links/capped", left)
        logger.warning("%s %s lists %d article links; following the first %d (%s), %d left out",
                       source, url, len(links), limit, setting, left)
        return links[:limit]

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        """A warning the first time, debug lines after (the stats count every case)."""
        warned = self.__dict__.setdefault("_warned", set())
        logger.log(logging.DEBUG if key in warned else logging.WARNING, message, *args)
        warned.add(key)

    def today(self) -> date:
        """Today in Berlin: the end of the ``days`` window of news sitemaps."""
        return datetime.now(BERLIN).date()

    def rebase(self, url: str) -> str:
        """Map the outlet's own absolute URLs onto ``base_url`` when crawling a mirror."""
        if self.origin != self.base_url and url.startswith(self.base_url):
            return self.origin + url[len(self.base_url):]
        return url

    def unbase(self, url: str) -> str:
        """Map a URL on ``base_url`` back onto the outlet's own origin."""
        if self.origin != self.base_url and url.startswith(self.origin):
            return self.base_url + url[len(self.origin):]
        return url

    # --- articles and comments -----------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        """Article page -> the :class:`Article`, then its comments (all comment pages)."""
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("corpus/errors/not_html")
            logger.warning("not an HTML page, skipped: %s (%s)", response.url,
                           (response.headers.get("Content-Type") or b"?").decode("latin-1"))
            return
        stats.inc_value("corpus/pages/article")
        text, problem = page_text(response.body, response.text, response.encoding)
        if problem in ("empty", "binary"):
            stats.inc_value(f"corpus/errors/{problem}_page")
            served = (response.headers.get("Content-Type") or b"?").decode("latin-1")
            logger.warning("%s skipped: %s", response.url,
                           "empty page" if problem == "empty" else f"binary content served as {served}")
            return
        if problem:
            stats.inc_value(f"corpus/encoding/repaired/{problem}")
            logger.info("%s: declared encoding was wrong, read as %s", response.url, problem)
        page = Page(response.url, text)
        result = extract(page, self.parser)
        hints = response.request.meta if response.request is not None else {}
        for field_name, key in (("published", "sitemap_published"), ("title", "sitemap_title")):
            if field_name not in result.values and hints.get(key):
                result.values[field_name] = hints[key]
                result.layers[field_name] = "sitemap"
        for field_name, layer in result.layers.items():
            stats.inc_value(f"corpus/extract/{field_name}/{layer}")
        for field_name in result.errors:
            stats.inc_value(f"corpus/extract/{field_name}/error")
        if page.errors:
            stats.inc_value("corpus/errors/page", len(page.errors))
        reader = CommentReader(page, self.parser)
        article = self.build_article(response, page, result.values, result.layers, reader)
        if self.mode == "backfill" and self.args.since and article.published_raw:
            published = parse_date(article.published_raw)
            if published is not None and _as_date(published.value) < self.args.since:
                stats.inc_value("corpus/skipped/older_than_since")
                return
        comments = self.build_comments(reader, article, response, offset=0) if self.args.comments else []
        yield from self._continue_comments(reader, article, comments, response, pages=1,
                                           visited=(_page_key(response.url),))

    def parse_comment_page(
        self, response: Response, article: Article, comments: list[Comment], pages: int,
        visited: tuple[str, ...] = (),
    ) -> Iterator[Any]:
        self.crawler.stats.inc_value("corpus/pages/comments")
        reader = CommentReader(Page(response.url, response.text), self.parser)
        known = {c.id for c in comments}
        new = [c for c in self.build_comments(reader, article, response, offset=len(comments)) if c.id not in known]
        for position, comment in enumerate(new, start=len(comments) + 1):
            comment.position = position
        visited = (*visited, _page_key(response.url))
        if not new:  # the page repeats what earlier pages showed (a site that ignores ?page=N): the end
            self._comments_stop(article, response.url, "pager_loop", "the comment page shows no new comment")
            yield from self._emit(article, comments)
            return
        yield from self._continue_comments(reader, article, comments + new, response, pages + 1, visited)

    def _continue_comments(
        self, reader: CommentReader, article: Article, comments: list[Comment],
        response: Response, pages: int, visited: tuple[str, ...] = (),
    ) -> Iterator[Any]:
        """Follow the next comment page, or emit the article with its comments.

        The article travels with the comment-page request (its ``comment_count`` is known only at the
        end), so every way that request can end emits it: its callback, its errback (HTTP error,
        network, robots.txt), and the cases where it is never sent: the page limit, a pager loop and a
        next page on another host. The request bypasses the duplicate and offsite filters, which
        would drop it without calling either (``dont_filter``); this method checks both itself.
        """
        next_href = reader.next_page() if self.args.comments else None
        if next_href:
            url = response.urljoin(next_href.strip()).split("#", 1)[0]
            if pages >= self.args.max_comment_pages:
                self._comments_stop(article, url, "stopped_max_pages",
                                    f"max_comment_pages={self.args.max_comment_pages} reached", logging.INFO)
            elif not self._on_site(url):
                self._comments_stop(article, url, "offsite_page", "the next comment page is on another host")
            elif _page_key(url) in visited:
                self._comments_stop(article, url, "pager_loop", "the pager links back to a page already read")
            else:
                self._held[article.id or article.url] = len(comments) + 1
                yield scrapy.Request(
                    url, callback=self.parse_comment_page, errback=self._comment_page_failed, priority=2,
                    dont_filter=True,
                    cb_kwargs={"article": article, "comments": comments, "pages": pages, "visited": visited},
                )
                return
        yield from self._emit(article, comments)

    def _on_site(self, url: str) -> bool:
        """A URL the offsite filter would let through: the crawled domain or one of its sub-domains."""
        host = (urlsplit(url).hostname or "").lower()
        return host == self.domain or host.endswith("." + self.domain)

    def _comments_stop(self, article: Article, url: str, reason: str, message: str,
                       level: int = logging.WARNING) -> None:
        self.crawler.stats.inc_value(f"corpus/comments/{reason}")
        logger.log(level, "comments of %s end before %s: %s; the article goes out with what was collected",
                   article.url, url, message)

    def _comment_page_failed(self, failure: Any) -> Iterator[Any]:
        """A comment page that cannot be fetched must not lose the article or earlier comments."""
        request = failure.request
        logger.warning("comment page %s failed (%s); keeping what was collected", request.url, failure.value)
        self.crawler.stats.inc_value("corpus/errors/comment_page")
        yield from self._emit(request.cb_kwargs["article"], request.cb_kwargs["comments"])

    @property
    def _held(self) -> dict[str, int]:
        """Articles waiting for a comment page (id -> the items they would write), for the close."""
        return self.__dict__.setdefault("_held_articles", {})

    def _emit(self, article: Article, comments: list[Comment]) -> Iterator[Any]:
        self._held.pop(article.id or article.url, None)
        article.comment_count = len(comments) if self.args.comments else None
        yield article
        yield from comments

    def build_article(
        self, response: Response, page: Page, values: dict[str, Any], layers: dict[str, str],
        reader: CommentReader,
    ) -> Article:
        """Turn extracted values into an :class:`Article` with raw (not yet normalised) fields."""
        # Ids come from the outlet's own URL, so a crawl of a mirror (base_url) yields the same ids.
        canonical = canonicalize_url(self.unbase(page.canonical_url or response.url))
        authors = values.get("authors")
        body = values.get("body")
        image = values.get("image")
        article = Article(
            id=url_id(canonical),
            url=response.url,
            canonical_url=canonical,
            outlet=self.name,
            outlet_name=self.outlet_name or None,
            language=_language(values.get("language")),
            section=values.get("section"),
            kicker=values.get("kicker"),
            title=values.get("title"),
            teaser=values.get("teaser"),
            body=body.text if body else None,
            subheadings=list(body.subheadings) if body else [],
            byline_raw=authors if isinstance(authors, str) else None,
            authors=list(authors) if isinstance(authors, list) else [],
            author_organizations=list(values.get("organizations") or []),
            published_raw=values.get("published"),
            modified_raw=values.get("modified"),
            crawled_at=datetime.now(BERLIN).isoformat(timespec="seconds"),
            keywords=list(values.get("keywords") or []),
            image=image,
            paywalled=bool(values.get("paywalled")),
            comments_closed=reader.closed(),
            extraction=dict(layers),
            crawl_run=run_name(self.crawler),
            software_version=__version__,
        )
        article.content_hash = content_hash(article.title, article.teaser, article.body)
        return article

    def build_comments(
        self, reader: CommentReader, article: Article, response: Response, offset: int
    ) -> list[Comment]:
        comments: list[Comment] = []
        crawled_at = datetime.now(BERLIN).isoformat(timespec="seconds")
        limit = max(0, self.crawler.settings.getint("CORPUS_MAX_COMMENTS", 5000) - offset)
        found = reader.comments(limit=limit + 1)  # one more tells whether there are more
        if len(found) > limit:
            self.crawler.stats.inc_value("corpus/comments/capped")
            logger.warning("%s: more than %d comments for the article; keeping the first %d (CORPUS_MAX_COMMENTS)",
                           response.url, limit + offset, limit + offset)
            found = found[:limit]
        for position, raw in enumerate(found, start=offset + 1):
            outlet_id = raw.get("comment_id")
            text = raw.get("text")
            if outlet_id:
                comment_id = bounded_id(f"{self.name}-{outlet_id}")
            else:
                comment_id = "{}-{}".format(self.name, content_hash(
                    article.id, raw.get("author"), raw.get("published_raw"), text)[:20])
            parent = raw.get("parent_id")
            comments.append(Comment(
                id=comment_id,
                comment_id=outlet_id,
                article_id=article.id,
                article_url=article.canonical_url or article.url,
                article_title=article.title,
                outlet=self.name,
                author=raw.get("author"),
                published_raw=raw.get("published_raw"),
                title=raw.get("title"),
                text=text,
                parent_id=bounded_id(f"{self.name}-{parent}") if parent else None,
                position=position,
                crawled_at=crawled_at,
                crawl_run=run_name(self.crawler),
                software_version=__version__,
            ))
        self.crawler.stats.inc_value("corpus/comments/found", len(comments))
        return comments


def _page_key(url: str) -> str:
    """A page's URL without fragment, for telling comment pages apart."""
    return url.split("#", 1)[0]


def _as_date(value: date | datetime) -> date:
    return value.astimezone(BERLIN).date() if isinstance(value, datetime) else value


def _language(value: str | None) -> str | None:
    if not value:
        return None
    return clean_text(value.replace("_", "-").split("-")[0].lower())
