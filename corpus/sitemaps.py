"""XML sitemaps, news sitemaps included: every ``<url>`` with its nested ``news:`` fields.

Scrapy's sitemap reader keeps only the direct children of ``<url>``, so the
``<news:news>`` block (publication date, title, keywords) never reaches a
spider. :func:`parse_sitemap` reads the whole entry, namespace-agnostic, from
plain or gzipped XML, and never raises on broken input (it returns what it
could read and says so).
"""

from __future__ import annotations

import gzip
import io
import logging
from dataclasses import dataclass, field

from lxml import etree

logger = logging.getLogger(__name__)

_MAX_UNZIPPED = 100 * 1024 * 1024  # a sitemap is at most 50 MB by the protocol; refuse bombs


@dataclass
class SitemapEntry:
    """One ``<url>`` (or ``<sitemap>`` of an index)."""

    loc: str
    lastmod: str | None = None
    news_title: str | None = None
    news_published: str | None = None
    news_keywords: list[str] = field(default_factory=list)

    @property
    def date(self) -> str | None:
        """The best date the entry gives: the news publication date, else lastmod."""
        return self.news_published or self.lastmod


@dataclass
class Sitemap:
    kind: str  # "urlset", "sitemapindex" or "" when unreadable
    entries: list[SitemapEntry]
    error: str | None = None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(body: bytes) -> Sitemap:
    """Read a sitemap or sitemap index.

    Args:
        body: the response body, XML or gzipped XML.

    Returns:
        A :class:`Sitemap`; ``kind`` is empty and ``error`` set when the body is not a sitemap.
    """
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
                body = f.read(_MAX_UNZIPPED + 1)
        except OSError as exc:
            return Sitemap("", [], f"broken gzip: {exc}")
        if len(body) > _MAX_UNZIPPED:
            return Sitemap("", [], "sitemap larger than 100 MB unzipped")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return Sitemap("", [], f"not XML: {exc}")
    if root is None:
        return Sitemap("", [], "empty document")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return Sitemap("", [], f"not a sitemap (root element <{kind}>)")
    entries = []
    for element in root:
        if _local(element.tag) not in ("url", "sitemap"):
            continue
        loc = None
        for child in element:
            if _local(child.tag) == "loc" and child.text:
                loc = child.text.strip()
        if not loc:
            continue
        keywords = _text(element, "keywords")
        entries.append(SitemapEntry(
            loc=loc,
            lastmod=next((c.text.strip() for c in element if _local(c.tag) == "lastmod" and c.text), None),
            news_title=_text(element, "title"),
            news_published=_text(element, "publication_date"),
            news_keywords=[k.strip() for k in keywords.split(",") if k.strip()] if keywords else [],
        ))
    return Sitemap(kind, entries)
