"""Tag articles with the countries they cover (KP, KR, RU, CN) and decide scope.

Scope, as the project defines it: an article is in scope when its main subject
involves North or South Korea (politics, security, foreign relations), or the
relations between at least two of Korea, Russia and China. Passing mentions do
not count: a Russia–Ukraine story that names China once is out, and so is a
story about sport, culture or a company's business that only takes place in
Korea, Russia or China. US–China relations alone are out: neither is Korea.

The decision is made from where and how often the terms in ``terms.toml``
occur: title and teaser weigh more than the body (``title``, ``teaser``,
``body`` points per occurrence); an agency dateline at the start of the body
("Seoul (dpa) - ...") counts as part of the teaser.

* Country terms are *strong* (full points), *weak* (``weak_factor`` of them) or
  *context* ("der Norden" in a Korea story, "die Volksrepublik"). Context terms
  add to a group (Korea, Russia or China) only when it has strong terms, and at
  most as many points as those gave; they put the group up front (as if named in
  the title or teaser) only when it is anchored, i.e. named up front by a strong
  term already or covered by its strong and weak terms. Text matching an
  *exclude* term ("Russisch Brot") counts for nothing. Where terms overlap, a
  stretch of text counts once: excludes, then strong, context and weak terms.
* A country is *covered* at ``covered`` points. A group is *substantial* when a
  strong (or anchored context) term names it in the title or teaser, or when it
  scores ``main`` (which grows with the body's length). Two groups whose strong
  and context terms both give ``covered`` points, the smaller at least ``balance``
  times the larger, are a *pair*: their relation is a subject even when neither
  is named up front (a company named often is no relation: weak terms do not count).
* A *candidate* has Korea substantial, two groups substantial, or a pair.
* A candidate is out when one of the off-topic lists (``sport``, ``culture``,
  ``business``) dominates: it scores at least ``offtopic_min`` (points weighted by
  title, teaser, body) and more than ``offtopic_ratio`` times the ``politics``
  list. "Der Südkoreaner wechselt zum FC Bayern" is out, "Nordkorea boykottiert
  die Olympischen Spiele" stays in.
* A candidate whose only subject is South Korea (Korea the only substantial or
  paired group, North Korea under ``covered`` by its own strong and weak terms)
  needs ``min_politics`` occurrences of politics terms.

``TopicResult.reason`` says which rule decided.

Speed: the country terms are one regular expression, run once over each part;
it skips through words and tries at a word's start only the terms that begin
with its first letters (see :class:`_Matcher`), with the same matches as the
plain alternation. The context lists are matched only for candidates.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

COUNTRIES = ("KP", "KR", "RU", "CN")
# Korea counts as one party when judging relations between Korea, Russia and China.
_GROUPS = {"KOREA": ("KP", "KR"), "RU": ("RU",), "CN": ("CN",)}
_PARTS = ("title", "teaser", "body")
# where terms overlap, the earlier kind takes the text
_KINDS = ("exclude", "strong", "context", "weak")
_OFFTOPIC = ("sport", "culture", "business")


@dataclass
class TopicResult:
    """What the tagger found in one article."""

    countries: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    topic_score: float = 0.0
    in_scope: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    # why: "korea", "groups", "pair" (in); "sport", "culture", "business", "politics", "" (out)
    reason: str = ""


# --------------------------------------------------------------------------- matching

_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_QUANTIFIERS = ("?", "*", "+", "{")


def _skip_class(pattern: str, start: int) -> int:
    """Index just after the character class opening at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _top_level(pattern: str) -> tuple[list[int], int | None]:
    """(indexes of the top-level "|", index where the group opened at 0 closes, if it does)."""
    depth = 0
    close = None
    bars = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _skip_class(pattern, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and close is None:
                close = i
        elif c == "|" and depth == 0:
            bars.append(i)
        i += 1
    return bars, close


def _alternatives(pattern: str) -> list[str]:
    """A term's top-level alternatives, in order: "a|b" and "(?i:a|b)" are tried as "a", then "b"."""
    wrap = ""
    inner = pattern
    if pattern.startswith("(?i:") and _top_level(pattern)[1] == len(pattern) - 1:
        wrap, inner = "(?i:", pattern[4:-1]
    bars = _top_level(inner)[0]
    if not bars:
        return [pattern]
    pieces = [inner[i + 1 : j] for i, j in zip([-1, *bars], [*bars, len(inner)], strict=True)]
    return [f"{wrap}{piece})" if wrap else piece for piece in pieces]


def _capturing(pattern: str) -> int:
    """How many capturing groups ``pattern`` has (as ``re.compile(pattern).groups``, without compiling)."""
    count = 0
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == "[":
            i = _skip_class(pattern, i)
        else:
            if pattern[i] == "(" and (pattern[i + 1 : i + 2] != "?" or pattern.startswith("(?P<", i)):
                count += 1
            i += 1
    return count


def _backreference(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            if pattern[i + 1 : i + 2].isdigit() and pattern[i + 1] != "0":
                return True
            i += 2
        elif pattern[i] == "[":
            i = _skip_class(pattern, i)
        elif pattern.startswith("(?P=", i):
            return True
        else:
            i += 1
    return False


@cache
def _case_variants(char: str) -> frozenset[str]:
    """Every character that ``(?i:char)`` matches (searched in the Basic Multilingual Plane)."""
    return frozenset(re.findall(f"(?i:{re.escape(char)})", _bmp()))


@lru_cache(maxsize=1)
def _bmp() -> str:
    return "".join(map(chr, range(0x10000)))


@lru_cache(maxsize=1)
def _non_word_class() -> str:
    """A character class of every character ``\\w`` does not match in the BMP, and all beyond it.

    Beyond the BMP it is a superset; the matcher checks ``(?<!\\w)`` after it anyway.
    Spelled out, not ``\\W``: the engine skips through an explicit set much faster.
    """
    ranges = []
    start = None
    for code in range(0x10001):
        inside = code < 0x10000 and not re.match(r"\w", chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    spelled = "".join(
        f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges
    )
    return f"[{spelled}\\U00010000-\\U0010ffff]"


def _split(pattern: str, word_only: bool = True) -> tuple[frozenset[str], str] | None:
    """Split a term into the characters it can start with and the pattern for the rest.

    Handles terms (without a top-level "|") that start with a literal word
    character or a plain class of them, optionally inside one case-insensitive
    group ("(?i:russisch\\w*)"); ``None`` for anything else (the matcher then
    falls back to the plain alternation).
    """
    inner, icase = pattern, False
    if pattern.startswith("(?i:"):
        bars, close = _top_level(pattern)
        if bars or close != len(pattern) - 1:
            return None
        inner, icase = pattern[4:-1], True
    if not inner or _top_level(inner)[0]:
        return None
    if inner[0] == "[":
        end = _skip_class(inner, 0)
        members = inner[1 : end - 1]
        if end > len(inner) or not members or members[0] == "^" or any(c in "\\-[]" for c in members):
            return None
        chars, rest = frozenset(members), inner[end:]
    elif inner[0] in _SPECIAL:
        return None
    else:
        chars, rest = frozenset(inner[0]), inner[1:]
    if rest.startswith(_QUANTIFIERS):
        return None
    if icase:
        if any(ord(c) > 0xFFFF for c in chars):
            return None
        chars = frozenset().union(*(_case_variants(c) for c in chars))
        rest = f"(?i:{rest})" if rest else ""
    if word_only and not all(re.match(r"\w", c) for c in chars):
        return None
    return chars, rest


def _char_class(chars: Iterable[str]) -> str:
    chars = sorted(chars)
    return re.escape(chars[0]) if len(chars) == 1 else "[" + "".join(re.escape(c) for c in chars) + "]"


def _quick(rest: str) -> tuple[str, str]:
    """The rest of a term as (its first character or class, the rest of it), when it splits.

    The engine rules out an alternative at a glance when it starts with a plain
    character or class, not when it starts with a group or a case-insensitive letter.
    """
    split = _split(rest, word_only=False)
    if split is None:
        return "", rest
    chars, tail = split
    return _char_class(chars), tail


class _Matcher:
    """Many whole-word terms as one regular expression; each match says which term it was.

    The plain form is ``(?<!\\w)(?:(t1)|(t2)|...)(?!\\w)``: at every position the
    terms are tried in order, and the first that matches takes the text. The fast
    form finds the same matches with far fewer attempts: it is run over the text
    with a space in front and reads ``W(?<!\\w)(?:N(?:(ordkorea\\w*)|...)|K(?:...)|...)(?!\\w)``,
    where ``W`` is an explicit class of the non-word characters. The engine skips
    through word characters without trying anything, and at a word's start follows
    a trie of the terms' first three characters, so that it tries only the terms
    that can start there (in their order). It is used when every term can be split
    (see :func:`_split`); ``fast`` says whether it is.

    Args:
        terms: (pattern, label) in order of precedence; a pattern given more than
            once keeps its first place and collects all its labels.
    """

    def __init__(self, terms: Iterable[tuple[str, Any]]) -> None:
        labels: dict[str, list[Any]] = {}
        for pattern, label in terms:
            labels.setdefault(pattern, []).append(label)
        self.patterns = list(labels)
        self.labels: list[tuple[Any, ...]] = [tuple(v) for v in labels.values()]
        for pattern in self.patterns:
            re.compile(pattern)  # a bad pattern is reported as itself, not as part of the whole
            if _backreference(pattern):
                raise ValueError(f"term {pattern!r}: backreferences are not supported (they would point elsewhere)")
        pieces = [(index, piece) for index, pattern in enumerate(self.patterns) for piece in _alternatives(pattern)]
        splits = [(index, _split(piece)) for index, piece in pieces]
        self.fast = bool(splits) and all(split is not None for _, split in splits)
        self._term_of: dict[int, int] = {}  # regex group number -> term index
        self._groups = 0
        if self.fast:
            dispatch = self._dispatch(pieces, 3, word_only=True)
            source = f"{_non_word_class()}(?<!\\w){dispatch}(?!\\w)"
            self._lead = " "  # a word at the very start has a non-word character before it
        else:
            alternatives = [self._group(index, "", pattern) for index, pattern in enumerate(self.patterns)]
            source = f"(?<!\\w)(?:{'|'.join(alternatives)})(?!\\w)" if alternatives else "(?!)"
            self._lead = ""
        self.regex = re.compile(source)

    def _group(self, index: int, head: str, tail: str) -> str:
        """``head(tail)``, noting that the group's number stands for term ``index``."""
        self._groups += 1
        self._term_of[self._groups] = index
        self._groups += _capturing(tail)
        return f"{head}({tail})"

    def _dispatch(self, entries: list[tuple[int, str]], levels: int, word_only: bool = False) -> str:
        """Alternatives for ``entries`` ((term index, what must match here), in order), as a trie.

        For ``levels`` characters the terms are grouped by the character they go on
        with: at a position the text has one character, so terms in other groups
        could not match there, and within a group the order is kept.
        """
        splits = [(index, _split(rest, word_only)) for index, rest in entries]
        if levels > 0 and len(entries) > 1 and all(split is not None for _, split in splits):
            by_char: dict[str, list[tuple[int, str]]] = {}
            for index, split in splits:
                assert split is not None
                for char in sorted(split[0]):
                    by_char.setdefault(char, []).append((index, split[1]))
            # characters that go on with the same terms share a branch ("i", "I" and the like)
            by_entries: dict[tuple[tuple[int, str], ...], list[str]] = {}
            for char, following in by_char.items():
                by_entries.setdefault(tuple(following), []).append(char)
            branches = [_char_class(chars) + self._dispatch(list(following), levels - 1)
                        for following, chars in by_entries.items()]
            return f"(?:{'|'.join(branches)})"
        # "[Oo](rdkorea)": the group after the first character, so that it is ruled out at a glance
        alternatives = [self._group(index, *_quick(rest)) for index, rest in entries]
        return f"(?:{'|'.join(alternatives)})"

    def count(self, text: str) -> dict[int, int]:
        """{term index: occurrences} in ``text``."""
        found: dict[int, int] = {}
        if text:
            term_of = self._term_of
            for match in self.regex.finditer(self._lead + text):
                index = term_of[match.lastindex]  # type: ignore[index]
                found[index] = found.get(index, 0) + 1
        return found


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{where} must be a list of strings")
    return value


# --------------------------------------------------------------------------- tagger


class Tagger:
    """Country tagging and scope decision from a terms file.

    Args:
        terms: the parsed TOML (see ``corpus/topics/terms.toml`` for the format).
    """

    # identity of the terms (a digest of the file): what scope decisions were made with
    digest: str = "custom"

    def __init__(self, terms: dict[str, Any]) -> None:
        countries: dict[str, dict[str, Any]] = terms["countries"]
        entries = [
            (pattern, (code, kind))
            for kind in _KINDS
            for code, spec in countries.items()
            for pattern in _strings(spec.get(kind), f"countries.{code}.{kind}")
        ]
        self._codes = tuple(countries)
        self._terms = _Matcher(entries)
        # text an exclude term matches counts for no country, whatever else lists the same pattern
        self._term_labels = [
            () if any(kind == "exclude" for _, kind in labels) else labels for labels in self._terms.labels
        ]

        context = terms.get("context", {})
        self._lists = ("politics", *(name for name in _OFFTOPIC if context.get(name)))
        self._has_politics = bool(context.get("politics"))
        self._context = _Matcher(
            (pattern, name) for name in self._lists for pattern in _strings(context.get(name), f"context.{name}")
        )
        self.min_politics = int(context.get("min_politics", 1))
        self.offtopic_min = float(context.get("offtopic_min", 3.0))
        self.offtopic_ratio = float(context.get("offtopic_ratio", 2.0))

        scoring = terms.get("scoring", {})
        self.weights = {
            "title": float(scoring.get("title", 3.0)),
            "teaser": float(scoring.get("teaser", 2.0)),
            "body": float(scoring.get("body", 1.0)),
        }
        self.weak_factor = float(scoring.get("weak_factor", 0.25))
        self.covered = float(scoring.get("covered", 2.0))
        self.main = float(scoring.get("main", 4.0))
        self.main_per_1000_words = float(scoring.get("main_per_1000_words", 0.0))
        self.balance = float(scoring.get("balance", 0.0))  # 0: no pairs below `main`

        agencies = _strings(terms.get("dateline", {}).get("agencies"), "dateline.agencies")
        self._dateline = None
        if agencies:
            agency = "(?:" + "|".join(agencies) + ")"
            self._dateline = re.compile(
                rf"\s*([^\W\d][^()\n]{{0,60}}?)\s*\({agency}(?:\s*[/,]\s*{agency})*\)\s*[-–—:]\s*"
            )

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Tagger:
        """Load a terms file; ``None`` means the one shipped with the package."""
        data = data_text("terms.toml", path)
        try:
            tagger = cls(tomllib.loads(data))
            tagger.digest = hashlib.sha1(data.encode("utf-8")).hexdigest()[:12]
            return tagger
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            raise ValueError(f"terms file {path or 'corpus/topics/terms.toml'} is not usable: "
                             f"{type(exc).__name__}: {exc}") from None

    def tag_article(self, kicker: str | None, title: str | None, teaser: str | None = None,
                    body: str | None = None) -> TopicResult:
        """Tag an article as the crawl does: the kicker (Dachzeile) is part of the headline."""
        return self.tag(" - ".join(p for p in (kicker, title) if p), teaser, body)

    def _parts(self, title: str | None, teaser: str | None, body: str | None) -> tuple[str, str, str]:
        title, teaser, body = title or "", teaser or "", body or ""
        if self._dateline is not None and body:
            dateline = self._dateline.match(body)
            if dateline:  # "Seoul (dpa) - ...": where the story is from counts as the teaser
                place = dateline.group(1)
                place = place.title() if place.isupper() else place
                teaser = f"{teaser}\n{place}" if teaser else place
                body = body[dateline.end() :]
        return title, teaser, body

    def tag(self, title: str | None, teaser: str | None = None, body: str | None = None) -> TopicResult:
        """Tag one article.

        Args:
            title: headline (kicker included, if any).
            teaser: lead paragraph.
            body: article text.

        Returns:
            A :class:`TopicResult` with countries, pairs, score and scope.
        """
        parts = self._parts(title, teaser, body)
        weights = [self.weights[p] for p in _PARTS]
        labels = self._term_labels
        # per country: points from strong and from weak terms, context hits (weight, up front?);
        # the countries named up front (title, teaser) by a strong term
        strong = dict.fromkeys(self._codes, 0.0)
        weak = dict.fromkeys(self._codes, 0.0)
        context: dict[str, list[tuple[float, bool]]] = {}
        prominent: set[str] = set()
        for part, (text, weight) in enumerate(zip(parts, weights, strict=True)):
            for index, n in self._terms.count(text).items():
                for code, kind in labels[index]:
                    if kind == "strong":
                        strong[code] += weight * n
                        if part < 2:
                            prominent.add(code)
                    elif kind == "weak":
                        weak[code] += weight * self.weak_factor * n
                    elif kind == "context":
                        context.setdefault(code, []).extend([(weight, part < 2)] * n)
        scores = {code: strong[code] + weak[code] for code in self._codes}
        named = dict(scores)  # before the context terms
        if context:
            self._add_context(context, strong, scores, prominent)
        firm = {code: scores[code] - weak[code] for code in self._codes}  # strong and context points
        scores = {code: round(score, 2) for code, score in scores.items()}
        countries = [c for c in COUNTRIES if scores.get(c, 0.0) >= self.covered]
        pairs = [f"{a}-{b}" for i, a in enumerate(sorted(countries)) for b in sorted(countries)[i + 1 :]]
        relevant = round(sum(scores.get(c, 0.0) for c in countries), 2)

        in_scope, reason = self._decide(parts, scores, firm, prominent, named.get("KP", 0.0))
        return TopicResult(countries, pairs, relevant, in_scope, scores, reason)

    def _add_context(self, context: dict[str, list[tuple[float, bool]]], strong: dict[str, float],
                     scores: dict[str, float], prominent: set[str]) -> None:
        """Context terms add to a group with strong terms, up to as many points as those gave.

        They put the group up front (title or teaser) only when it is anchored: named
        there by a strong term already, or covered by its strong and weak terms.
        """
        for members in _GROUPS.values():
            room = sum(strong.get(c, 0.0) for c in members)
            if room <= 0 or not any(code in context for code in members):
                continue
            anchored = bool(prominent & set(members)) or sum(scores.get(c, 0.0) for c in members) >= self.covered
            hits = sorted(((weight, up_front, code) for code in members for weight, up_front in context.get(code, ())),
                          reverse=True)
            for weight, up_front, code in hits:
                if room <= 0:
                    break
                points = min(weight, room)
                room -= points
                scores[code] += points
                if up_front and anchored:
                    prominent.add(code)

    def _decide(self, parts: Sequence[str], scores: dict[str, float], firm: dict[str, float],
                prominent: set[str], north_named: float) -> tuple[bool, str]:
        group_score = {group: sum(scores.get(m, 0.0) for m in members) for group, members in _GROUPS.items()}
        substantial = {group for group, members in _GROUPS.items() if prominent & set(members)}
        if any(score >= self.main for group, score in group_score.items() if group not in substantial):
            # only then is the body's length needed: `main` grows with it
            main = self.main + self.main_per_1000_words * len(parts[2].split()) / 1000
            substantial |= {group for group, score in group_score.items() if score >= main}
        paired: set[str] = set()
        if self.balance > 0:
            # pairs from strong (and context) terms only: a company's name is no relation
            firm_group = {group: sum(firm.get(m, 0.0) for m in members) for group, members in _GROUPS.items()}
            covered = sorted((g for g, s in firm_group.items() if s >= self.covered), key=firm_group.__getitem__)
            for i, small in enumerate(covered):
                for large in covered[i + 1 :]:
                    if firm_group[small] >= self.balance * firm_group[large]:
                        paired |= {small, large}
        if "KOREA" in substantial:
            reason = "korea"
        elif len(substantial) >= 2:
            reason = "groups"
        elif paired:
            reason = "pair"
        else:
            return False, ""

        lists = self._context_points(parts)
        politics = lists.get("politics", (0.0, 0))
        for name in _OFFTOPIC:
            points = lists.get(name, (0.0, 0))[0]
            if points >= self.offtopic_min and points > self.offtopic_ratio * politics[0]:
                return False, name
        if substantial | paired == {"KOREA"} and north_named < self.covered:
            # South Korea alone ("im Norden des Landes" does not name North Korea): only its
            # politics, security and foreign relations count
            if self._has_politics and politics[1] < self.min_politics:
                return False, "politics"
        return True, reason

    def _context_points(self, parts: Sequence[str]) -> dict[str, tuple[float, int]]:
        """{list name: (points weighted like the country terms, plain count)}."""
        points: dict[str, tuple[float, int]] = {}
        labels = self._context.labels
        for text, part in zip(parts, _PARTS, strict=True):
            weight = self.weights[part]
            for index, n in self._context.count(text).items():
                for name in labels[index]:
                    weighted, count = points.get(name, (0.0, 0))
                    points[name] = (weighted + weight * n, count + n)
        return points


def data_text(name: str, path: str | Path | None = None) -> str:
    """The text of a data file: ``path``, or the file ``name`` shipped in corpus/topics."""
    if path is None:
        return resources.files("corpus.topics").joinpath(name).read_text("utf-8")
    return Path(path).read_text("utf-8")


@lru_cache(maxsize=8)
def default_tagger(path: str | None = None) -> Tagger:
    """A cached :class:`Tagger` for ``path`` (or the shipped terms)."""
    return Tagger.from_file(path)
