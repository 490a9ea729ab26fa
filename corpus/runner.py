"""The crawl's item pipelines outside a crawl.

:class:`ItemRunner` passes items through the classes of ``ITEM_PIPELINES``, in their order and
with the crawl's settings, opened and closed as a crawl opens and closes them, so that
``corpus extract`` (and reprocessing archived pages, and archive backfills) give exactly the
items a crawl gives. The pipelines see what they read of a crawler: ``settings``, ``stats``,
``signals`` and a ``spider`` with the crawl's ``name``, ``scope`` and ``args``. The storage
pipelines (the local state, Elasticsearch: ``storage = True`` on their class) run only when
asked; ``corpus extract`` leaves them out, so checking a page by hand changes no corpus.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import build_from_crawler, load_object


def project_settings(**overrides: Any) -> Settings:
    """The crawl's settings (``corpus.settings``), with ``overrides`` (frozen: read once per process)."""
    if not overrides:
        return _project_settings()
    settings = Settings()
    settings.setmodule("corpus.settings", priority="project")
    settings.update(overrides, priority="cmdline")
    settings.freeze()
    return settings


@lru_cache(maxsize=1)
def _project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("corpus.settings", priority="project")
    settings.freeze()
    return settings


@dataclass
class Outcome:
    """An item after the pipelines, or the reason one dropped it."""

    item: Any
    dropped: str | None = None


class _Crawler:
    """What the pipelines read of a crawler (an object of its own, hashable: run names are kept per crawler)."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


class ItemRunner:
    """The pipelines of ``settings`` (default: the project's) for items built outside a crawl.

    Args:
        settings: Scrapy settings (``ITEM_PIPELINES`` and what the pipelines read).
        spider: what the pipelines know of the crawl: ``name``, ``scope`` (``all`` keeps every
            article, tagged), ``args.incremental``.
        storage: also run the storage pipelines (local state, Elasticsearch).
        processing: run the other pipelines (validation, text, dates, authors, topics, dedupe);
            ``processing=False, storage=True`` stores items processed elsewhere (``corpus reprocess``
            processes pages in worker processes and stores their items in one).
    """

    def __init__(self, settings: Settings | None = None, *, spider: Any = None, storage: bool = False,
                 processing: bool = True) -> None:
        self.settings = settings or project_settings()
        self.spider = spider or SimpleNamespace(name="extract", scope="all",
                                                args=SimpleNamespace(incremental=False))
        # what the pipelines read of a crawler (typed as Any: it is not a Crawler)
        self.crawler: Any = cast(Any, _Crawler(settings=self.settings, spider=self.spider))
        self.crawler.stats = MemoryStatsCollector(self.crawler)
        self.crawler.signals = SignalManager(self.crawler)
        self.pipelines: list[Any] = []
        ordered = sorted(self.settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: (kv[1] is None, kv[1] or 0))
        for path, order in ordered:
            if order is None:
                continue
            cls = load_object(path)
            if not (storage if getattr(cls, "storage", False) else processing):
                continue
            try:
                self.pipelines.append(build_from_crawler(cls, self.crawler))
            except NotConfigured:
                continue
        self._open = False

    @property
    def stats(self) -> dict[str, Any]:
        return self.crawler.stats.get_stats()

    async def open(self) -> None:
        for pipeline in self.pipelines:
            await _maybe_await(getattr(pipeline, "open_spider", None))
        self._open = True

    async def close(self) -> None:
        for pipeline in self.pipelines:
            await _maybe_await(getattr(pipeline, "close_spider", None))
        self._open = False

    async def process(self, item: Any) -> Outcome:
        if not self._open:
            await self.open()
        for pipeline in self.pipelines:
            try:
                item = await _maybe_await(pipeline.process_item, item)
            except DropItem as exc:
                return Outcome(item, str(exc))
        return Outcome(item)

    def run(self, items: list[Any]) -> list[Outcome]:
        """Open, pass every item, close: the outcomes in order (no event loop when no pipeline needs one)."""
        if not any(_is_async(p) for p in self.pipelines):
            return self._run_sync(items)

        async def all_items() -> list[Outcome]:
            await self.open()
            try:
                return [await self.process(item) for item in items]
            finally:
                await self.close()

        return asyncio.run(all_items())


    def _run_sync(self, items: list[Any]) -> list[Outcome]:
        for pipeline in self.pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider()
        outcomes = []
        try:
            for item in items:
                outcome = Outcome(item)
                for pipeline in self.pipelines:
                    try:
                        outcome.item = pipeline.process_item(outcome.item)
                    except DropItem as exc:
                        outcome.dropped = str(exc)
                        break
                outcomes.append(outcome)
        finally:
            for pipeline in self.pipelines:
                if hasattr(pipeline, "close_spider"):
                    pipeline.close_spider()
        return outcomes


def _is_async(pipeline: Any) -> bool:
    return any(inspect.iscoroutinefunction(getattr(pipeline, name, None))
               for name in ("open_spider", "process_item", "close_spider"))


async def _maybe_await(method: Any, *args: Any) -> Any:
    if method is None:
        return None
    result = method(*args)
    return await result if inspect.isawaitable(result) else result
