"""Bylines -> ``authors`` (people, proper case) and ``agencies`` (dpa, AFP, Reuters ...).

Names a structured layer (JSON-LD) gave are normalised one by one; otherwise
the printed byline is split. Agencies named in the byline are kept either
way. Comment authors are taken as written.
"""

from __future__ import annotations

from corpus.items import Article, Comment
from corpus.normalize.bylines import resolve_authors
from pipelines._base import BasePipeline


class AuthorsPipeline(BasePipeline):
    def process_item(self, item: Article | Comment) -> Article | Comment:
        if not isinstance(item, Article):
            return item
        byline = resolve_authors(item.authors, item.byline_raw)
        item.authors = byline.authors
        item.agencies = byline.agencies
        if item.authors or item.agencies:
            item.author_organizations = []  # only a fallback credit
        if not item.authors:
            self.stats.inc_value("corpus/authors/none")
        if item.agencies:
            self.stats.inc_value("corpus/authors/with_agency")
        return item
