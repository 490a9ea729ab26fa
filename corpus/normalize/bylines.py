"""Author bylines: "VON FELIX LILL UND ANNA BERGMANN am 6. September 2023" -> people and agencies.

:func:`parse_byline` strips lead-ins ("Von", "Ein Kommentar von", "Interview:",
"Von unserem Korrespondenten"), trailing dates, places and desks after a
comma ("Felix Lill, Tokio", "…, ARD-Studio Peking"), academic titles and
roles in brackets; splits lists on commas, "und", "&" and "/" without
splitting names; puts news agencies (dpa, AFP, Reuters …, also "Mit Material
von dpa und Reuters", "Quelle: dpa", "(Reuters)") apart from people; and
writes names printed in capitals in proper case ("Klaus-Dieter Franke",
"Christoph von Marschall"). :func:`normalize_author` does the same for one
name that already stands alone (a JSON-LD ``author.name``). Comment authors
are not passed through here: readers' names are kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Agencies as they appear in bylines (lower-case key) and their usual spelling.
AGENCIES: dict[str, str] = {
    "dpa": "dpa", "afp": "AFP", "reuters": "Reuters", "rtr": "Reuters", "ap": "AP",
    "epd": "epd", "kna": "KNA", "sid": "SID", "dts": "dts", "apa": "APA", "sda": "SDA",
    "keystone-sda": "Keystone-SDA", "ddp": "ddp", "dapd": "dapd", "bloomberg": "Bloomberg",
    "yonhap": "Yonhap", "kyodo": "Kyodo", "xinhua": "Xinhua", "tass": "TASS",
    "interfax": "Interfax", "ria nowosti": "RIA Nowosti", "dpa-afx": "dpa-AFX", "afx": "dpa-AFX",
    "ots": "ots", "efe": "EFE", "ansa": "ANSA", "kap": "Kathpress", "kathpress": "Kathpress",
    "idea": "idea", "dow jones": "Dow Jones", "awp": "AWP",
    # written out, as JSON-LD author names and agency credits print them
    "deutsche presse-agentur": "dpa", "deutsche presseagentur": "dpa", "agence france-presse": "AFP",
    "agence france presse": "AFP", "associated press": "AP", "the associated press": "AP",
    "schweizerische depeschenagentur": "SDA", "austria presse agentur": "APA", "austria presse-agentur": "APA",
    "katholische nachrichten-agentur": "KNA", "evangelischer pressedienst": "epd",
    "sport-informations-dienst": "SID", "thomson reuters": "Reuters",
}
_AGENCY_WORDS = "|".join(sorted((re.escape(k) for k in AGENCIES), key=len, reverse=True))
# "Mit Material von dpa und Reuters", "Quelle: dpa", "Agenturen: AFP/dpa", "(dpa/AFP)", "dpa/jsp",
# "… sowie der Nachrichtenagenturen AFP, AP, dpa"
_AGENCY_LEAD = re.compile(
    r"^(?:mit\s+material\s+(?:von|der|des)|material\s*:|quellen?\s*:|agenturen?\s*:|nach\s+angaben\s+von|"
    r"(?:der\s+|den\s+)?nachrichtenagentur(?:en)?\s*:?)\s*",
    re.IGNORECASE,
)
# Words that make a segment not a person: desks, outlets, boilerplate, widgets.
_NOT_A_PERSON = re.compile(
    r"\b(?:redaktion|online|ressort|newsdesk|nachrichtenagentur|agentur(?:en|material)?|korrespondent\w*|"
    r"studio|büro|email|e-mail|mail|the author|autoreninfo|mehr zum autor|mehr von|artikel|"
    r"kommentare?|foto|fotos|bild|bilder|grafik|video|quelle|zeitung|magazin|team|desk|"
    r"newsletter|podcast|teilen|folgen|abonnieren|anzeige|cicero|faz|tagesschau|tagesspiegel|"
    r"handelsblatt|taz|nzz|ard|zdf|dw|ntv|n-tv|wdr|ndr|swr|mdr|orf|srf)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^\s*(?:"
    r"(?:ein|eine)\s+(?:kommentar|gastbeitrag|gastkommentar|analyse|essay|interview|bericht|reportage|"
    r"kolumne|rezension|porträt|leitartikel|meinungsbeitrag|beitrag)\s+(?:von|mit)|"
    r"(?:kommentar|gastbeitrag|analyse|kolumne|interview|text|autor(?:in|en)?|recherche|"
    r"moderation|aufgezeichnet|übersetzung)\s*(?:von|:)|"
    r"von\s+unser(?:em|er|en)\s+(?:[\w-]+\s+)?[\w-]*?(?:korrespondent\w*|reporter\w*|redakteur\w*|"
    r"mitarbeiter\w*|autor\w*)\s+|"
    r"(?:geschrieben\s+)?von|by"
    r")\s*",
    re.IGNORECASE,
)
# A trailing date: "am 6. September 2023", "| 07.09.2023", ", 12.03.2024 um 10:00 Uhr", "vor 3 Stunden"
_TRAILING_DATE = re.compile(
    r"(?:\s+(?:am|vom)\s+|\s*[|,–-]\s*|\s+)(?:(?:mo|di|mi|do|fr|sa|so)\w*\.?,?\s*)?\d{1,2}\.\s*"
    r"(?:\d{1,2}\.|[A-Za-zäÄ]+\.?)\s*\d{2,4}.*$|"
    r"(?:\s+(?:am|vom)\s+|\s*[|,–-]\s*|\s+)\d{4}-\d{2}-\d{2}.*$|"
    r"\s*[|,–-]?\s*(?:vor\s+\d+\s+\w+|aktualisiert.*|stand:.*)$",
    re.IGNORECASE,
)
# "… in Peking", "…, zzt. Seoul", "… aus Moskau": where the author writes from
_PLACE_SUFFIX = re.compile(
    r"(?:^|\s+)(?:in|aus|zzt\.?|z\.\s*zt\.?|zurzeit|derzeit)\s+[A-ZÄÖÜ][\w.-]*(?:\s+[A-ZÄÖÜ][\w.-]*)?$"
)
_BRACKETS = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_WITH_AGENCY = re.compile(rf"\s+mit\s+(?=(?:{_AGENCY_WORDS})\b)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\s&\s|\s\+\s|\bund\b|\band\b|\bsowie\b|\bog\b|\boch\b|\bet\b|/)\s*", re.IGNORECASE)
# words that join two names ("Samya Kullab and Vasilisa Stepanenko", "Trine Jørgensen og Tôrtia Reimer"):
# a structured name holding one is two people
_CONJUNCTIONS = frozenset({"und", "and", "sowie", "og", "och", "et", "&"})
_TITLES = re.compile(
    r"\b(?:prof\.|professor(?:in)?|dr\.(?:\s*(?:med|phil|rer\.\s*nat|jur|h\.\s*c)\.)*|"
    r"dipl\.-[\w.]+|mag\.|ing\.|m\.\s*a\.|ph\.\s*d\.?|phd)\s*",
    re.IGNORECASE,
)
_PARTICLES = frozenset(
    {"von", "van", "der", "den", "de", "du", "zu", "zur", "vom", "di", "da", "del", "della",
     "la", "le", "ten", "ter", "dos", "das", "bin", "al", "el", "af"}
)
# a word of a name: letters of any alphabet ("Phương", "Łukasz", "Ørsted"), with apostrophes, dots, hyphens
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*$")


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
        words.append("-".join(_cap(part) for part in word.split("-")))
    return " ".join(words)


def _cap(part: str) -> str:
    # "O'BRIEN" -> "O'Brien"
    return "'".join(p[:1].upper() + p[1:].lower() for p in part.split("'"))


def normalize_author(name: str | None) -> str | None:
    """Clean one person's name; ``None`` when it is not a person's name.

    Args:
        name: a single name, e.g. from JSON-LD ``author.name``.

    Returns:
        The name without academic titles, in proper case, or ``None``.
    """
    if not name:
        return None
    name = _BRACKETS.sub("", " ".join(name.split()))
    name = _TITLES.sub("", name).strip(" ,;:.-|·•")
    if not name or len(name) > 60 or _NOT_A_PERSON.search(name) or "@" in name:
        return None
    if agency_of(name):
        return None
    tokens = name.split()
    if not 2 <= len(tokens) <= 5 or not all(_NAME_TOKEN.match(t) for t in tokens):
        return None
    if any(t.casefold() in _CONJUNCTIONS for t in tokens[1:-1]):
        return None  # two people: resolve_authors splits the name as a byline
    return proper_case(name)


def agency_of(segment: str) -> str | None:
    """The agency a segment names ("dpa", "(Reuters)", "Quelle: AFP"), if any."""
    key = _AGENCY_LEAD.sub("", segment.strip(" ()[]:.,;")).strip(" ()[]:.,;").lower()
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
    text = " ".join(text.split())[:500]  # a byline is short; a whole sidebar is not a byline
    # agencies in brackets anywhere: "(dpa)", "[AFP/Reuters]"
    for bracket in re.findall(r"[(\[]([^)\]]*)[)\]]", text):
        for part in _SPLIT.split(bracket):
            if agency := agency_of(part):
                _add(result.agencies, agency)
    text = _BRACKETS.sub("", text)
    text = _TRAILING_DATE.sub("", text)
    # a person writing with an agency: "Von Anna Beispiel mit dpa" is Anna Beispiel and dpa
    text = _WITH_AGENCY.sub(" und ", text)
    # one clause per comma; a clause after the first that holds no person is a place or desk
    clauses = [c for c in re.split(r"\s*[,;|·•]\s*", text) if c.strip()]
    for index, clause in enumerate(clauses):
        clause = _PLACE_SUFFIX.sub("", _LEAD_IN.sub("", _LEAD_IN.sub("", clause)))
        lead_agency = bool(_AGENCY_LEAD.match(clause))
        clause = _AGENCY_LEAD.sub("", clause)
        for part in _SPLIT.split(clause):
            part = part.strip()
            if not part:
                continue
            if agency := agency_of(part):
                _add(result.agencies, agency)
                continue
            if lead_agency:
                continue  # "Mit Material von dpa und eigenen Recherchen"
            person = normalize_author(_LEAD_IN.sub("", part))
            if person is None:
                continue
            if index > 0 and _looks_like_place(part):
                continue
            _add(result.authors, person)
    return result


# Places that follow a byline after a comma ("Felix Lill, Tokio"); two-word ones need listing.
_PLACES = frozenset(
    {"new york", "new delhi", "hongkong", "hong kong", "tel aviv", "los angeles", "san francisco",
     "kuala lumpur", "sankt petersburg", "st. petersburg", "buenos aires", "rio de janeiro",
     "mexiko-stadt", "washington d.c.", "frankfurt am main", "halle an der saale"}
)


def _looks_like_place(part: str) -> bool:
    return part.strip().lower() in _PLACES


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def resolve_authors(names: list[str], byline: str | None) -> Byline:
    """Authors and agencies from structured names (JSON-LD) and/or a printed byline.

    Structured names win when they name a person; agencies are collected from both.

    Args:
        names: author names from a structured source, one per entry.
        byline: the byline as printed on the page.

    Returns:
        A :class:`Byline` without duplicates.
    """
    parsed = parse_byline(byline)
    result = Byline(agencies=list(parsed.agencies))
    for name in names:
        if agency := agency_of(name):
            _add(result.agencies, agency)
            continue
        person = normalize_author(name)
        if person is not None:
            _add(result.authors, person)
            continue
        # a structured "name" that is really a byline ("Felix Schröder und Jörg Soldwisch, dpa")
        inner = parse_byline(name)
        for extra in inner.authors:
            _add(result.authors, extra)
        for agency in inner.agencies:
            _add(result.agencies, agency)
    if not result.authors:
        result.authors = list(parsed.authors)
    return result
