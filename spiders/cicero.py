"""Cicero (cicero.de): German monthly for political culture, Drupal site.

Discovery: the RSS feed and the section fronts (``mode=recent``); section and
topic listings with Drupal's ``?page=N`` pagination and the XML sitemap
(``mode=backfill``). Articles live at ``/<section>/<slug>``.

Page structure (Drupal): kicker in the ``span`` of the ``[itemprop=headline]``
element, title in its ``h1``, teaser in ``p.lead``, byline and date in
``.teaser-small__metadata`` ("VON FELIX LILL am 6. September 2023"), body in
``.field-name-field-cc-body``, lead image in ``.field--name-field-cc-image``
with "caption / credit" in ``.image-description``. Cicero Plus articles show a
free part, then the Plenigo paywall offer (``.plenigo-paywall``), which is
never body text. Reader comments are Drupal comments: ``article.comment``
with "Name | Do., 7. September 2023 - 10:40", replies in ``div.indented``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from corpus.extract import Body, OutletParser, body_from, node_text
from corpus.extract.text import compiled
from corpus.normalize.text import clean_multiline, clean_text
from corpus.spider import OutletSpider

_HAS_CLASS = 'contains(concat(" ", normalize-space(@class), " "), " {} ")'
_SECTIONS = {
    "aussenpolitik": "Außenpolitik",
    "innenpolitik": "Innenpolitik",
    "wirtschaft": "Wirtschaft",
    "kultur": "Kultur",
}


class CiceroParser(OutletParser):
    """Selectors for cicero.de article pages (Drupal)."""

    ARTICLE = "article.node, main article, article"
    KICKER_XPATH = '//*[@itemprop="headline"]//span[not(ancestor::h1)]'
    TITLE = '[itemprop="headline"] h1, h1'
    TEASER = "p.lead"
    BYLINE = ".teaser-small__metadata"
    IMAGE = ".field--name-field-cc-image img::attr(src)"
    CAPTION = ".image-description"
    BODY = ".field-name-field-cc-body"
    BODY_DROP = (
        ".urban-ad-sign", ".plenigo-paywall", "#plenigo-paywall-start", ".paywall-text",
        ".paywall-offers", ".related-articles", ".author-info", ".social-share", ".image-description",
        ".newsletter-teaser", ".newsletter-box",
    )
    PAYWALL = ".plenigo-paywall, #plenigo-paywall-start, .paywall-text, .paywall-fadeout"
    COMMENTS = "#comments"
    # Comment markup, Drupal 8+ class names first, Drupal 7 ones after them.
    COMMENT_XPATH = f'//*[@id="comments"]//*[{_HAS_CLASS.format("comment")}]'
    # a reply sits in div.indented right after the comment it answers
    PARENT_XPATH = (
        f'ancestor::div[{_HAS_CLASS.format("indented")}][1]'
        f'/preceding-sibling::*[{_HAS_CLASS.format("comment")}][1]'
    )
    COMMENT_HEADER = ".comment__submitted, .comment-submitted, .submitted"
    COMMENT_AUTHOR = ".comment__author, .username, .comment-author"
    COMMENT_DATE = ".comment__date, .comment-date, time"
    COMMENT_TITLE = ".comment__title, h3"
    COMMENT_BODY = ".field-name-comment-body, .comment__content, .field--name-comment-body"
    COMMENT_PARAGRAPHS = ", ".join(f"{b} {t}" for b in COMMENT_BODY.split(", ") for t in ("p", "li"))
    CLOSED_TEXT = "Kommentarfunktion automatisch geschlossen"

    # The JSON-LD/og headline is "kicker - title"; the page's own elements separate them.
    ORDER = {
        "title": ("selector", "jsonld", "meta", "generic"),
        "teaser": ("selector", "jsonld", "meta"),
        "image": ("selector", "jsonld", "meta"),
        "paywalled": ("selector", "jsonld"),
        "body": ("selector", "jsonld", "generic"),
    }

    def _article(self):  # type: ignore[no-untyped-def]
        nodes = self.page.sel.css(self.ARTICLE)
        return nodes[0] if nodes else self.page.sel

    def kicker(self) -> str | None:
        return node_text(self.page.sel.xpath(self.KICKER_XPATH)[:1])

    def _byline(self) -> str | None:
        return node_text(self._article().css(self.BYLINE)[:1])

    def authors(self) -> str | None:
        """The byline as printed; the authors pipeline splits it into people and agencies."""
        byline = self._byline()
        return re.sub(r"\s+am\s+\d.*$", "", byline) if byline else None

    def published(self) -> str | None:
        byline = self._byline() or ""
        match = re.search(r"\bam\s+(\d.*)$", byline)
        return match.group(1) if match else None

    def section(self) -> str | None:
        first = self.page.url.split("://", 1)[-1].split("/")[1:2]
        return _SECTIONS.get(first[0]) if first else None

    def image(self) -> dict[str, Any] | None:
        article = self._article()
        src = article.css(self.IMAGE).get()
        if not src:
            return None
        caption, credit = None, None
        text = node_text(article.css(self.CAPTION))
        if text:
            caption, _, credit = text.rpartition(" / ")
            if not caption:  # no " / ": the whole text is the caption
                caption, credit = credit, None
        return {"url": urljoin(self.page.url, src), "caption": caption or None, "credit": credit or None}

    def paywalled(self) -> bool | None:
        if self.page.sel.css(self.PAYWALL):
            return True
        return False if self.page.sel.css(self.BODY) else None

    def body(self) -> Body | None:
        node = self.page.sel.css(self.BODY)
        return body_from(node[0], drop=self.BODY_DROP) if node else None

    # --- listings -------------------------------------------------------------------
    def listing_dates(self) -> list[str]:
        texts = []
        for node in self.page.sel.css(self.BYLINE):
            match = re.search(r"\bam\s+(\d.*)$", node_text(node) or "")
            if match:
                texts.append(match.group(1))
        return texts

    def next_page(self) -> str | None:
        return self.page.sel.css(
            ".pager__item--next a::attr(href), li.pager-next a::attr(href), a[rel=next]::attr(href)"
        ).get()

    # --- comments -------------------------------------------------------------------
    def comments_closed(self) -> bool | None:
        section = self.page.sel.css(self.COMMENTS)
        # the notice's words, searched in the text of the comment sections (lxml, not a selector per text node)
        texts = (t for element in compiled("#comments, .comments")(self.page.tree) for t in _TEXTS(element))
        if self.CLOSED_TEXT in " ".join(texts):
            return True
        if section.css("form") or self.page.sel.css("form.comment-form"):
            return False
        return None

    def next_comment_page(self) -> str | None:
        return self.page.sel.css(
            "#comments .pager__item--next a::attr(href), #comments li.pager-next a::attr(href), "
            "#comments a[rel=next]::attr(href)"
        ).get()

    def comments(self, limit: int | None = None) -> list[dict[str, Any]]:
        # lxml elements and compiled selectors: a page can hold hundreds of comments
        comments = []
        for element in _COMMENT_NODES(self.page.tree)[:limit]:
            author, published = self._comment_header(element)
            paragraphs = [node_text([p]) for p in compiled(self.COMMENT_PARAGRAPHS)(element)]
            text = "\n\n".join(p for p in paragraphs if p) or clean_multiline(
                "\n\n".join(t for body in compiled(self.COMMENT_BODY)(element) for t in _TEXTS(body))
            )
            parent = _PARENT(element)
            comments.append({
                "comment_id": _comment_id(element),
                "author": author,
                "published_raw": published,
                "title": node_text(compiled(self.COMMENT_TITLE)(element)),
                "text": text or None,
                "parent_id": _comment_id(parent[0]) if parent else None,
            })
        return comments

    def _comment_header(self, element: Any) -> tuple[str | None, str | None]:
        """(author, date) from "Gerhard Lenz | Do., 7. September 2023 - 10:40"; (None, None) if absent."""
        header = compiled(self.COMMENT_HEADER)(element)
        if not header:
            return None, None
        author = node_text([a for h in header for a in compiled(self.COMMENT_AUTHOR)(h)])
        published = node_text([d for h in header for d in compiled(self.COMMENT_DATE)(h)])
        if not (author and published):
            whole = node_text(header[:1]) or ""
            left, _, right = whole.partition("|")
            author = author or clean_text(left)
            published = published or clean_text(right)
        return author, published


_COMMENT_NODES = etree.XPath(CiceroParser.COMMENT_XPATH)
_PARENT = etree.XPath(CiceroParser.PARENT_XPATH)
_TEXTS = etree.XPath(".//text()", smart_strings=False)
_ANCHOR = etree.XPath('preceding-sibling::*[1][self::a][starts-with(@id, "comment-")]/@id', smart_strings=False)


def _comment_id(element: Any) -> str | None:
    """Drupal comment id: data attribute, the anchor before the comment, or the permalink."""
    value = element.get("data-comment-id")
    if value:
        return value
    anchor = _ANCHOR(element)
    if anchor:
        return anchor[0].removeprefix("comment-")
    for link in compiled(".comment__title a")(element):
        match = re.search(r"/comment/(\d+)", link.get("href") or "")
        if match:
            return match.group(1)
    return None


class CiceroSpider(OutletSpider):
    """Cicero: RSS and section fronts (recent); listings and sitemap (backfill)."""

    name = "cicero"
    outlet_name = "Cicero"
    base_url = "https://www.cicero.de"
    feeds = ("/rss.xml",)
    sections = ("/innenpolitik", "/aussenpolitik", "/wirtschaft", "/kultur")
    sitemaps = ("/sitemap.xml",)
    # /<section>/<slug>, older articles with a numeric node id after the slug
    article_path = re.compile(r"^/[a-z0-9-]+/[a-z0-9][a-z0-9-]*[a-z0-9](?:/\d+)?$")
    deny_path = re.compile(
        r"^/(?:autor|autoren|comment|cicero-plus|newsletter[\w-]*|suche|search|user|sites|files|"
        r"taxonomy|thema|themen|tag|tags|schlagwort|impressum|datenschutz|kontakt|agb|"
        r"service[\w-]*|abo[\w-]*|shop|rss|feed|node)(?:/|$)"
    )
    parser = CiceroParser
