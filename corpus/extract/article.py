"""One saved page in, the article a crawl would write out: what ``corpus extract`` prints.

The outlet's parser is chosen by the URL's host; the page is read as a crawl reads it
(:mod:`corpus.build`) and the article goes through the crawl's pipelines (:mod:`corpus.runner`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from corpus.extract.layers import OutletParser, printed
from corpus.extract.page import Page, read_page


@lru_cache(maxsize=1)
def _spiders() -> dict[str, Any]:
    """The project's spider classes, by name."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
    return {name: loader.load(name) for name in loader.list()}


@lru_cache(maxsize=1)
def _spiders_by_host() -> dict[str, Any]:
    """The project's spider classes, by the host of their ``base_url`` (``www.`` left out)."""
    spiders: dict[str, Any] = {}
    for spider in _spiders().values():
        host = urlsplit(getattr(spider, "base_url", "") or "").hostname
        if host and getattr(spider, "parser", None) is not None:
            spiders[host.removeprefix("www.")] = spider
    return spiders


def spider_named(name: str | None) -> Any:
    """The spider class called ``name``, ``None`` when there is none."""
    return _spiders().get(name or "")


def spider_for(url: str) -> Any:
    """The spider class of a URL's host (``www.`` and sub-domains ignored), ``None`` for another site."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    spiders = _spiders_by_host()
    while host:
        if host in spiders:
            return spiders[host]
        host = host.partition(".")[2]
    return None


def parser_for(url: str) -> type[OutletParser]:
    """The outlet parser for a URL's host, else the generic one."""
    spider = spider_for(url)
    return spider.parser if spider is not None else OutletParser


def read_html(path: str | Path) -> str:
    """A saved page, plain or gzipped, read as a crawl reads a response (see :func:`~corpus.extract.page.read_page`):
    size bounded, declared encoding honoured and repaired; ``ValueError`` for an empty, binary or too large file."""
    return read_page(str(path))


def extract_article(html: str, url: str, reference: datetime | None = None) -> dict[str, Any]:
    """The article a crawl would write for this page, as a dict.

    The page is read by the outlet's parser (chosen by the URL's host) through :func:`corpus.build.read_article`
    and passed through the crawl's pipelines (:class:`corpus.runner.ItemRunner`, without the storage ones,
    with ``scope=all`` so that nothing is dropped for its topic). Besides the item's fields:
    ``comments`` (the reader comments on this page, as the crawl writes them; ``comment_count`` counts
    them), ``teaser_printed`` (whether the teaser is printed on the page, not only in its metadata) and,
    when a pipeline dropped the article as a crawl would, ``dropped`` with the reason.

    Args:
        html: the page.
        url: where it was fetched from.
        reference: when it was fetched (relative dates such as "vor 3 Stunden" are read against it).
    """
    from corpus.build import read_article, read_comments
    from corpus.runner import ItemRunner
    from corpus.tz import BERLIN

    spider = spider_for(url)
    page = Page(url, html)
    crawled_at = (reference.astimezone(BERLIN) if reference else datetime.now(BERLIN)).isoformat(timespec="seconds")
    read = read_article(page, spider.parser if spider else OutletParser,
                        outlet=spider.name if spider else (urlsplit(url).hostname or "web"),
                        outlet_name=getattr(spider, "outlet_name", None), crawled_at=crawled_at)
    comments, _ = read_comments(read.comments, read.article, outlet=read.article.outlet, crawled_at=crawled_at)
    read.article.comment_count = len(comments)  # this page's: a crawl adds those of further comment pages
    article, *rest = ItemRunner().run([read.article, *comments])
    record = dataclasses.asdict(article.item)
    record["comments"] = [dataclasses.asdict(c.item) for c in rest if not c.dropped]
    # the teaser is the printed standfirst, not only a description in the metadata
    record["teaser_printed"] = printed(page, record.get("teaser"), record.get("body"))
    if article.dropped:
        record["dropped"] = article.dropped
    return record
