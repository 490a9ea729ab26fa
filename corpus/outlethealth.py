"""An outlet's health in one crawl, and the alarm when it falls.

Every crawl counts, for its outlet: the links each feed, sitemap and listing listed, how many
were candidates, fetched and articles; pages that were not articles (by path shape, see
:mod:`corpus.pagekind`); and, over its article pages, how often each field was filled and by
which extraction layer (title, authors, date, a body of at least 80 words, teaser). The crawl
record (:mod:`corpus.crawlrecord`) stores it under ``health``.

:func:`judge` compares a crawl with the median of the outlet's earlier runs in the same mode
(``CORPUS_HEALTH_RUNS`` of them, from ``corpus-crawls`` or ``crawls.jsonl``): articles per
fetched page, or a field's fill rate, lower by more than ``CORPUS_HEALTH_ARTICLE_DROP`` or
``CORPUS_HEALTH_FILL_DROP`` points, and a feed that listed links and gave no article, make the
run ``degraded``: one WARNING names the outlet and every measure that fell. A crawl with fewer
than ``CORPUS_HEALTH_MIN_PAGES`` article pages is not judged on rates, and rates are judged only
after ``CORPUS_HEALTH_MIN_RUNS`` earlier runs. Earlier degraded runs count in the median: a
change that persists becomes the outlet's new normal after half the window.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from corpus.pagekind import MIN_WORDS

# field measured -> (the extraction field whose layer filled it, how it reads in a warning)
FIELDS = {"title": ("title", "title"), "authors": ("authors", "authors"), "date": ("published", "date"),
          "body": ("body", f"body of {MIN_WORDS}+ words"), "teaser": ("teaser", "teaser")}
LISTED_KINDS = ("feed", "news_sitemap")  # the outlet's own lists of its articles
MAX_SOURCES = 200  # sources kept in a record (a long backfill pages through many listing pages)


class OutletHealth:
    """The counts of one crawl (one outlet)."""

    def __init__(self) -> None:
        self.sources: dict[str, dict[str, Any]] = {}
        self.fetched = 0
        self.articles = 0
        self.not_articles = 0
        self.shapes: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self.layers: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}

    def _source(self, url: str, kind: str = "listing") -> dict[str, Any]:
        if url not in self.sources:
            self.sources[url] = {"url": url, "kind": kind, "listed": 0, "candidates": 0, "fetched": 0,
                                 "articles": 0, "not_articles": 0}
        return self.sources[url]

    def listed(self, url: str, kind: str, links: int, candidates: int) -> None:
        """A feed, sitemap or listing page listed ``links`` links, ``candidates`` of them article candidates."""
        source = self._source(url, kind)
        source["kind"] = kind
        source["listed"] += links
        source["candidates"] += candidates

    def page(self, source: str | None, article: bool, shape: str | None = None) -> None:
        """A page fetched as an article candidate (``source``: the page that listed it)."""
        self.fetched += 1
        entry = self._source(source) if source else None
        if entry is not None:
            entry["fetched"] += 1
        if article:
            self.articles += 1
            if entry is not None:
                entry["articles"] += 1
        else:
            self.not_articles += 1
            self.shapes[shape or "?"] += 1
            if entry is not None:
                entry["not_articles"] += 1

    def fields(self, values: dict[str, bool], layers: dict[str, str]) -> None:
        """One article page: which measured fields it has (``values``), and the extraction layers."""
        for name, (extracted, _) in FIELDS.items():
            if values.get(name):
                self.filled[name] += 1
                self.layers[name][layers.get(extracted, "?")] += 1

    def summary(self) -> dict[str, Any]:
        """What the crawl record stores under ``health``."""
        rates = {name: round(self.filled[name] / self.articles, 4) if self.articles else None for name in FIELDS}
        sources = sorted(self.sources.values(), key=lambda s: (s["kind"] not in LISTED_KINDS, -s["listed"]))
        return {
            "fetched": self.fetched, "articles": self.articles, "not_articles": self.not_articles,
            "article_rate": round(self.articles / self.fetched, 4) if self.fetched else None,
            "fill": rates, "layers": {name: dict(counts) for name, counts in self.layers.items()},
            "not_article_shapes": dict(self.shapes.most_common(20)), "sources": sources[:MAX_SOURCES],
        }


@dataclass(frozen=True)
class Thresholds:
    runs: int = 10  # earlier runs the median is taken over
    min_runs: int = 3  # fewer earlier runs: rates are not judged yet
    min_pages: int = 5  # fewer article pages (fetched pages for the article rate): not judged
    article_drop: float = 20.0  # points
    fill_drop: float = 20.0  # points


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def judge(current: dict[str, Any], history: list[dict[str, Any]], limits: Thresholds) -> list[str]:
    """The measures of ``current`` (a ``health`` summary) that fell, in words; ``history``: the
    ``health`` of the outlet's earlier runs in the same mode, newest first."""
    reasons = []
    for source in current.get("sources", []):
        if source["kind"] not in LISTED_KINDS or not source["listed"]:
            continue
        kind = source["kind"].replace("_", " ")
        if not source["candidates"]:
            reasons.append(f"the {kind} {source['url']} listed {source['listed']} links and none was an "
                           "article candidate")
        elif source["fetched"] and not source["articles"]:
            reasons.append(f"the {kind} {source['url']} listed {source['listed']} links and gave no article "
                           f"({source['fetched']} fetched)")
    earlier = [h for h in history if h.get("fetched")][: limits.runs]
    if len(earlier) < limits.min_runs:
        return reasons
    if current.get("fetched", 0) >= limits.min_pages and current.get("article_rate") is not None:
        usual = [h["article_rate"] for h in earlier if h.get("article_rate") is not None]
        if usual and current["article_rate"] < statistics.median(usual) - limits.article_drop / 100:
            reasons.append(f"articles per fetched page {_percent(current['article_rate'])} "
                           f"({current['articles']} of {current['fetched']}); median of the last {len(usual)} runs "
                           f"{_percent(statistics.median(usual))}")
    if current.get("articles", 0) >= limits.min_pages:
        for name, (_, words) in FIELDS.items():
            rate = (current.get("fill") or {}).get(name)
            usual = [h["fill"][name] for h in earlier if (h.get("fill") or {}).get(name) is not None]
            if rate is not None and usual and rate < statistics.median(usual) - limits.fill_drop / 100:
                reasons.append(f"{words} filled on {_percent(rate)} of {current['articles']} article pages; "
                               f"median of the last {len(usual)} runs {_percent(statistics.median(usual))}")
    return reasons
