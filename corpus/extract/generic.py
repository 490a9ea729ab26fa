"""The main text of any page, read from the page's own tree without copying it.

One walk over the page collects text blocks (paragraphs, sub-headings, list items,
quotes, and runs of text in layout elements) and leaves out what is never article
text: scripts, navigation, forms' controls and hidden elements. Boxes whose class or id
name them (related articles, sharing, newsletters, readers' comments ...) are left out
too, unless the article is inside one (a "sticky sidebar" wrapper around a whole page).

Each paragraph of prose counts points for every element above it (one, one per comma,
one per 100 characters up to three). From the page down, the walk follows the child
that holds most of its parent's points while it holds at least :data:`SHARE` of them:
where the article's paragraphs part ways is its container, with the siblings made like
it (same tag, the classes of one among the other's) when the text is cut into parts around boxes. The blocks inside, in
page order, are the body; boxes of links among them are dropped by
:func:`~corpus.extract.text.prune_links`, lines that are not text by
:func:`~corpus.extract.text.tidy`.

The walk reads the shared tree and builds nothing but small records: it costs a
fraction of a boilerplate-removal pass over a copy of the page (``bench/extraction.py``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

from corpus.extract.text import Block
from corpus.normalize.text import clean_text

# Elements whose content is never article text.
SKIP = frozenset({
    "script", "style", "noscript", "template", "iframe", "svg", "math", "canvas", "object", "embed", "video",
    "audio", "picture", "map", "nav", "footer", "header", "figure", "figcaption", "button",
    "select", "input", "textarea", "label", "dialog", "menu", "head", "title", "link", "meta",
})
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Elements that are a unit of text; the innermost one is read.
BLOCK_TAGS = frozenset({"p", "pre", "dd", "dt", "li", "blockquote", "h1"}) | HEADINGS
# Elements inside a run of text (a layout element holding text directly is read as a paragraph).
INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "tt",
    "big", "strike", "nobr",
})
# Layout elements: one holding no block is read as a paragraph.
CONTAINERS = frozenset({"div", "section", "article", "main", "td", "center", "body"})

# Class and id words of boxes that are not article text ...
_BOX = re.compile(
    r"comment|kommentar|disqus|discuss|related|verwandt|recommend|empfehl|outbrain|taboola|teaser|newsletter|"
    r"social|share|sharing|sidebar|footer|promo|advert|anzeige|werbung|banner|cookie|consent|breadcrumb|"
    r"(?:expandable|collapsible)[-_]?box|info[-_]?box|"
    r"(?:^|[-_ ])(?:nav|navigation|menu|ad|ads|byline|caption|credits?|toolbar|popup|modal|subscribe|signup|"
    r"most-?read|trending|sponsored|partner)(?:$|[-_ ])",
    re.IGNORECASE,
)
# ... unless they also name the text ("article-teaser-text", "comment-content" is still a comment)
_TEXT = re.compile(
    r"article|artikel|body|content|text|story|entry|post|main|richtext|copy|beitrag|inhalt|prose|paragraph",
    re.IGNORECASE,
)
# Readers' comments and cookie dialogs are never the article, however much text they hold.
_COMMENTS = re.compile(
    r"(?:^|\s)(?:[a-z]+[-_])?(?:comments?|kommentare?|leserkommentare?|disqus(?:_thread)?)"
    r"(?:[-_](?:section|list|area|container|wrapper|block|box|thread|module|stream))?(?:$|\s)"
    # ... nor is a cookie consent dialog (OneTrust, Usercentrics, Sourcepoint ...)
    r"|(?:^|\s)(?:cookie|consent|onetrust|usercentrics|sp_message|gdpr)",
    re.IGNORECASE,
)
# A <br> in collected text (a newline in the page's source is only whitespace)
BREAK = "\u2028"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
NOT_A_BOX, BOX, COMMENTS = 0, 1, 2


@dataclass(slots=True)
class _Node:
    """An element the walk kept."""

    parent: int  # its parent's index (-1: the page)
    box: int = NOT_A_BOX  # what its class or id names
    boxed: bool = False  # inside a box that is not text
    in_link: bool = False  # inside a link (a teaser whose whole box is the link)
    kind: tuple[str, frozenset[str]] = ("", frozenset())  # tag and classes: siblings alike are parts of one text
    children: list[int] = field(default_factory=list)


def _box_kind(element: etree._Element) -> int | None:
    """``None`` for a hidden element (skipped with everything in it); else what its class and id
    name: :data:`NOT_A_BOX`, a :data:`BOX` that is not text (related articles, sharing ...) or
    readers' :data:`COMMENTS`. The ``hidden`` attribute is left alone: pages hide the text behind
    a paywall with it."""
    attrib = element.attrib
    if attrib.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(attrib.get("style", "")):
        return None
    if element.tag == "aside":  # a box by its tag (a few pages put the whole article in one)
        return BOX
    if attrib.get("itemprop") == "articleBody":
        return NOT_A_BOX
    names = f"{attrib.get('class', '')} {attrib.get('id', '')}".strip()
    return _named(names) if names else NOT_A_BOX


@functools.lru_cache(maxsize=4096)
def _named(names: str) -> int:
    """What a class and id name (a page repeats the same classes hundreds of times)."""
    if not _BOX.search(names):
        return NOT_A_BOX
    if _COMMENTS.search(names):
        return COMMENTS
    return NOT_A_BOX if _TEXT.search(names) else BOX


def text_and_links(element: etree._Element) -> tuple[str, int]:
    """The element's text (its own tail excluded, the elements of :data:`SKIP` left out, a ``<br>``
    as :data:`BREAK`) and the number of characters of it inside links."""
    parts: list[str] = []
    linked = 0

    def visit(node: etree._Element, in_link: bool, depth: int) -> None:
        nonlocal linked
        if node.text:
            parts.append(node.text)
            if in_link:
                linked += len(node.text.strip())
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in SKIP and depth < 60:
                tag = tag.lower()
                if tag == "br":
                    parts.append(BREAK)
                else:
                    visit(child, in_link or tag == "a", depth + 1)
            if child.tail:
                parts.append(child.tail)
                if in_link:
                    linked += len(child.tail.strip())

    visit(element, False, 0)
    return "".join(parts), linked


def _has_block(element: etree._Element) -> bool:
    for child in element.iterdescendants():
        tag = child.tag
        if isinstance(tag, str) and (tag in BLOCK_TAGS or tag in CONTAINERS):
            return True
    return False


def main_blocks(root: etree._Element, share: float | None = None) -> list[Block]:
    """The article text of a page (``root``: its ``html`` or ``body`` element), as blocks in page order.

    ``share``: the share of its parent's prose a child must hold to be the container (default
    :data:`SHARE`); a live blog passes a higher one (:data:`LIVE_SHARE`), so that its summary box
    stays with its entries. Empty when the page holds no paragraph of prose.
    """
    body = root.find("body") if root.tag == "html" else root
    if body is None:
        body = root
    nodes: list[_Node] = [_Node(-1)]
    found: list[tuple[Block, int]] = []  # each block with the node it belongs to
    groups = 0
    # entries: (element, its parent node, the list it is in) or (a run of text, its node, -1)
    stack: list[tuple[etree._Element | _Run, int, int]] = []
    stack.extend(reversed(_entries(body, 0, -1)))
    while stack:
        element, parent, group = stack.pop()
        if isinstance(element, _Run):
            for text, linked_share in _lines(element.text, element.linked):
                found.append((Block(text, "p", 1.0 if nodes[parent].in_link else linked_share, -1), parent))
            continue
        tag = element.tag.lower()
        box = _box_kind(element)
        if box is None:
            continue
        index = len(nodes)
        nodes.append(_Node(parent, box, in_link=nodes[parent].in_link or tag == "a",
                           kind=(tag, frozenset((element.get("class") or "").split()))))
        nodes[parent].children.append(index)
        if tag in ("ul", "ol"):
            groups += 1
            group = groups
        if not _has_block(element):  # a paragraph, or a layout element holding only text
            text, linked = text_and_links(element)
            kind = ("head" if tag in HEADINGS or tag == "h1" else "item" if tag == "li"
                    else "quote" if tag == "blockquote" else "p")
            for line, linked_share in _lines(text, linked):
                linked_share = 1.0 if nodes[index].in_link else linked_share
                found.append((Block(line, kind, linked_share, group if kind == "item" else -1), index))
            continue
        stack.extend(reversed(_entries(element, index, group)))
    return _choose(nodes, found, SHARE if share is None else share)


@dataclass(slots=True)
class _Run:
    """Text directly inside an element that also holds blocks, between two of them."""

    text: str
    linked: int


def _entries(element: etree._Element, index: int, group: int) -> list[tuple[etree._Element | _Run, int, int]]:
    """What to read inside ``element``, in page order: its child elements that hold blocks, and
    the runs of text (its own text, inline elements, tails) between them."""
    entries: list[tuple[etree._Element | _Run, int, int]] = []
    parts: list[str] = [element.text or ""]
    linked = 0

    def flush() -> None:
        nonlocal linked
        text = "".join(parts)
        if text.strip():
            entries.append((_Run(text, linked), index, -1))
        parts.clear()
        linked = 0

    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            tag = tag.lower()
            if tag in SKIP:
                pass
            elif tag == "br":
                parts.append(BREAK)
            elif tag in INLINE and not _has_block(child):
                if _box_kind(child) == NOT_A_BOX:
                    text, in_links = text_and_links(child)
                    parts.append(text)
                    linked += len(text.strip()) if tag == "a" else in_links
            else:
                flush()
                entries.append((child, index, group))
        if child.tail:
            parts.append(child.tail)
    flush()
    return entries


def _lines(text: str, linked: int) -> list[tuple[str, float]]:
    """The block's text split at line breaks into cleaned lines, each with the block's link share."""
    whole = clean_text(text)
    if not whole:
        return []
    share = min(1.0, linked / max(1, len(whole)))
    if BREAK not in text:
        return [(whole, share)]
    lines = [clean_text(line) for line in text.split(BREAK)]
    return [(line, share) for line in lines if line]


def _choose(nodes: list[_Node], found: list[tuple[Block, int]], share: float) -> list[Block]:
    """The blocks inside the article's container (:func:`_descend`), boxes left out."""
    if not found:
        return []
    # A box named as such is left out with what it holds, unless the article is in it: a "sticky
    # sidebar" or "widget" wrapper around the whole article, found by looking past such boxes (but
    # never into readers' comments). Parents come before their children in ``nodes``.
    for node in nodes[1:]:
        node.boxed = nodes[node.parent].boxed or node.box == COMMENTS
    lenient_prose = _prose(nodes, found)
    lenient = _descend(nodes, lenient_prose, share)
    holds_article = set()
    at = lenient
    while at > 0:
        holds_article.add(at)
        at = nodes[at].parent
    # ... or the article's parts: children of that container made alike that hold most of its prose
    # (four "sidebar-grid__container" around ads), or one part inside it that does
    groups: dict[tuple[str, frozenset[str]], list[int]] = {}
    for child in nodes[lenient].children:
        groups.setdefault(nodes[child].kind, []).append(child)
    for members in groups.values():
        if sum(lenient_prose[m] for m in members) >= 0.5 * lenient_prose[lenient] > 0:
            holds_article.update(members)
    for index, node in enumerate(nodes[1:], 1):
        exempt = node.box == BOX and (index in holds_article or (
            lenient_prose[index] >= 0.5 * lenient_prose[lenient] > 0 and _inside(nodes, index, lenient)))
        node.boxed = nodes[node.parent].boxed or (node.box != NOT_A_BOX and not exempt)
    prose = _prose(nodes, found)
    best = _descend(nodes, prose, share)
    if prose[best] <= 0:
        return []
    # an article cut into parts around boxes: its other parts are the siblings made alike of the
    # container, or of the element above it (the container taken as the outermost element that
    # holds just its prose: "widget > wrap > text" is one part)
    chosen = {best}
    part = best
    while nodes[part].parent > 0 and prose[nodes[part].parent] == prose[part]:
        part = nodes[part].parent
    for _ in range(2):
        parent = nodes[part].parent
        if parent < 0:
            break
        alike = [sibling for sibling in nodes[parent].children if sibling != part
                 and prose[sibling] >= 0.05 * prose[part]
                 and not nodes[sibling].boxed and _alike(nodes[sibling].kind, nodes[part].kind)]
        if alike:
            chosen.update(alike)
            chosen.add(part)
            break
        part = parent
    blocks = []
    for block, index in found:
        if nodes[index].boxed:
            continue
        at = index
        while at >= 0 and at not in chosen:
            at = nodes[at].parent
        if at >= 0:
            blocks.append(block)
    return blocks


def _inside(nodes: list[_Node], index: int, ancestor: int) -> bool:
    while index > ancestor:
        index = nodes[index].parent
    return index == ancestor


def _alike(one: tuple[str, frozenset[str]], other: tuple[str, frozenset[str]]) -> bool:
    """Same tag, and the classes of one among the other's ("body" and "body walled-content")."""
    return one[0] == other[0] and bool(one[1]) and bool(other[1]) and (one[1] <= other[1] or other[1] <= one[1])


def _prose(nodes: list[_Node], found: list[tuple[Block, int]]) -> list[float]:
    """Per element, the prose it holds outside boxes: each paragraph of 25 characters or more, not
    mostly links, counts one point, one per comma, and one per 100 characters (at most three)."""
    prose = [0.0] * len(nodes)
    for block, index in found:
        chars = len(block.text)
        if nodes[index].boxed or block.kind not in ("p", "quote") or chars < 25 or block.link_share > 0.5:
            continue
        points = 1 + block.text.count(",") + block.text.count("，") + block.text.count("、") + min(chars // 100, 3)
        node = index
        while node >= 0:
            prose[node] += points
            node = nodes[node].parent
    return prose


# The share of its parent's prose a child must hold to be the article's container rather than a part
# of it (0.6 measured best on ../shared/eval: 0.5 takes in too much around the article, 0.7 too little).
SHARE = 0.6
# A live blog's entries hold most of its prose, its summary box above them the rest: both are text.
LIVE_SHARE = 0.9


def _descend(nodes: list[_Node], prose: list[float], share: float) -> int:
    """From the page down, into the child that holds most of its parent's prose, while it holds at
    least ``share`` of it: the element where the article's paragraphs part ways is its container."""
    node = 0
    while nodes[node].children:
        child = max(nodes[node].children, key=prose.__getitem__)
        if prose[child] < share * prose[node] or prose[child] <= 0:
            break
        node = child
    return node
