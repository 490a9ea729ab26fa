"""Author bylines: "VON FELIX LILL UND ANNA BERGMANN am 6. September 2023" -> people and agencies.

:func:`parse_byline` strips lead-ins ("Von", "Ein Kommentar von"), trailing
dates and places, splits lists on commas, "und", "&" and "/", puts news
agencies (dpa, AFP, Reuters ...) apart from people, and writes names in
proper case ("Klaus-Dieter Franke", "Christoph von Marschall") when the page
prints them in capitals. :func:`normalize_author` does the same for one name
that already stands alone (a JSON-LD ``author.name``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Agencies as they appear in bylines, mapped to their usual spelling.
AGENCIES: dict[str, str] = {
    "dpa": "dpa", "afp": "AFP", "reuters": "Reuters", "ap": "AP", "epd": "epd", "kna": "KNA",
    "sid": "SID", "dts": "dts", "apa": "APA", "sda": "SDA", "keystone-sda": "Keystone-SDA",
    "ddp": "ddp", "bloomberg": "Bloomberg", "yonhap": "Yonhap", "kyodo": "Kyodo",
    "xinhua": "Xinhua", "tass": "TASS", "interfax": "Interfax", "dpa-afx": "dpa-AFX",
    "afp/dpa": "AFP", "rtr": "Reuters", "ots": "ots",
}
# Words that make a segment not a person: outlet or desk names, boilerplate.
_NOT_A_PERSON = re.compile(
    r"\b(redaktion|cicero|online|ressort|newsdesk|nachrichtenagentur|agentur|agenturen|"
    r"korrespondent\w*|gastautor\w*|email|e-mail|the author|autoreninfo|mehr zum autor|"
    r"kommentar\w*|foto|bild|quelle)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^\s*(?:(?:ein|eine)\s+(?:kommentar|gastbeitrag|analyse|essay|interview|gastkommentar|"
    r"bericht|reportage)\s+von|interview\s*:|autor(?:in|en)?\s*:|text\s*:|von\s+unser(?:em|er)\s+"
    r"(?:\w+\s+)?[\w-]*?(?:korrespondent\w*|reporter\w*|redakteur\w*|mitarbeiter\w*)\s+|"
    r"mit\s+material\s+von|quelle\s*:|von|by)\s*",
    re.IGNORECASE,
)
# A trailing date: "am 6. September 2023", "| 07.09.2023", ", 12.03.2024 um 10:00 Uhr"
_TRAILING_DATE = re.compile(
    r"(?:\s+am\s+|\s*[|,–-]\s*|\s+)(?:(?:mo|di|mi|do|fr|sa|so)\w*\.?,?\s*)?\d{1,2}\.\s*"
    r"(?:\d{1,2}\.|[A-Za-zäÄ]+\.?)\s*\d{2,4}.*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|\s&\s|\s\+\s|\bund\b|\band\b|\s/\s|/)\s*", re.IGNORECASE)
_TITLES = re.compile(r"\b(?:prof\.|dr\.(?:\s*med\.|\s*phil\.|\s*rer\.\s*nat\.)?|dipl\.-\w+\.?)\s*", re.I)
_PARTICLES = {"von", "van", "der", "den", "de", "du", "zu", "zur", "vom", "di", "da", "del",
              "la", "le", "ten", "ter", "bin", "al"}


@dataclass
class Byline:
    """People and agencies named in a byline."""

    authors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)


def proper_case(name: str) -> str:
    """Write an all-capitals name in proper case; leave mixed-case names as they are.

    Args:
        name: e.g. ``"KLAUS-DIETER FRANKE"`` or ``"CHRISTOPH VON MARSCHALL"``.

    Returns:
        ``"Klaus-Dieter Franke"``, ``"Christoph von Marschall"``.
    """
    letters = [c for c in name if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return name
    words = []
    for i, word in enumerate(name.split()):
        lower = word.lower()
        if i > 0 and lower in _PARTICLES:
            words.append(lower)
            continue
        words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(words)


def normalize_author(name: str | None) -> str | None:
    """Clean one person's name; ``None`` when it is not a person's name.

    Args:
        name: a single name, e.g. from JSON-LD ``author.name``.

    Returns:
        The name without academic titles, in proper case, or ``None``.
    """
    if not name:
        return None
    name = _TITLES.sub("", " ".join(name.split())).strip(" ,;:.-|")
    if not name or _NOT_A_PERSON.search(name) or any(c.isdigit() for c in name):
        return None
    if name.lower() in AGENCIES or len(name) > 80:
        return None
    return proper_case(name)


def agency_of(segment: str) -> str | None:
    """The agency a segment names ("dpa", "(Reuters)", "Quelle: AFP"), if any."""
    key = segment.strip(" ()[]:.").lower()
    key = re.sub(r"^(?:quelle|mit material von|material)\s*:?\s*", "", key)
    return AGENCIES.get(key)


def parse_byline(text: str | None) -> Byline:
    """Split a byline into people and agencies.

    Args:
        text: the byline as printed, e.g. ``"VON ULRICH THIELE UND VOLKER
            RESING am 12. März 2024"`` or ``"Felix Lill, Tokio"``.

    Returns:
        A :class:`Byline`; empty when the text names nobody.
    """
    result = Byline()
    if not text:
        return result
    text = " ".join(text.split())
    text = _TRAILING_DATE.sub("", text)
    text = _LEAD_IN.sub("", text)
    text = _LEAD_IN.sub("", text)  # "Ein Kommentar von" then "Von" once more is harmless
    segments = [s for s in _SPLIT.split(text) if s and s.strip()]
    for index, segment in enumerate(segments):
        agency = agency_of(segment)
        if agency:
            if agency not in result.agencies:
                result.agencies.append(agency)
            continue
        # A one-word segment after a comma is a place ("Felix Lill, Tokio"), not a person.
        if index > 0 and len(segment.split()) == 1 and segment[:1].isupper() and not segment.isupper():
            continue
        name = normalize_author(_LEAD_IN.sub("", segment))
        if name and len(name.split()) >= 2 and name not in result.authors:
            result.authors.append(name)
    return result
