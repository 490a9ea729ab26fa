"""Drop repeats within a crawl: one article per canonical URL, one comment per id.

The canonical URL drops tracking parameters (``utm_*``), fragments and
``?amp``, so two links to the same article collapse. Across crawls,
Elasticsearch's document id (a hash of the canonical URL) does the same job.
"""

from __future__ import annotations

import logging

from corpus.items import Article, Comment, OffTopic
from corpus.normalize.urls import canonicalize_url, url_id
from pipelines._base import BasePipeline


class DedupePipeline(BasePipeline):
    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Article | Comment | OffTopic) -> Article | Comment | OffTopic:
        if isinstance(item, Article | OffTopic):
            item.canonical_url = canonicalize_url(item.canonical_url or item.url)
            item.id = url_id(item.canonical_url)
            key = f"{item.item_type}:{item.id}"
        else:
            key = f"comment:{item.id}"
        if key in self.seen:
            raise self.drop("duplicate", item.item_type, level=logging.DEBUG)
        self.seen.add(key)
        return item
