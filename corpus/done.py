"""When the output of a request has been handled to the end, seen through Scrapy's public interfaces.

A durable frontier (``JOBDIR``, :mod:`corpus.frontier`) and the shared Redis frontier
(:mod:`corpus.distributed`) may forget a request only once everything its callback (or errback)
produced is safe: its follow-up requests queued, its items through the pipelines. Scrapy has no
signal for that moment, so :class:`OutputTracker` puts it together from public parts:

* :class:`OutputTrackerMiddleware`, a spider middleware, sees a callback's output: every item
  is counted against the request (``request.meta[TRACK]``), and the end of the output is noted;
  a follow-up request is queued by the engine while it is handed on, before the next output;
* the item signals (``item_scraped``, ``item_dropped``, ``item_error``) count each item out;
* errbacks, whose output Scrapy does not pass through spider middlewares, report theirs with
  :func:`errback_output` (the outlet spiders' errbacks do).

When a request's output has ended and its last item has left the pipelines, the listeners hear
its key. A request whose output never ends (a callback that raised, a failure without errback)
is never reported: its frontier keeps it and fetches it again after a restart (at least once).
Items are followed by identity, so pipelines must return the item they were given (ours do).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals

TRACK = "corpus_done_key"  # request.meta: the key under which a frontier wants to hear of the request

_TRACKERS: WeakKeyDictionary[Any, OutputTracker] = WeakKeyDictionary()


class OutputTracker:
    """The outputs of the requests of one crawl (one per crawler: :meth:`of`)."""

    def __init__(self, crawler: Any) -> None:
        self._owner: dict[int, Any] = {}  # id(item) -> key of the request that produced it
        self._open: Counter[Any] = Counter()  # key -> its items still in the pipelines
        self._ended: set[Any] = set()  # keys whose output has ended
        self._listeners: list[Callable[[Any], None]] = []
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._item_done, signal=signal)

    @classmethod
    def of(cls, crawler: Any) -> OutputTracker:
        if crawler not in _TRACKERS:
            _TRACKERS[crawler] = cls(crawler)
        return _TRACKERS[crawler]

    def listen(self, callback: Callable[[Any], None]) -> None:
        """``callback(key)`` once the output of the request tracked under ``key`` has been handled."""
        self._listeners.append(callback)

    def emitted(self, key: Any, item: Any) -> None:
        self._owner[id(item)] = key
        self._open[key] += 1

    def ended(self, key: Any) -> None:
        self._ended.add(key)
        self._settle(key)

    def _item_done(self, item: Any, **_: Any) -> None:
        key = self._owner.pop(id(item), None)
        if key is None:
            return
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]
        self._settle(key)

    def _settle(self, key: Any) -> None:
        if key in self._ended and key not in self._open:
            self._ended.discard(key)
            for listener in self._listeners:
                listener(key)


class OutputTrackerMiddleware:
    """Spider middleware: counts a callback's items against its request and notes the end of its output.

    A follow-up request does not inherit its parent's tracking key (spider code may copy meta).
    """

    def __init__(self, crawler: Any) -> None:
        self.tracker = OutputTracker.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> OutputTrackerMiddleware:
        return cls(crawler)

    def _key(self, response: Any) -> Any:
        request = getattr(response, "request", None)
        return request.meta.get(TRACK) if request is not None else None

    def _pass(self, key: Any, output: Any) -> Any:
        if isinstance(output, Request):
            output.meta.pop(TRACK, None)
            from corpus.frontier import KEY

            output.meta.pop(KEY, None)
        elif key is not None:
            self.tracker.emitted(key, output)
        return output

    def process_spider_output(self, response: Any, result: Iterable[Any], spider: Any = None) -> Iterator[Any]:
        key = self._key(response)
        for output in result:
            yield self._pass(key, output)
        if key is not None:
            self.tracker.ended(key)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        key = self._key(response)
        async for output in result:
            yield self._pass(key, output)
        if key is not None:
            self.tracker.ended(key)


def errback_output(crawler: Any, request: Any, outputs: Iterable[Any] | None) -> Iterator[Any]:
    """An errback's output, counted as the middleware counts a callback's (errbacks bypass it)."""
    tracker = OutputTracker.of(crawler)
    key = request.meta.get(TRACK)
    for output in outputs or ():
        if isinstance(output, Request):
            output.meta.pop(TRACK, None)
        elif key is not None:
            tracker.emitted(key, output)
        yield output
    if key is not None:
        tracker.ended(key)
