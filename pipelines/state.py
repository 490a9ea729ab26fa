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
Comments are recorded as written only at a checkpoint (with ``JOBDIR``, after
the feed was flushed; see ``corpus/frontier.py``) or at the close: a crawl
killed before that writes them again, it never skips one it did not write.
The spider's incremental filter reads the same store.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from corpus import signals
from corpus.config import CrawlSettings
from corpus.items import Article, Comment
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
        # comments handed on but not yet durable in the output: id -> (id, article id, content hash)
        self.pending: dict[str, tuple[str, str | None, str | None]] = {}
        crawler.signals.connect(self.checkpoint, signal=signals.checkpoint)

    @property
    def incremental(self) -> bool:
        """Whether this crawl writes only what is new (``incremental`` argument and ``CORPUS_INCREMENTAL``)."""
        spider = getattr(self.crawler, "spider", None)
        args = getattr(spider, "args", None)
        return CrawlSettings.from_settings(self.settings).incremental and getattr(args, "incremental", True)

    def process_item(self, item: Article | Comment) -> Article | Comment:
        if self.local is None:
            return item
        if isinstance(item, Article):
            version, previous = self.local.record_article(asdict(item))
            item.version = version
            if previous is not None:
                item.modified_at = item.modified_at or item.crawled_at
                self.stats.inc_value("corpus/state/changed")
            return item
        if not self.incremental or item.id is None:  # a complete crawl writes every comment it finds
            return item
        digest = content_hash(item.author, item.title, item.text)
        waiting = self.pending.get(item.id)
        if (waiting is not None and waiting[2] == digest) or (
                waiting is None and not self.local.comment_is_new(item.id, digest)):
            raise self.drop("already written", "comment", level=logging.DEBUG)
        self.pending[item.id] = (item.id, item.article_id, digest)
        return item

    def checkpoint(self) -> None:
        """The output holds the comments handed on so far: record them as written."""
        if self.local is not None and self.pending:
            self.local.record_comments(list(self.pending.values()))
            self.pending.clear()

    def close_spider(self) -> None:
        self.checkpoint()  # the feed exporter keeps what it was given (it is closed right after)
        close_local_states()
