"""Where articles are: links and dates from feeds, listings and sitemaps, as plain functions.

Each reader takes a fetched response (or page) and returns what it lists; what to follow, and
when to stop, are small decisions here too, so that all of it is tested without a crawler
(``tests/test_discovery.py``). :class:`corpus.spider.OutletSpider` turns the answers into
requests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from parsel import Selector
from scrapy.http import XmlResponse

from corpus.extract import OutletParser, Page
from corpus.extract.navigation import listing_dates, next_listing_page
from corpus.normalize.dates import parse_date
from corpus.normalize.urls import canonicalize_url
from corpus.sitemaps import Sitemap, parse_sitemap
from corpus.tz import BERLIN

# Never articles, whatever the outlet: files, feeds and technical paths.
_FILE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|mp[34]|xml|rss|json|zip|css|js)$", re.I)


def as_date(value: date | datetime) -> date:
    """The Berlin calendar day of a parsed date."""
    return value.astimezone(BERLIN).date() if isinstance(value, datetime) else value


def _folded(path: str) -> str:
    """A path as URL patterns see it: escapes decoded, accents and umlauts folded (``ä`` -> ``a``,
    ``ß`` -> ``ss``), so that an outlet's ``[a-z0-9-]+`` also matches ``putin-ära`` and ``putin-%C3%A4ra``."""
    decoded = unquote(path).replace("ß", "ss").replace("ẞ", "SS")
    return "".join(c for c in unicodedata.normalize("NFKD", decoded) if not unicodedata.combining(c))


class ArticleUrls:
    """Which URLs are an outlet's article pages.

    Every decision is taken on the URL's canonical form (:func:`~corpus.normalize.urls.canonicalize_url`)
    with its path decoded and folded (:func:`_folded`). A URL is a candidate when it is on the
    outlet's own host (``www.`` or not), no file, not the home page and in none of the ``deny``
    patterns (each with the reason the outlet's pages there are not articles). A link that the
    outlet's own feed or news sitemap lists is then a candidate (``listed``): the page decides
    after fetching (:func:`corpus.pagekind.article_page_kind`). A link found on a listing, topic
    page or plain sitemap, where navigation mixes with articles, must also be in the shape of
    ``article_path``.
    """

    def __init__(self, domain: str, article_path: re.Pattern[str], deny: Mapping[str, str] | None = None) -> None:
        self.domain = domain
        self.article_path = article_path
        self.deny = [(re.compile(pattern), reason) for pattern, reason in (deny or {}).items()]

    def why_not(self, url: str, listed: bool = False) -> str | None:
        """``None`` for a candidate, else why not, in words."""
        try:
            canonical = canonicalize_url(url)
        except ValueError:  # "http://host:port:port/", an unclosed IPv6 bracket: no URL to fetch
            return "a malformed URL"
        parts = urlsplit(canonical)
        host = (parts.hostname or "").removeprefix("www.")
        if parts.scheme not in ("http", "https") or host != self.domain:
            return "another site"
        path = _folded(parts.path).rstrip("/") or "/"
        if path == "/":
            return "the home page"
        if _FILE_EXTENSION.search(path):
            return "a file"
        for pattern, reason in self.deny:
            if pattern.search(path):
                return f"deny: {reason}"
        if not listed and not self.article_path.match(path):
            return "not in the shape of article_path (required of links on listings and plain sitemaps)"
        return None

    def __call__(self, url: str) -> bool:
        """A link on a listing, topic page or plain sitemap that is an article candidate."""
        return self.why_not(url) is None

    def listed(self, url: str) -> bool:
        """A link the outlet's feed or news sitemap lists that is an article candidate."""
        return self.why_not(url, listed=True) is None

    def on_site(self, url: str) -> bool:
        """A URL on the domain or one of its sub-domains (what the offsite filter lets through)."""
        host = (urlsplit(url).hostname or "").lower()
        return host == self.domain or host.endswith("." + self.domain)


def feed_links(response: Any) -> list[str]:
    """The links of an RSS 2.0 or Atom feed, absolute, in the feed's order. Read as XML whatever the
    server said it is (a feed served as text/html would lose its ``<link>`` texts to the HTML parser)."""
    selector = response.selector if isinstance(response, XmlResponse) else Selector(text=response.text, type="xml")
    selector.remove_namespaces()
    return [urljoin(response.url, link.strip())
            for link in selector.xpath("//item/link/text() | //entry/link/@href").getall()]


def page_links(response: Any) -> list[str]:
    """Every link of an HTML page, absolute and without fragment, each once, in page order."""
    links: dict[str, None] = {}
    for href in response.css("a::attr(href)").getall():
        links.setdefault(response.urljoin(href.strip()).split("#", 1)[0], None)
    return list(links)


@dataclass
class Listing:
    """What a listing page says about paging back: its teasers' newest date and its next page."""

    newest: date | None
    next_url: str | None


def read_listing(page: Page, parser: type[OutletParser]) -> Listing:
    dates = [d for d in (parse_date(t) for t in listing_dates(page, parser)) if d is not None]
    newest = max((as_date(d.value) for d in dates), default=None)
    next_href = next_listing_page(page, parser)
    return Listing(newest, urljoin(page.url, next_href) if next_href else None)


def listing_stop(listing: Listing, page_no: int, max_pages: int, since: date | None) -> str | None:
    """Why a backfill stops paging a listing here (``None``: it goes on): no next page, teasers older
    than ``since`` (the backfill reached back far enough), or ``max_pages``."""
    if listing.next_url is None:
        return "no next page"
    if since and listing.newest is not None and listing.newest < since:
        return "since"
    if page_no + 1 >= max_pages:
        return "max_pages"
    return None


def older_than(published_raw: str | None, since: date | None) -> bool:
    """Whether an article's printed date is before ``since`` (an undated or unreadable one is not)."""
    if since is None or not published_raw:
        return False
    published = parse_date(published_raw)
    return published is not None and as_date(published.value) < since


def cap(links: list[str], limit: int) -> tuple[list[str], int]:
    """At most ``limit`` links (0: all), and how many were left out."""
    if limit <= 0 or len(links) <= limit:
        return links, 0
    return links[:limit], len(links) - limit


def read_sitemap(response: Any) -> Sitemap:
    """The sitemap or sitemap index of a response (``kind`` empty, ``error`` set when it is none)."""
    return parse_sitemap(response.body)


@dataclass
class SitemapLinks:
    """The article links of a sitemap in the date window, with each one's news date and title."""

    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    older: int = 0


def sitemap_links(sitemap: Sitemap, base: str, oldest: date | None, is_article: Any,
                  rebase: Any = lambda url: url, is_listed: Any = None) -> SitemapLinks:
    """Article links of a sitemap (``urlset``) published on or after ``oldest`` (undated ones are kept).

    An entry with news fields (a news sitemap: the outlet's own list of its articles) is judged by
    ``is_listed`` when given; the others, which may be any page of the site, by ``is_article``.
    """
    found = SitemapLinks()
    for entry in sitemap.entries:
        loc = rebase(urljoin(base, entry.loc))
        published = parse_date(entry.date)
        if oldest and published is not None and as_date(published.value) < oldest:
            found.older += 1
            continue
        news = is_listed is not None and (entry.news_title or entry.news_published)
        if (is_listed if news else is_article)(loc) and loc not in found.links:
            found.links[loc] = {"sitemap_published": entry.date, "sitemap_title": entry.news_title}
    return found


@dataclass
class Children:
    """The child sitemaps of an index to read, and how many were left out (too deep, over budget)."""

    take: list[str]
    too_deep: int = 0
    over_budget: int = 0


class SitemapBudget:
    """One budget of child sitemaps per crawl (``max_pages``), and a limit on nested indexes (``max_depth``)."""

    def __init__(self, max_files: int, max_depth: int) -> None:
        self.max_files = max_files
        self.max_depth = max_depth
        self.used = 0

    def children(self, sitemap: Sitemap, base: str, depth: int, oldest: date | None,
                 rebase: Any = lambda url: url) -> Children:
        """The children of an index touched since ``oldest``, newest first (undated ones after, in order)."""
        dated: list[tuple[str, date | None]] = []
        for entry in sitemap.entries:
            lastmod = parse_date(entry.lastmod)
            modified = as_date(lastmod.value) if lastmod is not None else None
            if oldest and modified is not None and modified < oldest:
                continue  # a child sitemap not touched since the window began
            dated.append((rebase(urljoin(base, entry.loc)), modified))
        if not dated:
            return Children([])
        if depth + 1 > self.max_depth:
            return Children([], too_deep=len(dated))
        dated.sort(key=lambda child: (child[1] is not None, child[1] or date.min), reverse=True)
        take = [url for url, _ in dated[:max(0, self.max_files - self.used)]]
        self.used += len(take)
        return Children(take, over_budget=len(dated) - len(take))
