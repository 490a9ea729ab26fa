"""Is a fetched page an article? The page decides, not its URL.

An outlet's feed or news sitemap is its own list of articles, so every link it lists is fetched
(:class:`corpus.discovery.ArticleUrls`), whatever shape its URL has; a URL scheme the spider does
not know yet loses nothing. What comes back is an article when it says so, or reads like one:

* schema.org JSON-LD of an article type (``NewsArticle``, ``ReportageNewsArticle``, ...);
* ``og:type`` ``article``;
* a dated body of real text: a publication date and at least :data:`MIN_WORDS` words;
* or a URL in the shape of the outlet's ``article_path`` (the spider's own knowledge of its
  article pages; such pages were always kept, and the pipelines still refuse one without title
  or text).

Anything else (a section front, a video page, a gallery listed in a feed) is counted as
``corpus/pages/not_article`` with the shape of its path (:func:`path_shape`), so a candidate rule
that lets the wrong pages through shows up in the crawl's health (:mod:`corpus.outlethealth`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from corpus.extract import Page
from corpus.extract.page import ARTICLE_TYPES

MIN_WORDS = 80  # "a body of real text": also what the crawl's health counts as a body
TYPES = ARTICLE_TYPES | {"AskPublicNewsArticle", "SatiricalArticle", "ScholarlyArticle", "TechArticle"}
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class PageKind:
    article: bool
    evidence: str  # why: "json-ld NewsArticle", "og:type article", "dated text", "url", or what was missing


def _ld_type(page: Page) -> str | None:
    for obj in page.json_ld:
        types = obj.get("@type")
        for kind in types if isinstance(types, list) else [types]:
            if isinstance(kind, str) and kind in TYPES:
                return kind
    return None


def page_kind(page: Page, published_raw: str | None, body: str | None, url_is_article: bool) -> PageKind:
    """Whether ``page`` is an article, and the evidence (see the module docstring)."""
    kind = _ld_type(page)
    if kind:
        return PageKind(True, f"json-ld {kind}")
    og_type = (page.meta.get("og:type") or "").strip().lower()
    if og_type == "article" or og_type.startswith("article."):
        return PageKind(True, "og:type article")
    words = len((body or "").split())
    if published_raw and words >= MIN_WORDS:
        return PageKind(True, "dated text")
    if url_is_article:
        return PageKind(True, "url")
    return PageKind(False, f"no article markup, {'dated' if published_raw else 'undated'}, {words} words"
                           f"{f', og:type {og_type}' if og_type else ''}")


def path_shape(url: str) -> str:
    """The shape of a URL's path, to group pages: digits become ``N``, long slugs ``*``
    (``/de/live-tv/s-100817`` -> ``/de/live-tv/s-N``,
    ``/politik/kim-in-moskau-id123.html`` -> ``/politik/*-idN.html``)."""
    shaped = []
    for segment in unquote(urlsplit(url).path).split("/"):
        if not segment:
            continue
        segment = _DIGITS.sub("N", segment)
        if len(segment) > 15 and "-" in segment:
            tail = segment.rsplit("-", 1)[1]
            segment = f"*-{tail}" if ("N" in tail or "." in tail) and len(tail) <= 15 else "*"
        shaped.append(segment)
    return "/" + "/".join(shaped)
