"""Body text from an HTML container: paragraphs and sub-headings in page order.

Boxes that are not article text (ads, "Lesen Sie auch", paywall offers, author
boxes, captions, share buttons) are removed from a *copy* of the container
before the text is read, so the shared page tree stays intact.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from parsel import Selector

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


def node_text(nodes: Any) -> str | None:
    """All text below the selected nodes (a selector or selector list), cleaned; ``None`` if none."""
    return clean_text(" ".join(nodes.xpath(".//text()").getall()))


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
