"""A crawl frontier in ``JOBDIR`` that survives ``kill -9``.

Scrapy's own ``JOBDIR`` support writes the queue's bookkeeping (sizes, the
list of priorities) and the seen-request file's buffer only when the crawl
closes cleanly, and forgets a request as soon as it is handed to the
downloader. A crawl killed with SIGKILL therefore loses the requests in
flight, may lose or repeat queued ones, and items still in an output buffer
are gone. This scheduler keeps the frontier in one SQLite file,
``<JOBDIR>/frontier.sqlite``:

- ``seen``: the fingerprint of every request ever queued (the duplicate
  filter; on disk, so 100,000 URLs cost no memory);
- ``queue``: every queued request, serialised, with its priority; a request
  handed to the downloader is marked *taken*, not removed.

A taken request is removed only after its callback or errback output has been
handled to the end (its items through the pipelines, its follow-up requests
queued: :mod:`corpus.done`) **and** after a checkpoint has made those items
durable: every ``CORPUS_JOB_CHECKPOINT`` seconds and at the close, the JSON
Lines feeds are flushed (:mod:`corpus.feedstorage`) and the ``checkpoint``
signal (:mod:`corpus.signals`) asks every receiver to write what it holds (the
Elasticsearch pipeline flushes its bulk buffer, the local state records its
comments); then the finished requests are removed in one transaction. A
restart with the same ``JOBDIR`` puts the requests that were taken back into
the queue: a page whose items may not have reached the output is fetched
again (at least once), none is lost. Elasticsearch documents have stable ids,
so a page indexed twice overwrites itself; its version does not change when
its content did not.

Only one crawl at a time uses a JOBDIR: it holds ``<JOBDIR>/lock``, and a second
crawl started on the same directory exits with one line naming the first.

A retry or redirect of a taken request replaces its row; a duplicate
redirect target removes it. Requests that cannot be serialised (a callback
that is not a spider method) stay in memory, with a warning.

Without ``JOBDIR`` this is Scrapy's scheduler, unchanged. Why not Scrapy's own
``JOBDIR`` support, and the measurements behind it: ``docs/frontier.md``.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.job import job_dir
from scrapy.utils.request import request_from_dict
from twisted.internet import defer, task
from twisted.python.failure import Failure

from corpus import signals
from corpus.config import CrawlSettings
from corpus.done import TRACK, OutputTracker

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

KEY = "corpus_frontier_id"  # request.meta: the row of a queued request

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (fp BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY,
    priority INTEGER NOT NULL,
    taken INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_next ON queue (taken, priority, id);
"""


class Frontier:
    """The SQLite file: seen fingerprints and queued requests (LIFO or FIFO within a priority)."""

    def __init__(self, path: Path, fifo: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # autocommit; WAL without fsync per commit: a killed process loses nothing it wrote
        # (the operating system has it), only a power cut could
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        order = "ASC" if fifo else "DESC"
        self.waiting = 0  # queued, not taken: kept here because the engine asks for it all the time
        self._next_sql = f"SELECT id, data FROM queue WHERE taken = 0 ORDER BY priority DESC, id {order} LIMIT 1"

    def recover(self) -> int:
        """Put the requests taken by an earlier process back into the queue; returns how many."""
        recovered = self.db.execute("UPDATE queue SET taken = 0 WHERE taken = 1").rowcount
        self.waiting = self.queued()
        return recovered

    def queued(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM queue WHERE taken = 0").fetchone()[0]

    def taken(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM queue WHERE taken = 1").fetchone()[0]

    def seen_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]

    def add(self, fp: bytes | None, priority: int, data: bytes) -> int | None:
        """Queue a request; ``None`` when its fingerprint was seen. ``fp=None``: not filtered."""
        db = self.db
        db.execute("BEGIN")
        try:
            if fp is not None and db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (fp,)).rowcount == 0:
                db.execute("COMMIT")
                return None
            row = db.execute("INSERT INTO queue (priority, data) VALUES (?, ?)", (priority, data)).lastrowid
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.waiting += 1
        return row

    def replace(self, row: int, fp: bytes | None, priority: int, data: bytes) -> bool:
        """A retry or redirect of ``row``: it takes the row's place; ``False`` (row removed) when seen."""
        db = self.db
        db.execute("BEGIN")
        try:
            if fp is not None and db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (fp,)).rowcount == 0:
                db.execute("DELETE FROM queue WHERE id = ?", (row,))
                db.execute("COMMIT")
                return False
            updated = db.execute("UPDATE queue SET priority = ?, data = ?, taken = 0 WHERE id = ?",
                                 (priority, data, row)).rowcount
            if not updated:  # the row is gone (finished meanwhile): queue it anew
                db.execute("INSERT INTO queue (id, priority, data) VALUES (?, ?, ?)", (row, priority, data))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.waiting += 1  # the row was taken (or gone); now it waits again
        return True

    def take(self) -> tuple[int, bytes] | None:
        found = self.db.execute(self._next_sql).fetchone()
        if found is None:
            return None
        self.db.execute("UPDATE queue SET taken = 1 WHERE id = ?", (found[0],))
        self.waiting -= 1
        return found

    def remove(self, rows: Iterable[int]) -> None:
        db = self.db
        db.execute("BEGIN")
        db.executemany("DELETE FROM queue WHERE id = ?", ((row,) for row in rows))
        db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


class JobdirInUse(RuntimeError):
    """Another crawl holds the JOBDIR's lock."""


_LOCKS: dict[Path, int] = {}  # JOBDIR -> the descriptor holding its lock, in this process


def lock_jobdir(directory: str | Path) -> None:
    """Hold ``<JOBDIR>/lock`` for this process (taken again in the same process, it is a no-op).

    Two crawls on one JOBDIR would share one frontier: each takes the other's requests. The lock is
    an ``flock`` on the file, released by the operating system when the process ends, however it ends,
    so a killed crawl leaves no stale lock behind.

    Raises:
        JobdirInUse: another process holds it; the message names that process.
    """
    import fcntl
    import os

    path = Path(directory).resolve()
    if path in _LOCKS:
        return
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise JobdirInUse(f"JOBDIR {directory} is in use by another crawl (pid {holder}); wait for it to end, "
                          "or give this crawl its own JOBDIR") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _LOCKS[path] = fd


def unlock_jobdir(directory: str | Path) -> None:
    import os

    fd = _LOCKS.pop(Path(directory).resolve(), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


class DurableScheduler(BaseScheduler):
    """Scrapy's scheduler interface over the frontier above; without ``JOBDIR``, Scrapy's own scheduler.

    Only public interfaces: :class:`~scrapy.core.scheduler.BaseScheduler`, the request
    (de)serialisation of :mod:`scrapy.utils.request`, the crawl's signals, the ``FEEDS`` setting,
    :mod:`corpus.done` for the moment a request is done, :mod:`corpus.feedstorage` for the feeds
    and the ``checkpoint`` signal (:mod:`corpus.signals`) for the pipelines.
    """

    def __init__(self, crawler: Crawler, frontier: Frontier) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier = frontier
        self.fingerprinter = crawler.request_fingerprinter
        self.checkpoint_every = CrawlSettings.from_settings(crawler.settings).job_checkpoint
        self.spider: Spider | None = None
        self._finished: list[int] = []  # rows whose output was handled, not yet durable
        self._memory: deque[Request] = deque()  # requests that cannot be serialised
        self._checkpointing: defer.Deferred[None] | None = None
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        directory = job_dir(crawler.settings)
        if not directory:
            return Scheduler.from_crawler(crawler)
        lock_jobdir(directory)  # the crawl command checked it already, with a clean exit; this covers runspider
        fifo = "fifo" in str(crawler.settings.get("SCHEDULER_DISK_QUEUE", "")).lower()
        scheduler = cls(crawler, Frontier(Path(directory) / "frontier.sqlite", fifo=fifo))
        OutputTracker.of(crawler).listen(scheduler._done)
        return scheduler

    # --- Scrapy's scheduler interface ----------------------------------------------------
    def open(self, spider: Spider) -> Any:
        self.spider = spider
        recovered = self.frontier.recover()
        queued, seen = self.frontier.queued(), self.frontier.seen_count()
        if recovered:
            logger.warning("JOBDIR %s: %d requests were in flight when the last run stopped; they are fetched "
                           "again", self.frontier.path.parent, recovered)
            self.stats.inc_value("corpus/jobdir/recovered", recovered)
        if queued or seen:
            logger.info("JOBDIR %s: resuming with %d queued requests (%d seen before)", self.frontier.path.parent,
                        queued, seen)
        if (Path(self.frontier.path.parent) / "requests.queue").exists():
            logger.warning("JOBDIR %s holds a queue in Scrapy's own format (requests.queue), which this crawler "
                           "does not read; start a new JOBDIR", self.frontier.path.parent)
        self._warn_about_feeds()
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.checkpoint_every, now=False)
        return None

    def close(self, reason: str) -> Any:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return deferred_from_coro(self._close(reason))

    async def _close(self, reason: str) -> None:
        if self._checkpointing is not None:
            await maybe_deferred_to_future(self._checkpointing)
        await self.checkpoint()
        left, taken = self.frontier.queued(), self.frontier.taken()
        if self._memory:
            logger.warning("JOBDIR: %d requests that could not be serialised are dropped at the close",
                           len(self._memory))
        if left or taken:
            logger.info("JOBDIR %s: %d requests left for the next run (%d of them were in flight)",
                        self.frontier.path.parent, left + taken, taken)
        self.frontier.close()
        unlock_jobdir(self.frontier.path.parent)

    def has_pending_requests(self) -> bool:
        return bool(self._memory) or self.frontier.waiting > 0

    def __len__(self) -> int:
        return len(self._memory) + self.frontier.waiting

    def enqueue_request(self, request: Request) -> bool:
        fp = None if request.dont_filter else self.fingerprinter.fingerprint(request)
        try:
            data = pickle.dumps(request.to_dict(spider=self.spider), protocol=4)
        except Exception as exc:  # a callback that is not a method of the spider, an unpicklable meta value
            return self._enqueue_in_memory(request, fp, exc)
        row = request.meta.get(KEY)
        if row is not None:  # a retry or redirect of a request in flight
            kept = self.frontier.replace(row, fp, request.priority, data)
        else:
            kept = self.frontier.add(fp, request.priority, data) is not None
        if not kept:
            self._filtered(request)
            return False
        self.stats.inc_value("scheduler/enqueued/disk")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self) -> Request | None:
        if self._memory:
            request = self._memory.pop()
            self.stats.inc_value("scheduler/dequeued/memory")
        else:
            found = self.frontier.take()
            if found is None:
                return None
            row, data = found
            request = request_from_dict(pickle.loads(data), spider=self.spider)
            request.meta[KEY] = row
            request.meta[TRACK] = ("jobdir", row)  # corpus.done reports it once its output is handled
            self.stats.inc_value("scheduler/dequeued/disk")
        self.stats.inc_value("scheduler/dequeued")
        return request

    # --- the rest ------------------------------------------------------------------------
    def _enqueue_in_memory(self, request: Request, fp: bytes | None, exc: Exception) -> bool:
        if fp is not None and not self.frontier.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (fp,)).rowcount:
            self._filtered(request)
            return False
        logger.warning("JOBDIR: %s cannot be kept on disk (%s); it stays in memory and is lost if the crawl "
                       "is killed", request, exc)
        self.stats.inc_value("scheduler/unserializable")
        self._memory.append(request)
        self.stats.inc_value("scheduler/enqueued/memory")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def _filtered(self, request: Request) -> None:
        """A request seen before (the engine then sends ``request_dropped``)."""
        self.stats.inc_value("dupefilter/filtered")
        logger.debug("Filtered duplicate request: %s", request)

    def _done(self, key: Any) -> None:
        if isinstance(key, tuple) and key[0] == "jobdir":
            self._finished.append(key[1])

    def _warn_about_feeds(self) -> None:
        """Feeds that a kill would lose or that the next run would overwrite (from the FEEDS setting)."""
        for uri, options in self.crawler.settings.getdict("FEEDS").items():
            scheme = str(uri).split("://", 1)[0] if "://" in str(uri) else "file"
            if scheme not in ("file", ""):
                logger.warning("JOBDIR: the feed %s is stored only when the crawl ends; a killed crawl loses it", uri)
            elif (options or {}).get("overwrite"):
                logger.warning("JOBDIR with an overwriting feed (-O %s): the next run of this job replaces what "
                               "this one wrote; use -o to append", uri)

    def _tick(self) -> defer.Deferred[None] | None:
        if self._checkpointing is not None or not self._finished:
            return None
        self._checkpointing = deferred_from_coro(self.checkpoint())

        def done(result: Any) -> None:
            self._checkpointing = None
            if isinstance(result, Failure):
                logger.error("JOBDIR: checkpoint failed (the finished requests stay queued and are fetched "
                             "again after a restart): %s", result.getErrorMessage())

        self._checkpointing.addBoth(done)
        return None

    async def checkpoint(self) -> None:
        """Make the items of finished requests durable, then remove those requests from the queue."""
        rows, self._finished = self._finished, []
        await signals.make_durable(self.crawler)  # feeds flushed, pipelines written
        if rows:
            self.frontier.remove(rows)
            self.stats.inc_value("corpus/jobdir/done", len(rows))
            logger.debug("JOBDIR checkpoint: %d requests done", len(rows))
