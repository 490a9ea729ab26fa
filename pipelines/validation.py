"""Drop items that lack what makes them usable, with a stable reason and a stat.

An article needs a URL, a title and some text (body or teaser); a comment
needs its article and some text. Everything else may be missing and is
counted by the extraction stats instead.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from corpus.items import Article, Comment
from pipelines._base import BasePipeline


class ValidationPipeline(BasePipeline):
    def process_item(self, item: Article | Comment) -> Article | Comment:
        adapter = ItemAdapter(item)
        if isinstance(item, Article):
            if not adapter.get("url"):
                raise self.drop("missing url", "article")
            if not (item.title or "").strip():
                raise self.drop("missing title", "article")
            if not (item.body or item.teaser or "").strip():
                raise self.drop("missing text", "article")
        elif isinstance(item, Comment):
            if not item.article_url or not item.article_id:
                raise self.drop("missing article", "comment")
            if not (item.text or "").strip():
                raise self.drop("missing text", "comment")
        else:
            raise self.drop("unknown item type", type(item).__name__.lower())
        return item
