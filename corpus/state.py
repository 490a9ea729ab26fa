"""What the corpus already has, so that a crawl fetches only what is new or may have changed.

:class:`SeenFilter` decides, for the article links a feed, listing or
sitemap page yields, which to fetch: links the corpus does not have, and
articles it has that were published within the revisit window (they may
have been edited or got new comments). Everything else is skipped and
counted. The check is one batched lookup per page, cached for the crawl:

- with Elasticsearch: one ``mget`` by id on ``corpus-articles`` (only
  ``published_at`` is read). When Elasticsearch cannot answer, links are
  fetched (never lost) and one warning is logged.
- without Elasticsearch: :class:`LocalState`, a SQLite file under the output
  directory (``<data>/state.sqlite``), which the ``state`` pipeline keeps:
  article ids with their date, content hash and version, the superseded
  versions (title, teaser, body), and the comment ids already written.
  Articles dropped as out of scope are remembered there in both cases, with
  the scope that dropped them (the terms file's digest): the same scope does
  not fetch them again, a wider one (``scope=all``) or other terms do.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from corpus.normalize.dates import parse_date
from corpus.normalize.text import valid_unicode
from corpus.paths import data_dir
from corpus.search.config import EsConfig
from corpus.tz import BERLIN, moment

logger = logging.getLogger(__name__)


@dataclass
class Known:
    """What the corpus holds for one article id.

    ``dropped`` is set for an article fetched but not kept: the identity of the scope that dropped
    it (the digest of the terms file it was tagged with). A crawl whose scope differs (``scope=all``,
    or other terms) fetches it again.
    """

    published_at: str | None = None
    content_hash: str | None = None
    version: int = 1
    dropped: str | None = None


def earlier(a: str | None, b: str | None) -> str | None:
    """The earlier of two ISO times (either may be missing)."""
    ma, mb = moment(a), moment(b)
    if ma is None or mb is None:
        return a or b
    return a if ma <= mb else b


def later(a: str | None, b: str | None) -> str | None:
    """The later of two ISO times (either may be missing)."""
    ma, mb = moment(a), moment(b)
    if ma is None or mb is None:
        return b or a
    return a if ma >= mb else b


class LocalState:
    """The SQLite store used without Elasticsearch (one file; safe for one crawl process at a time per file)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS articles (
        id TEXT PRIMARY KEY, outlet TEXT, url TEXT, published_at TEXT, content_hash TEXT,
        version INTEGER NOT NULL DEFAULT 1, title TEXT, teaser TEXT, body TEXT,
        first_seen_at TEXT, last_seen_at TEXT, modified_at TEXT);
    CREATE TABLE IF NOT EXISTS article_versions (
        id TEXT PRIMARY KEY, article_id TEXT, version INTEGER, title TEXT, teaser TEXT, body TEXT,
        content_hash TEXT, valid_from TEXT, superseded_at TEXT);
    CREATE TABLE IF NOT EXISTS comments (id TEXT PRIMARY KEY, article_id TEXT, content_hash TEXT);
    """
    # columns added after the first release: (table, column, declaration)
    MIGRATIONS = (("articles", "dropped", "TEXT"), ("articles", "payload_digest", "TEXT"))

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._held = False
        self.db.execute("PRAGMA journal_mode=WAL")
        # no fsync per commit (one per article): a killed crawler loses nothing, only a power cut could
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(self.SCHEMA)
        for table, column, declaration in self.MIGRATIONS:
            columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def hold(self) -> None:
        """Keep what is written uncommitted until :meth:`commit`.

        A crawl holds its state and commits it at its checkpoints (``corpus/signals.py``), once
        the output holds what was recorded: a crawl killed in between leaves the state of its last
        checkpoint, and the next crawl fetches and writes again what the killed one did not write.
        Reads on this store see what is held.
        """
        self._held = True

    def commit(self) -> None:
        with self._lock:
            self.db.commit()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write, atomic: committed at once, or (held) a savepoint inside the open transaction."""
        if not self._held:
            with self.db:
                yield
            return
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        self.db.execute("SAVEPOINT write")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO write")
            raise
        finally:
            self.db.execute("RELEASE write")

    def lookup(self, ids: list[str]) -> dict[str, Known]:
        found: dict[str, Known] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self.db.execute(
                    f"SELECT id, published_at, content_hash, version, dropped FROM articles WHERE id IN ({marks})",
                    chunk,
                ):
                    found[row[0]] = Known(row[1], row[2], row[3], row[4])
        return found

    def stored(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Title, teaser, body and date of the kept articles among ``ids`` (what a reprocess compares)."""
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for article_id, title, teaser, body, published in self.db.execute(
                        f"SELECT id, title, teaser, body, published_at FROM articles WHERE id IN ({marks}) "
                        "AND dropped IS NULL", chunk):
                    found[article_id] = {"title": title, "teaser": teaser, "body": body, "published_at": published}
        return found

    @staticmethod
    def _row(values: tuple[Any, ...]) -> tuple[Any, ...]:
        """SQLite refuses text that is not valid Unicode: a lone surrogate becomes U+FFFD instead of an error."""
        return tuple(valid_unicode(v) if isinstance(v, str) else v for v in values)

    def record_seen(self, item: dict[str, Any], terms: str) -> None:
        """Remember an article fetched but not kept (out of scope under ``terms``), so the same scope does not
        fetch it again; an article the corpus keeps is left as it is."""
        seen = item.get("crawled_at")
        with self._lock, self._writing():
            self.db.execute(
                "INSERT INTO articles (id, outlet, url, published_at, content_hash, first_seen_at, last_seen_at, "
                "dropped) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET dropped = excluded.dropped, content_hash = excluded.content_hash "
                "WHERE articles.dropped IS NOT NULL",
                self._row((item["id"], item.get("outlet"), item.get("url"), item.get("published_at"),
                           item.get("content_hash"), seen, seen, terms)))

    def record_article(self, item: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Store an article; returns its version and, when its content changed, the superseded one.

        Versions count changes of the page only: an article kept for the first time after it was
        dropped (out of scope) is version 1, and a record older than what is stored (an old file,
        a slow worker) never replaces it; it can only move ``first_seen_at`` back. ``last_seen_at``
        never moves back. The same archived page read again (the stored payload digest: ``corpus
        reprocess``) updates the stored text and keeps the version.
        """
        from corpus.search.documents import payload_digest

        now = item.get("crawled_at") or datetime.now(BERLIN).isoformat(timespec="seconds")
        digest = payload_digest(item)
        with self._lock, self._writing():
            row = self.db.execute(
                "SELECT content_hash, version, title, teaser, body, first_seen_at, modified_at, last_seen_at, dropped, "
                "payload_digest FROM articles WHERE id = ?", (item["id"],)).fetchone()
            if row is None or row[8] is not None:
                first_seen = earlier(row[5], now) if row is not None else now
                self.db.execute(
                    "INSERT OR REPLACE INTO articles (id, outlet, url, published_at, content_hash, version, title, "
                    "teaser, body, first_seen_at, last_seen_at, modified_at, dropped, payload_digest) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    self._row((item["id"], item.get("outlet"), item.get("url"), item.get("published_at"),
                               item.get("content_hash"), item.get("title"), item.get("teaser"), item.get("body"),
                               first_seen, later(row[7], now) if row is not None else now,
                               item.get("modified_at"), digest)))
                return 1, None
            stored_hash, version, title, teaser, body, first_seen, modified, last_seen, _, stored_digest = row
            if later(now, last_seen) != now:  # an older record than the stored one
                self.db.execute("UPDATE articles SET first_seen_at = ? WHERE id = ?",
                                (earlier(first_seen, now), item["id"]))
                return version, None
            if stored_hash == item.get("content_hash") or (digest is not None and digest == stored_digest):
                # the same content, or the same page read again by other code: no new version
                self.db.execute(
                    "UPDATE articles SET last_seen_at = ?, published_at = COALESCE(?, published_at), content_hash = ?, "
                    "title = ?, teaser = ?, body = ?, payload_digest = COALESCE(?, payload_digest) WHERE id = ?",
                    self._row((now, item.get("published_at"), item.get("content_hash"), item.get("title"),
                               item.get("teaser"), item.get("body"), digest, item["id"])))
                return version, None
            previous = {"id": f"{item['id']}-v{version}", "article_id": item["id"], "version": version,
                        "title": title, "teaser": teaser, "body": body, "content_hash": stored_hash,
                        "valid_from": modified or first_seen, "superseded_at": now}
            self.db.execute("INSERT OR REPLACE INTO article_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            tuple(previous.values()))
            self.db.execute(
                "UPDATE articles SET content_hash = ?, version = ?, title = ?, teaser = ?, body = ?, "
                "last_seen_at = ?, modified_at = ?, published_at = COALESCE(?, published_at), payload_digest = ? "
                "WHERE id = ?",
                self._row((item.get("content_hash"), version + 1, item.get("title"), item.get("teaser"),
                           item.get("body"), now, item.get("modified_at") or now, item.get("published_at"),
                           digest, item["id"])))
            return version + 1, previous

    def clear_dropped(self, ids: list[str]) -> None:
        """Forget that these articles were dropped as out of scope (``corpus reprocess --rescope`` brought
        them into the corpus): the incremental check then treats them as the corpus's own."""
        with self._lock, self._writing():
            self.db.executemany("DELETE FROM articles WHERE id = ? AND dropped IS NOT NULL", [(i,) for i in ids])

    def new_comment(self, comment_id: str, article_id: str | None, content_hash: str | None) -> bool:
        """Record a comment; ``False`` when it was already written with the same content."""
        if not self.comment_is_new(comment_id, content_hash):
            return False
        self.record_comments([(comment_id, article_id, content_hash)])
        return True

    def comment_is_new(self, comment_id: str, content_hash: str | None) -> bool:
        """``False`` when the comment was recorded with the same content."""
        with self._lock:
            row = self.db.execute("SELECT content_hash FROM comments WHERE id = ?", (comment_id,)).fetchone()
        return row is None or row[0] != content_hash

    def record_comments(self, comments: list[tuple[str, str | None, str | None]]) -> None:
        """Record comments (id, article id, content hash) as written."""
        with self._lock, self._writing():
            self.db.executemany("INSERT OR REPLACE INTO comments VALUES (?, ?, ?)", comments)

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Superseded versions of an article, oldest first."""
        cursor = self.db.execute("SELECT * FROM article_versions WHERE article_id = ? ORDER BY version",
                                 (article_id,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def close(self) -> None:
        """Close the store; what is held and not committed is rolled back."""
        self.db.close()


_OPEN: dict[Path, LocalState] = {}
_OPEN_LOCK = threading.Lock()


def local_state(settings: Any) -> LocalState:
    """The process's one :class:`LocalState` for ``CORPUS_STATE_FILE`` (spider and pipelines share it)."""
    path = Path(settings.get("CORPUS_STATE_FILE") or data_dir(settings.get("CORPUS_OUTPUT_DIR")) / "state.sqlite")
    key = path.resolve()
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = LocalState(path)
        return _OPEN[key]


def close_local_states() -> None:
    with _OPEN_LOCK:
        for state in _OPEN.values():
            state.close()
        _OPEN.clear()


class SeenFilter:
    """Which article links to fetch; see the module docstring.

    Args:
        revisit_days: articles published this many days back or less are fetched again.
        es: the Elasticsearch configuration (used when enabled).
        local: the SQLite store (used without Elasticsearch).
    """

    def __init__(self, revisit_days: float, es: EsConfig | None = None, local: LocalState | None = None,
                 stats: Any = None, clock: Any = None, scope: str | None = None) -> None:
        self.revisit_days = revisit_days
        # the identity of this crawl's scope (the terms digest), None when it keeps everything: an article an
        # other scope dropped is fetched again
        self.scope = scope
        self.es = es if es is not None and es.enabled else None
        self.local = local
        self.stats = stats
        self.clock = clock or (lambda: datetime.now(BERLIN))
        self.cache: dict[str, Known | None] = {}
        self._client: Any = None
        self._warned = False

    @classmethod
    def for_crawl(cls, settings: Any, stats: Any, revisit_days: float | None, scope: str) -> SeenFilter:
        """The filter of a crawl: its revisit window (the outlet's, else ``CORPUS_REVISIT_DAYS``), the
        corpus it reads (Elasticsearch when configured, else the local store) and its scope's identity."""
        from corpus.config import CrawlSettings
        from corpus.topics import default_tagger

        config = CrawlSettings.from_settings(settings)
        days = revisit_days if revisit_days is not None else config.revisit_days
        # the identity of this crawl's scope: articles another scope dropped are fetched again
        digest = None if scope == "all" else default_tagger(config.topic_terms_file or None).digest
        return cls(days, es=EsConfig.from_settings(settings), local=local_state(settings), stats=stats, scope=digest)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(f"corpus/seen/{key}", count)

    def _lookup(self, ids: list[str]) -> dict[str, Known]:
        known = self._es_lookup(ids) if self.es is not None else {}
        rest = [i for i in ids if i not in known]
        if rest and self.local is not None:  # without Elasticsearch, and for articles dropped as out of scope
            known.update(self.local.lookup(rest))
        return known

    def _es_lookup(self, ids: list[str]) -> dict[str, Known]:
        from elasticsearch import Elasticsearch, NotFoundError

        assert self.es is not None  # only asked with Elasticsearch configured
        if self._client is None:
            kwargs = self.es.client_kwargs()
            kwargs["request_timeout"] = min(5.0, float(kwargs.get("request_timeout") or 5.0))
            kwargs["max_retries"] = 0
            self._client = Elasticsearch(**kwargs)
        try:
            response = self._client.mget(index=self.es.alias("articles"), ids=ids,
                                         source_includes=["published_at", "content_hash", "version"])
        except NotFoundError:
            return {}  # no articles index yet: nothing is known
        except Exception as exc:  # an outage must not lose links: fetch them
            self._inc("lookup_failed")
            if not self._warned:
                logger.warning("seen check in Elasticsearch failed (%s: %s); fetching links without it",
                               type(exc).__name__, exc)
                self._warned = True
            raise
        found = {}
        for doc in response["docs"]:
            if doc.get("found"):
                source = doc.get("_source", {})
                found[doc["_id"]] = Known(source.get("published_at"), source.get("content_hash"),
                                          int(source.get("version") or 1))
        return found

    def wanted(self, ids: list[str]) -> set[str]:
        """The ids among ``ids`` to fetch: unknown ones and known ones inside the revisit window."""
        unique = list(dict.fromkeys(ids))
        missing = [i for i in unique if i not in self.cache]
        if missing:
            try:
                known = self._lookup(missing)
            except Exception:
                return set(unique)  # not cached: the next page asks again
            for article_id in missing:
                self.cache[article_id] = known.get(article_id)
        horizon = self.clock() - timedelta(days=self.revisit_days)
        result = set()
        for article_id in unique:
            known_article = self.cache[article_id]
            if known_article is None:
                self._inc("new")
                result.add(article_id)
                continue
            if known_article.dropped is not None:
                if self.scope is None or known_article.dropped != self.scope:
                    self._inc("rescoped")  # dropped by another scope: this one decides again
                    result.add(article_id)
                else:
                    self._inc("skipped")
                continue
            published = parse_date(known_article.published_at) if known_article.published_at else None
            moment = published.value if published is not None else None
            if isinstance(moment, datetime) and moment >= horizon or (
                moment is not None and not isinstance(moment, datetime) and moment >= horizon.date()
            ):
                self._inc("revisit")
                result.add(article_id)
            else:
                self._inc("skipped")
        return result

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
