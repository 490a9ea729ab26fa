"""Near-duplicate stories and agency copy (corpus/stories): ``story_id``, ``duplicate_of``,
``similarity``, ``wire_copy`` and the ``story_signature`` they came from, on every article.

The stories live where the corpus lives: with Elasticsearch in the articles themselves
(read back for the days a crawl touches), without it in ``CORPUS_STORIES_FILE`` (default
``<CORPUS_OUTPUT_DIR>/stories.sqlite``), written as each article is placed. An
article that changes what earlier members show (it was published before them, or it is the
agency copy they follow) updates them: in the SQLite file, and in Elasticsearch through the
Elasticsearch pipeline (partial updates after the article). The JSON Lines output keeps
each article as it was written; ``corpus cluster -`` places a whole file again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpus import signals
from corpus.config import CrawlSettings
from corpus.items import Article
from corpus.paths import data_dir
from corpus.search.config import EsConfig
from corpus.stories import Member, StoryIndex, member_of
from corpus.stories.store import EsStories, LocalStories, local_stories
from pipelines._base import BasePipeline


class StoriesPipeline(BasePipeline):
    storage = True  # keeps the corpus's clusters: left out when items are built by hand (corpus.runner)

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        config = CrawlSettings.from_settings(self.settings)
        es = EsConfig.from_settings(self.settings)
        self.es: EsStories | None = None
        self.local: LocalStories | None = None
        if es.enabled:
            self.es = EsStories(StoryIndex(config.story_threshold, config.story_window_days), es)
            self.index = self.es.index
        else:
            path = config.stories_file or data_dir(config.output_dir or None) / "stories.sqlite"
            self.local = local_stories(Path(path), config.story_threshold, config.story_window_days)
            self.index = self.local.index
        crawler.signals.connect(self.checkpoint, signal=signals.checkpoint)

    def process_item(self, item: Any) -> Any:
        """Place an article (a coroutine with Elasticsearch, which may have to read the stories of its days)."""
        if not isinstance(item, Article):
            return item
        record = {"id": item.id, "published_at": item.published_at, "crawled_at": item.crawled_at,
                  "body": item.body, "agencies": item.agencies, "authors": item.authors, "outlet": item.outlet,
                  "title": item.title}
        member, sig = member_of(record)
        item.story_signature = sig.encode() if sig is not None else None
        if member is None:  # no id or no date: a story of its own
            item.story_id, item.duplicate_of, item.similarity = item.id, None, None
            item.wire_copy = bool(item.agencies) and not item.authors
            return item
        if self.es is not None:
            return self._place_after_loading(item, member)
        assert self.local is not None
        self.local.ensure(member.when)
        return self._place(item, member)

    async def _place_after_loading(self, item: Article, member: Member) -> Article:
        assert self.es is not None
        await self.es.ensure(member.when)
        return self._place(item, member)

    def _place(self, item: Article, member: Member) -> Article:
        placed, changed = self.index.add(member)
        if self.local is not None:
            self.local.save(placed, changed)
        for name, value in placed.fields().items():
            setattr(item, name, value)
        # what the Elasticsearch pipeline writes after the article (an attribute, not a field: never exported)
        item.story_updates = [{"id": m.id, **m.fields()} for m in changed]  # type: ignore[attr-defined]
        self.stats.inc_value("corpus/stories/placed")
        if placed.duplicate_of is not None:
            self.stats.inc_value("corpus/stories/duplicates")
        if placed.wire_copy:
            self.stats.inc_value("corpus/stories/wire_copy")
        return item

    def checkpoint(self) -> None:
        if self.local is not None:
            self.local.commit()

    def close_spider(self) -> Any:
        """Commit and close the stories file; with Elasticsearch a coroutine that closes its client."""
        if self.local is not None:
            self.local.close()
        return self.es.close() if self.es is not None else None
