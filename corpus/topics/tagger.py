"""Tag articles with the countries they cover (KP, KR, RU, CN) and decide scope.

Scope, as the project defines it: an article is in scope when its main subject
involves North or South Korea (politics, security, foreign relations), or the
relations between at least two of Korea, Russia and China. Passing mentions do
not count: a Russia–Ukraine story that names China once is out.

The decision is made from where and how often the terms in ``terms.toml``
occur: title and teaser weigh more than the body. A country group is
*substantial* when it scores at least ``main`` or appears in the title or
teaser; the article is in scope when Korea is substantial, or when two of the
groups Korea, Russia, China are.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

COUNTRIES = ("KP", "KR", "RU", "CN")
# Korea counts as one party when judging relations between Korea, Russia and China.
_GROUPS = {"KOREA": ("KP", "KR"), "RU": ("RU",), "CN": ("CN",)}


@dataclass
class TopicResult:
    """What the tagger found in one article."""

    countries: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    topic_score: float = 0.0
    in_scope: bool = False
    scores: dict[str, float] = field(default_factory=dict)


_NEVER = re.compile(r"(?!)")  # matches nothing: a country listed without strong terms


@dataclass
class _Country:
    strong: re.Pattern[str]
    weak: re.Pattern[str] | None
    exclude: re.Pattern[str] | None


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)")


class Tagger:
    """Country tagging and scope decision from a terms file.

    Args:
        terms: the parsed TOML (see ``corpus/topics/terms.toml`` for the format).
    """

    # identity of the terms (a digest of the file): what scope decisions were made with
    digest: str = "custom"

    def __init__(self, terms: dict[str, Any]) -> None:
        self._countries = {
            code: _Country(
                _compile(spec.get("strong", [])) or _NEVER,
                _compile(spec.get("weak", [])),
                _compile(spec.get("exclude", [])),
            )
            for code, spec in terms["countries"].items()
        }
        context = terms.get("context", {})
        self._politics = _compile(context.get("politics", []))
        self.min_politics = int(context.get("min_politics", 1))
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

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Tagger:
        """Load a terms file; ``None`` means the one shipped with the package."""
        if path is None:
            data = resources.files("corpus.topics").joinpath("terms.toml").read_text("utf-8")
        else:
            data = Path(path).read_text("utf-8")
        try:
            tagger = cls(tomllib.loads(data))
            tagger.digest = hashlib.sha1(data.encode("utf-8")).hexdigest()[:12]
            return tagger
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"terms file {path or 'corpus/topics/terms.toml'} is not usable: "
                             f"{type(exc).__name__}: {exc}") from None

    def tag_article(self, kicker: str | None, title: str | None, teaser: str | None = None,
                    body: str | None = None) -> TopicResult:
        """Tag an article as the crawl does: the kicker (Dachzeile) is part of the headline."""
        return self.tag(" - ".join(p for p in (kicker, title) if p), teaser, body)

    def tag(self, title: str | None, teaser: str | None = None, body: str | None = None) -> TopicResult:
        """Tag one article.

        Args:
            title: headline (kicker included, if any).
            teaser: lead paragraph.
            body: article text.

        Returns:
            A :class:`TopicResult` with countries, pairs, score and scope.
        """
        parts = {"title": title or "", "teaser": teaser or "", "body": body or ""}
        scores: dict[str, float] = {}
        prominent: set[str] = set()
        for code, country in self._countries.items():
            score = 0.0
            for where, text in parts.items():
                if not text:
                    continue
                if country.exclude is not None:
                    text = country.exclude.sub(" ", text)
                hits = len(country.strong.findall(text))
                weak_hits = 0
                if country.weak is not None:
                    # a weak term inside a strong one ("Kim" in "Kim Jong-un") is not counted twice
                    weak_hits = len(country.weak.findall(country.strong.sub(" ", text)))
                score += self.weights[where] * (hits + self.weak_factor * weak_hits)
                if hits and where in ("title", "teaser"):
                    prominent.add(code)
            scores[code] = round(score, 2)
        countries = [c for c in COUNTRIES if scores.get(c, 0.0) >= self.covered]
        pairs = [f"{a}-{b}" for i, a in enumerate(sorted(countries)) for b in sorted(countries)[i + 1 :]]
        words = len(parts["body"].split())
        main = self.main + self.main_per_1000_words * words / 1000
        substantial = {
            group
            for group, members in _GROUPS.items()
            if sum(scores.get(m, 0.0) for m in members) >= main or prominent & set(members)
        }
        in_scope = "KOREA" in substantial or len(substantial) >= 2
        if in_scope and substantial == {"KOREA"} and scores.get("KP", 0.0) < self.covered:
            # South Korea alone: only its politics, security and foreign relations count
            in_scope = self._politics_count(parts) >= self.min_politics
        relevant = sum(scores.get(c, 0.0) for c in countries)
        return TopicResult(countries, pairs, round(relevant, 2), in_scope, scores)

    def _politics_count(self, parts: dict[str, str]) -> int:
        if self._politics is None:
            return self.min_politics
        return sum(len(self._politics.findall(text)) for text in parts.values())


@lru_cache(maxsize=8)
def default_tagger(path: str | None = None) -> Tagger:
    """A cached :class:`Tagger` for ``path`` (or the shipped terms)."""
    return Tagger.from_file(path)
