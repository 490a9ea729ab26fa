"""Body text from an HTML container: paragraphs and sub-headings in page order.

Boxes that are not article text (ads, "Lesen Sie auch", paywall offers, author
boxes, captions, share buttons) are removed from a *copy* of the container
before the text is read, so the shared page tree stays intact.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from corpus.normalize.text import clean_text

HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
BLOCKS = frozenset({"p", "li", "blockquote", "pre", "dd", "dt", "figcaption"}) | HEADINGS
# Never article text, whatever the outlet.
ALWAYS_DROP = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg",
               "figure figcaption", "aside", "nav")


@dataclass
class Body:
    """Article text as ordered units; headings are also listed apart."""

    paragraphs: list[str] = field(default_factory=list)
    subheadings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def __bool__(self) -> bool:
        return bool(self.paragraphs)


_ALL_TEXT = etree.XPath(".//text()", smart_strings=False)


@functools.lru_cache(maxsize=512)
def compiled(css: str) -> etree.XPath:
    """A CSS selector compiled once, as parsel would (descendants of an element, itself included).

    ``compiled(css)(element)`` gives the matching lxml elements without the selector objects
    parsel makes for every call and every result (what a loop over many comments pays for).
    """
    return etree.XPath(HTMLTranslator().css_to_xpath(css), smart_strings=False)


def node_text(nodes: Any) -> str | None:
    """All text below the selected nodes, cleaned; ``None`` if none.

    ``nodes``: a selector, a selector list, or lxml elements.
    """
    if isinstance(nodes, Selector):
        roots = [nodes.root]
    else:
        roots = [node if isinstance(node, etree._Element) else node.root for node in nodes]
    parts: list[str] = []
    for root in roots:
        if isinstance(root, etree._Element):
            parts.extend(_ALL_TEXT(root))  # lxml directly: no selector object per text node
        else:
            return clean_text(" ".join(nodes.xpath(".//text()").getall()))
    return clean_text(" ".join(parts))


def body_from(container: Selector, drop: tuple[str, ...] = ()) -> Body:
    """Read paragraphs and sub-headings from ``container``.

    Args:
        container: the element holding the article text.
        drop: CSS selectors of boxes inside it that are not article text.

    Returns:
        A :class:`Body`; empty when the container holds no text.
    """
    root = copy.deepcopy(container.root)
    clone = Selector(root=root)
    for css in ALWAYS_DROP + tuple(drop):
        for node in clone.css(css):
            node.drop()
    body = Body()
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag not in BLOCKS:
            continue
        # Take the innermost blocks only: a <p> inside a <blockquote> or <li> is read once.
        if any(isinstance(d.tag, str) and d.tag in BLOCKS for d in element.iterdescendants()):
            continue
        text = clean_text("".join(element.itertext()))
        if not text:
            continue
        body.paragraphs.append(text)
        if tag in HEADINGS:
            body.subheadings.append(text)
    return body


# --- blocks of the generic main text, and boilerplate rules for any layer's body ---


@dataclass
class Block:
    """One unit of extracted text with what the rules need to judge it."""

    text: str
    kind: str  # "p", "head", "item", "quote"
    link_share: float = 0.0  # share of the text inside links
    group: int = -1  # the list an item belongs to


# A line that names the next box: "Mehr zum Thema:", "Auch interessant", "Ähnliche:"
_BOX_LEAD = 100
# Bare interface words and box titles that are never article text.
_UI_WORDS = frozenset({
    "embed", "faq", "mehr", "mehr infos", "mehr dazu", "teilen", "drucken", "anzeige", "werbung",
    "auch interessant", "lesen sie auch", "lesen sie mehr", "mehr zum thema", "zum thema",
    "das könnte sie auch interessieren", "weitere artikel", "ähnliche", "ähnliche artikel", "empfehlungen",
    "artikel merken", "kommentare", "zur startseite", "quelle", "quellen", "audio", "video", "podcast",
    "zum artikel", "weiterlesen", "mehr lesen", "top-thema", "weitere themen", "schlagwörter",
    "thema", "mit video", "interview", "liveblog", "zum liveblog", "live", "bildergalerie", "galerie",
    "hauptinhalt", "stand", "box aufklappen", "box zuklappen", "personen-box aufklappen", "personen-box zuklappen",
    "weitere informationen", "ende der weiteren informationen", "neuer bereich", "read more", "read next",
    "more about", "related", "tags", "share", "etiquetas",
    # share buttons printed as words
    "e-mail", "email", "twitter", "facebook", "whatsapp", "linkedin", "pinterest", "xing", "flipboard", "threads",
    "feedback", "fehler melden", "link kopieren", "kopieren",
})
_BOILERPLATE = [re.compile(p, re.IGNORECASE) for p in (
    # datelines and stamps: "Stand: 22.04.2024, 06:00 Uhr", "Freitag, 28.04.2023, 19:25"
    r"^(?:stand|aktualisiert|veröffentlicht|erstellt|zuletzt aktualisiert|update)\s*(?:am|:)?\s*\d{1,2}\.",
    r"^(?:(?:mo|di|mi|do|fr|sa|so)\w*\.?,?\s*)?\d{1,2}\.\s*(?:\d{1,2}\.|[a-zä]+)\s*\d{2,4}(?:[,|\s]+\d{1,2}[:.]\d{2}"
    r"(?:\s*uhr)?)?$",
    # a line of nothing but dates, times and a reading time: "28.04.2023, 19:09 3 Min."
    r"^(?:[\d.:,|/\s-]|\buhr\b|\bmin\b\.?|\bminuten\b)+$",
    # a broadcaster's programme line: "NDR 1 Welle Nord | Nachrichten … | 28.04.2023 | 13:00 Uhr"
    r"\|\s*\d{1,2}\.\s*(?:\d{1,2}\.|[a-zä]+)\s*\d{2,4}\s*\|\s*\d{1,2}[:.]\d{2}\s*uhr$",
    # reading time: "3 Min.", "5 min read", "Lesezeit: 4 Minuten"
    r"^(?:(?:lesezeit|lesedauer)\s*:?\s*)?(?:ca\.\s*)?\d{1,3}\s*(?:min\.?|minuten|minutes?)(?:\s+(?:read|lesezeit))?$",
    # the stamp of a live blog's entry: "21 mins ago11:48 Jon King", "20:42KEY EVENT", "13:45 Uhr"
    r"^(?:\d+\s+(?:secs?|mins?|minutes?|hours?|hrs?|days?)\s+ago\s*)?\d{1,2}[:.]\d{2}(?:\s*(?:uhr|am|pm))?\s*"
    r"(?:key event|[a-zà-ÿ][\w'’.-]*(?:\s+[a-zà-ÿ][\w'’.-]*){0,3})?$",
    # a dateline with the byline after it: "Do 25.04.24 | 14:07 Uhr | Von Eva Kirchner-Rätsch"
    r"^(?:(?:mo|di|mi|do|fr|sa|so)\w*\.?,?\s*)?\d{1,2}\.\d{1,2}\.\d{2,4}\s*\|.{0,80}$",
    r"^sie haben einen fehler gefunden\W*$",
    # audio/video players: "02:57 Min.. Verfügbar bis 06.05.2024.", "… 21.04.2024 | 3:18 min"
    r"^\d{1,2}:\d{2}\s*min\b", r"\|\s*\d{1,2}:\d{2}\s*min\.?$", r"\bverfügbar bis \d",
    # credits: "Quelle: AFP", "Foto: dpa", "Mit Agenturmaterial.", "mit dpa"
    r"^(?:quelle|foto|fotos|bild|bildquelle|grafik|video|audio)\s*:\s*.{1,80}$",
    r"^mit (?:agenturmaterial|material (?:von|der) .{2,40}|dpa|afp|reuters|sda|apa|epd|kna)\.?$",
    # "Mit Informationen der ARD-Korrespondenten sowie der Nachrichtenagenturen AFP, AP, dpa …"
    r"^mit informationen (?:der|von|aus)\b.{0,200}\b(?:nachrichtenagenturen|agenturen)\b",
    # consent placeholders of embedded content
    r"ein klick für den datenschutz|\bexterne[rn]? inhalt|inhalte? von drittanbietern|datenschutzeinstellungen|"
    r"um (?:diesen|den|externe) inhalte? (?:zu sehen|anzuzeigen|zu laden)",
    # offers and calls to action
    r"newsletter.{0,120}(?:anmelden|abonnieren|informiert|postfach|hier geht|registrieren|bestellen)",
    r"(?:whatsapp|telegram)[- ]kanal|folgst du (?:schon|uns)|folgen sie uns",
    r"kostenlos testen|gratis testen|jetzt testen|probeabo|testen sie (?:für|jetzt)|mehr lesekomfort|"
    r"e-paper und news|push-nachrichten über",
    r"affiliate|ohne mehrkosten für sie|melden sie den fehler|markieren sie die entsprechenden wörter",
    r"^[\W_]{1,3}$",
    # credit lines of broadcasters' pages: "Redaktion: …", "Sendung: hr-INFO, 25.04.2024", "Bildrechte: MDR"
    r"^(?:redaktion|sendung|bildrechte|faktencheck|mitarbeit|kamera|schnitt|moderation)\s*:\s*.{1,120}$",
    r"^dieses thema im programm:?$|^dieser artikel wurde ausgedruckt|^fehler gefunden\W*jetzt melden",
    # copyright and the outlet's own calls to action, in any language the pages use
    r"^(?:©|\(c\)\s|copyright\b)|\ball rights reserved\b|alle rechte vorbehalten|riproduzione riservata|"
    r"wszystkie prawa zastrzeżone|tous droits réservés|todos los derechos reservados",
    r"\bshare this article\b|\bsign up (?:for|to) (?:our|the)\b|\b(?:follow|like) (?:us|[\w.]+) on (?:twitter|"
    r"facebook|instagram|google news|x)\b|article continues below|protected by recaptcha|"
    r"\bsubscribe now\b|jetzt unterstützen|unterstützen sie (?:unseren|unabhängigen) journalismus",
)]


# all of them in one pattern: one search per line instead of one per rule
_ANY_BOILERPLATE = re.compile("|".join(f"(?:{p.pattern})" for p in _BOILERPLATE), re.IGNORECASE)


def _fold(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def prune_links(blocks: list[Block]) -> list[Block]:
    """Drop boxes of links ("Mehr zum Thema", related articles) and the line that introduces them.

    A list whose items are mostly links is a box of teasers, not text; so is a short paragraph
    that is nearly all link (">> Hier finden Sie alle Termine"). A list after "Quellen:" lists
    sources, not text.
    """
    groups: dict[int, list[Block]] = {}
    for block in blocks:
        if block.group >= 0:
            groups.setdefault(block.group, []).append(block)
    link_groups = {g for g, items in groups.items() if sum(b.link_share >= 0.6 for b in items) >= 0.6 * len(items)}
    kept: list[Block] = []
    for block in blocks:
        if block.group in link_groups or (block.group < 0 and block.link_share >= 0.8 and len(block.text) < 200):
            if block.group >= 0 and kept and kept[-1].group != block.group and _introduces(kept[-1]):
                kept.pop()
            continue
        if block.group >= 0 and kept and kept[-1].group < 0 and _fold(kept[-1].text) in {"quellen", "quelle"}:
            kept.pop()
            link_groups.add(block.group)
            continue
        kept.append(block)
    return kept


def _introduces(block: Block) -> bool:
    text = block.text
    return len(text) < _BOX_LEAD and (text.endswith(":") or block.kind == "head" or not re.search(r"[.!?\"“”]$", text))


def tidy(paragraphs: list[str], title: str | None = None, kicker: str | None = None,
         teaser: str | None = None) -> list[str]:
    """Drop lines that are not article text from any layer's paragraphs.

    Removed: the headline repeated at the top (also with its kicker), the teaser (a field of
    its own), any paragraph repeated, bylines ("Von Nina Magoley"), datelines, player and credit
    lines, consent placeholders of embedded content, offers and calls to action, interface
    words ("Embed", "Mehr zum Thema").
    """
    from corpus.normalize.bylines import parse_byline

    heads = {_fold(t) for t in (title, f"{kicker or ''} {title or ''}", teaser) if t}
    heads.discard("")
    title_key = _fold(title or "")
    kept: list[str] = []
    seen: set[str] = set()
    for index, text in enumerate(paragraphs):
        key = _fold(text)
        if not key or key in heads or key in seen:
            continue
        seen.add(key)
        if index < 4 and title_key and key.endswith(title_key) and len(key) <= len(title_key) + 60:
            continue  # "Premier League Rückschlag im Titelkampf …": kicker and headline
        if _is_boilerplate(text):
            continue
        if len(text) < 80 and re.match(r"(?:von|by)\s", text, re.IGNORECASE) and parse_byline(text).authors:
            continue
        kept.append(text)
    return kept


# A line that ends a sentence (or a quotation of one).
_SENTENCE_END = re.compile(r"[.!?…:;\"“”»«’)\]。！？」』]$")


def trim_tail(blocks: list[Block]) -> list[Block]:
    """Drop the box that so often follows an article's last paragraph.

    From the end, lines that are no text are left out while a paragraph is left before them:
    interface words, boilerplate (:func:`tidy`'s rules) and addresses, and up to four short lines
    that end no sentence (box titles such as "Mehr zum Thema" or "Latest National
    Stories", teaser headlines, dates, names, section links). Items of a list stay: an article may
    end with one.
    """
    end, short_lines = len(blocks), 0
    while end > 1:
        block = blocks[end - 1]
        text = block.text
        if block.kind == "item":
            break
        if _is_boilerplate(text) or re.fullmatch(r"https?://\S+", text):
            end -= 1
            continue
        if short_lines == 4 or len(text) >= 60 or _SENTENCE_END.search(text):
            break
        short_lines += 1
        end -= 1
    return blocks[:end]


def _is_boilerplate(text: str) -> bool:
    return text.casefold().rstrip(":. ") in _UI_WORDS or (len(text) < 400 and _ANY_BOILERPLATE.search(text) is not None)
