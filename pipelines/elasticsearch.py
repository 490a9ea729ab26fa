"""Index articles and comments into Elasticsearch in bulk, losing nothing.

On when an address is configured (``ELASTICSEARCH_URL`` or
``CORPUS_ES_HOSTS``); otherwise the pipeline is not loaded and the JSON Lines
feed is the only output. The work is done by :class:`corpus.search.indexer.Indexer`:
buffered bulk writes (flushed when ``CORPUS_ES_CHUNK_SIZE`` items wait, every
``CORPUS_ES_FLUSH_INTERVAL`` seconds, and at spider close, awaited), retries
with back-off, and a dead-letter JSON Lines file under
``CORPUS_ES_DEADLETTER_DIR`` for whatever could not be written, which
``corpus index FILE`` indexes later.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from corpus import signals
from corpus.items import fields_of
from corpus.runs import run_name
from corpus.search.config import EsConfig
from corpus.search.documents import STORY_UPDATE
from corpus.search.indexer import DeadLetter, Indexer
from pipelines._base import BasePipeline

logger = logging.getLogger(__name__)


def _as_dict(item: Any) -> dict[str, Any]:
    # A shallow copy is enough (the document is serialised right away) and much cheaper
    # than dataclasses.asdict's deep copy, which ItemAdapter.asdict uses.
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return fields_of(item)
    return ItemAdapter(item).asdict()


class ElasticsearchPipeline(BasePipeline):
    storage = True  # writes the corpus: left out when items are built by hand (corpus.runner)

    def __init__(self, crawler: Any, config: EsConfig) -> None:
        super().__init__(crawler)
        self.config = config
        self.indexer: Indexer | None = None
        self._timer: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ElasticsearchPipeline:
        config = EsConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("no Elasticsearch configured (set ELASTICSEARCH_URL to index)")
        pipeline = cls(crawler, config)
        crawler.signals.connect(pipeline.checkpoint, signal=signals.checkpoint)
        return pipeline

    def deadletter_path(self) -> Path:
        """``<dir>/<spider>/<run>.jsonl``: the crawl's own file, even beside a crawl started in the same second."""
        name = getattr(self.crawler.spider, "name", "crawl")
        return Path(self.config.deadletter_dir) / name / f"{run_name(self.crawler)}.jsonl"

    async def open_spider(self) -> None:
        self.indexer = Indexer(self.config, DeadLetter(self.deadletter_path()), self.stats)
        problem = await self.indexer.check()
        if problem:
            logger.error(
                "Elasticsearch at %s is not usable now (%s); the crawl goes on, items wait in the "
                "buffer and go to %s if it stays away", self.config.describe(), problem,
                self.indexer.deadletter.path,
            )
        else:
            logger.info("Indexing into Elasticsearch at %s", self.config.describe())
        self._timer = asyncio.ensure_future(self._flush_periodically())

    async def _flush_periodically(self) -> None:
        """Write the buffer every ``flush_interval`` seconds until the close asks to stop.

        The close never cancels a write in progress (its batch has left the buffer): it sets
        ``_closing`` and waits for this loop to finish the write it is in.
        """
        assert self.indexer is not None
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.config.flush_interval)
                return
            if self.indexer.buffer:
                await self.indexer.flush()

    async def process_item(self, item: Any) -> Any:
        assert self.indexer is not None
        await self.indexer.add(_as_dict(item))
        # earlier articles of its story that this one changed (pipelines/stories.py)
        for update in getattr(item, "story_updates", None) or ():
            await self.indexer.add({"item_type": STORY_UPDATE, **update})
        return item

    async def checkpoint(self) -> None:
        """Write what the bulk buffer holds (the ``checkpoint`` signal: the JOBDIR frontier marks pages done next)."""
        if self.indexer is not None:
            await self.indexer.flush()

    async def close_spider(self) -> None:
        # first the write in flight (awaited, never cancelled), then the rest of the buffer, then the
        # dead-letter file for whatever could not be sent
        self._closing.set()
        if self._timer is not None:
            await self._timer
        if self.indexer is None:
            return
        await self.indexer.close()
        deadlettered = self.indexer.deadletter.count
        logger.log(
            logging.WARNING if deadlettered or self.indexer.auth_error else logging.INFO,
            "Elasticsearch: %d items indexed, %d rejected, %d written to the dead-letter file%s",
            self.indexer.indexed, self.indexer.failed, deadlettered,
            f" {self.indexer.deadletter.path} (index them later: corpus index {self.indexer.deadletter.path})"
            if deadlettered else "",
        )
