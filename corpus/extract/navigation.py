"""What a page says beyond the article's fields: listing pagination and reader comments.

An outlet declares where these are with class constants of its parser (CSS, or XPath when the
expression starts with ``/``); these readers do the work, the same for every outlet:

* :func:`listing_dates` and :func:`next_listing_page` read a section or topic page
  (``LISTING_DATE`` with ``LISTING_DATE_PATTERN``, ``NEXT_PAGE``);
* :class:`CommentReader` reads the reader comments on an article or comment page: ``COMMENT``
  (one element per comment), its parts (``COMMENT_AUTHOR``, ``COMMENT_DATE``, ``COMMENT_TITLE``,
  ``COMMENT_TEXT``, or ``COMMENT_HEADER`` printed as "author | date", ``COMMENT_BODY`` as the
  text's fallback), how replies are threaded (nested inside their parent, or in a container of
  class ``COMMENT_REPLIES`` after it, as Drupal does), whether comments are closed
  (``COMMENTS_CLOSED_TEXT``, ``COMMENT_FORM``) and the next comment page (``COMMENT_NEXT``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from lxml import etree

from corpus.extract.page import Page
from corpus.extract.text import compiled, node_text
from corpus.normalize.text import clean_multiline, clean_text

_TEXTS = etree.XPath(".//text()", smart_strings=False)
_ANCHOR = etree.XPath('preceding-sibling::*[1][self::a][starts-with(@id, "comment-")]/@id', smart_strings=False)
_PERMALINK = re.compile(r"/comment/(\d+)")


@lru_cache(maxsize=256)
def selector(expression: str) -> etree.XPath:
    """A compiled selector: XPath when ``expression`` starts with ``/``, else CSS."""
    if expression.startswith("/"):
        return etree.XPath(expression, smart_strings=False)
    return compiled(expression)


def select(page: Page, expression: str | None) -> list[Any]:
    """The elements of ``page`` matching an outlet's selector (none when it declares none)."""
    return selector(expression)(page.tree) if expression else []


# --- listings ----------------------------------------------------------------------------------

def listing_dates(page: Page, spec: Any) -> list[str]:
    """Raw dates of the teasers on a listing page (for a backfill's ``since``)."""
    pattern = re.compile(spec.LISTING_DATE_PATTERN) if spec.LISTING_DATE_PATTERN else None
    dates = []
    for element in select(page, spec.LISTING_DATE):
        text = node_text([element]) or ""
        if pattern is None:
            dates.append(text)
        elif match := pattern.search(text):
            dates.append(match.group(1))
    return [d for d in dates if d]


def next_listing_page(page: Page, spec: Any) -> str | None:
    """The link to the next page of a listing, if any (as the page gives it)."""
    for element in select(page, spec.NEXT_PAGE):
        if element.get("href"):
            return str(element.get("href"))
    return None


# --- reader comments ---------------------------------------------------------------------------

class CommentReader:
    """The reader comments of one page, as the outlet's parser class (``spec``) declares them."""

    def __init__(self, page: Page, spec: Any) -> None:
        self.page = page
        self.spec = spec

    def closed(self) -> bool | None:
        """True when the page says comments are closed, False when it offers the form, else ``None``."""
        if self.spec.COMMENTS_CLOSED_TEXT:
            text = " ".join(t for element in select(self.page, self.spec.COMMENT_SECTION) for t in _TEXTS(element))
            if self.spec.COMMENTS_CLOSED_TEXT in text:
                return True
        if self.spec.COMMENT_FORM and select(self.page, self.spec.COMMENT_FORM):
            return False
        return None

    def next_page(self) -> str | None:
        """The next page of comments, absolute and without fragment (``?page=2#comments``)."""
        for element in select(self.page, self.spec.COMMENT_NEXT):
            href = element.get("href")
            if href:
                return urldefrag(urljoin(self.page.url, href)).url
        return None

    def comments(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The comments in page order (at most ``limit``): dicts with ``comment_id``, ``author``,
        ``published_raw``, ``title``, ``text`` and ``parent_id`` (the outlet's ids)."""
        spec = self.spec
        nodes = select(self.page, spec.COMMENT)
        members = set(nodes)
        nodes = nodes[:limit]
        # replies nested inside their parent: a part belongs to the nearest comment around it
        nested = not spec.COMMENT_REPLIES and any(self._owner(n, members) is not None for n in nodes)
        ids = {node: self._comment_id(node) for node in nodes}
        comments = []
        for node in nodes:

            def parts(css: str | None, node: Any = node) -> list[Any]:
                found = selector(css)(node) if css else []
                return [f for f in found if self._owner(f, members) is node] if nested else found

            author, published = self._header(node, parts)
            paragraphs = [node_text([p]) for p in parts(spec.COMMENT_TEXT)]
            text = "\n\n".join(p for p in paragraphs if p)
            if not text and spec.COMMENT_BODY:
                text = clean_multiline("\n\n".join(t for body in parts(spec.COMMENT_BODY) for t in _TEXTS(body))) or ""
            parent = self._parent(node, members)
            titles = parts(spec.COMMENT_TITLE)
            comments.append({
                "comment_id": ids[node],
                "author": author,
                "published_raw": published,
                "title": node_text(titles if spec.COMMENT_HEADER else titles[:1]),
                "text": text or None,
                "parent_id": (ids.get(parent) or self._comment_id(parent)) if parent is not None else None,
            })
        return comments

    def _header(self, node: Any, parts: Any) -> tuple[str | None, str | None]:
        """(author, date): from their own elements, else from a header printed "author | date"."""
        spec = self.spec
        if not spec.COMMENT_HEADER:
            authors, dates = parts(spec.COMMENT_AUTHOR), parts(spec.COMMENT_DATE)
            return node_text(authors[:1]), node_text(dates[:1])
        header = parts(spec.COMMENT_HEADER)
        if not header:
            return None, None
        author = node_text([a for h in header for a in selector(spec.COMMENT_AUTHOR)(h)])
        published = node_text([d for h in header for d in selector(spec.COMMENT_DATE)(h)])
        if not (author and published):
            left, _, right = (node_text(header[:1]) or "").partition("|")
            author = author or clean_text(left)
            published = published or clean_text(right)
        return author, published

    @staticmethod
    def _owner(element: Any, members: set[Any]) -> Any:
        return next((a for a in element.iterancestors() if a in members), None)

    def _parent(self, node: Any, members: set[Any]) -> Any:
        """The comment a reply answers: the one around it, or the one before its reply container."""
        replies = self.spec.COMMENT_REPLIES
        if not replies:
            return self._owner(node, members)
        for ancestor in node.iterancestors():
            if replies in (ancestor.get("class") or "").split():
                return next((s for s in ancestor.itersiblings(preceding=True) if s in members), None)
        return None

    @staticmethod
    def _comment_id(element: Any) -> str | None:
        """The outlet's id of a comment: a data attribute, the digits of its ``id``, the anchor before it
        (``<a id="comment-559871">``), or its permalink (``/comment/559871``)."""
        for key in ("data-comment-id", "data-id", "data-cid"):
            if element.get(key):
                return str(element.get(key))
        match = re.search(r"\d+", element.get("id") or "")
        if match:
            return match.group()
        anchor = _ANCHOR(element)
        if anchor:
            return str(anchor[0]).removeprefix("comment-")
        for link in element.iter("a"):
            found = _PERMALINK.search(link.get("href") or "")
            if found:
                return found.group(1)
        return None
