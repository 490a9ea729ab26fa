"""One page in, one normalised article record out: what ``corpus extract`` prints.

The layers are those the spiders use (:func:`corpus.extract.layers.extract`
with the outlet's parser, chosen by the URL's host); the normalisation is
that of the pipelines (German dates, bylines and agencies, clean text).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from corpus.extract.layers import OutletParser, extract, printed
from corpus.extract.page import Page, read_page
from corpus.normalize.bylines import resolve_authors
from corpus.normalize.dates import parse_date
from corpus.normalize.text import clean_multiline, clean_text


@lru_cache(maxsize=1)
def _parsers_by_host() -> dict[str, type[OutletParser]]:
    """The outlet parsers of all project spiders, by the host of their ``base_url``."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
    parsers: dict[str, type[OutletParser]] = {}
    for name in loader.list():
        spider = loader.load(name)
        host = urlsplit(getattr(spider, "base_url", "") or "").hostname
        parser = getattr(spider, "parser", None)
        if host and parser is not None:
            parsers[host.removeprefix("www.")] = parser
    return parsers


def parser_for(url: str) -> type[OutletParser]:
    """The outlet parser for a URL's host (``www.`` ignored), else the generic one."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    parsers = _parsers_by_host()
    while host:
        if host in parsers:
            return parsers[host]
        host = host.partition(".")[2]
    return OutletParser


def read_html(path: str | Path) -> str:
    """A saved page, plain or gzipped, read as a crawl reads a response (see :func:`~corpus.extract.page.read_page`):
    size bounded, declared encoding honoured and repaired; ``ValueError`` for an empty, binary or too large file."""
    return read_page(str(path))


def extract_article(html: str, url: str, reference: datetime | None = None) -> dict[str, Any]:
    """Extract and normalise one article page.

    Args:
        html: the page.
        url: where it was fetched from (chooses the outlet parser, resolves links).
        reference: when it was fetched, for relative dates ("vor 3 Stunden").

    Returns:
        title, kicker, teaser, authors, agencies, author_organizations, published_at, published_precision,
        modified_at, section, keywords, image, paywalled, language, body, and
        ``extraction`` (the layer that filled each field).
    """
    page = Page(url, html)
    result = extract(page, parser_for(url))
    values = result.values
    raw_authors = values.get("authors")
    byline = resolve_authors(
        raw_authors if isinstance(raw_authors, list) else [],
        raw_authors if isinstance(raw_authors, str) else None,
    )
    published = parse_date(values.get("published"), reference)
    modified = parse_date(values.get("modified"), reference)
    body = values.get("body")
    image = values.get("image")
    language = values.get("language")
    return {
        "url": url,
        "title": clean_text(values.get("title")),
        "kicker": clean_text(values.get("kicker")),
        "teaser": clean_text(values.get("teaser")),
        "authors": byline.authors,
        "agencies": byline.agencies,
        # a newsroom or the outlet credited instead of a person ("BR24 Redaktion", "kicker")
        "author_organizations": [] if byline.authors or byline.agencies else list(values.get("organizations") or []),
        "published_at": published.isoformat() if published else None,
        "published_precision": published.precision if published else None,
        "modified_at": modified.isoformat() if modified else None,
        "section": clean_text(values.get("section")),
        "keywords": list(values.get("keywords") or []),
        "image": image,
        "paywalled": bool(values.get("paywalled")),
        "language": language.replace("_", "-").split("-")[0].lower() if isinstance(language, str) else None,
        "body": clean_multiline(body.text) if body else None,
        # the teaser is the printed standfirst, not only a description in the metadata
        "teaser_printed": printed(page, values.get("teaser")),
        "extraction": result.layers,
    }
