"""Country tags (KP, KR, RU, CN), pairs, topic score and the scope decision.

With the spider argument ``scope=in`` (the default) out-of-scope articles are
dropped (counted under ``corpus/dropped/article/out_of_scope``) together with
their comments; ``scope=all`` keeps everything and only tags it. Comments
follow their article's fate (the spider emits an article before its comments)
and carry its countries as ``article_countries``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from corpus.config import CrawlSettings
from corpus.items import Article, Comment
from corpus.state import local_state
from corpus.topics import default_tagger
from pipelines._base import BasePipeline


class TopicsPipeline(BasePipeline):
    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self.config = CrawlSettings.from_settings(self.settings)
        self.tagger = default_tagger(self.config.topic_terms_file or None)
        self.kept: dict[str, list[str]] = {}  # articles that passed (id -> countries), for their comments

    @property
    def keep_all(self) -> bool:
        spider = getattr(self.crawler, "spider", None)
        return getattr(spider, "scope", self.config.scope) == "all"

    def process_item(self, item: Article | Comment) -> Article | Comment:
        if isinstance(item, Article):
            result = self.tagger.tag_article(item.kicker, item.title, item.teaser, item.body)
            item.countries = result.countries
            item.pairs = result.pairs
            item.topic_score = result.topic_score
            item.in_scope = result.in_scope
            item.terms_digest = self.tagger.digest
            self.stats.inc_value(f"corpus/scope/{'in' if result.in_scope else 'out'}")
            if not result.in_scope and not self.keep_all:
                if item.id and self.config.incremental:
                    # not fetched again by the same scope; a wider scope or other terms decide again
                    local_state(self.settings).record_seen(asdict(item), terms=self.tagger.digest)
                raise self.drop("out of scope", "article", level=logging.INFO)
            if item.id:
                self.kept[item.id] = list(result.countries)
        elif isinstance(item, Comment):
            if item.article_id not in self.kept:
                raise self.drop("article not kept", "comment", level=logging.DEBUG)
            item.article_countries = self.kept[item.article_id]  # "comments on Korea articles"
        return item
