"""Clean every text field: NBSP, soft hyphens, zero-width characters, whitespace.

Runs before the other normalisers so they see tidy text; recomputes
``word_count`` and ``content_hash`` from the cleaned text.
"""

from __future__ import annotations

from corpus.items import Article, Comment, Image
from corpus.normalize.text import clean_multiline, clean_text, word_count
from corpus.normalize.urls import content_hash
from pipelines._base import BasePipeline

_ARTICLE_LINES = ("section", "kicker", "title", "teaser", "byline_raw", "published_raw", "modified_raw")
_COMMENT_LINES = ("author", "title", "published_raw", "article_title")


class CleanTextPipeline(BasePipeline):
    def process_item(self, item: Article | Comment) -> Article | Comment:
        if isinstance(item, Article):
            for name in _ARTICLE_LINES:
                setattr(item, name, clean_text(getattr(item, name)))
            item.body = clean_multiline(item.body)
            item.subheadings = [s for s in (clean_text(x) for x in item.subheadings) if s]
            item.keywords = list(dict.fromkeys(k for k in (clean_text(x) for x in item.keywords) if k))
            item.authors = [a for a in (clean_text(x) for x in item.authors) if a]
            if item.image:
                item.image = Image(**{k: clean_text(v) if isinstance(v, str) else v  # type: ignore[typeddict-item]
                                      for k, v in item.image.items()})
            item.word_count = word_count(item.body)
            item.content_hash = content_hash(item.title, item.teaser, item.body)
        elif isinstance(item, Comment):
            for name in _COMMENT_LINES:
                setattr(item, name, clean_text(getattr(item, name)))
            item.text = clean_multiline(item.text)
        return item
