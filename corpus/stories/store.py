"""Where the stories live between runs: Elasticsearch's articles, or a local SQLite file.

The story index (:mod:`corpus.stories.index`) holds the days it was asked about. Before an
article is placed, :meth:`Stories.ensure` loads the members published within the window
around its date that are not loaded yet: with Elasticsearch, from the articles themselves
(their ``story_*`` fields, ``duplicate_of``, ``similarity``, ``wire_copy`` and dates);
without it, from ``<data>/stories.sqlite`` (``CORPUS_STORIES_FILE``), which the stories
pipeline keeps. A crawl therefore starts with one load of the last ``window`` days, a
backfill loads each stretch of history once, and a restarted crawl finds the clusters it
left.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from corpus.stories.index import Member, StoryIndex
from corpus.stories.minhash import Signature
from corpus.tz import BERLIN, moment

logger = logging.getLogger(__name__)


def when_of(published_at: str | None, crawled_at: str | None = None) -> datetime | None:
    """The time an article is placed at: its publication (a month counts from its first day), else its fetch."""
    for value in (published_at, crawled_at):
        if not value:
            continue
        if len(value) == 7:  # "2023-09": month precision
            value += "-01"
        found = moment(value)
        if found is not None:
            return found
    return None


def agency_only(agencies: Iterable[str] | None, authors: Iterable[str] | None) -> bool:
    """Credited to news agencies and to no person."""
    return bool(list(agencies or ())) and not list(authors or ())


class Stories:
    """A story index over a store; ``ensure(when)`` (a coroutine for Elasticsearch) loads what a date needs."""

    def __init__(self, index: StoryIndex) -> None:
        self.index = index
        self.loaded: set[date] = set()

    # members held before stories far from the article being placed are dropped (a backfill over years)
    MAX_MEMBERS = 200_000

    def _days(self, when: datetime) -> tuple[date, date] | None:
        day = when.astimezone(BERLIN).date()
        if len(self.index) > self.MAX_MEMBERS:
            reach = 3 * self.index.window + timedelta(days=2)
            self.index.forget(when - reach, when + reach)
            self.loaded = {d for d in self.loaded if abs(d - day) <= reach - timedelta(days=1)}
        wanted = [day + timedelta(days=n) for n in range(-self.index.window.days - 1, self.index.window.days + 2)]
        missing = [d for d in wanted if d not in self.loaded]
        if not missing:
            return None
        self.loaded.update(wanted)
        return missing[0], missing[-1]


def _member(id_: str, when: datetime, signature: str | None, agency: bool, outlet: str | None,
            story_id: str | None, duplicate_of: str | None, similarity: float | None, wire: bool,
            title: str | None = None) -> Member:
    sig = None
    if signature:
        try:
            sig = Signature.decode(signature)
        except ValueError as exc:
            logger.warning("stories: article %s has a damaged signature (%s); it is not compared", id_, exc)
    return Member(id_, when, sig, agency, outlet, story_id or id_, duplicate_of, similarity, bool(wire), title)


class LocalStories(Stories):
    """The members in a SQLite file (used without Elasticsearch). Crawls running at the same time on one file
    each see the others' articles from their next run."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS members (
        id TEXT PRIMARY KEY, at TEXT NOT NULL, day TEXT NOT NULL, signature TEXT, agency_only INTEGER,
        outlet TEXT, story_id TEXT NOT NULL, duplicate_of TEXT, similarity REAL, wire_copy INTEGER, title TEXT);
    CREATE INDEX IF NOT EXISTS members_day ON members (day);
    """

    def __init__(self, index: StoryIndex, path: Path) -> None:
        super().__init__(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # each save is its own short transaction: crawls running side by side on one data directory (a
        # schedule's parallel jobs) share the file without waiting on each other's checkpoints
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(self.SCHEMA)
        self.users = 0

    def ensure(self, when: datetime) -> None:
        """Load the stored members published within the window around ``when`` (once per day)."""
        span = self._days(when)
        if span is None:
            return
        rows = self.db.execute(
            "SELECT id, at, signature, agency_only, outlet, story_id, duplicate_of, similarity, wire_copy, title "
            "FROM members WHERE day BETWEEN ? AND ?", (span[0].isoformat(), span[1].isoformat()))
        for id_, at, signature, agency, outlet, story_id, duplicate_of, similarity, wire, title in rows:
            self.index.load(_member(id_, datetime.fromisoformat(at), signature, bool(agency), outlet, story_id,
                                    duplicate_of, similarity, wire, title))

    def save(self, member: Member, changed: list[Member]) -> None:
        """Remember a placed member and the members it changed (at once: WAL, no fsync per save)."""
        with self.db:
            self._save(member, changed)

    def _save(self, member: Member, changed: list[Member]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(m.id, m.when.isoformat(), m.when.astimezone(BERLIN).date().isoformat(),
              m.signature.encode() if m.signature is not None else None, int(m.agency_only), m.outlet,
              m.story_id, m.duplicate_of, m.similarity, int(m.wire_copy), m.title) for m in (member, *changed)])

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        """Commit; the last user of the file closes it."""
        self.db.commit()
        self.users -= 1
        if self.users <= 0:
            self.db.close()
            _OPEN.pop(self.path.resolve(), None)


_OPEN: dict[Path, LocalStories] = {}


def local_stories(path: Path, threshold: float, window_days: int) -> LocalStories:
    """The process's one :class:`LocalStories` for ``path``: pipelines of one process (a crawl and its
    helpers, the tests) share its index and its connection, as they share the local state."""
    key = path.resolve()
    stories = _OPEN.get(key)
    if stories is None:
        stories = _OPEN[key] = LocalStories(StoryIndex(threshold, window_days), path)
    stories.users += 1
    return stories


_ES_FIELDS = ["id", "title", "published_at", "crawled_at", "story_signature", "agencies", "authors", "outlet",
              "story_id", "duplicate_of", "similarity", "wire_copy"]


class EsStories(Stories):
    """The members are the articles in Elasticsearch (the alias ``<prefix>-articles``)."""

    def __init__(self, index: StoryIndex, config: Any) -> None:
        super().__init__(index)
        self.config = config
        self.client: Any = None

    async def ensure(self, when: datetime) -> None:
        """Load the articles published within the window around ``when`` (once per day)."""
        span = self._days(when)
        if span is None:
            return
        from elasticsearch import AsyncElasticsearch, NotFoundError
        from elasticsearch.helpers import async_scan

        if self.client is None:
            self.client = AsyncElasticsearch(**self.config.client_kwargs())
        start = datetime.combine(span[0], datetime.min.time(), BERLIN).isoformat()
        end = datetime.combine(span[1] + timedelta(days=1), datetime.min.time(), BERLIN).isoformat()
        within = {"gte": start, "lt": end}
        query = {"bool": {"should": [
            {"range": {"published_at": within}},
            {"bool": {"must_not": {"exists": {"field": "published_at"}}, "filter": {"range": {"crawled_at": within}}}},
        ], "minimum_should_match": 1}}
        try:
            async for hit in async_scan(self.client, index=self.config.alias("articles"), query={"query": query},
                                        _source=_ES_FIELDS, size=1000):
                doc = hit["_source"]
                at = when_of(doc.get("published_at"), doc.get("crawled_at"))
                if at is None:
                    continue
                self.index.load(_member(
                    hit["_id"], at, doc.get("story_signature"), agency_only(doc.get("agencies"), doc.get("authors")),
                    doc.get("outlet"), doc.get("story_id"), doc.get("duplicate_of"), doc.get("similarity"),
                    bool(doc.get("wire_copy")), doc.get("title")))
        except NotFoundError:
            return  # no articles index yet: a first crawl
        except Exception as exc:  # an outage: the articles are still placed among what is loaded
            self.loaded.difference_update(span[0] + timedelta(days=n) for n in range((span[1] - span[0]).days + 1))
            logger.warning("stories: could not read the stories of %s to %s from Elasticsearch (%s: %s); "
                           "articles are compared with this run's only until it answers",
                           span[0], span[1], type(exc).__name__, exc)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
