"""Extraction layers and the resolver that fills each field from the most reliable one.

Layers, most reliable first: ``jsonld`` (schema.org NewsArticle), ``meta``
(Open Graph, ``article:*``, ``author``, ``date``), ``selector`` (the outlet's
own CSS, see :class:`OutletParser`) and ``generic`` (a fallback that knows no
outlet). An outlet parser may change the order per field (Cicero's JSON-LD
headline glues kicker and title together, so its title comes from the
selector first).

:func:`extract` returns the values together with the layer that filled each
field, so a broken selector shows up in the crawl stats as a field filled by
``generic`` or ``missing`` instead of as silently empty data. An exception in
one layer is recorded and the next layer is tried: one broken field never
loses the article.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from lxml import etree

from corpus.extract.generic import LIVE_SHARE, main_blocks
from corpus.extract.page import Page
from corpus.extract.text import Body, body_from, node_text, prune_links, tidy, trim_tail
from corpus.normalize.bylines import agency_of, resolve_authors
from corpus.normalize.text import clean_text

logger = logging.getLogger(__name__)

# Per field, which layers to try in which order (an outlet parser may override single fields).
# Body: the outlet's own container first; then the generic main text, which keeps sub-headings and
# leaves out boxes and comments; JSON-LD articleBody last (often without headings, sometimes cut).
FIELD_ORDER: dict[str, tuple[str, ...]] = {"body": ("selector", "generic", "jsonld")}

# The parser contract: every field a layer may give, and the type its method returns (or None).
# ``authors`` is a list of names; ``byline`` the credit line as printed ("VON FELIX LILL UND ...").
FIELD_TYPES: dict[str, type] = {
    "title": str, "kicker": str, "teaser": str, "organizations": list, "authors": list, "byline": str,
    "published": str, "modified": str, "section": str, "keywords": list, "image": dict, "paywalled": bool,
    "body": Body, "language": str,
}
# The fields extraction resolves, in this order. ``authors`` is filled by a layer's author list, or,
# when that layer names none, by its byline (a string the authors pipeline splits).
FIELDS = (
    "title", "kicker", "teaser", "organizations", "authors", "published", "modified", "section",
    "keywords", "image", "paywalled", "body", "language",
)
DEFAULT_ORDER = ("jsonld", "meta", "selector", "generic")


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or (
        isinstance(value, Body) and not value
    )


class Layer:
    """A source of field values. Subclasses define a method per field they know."""

    name: ClassVar[str] = "layer"

    def __init__(self, page: Page) -> None:
        self.page = page

    def get(self, field_name: str) -> Any:
        """The layer's value for a field (:data:`FIELDS`), ``None`` when it has none."""
        if field_name not in FIELD_TYPES:
            raise KeyError(f"{field_name!r} is not a field (FIELD_TYPES)")
        value = self._call(field_name)
        if field_name == "authors" and _is_empty(value):
            value = self._call("byline")
        return value

    def _call(self, field_name: str) -> Any:
        method = getattr(self, field_name, None)
        return method() if callable(method) else None


def _names(value: Any) -> list[tuple[str, bool]]:
    """(name, is an organisation) for each entry of a JSON-LD ``author`` value."""
    if isinstance(value, str):
        return [(value, False)]
    if isinstance(value, dict):
        kinds = value.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        organisation = any(isinstance(k, str) and "Organization" in k for k in kinds)
        name = value.get("name")
        if isinstance(name, str):
            return [(name, organisation)]
        parts = [value.get("givenName"), value.get("familyName")]
        if any(isinstance(p, str) for p in parts):
            return [(" ".join(p for p in parts if isinstance(p, str)), organisation)]
        return []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


class JsonLdLayer(Layer):
    name = "jsonld"

    @property
    def ld(self) -> dict[str, Any]:
        return self.page.article_ld or {}

    def title(self) -> str | None:
        headline = clean_text(_str(self.ld.get("headline")))
        og = clean_text(_str(self.page.meta.get("og:title")))
        if headline and og and og != headline and _og_is_the_headline(self.page, headline, og):
            return None  # the meta layer gives og:title
        return headline

    def teaser(self) -> str | None:
        return clean_text(_str(self.ld.get("description")))

    def _credits(self) -> tuple[list[str], list[str]]:
        """JSON-LD authors split into people/agencies and credited organisations.

        An organisation is credited when it is no news agency: the outlet itself ("kicker",
        "sportschau.de") or a newsroom ("Redaktion hessenschau.de"), also when typed as a
        Person ("BR24 Redaktion", "FOCUS online").
        """
        people: list[str] = []
        organisations: list[str] = []
        publisher = self.ld.get("publisher")
        publisher_name = _str(publisher.get("name")) if isinstance(publisher, dict) else None
        outlet = _site_names(self.page) | ({publisher_name.casefold()} if publisher_name else set())
        for raw, is_organisation in _names(self.ld.get("author")):
            name = clean_text(_str(raw))
            if not name:
                continue
            if agency_of(name):
                people.append(name)
            elif is_organisation or name.casefold() in outlet or not _names_anyone([name]):
                if "@" not in name and not name.startswith("http"):
                    organisations.append(name)
            else:
                people.append(name)
        return people, organisations

    def authors(self) -> list[str]:
        return self._credits()[0]

    def organizations(self) -> list[str]:
        return self._credits()[1]

    def published(self) -> str | None:
        return _str(self.ld.get("datePublished"))

    def modified(self) -> str | None:
        return _str(self.ld.get("dateModified"))

    def section(self) -> str | None:
        section = self.ld.get("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        return clean_text(_str(section))

    def keywords(self) -> list[str]:
        return _keyword_list(self.ld.get("keywords"))

    def image(self) -> dict[str, Any] | None:
        image = self.ld.get("image")
        if isinstance(image, list):
            image = image[0] if image else None
        if isinstance(image, dict):
            url = image.get("url") or image.get("contentUrl")
            if isinstance(url, str):
                return {"url": urljoin(self.page.url, url), "caption": clean_text(_str(image.get("caption"))),
                        "credit": clean_text(_str(image.get("copyrightHolder") or image.get("creditText")))}
        if isinstance(image, str):
            return {"url": urljoin(self.page.url, image), "caption": None, "credit": None}
        return None

    def paywalled(self) -> bool | None:
        free = self.ld.get("isAccessibleForFree")
        if isinstance(free, str):
            free = {"true": True, "false": False}.get(free.strip().lower())
        return None if free is None else not bool(free)

    def body(self) -> Body | None:
        text = self.ld.get("articleBody")
        if not isinstance(text, str):
            return None
        if "<" in text:  # markup in the JSON: framework comments (Svelte's HTML_TAG_START), tags
            text = _MARKUP.sub(" ", _HTML_COMMENT.sub("", text))
        paragraphs = [p for p in (clean_text(x) for x in re.split(r"\n\s*\n|\n", text)) if p]
        return Body(paragraphs=paragraphs)

    def language(self) -> str | None:
        return _str(self.ld.get("inLanguage"))


_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")


class MetaLayer(Layer):
    name = "meta"

    def _m(self, *keys: str) -> str | None:
        for key in keys:
            value = clean_text(_str(self.page.meta.get(key)))
            if value:
                return value
        return None

    def title(self) -> str | None:
        return self._m("og:title", "twitter:title")

    def teaser(self) -> str | None:
        return self._m("og:description", "description", "twitter:description")

    AUTHOR_KEYS = ("author", "article:author", "dcterms.creator", "twitter:misc:written by", "parsely-author",
                   "sailthru.author")
    # SEO plugins (Yoast) print the author as a labelled Twitter card pair
    WRITTEN_BY = ("written by", "geschrieben von", "verfasst von", "autor", "autorin")

    def authors(self) -> list[str]:
        values = [self._m(key) for key in self.AUTHOR_KEYS]
        for number in range(1, 5):
            label = (self._m(f"twitter:label{number}") or "").casefold()
            if label in self.WRITTEN_BY:
                values.append(self._m(f"twitter:data{number}"))
        # article:author is often a profile URL, "author" sometimes an e-mail address
        names = [v for v in values if v and not v.startswith("http") and "@" not in v]
        return names[:1]

    def published(self) -> str | None:
        return self._m("article:published_time", "article:published:time", "og:article:published_time",
                       "datepublished", "date", "dcterms.date", "dc.date", "dc.date.issued", "pubdate",
                       "publish-date", "parsely-pub-date", "sailthru.date")

    def modified(self) -> str | None:
        return self._m("article:modified_time", "article:modified:time", "og:updated_time", "datemodified",
                       "dcterms.modified", "last-modified")

    def section(self) -> str | None:
        return self._m("article:section")

    def keywords(self) -> list[str]:
        tags = self.page.meta_all("article:tag")
        if tags:
            return _keyword_list(tags)
        return _keyword_list(self._m("news_keywords", "keywords"))

    def image(self) -> dict[str, Any] | None:
        url = self._m("og:image", "twitter:image")
        return {"url": urljoin(self.page.url, url), "caption": None, "credit": None} if url else None

    def language(self) -> str | None:
        return self._m("og:locale", "language", "content-language")


class GenericLayer(Layer):
    """Outlet-agnostic fallbacks from common HTML structure."""

    name = "generic"

    def title(self) -> str | None:
        heading = clean_text(" ".join(self.page.sel.css("article h1 ::text, h1 ::text").getall()[:20]))
        if heading:
            return heading
        title = clean_text(self.page.sel.xpath("//title/text()").get())
        return re.split(r"\s+[|–—]\s+", title)[0] if title else None

    # Class words of a printed standfirst: "fp-article-heading__excerpt", "detail__excerpt", "article-lead"
    STANDFIRST = re.compile(r"(?:^|[-_\s])(?:excerpt|standfirst|lead|intro|dek|summary|abstract|teaser-?text|"
                            r"sub-?headline)(?:$|[-_\s])", re.IGNORECASE)
    STANDFIRST_NODES = etree.XPath(
        "//body//*[self::p or self::div or self::h2][@class][not(ancestor::nav or ancestor::aside or "
        "ancestor::footer or ancestor::a)]", smart_strings=False)

    def teaser(self) -> str | None:
        """The standfirst the page prints, found by its class: the first of 60 to 600 characters
        that ends a sentence."""
        for node in itertools.islice(self.STANDFIRST_NODES(self.page.tree), 3000):
            if not self.STANDFIRST.search(node.get("class", "")):
                continue
            text = node_text([node])
            if text and 60 <= len(text) <= 600 and re.search(r"[.!?…\"“”»«]$", text):
                return text
        return None

    # Where pages commonly print a byline, most specific first.
    BYLINE = (
        '[itemprop="author"] [itemprop="name"]', '[rel="author"]', ".author-name", ".authorname", ".byline__author",
        ".article-author", ".c-author", ".author", ".byline", 'a[href*="/autor/"]', 'a[href*="/autoren/"]',
    )
    # A German byline printed as text: "Von Seb Dumitru, Lille" (short, outside paragraphs of text).
    # Teaser headlines ("Von Iron Man zu Doctor Doom") sit in links and headings: not bylines.
    VON_XPATH = ('//*[self::span or self::div or self::address or self::small or self::p]'
                 '[starts-with(normalize-space(.), "Von ")][string-length(normalize-space(.)) < 80]'
                 '[not(.//p)][not(ancestor-or-self::a)][not(ancestor::h1 or ancestor::h2 or ancestor::h3 '
                 'or ancestor::h4)][not(ancestor::aside or ancestor::footer)]')

    def byline(self) -> str | None:
        """The first short byline-like text on the page that names someone other than the outlet
        (the authors pipeline splits it)."""
        outlet = _site_names(self.page)
        for text in self._bylines():
            if _names_anyone(text) and text.strip().casefold() not in outlet:
                return text
        return None

    def _bylines(self) -> Iterator[str]:
        for css in self.BYLINE:
            # teasers of other articles sit in asides and footers, with their own bylines
            # the first three outside asides and footers (checked lazily: pages can hold hundreds of author links)
            nodes = (n for n in self.page.sel.css(css) if n.xpath("ancestor::aside or ancestor::footer").get() != "1")
            for node in itertools.islice(nodes, 3):
                text = node_text(node)
                if text and 3 <= len(text) <= 120:
                    yield text
                    break
        for node in self.page.sel.xpath(self.VON_XPATH)[:3]:
            text = node_text(node)
            if text and re.match(r"Von [A-ZÄÖÜ][\w.-]+ [A-ZÄÖÜ]", text):
                yield text
                break
        yield from self._bold_lines()

    # A paragraph that is one bold name line ("<p><strong>Mathatisi Sebusi/Mohalenyane Phakela</strong></p>")
    # before the text's first long paragraph or after its last: how many sites print the byline
    BOLD_LINE = etree.XPath(
        "//p[count(*)=1][strong or b][not(ancestor::aside or ancestor::footer or ancestor::nav)]"
        "[string-length(normalize-space(.)) < 60][normalize-space(.)=normalize-space(strong|b)]"
        # at the top of the text or at its foot, not a bold sub-heading between paragraphs
        "[not(preceding-sibling::p[string-length(normalize-space(.)) > 80]) or "
        "not(following-sibling::p[string-length(normalize-space(.)) > 80])]",
        smart_strings=False,
    )

    def _bold_lines(self) -> Iterator[str]:
        """Bold name lines of the page: only names (no digits, no sentence) count."""
        for node in itertools.islice(self.BOLD_LINE(self.page.tree), 6):
            text = node_text([node])
            if text and not re.search(r"[\d.!?:;]", text) and 2 <= len(text.split()) <= 8 and _capitalised(text):
                yield text

    def published(self) -> str | None:
        """``<time datetime>``, else the first date the page prints (a page with no date in its markup)."""
        return self.page.sel.css("time::attr(datetime)").get() or self._printed_date()

    # short texts with a date shape: "Do 25.04.24 | 14:07 Uhr", "1. April 2025, 15:25 Uhr", "2026.01.29 18:40"
    DATE_TEXTS = etree.XPath(
        "//body//text()[string-length(normalize-space(.)) < 100][not(ancestor::script or ancestor::style or "
        "ancestor::nav or ancestor::footer or ancestor::aside or ancestor::a or ancestor::option)]",
        smart_strings=False,
    )
    DATE_SHAPE = re.compile(
        r"\b\d{1,2}\.\s*(?:\d{1,2}\.|[A-Za-zÄä]{3,}\.?)\s*\d{2,4}\b|\b\d{4}[-./]\d{1,2}[-./]\d{1,2}\b"
    )

    def _printed_date(self) -> str | None:
        """The first printed date on the page, with the time printed beside it when there is one."""
        from corpus.normalize.dates import implausible, parse_date

        for text in itertools.islice(self.DATE_TEXTS(self.page.tree), 2000):
            if not self.DATE_SHAPE.search(text):
                continue
            line = " ".join(text.split())
            parent = text.getparent() if hasattr(text, "getparent") else None
            whole = " ".join((node_text([parent]) or "").split()) if parent is not None else ""
            for candidate in (whole, line) if whole and len(whole) < 100 else (line,):
                parsed = parse_date(candidate, engine="fast")
                if parsed is not None and implausible(parsed) is None:
                    return candidate
        return None

    def section(self) -> str | None:
        segments = [s for s in urlsplit(self.page.url).path.split("/") if s]
        return segments[0].replace("-", " ").title() if len(segments) > 1 else None

    def body(self) -> Body | None:
        """The page's main text (:func:`corpus.extract.generic.main_blocks`), without boxes of links."""
        share = LIVE_SHARE if _is_live_blog(self.page) else None
        blocks = trim_tail(prune_links(main_blocks(self.page.tree, share)))
        return Body(paragraphs=[b.text for b in blocks], subheadings=[b.text for b in blocks if b.kind == "head"])

    def language(self) -> str | None:
        return self.page.sel.xpath("/html/@lang").get()


class OutletParser(Layer):
    """An outlet's own selectors: the ``selector`` layer, and where its pages keep the rest.

    The contract (checked for every outlet by ``tests/test_parsers.py``): an outlet declares
    class constants, and public methods only for fields (:data:`FIELD_TYPES`), each returning
    its field's type or ``None``. Most outlets need constants only:

    * fields: ``ARTICLE`` (the element the field selectors look in; the page when ``None``),
      ``KICKER``, ``TITLE``, ``TEASER``, ``BYLINE`` (the byline as printed) with ``BYLINE_DATE``
      (a pattern whose group is the publication date inside it), ``IMAGE`` (the lead image),
      ``IMAGE_CAPTION`` with ``CREDIT_SEPARATOR`` ("caption / credit"), ``BODY`` with
      ``BODY_DROP`` (boxes inside it that are not text), ``PAYWALL`` (present on paywalled
      pages), ``SECTIONS`` (the section by the URL's first path segment); ``ORDER`` changes
      the layer order of single fields;
    * listings and comments, read by :mod:`corpus.extract.navigation`: ``LISTING_DATE``,
      ``LISTING_DATE_PATTERN``, ``NEXT_PAGE``, ``COMMENT`` and its parts.

    Selectors are CSS, or XPath when they start with ``/``.
    """

    name = "selector"
    ORDER: ClassVar[dict[str, tuple[str, ...]]] = {}
    # --- the article's fields ---
    ARTICLE: ClassVar[str | None] = None
    KICKER: ClassVar[str | None] = None
    TITLE: ClassVar[str | None] = None
    TEASER: ClassVar[str | None] = None
    BYLINE: ClassVar[str | None] = None
    BYLINE_DATE: ClassVar[str | None] = None
    IMAGE: ClassVar[str | None] = None
    IMAGE_CAPTION: ClassVar[str | None] = None
    CREDIT_SEPARATOR: ClassVar[str | None] = None
    BODY: ClassVar[str | None] = None
    BODY_DROP: ClassVar[tuple[str, ...]] = ()
    PAYWALL: ClassVar[str | None] = None
    SECTIONS: ClassVar[dict[str, str]] = {}
    # --- listings (corpus.extract.navigation) ---
    LISTING_DATE: ClassVar[str | None] = None  # the teasers' date (or byline) elements
    LISTING_DATE_PATTERN: ClassVar[str | None] = None  # its group: the date in that text
    NEXT_PAGE: ClassVar[str] = 'a[rel="next"], link[rel="next"]'
    # --- reader comments (corpus.extract.navigation.CommentReader) ---
    COMMENT: ClassVar[str | None] = None  # one element per comment; replies may nest in their parent
    COMMENT_AUTHOR: ClassVar[str] = ".author, .username"
    COMMENT_DATE: ClassVar[str] = "time, .date"
    COMMENT_TITLE: ClassVar[str | None] = None
    COMMENT_TEXT: ClassVar[str] = "p"  # the paragraphs of a comment's text
    COMMENT_BODY: ClassVar[str | None] = None  # its whole text, when it has no paragraphs
    COMMENT_HEADER: ClassVar[str | None] = None  # "author | date", when author and date have no element
    COMMENT_REPLIES: ClassVar[str | None] = None  # class of the container of replies after their parent
    COMMENT_NEXT: ClassVar[str | None] = None  # the link to the next page of comments
    COMMENT_SECTION: ClassVar[str] = "#comments, .comments"
    COMMENTS_CLOSED_TEXT: ClassVar[str | None] = None  # the notice, in the comment section
    COMMENT_FORM: ClassVar[str | None] = None  # present while comments are open

    def _scope(self) -> Any:
        if self.ARTICLE:
            nodes = self.page.sel.css(self.ARTICLE)
            if nodes:
                return nodes[0]
        return self.page.sel

    def _text(self, expression: str | None, scope: Any = None) -> str | None:
        """All text under the first element matching ``expression`` (CSS, or XPath from ``/``), cleaned."""
        if not expression:
            return None
        scope = self.page.sel if scope is None else scope
        nodes = scope.xpath(expression) if expression.startswith("/") else scope.css(expression)
        return node_text(nodes[:1])

    def _byline_parts(self) -> tuple[str | None, str | None]:
        """(byline, date) from ``BYLINE``: the date ``BYLINE_DATE`` finds is cut from the byline."""
        text = self._text(self.BYLINE, self._scope())
        if not text or not self.BYLINE_DATE:
            return text, None
        match = re.search(self.BYLINE_DATE, text)
        if not match:
            return text, None
        return clean_text(text[:match.start()]), match.group(1)

    def kicker(self) -> str | None:
        return self._text(self.KICKER)

    def title(self) -> str | None:
        return self._text(self.TITLE)

    def teaser(self) -> str | None:
        return self._text(self.TEASER)

    def byline(self) -> str | None:
        """The byline as printed; the authors pipeline splits it into people and agencies."""
        return self._byline_parts()[0]

    def published(self) -> str | None:
        return self._byline_parts()[1]

    def section(self) -> str | None:
        if not self.SECTIONS:
            return None
        first = self.page.url.split("://", 1)[-1].split("/")[1:2]
        return self.SECTIONS.get(first[0]) if first else None

    def image(self) -> dict[str, Any] | None:
        if not self.IMAGE:
            return None
        scope = self._scope()
        src = scope.css(self.IMAGE).xpath("@src").get()
        if not src:
            return None
        caption, credit = node_text(scope.css(self.IMAGE_CAPTION)) if self.IMAGE_CAPTION else None, None
        if caption and self.CREDIT_SEPARATOR:
            text = caption
            caption, _, credit = text.rpartition(self.CREDIT_SEPARATOR)
            if not caption:  # no separator: the whole text is the caption
                caption, credit = credit, None
        return {"url": urljoin(self.page.url, src), "caption": caption or None, "credit": credit or None}

    def paywalled(self) -> bool | None:
        if not self.PAYWALL:
            return None
        if self.page.sel.css(self.PAYWALL):
            return True
        return False if self.BODY and self.page.sel.css(self.BODY) else None

    def body(self) -> Body | None:
        if not self.BODY:
            return None
        nodes = self.page.sel.css(self.BODY)
        return body_from(nodes[0], drop=self.BODY_DROP) if nodes else None


@dataclass
class Extraction:
    """Field values and the layer each came from (``missing`` when none had it)."""

    values: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def extract(page: Page, parser_cls: type[OutletParser] = OutletParser) -> Extraction:
    """Fill every field from the first layer, in order, that has a value.

    Args:
        page: the parsed page.
        parser_cls: the outlet's parser (its selectors and its field orders).

    Returns:
        An :class:`Extraction`.
    """
    layers: dict[str, Layer] = {
        "jsonld": JsonLdLayer(page),
        "meta": MetaLayer(page),
        "selector": parser_cls(page),
        "generic": GenericLayer(page),
    }
    result = Extraction()
    site_names = _site_names(page)
    for name in FIELDS:
        result.layers[name] = "missing"
        for layer_name in parser_cls.ORDER.get(name, FIELD_ORDER.get(name, DEFAULT_ORDER)):
            try:
                value = layers[layer_name].get(name)
            except Exception as exc:  # one broken layer must not lose the article
                logger.warning("extraction of %s by %s failed on %s: %r", name, layer_name, page.url, exc)
                result.errors[name] = f"{layer_name}: {exc!r}"
                continue
            if name == "title" and isinstance(value, str):
                value = clean_title(value, site_names, french=_declared_language(page) == "fr")
            if name == "authors" and not _is_empty(value) and not _names_anyone(value):
                continue  # "n-tv NACHRICHTEN", an e-mail address: look further
            if name == "authors" and not _is_empty(value) and _only_the_outlet(value, site_names, result.values):
                # "Lesotho Times", "Der Postillon" credited as a person: the outlet, not an author
                organizations = result.values.setdefault("organizations", [])
                for outlet in value if isinstance(value, list) else [value]:
                    if outlet not in organizations:
                        organizations.append(outlet)
                if result.layers.get("organizations") == "missing":
                    result.layers["organizations"] = layer_name
                continue
            if name in ("published", "modified") and isinstance(value, str) and _implausible_date(value):
                result.errors[name] = f"{layer_name}: implausible date {value[:40]!r}"
                continue  # a conflicting JSON-LD block, a placeholder year: another layer may know
            if name == "body" and isinstance(value, Body):
                value = _tidy_body(value, result.values, site_names, german=_is_german(page))
            if not _is_empty(value):
                result.values[name] = value
                result.layers[name] = layer_name
                break
    _prefer_printed_teaser(result, layers["generic"])
    if isinstance(result.values.get("teaser"), str):
        result.values["teaser"] = strip_byline(result.values["teaser"])
    return result


# "… Bei der Premiere wurde das Hotel wieder lebendig. Von Eva Kirchner-Rätsch": a byline after the teaser
_TRAILING_BYLINE = re.compile(r"(?<=[.!?…\"“”»«])\s+((?:Von|By|VON|BY)\s+[^.!?…]{3,80})$")


def strip_byline(teaser: str) -> str:
    """The teaser without a byline appended to it (the printed teaser, and the body's first paragraph
    where the page repeats it, have none)."""
    from corpus.normalize.bylines import parse_byline

    match = _TRAILING_BYLINE.search(teaser)
    if match and parse_byline(match.group(1)).authors:
        return teaser[:match.start()].rstrip()
    return teaser


def _prefer_printed_teaser(result: Extraction, generic: Layer) -> None:
    """A description from the metadata that the page does not print, or prints cut ("… am
    Dienstag..."), gives way to the standfirst the page prints, when one is found by its class."""
    teaser = result.values.get("teaser")
    if result.layers.get("teaser") not in ("jsonld", "meta") or not isinstance(teaser, str):
        return
    if printed(generic.page, teaser) and not teaser.rstrip().endswith(("...", "…")):
        return
    try:
        standfirst = generic.get("teaser")
    except Exception as exc:  # one broken layer must not lose the article
        result.errors["teaser"] = f"generic: {exc!r}"
        return
    if standfirst:
        result.values["teaser"] = standfirst
        result.layers["teaser"] = "generic"


def _tidy_body(body: Body, values: dict[str, Any], site_names: set[str], german: bool = False) -> Body:
    """The body without boilerplate lines, a repeated headline or the teaser (a field of its own);
    on German pages, a drop cap set apart from its word is joined to it again."""
    title = values.get("title")
    paragraphs = [p for p in body.paragraphs if not (title and clean_title(p, site_names) == title)]
    if german:
        paragraphs = [join_drop_cap(p) for p in paragraphs]
    paragraphs = tidy(paragraphs, title, values.get("kicker"), values.get("teaser"))
    kept = set(paragraphs)
    return Body(paragraphs=paragraphs, subheadings=[h for h in body.subheadings if h in kept])


# A paragraph that opens with a lone capital letter: German has no word of one letter, so it is
# a drop cap that a page or its JSON-LD set apart ("N a endlich!", "D ie Euphorie"). Other
# languages have such words ("A", "I", "W", "V", "Y"): the rule stays German.
_DROP_CAP = re.compile(r"^([A-ZÄÖÜ]) (?=[a-zäöüß])")


def join_drop_cap(paragraph: str) -> str:
    """``"N a endlich!"`` -> ``"Na endlich!"`` (for German text only)."""
    return _DROP_CAP.sub(r"\1", paragraph, count=1)


def _declared_language(page: Page) -> str:
    """The two-letter language the page declares (``<html lang>``, ``og:locale``, ``content-language``),
    ``""`` when none."""
    declared = page.tree.get("lang") or page.meta.get("og:locale") or page.meta.get("content-language") or ""
    return declared.strip().lower()[:2]


def _is_german(page: Page) -> bool:
    return _declared_language(page) == "de"


def printed(page: Page, text: str | None, body: str | None = None) -> bool:
    """Whether ``text`` (a teaser) is printed in the page body, not only given in its metadata.

    A description that is only the opening of the article's first paragraph (often cut: "… am
    Dienstag...") is no printed teaser: pass the article's ``body`` to tell.
    """
    if not text or len(text) < 40:
        return False
    opening = " ".join(text.split())[:30]
    if body and " ".join(body.split()).startswith(opening):
        return False
    # the body's text as one string: a teaser may open with a link ("<a>Samsung</a> hat vor …")
    return opening in page.body_text


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _headings(page: Page) -> tuple[set[str], set[str]]:
    """Folded texts of the page's ``h1``/``h2`` headings: (in the article, in a breadcrumb trail)."""
    article: set[str] = set()
    crumbs: set[str] = set()
    for node in page.sel.xpath("//h1 | //h2")[:30]:
        text = node_text(node)
        if not text:
            continue
        in_trail = node.xpath(
            "ancestor::nav or ancestor::li or ancestor::*[contains(translate(@class, 'CRUMB', 'crumb'), 'crumb')]"
        ).get() == "1"
        if in_trail:
            crumbs.add(_folded(text))
        elif node.root.tag == "h1":
            article.add(_folded(text))
    return article, crumbs


def _og_is_the_headline(page: Page, headline: str, og: str) -> bool:
    """Whether og:title, not the differing JSON-LD headline, is the article's headline.

    JSON-LD often carries the SEO headline ("Kicker: Headline", or a variant for search);
    the heading the article shows decides. The JSON-LD headline loses when og:title is the
    article's own ``h1`` and the JSON-LD headline is not, when the JSON-LD headline is only
    the title of the breadcrumb trail, and when the two differ only in the kicker separator
    ("Kicker - Headline" against "Kicker: Headline").
    """
    if re.sub(r"\s+[-–]\s+", ": ", headline, count=1) == og:
        return True
    article, crumbs = _headings(page)
    headline_key, og_key = _folded(headline), _folded(og)
    if headline_key in article:
        return False
    return og_key in article or headline_key in crumbs


def _implausible_date(value: str) -> bool:
    from corpus.normalize.dates import implausible, parse_date

    parsed = parse_date(value)
    return parsed is not None and implausible(parsed) is not None


# small words inside names and between them ("Ursula von der Leyen", "Anna und Ben", "A/B")
_NAME_PARTICLES = frozenset({"von", "van", "der", "den", "de", "da", "di", "del", "la", "le", "du", "bin", "al", "el",
                             "und", "and", "og", "och", "y", "et", "e", "&", "/", "zu", "ten", "ter"})


def _capitalised(text: str) -> bool:
    """Whether every word of a line is capitalised, as names are (a bold sub-heading such as
    "Iindima kunye nemivuzo" is not)."""
    words = re.split(r"[\s/,]+", text.strip())
    return all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES for w in words if w)


def _is_live_blog(page: Page) -> bool:
    """Whether the page is a live blog (news ticker) by its JSON-LD."""
    for obj in page.json_ld:
        kinds = obj.get("@type")
        if "LiveBlogPosting" in (kinds if isinstance(kinds, list) else [kinds]):
            return True
    return False


def _only_the_outlet(value: Any, site_names: set[str], values: dict[str, Any]) -> bool:
    """Whether an authors value names nothing but the outlet itself (its site name, its host, an
    organisation already credited)."""
    outlet = site_names | {o.casefold() for o in values.get("organizations") or [] if isinstance(o, str)}
    names = value if isinstance(value, list) else [value]
    return all(isinstance(n, str) and n.strip().casefold() in outlet for n in names)


def _names_anyone(value: Any) -> bool:
    """Whether an authors value (names or a byline) yields a person or an agency."""
    byline = resolve_authors(value if isinstance(value, list) else [], value if isinstance(value, str) else None)
    return bool(byline.authors or byline.agencies)


def _str(value: Any) -> str | None:
    # JSON-LD and meta values often carry HTML entities ("zerst&ouml;ren", "&quot;")
    if not isinstance(value, str) or not value.strip():
        return None
    # twice: pages escape the entities of their CMS again ("K&amp;uuml;hlt&amp;uuml;rme")
    for _ in range(2):
        if "&" in value:
            value = html.unescape(value)
    return value.strip()


def _keyword_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    seen: list[str] = []
    for entry in value:
        text = clean_text(entry) if isinstance(entry, str) else None
        if text and text not in seen:
            seen.append(text)
    return seen


_SUFFIX_SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s+[|]\s*")


def _site_names(page: Page) -> set[str]:
    """Names a page's title may end with: og:site_name, application-name, the host."""
    names = {page.meta.get("og:site_name", ""), page.meta.get("application-name", "")}
    host = (urlsplit(page.url).hostname or "").removeprefix("www.")
    names |= {host, host.split(".")[0]}
    return {n.strip().casefold() for n in names if n and n.strip()}


def clean_title(title: str, site_names: set[str], french: bool = False) -> str:
    """Drop trailing site names and dates ("… | Börsen-Zeitung", "… - Golem.de",
    "… | DW | 28.04.2023") and the space some pages put before a colon ("LTE-Patent : Samsung"),
    except in French, whose typography has it ("Guerre en Ukraine : la Russie …")."""
    if not french:
        title = re.sub(r"\s+:\s", ": ", title)
    while True:
        separators = list(_SUFFIX_SEPARATORS.finditer(title))
        if not separators or not _is_site_suffix(title[separators[-1].end():].strip(), site_names):
            return title.strip()
        title = title[: separators[-1].start()]


def _is_site_suffix(tail: str, site_names: set[str]) -> bool:
    key = tail.casefold()
    if key in site_names or re.fullmatch(r"[\d./\s-]+", tail):
        return True
    # hosts spell umlauts out: "Börsen-Zeitung" on boersen-zeitung.de
    compact = key.replace(" ", "").translate(_UMLAUTS)
    names = {n.translate(_UMLAUTS) for n in site_names if len(n) > 3}
    return len(tail) < 40 and any(n in compact or compact in n for n in names)


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
