"""The crawler's own signals (Scrapy's signal manager carries them like its built-in ones), and checkpoints.

``checkpoint``: sent by :func:`make_durable`, and awaited: every receiver writes what it holds,
so that the items handed on so far are durable. The Elasticsearch pipeline flushes its bulk
buffer, the local state commits what it recorded (``pipelines/state.py``); JSON Lines feeds are
flushed first, by their storage (:mod:`corpus.feedstorage`). Receivers may be coroutines.

With ``JOBDIR`` the frontier (:mod:`corpus.frontier`) makes a checkpoint before it forgets
finished requests; without it, :class:`Checkpoints` makes one every ``CORPUS_JOB_CHECKPOINT``
seconds, so that a crawl killed with ``kill -9`` leaves a state that records no article or
comment its output does not hold.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.job import job_dir
from twisted.internet import defer, task
from twisted.python.failure import Failure

from corpus.config import CrawlSettings
from corpus.feedstorage import flush_all

logger = logging.getLogger(__name__)

checkpoint = object()


async def make_durable(crawler: Crawler) -> None:
    """Flush the local feeds, then let every receiver of ``checkpoint`` write what it holds."""
    flush_all()
    await crawler.signals.send_catch_log_async(signal=checkpoint)


class Checkpoints:
    """A checkpoint every ``CORPUS_JOB_CHECKPOINT`` seconds in a crawl without ``JOBDIR`` (an extension)."""

    def __init__(self, crawler: Crawler, every: float) -> None:
        self.crawler = crawler
        self.every = every
        self._loop: task.LoopingCall | None = None
        self._running: defer.Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Checkpoints:
        if job_dir(crawler.settings):
            raise NotConfigured("the JOBDIR frontier makes its own checkpoints")
        every = CrawlSettings.from_settings(crawler.settings).job_checkpoint
        if every <= 0:
            raise NotConfigured("CORPUS_JOB_CHECKPOINT is 0")
        extension = cls(crawler, every)
        crawler.signals.connect(extension.start, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(extension.stop, signal=scrapy_signals.engine_stopped)
        return extension

    def start(self) -> None:
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.every, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def _tick(self) -> None:
        if self._running is not None:  # the last one is still writing
            return
        self._running = deferred_from_coro(make_durable(self.crawler))

        def done(result: Any) -> None:
            self._running = None
            if isinstance(result, Failure):
                logger.error("checkpoint failed (retried in %s s): %s", self.every, result.getErrorMessage())

        self._running.addBoth(done)
