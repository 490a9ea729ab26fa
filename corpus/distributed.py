"""Several crawler processes (on several machines) sharing one frontier in Redis, via scrapy-redis.

Switched on by ``CORPUS_REDIS_URL`` (setting or environment); without it
nothing here is imported. scrapy-redis provides the shared priority queue and
the shared duplicate filter; this module adds what a long unattended crawl
needs on top of it:

- **Nothing lost when a worker dies.** scrapy-redis removes a request from the
  queue when a worker takes it, so a worker killed mid-request loses it (and
  the duplicate filter keeps anyone else from fetching it). Here a taken
  request is also kept in the worker's "processing" hash until its output has
  been handled to the end (its items through the pipelines, its follow-up
  requests in the shared queue: :mod:`corpus.done`); every
  worker keeps a heartbeat key, and the others put a dead worker's unfinished
  requests back into the queue. A page in flight at a crash is fetched again
  (at least once), none is lost.
- **Workers wait for each other**: a worker whose queue is empty stays up while
  another one still has requests in flight (their follow-ups may come).
- **A finished crawl clears its frontier**: the last worker to finish removes
  the crawl's keys, so the next scheduled crawl starts fresh (its duplicate
  filter would otherwise still hold every URL).

Keys: ``corpus:<crawl>:queue`` (sorted set), ``:seen`` (fingerprints),
``:workers``, ``:worker:<id>`` (heartbeat) and ``:processing:<id>``;
``<crawl>`` is ``CORPUS_REDIS_CRAWL`` (default: the spider's name). All
workers of one crawl run the same spider with the same ``CORPUS_REDIS_CRAWL``.

scrapy-redis 0.9.1 works with the Scrapy used here (2.19) but for one thing:
its scheduler passes ``spider=`` to ``StatsCollector.inc_value``, which Scrapy
2.14 deprecated (the argument is going away). ``enqueue_request`` and
``next_request`` are restated below without it; everything else is
scrapy-redis's own code, subclassed, not copied.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from corpus.done import TRACK, OutputTracker

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3.0
HEARTBEAT_TTL = 10  # a worker silent this long is dead
TOKEN = "corpus_redis_token"

# take the best request and keep it under the worker's processing hash, atomically
_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0)
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
redis.call('HSET', KEYS[2], ARGV[1], item[1])
return item[1]
"""


def redis_settings(settings: Any) -> dict[str, Any]:
    """The Scrapy settings that put a crawl's frontier into Redis."""
    crawl = settings.get("CORPUS_REDIS_CRAWL") or "%(spider)s"
    return {
        "SCHEDULER": "corpus.distributed.RedisScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "corpus.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": f"corpus:{crawl}:queue",
        "SCHEDULER_DUPEFILTER_KEY": f"corpus:{crawl}:seen",
        "SCHEDULER_PERSIST": True,  # a worker that stops must not clear what the others still need
        "REDIS_URL": settings.get("CORPUS_REDIS_URL"),
    }


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue; a taken request waits in the worker's processing hash."""

    processing_key: str = ""

    def pop(self, timeout: int = 0) -> Request | None:
        token = uuid.uuid4().hex
        data = self.server.eval(_POP, 2, self.key, self.processing_key, token)
        if not data:
            return None
        request = request_from_dict(self.serializer.loads(data), spider=self.spider)
        request.meta[TOKEN] = token
        request.meta[TRACK] = ("redis", token)  # corpus.done reports it once its output is handled
        return request


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler with worker heartbeats, recovery of dead workers' requests and acks."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        crawler.signals.connect(instance._request_dropped, signal=signals.request_dropped)
        # a taken request is done once its output was handled to the end (follow-ups in Redis)
        OutputTracker.of(crawler).listen(instance._done)
        return instance

    def _done(self, key: Any) -> None:
        if isinstance(key, tuple) and key[0] == "redis":
            self.server.hdel(self.queue.processing_key, key[1])

    def _key(self, name: str) -> str:
        return self.queue.key.rsplit(":", 1)[0] + ":" + name

    def open(self, spider: Any) -> None:
        super().open(spider)
        self.queue.processing_key = self._key(f"processing:{self.worker}")
        self._beat()
        self.server.sadd(self._key("workers"), self.worker)
        self.recover()
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(HEARTBEAT_SECONDS, now=False)
        logger.info("distributed crawl: worker %s on %s (%d requests queued)", self.worker, self.queue.key,
                    len(self.queue))

    def _beat(self) -> None:
        self.server.set(self._key(f"worker:{self.worker}"), "1", ex=HEARTBEAT_TTL)

    def _tick(self) -> None:
        try:
            self._beat()
            self.recover()
        except Exception as exc:  # Redis briefly away: the next tick tries again
            logger.warning("distributed crawl: heartbeat failed: %s", exc)

    def recover(self) -> int:
        """Put the unfinished requests of dead workers back into the queue."""
        moved = 0
        for raw in self.server.smembers(self._key("workers")):
            other = raw.decode() if isinstance(raw, bytes) else raw
            if other == self.worker or self.server.exists(self._key(f"worker:{other}")):
                continue
            if not self.server.set(self._key(f"recovering:{other}"), self.worker, nx=True, ex=60):
                continue  # another worker is on it
            processing = self._key(f"processing:{other}")
            for data in self.server.hvals(processing):
                self.queue.push(request_from_dict(self.queue.serializer.loads(data), spider=self.spider))
                moved += 1
            self.server.delete(processing)
            self.server.srem(self._key("workers"), other)
            if moved:
                logger.warning("distributed crawl: worker %s is gone; %d of its requests put back in the queue",
                               other, moved)
                if self.stats:
                    self.stats.inc_value("corpus/redis/recovered", moved)
        return moved

    def ack(self, request: Request) -> None:
        token = request.meta.get(TOKEN)
        if token:
            self.server.hdel(self.queue.processing_key, token)

    def _request_dropped(self, request: Request, spider: Any = None) -> None:
        self.ack(request)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if len(self) > 0:
            return True
        # another live worker's requests in flight may still yield follow-ups
        for raw in self.server.smembers(self._key("workers")):
            other = raw.decode() if isinstance(raw, bytes) else raw
            if other != self.worker and self.server.hlen(self._key(f"processing:{other}")):
                return True
        return False

    def close(self, reason: str) -> None:
        loop = getattr(self, "loop", None)
        if loop is not None and loop.running:
            loop.stop()
        self.server.delete(self._key(f"worker:{self.worker}"))
        if not self.server.hlen(self.queue.processing_key):
            self.server.delete(self.queue.processing_key)
            self.server.srem(self._key("workers"), self.worker)
        last = reason == "finished" and len(self) == 0 and not self.server.scard(self._key("workers"))
        if last:  # the frontier is done: the next crawl starts with an empty duplicate filter
            self.server.delete(self.queue.key, self.df.key)
            logger.info("distributed crawl: last worker finished; frontier %s cleared", self.queue.key)
        super().close(reason)
