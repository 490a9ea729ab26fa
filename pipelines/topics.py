"""Country tags (KP, KR, RU, CN), pairs, topic score and the scope decision.

With the spider argument ``scope=in`` (the default) an out-of-scope article
leaves the corpus: it goes on as its light record, :class:`~corpus.items.OffTopic`
(written to ``corpus-offtopic``, or to the ``offtopic`` JSON Lines file, and
remembered by the state pipeline so that the same scope does not fetch it
again), and its comments are dropped; its page stays in the web archive, from
which ``corpus reprocess --rescope`` can bring it back. ``scope=all`` keeps
everything and only tags it. Comments follow their article's fate (the spider
emits an article before its comments) and carry its countries as
``article_countries``.

Articles (kicker, title, teaser, body) and comments (title, text) also get ``entities``: the
canonical names of the people, places and organisations they name
(:mod:`corpus.topics.entities`, the data file ``CORPUS_ENTITIES_FILE``).
"""

from __future__ import annotations

import logging

from corpus.config import CrawlSettings
from corpus.items import Article, Comment, OffTopic
from corpus.topics import default_tagger
from corpus.topics.entities import default_matcher
from pipelines._base import BasePipeline


class TopicsPipeline(BasePipeline):
    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self.config = CrawlSettings.from_settings(self.settings)
        self.tagger = default_tagger(self.config.topic_terms_file or None)
        self.entities = default_matcher(self.settings.get("CORPUS_ENTITIES_FILE") or None)
        self.kept: dict[str, list[str]] = {}  # articles that passed (id -> countries), for their comments

    @property
    def keep_all(self) -> bool:
        spider = getattr(self.crawler, "spider", None)
        return getattr(spider, "scope", self.config.scope) == "all"

    def process_item(self, item: Article | Comment) -> Article | Comment | OffTopic:
        if isinstance(item, Article):
            result = self.tagger.tag_article(item.kicker, item.title, item.teaser, item.body)
            item.countries = result.countries
            item.pairs = result.pairs
            item.topic_score = result.topic_score
            item.in_scope = result.in_scope
            item.terms_digest = self.tagger.digest
            item.entities = self.entities.match(item.kicker, item.title, item.teaser, item.body)
            self.stats.inc_value(f"corpus/scope/{'in' if result.in_scope else 'out'}")
            if not result.in_scope and not self.keep_all:
                return OffTopic.of(item)
            if item.id:
                self.kept[item.id] = list(result.countries)
        elif isinstance(item, Comment):
            if item.article_id not in self.kept:
                raise self.drop("article not kept", "comment", level=logging.DEBUG)
            item.article_countries = self.kept[item.article_id]  # "comments on Korea articles"
            item.entities = self.entities.match(item.title, item.text)
        return item
