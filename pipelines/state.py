"""Versions and seen comments without Elasticsearch: the local state store (SQLite).

With Elasticsearch the index keeps versions (see ``corpus/search/documents.py``)
and superseded versions go to ``corpus-articles-history``; this pipeline then
does nothing. Without it, every article is recorded in
``CORPUS_STATE_FILE`` (default ``<CORPUS_OUTPUT_DIR>/state.sqlite``): a
revisited article whose content changed gets ``version`` + 1 and
``modified_at``, and its previous title, teaser and body are kept as a
superseded version. In an incremental crawl a comment already written with the
same content is not written again, so a revisit adds only new (or edited)
comments to the output; a crawl with ``incremental=false`` writes them all.
The store is held for the crawl and committed at its checkpoints
(``corpus/signals.py``: every ``CORPUS_JOB_CHECKPOINT`` seconds, after the
feeds were flushed) and at the close: a crawl killed before that leaves the
store as it was at the last checkpoint, so the next crawl fetches and writes
again what the killed one did not write; it never skips an article or a
comment as known that the output does not hold.
The spider's incremental filter reads the same store. Articles judged out of scope (their
:class:`~corpus.items.OffTopic` record) are remembered there with or without Elasticsearch,
with the terms that judged them, so that the same scope does not fetch them again while a
wider one or other terms do.
"""

from __future__ import annotations

import logging

from corpus import signals
from corpus.config import CrawlSettings
from corpus.feedstorage import flush_all
from corpus.items import Article, Comment, OffTopic, fields_of
from corpus.normalize.urls import content_hash
from corpus.search.config import EsConfig
from corpus.state import LocalState, close_local_states, local_state
from pipelines._base import BasePipeline


class StatePipeline(BasePipeline):
    storage = True  # writes the corpus's state: left out when items are built by hand (corpus.runner)

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self.local: LocalState | None = None
        if not EsConfig.from_settings(self.settings).enabled:
            self.local = local_state(self.settings)
            self.local.hold()
        self.seen = local_state(self.settings) if CrawlSettings.from_settings(self.settings).incremental else None
        crawler.signals.connect(self.checkpoint, signal=signals.checkpoint)

    @property
    def incremental(self) -> bool:
        """Whether this crawl writes only what is new (``incremental`` argument and ``CORPUS_INCREMENTAL``)."""
        spider = getattr(self.crawler, "spider", None)
        args = getattr(spider, "args", None)
        return CrawlSettings.from_settings(self.settings).incremental and getattr(args, "incremental", True)

    def process_item(self, item: Article | Comment | OffTopic) -> Article | Comment | OffTopic:
        if isinstance(item, OffTopic):
            if item.id and self.seen is not None:
                self.seen.record_seen(fields_of(item), terms=item.terms_digest or "")
            return item
        if self.local is None:
            return item
        if isinstance(item, Article):
            version, previous = self.local.record_article(fields_of(item))
            item.version = version
            if previous is not None:
                item.modified_at = item.modified_at or item.crawled_at
                self.stats.inc_value("corpus/state/changed")
            return item
        if not self.incremental or item.id is None:  # a complete crawl writes every comment it finds
            return item
        if not self.local.new_comment(item.id, item.article_id, content_hash(item.author, item.title, item.text)):
            raise self.drop("already written", "comment", level=logging.DEBUG)
        return item

    def checkpoint(self) -> None:
        """The output holds what was handed on so far (the feeds were flushed): commit the state."""
        if self.local is not None:
            self.local.commit()

    def close_spider(self) -> None:
        # the feed exporter keeps what it was given (it is closed right after); what a local feed holds
        # is handed to the operating system before the state says it was written
        flush_all()
        self.checkpoint()
        self.local = None
        close_local_states()
