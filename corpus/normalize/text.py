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
from typing import Any

# Removed outright: soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# Every other Unicode space (NBSP, narrow NBSP, thin space, ...) becomes a plain space.
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


# Code points no UTF-8 writer can write: halves of surrogate pairs, which only a JSON escape
# ("\ud800") or a lenient decoder can put into a Python string.
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD (a string any UTF-8 writer can write)."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def scrub(value: Any) -> Any:
    """:func:`valid_unicode` applied to every string in parsed JSON (dicts, lists, keys included)."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


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
