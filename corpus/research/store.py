"""The corpus to read: Elasticsearch, or the JSON Lines files of the data directory.

Both give the same answers to the same questions (tests compare them): every article or comment
that matches (:func:`~corpus.research.query.es_query` / :func:`~corpus.research.query.matches`),
one per id; a search's best hits; counts grouped by period and by fields; one item by id.
Files may hold an item more than once (revisits, a crawl run again after a kill): the newest
record counts (highest ``version``, then the latest ``crawled_at``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import product
from pathlib import Path
from typing import Any

from corpus.research.query import Filters, TextMatch, berlin_day, es_query, matches
from corpus.state import later
from corpus.tz import TIMEZONE

logger = logging.getLogger(__name__)

PERIODS = {"day": "1d", "week": "1w", "month": "1M", "year": "1y"}
_PERIOD_FORMAT = {"day": "yyyy-MM-dd", "week": "yyyy-MM-dd", "month": "yyyy-MM", "year": "yyyy"}
# what a count can be grouped by besides a period: the item field behind each name
GROUPS = {"country": "countries", "outlet": "outlet", "author": "authors", "agency": "agencies",
          "section": "section", "pair": "pairs"}
# folders of the data directory that hold no crawl output
_NOT_OUTPUT = {"deadletter", "logs", "schedule", "index", "jobs", "offtopic", "archive"}


def parse_by(value: str) -> list[str]:
    """``week,country`` -> ``["week", "country"]``; at most one period, known names only."""
    names = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in PERIODS and n not in GROUPS]
    if unknown or not names:
        raise ValueError(f"--by: unknown {', '.join(unknown) or 'nothing'}; use a period "
                         f"({', '.join(PERIODS)}) and/or {', '.join(GROUPS)}, e.g. --by week,country")
    if sum(n in PERIODS for n in names) > 1:
        raise ValueError("--by: one period at most (day, week, month or year)")
    return names


def period_key(item: dict[str, Any], period: str) -> str | None:
    """The period a publication date falls in (Europe/Berlin): ``2024-05-06`` for the week starting that
    Monday; ``None`` when the date is missing or too coarse (a month-only date has no week)."""
    published, precision = item.get("published_at"), item.get("published_precision")
    if period in ("month", "year"):
        if not published:
            return None
        month_day = berlin_day(published, precision) or date.fromisoformat(published[:7] + "-01")
        return month_day.strftime("%Y-%m") if period == "month" else str(month_day.year)
    day = berlin_day(published, precision)
    if day is None:
        return None
    if period == "week":
        day -= timedelta(days=day.weekday())
    return day.isoformat()


def _newer(candidate: dict[str, Any], kept: dict[str, Any]) -> bool:
    version_a, version_b = int(candidate.get("version") or 1), int(kept.get("version") or 1)
    if version_a != version_b:
        return version_a > version_b
    return later(candidate.get("crawled_at"), kept.get("crawled_at")) == candidate.get("crawled_at")


class FileStore:
    """The JSON Lines files of crawls: ``<data directory>/<spider>/*.jsonl``, or the files given."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self._items: dict[str, dict[str, dict[str, Any]]] | None = None
        self.unreadable = 0

    @classmethod
    def in_data_dir(cls, data: Path) -> FileStore:
        files = sorted(p for p in data.glob("*/*.jsonl") if p.parent.name not in _NOT_OUTPUT)
        return cls(files)

    @property
    def description(self) -> str:
        return f"{len(self.paths)} JSON Lines file{'s' if len(self.paths) != 1 else ''}"

    def _load(self) -> dict[str, dict[str, dict[str, Any]]]:
        if self._items is None:
            items: dict[str, dict[str, dict[str, Any]]] = {"article": {}, "comment": {}}
            for path in self.paths:
                with path.open("rb") as f:
                    for number, raw in enumerate(f, start=1):
                        if not raw.strip():
                            continue
                        try:
                            item = json.loads(raw.decode("utf-8"))
                        except (UnicodeDecodeError, ValueError, RecursionError):
                            self.unreadable += 1
                            logger.warning("%s: line %d is not a JSON object; left out", path, number)
                            continue
                        kind = item.get("item_type") if isinstance(item, dict) else None
                        ident = item.get("id") if isinstance(item, dict) else None
                        if kind not in items or not isinstance(ident, str):
                            continue
                        kept = items[kind].get(ident)
                        if kept is None or _newer(item, kept):
                            items[kind][ident] = item
            self._items = items
        return self._items

    def _select(self, filters: Filters, comments: bool) -> list[dict[str, Any]]:
        text = TextMatch(filters.query) if filters.query else None
        pool = self._load()["comment" if comments else "article"].values()
        chosen = [i for i in pool if matches(i, filters, text, comments)]
        chosen.sort(key=lambda i: (i.get("published_at") or "", i.get("id") or ""), reverse=True)
        return chosen

    def total(self, filters: Filters, comments: bool = False) -> int:
        return len(self._select(filters, comments))

    def items(self, filters: Filters, comments: bool = False) -> Iterator[dict[str, Any]]:
        yield from self._select(filters, comments)

    def search(self, filters: Filters, size: int) -> list[dict[str, Any]]:
        """The newest matches (files give no relevance)."""
        return self._select(filters, False)[:size]

    def count(self, filters: Filters, by: list[str]) -> tuple[list[tuple[Any, ...]], int]:
        """Rows ``(*keys, articles)`` sorted by key, and how many articles had no date for the period."""
        period = next((n for n in by if n in PERIODS), None)
        counts: Counter[tuple[Any, ...]] = Counter()
        left_out = 0
        for item in self._select(filters, False):
            columns: list[list[Any]] = []
            for name in by:
                if name in PERIODS:
                    columns.append([period_key(item, name)])
                else:
                    value = item.get(GROUPS[name])
                    values = value if isinstance(value, list) else [value]
                    columns.append(list(dict.fromkeys(values)) or [None])
            if period is not None and columns[by.index(period)] == [None]:
                left_out += 1
                continue
            for key in product(*columns):
                counts[key] += 1
        return sorted(((*k, n) for k, n in counts.items()), key=_sort_key), left_out

    def get(self, ident: str) -> dict[str, Any] | None:
        items = self._load()
        return items["article"].get(ident) or items["comment"].get(ident)


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("" if v is None else str(v) for v in row[:-1])


class EsStore:
    """The ``corpus-articles`` and ``corpus-comments`` aliases of an Elasticsearch cluster."""

    def __init__(self, config: Any) -> None:
        from elasticsearch import Elasticsearch

        self.config = config
        self.client = Elasticsearch(**config.client_kwargs())

    @property
    def description(self) -> str:
        return f"Elasticsearch at {self.config.describe()}"

    def _index(self, comments: bool) -> str:
        return self.config.alias("comments" if comments else "articles")

    def total(self, filters: Filters, comments: bool = False) -> int:
        return int(self.client.count(index=self._index(comments), query=es_query(filters, comments))["count"])

    def items(self, filters: Filters, comments: bool = False) -> Iterator[dict[str, Any]]:
        from elasticsearch import helpers

        for hit in helpers.scan(self.client, index=self._index(comments),
                                query={"query": es_query(filters, comments)}, size=500):
            yield {**hit["_source"], "id": hit["_id"]}

    def search(self, filters: Filters, size: int) -> list[dict[str, Any]]:
        sort: list[Any] = ["_score", {"published_at": {"order": "desc", "missing": "_last"}}] if filters.query \
            else [{"published_at": {"order": "desc", "missing": "_last"}}]
        response = self.client.search(index=self._index(False), query=es_query(filters), size=size, sort=sort,
                                      source_excludes=["body", "extraction"], track_total_hits=True)
        return [{**hit["_source"], "id": hit["_id"], "score": hit.get("_score")} for hit in response["hits"]["hits"]]

    def count(self, filters: Filters, by: list[str]) -> tuple[list[tuple[Any, ...]], int]:
        period = next((n for n in by if n in PERIODS), None)
        query = es_query(filters)
        if period is not None:
            need: list[dict[str, Any]] = [{"exists": {"field": "published_at"}}]
            dated = {"bool": {"filter": [query, *need],
                              "must_not": [{"term": {"published_precision": "month"}}] if period in ("day", "week")
                              else []}}
        else:
            dated = query
        sources: list[dict[str, Any]] = []
        for name in by:
            if name in PERIODS:
                sources.append({name: {"date_histogram": {
                    "field": "published_at", "calendar_interval": PERIODS[name], "time_zone": TIMEZONE,
                    "format": _PERIOD_FORMAT[name]}}})
            else:
                sources.append({name: {"terms": {"field": GROUPS[name], "missing_bucket": True}}})
        rows: list[tuple[Any, ...]] = []
        after = None
        while True:
            composite: dict[str, Any] = {"size": 1000, "sources": sources}
            if after:
                composite["after"] = after
            response = self.client.search(index=self._index(False), query=dated, size=0,
                                          aggs={"rows": {"composite": composite}})
            result = response["aggregations"]["rows"]
            for bucket in result["buckets"]:
                key = bucket["key"]
                rows.append((*(key[name] for name in by), bucket["doc_count"]))
            after = result.get("after_key")
            if not result["buckets"] or not after:
                break
        left_out = self.total(filters) - self._count(dated) if period is not None else 0
        return sorted(rows, key=_sort_key), left_out

    def _count(self, query: dict[str, Any]) -> int:
        return int(self.client.count(index=self._index(False), query=query)["count"])

    def get(self, ident: str) -> dict[str, Any] | None:
        from elasticsearch import NotFoundError

        # articles, comments, and the light records of articles out of scope (their page is archived too)
        for index in (self._index(False), self._index(True), self.config.alias("offtopic")):
            try:
                found = self.client.get(index=index, id=ident)
            except NotFoundError:
                continue
            return {**found["_source"], "id": found["_id"]}
        return None


def open_store(source: str, inputs: list[str] | None = None) -> FileStore | EsStore:
    """``es``, ``files`` or ``auto`` (Elasticsearch when ``ELASTICSEARCH_URL`` is set, else the files)."""
    from corpus.paths import data_dir
    from corpus.search.config import EsConfig

    if inputs:
        if source == "es":
            raise ValueError("--input reads files; leave out --source es")
        missing = [p for p in inputs if not Path(p).is_file()]
        if missing:
            raise ValueError(f"no such file: {', '.join(missing)}")
        return FileStore(Path(p) for p in inputs)
    config = EsConfig.from_env()
    if source == "es" or (source == "auto" and config.enabled):
        if not config.enabled:
            raise ValueError("--source es: no Elasticsearch configured (set ELASTICSEARCH_URL)")
        return EsStore(config)
    return FileStore.in_data_dir(data_dir())
