"""Text clean-up shared by extraction and the clean-text pipeline.

Pages carry invisible characters that break search and comparisons: no-break
spaces, soft hyphens (``Sicherheits\u00adpolitik``), zero-width spaces and
joiners, byte-order marks. :func:`clean_text` turns a snippet into one tidy
line; :func:`clean_multiline` keeps paragraph breaks (a blank line between
paragraphs) for body text.
"""

from __future__ import annotations

import re
import unicodedata

# Removed outright: soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# Every other Unicode space (NBSP, narrow NBSP, thin space, ...) becomes a plain space.
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(value: str | None) -> str | None:
    """Normalise a one-line snippet.

    Args:
        value: raw text, possibly ``None``.

    Returns:
        NFC text with invisible characters removed and all whitespace (line
        breaks included) collapsed to single spaces, or ``None`` when nothing
        is left.
    """
    if value is None:
        return None
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    text = " ".join(text.split())
    return text or None


def clean_multiline(value: str | None) -> str | None:
    """Normalise body text while keeping its paragraphs.

    Args:
        value: raw text whose paragraphs are separated by blank lines.

    Returns:
        Paragraphs cleaned like :func:`clean_text`, joined by one blank line;
        ``None`` when nothing is left.
    """
    if value is None:
        return None
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    paragraphs = [" ".join(p.split()) for p in _BLANK_LINES.split(text.replace("\r", ""))]
    text = "\n\n".join(p for p in paragraphs if p)
    return text or None


def word_count(text: str | None) -> int:
    """Count the words (runs of letters/digits) in ``text``."""
    return len(re.findall(r"\w+", text or ""))
