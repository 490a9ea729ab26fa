"""What a researcher asks for: a full-text query and filters, for Elasticsearch or for JSON Lines files.

With Elasticsearch the query is Lucene syntax (``query_string``: ``Kim AND Putin``, ``"Kim Jong-un"``,
``title:Wladiwostok``, ``Nordkorea*``) on the German-analysed fields, so "Nordkoreas" finds
"Nordkorea". Without it, :class:`TextMatch` reads a simple form of the same: every word or
"quoted phrase" must occur in title, kicker, teaser, body or keywords (case-insensitive, ä = ae,
a word also matches longer words: "Nordkorea" finds "Nordkoreas"), ``-word`` must not, a trailing
``*`` is allowed; ``OR`` and field prefixes need Elasticsearch and are refused with a clear error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from corpus.tz import BERLIN, TIMEZONE

Scope = Literal["in", "out", "all"]
COUNTRIES = ("KP", "KR", "RU", "CN")
# searched fields and their weight (Elasticsearch), and the text a file search reads
SEARCH_FIELDS = ("title^3", "kicker^2", "teaser^2", "keywords^2", "authors^2", "body")
TEXT_FIELDS = ("title", "kicker", "teaser", "body")


class QueryError(ValueError):
    """A query or filter that cannot be used; the message says why."""


@dataclass
class Filters:
    """Which articles (or comments) to read.

    Args:
        query: full-text query (see the module docstring), or ``None`` for all.
        outlets: spider names (``cicero``, ``zeit``); empty for all.
        countries: ISO codes (KP, KR, RU, CN); an article tagged with any of them matches.
        since, until: publication dates, inclusive (Europe/Berlin calendar days).
        scope: ``in`` (the default: what the scope classifier kept as Korea–Russia–China), ``out`` or ``all``.
    """

    query: str | None = None
    outlets: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    since: date | None = None
    until: date | None = None
    scope: Scope = "in"

    def __post_init__(self) -> None:
        self.countries = [c.strip().upper() for c in self.countries if c.strip()]
        unknown = [c for c in self.countries if c not in COUNTRIES]
        if unknown:
            raise QueryError(f"unknown country code(s) {', '.join(unknown)}; known: {', '.join(COUNTRIES)}")
        self.outlets = [o.strip().lower() for o in self.outlets if o.strip()]
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")


def es_query(filters: Filters, comments: bool = False) -> dict[str, Any]:
    """The Elasticsearch query for ``filters`` (on the articles index, or on comments)."""
    must: list[dict[str, Any]] = []
    if filters.query:
        fields = ["text", "title^2", "author.text"] if comments else list(SEARCH_FIELDS)
        must.append({"query_string": {"query": filters.query, "fields": fields, "default_operator": "AND",
                                      "analyze_wildcard": True}})
    restrict: list[dict[str, Any]] = []
    if filters.outlets:
        restrict.append({"terms": {"outlet": filters.outlets}})
    if filters.countries:
        restrict.append({"terms": {"article_countries" if comments else "countries": filters.countries}})
    if filters.since or filters.until:
        bounds = {"time_zone": TIMEZONE, "format": "yyyy-MM-dd"}
        if filters.since:
            bounds["gte"] = filters.since.isoformat()
        if filters.until:  # the whole last day: before the next one begins
            bounds["lt"] = (filters.until + timedelta(days=1)).isoformat()
        restrict.append({"range": {"published_at": bounds}})
    if not comments and filters.scope != "all":
        restrict.append({"term": {"in_scope": filters.scope == "in"}})
    if not must and not restrict:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": restrict}}


def fold(text: str) -> str:
    """Lower case, ä/ö/ü as ae/oe/ue, ß as ss, other accents dropped: how a file search compares text."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


class TextMatch:
    """The file search's reading of a query (see the module docstring)."""

    def __init__(self, query: str) -> None:
        self.required: list[str] = []
        self.excluded: list[str] = []
        for negated, phrase, word in _TOKEN.findall(query):
            term = phrase if phrase else word
            negate = bool(negated)
            if not phrase and term.startswith("-") and len(term) > 1:
                negate, term = True, term[1:]
            if not phrase and (term in ("OR", "||") or ":" in term or term.startswith(("(", "+"))):
                raise QueryError(f"{term!r} needs Elasticsearch (Lucene syntax); without it a query is words and "
                                 '"phrases" that must all occur, and -words that must not')
            if term in ("AND", "&&"):
                continue
            folded = fold(term.rstrip("*"))
            if folded:
                (self.excluded if negate else self.required).append(folded)

    def matches(self, item: dict[str, Any], fields: tuple[str, ...] = TEXT_FIELDS) -> bool:
        parts = [item.get(f) for f in fields]
        parts += list(item.get("keywords") or [])
        text = fold(" ".join(p for p in parts if isinstance(p, str)))
        return all(t in text for t in self.required) and not any(t in text for t in self.excluded)


def berlin_day(published: str | None, precision: str | None) -> date | None:
    """The Europe/Berlin calendar day of a publication date (``None`` for month precision or no date)."""
    if not published or precision == "month":
        return None
    try:
        if len(published) == 10:
            return date.fromisoformat(published)
        moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)).astimezone(BERLIN).date()


def matches(item: dict[str, Any], filters: Filters, text: TextMatch | None, comments: bool = False) -> bool:
    """Whether a record from a file passes ``filters`` (the file twin of :func:`es_query`)."""
    if filters.outlets and item.get("outlet") not in filters.outlets:
        return False
    if filters.countries:
        tags = item.get("article_countries" if comments else "countries") or []
        if not set(tags) & set(filters.countries):
            return False
    if filters.since or filters.until:
        day = berlin_day(item.get("published_at"), item.get("published_precision"))
        if day is None and item.get("published_precision") == "month" and item.get("published_at"):
            day = date.fromisoformat(item["published_at"] + "-01")  # as Elasticsearch reads "2023-09"
        if day is None or (filters.since and day < filters.since) or (filters.until and day > filters.until):
            return False
    if not comments and filters.scope != "all" and bool(item.get("in_scope")) != (filters.scope == "in"):
        return False
    fields = ("text", "title", "author") if comments else TEXT_FIELDS
    return text is None or text.matches(item, fields)
