"""A page parsed once: the element tree, its ``<meta>`` tags and its JSON-LD.

Every extraction layer reads from the same :class:`Page`, so a page is parsed
exactly once however many fields and layers look at it. No Scrapy imports:
the same code serves the spiders and ``corpus`` commands on saved files.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from parsel import Selector

from corpus.normalize.text import scrub

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report"}
)


@dataclass
class Page:
    """One fetched HTML page.

    Args:
        url: the URL the page was fetched from.
        html: the decoded HTML text.
    """

    url: str
    html: str
    errors: list[str] = field(default_factory=list)

    @cached_property
    def tree(self) -> HtmlElement:
        """The lxml HTML tree (parsed once; the generic extractor reads a copy of it).

        libxml2 stops reading a document nested deeper than 255 elements (2,048 with ``huge_tree``)
        and silently drops the rest of the page. Such a page is read again without its layout
        wrappers (``div``, ``span`` ...: :func:`flatten`), which keeps all of its text, and the
        page records the error.
        """
        html = self.html or "<html></html>"
        try:
            tree, too_deep = _parse(html)
        except (etree.ParserError, ValueError) as exc:  # no element at all, or an encoding declaration
            self.errors.append(f"html: {exc}")
            try:
                tree, too_deep = _parse(html.encode("utf-8", errors="replace"))
            except (etree.ParserError, ValueError):
                return document_fromstring("<html></html>")
        if too_deep:
            self.errors.append(f"html nested deeper than {MAX_DEPTH} elements: read again without its div/span "
                               "wrappers")
            try:
                tree, _ = _parse(flatten(html if isinstance(html, str) else html.decode("utf-8", "replace")))
            except (etree.ParserError, ValueError):
                pass
        return tree

    @cached_property
    def sel(self) -> Selector:
        """The parsel selector over the whole document."""
        return Selector(root=self.tree, type="html", base_url=self.url)

    @cached_property
    def meta(self) -> dict[str, str]:
        """``<meta>`` tags by ``name``/``property``/``itemprop`` (lower-cased); first one wins."""
        tags: dict[str, str] = {}
        for node in _METAS(self.tree):
            key = node.attrib.get("property") or node.attrib.get("name") or node.attrib.get("itemprop")
            if key:
                tags.setdefault(key.strip().lower(), node.attrib["content"].strip())
        return tags

    def meta_all(self, key: str) -> list[str]:
        """Every ``<meta>`` value for ``key`` (``article:tag`` can repeat)."""
        key = key.lower()
        return [
            n.attrib["content"].strip()
            for n in _METAS(self.tree)
            if (n.attrib.get("property") or n.attrib.get("name") or "").strip().lower() == key
        ]

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """All JSON-LD objects on the page, with ``@graph`` and top-level arrays flattened.

        Invalid JSON is recorded in :attr:`errors` and skipped, never raised.
        """
        objects: list[dict[str, Any]] = []
        for raw in _JSON_LD(self.tree):
            try:
                # JSON escapes can spell lone surrogates ("\ud800"): made valid here, where they enter
                data = scrub(json.loads(raw.strip().rstrip(";")))
            except (ValueError, RecursionError) as exc:
                self.errors.append(f"invalid JSON-LD: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            objects.extend(_flatten(data))
        return objects

    @cached_property
    def article_ld(self) -> dict[str, Any] | None:
        """The JSON-LD object typed as a news article; of several that disagree, the one whose
        headline the page also gives as og:title or <title> (else the first), noted in :attr:`errors`."""
        articles = []
        for obj in self.json_ld:
            types = obj.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(t in ARTICLE_TYPES for t in types if isinstance(t, str)):
                articles.append(obj)
        if len(articles) <= 1:
            return articles[0] if articles else None
        headlines = {str(a.get("headline") or "").strip() for a in articles}
        if len(headlines) > 1 or len({str(a.get("datePublished")) for a in articles}) > 1:
            self.errors.append(f"{len(articles)} conflicting JSON-LD articles")
            shown = " ".join(filter(None, [self.meta.get("og:title"), self.sel.xpath("string(//title)").get()]))
            for candidate in articles:
                headline = str(candidate.get("headline") or "").strip()
                if headline and headline in shown:
                    return candidate
        return articles[0]

    @cached_property
    def body_text(self) -> str:
        """The text of the page's body outside scripts and styles as one string, whitespace folded."""
        return " ".join("".join(_BODY_TEXTS(self.tree)).split())

    @cached_property
    def canonical_url(self) -> str | None:
        """``<link rel="canonical">`` resolved against the page URL, else ``og:url``."""
        href = self.sel.xpath('//link[@rel="canonical"]/@href').get() or self.meta.get("og:url")
        return urljoin(self.url, href.strip()) if href else None


# queries run on every page, compiled once and read from lxml directly (no selector per result)
_METAS = etree.XPath("//meta[@content]")
# (scripts and styles hold only text: their text nodes are their children)
_BODY_TEXTS = etree.XPath("//body//text()[not(parent::script or parent::style)]", smart_strings=False)
_JSON_LD = etree.XPath('//script[@type="application/ld+json"]/text()', smart_strings=False)

MAX_DEPTH = 2048  # libxml2's limit on nesting with huge_tree (255 without)
# wrappers that carry layout, not text: what a page nested thousands deep is made of
_WRAPPERS = re.compile(r"</?(?:div|span|section|font|center|small|big|b|i|u|s|em|strong|main|aside|header|footer|"
                       r"nav|figure|picture)(?:\s[^>]*)?/?>", re.I)


def _parse(html: str | bytes) -> tuple[HtmlElement, bool]:
    """The tree, and whether libxml2 gave up on the nesting (the rest of the page is then missing)."""
    parser = HTMLParser(huge_tree=True)
    tree = document_fromstring(html, parser=parser)
    return tree, any(e.type == _DEPTH_ERROR for e in parser.error_log)


_DEPTH_ERROR = etree.ErrorTypes.ERR_RESOURCE_LIMIT


def flatten(html: str) -> str:
    """``html`` without layout wrapper tags (their text stays): a page nested too deep to parse becomes readable."""
    return _WRAPPERS.sub(" ", html)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _flatten(graph)
        else:
            yield data
            # a WebPage whose mainEntity is the NewsArticle (fr.de, merkur.de and many more)
            main = data.get("mainEntity")
            if isinstance(main, dict | list):
                yield from _flatten(main)


_MOJIBAKE = re.compile("Ã[\x80-\xbf¤¶¼Ÿ„–—œ]|â€[™œ\x9d“”˜¦]")


def _mojibake(text: str) -> bool:
    """Whether ``text`` shows UTF-8 read as windows-1252 ("Ã¤", "â€™"); the substring tests first
    (the pattern's search over a whole page costs more than the two scans)."""
    return ("Ã" in text or "â€" in text) and _MOJIBAKE.search(text) is not None


# bytes that occur in text: tab, newlines, form feed, carriage return, and everything from space up
_TEXT_BYTES = bytes(range(9, 14)) + bytes(range(32, 256))


def page_text(body: bytes, text: str, encoding: str | None = None) -> tuple[str, str | None]:
    """The page's text with a wrong declared encoding repaired, and what was wrong (``None``: nothing).

    ``body`` is the response's bytes, ``text`` what its declared ``encoding`` made of them.
    Returns ``("", "empty")`` for a page without content and ``("", "binary")`` for bytes
    that are no text at all (an image or archive served as text/html); otherwise the
    text, and ``"windows-1252"`` or ``"utf-8"`` when the declared encoding was wrong:
    windows-1252 bytes declared as UTF-8, or UTF-8 bytes declared as anything else
    (windows-1252, KOI8-R ...). Bytes beyond ASCII that decode as UTF-8 are UTF-8: text in a
    single-byte encoding almost never forms valid UTF-8 sequences.
    """
    if not body.strip():
        return "", "empty"
    head = body[:4096]
    if b"\x00" in head or len(head.translate(None, _TEXT_BYTES)) > len(head) // 20:
        return "", "binary"
    if text.count("\ufffd") > 3:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return body.decode("cp1252", errors="replace"), "windows-1252"
    declared = _codec(encoding)
    if (declared not in (None, "utf-8") or _mojibake(text)) and not body.isascii():
        try:
            repaired = body.decode("utf-8")
        except UnicodeDecodeError:
            return text, None
        if repaired != text:
            return repaired, "utf-8"
    return text, None


def _codec(encoding: str | None) -> str | None:
    """The codec's canonical name (``latin1`` and ``iso-8859-1`` alike), ``None`` when unknown."""
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def read_page(path: str, limit: int = 10 * 1024 * 1024) -> str:
    """A saved page (plain or gzipped HTML) as text, read the way a crawl reads a response.

    At most ``limit`` bytes, also after decompression (a gzip bomb stops there, as a download
    stops at ``DOWNLOAD_MAXSIZE``); the encoding is the one the page declares (BOM, ``<meta
    charset>``), else detected, then repaired as in a crawl (:func:`page_text`).

    Raises:
        ValueError: the file is too large, empty, or not text; the message says which.
        OSError: it cannot be read.
    """
    import gzip

    from w3lib.encoding import html_to_unicode

    with open(path, "rb") as f:
        magic = f.read(2)
        f.seek(0)
        if magic == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=f) as unzipped:
                    body = unzipped.read(limit + 1)
            except (OSError, EOFError) as exc:
                raise ValueError(f"{path}: broken gzip ({exc})") from None
        else:
            body = f.read(limit + 1)
    if len(body) > limit:
        unzipped_note = " unzipped" if magic == b"\x1f\x8b" else ""
        raise ValueError(f"{path}: larger than {limit:,} bytes{unzipped_note} "
                         "(a crawl skips pages over DOWNLOAD_MAXSIZE too)")
    encoding, text = html_to_unicode(None, body)
    text, problem = page_text(body, text, encoding)
    if problem == "empty":
        raise ValueError(f"{path}: empty page, nothing to extract (a crawl skips such pages too)")
    if problem == "binary":
        raise ValueError(f"{path}: not text (binary content); nothing to extract (a crawl skips such pages too)")
    return text
